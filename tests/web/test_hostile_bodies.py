"""Hostile request bodies, on both databases: too large (also when the client lies in
``Content-Length`` or streams chunked, against a real HTTP server), JSON that is not an object
or is nested 100,000 levels deep, keys or form fields sent twice, wrong content types, bytes
that are not UTF-8 and control characters. Each answers a clear 4xx, never a 500, and leaves
every table exactly as it was (``unchanged_tables`` hashes them all before and after)."""

from __future__ import annotations

import hashlib
import http.client
import json
import socket
import threading
import time
from collections.abc import Iterator

import pytest
from flask import got_request_exception
from sqlalchemy import inspect, text
from werkzeug.serving import make_server

from tests.domain.test_markup import PATHOLOGICAL
from wiki.extensions import db

SLUG = "strategie-numerique"
SAVE = f"/api/v1/definitions/{SLUG}/revisions"
EDIT = f"/definitions/{SLUG}/edit"
HOST = "wiki.test"
#: The answer must come quickly: a server that waits for bytes that never come has hung.
SOCKET_TIMEOUT = 10


# --- every table, hashed ------------------------------------------------------------------------

def table_hashes() -> dict[str, str]:
    """A digest of every table of the database (the search index and the migrations' own table
    included: on SQLite, the FTS5 shadow tables), rows in a stable order, read through a
    connection of its own so that nothing the test's session holds hides a write made by
    another request."""
    db.session.commit()
    digests = {}
    with db.engine.connect() as connection:
        virtual = set()
        if connection.dialect.name == "sqlite":  # FTS5: its shadow tables hold the rows
            virtual = set(connection.execute(text(
                "SELECT name FROM sqlite_master WHERE sql LIKE 'CREATE VIRTUAL TABLE%'")
            ).scalars())
        for name in sorted(set(inspect(connection).get_table_names()) - virtual):
            rows = connection.execute(text(f'SELECT * FROM "{name}"')).all()
            lines = sorted(repr(tuple(row)) for row in rows)
            digests[name] = hashlib.sha256("\n".join(lines).encode()).hexdigest()
    return digests


@pytest.fixture
def unchanged_tables(app, errors) -> Iterator[None]:
    """Every table is the same after the test as before it (nothing stored, even half-way)."""
    before = table_hashes()
    assert before, "no table found"
    yield
    after = table_hashes()
    changed = sorted(name for name in before if before[name] != after.get(name))
    assert not changed and set(after) == set(before), f"tables changed: {changed}"


@pytest.fixture
def errors(app) -> Iterator[list[BaseException]]:
    """Exceptions the app raised while answering (a 500): none is allowed."""
    seen: list[BaseException] = []

    def record(sender, exception, **extra):
        seen.append(exception)

    got_request_exception.connect(record, app)
    yield seen
    got_request_exception.disconnect(record, app)
    assert not seen, f"the app failed on a request: {seen!r}"


def test_the_table_hash_sees_a_stored_revision(app, save, moderator):
    """The fixture's detector can fail: one saved revision changes the hashes."""
    before = table_hashes()
    save(moderator, "Un texte neuf pour voir le hachage changer.")
    after = table_hashes()
    assert {name for name in before if before[name] != after[name]} >= {"revisions", "events"}


# --- a real HTTP server ---------------------------------------------------------------------

