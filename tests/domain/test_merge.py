from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from wiki.domain.merge import (
    Clean,
    Conflict,
    Leave,
    MergeResult,
    MissingChoice,
    Region,
    Replace,
    Settled,
    Take,
    UnknownRegion,
    assemble,
    fingerprint,
    merge_regions,
    merge_texts,
    preview_text,
    remix_regions,
)

BASE = "Une définition vivante est écrite par une communauté. Chaque révision est gardée."

# --- Examples ---------------------------------------------------------------------


def test_changes_in_different_places_are_both_kept() -> None:
    ours = BASE.replace("vivante", "collective")
    theirs = BASE.replace("gardée", "conservée")
    result = merge_texts(BASE, ours, theirs)
    assert result == MergeResult(
        text="Une définition collective est écrite par une communauté. "
        "Chaque révision est conservée.",
        conflicts=(),
    )
    assert result.is_clean


def test_the_same_change_on_both_sides_is_taken_once() -> None:
    both = BASE.replace("une communauté", "toute une communauté")
    assert merge_texts(BASE, both, both).text == both


def test_different_changes_to_the_same_words_conflict() -> None:
    ours = BASE.replace("vivante", "collective")
    theirs = BASE.replace("vivante", "partagée")
    result = merge_texts(BASE, ours, theirs)
    assert result.text is None and not result.is_clean
    assert result.conflicts == (Conflict(base="vivante", ours="collective", theirs="partagée"),)


def test_regions_alternate_clean_text_and_conflicts() -> None:
    ours = BASE.replace("vivante", "collective")
    theirs = BASE.replace("vivante", "partagée")
    assert merge_regions(BASE, ours, theirs) == (
        Clean("Une définition "),
        Conflict("vivante", "collective", "partagée"),
        Clean(" est écrite par une communauté. Chaque révision est gardée."),
    )


def test_two_different_insertions_at_the_same_point_conflict() -> None:
    result = merge_texts("a b", "a x b", "a y b")
    assert result.conflicts == (Conflict(base="", ours="x ", theirs="y "),)


def test_the_same_insertion_at_the_same_point_is_clean() -> None:
    assert merge_texts("a b", "a x b", "a x b").text == "a x b"


def test_deleting_a_passage_the_other_side_edited_conflicts() -> None:
    ours = BASE.replace(" Chaque révision est gardée.", "")
    theirs = BASE.replace("gardée", "conservée")
    assert not merge_texts(BASE, ours, theirs).is_clean


def test_deletion_on_one_side_and_an_edit_elsewhere_merge() -> None:
    ours = BASE.replace(" Chaque révision est gardée.", "")
    theirs = BASE.replace("vivante", "collective")
    assert merge_texts(BASE, ours, theirs).text == (
        "Une définition collective est écrite par une communauté."
    )


def test_edits_touching_without_a_shared_token_between_them_conflict() -> None:
    # As in diff3: with nothing unchanged in between, no order can be trusted.
    assert merge_texts("a b c", "a b! c", "a B c").conflicts == (Conflict("b", "b!", "B"),)


def test_edits_of_neighbouring_words_merge_across_the_space_between_them() -> None:
    assert merge_texts("a b c", "a B c", "a b C").text == "a B C"


def test_merging_empty_texts() -> None:
    assert merge_texts("", "", "").text == ""
    assert merge_texts("", "nouveau", "").text == "nouveau"
    assert merge_texts("", "un", "deux").conflicts == (Conflict("", "un", "deux"),)
    assert merge_regions("", "", "") == ()


def test_conflicts_in_a_multi_paragraph_text_stay_local() -> None:
    base = "Premier paragraphe.\n\nDeuxième paragraphe.\n\nTroisième paragraphe."
    ours = base.replace("Premier", "Tout premier").replace("Troisième", "Dernier")
    theirs = base.replace("Premier", "Le premier").replace("Deuxième", "Second")
    regions = merge_regions(base, ours, theirs)
    assert [type(r) for r in regions] == [Conflict, Clean]
    assert regions[1] == Clean(" paragraphe.\n\nSecond paragraphe.\n\nDernier paragraphe.")


# --- Properties -------------------------------------------------------------------

# A handful of words, so that texts repeat words and the alignment is ambiguous.
WORDS = ["le", "la", "chat", "chien", "dort", "été"]
SEPARATORS = [" ", " ", " ", ", ", ". ", "\n"]


