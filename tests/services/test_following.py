"""Follows, notifications written with their event, and the activity's keyset pages."""

import pytest
from sqlalchemy import event, select

from wiki.errors import Conflict, EditConflict, NotFound
from wiki.extensions import db
from wiki.models import Event, Follow, Notification, Revision
from wiki.services import commenting, following, notifying, remixing, voting
from wiki.services.editing import get_definition


@pytest.fixture
def definition(app):
    return get_definition("strategie-numerique")


@pytest.fixture
def owner(create_user):
    return create_user("proprietaire", display_name="Olivia Propriétaire")


@pytest.fixture
def other(create_user):
    return create_user("autre", display_name="Aline Autre")


@pytest.fixture
def proposal(definition, owner, seed_revision):
    """A proposed remix with one revision of its own."""
    revision = remixing.propose_edit(
        definition_id=definition.id, base_revision_id=seed_revision.id,
        raw_body=seed_revision.body + "\nUne phrase ajoutée par le remix.\n",
        summary="Ajout", title="Remix sectoriel", owner=owner)
    return remixing.get_remix(revision.remix_id)


def notices(user, kind=None):
    query = select(Notification).where(Notification.user_id == user.id)
    if kind:
        query = query.where(Notification.kind == kind)
    return list(db.session.scalars(query.order_by(Notification.id)))


# --- events: every service writes its row ------------------------------------------------


def test_every_kind_of_event_is_written_by_its_service(definition, owner, moderator, save,
                                                       seed_revision):
    save(moderator, seed_revision.body + "\nAjout officiel.\n")
    remix = remixing.fork(definition_id=definition.id, from_revision_id=seed_revision.id,
                          title="Brouillon", owner=owner)
    save(owner, seed_revision.body + "\nMon ajout.\n", remix_id=remix.id)
    remixing.propose(remix.id, owner)
    remixing.withdraw(remix.id, owner)
    remixing.propose(remix.id, owner)
    remixing.decline(remix.id, moderator, "Hors sujet")
    merged = remixing.fork(definition_id=definition.id, from_revision_id=seed_revision.id,
                           title="À fusionner", owner=owner)
    save(owner, "Un texte entièrement neuf.\n", remix_id=merged.id)
    remixing.propose(merged.id, owner)
    remixing.merge_remix(merged.id, moderator, {"resolution": "Texte fusionné.\n"})
    commenting.add_comment(revision_id=seed_revision.id, author=owner, body="Bien.")
    kinds = set(db.session.scalars(select(Event.kind)))
    assert kinds == set(following.EVENT_KINDS)


# --- follows -------------------------------------------------------------------------------


def test_following_twice_keeps_one_follow(definition, participant):
    following.follow(participant, definition_id=definition.id)
    following.follow(participant, definition_id=definition.id)
    assert db.session.scalar(select(Follow.id).where(Follow.user_id == participant.id))
    assert len(list(db.session.scalars(select(Follow)))) == 1
    assert following.is_following(participant.id, definition_id=definition.id)
    following.unfollow(participant, definition_id=definition.id)
    following.unfollow(participant, definition_id=definition.id)
    assert not following.is_following(participant.id, definition_id=definition.id)


@pytest.mark.parametrize("remix_id", [999999, 0, -1, "abc", 2**70])
def test_following_a_remix_that_does_not_exist_is_not_found(participant, remix_id):
    with pytest.raises(NotFound):
        following.follow(participant, remix_id=remix_id)
    assert db.session.scalar(select(Follow.id)) is None


# --- notifications, one per event and per person -------------------------------------------


def test_a_follower_of_the_definition_hears_of_each_official_revision_but_not_its_author(
        definition, moderator, participant, save, seed_revision):
    following.follow(participant, definition_id=definition.id)
    following.follow(moderator, definition_id=definition.id)
    revision = save(moderator, seed_revision.body + "\nAjout.\n", summary="Précision").revision
    [notice] = notices(participant, "new_revision")
    assert notice.payload["revision_id"] == revision.id
    assert notice.payload["summary"] == "Précision"
    assert notice.payload["inserted_words"] == revision.inserted_words == 1
    assert notice.link == f"/revisions/{revision.id}"
    assert notices(moderator) == []


