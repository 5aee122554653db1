"""Comments: threads on a revision, anchored to a passage, hidden (never deleted), reported."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import exists, func, select
from sqlalchemy.orm import selectinload

from wiki.domain import anchoring, markup, text
from wiki.errors import InvalidInput, InvalidText, NotAllowed, NotFound
from wiki.extensions import db
from wiki.models import AuditEntry, Comment, CommentReport, Event, Revision, User, utcnow
from wiki.services import notifying
from wiki.services.db import transaction
from wiki.services.revisions import clean_line, get_revision

MAX_COMMENT = 5000
MAX_QUOTE = 2000


def _clean_comment(raw: object) -> tuple[str, str]:
    if not isinstance(raw, str):
        raise InvalidInput("body", _("Le commentaire doit être un texte."))
    try:
        body = text.normalise_text(raw).strip()
    except text.InvalidText as error:
        raise InvalidText(_("Le commentaire contient des caractères interdits."),
                          details={"field": "body", "reason": error.reason}) from error
    if not body:
        raise InvalidInput("body", _("Le commentaire est vide."))
    if len(body) > MAX_COMMENT:
        raise InvalidInput("body", _("Le commentaire dépasse %(n)d caractères.",
                                     n=MAX_COMMENT), code="too_long")
    try:
        html = markup.render_comment(body, budget=current_app.config["MARKDOWN_BUDGET"])
    except markup.MarkupTooComplex:
        raise InvalidInput("body", _("Texte trop complexe à afficher : simplifiez sa mise en "
                                     "forme."), code="too_complex") from None
    return body, html


def _clean_anchor(raw: object, body: str,
                  html: str = "") -> tuple[anchoring.Anchor, int, int] | None:
    """The anchor as sent (quote with context), located in the revision's Markdown body: the
    exact quote first, else the passage as a reader selected it in the rendered page (``html``)
    — selections lack the Markdown syntax they span and carry the page's typography."""
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise InvalidInput("anchor", _("L’ancre doit être un objet {quote, prefix, suffix}."))
    parts = {}
    for key in ("quote", "prefix", "suffix"):
        value = raw.get(key) or ""
        if not isinstance(value, str):
            raise InvalidInput("anchor", _("L’ancre doit contenir des textes."))
        try:
            parts[key] = text.normalise_text(value)
        except text.InvalidText as error:
            raise InvalidText(_("L’ancre contient des caractères interdits."),
                              details={"field": "anchor"}) from error
    if not parts["quote"].strip():
        raise InvalidInput("anchor", _("Le passage cité est vide."))
    if len(parts["quote"]) > MAX_QUOTE:
        raise InvalidInput("anchor", _("Le passage cité dépasse %(n)d caractères.",
                                       n=MAX_QUOTE))
    found = anchoring.find_quote(body, parts["quote"], parts["prefix"], parts["suffix"])
    if found is None and html:
        found = anchoring.find_rendered_quote(body, html, parts["quote"], parts["prefix"],
                                              parts["suffix"])
    if found is None:
        raise InvalidInput("anchor", _("Ce passage ne se trouve pas dans la révision."),
                           code="anchor_not_found")
    start, end = found
    # The stored context is the revision's own, whatever the client sent around the quote.
    anchor = anchoring.make_anchor(body, start, end)
    return anchor, start, end


def add_comment(*, revision_id: object, author: User, body: object,
                parent_id: object = None, anchor: object = None) -> Comment:
    body_text, html = _clean_comment(body)
    with transaction() as session:
        revision = get_revision(session, revision_id)
        parent = None
        if parent_id is not None:
            parent = _get(session, parent_id, "parent_id")
            if parent.revision_id != revision.id:
                raise InvalidInput("parent_id", _("On ne peut répondre qu’à un commentaire de "
                                                  "la même révision."))
        located = _clean_anchor(anchor, revision.body, revision.html)
        comment = Comment(revision_id=revision.id, parent_id=parent.id if parent else None,
                          author_id=author.id, body=body_text, html=html)
        if located:
            found, comment.anchor_start, comment.anchor_end = located
            comment.anchor_quote, comment.anchor_prefix = found.quote, found.prefix
            comment.anchor_suffix = found.suffix
        session.add(comment)
        session.flush()
        session.add(Event(kind="comment", definition_id=revision.definition_id,
                          actor_id=author.id, revision_id=revision.id, comment_id=comment.id))
        notifying.comment_added(session, comment)
    return comment


