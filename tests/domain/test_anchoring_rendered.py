"""A passage selected in the rendered page is found in the Markdown body it came from."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wiki.domain.anchoring import find_rendered_quote
from wiki.domain.markup import render_markdown

BODY = (
    "« Une stratégie numérique est un **processus de transformation** et de développement. »\n\n"
    "## Pour qui ?\n\n"
    "Pour un _secteur_ d’activité, voir [le billet](https://example.org/billet) original.\n\n"
    "### 1. Un processus\n\n"
    "La notion de processus permet de planifier : A & B.\n\n"
    "### 2. S’adapter\n\n"
    "La notion de survie.\n"
)


@pytest.fixture(scope="module")
def html() -> str:
    return render_markdown(BODY)


def passage(html: str, quote: str, **context: str) -> str | None:
    span = find_rendered_quote(BODY, html, quote, **context)
    return None if span is None else BODY[span[0] : span[1]]


def test_a_selection_across_bold_text_takes_the_markers_between(html) -> None:
    assert passage(html, "est un processus de transformation et de") == (
        "est un **processus de transformation** et de")


def test_a_selection_inside_bold_text_leaves_the_markers_out(html) -> None:
    assert passage(html, "processus de transformation") == "processus de transformation"


def test_the_typography_of_the_page_matches_the_spaces_typed(html) -> None:
    assert "\u202f" in html  # the renderer put narrow no-break spaces in
    assert passage(html, "«\u202fUne stratégie") == "« Une stratégie"
    assert passage(html, "Pour qui\u202f?") == "Pour qui ?"
    assert passage(html, "planifier\u00a0: A") == "planifier : A"


def test_a_selection_across_a_heading_and_its_paragraph(html) -> None:
    # What a browser's selection gives across two blocks: a line break (or two).
    assert passage(html, "Un processus\n\nLa notion de") == "Un processus\n\nLa notion de"
    assert passage(html, "développement.\u202f»\nPour qui") == (
        "développement. »\n\n## Pour qui")


def test_emphasis_and_links_are_spanned(html) -> None:
    assert passage(html, "Pour un secteur d’activité") == "Pour un _secteur_ d’activité"
    assert passage(html, "le billet original") == (
        "le billet](https://example.org/billet) original")


def test_entities_are_read_as_the_characters_they_stand_for(html) -> None:
    assert passage(html, "A & B") == "A & B"


def test_repeated_words_are_told_apart_by_their_surroundings(html) -> None:
    first = find_rendered_quote(BODY, html, "La notion de", suffix=" processus")
    second = find_rendered_quote(BODY, html, "La notion de", suffix=" survie")
    assert first == (BODY.index("La notion de processus"),
                     BODY.index("La notion de processus") + len("La notion de"))
    assert second == (BODY.index("La notion de survie"),
                      BODY.index("La notion de survie") + len("La notion de"))
    assert find_rendered_quote(BODY, html, "La notion de", prefix="S’adapter ") == second


@pytest.mark.parametrize("quote", ["", "   ", "absent du texte", "processus de survie"])
def test_a_passage_that_is_not_in_the_page_is_not_found(html, quote) -> None:
    assert find_rendered_quote(BODY, html, quote) is None


def test_nothing_is_found_without_a_rendering() -> None:
    assert find_rendered_quote(BODY, "", "Pour qui") is None


WORDS = ["alpha", "bêta", "gamma", "delta", "epsilon", "zêta", "êta", "thêta"]
MARKS = ["", "", "**", "_", "`"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(WORDS), st.sampled_from(MARKS)), min_size=2,
                max_size=12), st.data())
def test_any_run_of_words_selected_in_the_page_maps_to_those_words(words, data) -> None:
    body = " ".join(f"{mark}{word}{mark}" for word, mark in words)
    first = data.draw(st.integers(0, len(words) - 1))
    last = data.draw(st.integers(first, len(words) - 1))
    selected = " ".join(word for word, _ in words[first : last + 1])
    before = " ".join(word for word, _ in words[:first])
    span = find_rendered_quote(body, render_markdown(body), selected,
                               prefix=before[-32:] + " " if before else "")
    assert span is not None
    found = body[span[0] : span[1]]
    assert found.startswith(words[first][0]) and found.endswith(words[last][0])
    assert [w for w in found.replace("*", " ").replace("_", " ").replace("`", " ").split()] == [
        word for word, _ in words[first : last + 1]]
