from __future__ import annotations

import html
import random
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wiki.domain import textdiff
from wiki.domain.text import count_words
from wiki.domain.textdiff import (
    Delete,
    Diff,
    DiffStats,
    Equal,
    Insert,
    align_tokens,
    diff_stats,
    diff_to_json,
    diff_tokens,
    diff_words,
    render_inline,
    render_side_by_side,
    tokenize,
)

# Few distinct words, so that the same word shows up in many places and the
# diff has real alignment choices to make.
WORDS = st.sampled_from(["le", "la", "chat", "chien", "l’arbre", "peut-être", "été", "3"])
SEPARATORS = st.sampled_from([" ", " ", " ", ", ", ". ", "\n", "\n\n", "  "])


@st.composite
def prose(draw: st.DrawFn, max_words: int = 30) -> str:
    words = draw(st.lists(WORDS, max_size=max_words))
    seps = draw(st.lists(SEPARATORS, min_size=len(words), max_size=len(words)))
    return "".join(w + s for w, s in zip(words, seps, strict=True))


TEXTS = st.one_of(prose(), st.text(max_size=40))


def old_side(diff: Diff) -> str:
    return "".join(op.text for op in diff if isinstance(op, Equal | Delete))


def new_side(diff: Diff) -> str:
    return "".join(op.text for op in diff if isinstance(op, Equal | Insert))


def assert_well_formed(diff: Diff) -> None:
    assert all(op.text for op in diff)
    assert all(type(x) is not type(y) for x, y in zip(diff, diff[1:], strict=False))


# --- tokenize -----------------------------------------------------------------


def test_tokens_are_words_spaces_newlines_and_single_punctuation() -> None:
    assert tokenize("L’évolution, c'est  beau.\n\nFin") == [
        "L’évolution",
        ",",
        " ",
        "c'est",
        "  ",
        "beau",
        ".",
        "\n",
        "\n",
        "Fin",
    ]


def test_intra_word_hyphens_and_apostrophes_stay_in_the_word() -> None:
    assert tokenize("aujourd’hui peut-être") == ["aujourd’hui", " ", "peut-être"]


def test_dangling_apostrophes_and_hyphens_are_punctuation() -> None:
    assert tokenize("'mot' - x-") == ["'", "mot", "'", " ", "-", " ", "x", "-"]


def test_french_no_break_spaces_are_spaces() -> None:
    assert tokenize("quoi\u202f?\u00a0!") == ["quoi", "\u202f", "?", "\u00a0", "!"]


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_tokens_join_back_to_the_text(text: str) -> None:
    assert "".join(tokenize(text)) == text


# --- diff_words -----------------------------------------------------------------


def test_identical_texts_are_one_equal() -> None:
    assert diff_words("même texte", "même texte") == (Equal("même texte"),)


def test_two_empty_texts_have_an_empty_diff() -> None:
    assert diff_words("", "") == ()


def test_from_and_to_the_empty_text() -> None:
    assert diff_words("", "nouveau texte") == (Insert("nouveau texte"),)
    assert diff_words("ancien texte", "") == (Delete("ancien texte"),)


def test_whole_words_are_replaced_never_letters() -> None:
    assert diff_words("le chat dort", "le chien dort") == (
        Equal("le "),
        Delete("chat"),
        Insert("chien"),
        Equal(" dort"),
    )


def test_an_inserted_word_takes_its_trailing_space() -> None:
    assert diff_words("Le chat noir.", "Le gros chat noir.") == (
        Equal("Le "),
        Insert("gros "),
        Equal("chat noir."),
    )


def test_a_word_with_an_apostrophe_is_replaced_as_a_whole() -> None:
    assert diff_words("l’évolution des espèces", "l’histoire des espèces") == (
        Delete("l’évolution"),
        Insert("l’histoire"),
        Equal(" des espèces"),
    )


def test_the_same_inputs_always_give_the_same_diff() -> None:
    rng = random.Random(7)
    a = " ".join(rng.choice(["un", "deux", "trois", "quatre"]) for _ in range(600))
    b = " ".join(rng.choice(["un", "deux", "trois", "cinq"]) for _ in range(600))
    assert diff_words(a, b) == diff_words(a, b)


