"""Votes and comments from the pages (plain forms; the page's script sends the same forms)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from wiki.errors import WikiError
from wiki.security import safe_next
from wiki.services import commenting, voting
from wiki.views.forms import form_value

bp = Blueprint("social", __name__)


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


@bp.post("/revisions/<int:revision_id>/vote")
@login_required
def vote(revision_id: int):
    try:
        result = voting.toggle_vote(current_user.id, revision_id, form_value("choice"),
                                    form_value("reason") or None)
    except WikiError as error:
        if _wants_json():
            raise
        flash(error.message, "error")
        result = None
    if _wants_json():
        return jsonify(result)
    if result is not None:
        flash(_("Vote enregistré.") if result["mine"] else _("Vote retiré."), "success")
    back = safe_next(request.referrer and _path_of(request.referrer))
    return redirect(back or url_for("pages.revision", revision_id=revision_id))


def _path_of(url: str) -> str | None:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.netloc and parts.netloc != request.host:
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


@bp.post("/revisions/<int:revision_id>/comments")
@login_required
def comment(revision_id: int):
    quote = form_value("quote").strip()
    anchor = ({"quote": quote, "prefix": form_value("prefix"), "suffix": form_value("suffix")}
              if quote else None)
    parent = form_value("parent_id") or None
    try:
        created = commenting.add_comment(revision_id=revision_id, author=current_user,
                                         body=form_value("body"), parent_id=parent,
                                         anchor=anchor)
    except WikiError as error:
        # Nothing typed is lost: the form comes back filled, with the message.
        return _revision_with_form_error(revision_id, error)
    flash(_("Commentaire publié."), "success")
    return redirect(url_for("pages.revision", revision_id=revision_id,
                            _anchor=f"commentaire-{created.id}"))


def _revision_with_form_error(revision_id: int, error: WikiError):
    from wiki.views.pages import revision_page

    return revision_page(revision_id, comment_error=error,
                         comment_form={"body": form_value("body"),
                                       "quote": form_value("quote"),
                                       "parent_id": form_value("parent_id")}), error.status


@bp.post("/comments/<int:comment_id>/hide")
@login_required
def hide(comment_id: int):
    return _moderate(comment_id, True, _("Commentaire masqué."))


@bp.post("/comments/<int:comment_id>/unhide")
@login_required
def unhide(comment_id: int):
    return _moderate(comment_id, False, _("Commentaire de nouveau visible."))


def _moderate(comment_id: int, hidden: bool, message: str):
    if not current_user.is_moderator:
        abort(403)
    try:
        comment = commenting.set_hidden(comment_id, current_user, hidden,
                                        form_value("reason") or None)
        flash(message, "success")
        target = url_for("pages.revision", revision_id=comment.revision_id,
                         _anchor=f"commentaire-{comment.id}")
    except WikiError as error:
        flash(error.message, "error")
        target = safe_next(request.referrer and _path_of(request.referrer)) or "/"
    return redirect(target)


@bp.post("/comments/<int:comment_id>/report")
@login_required
def report(comment_id: int):
    try:
        commenting.report(comment_id, current_user, form_value("reason"))
        flash(_("Merci : les modérateurs examineront ce commentaire."), "success")
    except WikiError as error:
        flash(error.message, "error")
    return redirect(safe_next(request.referrer and _path_of(request.referrer)) or "/")


@bp.get("/definitions/<slug>/discussion")
def discussion(slug: str):
    from wiki.services.editing import get_definition

    definition = get_definition(slug)
    threads = commenting.discussion(definition.id)
    return render_template("discussion.html", definition=definition, threads=threads)


@bp.get("/moderation")
@login_required
def moderation():
    if not current_user.is_moderator:
        abort(403)
    from sqlalchemy import select

    from wiki.extensions import db
    from wiki.models import AuditEntry, Remix

    proposals = list(db.session.scalars(select(Remix).where(Remix.status == "proposed")
                                        .order_by(Remix.updated_at.desc())))
    entries = list(db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())
                                      .limit(100)))
    from wiki.services.remixing import remix_votes

    return render_template("moderation.html", reports=commenting.open_reports(),
                           proposals=proposals, entries=entries,
                           votes={remix.id: remix_votes(remix) for remix in proposals})
