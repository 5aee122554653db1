"""The revision DAG: common ancestors for merges, and an SVG drawing of the history.

Revision ids increase with time, and a revision's parents are always older than it. The
drawing is a "git log --graph": one row per revision, newest at the bottom (time flows top →
bottom, like reading the history), one column ("lane") for the official definition and one per
remix, and the revision's label on the right of its row.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

__all__ = [
    "OFFICIAL_LANE",
    "Node",
    "ancestors",
    "lowest_common_ancestor",
    "render_svg",
]

OFFICIAL_LANE = "official"


# ---------------------------------------------------------------------------------------------
# Ancestry


def ancestors(parents: Mapping[int, Sequence[int]], node: int) -> set[int]:
    """``node`` and every revision it descends from. Ids missing from ``parents`` are roots."""
    seen = {node}
    stack = [node]
    while stack:
        for parent in parents.get(stack.pop(), ()):
            if parent not in seen:
                seen.add(parent)
                stack.append(parent)
    return seen


def lowest_common_ancestor(parents: Mapping[int, Sequence[int]], a: int, b: int) -> int | None:
    """The merge base of ``a`` and ``b``, or None when their histories never meet.

    Common ancestors are the nodes that are ancestors of both (each node is its own ancestor).
    The best ones are those that are not an ancestor of another common ancestor. After
    criss-cross merges there can be several; this returns the one with the greatest id, i.e.
    the most recent, because it has seen the most of both sides and so leaves the fewest
    changes to reconcile. (Git would merge the bases recursively; a wiki merge shows the
    result to a person, who is a better judge than a synthetic base.)

    Raises ValueError if ``parents`` has a cycle among the common ancestors.
    """
    common = ancestors(parents, a) & ancestors(parents, b)
    if not common:
        return None
    # If c is a proper ancestor of another common ancestor d, the path from c down to d runs
    # through common ancestors only (all are ancestors of d, hence of a and b), so one of c's
    # children is common. The best are therefore exactly the common nodes that are not the
    # parent of a common node: one pass over the edges instead of a search per candidate.
    best = set(common)
    for node in common:
        best.difference_update(parents.get(node, ()))
    if not best:
        raise ValueError("the revision graph has a cycle")
    return max(best)


# ---------------------------------------------------------------------------------------------
# SVG


@dataclass(frozen=True)
class Node:
    id: int
    lane: str  # OFFICIAL_LANE or e.g. "remix:7"
    parents: tuple[int, ...]
    label: str
    url: str
    is_head: bool


_LANE_W = 24
_ROW_H = 20
_PAD = 8
_HEADER_H = 120
_LABEL_W = 420
_LABEL_MAX = 60
_TITLE_MAX = 20
_R = 5
_R_HEAD = 7
# The official lane has the first colour; remixes cycle through the other seven.
_PALETTE = ("#1f4e79", "#b5462b", "#2e7d32", "#7b3f99", "#b8860b", "#00838f", "#ad1457", "#5d4037")

# Characters XML 1.0 forbids (the result must parse) and bidi overrides/isolates, which would
# let a label display as something else: the first are dropped, the second shown by name.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")


def _text(value: str) -> str:
    value = _XML_INVALID.sub("", value)
    value = _BIDI.sub(lambda m: f"[U+{ord(m.group()):04X}]", value)
    return escape(value)


def _attr(value: str) -> str:
    return escape(_XML_INVALID.sub("", value), {'"': "&quot;"})


_URL_SCHEME = re.compile(r"([a-zA-Z][a-zA-Z0-9+.-]*):")


def _href(url: str) -> str:
    # The SVG is inlined in pages, where a javascript: link would run: http(s) or relative only.
    # Browsers drop tabs and newlines anywhere and leading controls before reading a scheme.
    scheme = _URL_SCHEME.match(re.sub(r"[\t\n\r]", "", url).lstrip("\x00- "))
    if scheme and scheme.group(1).lower() not in {"http", "https"}:
        raise ValueError(f"unsafe node URL: {url!r}")
    return _attr(url)


def _truncate(value: str, limit: int) -> str:
    value = " ".join(value.split())
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"


@dataclass(frozen=True)
class _Marker:
    """Stands for a collapsed run of revisions."""

    first: int
    last: int
    count: int
    lane: str


def _collapse(
    by_id: Mapping[int, Node], children: Mapping[int, list[int]], over: int
) -> dict[int, _Marker]:
    """Map each hidden revision id to the marker replacing its run."""

    known: dict[int, bool] = {}  # each node is asked up to three times: answered once

    def collapsible(node: Node) -> bool:
        if node.id not in known:
            known[node.id] = continues_its_line(node)
        return known[node.id]

    def continues_its_line(node: Node) -> bool:
        # One parent and one child, both in the same lane: the node only continues a line.
        # Heads stay visible whatever their shape: they are where people click.
        if node.is_head or len(node.parents) != 1:
            return False
        parent = by_id.get(node.parents[0])
        kids = children.get(node.id, [])
        return (
            parent is not None
            and parent.lane == node.lane
            and len(kids) == 1
            and by_id[kids[0]].lane == node.lane
        )

    hidden: dict[int, _Marker] = {}
    for node in sorted(by_id.values(), key=lambda n: n.id):
        if not collapsible(node) or collapsible(by_id[node.parents[0]]):
            continue  # not the start of a run
        run = [node.id]
        current = node
        while True:
            nxt = by_id[children[current.id][0]]
            if not collapsible(nxt):
                break
            run.append(nxt.id)
            current = nxt
        if len(run) > over:
            marker = _Marker(run[0], run[-1], len(run), node.lane)
            hidden.update((rid, marker) for rid in run)
    return hidden


def _lane_order(nodes: Sequence[Node]) -> list[str]:
    first_seen: dict[str, int] = {}
    for node in nodes:
        first_seen[node.lane] = min(first_seen.get(node.lane, node.id), node.id)
    return sorted(first_seen, key=lambda lane: (lane != OFFICIAL_LANE, first_seen[lane], lane))


def render_svg(
    nodes: Sequence[Node],
    lane_titles: Mapping[str, str],
    *,
    collapse_runs_over: int = 6,
) -> str:
    """Draw the revision graph as a standalone SVG document (UTF-8 text, no XML declaration).

    Long straight runs — more than ``collapse_runs_over`` consecutive revisions of one lane,
    each with a single parent and a single child in that lane and no other edge — become one
    « … N révisions » marker, so 500 revisions and 50 remixes stay readable and small.
    Parents missing from ``nodes`` (history cut off by the caller) are ignored.

    The root has role="img" and an aria-label summary, as requested for the page; note that
    role="img" hides the inner links from assistive technology, so the page should also offer
    the revision list as text.
    """
    if collapse_runs_over < 0:
        raise ValueError("collapse_runs_over must be >= 0")
    by_id: dict[int, Node] = {}
    for node in nodes:
        if node.id in by_id:
            raise ValueError(f"duplicate revision id {node.id}")
        by_id[node.id] = node
    children: dict[int, list[int]] = {}
    for node in sorted(by_id.values(), key=lambda n: n.id):
        for parent in node.parents:
            if parent in by_id:
                children.setdefault(parent, []).append(node.id)

    hidden = _collapse(by_id, children, collapse_runs_over)
    lanes = _lane_order(list(by_id.values()))
    column = {lane: index for index, lane in enumerate(lanes)}

    # Rows: visible revisions and markers, oldest first; a marker sits at its first revision.
    items: list[Node | _Marker] = []
    for node_id in sorted(by_id):
        marker = hidden.get(node_id)
        if marker is None:
            items.append(by_id[node_id])
        elif marker.first == node_id:
            items.append(marker)
    row = {_key(item): index for index, item in enumerate(items)}

    def centre(item: Node | _Marker) -> tuple[int, int]:
        x = _PAD + column[item.lane] * _LANE_W + _LANE_W // 2
        y = _HEADER_H + row[_key(item)] * _ROW_H + _ROW_H // 2
        return x, y

    def colour_of(lane: str) -> str:
        if lane == OFFICIAL_LANE:
            return _PALETTE[0]
        return _PALETTE[1 + (column[lane] - 1) % (len(_PALETTE) - 1)]

    def item_of(node_id: int) -> Node | _Marker:
        return hidden.get(node_id) or by_id[node_id]

    lane_starts: dict[str, int] = {}  # one pass: a scan per lane costs lanes × nodes
    for node in by_id.values():
        if node.id < lane_starts.get(node.lane, node.id + 1):
            lane_starts[node.lane] = node.id
    edges: set[tuple[int, int]] = set()
    for node in by_id.values():
        for parent in node.parents:
            if parent in by_id:
                source, target = _key(item_of(parent)), _key(item_of(node.id))
                if source != target:
                    edges.add((source, target))
    by_key = {_key(item): item for item in items}

    graph_w = _PAD * 2 + len(lanes) * _LANE_W
    width = graph_w + _LABEL_W
    height = _HEADER_H + len(items) * _ROW_H + _PAD
    remixes = len([lane for lane in lanes if lane != OFFICIAL_LANE])
    summary = (
        f"Graphe des révisions : {len(by_id)} révision{'s' if len(by_id) != 1 else ''}, "
        f"{remixes} remix"
    )
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{_attr(summary)}" '
        'class="revision-graph" font-family="sans-serif" font-size="12">',
        "<style>.e{fill:none;stroke-width:2}.n{stroke-width:2;fill:#fff}.h{stroke-width:3}"
        ".m{fill:#fff;stroke:#888;stroke-dasharray:2 2}.t{fill:#222}.c{fill:#666;font-style:italic}"
        ".g{stroke:#ddd;stroke-width:1}</style>",
    ]

    # Lane headers: a faint guide line and the title, slanted to fit narrow columns.
    for lane in lanes:
        x = _PAD + column[lane] * _LANE_W + _LANE_W // 2
        title = lane_titles.get(lane, lane)
        out.append(
            f'<line class="g" x1="{x}" y1="{_HEADER_H - 4}" x2="{x}" y2="{height - _PAD}"/>'
            f'<text class="t" transform="translate({x + 4} {_HEADER_H - 8}) rotate(-45)">'
            f"<title>{_text(title)}</title>{_text(_truncate(title, _TITLE_MAX))}</text>"
        )

    # Edges first so that nodes are drawn over them.
    for source_key, target_key in sorted(edges):
        source, target = by_key[source_key], by_key[target_key]
        x1, y1 = centre(source)
        x2, y2 = centre(target)
        colour = colour_of(target.lane)
        if x1 == x2:
            d = f"M{x1} {y1}V{y2}"
        elif isinstance(target, Node) and lane_starts[target.lane] == target.id:
            # A fork: leave the parent at once, then run down the new lane.
            mid = y1 + _ROW_H // 2
            d = f"M{x1} {y1}C{x1} {mid} {x2} {mid} {x2} {y1 + _ROW_H}V{y2}"
        else:
            # A merge: run down the source lane, join the target just above the child.
            mid = y2 - _ROW_H // 2
            d = f"M{x1} {y1}V{y2 - _ROW_H}C{x1} {mid} {x2} {mid} {x2} {y2}"
            colour = colour_of(source.lane)
        out.append(f'<path class="e" stroke="{colour}" d="{d}"/>')

    for item in items:
        x, y = centre(item)
        colour = colour_of(item.lane)
        if isinstance(item, _Marker):
            plural = "s" if item.count > 1 else ""
            text = f"… {item.count} révision{plural}"
            tip = f"{item.count} révision{plural} masquée{plural} (n° {item.first} à {item.last})"
            out.append(
                f'<g><title>{_text(tip)}</title><circle class="m" cx="{x}" cy="{y}" r="{_R}"/>'
                f'<text class="c" x="{graph_w}" y="{y + 4}">{_text(text)}</text></g>'
            )
            continue
        radius, cls = (_R_HEAD, "n h") if item.is_head else (_R, "n")
        out.append(
            f'<a href="{_href(item.url)}"><title>{_text(item.label)}</title>'
            f'<circle class="{cls}" stroke="{colour}" cx="{x}" cy="{y}" r="{radius}"/>'
            f'<text class="t" x="{graph_w}" y="{y + 4}">'
            f"{_text(_truncate(item.label, _LABEL_MAX))}</text></a>"
        )
    out.append("</svg>")
    return "\n".join(out)


def _key(item: Node | _Marker) -> int:
    return item.first if isinstance(item, _Marker) else item.id
