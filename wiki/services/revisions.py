"""Building an immutable revision: everything a read needs is computed here, once.

Shared by every use case that writes a revision (seed, edit, revert, remix, merge, import), so
a revision always has its HTML, word counts, authorship and contributors, whoever made it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wiki.domain import authorship, markup, text, textdiff
from wiki.errors import InvalidInput, InvalidText, NotFound, TooLarge
from wiki.models import Definition, Event, Revision, RevisionParent, User, Vote
from wiki.services import notifying
from wiki.services.search import index_revision

MAX_SUMMARY = 300
EXTERNAL = "external"


def user_key(user_id: int) -> str:
    return f"user:{user_id}"


@dataclass(frozen=True)
class CleanText:
    """A body that passed every check, with its HTML rendered (outside any transaction)."""

    body: str
    html: str
    raw: str


def normalised(value: str, field: str) -> str:
    """:func:`text.normalise_text`, its refusal answered as the API's 400 ``invalid_text``."""
    try:
        return text.normalise_text(value)
    except text.InvalidText as error:
        raise InvalidText(_("Le texte contient des caractères interdits (caractères de "
                            "contrôle ou encodage invalide)."),
                          details={"field": field, "reason": error.reason}) from error


def clean_body(raw: str, field: str = "body") -> CleanText:
    """Normalise, check size and render; raise the API's 400/413/422 errors."""
    if not isinstance(raw, str):
        raise InvalidInput(field, _("Le texte doit être une chaîne de caractères."))
    body = normalised(raw, field)
    limit = current_app.config["MAX_BODY_BYTES"]
    size = text.utf8_size(body)
    if size > limit:
        raise TooLarge(_("Le texte dépasse la taille permise (%(size)d octets sur %(limit)d).",
                         size=size, limit=limit), details={"field": field, "limit": limit})
    if not body.strip():
        raise InvalidInput(field, _("Le texte ne peut pas être vide."))
    return CleanText(body=body, html=render(body, field), raw=raw)


def render(body: str, field: str = "body") -> str:
    try:
        return markup.render_markdown(body, budget=current_app.config["MARKDOWN_BUDGET"])
    except markup.MarkupTooComplex as error:
        raise InvalidInput(field, _("Texte trop complexe à afficher : simplifiez sa mise en "
                                    "forme (listes ou crochets très imbriqués)."),
                           code="too_complex") from error


def clean_line(value: object, field: str, max_length: int, *, required: bool,
               missing: str | None = None) -> str:
    """A one-line text field (summary, title, reason): normalised, whitespace collapsed."""
    if value is not None and not isinstance(value, str):
        raise InvalidInput(field, _("Ce champ doit être un texte."))
    cleaned = " ".join(normalised(value or "", field).split())
    if required and not cleaned:
        raise InvalidInput(field, missing or _("Ce champ est obligatoire."))
    if len(cleaned) > max_length:
        raise InvalidInput(field, _("Ce champ dépasse %(n)d caractères.", n=max_length),
                           code="too_long")
    return cleaned


def clean_summary(summary: object, *, required: bool = True) -> str:
    return clean_line(summary, "summary", MAX_SUMMARY, required=required,
                      missing=_("Le résumé de la modification est obligatoire."))


def get_revision(session: Session, revision_id: object, field: str = "revision_id") -> Revision:
    if isinstance(revision_id, bool) or not isinstance(revision_id, int | str):
        raise InvalidInput(field, _("Identifiant de révision invalide."))
    try:
        rid = int(revision_id)
    except ValueError:
        raise InvalidInput(field, _("Identifiant de révision invalide.")) from None
    revision = session.get(Revision, rid) if 0 < rid < 2**63 else None
    if revision is None:
        raise NotFound(_("La révision %(id)s n’existe pas.", id=rid))
    return revision


