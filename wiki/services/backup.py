"""Backup and restore of the whole wiki, for operators (``flask --app wiki backup`` / ``restore``).

Not to be confused with ``export-definition`` / ``import-definition``, the *public* archive of
one definition: a backup is everything an operator needs to bring the wiki back after a loss,
hidden comments, accounts and audit log included, so the file is private (written ``0600``).

**The file** is a SQLite database, whatever the engine in use, so one format restores anywhere
(SQLite → PostgreSQL, PostgreSQL → SQLite):

* on **SQLite**, it is taken with SQLite's online backup API (``sqlite3.Connection.backup``):
  a consistent snapshot, page by page, while the app keeps serving (WAL: readers and writers
  are not stopped). The copy is then a working wiki database as well;
* on **PostgreSQL**, every table of the models is copied, through SQLAlchemy, into a fresh
  SQLite file with the models' schema, inside one ``REPEATABLE READ READ ONLY`` transaction
  (one snapshot: the copy is consistent while the app keeps writing). ``pg_dump -Fc`` /
  ``pg_restore`` remain the native alternative (README, « Exploitation / Operations »).

The table ``backup_info`` of the file records the format, the Alembic revision of the schema,
the source engine, whether password hashes were kept, and each table's row count and content
digest (:func:`table_digests`).

**What is in it**: every table of ``wiki.models`` (``db.metadata``): accounts, API tokens
(their SHA-256 digests: a digest cannot be turned back into a token, so clients keep working
after a restore), definitions, revisions and their parents, remixes, votes, comments hidden or
not, reports, the audit log, events, follows, notifications, training sessions with their
phases, members and invitations. A table added to the models later is included by itself.

**What is not**, deliberately:

* password hashes, unless ``with_password_hashes``: each account is written with the unusable
  hash :data:`STRIPPED_PASSWORD` (no password matches it), so a leaked backup leaks no hash;
  after such a restore, people need a new password set for them;
* the search index (``search_index``): derived from the revisions, rebuilt by the restore;
* ``alembic_version``: recorded in ``backup_info``; the target keeps its own, which must match;
* login sessions: there are none on the server (signed cookies), they live as long as
  ``SECRET_KEY`` does; rate-limit counters (memory or Redis) and per-process page caches;
* configuration: the environment and ``instance/secret_key`` are to be kept by the operator.

**Restore** reads the file and, in *one* transaction on the target (SQLite or PostgreSQL):
refuses a non-empty database unless ``force`` (then everything is replaced), inserts every
table in dependency order (the foreign keys that close cycles — a definition's head revision,
a revision's remix — and self-references are written ``NULL`` first and set once every row
exists), moves PostgreSQL's sequences past the restored ids, checks that every table's digest
equals the one recorded at backup time, and rebuilds the search index. Any failure rolls back:
nothing is written. A file that is not a backup, or whose schema revision differs from the
target's, is refused with a clear message before anything is touched.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    MetaData,
    Table,
    Text,
    bindparam,
    create_engine,
    insert,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from wiki import models
from wiki.errors import WikiError
from wiki.extensions import db
from wiki.services import search
from wiki.services.db import transaction

FORMAT = "definition-vivante-backup"
FORMAT_VERSION = "1"
INFO_TABLE = "backup_info"
#: Written in place of each password hash when hashes are not kept: not a hash werkzeug can
#: parse, so ``check_password_hash`` answers False for every password.
STRIPPED_PASSWORD = "!"
#: Rows per round trip when copying.
BATCH = 1000
_SQLITE_HEADER = b"SQLite format 3\x00"


class BackupError(WikiError):
    status = 400
    code = "backup_error"


@dataclass(frozen=True)
class BackupReport:
    path: Path
    source: str
    revision: str
    password_hashes: bool
    #: ``{table: row count}``
    counts: dict[str, int]


@dataclass(frozen=True)
class RestoreReport:
    path: Path
    source: str
    revision: str
    password_hashes: bool
    counts: dict[str, int]
    #: Whether a non-empty database was replaced (``force``).
    replaced: bool
    indexed: int


def tables() -> list[Table]:
    """Every table of the models, parents before children (cycles closed by ``use_alter``)."""
    return list(db.metadata.sorted_tables)


# ---------------------------------------------------------------------------------------------
# Content digests: the same rows with the same values give the same digest on either engine.


def _canonical(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    return value


def _ordered(table: Table):
    return select(table).order_by(*table.primary_key.columns)


def table_digests(connection: Connection) -> dict[str, list]:
    """``{table: [row count, sha256]}`` of every table, its values read through the models'
    types (aware UTC datetimes, JSON as Python values), rows in primary-key order."""
    digests: dict[str, list] = {}
    for table in tables():
        sha, count = hashlib.sha256(), 0
        for row in connection.execute(_ordered(table)):
            sha.update(json.dumps([_canonical(v) for v in row], ensure_ascii=False,
                                  sort_keys=True, separators=(",", ":")).encode())
            sha.update(b"\n")
            count += 1
        digests[table.name] = [count, sha.hexdigest()]
    return digests


# ---------------------------------------------------------------------------------------------
# Copying rows. JSON columns are copied as their stored text (byte for byte); datetimes go
# through the models' type, which converts between SQLite's naive text and timestamptz.

_raw_metadata = MetaData()


def _raw(table: Table) -> Table:
    if table.name in _raw_metadata.tables:
        return _raw_metadata.tables[table.name]
    columns = [Column(c.name, Text() if isinstance(c.type, models.JSONText) else c.type,
                      primary_key=c.primary_key, autoincrement=False)
               for c in table.columns]
    return Table(table.name, _raw_metadata, *columns)


def _rows(connection: Connection, table: Table) -> Iterator[list[dict]]:
    raw = _raw(table)
    try:
        result = connection.execution_options(yield_per=BATCH).execute(
            select(raw).order_by(*raw.primary_key.columns))
        for batch in result.mappings().partitions(BATCH):
            yield [dict(row) for row in batch]
    except DBAPIError as error:
        raise BackupError(f"La table {table.name} n’a pas pu être lue ({error.orig}) : rien "
                          "n’a été écrit.") from None


def _deferred(table: Table) -> list[str]:
    """Columns to write ``NULL`` first and set once every row exists: foreign keys that close
    a cycle of tables (``use_alter``) and references to the same table."""
    return sorted({fk.parent.name for fk in table.foreign_keys
                   if fk.constraint.use_alter or fk.column.table is table})


def _copy_tables(source: Connection, target: Connection, *, defer: bool) -> dict[str, int]:
    counts: dict[str, int] = {}
    later: list[tuple[Table, list[dict]]] = []
    for table in tables():
        raw, deferred, count = _raw(table), _deferred(table) if defer else [], 0
        keys = [c.name for c in table.primary_key.columns]
        for batch in _rows(source, table):
            if deferred:
                pending = [{**{f"k_{k}": row[k] for k in keys},
                            **{f"v_{c}": row[c] for c in deferred}}
                           for row in batch if any(row[c] is not None for c in deferred)]
                if pending:
                    later.append((table, pending))
                batch = [{**row, **dict.fromkeys(deferred)} for row in batch]
            target.execute(insert(raw), batch)
            count += len(batch)
        counts[table.name] = count
    for table, pending in later:
        raw = _raw(table)
        keys = [c.name for c in table.primary_key.columns]
        deferred = _deferred(table)
        statement = (update(raw)
                     .where(*[raw.c[k] == bindparam(f"k_{k}") for k in keys])
                     .values({c: bindparam(f"v_{c}") for c in deferred}))
        target.execute(statement, pending)
    return counts


# ---------------------------------------------------------------------------------------------
# The file's metadata.


def _alembic_revision(connection: Connection) -> str | None:
    if not inspect(connection).has_table("alembic_version"):
        return None
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _write_info(path: Path, info: dict[str, str]) -> None:
    with sqlite3.connect(path) as connection:
        connection.execute(f"CREATE TABLE {INFO_TABLE} (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        connection.executemany(f"INSERT INTO {INFO_TABLE} (key, value) VALUES (?, ?)",
                               sorted(info.items()))
    connection.close()


def _file_engine(path: Path, *, read_only: bool) -> Engine:
    uri = path.resolve().as_uri() + ("?mode=ro" if read_only else "")
    return create_engine("sqlite://", creator=lambda: sqlite3.connect(uri, uri=True))


# ---------------------------------------------------------------------------------------------
# Backup.


def backup(destination: str | os.PathLike, *, with_password_hashes: bool = False) -> BackupReport:
    """Write the whole wiki to ``destination`` (replaced atomically: a failed backup leaves
    no half-written file under that name)."""
    path = Path(destination)
    engine = db.engine
    live = engine.url.database if engine.dialect.name == "sqlite" else None
    if live and path.exists() and path.resolve() == Path(live).resolve():
        raise BackupError(f"{path} est la base de données du wiki lui-même : choisissez un "
                          "autre fichier pour la sauvegarde.")
    if not path.parent.is_dir():
        raise BackupError(f"Le dossier {path.parent} n’existe pas.")
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.",
                                         suffix=".tmp")
    os.close(handle)
    work = Path(temporary)
    try:
        if engine.dialect.name == "sqlite":
            source_revision = _snapshot_sqlite(engine, work)
        else:
            source_revision = _copy_from_server(engine, work)
        if source_revision is None:
            raise BackupError("La base n’a pas de schéma (alembic_version absente) : lancez "
                              "d’abord « flask --app wiki db upgrade ».")
        with sqlite3.connect(work, isolation_level=None) as connection:
            connection.execute("PRAGMA secure_delete=ON")
            if not with_password_hashes:
                connection.execute("UPDATE users SET password_hash = ?", (STRIPPED_PASSWORD,))
        connection.close()
        file_engine = _file_engine(work, read_only=False)
        try:
            with file_engine.connect() as connection:
                digests = table_digests(connection)
        finally:
            file_engine.dispose()
        _write_info(work, {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "alembic_revision": source_revision,
            "source": engine.dialect.name,
            "password_hashes": "kept" if with_password_hashes else "stripped",
            "created_at": models.utcnow().isoformat(),
            "digests": json.dumps(digests, sort_keys=True),
        })
        # Rewrite the whole file: pages freed by the stripped hashes keep no trace of them.
        with sqlite3.connect(work, isolation_level=None) as connection:
            connection.execute("VACUUM")
        connection.close()
        os.replace(work, path)
    except BaseException:
        work.unlink(missing_ok=True)
        raise
    return BackupReport(path=path, source=engine.dialect.name, revision=source_revision,
                        password_hashes=with_password_hashes,
                        counts={name: count for name, (count, _) in digests.items()})


def _snapshot_sqlite(engine: Engine, work: Path) -> str | None:
    """SQLite's online backup API: one consistent snapshot while the app keeps serving."""
    pooled = engine.raw_connection()
    try:
        source = pooled.driver_connection
        with sqlite3.connect(work) as copy:
            source.backup(copy)
        copy.close()
    finally:
        pooled.close()
    with sqlite3.connect(work, isolation_level=None) as copy:
        # A single self-contained file (the live database is in WAL mode).
        copy.execute("PRAGMA journal_mode=DELETE")
        found = copy.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND "
                             "name = 'alembic_version'").fetchone()
        revision = (copy.execute("SELECT version_num FROM alembic_version").fetchone()[0]
                    if found else None)
    copy.close()
    return revision


