"""Rate limits (DECISIONS.md, « Text and limits »): failed logins and token requests 10 a minute
per address, registrations 5 an hour per address, writes by participants ``RATELIMIT_WRITES``
(moderators and admins exempt); 429 ``rate_limited`` with Retry-After, JSON under /api/. Then
gunicorn with 4 workers sharing counters in Redis."""

from __future__ import annotations

import http.cookiejar
import os
import re
import shutil
import socket
import subprocess
import urllib.error
import urllib.parse
import urllib.request
import uuid

import pytest
from flask.testing import FlaskClient

from tests.conftest import PASSWORD, ROOT, stop_server, wait_until_served
from tests.web.test_access import (  # noqa: F401  (the world fixture)
    CASES,
    call,
    require_route,
    world,
)
from wiki.security import NOT_COUNTED_AS_WRITES

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379")


@pytest.fixture
def config(config):
    return {**config, "RATELIMIT_ENABLED": True, "RATELIMIT_WRITES": "3 per minute"}


def _assert_429(response, api: bool):
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    if api:
        assert response.get_json()["error"]["code"] == "rate_limited"
        assert response.get_json()["error"]["message"]
    else:
        assert "Trop de requêtes" in response.get_data(as_text=True)


def _bad_login(client, address="10.0.0.1"):
    return client.post("/login", data={"username": "participant", "password": "mauvais-mdp"},
                       environ_base={"REMOTE_ADDR": address})


def _bad_token(client, address="10.0.0.1"):
    return client.post("/api/v1/tokens", json={"username": "participant", "password": "x"},
                       environ_base={"REMOTE_ADDR": address})


def test_the_eleventh_bad_login_in_a_minute_is_refused(client, participant):
    for _ in range(10):
        assert _bad_login(client).status_code == 401
    _assert_429(_bad_login(client), api=False)
    # Even the right password waits: the limit is on the address, not the answer.
    right = client.post("/login", data={"username": "participant", "password": PASSWORD},
                        environ_base={"REMOTE_ADDR": "10.0.0.1"})
    assert right.status_code == 429
    # Another address is not affected.
    assert _bad_login(client, "10.0.0.2").status_code == 401


def test_successful_logins_do_not_use_up_the_limit(client, participant):
    """A classroom behind one address logs in at once."""
    for _ in range(15):
        response = client.post("/login", data={"username": "participant", "password": PASSWORD},
                               environ_base={"REMOTE_ADDR": "10.0.0.1"})
        assert response.status_code == 302
        client.post("/logout", environ_base={"REMOTE_ADDR": "10.0.0.1"})


def test_the_eleventh_bad_token_request_is_a_json_429(client, participant):
    for _ in range(10):
        assert _bad_token(client).status_code == 401
    _assert_429(_bad_token(client), api=True)


def test_logins_and_token_requests_share_one_counter(client, participant):
    for _ in range(5):
        assert _bad_login(client).status_code == 401
        assert _bad_token(client).status_code == 401
    _assert_429(_bad_token(client), api=True)
    _assert_429(_bad_login(client), api=False)


def test_wrong_current_passwords_count_as_bad_logins(app, client, auth, participant):
    app.config["RATELIMIT_WRITES"] = "100 per minute"
    auth.login("participant")
    for _ in range(10):
        response = client.post("/account/password", data={
            "current_password": "pas-le-bon", "new_password": "nouveau-mot-de-passe",
            "new_password_confirm": "nouveau-mot-de-passe"})
        assert response.status_code == 422
    _assert_429(client.post("/account/password", data={
        "current_password": PASSWORD, "new_password": "nouveau-mot-de-passe",
        "new_password_confirm": "nouveau-mot-de-passe"}), api=False)


