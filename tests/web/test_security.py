"""CSRF on every write, security headers on every page, session cookies, safe redirects,
secrets. Routes come from the access table (wiki/views/access.py), so a new route is covered
as soon as it has its entry there."""

from __future__ import annotations

import hashlib
import logging
import os
import re
import subprocess
import sys
from urllib.parse import quote, urlsplit

import pytest
from flask.testing import FlaskClient

from tests.conftest import ROOT
from tests.web.test_access import (  # noqa: F401  (the world fixture)
    CASES,
    _fill,
    call,
    require_route,
    world,
)
from wiki.views.access import PASSWORD, Case

WRITES = [item for item in CASES if item[2].method in {"POST", "PUT", "PATCH", "DELETE"}]
GETS = [item for item in CASES if item[2].method == "GET"]


def _id(item) -> str:
    endpoint, index, case = item
    return f"{endpoint}-{case.method}" + (f"-{index}" if index else "")


# --- CSRF -------------------------------------------------------------------------------------

@pytest.mark.parametrize("item", WRITES, ids=[_id(i) for i in WRITES])
def test_a_write_without_the_csrf_token_is_refused_with_400(world, item):  # noqa: F811
    """A logged-in browser session (the admin, who may do anything) posting without the token:
    400, a French page (JSON under /api/), and nothing done."""
    endpoint, _index, case = item
    require_route(world, endpoint)
    world.restore()
    app = world.app_with(WTF_CSRF_ENABLED=True)
    page_case = Case(case.method, case.url, case.expect, form=case.form, json=case.json)
    client = FlaskClient(app, use_cookies=True)
    user_id, version, _token = world.users["admin"]
    with client.session_transaction() as session:
        session["_user_id"] = f"{user_id}:{version}"
        session["_fresh"] = True
    url = case.url.format(**world.values)
    kwargs = {}
    if case.form is not None:
        kwargs["data"] = {k: str(v) for k, v in _fill(dict(case.form), world.values).items()}
    if case.json is not None:
        kwargs["json"] = _fill(dict(case.json), world.values)
    response = client.open(url, method=page_case.method, **kwargs)
    assert response.status_code == 400, f"{case.method} {url}: {response.status_code}"
    if case.api:
        assert response.get_json()["error"]["code"] == "csrf_failed"
    else:
        assert "ne vient pas de ce site" in response.get_data(as_text=True)


def test_the_csrf_test_covers_every_write_route(world):  # noqa: F811
    writes = {(rule.endpoint, method) for rule in world.app.url_map.iter_rules()
              for method in rule.methods & {"POST", "PUT", "PATCH", "DELETE"}}
    tested = {(endpoint, case.method) for endpoint, _i, case in WRITES}
    assert writes <= tested, sorted(writes - tested)


def test_login_and_registration_forms_need_the_csrf_token_too(world):  # noqa: F811
    world.restore()
    client = FlaskClient(world.app_with(WTF_CSRF_ENABLED=True))
    assert client.post("/login", data={"username": world.values["owner"],
                                       "password": PASSWORD}).status_code == 400
    assert client.post("/register", data={"username": "x1", "password": PASSWORD,
                                          "password_confirm": PASSWORD}).status_code == 400
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"username": world.values["owner"],
                                           "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302


@pytest.mark.parametrize("item", [i for i in WRITES if i[2].api], ids=[
    _id(i) for i in WRITES if i[2].api])
def test_token_authenticated_api_calls_are_exempt_from_csrf(world, item):  # noqa: F811
    """With CSRF on, a Bearer call needs no token: each answers as in the matrix, errors in
    JSON."""
    endpoint, _index, case = item
    require_route(world, endpoint)
    app = world.app_with(WTF_CSRF_ENABLED=True)
    for role in ("participant", "moderator"):
        world.restore()
        response = call(world, case, role, app=app)
        assert response.status_code == case.expect[role], (role, response.get_data())
        if response.status_code >= 400:
            assert response.is_json and "error" in response.get_json()