def test_remix_revisions_reach_the_remix_followers_not_the_definition_followers(
        definition, owner, participant, other, save, seed_revision):
    remix = remixing.fork(definition_id=definition.id, from_revision_id=seed_revision.id,
                          title="Remix", owner=owner)
    following.follow(participant, remix_id=remix.id)
    following.follow(other, definition_id=definition.id)
    save(owner, seed_revision.body + "\nAjout.\n", remix_id=remix.id)
    assert [n.kind for n in notices(participant)] == ["new_revision"]
    assert notices(other) == []


def test_an_identical_edit_or_a_conflict_notifies_nobody(definition, moderator, participant,
                                                         save, seed_revision):
    following.follow(participant, definition_id=definition.id)
    save(moderator, seed_revision.body)
    base = seed_revision.id
    save(moderator, "Premier texte.\n", base_revision_id=base)
    with pytest.raises(EditConflict):
        save(moderator, "Second texte.\n", base_revision_id=base)
    assert len(notices(participant)) == 1


def test_a_notification_that_fails_takes_its_event_down_with_it(
        definition, moderator, participant, save, seed_revision, monkeypatch):
    following.follow(participant, definition_id=definition.id)
    events_before = db.session.query(Event).count()

    def broken(session, revision):
        raise RuntimeError("disk full")

    monkeypatch.setattr(notifying, "revision_added", broken)
    with pytest.raises(RuntimeError):
        save(moderator, seed_revision.body + "\nAjout.\n")
    db.session.rollback()
    assert db.session.query(Event).count() == events_before
    assert db.session.query(Revision).count() == 1
    assert notices(participant) == []


def test_a_reply_notifies_the_author_of_the_comment_not_someone_replying_to_themselves(
        seed_revision, participant, other):
    root = commenting.add_comment(revision_id=seed_revision.id, author=participant,
                                  body="Premier")
    reply = commenting.add_comment(revision_id=seed_revision.id, author=other, body="Oui",
                                   parent_id=root.id)
    commenting.add_comment(revision_id=seed_revision.id, author=participant, body="Moi",
                           parent_id=root.id)
    [notice] = notices(participant)
    assert notice.kind == "reply"
    assert notice.payload["actor"] == "Aline Autre"
    assert notice.link == f"/revisions/{seed_revision.id}#commentaire-{reply.id}"
    assert notices(other) == []


def test_hiding_a_comment_tells_its_author_why_and_unhiding_says_nothing(
        seed_revision, participant, moderator):
    comment = commenting.add_comment(revision_id=seed_revision.id, author=participant,
                                     body="Hors sujet")
    commenting.set_hidden(comment.id, moderator, True, "Propos injurieux")
    commenting.set_hidden(comment.id, moderator, False)
    [notice] = notices(participant)
    assert (notice.kind, notice.payload["reason"]) == ("comment_hidden", "Propos injurieux")


def test_the_owner_hears_of_a_merge_and_of_a_decline_with_its_reason(proposal, owner,
                                                                      moderator):
    remixing.decline(proposal.id, moderator, "Trop long")
    [declined] = notices(owner, "proposal_declined")
    assert declined.payload["reason"] == "Trop long"
    assert declined.link == f"/remixes/{proposal.id}"
    with pytest.raises(Conflict):  # nothing new since the decline: no merge, no notice
        remixing.merge_remix(proposal.id, moderator, {})
    assert len(notices(owner)) == 1


def test_the_owner_hears_of_the_merge(proposal, owner, moderator):
    merged = remixing.merge_remix(proposal.id, moderator, {})
    [notice] = notices(owner, "proposal_merged")
    assert notice.payload["revision_id"] == merged.id
    assert notice.payload["title"] == "Remix sectoriel"
    assert notice.link == f"/revisions/{merged.id}"


def test_forking_someone_s_remix_tells_its_owner_but_forking_one_s_own_does_not(
        definition, proposal, owner, other):
    fork = remixing.fork(definition_id=definition.id, from_revision_id=proposal.head_revision_id,
                         title="Remix du remix", owner=other)
    remixing.fork(definition_id=definition.id, from_revision_id=proposal.head_revision_id,
                  title="Le mien encore", owner=owner)
    [notice] = notices(owner, "remix_forked")
    assert notice.payload["fork_id"] == fork.id
    assert notice.link == f"/remixes/{fork.id}"


