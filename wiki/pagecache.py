"""Whole answers of the public read pages, kept per worker while the database is unchanged.

During a live training, tens of readers open the same few pages at once; rendering one costs
5–50 ms (queries, templates, diffs) where a minimal Flask answer costs a fraction of a
millisecond. An anonymous reader's page depends only on the request line, a few headers and the
database, so the finished answer — status, headers and body exactly as the app sent them — is
kept and sent again while none of these changed. The first request after any write renders
afresh. HTTP semantics are untouched: the kept answer carries the page's own ETag and
``Cache-Control`` (DECISIONS.md's « no-cache »), and ``If-None-Match`` gets the same 304.

It is a WSGI layer around the Flask app, so a hit costs less than Flask's own dispatch.

- Only ``GET`` without ``Authorization`` and without any cookie but the language one; only
  endpoints of ``CACHED_ENDPOINTS`` (pages that depend on nothing but the URL, the language and
  the database) answered 200 without ``Set-Cookie``: the app marks them (``_mark``).
- The key: path, query, host, scheme, forwarded headers, the ``lang`` cookie,
  ``Accept-Language``, and the database's version, read *before* the app reads its data:
  - SQLite: ``PRAGMA data_version`` on a connection of the worker's own that never writes: it
    changes whenever any connection, of this process or another, commits;
  - PostgreSQL: ``pg_current_snapshot()``: two equal snapshots see exactly the same committed
    transactions (of the whole server: another database's writes only cost a re-render).
  An answer is thus only reused when nothing was committed since it was rendered.
- An entry also expires after ``MAX_AGE`` seconds of wall-clock time, a bound for what a page
  shows that depends on the time alone (a training session's current phase, say).
- Off under ``TESTING`` unless ``PAGE_CACHE`` is set; ``PAGE_CACHE = False`` turns it off.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http.cookies import SimpleCookie

from flask import Flask, request, session
from werkzeug.wrappers import Response

from wiki.extensions import db

#: Pages whose content depends on nothing but the URL, the language and the database.
CACHED_ENDPOINTS = frozenset({
    "pages.index", "pages.definition", "pages.revision", "pages.history", "pages.compare",
    "pages.authorship", "remixes.show", "remixes.index", "remixes.graph_svg",
    "api.get_revision_json", "api.get_attribution", "api.compare",
    "exports.definition_archive",
})
LANG_COOKIE = "lang"
MAX_AGE = 5.0
MAX_BYTES = 24 * 1024 * 1024
MAX_ENTRY_BYTES = 1024 * 1024
#: Request headers that change what a page says (absolute URLs, language).
KEY_HEADERS = ("HTTP_HOST", "wsgi.url_scheme", "SCRIPT_NAME", "HTTP_X_FORWARDED_PROTO",
               "HTTP_X_FORWARDED_HOST", "HTTP_X_FORWARDED_PORT", "HTTP_X_FORWARDED_PREFIX",
               "HTTP_ACCEPT_LANGUAGE")
#: Conditional or partial requests other than If-None-Match go to the app.
_BYPASS = ("HTTP_IF_MATCH", "HTTP_IF_MODIFIED_SINCE", "HTTP_IF_UNMODIFIED_SINCE",
           "HTTP_IF_RANGE", "HTTP_RANGE", "HTTP_AUTHORIZATION")
_MARK = "wiki.page_cache.store"



class Uncacheable(Exception):
    """The database cannot tell its version (an in-memory SQLite database)."""


@dataclass(frozen=True)
class Entry:
    status: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    stored_at: float


class PageCache:
    """A small LRU of finished answers, bounded in bytes, safe across gthread threads."""

    def __init__(self, max_bytes: int = MAX_BYTES, max_age: float = MAX_AGE) -> None:
        self.max_bytes, self.max_age = max_bytes, max_age
        self._entries: OrderedDict[tuple, Entry] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: tuple) -> Entry | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and not 0 <= time.time() - entry.stored_at <= self.max_age:
                self._drop(key)
                entry = None
            if entry is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return entry

    def put(self, key: tuple, entry: Entry) -> None:
        if len(entry.body) > MAX_ENTRY_BYTES:
            return
        with self._lock:
            if key in self._entries:
                self._drop(key)
            self._entries[key] = entry
            self._size += len(entry.body)
            while self._size > self.max_bytes:
                self._drop(next(iter(self._entries)))

    def _drop(self, key: tuple) -> None:
        self._size -= len(self._entries.pop(key).body)

    def __len__(self) -> int:
        return len(self._entries)


class PageCacheMiddleware:
    def __init__(self, app: Flask, wsgi_app: Callable) -> None:
        self.app, self.wsgi_app = app, wsgi_app
        self.cache = PageCache()
        with app.app_context():
            self.engine = db.engine
        self._lock = threading.Lock()
        self._watcher: sqlite3.Connection | None = None
        self._watcher_pid = 0

    def enabled(self) -> bool:
        return bool(self.app.config.get("PAGE_CACHE", not self.app.testing))

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        key = self._request_key(environ) if self.enabled() else None
        if key is None:
            return self.wsgi_app(environ, start_response)
        try:
            key = (*key, self.database_version())
        except Exception:  # noqa: BLE001  (whatever the driver raises: sqlite3, psycopg…)
            # No version, no cache: the database may be away, and the app itself answers
            # (503 through its error handlers, or the page once the database is back).
            self._drop_watcher()
            return self.wsgi_app(environ, start_response)
        entry = self.cache.get(key)
        if entry is not None:
            return self._serve(entry, environ, start_response)
        captured: list = []

        def capture(status, headers, exc_info=None):
            captured[:] = [status, headers]
            return start_response(status, headers, exc_info)

        answer = self.wsgi_app(environ, capture)
        if not environ.get(_MARK) or not captured or not captured[0].startswith("200 ") \
                or any(name.lower() == "set-cookie" for name, _v in captured[1]):
            return answer
        try:
            body = b"".join(answer)
        finally:
            if hasattr(answer, "close"):
                answer.close()
        self.cache.put(key, Entry(status=captured[0], headers=tuple(captured[1]), body=body,
                                  stored_at=time.time()))
        return [body]

    @staticmethod
    def _request_key(environ: dict) -> tuple | None:
        if environ.get("REQUEST_METHOD") != "GET" or any(h in environ for h in _BYPASS):
            return None
        lang = None
        cookies = environ.get("HTTP_COOKIE")
        if cookies:
            jar = SimpleCookie()
            try:
                jar.load(cookies)
            except Exception:  # an unparsable cookie header: let the app deal with it
                return None
            if any(name != LANG_COOKIE for name in jar):
                return None
            lang = jar[LANG_COOKIE].value if LANG_COOKIE in jar else None
        return (environ.get("PATH_INFO"), environ.get("QUERY_STRING"), lang,
                *(environ.get(name) for name in KEY_HEADERS))

    def database_version(self) -> tuple:
        """What changes whenever anything is committed (see the module docstring)."""
        if self.engine.dialect.name == "sqlite":
            return (self._sqlite_data_version(),)
        raw = self.engine.raw_connection()
        try:
            cursor = raw.cursor()
            try:
                cursor.execute("SELECT pg_current_snapshot()::text")
                return (cursor.fetchone()[0],)
            finally:
                cursor.close()
        finally:
            raw.close()

    def _sqlite_data_version(self) -> int:
        """``PRAGMA data_version`` of a read-only connection of this process (one per worker:
        a connection is never carried across ``fork``)."""
        with self._lock:
            if self._watcher is None or self._watcher_pid != os.getpid():
                database = self.engine.url.database
                if not database or database == ":memory:" or "mode=memory" in database:
                    raise Uncacheable()
                # A short wait: a locked file means « no cache this time », not a stalled page.
                self._watcher = sqlite3.connect(database, timeout=0.5, isolation_level=None,
                                                check_same_thread=False)
                self._watcher_pid = os.getpid()
            return self._watcher.execute("PRAGMA data_version").fetchone()[0]

    def _drop_watcher(self) -> None:
        with self._lock:
            if self._watcher is not None:
                self._watcher.close()
            self._watcher = None

    @staticmethod
    def _serve(entry: Entry, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if "HTTP_IF_NONE_MATCH" in environ:  # the app's own 304 logic, on the kept answer
            response = Response(entry.body, status=entry.status, headers=list(entry.headers))
            response.make_conditional(environ)
            return response(environ, start_response)
        start_response(entry.status, list(entry.headers))
        return [entry.body]


def _mark(response):
    """Tell the WSGI layer that this answer may be kept (anonymous, cacheable endpoint)."""
    if (request.endpoint in CACHED_ENDPOINTS and response.status_code == 200
            and not response.direct_passthrough and not response.is_streamed
            and not session.modified and not session.get("_user_id")):
        request.environ[_MARK] = True
    return response


def init_page_cache(app: Flask) -> None:
    app.wsgi_app = PageCacheMiddleware(app, app.wsgi_app)
    app.extensions["page_cache"] = app.wsgi_app
    app.after_request(_mark)
