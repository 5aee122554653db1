"""Ordering by votes.

Sorting by the net score (up − down) puts a 1–0 item above a 90–10 one, and sorting by the
share of up votes puts a 1–0 item first of all. The lower bound of the Wilson score interval
asks instead: given these votes, how high can we be (95 %) sure the true share of approval is?
Few votes mean a wide interval and a low bound, so an item climbs only as evidence accumulates.
"""

from __future__ import annotations

import math

__all__ = ["score", "wilson_lower_bound"]


def wilson_lower_bound(positive: int, negative: int, z: float = 1.96) -> float:
    """Lower bound of the Wilson score interval for the share of positive votes.

    ``z`` is the standard normal quantile of the confidence level (1.96 → 95 %, two-sided).
    Returns 0.0 when there are no votes, and a value in [0, positive / total] otherwise.
    """
    if positive < 0 or negative < 0:
        raise ValueError("vote counts cannot be negative")
    if z < 0:
        raise ValueError("z must be non-negative")
    total = positive + negative
    if total == 0:
        return 0.0
    share = positive / total
    z2 = z * z
    centre = share + z2 / (2 * total)
    spread = z * math.sqrt((share * (1 - share) + z2 / (4 * total)) / total)
    # Clamp: for share == 0 the exact value is 0, which rounding can push just below.
    return max(0.0, (centre - spread) / (1 + z2 / total))


def score(positive: int, negative: int) -> int:
    """The number shown next to the vote buttons: up votes minus down votes.

    It is for display only; order lists with wilson_lower_bound.
    """
    if positive < 0 or negative < 0:
        raise ValueError("vote counts cannot be negative")
    return positive - negative
