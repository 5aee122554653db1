"""The objects of API.md, field by field, as the API answers them in real situations: a merge
revision, the seed's external authors and unversioned licence, remixes, hidden comments and
their readers, the vote answer, both 409 shapes, tokens. Each answer is also checked against
its schema in the OpenAPI document."""

from __future__ import annotations

import hashlib
import re

import pytest

from tests.web.test_api_contract import _validator
from wiki.views.api.spec import build_document

SLUG = "strategie-numerique"
BASE = "Alpha bravo charlie.\n\nDelta echo foxtrot.\n\nGolf hotel india.\n"
ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")

#: The fields API.md names for each object (answers may carry more).
REVISION = {"id", "definition", "remix_id", "parent_ids", "author", "summary", "body", "html",
            "created_at", "license", "attribution", "votes"}
LICENSE = {"code", "name", "url"}
ATTRIBUTION = {"text", "html", "contributors"}
DEFINITION = {"slug", "term", "license", "head", "created_at"}
REMIX = {"id", "definition", "title", "owner", "forked_from_revision_id", "head_revision_id",
         "status", "created_at"}
COMMENT = {"id", "revision_id", "parent_id", "author", "body", "html", "anchor", "created_at",
           "hidden", "replies"}
PERSON = {"username", "display_name"}


def conforms(payload, schema_name: str) -> None:
    document = build_document()
    errors = [e.message for e in _validator(
        document, {"$ref": f"#/components/schemas/{schema_name}"}).iter_errors(payload)]
    assert not errors, errors


def check_revision(revision: dict) -> None:
    assert REVISION <= set(revision)
    assert LICENSE <= set(revision["license"])
    assert ATTRIBUTION <= set(revision["attribution"])
    assert set(revision["votes"]) == {"plebisciter", "rejeter"}
    assert PERSON == set(revision["author"])
    assert ISO_UTC.match(revision["created_at"])
    assert all(isinstance(p, int) for p in revision["parent_ids"])
    conforms(revision, "Revision")


@pytest.fixture
def moderator_headers(moderator, token_for):
    return token_for(moderator)


@pytest.fixture
def participant_headers(participant, token_for):
    return token_for(participant)


def test_revision_one_names_the_seeds_external_authors_and_its_unversioned_licence(client):
    revision = client.get("/api/v1/revisions/1").get_json()
    check_revision(revision)
    assert revision["remix_id"] is None and revision["parent_ids"] == []
    assert revision["license"]["code"] == "CC-BY-NC-SA"
    assert revision["license"]["version"] is None
    assert revision["license"]["url"].startswith("https://creativecommons.org/")
    contributors = revision["attribution"]["contributors"]
    assert {c["display_name"] for c in contributors} == {"Annie Chénier", "Frédéric Vincent"}
    assert all(c["username"] is None for c in contributors)
    assert revision["author"]["username"] is None


