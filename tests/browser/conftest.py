"""End-to-end fixtures: the real app served by a real HTTP server on 127.0.0.1 (werkzeug in a
thread) with a throwaway SQLite database, and Debian's Chromium driven by Playwright.

- ``live_server`` (per test): a copy of a template database that was seeded once, with a
  moderator and participants created through the services. ``live_server.run(fn)`` calls
  services in the app's context (to set a scene faster than through the pages). A request that
  raised an exception (a 500) fails the test.
- ``browser`` (per session), ``context`` and ``page`` (per test). A console error (a CSP
  violation, a script error) fails the test: the pages must work without any.
- CSRF protection is on (the forms carry their tokens), rate limits are off.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from flask import got_request_exception
from werkzeug.serving import make_server

from tests.browser import scenes
from tests.conftest import FAST_PASSWORD_HASH, PASSWORD
from wiki import create_app
from wiki.extensions import db

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
SLUG = "strategie-numerique"

#: username → (role, display name); created once in the template database.
PEOPLE = {
    "moderatrice": ("moderator", "Marie Modératrice"),
    "moderateur": ("moderator", "Martin Modérateur"),
    "participante": ("participant", "Paula Participante"),
    "lecteur": ("participant", "Louis Lecteur"),
}


#: The seed and the scenes happen at fixed times, so that pages (and their screenshots) look
#: the same on every run.
SEED_TIME = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
STORY_START = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


def _config(path: Path) -> dict[str, Any]:
    return {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
        "SECRET_KEY": "browser-test-secret-key",
        "WTF_CSRF_ENABLED": True,
        "RATELIMIT_ENABLED": False,
        "MARKDOWN_BUDGET": 10.0,
        "PASSWORD_HASH_METHOD": FAST_PASSWORD_HASH,
    }


@pytest.fixture(scope="session")
def _template_database(tmp_path_factory) -> Path:
    """The schema (by the migrations, as ``make run`` does), the seed and the people, made
    once and copied for each test."""
    from flask_migrate import upgrade

    from wiki.services.accounts import register
    from wiki.services.seeding import seed

    path = tmp_path_factory.mktemp("browser-template") / "wiki.db"
    app = create_app(_config(path))
    with app.app_context(), time_machine.travel(SEED_TIME, tick=False):
        upgrade()
        seed()
        for username, (role, name) in PEOPLE.items():
            register(username, PASSWORD, name, role=role)
        db.session.remove()
        db.engine.dispose()
    return path


class LiveServer:
    def __init__(self, app) -> None:
        self.app = app
        self.errors: list[BaseException] = []
        got_request_exception.connect(self._record, app)
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def _record(self, sender, exception: BaseException, **extra) -> None:
        self.errors.append(exception)

    def run(self, fn: Callable, *args, **kwargs):
        """Call ``fn`` (a service, say) inside the app's context; return its result."""
        with self.app.app_context():
            try:
                return fn(*args, **kwargs)
            finally:
                db.session.remove()

    def user(self, username: str):
        from sqlalchemy import select

        from wiki.models import User

        return self.run(lambda: db.session.scalar(select(User).where(User.username == username)))

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)
        got_request_exception.disconnect(self._record, self.app)
        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()


def start_server(template: Path, directory: Path) -> LiveServer:
    path = directory / "wiki.db"
    shutil.copy(template, path)
    return LiveServer(create_app(_config(path)))


@pytest.fixture
def live_server(_template_database, tmp_path) -> Iterator[LiveServer]:
    server = start_server(_template_database, tmp_path)
    yield server
    server.stop()
    assert not server.errors, f"the server failed on a request: {server.errors!r}"


def tell_story(server: LiveServer) -> scenes.Story:
    with time_machine.travel(STORY_START, tick=False) as clock:
        return server.run(scenes.story, lambda: clock.shift(timedelta(hours=2, minutes=17)))


@pytest.fixture
def story(live_server) -> scenes.Story:
    """:func:`scenes.story`, told at a fixed time."""
    return tell_story(live_server)


class Console:
    """What went wrong in the pages: console errors (a CSP violation, a script error) and
    failed subresources (a missing stylesheet, a refused fetch) fail the test. A page itself
    may answer 4xx (a 404 page, a form sent back with its error): that is the app's answer."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def _console(self, message) -> None:
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.errors.append(message.text)

    def _response(self, response) -> None:
        if response.status >= 400 and response.request.resource_type != "document":
            self.errors.append(f"{response.status} {response.request.resource_type} "
                               f"{response.url}")

    def watch(self, page) -> None:
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("response", self._response)


@pytest.fixture
def console() -> Console:
    return Console()


@pytest.fixture
def new_context(browser, live_server, console) -> Iterator[Callable]:
    """Open a fresh browser context (another person, cookies of their own)."""
    opened = []

    def make(**options):
        options = {"base_url": live_server.url, "locale": "fr-FR",
                   "viewport": {"width": 1280, "height": 900}, **options}
        context = browser.new_context(**options)
        context.set_default_timeout(10_000)
        context.on("page", console.watch)
        opened.append(context)
        return context

    yield make
    for context in opened:
        context.close()
    assert not console.errors, f"errors on the browser console: {console.errors}"


@pytest.fixture
def context(new_context):
    return new_context()


@pytest.fixture
def page(context):
    return context.new_page()


def login(page, username: str, password: str = PASSWORD, next_path: str = "/") -> None:
    """Log in through the login form."""
    page.goto(f"/login?next={next_path}")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("main button[type=submit]")
    page.wait_for_url(f"**{next_path}")


def screenshot(page, name: str, **options) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), **options)
