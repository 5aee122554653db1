"""Remix pages: fork, propose an edit in one step, the remix page, the queue, the merge screen,
and the revision graph."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from wiki.domain import graph, licensing, ranking, textdiff
from wiki.errors import MergeConflict, NotAllowed, WikiError
from wiki.extensions import db
from wiki.models import Remix, Revision
from wiki.services import commenting, comparing, editing, merge_review, remixing
from wiki.services.revisions import get_revision, tallies
from wiki.views.forms import form_value
from wiki.views.pages import handle_edit_form

bp = Blueprint("remixes", __name__)

SORTS = ("votes", "wilson", "date", "taille")


def _user():
    return current_user._get_current_object()


@bp.route("/revisions/<int:revision_id>/remix", methods=["GET", "POST"])
@login_required
def fork(revision_id: int):
    source = get_revision(db.session, revision_id)
    fields = {"title": form_value("title"), "description": form_value("description"),
              "license_code": form_value("license") or None}
    licenses = licensing.compatible_choices(licensing.get_license(source.license_code))
    context = {"source": source, "definition": source.definition, "licenses": licenses}
    if request.method == "POST":
        try:
            remix = remixing.fork(definition_id=source.definition_id,
                                  from_revision_id=source.id, owner=_user(), **fields)
        except WikiError as error:
            return render_template("remixes/fork.html", error=error, **context,
                                   **fields), error.status
        flash(_("Remix créé : modifiez-le à votre guise."), "success")
        return redirect(url_for("remixes.edit", remix_id=remix.id))
    return render_template("remixes/fork.html", **context, **fields)


@bp.route("/definitions/<slug>/propose", methods=["GET", "POST"])
@login_required
def propose_edit(slug: str):
    """« Proposer une modification »: one step makes a remix, its revision, and proposes it."""
    definition = editing.get_definition(slug)
    head = definition.head
    if request.method == "GET":
        return render_template("remixes/propose.html", definition=definition, head=head,
                               body=head.body, summary="", title="", base_revision_id=head.id)
    fields = {"body": form_value("body"), "summary": form_value("summary"),
              "title": form_value("title"), "base_revision_id": form_value("base_revision_id")}
    try:
        revision = remixing.propose_edit(
            definition_id=definition.id, base_revision_id=fields["base_revision_id"],
            raw_body=fields["body"], summary=fields["summary"],
            title=fields["title"] or fields["summary"], owner=_user())
    except WikiError as error:
        return render_template("remixes/propose.html", definition=definition, head=head,
                               error=error, **fields), error.status
    flash(_("Votre proposition est enregistrée : les modérateurs vont l’examiner."), "success")
    return redirect(url_for("remixes.show", remix_id=revision.remix_id))


@bp.get("/remixes/<int:remix_id>")
def show(remix_id: int):
    remix = remixing.get_remix(remix_id)
    definition = remix.definition
    official = definition.head
    # Revisions never change: both diffs come from the comparisons kept by their ids.
    vs_official = comparing.compare(official.id, remix.head_revision_id).diff
    vs_fork = comparing.compare(remix.forked_from_revision_id, remix.head_revision_id).diff
    line = list(db.session.scalars(select(Revision).options(selectinload(Revision.author))
                                   .where(Revision.remix_id == remix.id)
                                   .order_by(Revision.id.desc()).limit(50)))
    forks = list(db.session.scalars(
        select(Remix).join(Revision, Revision.id == Remix.forked_from_revision_id)
        .where(Revision.remix_id == remix.id)))
    votes = tallies(db.session, [r.id for r in line] + [remix.head_revision_id])
    my_vote = None
    if current_user.is_authenticated:
        from wiki.services.voting import vote_of

        my_vote = vote_of(current_user.id, remix.head_revision_id)
    return render_template(
        "remixes/show.html", remix=remix, definition=definition, official=official,
        diff_official=textdiff.render_inline(vs_official),
        stats_official=textdiff.diff_stats(vs_official),
        diff_fork=textdiff.render_inline(vs_fork), stats_fork=textdiff.diff_stats(vs_fork),
        line=line, forks=forks, votes=votes, head_votes=votes[remix.head_revision_id],
        remix_votes=remixing.remix_votes(remix), my_vote=my_vote,
        last_merge=merge_review.last_merge(db.session, remix),
        comments=commenting.remix_discussion(remix.id))


@bp.route("/remixes/<int:remix_id>/edit", methods=["GET", "POST"])
@login_required
def edit(remix_id: int):
    remix = remixing.get_remix(remix_id)
    if not current_user.can_write_remix(remix):
        abort(403)
    if request.method == "GET":
        return render_template("edit.html", definition=remix.definition, remix=remix,
                               body=remix.head.body, summary="",
                               base_revision_id=remix.head_revision_id, head=remix.head)
    return handle_edit_form(remix.definition, remix)


def _status_action(remix_id: int, action, message: str, *args):
    try:
        action(remix_id, _user(), *args)
        flash(message, "success")
    except NotAllowed:
        raise  # not theirs to do: the 403 page, not a redirect that looks like success
    except WikiError as error:
        flash(error.message, "error")
    return redirect(url_for("remixes.show", remix_id=remix_id))


@bp.post("/remixes/<int:remix_id>/propose")
@login_required
def propose(remix_id: int):
    return _status_action(remix_id, remixing.propose, _("Remix proposé pour fusion."))


@bp.post("/remixes/<int:remix_id>/withdraw")
@login_required
def withdraw(remix_id: int):
    return _status_action(remix_id, remixing.withdraw, _("Proposition retirée."))


@bp.post("/remixes/<int:remix_id>/decline")
@login_required
def decline(remix_id: int):
    return _status_action(remix_id, remixing.decline, _("Proposition refusée."),
                          form_value("reason"))


@bp.route("/remixes/<int:remix_id>/update", methods=["GET", "POST"])
@login_required
def update(remix_id: int):
    """« Mettre à jour depuis la version officielle »: one click when nothing conflicts; else
    the owner's screen, passage by passage (the merge screen, the other way round)."""
    remix = remixing.get_remix(remix_id)
    done = _("Remix mis à jour depuis la version officielle.")
    if request.method == "POST" and not form_value("fingerprint"):
        try:
            remixing.update_from_official(remix.id, _user())
        except MergeConflict as conflict:
            flash(conflict.message + " " + _("Choisissez pour chaque passage."), "error")
            return redirect(url_for("remixes.update", remix_id=remix.id))
        except NotAllowed:
            raise
        except WikiError as error:
            flash(error.message, "error")
            return redirect(url_for("remixes.show", remix_id=remix.id))
        flash(done, "success")
        return redirect(url_for("remixes.show", remix_id=remix.id))
    plan = remixing.update_plan(remix.id, _user())
    context = {"remix": remix, "definition": remix.definition, "preview": plan.preview()}
    if request.method == "GET":
        return render_template("remixes/update.html", choices={}, **context)
    choices = _region_choices(context["preview"])
    try:
        if form_value("action") == "preview":
            merged_text = remixing.assemble_choices(plan, form_value("fingerprint"), choices)
            result = textdiff.diff_words(remix.head.body, merged_text)
            return render_template("remixes/update.html", choices=choices,
                                   result=textdiff.render_inline(result),
                                   result_stats=textdiff.diff_stats(result), **context)
        remixing.update_from_official(remix.id, _user(), {
            "fingerprint": form_value("fingerprint"), "regions": choices})
    except WikiError as error:
        if error.code == "regions_changed":
            db.session.expire_all()
            context["preview"] = remixing.update_plan(remix.id, _user()).preview()
            choices = {}
        return render_template("remixes/update.html", choices=choices, error=error,
                               **context), error.status
    flash(done, "success")
    return redirect(url_for("remixes.show", remix_id=remix.id))


