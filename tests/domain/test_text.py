from __future__ import annotations

import re
import sys
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wiki.domain import text as text_module
from wiki.domain.text import (
    TOKEN_PATTERN,
    InvalidText,
    count_words,
    decode_utf8,
    is_word,
    normalise_text,
    utf8_size,
)


def test_windows_and_old_mac_line_endings_become_newlines() -> None:
    assert normalise_text("un\r\ndeux\rtrois\n") == "un\ndeux\ntrois\n"


def test_crlf_counts_as_one_line_break_not_two() -> None:
    assert normalise_text("a\r\n\r\nb") == "a\n\nb"


def test_decomposed_accents_are_composed() -> None:
    assert normalise_text("e\u0301te\u0301") == "été"


def test_tabs_and_newlines_are_kept() -> None:
    assert normalise_text("\tun\n\tdeux") == "\tun\n\tdeux"


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x0b", "\x0c", "\x1b", "\x1f", "\x7f"])
def test_control_characters_are_refused_with_their_position(char: str) -> None:
    with pytest.raises(InvalidText) as caught:
        normalise_text("abc" + char + "def")
    assert caught.value.reason == "control_character"
    assert caught.value.position == 3


def test_lone_surrogates_are_refused() -> None:
    with pytest.raises(InvalidText) as caught:
        normalise_text("ab\ud800")
    assert caught.value.reason == "lone_surrogate"
    assert caught.value.position == 2


def test_invalid_text_is_a_value_error() -> None:
    assert issubclass(InvalidText, ValueError)


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_normalising_twice_changes_nothing(raw: str) -> None:
    try:
        once = normalise_text(raw)
    except InvalidText:
        return
    assert normalise_text(once) == once
    assert "\r" not in once
    assert unicodedata.is_normalized("NFC", once)


def test_utf8_is_decoded() -> None:
    assert decode_utf8("définition".encode()) == "définition"


def test_a_leading_byte_order_mark_is_dropped() -> None:
    assert decode_utf8(b"\xef\xbb\xbfabc") == "abc"


@pytest.mark.parametrize("data", [b"\xff", b"abc\xc3", b"\xed\xa0\x80", b"\xc0\xaf"])
def test_invalid_utf8_is_refused(data: bytes) -> None:
    with pytest.raises(InvalidText) as caught:
        decode_utf8(data)
    assert caught.value.reason == "invalid_utf8"


def test_utf8_size_counts_bytes_not_characters() -> None:
    assert utf8_size("") == 0
    assert utf8_size("a") == 1
    assert utf8_size("é") == 2
    assert utf8_size("€") == 3
    assert utf8_size("😀") == 4


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", 0),
        ("  \n\t ", 0),
        ("Le chat, le chien !", 4),
        ("l’évolution", 1),
        ("l'évolution", 1),
        ("c'est aujourd’hui", 2),
        ("peut-être", 1),
        ("« guillemets »", 1),
        ("l’ apostrophe isolée '", 3),
        ("mot- -mot", 2),
        ("3,14", 2),
        ("_emphase_ **gras**", 2),
        ("नमस्ते दुनिया", 2),
        ("e\u0301te\u0301", 1),
    ],
)
def test_words_are_counted_the_french_way(text: str, words: int) -> None:
    assert count_words(text) == words


def test_combining_marks_stay_inside_their_word() -> None:
    assert TOKEN_PATTERN.findall("नमस्ते दुनिया") == ["नमस्ते", " ", "दुनिया"]


def test_the_mark_class_covers_every_combining_mark() -> None:
    # The class is built from a scan of U+0300..U+1FFFF and the variation
    # selectors supplement; check that no mark lives anywhere else.
    marks = [cp for cp in range(sys.maxunicode + 1) if unicodedata.category(chr(cp))[0] == "M"]
    pattern = re.compile(f"[{text_module._MARKS}]")
    assert all(pattern.match(chr(cp)) for cp in marks)


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_word_count_is_the_number_of_word_tokens(text: str) -> None:
    tokens = TOKEN_PATTERN.findall(text)
    assert "".join(tokens) == text
    assert count_words(text) == sum(1 for token in tokens if is_word(token))
