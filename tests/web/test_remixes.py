"""Remixes: fork, edit, propose, merge (clean, conflict, resolution, region by region)."""

import pytest

from wiki.extensions import db
from wiki.models import Remix, Revision

BASE = "Alpha bravo charlie.\n\nDelta echo foxtrot.\n\nGolf hotel india.\n"
SLUG = "strategie-numerique"


@pytest.fixture
def start(app, moderator, save):
    return save(moderator, BASE).revision


@pytest.fixture
def make_remix(client, token_for):
    def make(user, from_id, title="Remix culturel", **extra):
        response = client.post(f"/api/v1/definitions/{SLUG}/remixes", json={
            "from_revision_id": from_id, "title": title, **extra}, headers=token_for(user))
        assert response.status_code == 201, response.get_json()
        return response.get_json()
    return make


def remix_edit(client, headers, remix, body, summary="Adaptation"):
    response = client.post(f"/api/v1/remixes/{remix['id']}/revisions", json={
        "body": body, "summary": summary,
        "base_revision_id": client.get(f"/api/v1/remixes/{remix['id']}").get_json()[
            "head_revision_id"]}, headers=headers)
    assert response.status_code in (200, 201), response.get_json()
    return response.get_json()


def test_fork_creates_a_draft_remix_headed_at_the_fork_point(make_remix, participant, start):
    remix = make_remix(participant, start.id)
    assert remix["status"] == "draft"
    assert remix["forked_from_revision_id"] == remix["head_revision_id"] == start.id
    assert remix["owner"]["username"] == "participant"
    assert remix["license"]["code"] == "CC-BY-NC-SA-4.0"


@pytest.mark.parametrize(("body", "status", "code"), [
    ({"title": ""}, 422, "invalid_field"),
    ({"title": "x", "from_revision_id": 999999}, 404, "not_found"),
    ({"title": "x", "license": "CC-BY-4.0"}, 422, "license_incompatible"),
    ({"title": "x", "license": "CC-BY-NC-SA-3.0"}, 422, "license_incompatible"),
    ({"title": "x", "license": "MIT"}, 422, "unknown_license"),
], ids=["empty-title", "unknown-revision", "drops-share-alike", "earlier-version",
        "unknown-licence"])
def test_bad_forks_are_refused(client, participant, token_for, start, body, status, code):
    payload = {"from_revision_id": start.id, **body}
    response = client.post(f"/api/v1/definitions/{SLUG}/remixes", json=payload,
                           headers=token_for(participant))
    assert response.status_code == status
    assert response.get_json()["error"]["code"] == code
    assert Remix.query.count() == 0


def test_only_the_owner_writes_to_a_remix(client, make_remix, participant, create_user,
                                          token_for, start):
    remix = make_remix(participant, start.id)
    response = client.post(f"/api/v1/remixes/{remix['id']}/revisions", json={
        "body": "x", "summary": "y", "base_revision_id": start.id},
        headers=token_for(create_user("intrus")))
    assert response.status_code == 403


def test_remix_of_a_remix(make_remix, client, participant, create_user, token_for, start):
    first = make_remix(participant, start.id)
    revision = remix_edit(client, token_for(participant), first, BASE + "Ajout.\n")
    second = make_remix(create_user("autre"), revision["id"], title="Remix du remix")
    assert second["forked_from_revision_id"] == revision["id"]


def propose(client, headers, remix):
    response = client.post(f"/api/v1/remixes/{remix['id']}/propose", headers=headers)
    assert response.status_code == 200
    assert response.get_json()["status"] == "proposed"


def test_clean_merge_makes_a_two_parent_revision_on_the_official_line(
        client, make_remix, participant, moderator, token_for, start, save):
    p, m = token_for(participant), token_for(moderator)
    remix = make_remix(participant, start.id)
    remix_rev = remix_edit(client, p, remix, BASE.replace("bravo", "BRAVO"))
    official = save(moderator, BASE.replace("india", "INDIA")).revision
    propose(client, p, remix)
    merged = client.post(f"/api/v1/remixes/{remix['id']}/merge", json={}, headers=m)
    assert merged.status_code == 200, merged.get_json()
    data = merged.get_json()
    assert data["parent_ids"] == [official.id, remix_rev["id"]]
    assert "BRAVO" in data["body"] and "INDIA" in data["body"]
    assert data["remix_id"] is None
    assert data["summary"] == "Fusion du remix « Remix culturel »"
    assert client.get(f"/api/v1/remixes/{remix['id']}").get_json()["status"] == "merged"
    assert client.get(f"/api/v1/definitions/{SLUG}").get_json()["head"]["id"] == data["id"]


