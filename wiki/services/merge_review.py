"""What the merge screen shows around each region, and what a merge took.

For the moderator, each region the remix changes comes with the comments anchored in it and
the people who wrote the remix's text there; for the remix's owner, a merge tells which
regions were taken and which were left. Everything is read from what revisions and comments
stored (bodies, authorship runs, anchors): nothing here writes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from wiki.domain import authorship, merge
from wiki.models import Comment, Remix, Revision
from wiki.services.commenting import locate_comment
from wiki.services.remixing import MergePlan, plan_merge

#: The most recent anchored comments read for one merge screen (the fuzzy search behind a
#: moved passage is not free; a remix with more comments than this is not a case to tune for).
MAX_COMMENTS = 300


@dataclass(frozen=True)
class RegionComment:
    """An anchored comment whose passage falls in or overlaps a region.

    ``side`` is the line it was written on (« remix » or the official line); ``status`` how its
    passage stands in that line's head: "found", "changed" (``now`` is the passage there
    now) or "removed" (the head no longer has it; it was found in the common ancestor's text).
    """

    comment: Comment
    side: Literal["remix", "official"]
    status: Literal["found", "changed", "removed"]
    now: str | None


@dataclass(frozen=True)
class RegionAuthor:
    display_name: str
    username: str | None
    #: Share of the region's remix text, 0..1.
    share: float


@dataclass
class RegionNotes:
    comments: list[RegionComment] = field(default_factory=list)
    authors: list[RegionAuthor] = field(default_factory=list)


def _overlaps(start: int, end: int, span: tuple[int, int]) -> bool:
    """Whether the passage ``[start, end)`` falls in or overlaps ``span``; an empty span (that
    side has no text in the region: a pure insertion or deletion) only counts when it lies
    strictly inside the passage."""
    low, high = span
    if low == high:
        return start < low < end
    return start < high and low < end


def _anchored_comments(session: Session, remix: Remix, base: Revision) -> list[Comment]:
    on_remix = Revision.remix_id == remix.id
    # Comments on the official line since the common ancestor: older ones were about a text
    # neither side starts from.
    on_official = (Revision.remix_id.is_(None)) & (Revision.id >= base.id)
    rows = session.scalars(
        select(Comment).join(Revision, Revision.id == Comment.revision_id)
        .where(Revision.definition_id == remix.definition_id, on_remix | on_official,
               Comment.anchor_quote.is_not(None))
        .options(selectinload(Comment.author), selectinload(Comment.revision))
        .order_by(Comment.id.desc()).limit(MAX_COMMENTS))
    return sorted(rows, key=lambda c: c.id)


def _place(comment: Comment, head: Revision, base: Revision
           ) -> tuple[Literal["found", "changed", "removed"], int, int, str | None, bool] | None:
    """Where a comment's passage is: ``(status, start, end, now, in_base)``, with offsets into
    the head's body, or into the base's when the head no longer has it."""
    if comment.revision_id == head.id:
        return "found", comment.anchor_start, comment.anchor_end, None, False
    located = locate_comment(comment, head)
    if located.status != "removed":
        now = located.quote if located.status == "changed" else None
        return located.status, located.start, located.end, now, False
    in_base = locate_comment(comment, base)
    if in_base.status == "removed":
        return None
    return "removed", in_base.start, in_base.end, None, True


def _authors(head: Revision, span: tuple[int, int]) -> list[RegionAuthor]:
    """Who wrote the remix head's text in ``span``, from its stored authorship runs."""
    low, high = span
    if low == high:
        return []
    try:
        runs = authorship.runs_from_json(head.authorship)
    except ValueError:
        return []
    written: dict[str, int] = {}
    at = 0
    for run in runs:
        overlap = min(at + run.length, high) - max(at, low)
        if overlap > 0:
            written[run.author] = written.get(run.author, 0) + overlap
        at += run.length
        if at >= high:
            break
    people: dict[str, list[dict]] = {}
    for entry in head.contributors or []:
        people.setdefault(entry["key"], []).append(entry)
    total = sum(written.values()) or 1
    authors = []
    for key, length in sorted(written.items(), key=lambda item: (-item[1], item[0])):
        entries = people.get(key, [{"display_name": key, "username": None}])
        authors.append(RegionAuthor(
            display_name=_(" et ").join(e["display_name"] for e in entries),
            username=entries[0].get("username") if len(entries) == 1 else None,
            share=length / total))
    return authors


def region_notes(session: Session, plan: MergePlan, remix: Remix) -> dict[int, RegionNotes]:
    """For each region of ``plan`` (a merge of ``remix``): its anchored comments and the
    authors of the remix's text there."""
    spans = merge.region_spans(plan.base.body, plan.ours.body, plan.theirs.body)
    notes = {span.index: RegionNotes(authors=_authors(plan.theirs, span.theirs))
             for span in spans}
    for comment in _anchored_comments(session, remix, plan.base):
        on_remix = comment.revision.remix_id == remix.id
        head = plan.theirs if on_remix else plan.ours
        placed = _place(comment, head, plan.base)
        if placed is None:
            continue
        status, start, end, now, in_base = placed
        for span in spans:
            side_span = span.base if in_base else (span.theirs if on_remix else span.ours)
            if _overlaps(start, end, side_span):
                notes[span.index].comments.append(RegionComment(
                    comment=comment, side="remix" if on_remix else "official",
                    status=status, now=now))
    return notes


@dataclass(frozen=True)
class RegionOutcome:
    index: int
    taken: bool
    base: str
    ours: str
    theirs: str


def outcome_of(regions: Iterable[merge.Region], taken: Iterable[int]) -> list[RegionOutcome]:
    chosen = set(taken)
    return [RegionOutcome(r.index, r.index in chosen, r.base, r.ours, r.theirs)
            for r in regions]


def last_merge(session: Session, remix: Remix) -> tuple[Revision, list[RegionOutcome]] | None:
    """The remix's latest merge into the official line and, region by region, what it took.

    The regions are those the moderator saw: the same 3-way cut of the merge's two parents
    (revisions never change, and neither does their common ancestor).
    """
    if remix.settled_revision_id is None:  # never merged nor declined: nothing to look up
        return None
    revision = session.scalar(
        select(Revision).where(Revision.merged_remix_id == remix.id)
        .order_by(Revision.id.desc()).limit(1))
    if revision is None or revision.taken_regions is None or len(revision.parent_ids) != 2:
        return None
    ours, theirs = (session.get(Revision, rid) for rid in revision.parent_ids)
    plan = plan_merge(session, ours, theirs)
    return revision, outcome_of(plan.regions, revision.taken_regions)
