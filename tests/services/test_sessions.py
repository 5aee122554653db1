"""Training sessions in the services: dated phases, membership, invitations, the rules hooked
into remixing, editing and voting, and the synthesis. The clock moves with time-machine."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from wiki.errors import Conflict, InvalidInput, NotAllowed
from wiki.extensions import db
from wiki.models import Remix, Revision, SessionMember, TrainingSession, Vote
from wiki.services import remixing, sessions, voting
from wiki.services.editing import get_definition

SLUG = "strategie-numerique"
BASE = "Alpha bravo charlie.\n\nDelta echo foxtrot.\n\nGolf hotel india.\n"
# Early March 2030: Toronto is on EST (UTC−5), so 14:00 UTC is 9 h there.
CREATED = datetime(2030, 3, 1, 12, 0, tzinfo=UTC)
PROPOSITIONS = (datetime(2030, 3, 3, 14, 0, tzinfo=UTC), datetime(2030, 3, 5, 22, 0, tzinfo=UTC))
VOTES = (datetime(2030, 3, 6, 14, 0, tzinfo=UTC), datetime(2030, 3, 7, 22, 0, tzinfo=UTC))
SYNTHESE = (datetime(2030, 3, 8, 14, 0, tzinfo=UTC), datetime(2030, 3, 8, 22, 0, tzinfo=UTC))
DURING = {
    "avant": datetime(2030, 3, 2, 12, 0, tzinfo=UTC),
    "propositions": datetime(2030, 3, 4, 12, 0, tzinfo=UTC),
    "gap": datetime(2030, 3, 6, 2, 0, tzinfo=UTC),
    "votes": datetime(2030, 3, 7, 12, 0, tzinfo=UTC),
    "synthese": datetime(2030, 3, 8, 16, 0, tzinfo=UTC),
    "cloturee": datetime(2030, 3, 9, 12, 0, tzinfo=UTC),
}


def phases_json(**overrides):
    dates = {"propositions": PROPOSITIONS, "votes": VOTES, "synthese": SYNTHESE, **overrides}
    return [{"name": name, "starts_at": start.isoformat(), "ends_at": end.isoformat()}
            for name, (start, end) in dates.items()]


@pytest.fixture
def clock():
    with time_machine.travel(CREATED, tick=False) as traveller:
        yield traveller


@pytest.fixture
def definition(app):
    return get_definition(SLUG)


@pytest.fixture
def start(clock, moderator, save):
    return save(moderator, BASE).revision


@pytest.fixture
def training(start, moderator, definition):
    return sessions.create_session(definition_id=definition.id, name="Cohorte printemps 2030",
                                   phases=phases_json(), user=moderator)


@pytest.fixture
def member(create_user, training, moderator):
    user = create_user("membre", display_name="Mia Membre")
    sessions.add_member(training.id, moderator, "membre")
    return user


@pytest.fixture
def outsider(create_user, training):
    return create_user("dehors", display_name="Dora Dehors")


def fork(user, definition, title="Ma proposition"):
    return remixing.fork(definition_id=definition.id,
                         from_revision_id=definition.head_revision_id, title=title, owner=user)


def edit(user, remix, body):
    from wiki.services.editing import save_revision

    remix = db.session.get(Remix, remix.id)
    return save_revision(definition_id=remix.definition_id, remix_id=remix.id, raw_body=body,
                         summary="Retouche", base_revision_id=remix.head_revision_id, author=user)


# --- creating a session ----------------------------------------------------------------------

def test_a_moderator_creates_a_session_with_three_dated_phases(training):
    assert [p.name for p in training.phases] == ["propositions", "votes", "synthese"]
    assert training.timezone == "America/Toronto"
    assert training.phases[0].starts_at == PROPOSITIONS[0]
    assert sessions.current_phase(training) == "avant"


def test_phases_may_be_dated_in_the_past(start, moderator, definition):
    past = {name: (start_at - timedelta(days=60), end - timedelta(days=60))
            for name, (start_at, end) in
            {"propositions": PROPOSITIONS, "votes": VOTES, "synthese": SYNTHESE}.items()}
    training = sessions.create_session(definition_id=definition.id, name="Passée",
                                       phases=phases_json(**past), user=moderator)
    assert sessions.current_phase(training) == "cloturee"


def test_the_timezone_is_configurable_and_must_be_an_iana_name(start, moderator, definition):
    training = sessions.create_session(definition_id=definition.id, name="Paris",
                                       phases=phases_json(), user=moderator,
                                       timezone="Europe/Paris")
    assert training.timezone == "Europe/Paris"
    with pytest.raises(InvalidInput) as error:
        sessions.create_session(definition_id=definition.id, name="Ailleurs",
                                phases=phases_json(), user=moderator, timezone="Mars/Olympus")
    assert error.value.field == "timezone"


@pytest.mark.parametrize(("phases", "reason"), [
    ([{"name": "propositions", "starts_at": "2030-03-03T09:00:00", "ends_at":
       "2030-03-05T17:00:00-05:00"}, *phases_json()[1:]], "naive_date"),
    (phases_json(votes=(VOTES[1], VOTES[0])), "reversed"),
    (phases_json(votes=(PROPOSITIONS[1] - timedelta(hours=1), VOTES[1])), "overlap"),
    (phases_json(propositions=(VOTES[0], VOTES[1]), votes=PROPOSITIONS), "overlap"),
    (phases_json()[:2], "missing"),
    (phases_json() + phases_json()[:1], "duplicate"),
    ([{"name": "debat", "starts_at": PROPOSITIONS[0].isoformat(),
       "ends_at": PROPOSITIONS[1].isoformat()}], None),
    ([{"name": "votes", "starts_at": "le 3 mars", "ends_at": "le 4 mars"}], "invalid_date"),
    ("propositions", "missing"),
    (phases_json()[:2] + [{"name": "synthese", "starts_at": "9999-12-31T20:00:00-05:00",
                           "ends_at": "9999-12-31T23:00:00-05:00"}], "out_of_range"),
], ids=["naive", "reversed", "overlapping", "out-of-order", "missing-phase", "duplicate",
        "unknown-phase", "not-a-date", "not-a-list", "out-of-range"])
def test_bad_phases_are_refused_and_nothing_is_created(start, moderator, definition, phases,
                                                       reason):
    with pytest.raises(InvalidInput) as error:
        sessions.create_session(definition_id=definition.id, name="Cohorte", phases=phases,
                                user=moderator)
    assert error.value.status == 422
    assert error.value.field == "phases"
    if reason:
        assert error.value.details["reason"] == reason
    assert TrainingSession.query.count() == 0


def test_phases_may_touch_end_to_start(start, moderator, definition):
    training = sessions.create_session(
        definition_id=definition.id, name="Serrée", user=moderator,
        phases=phases_json(votes=(PROPOSITIONS[1], SYNTHESE[0])))
    with time_machine.travel(PROPOSITIONS[1], tick=False):
        assert sessions.current_phase(training) == "votes"


def test_two_sessions_of_one_definition_cannot_overlap(training, moderator, definition):
    with pytest.raises(InvalidInput) as error:
        sessions.create_session(definition_id=definition.id, name="Doublon",
                                phases=phases_json(), user=moderator)
    assert error.value.details["reason"] == "sessions_overlap"


def test_only_moderators_create_sessions(start, participant, definition):
    with pytest.raises(NotAllowed):
        sessions.create_session(definition_id=definition.id, name="Cohorte",
                                phases=phases_json(), user=participant)


def test_an_empty_name_is_refused(start, moderator, definition):
    with pytest.raises(InvalidInput) as error:
        sessions.create_session(definition_id=definition.id, name="  ", phases=phases_json(),
                                user=moderator)
    assert error.value.field == "name"


# --- the current phase -----------------------------------------------------------------------

@pytest.mark.parametrize(("moment", "phase"), [
    (DURING["avant"], "avant"),
    (PROPOSITIONS[0], "propositions"),
    (DURING["propositions"], "propositions"),
    (DURING["gap"], "propositions"),
    (VOTES[0], "votes"),
    (DURING["votes"], "votes"),
    (DURING["synthese"], "synthese"),
    (SYNTHESE[1] - timedelta(seconds=1), "synthese"),
    (SYNTHESE[1], "cloturee"),
    (DURING["cloturee"], "cloturee"),
], ids=["before", "first-instant", "propositions", "gap-keeps-the-ended-phase", "votes-open",
        "votes", "synthese", "last-second", "end", "closed"])
def test_the_current_phase_follows_the_clock(training, moment, phase):
    with time_machine.travel(moment, tick=False):
        assert sessions.current_phase(training) == phase


def test_phase_messages_are_french_sentences_in_the_session_time_zone(training, app):
    with app.test_request_context(headers={"Accept-Language": "fr"}):
        with time_machine.travel(DURING["propositions"], tick=False):
            assert sessions.opens_message(training, "votes", sessions.utcnow()) == \
                "Les votes ouvrent le 6 mars à 9 h."
        with time_machine.travel(DURING["avant"], tick=False):
            assert "Les propositions ouvrent le 3 mars à 9 h." in \
                sessions.status_message(training)


def test_the_first_of_the_month_reads_premier_and_minutes_are_kept(app):
    with app.test_request_context(headers={"Accept-Language": "fr"}):
        with time_machine.travel(CREATED, tick=False):
            moment = datetime(2030, 4, 1, 13, 30, tzinfo=UTC)
            assert sessions.format_moment(moment, "America/Toronto") == "1er avril à 9 h 30"
            assert sessions.format_moment(moment, "Europe/Paris") == "1er avril à 15 h 30"


def test_the_timeline_marks_today_between_phases(training):
    with time_machine.travel(DURING["gap"], tick=False):
        steps = sessions.timeline(training)
    assert [s.name for s in steps] == ["propositions", "today", "votes", "synthese"]
    assert [s.state for s in steps] == ["past", "current", "future", "future"]
    with time_machine.travel(DURING["votes"], tick=False):
        steps = sessions.timeline(training)
    assert [(s.name, s.state) for s in steps] == [
        ("propositions", "past"), ("votes", "current"), ("synthese", "future")]


# --- invitations and members -----------------------------------------------------------------

def test_an_invitation_code_makes_the_person_a_member(training, moderator, participant):
    invitation = sessions.create_invitation(training.id, moderator, VOTES[1].isoformat())
    joined = sessions.join(invitation.code, participant)
    assert joined.id == training.id
    assert db.session.get(SessionMember, (training.id, participant.id)) is not None
    sessions.join(invitation.code, participant)  # twice is harmless
    assert sessions.members_count(training) == 1


def test_an_expired_invitation_is_refused(training, moderator, participant):
    invitation = sessions.create_invitation(training.id, moderator, DURING["avant"].isoformat())
    with time_machine.travel(DURING["propositions"], tick=False):
        with pytest.raises(InvalidInput) as error:
            sessions.join(invitation.code, participant)
    assert error.value.code == "invitation_invalid"
    assert error.value.details["reason"] == "expired"
    assert sessions.members_count(training) == 0


def test_a_revoked_invitation_is_refused(training, moderator, participant):
    invitation = sessions.create_invitation(training.id, moderator, VOTES[1].isoformat())
    sessions.revoke_invitation(invitation.code, moderator)
    with pytest.raises(InvalidInput) as error:
        sessions.join(invitation.code, participant)
    assert error.value.code == "invitation_invalid"
    assert error.value.details["reason"] == "revoked"
    assert sessions.members_count(training) == 0


def test_an_unknown_code_is_refused(training, participant):
    with pytest.raises(InvalidInput) as error:
        sessions.join("pas-un-code", participant)
    assert error.value.code == "invitation_invalid"


@pytest.mark.parametrize(("expires_at", "reason"), [
    ("2030-02-01T00:00:00Z", "past"), ("2030-04-01T00:00:00", "naive_date"),
    (None, "missing_date")], ids=["past", "naive", "missing"])
def test_an_invitation_needs_a_future_expiry_with_an_offset(training, moderator, expires_at,
                                                            reason):
    with pytest.raises(InvalidInput) as error:
        sessions.create_invitation(training.id, moderator, expires_at)
    assert error.value.details["reason"] == reason


def test_only_moderators_invite_revoke_and_add_members(training, moderator, participant):
    invitation = sessions.create_invitation(training.id, moderator, VOTES[1].isoformat())
    with pytest.raises(NotAllowed):
        sessions.create_invitation(training.id, participant, VOTES[1].isoformat())
    with pytest.raises(NotAllowed):
        sessions.revoke_invitation(invitation.code, participant)
    with pytest.raises(NotAllowed):
        sessions.add_member(training.id, participant, "participant")


def test_a_moderator_adds_members_by_username(training, moderator, participant):
    sessions.add_member(training.id, moderator, "Participant")
    sessions.add_member(training.id, moderator, "participant")
    assert sessions.members_count(training) == 1
    with pytest.raises(InvalidInput) as error:
        sessions.add_member(training.id, moderator, "personne")
    assert error.value.field == "username"


# --- the rules while a session runs ----------------------------------------------------------

def test_remixing_stays_open_to_everyone_and_a_members_remix_belongs_to_the_session(
        training, member, outsider, definition):
    with time_machine.travel(DURING["votes"], tick=False):
        theirs = fork(outsider, definition)
        mine = fork(member, definition)
    assert theirs.session_id is None
    assert mine.session_id == training.id


def test_a_non_member_cannot_propose_during_a_session(training, outsider, definition):
    with time_machine.travel(DURING["propositions"], tick=False):
        remix = fork(outsider, definition)
        with pytest.raises(NotAllowed) as error:
            remixing.propose(remix.id, outsider)
    assert error.value.code == "not_a_member"
    assert error.value.status == 403
    assert db.session.get(Remix, remix.id).status == "draft"


def test_membership_is_checked_before_the_phase(training, outsider, definition):
    with time_machine.travel(DURING["votes"], tick=False):
        remix = fork(outsider, definition)
        with pytest.raises(NotAllowed) as error:
            remixing.propose(remix.id, outsider)
    assert error.value.code == "not_a_member"


def test_proposing_before_the_propositions_open_says_when_they_open(training, member,
                                                                    definition):
    with time_machine.travel(DURING["avant"], tick=False):
        remix = fork(member, definition)
        with pytest.raises(Conflict) as error:
            remixing.propose(remix.id, member)
    assert error.value.code == "phase_closed"
    assert error.value.status == 409
    assert error.value.details == {"phase": "avant", "needed_phase": "propositions",
                                   "opens_at": "2030-03-03T14:00:00Z",
                                   "session_id": training.id}
    assert error.value.message == "Les propositions ouvrent le 3 mars à 9 h."
    assert db.session.get(Remix, remix.id).status == "draft"


def test_proposing_during_the_votes_is_refused_without_opens_at(training, member, definition):
    with time_machine.travel(DURING["votes"], tick=False):
        remix = fork(member, definition)
        with pytest.raises(Conflict) as error:
            remixing.propose(remix.id, member)
    assert error.value.details["phase"] == "votes"
    assert error.value.details["needed_phase"] == "propositions"
    assert "opens_at" not in error.value.details
    assert error.value.message == "Les propositions sont closes depuis le 5 mars à 17 h."


def test_in_a_gap_the_phase_that_ended_allows_nothing_more(training, member, definition):
    with time_machine.travel(DURING["gap"], tick=False):
        assert sessions.current_phase(training) == "propositions"
        remix = fork(member, definition)
        with pytest.raises(Conflict) as error:
            remixing.propose(remix.id, member)
        assert "La phase « Propositions » est terminée depuis le 5 mars à 17 h. Les votes " \
               "ouvrent le 6 mars à 9 h." == sessions.status_message(training)
    assert error.value.details == {"phase": "propositions", "needed_phase": "propositions",
                                   "session_id": training.id}
    assert error.value.message == "Les propositions sont closes depuis le 5 mars à 17 h."


def test_a_member_proposes_during_the_propositions(training, member, definition):
    with time_machine.travel(DURING["propositions"], tick=False):
        remix = fork(member, definition)
        edit(member, remix, BASE.replace("bravo", "BRAVO"))
        proposed = remixing.propose(remix.id, member)
    assert proposed.status == "proposed"
    assert proposed.session_id == training.id


def test_moderators_count_as_members(training, moderator, definition):
    with time_machine.travel(DURING["propositions"], tick=False):
        remix = fork(moderator, definition)
        assert remixing.propose(remix.id, moderator).status == "proposed"
    assert remix.session_id == training.id


def test_a_remix_made_before_the_session_joins_it_when_a_member_proposes_it(
        start, moderator, definition, create_user):
    writer = create_user("autrice")
    remix = fork(writer, definition)
    training = sessions.create_session(definition_id=definition.id, name="Cohorte",
                                       phases=phases_json(), user=moderator)
    sessions.add_member(training.id, moderator, "autrice")
    with time_machine.travel(DURING["propositions"], tick=False):
        remixing.propose(remix.id, writer)
    assert db.session.get(Remix, remix.id).session_id == training.id


def test_propose_edit_by_a_non_member_leaves_no_remix_behind(training, outsider, definition):
    with time_machine.travel(DURING["propositions"], tick=False):
        with pytest.raises(NotAllowed):
            remixing.propose_edit(definition_id=definition.id,
                                  base_revision_id=definition.head_revision_id,
                                  raw_body=BASE + "Juliet.\n", summary="Ajout", title="Ajout",
                                  owner=outsider)
    assert Remix.query.count() == 0


@pytest.fixture
def proposal(training, member, definition):
    with time_machine.travel(DURING["propositions"], tick=False):
        remix = fork(member, definition)
        edit(member, remix, BASE.replace("bravo", "BRAVO"))
        remixing.propose(remix.id, member)
    return db.session.get(Remix, remix.id)


def test_a_proposal_edited_during_the_vote_phase_is_refused_and_unchanged(proposal, member):
    head = proposal.head_revision_id
    count = Revision.query.count()
    with time_machine.travel(DURING["votes"], tick=False):
        with pytest.raises(Conflict) as error:
            edit(member, proposal, BASE.replace("echo", "ECHO"))
    assert error.value.code == "phase_closed"
    assert error.value.details["phase"] == "votes"
    assert error.value.details["needed_phase"] == "propositions"
    assert "figées" in error.value.message
    assert db.session.get(Remix, proposal.id).head_revision_id == head
    assert Revision.query.count() == count


def test_updating_a_proposal_from_the_official_line_during_the_votes_is_refused(
        proposal, member, moderator, save):
    with time_machine.travel(DURING["propositions"], tick=False):
        save(moderator, BASE.replace("india", "INDIA"))
    with time_machine.travel(DURING["votes"], tick=False):
        with pytest.raises(Conflict):
            remixing.update_from_official(proposal.id, member)


def test_a_draft_of_the_session_can_still_be_edited_during_the_votes(training, member,
                                                                     definition):
    with time_machine.travel(DURING["votes"], tick=False):
        remix = fork(member, definition)
        assert edit(member, remix, BASE.replace("echo", "ECHO")).created


def test_a_proposal_is_editable_during_the_propositions(proposal, member):
    with time_machine.travel(DURING["propositions"] + timedelta(hours=1), tick=False):
        assert edit(member, proposal, BASE.replace("echo", "ECHO")).created


def test_voting_before_the_votes_open_says_when(proposal, member, app):
    with app.test_request_context(headers={"Accept-Language": "fr"}):
        with time_machine.travel(DURING["propositions"], tick=False):
            with pytest.raises(Conflict) as error:
                voting.cast_vote(member.id, proposal.head_revision_id, "plebisciter")
    assert error.value.details["phase"] == "propositions"
    assert error.value.details["needed_phase"] == "votes"
    assert error.value.details["opens_at"] == "2030-03-06T14:00:00Z"
    assert error.value.message == "Les votes ouvrent le 6 mars à 9 h."
    assert Vote.query.count() == 0


def test_members_vote_during_the_votes(proposal, member, moderator):
    with time_machine.travel(DURING["votes"], tick=False):
        assert voting.cast_vote(member.id, proposal.head_revision_id, "plebisciter")[
            "votes"] == {"plebisciter": 1, "rejeter": 0}
        voting.cast_vote(moderator.id, proposal.head_revision_id, "rejeter")


def test_a_vote_after_the_vote_phase_is_refused_and_nothing_changes(proposal, member):
    with time_machine.travel(DURING["votes"], tick=False):
        voting.cast_vote(member.id, proposal.head_revision_id, "plebisciter")
    with time_machine.travel(DURING["synthese"], tick=False):
        with pytest.raises(Conflict) as error:
            voting.cast_vote(member.id, proposal.head_revision_id, "rejeter")
        with pytest.raises(Conflict):
            voting.withdraw_vote(member.id, proposal.head_revision_id)
    assert error.value.details["phase"] == "synthese"
    assert "opens_at" not in error.value.details
    assert [v.choice for v in Vote.query.all()] == ["plebisciter"]


def test_a_non_member_cannot_vote_on_the_sessions_proposals(proposal, outsider):
    with time_machine.travel(DURING["votes"], tick=False):
        with pytest.raises(NotAllowed) as error:
            voting.cast_vote(outsider.id, proposal.head_revision_id, "plebisciter")
    assert error.value.code == "not_a_member"
    assert Vote.query.count() == 0


def test_votes_on_the_official_line_are_not_phased(training, outsider, definition):
    with time_machine.travel(DURING["propositions"], tick=False):
        voting.cast_vote(outsider.id, definition.head_revision_id, "plebisciter")
    assert Vote.query.count() == 1


def test_outside_sessions_nothing_is_phased(proposal, outsider, member, definition):
    with time_machine.travel(DURING["cloturee"], tick=False):
        remix = fork(outsider, definition)
        assert remixing.propose(remix.id, outsider).status == "proposed"
        voting.cast_vote(outsider.id, proposal.head_revision_id, "plebisciter")
        assert edit(member, proposal, BASE.replace("golf", "GOLF")).created


# --- the synthesis ---------------------------------------------------------------------------

def test_start_and_end_revisions_follow_the_official_line(training, proposal, moderator, save,
                                                          start):
    with time_machine.travel(DURING["avant"], tick=False):
        before_start = save(moderator, BASE.replace("Alpha", "ALPHA")).revision
    with time_machine.travel(DURING["synthese"], tick=False):
        merged = remixing.merge_remix(proposal.id, moderator, {})
        report = sessions.synthesis(training)
        assert report["start"].id == before_start.id
        assert report["end"].id == merged.id
        assert not report["final"]
    with time_machine.travel(DURING["cloturee"], tick=False):
        save(moderator, BASE.replace("hotel", "HOTEL"))
        report = sessions.synthesis(training)
    assert report["end"].id == merged.id
    assert report["final"]
    assert report["comparison"].stats.inserted_words == 1
    assert report["comparison"].stats.deleted_words == 1


def test_the_start_is_the_head_at_creation_when_the_first_phase_is_earlier(
        start, moderator, definition, save):
    with time_machine.travel(DURING["propositions"], tick=False):
        training = sessions.create_session(definition_id=definition.id, name="Tardive",
                                           phases=phases_json(), user=moderator)
    with time_machine.travel(DURING["propositions"] + timedelta(hours=1), tick=False):
        later = save(moderator, BASE.replace("Alpha", "ALPHA")).revision
        report = sessions.synthesis(training)
    assert report["start"].id == start.id
    assert report["end"].id == later.id


def test_outcomes_votes_and_shares_of_the_synthesis(training, member, moderator, definition,
                                                    create_user, save):
    second = create_user("deuxieme", display_name="Dé Deuxième")
    sessions.add_member(training.id, moderator, "deuxieme")
    texts = {
        "fusion": BASE.replace("bravo", "BRAVO"),
        "partielle": BASE.replace("charlie", "CHARLIE").replace("india", "INDIA"),
        "refus": BASE.replace("Delta", "DELTA"),
        "retrait": BASE.replace("echo", "ECHO"),
        "ouverte": BASE.replace("foxtrot", "FOXTROT"),
    }
    remixes = {}
    with time_machine.travel(DURING["propositions"], tick=False):
        for title, text in texts.items():
            owner = member if title != "ouverte" else second
            remix = fork(owner, definition, title)
            edit(owner, remix, text)
            remixing.propose(remix.id, owner)
            remixes[title] = remix.id
        draft = fork(member, definition, "brouillon")
    with time_machine.travel(DURING["votes"], tick=False):
        voting.cast_vote(second.id, db.session.get(Remix, remixes["fusion"]).head_revision_id,
                         "plebisciter")
        voting.cast_vote(moderator.id,
                         db.session.get(Remix, remixes["fusion"]).head_revision_id, "rejeter")
    with time_machine.travel(DURING["synthese"], tick=False):
        remixing.merge_remix(remixes["fusion"], moderator, {})
        preview = remixing.merge_preview(remixes["partielle"], moderator)
        choices = {str(r["index"]): "take" for r in preview["regions"]}
        choices[str(preview["regions"][-1]["index"])] = "leave"
        remixing.merge_remix(remixes["partielle"], moderator,
                             {"fingerprint": preview["fingerprint"], "regions": choices})
        remixing.decline(remixes["refus"], moderator, "Hors sujet")
        remixing.withdraw(remixes["retrait"], member)
        report = sessions.synthesis(training)
    outcomes = {row["remix"].title: row["outcome"] for row in report["proposals"]}
    assert outcomes == {"fusion": "merged", "partielle": "partly_merged", "refus": "declined",
                        "retrait": "declined", "ouverte": "open"}
    assert draft.id not in [row["remix"].id for row in report["proposals"]]
    votes = {row["remix"].title: row["votes"] for row in report["proposals"]}
    assert votes["fusion"] == {"current": {"plebisciter": 1, "rejeter": 1},
                               "earlier": {"plebisciter": 0, "rejeter": 0}}
    shares = {c.display_name: c.share for c in report["contributors"]}
    assert set(shares) == {"Marie Modératrice", "Mia Membre"}
    assert abs(sum(shares.values()) - 1) < 0.001
    assert all(0 < share <= 1 for share in shares.values())


def test_the_participant_view_sorts_the_others_by_wilson_bound_or_date(
        training, member, moderator, definition, create_user):
    voters = [create_user(f"votant{i}") for i in range(3)]
    for voter in voters:
        sessions.add_member(training.id, moderator, voter.username)
    ids = []
    with time_machine.travel(DURING["propositions"], tick=True):
        for title in ("premiere", "deuxieme"):
            remix = fork(moderator, definition, title)
            edit(moderator, remix, BASE + title + "\n")
            remixing.propose(remix.id, moderator)
            ids.append(remix.id)
        mine = fork(member, definition, "la mienne")
    with time_machine.travel(DURING["votes"], tick=False):
        first_head = db.session.get(Remix, ids[0]).head_revision_id
        for voter in voters:
            voting.cast_vote(voter.id, first_head, "plebisciter")
    by_votes = sessions.participant_view(training, member, "votes")
    assert [r["remix"].title for r in by_votes["others"]] == ["premiere", "deuxieme"]
    assert [r["remix"].id for r in by_votes["mine"]] == [mine.id]
    by_date = sessions.participant_view(training, member, "date")
    assert [r["remix"].title for r in by_date["others"]] == ["deuxieme", "premiere"]
