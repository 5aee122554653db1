from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wiki.domain.anchoring import Anchor, Located, find_quote, locate, make_anchor

BODY = (
    "# Définition vivante\n\n"
    "Une définition vivante est écrite par une communauté. Chaque révision est "
    "gardée, et chacun peut proposer un remix du texte. Les remix peuvent être "
    "fusionnés dans la version officielle après relecture."
)
QUOTE = "Chaque révision est gardée"


def anchor_for(quote: str, body: str = BODY) -> Anchor:
    start = body.index(quote)
    return make_anchor(body, start, start + len(quote))


def test_an_anchor_keeps_the_quote_and_its_surroundings() -> None:
    anchor = make_anchor("abcdefghij", 4, 6, context=3)
    assert anchor == Anchor(quote="ef", prefix="bcd", suffix="ghi")


def test_context_is_cut_at_the_ends_of_the_body() -> None:
    assert make_anchor("abcdef", 0, 6) == Anchor(quote="abcdef", prefix="", suffix="")


@pytest.mark.parametrize(("start", "end"), [(3, 3), (4, 2), (-1, 2), (0, 99)])
def test_an_empty_or_out_of_range_passage_cannot_be_anchored(start: int, end: int) -> None:
    with pytest.raises(ValueError):
        make_anchor("abcdef", start, end)


def test_an_untouched_passage_is_found_at_its_new_offset() -> None:
    anchor = anchor_for(QUOTE)
    body = "Préambule ajouté.\n\n" + BODY.replace("écrite", "rédigée à plusieurs")
    located = locate(anchor, body)
    start = body.index(QUOTE)
    assert located == Located("found", start, start + len(QUOTE), QUOTE)


def test_a_slightly_edited_passage_is_changed_with_its_new_text() -> None:
    anchor = anchor_for(QUOTE)
    body = BODY.replace(QUOTE, "Chaque révision reste gardée")
    located = locate(anchor, body)
    assert located.status == "changed"
    assert located.quote == "Chaque révision reste gardée"
    assert (located.start, located.end) == (body.index("Chaque"), body.index(", et chacun"))


def test_an_edited_passage_whose_context_also_changed_is_found_by_fuzzy_matching() -> None:
    anchor = anchor_for(QUOTE)
    body = "Avant-propos.\n\n" + BODY.replace(
        "une communauté. Chaque révision est gardée, et",
        "une grande communauté ; chaque révision est gardée — et",
    )
    located = locate(anchor, body)
    assert located.status == "changed"
    assert located.quote == "chaque révision est gardée"


def test_a_long_passage_is_matched_by_its_first_and_last_32_characters() -> None:
    quote = "chacun peut proposer un remix du texte. Les remix peuvent être fusionnés"
    assert len(quote) > 64
    anchor = anchor_for(quote)
    body = BODY.replace("proposer un remix du texte", "proposer un remix de ce texte")
    body = body.replace("communauté. Chaque révision est gardée, et ", "communauté ; ")
    located = locate(anchor, body)
    assert located.status == "changed"
    assert located.quote == (
        "chacun peut proposer un remix de ce texte. Les remix peuvent être fusionnés"
    )


def test_a_deleted_passage_is_removed() -> None:
    anchor = anchor_for(QUOTE)
    body = BODY.replace("Chaque révision est gardée, et chacun", "Chacun")
    assert locate(anchor, body) == Located("removed", None, None, None)


def test_a_passage_rewritten_beyond_recognition_without_its_context_is_removed() -> None:
    anchor = anchor_for(QUOTE)
    body = BODY.replace("communauté. Chaque révision est gardée, et", "communauté, où")
    assert locate(anchor, body).status == "removed"


def test_a_passage_is_looked_for_in_an_empty_body() -> None:
    assert locate(anchor_for(QUOTE), "").status == "removed"


def test_an_anchor_without_a_quote_locates_nothing() -> None:
    assert locate(Anchor("", "a", "b"), "a b").status == "removed"


def test_repeated_quotes_are_told_apart_by_their_prefix() -> None:
    body = "le chat noir dort. le chien noir court. le chat blanc dort."
    assert find_quote(body, "le chat", prefix="court. ") == (40, 47)
    assert find_quote(body, "le chat") == (0, 7)


def test_repeated_quotes_are_told_apart_by_their_suffix() -> None:
    body = "un mot ici, un mot là, un mot ailleurs"
    assert find_quote(body, "un mot", suffix=" là") == (12, 18)


def test_a_missing_quote_is_not_found() -> None:
    assert find_quote("abc", "x") is None
    assert find_quote("abc", "") is None


def test_the_occurrence_with_the_right_surroundings_is_found_after_edits() -> None:
    body = "Il dit oui. Puis elle dit oui. Enfin ils dirent oui."
    start = body.index("oui", 20)
    anchor = make_anchor(body, start, start + 3, context=8)
    new_body = "Au début, il dit oui. Puis elle dit oui. Enfin ils dirent non."
    located = locate(anchor, new_body)
    assert located.status == "found"
    assert located.start == new_body.index("elle dit oui") + len("elle dit ")


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=1, max_size=200), st.data())
def test_an_anchor_is_found_in_its_own_body(body: str, data: st.DataObject) -> None:
    start = data.draw(st.integers(0, len(body) - 1))
    end = data.draw(st.integers(start + 1, len(body)))
    anchor = make_anchor(body, start, end)
    located = locate(anchor, body)
    assert located.status == "found"
    assert located.start is not None and located.end is not None
    assert body[located.start : located.end] == body[start:end] == located.quote


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet="ab ", max_size=60), st.text(alphabet="ab ", max_size=60))
def test_an_anchor_survives_text_added_around_the_passage(before: str, after: str) -> None:
    anchor = anchor_for(QUOTE)
    body = before + BODY + after
    located = locate(anchor, body)
    start = len(before) + BODY.index(QUOTE)
    assert located == Located("found", start, start + len(QUOTE), QUOTE)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=300), st.text(min_size=1, max_size=40))
def test_locating_always_gives_a_coherent_answer(body: str, quote: str) -> None:
    located = locate(Anchor(quote, "", ""), body)
    if located.status == "removed":
        assert (located.start, located.end, located.quote) == (None, None, None)
    else:
        assert located.start is not None and located.end is not None
        assert 0 <= located.start < located.end <= len(body)
        assert body[located.start : located.end] == located.quote
