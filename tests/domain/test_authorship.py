from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from wiki.domain.authorship import (
    Run,
    Runs,
    authors_in,
    carry_authorship,
    carry_merge,
    initial_runs,
    runs_from_json,
    runs_to_json,
    segments,
    shares,
)


def by_author(text: str, runs: Runs) -> list[tuple[str, str]]:
    return [(piece, run.author) for piece, run in segments(text, runs)]


# --- Examples ---------------------------------------------------------------------


def test_a_first_revision_belongs_to_its_author() -> None:
    assert initial_runs("Une définition.", "user:1", 1) == (Run(15, "user:1", 1),)
    assert initial_runs("", "user:1", 1) == ()


def test_inserted_words_go_to_the_new_author_and_the_rest_stays() -> None:
    old = "Le chat dort."
    runs = carry_authorship(old, initial_runs(old, "user:1", 1), "Le gros chat dort.", "user:2", 2)
    assert runs == (Run(3, "user:1", 1), Run(5, "user:2", 2), Run(10, "user:1", 1))
    assert by_author("Le gros chat dort.", runs) == [
        ("Le ", "user:1"),
        ("gros ", "user:2"),
        ("chat dort.", "user:1"),
    ]


def test_deleted_words_take_their_authorship_with_them() -> None:
    old = "Le gros chat dort."
    runs = (Run(3, "user:1", 1), Run(5, "user:2", 2), Run(10, "user:1", 1))
    new_runs = carry_authorship(old, runs, "Le chat dort.", "user:3", 3)
    assert new_runs == (Run(13, "user:1", 1),)


def test_a_replaced_word_belongs_to_whoever_replaced_it() -> None:
    old = "Le chat dort."
    runs = carry_authorship(old, initial_runs(old, "user:1", 1), "Le chien dort.", "user:2", 2)
    # The space after « chien » follows the word it comes after.
    assert by_author("Le chien dort.", runs) == [
        ("Le ", "user:1"),
        ("chien ", "user:2"),
        ("dort.", "user:1"),
    ]


def test_white_space_goes_with_the_word_before_it() -> None:
    # user:2 only added a space and a line break: nothing visible, no credit.
    old = "Un. Deux."
    runs = carry_authorship(old, initial_runs(old, "user:1", 1), "Un.\n\n Deux.", "user:2", 2)
    assert authors_in(runs) == ["user:1"]
    assert runs == (Run(11, "user:1", 1),)


def test_words_only_inserted_around_keep_their_author() -> None:
    # The readers' diff shows this edit as one replaced passage (« le, » and « le »
    # sit between insertions as long as themselves); user:1's words must not
    # become user:2's for it, or deleting user:2's words again would leave
    # user:2 in the attribution.
    base = "le, le "
    edited = "AJOUT le, AJOUT le  AJOUT"
    edited_runs = carry_authorship(base, initial_runs(base, "user:1", 1), edited, "user:2", 2)
    assert by_author(edited, edited_runs) == [
        ("AJOUT ", "user:2"),
        ("le, ", "user:1"),
        ("AJOUT ", "user:2"),
        ("le  ", "user:1"),
        ("AJOUT", "user:2"),
    ]
    final_runs = carry_authorship(edited, edited_runs, base, "user:3", 3)
    assert final_runs == (Run(7, "user:1", 1),)


def test_a_text_written_anew_keeps_no_old_author_for_its_full_stops() -> None:
    old = "Une stratégie numérique est un processus. Elle s’adapte aux changements !\n"
    new = "Alpha bravo charlie.\n\nDelta echo foxtrot.\n"
    runs = carry_authorship(old, initial_runs(old, "external:0", 1), new, "user:1", 2)
    assert runs == (Run(len(new), "user:1", 2),)


def test_punctuation_is_content_and_keeps_its_author() -> None:
    old = "Le chat dort"
    runs = carry_authorship(old, initial_runs(old, "user:1", 1), "Le chat dort !", "user:2", 2)
    assert authors_in(runs) == ["user:1", "user:2"]


