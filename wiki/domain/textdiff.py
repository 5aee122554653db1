"""Word-level diffs between two revisions, and their HTML/JSON renderings.

The diff runs diff-match-patch over *tokens* rather than characters: every
distinct token is mapped to one private code point (the trick dmp itself uses
for lines in ``diff_linesToChars``), the encoded strings are diffed, and the
result is mapped back. A reader sees whole words change, never « ch<ins>i</ins>at ».

``Diff_Timeout`` is 0: a timed-out diff depends on the machine's speed, and the
same two revisions must always show the same diff (merges and authorship are
built on it too). Without a timeout, dmp's Myers search costs about the square
of the number of edits, so long inputs are first cut at pieces (a token, or a
few tokens) that occur exactly once on each side, the anchors of "patience
diff"; dmp then only ever sees the small gaps between two anchors. This keeps a
20 000-word body with 400 scattered edits around 0.1 s instead of 0.4 s.
"""

from __future__ import annotations

import html
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from diff_match_patch import diff_match_patch

from wiki.domain.text import TOKEN_PATTERN, count_words

__all__ = [
    "DELETE",
    "EQUAL",
    "INSERT",
    "Delete",
    "Diff",
    "DiffStats",
    "Equal",
    "Insert",
    "Op",
    "align_tokens",
    "diff_stats",
    "diff_to_json",
    "dmp_diff",
    "diff_tokens",
    "diff_words",
    "render_inline",
    "render_side_by_side",
    "tokenize",
]


@dataclass(frozen=True, slots=True)
class Equal:
    text: str


@dataclass(frozen=True, slots=True)
class Insert:
    text: str


@dataclass(frozen=True, slots=True)
class Delete:
    text: str


Op = Equal | Insert | Delete
Diff = tuple[Op, ...]

# dmp's own op codes, used for the token-level results.
EQUAL = diff_match_patch.DIFF_EQUAL
INSERT = diff_match_patch.DIFF_INSERT
DELETE = diff_match_patch.DIFF_DELETE

# Gaps shorter than this (in tokens, on the longer side) go straight to dmp: the
# Myers search is cheap there and gives the minimal diff, while anchoring would
# only risk a less natural alignment for no speed gain.
_ANCHOR_MIN_TOKENS = 400
# Each level of anchoring looks for pieces unique *within the gap*; a few levels
# are enough in practice and the cap keeps the recursion shallow on odd input.
_ANCHOR_MAX_DEPTH = 6
# Anchor sizes in tokens: one token, about two words, about eight words.
_ANCHOR_GRAMS = (1, 4, 16)


def tokenize(text: str) -> list[str]:
    """Words, runs of spaces/tabs, single newlines and single other characters.

    See :mod:`wiki.domain.text` for what a word is. ``"".join(tokenize(t)) == t``.
    """
    return TOKEN_PATTERN.findall(text)


class _WorkBudget:
    """A deterministic stand-in for dmp's deadline.

    Without a timeout, Myers' search costs about the square of the number of
    edits: two unrelated 20 000-word texts would take minutes, and anyone can
    save such a revision. A wall-clock timeout would bound that but make the
    result depend on the machine's load. dmp checks its deadline once per step
    of ``diff_bisect`` as ``time.time() > deadline``; this object answers that
    comparison (through ``__lt__``, the reflected operator) by counting work
    instead: step ``d`` of a bisection explores about ``2d`` diagonals. Once
    the budget is spent, dmp does what it does on timeout: the sub-problem at
    hand, and every later one, becomes one deletion plus one insertion. The
    result is still a correct diff, only a coarser one, and always the same.
    """

    __slots__ = ("left", "step")

    def __init__(self, work: int) -> None:
        self.left = work
        self.step = 0

    def __lt__(self, now: object) -> bool:
        self.left -= 2 * self.step + 1
        self.step += 1
        return self.left < 0


# Roughly 0.2 s of bisection in CPython on these machines (measured: 1 000 000
# units took 2.4 s under load, so a hostile save, which diffs twice — stats and
# authorship —, could not answer within 2 s). Ordinary edits never get close: a
# 20 000-word body with 400 scattered edits uses a few thousand units once
# anchored; only texts that cannot be anchored (unrelated rewrites, hostile
# input) reach it, and get a correct but coarser diff.
_WORK_BUDGET = 200_000


class _BudgetedDmp(diff_match_patch):
    def diff_bisect(self, text1: str, text2: str, deadline: object) -> list[tuple[int, str]]:
        if isinstance(deadline, _WorkBudget):
            deadline.step = 0  # a new bisection starts again at d = 0
        return super().diff_bisect(text1, text2, deadline)