def test_an_exhausted_work_budget_still_gives_a_correct_coarser_diff() -> None:
    a = "abcdefghijklmnopqrstuvwxyz" * 2
    b = a.replace("f", "F").replace("p", "P")
    assert textdiff.dmp_diff(a, b) == [
        (textdiff.EQUAL, "abcde"),
        (textdiff.DELETE, "f"),
        (textdiff.INSERT, "F"),
        (textdiff.EQUAL, "ghijklmno"),
        (textdiff.DELETE, "p"),
        (textdiff.INSERT, "P"),
        (textdiff.EQUAL, "qrstuvwxyz" + a[:5]),
        (textdiff.DELETE, "f"),
        (textdiff.INSERT, "F"),
        (textdiff.EQUAL, "ghijklmno"),
        (textdiff.DELETE, "p"),
        (textdiff.INSERT, "P"),
        (textdiff.EQUAL, "qrstuvwxyz"),
    ]
    # Without budget, dmp still strips the common ends, then gives up.
    assert textdiff.dmp_diff(a, b, budget=0) == [
        (textdiff.EQUAL, "abcde"),
        (textdiff.DELETE, a[5:-10]),
        (textdiff.INSERT, b[5:-10]),
        (textdiff.EQUAL, "qrstuvwxyz"),
    ]


def test_unrelated_long_texts_are_diffed_in_bounded_time() -> None:
    # Two unrelated 20 000-word texts: unbounded Myers would take minutes.
    rng = random.Random(11)
    a = " ".join(rng.choice(["un", "deux", "trois", "quatre"]) for _ in range(20000))
    b = " ".join(rng.choice(["un", "deux", "trois", "cinq"]) for _ in range(20000))
    diff = diff_words(a, b)
    assert old_side(diff) == a and new_side(diff) == b


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from([textdiff.EQUAL, textdiff.INSERT, textdiff.DELETE]),
            st.text("ab", min_size=1, max_size=6),
        ),
        max_size=30,
    )
)
def test_small_equalities_are_folded_until_none_is_left(diffs: list[tuple[int, str]]) -> None:
    diffs = textdiff._coalesce(diffs)
    cleaned = textdiff._eliminate_small_equalities(diffs)
    for side, skip in (("old", textdiff.INSERT), ("new", textdiff.DELETE)):
        before = "".join(t for op, t in diffs if op != skip)
        after = "".join(t for op, t in cleaned if op != skip)
        assert before == after, side
    # No equality is left that is no longer than the edits on both its sides.
    for n, (op, codes) in enumerate(cleaned):
        if op != textdiff.EQUAL or n == 0 or n == len(cleaned) - 1:
            continue
        sides = []
        for direction in (-1, 1):
            m, deleted, inserted = n + direction, 0, 0
            while 0 <= m < len(cleaned) and cleaned[m][0] != textdiff.EQUAL:
                if cleaned[m][0] == textdiff.DELETE:
                    deleted += len(cleaned[m][1])
                else:
                    inserted += len(cleaned[m][1])
                m += direction
            sides.append(max(deleted, inserted))
        assert len(codes) > min(sides)


@settings(max_examples=250, deadline=None)
@given(TEXTS, TEXTS)
def test_the_diff_rebuilds_both_texts(a: str, b: str) -> None:
    diff = diff_words(a, b)
    assert old_side(diff) == a
    assert new_side(diff) == b
    assert_well_formed(diff)


@settings(max_examples=200, deadline=None)
@given(prose(), prose())
def test_changes_start_and_end_on_token_boundaries(a: str, b: str) -> None:
    for text, ops in ((a, (Equal, Delete)), (b, (Equal, Insert))):
        boundaries = {0}
        for token in tokenize(text):
            boundaries.add(max(boundaries) + len(token))
        position = 0
        for op in diff_words(a, b):
            if isinstance(op, ops):
                position += len(op.text)
                assert position in boundaries


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from("abcdefgh .,\n"), max_size=120).map("".join), st.data())
def test_the_anchored_diff_rebuilds_both_texts(a: str, data: st.DataObject) -> None:
    # Anchoring normally starts at a few hundred tokens; forcing it on small
    # strings lets hypothesis explore its splitting logic with many collisions.
    b = data.draw(st.lists(st.sampled_from("abcdefghij .,\n"), max_size=120).map("".join))
    diffs = textdiff._diff_codes(a, b, anchor_min=0)
    assert "".join(t for op, t in diffs if op != textdiff.INSERT) == a
    assert "".join(t for op, t in diffs if op != textdiff.DELETE) == b
    assert all(x[0] != y[0] for x, y in zip(diffs, diffs[1:], strict=False))


def test_a_long_text_with_scattered_insertions_shows_exactly_them() -> None:
    rng = random.Random(3)
    words = [rng.choice(["de", "la", "définition", "vivante", "texte"]) for _ in range(5000)]
    new_words = list(words)
    for n, position in enumerate(range(4900, 0, -50)):
        new_words.insert(position, f"nouveau{n}")
    a, b = " ".join(words), " ".join(new_words)
    diff = diff_words(a, b)
    assert old_side(diff) == a and new_side(diff) == b
    assert diff_stats(diff) == DiffStats(inserted_words=98, deleted_words=0)
    assert sum(isinstance(op, Insert) for op in diff) == 98