def _copy_from_server(engine: Engine, work: Path) -> str | None:
    """Every table into a fresh SQLite file with the models' schema, from one snapshot."""
    file_engine = _file_engine(work, read_only=False)
    try:
        db.metadata.create_all(file_engine)
        with engine.connect() as source:
            source = source.execution_options(isolation_level="REPEATABLE READ")
            with source.begin():
                source.execute(text("SET TRANSACTION READ ONLY"))
                revision = _alembic_revision(source)
                if revision is None:
                    return None
                with file_engine.begin() as target:
                    _copy_tables(source, target, defer=False)
                    target.execute(text("CREATE TABLE alembic_version (version_num "
                                        "VARCHAR(32) NOT NULL PRIMARY KEY)"))
                    target.execute(text("INSERT INTO alembic_version VALUES (:v)"),
                                   {"v": revision})
    finally:
        file_engine.dispose()
    return revision


# ---------------------------------------------------------------------------------------------
# Restore.


@dataclass(frozen=True)
class _Backup:
    info: dict[str, str]
    digests: dict[str, list]


def _read_backup(path: Path, engine: Engine) -> _Backup:
    """The file's ``backup_info``, after checking that it is a backup holding every table of
    the models with their columns."""
    with engine.connect() as connection:
        names = set(inspect(connection).get_table_names())
        if INFO_TABLE not in names:
            raise BackupError(f"{path} n’est pas une sauvegarde du wiki (table {INFO_TABLE} "
                              "absente).")
        info = dict(connection.execute(text(f"SELECT key, value FROM {INFO_TABLE}")).all())
        if info.get("format") != FORMAT:
            raise BackupError(f"{path} n’est pas une sauvegarde du wiki.")
        if info.get("format_version") != FORMAT_VERSION:
            raise BackupError(f"{path} est au format de sauvegarde "
                              f"{info.get('format_version')}, ce wiki lit le format "
                              f"{FORMAT_VERSION}.")
        for table in tables():
            if table.name not in names:
                raise BackupError(f"{path} est incomplet : la table {table.name} manque.")
            found = {c["name"] for c in inspect(connection).get_columns(table.name)}
            expected = {c.name for c in table.columns}
            if found != expected:
                raise BackupError(f"{path} : les colonnes de la table {table.name} ne sont pas "
                                  "celles du schéma de ce wiki.")
    try:
        digests = json.loads(info["digests"])
    except (KeyError, ValueError):
        raise BackupError(f"{path} est incomplet : empreintes des tables absentes.") from None
    return _Backup(info=info, digests=digests)