def _get(session, comment_id: object, field: str = "comment_id") -> Comment:
    try:
        cid = int(comment_id)
    except (TypeError, ValueError):
        raise InvalidInput(field, _("Identifiant de commentaire invalide.")) from None
    comment = session.get(Comment, cid) if 0 < cid < 2**63 else None
    if comment is None:
        raise NotFound(_("Le commentaire %(id)s n’existe pas.", id=cid))
    return comment


def set_hidden(comment_id: int, moderator: User, hidden: bool, reason: object = None) -> Comment:
    if not moderator.is_moderator:
        raise NotAllowed(_("Réservé aux modérateurs."))
    reason_text = clean_line(reason, "reason", 500, required=hidden,
                             missing=_("Indiquez la raison du masquage."))
    with transaction() as session:
        comment = _get(session, comment_id)
        comment.hidden = hidden
        comment.hidden_reason = reason_text if hidden else None
        if hidden:
            session.query(CommentReport).filter_by(comment_id=comment.id,
                                                   resolved_at=None).update(
                {"resolved_at": utcnow()})
        session.add(AuditEntry(actor_id=moderator.id,
                               action="hide_comment" if hidden else "unhide_comment",
                               target_type="comment", target_id=comment.id,
                               details={"reason": reason_text} if hidden else {}))
        notifying.comment_hidden(session, comment, moderator)
    return comment


def report(comment_id: int, reporter: User, reason: object) -> None:
    reason_text = clean_line(reason, "reason", 500, required=True,
                             missing=_("Indiquez pourquoi vous signalez ce commentaire."))
    with transaction() as session:
        comment = _get(session, comment_id)
        exists = session.scalar(select(CommentReport.id).where(
            CommentReport.comment_id == comment.id, CommentReport.reporter_id == reporter.id))
        if exists is None:
            session.add(CommentReport(comment_id=comment.id, reporter_id=reporter.id,
                                      reason=reason_text))


def open_reports() -> list[CommentReport]:
    return list(db.session.scalars(select(CommentReport).where(
        CommentReport.resolved_at.is_(None)).order_by(CommentReport.id)))


def can_read_hidden(comment: Comment, viewer: User | None) -> bool:
    return viewer is not None and (viewer.is_moderator or viewer.id == comment.author_id)


@dataclass
class ThreadNode:
    comment: Comment
    replies: list[ThreadNode]
    located: anchoring.Located | None = None


def thread(revision_ids: list[int]) -> list[ThreadNode]:
    """Top-level comments oldest first, replies nested (one query, tree built in memory)."""
    return _tree(select(Comment).where(Comment.revision_id.in_(revision_ids)))


def line_thread(revision: Revision) -> list[ThreadNode]:
    """``thread`` of a revision and every earlier revision of its line, in one query that
    does not list them: it reads the comments made up to this revision, not the history (a
    long history would otherwise make a huge ``IN`` or a scan of every earlier revision)."""
    line = (Revision.remix_id.is_(None) if revision.remix_id is None
            else Revision.remix_id == revision.remix_id)
    on_line = exists().where(Revision.id == Comment.revision_id,
                             Revision.definition_id == revision.definition_id, line)
    return _tree(select(Comment).where(Comment.revision_id <= revision.id, on_line))


def _tree(query) -> list[ThreadNode]:
    comments = list(db.session.scalars(
        query.options(selectinload(Comment.author)).order_by(Comment.id)))
    nodes = {c.id: ThreadNode(c, []) for c in comments}
    roots = []
    for comment in comments:
        node = nodes[comment.id]
        if comment.parent_id in nodes:
            nodes[comment.parent_id].replies.append(node)
        else:
            roots.append(node)
    return roots


def earlier_revision_ids(revision: Revision) -> list[int]:
    """Earlier revisions of the same line (for comments that follow the text)."""
    line = (Revision.remix_id.is_(None) if revision.remix_id is None
            else Revision.remix_id == revision.remix_id)
    return list(db.session.scalars(select(Revision.id).where(
        Revision.definition_id == revision.definition_id, line, Revision.id < revision.id)))


class _Memo:
    """A bounded memo of one worker, keyed by ids, least recently used out first.

    Revisions and anchors never change, so where an anchor lies in a revision never changes
    either: a revision page otherwise re-runs the fuzzy match of every comment of its line at
    every view (40 ms for 70 comments). Keyed by ids, not texts, so that it holds no bodies.
    """

    def __init__(self, size: int) -> None:
        self._items: OrderedDict = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, key: tuple, compute: Callable):
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = compute()  # outside the lock: two threads may compute it, both alike
        with self._lock:
            self._items[key] = value
            if len(self._items) > self._size:
                self._items.popitem(last=False)
        return value


