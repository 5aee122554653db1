"""Three-way merge of revisions over word tokens (diff3), and remix reviews.

The merge never applies dmp patches: ``patch_apply`` relocates hunks fuzzily
and can silently drop or duplicate text, whereas a merged definition must
contain every change of both sides or say precisely where they collide.

The algorithm is diff3's. Both sides are aligned with the common ancestor using
the same word diff readers see (``textdiff.diff_tokens``); the stretches of the
base that both alignments keep unchanged are *stable*; between two stable
stretches, each side either left the base alone or changed it, and:

* only one side changed it: that side's version is taken;
* both made the same change: it is taken once;
* both changed it differently: conflict. Two different insertions at the same
  point of the base are a conflict too, since no order between them is right.

Two changes separated by at least one unchanged token merge cleanly; changes
that touch (no token of the base between them) form one unstable stretch and
conflict, as in diff3 and git.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from wiki.domain.textdiff import EQUAL, INSERT, diff_tokens, tokenize

__all__ = [
    "Choice",
    "Clean",
    "Conflict",
    "Leave",
    "MergeResult",
    "MissingChoice",
    "Region",
    "Replace",
    "Segment",
    "Settled",
    "Take",
    "UnknownRegion",
    "assemble",
    "fingerprint",
    "merge_regions",
    "merge_texts",
    "RegionSpan",
    "preview_text",
    "region_spans",
    "remix_regions",
]


@dataclass(frozen=True, slots=True)
class Clean:
    text: str


@dataclass(frozen=True, slots=True)
class Conflict:
    base: str
    ours: str
    theirs: str


@dataclass(frozen=True, slots=True)
class MergeResult:
    """``text`` is the merged text, or None when ``conflicts`` is not empty."""

    text: str | None
    conflicts: tuple[Conflict, ...]

    @property
    def is_clean(self) -> bool:
        return not self.conflicts


@dataclass(frozen=True, slots=True)
class _Chunk:
    """A stretch of the three token lists, ``[start, end)`` in each."""

    stable: bool
    base: tuple[int, int]
    ours: tuple[int, int]
    theirs: tuple[int, int]


def _matching_blocks(a: Sequence[str], b: Sequence[str]) -> list[tuple[int, int, int]]:
    """``(a_start, b_start, length)`` of the token runs the word diff keeps."""
    blocks = []
    i = j = 0
    for op, count in diff_tokens(a, b):
        if op == EQUAL:
            blocks.append((i, j, count))
            i += count
            j += count
        elif op == INSERT:
            j += count
        else:
            i += count
    return blocks


def _chunks(base: Sequence[str], ours: Sequence[str], theirs: Sequence[str]) -> list[_Chunk]:
    """Alternating unstable/stable chunks covering the three token lists."""
    with_ours = _matching_blocks(base, ours)
    with_theirs = _matching_blocks(base, theirs)

    # Stable stretches: intersections of a base range kept by ours with a base
    # range kept by theirs (both block lists are sorted along the base).
    syncs: list[tuple[int, int, int, int]] = []  # base start, length, ours, theirs
    o = t = 0
    while o < len(with_ours) and t < len(with_theirs):
        ob, oo, on = with_ours[o]
        tb, tt, tn = with_theirs[t]
        start, end = max(ob, tb), min(ob + on, tb + tn)
        if start < end:
            syncs.append((start, end - start, oo + start - ob, tt + start - tb))
        if ob + on < tb + tn:
            o += 1
        else:
            t += 1
    # A zero-length stretch at the very end flushes the last unstable chunk.
    syncs.append((len(base), 0, len(ours), len(theirs)))

    chunks: list[_Chunk] = []
    b = o = t = 0
    for sb, length, so, st in syncs:
        if sb > b or so > o or st > t:
            chunks.append(_Chunk(False, (b, sb), (o, so), (t, st)))
        if length:
            chunks.append(_Chunk(True, (sb, sb + length), (so, so + length), (st, st + length)))
        b, o, t = sb + length, so + length, st + length
    return chunks


def _texts(
    chunk: _Chunk, base: Sequence[str], ours: Sequence[str], theirs: Sequence[str]
) -> tuple[str, str, str]:
    return (
        "".join(base[chunk.base[0] : chunk.base[1]]),
        "".join(ours[chunk.ours[0] : chunk.ours[1]]),
        "".join(theirs[chunk.theirs[0] : chunk.theirs[1]]),
    )


def merge_regions(base: str, ours: str, theirs: str) -> tuple[Clean | Conflict, ...]:
    """The merge as a sequence of clean stretches and conflicts, in text order.

    Consecutive clean stretches are joined, so Clean and Conflict alternate.
    """
    b, o, t = tokenize(base), tokenize(ours), tokenize(theirs)
    regions: list[Clean | Conflict] = []
    clean: list[str] = []  # pieces of the clean stretch being built, joined once
    for chunk in _chunks(b, o, t):
        base_text, ours_text, theirs_text = _texts(chunk, b, o, t)
        if chunk.stable or theirs_text == base_text:
            clean.append(ours_text)
        elif ours_text in (base_text, theirs_text):
            clean.append(theirs_text)
        else:
            if any(clean):
                regions.append(Clean("".join(clean)))
            clean = []
            regions.append(Conflict(base_text, ours_text, theirs_text))
    if any(clean):
        regions.append(Clean("".join(clean)))
    return tuple(regions)


def merge_texts(base: str, ours: str, theirs: str) -> MergeResult:
    """Merge ``ours`` and ``theirs``, both descended from ``base``."""
    regions = merge_regions(base, ours, theirs)
    conflicts = tuple(r for r in regions if isinstance(r, Conflict))
    if conflicts:
        return MergeResult(text=None, conflicts=conflicts)
    return MergeResult(text="".join(r.text for r in regions if isinstance(r, Clean)), conflicts=())


# --- Reviewing a remix region by region -------------------------------------
#
# When a remix is brought back into the official line, "ours" is the official
# text and "theirs" the remix. Only what the remix changed needs a decision, so
# the text is cut into Settled stretches (the remix left the base alone there:
# the official text stands, including whatever the official line changed) and
# numbered Regions (the remix changed the base there).


@dataclass(frozen=True, slots=True)
class Settled:
    """A stretch the remix did not touch; ``text`` is the official one."""

    text: str


@dataclass(frozen=True, slots=True)
class Region:
    """A stretch the remix changed.

    ``kind`` is "clean" when the official line still has the base text there (or
    already has the remix's text), "conflict" when both changed it differently.
    """

    index: int
    kind: Literal["clean", "conflict"]
    base: str
    ours: str
    theirs: str


Segment = Settled | Region


# Choices are small value objects rather than magic strings: a literal
# replacement text can then never be mistaken for the words "take" or "leave".
@dataclass(frozen=True, slots=True)
class Take:
    """Use the remix's version of the region."""


@dataclass(frozen=True, slots=True)
class Leave:
    """Keep the official version of the region."""


@dataclass(frozen=True, slots=True)
class Replace:
    """Use a text written during the review (the caller normalises it)."""

    text: str


Choice = Take | Leave | Replace


class MissingChoice(ValueError):
    """Conflict regions were left without a choice; ``indexes`` lists them."""

    def __init__(self, indexes: Sequence[int]) -> None:
        self.indexes = tuple(indexes)
        super().__init__(f"no choice for conflict region(s) {list(self.indexes)}")


class UnknownRegion(ValueError):
    """Choices name regions that do not exist (the review screen is stale)."""

    def __init__(self, indexes: Sequence[int]) -> None:
        self.indexes = tuple(indexes)
        super().__init__(f"no region numbered {list(self.indexes)}")


def remix_regions(base: str, ours: str, theirs: str) -> tuple[Segment, ...]:
    """Cut the merge of a remix (``theirs``) into the official line (``ours``).

    Regions are numbered 0..n-1 in text order; Settled stretches are joined and
    never empty, so two Regions are always separated by a Settled one.
    """
    b, o, t = tokenize(base), tokenize(ours), tokenize(theirs)
    segments: list[Segment] = []
    settled: list[str] = []  # pieces of the settled stretch being built
    regions = 0
    for chunk in _chunks(b, o, t):
        base_text, ours_text, theirs_text = _texts(chunk, b, o, t)
        if chunk.stable or theirs_text == base_text:
            settled.append(ours_text)
            continue
        if any(settled):
            segments.append(Settled("".join(settled)))
        settled = []
        kind: Literal["clean", "conflict"] = (
            "clean" if ours_text in (base_text, theirs_text) else "conflict"
        )
        segments.append(Region(regions, kind, base_text, ours_text, theirs_text))
        regions += 1
    if any(settled):
        segments.append(Settled("".join(settled)))
    return tuple(segments)


@dataclass(frozen=True, slots=True)
class RegionSpan:
    """Where region ``index`` of :func:`remix_regions` lies in each of the three texts:
    ``[start, end)`` in code points (an empty span where that side has no text there)."""

    index: int
    base: tuple[int, int]
    ours: tuple[int, int]
    theirs: tuple[int, int]


def region_spans(base: str, ours: str, theirs: str) -> tuple[RegionSpan, ...]:
    """The spans of the regions :func:`remix_regions` numbers, in the same order: what lets a
    review screen place comments and authorship (kept as offsets) in a region."""
    b, o, t = tokenize(base), tokenize(ours), tokenize(theirs)

    def width(tokens: Sequence[str], span: tuple[int, int]) -> int:
        return sum(len(token) for token in tokens[span[0] : span[1]])

    spans: list[RegionSpan] = []
    at_base = at_ours = at_theirs = 0
    for chunk in _chunks(b, o, t):
        base_text, _ours_text, theirs_text = _texts(chunk, b, o, t)
        wide = (width(b, chunk.base), width(o, chunk.ours), width(t, chunk.theirs))
        if not (chunk.stable or theirs_text == base_text):
            spans.append(RegionSpan(len(spans), (at_base, at_base + wide[0]),
                                    (at_ours, at_ours + wide[1]),
                                    (at_theirs, at_theirs + wide[2])))
        at_base, at_ours, at_theirs = at_base + wide[0], at_ours + wide[1], at_theirs + wide[2]
    return tuple(spans)


def assemble(segments: Sequence[Segment], choices: Mapping[int, Choice]) -> str:
    """The text resulting from the reviewer's choices.

    A clean region without a choice is taken (that is what a clean merge would
    do); a conflict region without one raises :class:`MissingChoice`, and a
    choice for a region that does not exist raises :class:`UnknownRegion`.
    """
    regions = [s for s in segments if isinstance(s, Region)]
    unknown = sorted(set(choices) - {r.index for r in regions})
    if unknown:
        raise UnknownRegion(unknown)
    missing = [r.index for r in regions if r.kind == "conflict" and r.index not in choices]
    if missing:
        raise MissingChoice(missing)
    parts = []
    for segment in segments:
        if isinstance(segment, Settled):
            parts.append(segment.text)
            continue
        choice = choices.get(segment.index, Take())
        if isinstance(choice, Take):
            parts.append(segment.theirs)
        elif isinstance(choice, Leave):
            parts.append(segment.ours)
        elif isinstance(choice, Replace):
            parts.append(choice.text)
        else:
            raise TypeError(f"not a Take, Leave or Replace choice: {choice!r}")
    return "".join(parts)


def preview_text(segments: Sequence[Segment]) -> str:
    """What accepting every clean region and no conflicting one would give."""
    return assemble(
        segments,
        {s.index: Leave() for s in segments if isinstance(s, Region) and s.kind == "conflict"},
    )


def fingerprint(segments: Sequence[Segment]) -> str:
    """SHA-256 (hex) of the regions, to tell whether a review screen is stale.

    Settled text is deliberately left out: if the official line changed only
    outside the regions, the reviewer's choices still mean the same thing and
    assembling them against the fresh segments keeps the official change.
    """
    payload = [
        [s.index, s.kind, s.base, s.ours, s.theirs] for s in segments if isinstance(s, Region)
    ]
    # Versioned and canonical JSON: stable across processes and Python versions.
    data = json.dumps(["remix-regions/1", payload], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(data.encode("utf-8", "surrogatepass")).hexdigest()
