"""Following the definition: recent activity, follows, and each reader's notifications.

Lists are keyset-paginated (``id < cursor``), never by OFFSET: a page costs the same however
far back the reader goes, and rows written meanwhile do not shift what comes next.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from wiki.errors import NotFound, WikiError
from wiki.extensions import db
from wiki.models import Definition, Event, Follow, Notification, Remix, User, utcnow
from wiki.services.db import transaction

EVENT_KINDS = ("revision", "remix", "proposal", "merge", "decline", "withdraw", "comment")
PAGE = 50
MAX_ID = 2**63


class BadFilter(WikiError):
    """A query parameter no form of ours sends: an unknown kind, a mangled cursor."""

    status = 400
    code = "bad_request"


# ---------------------------------------------------------------------------------------------
# Recent activity


@dataclass(frozen=True)
class Page:
    items: list
    #: The cursor of the next (older) page, ``None`` on the last one.
    next: str | None


def check_kind(kind: str | None) -> str | None:
    if kind in (None, ""):
        return None
    if kind not in EVENT_KINDS:
        raise BadFilter(_("Type d’activité inconnu : « %(kind)s ».", kind=kind),
                        details={"field": "type", "allowed": list(EVENT_KINDS)})
    return kind


def _event_filter(definition_id: int | None, kind: str | None) -> list:
    conditions = []
    if definition_id is not None:
        conditions.append(Event.definition_id == definition_id)
    if kind is not None:
        conditions.append(Event.kind == kind)
    return conditions


def recent_events(*, definition_id: int | None = None, kind: str | None = None,
                  before: int | None = None, limit: int | None = None) -> Page:
    """Events newest first; ``before`` is the cursor a previous page handed out."""
    limit = limit or PAGE
    query = select(Event).where(*_event_filter(definition_id, check_kind(kind)))
    if before is not None and 0 < before < MAX_ID:
        query = query.where(Event.id < before)
    rows = list(db.session.scalars(query.order_by(Event.id.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, str(rows[-1].id) if more else None)


def latest_event(*, definition_id: int | None = None, kind: str | None = None):
    """``(id, created_at)`` of the newest matching event: a feed's validators, in one query."""
    return db.session.execute(
        select(Event.id, Event.created_at).where(*_event_filter(definition_id, kind))
        .order_by(Event.id.desc()).limit(1)).first()


# ---------------------------------------------------------------------------------------------
# Follows


def _target(*, definition_id: int | None, remix_id: object) -> dict:
    if remix_id is not None:
        try:
            rid = int(remix_id)
        except (TypeError, ValueError):
            raise NotFound(_("Ce remix n’existe pas.")) from None
        if not 0 < rid < MAX_ID or db.session.get(Remix, rid) is None:
            raise NotFound(_("Le remix %(id)s n’existe pas.", id=rid))
        return {"remix_id": rid}
    if definition_id is None or db.session.get(Definition, definition_id) is None:
        raise NotFound(_("Cette définition n’existe pas."))
    return {"definition_id": definition_id}


def follow(user: User, *, definition_id: int | None = None, remix_id: object = None) -> None:
    """Follow a definition (its official line) or a remix; following twice changes nothing,
    also when two requests race (the unique constraint and ``ON CONFLICT DO NOTHING``)."""
    target = _target(definition_id=definition_id, remix_id=remix_id)
    with transaction() as session:
        dialect = session.get_bind().dialect.name
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        session.execute(insert(Follow).values(user_id=user.id, created_at=utcnow(), **target)
                        .on_conflict_do_nothing())


def unfollow(user: User, *, definition_id: int | None = None, remix_id: object = None) -> None:
    target = _target(definition_id=definition_id, remix_id=remix_id)
    with transaction() as session:
        session.query(Follow).filter_by(user_id=user.id, **target).delete()


def is_following(user_id: int, *, definition_id: int | None = None,
                 remix_id: int | None = None) -> bool:
    column, value = ((Follow.remix_id, remix_id) if remix_id is not None
                     else (Follow.definition_id, definition_id))
    return db.session.scalar(select(Follow.id).where(Follow.user_id == user_id,
                                                     column == value)) is not None


# ---------------------------------------------------------------------------------------------
# Notifications


def unread_count(user_id: int) -> int:
    """The header's counter: one count on the ``(user_id, read_at)`` index."""
    return db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None))) or 0


def _parse_cursor(cursor: str | None) -> tuple[bool, int | None]:
    """``u<id>`` continues the unread part, ``l<id>`` the read part (« lues »)."""
    if not cursor:
        return True, None
    if cursor[:1] in ("u", "l") and cursor[1:].isdigit() and 0 < int(cursor[1:]) < MAX_ID:
        return cursor[0] == "u", int(cursor[1:])
    raise BadFilter(_("Curseur de page invalide."), code="invalid_cursor",
                    details={"field": "curseur"})


def notifications(user_id: int, cursor: str | None = None, limit: int | None = None) -> Page:
    """Unread first, newest first within each part."""
    limit = limit or PAGE
    in_unread, before = _parse_cursor(cursor)
    items: list[Notification] = []
    parts = [True, False] if in_unread else [False]
    for unread in parts:
        query = select(Notification).where(
            Notification.user_id == user_id,
            Notification.read_at.is_(None) if unread else Notification.read_at.is_not(None))
        if before is not None and unread == in_unread:
            query = query.where(Notification.id < before)
        rows = list(db.session.scalars(query.order_by(Notification.id.desc())
                                       .limit(limit + 1 - len(items))))
        items.extend(rows)
        if len(items) > limit:
            last = items[limit - 1]
            return Page(items[:limit], f"{'u' if last.read_at is None else 'l'}{last.id}")
    return Page(items, None)


def _own(session, user: User, notification_id: object) -> Notification:
    """The user's notification; another user's is « not found », not « forbidden »: its
    existence is none of their business."""
    try:
        nid = int(notification_id)
    except (TypeError, ValueError):
        nid = 0
    found = session.get(Notification, nid) if 0 < nid < MAX_ID else None
    if found is None or found.user_id != user.id:
        raise NotFound(_("Cette notification n’existe pas."))
    return found


def get_notification(user: User, notification_id: object) -> Notification:
    return _own(db.session, user, notification_id)


def mark_read(user: User, notification_id: object) -> Notification:
    with transaction() as session:
        found = _own(session, user, notification_id)
        if found.read_at is None:
            found.read_at = utcnow()
    return found


def mark_all_read(user: User) -> int:
    with transaction() as session:
        result = session.execute(update(Notification).where(
            Notification.user_id == user.id, Notification.read_at.is_(None))
            .values(read_at=utcnow()))
    return result.rowcount
