"""Comments anchored to a passage of a revision's Markdown body.

An anchor stores the quoted passage with a little of the text around it (the
W3C Web Annotation "text quote selector"), not offsets: offsets are meaningless
in the next revision, while the words themselves usually survive. Offsets in
this module are code points into the body, end exclusive.
"""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Literal

from diff_match_patch import diff_match_patch

from wiki.domain.textdiff import dmp_diff

__all__ = [
    "Anchor",
    "Located",
    "RenderedText",
    "find_quote",
    "find_rendered_quote",
    "locate",
    "make_anchor",
]


@dataclass(frozen=True, slots=True)
class Anchor:
    quote: str
    prefix: str
    suffix: str


@dataclass(frozen=True, slots=True)
class Located:
    """Where an anchor's passage is in a body.

    ``status`` is "found" (the exact quote), "changed" (a slightly different
    passage at the expected place; ``quote`` is the text now there) or "removed"
    (``start``, ``end`` and ``quote`` are None).
    """

    status: Literal["found", "changed", "removed"]
    start: int | None
    end: int | None
    quote: str | None


_REMOVED = Located("removed", None, None, None)
# How much longer than twice the quote a rewritten passage may grow and still be
# taken for the passage when it sits between the intact prefix and suffix.
_SLACK = 16


def _dmp() -> diff_match_patch:
    # Default Match_Threshold (0.5), Match_Distance (1000), Match_MaxBits (32).
    return diff_match_patch()


def make_anchor(body: str, start: int, end: int, context: int = 32) -> Anchor:
    """Anchor for ``body[start:end]`` with up to ``context`` code points each side."""
    if not 0 <= start < end <= len(body):
        raise ValueError(f"[{start}, {end}) is not a non-empty passage of the body")
    if context < 0:
        raise ValueError("context cannot be negative")
    return Anchor(
        quote=body[start:end],
        prefix=body[max(0, start - context) : start],
        suffix=body[end : end + context],
    )


def find_quote(body: str, quote: str, prefix: str = "", suffix: str = "") -> tuple[int, int] | None:
    """``(start, end)`` of an exact occurrence of ``quote``, or None.

    With several occurrences, the one whose surroundings share the most
    characters with ``prefix`` (just before it) and ``suffix`` (just after)
    wins; on equal scores, the first one.
    """
    if not quote:
        return None
    dmp = _dmp()
    best: tuple[int, int] | None = None
    best_score = -1
    at = body.find(quote)
    while at != -1:
        end = at + len(quote)
        score = 0
        if prefix:
            score += dmp.diff_commonSuffix(body[max(0, at - len(prefix)) : at], prefix)
        if suffix:
            score += dmp.diff_commonPrefix(body[end : end + len(suffix)], suffix)
        if score > best_score:
            best, best_score = (at, end), score
        if not prefix and not suffix:
            break  # nothing can beat the first occurrence
        at = body.find(quote, at + 1)
    return best


def _expected_start(anchor: Anchor, body: str) -> int:
    """Where the passage should begin: after its prefix, else before its suffix."""
    if anchor.prefix:
        # The quote's own start, though edited, helps choose among repeated prefixes.
        span = find_quote(body, anchor.prefix, suffix=anchor.quote)
        if span is not None:
            return span[1]
    if anchor.suffix:
        span = find_quote(body, anchor.suffix, prefix=anchor.quote)
        if span is not None:
            return max(0, span[0] - len(anchor.quote))
    return 0


def _between_context(anchor: Anchor, body: str) -> tuple[int, int] | None:
    """The span between the intact prefix and suffix, if both are still there.

    Empty context means the passage touched that end of the body. The span must
    stay comparable in length to the quote, so that a prefix and a suffix found
    far apart do not pass for the passage's surroundings.
    """
    if not anchor.prefix and not anchor.suffix:
        return None
    start = 0
    if anchor.prefix:
        span = find_quote(body, anchor.prefix, suffix=anchor.quote)
        if span is None:
            return None
        start = span[1]
    end = len(body)
    if anchor.suffix:
        end = body.find(anchor.suffix, start)
        if end == -1:
            return None
    if not 0 < end - start <= 2 * len(anchor.quote) + _SLACK:
        return None
    return start, end


