"""A sparkline: a word-sized line chart of a series (the definition's length, revision after
revision), drawn as a small inline SVG on the server, so the page needs no script.

The SVG uses presentation attributes and classes only (no ``style`` attribute, no ``<style>``
element): the pages' Content-Security-Policy forbids inline styles, and the page's stylesheet
colours it through the classes (``currentColor`` otherwise).
"""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import quoteattr

__all__ = ["points", "render_svg"]


def points(values: Sequence[float], width: float, height: float,
           pad: float = 2.0) -> list[tuple[float, float]]:
    """The series placed in a ``width`` × ``height`` box (y grows downwards), ``pad`` inside
    its edges; the smallest value at the bottom, the largest at the top, a flat series in the
    middle, one value at the right."""
    if width <= 2 * pad or height <= 2 * pad:
        raise ValueError("the box is too small for its padding")
    if not values:
        return []
    low, high = min(values), max(values)
    inner_w, inner_h = width - 2 * pad, height - 2 * pad
    step = inner_w / (len(values) - 1) if len(values) > 1 else 0.0
    placed = []
    for index, value in enumerate(values):
        x = pad + index * step if len(values) > 1 else width - pad
        y = pad + inner_h / 2 if high == low else pad + (high - value) / (high - low) * inner_h
        placed.append((round(x, 1), round(y, 1)))
    return placed


def _number(value: float) -> str:
    return f"{value:g}"


def render_svg(values: Sequence[float], label: str, *, width: int = 120,
               height: int = 28) -> str:
    """An inline ``<svg role="img">`` of the series with ``label`` as its accessible name:
    the line, the area under it, and a dot on the last value. Empty series: empty string."""
    placed = points(values, width, height)
    if not placed:
        return ""
    line = " ".join(f"{'M' if i == 0 else 'L'}{_number(x)} {_number(y)}"
                    for i, (x, y) in enumerate(placed))
    if len(placed) == 1:
        line = f"M2 {_number(placed[0][1])} {line.replace('M', 'L')}"
    first_x = 2 if len(placed) == 1 else placed[0][0]
    last_x, last_y = placed[-1]
    area = f"{line} L{_number(last_x)} {height} L{_number(first_x)} {height} Z"
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="sparkline" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" focusable="false" '
        f"aria-label={quoteattr(label)}>"
        f'<path class="sparkline-area" d="{area}" fill="currentColor" fill-opacity="0.12" '
        f'stroke="none"/>'
        f'<path class="sparkline-line" d="{line}" fill="none" stroke="currentColor" '
        f'stroke-width="1.5" stroke-linejoin="round" stroke-linecap="round"/>'
        f'<circle class="sparkline-dot" cx="{_number(last_x)}" cy="{_number(last_y)}" r="2.5" '
        f'fill="currentColor"/>'
        "</svg>"
    )