def _open(path: Path) -> Engine:
    if not path.is_file():
        raise BackupError(f"Le fichier {path} n’existe pas.")
    with path.open("rb") as handle:
        if handle.read(len(_SQLITE_HEADER)) != _SQLITE_HEADER:
            raise BackupError(f"{path} n’est pas une sauvegarde du wiki (ce n’est pas un "
                              "fichier SQLite).")
    return _file_engine(path, read_only=True)


def _is_empty(connection: Connection) -> bool:
    return all(connection.execute(select(table).limit(1)).first() is None
               for table in tables())


def _wipe(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        # The search index references revisions: CASCADE empties it too.
        names = ", ".join(f'"{table.name}"' for table in tables())
        connection.execute(text(f"TRUNCATE {names} CASCADE"))
        return
    for table in tables():
        deferred = _deferred(table)
        if deferred:
            connection.execute(update(table).values(dict.fromkeys(deferred)))
    for table in reversed(tables()):
        connection.execute(table.delete())


def _reset_sequences(connection: Connection) -> None:
    if connection.dialect.name != "postgresql":
        return  # SQLite gives max(rowid) + 1 by itself
    for table in tables():
        column = table.autoincrement_column
        if column is None:
            continue
        connection.execute(text(
            f'SELECT setval(pg_get_serial_sequence(:table, :column), '
            f'COALESCE((SELECT MAX("{column.name}") FROM "{table.name}"), 0) + 1, false)'),
            {"table": table.name, "column": column.name})


def restore(source_file: str | os.PathLike, *, force: bool = False) -> RestoreReport:
    """Load a backup into this wiki's database, in one transaction (see the module)."""
    path = Path(source_file)
    file_engine = _open(path)
    try:
        try:
            found = _read_backup(path, file_engine)
        except (sqlite3.DatabaseError, DBAPIError) as error:
            raise BackupError(f"{path} n’est pas une sauvegarde lisible du wiki ({error})."
                              ) from None
        info = found.info
        target_revision = _alembic_revision(db.session.connection())
        db.session.rollback()
        if target_revision is None:
            raise BackupError("La base cible n’a pas de schéma : lancez d’abord « flask --app "
                              f"wiki db upgrade {info['alembic_revision']} ».")
        if info["alembic_revision"] != target_revision:
            raise BackupError(
                f"La sauvegarde est au schéma {info['alembic_revision']}, la base cible au "
                f"schéma {target_revision} : restaurez dans une base vide mise au même schéma "
                f"(« flask --app wiki db upgrade {info['alembic_revision']} »), puis lancez "
                "« flask --app wiki db upgrade ».")
        with transaction() as session:
            target = session.connection()
            replaced = not _is_empty(target)
            if replaced and not force:
                raise BackupError("La base cible n’est pas vide : rien n’a été écrit. Ajoutez "
                                  "--force pour remplacer tout son contenu par la sauvegarde.")
            if replaced:
                _wipe(target)
            with file_engine.connect() as source:
                counts = _copy_tables(source, target, defer=True)
            _reset_sequences(target)
            restored = table_digests(target)
            different = sorted(name for name in restored
                               if restored[name] != found.digests.get(name))
            if different:
                raise BackupError("La sauvegarde ne se relit pas à l’identique (tables : "
                                  f"{', '.join(different)}) : rien n’a été écrit.")
            indexed = search.rebuild_index(target)
    finally:
        file_engine.dispose()
    db.session.expire_all()
    return RestoreReport(path=path, source=info["source"], revision=info["alembic_revision"],
                         password_hashes=info.get("password_hashes") == "kept", counts=counts,
                         replaced=replaced, indexed=indexed)