def _is_word_char(ch: str) -> bool:
    return ch.isalnum()


def _snap_to_words(anchor: Anchor, body: str, start: int, end: int) -> tuple[int, int]:
    """Widen a fuzzy span to whole words where the quote began/ended on a word
    boundary: bitap locates by substitutions, so it may start or stop mid-word
    (« uvelle révision est conse » for « nouvelle révision est conservée »)."""
    quote = anchor.quote
    if _is_word_char(quote[0]) and not (anchor.prefix and _is_word_char(anchor.prefix[-1])):
        while start > 0 and _is_word_char(body[start - 1]) and _is_word_char(body[start]):
            start -= 1
    if _is_word_char(quote[-1]) and not (anchor.suffix and _is_word_char(anchor.suffix[0])):
        while end < len(body) and _is_word_char(body[end - 1]) and _is_word_char(body[end]):
            end += 1
    return start, end


def _similar(dmp: diff_match_patch, quote: str, candidate: str) -> bool:
    """Whether at most half of the quote was edited into ``candidate``.

    The same 0.5 tolerance as dmp's Match_Threshold; it catches the case where the
    fuzzy search latched onto unrelated text because the passage is gone.
    """
    allowed = len(quote) // 2
    if abs(len(candidate) - len(quote)) > allowed:
        return False  # cheap bound: the edit distance is at least the length gap
    # dmp_diff: bounded in time even for a paragraph-long quote; if its work
    # budget runs out the diff is coarser, the distance overestimated, and the
    # passage reported removed rather than the request stalled.
    return dmp.diff_levenshtein(dmp_diff(quote, candidate)) <= allowed


def locate(anchor: Anchor, body: str) -> Located:
    """Find an anchor's passage in a (possibly newer) body.

    1. The exact quote: "found".
    2. The prefix and the suffix both intact around a passage of comparable
       length: that passage, rewritten, is "changed". This is the common case of
       an edit inside the quote and gives exact boundaries.
    3. diff-match-patch's fuzzy ``match_main`` (Match_Threshold 0.5,
       Match_Distance 1000) near the end of the prefix (or before the suffix,
       or at 0). It takes patterns of at most Match_MaxBits = 32 code points and
       only reports where a match starts, so the first 32 code points of the
       quote give the start, the last 32 matched backwards (on the reversed
       strings) give the end, and the passage is the span between, widened to
       whole words. It is "changed" if at most half of the quote was edited.
    4. Otherwise "removed".
    """
    quote = anchor.quote
    if not quote:
        return _REMOVED
    span = find_quote(body, quote, anchor.prefix, anchor.suffix)
    if span is not None:
        return Located("found", span[0], span[1], quote)

    span = _between_context(anchor, body)
    if span is not None:
        return Located("changed", span[0], span[1], body[span[0] : span[1]])

    dmp = _dmp()
    bits = dmp.Match_MaxBits
    start = dmp.match_main(body, quote[:bits], _expected_start(anchor, body))
    if start == -1:
        return _REMOVED
    expected_end = min(len(body), start + len(quote))
    reversed_end = dmp.match_main(body[::-1], quote[::-1][:bits], len(body) - expected_end)
    end = len(body) - reversed_end if reversed_end != -1 else expected_end
    if end <= start:
        end = expected_end
    start, end = _snap_to_words(anchor, body, start, end)
    candidate = body[start:end]
    if not candidate or not _similar(dmp, quote, candidate):
        return _REMOVED
    return Located("changed", start, end, candidate)


# ---------------------------------------------------------------------------------------------
# A passage selected in the rendered page, found in the Markdown body

# Elements that start a new line of text in the page: a selection across them reads as a
# line break, which becomes one space like every other run of white space.
_BLOCKS = frozenset(
    "address blockquote br dd div dl dt figcaption figure h1 h2 h3 h4 h5 h6 hr li ol p pre "
    "section table tbody td tfoot th thead tr ul".split()
)