def test_the_browser_may_call_the_api_with_its_session_and_the_csrf_header(world):  # noqa: F811
    world.restore()
    client = FlaskClient(world.app_with(WTF_CSRF_ENABLED=True))
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    client.post("/login", data={"username": world.values["owner"], "password": PASSWORD,
                                "csrf_token": token})
    token = re.search(r'name="csrf_token" value="([^"]+)"',
                      client.get("/account").get_data(as_text=True)).group(1)
    url = f"/api/v1/revisions/{world.values['revision']}/vote"
    refused = client.put(url, json={"choice": "plebisciter"})
    assert refused.status_code == 400
    assert refused.get_json()["error"]["code"] == "csrf_failed"
    accepted = client.put(url, json={"choice": "plebisciter"}, headers={"X-CSRFToken": token})
    assert accepted.status_code == 200 and accepted.get_json()["mine"] == "plebisciter"


def test_a_bearer_header_does_not_authenticate_a_page(world):  # noqa: F811
    """Tokens are for the API: on a page, the header is ignored and CSRF still applies."""
    world.restore()
    client = FlaskClient(world.app_with(WTF_CSRF_ENABLED=True))
    token = world.users["moderator"][2]
    response = client.post(f"/revisions/{world.values['first']}/revert",
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 400
    page = client.get("/moderation", headers={"Authorization": f"Bearer {token}"})
    assert page.status_code == 302 and "/login" in page.headers["Location"]


# --- Security headers ---------------------------------------------------------------------------

def _directives(csp: str) -> dict[str, list[str]]:
    directives = {}
    for part in csp.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


def _check_headers(response, https: bool = False) -> list[str]:
    problems = []
    csp = _directives(response.headers.get("Content-Security-Policy", ""))
    scripts = csp.get("script-src", csp.get("default-src"))
    if scripts is None:
        problems.append("no script-src")
    elif "'unsafe-inline'" in scripts or "'unsafe-eval'" in scripts or "*" in scripts:
        problems.append(f"script-src {scripts}")
    if csp.get("frame-ancestors") != ["'none'"]:
        problems.append(f"frame-ancestors {csp.get('frame-ancestors')}")
    if csp.get("object-src", csp.get("default-src")) != ["'none'"]:
        problems.append("object-src")
    if response.headers.get("X-Content-Type-Options") != "nosniff":
        problems.append("nosniff")
    if response.headers.get("Referrer-Policy") not in {"same-origin", "no-referrer",
                                                        "strict-origin-when-cross-origin"}:
        problems.append("Referrer-Policy")
    hsts = response.headers.get("Strict-Transport-Security", "")
    if https and not hsts.startswith("max-age=") or https and int(
            hsts.split("=")[1].split(";")[0]) < 15552000:
        problems.append(f"HSTS {hsts!r}")
    if not https and hsts:
        problems.append("HSTS over http")
    return problems


@pytest.mark.parametrize("item", GETS, ids=[_id(i) for i in GETS])
def test_every_page_carries_the_security_headers(world, item):  # noqa: F811
    endpoint, _index, case = item
    require_route(world, endpoint)
    world.restore()
    problems = {}
    for role in ("anonymous", "admin"):
        response = call(world, case, role)
        problems.update({f"{role} {response.status_code}": p
                         for p in [_check_headers(response)] if p})
        response.close()
    https = world.app_with(PREFERRED_URL_SCHEME="https")
    response = call(world, case, "admin", app=https)
    if found := _check_headers(response, https=True):
        problems["https"] = found
    response.close()
    assert not problems, f"{case.url}: {problems}"


@pytest.mark.parametrize(("method", "url"), [
    ("GET", "/n-existe-pas"), ("GET", "/api/v1/n-existe-pas"), ("DELETE", "/"),
    ("GET", "/revisions/999999"), ("GET", "/api/v1/revisions/999999"),
])
def test_error_answers_carry_the_security_headers_too(world, method, url):  # noqa: F811
    world.restore()
    response = FlaskClient(world.app).open(url, method=method)
    assert response.status_code >= 400
    assert not _check_headers(response)


def test_hsts_follows_the_request_scheme_behind_a_trusted_proxy(world):  # noqa: F811
    world.restore()
    direct = FlaskClient(world.app)
    assert "Strict-Transport-Security" not in direct.get(
        "/", headers={"X-Forwarded-Proto": "https"}).headers
    assert "Strict-Transport-Security" in direct.get("/", base_url="https://wiki.test").headers
    proxied = FlaskClient(world.app_with(TRUSTED_PROXIES=1))
    assert "Strict-Transport-Security" in proxied.get(
        "/", headers={"X-Forwarded-Proto": "https"}).headers


# --- Session cookies ---------------------------------------------------------------------------

def _session_cookie(response) -> str:
    cookies = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("session=")]
    assert cookies, "no session cookie set"
    return cookies[-1]