def test_registration_allows_five_accounts_an_hour_per_address(client):
    for n in range(3):
        response = client.post("/register", data={
            "username": f"page{n}", "password": PASSWORD, "password_confirm": PASSWORD},
            environ_base={"REMOTE_ADDR": "10.0.0.9"})
        assert response.status_code == 302
        client.post("/logout", environ_base={"REMOTE_ADDR": "10.0.0.9"})
    # A refused form does not use up the allowance…
    taken = client.post("/register", data={
        "username": "page0", "password": PASSWORD, "password_confirm": PASSWORD},
        environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert taken.status_code == 422
    # …and the API shares it with the page.
    for n in range(2):
        created = client.post("/api/v1/users", json={"username": f"api{n}",
                                                     "password": PASSWORD},
                              environ_base={"REMOTE_ADDR": "10.0.0.9"})
        assert created.status_code == 201
    _assert_429(client.post("/api/v1/users", json={"username": "api9", "password": PASSWORD},
                            environ_base={"REMOTE_ADDR": "10.0.0.9"}), api=True)
    _assert_429(client.post("/register", data={
        "username": "page9", "password": PASSWORD, "password_confirm": PASSWORD},
        environ_base={"REMOTE_ADDR": "10.0.0.9"}), api=False)
    from wiki.models import User

    assert User.query.filter(User.username.in_(["api9", "page9"])).count() == 0
    other = client.post("/api/v1/users", json={"username": "ailleurs", "password": PASSWORD},
                        environ_base={"REMOTE_ADDR": "10.0.0.10"})
    assert other.status_code == 201


def test_participants_writes_share_one_budget_across_pages_and_api(client, auth, participant,
                                                                   token_for, seed_revision):
    auth.login("participant")
    headers = token_for(participant)
    url = f"/revisions/{seed_revision.id}"
    assert client.post(f"{url}/vote", data={"choice": "plebisciter"}).status_code == 302
    assert client.post(f"{url}/comments", data={"body": "Un"}).status_code == 302
    assert client.put(f"/api/v1{url}/vote", json={"choice": "rejeter"},
                      headers=headers).status_code == 200
    _assert_429(client.post(f"/api/v1{url}/comments", json={"body": "Quatre"},
                            headers=headers), api=True)
    _assert_429(client.post(f"{url}/comments", data={"body": "Cinq"}), api=False)
    from wiki.models import Comment

    assert Comment.query.count() == 1
    # Reading is not writing.
    assert client.get(url).status_code == 200


def test_the_write_budget_is_per_account(client, auth, create_user, token_for, seed_revision):
    first, second = create_user("premiere"), create_user("second")
    url = f"/api/v1/revisions/{seed_revision.id}/vote"
    for _ in range(3):
        assert client.put(url, json={"choice": "rejeter"},
                          headers=token_for(first)).status_code == 200
    assert client.put(url, json={"choice": "rejeter"},
                      headers=token_for(first)).status_code == 429
    assert client.put(url, json={"choice": "rejeter"},
                      headers=token_for(second)).status_code == 200


@pytest.mark.parametrize("role", ["moderator", "admin"])
def test_moderators_and_admins_are_exempt_from_the_write_limit(client, create_user, token_for,
                                                               seed_revision, role):
    user = create_user(f"un-{role}", role=role)
    headers = token_for(user)
    for n in range(8):
        response = client.post(f"/api/v1/revisions/{seed_revision.id}/comments",
                               json={"body": f"Avis {n}"}, headers=headers)
        assert response.status_code == 201


def test_the_write_limit_follows_the_setting(app, client, participant, token_for,
                                             seed_revision):
    app.config["RATELIMIT_WRITES"] = "5 per minute"
    headers = token_for(participant)
    url = f"/api/v1/revisions/{seed_revision.id}/vote"
    statuses = [client.put(url, json={"choice": "rejeter"}, headers=headers).status_code
                for _ in range(6)]
    assert statuses == [200] * 5 + [429]


def test_the_default_write_limit_is_sixty_a_minute():
    from config import Config

    assert Config.RATELIMIT_WRITES == os.environ.get("RATELIMIT_WRITES", "60 per minute")


WRITES = [(endpoint, case) for endpoint, _i, case in CASES
          if case.method in {"POST", "PUT", "PATCH", "DELETE"}
          and endpoint not in NOT_COUNTED_AS_WRITES]


@pytest.mark.parametrize(("endpoint", "case"), WRITES,
                         ids=[f"{e}-{c.method}" for e, c in WRITES])
def test_every_write_route_counts_against_the_write_limit(world, endpoint, case):  # noqa: F811
    """With one write a minute, a participant's second write is refused on every write route,
    whatever the first one was — before the route does anything."""
    from wiki.extensions import limiter

    require_route(world, endpoint)
    world.restore()
    app = world.app_with(RATELIMIT_ENABLED=True, RATELIMIT_WRITES="1 per minute")
    with app.app_context():
        limiter.reset()
    client = FlaskClient(app, use_cookies=True)
    first = call(world, case, "owner", client=client)
    assert first.status_code != 429
    again = call(world, case, "owner", client=client)
    _assert_429(again, api=case.api)


# --- gunicorn, 4 workers, counters in Redis ---------------------------------------------------

def _redis_available() -> bool:
    parts = urllib.parse.urlsplit(REDIS_URL)
    try:
        with socket.create_connection((parts.hostname, parts.port or 6379), timeout=1):
            return True
    except OSError:
        return False


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def gunicorn(tmp_path, _schemas):
    """The app under gunicorn, 4 workers, rate limits in Redis under a fresh key prefix."""
    if not _redis_available():
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")
    database = tmp_path / "wiki.db"
    shutil.copy(_schemas["sqlite"], database)
    port = _free_port()
    prefix = f"test-{uuid.uuid4().hex}"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}",
           "SECRET_KEY": "gunicorn-test-secret-key", "RATELIMIT_STORAGE_URI": REDIS_URL,
           "RATELIMIT_KEY_PREFIX": prefix, "RATELIMIT_ENABLED": "1", "WIKI_ENV": "development"}
    gunicorn_bin = ROOT / ".venv" / "bin" / "gunicorn"
    command = [str(gunicorn_bin) if gunicorn_bin.exists() else "gunicorn", "--workers", "4",
               "--bind", f"127.0.0.1:{port}", "--log-level", "warning",
               # gunicorn 27 otherwise shares ~/.gunicorn/gunicorn.ctl with every other one.
               "--no-control-socket", "wiki:create_app()"]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_served(process, base, 60, lambda: process.stdout.read().decode()
                          if process.poll() is not None else "")
        yield base, prefix
    finally:
        stop_server(process, 20)
        process.stdout.close()
        _drop_keys(prefix)


