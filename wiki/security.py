"""CSRF for browser writes (not for Bearer-token API calls), security headers, safe redirects,
session cookies, and the rate limits that are not a single route's business.

Rate limits (DECISIONS.md, « Text and limits »):
- ``credentials_limit`` — ``POST /login`` and ``POST /api/v1/tokens`` share 10 failed attempts a
  minute per address (the 11th → 429); successful logins do not count, so a classroom behind one
  address can log in at once.
- ``registration_limit`` — ``POST /register`` and ``POST /api/v1/users`` share 5 accounts an hour
  per address.
- writes — every other POST/PUT/PATCH/DELETE by a participant counts against
  ``RATELIMIT_WRITES`` (per account, all write routes together); moderators and admins are
  exempt. Applied here, before any view, so a new write route is limited without a decorator.
"""

from __future__ import annotations

import re
import time
import unicodedata
from urllib.parse import urlsplit

from flask import Flask, current_app, g, request
from flask_babel import gettext as _
from flask_login import current_user
from limits import parse as parse_limit

from wiki.extensions import csrf, limiter

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Anything a browser may strip or reinterpret inside a URL: controls, whitespace, backslash.
_UNSAFE_IN_NEXT = re.compile(r"[\x00-\x20\x7f\\]")
#: Write routes that are not « writes by participants »: they have their own limits (or none,
#: like logging out and the editor's live preview, which stores nothing).
NOT_COUNTED_AS_WRITES = frozenset({
    "auth.login", "auth.logout", "auth.register", "pages.preview",
    "api.create_token", "api.create_user", "api.revoke_current_token",
})


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a path of this site, else ``None`` (never an off-site redirect)."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if _UNSAFE_IN_NEXT.search(target) or "%" in target[:3]:
        return None
    # Unicode spaces, format and control characters: some browsers drop or fold them.
    if any(unicodedata.category(char)[0] in "CZ" for char in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


# --- Request bodies --------------------------------------------------------------------------

_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _check_body() -> None:
    """Before anything reads the body of a write (the CSRF check reads forms first):

    - a chunked body (no Content-Length) over ``MAX_CONTENT_LENGTH`` → 413; werkzeug would
      otherwise stop reading at the limit and hand the app the first part as the whole body;
    - a form whose bytes are not UTF-8 → 400 ``invalid_text``; werkzeug would otherwise decode
      it with U+FFFD replacements and the wiki would store a changed text. The wiki takes no
      file upload, so a multipart body is text too.
    """
    from urllib.parse import unquote_to_bytes

    from werkzeug.exceptions import RequestEntityTooLarge

    from wiki.errors import InvalidText

    if request.method not in WRITE_METHODS:
        return
    limit = request.max_content_length
    if request.content_length is None and request.environ.get("wsgi.input_terminated"):
        raw = request.get_data(cache=True)  # stops at the limit (werkzeug's LimitedStream)
        if limit is not None and len(raw) >= limit and request.environ["wsgi.input"].read(1):
            raise RequestEntityTooLarge()
    if request.mimetype not in _FORM_TYPES:
        return
    raw = request.get_data(cache=True)  # over the limit: 413 from werkzeug
    if request.mimetype == _FORM_TYPES[0]:
        raw = unquote_to_bytes(raw.replace(b"+", b" "))
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidText(_("Le formulaire envoyé n’est pas de l’UTF-8 valide.")) from None


# --- CSRF ------------------------------------------------------------------------------------

def _csrf_check() -> None:
    if request.method not in WRITE_METHODS or g.get("token_user_id"):
        return
    if not current_app.config.get("WTF_CSRF_ENABLED", True):
        return
    # An anonymous API call cannot act for anyone; the view answers 401 (or creates an
    # account / a token from credentials in a JSON body, which a cross-site form cannot send).
    if request.path.startswith("/api/") and not current_user.is_authenticated:
        return
    csrf.protect()


# --- Rate limits -----------------------------------------------------------------------------

def _failed(response) -> bool:
    return response.status_code >= 400


def _succeeded(response) -> bool:
    return response.status_code < 400


#: Password guesses: the page's login and the API's token creation share one counter.
credentials_limit = limiter.shared_limit("10 per minute", scope="credentials",
                                         methods=["POST"], deduct_when=_failed)
#: Account creation from one address, page and API together.
registration_limit = limiter.shared_limit("5 per hour", scope="registration",
                                          methods=["POST"], deduct_when=_succeeded)


def _write_limit():
    """``RATELIMIT_WRITES`` per participant over every write route (pages and API)."""
    if request.method not in WRITE_METHODS or request.endpoint in NOT_COUNTED_AS_WRITES:
        return None
    config = current_app.config
    if not config.get("RATELIMIT_ENABLED", True) or not request.endpoint:
        return None
    if not current_user.is_authenticated or current_user.is_moderator:
        return None
    item = parse_limit(config["RATELIMIT_WRITES"])
    keys = (config.get("RATELIMIT_KEY_PREFIX") or "wiki", "writes", f"user:{current_user.id}")
    if limiter.limiter.hit(item, *keys):
        return None
    reset_at, _remaining = limiter.limiter.get_window_stats(item, *keys)
    return too_many_requests(reset_at)


def too_many_requests(reset_at: float):
    """The 429 of API.md (JSON under /api/, the French page elsewhere) with Retry-After."""
    from wiki.views.error_handlers import error_response

    response = current_app.make_response(error_response(
        429, "rate_limited", _("Trop de requêtes : réessayez dans un moment.")))
    response.headers["Retry-After"] = str(max(1, int(reset_at - time.time()) + 1))
    return response


# --- Headers and cookies ---------------------------------------------------------------------

def _https() -> bool:
    return request.is_secure or current_app.config.get("PREFERRED_URL_SCHEME") == "https"


def _security_headers(response):
    csp = (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; "
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )
    response.headers.setdefault("Content-Security-Policy", csp)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    if _https():
        response.headers.setdefault(
            "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
        )
    return response


def _configure_cookies(app: Flask) -> None:
    """Secure cookies when the site is served over https, however the scheme was configured."""
    https = app.config.get("PREFERRED_URL_SCHEME") == "https"
    for key in ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE"):
        if app.config.get(key) is None:
            app.config[key] = https
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")


def _trust_proxies(app: Flask) -> None:
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)


def init_security(app: Flask) -> None:
    _configure_cookies(app)
    _trust_proxies(app)
    app.before_request(_check_body)
    app.before_request(_csrf_check)
    app.before_request(_write_limit)
    app.after_request(_security_headers)
