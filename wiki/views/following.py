"""Following the definition: « Activité récente », Atom feeds, follows, notifications.

Feeds are Atom (RFC 4287) built with feedgen; each answers 304 from two cheap validators (the
newest row's id and time) before anything is rendered, so a reader polling every minute costs
one indexed query.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from xml.etree import ElementTree

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.http import is_resource_modified

from wiki.domain import licensing
from wiki.errors import NotFound, WikiError
from wiki.extensions import db
from wiki.models import Definition, Event, Remix, Revision
from wiki.security import safe_next
from wiki.services import comparing, editing, following, voting
from wiki.views.forms import row_id

bp = Blueprint("following", __name__)

FEED_ENTRIES = 50
#: Bumped when the feeds' markup changes, so readers' cached copies are not kept.
FEED_VERSION = "1"
ATOM = "application/atom+xml; charset=utf-8"
#: The date in every entry's tag: URI (RFC 4151); it must never change.
TAG_DATE = "2025"
EPOCH = datetime(2025, 1, 1, tzinfo=UTC)


def _user():
    return current_user._get_current_object()


# ---------------------------------------------------------------------------------------------
# Template helpers: the header's counter and the follow buttons


@bp.app_context_processor
def _helpers() -> dict:
    def unread_notifications() -> int:
        if not current_user.is_authenticated:
            return 0
        return following.unread_count(current_user.id)

    def is_following(definition: Definition | None = None, remix: Remix | None = None) -> bool:
        if not current_user.is_authenticated:
            return False
        if remix is not None:
            return following.is_following(current_user.id, remix_id=remix.id)
        return following.is_following(current_user.id, definition_id=definition.id)

    return {"unread_notifications": unread_notifications, "is_following": is_following}


# ---------------------------------------------------------------------------------------------
# « Activité récente »


def _filters() -> tuple[Definition | None, str | None]:
    slug = request.args.get("definition") or None
    definition = editing.get_definition(slug) if slug else None
    return definition, following.check_kind(request.args.get("type") or None)


def _load_events(page: following.Page) -> list[Event]:
    """The rows with what each line shows, in a handful of queries rather than one a row."""
    ids = [event.id for event in page.items]
    if not ids:
        return []
    return list(db.session.scalars(
        select(Event).where(Event.id.in_(ids)).order_by(Event.id.desc())
        .options(selectinload(Event.actor), selectinload(Event.revision),
                 selectinload(Event.remix), selectinload(Event.definition))
        .execution_options(populate_existing=True)))


@bp.get("/recent")
def recent():
    definition, kind = _filters()
    page = following.recent_events(definition_id=definition.id if definition else None,
                                   kind=kind, before=request.args.get("avant", type=row_id))
    definitions = list(db.session.scalars(select(Definition).order_by(Definition.term)))
    return render_template(
        "recent.html", events=_load_events(page), next_before=page.next,
        newer="avant" in request.args, chosen=definition, kind=kind,
        definitions=definitions, kinds=following.EVENT_KINDS, kind_labels=kind_labels(),
        event_title=event_title, event_link=event_link)


def kind_labels() -> dict[str, str]:
    return {"revision": _("Révision"), "remix": _("Remix"), "proposal": _("Proposition"),
            "merge": _("Fusion"), "decline": _("Refus"), "withdraw": _("Retrait"),
            "comment": _("Commentaire")}


# ---------------------------------------------------------------------------------------------
# Atom feeds


class _LinksExtension(BaseExtension):
    """Nothing at the feed level: feedgen already allows ``rel="license"`` there."""


class _EntryLinks(BaseEntryExtension):
    """Entry links with a ``rel``: feedgen 1.0 checks entry rels against a short list without
    ``license``, and writes no rel at all on entry links (it reads them back from the new
    element); this writes ``related`` and ``license`` links itself."""

    def __init__(self) -> None:
        self.links: list[dict[str, str]] = []

    def add(self, href: str, rel: str, **attributes: str) -> None:
        self.links.append({"href": href, "rel": rel, **attributes})

    def extend_atom(self, entry):
        from lxml import etree

        for link in self.links:
            etree.SubElement(entry, "link", **link)
        return entry


def _xml_error(status: int, code: str, message: str) -> Response:
    root = ElementTree.Element("error", {"code": code, "status": str(status)})
    root.text = message
    body = ElementTree.tostring(root, encoding="unicode", xml_declaration=False)
    return Response('<?xml version="1.0" encoding="utf-8"?>\n' + body, status=status,
                    content_type="application/xml; charset=utf-8",
                    headers={"Cache-Control": "no-store"})


def _feed_response(etag_parts: tuple, last_modified: datetime | None, build) -> Response:
    """304 when the reader's copy is current; else the feed ``build()`` makes."""
    key = "|".join(str(p) for p in (FEED_VERSION, str(get_locale()), *etag_parts))
    etag = hashlib.sha256(key.encode()).hexdigest()[:32]
    modified = (last_modified or EPOCH).replace(microsecond=0)
    headers = {"Cache-Control": "no-cache", "Vary": "Accept-Language, Cookie"}
    if not is_resource_modified(request.environ, etag=etag, last_modified=modified):
        response = Response(status=304, headers=headers)
    else:
        response = Response(build(), content_type=ATOM, headers=headers)
    response.set_etag(etag)
    response.last_modified = modified
    return response