def _region_choices(preview: dict) -> dict:
    """The choices a merge screen's form sent, region by region, as the merge request's
    ``regions`` (a region left without a choice is not named)."""
    choices: dict = {}
    for region in preview["regions"]:
        key = str(region["index"])
        value = form_value(f"region-{key}")
        if value == "edit":
            choices[key] = {"text": form_value(f"text-{key}")}
        elif value in ("take", "leave"):
            choices[key] = value
    return choices


@bp.get("/definitions/<slug>/remixes")
def index(slug: str):
    definition = editing.get_definition(slug)
    remixes = list(db.session.scalars(select(Remix).where(Remix.definition_id == definition.id)
                                      .order_by(Remix.updated_at.desc()).limit(200)))
    return render_template("remixes/index.html", definition=definition, remixes=remixes)


@bp.get("/definitions/<slug>/proposals")
def queue(slug: str):
    """Proposals waiting for a moderator, sortable by votes, Wilson bound, date, size."""
    definition = editing.get_definition(slug)
    sort = request.args.get("tri", "votes")
    sort = sort if sort in SORTS else "votes"
    remixes = list(db.session.scalars(select(Remix).where(
        Remix.definition_id == definition.id, Remix.status == "proposed")))
    rows = []
    for remix in remixes:
        votes = remixing.remix_votes(remix)["current"]
        stats = comparing.compare(definition.head_revision_id, remix.head_revision_id).stats
        rows.append({"remix": remix, "votes": votes,
                     "score": ranking.score(votes["plebisciter"], votes["rejeter"]),
                     "wilson": ranking.wilson_lower_bound(votes["plebisciter"],
                                                          votes["rejeter"]),
                     "size": stats.inserted_words + stats.deleted_words, "stats": stats})
    keys = {"votes": lambda r: (-r["score"], -r["remix"].id),
            "wilson": lambda r: (-r["wilson"], -r["remix"].id),
            "date": lambda r: -r["remix"].updated_at.timestamp(),
            "taille": lambda r: (-r["size"], -r["remix"].id)}
    rows.sort(key=keys[sort])
    return render_template("remixes/queue.html", definition=definition, rows=rows, sort=sort)