def _new_dmp() -> _BudgetedDmp:
    dmp = _BudgetedDmp()
    # No wall-clock timeout (it would make diffs machine-dependent), which also
    # disables dmp's half-match shortcut, itself not guaranteed minimal.
    dmp.Diff_Timeout = 0
    return dmp


def dmp_diff(a: str, b: str, budget: int = _WORK_BUDGET) -> list[tuple[int, str]]:
    """Character-level ``diff_main(a, b)`` (no line mode), deterministic and
    bounded in time by a work budget (see ``_WorkBudget``); dmp tuples."""
    return _new_dmp().diff_main(a, b, False, _WorkBudget(budget))


# Code points handed out to tokens, in this order. Letters first (CJK and Hangul
# blocks, all alphanumeric for ``str.isalnum``): dmp's semantic cleanup slides an
# edit sideways to the best-looking boundary, judging characters by
# isalnum/isspace, so word tokens must look like letters for it to prefer
# « le <ins>gros </ins>chat » as it would on plain text. Then the private-use
# areas, then anything else that is neither ASCII (kept for the tokens encoded
# as themselves, see _Codebook) nor a surrogate: past a hundred thousand
# distinct words, only the cosmetic boundary choice suffers.
_LETTER_RANGES = (
    (0x4E00, 0xA000),
    (0x3400, 0x4DC0),
    (0xAC00, 0xD7A4),
    (0x20000, 0x2A6E0),
    (0x2A700, 0x2B739),
    (0x2B740, 0x2B81E),
    (0x2B820, 0x2CEA2),
    (0x2CEB0, 0x2EBE1),
    (0x30000, 0x3134B),
)
_PRIVATE_USE_RANGES = ((0xE000, 0xF900), (0xF0000, 0x110000))