@st.composite
def token_lists(draw: st.DrawFn, alphabet: list[str] = WORDS, max_words: int = 12) -> list[str]:
    """Alternating words and separators, ending with a separator."""
    words = draw(st.lists(st.sampled_from(alphabet), max_size=max_words))
    tokens: list[str] = []
    for word in words:
        tokens += [word, draw(st.sampled_from(SEPARATORS))]
    return tokens


def text_of(tokens: list[str]) -> str:
    return "".join(tokens)


TEXTS = token_lists().map(text_of)


@settings(max_examples=100, deadline=None)
@given(TEXTS, TEXTS)
def test_a_side_left_alone_takes_the_other_sides_text(base: str, changed: str) -> None:
    assert merge_texts(base, changed, base).text == changed
    assert merge_texts(base, base, changed).text == changed


@settings(max_examples=100, deadline=None)
@given(TEXTS, TEXTS)
def test_identical_changes_merge_to_that_change(base: str, changed: str) -> None:
    assert merge_texts(base, changed, changed).text == changed


@st.composite
def disjoint_edits(draw: st.DrawFn) -> tuple[str, str, str, str]:
    """A base, ours editing its left part, theirs its right part, and the text
    with both edits. Between the two parts sits a passage neither side
    touches: a unique word, so the two alignments cannot drift onto each
    other's ground (repeated words elsewhere still make them ambiguous)."""
    left, right = draw(token_lists()), draw(token_lists())
    middle = [" ", "MILIEU", " "]
    new_left, new_right = draw(token_lists()), draw(token_lists())
    assume(new_left != left and new_right != right)
    base = text_of(left + middle + right)
    ours = text_of(new_left + middle + right)
    theirs = text_of(left + middle + new_right)
    return base, ours, theirs, text_of(new_left + middle + new_right)


@settings(max_examples=120, deadline=None)
@given(disjoint_edits())
def test_edits_in_disjoint_regions_are_both_kept(case: tuple[str, str, str, str]) -> None:
    base, ours, theirs, expected = case
    assert merge_texts(base, ours, theirs).text == expected


@st.composite
def range_edits(draw: st.DrawFn) -> tuple[str, str, str]:
    """Ours and theirs rewrite the same stretch of words of the base, each with
    its own words (which the base does not contain).

    Both rewrites are non-empty: a pure deletion of a repeated word is ambiguous
    (deleting the first of « le le » reads exactly like deleting the second) and
    may legitimately be aligned away from the other side's edit."""
    base = draw(token_lists(max_words=10))
    assume(base)
    words = len(base) // 2
    first = draw(st.integers(0, words - 1))
    last = draw(st.integers(first + 1, words))
    ours_new = draw(token_lists(alphabet=["UN", "DEUX", "TROIS"], max_words=3))
    theirs_new = draw(token_lists(alphabet=["ZÉRO", "UNE", "DES"], max_words=3))
    assume(ours_new and theirs_new)
    start, end = 2 * first, 2 * last
    ours = text_of(base[:start] + ours_new + base[end:])
    theirs = text_of(base[:start] + theirs_new + base[end:])
    return text_of(base), ours, theirs


@settings(max_examples=120, deadline=None)
@given(range_edits())
def test_different_rewrites_of_the_same_stretch_conflict(case: tuple[str, str, str]) -> None:
    base, ours, theirs = case
    result = merge_texts(base, ours, theirs)
    assert not result.is_clean
    assert result.text is None


@settings(max_examples=120, deadline=None)
@given(TEXTS, TEXTS, TEXTS)
def test_clean_stretches_and_conflict_sides_rebuild_each_side(
    base: str, ours: str, theirs: str
) -> None:
    regions = merge_regions(base, ours, theirs)

    def side(name: str) -> str:
        return "".join(r.text if isinstance(r, Clean) else getattr(r, name) for r in regions)

    # Resolving every conflict for one side gives a text containing that side's
    # view of each conflict; when nothing conflicts both agree with the merge.
    if all(isinstance(r, Clean) for r in regions):
        assert side("ours") == merge_texts(base, ours, theirs).text
    assert all(
        not (isinstance(a, Clean) and isinstance(b, Clean))
        for a, b in zip(regions, regions[1:], strict=False)
    )
    assert all(r.text for r in regions if isinstance(r, Clean))


@settings(max_examples=120, deadline=None)
@given(TEXTS, TEXTS, TEXTS)
def test_taking_every_remix_region_is_the_clean_merge(base: str, ours: str, theirs: str) -> None:
    segments = remix_regions(base, ours, theirs)
    result = merge_texts(base, ours, theirs)
    if result.is_clean:
        regions = [s for s in segments if isinstance(s, Region)]
        assert all(r.kind == "clean" for r in regions)
        assert assemble(segments, {r.index: Take() for r in regions}) == result.text
        assert preview_text(segments) == result.text


