"""Database away: while the database does not answer, pages answer 503 with a French page,
the API 503 with its JSON error, ``/healthz`` 503; a write caught by the outage stores nothing,
not even half of itself; when the database is back, the same app instance serves again.

How the database goes away:

- PostgreSQL: the app reaches it through a TCP proxy of this module; stopping the proxy closes
  its port and cuts every open connection (as a server that stops or a network that breaks),
  starting it again on the same port brings the database back. ``pool_pre_ping`` must then
  replace the dead pooled connections.
- SQLite: another connection holds the file. The file is in WAL mode, where a reader is never
  blocked by a writer, and an exclusive lock (``PRAGMA locking_mode=EXCLUSIVE``) can only be
  taken while no other connection has the file open. So the locked-file case is an app instance
  that meets a file already locked (a worker started while a maintenance tool holds the file):
  the lock is taken before the instance opens its first connection, then released. The other
  SQLite case is the write lock (``BEGIN EXCLUSIVE``) held while the app has its connections:
  reads go on, writes wait their busy timeout, then answer 503.

The app runs with ``TESTING = False``, as in production. Under ``TESTING`` Flask re-raises an
exception no error handler caught (``PROPAGATE_EXCEPTIONS``) instead of answering 500, and the
page cache (``wiki/pagecache.py``) is off; without it, the test sees what a reader would: the
registered handlers answer as they do in production (an ``OperationalError`` has its own
handler, so ``TESTING`` would not change that answer), and anything that escapes them is what a
WSGI server turns into a bare 500 — ``_answer`` reports it as such. The page cache is tested on
and off: it reads the database's version before the app runs, outside Flask's error handling.
"""

from __future__ import annotations

import hashlib
import json
import socket
import sqlite3
import threading
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, event, select
from sqlalchemy.engine import make_url

from tests.conftest import FAST_PASSWORD_HASH, PASSWORD
from wiki import create_app
from wiki.extensions import db

SLUG = "strategie-numerique"
SECRET_KEY = "database-away-secret-key"
UNAVAILABLE = "Le service est momentanément indisponible"
#: Every answer while the database is away must come this quickly: a reader who waits longer
#: has no answer at all (and gunicorn kills a sync worker after 30 s).
DEADLINE = 8.0
#: SQLite waits this long for a lock here, instead of the app's 30 s busy timeout (and
#: pysqlite's 5 s connect timeout): only for speed, the answer after the wait is what is tested.
SQLITE_WAIT = 0.25

#: The page cache asks the database for its version before the app runs: it must step aside.
PAGE_CACHE = [pytest.param(False, id="sans-cache"), pytest.param(True, id="cache-de-pages")]


# --- the outage --------------------------------------------------------------------------------

