"""« Qui a écrit quoi »: a revision's text cut by author, and each contributor's share.

Everything comes from what the revision stored at save time (runs and contributors): reading it
walks no history.
"""

from __future__ import annotations

from dataclasses import dataclass

from wiki.domain import authorship
from wiki.models import Revision


@dataclass(frozen=True)
class Contribution:
    key: str
    display_name: str
    username: str | None
    share: float
    #: A small stable number for the author's colour class on the page.
    colour: int


@dataclass(frozen=True)
class Piece:
    text: str
    author: Contribution
    revision_id: int


def who_wrote_what(revision: Revision) -> tuple[list[Piece], list[Contribution]]:
    runs = authorship.runs_from_json(revision.authorship)
    names: dict[str, list[dict]] = {}
    for entry in revision.contributors:
        names.setdefault(entry["key"], []).append(entry)
    shares = authorship.shares(runs)
    contributions: dict[str, Contribution] = {}
    for index, key in enumerate(authorship.authors_in(runs)):
        people = names.get(key, [{"display_name": key, "username": None}])
        contributions[key] = Contribution(
            key=key, display_name=" et ".join(p["display_name"] for p in people),
            username=people[0]["username"] if len(people) == 1 else None,
            share=shares.get(key, 0.0), colour=index % 8)
    pieces = [Piece(text=text, author=contributions[run.author], revision_id=run.revision_id)
              for text, run in authorship.segments(revision.body, runs)]
    ranked = sorted(contributions.values(), key=lambda c: -c.share)
    return pieces, ranked


def contributor_shares(revision: Revision) -> list[dict]:
    """``[{display_name, username, share}]`` of the text as it stands, largest share first."""
    _pieces, ranked = who_wrote_what(revision)
    return [{"display_name": c.display_name, "username": c.username, "share": round(c.share, 4)}
            for c in ranked]
