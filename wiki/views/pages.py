"""Pages people read: the definition, a revision, history, compare, the editor."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from markupsafe import Markup, escape
from sqlalchemy import select, text
from sqlalchemy.orm import defer, selectinload

from wiki.domain import textdiff
from wiki.errors import EditConflict, WikiError
from wiki.extensions import db
from wiki.models import Definition, Revision, User
from wiki.security import safe_next
from wiki.services import comparing, editing
from wiki.services.revisions import get_revision, tallies
from wiki.views.attribution import earlier_contributors, gone_from_text
from wiki.views.forms import form_value, row_id

bp = Blueprint("pages", __name__)

HISTORY_PAGE = 50


@bp.get("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
        db.session.rollback()
    except Exception:  # any failure to reach the database means « not healthy »
        db.session.rollback()
        return {"status": "unavailable", "database": "unreachable"}, 503
    return {"status": "ok", "database": "ok"}


@bp.get("/langue/<lang>")
def set_language(lang: str):
    if lang not in current_app.config["LANGUAGES"]:
        abort(404)
    response = redirect(safe_next(request.args.get("next")) or url_for("pages.index"))
    response.set_cookie("lang", lang, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
    return response


@bp.get("/")
def index():
    slug = current_app.config["MAIN_DEFINITION"]
    definition = db.session.scalar(select(Definition).where(Definition.slug == slug))
    if definition is None:
        definition = db.session.scalar(select(Definition).order_by(Definition.id).limit(1))
    if definition is None:
        return render_template("empty.html")
    return _definition_page(definition)


@bp.get("/definitions/<slug>")
def definition(slug: str):
    return _definition_page(editing.get_definition(slug))


def _definition_page(definition: Definition):
    head = definition.head
    votes = tallies(db.session, [head.id])[head.id]
    return render_template("definition.html", definition=definition, revision=head,
                           votes=votes, my_vote=_my_vote(head.id),
                           size_sparkline=_size_sparkline(definition))


SPARKLINE_REVISIONS = 60


def _size_sparkline(definition: Definition) -> Markup:
    """The official line's length in words over its last revisions, as an inline SVG."""
    from wiki.domain import sparkline

    sizes = list(db.session.scalars(
        select(Revision.word_count).where(Revision.definition_id == definition.id,
                                          Revision.remix_id.is_(None))
        .order_by(Revision.id.desc()).limit(SPARKLINE_REVISIONS)))[::-1]
    if not sizes:
        return Markup("")
    label = ngettext(
        "Taille de la version officielle : %(last)d mots (une révision).",
        "Taille de la version officielle au fil de ses %(num)d dernières révisions : "
        "%(first)d mots au début, %(last)d maintenant (entre %(low)d et %(high)d).",
        len(sizes), first=sizes[0], last=sizes[-1], low=min(sizes), high=max(sizes))
    return Markup(sparkline.render_svg(sizes, label))


def _my_vote(revision_id: int) -> str | None:
    if not current_user.is_authenticated:
        return None
    from wiki.services.voting import vote_of

    return vote_of(current_user.id, revision_id)


@bp.get("/revisions/<int:revision_id>")
def revision(revision_id: int):
    return revision_page(revision_id)


def revision_page(revision_id: int, comment_error=None, comment_form=None):
    """A revision with its discussion; comments made on earlier revisions of the same line
    follow their passage into this one."""
    from wiki.services import commenting, voting

    revision = get_revision(db.session, revision_id)
    definition = revision.definition
    votes = tallies(db.session, [revision.id])[revision.id]
    previous, following = comparing.neighbours(revision)
    threads = commenting.line_thread(revision)
    passages = commenting.follow_passages(threads, revision)
    return render_template("revision.html", definition=definition, revision=revision,
                           votes=votes, my_vote=_my_vote(revision.id),
                           is_head=_is_head(revision), previous=previous, following=following,
                           threads=threads, passages=passages,
                           reasons=voting.reasoned_votes(revision.id), comment_error=comment_error,
                           comment_form=comment_form or {})


def _is_head(revision: Revision) -> bool:
    if revision.remix_id is None:
        return revision.definition.head_revision_id == revision.id
    return revision.remix.head_revision_id == revision.id


@bp.get("/definitions/<slug>/history")
def history(slug: str):
    definition = editing.get_definition(slug)
    before = request.args.get("avant", type=row_id)
    # Authors in one query; the heavy columns (text, HTML, authorship) are not shown here.
    query = select(Revision).options(
        selectinload(Revision.author), defer(Revision.body), defer(Revision.html),
        defer(Revision.authorship), defer(Revision.attribution)).where(
        Revision.definition_id == definition.id, Revision.remix_id.is_(None))
    if before:
        query = query.where(Revision.id < before)
    rows = list(db.session.scalars(query.order_by(Revision.id.desc()).limit(HISTORY_PAGE + 1)))
    more = len(rows) > HISTORY_PAGE
    rows = rows[:HISTORY_PAGE]
    votes = tallies(db.session, [r.id for r in rows])
    # People whose words are all gone from the current text: credited here, not in the short
    # attribution (the head froze the list at save time).
    contributors = db.session.scalar(select(Revision.contributors).where(
        Revision.id == definition.head_revision_id)) or []
    return render_template("history.html", definition=definition, revisions=rows, votes=votes,
                           next_before=rows[-1].id if more else None, newer=before is not None,
                           earlier=gone_from_text(contributors))