@settings(max_examples=120, deadline=None)
@given(TEXTS, TEXTS, TEXTS)
def test_leaving_every_remix_region_is_the_official_text(base: str, ours: str, theirs: str) -> None:
    segments = remix_regions(base, ours, theirs)
    regions = [s for s in segments if isinstance(s, Region)]
    assert assemble(segments, {r.index: Leave() for r in regions}) == ours
    assert [r.index for r in regions] == list(range(len(regions)))
    assert all(r.theirs != r.base for r in regions)
    assert all(s.text for s in segments if isinstance(s, Settled))
    assert all(
        not (isinstance(a, Settled) and isinstance(b, Settled))
        for a, b in zip(segments, segments[1:], strict=False)
    )


@settings(max_examples=100, deadline=None)
@given(TEXTS, TEXTS)
def test_a_remix_of_an_untouched_official_text_has_only_clean_regions(
    base: str, theirs: str
) -> None:
    segments = remix_regions(base, base, theirs)
    assert all(s.kind == "clean" for s in segments if isinstance(s, Region))
    assert assemble(segments, {}) == theirs


# --- Remix review --------------------------------------------------------------------

OFFICIAL = BASE.replace("vivante", "collective").replace("gardée", "archivée")
REMIX = BASE.replace("vivante", "partagée").replace("une communauté", "des gens")


def test_remix_regions_cover_what_the_remix_changed() -> None:
    assert remix_regions(BASE, OFFICIAL, REMIX) == (
        Settled("Une définition "),
        Region(0, "conflict", base="vivante", ours="collective", theirs="partagée"),
        Settled(" est écrite par "),
        Region(1, "clean", base="une communauté", ours="une communauté", theirs="des gens"),
        Settled(". Chaque révision est archivée."),
    )


def test_choices_take_leave_or_replace_each_region() -> None:
    segments = remix_regions(BASE, OFFICIAL, REMIX)
    assert assemble(segments, {0: Take(), 1: Leave()}) == OFFICIAL.replace("collective", "partagée")
    assert assemble(segments, {0: Replace("commune")}) == (
        "Une définition commune est écrite par des gens. Chaque révision est archivée."
    )


def test_a_conflict_without_a_choice_is_refused_by_index() -> None:
    segments = remix_regions(BASE, OFFICIAL, REMIX)
    with pytest.raises(MissingChoice) as caught:
        assemble(segments, {1: Take()})
    assert caught.value.indexes == (0,)
    assert isinstance(caught.value, ValueError)


def test_a_choice_for_a_region_that_does_not_exist_is_refused() -> None:
    segments = remix_regions(BASE, OFFICIAL, REMIX)
    with pytest.raises(UnknownRegion) as caught:
        assemble(segments, {0: Take(), 7: Take()})
    assert caught.value.indexes == (7,)


def test_a_choice_must_be_take_leave_or_replace() -> None:
    segments = remix_regions(BASE, OFFICIAL, REMIX)
    with pytest.raises(TypeError):
        assemble(segments, {0: "take"})  # type: ignore[dict-item]


def test_the_preview_takes_clean_regions_and_leaves_conflicts() -> None:
    segments = remix_regions(BASE, OFFICIAL, REMIX)
    assert preview_text(segments) == (
        "Une définition collective est écrite par des gens. Chaque révision est archivée."
    )


def test_the_fingerprint_changes_when_a_region_changes() -> None:
    segments = remix_regions(BASE, OFFICIAL, REMIX)
    assert fingerprint(segments) == fingerprint(remix_regions(BASE, OFFICIAL, REMIX))
    assert len(fingerprint(segments)) == 64
    newer_official = OFFICIAL.replace("collective", "commune")
    assert fingerprint(remix_regions(BASE, newer_official, REMIX)) != fingerprint(segments)


def test_the_fingerprint_ignores_official_changes_outside_the_regions() -> None:
    segments = remix_regions(BASE, OFFICIAL, REMIX)
    newer_official = OFFICIAL.replace("archivée", "conservée")
    newer = remix_regions(BASE, newer_official, REMIX)
    assert fingerprint(newer) == fingerprint(segments)
    # ...and the same choices then keep that official change.
    assert assemble(newer, {0: Leave()}).endswith("conservée.")