def test_the_session_cookie_is_httponly_and_samesite_lax(world):  # noqa: F811
    world.restore()
    client = FlaskClient(world.app)
    cookie = _session_cookie(client.post("/login", data={"username": world.values["owner"],
                                                          "password": PASSWORD}))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie


def test_the_session_cookie_is_secure_when_the_site_is_https(world):  # noqa: F811
    world.restore()
    client = FlaskClient(world.app_with(PREFERRED_URL_SCHEME="https"))
    cookie = _session_cookie(client.post("/login", data={"username": world.values["owner"],
                                                          "password": PASSWORD},
                                         base_url="https://wiki.test"))
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_the_https_scheme_from_the_environment_also_secures_cookies():
    code = ("from wiki import create_app; "
            "app = create_app({'SQLALCHEMY_DATABASE_URI': 'sqlite://', 'SECRET_KEY': 'k'}); "
            "print(app.config['SESSION_COOKIE_SECURE'], app.config['REMEMBER_COOKIE_SECURE'])")
    env = {**os.environ, "PREFERRED_URL_SCHEME": "https"}
    result = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.stdout.split() == ["True", "True"], result.stderr


def test_the_session_is_renewed_at_login(world):  # noqa: F811
    """Session fixation: what was in the session before login is gone, and the cookie the
    browser had before login does not carry the login."""
    world.restore()
    app = world.app
    client = FlaskClient(app)
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    before = client.get_cookie("session", domain="wiki.test").value
    client.post("/login", data={"username": world.values["owner"], "password": PASSWORD})
    after = client.get_cookie("session", domain="wiki.test").value
    assert after != before
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["_user_id"].startswith(f"{world.users['owner'][0]}:")
    assert client.get("/account").status_code == 200
    replay = FlaskClient(app)
    replay.set_cookie("session", before, domain="wiki.test")
    response = replay.get("/account")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_logout_ends_the_session(world):  # noqa: F811
    world.restore()
    client = FlaskClient(world.app)
    client.post("/login", data={"username": world.values["owner"], "password": PASSWORD})
    assert client.get("/account").status_code == 200
    response = client.post("/logout")
    assert response.status_code == 302
    with client.session_transaction() as session:
        assert "_user_id" not in session
    assert client.get("/account").status_code == 302
    vote = client.post(f"/revisions/{world.values['revision']}/vote",
                       data={"choice": "plebisciter"})
    assert "/login" in vote.headers["Location"]


def test_a_session_of_an_older_version_is_refused(world):  # noqa: F811
    """The loader checks the session version (bumped by a password change)."""
    world.restore()
    client = FlaskClient(world.app)
    user_id, version, _token = world.users["owner"]
    with client.session_transaction() as session:
        session["_user_id"] = f"{user_id}:{version - 1}"
    assert client.get("/account").status_code == 302
    for forged in (f"{user_id}", f"{user_id}:x", "abc", f"{user_id}:{version}:1"):
        with client.session_transaction() as session:
            session["_user_id"] = forged
        assert client.get("/account").status_code == 302, forged


# --- Redirects --------------------------------------------------------------------------------

