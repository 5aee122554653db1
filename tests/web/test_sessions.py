"""Training sessions through the API: sessions, invitations, membership, phased actions and the
synthesis (API.md), with the clock moved by time-machine."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from wiki.extensions import db
from wiki.models import Invitation, Remix, Revision, SessionMember, TrainingSession, Vote

SLUG = "strategie-numerique"
BASE = "Alpha bravo charlie.\n\nDelta echo foxtrot.\n\nGolf hotel india.\n"
CREATED = datetime(2030, 3, 1, 12, 0, tzinfo=UTC)
PHASES = [
    {"name": "propositions", "starts_at": "2030-03-03T09:00:00-05:00",
     "ends_at": "2030-03-05T17:00:00-05:00"},
    {"name": "votes", "starts_at": "2030-03-06T14:00:00Z", "ends_at": "2030-03-07T22:00:00Z"},
    {"name": "synthese", "starts_at": "2030-03-08T14:00:00Z",
     "ends_at": "2030-03-08T22:00:00Z"},
]
AT = {
    "avant": datetime(2030, 3, 2, 12, 0, tzinfo=UTC),
    "propositions": datetime(2030, 3, 4, 12, 0, tzinfo=UTC),
    "votes": datetime(2030, 3, 7, 12, 0, tzinfo=UTC),
    "synthese": datetime(2030, 3, 8, 16, 0, tzinfo=UTC),
    "cloturee": datetime(2030, 3, 9, 12, 0, tzinfo=UTC),
}
FR = {"Accept-Language": "fr"}


@pytest.fixture
def clock():
    with time_machine.travel(CREATED, tick=False) as traveller:
        yield traveller


@pytest.fixture
def mod_headers(clock, moderator, token_for, save):
    save(moderator, BASE)
    return {**token_for(moderator), **FR}


@pytest.fixture
def session_json(client, mod_headers):
    response = client.post(f"/api/v1/definitions/{SLUG}/sessions", headers=mod_headers,
                           json={"name": "Cohorte printemps 2030", "phases": PHASES})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


@pytest.fixture
def member(client, create_user, token_for, session_json, mod_headers):
    user = create_user("membre", display_name="Mia Membre")
    response = client.post(f"/api/v1/sessions/{session_json['id']}/members",
                           json={"username": "membre"}, headers=mod_headers)
    assert response.status_code == 200
    return {**token_for(user), **FR}


@pytest.fixture
def outsider(create_user, token_for, session_json):
    return {**token_for(create_user("dehors")), **FR}


def make_proposal(client, headers, title="Ma proposition", body=None):
    head = client.get(f"/api/v1/definitions/{SLUG}").get_json()["head"]["id"]
    remix = client.post(f"/api/v1/definitions/{SLUG}/remixes", headers=headers, json={
        "from_revision_id": head, "title": title}).get_json()
    client.post(f"/api/v1/remixes/{remix['id']}/revisions", headers=headers, json={
        "body": body or BASE.replace("bravo", "BRAVO"), "summary": "Retouche",
        "base_revision_id": remix["head_revision_id"]})
    return client.post(f"/api/v1/remixes/{remix['id']}/propose", headers=headers)


def test_creating_a_session_answers_the_session_object(session_json):
    assert session_json["definition"] == SLUG
    assert session_json["name"] == "Cohorte printemps 2030"
    assert session_json["timezone"] == "America/Toronto"
    assert session_json["phases"][0] == {"name": "propositions",
                                         "starts_at": "2030-03-03T14:00:00Z",
                                         "ends_at": "2030-03-05T22:00:00Z"}
    assert session_json["current_phase"] == "avant"
    assert session_json["members_count"] == 0
    assert "Les propositions ouvrent le 3 mars à 9 h." in session_json["status_message"]


@pytest.mark.parametrize(("payload", "field"), [
    ({"name": "x", "phases": [{**PHASES[0], "starts_at": "2030-03-03T09:00:00"},
                              *PHASES[1:]]}, "phases"),
    ({"name": "x", "phases": [PHASES[0], {**PHASES[1], "starts_at": PHASES[1]["ends_at"],
                                          "ends_at": PHASES[1]["starts_at"]}, PHASES[2]]},
     "phases"),
    ({"name": "x", "phases": [PHASES[0], {**PHASES[1], "starts_at": "2030-03-05T12:00:00Z"},
                              PHASES[2]]}, "phases"),
    ({"name": "x", "phases": PHASES, "timezone": "Quebec/Nowhere"}, "timezone"),
    ({"name": "", "phases": PHASES}, "name"),
    ({"name": "x"}, "phases"),
], ids=["naive", "reversed", "overlapping", "unknown-timezone", "empty-name", "no-phases"])
def test_bad_sessions_are_refused_with_422(client, mod_headers, payload, field):
    response = client.post(f"/api/v1/definitions/{SLUG}/sessions", headers=mod_headers,
                           json=payload)
    assert response.status_code == 422
    assert response.get_json()["error"]["details"]["field"] == field
    assert TrainingSession.query.count() == 0


def test_only_moderators_create_sessions(client, mod_headers, participant, token_for):
    url = f"/api/v1/definitions/{SLUG}/sessions"
    assert client.post(url, json={"name": "x", "phases": PHASES}).status_code == 401
    response = client.post(url, json={"name": "x", "phases": PHASES},
                           headers=token_for(participant))
    assert response.status_code == 403


def test_sessions_are_listed_and_read_by_anyone(client, session_json):
    listed = client.get(f"/api/v1/definitions/{SLUG}/sessions").get_json()
    assert [s["id"] for s in listed["items"]] == [session_json["id"]]
    assert listed["next"] is None
    one = client.get(f"/api/v1/sessions/{session_json['id']}").get_json()
    assert one["name"] == session_json["name"]
    assert client.get("/api/v1/sessions/999").status_code == 404
    assert client.get(f"/api/v1/definitions/{SLUG}/sessions?limit=abc").status_code == 400


def test_the_current_phase_moves_with_the_clock(client, session_json):
    for phase, moment in AT.items():
        with time_machine.travel(moment, tick=False):
            got = client.get(f"/api/v1/sessions/{session_json['id']}").get_json()
        assert got["current_phase"] == phase


def test_invitations_are_created_revoked_and_joined(client, session_json, mod_headers,
                                                    participant, token_for):
    sid = session_json["id"]
    created = client.post(f"/api/v1/sessions/{sid}/invitations", headers=mod_headers,
                          json={"expires_at": "2030-03-06T00:00:00Z"})
    assert created.status_code == 201
    invitation = created.get_json()
    assert invitation["url"].endswith(f"/sessions/join/{invitation['code']}")
    assert invitation["expires_at"] == "2030-03-06T00:00:00Z"
    joined = client.post("/api/v1/sessions/join", json={"code": invitation["code"]},
                         headers=token_for(participant))
    assert joined.status_code == 200
    assert joined.get_json()["members_count"] == 1
    revoked = client.delete(f"/api/v1/invitations/{invitation['code']}", headers=mod_headers)
    assert revoked.status_code == 200
    assert revoked.get_json()["revoked"] is True
    assert client.delete("/api/v1/invitations/nope", headers=mod_headers).status_code == 404


@pytest.mark.parametrize("how", ["expired", "revoked", "unknown"])
def test_an_expired_or_revoked_code_is_refused(client, session_json, mod_headers, participant,
                                               token_for, how):
    code = "inconnu"
    if how != "unknown":
        code = client.post(f"/api/v1/sessions/{session_json['id']}/invitations",
                           headers=mod_headers,
                           json={"expires_at": "2030-03-02T00:00:00Z"}).get_json()["code"]
    if how == "revoked":
        client.delete(f"/api/v1/invitations/{code}", headers=mod_headers)
    with time_machine.travel(AT["propositions"] if how == "expired" else CREATED, tick=False):
        response = client.post("/api/v1/sessions/join", json={"code": code},
                               headers={**token_for(participant), **FR})
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "invitation_invalid"
    assert error["message"]
    assert SessionMember.query.count() == 0


def test_joining_needs_an_account(client, session_json):
    assert client.post("/api/v1/sessions/join", json={"code": "x"}).status_code == 401


def test_moderators_add_members_by_username(client, session_json, mod_headers, participant,
                                            token_for):
    url = f"/api/v1/sessions/{session_json['id']}/members"
    response = client.post(url, json={"username": "participant"}, headers=mod_headers)
    assert response.status_code == 200
    assert response.get_json()["members_count"] == 1
    unknown = client.post(url, json={"username": "personne"}, headers=mod_headers)
    assert unknown.status_code == 422
    assert unknown.get_json()["error"]["details"]["field"] == "username"
    assert client.post(url, json={"username": "participant"},
                       headers=token_for(participant)).status_code == 403


def test_invitation_management_is_for_moderators(client, session_json, participant, token_for):
    response = client.post(f"/api/v1/sessions/{session_json['id']}/invitations",
                           json={"expires_at": "2030-03-06T00:00:00Z"},
                           headers=token_for(participant))
    assert response.status_code == 403
    assert Invitation.query.count() == 0


def test_a_non_member_gets_403_not_a_member_when_proposing(client, session_json, outsider):
    with time_machine.travel(AT["propositions"], tick=False):
        response = make_proposal(client, outsider)
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "not_a_member"
    assert Remix.query.one().status == "draft"


def test_proposing_before_the_phase_answers_409_phase_closed_with_opens_at(client, member):
    with time_machine.travel(AT["avant"], tick=False):
        response = make_proposal(client, member)
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "phase_closed"
    assert error["details"]["phase"] == "avant"
    assert error["details"]["needed_phase"] == "propositions"
    assert error["details"]["opens_at"] == "2030-03-03T14:00:00Z"
    assert error["message"] == "Les propositions ouvrent le 3 mars à 9 h."


def test_a_proposal_of_the_session_carries_its_session_id(client, member, session_json):
    with time_machine.travel(AT["propositions"], tick=False):
        response = make_proposal(client, member)
    assert response.status_code == 200
    assert response.get_json()["session_id"] == session_json["id"]
    assert response.get_json()["status"] == "proposed"


@pytest.fixture
def proposal(client, member):
    with time_machine.travel(AT["propositions"], tick=False):
        return make_proposal(client, member).get_json()


def test_a_proposal_edited_during_the_vote_phase_is_refused(client, proposal, member):
    count = Revision.query.count()
    with time_machine.travel(AT["votes"], tick=False):
        response = client.post(f"/api/v1/remixes/{proposal['id']}/revisions", headers=member,
                               json={"body": BASE.replace("echo", "ECHO"), "summary": "Tard",
                                     "base_revision_id": proposal["head_revision_id"]})
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "phase_closed"
    assert error["details"]["phase"] == "votes"
    assert "opens_at" not in error["details"]
    assert Revision.query.count() == count


def test_votes_open_only_during_the_vote_phase(client, proposal, member):
    url = f"/api/v1/revisions/{proposal['head_revision_id']}/vote"
    with time_machine.travel(AT["propositions"], tick=False):
        early = client.put(url, json={"choice": "plebisciter"}, headers=member)
    assert early.status_code == 409
    assert early.get_json()["error"]["details"]["opens_at"] == "2030-03-06T14:00:00Z"
    assert early.get_json()["error"]["message"] == "Les votes ouvrent le 6 mars à 9 h."
    with time_machine.travel(AT["votes"], tick=False):
        assert client.put(url, json={"choice": "plebisciter"}, headers=member).status_code == 200
    with time_machine.travel(AT["synthese"], tick=False):
        late = client.put(url, json={"choice": "rejeter"}, headers=member)
        withdrawn = client.delete(url, headers=member)
    assert late.status_code == 409
    assert late.get_json()["error"]["details"] == {
        "phase": "synthese", "needed_phase": "votes", "session_id": proposal["session_id"]}
    assert withdrawn.status_code == 409
    assert [v.choice for v in Vote.query.all()] == ["plebisciter"]


def test_a_non_member_cannot_vote_on_a_proposal_of_the_session(client, proposal, outsider):
    with time_machine.travel(AT["votes"], tick=False):
        response = client.put(f"/api/v1/revisions/{proposal['head_revision_id']}/vote",
                              json={"choice": "plebisciter"}, headers=outsider)
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "not_a_member"


def test_the_synthesis_reports_revisions_stats_proposals_and_contributors(
        client, proposal, member, mod_headers, session_json):
    declined = None
    with time_machine.travel(AT["propositions"], tick=False):
        declined = make_proposal(client, member, "Refusée",
                                 BASE.replace("Golf", "GOLF")).get_json()
    with time_machine.travel(AT["votes"], tick=False):
        client.put(f"/api/v1/revisions/{proposal['head_revision_id']}/vote",
                   json={"choice": "plebisciter"}, headers=member)
    with time_machine.travel(AT["synthese"], tick=False):
        merged = client.post(f"/api/v1/remixes/{proposal['id']}/merge", json={},
                             headers=mod_headers)
        assert merged.status_code == 200
        client.post(f"/api/v1/remixes/{declined['id']}/decline", json={"reason": "Hors sujet"},
                    headers=mod_headers)
    with time_machine.travel(AT["cloturee"], tick=False):
        report = client.get(f"/api/v1/sessions/{session_json['id']}/synthesis").get_json()
    assert report["end_revision_id"] == merged.get_json()["id"]
    assert report["start_revision_id"] == db.session.get(Revision, report["end_revision_id"]
                                                         ).parent_ids[0]
    assert report["stats"] == {"inserted_words": 1, "deleted_words": 1}
    by_title = {p["title"]: p for p in report["proposals"]}
    assert by_title["Ma proposition"]["outcome"] == "merged"
    assert by_title["Ma proposition"]["votes"] == {
        "current": {"plebisciter": 1, "rejeter": 0}, "earlier": {"plebisciter": 0, "rejeter": 0}}
    assert by_title["Ma proposition"]["owner"]["username"] == "membre"
    assert by_title["Refusée"]["outcome"] == "declined"
    assert by_title["Refusée"]["decline_reason"] == "Hors sujet"
    names = {c["display_name"]: c["share"] for c in report["contributors"]}
    assert "Mia Membre" in names and "Marie Modératrice" in names
    assert all(0 <= share <= 1 for share in names.values())
    assert abs(sum(names.values()) - 1) < 0.001


def test_the_synthesis_of_an_unknown_session_is_404(client, app):
    assert client.get("/api/v1/sessions/12345/synthesis").status_code == 404


def test_after_the_session_nothing_is_phased(client, proposal, outsider):
    with time_machine.travel(AT["cloturee"] + timedelta(days=1), tick=False):
        assert make_proposal(client, outsider).status_code == 200
        assert client.put(f"/api/v1/revisions/{proposal['head_revision_id']}/vote",
                          json={"choice": "plebisciter"}, headers=outsider).status_code == 200
