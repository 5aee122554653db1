"""Who wrote each character of a revision, stored as runs.

A revision's authorship is a tuple of :class:`Run` covering its text from start
to end: ``length`` code points written by ``author`` (an opaque key such as
"user:3" or "external:0") in revision ``revision_id``. A definition of a few
thousand words usually needs a few dozen runs, where a per-character table
would need tens of thousands of entries.

White space carries no authorship. A run of white space is credited to whoever
wrote the character just before it (the one after it at the very start of the
text): otherwise someone whose words were all deleted could linger as the
author of a lone space, and still be credited. Punctuation, on the other hand,
is written content and keeps its author.

Runs are carried from one revision to the next through the word diff, with two
differences from the diff readers see, both so that every word the editor left
in place keeps its author:

- only the content tokens (words and punctuation) are aligned, white space is
  left out. Aligned too, a space could take the place of a word: « AJOUT le,
  AJOUT le  AJOUT » back to « le, le » shares as many tokens whether the last
  « le » or the space after the second « AJOUT » is the one kept; and a changed
  space would count as a rewrite next to the words around it (see below);
- the alignment (:func:`~wiki.domain.textdiff.align_tokens`) folds a short
  shared piece into the edits around it only next to a rewrite, where it is
  likely a coincidence (the full stops of a paragraph written anew), not
  between pure insertions or deletions as the readers' diff does for
  legibility. Otherwise the words someone merely inserted around would become
  theirs, and deleting all of their words again would leave them credited.

The colouring may thus keep an old author for a word that the history pages
show inside a replaced passage.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import accumulate, groupby
from typing import Any

from wiki.domain.textdiff import DELETE, EQUAL, INSERT, align_tokens, tokenize

__all__ = [
    "Run",
    "Runs",
    "authors_in",
    "carry_authorship",
    "carry_merge",
    "initial_runs",
    "runs_from_json",
    "runs_to_json",
    "segments",
    "shares",
]


@dataclass(frozen=True, slots=True)
class Run:
    length: int
    author: str
    revision_id: int

    def __post_init__(self) -> None:
        if self.length <= 0:
            raise ValueError(f"a run has a positive length, not {self.length}")


Runs = tuple[Run, ...]

_Key = tuple[str, int]  # (author, revision_id)
_Span = tuple[int, int, int]  # (old start, new start, length) of one shared token
_WHITESPACE = re.compile(r"\s+")


def _check(text: str, runs: Runs) -> None:
    total = sum(run.length for run in runs)
    if total != len(text):
        raise ValueError(f"runs cover {total} code points, the text has {len(text)}")


def _from_keys(keys: Iterable[_Key]) -> Runs:
    return tuple(Run(sum(1 for _ in group), *key) for key, group in groupby(keys))


def _keys(runs: Runs) -> list[_Key]:
    """One key per code point: simple to slice and to repaint. Even a long body
    is only some hundred thousand references to a handful of tuples."""
    keys: list[_Key] = []
    for run in runs:
        keys.extend([(run.author, run.revision_id)] * run.length)
    return keys


def _credit_whitespace(text: str, keys: list[_Key]) -> list[_Key]:
    """Apply the white-space rule of the module docstring, in place."""
    for match in _WHITESPACE.finditer(text):
        start, end = match.span()
        if start > 0:
            owner = keys[start - 1]
        elif end < len(text):
            owner = keys[end]
        else:
            break  # nothing but white space: keep whatever was there
        if end - start == 1:  # the usual single space, without a slice copy
            keys[start] = owner
        else:
            keys[start:end] = [owner] * (end - start)
    return keys


def _content_tokens(text: str) -> tuple[list[str], list[int]]:
    """The tokens of ``text`` that are not white space, and where each starts."""
    tokens: list[str] = []
    starts: list[int] = []
    position = 0
    for token in tokenize(text):
        if not token.isspace():
            tokens.append(token)
            starts.append(position)
        position += len(token)
    return tokens, starts


def _shared_tokens(old_text: str, new_text: str) -> Iterator[_Span]:
    """The content tokens ``new_text`` keeps from ``old_text`` (see the module
    docstring), as code-point spans."""
    if old_text == new_text:
        if new_text:
            yield (0, 0, len(new_text))
        return
    old_tokens, old_starts = _content_tokens(old_text)
    new_tokens, new_starts = _content_tokens(new_text)
    try:
        alignment = align_tokens(old_tokens, new_tokens)
    except OverflowError:
        # Over a million distinct tokens, far past any body the wiki accepts:
        # nothing is carried, the new text is all its editor's.
        return
    i = j = 0
    for op, count in alignment:
        if op == EQUAL:
            for n in range(count):
                yield (old_starts[i + n], new_starts[j + n], len(new_tokens[j + n]))
        if op != INSERT:
            i += count
        if op != DELETE:
            j += count


def initial_runs(text: str, author: str, revision_id: int) -> Runs:
    """Authorship of a first revision: everything by its author."""
    return (Run(len(text), author, revision_id),) if text else ()


def carry_authorship(
    old_text: str, old_runs: Runs, new_text: str, author: str, revision_id: int
) -> Runs:
    """Authorship of ``new_text``, a new revision of ``old_text`` by ``author``.

    Unchanged words keep their authors; inserted ones are credited to ``author``
    and ``revision_id``; deleted ones disappear.
    """
    _check(old_text, old_runs)
    old_keys = _keys(old_runs)
    keys: list[_Key] = [(author, revision_id)] * len(new_text)
    for old_start, new_start, size in _shared_tokens(old_text, new_text):
        keys[new_start : new_start + size] = old_keys[old_start : old_start + size]
    return _from_keys(_credit_whitespace(new_text, keys))


def carry_merge(
    text: str,
    first_parent: tuple[str, Runs],
    second_parent: tuple[str, Runs],
    author: str,
    revision_id: int,
) -> Runs:
    """Authorship of a merge revision ``text`` with two parents ``(text, runs)``.

    What the text shares with the first parent keeps the first parent's
    authorship; what it adds to the first parent but shares with the second keeps
    the second parent's; the rest (conflict resolutions, edits made while
    merging) is credited to ``author``.
    """
    first_text, first_runs = first_parent
    second_text, second_runs = second_parent
    _check(first_text, first_runs)
    _check(second_text, second_runs)

    # Start from the second parent's view, then let the first parent's overwrite
    # it wherever the first parent has the text too: same result as asking the
    # first parent first, without intersecting intervals.
    keys: list[_Key] = [(author, revision_id)] * len(text)
    for parent_text, parent_runs in (second_parent, first_parent):
        parent_keys = _keys(parent_runs)
        for old_start, new_start, size in _shared_tokens(parent_text, text):
            keys[new_start : new_start + size] = parent_keys[old_start : old_start + size]
    return _from_keys(_credit_whitespace(text, keys))


def shares(runs: Runs) -> dict[str, float]:
    """Fraction of the text written by each author (by code points), in order of
    first appearance; empty for an empty text."""
    total = sum(run.length for run in runs)
    if not total:
        return {}
    counts: dict[str, int] = {}
    for run in runs:
        counts[run.author] = counts.get(run.author, 0) + run.length
    return {author: count / total for author, count in counts.items()}


def authors_in(runs: Runs) -> list[str]:
    """Authors of the text, in order of first appearance."""
    return list(dict.fromkeys(run.author for run in runs))


def runs_to_json(runs: Runs) -> list[list[Any]]:
    """Compact storage form: ``[[length, author, revision_id], ...]``."""
    return [[run.length, run.author, run.revision_id] for run in runs]


def _is_int(value: object) -> bool:
    # bool is an int subclass; a stored ``true`` is corruption, not 1.
    return isinstance(value, int) and not isinstance(value, bool)


def runs_from_json(data: Any) -> Runs:
    """Inverse of :func:`runs_to_json`; raises ValueError on malformed data."""
    if not isinstance(data, list | tuple):
        raise ValueError("authorship runs must be a list")
    runs = []
    for item in data:
        if (
            not isinstance(item, list | tuple)
            or len(item) != 3
            or not _is_int(item[0])
            or not isinstance(item[1], str)
            or not _is_int(item[2])
        ):
            raise ValueError(f"not a [length, author, revision_id] triple: {item!r}")
        runs.append(Run(item[0], item[1], item[2]))
    return tuple(runs)


def segments(text: str, runs: Runs) -> list[tuple[str, Run]]:
    """The text cut along its runs, to colour it by author."""
    _check(text, runs)
    starts = [0, *accumulate(run.length for run in runs)]
    return [(text[starts[n] : starts[n + 1]], run) for n, run in enumerate(runs)]