def test_merging_again_without_new_revisions_is_refused(client, make_remix, participant,
                                                        moderator, token_for, start):
    p, m = token_for(participant), token_for(moderator)
    remix = make_remix(participant, start.id)
    remix_edit(client, p, remix, BASE + "Fin.\n")
    propose(client, p, remix)
    assert client.post(f"/api/v1/remixes/{remix['id']}/merge", json={}, headers=m).status_code \
        == 200
    again = client.post(f"/api/v1/remixes/{remix['id']}/merge", json={}, headers=m)
    assert again.status_code == 409


def test_a_draft_cannot_be_merged(client, make_remix, participant, moderator, token_for, start):
    remix = make_remix(participant, start.id)
    response = client.post(f"/api/v1/remixes/{remix['id']}/merge", json={},
                           headers=token_for(moderator))
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "not_proposed"


def test_participants_cannot_merge(client, make_remix, participant, token_for, start):
    p = token_for(participant)
    remix = make_remix(participant, start.id)
    propose(client, p, remix)
    assert client.post(f"/api/v1/remixes/{remix['id']}/merge", json={}, headers=p).status_code \
        == 403


@pytest.fixture
def conflicting(client, make_remix, participant, moderator, token_for, start, save):
    p = token_for(participant)
    remix = make_remix(participant, start.id)
    remix_edit(client, p, remix, BASE.replace("echo", "ECHO-REMIX"))
    save(moderator, BASE.replace("echo", "ECHO-OFFICIEL"))
    propose(client, p, remix)
    return remix


def test_conflicting_merge_answers_409_with_the_regions(client, conflicting, moderator,
                                                        token_for, start):
    head_before = client.get(f"/api/v1/definitions/{SLUG}").get_json()["head"]["id"]
    response = client.post(f"/api/v1/remixes/{conflicting['id']}/merge", json={},
                           headers=token_for(moderator))
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "merge_conflict"
    assert error["details"]["base_revision_id"] == start.id
    [conflict] = error["details"]["conflicts"]
    assert "ECHO-OFFICIEL" in conflict["ours"] and "ECHO-REMIX" in conflict["theirs"]
    assert client.get(f"/api/v1/definitions/{SLUG}").get_json()["head"]["id"] == head_before


def test_resolution_saves_the_merge(client, conflicting, moderator, token_for):
    response = client.post(f"/api/v1/remixes/{conflicting['id']}/merge",
                           json={"resolution": "Texte résolu à la main.\n"},
                           headers=token_for(moderator))
    assert response.status_code == 200
    assert response.get_json()["body"] == "Texte résolu à la main.\n"


def test_region_by_region_merge_with_preview_and_fingerprint(client, conflicting, moderator,
                                                             token_for):
    m = token_for(moderator)
    preview = client.get(f"/api/v1/remixes/{conflicting['id']}/merge-preview",
                         headers=m).get_json()
    [region] = preview["regions"]
    assert region["kind"] == "conflict"
    assert "ECHO-OFFICIEL" in preview["merged_text"]
    stale = client.post(f"/api/v1/remixes/{conflicting['id']}/merge", json={
        "fingerprint": "0" * 64, "regions": {"0": "take"}}, headers=m)
    assert stale.status_code == 409
    assert stale.get_json()["error"]["code"] == "regions_changed"
    assert stale.get_json()["error"]["details"]["fingerprint"] == preview["fingerprint"]
    merged = client.post(f"/api/v1/remixes/{conflicting['id']}/merge", json={
        "fingerprint": preview["fingerprint"], "regions": {"0": "take"}}, headers=m)
    assert merged.status_code == 200
    assert "ECHO-REMIX" in merged.get_json()["body"]
    assert merged.get_json()["taken_regions"] == [0]