@bp.get("/compare")
def compare():
    from_id, to_id = request.args.get("from"), request.args.get("to")
    if not from_id or not to_id:
        return render_template("error.html", status=400, code="bad_request", details={},
                               message=_("Choisissez deux révisions à comparer.")), 400
    comparison = comparing.compare(from_id, to_id)
    mode = "cote-a-cote" if request.args.get("vue") == "cote-a-cote" else "en-ligne"
    # Only the view shown is rendered.
    left, right = textdiff.render_side_by_side(comparison.diff) if mode == "cote-a-cote" \
        else ("", "")
    inline = textdiff.render_inline(comparison.diff) if mode == "en-ligne" else ""
    response = make_response(render_template(
        "compare.html", comparison=comparison, definition=comparison.old.definition,
        inline=inline, left=left, right=right, mode=mode,
        neighbours_old=comparing.neighbours(comparison.old),
        neighbours_new=comparing.neighbours(comparison.new)))
    return response


@bp.get("/users/<username>")
def user(username: str):
    person = db.session.scalar(select(User).where(User.username == username))
    if person is None:
        abort(404)
    recent = list(db.session.scalars(select(Revision).where(Revision.author_id == person.id)
                                      .order_by(Revision.id.desc()).limit(20)))
    return render_template("user.html", person=person, revisions=recent)


@bp.route("/definitions/<slug>/edit", methods=["GET", "POST"])
@login_required
def edit(slug: str):
    definition = editing.get_definition(slug)
    head = definition.head
    if not current_user.can_edit_official(current_app.config["OPEN_EDITING"]):
        flash(_("Seuls les modérateurs modifient la version officielle : proposez plutôt une "
                "modification, elle sera examinée."), "info")
        return redirect(url_for("remixes.propose_edit", slug=slug))
    if request.method == "GET":
        return render_template("edit.html", definition=definition, body=head.body,
                               summary="", base_revision_id=head.id, head=head)
    return handle_edit_form(definition, remix=None)


def handle_edit_form(definition: Definition, remix):
    """The editor's POST, shared by the official line and remixes: preview, save, conflict."""
    body = form_value("body")
    summary = form_value("summary")
    base_id = form_value("base_revision_id")
    head = remix.head if remix else definition.head
    context = {"definition": definition, "remix": remix, "body": body, "summary": summary,
               "base_revision_id": base_id, "head": head}
    if form_value("action") == "preview":
        return _preview(context)
    try:
        result = editing.save_revision(
            definition_id=definition.id, remix_id=remix.id if remix else None,
            raw_body=body, summary=summary, base_revision_id=base_id,
            author=current_user._get_current_object())
    except EditConflict as conflict:
        return render_template("edit.html", conflict=conflict, **context), 409
    except WikiError as error:
        return render_template("edit.html", error=error, **context), error.status
    if not result.created:
        flash(_("Aucune modification : le texte est identique à la version actuelle."), "info")
    elif result.merged:
        flash(_("Quelqu’un a modifié le texte pendant que vous écriviez, à d’autres endroits : "
                "les deux modifications ont été fusionnées et enregistrées."), "success")
    else:
        flash(_("Modification enregistrée."), "success")
    return redirect(url_for("pages.revision", revision_id=result.revision.id))


def _preview(context: dict):
    from wiki.services.revisions import clean_body

    try:
        cleaned = clean_body(context["body"])
    except WikiError as error:
        return render_template("edit.html", error=error, **context), error.status
    diff = textdiff.diff_words(context["head"].body, cleaned.body)
    return render_template("edit.html", preview_html=cleaned.html,
                           preview_diff=textdiff.render_inline(diff),
                           preview_stats=textdiff.diff_stats(diff), **context)


@bp.post("/revisions/<int:revision_id>/revert")
@login_required
def revert(revision_id: int):
    revision = get_revision(db.session, revision_id)
    if not current_user.is_moderator:
        abort(403)
    result = editing.revert(definition_id=revision.definition_id, revision_id=revision.id,
                            author=current_user._get_current_object())
    if result.created:
        flash(_("La révision %(id)d a été rétablie.", id=revision.id), "success")
    else:
        flash(_("La version officielle a déjà ce texte : rien n’a changé."), "info")
    return redirect(url_for("pages.revision", revision_id=result.revision.id))


@bp.post("/preview")
@login_required
def preview():
    """The editor's live preview: the same rendering and sanitiser as a save."""
    from wiki.services.revisions import clean_body

    try:
        return clean_body(form_value("body")).html
    except WikiError as error:
        return f'<p class="error">{escape(error.message)}</p>', 200


@bp.get("/revisions/<int:revision_id>/auteurs")
def authorship(revision_id: int):
    from wiki.services.authorship import who_wrote_what

    revision = get_revision(db.session, revision_id)
    pieces, contributions = who_wrote_what(revision)
    return render_template("authorship.html", revision=revision, definition=revision.definition,
                           pieces=pieces, contributions=contributions,
                           earlier=earlier_contributors(revision))


@bp.route("/definitions/new", methods=["GET", "POST"])
@login_required
def new_definition():
    """A moderator starts a new definition and picks its licence from the CC registry."""
    from wiki.domain import licensing

    if not current_user.is_moderator:
        abort(403)
    fields = {"term": form_value("term"), "body": form_value("body"),
              "summary": form_value("summary") or _("Création de la définition"),
              "license": form_value("license") or licensing.WIKI_DEFAULT}
    choices = [lic for lic in licensing.LICENSES.values() if lic.version is not None]
    if request.method == "POST":
        try:
            created = editing.create_definition(
                fields["term"], fields["body"], fields["summary"],
                current_user._get_current_object(), license_code=fields["license"])
        except WikiError as error:
            return render_template("new_definition.html", error=error, licenses=choices,
                                   **fields), error.status
        flash(_("Définition créée."), "success")
        return redirect(url_for("pages.definition", slug=created.slug))
    return render_template("new_definition.html", licenses=choices, **fields)
