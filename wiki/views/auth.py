"""Login, logout, registration and « Mon compte » (browser session)."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from wiki.errors import WikiError
from wiki.security import credentials_limit, registration_limit, safe_next
from wiki.services import accounts
from wiki.views.forms import form_value

bp = Blueprint("auth", __name__)


def _start_session(user) -> None:
    # A fresh session at login: whatever an attacker planted before is gone (fixation), and
    # the cookie the browser had before does not carry the login.
    session.clear()
    login_user(user)


@bp.route("/login", methods=["GET", "POST"])
@credentials_limit
def login():
    next_url = safe_next(request.values.get("next"))
    if request.method == "GET":
        return render_template("auth/login.html", next=next_url, username="")
    username = form_value("username")
    user = accounts.authenticate(username, form_value("password"), allow_inactive=True)
    if user is None:
        # The same words whether the name exists or not.
        return render_template("auth/login.html", next=next_url, username=username,
                               error=_("Nom d’utilisateur ou mot de passe incorrect.")), 401
    if not user.active:
        # Only someone who knows the password learns this.
        return render_template("auth/login.html", next=next_url, username=username,
                               error=_("Ce compte a été désactivé par un administrateur.")), 403
    _start_session(user)
    flash(_("Bienvenue, %(name)s.", name=user.display_name), "success")
    return redirect(next_url or url_for("pages.index"))


@bp.post("/logout")
def logout():
    logout_user()
    session.clear()
    flash(_("Vous êtes déconnecté."), "info")
    return redirect(url_for("pages.index"))


@bp.route("/register", methods=["GET", "POST"])
@registration_limit
def register():
    next_url = safe_next(request.values.get("next"))
    if not current_app.config["REGISTRATION_OPEN"]:
        return render_template("error.html", status=403, code="registration_closed",
                               details={}, message=_("Les inscriptions sont fermées.")), 403
    fields = {"username": "", "display_name": ""}
    if request.method == "GET":
        return render_template("auth/register.html", next=next_url, **fields)
    fields = {"username": form_value("username"), "display_name": form_value("display_name")}
    password = form_value("password")
    try:
        if password != form_value("password_confirm"):
            raise accounts.InvalidInput("password_confirm",
                                        _("Les deux mots de passe ne correspondent pas."))
        user = accounts.register(fields["username"], password, fields["display_name"] or None)
    except WikiError as error:
        return render_template("auth/register.html", next=next_url, error=error,
                               **fields), error.status
    _start_session(user)
    flash(_("Compte créé. Bienvenue !"), "success")
    return redirect(next_url or url_for("pages.index"))


@bp.route("/account", methods=["GET"])
@login_required
def account():
    return _account_page()


def _account_page(status: int = 200, **context):
    context.setdefault("display_name", current_user.display_name)
    return render_template("auth/account.html",
                           tokens=accounts.tokens_of(current_user.id), **context), status


@bp.post("/account/profile")
@login_required
def change_profile():
    display_name = form_value("display_name")
    try:
        accounts.change_display_name(current_user.id, display_name)
    except WikiError as error:
        return _account_page(error.status, profile_error=error, display_name=display_name)
    flash(_("Nom affiché modifié."), "success")
    return redirect(url_for("auth.account"))


@bp.post("/account/password")
@login_required
@credentials_limit
def change_password():
    try:
        change = accounts.change_password(current_user.id, form_value("current_password"),
                                          form_value("new_password"),
                                          form_value("new_password_confirm"))
    except WikiError as error:
        return _account_page(error.status, password_error=error)
    # The session version moved on: every other session has ended; this one starts afresh.
    _start_session(change.user)
    if change.revoked_tokens:
        flash(_("Mot de passe modifié. Vos autres sessions sont fermées et vos jetons d’API "
                "révoqués (%(n)d) : créez-en de nouveaux pour vos scripts.",
                n=change.revoked_tokens), "success")
    else:
        flash(_("Mot de passe modifié. Vos autres sessions sont fermées."), "success")
    return redirect(url_for("auth.account"))


@bp.post("/account/sessions/end")
@login_required
def end_other_sessions():
    user = accounts.end_other_sessions(current_user.id)
    _start_session(user)
    flash(_("Vos sessions sur les autres appareils et navigateurs sont fermées."), "success")
    return redirect(url_for("auth.account"))


@bp.post("/account/tokens")
@login_required
def create_token():
    token = accounts.create_token(current_user.id, form_value("name"))
    # Shown once, in this very answer, then forgotten: only its digest is stored. Not through
    # a redirect: the session cookie is signed, not encrypted, so the token would travel back
    # in clear in it; and no-store keeps it out of every cache and the back button.
    flash(_("Jeton créé : copiez-le maintenant, il ne sera plus affiché."), "success")
    body, status = _account_page(new_token=token)
    response = make_response(body, status)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    accounts.revoke_token_by_id(current_user.id, token_id)
    flash(_("Jeton révoqué."), "info")
    return redirect(url_for("auth.account"))