@pytest.mark.parametrize("payload", [
    {"resolution": "x", "regions": {}},
    {"fingerprint": "f", "regions": {"7": "take"}},
    {"fingerprint": "f", "regions": {}},
    {"regions": {"0": "take"}},
], ids=["resolution-and-regions", "unknown-index", "conflict-without-choice", "no-fingerprint"])
def test_invalid_region_requests_are_422(client, conflicting, moderator, token_for, payload):
    m = token_for(moderator)
    if payload.get("fingerprint") == "f":
        payload["fingerprint"] = client.get(
            f"/api/v1/remixes/{conflicting['id']}/merge-preview", headers=m).get_json()[
            "fingerprint"]
    response = client.post(f"/api/v1/remixes/{conflicting['id']}/merge", json=payload,
                           headers=m)
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "invalid_regions"


def test_leaving_every_region_keeps_the_official_text_but_records_the_merge(
        client, conflicting, moderator, token_for):
    m = token_for(moderator)
    official = client.get(f"/api/v1/definitions/{SLUG}").get_json()["head"]
    preview = client.get(f"/api/v1/remixes/{conflicting['id']}/merge-preview",
                         headers=m).get_json()
    merged = client.post(f"/api/v1/remixes/{conflicting['id']}/merge", json={
        "fingerprint": preview["fingerprint"], "regions": {"0": "leave"}}, headers=m).get_json()
    assert merged["body"] == official["body"]
    assert len(merged["parent_ids"]) == 2 and merged["taken_regions"] == []


def test_a_later_merge_starts_from_the_new_common_ancestor(client, make_remix, participant,
                                                           moderator, token_for, start):
    p, m = token_for(participant), token_for(moderator)
    remix = make_remix(participant, start.id)
    first = remix_edit(client, p, remix, BASE.replace("alpha", "x").replace("Alpha", "ALPHA"))
    propose(client, p, remix)
    client.post(f"/api/v1/remixes/{remix['id']}/merge", json={}, headers=m)
    remix_edit(client, p, remix, first["body"].replace("Golf", "GOLF"))
    propose(client, p, remix)
    preview = client.get(f"/api/v1/remixes/{remix['id']}/merge-preview", headers=m).get_json()
    assert preview["base_revision_id"] == first["id"]
    assert len(preview["regions"]) == 1 and "GOLF" in preview["regions"][0]["theirs"]


def test_decline_and_withdraw(client, make_remix, participant, moderator, token_for, start):
    p, m = token_for(participant), token_for(moderator)
    remix = make_remix(participant, start.id)
    propose(client, p, remix)
    declined = client.post(f"/api/v1/remixes/{remix['id']}/decline",
                           json={"reason": "Hors sujet"}, headers=m)
    assert declined.get_json()["status"] == "declined"
    assert declined.get_json()["decline_reason"] == "Hors sujet"
    propose(client, p, remix)
    withdrawn = client.post(f"/api/v1/remixes/{remix['id']}/withdraw", headers=p)
    assert withdrawn.get_json()["status"] == "withdrawn"


def test_decline_needs_a_reason(client, make_remix, participant, moderator, token_for, start):
    p = token_for(participant)
    remix = make_remix(participant, start.id)
    propose(client, p, remix)
    response = client.post(f"/api/v1/remixes/{remix['id']}/decline", json={},
                           headers=token_for(moderator))
    assert response.status_code == 422


def test_remix_votes_split_current_and_earlier(client, make_remix, participant, create_user,
                                               token_for, start):
    p = token_for(participant)
    remix = make_remix(participant, start.id)
    first = remix_edit(client, p, remix, BASE + "Un.\n")
    voters = [token_for(create_user(f"votant{i}")) for i in range(3)]
    for headers in voters:
        client.put(f"/api/v1/revisions/{first['id']}/vote", json={"choice": "plebisciter"},
                   headers=headers)
    second = remix_edit(client, p, remix, first["body"] + "Deux.\n")
    client.put(f"/api/v1/revisions/{second['id']}/vote", json={"choice": "rejeter"},
               headers=voters[0])
    votes = client.get(f"/api/v1/remixes/{remix['id']}").get_json()["votes"]
    assert votes == {"current": {"plebisciter": 0, "rejeter": 1},
                     "earlier": {"plebisciter": 2, "rejeter": 0}}


