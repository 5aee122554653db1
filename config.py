"""Configuration read from the environment, with defaults that run on a fresh clone."""

import os


def _flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    #: ``None`` means: a SQLite file in the instance folder, decided by ``create_app``.
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL") or None
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    #: ``None`` means: read ``instance/secret_key``, creating it on first start.
    SECRET_KEY = os.environ.get("SECRET_KEY") or None
    #: Participants may edit the official line (otherwise moderators only).
    OPEN_EDITING = _flag("OPEN_EDITING")
    REGISTRATION_OPEN = _flag("REGISTRATION_OPEN", True)
    #: The definition shown at ``/``.
    MAIN_DEFINITION = os.environ.get("MAIN_DEFINITION", "strategie-numerique")
    #: A revision body over this many UTF-8 bytes is refused with 413.
    MAX_BODY_BYTES = int(os.environ.get("MAX_BODY_BYTES", 200_000))
    #: Whole request bodies are capped a little above, so JSON escaping still fits.
    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_CONTENT_LENGTH", 1_500_000))
    #: Seconds a Markdown rendering may take before the text is refused as too complex: under
    #: 2 s, so that even a refusal answers within 2 s.
    MARKDOWN_BUDGET = float(os.environ.get("MARKDOWN_BUDGET", 1.5))
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_ENABLED = _flag("RATELIMIT_ENABLED", True)
    RATELIMIT_WRITES = os.environ.get("RATELIMIT_WRITES", "60 per minute")
    RATELIMIT_HEADERS_ENABLED = True
    #: Keeps this wiki's counters apart from anything else sharing the Redis server.
    RATELIMIT_KEY_PREFIX = os.environ.get("RATELIMIT_KEY_PREFIX", "definition-vivante")
    PREFERRED_URL_SCHEME = os.environ.get("PREFERRED_URL_SCHEME", "http")
    #: Reverse proxies in front of the app whose X-Forwarded-For/-Proto are trusted (0: none).
    #: Rate limits count per client address, so behind a proxy this must be set.
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", 0))
    #: werkzeug's scrypt at its default cost (N=2**15, r=8, p=1). Tests lower it, for speed only.
    PASSWORD_HASH_METHOD = "scrypt"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    #: ``None``: derived in ``create_app`` from the final ``PREFERRED_URL_SCHEME`` (secure when
    #: https), so that a scheme passed to ``create_app`` counts as much as the environment's.
    SESSION_COOKIE_SECURE = None
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = None
    #: CSRF is checked in ``wiki.security`` so that Bearer-token API calls can be exempt.
    WTF_CSRF_CHECK_DEFAULT = False
    WTF_CSRF_TIME_LIMIT = None
    BABEL_DEFAULT_LOCALE = "fr"
    LANGUAGES = ("fr", "en")
    #: Production refuses to start without a real secret key.
    ENV_PRODUCTION = os.environ.get("WIKI_ENV", "development") == "production"