def test_a_revision_revalidates_with_its_etag(client):
    first = client.get("/api/v1/revisions/1")
    assert first.headers["Cache-Control"] == "no-cache"
    assert first.headers["ETag"]
    again = client.get("/api/v1/revisions/1", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_a_compare_is_immutable(client, save, moderator):
    save(moderator, BASE)
    response = client.get("/api/v1/compare?from=1&to=2")
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    comparison = response.get_json()
    assert set(comparison) >= {"from", "to", "ops", "stats"}
    conforms(comparison, "Comparison")


def test_a_definition_carries_its_head_revision(client):
    definition = client.get(f"/api/v1/definitions/{SLUG}").get_json()
    assert DEFINITION <= set(definition)
    check_revision(definition["head"])
    conforms(definition, "Definition")
    listing = client.get("/api/v1/definitions").get_json()
    assert listing["items"][0]["slug"] == SLUG and listing["next"] is None


def test_creating_a_definition_answers_201_with_the_definition(client, moderator_headers):
    response = client.post("/api/v1/definitions", json={
        "term": "Intelligence collective", "body": "La capacité d’un groupe.",
        "summary": "Première version"}, headers=moderator_headers)
    assert response.status_code == 201
    definition = response.get_json()
    assert definition["head"]["license"]["code"] == "CC-BY-NC-SA-4.0"
    conforms(definition, "Definition")


def test_saving_answers_201_then_200_with_the_unchanged_head(client, moderator_headers):
    body = {"body": BASE, "summary": "Réécriture", "base_revision_id": 1}
    created = client.post(f"/api/v1/definitions/{SLUG}/revisions", json=body,
                          headers=moderator_headers)
    assert created.status_code == 201
    check_revision(created.get_json())
    assert created.get_json()["merged"] is False
    same = client.post(f"/api/v1/definitions/{SLUG}/revisions",
                       json={**body, "base_revision_id": created.get_json()["id"]},
                       headers=moderator_headers)
    assert same.status_code == 200 and same.get_json()["id"] == created.get_json()["id"]


def test_a_clean_three_way_merge_answers_merged_true(client, moderator_headers, save,
                                                     moderator):
    start = save(moderator, BASE).revision
    save(moderator, BASE.replace("Alpha", "ALPHA"))
    response = client.post(f"/api/v1/definitions/{SLUG}/revisions", json={
        "body": BASE.replace("india", "INDIA"), "summary": "Fin",
        "base_revision_id": start.id}, headers=moderator_headers)
    assert response.status_code == 201
    assert response.get_json()["merged"] is True
    assert "ALPHA" in response.get_json()["body"] and "INDIA" in response.get_json()["body"]


def test_edit_conflict_details_are_exactly_those_of_api_md(client, moderator_headers, save,
                                                           moderator):
    start = save(moderator, BASE).revision
    theirs = save(moderator, BASE.replace("echo", "ECHO-1")).revision
    yours = BASE.replace("echo", "ECHO-2").replace("\n", "\r\n") + "  "
    response = client.post(f"/api/v1/definitions/{SLUG}/revisions", json={
        "body": yours, "summary": "Conflit", "base_revision_id": start.id},
        headers=moderator_headers)
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "edit_conflict"
    details = error["details"]
    assert set(details) == {"base", "theirs", "yours", "conflicts"}
    assert details["base"] == start.id and details["theirs"] == theirs.id
    assert details["yours"] == yours, "the text sent, byte for byte"
    [conflict] = details["conflicts"]
    assert set(conflict) == {"base", "theirs", "yours"}
    assert "ECHO-1" in conflict["theirs"] and "ECHO-2" in conflict["yours"]
    conforms(response.get_json(), "EditConflictError")


def _remix(client, headers, title="Remix") -> dict:
    response = client.post(f"/api/v1/definitions/{SLUG}/remixes",
                           json={"from_revision_id": 2, "title": title}, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_remix_objects_through_their_statuses(client, save, moderator, participant_headers,
                                              moderator_headers):
    save(moderator, BASE)
    remix = _remix(client, participant_headers)
    assert REMIX <= set(remix) and remix["status"] == "draft"
    assert set(remix["votes"]) == {"current", "earlier"}
    edited = client.post(f"/api/v1/remixes/{remix['id']}/revisions", json={
        "body": BASE.replace("Golf", "GOLF"), "summary": "Remix",
        "base_revision_id": remix["head_revision_id"]}, headers=participant_headers)
    assert edited.status_code == 201 and edited.get_json()["remix_id"] == remix["id"]
    statuses = [client.post(f"/api/v1/remixes/{remix['id']}/{action}",
                            headers=participant_headers).get_json()
                for action in ("propose", "withdraw", "propose")]
    assert [r["status"] for r in statuses] == ["proposed", "withdrawn", "proposed"]
    merged = client.post(f"/api/v1/remixes/{remix['id']}/merge", json={},
                         headers=moderator_headers).get_json()
    check_revision(merged)
    assert merged["remix_id"] is None and len(merged["parent_ids"]) == 2
    assert merged["taken_regions"] == [0]
    final = client.get(f"/api/v1/remixes/{remix['id']}").get_json()
    assert final["status"] == "merged"
    conforms(final, "Remix")
    declined = _remix(client, participant_headers, "Autre")
    client.post(f"/api/v1/remixes/{declined['id']}/propose", headers=participant_headers)
    answer = client.post(f"/api/v1/remixes/{declined['id']}/decline",
                         json={"reason": "Hors sujet"}, headers=moderator_headers).get_json()
    assert answer["status"] == "declined"
    listing = client.get(f"/api/v1/definitions/{SLUG}/remixes?status=declined").get_json()
    assert [r["id"] for r in listing["items"]] == [declined["id"]]


def test_merge_conflict_details_are_exactly_those_of_api_md(client, save, moderator,
                                                            participant_headers,
                                                            moderator_headers):
    start = save(moderator, BASE).revision
    remix = _remix(client, participant_headers)
    client.post(f"/api/v1/remixes/{remix['id']}/revisions", json={
        "body": BASE.replace("echo", "ECHO-REMIX"), "summary": "R",
        "base_revision_id": remix["head_revision_id"]}, headers=participant_headers)
    save(moderator, BASE.replace("echo", "ECHO-OFFICIEL"))
    client.post(f"/api/v1/remixes/{remix['id']}/propose", headers=participant_headers)
    response = client.post(f"/api/v1/remixes/{remix['id']}/merge", json={},
                           headers=moderator_headers)
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "merge_conflict"
    assert set(error["details"]) == {"base_revision_id", "conflicts"}
    assert error["details"]["base_revision_id"] == start.id
    [conflict] = error["details"]["conflicts"]
    assert set(conflict) == {"base", "ours", "theirs"}
    assert "ECHO-OFFICIEL" in conflict["ours"] and "ECHO-REMIX" in conflict["theirs"]
    conforms(response.get_json(), "MergeConflictError")


def test_vote_answers_votes_and_mine(client, participant_headers):
    put = client.put("/api/v1/revisions/1/vote", json={"choice": "rejeter"},
                     headers=participant_headers).get_json()
    assert put == {"votes": {"plebisciter": 0, "rejeter": 1}, "mine": "rejeter"}
    gone = client.delete("/api/v1/revisions/1/vote", headers=participant_headers).get_json()
    assert gone == {"votes": {"plebisciter": 0, "rejeter": 0}, "mine": None}
    conforms(put, "VoteAnswer")
    conforms(gone, "VoteAnswer")


def test_hidden_comments_keep_their_place_and_only_moderators_and_authors_read_them(
        client, participant_headers, moderator_headers, create_user, token_for):
    posted = client.post("/api/v1/revisions/1/comments", json={
        "body": "Un avis **fort**.", "anchor": {"quote": "stratégie numérique",
                                                "prefix": "", "suffix": ""}},
        headers=participant_headers)
    assert posted.status_code == 201
    comment = posted.get_json()
    assert COMMENT <= set(comment)
    assert set(comment["anchor"]) >= {"quote", "prefix", "suffix"}
    reply = client.post("/api/v1/revisions/1/comments", json={
        "body": "Une réponse.", "parent_id": comment["id"]}, headers=moderator_headers)
    assert reply.status_code == 201 and reply.get_json()["anchor"] is None
    hidden = client.post(f"/api/v1/comments/{comment['id']}/hide", json={"reason": "Propos"},
                         headers=moderator_headers).get_json()
    assert hidden["hidden"] is True and hidden["body"] == "Un avis **fort**."

    def thread(headers=None) -> dict:
        page = client.get("/api/v1/revisions/1/comments", headers=headers or {}).get_json()
        conforms(page["items"][0], "Comment")
        [top] = page["items"]
        return top

    anonymous = thread()
    assert anonymous["hidden"] is True and anonymous["body"] is None
    assert anonymous["html"] is None and anonymous["author"]["username"] == "participant"
    assert [r["body"] for r in anonymous["replies"]] == ["Une réponse."]
    other = create_user("quelquun")
    assert thread(token_for(other))["body"] is None
    assert thread(participant_headers)["body"] == "Un avis **fort**."
    assert "<strong>fort</strong>" in thread(moderator_headers)["html"]
    shown = client.post(f"/api/v1/comments/{comment['id']}/unhide",
                        headers=moderator_headers).get_json()
    assert shown["hidden"] is False
    assert thread()["body"] == "Un avis **fort**."


def test_an_anchor_not_in_the_revision_is_422(client, participant_headers):
    response = client.post("/api/v1/revisions/1/comments", json={
        "body": "Où ?", "anchor": {"quote": "absent du texte", "prefix": "", "suffix": ""}},
        headers=participant_headers)
    assert response.status_code == 422
    assert response.get_json()["error"]["details"]["field"] == "anchor"


def test_attribution_answers_text_html_markdown_contributors_licence(client):
    attribution = client.get("/api/v1/revisions/1/attribution").get_json()
    assert set(attribution) >= {"text", "html", "markdown", "contributors", "license"}
    conforms(attribution, "Attribution")


def test_tokens_in_and_out(client, participant):
    from wiki.models import ApiToken

    response = client.post("/api/v1/tokens", json={"username": "participant",
                                                   "password": "un-mot-de-passe-solide"})
    assert response.status_code == 201
    assert set(response.get_json()) == {"token"}
    token = response.get_json()["token"]
    assert len(token) >= 43  # 32 random bytes, URL-safe base64
    assert ApiToken.query.one().digest == hashlib.sha256(token.encode()).hexdigest()
    headers = {"Authorization": f"Bearer {token}"}
    assert client.put("/api/v1/revisions/1/vote", json={"choice": "plebisciter"},
                      headers=headers).status_code == 200
    revoked = client.delete("/api/v1/tokens/current", headers=headers)
    assert revoked.status_code == 200 and revoked.get_json() == {"revoked": True}
    after = client.get("/api/v1/definitions", headers=headers)
    assert after.status_code == 401 and after.get_json()["error"]["code"] == "invalid_token"


def test_revoking_the_current_token_needs_a_token(client, auth, participant):
    auth.login("participant")
    response = client.delete("/api/v1/tokens/current")
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"


def test_registering_answers_201_with_the_user(client):
    response = client.post("/api/v1/users", json={"username": "camille",
                                                  "password": "un-mot-de-passe-solide",
                                                  "display_name": "Camille"})
    assert response.status_code == 201
    user = response.get_json()
    assert user["username"] == "camille" and user["display_name"] == "Camille"
    assert "password" not in str(user) and "hash" not in str(user)
    conforms(user, "User")
