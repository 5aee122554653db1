"""Saving text: new definitions, edits of a line (official or remix), reverts.

Saving is three visible steps: compare the base with the head (3-way merge, or an edit
conflict that hands the writer's text back untouched); identical text makes no revision;
move the head pointer. The line's row is locked first (``FOR UPDATE`` on PostgreSQL,
``BEGIN IMMEDIATE`` on SQLite), so two saves never both think they extend the same head.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from wiki.domain import licensing, merge
from wiki.errors import Conflict, EditConflict, InvalidInput, NotAllowed, NotFound
from wiki.extensions import db
from wiki.models import Definition, Remix, Revision, User
from wiki.services import sessions as training_sessions
from wiki.services.db import lock_row, transaction
from wiki.services.revisions import add_revision, clean_body, clean_summary, get_revision

MAX_TERM = 200


@dataclass(frozen=True)
class SaveResult:
    revision: Revision
    #: False when the text equalled the head's: no empty revision was made.
    created: bool
    #: True when the head had moved and a clean 3-way merge was saved.
    merged: bool


def slugify(term: str) -> str:
    ascii_term = unicodedata.normalize("NFKD", term).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_term.lower()).strip("-")
    return slug[:120] or "definition"


def get_definition(slug: str) -> Definition:
    definition = db.session.scalar(select(Definition).where(Definition.slug == slug))
    if definition is None:
        raise NotFound(_("La définition « %(slug)s » n’existe pas.", slug=slug))
    return definition


def create_definition(term: str, body: str, summary: str, author: User,
                      license_code: str | None = None, description: str = "") -> Definition:
    if not author.is_moderator:
        raise NotAllowed(_("Seuls les modérateurs peuvent créer une définition."))
    term = " ".join((term or "").split()) if isinstance(term, str) else ""
    if not term:
        raise InvalidInput("term", _("Le terme à définir est obligatoire."))
    if len(term) > MAX_TERM:
        raise InvalidInput("term", _("Le terme dépasse %(n)d caractères.", n=MAX_TERM))
    code = license_code or licensing.WIKI_DEFAULT
    try:
        licensing.get_license(code)
    except licensing.UnknownLicense:
        raise InvalidInput("license", _("Licence inconnue : %(code)s.", code=code),
                           code="unknown_license") from None
    cleaned = clean_body(body)
    summary = clean_summary(summary)
    with transaction() as session:
        slug = slugify(term)
        if session.scalar(select(Definition.id).where(Definition.slug == slug)) is not None:
            raise InvalidInput("term", _("Cette définition existe déjà."), code="already_exists")
        definition = Definition(slug=slug, term=term, description=description,
                                description_html="", license_code=code)
        session.add(definition)
        session.flush()
        revision = add_revision(session, definition=definition, cleaned=cleaned,
                                summary=summary, author=author, parents=[],
                                license_code=code)
        definition.head_revision_id = revision.id
    return definition


def _lock_line(session, definition_id: int, remix_id: int | None) -> Definition | Remix:
    line = lock_row(session, Remix if remix_id else Definition, remix_id or definition_id)
    if line is None:
        raise NotFound(_("Cette ligne de révisions n’existe pas."))
    return line


def license_for_edit(code: str) -> str:
    """Revisions made in the wiki carry a versioned licence: an unversioned source (the seed's
    « CC BY-NC-SA ») continues under the latest version of the same licence, as BY-NC-SA allows."""
    current = licensing.get_license(code)
    if current.version is not None:
        return code
    same = [lic for lic in licensing.LICENSES.values()
            if lic.elements == current.elements and lic.version is not None]
    return max(same, key=lambda lic: tuple(int(p) for p in lic.version.split("."))).code


def _check_can_write(author: User, line: Definition | Remix) -> None:
    if isinstance(line, Remix):
        if not author.can_write_remix(line):
            raise NotAllowed(_("Seule la personne qui a créé ce remix peut le modifier."))
    elif not author.can_edit_official(current_app.config["OPEN_EDITING"]):
        raise NotAllowed(_("Seuls les modérateurs peuvent modifier la version officielle. "
                           "Proposez plutôt une modification."))


def save_revision(*, definition_id: int, remix_id: int | None, raw_body: str,
                  summary: str | None, base_revision_id: object, author: User,
                  license_code: str | None = None) -> SaveResult:
    """Save an edit of a line; see the module docstring for the three steps."""
    cleaned = clean_body(raw_body)
    summary = clean_summary(summary)
    with transaction() as session:
        line = _lock_line(session, definition_id, remix_id)
        training_sessions.check_edit(session, line, author)
        _check_can_write(author, line)
        definition = session.get(Definition, definition_id)
        base = get_revision(session, base_revision_id, "base_revision_id")
        if base.definition_id != definition_id:
            raise InvalidInput("base_revision_id", _(
                "La révision de départ appartient à une autre définition."))
        head = session.get(Revision, line.head_revision_id)
        body, merged = cleaned.body, False
        if base.id != head.id and body != head.body:
            result = merge.merge_texts(base.body, head.body, body)
            if not result.is_clean:
                raise EditConflict(
                    _("La définition a été modifiée pendant que vous écriviez, au même endroit "
                      "que vous. Votre texte est conservé : résolvez le conflit puis "
                      "enregistrez."),
                    details={"base": base.id, "theirs": head.id, "yours": raw_body,
                             "conflicts": [{"base": c.base, "theirs": c.ours, "yours": c.theirs}
                                           for c in result.conflicts]})
            body, merged = result.text, True
        if body == head.body:
            return SaveResult(revision=head, created=False, merged=False)
        if merged:
            cleaned = clean_body(body)
        revision = add_revision(
            session, definition=definition, cleaned=cleaned, summary=summary,
            author=author, parents=[head],
            license_code=license_code or license_for_edit(head.license_code), remix_id=remix_id)
        line.head_revision_id = revision.id
    return SaveResult(revision=revision, created=True, merged=merged)


def revert(*, definition_id: int, revision_id: int, author: User) -> SaveResult:
    """A new revision on the official line whose text equals an old one."""
    old = get_revision(db.session, revision_id)
    if old.definition_id != definition_id:
        raise NotFound(_("Cette révision n’appartient pas à cette définition."))
    if old.remix_id is not None:
        # Its text would reach the official line without a merge: credited to the moderator,
        # not to the remix's authors, and the remix left unmerged.
        raise Conflict(_("Une révision de remix ne se rétablit pas : proposez le remix et "
                         "fusionnez-le, ses auteurs resteront crédités."), code="not_official")
    definition = db.session.get(Definition, definition_id)
    return save_revision(definition_id=definition_id, remix_id=None, raw_body=old.body,
                         summary=_("Retour à la révision %(id)d", id=old.id),
                         base_revision_id=definition.head_revision_id, author=author)
