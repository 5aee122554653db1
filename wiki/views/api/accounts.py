"""Accounts and API tokens."""

from __future__ import annotations

from flask import current_app, jsonify
from flask_babel import gettext as _

from wiki.auth import bearer_token
from wiki.errors import NotAllowed, NotAuthenticated
from wiki.security import credentials_limit, registration_limit
from wiki.services import accounts
from wiki.views.api import bp
from wiki.views.api.common import json_body, require_user
from wiki.views.api.serializers import iso


def _user_json(user) -> dict:
    return {"username": user.username, "display_name": user.display_name, "role": user.role,
            "created_at": iso(user.created_at)}


@bp.post("/users")
@registration_limit
def create_user():
    if not current_app.config["REGISTRATION_OPEN"]:
        raise NotAllowed(_("Les inscriptions sont fermées."), code="registration_closed")
    data = json_body()
    user = accounts.register(_text(data, "username"), _text(data, "password"),
                             _text(data, "display_name") or None)
    return jsonify(_user_json(user)), 201


@bp.post("/tokens")
@credentials_limit
def create_token():
    data = json_body()
    user = accounts.authenticate(_text(data, "username"), _text(data, "password"))
    if user is None:
        raise NotAuthenticated(_("Nom d’utilisateur ou mot de passe incorrect."),
                               code="invalid_credentials")
    token = accounts.create_token(user.id, _text(data, "name") or "API")
    return jsonify({"token": token}), 201


@bp.delete("/tokens/current")
def revoke_current_token():
    require_user()
    token = bearer_token()
    if not token:
        raise NotAuthenticated(_("Envoyez le jeton à révoquer (Authorization: Bearer …)."))
    accounts.revoke_token(token)
    return jsonify({"revoked": True})


def _text(data: dict, key: str) -> str:
    value = data.get(key)
    return value if isinstance(value, str) else ""
