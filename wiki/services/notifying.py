"""Notifications, written by the services inside the transaction of the event they announce.

Each function takes the open ``session`` and the event's objects and only adds rows: the
notification commits or rolls back with the event, so none is lost and none is written twice.
The sentence is not stored, only its parameters (``payload``): the page says it in the
reader's language. ``link`` is a path inside the app (no host, no script root).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wiki.domain import merge
from wiki.models import Comment, Definition, Follow, Notification, Remix, Revision, User, Vote

KINDS = ("reply", "comment_hidden", "proposal_merged", "proposal_declined", "remix_forked",
         "new_revision", "vote_outdated")


def _path(endpoint: str, anchor: str | None = None, **values) -> str:
    """The path of a page, also outside a request (CLI, imports): no host, no script root."""
    path = current_app.url_map.bind("localhost").build(endpoint, values)
    return f"{path}#{anchor}" if anchor else path


def _name(session: Session, user_id: int | None) -> str | None:
    user = session.get(User, user_id) if user_id else None
    return user.display_name if user else None


def _notify(session: Session, user_ids: Iterable[int], kind: str, payload: dict,
            link: str) -> None:
    for user_id in sorted(set(user_ids)):
        session.add(Notification(user_id=user_id, kind=kind, payload=payload, link=link))


def comment_added(session: Session, comment: Comment) -> None:
    """A reply tells the author of the comment replied to (not themselves)."""
    if comment.parent_id is None:
        return
    parent = session.get(Comment, comment.parent_id)
    if parent is None or parent.author_id == comment.author_id:
        return
    _notify(session, [parent.author_id], "reply", {
        "comment_id": comment.id, "parent_id": parent.id, "revision_id": comment.revision_id,
        "actor": _name(session, comment.author_id)},
        _path("pages.revision", f"commentaire-{comment.id}", revision_id=comment.revision_id))


def comment_hidden(session: Session, comment: Comment, moderator: User) -> None:
    """A hidden comment tells its author why; unhiding says nothing."""
    if not comment.hidden or comment.author_id == moderator.id:
        return
    _notify(session, [comment.author_id], "comment_hidden", {
        "comment_id": comment.id, "revision_id": comment.revision_id,
        "reason": comment.hidden_reason},
        _path("pages.revision", f"commentaire-{comment.id}", revision_id=comment.revision_id))


#: Region texts kept in a merge notice, per side, in code points.
EXCERPT = 200


def _excerpt(value: str) -> str:
    value = " ".join(value.split())
    return value if len(value) <= EXCERPT else value[: EXCERPT - 1] + "…"


def remix_merged(session: Session, remix: Remix, revision: Revision, moderator: User,
                 regions: Sequence[merge.Region] = (), edited: Iterable[int] = ()) -> None:
    """The owner learns which of the remix's regions the merge took (``edited``: taken with a
    text the moderator wrote) and which it left, with a short excerpt of each."""
    if remix.owner_id == moderator.id:
        return
    taken = set(revision.taken_regions or ())
    rewritten = set(edited)
    _notify(session, [remix.owner_id], "proposal_merged", {
        "remix_id": remix.id, "title": remix.title, "revision_id": revision.id,
        "taken_regions": revision.taken_regions,
        "left_regions": [r.index for r in regions if r.index not in taken],
        "regions": [{"index": r.index, "taken": r.index in taken,
                     "edited": r.index in rewritten and r.index in taken,
                     "theirs": _excerpt(r.theirs), "base": _excerpt(r.base)}
                    for r in regions],
        "actor": moderator.display_name},
        _path("pages.revision", revision_id=revision.id))


def remix_declined(session: Session, remix: Remix, moderator: User) -> None:
    if remix.owner_id == moderator.id:
        return
    _notify(session, [remix.owner_id], "proposal_declined", {
        "remix_id": remix.id, "title": remix.title, "reason": remix.decline_reason,
        "actor": moderator.display_name},
        _path("remixes.show", remix_id=remix.id))


def remix_forked(session: Session, fork: Remix, source: Revision, owner: User) -> None:
    """Forking a revision of someone's remix tells that remix's owner."""
    if source.remix_id is None:
        return
    original = session.get(Remix, source.remix_id)
    if original is None or original.owner_id == owner.id:
        return
    _notify(session, [original.owner_id], "remix_forked", {
        "remix_id": original.id, "title": original.title, "fork_id": fork.id,
        "fork_title": fork.title, "actor": owner.display_name},
        _path("remixes.show", remix_id=fork.id))


def revision_added(session: Session, revision: Revision) -> None:
    """A new revision of a line: its voters first (their vote stayed on an earlier version),
    then whoever follows the line; nobody twice, never its author."""
    told = {revision.author_id} if revision.author_id else set()
    if revision.remix_id is not None:
        told |= _tell_voters(session, revision)
        target = Follow.remix_id == revision.remix_id
        title = session.get(Remix, revision.remix_id).title
    else:
        target = Follow.definition_id == revision.definition_id
        title = session.get(Definition, revision.definition_id).term
    followers = set(session.scalars(select(Follow.user_id).where(target))) - told
    _notify(session, followers, "new_revision", {
        "revision_id": revision.id, "remix_id": revision.remix_id, "title": title,
        "summary": revision.summary, "inserted_words": revision.inserted_words,
        "deleted_words": revision.deleted_words, "actor": _name(session, revision.author_id)},
        _path("pages.revision", revision_id=revision.id))


def _tell_voters(session: Session, head: Revision) -> set[int]:
    """Each voter on an earlier revision of the remix (its fork point excluded, as its
    ``votes.earlier`` counts them) learns of the new head, with their latest vote to carry."""
    latest = (select(Vote.user_id, func.max(Vote.revision_id).label("revision_id"))
              .join(Revision, Revision.id == Vote.revision_id)
              .where(Revision.remix_id == head.remix_id, Revision.id != head.id)
              .group_by(Vote.user_id).subquery())
    rows = session.execute(
        select(Vote.user_id, Vote.revision_id, Vote.choice)
        .join(latest, (latest.c.user_id == Vote.user_id)
              & (latest.c.revision_id == Vote.revision_id))).all()
    remix = session.get(Remix, head.remix_id)
    told = set()
    for user_id, voted_id, choice in rows:
        if user_id == head.author_id:
            continue
        told.add(user_id)
        _notify(session, [user_id], "vote_outdated", {
            "remix_id": remix.id, "title": remix.title, "voted_revision_id": voted_id,
            "revision_id": head.id, "choice": choice, "actor": _name(session, head.author_id)},
            _path("pages.compare", **{"from": voted_id, "to": head.id}))
    return told