OFF_SITE = [
    "//evil.com", "///evil.com", "////evil.com", "/\\evil.com", "\\\\evil.com", "\\/evil.com",
    "/\\/evil.com", "http:/evil.com", "https:evil.com", "http://evil.com", "https://evil.com/x",
    "HTTPS://evil.com", "http:\\\\evil.com", "%2F%2Fevil.com", "%252F%252Fevil.com",
    "/%2F/evil.com", "/%5Cevil.com", "/%09/evil.com", "/\t/evil.com", "/\n/evil.com",
    "/\r\n/evil.com", "\t//evil.com", " //evil.com", "/ /evil.com", "\x00//evil.com",
    "/\x00/evil.com", "/\u3000/evil.com", "\uff0f\uff0fevil.com", "/\u2028/evil.com",
    "javascript:alert(1)", "JaVaScRiPt:alert(1)", "/javascript:alert(1)//",
    "data:text/html,<script>alert(1)</script>", "//evil.com@wiki.test", "//wiki.test@evil.com",
    "https://wiki.test.evil.com", "//evil%E3%80%82com",
]


def _stays_on_site(location: str) -> bool:
    """Strictly: a path of this site (one slash, then neither slash nor backslash, no
    whitespace or controls), or an absolute URL on this host."""
    if re.search(r"[\x00-\x20\x7f-\x9f\u2028\u2029\u3000]", location):
        return False
    parts = urlsplit(location)
    if parts.scheme or parts.netloc:
        return parts.scheme in {"http", "https"} and parts.netloc == "wiki.test"
    return location.startswith("/") and location[1:2] not in {"/", "\\"} and "\\" not in location


def test_the_strict_check_itself_refuses_every_payload():
    assert not [p for p in OFF_SITE if _stays_on_site(p) and not p.startswith("/")]
    assert _stays_on_site("/definitions/x/history?avant=3")


@pytest.mark.parametrize("payload", OFF_SITE, ids=[repr(p) for p in OFF_SITE])
def test_next_never_leads_off_site(world, payload):  # noqa: F811
    world.restore()
    client = FlaskClient(world.app)
    encoded = quote(payload, safe="")
    page = client.get(f"/login?next={encoded}").get_data(as_text=True)
    for hidden in re.findall(r'name="next" value="([^"]*)"', page):
        assert _stays_on_site(hidden), hidden
    for url in (f"/login?next={encoded}",):
        response = client.post(url, data={"username": world.values["owner"],
                                          "password": PASSWORD})
        assert response.status_code == 302
        assert _stays_on_site(response.headers["Location"]), response.headers["Location"]
        client.post("/logout")
    as_field = client.post("/login", data={"username": world.values["owner"],
                                           "password": PASSWORD, "next": payload})
    assert _stays_on_site(as_field.headers["Location"]), as_field.headers["Location"]
    language = client.get(f"/langue/en?next={encoded}")
    assert language.status_code == 302
    assert _stays_on_site(language.headers["Location"]), language.headers["Location"]
    # Registration carries ``next`` too: in its form, and in the redirect once the account
    # exists.
    client.post("/logout")
    form = client.get(f"/register?next={encoded}").get_data(as_text=True)
    for hidden in re.findall(r'name="next" value="([^"]*)"', form):
        assert _stays_on_site(hidden), hidden
    username = "n" + hashlib.sha256(payload.encode()).hexdigest()[:12]
    registered = client.post(f"/register?next={encoded}", data={
        "username": username, "password": PASSWORD, "password_confirm": PASSWORD})
    assert registered.status_code == 302, registered.get_data(as_text=True)[:300]
    assert _stays_on_site(registered.headers["Location"]), registered.headers["Location"]


def test_next_keeps_paths_of_this_site(world):  # noqa: F811
    world.restore()
    client = FlaskClient(world.app)
    target = "/definitions/strategie-numerique/history?avant=3"
    response = client.post(f"/login?next={quote(target, safe='')}",
                           data={"username": world.values["owner"], "password": PASSWORD})
    assert response.headers["Location"] == target
    assert client.get(f"/langue/en?next={quote(target, safe='')}").headers["Location"] == target


# --- Secrets ----------------------------------------------------------------------------------

@pytest.mark.parametrize("key", [None, "", "dev", "secret", "changeme", "change-me",
                                 "development"])