def _new_feed(feed_id: str, title: str, self_url: str, page_url: str,
              license_code: str, updated: datetime | None) -> FeedGenerator:
    lic = licensing.get_license(license_code)
    feed = FeedGenerator()
    feed.register_extension("wiki", _LinksExtension, _EntryLinks, atom=True, rss=False)
    feed.id(feed_id)
    feed.title(title)
    feed.language(str(get_locale()))
    feed.author({"name": _("Définition vivante")})
    feed.link(href=self_url, rel="self", type="application/atom+xml")
    feed.link(href=page_url, rel="alternate", type="text/html")
    feed.link(href=lic.url, rel="license")
    feed.rights(_rights(lic))
    feed.generator("Définition vivante")
    feed.updated(updated or EPOCH)
    return feed


def _rights(lic: licensing.License) -> str:
    return _("%(short)s — %(name)s. Pas d’utilisation commerciale. %(url)s",
             short=lic.short_name, name=lic.name, url=lic.url)


def _authors(revision: Revision | None, actor) -> list[dict]:
    if actor is not None:
        return [{"name": actor.display_name}]
    if revision is not None:
        names = [entry["display_name"] for entry in revision.contributors
                 if entry.get("username") is None]
        if names:
            return [{"name": name} for name in names]
    return [{"name": _("Définition vivante")}]


def _revision_url(revision_id: int, anchor: str | None = None) -> str:
    return url_for("pages.revision", revision_id=revision_id, _external=True, _anchor=anchor)


def _diff_html(revision: Revision) -> str:
    """The diff summary of a revision against its first parent: +N / −M words, and where."""
    stats = _("+%(ins)d mots, −%(dels)d mots", ins=revision.inserted_words,
              dels=revision.deleted_words)
    parts = [f"<p>{_escape(revision.summary)}</p>"]
    if revision.parent_ids:
        compare = url_for("pages.compare", _external=True,
                          **{"from": revision.parent_ids[0], "to": revision.id})
        parts.append(f'<p><a href="{_escape(compare)}">{_escape(stats)}</a> '
                     f'{_escape(_("par rapport à la révision %(id)d", id=revision.parent_ids[0]))}'
                     "</p>")
    else:
        parts.append(f"<p>{_escape(stats)}</p>")
    return "".join(parts)


def _escape(value: str) -> str:
    from markupsafe import escape

    return str(escape(value))


