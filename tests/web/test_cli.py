"""The command line: seed, users, and a definition's public archive."""

import json

import pytest
from sqlalchemy import func, select

from tests.conftest import PASSWORD
from wiki.extensions import db
from wiki.models import Definition, Revision, User


def test_seed_is_idempotent(runner):
    result = runner.invoke(args=["seed"])
    assert result.exit_code == 0
    assert "déjà présente" in result.output
    assert db.session.scalar(select(func.count(Definition.id))) == 1
    assert db.session.scalar(select(func.count(Revision.id))) == 1


def test_users_create_with_password_from_stdin(runner):
    result = runner.invoke(args=["users", "create", "trainer", "--role", "moderator",
                                 "--password-stdin"], input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.username == "trainer"))
    assert user.role == "moderator"
    assert user.is_moderator


def test_users_create_with_a_prompted_password(runner):
    result = runner.invoke(args=["users", "create", "admin1", "--role", "admin"],
                           input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(User.role).where(User.username == "admin1")) == "admin"


def test_users_create_refuses_a_weak_password(runner):
    result = runner.invoke(args=["users", "create", "x", "--password-stdin"], input="court\n")
    assert result.exit_code != 0
    assert "au moins 10 caractères" in result.output


def test_export_definition_then_import_definition_restores_it(runner, tmp_path, moderator,
                                                               save):
    from tests.services.test_archive import content_hash, empty_database
    from wiki.services import archive

    save(moderator, "Une stratégie numérique, revue par la modération.\n")
    file = tmp_path / "archive.json"
    result = runner.invoke(args=["export-definition", "strategie-numerique", str(file)])
    assert result.exit_code == 0, result.output
    assert "2 révisions, 0 remix, 0 commentaires" in result.output
    before = archive.export_definition("strategie-numerique")
    assert content_hash(json.loads(file.read_text(encoding="utf-8"))) == content_hash(before)

    empty_database()
    result = runner.invoke(args=["import-definition", str(file)])
    assert result.exit_code == 0, result.output
    assert "importée (strategie-numerique)" in result.output
    assert content_hash(archive.export_definition("strategie-numerique")) == content_hash(before)


def test_export_definition_to_standard_output(runner):
    result = runner.invoke(args=["export-definition", "strategie-numerique", "-"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["definition"]["slug"] == "strategie-numerique"


def test_import_definition_refuses_a_slug_that_exists(runner, tmp_path):
    file = tmp_path / "archive.json"
    exported = runner.invoke(args=["export-definition", "strategie-numerique", str(file)])
    assert exported.exit_code == 0, exported.output
    result = runner.invoke(args=["import-definition", str(file)])
    assert result.exit_code != 0
    assert "existe déjà" in result.output
    assert db.session.scalar(select(func.count(Revision.id))) == 1


@pytest.mark.parametrize(("content", "message"), [
    (b"{pas du json", "JSON valide"),
    (b'{"format": "autre chose", "version": 1}', "inconnu"),
], ids=["not-json", "unknown-format"])
def test_import_definition_refuses_a_bad_file_with_a_clear_message(runner, tmp_path, content,
                                                                   message):
    file = tmp_path / "archive.json"
    file.write_bytes(content)
    result = runner.invoke(args=["import-definition", str(file)])
    assert result.exit_code != 0
    assert message in result.output
    assert db.session.scalar(select(func.count(Definition.id))) == 1


def test_export_of_an_unknown_definition_fails_with_a_message(runner, tmp_path):
    result = runner.invoke(args=["export-definition", "inconnue", str(tmp_path / "x.json")])
    assert result.exit_code != 0
    assert not (tmp_path / "x.json").exists()