def test_more_distinct_tokens_than_code_points_falls_back_to_characters(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(textdiff, "_CODE_RANGES", ((0xE000, 0xE003),))
    a, b = "un deux trois quatre cinq", "un deux six quatre sept"
    diff = diff_words(a, b)
    assert old_side(diff) == a and new_side(diff) == b
    assert_well_formed(diff)


def test_letter_code_points_look_like_letters_to_dmp() -> None:
    for lo, hi in textdiff._LETTER_RANGES:
        assert all(chr(cp).isalnum() for cp in range(lo, hi))


def test_code_point_ranges_avoid_ascii_and_surrogates_and_never_overlap() -> None:
    seen: set[int] = set()
    for lo, hi in textdiff._CODE_RANGES:
        span = set(range(lo, hi))
        assert not span & seen
        seen |= span
    assert not seen & set(range(0x80)) and not seen & set(range(0xD800, 0xE000))
    assert len(seen) == 0x110000 - 0x80 - 0x800


# --- align_tokens -----------------------------------------------------------------


def test_the_alignment_keeps_words_the_readers_diff_folds_into_a_replacement() -> None:
    a, b = ["le", ",", "le"], ["AJOUT", "le", ",", "AJOUT", "le", "AJOUT"]
    assert diff_tokens(a, b) == (
        (textdiff.INSERT, 1),
        (textdiff.EQUAL, 2),
        (textdiff.DELETE, 1),
        (textdiff.INSERT, 3),
    )
    assert align_tokens(a, b) == (
        (textdiff.INSERT, 1),
        (textdiff.EQUAL, 2),
        (textdiff.INSERT, 1),
        (textdiff.EQUAL, 1),
        (textdiff.INSERT, 1),
    )


def test_the_alignment_folds_coincidences_next_to_a_rewrite() -> None:
    # A paragraph written anew keeps none of the old one's full stops.
    a = ["Une", "idée", ".", "Elle", "change", "!"]
    b = ["Alpha", "bravo", ".", "Delta", "echo", "."]
    assert align_tokens(a, b) == ((textdiff.DELETE, 6), (textdiff.INSERT, 6))


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from([textdiff.EQUAL, textdiff.INSERT, textdiff.DELETE]),
            st.text("ab", min_size=1, max_size=6),
        ),
        max_size=30,
    )
)
def test_only_equalities_next_to_a_rewrite_are_folded(diffs: list[tuple[int, str]]) -> None:
    diffs = textdiff._coalesce(diffs)
    cleaned = textdiff._eliminate_small_equalities(diffs, next_to_a_rewrite=True)
    for skip in (textdiff.INSERT, textdiff.DELETE):
        assert "".join(t for op, t in diffs if op != skip) == "".join(
            t for op, t in cleaned if op != skip
        )
    if not any(
        {x[0], y[0]} == {textdiff.INSERT, textdiff.DELETE}
        for x, y in zip(diffs, diffs[1:], strict=False)
    ):
        # No rewrite anywhere: nothing to fold.
        assert cleaned == diffs
    for n, (op, codes) in enumerate(cleaned):
        if op != textdiff.EQUAL or n == 0 or n == len(cleaned) - 1:
            continue
        sides = []
        for direction in (-1, 1):
            m, deleted, inserted = n + direction, 0, 0
            while 0 <= m < len(cleaned) and cleaned[m][0] != textdiff.EQUAL:
                if cleaned[m][0] == textdiff.DELETE:
                    deleted += len(cleaned[m][1])
                else:
                    inserted += len(cleaned[m][1])
                m += direction
            sides.append((deleted, inserted))
        small = all(len(codes) <= max(side) for side in sides)
        assert not (small and any(all(side) for side in sides))


@settings(max_examples=200, deadline=None)
@given(prose(), prose())
def test_the_alignment_pairs_equal_tokens_and_covers_both_sides(a: str, b: str) -> None:
    a_tokens, b_tokens = tokenize(a), tokenize(b)
    ops = align_tokens(a_tokens, b_tokens)
    assert sum(n for op, n in ops if op != textdiff.INSERT) == len(a_tokens)
    assert sum(n for op, n in ops if op != textdiff.DELETE) == len(b_tokens)
    i = j = 0
    for op, n in ops:
        if op == textdiff.EQUAL:
            assert a_tokens[i : i + n] == b_tokens[j : j + n]
        i += n if op != textdiff.INSERT else 0
        j += n if op != textdiff.DELETE else 0


