"""Operators' backup and restore of the whole wiki (``flask --app wiki backup`` / ``restore``).

A wiki with rows in every table of the models is backed up, restored into an empty database,
and every table compared row by row, value by value (a content hash computed here, not by the
service), on SQLite and on PostgreSQL, and across the two.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text

from tests.conftest import FAST_PASSWORD_HASH, PASSWORD, PG_URL, _truncate_postgres
from wiki import create_app
from wiki.extensions import db
from wiki.models import Comment, Remix, Revision, User
from wiki.services import accounts, commenting, following, remixing, sessions, voting
from wiki.services.backup import STRIPPED_PASSWORD
from wiki.services.search import search

# ---------------------------------------------------------------------------------------------
# A wiki with something in every table, made through the services.


def _build_wiki(create_user, save) -> None:
    from wiki.services.editing import get_definition

    definition = get_definition("strategie-numerique")
    seed_body = definition.head.body
    moderator = create_user("moderatrice", role="moderator", display_name="Marie Modératrice")
    admin = create_user("admine", role="admin", display_name="Ada Admine")
    alice = create_user("alice", display_name="Alice Ébène")
    bob = create_user("bob", display_name="Bob « Guillemets »")

    # Tokens: one in use, one revoked.
    accounts.create_token(alice.id, "Script d’Alice")
    accounts.revoke_token(accounts.create_token(bob.id, "Ancien"))

    # The official line, then a remix merged (two-parent revision) and one declined.
    first = save(moderator, seed_body + "\n\nUne transformation numérique durable.").revision
    remix = remixing.fork(definition_id=definition.id, from_revision_id=first.id,
                          title="Version courte", owner=alice, description="Plus *court*.")
    save(alice, seed_body + "\n\nUne transformation numérique durable et sobre.",
         remix_id=remix.id, summary="Sobriété")
    remixing.propose(remix.id, alice)
    merged = remixing.merge_remix(remix.id, moderator, {})
    proposal = remixing.propose_edit(definition_id=definition.id, base_revision_id=merged.id,
                                     raw_body=seed_body + "\n\nRien.", summary="Essai",
                                     title="Proposition de Bob", owner=bob)
    remixing.decline(proposal.remix_id, moderator, "Hors sujet.")

    # Votes, comments (a reply, an anchored one, a hidden one), a report, follows.
    voting.cast_vote(alice.id, merged.id, "plebisciter")
    voting.cast_vote(bob.id, merged.id, "rejeter", reason="Trop long")
    top = commenting.add_comment(revision_id=merged.id, author=alice, body="Bravo **à tous**.")
    commenting.add_comment(revision_id=merged.id, author=bob, body="Merci.", parent_id=top.id)
    commenting.add_comment(revision_id=merged.id, author=bob, body="Ce passage ?",
                           anchor={"quote": "durable et sobre"})
    rude = commenting.add_comment(revision_id=merged.id, author=bob,
                                  body="Un commentaire grossier.")
    commenting.report(rude.id, alice, "Insultant")
    commenting.set_hidden(rude.id, moderator, True, "Propos grossiers")
    following.follow(alice, definition_id=definition.id)
    following.follow(bob, remix_id=proposal.remix_id)
    save(moderator, seed_body + "\n\nUne transformation numérique durable et sobre, enfin.")
    following.mark_all_read(bob)

    # Accounts administered (audit log), then a training session running now with a member
    # who remixes within it (the remix belongs to the session), and an invitation.
    accounts.set_role(admin.id, "bob", "participant")
    now = datetime.now(UTC)
    phases = [{"name": name, "starts_at": (now + timedelta(days=start)).isoformat(),
               "ends_at": (now + timedelta(days=start + 1)).isoformat()}
              for name, start in (("propositions", -0.5), ("votes", 1), ("synthese", 2.5))]
    training = sessions.create_session(definition_id=definition.id, name="Cohorte automne",
                                       phases=phases, user=moderator)
    sessions.add_member(training.id, moderator, "alice")
    sessions.create_invitation(training.id, moderator, (now + timedelta(days=7)).isoformat())
    remixing.fork(definition_id=definition.id, from_revision_id=merged.id,
                  title="Remix de cohorte", owner=alice)
    db.session.commit()

    empty = [table.name for table in db.metadata.sorted_tables
             if db.session.execute(select(func.count()).select_from(table)).scalar() == 0]
    assert not empty, f"add rows to {empty} in _build_wiki: the backup test must cover them"
    assert db.session.scalar(select(func.count()).where(Remix.session_id.is_not(None))) == 1
    assert db.session.scalar(select(func.count()).where(Comment.hidden)) == 1
    assert db.session.scalar(select(func.count()).where(
        Revision.merged_remix_id.is_not(None))) == 1


# ---------------------------------------------------------------------------------------------
# Comparing databases: our own content hash of every table.


def _value(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def content_hashes(skip: dict[str, set[str]] | None = None) -> dict[str, tuple[int, str]]:
    """``{table: (rows, sha256 of every row's values in primary-key order)}`` of the current
    app's database, read through the models' types so both engines answer alike."""
    skip = skip or {}
    hashes = {}
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if c.name not in skip.get(table.name, set())]
        rows = db.session.execute(select(*columns).order_by(*table.primary_key.columns)).all()
        payload = json.dumps([[_value(v) for v in row] for row in rows], sort_keys=True,
                             ensure_ascii=False)
        hashes[table.name] = (len(rows), hashlib.sha256(payload.encode()).hexdigest())
    db.session.rollback()
    return hashes


def _empty_database(backend: str, template: dict[str, str], tmp_path: Path) -> str:
    """A migrated database without a row: a copy of the SQLite template, or the PostgreSQL
    test database truncated."""
    if backend == "sqlite":
        path = tmp_path / f"empty-{len(list(tmp_path.glob('empty-*')))}.db"
        shutil.copy(template["sqlite"], path)
        return f"sqlite:///{path}"
    db.session.remove()
    _truncate_postgres(template["postgresql"])
    return template["postgresql"]


def _app_on(url: str):
    return create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "t",
                       "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False,
                       "SERVER_NAME": "wiki.test", "PASSWORD_HASH_METHOD": FAST_PASSWORD_HASH})


def _run(app, *args: str):
    return app.test_cli_runner().invoke(args=list(args))


@pytest.fixture
def wiki(app, create_user, save):
    _build_wiki(create_user, save)
    return app


def _backend(app) -> str:
    return db.engine.dialect.name


# ---------------------------------------------------------------------------------------------
# Backup, then restore into an empty database: the same rows with the same values.


def test_restore_into_an_empty_database_gives_back_every_table_identical(
        wiki, _schemas, tmp_path):
    before = content_hashes()
    result = _run(wiki, "backup", str(tmp_path / "wiki.backup"), "--with-password-hashes")
    assert result.exit_code == 0, result.output
    assert "Sauvegarde écrite" in result.output
    backend = _backend(wiki)

    target = _app_on(_empty_database(backend, _schemas, tmp_path))
    with target.app_context():
        result = _run(target, "restore", str(tmp_path / "wiki.backup"))
        assert result.exit_code == 0, result.output
        assert content_hashes() == before
        # The search index is rebuilt, and new rows take ids after the restored ones.
        assert search("transformation sobre").hits
        last_user = db.session.scalar(select(func.max(User.id)))
        assert accounts.register("newcomer", PASSWORD).id == last_user + 1
        assert accounts.authenticate("alice", PASSWORD) is not None
        db.session.remove()
        db.engine.dispose()


@pytest.mark.skipif(not PG_URL, reason="needs TEST_DATABASE_URL (PostgreSQL)")
def test_a_postgresql_backup_restores_into_sqlite_and_back(app, create_user, save, _schemas,
                                                           tmp_path):
    if _backend(app) != "postgresql":
        pytest.skip("starts from the PostgreSQL wiki")
    _build_wiki(create_user, save)
    before = content_hashes()
    file = tmp_path / "pg.backup"
    assert _run(app, "backup", str(file), "--with-password-hashes").exit_code == 0

    # PostgreSQL → SQLite, then that SQLite (online backup API) → an emptied PostgreSQL.
    lite = _app_on(_empty_database("sqlite", _schemas, tmp_path))
    with lite.app_context():
        result = _run(lite, "restore", str(file))
        assert result.exit_code == 0, result.output
        assert content_hashes() == before
        assert search("transformation sobre").hits
        assert _run(lite, "backup", str(tmp_path / "lite.backup"),
                    "--with-password-hashes").exit_code == 0
        db.engine.dispose()
    target = _app_on(_empty_database("postgresql", _schemas, tmp_path))
    with target.app_context():
        result = _run(target, "restore", str(tmp_path / "lite.backup"))
        assert result.exit_code == 0, result.output
        assert content_hashes() == before
        db.session.remove()
        db.engine.dispose()


# ---------------------------------------------------------------------------------------------
# Password hashes.


def test_password_hashes_are_stripped_by_default_and_the_accounts_cannot_log_in(
        app, create_user, token_for, _schemas, tmp_path):
    token_for(create_user("alice"))
    create_user("bob", role="admin")
    hashes = set(db.session.scalars(select(User.password_hash)))
    before = content_hashes(skip={"users": {"password_hash"}})
    file = tmp_path / "wiki.backup"
    result = _run(app, "backup", str(file))
    assert result.exit_code == 0, result.output
    assert "mots de passe retirés" in result.output
    content = file.read_bytes()
    assert len(hashes) == 2 and not [h for h in hashes if h.encode() in content]

    target = _app_on(_empty_database(_backend(app), _schemas, tmp_path))
    with target.app_context():
        result = _run(target, "restore", str(file))
        assert result.exit_code == 0, result.output
        assert "nouveau" in result.output
        assert content_hashes(skip={"users": {"password_hash"}}) == before
        assert set(db.session.scalars(select(User.password_hash))) == {STRIPPED_PASSWORD}
        assert accounts.authenticate("alice", PASSWORD) is None
        assert accounts.authenticate("alice", STRIPPED_PASSWORD) is None
        assert accounts.authenticate("alice", "") is None
        # The restore drill's last step: the operator gives the account a new password.
        result = target.test_cli_runner().invoke(
            args=["users", "set-password", "alice", "--password-stdin"], input=PASSWORD + "\n")
        assert result.exit_code == 0, result.output
        assert accounts.authenticate("alice", PASSWORD) is not None
        db.session.remove()
        db.engine.dispose()


def test_password_hashes_are_kept_with_the_flag(app, create_user, tmp_path):
    create_user("alice")
    create_user("bob")
    hashes = dict(db.session.execute(select(User.username, User.password_hash)).all())
    file = tmp_path / "wiki.backup"
    result = _run(app, "backup", str(file), "--with-password-hashes")
    assert result.exit_code == 0, result.output
    assert "mots de passe conservés" in result.output
    with sqlite3.connect(file) as copy:
        kept = dict(copy.execute("SELECT username, password_hash FROM users").fetchall())
    copy.close()
    assert kept == hashes


# ---------------------------------------------------------------------------------------------
# Refusals: a non-empty database unless --force, a file that is not a backup.


def test_restore_refuses_a_database_that_is_not_empty_and_force_replaces_it(
        app, create_user, save, tmp_path):
    user = create_user("seule", role="moderator")
    save(user, "Un texte à sauvegarder.")
    saved = content_hashes()
    file = tmp_path / "wiki.backup"
    assert _run(app, "backup", str(file), "--with-password-hashes").exit_code == 0

    _build_wiki(create_user, save)  # the database moves on after the backup
    moved = content_hashes()
    result = _run(app, "restore", str(file))
    assert result.exit_code != 0
    assert "n’est pas vide" in result.output and "--force" in result.output
    assert content_hashes() == moved

    result = _run(app, "restore", str(file), "--force")
    assert result.exit_code == 0, result.output
    assert "remplacé" in result.output
    assert content_hashes() == saved
    assert not search("sobre").hits
    assert search("sauvegarder").hits


def _other_sqlite_database(path: Path) -> None:
    with sqlite3.connect(path) as other:
        other.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    other.close()


NOT_BACKUPS = {
    "missing file": (None, "n’existe pas"),
    "empty file": (b"", "ce n’est pas un fichier SQLite"),
    "text file": (b"not a database at all\n" * 10, "ce n’est pas un fichier SQLite"),
    "truncated SQLite file": (b"SQLite format 3\x00" + b"\x00" * 200,
                              "n’est pas une sauvegarde lisible"),
    "another SQLite database": (_other_sqlite_database, "n’est pas une sauvegarde du wiki"),
}


def test_files_that_are_not_backups_are_refused_clearly_and_nothing_is_written(app, tmp_path):
    before = content_hashes()
    for case, (content, message) in NOT_BACKUPS.items():
        file = tmp_path / f"{case}.backup"
        if callable(content):
            content(file)
        elif content is not None:
            file.write_bytes(content)
        result = _run(app, "restore", str(file), "--force")
        assert result.exit_code == 1, case
        assert "Error:" in result.output and message in result.output, (case, result.output)
        assert content_hashes() == before, case
    assert not (tmp_path / "missing file.backup").exists()


def test_a_backup_of_another_schema_revision_is_refused_with_both_revisions(
        app, tmp_path):
    file = tmp_path / "wiki.backup"
    assert _run(app, "backup", str(file)).exit_code == 0
    with sqlite3.connect(file) as copy:
        copy.execute("UPDATE backup_info SET value = '0123abcd' WHERE key = 'alembic_revision'")
    copy.close()
    current = db.session.execute(text("SELECT version_num FROM alembic_version")).scalar()
    db.session.rollback()
    before = content_hashes()
    result = _run(app, "restore", str(file), "--force")
    assert result.exit_code != 0
    assert "0123abcd" in result.output and current in result.output
    assert "db upgrade 0123abcd" in result.output
    assert content_hashes() == before


def test_a_tampered_backup_is_refused_and_nothing_is_written(app, tmp_path):
    file = tmp_path / "wiki.backup"
    assert _run(app, "backup", str(file)).exit_code == 0
    with sqlite3.connect(file) as copy:
        copy.execute("UPDATE revisions SET summary = 'falsifié'")
    copy.close()
    before = content_hashes()
    result = _run(app, "restore", str(file), "--force")
    assert result.exit_code != 0
    assert "revisions" in result.output and "rien n’a été écrit" in result.output
    assert content_hashes() == before


def test_a_backup_is_a_private_self_contained_file(app, tmp_path):
    folder = tmp_path / "backups"
    folder.mkdir()
    file = folder / "wiki.backup"
    assert _run(app, "backup", str(file)).exit_code == 0
    assert file.stat().st_mode & 0o077 == 0
    assert [p.name for p in folder.iterdir()] == ["wiki.backup"]  # no -wal, no temporary
    engine = create_engine(f"sqlite:///{file}")
    with engine.connect() as copy:
        assert copy.execute(text("PRAGMA journal_mode")).scalar() == "delete"
        info = dict(copy.execute(text("SELECT key, value FROM backup_info")).all())
    engine.dispose()
    assert info["format"] == "definition-vivante-backup"
    assert info["source"] == _backend(app)
    assert info["password_hashes"] == "stripped"


def test_backup_never_overwrites_the_live_sqlite_database(app, tmp_path):
    if _backend(app) != "sqlite":
        return  # the live database is a file only on SQLite
    live = Path(db.engine.url.database)
    before = live.read_bytes()
    result = _run(app, "backup", str(live))
    assert result.exit_code == 1
    assert "base de données du wiki lui-même" in result.output
    assert live.read_bytes() == before