class _TextOf(HTMLParser):
    """The text a reader sees in an HTML fragment (entities decoded, tags dropped)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in _BLOCKS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCKS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def _squash(value: str) -> str:
    """Every run of white space (no-break and narrow no-break spaces included) as one space,
    none at the ends."""
    return " ".join(value.split())


def _squash_edges(value: str) -> str:
    """Like :func:`_squash`, but a space at either end is kept (context around a quote)."""
    if not value:
        return ""
    inner = " ".join(value.split())
    if not inner:
        return " "
    return (" " if value[0].isspace() else "") + inner + (" " if value[-1].isspace() else "")


def find_rendered_quote(body: str, html: str, quote: str, prefix: str = "",
                        suffix: str = "") -> tuple[int, int] | None:
    """``(start, end)`` in the Markdown ``body`` of a passage a reader selected in ``html``, the
    body's rendering, or None.

    A selection in the page is rendered text: it lacks the Markdown syntax it spans (``**``,
    ``_``, ``### ``, ``[…](…)``), has the typography the renderer added (narrow no-break
    spaces before « ; ! ? » and inside guillemets) and line breaks where blocks meet. So the
    passage is looked for in the page's text, white space squashed on both sides
    (``prefix``/``suffix``, the page's text around the selection, break ties as in
    :func:`find_quote`), and its two ends are carried back to the body through a
    character-level alignment of the page's text with the body. The span returned starts at
    the passage's first character and ends after its last one, and holds whatever syntax lies
    between (« du **gras** ici »).
    """
    wanted = _squash(quote).strip()
    if not wanted or not body or not html:
        return None
    parser = _TextOf()
    parser.feed(html)
    parser.close()
    page = _squash("".join(parser.parts))
    span = find_quote(page, wanted, _squash_edges(prefix), _squash_edges(suffix))
    if span is None:
        return None
    dmp = _dmp()
    diffs = dmp_diff(page, body)
    start = dmp.diff_xIndex(diffs, span[0])
    end = dmp.diff_xIndex(diffs, span[1] - 1) + 1
    if not 0 <= start < end <= len(body):
        return None
    # The alignment is bounded in time; on a coarse one the ends may drift: refuse rather than
    # anchor the comment to other words.
    if body[start] != wanted[0] or body[end - 1] != wanted[-1]:
        return None
    return start, end


class RenderedText:
    """A body's rendering as a reader sees it, aligned with the body once, so that passages
    (offsets in the body) can be shown in the page.

    :meth:`passage` answers what the page shows of ``body[start:end]`` (no Markdown syntax,
    the page's typography) and which occurrence of it, counted without white space, is the
    one: the page's script looks for it in the text nodes ignoring white space (the DOM has
    none where two blocks meet, the parser here puts one).
    """

    def __init__(self, body: str, html: str) -> None:
        parser = _TextOf()
        parser.feed(html)
        parser.close()
        self.body = body
        self.page = _squash("".join(parser.parts))
        self._dmp = _dmp()
        self._diffs = dmp_diff(body, self.page) if body and self.page else []
        self._dense = "".join(self.page.split())

    def passage(self, start: int, end: int) -> tuple[str, int] | None:
        """``(text, occurrence)`` of ``body[start:end]`` in the page, or None if nothing of
        it shows (a passage of Markdown syntax only)."""
        if not self._diffs or not 0 <= start < end <= len(self.body):
            return None
        first = self._dmp.diff_xIndex(self._diffs, start)
        last = self._dmp.diff_xIndex(self._diffs, end - 1) + 1
        text = self.page[first:last].strip()
        dense = "".join(text.split())
        if not dense:
            return None
        before = len("".join(self.page[:first].split()))
        occurrence, at = 0, self._dense.find(dense)
        while at != -1 and at < before:
            occurrence += 1
            at = self._dense.find(dense, at + 1)
        if at == -1:  # the alignment drifted: the first occurrence is the best guess
            occurrence = 0
        return text, occurrence