def test_propose_an_edit_in_one_step_from_the_page(client, auth, participant, seed_revision):
    auth.login("participant")
    response = client.post(f"/definitions/{SLUG}/propose", data={
        "body": seed_revision.body + "\nUne précision.\n", "summary": "Précision",
        "title": "", "base_revision_id": seed_revision.id})
    assert response.status_code == 302
    remix = Remix.query.one()
    assert remix.status == "proposed" and remix.title == "Précision"
    assert db.session.get(Revision, remix.head_revision_id).remix_id == remix.id


def test_propose_page_keeps_the_text_when_the_summary_is_missing(client, auth, participant,
                                                                 seed_revision):
    auth.login("participant")
    response = client.post(f"/definitions/{SLUG}/propose", data={
        "body": "Mon texte précieux", "summary": "", "base_revision_id": seed_revision.id})
    assert response.status_code == 422
    assert "Mon texte précieux" in response.get_data(as_text=True)
    assert Remix.query.count() == 0


def test_merge_page_resolves_a_conflict_region_by_region(client, auth, conflicting):
    auth.login("moderatrice")
    page = client.get(f"/remixes/{conflicting['id']}/merge")
    assert page.status_code == 200 and "conflit" in page.get_data(as_text=True)
    import re

    fingerprint = re.search(r'name="fingerprint" value="([0-9a-f]+)"',
                            page.get_data(as_text=True)).group(1)
    response = client.post(f"/remixes/{conflicting['id']}/merge", data={
        "fingerprint": fingerprint, "region-0": "edit", "text-0": "ECHO-COMPROMIS"})
    assert response.status_code == 302
    head = client.get(f"/api/v1/definitions/{SLUG}").get_json()["head"]
    assert "ECHO-COMPROMIS" in head["body"]


@pytest.mark.parametrize("path", [
    "/remixes/{id}", "/definitions/strategie-numerique/remixes",
    "/definitions/strategie-numerique/proposals", "/definitions/strategie-numerique/graph",
], ids=["remix-page", "remix-list", "queue", "graph-page"])
def test_remix_pages_render(client, conflicting, path):
    assert client.get(path.format(id=conflicting["id"])).status_code == 200


def test_graph_svg_links_every_revision(client, conflicting):
    response = client.get("/definitions/strategie-numerique/graph.svg")
    assert response.mimetype == "image/svg+xml"
    svg = response.get_data(as_text=True)
    for revision in Revision.query.all():
        assert f"/revisions/{revision.id}" in svg


def test_the_remix_page_gathers_the_discussion_of_its_revisions(client, participant, moderator,
                                                                token_for, start, make_remix,
                                                                save, create_user):
    remix = make_remix(participant, start.id)
    page = client.get(f"/remixes/{remix['id']}").get_data(as_text=True)
    assert "Aucun commentaire sur ce remix pour l’instant." in page
    head = save(participant, BASE.replace("bravo", "BRAVO"), remix_id=remix["id"]).revision
    reader = create_user("lectrice", display_name="Léa Lectrice")
    for body in ("Premier avis sur le remix.", "Un second avis, plus récent."):
        response = client.post(f"/api/v1/revisions/{head.id}/comments", json={"body": body},
                               headers=token_for(reader))
        assert response.status_code == 201
    # A comment on the official line is not the remix's.
    client.post(f"/api/v1/revisions/{start.id}/comments", json={"body": "Sur l’officielle."},
                headers=token_for(moderator))
    page = client.get(f"/remixes/{remix['id']}").get_data(as_text=True)
    section = page.split('id="discussion-remix"', 1)[1].split("</section>", 1)[0]
    assert section.index("Un second avis") < section.index("Premier avis")  # newest first
    assert "Sur l’officielle." not in section
    assert f"/revisions/{head.id}#discussion" in section