def test_a_save_with_another_revision_id_is_a_different_run() -> None:
    runs = carry_authorship("a", (Run(1, "user:1", 1),), "a b", "user:1", 2)
    assert runs == (Run(2, "user:1", 1), Run(1, "user:1", 2))
    assert authors_in(runs) == ["user:1"]
    assert shares(runs) == {"user:1": 1.0}


def test_runs_that_do_not_cover_the_text_are_refused() -> None:
    with pytest.raises(ValueError, match="cover"):
        carry_authorship("abc", (Run(2, "user:1", 1),), "abcd", "user:2", 2)
    with pytest.raises(ValueError):
        segments("abc", (Run(4, "user:1", 1),))


def test_a_run_is_never_empty() -> None:
    with pytest.raises(ValueError):
        Run(0, "user:1", 1)


def test_a_merge_keeps_the_authors_of_both_parents() -> None:
    base = "Une définition vivante."
    base_runs = initial_runs(base, "user:1", 1)
    official = "Une définition vivante et collective."
    official_runs = carry_authorship(base, base_runs, official, "user:2", 2)
    remix = "Une courte définition vivante."
    remix_runs = carry_authorship(base, base_runs, remix, "user:3", 3)
    merged = "Une courte définition vivante et collective, enfin."
    runs = carry_merge(merged, (official, official_runs), (remix, remix_runs), "user:4", 4)
    assert by_author(merged, runs) == [
        ("Une ", "user:1"),
        ("courte ", "user:3"),
        ("définition vivante ", "user:1"),
        ("et collective", "user:2"),
        (", enfin", "user:4"),
        (".", "user:1"),
    ]


def test_the_first_parent_wins_where_both_parents_have_the_text() -> None:
    text = "même texte"
    runs = carry_merge(
        text,
        (text, initial_runs(text, "user:1", 1)),
        (text, initial_runs(text, "user:2", 2)),
        "user:3",
        3,
    )
    assert runs == (Run(10, "user:1", 1),)


def test_shares_are_fractions_of_the_text() -> None:
    runs = (Run(6, "user:1", 1), Run(2, "user:2", 2), Run(2, "user:1", 3))
    assert shares(runs) == {"user:1": 0.8, "user:2": 0.2}
    assert shares(()) == {}


def test_authors_are_listed_in_order_of_first_appearance() -> None:
    runs = (Run(1, "user:2", 2), Run(1, "external:0", 1), Run(1, "user:2", 3), Run(1, "user:1", 4))
    assert authors_in(runs) == ["user:2", "external:0", "user:1"]


def test_runs_round_trip_through_json() -> None:
    runs = (Run(3, "user:1", 1), Run(5, "external:0", 2))
    assert runs_to_json(runs) == [[3, "user:1", 1], [5, "external:0", 2]]
    assert runs_from_json(runs_to_json(runs)) == runs
    assert runs_from_json([]) == ()


@pytest.mark.parametrize(
    "data",
    [
        {"length": 3},
        [[3, "user:1"]],
        [["3", "user:1", 1]],
        [[3, 1, 1]],
        [[3, "user:1", "1"]],
        [[True, "user:1", 1]],
        [[0, "user:1", 1]],
        [[-2, "user:1", 1]],
        "[[3, 'user:1', 1]]",
    ],
)
def test_malformed_json_runs_are_refused(data: object) -> None:
    with pytest.raises(ValueError):
        runs_from_json(data)


def test_segments_cut_the_text_along_the_runs() -> None:
    runs = (Run(2, "user:1", 1), Run(3, "user:2", 2))
    assert segments("abcde", runs) == [("ab", runs[0]), ("cde", runs[1])]
    assert segments("", ()) == []


# --- Properties -------------------------------------------------------------------