def test_production_refuses_to_start_without_a_real_secret_key(key, tmp_path):
    from wiki import create_app

    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"ENV_PRODUCTION": True, "SECRET_KEY": key,
                    "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/w.db"})


def test_production_mode_from_the_environment_refuses_a_missing_key():
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    env["WIKI_ENV"] = "production"
    code = "from wiki import create_app; create_app({'SQLALCHEMY_DATABASE_URI': 'sqlite://'})"
    result = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr
    env["SECRET_KEY"] = "a-long-random-production-key-0123456789"
    started = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT,
                             capture_output=True, text=True, timeout=60)
    assert started.returncode == 0, started.stderr


def _secrets_of(world) -> dict[str, str]:  # noqa: F811
    """Every password hash (and its hash part alone), token digest, token and the key."""
    from wiki.extensions import db
    from wiki.models import ApiToken, User

    found = {"SECRET_KEY": world.config["SECRET_KEY"], "password": PASSWORD}
    with world.app.app_context():
        for user in db.session.scalars(db.select(User)):
            found[f"hash of {user.username}"] = user.password_hash
            found[f"hash part of {user.username}"] = user.password_hash.rsplit("$", 1)[-1]
            found[f"salt of {user.username}"] = user.password_hash.split("$")[1]
        for token in db.session.scalars(db.select(ApiToken)):
            found[f"digest {token.id}"] = token.digest
    for role, (_id, _version, token) in world.users.items():
        found[f"token of {role}"] = token
    return found


def test_no_secret_or_password_hash_appears_in_any_page_answer_or_log(world, caplog):  # noqa: F811
    """Every route of the access table as every role: no hash, digest, token, password or
    secret key in the answer (headers included) nor in the logs."""
    caplog.set_level(logging.DEBUG)
    world.restore()
    secrets = _secrets_of(world)
    leaks = []
    for endpoint, _index, case in CASES:
        if endpoint not in world.app.view_functions:
            continue
        for role in ("anonymous", "participant", "owner", "moderator", "admin"):
            if case.method != "GET":
                world.restore()
            response = call(world, case, role)
            text = response.get_data(as_text=True) + str(response.headers)
            response.close()
            own_token = world.users[role][2] if role != "anonymous" else None
            for name, secret in secrets.items():
                if secret == own_token and endpoint == "api.create_token":
                    continue
                if secret and secret in text:
                    leaks.append(f"{name} in {case.method} {case.url} as {role}")
    logged = "\n".join(record.getMessage() for record in caplog.records)
    leaks += [f"{name} in the logs" for name, secret in secrets.items()
              if secret and secret in logged]
    assert not leaks, "\n".join(leaks)


def test_the_token_is_shown_once_on_the_account_page_and_never_again(world):  # noqa: F811
    world.restore()
    client = FlaskClient(world.app)
    client.post("/login", data={"username": world.values["owner"], "password": PASSWORD})
    first = client.post("/account/tokens", data={"name": "script"}).get_data(as_text=True)
    token = re.search(r'id="new-token" readonly value="([^"]+)"', first).group(1)
    assert len(token) >= 43
    assert token not in client.get("/account").get_data(as_text=True)


def test_exports_carry_no_account_secret(world, tmp_path):  # noqa: F811
    """The revision exports and, once it exists, the definition archive."""
    world.restore()
    secrets = _secrets_of(world)
    client = FlaskClient(world.app)
    texts = [client.get(url.format(**world.values)).get_data(as_text=True)
             for url in ("/revisions/{revision}.md", "/revisions/{revision}.html")]
    commands = world.app.cli.list_commands(None) if hasattr(world.app.cli, "list_commands") \
        else []
    if "export-definition" in commands:
        runner = world.app.test_cli_runner()
        target = tmp_path / "export.json"
        result = runner.invoke(args=["export-definition", world.values["slug"], str(target)])
        texts.append(result.output + (target.read_text() if target.exists() else ""))
    leaks = [name for name, secret in secrets.items() for text in texts
             if secret and secret in text]
    assert not leaks