def _remaining_ranges(taken: Sequence[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    excluded = sorted([*taken, (0, 0x80), (0xD800, 0xE000)])
    free, cursor = [], 0
    for lo, hi in excluded:
        if lo > cursor:
            free.append((cursor, lo))
        cursor = max(cursor, hi)
    if cursor < 0x110000:
        free.append((cursor, 0x110000))
    return tuple(free)


_CODE_RANGES = (
    *_LETTER_RANGES,
    *_PRIVATE_USE_RANGES,
    *_remaining_ranges(_LETTER_RANGES + _PRIVATE_USE_RANGES),
)


def _code_point(n: int) -> str:
    """The n-th code point handed out to a token (see ``_CODE_RANGES``)."""
    for lo, hi in _CODE_RANGES:
        if n < hi - lo:
            return chr(lo + n)
        n -= hi - lo
    raise OverflowError("too many distinct tokens")


class _Codebook:
    """Token <-> single code point mapping shared by the texts being compared.

    Single ASCII non-alphanumeric tokens (space, newline, punctuation) are encoded
    as themselves, so that dmp's boundary scoring recognises line breaks, blank
    lines and sentence ends. Every other token gets a code point from
    :func:`_code_point`, never ASCII, so the two families cannot collide.
    """

    def __init__(self) -> None:
        self._codes: dict[str, str] = {}
        self.tokens: dict[str, str] = {}

    def encode(self, tokens: Sequence[str]) -> str:
        codes = self._codes
        # dict.fromkeys: distinct tokens in first-seen order, so codes are handed
        # out deterministically, and the per-token work stays in C.
        for token in dict.fromkeys(tokens):
            if token in codes:
                continue
            if len(token) == 1 and token.isascii() and not token.isalnum():
                code = token
            else:
                code = _code_point(len(codes))
            codes[token] = code
            self.tokens[code] = token
        return "".join(map(codes.__getitem__, tokens))


def _longest_chain(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Longest subsequence of ``pairs`` (sorted by first item) increasing in the
    second item, by patience sorting; ties go to the earliest pairs."""
    tails: list[int] = []  # tails[k]: smallest b-index ending a chain of k + 1
    tail_pair: list[int] = []
    back = [-1] * len(pairs)
    for n, (_, j) in enumerate(pairs):
        k = bisect_left(tails, j)
        if k == len(tails):
            tails.append(j)
            tail_pair.append(n)
        else:
            tails[k] = j
            tail_pair[k] = n
        back[n] = tail_pair[k - 1] if k else -1
    chain = []
    n = tail_pair[-1] if tail_pair else -1
    while n != -1:
        chain.append(pairs[n])
        n = back[n]
    chain.reverse()
    return chain


def _unique_grams(s: str, k: int) -> dict[str, int]:
    """Position of every k-gram of ``s`` that occurs exactly once."""
    seen: dict[str, int] = {}
    for i in range(len(s) - k + 1):
        gram = s[i : i + k]
        seen[gram] = -1 if gram in seen else i
    return {gram: i for gram, i in seen.items() if i >= 0}


def _anchor_spans(a: str, b: str) -> list[tuple[int, int, int]]:
    """Matching spans ``(i, j, length)`` to split a long diff on, possibly empty.

    Patience-diff anchors: a piece of text that occurs exactly once on each side
    almost certainly is the same passage, and the longest order-preserving chain
    of such pieces is the backbone of the alignment. Single tokens are tried
    first, ignoring ASCII ones (spaces, newlines, punctuation: too common to
    mean anything when unique). Prose with a small vocabulary may have no unique
    token at all, so short token sequences (a couple of words, then a phrase)
    are tried next.
    """
    for k in _ANCHOR_GRAMS:
        grams_b = _unique_grams(b, k)
        pairs = [
            (i, grams_b[gram])
            for gram, i in _unique_grams(a, k).items()
            if gram in grams_b and (k > 1 or not gram.isascii())
        ]
        if not pairs:
            continue
        pairs.sort()
        spans: list[tuple[int, int, int]] = []
        end_i = end_j = 0
        for i, j in _longest_chain(pairs):
            if i >= end_i and j >= end_j:
                spans.append((i, j, k))
            elif spans and i - j == end_i - end_j:
                # Overlapping k-grams on the same diagonal: one longer match.
                si, sj, _ = spans[-1]
                spans[-1] = (si, sj, i + k - si)
            else:
                continue
            end_i, end_j = i + k, j + k
        return spans
    return []


def _diff_gap(
    dmp: diff_match_patch, a: str, b: str, depth: int, anchor_min: int, budget: _WorkBudget
) -> Iterator[tuple[int, str]]:
    if depth >= _ANCHOR_MAX_DEPTH or not a or not b or max(len(a), len(b)) < anchor_min:
        yield from dmp.diff_main(a, b, False, budget)
        return
    # Shared ends first: they would otherwise hide the unique pieces they hold.
    head = dmp.diff_commonPrefix(a, b)
    if head:
        yield (EQUAL, a[:head])
        a, b = a[head:], b[head:]
    tail = dmp.diff_commonSuffix(a, b)
    tail_text = a[len(a) - tail :] if tail else ""
    if tail:
        a, b = a[:-tail], b[:-tail]
    spans = _anchor_spans(a, b) if a and b else []
    if not spans:
        yield from dmp.diff_main(a, b, False, budget)
    else:
        i = j = 0
        for si, sj, length in spans:
            yield from _diff_gap(dmp, a[i:si], b[j:sj], depth + 1, anchor_min, budget)
            yield (EQUAL, a[si : si + length])
            i, j = si + length, sj + length
        yield from _diff_gap(dmp, a[i:], b[j:], depth + 1, anchor_min, budget)
    if tail_text:
        yield (EQUAL, tail_text)


def _diff_codes(
    a: str,
    b: str,
    anchor_min: int = _ANCHOR_MIN_TOKENS,
    budget: int = _WORK_BUDGET,
    *,
    readable: bool = True,
) -> list[tuple[int, str]]:
    """dmp diff of two encoded strings, semantically cleaned, as dmp tuples.

    ``anchor_min`` and ``budget`` exist so that tests can drive the anchoring
    and the budget paths with small inputs; production code keeps the defaults.
    With ``readable=False`` only coincidences next to a rewrite are folded, and
    nothing is shifted sideways (see :func:`align_tokens`).
    """
    if a == b:
        return [(EQUAL, a)] if a else []
    dmp = _new_dmp()
    diffs = _coalesce(_diff_gap(dmp, a, b, 0, anchor_min, _WorkBudget(budget)))
    if not readable:
        return _coalesce(_eliminate_small_equalities(diffs, next_to_a_rewrite=True))
    # dmp's cleanups edit their list in place (inserting, deleting, and backing up
    # after each elimination) and go quadratic on diffs of thousands of pieces,
    # such as two unrelated texts sharing many small words. The bulk of the
    # semantic cleanup is therefore done first in linear time, leaving dmp's
    # pass little more than its sideways shifts and overlap detection.
    diffs = _eliminate_small_equalities(diffs)
    dmp.diff_cleanupMerge(diffs)
    dmp.diff_cleanupSemantic(diffs)
    # The semantic cleanup can leave an emptied edit between two equalities.
    return _coalesce(diffs)


class _Block:
    """Consecutive edits ``diffs[first:last + 1]`` (equalities folded in count as
    both deleted and inserted)."""

    __slots__ = ("deleted", "first", "inserted", "last")

    def __init__(self, first: int) -> None:
        self.first = self.last = first
        self.deleted = self.inserted = 0

    @property
    def rewrites(self) -> bool:
        return bool(self.deleted and self.inserted)


def _eliminate_small_equalities(
    diffs: list[tuple[int, str]], *, next_to_a_rewrite: bool = False
) -> list[tuple[int, str]]:
    """dmp's semantic-cleanup rule, in linear time.

    An equality no longer than the edits on each side of it (the longer of the
    deletion and the insertion, on each side) is a coincidence, not a shared
    passage: it is folded into the surrounding edits, which may make the
    previous equality foldable in turn. Edit blocks are kept as ranges of
    ``diffs`` with their deleted and inserted lengths; texts are joined once at
    the end.

    With ``next_to_a_rewrite``, an equality is only folded if the edits on at
    least one of its sides both delete and insert: between pure insertions or
    pure deletions (or one of each), the text around it was only added to or cut
    from, and the equality is surely the old text, however short.
    """
    # Alternating edit blocks and equalities (an index into diffs).
    stack: list[_Block | int] = []
    for n, (op, codes) in enumerate(diffs):
        if op == EQUAL:
            stack.append(n)
            continue
        block = stack[-1] if stack else None
        if not isinstance(block, _Block):
            block = _Block(n)
            stack.append(block)
        block.last = n
        if op == DELETE:
            block.deleted += len(codes)
        else:
            block.inserted += len(codes)
        while len(stack) >= 3:
            left, equality, right = stack[-3], stack[-2], stack[-1]
            if not (
                isinstance(left, _Block) and isinstance(equality, int) and isinstance(right, _Block)
            ):
                break
            size = len(diffs[equality][1])
            if size > max(left.deleted, left.inserted) or size > max(right.deleted, right.inserted):
                break
            if next_to_a_rewrite and not (left.rewrites or right.rewrites):
                break
            left.last = right.last
            left.deleted += size + right.deleted
            left.inserted += size + right.inserted
            del stack[-2:]
    out: list[tuple[int, str]] = []
    for item in stack:
        if isinstance(item, int):
            out.append(diffs[item])
            continue
        pieces = diffs[item.first : item.last + 1]
        deleted = "".join(codes for op, codes in pieces if op != INSERT)
        inserted = "".join(codes for op, codes in pieces if op != DELETE)
        out.extend((kind, text) for kind, text in ((DELETE, deleted), (INSERT, inserted)) if text)
    return out


def _coalesce(diffs: Iterable[tuple[int, str]]) -> list[tuple[int, str]]:
    """Drop empty dmp tuples and join consecutive tuples of one op."""
    out: list[tuple[int, str]] = []
    for op, codes in diffs:
        if not codes:
            continue
        if out and out[-1][0] == op:
            out[-1] = (op, out[-1][1] + codes)
        else:
            out.append((op, codes))
    return out


def diff_tokens(a_tokens: Sequence[str], b_tokens: Sequence[str]) -> tuple[tuple[int, int], ...]:
    """The word diff at token granularity: ``((op, count), ...)``.

    ``op`` is 0 (equal), 1 (insert) or -1 (delete), as in diff-match-patch, and
    ``count`` a number of tokens. This is the same alignment :func:`diff_words`
    shows, exposed for the 3-way merge, which needs token positions. Raises
    ``OverflowError`` past about 1.1 million distinct tokens (megabytes of text).
    """
    book = _Codebook()
    a, b = book.encode(a_tokens), book.encode(b_tokens)
    return tuple((op, len(codes)) for op, codes in _diff_codes(a, b))


def align_tokens(a_tokens: Sequence[str], b_tokens: Sequence[str]) -> tuple[tuple[int, int], ...]:
    """The alignment :func:`diff_tokens` starts from, for authorship.

    Same form as :func:`diff_tokens`. The readers' diff folds any short shared
    piece between two edits into one replacement, because « [-le, le-][+AJOUT
    le, AJOUT le AJOUT+] » reads better than a confetti of small edits; but
    there the two « le » were never touched, only written around. Here a short
    piece is folded only next to a rewrite (see
    :func:`_eliminate_small_equalities`), where it is likely a coincidence,
    such as the full stops of a paragraph written anew; between pure insertions
    or pure deletions it stays equal. Nothing is shifted sideways either.
    Raises ``OverflowError`` like :func:`diff_tokens`.
    """
    book = _Codebook()
    a, b = book.encode(a_tokens), book.encode(b_tokens)
    return tuple((op, len(codes)) for op, codes in _diff_codes(a, b, readable=False))


def _merge_ops(ops: Iterable[Op]) -> Diff:
    merged: list[Op] = []
    for op in ops:
        if not op.text:
            continue
        if merged and type(merged[-1]) is type(op):
            merged[-1] = type(op)(merged[-1].text + op.text)
        else:
            merged.append(op)
    return tuple(merged)


def _char_diff(a: str, b: str) -> Diff:
    """Character-level fallback, only for texts with more distinct tokens than
    there are code points to encode them with (megabytes of text)."""
    dmp = _new_dmp()
    diffs = dmp_diff(a, b)
    dmp.diff_cleanupSemantic(diffs)
    kinds = {EQUAL: Equal, INSERT: Insert, DELETE: Delete}
    return _merge_ops(kinds[op](text) for op, text in diffs)


def diff_words(a: str, b: str) -> Diff:
    """Word-level diff from ``a`` to ``b``.

    Joining the Equal and Delete texts gives ``a``; joining Equal and Insert
    texts gives ``b``. Adjacent operations of one kind are merged and no
    operation is empty; a deletion comes before the insertion replacing it.
    """
    if a == b:
        return (Equal(a),) if a else ()
    a_tokens, b_tokens = tokenize(a), tokenize(b)
    book = _Codebook()
    try:
        a_codes, b_codes = book.encode(a_tokens), book.encode(b_tokens)
    except OverflowError:
        return _char_diff(a, b)
    tokens = book.tokens
    kinds = {EQUAL: Equal, INSERT: Insert, DELETE: Delete}
    return _merge_ops(
        kinds[op]("".join([tokens[c] for c in codes]))
        for op, codes in _diff_codes(a_codes, b_codes)
    )


@dataclass(frozen=True, slots=True)
class DiffStats:
    inserted_words: int
    deleted_words: int


def diff_stats(diff: Diff) -> DiffStats:
    """Words inserted and deleted (a replaced word counts once in each)."""
    inserted = sum(count_words(op.text) for op in diff if isinstance(op, Insert))
    deleted = sum(count_words(op.text) for op in diff if isinstance(op, Delete))
    return DiffStats(inserted_words=inserted, deleted_words=deleted)


# The bracketed markers are visually hidden but read by screen readers and kept
# by copy-paste, so a change is understandable without seeing the colours.
_INS_OPEN = '<ins class="diff-ins"><span class="visually-hidden">[+</span>'
_INS_CLOSE = '<span class="visually-hidden">+]</span></ins>'
_DEL_OPEN = '<del class="diff-del"><span class="visually-hidden">[\u2212</span>'
_DEL_CLOSE = '<span class="visually-hidden">\u2212]</span></del>'


def _render(diff: Diff, show: tuple[type, ...]) -> str:
    parts = []
    for op in diff:
        if not isinstance(op, show):
            continue
        text = html.escape(op.text)
        if isinstance(op, Insert):
            parts.append(f"{_INS_OPEN}{text}{_INS_CLOSE}")
        elif isinstance(op, Delete):
            parts.append(f"{_DEL_OPEN}{text}{_DEL_CLOSE}")
        else:
            parts.append(text)
    return "".join(parts)


def render_inline(diff: Diff) -> str:
    """Both texts interleaved: HTML-escaped, changes wrapped in ``<ins>``/``<del>``.

    Newlines are kept as ``\\n``; the page displays them with ``white-space:
    pre-wrap``.
    """
    return _render(diff, (Equal, Insert, Delete))


def render_side_by_side(diff: Diff) -> tuple[str, str]:
    """``(old, new)``: the old text with its deletions marked, the new text with
    its insertions marked, same markup as :func:`render_inline`."""
    return _render(diff, (Equal, Delete)), _render(diff, (Equal, Insert))


def diff_to_json(diff: Diff) -> list[dict[str, str]]:
    """``[{"op": "equal" | "insert" | "delete", "text": ...}, ...]`` for the API."""
    names = {Equal: "equal", Insert: "insert", Delete: "delete"}
    return [{"op": names[type(op)], "text": op.text} for op in diff]