@settings(max_examples=200, deadline=None)
@given(prose(), st.data())
def test_only_inserting_or_deleting_tokens_aligns_as_such(a: str, data: st.DataObject) -> None:
    a_tokens = tokenize(a)
    b_tokens = list(a_tokens)
    added = data.draw(st.lists(st.tuples(st.integers(0, len(a_tokens)), WORDS), max_size=8))
    for position, word in sorted(added, reverse=True):
        b_tokens.insert(position, word)
    assert all(op != textdiff.DELETE for op, _ in align_tokens(a_tokens, b_tokens))
    # And taking them out again deletes only them.
    assert all(op != textdiff.INSERT for op, _ in align_tokens(b_tokens, a_tokens))


# --- diff_tokens ------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(prose(), prose())
def test_token_diff_counts_the_same_tokens_as_the_word_diff(a: str, b: str) -> None:
    a_tokens, b_tokens = tokenize(a), tokenize(b)
    ops = diff_tokens(a_tokens, b_tokens)
    assert sum(n for op, n in ops if op != textdiff.INSERT) == len(a_tokens)
    assert sum(n for op, n in ops if op != textdiff.DELETE) == len(b_tokens)
    i = j = 0
    for op, n in ops:
        if op == textdiff.EQUAL:
            assert a_tokens[i : i + n] == b_tokens[j : j + n]
        i += n if op != textdiff.INSERT else 0
        j += n if op != textdiff.DELETE else 0


# --- stats and rendering -----------------------------------------------------------


def test_stats_count_inserted_and_deleted_words() -> None:
    diff = diff_words("Le chat dort.", "Le chien dort bien, aujourd’hui.")
    assert diff_stats(diff) == DiffStats(inserted_words=3, deleted_words=1)


@settings(max_examples=200, deadline=None)
@given(TEXTS)
def test_writing_from_scratch_inserts_every_word(b: str) -> None:
    assert diff_stats(diff_words("", b)) == DiffStats(count_words(b), 0)
    assert diff_stats(diff_words(b, "")) == DiffStats(0, count_words(b))


def test_inline_rendering_marks_changes_for_screen_readers() -> None:
    diff = (Equal("a "), Delete("b"), Insert("c"), Equal("\nd"))
    assert render_inline(diff) == (
        "a "
        '<del class="diff-del"><span class="visually-hidden">[\u2212</span>b'
        '<span class="visually-hidden">\u2212]</span></del>'
        '<ins class="diff-ins"><span class="visually-hidden">[+</span>c'
        '<span class="visually-hidden">+]</span></ins>'
        "\nd"
    )


def test_rendering_escapes_html_everywhere() -> None:
    diff = diff_words("<b>x</b> & 'y'", '<script>alert("z")</script>')
    inline = render_inline(diff)
    left, right = render_side_by_side(diff)
    for rendered in (inline, left, right):
        assert "<script" not in rendered and "<b>" not in rendered
    assert "script&gt;alert(&quot;z&quot;)&lt;/script&gt;" in right and "&amp;" in left


def test_side_by_side_shows_deletions_left_and_insertions_right() -> None:
    left, right = render_side_by_side(diff_words("le chat dort", "le chien dort"))
    assert left == (
        'le <del class="diff-del"><span class="visually-hidden">[\u2212</span>chat'
        '<span class="visually-hidden">\u2212]</span></del> dort'
    )
    assert right == (
        'le <ins class="diff-ins"><span class="visually-hidden">[+</span>chien'
        '<span class="visually-hidden">+]</span></ins> dort'
    )


@settings(max_examples=100, deadline=None)
@given(prose(), prose())
def test_rendering_without_markup_gives_back_the_texts(a: str, b: str) -> None:
    def plain(rendered: str) -> str:
        rendered = re.sub(r'<span class="visually-hidden">[^<]*</span>', "", rendered)
        return html.unescape(re.sub(r"</?(ins|del)[^>]*>", "", rendered))

    left, right = render_side_by_side(diff_words(a, b))
    assert (plain(left), plain(right)) == (a, b)


def test_json_form_names_each_operation() -> None:
    assert diff_to_json(diff_words("a b", "a c")) == [
        {"op": "equal", "text": "a "},
        {"op": "delete", "text": "b"},
        {"op": "insert", "text": "c"},
    ]


def test_ops_are_hashable_values() -> None:
    assert {Equal("x"), Equal("x"), Insert("x")} == {Equal("x"), Insert("x")}
    with pytest.raises(AttributeError):
        Equal("x").text = "y"  # type: ignore[misc]
