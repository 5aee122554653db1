"""The data model: one definition, its revision graph, remixes, votes, comments, sessions.

Invariants live in the database (unique votes, foreign keys, enumerations as check constraints)
so that they hold whatever code path, process or thread writes.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from flask_login import UserMixin
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wiki.extensions import db

ROLES = ("participant", "moderator", "admin")
VOTE_CHOICES = ("plebisciter", "rejeter")
REMIX_STATUSES = ("draft", "proposed", "merged", "declined", "withdrawn")
PHASES = ("propositions", "votes", "synthese")


def utcnow() -> datetime:
    return datetime.now(UTC)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes on both backends (SQLite stores no offset and returns naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: store UTC-aware datetimes only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class JSONText(TypeDecorator):
    """JSON kept as text: compact, identical on SQLite and PostgreSQL, hashable for backups."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        if value is None:
            return None
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)

    def process_result_value(self, value: str | None, dialect: Any) -> Any:
        return None if value is None else json.loads(value)


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint(_in("role", ROLES), name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Login name, unique; shown in URLs and attribution.
    username: Mapped[str] = mapped_column(String(40), unique=True)
    display_name: Mapped[str] = mapped_column(String(80))
    #: werkzeug scrypt hash; never serialised.
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), default="participant")
    #: A deactivated account keeps its content (attributed) but can no longer log in.
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: Bumped when the password changes: the user loader refuses sessions of older versions.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def is_active(self) -> bool:  # flask-login
        return self.active

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def is_moderator(self) -> bool:
        return self.role in ("moderator", "admin")

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def can_edit_official(self, open_editing: bool) -> bool:
        return self.active and (self.is_moderator or open_editing)

    def can_write_remix(self, remix: Remix) -> bool:
        return self.active and remix.owner_id == self.id


