"""Tests for wiki.domain.ranking."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wiki.domain.ranking import score, wilson_lower_bound

Z2 = 1.96**2


@pytest.mark.parametrize(
    ("positive", "negative", "expected"),
    [
        # With no negative votes the bound has the closed form n / (n + z²).
        pytest.param(1, 0, 1 / (1 + Z2), id="1-0"),
        pytest.param(5, 0, 5 / (5 + Z2), id="5-0"),
        pytest.param(100, 0, 100 / (100 + Z2), id="100-0"),
        # Values computed by hand from the Wilson formula, 4 decimals.
        pytest.param(1, 1, 0.0945, id="1-1"),
        pytest.param(5, 5, 0.2366, id="5-5"),
        pytest.param(2, 1, 0.2077, id="2-1"),
        pytest.param(90, 10, 0.8256, id="90-10"),
        pytest.param(600, 400, 0.5693, id="600-400"),
    ],
)
def test_known_values(positive: int, negative: int, expected: float) -> None:
    assert wilson_lower_bound(positive, negative) == pytest.approx(expected, abs=5e-5)


def test_no_votes_is_zero() -> None:
    assert wilson_lower_bound(0, 0) == 0.0


def test_only_negative_votes_is_zero() -> None:
    assert wilson_lower_bound(0, 10) == 0.0


def test_z_zero_is_the_plain_share() -> None:
    assert wilson_lower_bound(3, 1, z=0) == pytest.approx(0.75)


def test_wider_confidence_lowers_the_bound() -> None:
    assert (
        wilson_lower_bound(8, 2, z=2.58)
        < wilson_lower_bound(8, 2)
        < wilson_lower_bound(8, 2, z=1.0)
    )


def test_evidence_beats_a_lucky_start() -> None:
    # The reason for Wilson: 90 up / 10 down ranks above 1 up / 0 down.
    assert wilson_lower_bound(90, 10) > wilson_lower_bound(1, 0)
    assert score(90, 10) > score(1, 0)
    # ...and 1–0 above 0–0 and above 10–10.
    assert wilson_lower_bound(1, 0) > wilson_lower_bound(0, 0)


votes = st.integers(min_value=0, max_value=10_000)


@given(votes, votes)
def test_bound_is_between_zero_and_share(positive: int, negative: int) -> None:
    bound = wilson_lower_bound(positive, negative)
    share = positive / (positive + negative) if positive + negative else 0.0
    assert 0.0 <= bound <= share + 1e-12


@given(votes, votes)
def test_one_more_positive_vote_never_lowers_the_bound(positive: int, negative: int) -> None:
    assert wilson_lower_bound(positive + 1, negative) >= wilson_lower_bound(positive, negative)


@given(votes, votes)
def test_one_more_negative_vote_never_raises_the_bound(positive: int, negative: int) -> None:
    assert wilson_lower_bound(positive, negative + 1) <= wilson_lower_bound(positive, negative)


@pytest.mark.parametrize(
    ("positive", "negative", "expected"),
    [(0, 0, 0), (3, 1, 2), (1, 4, -3), (10, 10, 0)],
)
def test_score_is_net_votes(positive: int, negative: int, expected: int) -> None:
    assert score(positive, negative) == expected


@pytest.mark.parametrize("function", [wilson_lower_bound, score])
def test_negative_counts_refused(function) -> None:
    with pytest.raises(ValueError):
        function(-1, 0)
    with pytest.raises(ValueError):
        function(0, -1)
