"""« Activité récente », follow buttons, notifications and the moderator dashboard, as pages."""

import re

import pytest
from sqlalchemy import select

from wiki.extensions import db
from wiki.models import Follow, Notification, Vote
from wiki.services import commenting, following, remixing, voting
from wiki.services.editing import get_definition

SLUG = "strategie-numerique"


@pytest.fixture
def definition(app):
    return get_definition(SLUG)


@pytest.fixture
def proposal(definition, participant, seed_revision):
    revision = remixing.propose_edit(
        definition_id=definition.id, base_revision_id=seed_revision.id,
        raw_body=seed_revision.body + "\nUne phrase de plus.\n", summary="Ajout",
        title="Remix sectoriel", owner=participant)
    return remixing.get_remix(revision.remix_id)


def notices(user):
    return list(db.session.scalars(select(Notification).where(Notification.user_id == user.id)
                                   .order_by(Notification.id)))


# --- « Activité récente » ---------------------------------------------------------------------


def test_recent_lists_activity_newest_first_with_links_and_word_counts(
        client, moderator, participant, save, seed_revision, proposal):
    edit = save(moderator, seed_revision.body + "\nDeux mots.\n", summary="Précision").revision
    comment = commenting.add_comment(revision_id=edit.id, author=participant, body="Oui")
    page = client.get("/recent")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    edit_link = f'href="/revisions/{edit.id}"'
    assert html.index(f"#commentaire-{comment.id}") < html.index(edit_link)
    assert html.index(edit_link) < html.index(f'href="/remixes/{proposal.id}"')
    assert f'href="/compare?from={seed_revision.id}&amp;to={edit.id}"' in html
    assert "+2</span>" in html and "−0</span>" in html
    assert "Précision" in html and "Marie Modératrice" in html
    assert 'type="application/atom+xml"' in html


def test_recent_filters_by_kind_and_definition(client, participant, seed_revision, proposal):
    commenting.add_comment(revision_id=seed_revision.id, author=participant, body="Oui")
    html = client.get(f"/recent?type=comment&definition={SLUG}").get_data(as_text=True)
    items = re.findall(r'<li class="event event-(\w+)"', html)
    assert items == ["comment"]
    assert '<option value="comment" selected>' in html
    proposals = client.get("/recent?type=proposal").get_data(as_text=True)
    assert re.findall(r'<li class="event event-(\w+)"', proposals) == ["proposal"]


def test_recent_is_paginated_by_keyset(client, participant, seed_revision, monkeypatch):
    monkeypatch.setattr(following, "PAGE", 3)
    for index in range(5):
        commenting.add_comment(revision_id=seed_revision.id, author=participant,
                               body=f"Commentaire {index}")
    first = client.get("/recent").get_data(as_text=True)
    assert len(re.findall(r'<li class="event', first)) == 3
    [cursor] = re.findall(r'href="/recent\?avant=(\d+)"', first)
    second = client.get(f"/recent?avant={cursor}").get_data(as_text=True)
    assert len(re.findall(r'<li class="event', second)) == 3  # 2 comments + the seed
    assert "/recent?avant=" not in second
    seen = re.findall(r"#commentaire-(\d+)", first + second)
    assert sorted(seen, key=int, reverse=True) == seen and len(set(seen)) == 5


@pytest.mark.parametrize(("query", "status"), [
    ("type=vote", 400), ("definition=inconnue", 404), ("avant=abc", 200),
    ("avant=99999999999999999999999", 200),
], ids=["unknown-kind", "unknown-definition", "cursor-not-a-number", "cursor-huge"])
def test_recent_answers_bad_filters_clearly(client, query, status):
    response = client.get(f"/recent?{query}")
    assert response.status_code == status
    assert "<html" in response.get_data(as_text=True)


def test_an_empty_selection_says_so(client):
    html = client.get("/recent?type=decline").get_data(as_text=True)
    assert "Aucune activité pour cette sélection." in html


# --- follows -----------------------------------------------------------------------------------


def test_following_a_definition_from_its_page_is_idempotent(client, auth, participant,
                                                            definition):
    auth.login("participant")
    assert "Suivre</button>" in client.get(f"/definitions/{SLUG}").get_data(as_text=True)
    for _ in range(2):
        response = client.post(f"/definitions/{SLUG}/follow", data={"next": f"/definitions/{SLUG}"})
        assert response.status_code == 302
        assert response.headers["Location"].endswith(f"/definitions/{SLUG}")
    assert db.session.query(Follow).count() == 1
    page = client.get(f"/definitions/{SLUG}").get_data(as_text=True)
    assert f'action="/definitions/{SLUG}/unfollow"' in page
    client.post(f"/definitions/{SLUG}/unfollow")
    assert db.session.query(Follow).count() == 0