def _drop_keys(prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"*{prefix}*"):
        client.delete(key)
    client.close()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_four_gunicorn_workers_share_the_login_limit_through_redis(gunicorn):
    """11 bad logins in a minute from one address → 429, whichever worker answers (a store per
    process would allow 44)."""
    import redis

    base, prefix = gunicorn
    statuses = []
    for _ in range(11):
        # A new connection and a new browser each time, so any of the 4 workers may answer.
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar),
                                             _NoRedirect())
        with opener.open(f"{base}/login", timeout=10) as page:
            token = re.search(r'name="csrf_token" value="([^"]+)"',
                              page.read().decode()).group(1)
        data = urllib.parse.urlencode({"username": "personne", "password": "mauvais-mdp",
                                       "csrf_token": token}).encode()
        try:
            with opener.open(f"{base}/login", data=data, timeout=10) as answer:
                statuses.append(answer.status)
        except urllib.error.HTTPError as error:
            statuses.append(error.code)
            if error.code == 429:
                assert int(error.headers["Retry-After"]) > 0
            error.close()
    assert statuses == [401] * 10 + [429], statuses
    keys = list(redis.Redis.from_url(REDIS_URL).scan_iter(f"*{prefix}*"))
    assert keys, "the counters are not in Redis"
    # The API's 429 is the JSON of API.md.
    request = urllib.request.Request(
        f"{base}/api/v1/tokens", method="POST", headers={"Content-Type": "application/json"},
        data=b'{"username": "personne", "password": "x"}')
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 429
    import json

    assert json.loads(refused.value.read())["error"]["code"] == "rate_limited"
    refused.value.close()