class TcpProxy:
    """127.0.0.1:<port> forwarded to ``target``; ``stop()`` closes the port and cuts every
    connection, ``start()`` opens the same port again."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target, self.port = target, 0
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self._sockets: set[socket.socket] = set()

    def start(self) -> None:
        with self._lock:
            if self._listener is not None:  # already listening
                return
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.port = listener.getsockname()[1]
        with self._lock:
            self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def stop(self) -> None:
        with self._lock:
            listener, self._listener = self._listener, None
            sockets, self._sockets = self._sockets, set()
        for sock in ([listener] if listener else []) + list(sockets):
            try:
                sock.shutdown(socket.SHUT_RDWR)  # wakes the threads blocked on it
            except OSError:
                pass
            sock.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _address = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            with self._lock:
                if self._listener is not listener:
                    client.close()
                    upstream.close()
                    return
                self._sockets |= {client, upstream}
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        for sock in (source, sink):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class PostgresOutage:
    #: The app may have served, pooled connections and all, before the database goes away.
    serves_before = True

    def __init__(self, url: str) -> None:
        self.direct_url = url
        parsed = make_url(url)
        self.proxy = TcpProxy((parsed.host or "127.0.0.1", parsed.port or 5432))
        self.proxy.start()
        self.app_url = parsed.set(host="127.0.0.1", port=self.proxy.port).render_as_string(
            hide_password=False)

    def engine_options(self) -> dict:
        return {}

    def away(self) -> None:
        self.proxy.stop()

    def back(self) -> None:
        self.proxy.start()

    def close(self) -> None:
        self.proxy.stop()


class SqliteOutage:
    #: An app that has the file open keeps reading it (WAL): the lock comes first.
    serves_before = False

    def __init__(self, url: str) -> None:
        self.direct_url = self.app_url = url
        self.path = make_url(url).database
        self.holder: sqlite3.Connection | None = None

    def engine_options(self) -> dict:
        return {"connect_args": {"timeout": SQLITE_WAIT}}

    def away(self) -> None:
        """Another connection takes the file for itself, readers included."""
        self.holder = sqlite3.connect(self.path, timeout=1, isolation_level=None)
        self.holder.execute("PRAGMA locking_mode=EXCLUSIVE")
        self.holder.execute("BEGIN EXCLUSIVE")
        self.holder.execute("COMMIT")  # the exclusive lock stays until the connection closes

    def lock_writes(self) -> None:
        """Another connection holds the write lock (in WAL, readers go on)."""
        self.holder = sqlite3.connect(self.path, timeout=1, isolation_level=None)
        self.holder.execute("BEGIN EXCLUSIVE")

    def back(self) -> None:
        if self.holder is not None:
            self.holder.close()
            self.holder = None

    def close(self) -> None:
        self.back()


@pytest.fixture
def outage(database_url):
    outage = (SqliteOutage if database_url.startswith("sqlite") else PostgresOutage)(
        database_url)
    yield outage
    outage.close()


# --- the wiki, its users, the app under test --------------------------------------------------

def _prepare(url: str) -> dict:
    """Seed the database, make a moderator with an API token and a logged-in browser session,
    through an app of its own that then closes its connections."""
    from wiki.services.accounts import create_token, register
    from wiki.services.editing import get_definition
    from wiki.services.seeding import seed

    setup = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url,
                        "SECRET_KEY": SECRET_KEY, "WTF_CSRF_ENABLED": False,
                        "RATELIMIT_ENABLED": False, "PASSWORD_HASH_METHOD": FAST_PASSWORD_HASH})
    with setup.app_context():
        seed()
        moderator = register("moderatrice", PASSWORD, "Marie Modératrice", role="moderator")
        token = create_token(moderator.id)
        head = get_definition(SLUG).head
        world = {"token": token, "head_id": head.id, "head_body": head.body}
        db.session.commit()
        browser = setup.test_client()
        assert browser.post("/login", data={"username": "moderatrice",
                                            "password": PASSWORD}).status_code == 302
        world["session_cookie"] = browser.get_cookie("session").value
        db.session.remove()
        db.engine.dispose()
    return world


@pytest.fixture
def make_app():
    """The app under test, configured as in production (see the module docstring); its
    connections are closed at the end of the test."""
    apps = []

    def make(outage, page_cache: bool = False):
        app = create_app({
            "TESTING": False, "SQLALCHEMY_DATABASE_URI": outage.app_url,
            "SQLALCHEMY_ENGINE_OPTIONS": outage.engine_options(), "SECRET_KEY": SECRET_KEY,
            "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False, "PAGE_CACHE": page_cache,
            "PASSWORD_HASH_METHOD": FAST_PASSWORD_HASH})
        if isinstance(outage, SqliteOutage):
            with app.app_context():
                @event.listens_for(db.engine, "connect")
                def _wait_less(dbapi_connection, _record) -> None:  # after the app's PRAGMAs
                    dbapi_connection.execute(f"PRAGMA busy_timeout={int(SQLITE_WAIT * 1000)}")
        apps.append(app)
        return app

    yield make
    for app in apps:
        with app.app_context():
            db.engine.dispose()


def _browser(app, world: dict):
    client = app.test_client()
    client.set_cookie("session", world["session_cookie"])
    return client


def _answer(client, method: str, path: str, **kwargs):
    """The app's answer within ``DEADLINE`` seconds; an exception that escapes the app, or no
    answer in time, fails the test with what a reader would get instead."""
    outcome: dict = {}

    def call() -> None:
        try:
            outcome["response"] = client.open(path, method=method, **kwargs)
        except Exception as error:  # reported below, as the WSGI server would answer it
            outcome["error"] = error

    thread = threading.Thread(target=call, daemon=True)
    thread.start()
    thread.join(DEADLINE)
    if thread.is_alive():
        pytest.fail(f"{method} {path}: no answer within {DEADLINE} s")
    if "error" in outcome:
        error = outcome["error"]
        pytest.fail(f"{method} {path}: {type(error).__name__} escaped the app, so the WSGI "
                    f"server answers a bare 500: {str(error).splitlines()[0]}")
    return outcome["response"]


def _edit(world: dict, line: str) -> dict:
    return {"body": world["head_body"].rstrip("\n") + f"\n\n{line}\n",
            "summary": "Pendant la panne", "base_revision_id": world["head_id"]}


def _api_write(client, world: dict, line: str):
    return _answer(client, "POST", f"/api/v1/definitions/{SLUG}/revisions", json=_edit(world, line),
                   headers={"Authorization": f"Bearer {world['token']}"})


def _page_write(browser, world: dict, line: str):
    return _answer(browser, "POST", f"/definitions/{SLUG}/edit", data=_edit(world, line))


def content_hashes(url: str) -> dict[str, tuple[int, str]]:
    """``{table: (rows, sha256 of its rows in primary-key order)}``, read on a connection of
    its own (the app under test is not asked)."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            hashes = {}
            for table in db.metadata.sorted_tables:
                rows = connection.execute(
                    select(table).order_by(*table.primary_key.columns)).all()
                payload = json.dumps([list(row) for row in rows], default=str,
                                     ensure_ascii=False)
                hashes[table.name] = (len(rows), hashlib.sha256(payload.encode()).hexdigest())
            return hashes
    finally:
        engine.dispose()


