"""« Mon compte » manages API tokens: a named token is shown once with a copy button and works
as a Bearer token, the list says when each was last used, and revoking one makes it answer
401 at once, on reads as on writes."""

from __future__ import annotations

import re

from wiki.models import ApiToken

NEW_TOKEN = re.compile(r'<input id="new-token" readonly value="([^"]+)">')


def _create(client, name: str) -> str:
    response = client.post("/account/tokens", data={"name": name})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    match = NEW_TOKEN.search(page)
    assert match, "the new token is shown"
    assert 'data-copy="new-token"' in page, "with a copy button"
    return match.group(1)


def _token_row(page: str, name: str) -> str:
    row = re.search(rf"<tr><td>{re.escape(name)}</td>(.*?)</tr>", page, re.DOTALL)
    assert row, f"no row for {name}"
    return row.group(1)


def test_a_named_token_is_shown_once_and_works(client, auth, participant):
    auth.login("participant")
    token = _create(client, "mon script")
    again = client.get("/account").get_data(as_text=True)
    assert token not in again, "shown once"
    assert "mon script" in again
    response = client.put("/api/v1/revisions/1/vote", json={"choice": "plebisciter"},
                          headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.get_json()["mine"] == "plebisciter"


def test_the_list_says_when_each_token_was_last_used(client, auth, participant):
    auth.login("participant")
    used = _create(client, "utilisé")
    _create(client, "dormant")
    page = client.get("/account").get_data(as_text=True)
    assert "jamais" in _token_row(page, "utilisé")
    client.get("/api/v1/definitions", headers={"Authorization": f"Bearer {used}"})
    page = client.get("/account").get_data(as_text=True)
    assert "jamais" not in _token_row(page, "utilisé")
    assert "jamais" in _token_row(page, "dormant")


def test_revoking_on_the_page_answers_401_at_once(client, auth, participant):
    auth.login("participant")
    token = _create(client, "à révoquer")
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/definitions", headers=headers).status_code == 200
    row = ApiToken.query.filter_by(name="à révoquer").one()
    page = client.get("/account").get_data(as_text=True)
    assert "data-confirm" in _token_row(page, "à révoquer"), "confirmation before revoking"
    client.post(f"/account/tokens/{row.id}/revoke")
    for method, path in (("GET", "/api/v1/definitions"), ("PUT", "/api/v1/revisions/1/vote")):
        response = client.open(path, method=method, json={"choice": "rejeter"},
                               headers=headers)
        assert response.status_code == 401
        assert response.get_json()["error"]["code"] == "invalid_token"
    assert "révoqué" in _token_row(client.get("/account").get_data(as_text=True), "à révoquer")


def test_nobody_revokes_or_sees_someone_elses_token(client, auth, participant, create_user):
    from wiki.services.accounts import create_token

    other = create_user("autre")
    headers = {"Authorization": f"Bearer {create_token(other.id, 'script-de-autre')}"}
    row = ApiToken.query.filter_by(user_id=other.id).one()
    auth.login("participant")
    assert client.post(f"/account/tokens/{row.id}/revoke").status_code == 404
    assert client.get("/api/v1/definitions", headers=headers).status_code == 200
    assert row.name not in client.get("/account").get_data(as_text=True)


def _session_cookie(app, response) -> tuple[str, dict]:
    """The raw ``session`` cookie the answer sets (empty when none) and what it decodes to."""
    raw = ""
    for header in response.headers.getlist("Set-Cookie"):
        name, _, rest = header.partition("=")
        if name.strip() == "session":
            raw = rest.split(";", 1)[0]
    if not raw:
        return "", {}
    serializer = app.session_interface.get_signing_serializer(app)
    return raw, serializer.loads(raw)


def test_a_new_token_never_travels_in_the_session_cookie(app, client, auth, participant):
    """The session cookie is signed, not encrypted: whatever it holds can be read by anyone
    who sees it. The token is shown in the creation answer itself, kept out of caches."""
    import json

    auth.login("participant")
    response = client.post("/account/tokens", data={"name": "mon script"})
    assert response.status_code == 200
    token = NEW_TOKEN.search(response.get_data(as_text=True)).group(1)
    assert response.headers["Cache-Control"] == "no-store"
    raw, decoded = _session_cookie(app, response)
    assert "new_token" not in decoded
    assert token not in json.dumps(decoded) and token not in raw
    assert all(token not in header for header in response.headers.getlist("Set-Cookie"))
    following = client.get("/account")
    assert token not in following.get_data(as_text=True)
    assert token not in json.dumps(_session_cookie(app, following)[1])
