"""One definition's public archive: export it as JSON, import it into another wiki.

The archive holds what any reader of the site may see, and nothing else: the definition, its
lines (the official one and every remix), every revision as it was saved (body, HTML, word
counts, licence, frozen attribution and authorship), vote *tallies*, the comments that are not
hidden, and the attribution. No email, password hash, token, individual vote, hidden comment,
report or audit entry. The operators' ``backup`` / ``restore`` is another tool.

Ids in the archive are the archive's own, not the database's: revisions, remixes and comments
are numbered 1, 2, 3… in the order they were written (database id order). The same definition
thus gives the same archive from any database, and an import keeps that order (ids grow with
it), so export → import → export gives the same archive but for ``exported_at``. People are
named by username (``people`` gives their public display names); authorship runs and
contributor keys use ``user:<username>`` instead of ``user:<database id>``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from wiki.domain import licensing, markup, text
from wiki.errors import Conflict, InvalidInput
from wiki.extensions import db
from wiki.models import (
    Comment,
    Definition,
    Event,
    Remix,
    Revision,
    RevisionParent,
    User,
    Vote,
)
from wiki.services.accounts import validate_display_name, validate_username
from wiki.services.db import transaction
from wiki.services.editing import get_definition
from wiki.services.revisions import render, tallies
from wiki.services.search import rebuild_index

FORMAT = "definition-vivante/archive"
VERSION = 1
#: Stored instead of a password hash: werkzeug finds no method in it, so no password matches.
NO_PASSWORD = "!archive:no-password"
#: Tallies are restored as votes of anonymous accounts that nobody can register or log in as:
#: the username has a « ~ », which ``validate_username`` refuses.
VOTER_PREFIX = "~votant-"
VOTER_DISPLAY_NAME = "Vote importé"
#: Each vote becomes a row of an anonymous account: a bound keeps a hostile file small.
MAX_VOTES = 10_000
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_USER_KEY = "user:"


class InvalidArchive(InvalidInput):
    """The file is not an archive this version can restore; nothing was written."""

    def __init__(self, message: str) -> None:
        super().__init__("archive", _("Archive invalide : %(reason)s", reason=message),
                         code="invalid_archive")


# ---------------------------------------------------------------------------------------------
# Export


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def _license(code: str) -> dict:
    lic = licensing.get_license(code)
    return {"code": lic.code, "name": lic.name, "url": lic.url, "version": lic.version,
            "noncommercial": licensing.is_noncommercial(lic)}


def _notice(term: str, lic: licensing.License) -> str:
    lines = [f"Archive publique de la définition « {term} » (format {FORMAT}, version "
             f"{VERSION}).",
             f"Les textes sont publiés sous {lic.short_name} ({lic.url}) : créditez les "
             "contributeurs nommés dans « attribution » et dans chaque révision, et partagez "
             "vos adaptations dans les mêmes conditions."]
    if licensing.is_noncommercial(lic):
        lines.append("Pas d’utilisation commerciale (NonCommercial).")
    lines.append("L’archive ne contient que ce que le site montre à tous : ni courriel, ni mot "
                 "de passe, ni jeton, ni vote individuel (seulement les décomptes), ni "
                 "commentaire masqué.")
    return " ".join(lines)


def export_definition(slug: str) -> dict:
    """The public archive of the definition ``slug`` (NotFound when there is none)."""
    session = db.session
    definition = get_definition(slug)
    revisions = list(session.scalars(
        select(Revision).where(Revision.definition_id == definition.id).order_by(Revision.id)))
    remixes = list(session.scalars(
        select(Remix).where(Remix.definition_id == definition.id).order_by(Remix.id)))
    comments = list(session.scalars(
        select(Comment).join(Revision, Revision.id == Comment.revision_id)
        .where(Revision.definition_id == definition.id).order_by(Comment.id)))

    revision_no = {r.id: n for n, r in enumerate(revisions, 1)}
    remix_no = {r.id: n for n, r in enumerate(remixes, 1)}
    user_ids: set[int] = {r.author_id for r in revisions if r.author_id is not None}
    user_ids |= {r.owner_id for r in remixes}
    user_ids |= {c.author_id for c in comments if not c.hidden}
    for revision in revisions:
        user_ids |= {int(e["key"][len(_USER_KEY):]) for e in revision.contributors
                     if e["key"].startswith(_USER_KEY)}
    users = {u.id: u for u in session.scalars(select(User).where(User.id.in_(user_ids)))}

    def key(value: str) -> str:
        if value.startswith(_USER_KEY):
            return _USER_KEY + users[int(value[len(_USER_KEY):])].username
        return value

    def ref(revision_id: int | None) -> int | None:
        return None if revision_id is None else revision_no[revision_id]

    counts = tallies(session, [r.id for r in revisions])
    archived_revisions = [{
        "id": revision_no[r.id],
        "remix": remix_no[r.remix_id] if r.remix_id else None,
        "parents": [revision_no[p] for p in r.parent_ids],
        "author": users[r.author_id].username if r.author_id is not None else None,
        "summary": r.summary,
        "body": r.body,
        "html": r.html,
        "created_at": _iso(r.created_at),
        "license": _license(r.license_code),
        "word_count": r.word_count,
        "inserted_words": r.inserted_words,
        "deleted_words": r.deleted_words,
        "authorship": [[length, key(author), revision_no[rid]]
                       for length, author, rid in r.authorship],
        "contributors": [{**entry, "key": key(entry["key"])} for entry in r.contributors],
        "attribution": r.attribution,
        "merged_remix": remix_no[r.merged_remix_id] if r.merged_remix_id else None,
        "taken_regions": r.taken_regions,
        "votes": counts[r.id],
    } for r in revisions]

    lines: list[dict] = [{"remix": None, "kind": "official", "title": definition.term,
                          "head_revision": ref(definition.head_revision_id)}]
    lines += [{
        "remix": remix_no[m.id], "kind": "remix", "title": m.title,
        "description": m.description, "owner": users[m.owner_id].username,
        "status": m.status, "license": _license(m.license_code),
        "forked_from_revision": ref(m.forked_from_revision_id),
        "head_revision": ref(m.head_revision_id),
        "settled_revision": ref(m.settled_revision_id),
        "decline_reason": m.decline_reason,
        "created_at": _iso(m.created_at), "updated_at": _iso(m.updated_at),
    } for m in remixes]

    archived_comments = _visible_comments(comments, revision_no, users)
    head = next((r for r in revisions if r.id == definition.head_revision_id), None)
    lic = licensing.get_license(definition.license_code)
    return {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": _iso(datetime.now(UTC)),
        "notice": _notice(definition.term, lic),
        "license": _license(definition.license_code),
        "definition": {
            "slug": definition.slug, "term": definition.term,
            "description": definition.description,
            "description_html": definition.description_html,
            "license": _license(definition.license_code),
            "created_at": _iso(definition.created_at),
            "head_revision": ref(definition.head_revision_id),
        },
        "people": [{"username": u.username, "display_name": u.display_name}
                   for u in sorted(users.values(), key=lambda u: u.username)],
        "lines": lines,
        "revisions": archived_revisions,
        "comments": archived_comments,
        "attribution": _attribution(head, revision_no, key) if head else None,
    }


def _visible_comments(comments: list[Comment], revision_no: dict[int, int],
                      users: dict[int, User]) -> list[dict]:
    """Comments not hidden, numbered in order; a reply to a hidden comment hangs from the
    nearest visible ancestor (or becomes a top-level comment), so no visible word is lost."""
    by_id = {c.id: c for c in comments}
    visible = [c for c in comments if not c.hidden]
    comment_no = {c.id: n for n, c in enumerate(visible, 1)}

    def visible_parent(comment: Comment) -> int | None:
        parent_id = comment.parent_id
        while parent_id is not None and parent_id not in comment_no:
            parent = by_id.get(parent_id)
            parent_id = parent.parent_id if parent else None
        return comment_no.get(parent_id) if parent_id is not None else None

    return [{
        "id": comment_no[c.id],
        "revision": revision_no[c.revision_id],
        "parent": visible_parent(c),
        "author": users[c.author_id].username,
        "body": c.body,
        "html": c.html,
        "anchor": None if c.anchor_quote is None else {
            "quote": c.anchor_quote, "prefix": c.anchor_prefix, "suffix": c.anchor_suffix,
            "start": c.anchor_start, "end": c.anchor_end},
        "created_at": _iso(c.created_at),
    } for c in visible]


def _attribution(head: Revision, revision_no: dict[int, int],
                 key: Callable[[str], str]) -> dict:
    """TASL of the official head, from what it froze at save time (no URL: the archive is the
    same wherever it comes from; each revision carries its own contributors)."""
    def people(present: bool) -> list[dict]:
        return [{"username": e["username"], "display_name": e["display_name"]}
                for e in head.contributors if e["present"] is present]

    return {
        "title": head.attribution.get("title") or head.definition.term,
        "revision": revision_no[head.id],
        "contributors": people(True),
        "earlier_contributors": people(False),
        "source": head.attribution.get("source"),
        "license": _license(head.license_code),
    }


def dumps(archive: dict) -> str:
    """The archive as a file: UTF-8 JSON, keys sorted, so equal archives are equal bytes."""
    return json.dumps(archive, ensure_ascii=False, sort_keys=True, indent=1) + "\n"


# ---------------------------------------------------------------------------------------------
# Reading an archive: every field checked before anything is written.


def _get(obj: dict, name: str, kind: type | tuple[type, ...], path: str, *,
         nullable: bool = False) -> Any:
    if name not in obj:
        raise InvalidArchive(_("champ « %(field)s » manquant.", field=f"{path}.{name}"
                               if path else name))
    value = obj[name]
    if value is None and nullable:
        return None
    # bool is an int subclass: ``true`` is never a count or an id.
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise InvalidArchive(_("champ « %(field)s » de type inattendu.",
                               field=f"{path}.{name}" if path else name))
    return value


def _text(obj: dict, name: str, path: str, *, max_length: int | None = None,
          nullable: bool = False, required: bool = False) -> str | None:
    value = _get(obj, name, str, path, nullable=nullable)
    field = f"{path}.{name}" if path else name
    if value is None:
        return None
    try:
        text.normalise_text(value)
    except text.InvalidText:
        raise InvalidArchive(_("champ « %(field)s » : caractères interdits.",
                               field=field)) from None
    if required and not value.strip():
        raise InvalidArchive(_("champ « %(field)s » vide.", field=field))
    if max_length is not None and len(value) > max_length:
        raise InvalidArchive(_("champ « %(field)s » trop long.", field=field))
    return value


def _count(obj: dict, name: str, path: str) -> int:
    value = _get(obj, name, int, path)
    if value < 0:
        raise InvalidArchive(_("champ « %(field)s » négatif.", field=f"{path}.{name}"))
    return value


def _moment(obj: dict, name: str, path: str) -> datetime:
    value = _get(obj, name, str, path)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise InvalidArchive(_("champ « %(field)s » : date ISO 8601 avec fuseau attendue.",
                               field=f"{path}.{name}"))
    return moment.astimezone(UTC)


def _license_code(obj: dict, path: str) -> str:
    lic = _get(obj, "license", dict, path)
    code = _get(lic, "code", str, f"{path}.license")
    try:
        licensing.get_license(code)
    except licensing.UnknownLicense:
        raise InvalidArchive(_("licence inconnue « %(code)s » (%(field)s).", code=code,
                               field=f"{path}.license")) from None
    return code


def _items(obj: dict, name: str) -> list[dict]:
    items = _get(obj, name, list, "")
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise InvalidArchive(_("« %(field)s » doit être un objet.",
                                   field=f"{name}[{index}]"))
    return items


def _rendered(source: str, field: str, *, comment: bool = False) -> str:
    """The HTML of a text of the archive, rendered again from its Markdown by this wiki's own
    renderer (budget, sanitizer, typography): the file's HTML is never shown, so a page can
    neither carry markup the renderer would not write nor show another text than the one that
    is diffed, anchored and edited."""
    if not source:
        return ""
    try:
        if comment:
            return markup.render_comment(source, budget=current_app.config["MARKDOWN_BUDGET"])
        return render(source, field)
    except (InvalidInput, markup.MarkupTooComplex):
        raise InvalidArchive(_("« %(field)s » : texte trop complexe à afficher.",
                               field=field)) from None


def parse_archive(raw: str | bytes) -> dict:
    """JSON text → archive dict; InvalidArchive when it is not JSON."""
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError) as error:
        raise InvalidArchive(_("ce n’est pas du JSON valide (%(error)s).",
                               error=str(error)[:200])) from None
    return data


# ---------------------------------------------------------------------------------------------
# Import


def import_definition(data: Any) -> Definition:
    """Restore an archive (a dict, or its JSON text) as a new definition, in one transaction.

    - Refused (``Conflict``, code ``definition_exists``) when the slug exists already;
      ``InvalidArchive`` (422, code ``invalid_archive``) for anything malformed: not JSON, an
      unknown format or version, a missing field, a reference (parent, remix, comment, person)
      that is not in the archive. Nothing is written then.
    - People: an account with the archive's username is **reused** as it is (its display name
      unchanged); any other is **created** as a participant that cannot log in — its password
      hash is a marker no password matches, so it only carries the attribution of what it
      wrote. A display name that would read like another account's falls back to the username.
    - Revisions are restored as stored (body, HTML, word counts, licence, frozen attribution,
      authorship), but for their HTML, rendered again from the Markdown (the file's HTML is
      never trusted), which gives this wiki's own HTML byte for byte.
    - Vote tallies: the archive names no voter, so each count is restored as votes of shared
      anonymous accounts ``~votant-1``, ``~votant-2``… (deactivated, no password, a username
      nobody can register), reused by later imports. Tallies are thus exact; who voted is not
      known, so remix « earlier votes » may count differently from the original site.
    - Events (recent changes) are written for revisions, remixes, merges and comments with
      their original times; no notification is sent. The search index is rebuilt.
    """
    if isinstance(data, str | bytes):
        data = parse_archive(data)
    plan = _read(data)
    with transaction() as session:
        if session.scalar(select(Definition.id).where(Definition.slug == plan["slug"])):
            raise Conflict(_("La définition « %(slug)s » existe déjà : l’archive n’a pas été "
                             "importée.", slug=plan["slug"]), code="definition_exists")
        definition = _write(session, plan)
        rebuild_index(session)
    return definition


def _read(data: Any) -> dict:
    """Check the whole archive and gather what ``_write`` needs, in archive order."""
    if not isinstance(data, dict):
        raise InvalidArchive(_("un objet JSON est attendu."))
    if data.get("format") != FORMAT:
        raise InvalidArchive(_("format « %(found)s » inconnu (attendu : %(format)s).",
                               found=str(data.get("format"))[:80], format=FORMAT))
    if data.get("version") != VERSION or isinstance(data.get("version"), bool):
        raise InvalidArchive(_("version %(found)s non prise en charge (attendue : "
                               "%(version)d).", found=str(data.get("version"))[:20],
                               version=VERSION))
    meta = _get(data, "definition", dict, "")
    slug = _text(meta, "slug", "definition", max_length=120, required=True)
    if not _SLUG.match(slug):
        raise InvalidArchive(_("identifiant « %(slug)s » invalide.", slug=slug[:120]))
    plan: dict[str, Any] = {
        "slug": slug,
        "term": _text(meta, "term", "definition", max_length=200, required=True),
        "description": _text(meta, "description", "definition"),
        "description_html": _rendered(_text(meta, "description", "definition"),
                                      "definition.description"),
        "license_code": _license_code(meta, "definition"),
        "created_at": _moment(meta, "created_at", "definition"),
    }

    people: dict[str, str] = {}
    for index, person in enumerate(_items(data, "people")):
        path = f"people[{index}]"
        username = _text(person, "username", path, required=True)
        try:
            if validate_username(username) != username:
                raise InvalidInput("username", "")
        except InvalidInput:
            raise InvalidArchive(_("nom d’utilisateur « %(name)s » invalide.",
                                   name=username[:40])) from None
        people[username] = _text(person, "display_name", path, max_length=80) or username

    def person(value: Any, path: str, nullable: bool = False) -> str | None:
        if value is None and nullable:
            return None
        if not isinstance(value, str) or value not in people:
            raise InvalidArchive(_("« %(field)s » nomme une personne absente de « people ».",
                                   field=path))
        return value

    remixes = _read_lines(data, person)
    revisions = _read_revisions(data, person, remixes, people)
    revision_ids = {r["id"] for r in revisions}

    def revision_ref(value: Any, path: str, nullable: bool = False) -> int | None:
        if value is None and nullable:
            return None
        if isinstance(value, bool) or value not in revision_ids:
            raise InvalidArchive(_("« %(field)s » renvoie à une révision absente de "
                                   "l’archive.", field=path))
        return value

    official = remixes.pop(None)
    plan["head_revision"] = revision_ref(official["head_revision"], "lines[0].head_revision")
    by_id = {r["id"]: r for r in revisions}
    if by_id[plan["head_revision"]]["remix"] is not None:
        raise InvalidArchive(_("la tête de la version officielle est une révision de remix."))
    if revision_ref(_get(meta, "head_revision", int, "definition"),
                    "definition.head_revision") != plan["head_revision"]:
        raise InvalidArchive(_("« definition.head_revision » ne correspond pas à la ligne "
                               "officielle."))
    for number, remix in remixes.items():
        path = f"remix {number}"
        remix["forked_from_revision"] = revision_ref(remix["forked_from_revision"],
                                                     f"{path}.forked_from_revision")
        remix["head_revision"] = revision_ref(remix["head_revision"], f"{path}.head_revision")
        remix["settled_revision"] = revision_ref(remix["settled_revision"],
                                                 f"{path}.settled_revision", nullable=True)
        if remix["head_revision"] != remix["forked_from_revision"] and \
                by_id[remix["head_revision"]]["remix"] != number:
            raise InvalidArchive(_("la tête du remix %(n)d n’est pas sur sa ligne.", n=number))
    plan["remixes"] = remixes
    plan["revisions"] = revisions
    plan["comments"] = _read_comments(data, person, by_id)
    plan["people"] = people
    return plan


def _read_lines(data: dict, person: Callable) -> dict[int | None, dict]:
    lines: dict[int | None, dict] = {}
    for index, line in enumerate(_items(data, "lines")):
        path = f"lines[{index}]"
        number = _get(line, "remix", int, path, nullable=True)
        if number is None:
            if None in lines:
                raise InvalidArchive(_("deux lignes officielles."))
            lines[None] = {"head_revision": _get(line, "head_revision", int, path)}
            continue
        if number != len(lines) + (0 if None in lines else 1):
            raise InvalidArchive(_("les remix doivent être numérotés 1, 2, 3… dans l’ordre "
                                   "(%(field)s).", field=f"{path}.remix"))
        status = _get(line, "status", str, path)
        if status not in ("draft", "proposed", "merged", "declined", "withdrawn"):
            raise InvalidArchive(_("statut « %(status)s » inconnu (%(field)s).",
                                   status=status[:20], field=f"{path}.status"))
        lines[number] = {
            "title": _text(line, "title", path, max_length=200, required=True),
            "description": _text(line, "description", path),
            "owner": person(line.get("owner"), f"{path}.owner"),
            "status": status,
            "license_code": _license_code(line, path),
            "forked_from_revision": _get(line, "forked_from_revision", int, path),
            "head_revision": _get(line, "head_revision", int, path),
            "settled_revision": _get(line, "settled_revision", int, path, nullable=True),
            "decline_reason": _text(line, "decline_reason", path, nullable=True),
            "created_at": _moment(line, "created_at", path),
            "updated_at": _moment(line, "updated_at", path),
        }
    if None not in lines:
        raise InvalidArchive(_("la ligne officielle manque dans « lines »."))
    return lines


def _read_revisions(data: dict, person: Callable, remixes: dict,
                    people: dict[str, str]) -> list[dict]:
    revisions: list[dict] = []
    limit = current_app.config["MAX_BODY_BYTES"]
    for index, item in enumerate(_items(data, "revisions")):
        path = f"revisions[{index}]"
        number = _get(item, "id", int, path)
        if number != index + 1:
            raise InvalidArchive(_("les révisions doivent être numérotées 1, 2, 3… dans "
                                   "l’ordre (%(field)s).", field=f"{path}.id"))
        parents = _get(item, "parents", list, path)
        if len(parents) > 2 or len(set(parents)) != len(parents) or any(
                isinstance(p, bool) or not isinstance(p, int) or not 0 < p < number
                for p in parents):
            raise InvalidArchive(_("« %(field)s » : un parent n’est pas une révision "
                                   "antérieure de l’archive.", field=f"{path}.parents"))
        remix = _get(item, "remix", int, path, nullable=True)
        merged = _get(item, "merged_remix", int, path, nullable=True)
        for field, value in (("remix", remix), ("merged_remix", merged)):
            if value is not None and value not in remixes:
                raise InvalidArchive(_("« %(field)s » renvoie à un remix absent de l’archive.",
                                       field=f"{path}.{field}"))
        body = _text(item, "body", path, required=True)
        if text.utf8_size(body) > limit:
            raise InvalidArchive(_("« %(field)s » dépasse %(limit)d octets.",
                                   field=f"{path}.body", limit=limit))
        runs = _get(item, "authorship", list, path)
        if any(not isinstance(run, list) or len(run) != 3 or isinstance(run[0], bool)
               or not isinstance(run[0], int) or run[0] <= 0 or not isinstance(run[1], str)
               or isinstance(run[2], bool) or not isinstance(run[2], int)
               or not 0 < run[2] <= number for run in runs) \
                or sum(run[0] for run in runs) != len(body):
            raise InvalidArchive(_("« %(field)s » ne couvre pas exactement le texte.",
                                   field=f"{path}.authorship"))
        contributors = _get(item, "contributors", list, path)
        for entry in contributors:
            if not isinstance(entry, dict) or not isinstance(entry.get("key"), str) \
                    or not isinstance(entry.get("display_name"), str) \
                    or not isinstance(entry.get("present"), bool) \
                    or "username" not in entry \
                    or not isinstance(entry["username"], str | None):
                raise InvalidArchive(_("« %(field)s » : contributeur mal formé.",
                                       field=f"{path}.contributors"))
            if entry["key"].startswith(_USER_KEY):
                # An account's name is the one « people » gives it: an entry cannot credit
                # the words to somebody else.
                username = person(entry["key"][len(_USER_KEY):], f"{path}.contributors")
                entry.update(username=username, display_name=people[username])
            else:  # an external author (the seed's): a name, no account
                entry.update(username=None, display_name=_text(
                    entry, "display_name", f"{path}.contributors", max_length=200,
                    required=True))
        for author_key in [run[1] for run in runs] + [e["key"] for e in contributors]:
            if author_key.startswith(_USER_KEY):
                person(author_key[len(_USER_KEY):], f"{path}.authorship")
        votes = _get(item, "votes", dict, path)
        taken = _get(item, "taken_regions", list, path, nullable=True)
        if taken is not None and any(isinstance(t, bool) or not isinstance(t, int)
                                     for t in taken):
            raise InvalidArchive(_("« %(field)s » : liste d’entiers attendue.",
                                   field=f"{path}.taken_regions"))
        attribution = _get(item, "attribution", dict, path)
        for field in ("title", "source"):
            if not isinstance(attribution.get(field), str | None):
                raise InvalidArchive(_("champ « %(field)s » de type inattendu.",
                                       field=f"{path}.attribution.{field}"))
        tally = {choice: _count(votes, choice, f"{path}.votes")
                 for choice in ("plebisciter", "rejeter")}
        if sum(tally.values()) > MAX_VOTES:
            raise InvalidArchive(_("« %(field)s » : plus de %(n)d votes sur une révision.",
                                   field=f"{path}.votes", n=MAX_VOTES))
        revisions.append({
            "id": number, "remix": remix, "parents": parents,
            "author": person(item.get("author"), f"{path}.author", nullable=True),
            "summary": _text(item, "summary", path, max_length=300),
            "body": body,
            "html": _rendered(body, f"{path}.body"),
            "created_at": _moment(item, "created_at", path),
            "license_code": _license_code(item, path),
            "word_count": _count(item, "word_count", path),
            "inserted_words": _count(item, "inserted_words", path),
            "deleted_words": _count(item, "deleted_words", path),
            "authorship": runs, "contributors": contributors,
            "attribution": attribution, "merged_remix": merged, "taken_regions": taken,
            "votes": tally,
        })
    if not revisions:
        raise InvalidArchive(_("aucune révision."))
    return revisions


def _read_comments(data: dict, person: Callable, revisions: dict[int, dict]) -> list[dict]:
    comments: list[dict] = []
    for index, item in enumerate(_items(data, "comments")):
        path = f"comments[{index}]"
        if _get(item, "id", int, path) != index + 1:
            raise InvalidArchive(_("les commentaires doivent être numérotés 1, 2, 3… dans "
                                   "l’ordre (%(field)s).", field=f"{path}.id"))
        revision = _get(item, "revision", int, path)
        if revision not in revisions:
            raise InvalidArchive(_("« %(field)s » renvoie à une révision absente de "
                                   "l’archive.", field=f"{path}.revision"))
        parent = _get(item, "parent", int, path, nullable=True)
        if parent is not None and not (0 < parent <= index
                                       and comments[parent - 1]["revision"] == revision):
            raise InvalidArchive(_("« %(field)s » : la réponse ne suit pas un commentaire de "
                                   "la même révision.", field=f"{path}.parent"))
        anchor = _get(item, "anchor", dict, path, nullable=True)
        if anchor is not None:
            body = revisions[revision]["body"]
            where = f"{path}.anchor"
            anchor = {"quote": _text(anchor, "quote", where),
                      "prefix": _text(anchor, "prefix", where, nullable=True),
                      "suffix": _text(anchor, "suffix", where, nullable=True),
                      "start": _count(anchor, "start", where),
                      "end": _count(anchor, "end", where)}
            if not anchor["start"] <= anchor["end"] <= len(body):
                raise InvalidArchive(_("« %(field)s » : position hors du texte.", field=where))
        comments.append({
            "revision": revision, "parent": parent,
            "author": person(item.get("author"), f"{path}.author"),
            "body": (comment_body := _text(item, "body", path, required=True)),
            "html": _rendered(comment_body, f"{path}.body", comment=True),
            "anchor": anchor, "created_at": _moment(item, "created_at", path),
        })
    return comments


def _write(session: Session, plan: dict) -> Definition:
    users = _accounts(session, plan["people"])

    def key(value: str) -> str:
        if value.startswith(_USER_KEY):
            return f"{_USER_KEY}{users[value[len(_USER_KEY):]].id}"
        return value

    definition = Definition(slug=plan["slug"], term=plan["term"],
                            description=plan["description"],
                            description_html=plan["description_html"],
                            license_code=plan["license_code"], created_at=plan["created_at"])
    session.add(definition)
    session.flush()

    revision_id: dict[int, int] = {}
    remix_id: dict[int, int] = {}
    pending = sorted(plan["remixes"])

    def create_remixes_up_to(number: int) -> None:
        # Remixes keep their archive order; each needs its fork point written already.
        while pending and pending[0] <= number:
            n = pending.pop(0)
            line = plan["remixes"][n]
            fork = revision_id.get(line["forked_from_revision"])
            if fork is None:
                raise InvalidArchive(_("le remix %(n)d part d’une révision écrite après lui.",
                                       n=n))
            remix = Remix(definition_id=definition.id, title=line["title"],
                          description=line["description"], owner_id=users[line["owner"]].id,
                          forked_from_revision_id=fork, head_revision_id=fork,
                          status=line["status"], license_code=line["license_code"],
                          decline_reason=line["decline_reason"],
                          created_at=line["created_at"], updated_at=line["updated_at"])
            session.add(remix)
            session.flush()
            remix_id[n] = remix.id
            session.add(Event(kind="remix", definition_id=definition.id, actor_id=remix.owner_id,
                              remix_id=remix.id, revision_id=fork, created_at=remix.created_at))

    voters: list[User] = []
    for item in plan["revisions"]:
        needed = max(item["remix"] or 0, item["merged_remix"] or 0)
        create_remixes_up_to(needed)
        author = users[item["author"]] if item["author"] else None
        revision = Revision(
            definition_id=definition.id, remix_id=remix_id.get(item["remix"]),
            author_id=author.id if author else None, summary=item["summary"],
            body=item["body"], html=item["html"], word_count=item["word_count"],
            inserted_words=item["inserted_words"], deleted_words=item["deleted_words"],
            license_code=item["license_code"], authorship=[], contributors=[],
            attribution=item["attribution"], taken_regions=item["taken_regions"],
            merged_remix_id=remix_id.get(item["merged_remix"]), created_at=item["created_at"])
        session.add(revision)
        session.flush()
        revision_id[item["id"]] = revision.id
        # Runs name revisions by number: this one's own, or earlier ones already written.
        revision.authorship = [[length, key(author_key), revision_id[number]]
                               for length, author_key, number in item["authorship"]]
        revision.contributors = [{**entry, "key": key(entry["key"])}
                                 for entry in item["contributors"]]
        for position, parent in enumerate(item["parents"]):
            session.add(RevisionParent(child_id=revision.id, parent_id=revision_id[parent],
                                       position=position))
        session.add(Event(kind="revision", definition_id=definition.id,
                          actor_id=revision.author_id, revision_id=revision.id,
                          remix_id=revision.remix_id, created_at=revision.created_at))
        if revision.merged_remix_id:
            session.add(Event(kind="merge", definition_id=definition.id,
                              actor_id=revision.author_id, revision_id=revision.id,
                              remix_id=revision.merged_remix_id, created_at=revision.created_at))
        votes = item["votes"]
        voters = _voters(session, voters, votes["plebisciter"] + votes["rejeter"])
        choices = ["plebisciter"] * votes["plebisciter"] + ["rejeter"] * votes["rejeter"]
        for voter, choice in zip(voters, choices, strict=False):
            session.add(Vote(user_id=voter.id, revision_id=revision.id, choice=choice,
                             created_at=revision.created_at, updated_at=revision.created_at))
    create_remixes_up_to(len(plan["remixes"]))

    definition.head_revision_id = revision_id[plan["head_revision"]]
    for n, line in plan["remixes"].items():
        remix = session.get(Remix, remix_id[n])
        remix.head_revision_id = revision_id[line["head_revision"]]
        if line["settled_revision"] is not None:
            remix.settled_revision_id = revision_id[line["settled_revision"]]

    comment_id: dict[int, int] = {}
    for number, item in enumerate(plan["comments"], 1):
        anchor = item["anchor"] or {}
        comment = Comment(
            revision_id=revision_id[item["revision"]],
            parent_id=comment_id[item["parent"]] if item["parent"] else None,
            author_id=users[item["author"]].id, body=item["body"], html=item["html"],
            anchor_quote=anchor.get("quote"), anchor_prefix=anchor.get("prefix"),
            anchor_suffix=anchor.get("suffix"), anchor_start=anchor.get("start"),
            anchor_end=anchor.get("end"), created_at=item["created_at"])
        session.add(comment)
        session.flush()
        comment_id[number] = comment.id
        session.add(Event(kind="comment", definition_id=definition.id,
                          actor_id=comment.author_id, revision_id=comment.revision_id,
                          comment_id=comment.id, created_at=comment.created_at))
    session.flush()
    return definition


def _accounts(session: Session, people: dict[str, str]) -> dict[str, User]:
    """Existing accounts by username; the others created, unable to log in."""
    found = {u.username: u for u in session.scalars(
        select(User).where(User.username.in_(list(people))))} if people else {}
    for username, display_name in people.items():
        if username in found:
            continue
        try:
            shown = validate_display_name(display_name, username)
        except InvalidInput as error:
            if error.code != "confusable_name":
                raise InvalidArchive(error.message) from None
            shown = username
        user = User(username=username, display_name=shown, password_hash=NO_PASSWORD,
                    role="participant")
        session.add(user)
        session.flush()
        found[username] = user
    return found


def _voters(session: Session, voters: list[User], needed: int) -> list[User]:
    """At least ``needed`` anonymous voter accounts, created (deactivated) when missing."""
    if len(voters) >= needed:
        return voters
    names = [f"{VOTER_PREFIX}{n}" for n in range(1, needed + 1)]
    existing = {u.username: u for u in session.scalars(
        select(User).where(User.username.in_(names)))}
    result = []
    for name in names:
        user = existing.get(name)
        if user is None:
            user = User(username=name, display_name=VOTER_DISPLAY_NAME,
                        password_hash=NO_PASSWORD, role="participant", active=False)
            session.add(user)
            session.flush()
        result.append(user)
    return result


def archive_filename(slug: str) -> str:
    return f"{slug}-archive.json"