def _memo(name: str, size: int) -> _Memo:
    """The app's own memo (ids are only unique within one database, so one app's)."""
    memos = current_app.extensions.setdefault("wiki_memos", {})
    if name not in memos:
        memos.setdefault(name, _Memo(size))
    return memos[name]


def locate_comment(comment: Comment, revision: Revision) -> anchoring.Located:
    """Where an anchored comment's passage is in ``revision`` (found, changed or removed)."""
    anchor = anchoring.Anchor(comment.anchor_quote, comment.anchor_prefix or "",
                              comment.anchor_suffix or "")
    return _memo("locations", 8192).get((comment.id, revision.id),
                                        lambda: anchoring.locate(anchor, revision.body))


def relocate(node: ThreadNode, revision: Revision) -> None:
    """Find each anchored comment's passage in ``revision`` (a later one)."""
    if node.comment.anchor_quote is not None:
        node.located = locate_comment(node.comment, revision)
    for reply in node.replies:
        relocate(reply, revision)


@dataclass
class PagePassages:
    """Where the comments of a revision's page stand in its text.

    ``shown``: comment id → ``(text, occurrence)`` of its passage as the page shows it (see
    :meth:`anchoring.RenderedText.passage`), for the script that highlights the passage when
    the comment is clicked. ``removed``: the comments whose passage is gone from this text,
    listed apart under « passages supprimés ».
    """

    shown: dict[int, tuple[str, int]]
    removed: list[Comment]


def follow_passages(nodes: list[ThreadNode], revision: Revision) -> PagePassages:
    """Place every anchored comment of ``nodes`` in ``revision``: its own comments where they
    were made, the earlier revisions' ones found again (``relocate``)."""
    passages = PagePassages({}, [])
    rendered: anchoring.RenderedText | None = None

    def walk(level: list[ThreadNode]) -> None:
        nonlocal rendered
        for node in level:
            comment = node.comment
            if comment.revision_id == revision.id and comment.anchor_start is not None:
                node.located = anchoring.Located("found", comment.anchor_start,
                                                 comment.anchor_end, comment.anchor_quote)
            elif comment.revision_id != revision.id and comment.anchor_quote is not None:
                node.located = locate_comment(comment, revision)
            located = node.located
            if located is not None and located.status == "removed":
                passages.removed.append(comment)
            elif located is not None:
                # Aligning the text with its rendering costs a diff: only when needed.
                rendered = rendered or _memo("renderings", 64).get(
                    (revision.id,), lambda: anchoring.RenderedText(revision.body, revision.html))
                shown = rendered.passage(located.start, located.end)
                if shown is not None:
                    passages.shown[comment.id] = shown
            walk(node.replies)

    walk(nodes)
    return passages


def remix_discussion(remix_id: int, limit: int = 20) -> list[Comment]:
    """The latest comments on a remix's own revisions, newest first, for the remix's page."""
    return list(db.session.scalars(
        select(Comment).options(selectinload(Comment.author))
        .join(Revision, Revision.id == Comment.revision_id)
        .where(Revision.remix_id == remix_id).order_by(Comment.id.desc()).limit(limit)))


def discussion(definition_id: int, limit: int = 100) -> list[tuple[Comment, int]]:
    """Threads of every revision of a definition, newest activity first: (root, last id)."""
    comments = list(db.session.scalars(
        select(Comment).join(Revision, Revision.id == Comment.revision_id)
        .where(Revision.definition_id == definition_id).order_by(Comment.id)))
    roots: dict[int, Comment] = {}
    root_of: dict[int, int] = {}
    activity: dict[int, int] = {}
    for comment in comments:
        root = root_of.get(comment.parent_id, comment.id) if comment.parent_id else comment.id
        root_of[comment.id] = root
        if root == comment.id:
            roots[root] = comment
        activity[root] = comment.id
    ordered = sorted(roots.values(), key=lambda c: activity[c.id], reverse=True)
    return [(c, activity[c.id]) for c in ordered[:limit]]


def comment_count(revision_id: int) -> int:
    return db.session.scalar(select(func.count(Comment.id)).where(
        Comment.revision_id == revision_id)) or 0