def _assert_unavailable_page(response) -> None:
    assert response.status_code == 503, response.status_code
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert '<html lang="fr">' in page
    assert UNAVAILABLE in page


def _assert_unavailable_json(response) -> None:
    assert response.status_code == 503, response.status_code
    assert response.mimetype == "application/json"
    error = response.get_json()["error"]
    assert set(error) == {"code", "message", "details"}
    assert error["code"] == "database_unavailable"
    assert error["message"].startswith(UNAVAILABLE)
    assert error["details"] == {}


@contextmanager
def _away(outage):
    outage.away()
    try:
        yield
    finally:
        outage.back()


def _assert_serves(app, world: dict, line: str) -> int:
    """The app reads and writes again: answers the saved revision's id."""
    reader = app.test_client()
    assert _answer(reader, "GET", "/healthz").status_code == 200
    assert _answer(reader, "GET", "/").status_code == 200
    assert _answer(reader, "GET", f"/api/v1/definitions/{SLUG}").status_code == 200
    saved = _api_write(reader, world, line)
    assert saved.status_code == 201, saved.get_data(as_text=True)
    assert line in saved.get_json()["body"]
    return saved.get_json()["id"]


# --- the tests ---------------------------------------------------------------------------------

@pytest.mark.parametrize("page_cache", PAGE_CACHE)
def test_pages_api_and_healthz_answer_503_while_the_database_is_away_then_serve_again(
        outage, make_app, page_cache):
    world = _prepare(outage.direct_url)
    app = make_app(outage, page_cache)
    reader = app.test_client()
    if outage.serves_before:
        assert _answer(reader, "GET", "/").status_code == 200
        assert _answer(reader, "GET", "/healthz").status_code == 200
    before = content_hashes(outage.direct_url)

    with _away(outage):
        assert _answer(reader, "GET", "/healthz").status_code == 503
        for path in ("/", f"/definitions/{SLUG}/history", f"/revisions/{world['head_id']}"):
            _assert_unavailable_page(_answer(reader, "GET", path))
        _assert_unavailable_json(_answer(reader, "GET", f"/api/v1/definitions/{SLUG}"))
        _assert_unavailable_json(_answer(reader, "GET", f"/api/v1/revisions/{world['head_id']}",
                                         headers={"Authorization": f"Bearer {world['token']}"}))
        _assert_unavailable_json(_api_write(reader, world, "Écrite pendant la panne."))

    assert content_hashes(outage.direct_url) == before, "the outage changed the database"
    _assert_serves(app, world, "Écrite après la panne.")