class ApiToken(db.Model):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    #: SHA-256 hex digest of the random token: the token itself is shown once, never stored.
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class Definition(db.Model):
    __tablename__ = "definitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    term: Mapped[str] = mapped_column(String(200))
    #: « À propos »: Markdown and its HTML rendered once.
    description: Mapped[str] = mapped_column(Text, default="")
    description_html: Mapped[str] = mapped_column(Text, default="")
    license_code: Mapped[str] = mapped_column(String(40))
    #: Head of the official line; moved only by the save and merge services.
    head_revision_id: Mapped[int | None] = mapped_column(
        ForeignKey("revisions.id", use_alter=True, name="fk_definitions_head_revision_id")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    head: Mapped[Revision | None] = relationship(foreign_keys=[head_revision_id])


class Revision(db.Model):
    """An immutable snapshot: everything shown on a read is computed once, at save time."""

    __tablename__ = "revisions"
    __table_args__ = (
        Index("ix_revisions_definition_line", "definition_id", "remix_id", "id"),
        CheckConstraint("word_count >= 0", name="word_count"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("definitions.id"), index=True)
    #: ``None`` on the official line.
    remix_id: Mapped[int | None] = mapped_column(
        ForeignKey("remixes.id", use_alter=True, name="fk_revisions_remix_id"), index=True
    )
    #: ``None`` for external authors (the seed's), named in ``contributors``.
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    summary: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)
    word_count: Mapped[int] = mapped_column(Integer)
    #: Word diff against the first parent (0/word_count for a root).
    inserted_words: Mapped[int] = mapped_column(Integer, default=0)
    deleted_words: Mapped[int] = mapped_column(Integer, default=0)
    license_code: Mapped[str] = mapped_column(String(40))
    #: Who wrote each character: ``[[length, author_key, revision_id], ...]``.
    authorship: Mapped[list] = mapped_column(JSONText)
    #: ``{author_key: {"display_name", "username"}}`` for every key in ``authorship`` and the
    #: external authors; frozen so attribution never needs a history walk.
    contributors: Mapped[dict] = mapped_column(JSONText)
    #: Frozen attribution (text, html, markdown) as it was at save time.
    attribution: Mapped[dict] = mapped_column(JSONText)
    #: On a merge revision: the indexes of the remix's regions it took.
    taken_regions: Mapped[list | None] = mapped_column(JSONText)
    #: The remix merged by this revision, if it is a merge.
    merged_remix_id: Mapped[int | None] = mapped_column(
        ForeignKey("remixes.id", use_alter=True, name="fk_revisions_merged_remix_id")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    definition: Mapped[Definition] = relationship(foreign_keys=[definition_id])
    author: Mapped[User | None] = relationship()
    remix: Mapped[Remix | None] = relationship(foreign_keys=[remix_id])
    parent_links: Mapped[list[RevisionParent]] = relationship(
        foreign_keys="RevisionParent.child_id",
        order_by="RevisionParent.position",
        lazy="selectin",
    )

    @property
    def parent_ids(self) -> list[int]:
        return [link.parent_id for link in self.parent_links]


class RevisionParent(db.Model):
    """Edges of the revision graph: one for an edit, two for a merge (official head first)."""

    __tablename__ = "revision_parents"
    __table_args__ = (
        CheckConstraint("position IN (0, 1)", name="position"),
        CheckConstraint("child_id > parent_id", name="parent_before_child"),
        UniqueConstraint("child_id", "parent_id"),
    )

    child_id: Mapped[int] = mapped_column(ForeignKey("revisions.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    parent_id: Mapped[int] = mapped_column(ForeignKey("revisions.id"), index=True)


class Remix(db.Model):
    __tablename__ = "remixes"
    __table_args__ = (CheckConstraint(_in("status", REMIX_STATUSES), name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("definitions.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    forked_from_revision_id: Mapped[int] = mapped_column(ForeignKey("revisions.id"))
    head_revision_id: Mapped[int] = mapped_column(ForeignKey("revisions.id"))
    status: Mapped[str] = mapped_column(String(20), default="draft")
    license_code: Mapped[str] = mapped_column(String(40))
    #: A remix created by a member while a training session runs belongs to it.
    session_id: Mapped[int | None] = mapped_column(ForeignKey("training_sessions.id"), index=True)
    #: Why a moderator declined it, shown to the owner.
    decline_reason: Mapped[str | None] = mapped_column(Text)
    #: Head revision at the last merge or decline: merging again needs revisions since.
    settled_revision_id: Mapped[int | None] = mapped_column(ForeignKey("revisions.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    definition: Mapped[Definition] = relationship()
    owner: Mapped[User] = relationship()
    head: Mapped[Revision] = relationship(foreign_keys=[head_revision_id])
    forked_from: Mapped[Revision] = relationship(foreign_keys=[forked_from_revision_id])


class Vote(db.Model):
    __tablename__ = "votes"
    __table_args__ = (
        UniqueConstraint("user_id", "revision_id"),
        CheckConstraint(_in("choice", VOTE_CHOICES), name="choice"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    revision_id: Mapped[int] = mapped_column(ForeignKey("revisions.id"), index=True)
    choice: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()


class Comment(db.Model):
    __tablename__ = "comments"
    __table_args__ = (
        CheckConstraint(
            "(anchor_start IS NULL) = (anchor_quote IS NULL)", name="anchor_complete"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("revisions.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)
    #: The passage commented on: quote with context, and code-point offsets into the body.
    anchor_quote: Mapped[str | None] = mapped_column(Text)
    anchor_prefix: Mapped[str | None] = mapped_column(Text)
    anchor_suffix: Mapped[str | None] = mapped_column(Text)
    anchor_start: Mapped[int | None] = mapped_column(Integer)
    anchor_end: Mapped[int | None] = mapped_column(Integer)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    hidden_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[User] = relationship()
    revision: Mapped[Revision] = relationship()


class CommentReport(db.Model):
    __tablename__ = "comment_reports"
    __table_args__ = (UniqueConstraint("comment_id", "reporter_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id"), index=True)
    reporter_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    comment: Mapped[Comment] = relationship()
    reporter: Mapped[User] = relationship()


class AuditEntry(db.Model):
    """Moderator and admin actions, written in the same transaction as the action."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(60))
    target_type: Mapped[str] = mapped_column(String(40))
    target_id: Mapped[int | None] = mapped_column(Integer)
    details: Mapped[dict] = mapped_column(JSONText, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    actor: Mapped[User | None] = relationship()


class Event(db.Model):
    """One row per thing that happened, for « Activité récente » and the feeds."""

    __tablename__ = "events"
    __table_args__ = (
        CheckConstraint(
            _in("kind", ("revision", "remix", "proposal", "merge", "decline", "withdraw",
                         "comment")),
            name="kind",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    definition_id: Mapped[int] = mapped_column(ForeignKey("definitions.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    revision_id: Mapped[int | None] = mapped_column(ForeignKey("revisions.id"))
    remix_id: Mapped[int | None] = mapped_column(ForeignKey("remixes.id"))
    comment_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    actor: Mapped[User | None] = relationship()
    revision: Mapped[Revision | None] = relationship()
    remix: Mapped[Remix | None] = relationship()
    definition: Mapped[Definition] = relationship()


class Follow(db.Model):
    __tablename__ = "follows"
    __table_args__ = (
        # NULLs are distinct in unique constraints, so each target has its own.
        UniqueConstraint("user_id", "definition_id"),
        UniqueConstraint("user_id", "remix_id"),
        CheckConstraint("(definition_id IS NULL) <> (remix_id IS NULL)", name="one_target"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    definition_id: Mapped[int | None] = mapped_column(ForeignKey("definitions.id"))
    remix_id: Mapped[int | None] = mapped_column(ForeignKey("remixes.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Notification(db.Model):
    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_unread", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(40))
    #: The sentence's parameters; the page renders it in the reader's language.
    payload: Mapped[dict] = mapped_column(JSONText, default=dict)
    link: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class TrainingSession(db.Model):
    __tablename__ = "training_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("definitions.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="America/Toronto")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    definition: Mapped[Definition] = relationship()
    phases: Mapped[list[SessionPhase]] = relationship(
        order_by="SessionPhase.starts_at", lazy="selectin", cascade="all, delete-orphan"
    )


class SessionPhase(db.Model):
    __tablename__ = "session_phases"
    __table_args__ = (
        UniqueConstraint("session_id", "name"),
        CheckConstraint(_in("name", PHASES), name="name"),
        CheckConstraint("starts_at < ends_at", name="ordered"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("training_sessions.id"))
    name: Mapped[str] = mapped_column(String(20))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SessionMember(db.Model):
    __tablename__ = "session_members"

    session_id: Mapped[int] = mapped_column(ForeignKey("training_sessions.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Invitation(db.Model):
    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("training_sessions.id"), index=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
