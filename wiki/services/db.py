"""One ``transaction()`` for every write use case, and the engine settings it relies on."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from wiki.extensions import db

_immediate: ContextVar[bool] = ContextVar("sqlite_begin_immediate", default=False)


def configure_engine(engine: Engine) -> None:
    """SQLite: WAL, a busy timeout, foreign keys, and transactions we begin ourselves.

    pysqlite begins transactions lazily, on the first write, so a use case that reads then
    writes takes the write lock mid-way and fails with « database is locked » instead of
    waiting. We emit BEGIN ourselves: IMMEDIATE inside ``transaction()`` (writers queue on the
    busy timeout), plain deferred BEGIN for reads (readers never wait, thanks to WAL).
    """
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _immediate.get() else "BEGIN")


@contextmanager
def transaction() -> Iterator[Session]:
    """Run a write use case in its own transaction, committed at the end or rolled back.

    Whatever the request read before (the current user, say) is ended first, so the write
    transaction starts fresh and, on SQLite, holds the write lock from its first statement.
    """
    session = db.session()
    if session.in_transaction():
        session.commit()
    token = _immediate.set(True)
    try:
        session.connection()
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        _immediate.reset(token)


def lock_row(session: Session, model: type, row_id: int):
    """The row, locked until commit (``FOR UPDATE``; SQLite's BEGIN IMMEDIATE already holds
    the database), with its attributes re-read: an object the session loaded earlier in the
    transaction would otherwise keep the values it had before the lock was granted."""
    from sqlalchemy import select

    return session.scalar(
        select(model).where(model.id == row_id).with_for_update()
        .execution_options(populate_existing=True)
    )
