"""The command line: seed and users."""

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