def _add_revision_entry(feed: FeedGenerator, revision: Revision, entry_id: str, title: str,
                        actor=None, content: str | None = None, page_url: str | None = None):
    lic = licensing.get_license(revision.license_code)
    entry = feed.add_entry(order="append")
    entry.id(entry_id)
    entry.title(title)
    entry.author(_authors(revision, actor if actor is not None else revision.author))
    entry.updated(revision.created_at)
    entry.published(revision.created_at)
    entry.link(href=page_url or _revision_url(revision.id))
    if page_url:
        entry.wiki.add(_revision_url(revision.id), "related", type="text/html")
    elif revision.parent_ids:
        entry.wiki.add(url_for("pages.compare", _external=True,
                               **{"from": revision.parent_ids[0], "to": revision.id}),
                       "related", type="text/html")
    entry.wiki.add(lic.url, "license")
    entry.rights(_rights(lic))
    entry.content(content or _diff_html(revision), type="html")
    return entry


def _tag(kind: str, object_id: int) -> str:
    host = request.host.split(":", 1)[0]
    return f"tag:{host},{TAG_DATE}:{kind}/{object_id}"


def _feed_of_unknown(error: WikiError) -> Response:
    return _xml_error(error.status, error.code, error.message)


@bp.get("/definitions/<slug>/feed.atom")
def definition_feed(slug: str):
    """The official line, newest revision first."""
    try:
        definition = editing.get_definition(slug)
    except NotFound as error:
        return _feed_of_unknown(error)
    line = select(Revision).where(Revision.definition_id == definition.id,
                                  Revision.remix_id.is_(None))
    newest = db.session.execute(
        select(Revision.id, Revision.created_at).where(
            Revision.definition_id == definition.id, Revision.remix_id.is_(None))
        .order_by(Revision.id.desc()).limit(1)).first()

    def build() -> bytes:
        revisions = list(db.session.scalars(line.order_by(Revision.id.desc())
                                            .limit(FEED_ENTRIES)
                                            .options(selectinload(Revision.author))))
        feed = _new_feed(
            url_for("following.definition_feed", slug=slug, _external=True),
            _("« %(term)s » — version officielle", term=definition.term),
            url_for("following.definition_feed", slug=slug, _external=True),
            url_for("pages.definition", slug=slug, _external=True),
            definition.license_code, newest.created_at if newest else definition.created_at)
        for revision in revisions:
            _add_revision_entry(feed, revision, _revision_url(revision.id),
                                _("Révision %(id)d : %(summary)s", id=revision.id,
                                  summary=revision.summary))
        return feed.atom_str(pretty=True)

    return _feed_response(("definition", definition.id, newest.id if newest else 0),
                          newest.created_at if newest else None, build)


@bp.get("/definitions/<slug>/proposals.atom")
def proposals_feed(slug: str):
    """Every time a remix of this definition was put forward for merging, newest first."""
    try:
        definition = editing.get_definition(slug)
    except NotFound as error:
        return _feed_of_unknown(error)
    newest = following.latest_event(definition_id=definition.id, kind="proposal")

    def build() -> bytes:
        page = following.recent_events(definition_id=definition.id, kind="proposal",
                                       limit=FEED_ENTRIES)
        feed = _new_feed(
            url_for("following.proposals_feed", slug=slug, _external=True),
            _("« %(term)s » — propositions", term=definition.term),
            url_for("following.proposals_feed", slug=slug, _external=True),
            url_for("remixes.queue", slug=slug, _external=True),
            definition.license_code, newest.created_at if newest else definition.created_at)
        for event in _load_events(page):
            _add_proposal_entry(feed, event)
        return feed.atom_str(pretty=True)

    return _feed_response(("proposals", definition.id, newest.id if newest else 0),
                          newest.created_at if newest else None, build)


def _proposal_html(remix: Remix, revision: Revision) -> str:
    """What a proposal changes: its head against the revision it was forked from."""
    stats = comparing.compare(remix.forked_from_revision_id, revision.id).stats
    compare = url_for("pages.compare", _external=True,
                      **{"from": remix.forked_from_revision_id, "to": revision.id})
    return (f"<p>{_escape(revision.summary)}</p>"
            f'<p><a href="{_escape(compare)}">'
            + _escape(_("+%(ins)d mots, −%(dels)d mots", ins=stats.inserted_words,
                        dels=stats.deleted_words)) + "</a> "
            + _escape(_("par rapport à la révision de départ %(id)d",
                        id=remix.forked_from_revision_id)) + "</p>")


