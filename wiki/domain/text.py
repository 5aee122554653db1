"""Plain-text hygiene and the one notion of "word" shared by the whole domain.

Every body that enters the wiki goes through :func:`normalise_text`, so that two
revisions which look identical are identical code point for code point: diffs,
merges, authorship runs and comment anchors all count in code points and would
drift apart if a CRLF or a decomposed accent slipped in.

Word notion (used by :func:`count_words` here and by ``textdiff.tokenize``):

* a word is a run of letters and digits (any script, accents included) with their
  combining marks; the underscore is *not* a word character, because in Markdown
  ``_mot_`` is emphasis around a word, not a longer word;
* an apostrophe (``'`` or ``’``) or a hyphen (``-``, U+2010, U+2011) *between two
  word characters* stays inside the word: « l’évolution », « aujourd’hui »,
  « c'est » and « peut-être » are one word each. This is how French word
  processors count them, and a diff that replaces « l’évolution » by
  « l’histoire » reads better as one substituted word than as two half-words;
* everything else (spaces, newlines, punctuation, symbols) is not a word.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = [
    "InvalidText",
    "TOKEN_PATTERN",
    "count_words",
    "decode_utf8",
    "is_word",
    "normalise_text",
    "utf8_size",
]


class InvalidText(ValueError):
    """A text the wiki refuses to store.

    ``reason`` is a stable machine-readable code ("control_character",
    "lone_surrogate", "invalid_utf8") so the web layer can pick a translated
    message; ``position`` is the offending code point (or byte) offset when known.
    """

    def __init__(self, reason: str, message: str, position: int | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.position = position


def _mark_class() -> str:
    """Regex character-class body matching every combining mark (categories M*).

    Python's ``re`` has no ``\\p{M}``, and ``\\w`` excludes marks, which would cut
    words of scripts written with combining vowel signs (Devanagari, Thai, Arabic
    harakat...) or of decomposed Latin text. Marks only live between U+0300 and
    U+1FFFF plus the variation selectors supplement, so scanning that range at
    import (~20 ms) keeps the class in step with the running Unicode database
    instead of a hand-copied table. ZWNJ/ZWJ are added: they join letters inside
    Persian words and emoji sequences.
    """
    ranges: list[tuple[int, int]] = []
    candidates = list(range(0x0300, 0x20000)) + list(range(0xE0100, 0xE01F0))
    for cp in candidates:
        if unicodedata.category(chr(cp)).startswith("M"):
            if ranges and ranges[-1][1] == cp - 1:
                ranges[-1] = (ranges[-1][0], cp)
            else:
                ranges.append((cp, cp))
    ranges += [(0x200C, 0x200D)]
    return "".join(f"\\U{lo:08x}" if lo == hi else f"\\U{lo:08x}-\\U{hi:08x}" for lo, hi in ranges)


_MARKS = _mark_class()
# Written as "letters, then marks and letters" rather than "(letter marks*)+" so
# that the common case, a word without combining marks, is one fast class loop
# (3x faster tokenising on long bodies).
_WORD_PART = rf"[^\W_]+(?:[{_MARKS}]+[^\W_]*)*"
# Apostrophes and hyphens glue two word parts together, never dangle at an edge.
_JOINERS = "'\u2019\u2010\u2011\\-"
_WORD = rf"{_WORD_PART}(?:[{_JOINERS}]{_WORD_PART})*"
# Horizontal white space: tab plus every Zs space, so that the French thin and
# no-break spaces before « ; : ! ? » behave like ordinary spaces.
_SPACE = r"[\t \u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+"

#: Splits any string into word, space-run, newline and single-character tokens.
#: The last alternative matches any character (DOTALL), so the tokens of a string
#: always concatenate back to it, whatever it contains.
TOKEN_PATTERN: re.Pattern[str] = re.compile(rf"{_WORD}|{_SPACE}|\n|.[{_MARKS}]*", re.DOTALL)

_WORD_START = re.compile(r"[^\W_]")
_SURROGATE = re.compile("[\ud800-\udfff]")
# Tab and newline are the only C0 characters a body may hold; CR is gone by the
# time this runs, and DEL is refused with them because it is as invisible.
_FORBIDDEN_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f]")


def is_word(token: str) -> bool:
    """Whether a token produced by :data:`TOKEN_PATTERN` is a word."""
    return _WORD_START.match(token) is not None


def normalise_text(text: str) -> str:
    """Canonical form of a body: ``\\n`` line endings, NFC, no stray controls.

    Raises :class:`InvalidText` for lone surrogates and for C0 control characters
    other than tab and newline (and DEL).
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    # Surrogates first: they cannot be encoded, and NFC leaves them untouched.
    bad = _SURROGATE.search(text)
    if bad is not None:
        raise InvalidText(
            "lone_surrogate",
            f"lone surrogate U+{ord(bad.group()):04X} at position {bad.start()}",
            bad.start(),
        )
    text = unicodedata.normalize("NFC", text)
    bad = _FORBIDDEN_CONTROL.search(text)
    if bad is not None:
        raise InvalidText(
            "control_character",
            f"control character U+{ord(bad.group()):04X} at position {bad.start()}",
            bad.start(),
        )
    return text


def decode_utf8(data: bytes) -> str:
    """Strict UTF-8 decoding; a leading byte-order mark is dropped.

    The BOM is not content: some editors prepend it to saved files, and keeping
    it would make an uploaded body differ from the same body typed in the form.
    """
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidText("invalid_utf8", f"invalid UTF-8 at byte {exc.start}", exc.start) from exc


def utf8_size(text: str) -> int:
    """Size in bytes of the UTF-8 encoding (what size limits are expressed in)."""
    # surrogatepass: a size is still meaningful for a not-yet-validated string,
    # and a size check must not be the place that crashes on one.
    return len(text.encode("utf-8", "surrogatepass"))


def count_words(text: str) -> int:
    """Number of words, as defined in the module docstring."""
    return sum(1 for token in TOKEN_PATTERN.findall(text) if is_word(token))
