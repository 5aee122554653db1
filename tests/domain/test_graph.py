"""Tests for wiki.domain.graph: merge base on random DAGs, SVG drawing."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wiki.domain.graph import (
    OFFICIAL_LANE,
    Node,
    ancestors,
    lowest_common_ancestor,
    render_svg,
)

SVG = "{http://www.w3.org/2000/svg}"


# ---------------------------------------------------------------------------------------------
# Lowest common ancestor


@st.composite
def dags(draw: st.DrawFn, max_nodes: int = 30) -> dict[int, tuple[int, ...]]:
    """Nodes 0..n-1, each with up to three parents among earlier ids (so always acyclic)."""
    size = draw(st.integers(min_value=1, max_value=max_nodes))
    parents: dict[int, tuple[int, ...]] = {}
    for node in range(size):
        if node == 0:
            parents[node] = ()
            continue
        chosen = draw(st.sets(st.integers(0, node - 1), max_size=min(3, node)))
        parents[node] = tuple(sorted(chosen))
    return parents


@st.composite
def dag_and_pair(draw: st.DrawFn) -> tuple[dict[int, tuple[int, ...]], int, int]:
    parents = draw(dags())
    a = draw(st.sampled_from(sorted(parents)))
    b = draw(st.sampled_from(sorted(parents)))
    return parents, a, b


def _best_by_definition(parents: dict[int, tuple[int, ...]], a: int, b: int) -> set[int]:
    common = ancestors(parents, a) & ancestors(parents, b)
    return {c for c in common if not any(c != d and c in ancestors(parents, d) for d in common)}


@settings(max_examples=300, deadline=None)
@given(dag_and_pair())
def test_lca_is_common_ancestor_with_no_common_descendant(case) -> None:
    parents, a, b = case
    lca = lowest_common_ancestor(parents, a, b)
    common = ancestors(parents, a) & ancestors(parents, b)
    if lca is None:
        assert not common
        return
    assert lca in ancestors(parents, a)
    assert lca in ancestors(parents, b)
    # No other common ancestor descends from it.
    for other in common - {lca}:
        assert lca not in ancestors(parents, other)
    # Among the best candidates, the most recent.
    assert lca == max(_best_by_definition(parents, a, b))


@settings(max_examples=200, deadline=None)
@given(dag_and_pair())
def test_lca_is_symmetric(case) -> None:
    parents, a, b = case
    assert lowest_common_ancestor(parents, a, b) == lowest_common_ancestor(parents, b, a)


@settings(max_examples=200, deadline=None)
@given(dag_and_pair())
def test_lca_of_node_with_itself(case) -> None:
    parents, a, _ = case
    assert lowest_common_ancestor(parents, a, a) == a


@settings(max_examples=200, deadline=None)
@given(dag_and_pair())
def test_lca_with_a_descendant_is_the_ancestor(case) -> None:
    parents, a, b = case
    for descendant in sorted(parents):
        if a in ancestors(parents, descendant):
            assert lowest_common_ancestor(parents, a, descendant) == a
            assert lowest_common_ancestor(parents, descendant, a) == a


def test_lca_linear_history() -> None:
    parents = {1: (), 2: (1,), 3: (2,), 4: (3,)}
    assert lowest_common_ancestor(parents, 4, 2) == 2


def test_lca_fork() -> None:
    # 1 - 2 - 3 (official); 2 - 4 - 5 (remix)
    parents = {1: (), 2: (1,), 3: (2,), 4: (2,), 5: (4,)}
    assert lowest_common_ancestor(parents, 3, 5) == 2


def test_lca_after_merge() -> None:
    # remix 4 merged back into 5; then 6 on official, 7 on remix from 4
    parents = {1: (), 2: (1,), 3: (2,), 4: (2,), 5: (3, 4), 6: (5,), 7: (4,)}
    assert lowest_common_ancestor(parents, 6, 7) == 4


def test_lca_criss_cross_picks_most_recent() -> None:
    #   1
    #  / \
    # 2   3
    # |\ /|
    # | X |
    # |/ \|
    # 4   5      4 = merge(2, 3), 5 = merge(3, 2): both 2 and 3 are best bases.
    parents = {1: (), 2: (1,), 3: (1,), 4: (2, 3), 5: (3, 2)}
    assert _best_by_definition(parents, 4, 5) == {2, 3}
    assert lowest_common_ancestor(parents, 4, 5) == 3


def test_lca_disjoint_histories() -> None:
    assert lowest_common_ancestor({1: (), 2: ()}, 1, 2) is None


def test_lca_missing_ids_are_roots() -> None:
    assert lowest_common_ancestor({2: (1,), 3: (1,)}, 2, 3) == 1


def test_lca_cycle_is_reported() -> None:
    with pytest.raises(ValueError):
        lowest_common_ancestor({1: (2,), 2: (1,)}, 1, 2)


# ---------------------------------------------------------------------------------------------
# SVG


def _node(
    id: int, lane: str = OFFICIAL_LANE, parents: tuple[int, ...] = (), head: bool = False
) -> Node:
    return Node(id, lane, parents, f"Révision {id}", f"/revisions/{id}", head)


def _parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def _links(root: ET.Element) -> list[str]:
    return [a.get("href", "") for a in root.iter(f"{SVG}a")]


def test_svg_root_is_accessible() -> None:
    root = _parse(render_svg([_node(1), _node(2, parents=(1,), head=True)], {}))
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert "2 révisions" in root.get("aria-label", "")


def test_each_node_is_a_link_with_a_title() -> None:
    root = _parse(render_svg([_node(1), _node(2, parents=(1,))], {}))
    anchors = list(root.iter(f"{SVG}a"))
    assert [a.get("href") for a in anchors] == ["/revisions/1", "/revisions/2"]
    for anchor in anchors:
        assert anchor.find(f"{SVG}title") is not None
        assert anchor.find(f"{SVG}circle") is not None


def test_official_lane_first_then_by_creation() -> None:
    nodes = [
        _node(1),
        _node(2, "remix:9", (1,)),
        _node(3, "remix:4", (1,)),
        _node(4, OFFICIAL_LANE, (1,)),
    ]
    root = _parse(render_svg(nodes, {OFFICIAL_LANE: "Officielle", "remix:9": "R9"}))
    x_of = {}
    for anchor in root.iter(f"{SVG}a"):
        x_of[anchor.get("href")] = int(anchor.find(f"{SVG}circle").get("cx"))
    assert x_of["/revisions/1"] == x_of["/revisions/4"]
    assert x_of["/revisions/1"] < x_of["/revisions/2"] < x_of["/revisions/3"]
    titles = [
        t.find(f"{SVG}title").text
        for t in root.iter(f"{SVG}text")
        if t.find(f"{SVG}title") is not None
    ]
    assert titles == ["Officielle", "R9", "remix:4"]


def test_time_flows_downward() -> None:
    root = _parse(render_svg([_node(1), _node(5, parents=(1,)), _node(3, parents=(1,))], {}))
    y_of = {a.get("href"): int(a.find(f"{SVG}circle").get("cy")) for a in root.iter(f"{SVG}a")}
    assert y_of["/revisions/1"] < y_of["/revisions/3"] < y_of["/revisions/5"]


def test_merge_edge_joins_lanes() -> None:
    nodes = [_node(1), _node(2, "remix:1", (1,)), _node(3, OFFICIAL_LANE, (1, 2))]
    root = _parse(render_svg(nodes, {}))
    assert len(list(root.iter(f"{SVG}path"))) == 3  # 1→2 fork, 1→3, 2→3 merge


def _chain(length: int, lane: str = OFFICIAL_LANE, start: int = 1) -> list[Node]:
    nodes = [_node(start, lane)]
    for i in range(start + 1, start + length):
        nodes.append(_node(i, lane, (i - 1,), head=(i == start + length - 1)))
    return nodes


def test_long_run_is_collapsed() -> None:
    root = _parse(render_svg(_chain(20), {}, collapse_runs_over=6))
    # 1 (root) and 20 (head) stay; 2..19 are 18 single-parent, single-child revisions.
    assert _links(root) == ["/revisions/1", "/revisions/20"]
    markers = [t.text for t in root.iter(f"{SVG}text") if t.text and "…" in t.text]
    assert markers == ["… 18 révisions"]


def test_short_run_is_not_collapsed() -> None:
    root = _parse(render_svg(_chain(8), {}, collapse_runs_over=6))
    assert len(_links(root)) == 8  # run of 6 (2..7) is not more than 6


def test_run_broken_by_fork_and_head() -> None:
    nodes = _chain(20)
    # A remix forks from revision 10: 10 has two children, so it stays visible.
    nodes.append(_node(21, "remix:21", (10,), head=True))
    # Revision 15 is a head of something (e.g. a published version): stays visible.
    nodes[14] = _node(15, parents=(14,), head=True)
    root = _parse(render_svg(nodes, {}, collapse_runs_over=3))
    links = _links(root)
    for visible in (1, 10, 15, 20, 21):
        assert f"/revisions/{visible}" in links
    markers = sorted(t.text for t in root.iter(f"{SVG}text") if t.text and "…" in t.text)
    # 2..9 (8), 11..14 (4), 16..19 (4)
    assert markers == ["… 4 révisions", "… 4 révisions", "… 8 révisions"]


def test_labels_are_escaped_and_bidi_visible() -> None:
    hostile = '<script>alert("x")</script> & \u202e\x01'
    node = Node(1, OFFICIAL_LANE, (), hostile, "/r/1?a=1&b=2", True)
    svg = render_svg([node], {OFFICIAL_LANE: hostile})
    assert "<script" not in svg
    root = _parse(svg)
    assert root.find(f"{SVG}a").get("href") == "/r/1?a=1&b=2"
    title = root.find(f"{SVG}a/{SVG}title").text
    assert title == '<script>alert("x")</script> & [U+202E]'


@pytest.mark.parametrize("url", ["javascript:alert(1)", "java\tscript:alert(1)", "data:x"])
def test_unsafe_node_url_refused(url: str) -> None:
    with pytest.raises(ValueError):
        render_svg([Node(1, OFFICIAL_LANE, (), "x", url, True)], {})


def test_duplicate_ids_refused() -> None:
    with pytest.raises(ValueError):
        render_svg([_node(1), _node(1)], {})


def test_empty_graph_is_valid_svg() -> None:
    assert _parse(render_svg([], {})).get("role") == "img"


def test_unknown_parents_are_ignored() -> None:
    root = _parse(render_svg([_node(7, parents=(3,))], {}))
    assert _links(root) == ["/revisions/7"]
    assert not list(root.iter(f"{SVG}path"))


def _big_history() -> list[Node]:
    """500 revisions: an official line, 50 remixes forking off it, some merged back."""
    nodes: list[Node] = []
    next_id = 1
    official_tip = None
    remix_tips: dict[str, int] = {}
    for step in range(500):
        if step % 10 == 5 and len(remix_tips) < 50:
            lane = f"remix:{next_id}"
            nodes.append(
                Node(next_id, lane, (official_tip,), f"Remix {next_id}", f"/remix/{next_id}", False)
            )
            remix_tips[lane] = next_id
        elif step % 7 == 3 and remix_tips:
            lane = sorted(remix_tips)[step % len(remix_tips)]
            nodes.append(
                Node(next_id, lane, (remix_tips[lane],), f"Rev {next_id}", f"/r/{next_id}", False)
            )
            remix_tips[lane] = next_id
        elif step % 23 == 0 and remix_tips and official_tip is not None:
            lane = sorted(remix_tips)[0]
            nodes.append(
                Node(
                    next_id,
                    OFFICIAL_LANE,
                    (official_tip, remix_tips[lane]),
                    f"Fusion {next_id}",
                    f"/r/{next_id}",
                    False,
                )
            )
            official_tip = next_id
        else:
            parents = (official_tip,) if official_tip is not None else ()
            nodes.append(
                Node(
                    next_id,
                    OFFICIAL_LANE,
                    parents,
                    "Révision " * 8 + str(next_id),
                    f"/r/{next_id}",
                    False,
                )
            )
            official_tip = next_id
        next_id += 1
    heads = {official_tip, *remix_tips.values()}
    return [Node(n.id, n.lane, n.parents, n.label, n.url, n.id in heads) for n in nodes]


def test_big_history_stays_small_and_valid() -> None:
    nodes = _big_history()
    assert len(nodes) == 500
    assert len({n.lane for n in nodes}) == 51
    svg = render_svg(nodes, {OFFICIAL_LANE: "Définition officielle"})
    assert len(svg.encode()) < 400_000
    root = _parse(svg)
    assert root.get("role") == "img"


def test_big_history_without_collapsing_still_under_budget() -> None:
    svg = render_svg(_big_history(), {}, collapse_runs_over=10_000)
    assert len(svg.encode()) < 400_000
    assert len(_links(_parse(svg))) == 500


def test_render_is_deterministic() -> None:
    nodes = _big_history()
    assert render_svg(nodes, {}) == render_svg(list(reversed(nodes)), {})