WORDS = ["le", "la", "chat", "chien", "dort", "été", "l’arbre", "!"]
SEPARATORS = [" ", " ", ", ", ". ", "\n", "\n\n"]


@st.composite
def texts(draw: st.DrawFn, alphabet: list[str] = WORDS) -> str:
    words = draw(st.lists(st.sampled_from(alphabet), max_size=12))
    return "".join(w + draw(st.sampled_from(SEPARATORS)) for w in words)


AUTHORS = st.sampled_from(["user:1", "user:2", "user:3", "external:0"])


def assert_valid(text: str, runs: Runs) -> None:
    assert sum(run.length for run in runs) == len(text)
    assert all(
        (a.author, a.revision_id) != (b.author, b.revision_id)
        for a, b in zip(runs, runs[1:], strict=False)
    )


@st.composite
def histories(draw: st.DrawFn) -> list[tuple[str, Runs]]:
    """A chain of revisions, some of them merges of two earlier ones."""
    first = draw(texts())
    revisions = [(first, initial_runs(first, draw(AUTHORS), 1))]
    for revision_id in range(2, draw(st.integers(2, 6)) + 1):
        text, author = draw(texts()), draw(AUTHORS)
        parent = revisions[draw(st.integers(0, len(revisions) - 1))]
        if draw(st.booleans()):
            other = revisions[draw(st.integers(0, len(revisions) - 1))]
            runs = carry_merge(text, parent, other, author, revision_id)
        else:
            runs = carry_authorship(*parent, text, author, revision_id)
        revisions.append((text, runs))
    return revisions


@settings(max_examples=100, deadline=None)
@given(histories())
def test_runs_always_cover_the_whole_text(history: list[tuple[str, Runs]]) -> None:
    for text, runs in history:
        assert_valid(text, runs)
        if text:
            assert sum(shares(runs).values()) == pytest.approx(1.0)


@settings(max_examples=100, deadline=None)
@given(histories(), AUTHORS)
def test_a_save_that_changes_nothing_keeps_every_author(
    history: list[tuple[str, Runs]], author: str
) -> None:
    text, runs = history[-1]
    assert carry_authorship(text, runs, text, author, 99) == runs


@st.composite
def insertions(draw: st.DrawFn) -> tuple[str, list[str], list[int]]:
    """A base text, words to insert and the word positions (sorted) where they go."""
    base = draw(texts())
    inserted = draw(
        st.lists(st.sampled_from(["AJOUT", "NOUVEAU", "ENCORE"]), min_size=1, max_size=4)
    )
    positions = draw(
        st.lists(
            st.integers(0, len(base.split(" "))),
            min_size=len(inserted),
            max_size=len(inserted),
        )
    )
    return base, inserted, sorted(positions)


@settings(max_examples=200, deadline=None)
@given(insertions())
# Once found by this property: the readers' diff saw a replaced passage, and
# user:1's « le, » went to user:2.
@example(("le, le ", ["AJOUT", "AJOUT", "AJOUT"], [0, 1, 3]))
def test_deleting_all_of_someones_words_removes_them(
    case: tuple[str, list[str], list[int]],
) -> None:
    # user:2 inserts words of their own between user:1's, then user:3 deletes
    # every one of them (and nothing else).
    base, inserted, positions = case
    base_words = base.split(" ")
    edited_words = list(base_words)
    for offset, (position, word) in enumerate(zip(positions, inserted, strict=True)):
        edited_words.insert(position + offset, word)
    edited = " ".join(edited_words)
    base_runs = initial_runs(base, "user:1", 1)
    edited_runs = carry_authorship(base, base_runs, edited, "user:2", 2)
    assert "user:2" in authors_in(edited_runs)
    cleaned = " ".join(w for w in edited_words if w not in inserted)
    assert cleaned == base
    final_runs = carry_authorship(edited, edited_runs, cleaned, "user:3", 3)
    assert "user:2" not in authors_in(final_runs)
    assert_valid(cleaned, final_runs)
