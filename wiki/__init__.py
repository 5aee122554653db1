"""Définition vivante: a wiki where a community writes one definition together.

``create_app`` reads like a table of contents: each ``_register_*`` step is short.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask

from config import Config

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(ROOT / "instance"),
    )
    _configure(app, config)
    _register_extensions(app)
    _register_database(app)
    _register_i18n(app)
    _register_auth(app)
    _register_security(app)
    _register_caching(app)
    _register_blueprints(app)
    _register_error_handlers(app)
    _register_templates(app)
    _register_cli(app)
    return app


def _configure(app: Flask, config: dict[str, Any] | None) -> None:
    app.config.from_object(Config)
    if config:
        app.config.update(config)
    os.makedirs(app.instance_path, exist_ok=True)
    if not app.config["SQLALCHEMY_DATABASE_URI"]:
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{app.instance_path}/wiki.db"
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("postgresql://") or uri.startswith("postgres://"):
        # psycopg 3 is the driver we install; SQLAlchemy's default name means psycopg2.
        app.config["SQLALCHEMY_DATABASE_URI"] = "postgresql+psycopg://" + uri.split("://", 1)[1]
    if uri.startswith("postgres"):
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            "pool_pre_ping": True,
            **app.config["SQLALCHEMY_ENGINE_OPTIONS"],
        }
    app.config["SECRET_KEY"] = _secret_key(app)


def _secret_key(app: Flask) -> str:
    """The configured key; in development a random one kept in ``instance/`` across restarts."""
    key = app.config.get("SECRET_KEY")
    if app.config.get("ENV_PRODUCTION") and (not key or key in _KNOWN_BAD_KEYS):
        raise RuntimeError(
            "SECRET_KEY must be set to a long random value in production (WIKI_ENV=production)."
        )
    if key:
        return key
    path = Path(app.instance_path) / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip()


_KNOWN_BAD_KEYS = {"dev", "secret", "changeme", "change-me", "development"}


def _register_extensions(app: Flask) -> None:
    from wiki.extensions import csrf, db, limiter, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True,
                     compare_type=True)
    csrf.init_app(app)
    limiter.init_app(app)


def _register_database(app: Flask) -> None:
    from wiki.extensions import db
    from wiki.services.db import configure_engine

    with app.app_context():
        configure_engine(db.engine)


def _register_i18n(app: Flask) -> None:
    from wiki.i18n import init_i18n

    init_i18n(app)


def _register_auth(app: Flask) -> None:
    from wiki.auth import init_auth

    init_auth(app)


def _register_security(app: Flask) -> None:
    from wiki.security import init_security

    init_security(app)


def _register_caching(app: Flask) -> None:
    from wiki.caching import init_caching

    init_caching(app)


def _bounded_ids(app: Flask) -> None:
    """``<int:…>`` in a URL stops at the databases' INTEGER range: a larger id is simply not
    found (404) instead of overflowing the query (a 500 on PostgreSQL)."""
    from werkzeug.routing import IntegerConverter

    class DatabaseId(IntegerConverter):
        # In the pattern itself, so that a larger number matches no route at all (a 404),
        # rather than another method's route of the same path (a 405).
        regex = _digits_up_to(2**31 - 1)

        def __init__(self, map, *args, **kwargs) -> None:
            kwargs.setdefault("max", 2**31 - 1)
            super().__init__(map, *args, **kwargs)

    app.url_map.converters["int"] = DatabaseId


def _digits_up_to(limit: int) -> str:
    """A regular expression for the decimal numbers from 0 to ``limit``."""
    text = str(limit)
    size = len(text)
    choices = [f"[0-9]{{1,{size - 1}}}"] if size > 1 else []
    for i, digit in enumerate(text):
        low = 1 if i == 0 and size > 1 else 0
        if int(digit) > low:
            rest = size - i - 1
            choices.append(text[:i] + f"[{low}-{int(digit) - 1}]" + (f"[0-9]{{{rest}}}"
                                                                     if rest else ""))
    choices.append(text)
    return "(?:" + "|".join(choices) + ")"


def _register_blueprints(app: Flask) -> None:
    _bounded_ids(app)
    from wiki.views import api, auth, exports, following, pages, remixes, social
    from wiki.views.api import docs as api_docs

    app.register_blueprint(pages.bp)
    app.register_blueprint(remixes.bp)
    from wiki.views import search as search_pages

    app.register_blueprint(search_pages.bp)
    app.register_blueprint(exports.bp)
    app.register_blueprint(auth.bp)
    from wiki.views import admin

    app.register_blueprint(admin.bp)
    app.register_blueprint(social.bp)
    app.register_blueprint(following.bp)
    from wiki.views import sessions as session_pages

    app.register_blueprint(session_pages.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(api_docs.bp)


def _register_error_handlers(app: Flask) -> None:
    from wiki.views.error_handlers import init_error_handlers

    init_error_handlers(app)


def _register_templates(app: Flask) -> None:
    from wiki.views.template_helpers import init_template_helpers

    init_template_helpers(app)


def _register_cli(app: Flask) -> None:
    from wiki.cli import init_cli

    init_cli(app)
