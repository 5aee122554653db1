from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from wiki.domain.sparkline import points, render_svg

SVG = "{http://www.w3.org/2000/svg}"


def test_the_largest_value_is_at_the_top_and_the_smallest_at_the_bottom() -> None:
    placed = points([10, 30, 20], width=100, height=20, pad=2)
    assert placed == [(2, 18), (50, 2), (98, 10)]


def test_a_flat_series_runs_through_the_middle() -> None:
    assert [y for _, y in points([5, 5, 5], 100, 20)] == [10, 10, 10]


def test_one_value_sits_at_the_right() -> None:
    assert points([7], 100, 20) == [(98, 10)]


def test_no_value_no_drawing() -> None:
    assert points([], 100, 20) == []
    assert render_svg([], "rien") == ""


def test_a_box_smaller_than_its_padding_is_refused() -> None:
    with pytest.raises(ValueError):
        points([1, 2], 4, 20)


def test_the_svg_is_an_image_named_by_its_label_with_no_inline_style() -> None:
    svg = render_svg([300, 341, 333], "Taille : de 300 à 333 mots « ok » & <b>")
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("aria-label") == "Taille : de 300 à 333 mots « ok » & <b>"
    assert "style" not in svg  # the pages' CSP refuses inline styles
    line = root.find(f"{SVG}path[@class='sparkline-line']")
    assert len(re.findall(r"[ML]", line.get("d"))) == 3
    dot = root.find(f"{SVG}circle")
    assert (float(dot.get("cx")), float(dot.get("cy"))) == points([300, 341, 333], 120, 28)[-1]


def test_a_single_revision_still_draws_a_line() -> None:
    root = ET.fromstring(render_svg([341], "341 mots"))
    assert root.find(f"{SVG}path[@class='sparkline-line']").get("d").startswith("M2 ")
