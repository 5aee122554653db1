"""Compare any two revisions of one definition (also across remixes, also backwards)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from flask_babel import gettext as _

from wiki.domain import textdiff
from wiki.errors import InvalidInput
from wiki.extensions import db
from wiki.models import Revision
from wiki.services.revisions import get_revision


@dataclass(frozen=True)
class Comparison:
    old: Revision
    new: Revision
    diff: textdiff.Diff
    stats: textdiff.DiffStats


@lru_cache(maxsize=512)
def _diff_of(old_id: int, new_id: int, old_body: str, new_body: str) -> textdiff.Diff:
    # Revisions never change, so a diff keyed by their ids stays true forever; the bodies
    # ride along only because lru_cache needs them as arguments.
    return textdiff.diff_words(old_body, new_body)


def compare(from_id: object, to_id: object) -> Comparison:
    old = get_revision(db.session, from_id, "from")
    new = get_revision(db.session, to_id, "to")
    if old.definition_id != new.definition_id:
        raise InvalidInput("to", _("Ces deux révisions appartiennent à des définitions "
                                   "différentes : on ne peut pas les comparer."),
                           code="different_definitions")
    diff = _diff_of(old.id, new.id, old.body, new.body)
    return Comparison(old=old, new=new, diff=diff, stats=textdiff.diff_stats(diff))


def neighbours(revision: Revision) -> tuple[int | None, int | None]:
    """The previous and next revisions on the same line, for « précédente / suivante »."""
    from sqlalchemy import select

    line = (Revision.remix_id.is_(None) if revision.remix_id is None
            else Revision.remix_id == revision.remix_id)
    base = select(Revision.id).where(Revision.definition_id == revision.definition_id, line)
    previous = db.session.scalar(base.where(Revision.id < revision.id)
                                 .order_by(Revision.id.desc()).limit(1))
    following = db.session.scalar(base.where(Revision.id > revision.id)
                                  .order_by(Revision.id).limit(1))
    return previous, following