def _add_proposal_entry(feed: FeedGenerator, event: Event) -> None:
    remix, revision = event.remix, event.revision
    entry = _add_revision_entry(
        feed, revision, _tag("proposition", event.id),
        _("Proposition « %(title)s » (révision %(id)d)", title=remix.title, id=revision.id),
        actor=event.actor, content=_proposal_html(remix, revision))
    entry.updated(event.created_at)
    entry.published(event.created_at)
    entry.wiki.add(url_for("remixes.show", remix_id=remix.id, _external=True), "related",
                   type="text/html")


@bp.get("/recent/feed.atom")
def recent_feed():
    """« Activité récente » as a feed, with the same filters as the page."""
    try:
        definition, kind = _filters()
    except WikiError as error:
        return _feed_of_unknown(error)
    definition_id = definition.id if definition else None
    newest = following.latest_event(definition_id=definition_id, kind=kind)

    def build() -> bytes:
        page = following.recent_events(definition_id=definition_id, kind=kind,
                                       limit=FEED_ENTRIES)
        filters = {"definition": definition.slug if definition else None, "type": kind}
        self_url = url_for("following.recent_feed", _external=True, **filters)
        feed = _new_feed(self_url, _("Définition vivante — activité récente"), self_url,
                         url_for("following.recent", _external=True, **filters),
                         definition.license_code if definition else licensing.WIKI_DEFAULT,
                         newest.created_at if newest else None)
        for event in _load_events(page):
            _add_event_entry(feed, event)
        return feed.atom_str(pretty=True)

    return _feed_response(("recent", definition_id, kind, newest.id if newest else 0),
                          newest.created_at if newest else None, build)


def event_title(event: Event) -> str:
    remix = event.remix.title if event.remix else ""
    term = event.definition.term
    titles = {
        "revision": lambda: (_("Révision %(id)d du remix « %(remix)s » : %(summary)s",
                               id=event.revision_id, remix=remix,
                               summary=event.revision.summary) if event.remix
                             else _("Révision %(id)d de « %(term)s » : %(summary)s",
                                    id=event.revision_id, term=term,
                                    summary=event.revision.summary)),
        "remix": lambda: _("Nouveau remix « %(remix)s »", remix=remix),
        "proposal": lambda: _("Proposition « %(remix)s »", remix=remix),
        "merge": lambda: _("Fusion du remix « %(remix)s »", remix=remix),
        "decline": lambda: _("Proposition refusée : « %(remix)s »", remix=remix),
        "withdraw": lambda: _("Proposition retirée : « %(remix)s »", remix=remix),
        "comment": lambda: _("Commentaire sur la révision %(id)d", id=event.revision_id),
    }
    return titles[event.kind]()


def event_link(event: Event, external: bool = False) -> str:
    """Where a line of the activity leads: the revision, the remix, or the comment."""
    if event.kind == "comment":
        return url_for("pages.revision", revision_id=event.revision_id, _external=external,
                       _anchor=f"commentaire-{event.comment_id}")
    if event.kind in ("remix", "proposal", "decline", "withdraw") and event.remix_id:
        return url_for("remixes.show", remix_id=event.remix_id, _external=external)
    if event.revision_id:
        return url_for("pages.revision", revision_id=event.revision_id, _external=external)
    return url_for("pages.definition", slug=event.definition.slug, _external=external)


