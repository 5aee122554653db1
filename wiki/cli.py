"""``flask --app wiki …`` commands: seed, users."""

from __future__ import annotations

import sys

import click
from flask import Flask

from wiki.errors import WikiError


def _fail(error: WikiError) -> None:
    raise click.ClickException(error.message)


@click.command("seed")
def seed_command() -> None:
    """Load « stratégie numérique » (revision 1) if it is not there yet."""
    from wiki.services.seeding import seed

    if seed():
        click.echo("Définition « stratégie numérique » importée (révision 1).")
    else:
        click.echo("Définition déjà présente : rien à faire.")


@click.group("users")
def users_group() -> None:
    """Manage accounts."""


@users_group.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice(["participant", "moderator", "admin"]),
              default="participant", show_default=True)
@click.option("--display-name", default=None)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_user(username: str, role: str, display_name: str | None, password_stdin: bool) -> None:
    """Create an account (the password is prompted unless --password-stdin)."""
    from wiki.services.accounts import register

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Mot de passe", hide_input=True, confirmation_prompt=True)
    try:
        user = register(username, password, display_name, role=role)
    except WikiError as error:
        _fail(error)
    click.echo(f"Compte « {user.username} » créé ({user.role}).")


@users_group.command("set-role")
@click.argument("username")
@click.argument("role", type=click.Choice(["participant", "moderator", "admin"]))
def set_role_command(username: str, role: str) -> None:
    """Change the role of an account."""
    from wiki.services.accounts import set_role

    try:
        user = set_role(None, username, role)
    except WikiError as error:
        _fail(error)
    click.echo(f"« {user.username} » est maintenant {user.role}.")


def init_cli(app: Flask) -> None:
    app.cli.add_command(seed_command)
    app.cli.add_command(users_group)