def _contributors(parents: Sequence[Revision], runs: authorship.Runs,
                  author: User | None, externals: Sequence[dict] = ()) -> list[dict]:
    """Everyone who ever wrote in this text, ``present`` when words of theirs remain."""
    known: dict[tuple[str, str], dict] = {}
    for parent in parents:
        for entry in parent.contributors:
            known.setdefault((entry["key"], entry["display_name"]), dict(entry))
    for person in externals:
        known.setdefault((EXTERNAL, person["display_name"]), {
            "key": EXTERNAL, "display_name": person["display_name"], "username": None})
    if author is not None:
        known.setdefault((user_key(author.id), author.display_name), {
            "key": user_key(author.id), "display_name": author.display_name,
            "username": author.username})
    keys = set(authorship.authors_in(runs))
    order = {key: index for index, key in enumerate(authorship.authors_in(runs))}
    entries = [{**entry, "present": entry["key"] in keys} for entry in known.values()]
    # Externals first (the original authors), then by first appearance in the text.
    entries.sort(key=lambda e: (e["key"] != EXTERNAL, order.get(e["key"], len(order))))
    return entries


def add_revision(
    session: Session,
    *,
    definition: Definition,
    cleaned: CleanText,
    summary: str,
    author: User | None,
    parents: Sequence[Revision],
    license_code: str,
    remix_id: int | None = None,
    externals: Sequence[dict] = (),
    source: str | None = None,
    merged_remix_id: int | None = None,
    taken_regions: list[int] | None = None,
) -> Revision:
    """Insert a revision with its derived data and its parent edges; the caller moves a head."""
    body = cleaned.body
    revision = Revision(
        definition_id=definition.id, remix_id=remix_id,
        author_id=author.id if author else None, summary=summary, body=body,
        html=cleaned.html, word_count=text.count_words(body), license_code=license_code,
        authorship=[], contributors=[], attribution={}, merged_remix_id=merged_remix_id,
        taken_regions=taken_regions,
    )
    session.add(revision)
    session.flush()  # the id is part of the authorship runs
    key = user_key(author.id) if author else EXTERNAL
    if not parents:
        runs = authorship.initial_runs(body, key, revision.id)
        stats = textdiff.DiffStats(inserted_words=revision.word_count, deleted_words=0)
    else:
        first = parents[0]
        first_runs = authorship.runs_from_json(first.authorship)
        if len(parents) == 1:
            runs = authorship.carry_authorship(first.body, first_runs, body, key, revision.id)
        else:
            second = parents[1]
            runs = authorship.carry_merge(
                body, (first.body, first_runs),
                (second.body, authorship.runs_from_json(second.authorship)), key, revision.id)
        stats = textdiff.diff_stats(textdiff.diff_words(first.body, body))
    revision.inserted_words = stats.inserted_words
    revision.deleted_words = stats.deleted_words
    revision.authorship = authorship.runs_to_json(runs)
    revision.contributors = _contributors(parents, runs, author, externals)
    inherited_source = next((p.attribution.get("source") for p in parents
                             if p.attribution.get("source")), None)
    revision.attribution = {"title": definition.term, "source": source or inherited_source}
    for position, parent in enumerate(parents):
        session.add(RevisionParent(child_id=revision.id, parent_id=parent.id, position=position))
    session.add(Event(kind="revision", definition_id=definition.id, actor_id=revision.author_id,
                      revision_id=revision.id, remix_id=remix_id, created_at=revision.created_at))
    notifying.revision_added(session, revision)
    index_revision(session, revision)  # search index, same transaction
    session.flush()
    session.refresh(revision, ["parent_links"])
    return revision


def tallies(session: Session, revision_ids: Sequence[int]) -> dict[int, dict[str, int]]:
    """``{revision_id: {"plebisciter": n, "rejeter": m}}`` in one query."""
    counts = {rid: {"plebisciter": 0, "rejeter": 0} for rid in revision_ids}
    if not revision_ids:
        return counts
    rows = session.execute(
        select(Vote.revision_id, Vote.choice, func.count())
        .where(Vote.revision_id.in_(list(revision_ids)))
        .group_by(Vote.revision_id, Vote.choice)
    )
    for revision_id, choice, count in rows:
        counts[revision_id][choice] = count
    return counts
