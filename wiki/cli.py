"""``flask --app wiki …`` commands: seed, users, export-definition, import-definition, backup,
restore."""

from __future__ import annotations

import sys

import click
from flask import Flask

from wiki.errors import WikiError


def _fail(error: WikiError) -> None:
    raise click.ClickException(error.message)


def _read_password(from_stdin: bool, prompt: str) -> str:
    """One line of standard input (scripts), or typed twice at a hidden prompt."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt(prompt, hide_input=True, confirmation_prompt=True)


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

    password = _read_password(password_stdin, "Mot de passe")
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


@users_group.command("set-password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def set_password_command(username: str, password_stdin: bool) -> None:
    """Give an account a new password (after a restore without password hashes, say)."""
    from wiki.services.accounts import set_password

    password = _read_password(password_stdin, "Nouveau mot de passe")
    try:
        user = set_password(None, username, password)
    except WikiError as error:
        _fail(error)
    click.echo(f"Nouveau mot de passe enregistré pour « {user.username} ».")


@click.command("export-definition")
@click.argument("slug")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True), required=False)
def export_definition_command(slug: str, file: str | None) -> None:
    """Write the public archive of definition SLUG to FILE (default: SLUG-archive.json;
    « - » for standard output): its lines, revisions, tallies, visible comments, attribution."""
    from wiki.services import archive

    try:
        data = archive.export_definition(slug)
    except WikiError as error:
        _fail(error)
    text = archive.dumps(data)
    target = file or archive.archive_filename(slug)
    if target == "-":
        click.echo(text, nl=False)
        return
    with open(target, "w", encoding="utf-8") as out:
        out.write(text)
    click.echo(f"Archive de « {slug} » écrite dans {target} : "
               f"{len(data['revisions'])} révisions, {len(data['lines']) - 1} remix, "
               f"{len(data['comments'])} commentaires.")


@click.command("import-definition")
@click.argument("file", type=click.File("rb"))
def import_definition_command(file) -> None:
    """Restore a definition from its public archive FILE (« - » for standard input) as a new
    definition of this wiki; refused when its slug exists already."""
    from wiki.services import archive

    try:
        definition = archive.import_definition(file.read())
    except WikiError as error:
        _fail(error)
    click.echo(f"Définition « {definition.term} » importée ({definition.slug}).")


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--with-password-hashes", is_flag=True,
              help="Keep password hashes (stripped by default: accounts then need a new one).")
def backup_command(file: str, with_password_hashes: bool) -> None:
    """Back up the whole wiki to FILE (a SQLite file; see README « Exploitation »)."""
    from wiki.services.backup import backup

    try:
        report = backup(file, with_password_hashes=with_password_hashes)
    except WikiError as error:
        _fail(error)
    rows = sum(report.counts.values())
    hashes = ("mots de passe conservés" if report.password_hashes
              else "mots de passe retirés (à redéfinir après restauration)")
    click.echo(f"Sauvegarde écrite dans {report.path} : {len(report.counts)} tables, {rows} "
               f"lignes, schéma {report.revision}, {hashes}.")


@click.command("restore")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True,
              help="Replace everything in a database that is not empty.")
def restore_command(file: str, force: bool) -> None:
    """Restore the whole wiki from a backup FILE into this (empty) database."""
    from wiki.services.backup import restore

    try:
        report = restore(file, force=force)
    except WikiError as error:
        _fail(error)
    rows = sum(report.counts.values())
    replaced = " (contenu précédent remplacé)" if report.replaced else ""
    click.echo(f"Restauration terminée{replaced} : {rows} lignes de {len(report.counts)} "
               f"tables, {report.indexed} révisions indexées pour la recherche.")
    if not report.password_hashes:
        click.echo("Les mots de passe n’étaient pas dans la sauvegarde : chaque compte doit en "
                   "recevoir un nouveau avant de se connecter.")


def init_cli(app: Flask) -> None:
    app.cli.add_command(seed_command)
    app.cli.add_command(users_group)
    app.cli.add_command(export_definition_command)
    app.cli.add_command(import_definition_command)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
