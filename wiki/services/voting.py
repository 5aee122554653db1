"""Votes: one per person per revision, written with an upsert so races cannot duplicate it."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import selectinload

from wiki.errors import InvalidInput
from wiki.extensions import db
from wiki.models import VOTE_CHOICES, Vote, utcnow
from wiki.services import sessions as training_sessions
from wiki.services.db import transaction
from wiki.services.revisions import clean_line, get_revision, tallies

MAX_REASON = 500
#: Reasons shown in a revision's discussion, newest first.
REASONS_SHOWN = 100


def vote_of(user_id: int, revision_id: int) -> str | None:
    return db.session.scalar(select(Vote.choice).where(Vote.user_id == user_id,
                                                       Vote.revision_id == revision_id))


def reasoned_votes(revision_id: int) -> list[Vote]:
    """The votes on a revision that give a reason, newest first, with their voters: the
    revision's discussion shows them beside its comments."""
    return list(db.session.scalars(
        select(Vote).options(selectinload(Vote.user))
        .where(Vote.revision_id == revision_id, Vote.reason.is_not(None))
        .order_by(Vote.updated_at.desc(), Vote.id.desc()).limit(REASONS_SHOWN)))


def cast_vote(user_id: int, revision_id: object, choice: object,
              reason: object = None) -> dict:
    """Set the user's vote (idempotent); answer the new tallies and ``mine``."""
    if choice not in VOTE_CHOICES:
        raise InvalidInput("choice", _("Choix de vote invalide : « plebisciter » ou « rejeter »."),
                           details={"allowed": list(VOTE_CHOICES)})
    reason = clean_line(reason, "reason", MAX_REASON, required=False) or None
    with transaction() as session:
        revision = get_revision(session, revision_id)
        training_sessions.check_vote(session, revision, user_id)
        dialect = session.get_bind().dialect.name
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        now = utcnow()
        statement = insert(Vote).values(user_id=user_id, revision_id=revision.id, choice=choice,
                                        reason=reason, created_at=now, updated_at=now)
        session.execute(statement.on_conflict_do_update(
            index_elements=["user_id", "revision_id"],
            set_={"choice": choice, "reason": reason, "updated_at": now}))
        votes = tallies(session, [revision.id])[revision.id]
    return {"votes": votes, "mine": choice}


def withdraw_vote(user_id: int, revision_id: object) -> dict:
    with transaction() as session:
        revision = get_revision(session, revision_id)
        training_sessions.check_vote(session, revision, user_id)
        session.execute(delete(Vote).where(Vote.user_id == user_id,
                                           Vote.revision_id == revision.id))
        votes = tallies(session, [revision.id])[revision.id]
    return {"votes": votes, "mine": None}


def toggle_vote(user_id: int, revision_id: int, choice: str, reason: object = None) -> dict:
    """The page's button: clicking your current choice again withdraws it."""
    if choice in VOTE_CHOICES and vote_of(user_id, revision_id) == choice:
        return withdraw_vote(user_id, revision_id)
    return cast_vote(user_id, revision_id, choice, reason)