class Server:
    """The test's app served by werkzeug on 127.0.0.1, in a thread (the test client never
    sends a lying Content-Length nor a chunked body)."""

    def __init__(self, app) -> None:
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.port = self._server.server_port
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def raw(self, head: bytes, body: bytes = b"", *, chunks: list[bytes] | None = None,
            stop_after: int | None = None) -> tuple[int, bytes]:
        """Send ``head`` then ``body`` (or ``chunks``, chunked) on one socket; return the
        status and the answer's body. ``stop_after``: send only that many body bytes, then
        wait for the answer without closing. A reset after the answer started is fine."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=SOCKET_TIMEOUT) as sock:
            sock.sendall(head)
            payload = body if chunks is None else b"".join(
                b"%x\r\n%s\r\n" % (len(chunk), chunk) for chunk in [*chunks, b""])
            if stop_after is not None:
                payload = payload[:stop_after]
            sender = threading.Thread(target=_send_quietly, args=(sock, payload), daemon=True)
            sender.start()
            answer = _read_answer(sock)
            sender.join(SOCKET_TIMEOUT)
        status_line, _, rest = answer.partition(b"\r\n")
        assert status_line.startswith(b"HTTP/1."), answer[:200]
        return int(status_line.split()[1]), rest.partition(b"\r\n\r\n")[2]

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=SOCKET_TIMEOUT)
        try:
            connection.request(method, path, body=body, headers={"Host": HOST, **(headers or {})})
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


def _send_quietly(sock: socket.socket, payload: bytes) -> None:
    try:
        sock.sendall(payload)
    except OSError:  # the server answered and closed before reading everything: allowed
        pass


def _read_answer(sock: socket.socket) -> bytes:
    """Read one answer: its head, then as many bytes as its Content-Length says (a server
    may keep the connection open to drain a body it refused)."""
    received = b""
    deadline = time.monotonic() + SOCKET_TIMEOUT
    while time.monotonic() < deadline:
        head, separator, body = received.partition(b"\r\n\r\n")
        if separator:
            length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                           if line.lower().startswith(b"content-length:")), None)
            if length is not None and len(body) >= length:
                return received
        try:
            data = sock.recv(65536)
        except ConnectionResetError:
            break
        except TimeoutError:
            break
        if not data:
            break
        received += data
    assert received, "the server closed without answering"
    head, separator, _ = received.partition(b"\r\n\r\n")
    assert separator and b"content-length:" not in head.lower(), \
        f"no complete answer within {SOCKET_TIMEOUT} s: {received[:300]!r}"
    return received


@pytest.fixture
def server(app) -> Iterator[Server]:
    live = Server(app)
    yield live
    live.stop()


@pytest.fixture
def api_headers(client, moderator, token_for) -> dict[str, str]:
    """A moderator's token (used once, so that its « last used » time, written once a minute
    at most, is set before the tables are hashed) and the JSON content type."""
    headers = token_for(moderator)
    assert client.get("/api/v1/definitions", headers=headers).status_code == 200
    return {**headers, "Content-Type": "application/json"}


@pytest.fixture
def bearer(moderator, token_for, server) -> dict[str, str]:
    """A moderator's token, used once before the test so that its « last used » time (one
    write a minute at most) is already set when the tables are hashed."""
    headers = token_for(moderator)
    status, _ = server.request("GET", "/api/v1/definitions", headers=headers)
    assert status == 200
    return headers


@pytest.fixture
def cookie(moderator, server) -> str:
    """A logged-in moderator's session cookie, for the pages' forms."""
    from tests.conftest import PASSWORD

    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=SOCKET_TIMEOUT)
    connection.request("POST", "/login", body=f"username=moderatrice&password={PASSWORD}",
                       headers={"Host": HOST,
                                "Content-Type": "application/x-www-form-urlencoded"})
    response = connection.getresponse()
    response.read()
    connection.close()
    assert response.status == 302, response.status
    return "; ".join(value.split(";", 1)[0] for name, value in response.getheaders()
                     if name.lower() == "set-cookie")


def _head(method: str, path: str, headers: dict[str, str]) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}", "Connection: close",
             *(f"{name}: {value}" for name, value in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _json_error(raw: bytes) -> dict:
    return json.loads(raw)["error"]


def _big_json(app) -> bytes:
    size = app.config["MAX_CONTENT_LENGTH"] + 1024
    return b'{"base_revision_id": 1, "summary": "x", "body": "' + b"a" * size + b'"}'


def _big_form(app) -> bytes:
    return b"base_revision_id=1&summary=x&body=" + b"a" * (app.config["MAX_CONTENT_LENGTH"] + 1024)


FORM = "application/x-www-form-urlencoded"


# --- over the limit: 413 --------------------------------------------------------------------

def test_an_api_body_over_the_limit_is_413_json_over_a_real_connection(
        app, server, bearer, unchanged_tables):
    body = _big_json(app)
    status, answer = server.raw(_head("POST", SAVE, {
        **bearer, "Content-Type": "application/json", "Content-Length": str(len(body))}), body)
    assert status == 413
    assert _json_error(answer)["code"] == "too_large"


def test_a_declared_length_over_the_limit_is_413_without_waiting_for_the_bytes(app, server,
        bearer, unchanged_tables):
    """Content-Length says 1 GB, the client sends 100 bytes and waits: the answer comes at
    once (the server does not wait for a body it would refuse anyway)."""
    body = _big_json(app)
    started = time.monotonic()
    status, answer = server.raw(_head("POST", SAVE, {
        **bearer, "Content-Type": "application/json", "Content-Length": str(10**9)}), body,
        stop_after=100)
    assert status == 413
    assert _json_error(answer)["code"] == "too_large"
    assert time.monotonic() - started < 2


def test_a_chunked_api_body_over_the_limit_is_413(app, server, bearer, unchanged_tables):
    """No Content-Length at all: the limit holds on the bytes as they stream in."""
    chunks = [b'{"base_revision_id": 1, "summary": "x", "body": "'] + \
        [b"a" * 65536] * (app.config["MAX_CONTENT_LENGTH"] // 65536 + 2) + [b'"}']
    status, answer = server.raw(_head("POST", SAVE, {
        **bearer, "Content-Type": "application/json", "Transfer-Encoding": "chunked"}),
        chunks=chunks)
    assert status == 413
    assert _json_error(answer)["code"] == "too_large"


def test_a_chunked_form_over_the_limit_is_413_on_a_page(app, server, cookie, unchanged_tables):
    big = _big_form(app)
    chunks = [big[i:i + 65536] for i in range(0, len(big), 65536)]
    status, answer = server.raw(_head("POST", EDIT, {
        "Cookie": cookie, "Content-Type": FORM, "Transfer-Encoding": "chunked"}), chunks=chunks)
    assert status == 413
    assert b"<html" in answer.lower()


def test_a_form_over_the_limit_is_413_on_a_page(app, server, cookie, unchanged_tables):
    body = _big_form(app)
    status, answer = server.raw(_head("POST", EDIT, {
        "Cookie": cookie, "Content-Type": FORM, "Content-Length": str(len(body))}), body)
    assert status == 413
    assert "trop volumineuse" in answer.decode()


def test_a_chunked_body_within_the_limit_is_read_whole(app, server, bearer, seed_revision):
    """The control of the two tests above: a chunked body does reach the app, in full."""
    from wiki.models import Revision

    body = json.dumps({"base_revision_id": seed_revision.id, "summary": "Envoi découpé",
                       "body": "Un texte envoyé en morceaux. " * 400}).encode()
    chunks = [body[i:i + 1000] for i in range(0, len(body), 1000)]
    status, answer = server.raw(_head("POST", SAVE, {
        **bearer, "Content-Type": "application/json", "Transfer-Encoding": "chunked"}),
        chunks=chunks)
    assert status == 201, answer[:300]
    db.session.rollback()  # a fresh snapshot of the database
    assert db.session.get(Revision, json.loads(answer)["id"]).body.count("morceaux") == 400


def test_a_content_length_smaller_than_the_body_only_reads_what_it_declares(app, server,
        bearer, unchanged_tables):
    """The client says 20 bytes and sends 1.5 MB: the app sees the 20 declared bytes (a cut
    JSON → 400), never more; the rest is not read as the body, and the server still answers
    the next request."""
    body = _big_json(app)
    status, answer = server.raw(_head("POST", SAVE, {
        **bearer, "Content-Type": "application/json", "Content-Length": "20"}), body)
    assert status == 400
    assert _json_error(answer)["code"] == "invalid_json"
    assert server.request("GET", "/healthz")[0] == 200


# --- JSON that is not an object, nested too deep, keys twice --------------------------------

NOT_OBJECTS = [b"[]", b'["body"]', b'"texte"', b"42", b"true", b"null",
               b"[" * 100_000 + b"]" * 100_000, b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
               b'{"body": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"]
NOT_OBJECT_IDS = ["empty-array", "array", "string", "number", "true", "null", "deep-array",
                  "deep-object", "deep-field"]


def _write_paths() -> list[tuple[str, str]]:
    from wiki.views.api.spec import build_document, operations

    concrete = {"{slug}": SLUG, "{code}": "abc"}
    result = []
    for method, path in operations(build_document()):
        if method in {"POST", "PUT", "PATCH", "DELETE"}:
            for name, value in concrete.items():
                path = path.replace(name, value)
            result.append((method, "/".join("1" if part.startswith("{") else part
                                            for part in path.split("/"))))
    return result


@pytest.mark.parametrize("raw", NOT_OBJECTS, ids=NOT_OBJECT_IDS)
def test_json_that_is_not_an_object_is_400_on_every_write(
        client, api_headers, raw, unchanged_tables):
    headers = api_headers
    for method, path in _write_paths():
        response = client.open(path, method=method, data=raw, headers=headers)
        assert response.status_code == 400, (method, path, response.status_code)
        assert response.get_json()["error"]["code"] == "invalid_json", (method, path)


DUPLICATE_JSON = [
    (SAVE, b'{"body": "Premier.", "body": "Second.", "summary": "x", "base_revision_id": 1}',
     "body"),
    (SAVE, b'{"body": "Un texte.", "summary": "x", "base_revision_id": 1, '
     b'"base_revision_id": 2}', "base_revision_id"),
    ("/api/v1/revisions/1/comments", b'{"body": "Un avis.", "body": "Un autre."}', "body"),
    (f"/api/v1/definitions/{SLUG}/remixes",
     b'{"from_revision_id": 1, "title": "Un titre", "title": "Un autre"}', "title"),
    (SAVE, b'{"body": "Un texte.", "summary": "x", "base_revision_id": 1, '
     b'"extra": {"k": 1, "k": 2}}', "k"),
]


@pytest.mark.parametrize(("path", "raw", "key"), DUPLICATE_JSON,
                         ids=["body", "base_revision_id", "comment-body", "remix-title",
                              "nested-key"])
def test_a_json_key_sent_twice_is_400_naming_it(client, api_headers, path, raw, key,
                                        unchanged_tables):
    """Which of two « body » counts is a guess the server must not make."""
    headers = api_headers
    response = client.post(path, data=raw, headers=headers)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "invalid_json"
    assert key in error["message"] and error["details"]["field"] == key


# --- forms: fields twice, wrong content types -------------------------------------------

def _forms(remix_id: int) -> list[tuple[str, dict[str, str]]]:
    edit = {"body": "Un texte revu.", "summary": "Relecture", "base_revision_id": "1"}
    return [
        (EDIT, edit),
        (f"/remixes/{remix_id}/edit", {**edit, "base_revision_id": "1"}),
        (f"/definitions/{SLUG}/propose", {**edit, "title": "Une proposition"}),
        ("/revisions/1/comments", {"body": "Un avis."}),
        ("/revisions/1/remix", {"title": "Un remix", "description": ""}),
        ("/account/profile", {"display_name": "Marie"}),
        ("/login", {"username": "moderatrice", "password": "x"}),
        ("/register", {"username": "nouvelle", "display_name": "Nouvelle",
                       "password": "un-mot-de-passe-solide",
                       "password_confirm": "un-mot-de-passe-solide"}),
    ]


@pytest.fixture
def remix_id(app, moderator) -> int:
    from wiki.services.editing import get_definition
    from wiki.services.remixing import fork

    definition = get_definition(SLUG)
    return fork(definition_id=definition.id, from_revision_id=definition.head_revision_id,
                title="Un remix existant", owner=moderator).id


@pytest.fixture
def logged_in(client, auth, moderator, remix_id) -> int:
    assert auth.login("moderatrice").status_code == 302
    return remix_id


def _encode(fields: list[tuple[str, str]]) -> bytes:
    from urllib.parse import urlencode

    return urlencode(fields).encode()


def test_every_form_field_sent_twice_is_400(client, logged_in, unchanged_tables):
    """Two ``body`` (or ``base_revision_id``, ``title``…) in one form: 400 naming the field,
    for each field of each form that writes."""
    for path, fields in _forms(logged_in):
        for name, value in fields.items():
            pairs = [*fields.items(), (name, value + " bis" if value else "x")]
            response = client.post(path, data=_encode(pairs), content_type=FORM)
            assert response.status_code == 400, (path, name, response.status_code)
            assert f"« {name} »" in response.get_data(as_text=True), (path, name)


@pytest.mark.parametrize(("content_type", "raw"), [
    ("application/json", b'{"body": "Un texte revu.", "summary": "x", "base_revision_id": 1}'),
    ("text/plain", b"body=Un texte revu.&summary=x&base_revision_id=1"),
    ("application/xml", b"<body>Un texte revu.</body>"),
    (None, b"body=Un+texte+revu.&summary=x&base_revision_id=1"),
], ids=["json", "text-plain", "xml", "no-content-type"])
def test_a_page_form_in_another_content_type_is_a_clear_4xx(client, logged_in, content_type,
                                                            raw, unchanged_tables):
    """A form page reads forms only: anything else leaves its fields empty, and the page
    says which one is missing (never a 500, nothing saved)."""
    headers = {"Content-Type": content_type} if content_type else {}
    response = client.post(EDIT, data=raw, headers=headers)
    assert 400 <= response.status_code < 500
    assert "<form" in response.get_data(as_text=True)


# --- bytes that are not UTF-8, control characters ------------------------------------------

BAD_TEXT = [("nul", "a\x00b"), ("bell", "a\x07b"), ("escape", "a\x1b[31mb"),
            ("backspace", "a\x08b")]
#: Where each text field is written: (path, other fields, field).
TEXT_FIELDS = [
    ("revision-body", EDIT, {"summary": "x", "base_revision_id": "1"}, "body"),
    ("edit-summary", EDIT, {"body": "Un texte revu.", "base_revision_id": "1"}, "summary"),
    ("comment", "/revisions/1/comments", {}, "body"),
    ("remix-title", "/revisions/1/remix", {}, "title"),
    ("display-name", "/account/profile", {}, "display_name"),
]


@pytest.mark.parametrize(("path", "others", "field"), [row[1:] for row in TEXT_FIELDS],
                         ids=[row[0] for row in TEXT_FIELDS])
def test_invalid_utf8_and_c0_controls_in_a_form_are_400(
        client, logged_in, path, others, field, unchanged_tables):
    for encoded in (b"%FF%FE", b"\xff\xfe", b"%C3%28", b"%ED%A0%80"):  # lone surrogate last
        raw = _encode(list(others.items())) + b"&" + field.encode() + b"=Un+" + encoded
        response = client.post(path, data=raw.lstrip(b"&"), content_type=FORM)
        assert response.status_code == 400, (field, encoded, response.status_code)
    for name, value in BAD_TEXT:
        response = client.post(path, data={**others, field: f"Un {value}"})
        assert response.status_code == 400, (field, name, response.status_code)


API_TEXT_FIELDS = [
    ("revision-body", SAVE, {"summary": "x", "base_revision_id": 1}, "body"),
    ("edit-summary", SAVE, {"body": "Un texte revu.", "base_revision_id": 1}, "summary"),
    ("comment", "/api/v1/revisions/1/comments", {}, "body"),
    ("remix-title", f"/api/v1/definitions/{SLUG}/remixes", {"from_revision_id": 1}, "title"),
]


@pytest.mark.parametrize(("path", "others", "field"), [row[1:] for row in API_TEXT_FIELDS],
                         ids=[row[0] for row in API_TEXT_FIELDS])
def test_invalid_utf8_and_c0_controls_in_json_are_400_invalid_text(client, api_headers,
                                                                   path, others, field,
                                                                   unchanged_tables):
    headers = api_headers
    prefix = json.dumps(others)[:-1].encode() + (b", " if others else b"")
    for raw in (b"\xff\xfe", b"\xc3\x28", b"\xed\xa0\x80"):
        response = client.post(path, data=prefix + f'"{field}": "Un '.encode() + raw + b'"}',
                               headers=headers)
        assert response.status_code == 400, (field, raw)
        assert response.get_json()["error"]["code"] == "invalid_text"
    for name, value in [*BAD_TEXT, ("escaped-lone-surrogate", "\ud800")]:
        body = json.dumps({**others, field: f"Un {value}"})
        response = client.post(path, data=body, headers=headers)
        assert response.status_code == 400, (field, name, response.status_code)
        assert response.get_json()["error"]["code"] == "invalid_text", (field, name)


# --- Pathological Markdown over HTTP -----------------------------------------------------------


#: A hang guard, not a speed measure: the render budget (MARKDOWN_BUDGET, 1.5 s by default) is
#: what keeps each answer within 2 s; this only proves that nothing waits much longer.
HANG = 8.0


@pytest.mark.parametrize("source", PATHOLOGICAL.values(), ids=PATHOLOGICAL.keys())
def test_pathological_markdown_is_saved_or_refused_as_too_complex_and_the_worker_stays_free(
        app, client, api_headers, source):
    head = client.get(f"/api/v1/definitions/{SLUG}").get_json()["head"]["id"]
    before = table_hashes()
    started = time.monotonic()
    response = client.post(f"/api/v1/definitions/{SLUG}/revisions", headers=api_headers, json={
        "body": source, "summary": "Texte hostile", "base_revision_id": head})
    assert time.monotonic() - started < HANG
    if response.status_code == 201:
        assert response.get_json()["html"] is not None
    else:
        # Over the byte limit (413) or too complex (422): nothing stored, the field named.
        assert response.status_code in (413, 422), response.get_data(as_text=True)[:300]
        error = response.get_json()["error"]
        assert error["code"] in ("too_large", "too_complex")
        assert error["details"]["field"] == "body"
        assert table_hashes() == before
    # The next author is served at once: the renderer was not left stuck.
    head = client.get(f"/api/v1/definitions/{SLUG}").get_json()["head"]["id"]
    ok = client.post(f"/api/v1/definitions/{SLUG}/revisions", headers=api_headers, json={
        "body": "Un texte *ordinaire*.", "summary": "Après", "base_revision_id": head})
    assert ok.status_code == 201
    assert ok.get_json()["html"] == "<p>Un texte <em>ordinaire</em>.</p>"
