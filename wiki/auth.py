"""Who is asking: the browser session (flask-login) or an API token (``Authorization: Bearer``).

A request under ``/api/`` carrying a Bearer token is authenticated by the token alone, never by
a cookie that happens to ride along, so that a token call is exempt from CSRF without opening a
hole. Pages ignore the header (their forms carry CSRF tokens; their errors are pages).

A browser session stores ``"<user id>:<session version>"`` (``User.get_id``): changing the
password or deactivating the account bumps the version, which ends every session made before.
"""

from __future__ import annotations

from flask import Flask, g, request
from flask_babel import lazy_gettext as _l

from wiki.extensions import db, login_manager
from wiki.models import User


def _load_user(user_id: str) -> User | None:
    try:
        uid, version = (int(part) for part in user_id.split(":", 1))
    except ValueError:
        return None
    user = db.session.get(User, uid)
    if user is None or user.session_version != version or not user.active:
        return None
    return user


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or ""


def _authenticate_token() -> None:
    if not request.path.startswith("/api/"):
        return
    token = bearer_token()
    if token is None:
        return
    from wiki.errors import NotAuthenticated
    from wiki.services.accounts import user_for_token

    user = user_for_token(token)
    if user is None:
        raise NotAuthenticated(str(_l("Jeton d’API invalide ou révoqué.")), code="invalid_token")
    # flask-login reads the user from ``g._login_user`` before looking at the session.
    g._login_user = user
    g.token_user_id = user.id


def init_auth(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.user_loader(_load_user)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Connectez-vous pour continuer.")
    login_manager.login_message_category = "info"
    # "strong" would drop the session when the address changes (phones on the move).
    login_manager.session_protection = "basic"
    # First of all hooks: the rate limits and the CSRF check need to know who is asking.
    app.before_request_funcs.setdefault(None, []).insert(0, _authenticate_token)