def _add_event_entry(feed: FeedGenerator, event: Event) -> None:
    revision = event.revision
    link = event_link(event, external=True)
    if revision is None:
        lic = licensing.get_license(event.definition.license_code)
        entry = feed.add_entry(order="append")
        entry.id(_tag("activite", event.id))
        entry.title(event_title(event))
        entry.author(_authors(None, event.actor))
        entry.updated(event.created_at)
        entry.published(event.created_at)
        entry.link(href=link)
        entry.wiki.add(lic.url, "license")
        entry.rights(_rights(lic))
        entry.content(f"<p>{_escape(event_title(event))}</p>", type="html")
        return
    content = f"<p>{_escape(event_title(event))}</p>"
    if event.kind in ("revision", "merge"):
        content = _diff_html(revision)
    elif event.kind in ("proposal", "decline", "withdraw") and event.remix:
        content += _proposal_html(event.remix, revision)
    elif event.kind == "remix":
        content += "<p>" + _escape(_("Remixé à partir de la révision %(id)d",
                                     id=revision.id)) + "</p>"
    entry = _add_revision_entry(
        feed, revision, _tag("activite", event.id), event_title(event), actor=event.actor,
        content=content, page_url=None if link == _revision_url(revision.id) else link)
    entry.updated(event.created_at)
    entry.published(event.created_at)


# ---------------------------------------------------------------------------------------------
# Follows


def _back(default: str):
    return redirect(safe_next(request.form.get("next")) or default)


@bp.post("/definitions/<slug>/follow")
@login_required
def follow_definition(slug: str):
    definition = editing.get_definition(slug)
    following.follow(_user(), definition_id=definition.id)
    flash(_("Vous suivez « %(term)s » : chaque nouvelle révision officielle vous sera "
            "signalée.", term=definition.term), "success")
    return _back(url_for("pages.definition", slug=slug))


@bp.post("/definitions/<slug>/unfollow")
@login_required
def unfollow_definition(slug: str):
    definition = editing.get_definition(slug)
    following.unfollow(_user(), definition_id=definition.id)
    flash(_("Vous ne suivez plus « %(term)s ».", term=definition.term), "success")
    return _back(url_for("pages.definition", slug=slug))


@bp.post("/remixes/<int:remix_id>/follow")
@login_required
def follow_remix(remix_id: int):
    following.follow(_user(), remix_id=remix_id)
    flash(_("Vous suivez ce remix : chaque nouvelle révision vous sera signalée."), "success")
    return _back(url_for("remixes.show", remix_id=remix_id))


@bp.post("/remixes/<int:remix_id>/unfollow")
@login_required
def unfollow_remix(remix_id: int):
    following.unfollow(_user(), remix_id=remix_id)
    flash(_("Vous ne suivez plus ce remix."), "success")
    return _back(url_for("remixes.show", remix_id=remix_id))


# ---------------------------------------------------------------------------------------------
# Notifications


@bp.get("/notifications")
@login_required
def notifications():
    page = following.notifications(current_user.id, request.args.get("curseur") or None)
    return render_template("notifications.html", notifications=page.items,
                           next_cursor=page.next, first_page="curseur" not in request.args,
                           unread=following.unread_count(current_user.id))


@bp.post("/notifications/<int:notification_id>/read")
@login_required
def mark_read(notification_id: int):
    following.mark_read(_user(), notification_id)
    return redirect(url_for("following.notifications"))


@bp.post("/notifications/read")
@login_required
def mark_all_read():
    count = following.mark_all_read(_user())
    flash(_("%(n)d notification(s) marquée(s) comme lue(s).", n=count), "success")
    return redirect(url_for("following.notifications"))


@bp.post("/notifications/<int:notification_id>/maintain")
@login_required
def maintain_vote(notification_id: int):
    """« Je maintiens mon vote »: the same choice, cast on the proposal's new head (a PUT on
    it, as DECISIONS.md says: there is no separate carry operation)."""
    notice = following.get_notification(_user(), notification_id)
    if notice.kind != "vote_outdated":
        abort(404)
    payload = notice.payload
    try:
        voting.cast_vote(current_user.id, payload["revision_id"], payload["choice"])
    except WikiError as error:
        flash(error.message, "error")
        return redirect(url_for("following.notifications"))
    following.mark_read(_user(), notice.id)
    flash(_("Votre vote est maintenu sur la nouvelle version."), "success")
    return redirect(url_for("remixes.show", remix_id=payload["remix_id"]))

