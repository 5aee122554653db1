"""Fixtures: a fresh database per test (SQLite always, PostgreSQL when TEST_DATABASE_URL is set),
the app, its client, the CLI runner, and factories that return callables."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

from wiki import create_app
from wiki.extensions import db


def _worker_database(url: str | None) -> str | None:
    """Under pytest-xdist (``pytest -n 2``) each worker has its own PostgreSQL
    database, ``<name>_<worker>``, created on first use next to the one given."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not url or not worker:
        return url
    base, name = url.rsplit("/", 1)
    own = f"{name}_{worker}"
    engine = create_engine("postgresql+psycopg://" + url.split("://", 1)[1],
                           isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        exists = connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                   {"name": own})
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{own}"'))
    engine.dispose()
    return f"{base}/{own}"


PG_URL = _worker_database(os.environ.get("TEST_DATABASE_URL"))
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])
PASSWORD = "un-mot-de-passe-solide"
#: scrypt at 1/32 of production's cost: the suite creates thousands of accounts and would
#: otherwise spend minutes hashing. ``test_accounts`` checks production's own setting.
FAST_PASSWORD_HASH = "scrypt:1024:8:1"


def _pg_url() -> str:
    url = PG_URL or ""
    return "postgresql+psycopg://" + url.split("://", 1)[1] if "://" in url else url


@pytest.fixture(scope="session")
def _schemas(tmp_path_factory) -> dict[str, str]:
    """Each backend's schema built once, by the Alembic migrations (they also make what the
    models do not describe: the search index); tests then start from a copy or a truncation."""
    from flask_migrate import upgrade

    template = tmp_path_factory.mktemp("template") / "template.db"
    urls = {"sqlite": f"sqlite:///{template}"}
    if PG_URL:
        urls["postgresql"] = _pg_url()
    for name, url in urls.items():
        app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "t"})
        with app.app_context():
            if name == "postgresql":
                empty_postgres_schema()
            upgrade()
            db.engine.dispose()
    return {"sqlite": str(template), **({"postgresql": urls["postgresql"]} if PG_URL else {})}


def empty_postgres_schema() -> None:
    """Drop everything of the test database (tables, search configuration, extensions)."""
    with db.engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))


def _truncate_postgres(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request, _schemas, tmp_path) -> str:
    if request.param == "sqlite":
        path = tmp_path / "wiki.db"
        shutil.copy(_schemas["sqlite"], path)
        return f"sqlite:///{path}"
    _truncate_postgres(_schemas["postgresql"])
    return _schemas["postgresql"]


@pytest.fixture
def config(database_url, tmp_path) -> dict:
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret-key",
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "SERVER_NAME": "wiki.test",
        "PASSWORD_HASH_METHOD": FAST_PASSWORD_HASH,
    }


class FreshContextClient(FlaskClient):
    """Each request in its own app context, as in production: ``g`` (the logged-in user, the
    locale) never leaks from one request to the next through the test's own context."""

    def open(self, *args, **kwargs):
        db.session.commit()
        try:
            with self.application.app_context():
                return super().open(*args, **kwargs)
        finally:
            db.session.commit()
            db.session.expire_all()


@pytest.fixture
def app(config) -> Iterator:
    app = create_app(config)
    app.test_client_class = FreshContextClient
    with app.app_context():
        from wiki.services.seeding import seed

        seed()
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def create_user(app) -> Callable:
    from wiki.services.accounts import register

    counter = {"n": 0}

    def create(username: str | None = None, role: str = "participant",
               display_name: str | None = None, password: str = PASSWORD):
        counter["n"] += 1
        return register(username or f"user{counter['n']}", password, display_name, role=role)

    return create


@pytest.fixture
def token_for(app) -> Callable:
    """A Bearer header for a user."""
    from wiki.services.accounts import create_token

    def make(user) -> dict[str, str]:
        return {"Authorization": f"Bearer {create_token(user.id)}"}

    return make


@pytest.fixture
def moderator(create_user):
    return create_user("moderatrice", role="moderator", display_name="Marie Modératrice")


@pytest.fixture
def participant(create_user):
    return create_user("participant", display_name="Paul Participant")


@pytest.fixture
def seed_revision(app):
    from wiki.services.editing import get_definition

    return get_definition("strategie-numerique").head


class AuthActions:
    def __init__(self, client) -> None:
        self._client = client

    def login(self, username: str, password: str = PASSWORD):
        return self._client.post("/login", data={"username": username, "password": password})

    def logout(self):
        return self._client.post("/logout")


@pytest.fixture
def auth(client) -> AuthActions:
    return AuthActions(client)


@pytest.fixture
def save(app) -> Callable:
    """Save an edit on the official line (or a remix) as ``user``."""
    from wiki.services.editing import get_definition, save_revision

    def do(user, body: str, base_revision_id: int | None = None, summary: str = "Modification",
           remix_id: int | None = None):
        definition = get_definition("strategie-numerique")
        if base_revision_id is None:
            if remix_id:
                from wiki.models import Remix

                base_revision_id = db.session.get(Remix, remix_id).head_revision_id
            else:
                base_revision_id = definition.head_revision_id
        return save_revision(definition_id=definition.id, remix_id=remix_id, raw_body=body,
                             summary=summary, base_revision_id=base_revision_id, author=user)

    return do


ROOT = Path(__file__).resolve().parent.parent


# Chromium, shared by every browser test of the session (tests/browser and the few elsewhere):
# Playwright's sync API allows one running instance per thread, so there is exactly one.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]


@pytest.fixture(scope="session")
def _playwright():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("The browser tests need Debian's Chromium: sudo apt-get update -qq && "
                    "sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium")
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(_playwright):
    browser = _playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                          headless=True)
    yield browser
    browser.close()


def stop_server(process, timeout: float) -> None:
    """Stop a server started as ``process``: terminate, then kill if it lingers."""
    import subprocess

    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def wait_until_served(process, base: str, timeout: float, output: Callable[[], str]) -> None:
    """Wait for a server started as ``process`` (gunicorn) to answer ``/healthz`` with 200;
    fail with ``output()`` (its log) when it exits or takes longer than ``timeout``."""
    import time
    import urllib.request

    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"the server did not start: {output()}")
        time.sleep(0.1)