def test_voters_hear_of_a_new_head_with_the_diff_since_their_own_vote(
        proposal, owner, participant, other, save, seed_revision):
    first = proposal.head_revision_id
    voting.cast_vote(participant.id, first, "plebisciter")
    voting.cast_vote(other.id, seed_revision.id, "rejeter")  # the fork point: not this remix's
    following.follow(participant, remix_id=proposal.id)
    second = save(owner, seed_revision.body + "\nDeuxième version.\n",
                  remix_id=proposal.id).revision
    [notice] = notices(participant)  # a voter who also follows is told once
    assert notice.kind == "vote_outdated"
    assert notice.payload == {"remix_id": proposal.id, "title": "Remix sectoriel",
                              "voted_revision_id": first, "revision_id": second.id,
                              "choice": "plebisciter", "actor": "Olivia Propriétaire"}
    assert notice.link == f"/compare?from={first}&to={second.id}"
    assert notices(other) == []


def test_a_voter_is_told_about_their_latest_vote_only(proposal, owner, participant, save,
                                                       seed_revision):
    voting.cast_vote(participant.id, proposal.head_revision_id, "plebisciter")
    second = save(owner, seed_revision.body + "\nV2.\n", remix_id=proposal.id).revision
    voting.cast_vote(participant.id, second.id, "rejeter")
    third = save(owner, seed_revision.body + "\nV3.\n", remix_id=proposal.id).revision
    latest = notices(participant)[-1]
    assert (latest.payload["voted_revision_id"], latest.payload["choice"]) == (second.id,
                                                                               "rejeter")
    assert latest.payload["revision_id"] == third.id
    assert len(notices(participant)) == 2


# --- reading notifications -------------------------------------------------------------------


def _make_notices(user, count):
    from wiki.services.db import transaction

    with transaction() as session:
        for index in range(count):
            session.add(Notification(user_id=user.id, kind="reply", payload={"i": index},
                                     link="/"))
    return notices(user)


def test_the_counter_is_one_query_on_the_unread_index(app, participant):
    _make_notices(participant, 3)
    statements = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        assert following.unread_count(participant.id) == 3
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 1
    if db.engine.dialect.name == "sqlite":
        plan = db.session.execute(db.text(
            "EXPLAIN QUERY PLAN SELECT count(*) FROM notifications "
            "WHERE user_id = :u AND read_at IS NULL"), {"u": participant.id}).all()
        assert "ix_notifications_unread" in " ".join(str(row) for row in plan)


def test_unread_come_first_and_pages_never_skip_or_repeat(participant):
    made = _make_notices(participant, 7)
    for notice in made[1:4]:
        following.mark_read(participant, notice.id)
    seen, cursor = [], None
    while True:
        page = following.notifications(participant.id, cursor, limit=2)
        seen.extend(n.id for n in page.items)
        cursor = page.next
        if cursor is None:
            break
    unread = [n.id for n in reversed(made) if n.id not in {m.id for m in made[1:4]}]
    read = [n.id for n in reversed(made[1:4])]
    assert seen == unread + read


def test_marking_read_is_for_one_s_own_notifications_only(participant, other):
    [mine] = _make_notices(participant, 1)
    with pytest.raises(NotFound):
        following.mark_read(other, mine.id)
    with pytest.raises(NotFound):
        following.mark_read(other, 999999)
    assert following.unread_count(participant.id) == 1
    following.mark_read(participant, mine.id)
    following.mark_read(participant, mine.id)
    assert following.unread_count(participant.id) == 0


def test_mark_all_read_leaves_other_people_s_alone(participant, other):
    _make_notices(participant, 3)
    _make_notices(other, 2)
    assert following.mark_all_read(participant) == 3
    assert following.unread_count(participant.id) == 0
    assert following.unread_count(other.id) == 2


def test_a_tampered_cursor_is_refused(participant):
    with pytest.raises(following.BadFilter):
        following.notifications(participant.id, "x12")


# --- recent activity -------------------------------------------------------------------------


def test_recent_pages_are_keyset_newest_first_with_filters(definition, participant,
                                                           seed_revision):
    for index in range(5):
        commenting.add_comment(revision_id=seed_revision.id, author=participant,
                               body=f"Commentaire {index}")
    seen, before = [], None
    while True:
        page = following.recent_events(before=before, limit=2)
        seen.extend(e.id for e in page.items)
        if page.next is None:
            break
        before = int(page.next)
    all_ids = list(db.session.scalars(select(Event.id).order_by(Event.id.desc())))
    assert seen == all_ids
    comments = following.recent_events(kind="comment", definition_id=definition.id)
    assert len(comments.items) == 5 and {e.kind for e in comments.items} == {"comment"}
    with pytest.raises(following.BadFilter):
        following.recent_events(kind="vote")