def test_a_logged_in_reader_gets_the_french_503_page_while_the_database_is_away(outage,
                                                                              make_app):
    world = _prepare(outage.direct_url)
    app = make_app(outage)
    browser = _browser(app, world)
    if outage.serves_before:
        assert _answer(browser, "GET", "/").status_code == 200
    before = content_hashes(outage.direct_url)

    with _away(outage):
        _assert_unavailable_page(_answer(browser, "GET", "/"))
        _assert_unavailable_page(_page_write(browser, world, "Écrite pendant la panne."))

    assert content_hashes(outage.direct_url) == before, "the outage changed the database"
    assert _answer(browser, "GET", "/").status_code == 200
    _assert_serves(app, world, "Écrite après la panne.")


def test_a_write_caught_by_the_outage_stores_nothing_and_the_next_one_is_saved(outage,
                                                                               make_app):
    """PostgreSQL: the connections are cut just as the revision row is being inserted.
    SQLite: another connection holds the write lock; reads go on (WAL), writes wait, then
    answer 503, from the API and from a page's form. Either way nothing of the write is stored,
    and once the database is back the same app saves the next write."""
    world = _prepare(outage.direct_url)
    app = make_app(outage)
    reader, browser = app.test_client(), _browser(app, world)
    assert _answer(browser, "GET", f"/definitions/{SLUG}/edit").status_code == 200
    # The token's first use records it (« last used », once a minute): done before the
    # snapshot, so that what follows may only add the write itself.
    assert _answer(reader, "GET", f"/api/v1/definitions/{SLUG}",
                   headers={"Authorization": f"Bearer {world['token']}"}).status_code == 200
    before = content_hashes(outage.direct_url)

    if isinstance(outage, PostgresOutage):
        with app.app_context():
            engine = db.engine
        cuts: list[str] = []

        def cut(_conn, _cursor, statement, *_args) -> None:
            if statement.lstrip().upper().startswith("INSERT INTO REVISIONS"):
                cuts.append(statement)
                outage.away()

        event.listen(engine, "before_cursor_execute", cut)
        try:
            _assert_unavailable_json(_api_write(reader, world, "Coupée en plein vol."))
            # Still away: the next write cannot even begin.
            _assert_unavailable_json(_api_write(reader, world, "Coupée, encore."))
            outage.back()
            # A logged-in writer's form, cut the same way: the French page, not a bare 500
            # (the rollback expired their account, which the page must not reload).
            _assert_unavailable_page(_page_write(browser, world, "Coupée (page)."))
        finally:
            event.remove(engine, "before_cursor_execute", cut)
            outage.back()
        assert len(cuts) == 2, "a write never reached the revision's INSERT"
    else:
        outage.lock_writes()
        try:
            _assert_unavailable_json(_api_write(reader, world, "Bloquée (API)."))
            _assert_unavailable_page(_page_write(browser, world, "Bloquée (page)."))
            # Readers are not writers: the pages and the API still read.
            assert _answer(reader, "GET", "/").status_code == 200
            assert _answer(reader, "GET", f"/api/v1/definitions/{SLUG}").status_code == 200
        finally:
            outage.back()

    assert content_hashes(outage.direct_url) == before, "a failed write left something behind"
    revision_id = _assert_serves(app, world, "Écrite après la panne.")
    engine = create_engine(outage.direct_url)
    try:
        with engine.connect() as connection:
            from wiki.models import Revision

            body = connection.scalar(select(Revision.body).where(Revision.id == revision_id))
    finally:
        engine.dispose()
    assert "Écrite après la panne." in body
    assert "Coupée" not in body and "Bloquée" not in body
    page = _answer(browser, "POST", f"/definitions/{SLUG}/edit", data={
        "body": body.rstrip("\n") + "\n\nDepuis la page, après la panne.\n",
        "summary": "Après la panne", "base_revision_id": revision_id})
    assert page.status_code == 302, page.status_code