def test_following_a_remix_from_its_page(client, auth, create_user, proposal):
    create_user("lectrice")
    auth.login("lectrice")
    client.post(f"/remixes/{proposal.id}/follow")
    client.post(f"/remixes/{proposal.id}/follow")
    [row] = db.session.scalars(select(Follow)).all()
    assert row.remix_id == proposal.id
    page = client.get(f"/remixes/{proposal.id}").get_data(as_text=True)
    assert f'action="/remixes/{proposal.id}/unfollow"' in page


def test_following_a_remix_that_does_not_exist_is_a_404(client, auth, participant):
    auth.login("participant")
    assert client.post("/remixes/999999/follow").status_code == 404
    assert client.post("/definitions/inconnue/follow").status_code == 404
    assert db.session.query(Follow).count() == 0


@pytest.mark.parametrize("path", [f"/definitions/{SLUG}/follow", "/remixes/1/follow",
                                  "/notifications", "/notifications/read",
                                  "/notifications/1/read", "/notifications/1/maintain"])
def test_following_and_notifications_need_an_account(client, proposal, path):
    response = client.post(path) if path != "/notifications" else client.get(path)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_anonymous_readers_get_a_login_link_to_follow_and_no_cookie(client):
    response = client.get(f"/definitions/{SLUG}")
    html = response.get_data(as_text=True)
    assert "Set-Cookie" not in response.headers
    assert "csrf_token" not in html
    assert f'/login?next=/definitions/{SLUG}">Suivre</a>' in html


# --- notifications ---------------------------------------------------------------------------


def test_the_header_counts_unread_notifications(client, auth, participant, moderator,
                                                seed_revision):
    root = commenting.add_comment(revision_id=seed_revision.id, author=participant, body="A")
    commenting.add_comment(revision_id=seed_revision.id, author=moderator, body="B",
                           parent_id=root.id)
    auth.login("participant")
    html = client.get("/").get_data(as_text=True)
    assert re.search(r'href="/notifications"[^>]*>Notifications <span class="tag"[^>]*>1</span>',
                     html)


def test_the_notifications_page_lists_unread_first_and_marks_them_read(
        client, auth, participant, moderator, seed_revision):
    root = commenting.add_comment(revision_id=seed_revision.id, author=participant, body="A")
    commenting.add_comment(revision_id=seed_revision.id, author=moderator, body="B",
                           parent_id=root.id)
    commenting.set_hidden(root.id, moderator, True, "Hors sujet")
    reply, hidden = notices(participant)
    auth.login("participant")
    client.post(f"/notifications/{hidden.id}/read")
    html = client.get("/notifications").get_data(as_text=True)
    assert html.index(f'id="notification-{reply.id}"') < html.index(
        f'id="notification-{hidden.id}"')
    assert "Marie Modératrice a répondu à votre commentaire." in html
    assert "Raison : Hors sujet" in html
    assert html.count("Marquer comme lue") == 1
    response = client.post("/notifications/read")
    assert response.status_code == 302
    assert following.unread_count(participant.id) == 0
    assert "Tout marquer comme lu" not in client.get("/notifications").get_data(as_text=True)


def test_marking_another_user_s_notification_read_is_a_404(client, auth, participant,
                                                           moderator, create_user,
                                                           seed_revision):
    root = commenting.add_comment(revision_id=seed_revision.id, author=participant, body="A")
    commenting.add_comment(revision_id=seed_revision.id, author=moderator, body="B",
                           parent_id=root.id)
    [notice] = notices(participant)
    create_user("curieuse")
    auth.login("curieuse")
    assert client.post(f"/notifications/{notice.id}/read").status_code == 404
    assert client.post(f"/notifications/{notice.id}/maintain").status_code == 404
    assert client.post("/notifications/999999/read").status_code == 404
    assert following.unread_count(participant.id) == 1


def test_an_empty_notifications_page_says_how_to_get_some(client, auth, participant):
    auth.login("participant")
    html = client.get("/notifications").get_data(as_text=True)
    assert "Aucune notification pour l’instant." in html


def test_a_tampered_notifications_cursor_is_a_400(client, auth, participant):
    auth.login("participant")
    assert client.get("/notifications?curseur=zz").status_code == 400


