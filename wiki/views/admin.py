"""Admins manage accounts: list and search, change a role, deactivate or reactivate an account
(its content stays, attributed). Every action goes to the audit log."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from wiki.errors import WikiError
from wiki.models import ROLES
from wiki.services import accounts
from wiki.views.forms import form_value

bp = Blueprint("admin", __name__, url_prefix="/admin")

STATES = ("actifs", "desactives")


@bp.before_request
@login_required
def _admins_only():
    if not current_user.is_admin:
        abort(403)


def _filters() -> dict:
    role = request.args.get("role", "")
    state = request.args.get("etat", "")
    return {"q": request.args.get("q", "").strip()[:80],
            "role": role if role in ROLES else "",
            "etat": state if state in STATES else ""}


@bp.get("/users")
def users():
    filters = _filters()
    page = request.args.get("page", 1, type=int)
    result = accounts.search_users(filters["q"], filters["role"] or None,
                                   filters["etat"] or None, page)
    return render_template("admin/users.html", result=result, filters=filters, roles=ROLES,
                           link_args={k: v for k, v in filters.items() if v},
                           journal=accounts.account_audit())


def _back():
    """Back to the list as it was filtered (the forms carry the filters as ``retour_*``)."""
    args = {key: form_value(f"retour_{key}") for key in ("q", "role", "etat", "page")}
    return redirect(url_for("admin.users", **{k: v for k, v in args.items() if v}))


def _act(action, message):
    """Run ``action``; flash ``message(user)`` or the refusal, and go back to the list."""
    try:
        user = action()
    except WikiError as error:
        if error.status == 404:
            abort(404)
        flash(error.message, "error")
        return _back()
    flash(message(user), "success")
    return _back()


def role_label(role: str) -> str:
    return {"participant": _("participant"), "moderator": _("modérateur"),
            "admin": _("administrateur")}.get(role, role)


@bp.post("/users/<username>/role")
def set_role(username: str):
    role = form_value("role")
    return _act(lambda: accounts.set_role(current_user.id, username, role),
                lambda user: _("%(name)s (%(username)s) est maintenant %(role)s.",
                               name=user.display_name, username=user.username,
                               role=role_label(user.role)))


@bp.post("/users/<username>/deactivate")
def deactivate(username: str):
    return _act(lambda: accounts.set_active(current_user.id, username, False),
                lambda user: _("Le compte %(name)s (%(username)s) est désactivé : ses "
                               "contributions restent, ses sessions sont fermées et ses jetons "
                               "d’API révoqués.", name=user.display_name,
                               username=user.username))


@bp.post("/users/<username>/reactivate")
def reactivate(username: str):
    return _act(lambda: accounts.set_active(current_user.id, username, True),
                lambda user: _("Le compte %(name)s (%(username)s) est réactivé.",
                               name=user.display_name, username=user.username))