def _review(remix: Remix) -> tuple[dict, dict]:
    """The merge preview of API.md and, region by region, its comments and authors."""
    plan = remixing.plan_merge(db.session, remix.definition.head, remix.head)
    return plan.preview(), merge_review.region_notes(db.session, plan, remix)


@bp.route("/remixes/<int:remix_id>/merge", methods=["GET", "POST"])
@login_required
def merge(remix_id: int):
    """The moderator's merge screen: every region the remix changes, one choice each, with the
    comments anchored in it and who wrote it."""
    remix = remixing.get_remix(remix_id)
    if not current_user.is_moderator:
        abort(403)
    preview, notes = _review(remix)
    context = {"remix": remix, "definition": remix.definition}
    if request.method == "GET":
        return render_template("remixes/merge.html", preview=preview, notes=notes,
                               choices={}, **context)
    choices = _region_choices(preview)
    try:
        if form_value("action") == "preview":
            # « Voir le résultat »: the same choices, shown as the text they make; nothing saved.
            head, merged_text = remixing.preview_merge_choices(
                remix.id, _user(), form_value("fingerprint"), choices)
            result = textdiff.diff_words(head.body, merged_text)
            return render_template("remixes/merge.html", preview=preview, notes=notes,
                                   choices=choices, result=textdiff.render_inline(result),
                                   result_stats=textdiff.diff_stats(result), **context)
        revision = remixing.merge_remix(remix.id, _user(), {
            "fingerprint": form_value("fingerprint"), "regions": choices})
    except WikiError as error:
        if error.code == "regions_changed":
            # The screen was stale: show the fresh regions, with no choice carried over from
            # regions that may now mean something else.
            db.session.expire_all()
            preview, notes = _review(remixing.get_remix(remix.id))
            choices = {}
        return render_template("remixes/merge.html", preview=preview, notes=notes,
                               error=error, choices=choices, **context), error.status
    flash(_("Remix fusionné dans la version officielle."), "success")
    return redirect(url_for("pages.revision", revision_id=revision.id))


@bp.get("/definitions/<slug>/graph.svg")
def graph_svg(slug: str):
    definition = editing.get_definition(slug)
    revisions = db.session.execute(
        select(Revision.id, Revision.remix_id, Revision.summary)
        .where(Revision.definition_id == definition.id).order_by(Revision.id)).all()
    parents = remixing.parents_map(db.session, definition.id)
    remixes = {r.id: r for r in db.session.scalars(
        select(Remix).where(Remix.definition_id == definition.id))}
    heads = {definition.head_revision_id} | {r.head_revision_id for r in remixes.values()}
    # One url_for, not one per revision (10 000 of them cost more than drawing the graph).
    prefix, _sep, suffix = url_for("pages.revision", revision_id=2**62).partition(str(2**62))
    nodes = [graph.Node(id=rid, lane=f"remix:{remix_id}" if remix_id else "official",
                        parents=tuple(parents.get(rid, ())),
                        label=f"{rid} — {summary}",
                        url=f"{prefix}{rid}{suffix}",
                        is_head=rid in heads)
             for rid, remix_id, summary in revisions]
    titles = {"official": _("Version officielle")}
    titles.update({f"remix:{rid}": remix.title for rid, remix in remixes.items()})
    svg = graph.render_svg(nodes, titles)
    response = Response(svg, mimetype="image/svg+xml")
    # The drawing styles itself with its own <style> element, which the pages' policy would
    # refuse when the SVG is opened on its own; it runs no script and loads nothing.
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
    return response


GRAPH_LIST = 200


@bp.get("/definitions/<slug>/graph")
def graph_page(slug: str):
    """The graph as a picture, and the same revisions as a list of links (the picture's
    links are not reachable from an <img>, nor by assistive technology)."""
    from sqlalchemy.orm import selectinload

    definition = editing.get_definition(slug)
    revisions = list(db.session.scalars(
        select(Revision).where(Revision.definition_id == definition.id)
        .options(selectinload(Revision.parent_links), selectinload(Revision.remix))
        .order_by(Revision.id.desc()).limit(GRAPH_LIST)))
    return render_template("remixes/graph.html", definition=definition, revisions=revisions)