def test_a_voter_is_shown_the_diff_and_keeps_their_vote_in_one_click(
        client, auth, create_user, participant, proposal, save, seed_revision):
    voter = create_user("votante")
    first = proposal.head_revision_id
    voting.cast_vote(voter.id, first, "plebisciter", "Clair")
    second = save(participant, seed_revision.body + "\nUne autre phrase.\n",
                  remix_id=proposal.id).revision
    [notice] = notices(voter)
    auth.login("votante")
    html = client.get("/notifications").get_data(as_text=True)
    assert f'href="/compare?from={first}&amp;to={second.id}"' in html
    assert "Je maintiens mon vote" in html
    for _ in range(2):  # a second click (another tab) changes nothing
        response = client.post(f"/notifications/{notice.id}/maintain")
        assert response.status_code == 302
        assert response.headers["Location"].endswith(f"/remixes/{proposal.id}")
    votes = {(v.revision_id, v.choice) for v in db.session.scalars(
        select(Vote).where(Vote.user_id == voter.id))}
    assert votes == {(first, "plebisciter"), (second.id, "plebisciter")}
    assert following.unread_count(voter.id) == 0
    assert remixing.remix_votes(remixing.get_remix(proposal.id))["current"] == {
        "plebisciter": 1, "rejeter": 0}


def test_only_a_vote_notice_can_carry_a_vote(client, auth, participant, moderator,
                                             seed_revision):
    root = commenting.add_comment(revision_id=seed_revision.id, author=participant, body="A")
    commenting.add_comment(revision_id=seed_revision.id, author=moderator, body="B",
                           parent_id=root.id)
    [notice] = notices(participant)
    auth.login("participant")
    assert client.post(f"/notifications/{notice.id}/maintain").status_code == 404
    assert db.session.query(Vote).count() == 0


def test_a_notice_for_each_kind_renders(client, auth, participant, moderator, create_user,
                                        definition, seed_revision, save):
    remix = remixing.fork(definition_id=definition.id, from_revision_id=seed_revision.id,
                          title="Le mien", owner=participant)
    save(participant, seed_revision.body + "\nMien.\n", remix_id=remix.id)
    remixing.propose(remix.id, participant)
    other = create_user("autre")
    remixing.fork(definition_id=definition.id, from_revision_id=remix.head_revision_id,
                  title="Le sien", owner=other)
    remixing.decline(remix.id, moderator, "Pas maintenant")
    following.follow(participant, definition_id=definition.id)
    save(moderator, seed_revision.body + "\nOfficiel.\n", summary="Mise au point")
    auth.login("participant")
    html = client.get("/notifications").get_data(as_text=True)
    assert "autre a remixé votre remix « Le mien » : « Le sien »." in html
    assert "a été refusée par Marie Modératrice. Raison : Pas maintenant" in html
    assert "Nouvelle révision" in html and "Mise au point" in html


# --- moderator dashboard -----------------------------------------------------------------------


def test_the_dashboard_shows_proposals_with_their_tallies_reports_and_the_log(
        client, auth, moderator, participant, create_user, proposal, seed_revision):
    voters = [create_user(f"votant{i}") for i in range(3)]
    voting.cast_vote(voters[0].id, proposal.head_revision_id, "plebisciter")
    voting.cast_vote(voters[1].id, proposal.head_revision_id, "plebisciter")
    voting.cast_vote(voters[2].id, proposal.head_revision_id, "rejeter")
    comment = commenting.add_comment(revision_id=seed_revision.id, author=participant,
                                     body="Spam")
    commenting.report(comment.id, voters[0], "Publicité")
    other = commenting.add_comment(revision_id=seed_revision.id, author=participant, body="X")
    commenting.set_hidden(other.id, moderator, True, "Doublon")
    auth.login("moderatrice")
    html = client.get("/moderation").get_data(as_text=True)
    assert "Remix sectoriel" in html
    assert "2 pour, 1 contre sur cette version" in html
    assert "Publicité" in html
    assert "commentaire masqué" in html and "Doublon" in html


def test_the_dashboard_counts_votes_on_earlier_versions_apart(
        client, auth, moderator, participant, create_user, proposal, save, seed_revision):
    voter = create_user("ancienne")
    voting.cast_vote(voter.id, proposal.head_revision_id, "rejeter")
    save(participant, seed_revision.body + "\nVersion deux.\n", remix_id=proposal.id)
    auth.login("moderatrice")
    html = client.get("/moderation").get_data(as_text=True)
    assert "0 pour, 0 contre sur cette version" in html
    assert "0 pour, 1 contre sur une version antérieure" in html


def test_an_empty_dashboard_says_so(client, auth, moderator):
    auth.login("moderatrice")
    html = client.get("/moderation").get_data(as_text=True)
    assert "Aucune proposition en attente." in html
    assert "Aucun signalement en attente." in html


@pytest.mark.parametrize(("who", "status"), [(None, 302), ("participant", 403)],
                         ids=["anonymous", "participant"])
def test_the_dashboard_is_for_moderators(client, auth, participant, who, status):
    if who:
        auth.login(who)
    assert client.get("/moderation").status_code == status
