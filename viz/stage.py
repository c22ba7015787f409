"""A still stage: one layout for every frame of a walk, so that no node ever moves.

Each frame is a ``Picture``: the same nodes and edges, with its own labels and colours. The
``Stage`` lays the graph out once with ``dot`` and then draws every picture at those positions
(``neato -n2`` keeps given positions and edge paths):

1. every node gets the size of its largest label over all pictures (one ``dot -Tjson`` run on
   all labels side by side), so that a label that grows later (a gradient arriving) fits;
2. ``dot`` lays out the graph of those fixed-size boxes, left to right or top to bottom: the
   direction in which the *first* picture (every value, no derivative yet) fills a 1400x900
   screen better. The first picture is the same in the backward and the forward walk of a
   program, so both players lay the same formula out the same way (a graph of more than
   ``AUTO_DIRECTION_NODES`` nodes is laid out left to right: dot can take minutes on one laid
   out top to bottom);
3. each picture is drawn with every node pinned at its position and every edge on its path.

Drawing every picture whole would cost (pictures) × (nodes): a walk of 200 ops has ~400 pictures
of ~400 nodes. But from one picture to the next only a few nodes change (the op being
differentiated, the gradients it sends), so the stage draws each *drawing* of a node or an edge
once: the ``Sheet`` holds every distinct drawing, made by one run of Graphviz, and a picture is
the list of the drawings it shows, one per node and edge. Work and output grow with the number of
drawings, which is (nodes + edges + steps) for a walk, not with their product.

Labels longer than Graphviz can handle never get here: names are shortened before (see
``viz.names``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import graphviz

from .render import Digraph, explain_missing_dot

SCREEN = (1360.0, 620.0)  # the stage's share of a 1400x900 screen, in CSS pixels
GRAPH_ATTRIBUTES = {
    "fontname": "Helvetica",
    "nodesep": "0.18",
    "ranksep": "0.3",
    "pad": "0.05",
    "bgcolor": "transparent",
}
AUTO_DIRECTION_NODES = 60  # "auto" tries both directions up to this many nodes, then left to right only
SIZE_ATTRIBUTES = ("shape", "fontsize", "fontname", "margin", "penwidth", "peripheries")


@dataclass
class Picture:
    """What one frame draws.

    nodes   node id -> (HTML label, attributes such as shape, fillcolor, penwidth), in order
    edges   (tail id, head id, attributes), in order
    """

    nodes: dict[str, tuple[str, dict[str, str]]] = field(default_factory=dict)
    edges: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)

    def digraph(self, rankdir: str = "LR", node_attr: dict[str, str] | None = None) -> Digraph:
        """The picture on its own (laid out by dot, not pinned): its ``source`` is readable DOT."""
        graph = Digraph(
            name="computation_graph",
            graph_attr={**GRAPH_ATTRIBUTES, "rankdir": rankdir},
            node_attr=node_attr or {},
            edge_attr={"color": "#555555"},
        )
        for node_id, (label, attributes) in self.nodes.items():
            graph.node(node_id, label, **attributes)
        for tail, head, attributes in self.edges:
            graph.edge(tail, head, **attributes)
        return graph


@dataclass
class Sheet:
    """Every drawing of a node or an edge on a stage, as SVG: ``header + drawings + footer`` is a picture.

    header    the SVG document up to its first node (the same for every picture)
    drawings  drawing number -> one SVG group ``<g id="v7" class="node">…</g>``
    footer    what closes the document
    """

    header: str
    drawings: list[str]
    footer: str

    def svg(self, numbers: list[int]) -> str:
        """The SVG of a picture that shows the drawings ``numbers`` (in this order)."""
        return self.header + "".join(self.drawings[number] for number in numbers) + self.footer


_DRAWING_START = re.compile(r'<g id="v(\d+)" class="(?:node|edge)">')
_TRAILING_COMMENT = re.compile(r"<!--[^>]*-->\s*$")
_TITLE = re.compile(r"<title>[^<]*</title>")
_VARIANT = re.compile(r"~\d+")


class Stage:
    """One layout shared by several pictures of the same graph (computed on first use)."""

    def __init__(self, pictures: list[Picture], node_attr: dict[str, str], rankdir: str = "auto") -> None:
        if rankdir not in ("auto", "LR", "RL", "TB", "BT"):
            raise ValueError(f"rankdir must be 'auto', 'LR', 'RL', 'TB' or 'BT', got {rankdir!r}")
        self.pictures = pictures
        self.node_attr = node_attr
        self.rankdir = rankdir
        self._layout: dict | None = None
        self._drawings: tuple[list, list, dict[int, list[int]]] | None = None
        self._sheet: Sheet | None = None

    def drawings(self) -> tuple[list, list, dict[int, list[int]]]:
        """Every distinct drawing over all pictures, numbered: (node drawings, edge drawings, and for
        each picture (by id) the number of the drawing it shows for each node, then each edge).

        A node drawing is (node id, label, attributes), an edge drawing (edge position, attributes).
        Pictures that share a node's (label, attributes) object (as the walks' pictures do) cost one
        look-up for it; others are compared by content.
        """
        if self._drawings is None:
            first = self.pictures[0]
            by_content: dict[tuple, int] = {}
            by_identity: dict[int, int] = {}
            nodes: list[tuple[str, str, dict[str, str]]] = []
            edge_keys: list[tuple] = []
            shown: dict[int, list[int]] = {}
            for picture in self.pictures:
                if list(picture.nodes) != list(first.nodes) or len(picture.edges) != len(first.edges):
                    raise ValueError("the pictures of a stage must have the same nodes and edges")
                numbers = []
                for node_id, drawing in picture.nodes.items():
                    number = by_identity.get(id(drawing))
                    if number is None:
                        label, attributes = drawing
                        key = (node_id, label, tuple(attributes.items()))
                        if key not in by_content:
                            by_content[key] = len(nodes)
                            nodes.append((node_id, label, dict(attributes)))
                        number = by_identity[id(drawing)] = by_content[key]
                    numbers.append(number)
                shown[id(picture)] = numbers
            for picture in self.pictures:
                for position, edge in enumerate(picture.edges):
                    number = by_identity.get(id(edge))
                    if number is None:
                        edge_key = (position, tuple(edge[2].items()))
                        if edge_key not in by_content:
                            by_content[edge_key] = len(nodes) + len(edge_keys)
                            edge_keys.append(edge_key)
                        number = by_identity[id(edge)] = by_content[edge_key]
                    shown[id(picture)].append(number)
            edges = [(position, dict(attributes)) for position, attributes in edge_keys]
            self._drawings = (nodes, edges, shown)
        return self._drawings

    def shown(self, picture: Picture) -> list[int]:
        """The numbers of the drawings ``picture`` shows: one per node, then one per edge."""
        return self.drawings()[2][id(picture)]

    def sheet(self) -> Sheet:
        """Every drawing, made by one run of Graphviz (``neato -n2`` on the stage's layout)."""
        if self._sheet is None:
            layout = self.layout()
            nodes, edges, _ = self.drawings()
            first = self.pictures[0]
            graph = Digraph(
                name="computation_graph",
                graph_attr={**GRAPH_ATTRIBUTES, "bb": layout["bb"], "splines": "true"},
                node_attr=self.node_attr,
                edge_attr={"color": "#555555"},
            )
            versions: dict[str, int] = {}
            for number, (node_id, label, attributes) in enumerate(nodes):
                version = versions[node_id] = versions.get(node_id, -1) + 1
                width, height = layout["sizes"][node_id]
                graph.node(
                    f"{node_id}~{version}",
                    label,
                    **attributes,
                    id=f"v{number}",
                    pos=f"{layout['positions'][node_id]}!",
                    width=f"{width:.4f}",
                    height=f"{height:.4f}",
                    fixedsize="true",
                )
            for number, (position, attributes) in enumerate(edges, start=len(nodes)):
                tail, head, _ = first.edges[position]
                path = layout["edges"][position]
                if attributes.get("dir") == "back":
                    path = arrow_at_tail(path)
                graph.edge(f"{tail}~0", f"{head}~0", **attributes, id=f"v{number}", pos=path)
            with explain_missing_dot():
                svg = graphviz.Source(graph.source, engine="neato").pipe(format="svg", encoding="utf-8", neato_no_op=2)
            # The titles name the node a drawing shows ("t3"), not the drawing ("t3~1").
            svg = _TITLE.sub(lambda title: _VARIANT.sub("", title.group()), svg)
            found = list(_DRAWING_START.finditer(svg))
            end = svg.rindex("</g>\n</svg>")
            drawings = [""] * (len(nodes) + len(edges))
            for match, stop in zip(found, [later.start() for later in found[1:]] + [end]):
                drawings[int(match.group(1))] = _TRAILING_COMMENT.sub("", svg[match.start() : stop])
            assert len(found) == len(drawings), "Graphviz draws every node and edge once"
            self._sheet = Sheet(_TRAILING_COMMENT.sub("", svg[: found[0].start()]), drawings, svg[end:])
        return self._sheet

    def layout(self) -> dict:
        """{'sizes': id -> (w, h) inches, 'positions': id -> 'x,y', 'edges': [pos], 'rankdir': ...}."""
        if self._layout is None:
            sizes, first_sizes = self._node_sizes()
            direction = self.rankdir
            if direction == "auto" and len(self.pictures[0].nodes) > AUTO_DIRECTION_NODES:
                direction = "LR"  # dot can take minutes on a large graph laid out top to bottom
            if direction == "auto":
                candidates = [self._place(first_sizes, direction) for direction in ("LR", "TB")]
                direction = max(candidates, key=lambda layout: layout["scale"])["rankdir"]
            self._layout = self._place(sizes, direction)
        return self._layout

    def _node_sizes(self) -> tuple[dict[str, tuple[float, float]], dict[str, tuple[float, float]]]:
        """The largest width and height each node needs over all pictures, and in the first."""
        variants: dict[tuple[str, str, tuple], None] = {}
        first: set[tuple[str, str, tuple]] = set()
        for node_id, label, attributes in self.drawings()[0]:
            size_attributes = tuple(sorted((k, v) for k, v in attributes.items() if k in SIZE_ATTRIBUTES))
            variants[(node_id, label, size_attributes)] = None
        for node_id, (label, attributes) in self.pictures[0].nodes.items():
            size_attributes = tuple(sorted((k, v) for k, v in attributes.items() if k in SIZE_ATTRIBUTES))
            first.add((node_id, label, size_attributes))
        # Every node at (0, 0), kept there (neato -n2): Graphviz only measures the labels.
        graph = Digraph(graph_attr=GRAPH_ATTRIBUTES, node_attr={**self.node_attr, "pos": "0,0"})
        owners = []
        for number, variant in enumerate(variants):
            node_id, label, size_attributes = variant
            graph.node(f"s{number}", label, **dict(size_attributes))
            owners.append((node_id, variant in first))
        sizes: dict[str, tuple[float, float]] = {}
        first_sizes: dict[str, tuple[float, float]] = {}
        for item in _json(graph.source, "neato", neato_no_op=2).get("objects", []):
            owner, in_first = owners[int(item["name"][1:])]
            width, height = float(item["width"]), float(item["height"])
            for table in (sizes, first_sizes) if in_first else (sizes,):
                old = table.get(owner, (0.0, 0.0))
                table[owner] = (max(old[0], width), max(old[1], height))
        return sizes, first_sizes

    def _place(self, sizes: dict[str, tuple[float, float]], rankdir: str) -> dict:
        picture = self.pictures[0]
        graph = Digraph(graph_attr={**GRAPH_ATTRIBUTES, "rankdir": rankdir}, node_attr=self.node_attr)
        for node_id, (_, attributes) in picture.nodes.items():
            width, height = sizes[node_id]
            shape = attributes.get("shape", "box")
            graph.node(node_id, "", shape=shape, width=f"{width:.4f}", height=f"{height:.4f}", fixedsize="true")
        for tail, head, _ in picture.edges:
            graph.edge(tail, head)
        laid_out = _json(graph.source, "dot")
        positions = {item["name"]: item["pos"] for item in laid_out.get("objects", [])}
        names = {item["_gvid"]: item["name"] for item in laid_out.get("objects", [])}
        # dot numbers edges in its own order (grouped by tail): find each edge by its ends.
        paths: dict[tuple[str, str], list[str]] = {}
        for edge in sorted(laid_out.get("edges", []), key=lambda edge: edge["_gvid"]):
            paths.setdefault((names[edge["tail"]], names[edge["head"]]), []).append(edge["pos"])
        edges = [paths[(tail, head)].pop(0) for tail, head, _ in picture.edges]
        x0, y0, x1, y1 = (float(number) for number in laid_out["bb"].split(","))
        width_px, height_px = (x1 - x0) * 4 / 3, (y1 - y0) * 4 / 3  # points -> CSS pixels
        scale = min(SCREEN[0] / width_px, SCREEN[1] / height_px)
        return {
            "sizes": sizes,
            "positions": positions,
            "edges": edges,
            "bb": laid_out["bb"],
            "scale": scale,
            "rankdir": rankdir,
        }

    def pinned_source(self, picture: Picture) -> str:
        """DOT text of ``picture`` with every node and edge at its place on the stage."""
        layout = self.layout()
        graph = Digraph(
            name="computation_graph",
            graph_attr={**GRAPH_ATTRIBUTES, "bb": layout["bb"], "splines": "true"},
            node_attr=self.node_attr,
            edge_attr={"color": "#555555"},
        )
        for node_id, (label, attributes) in picture.nodes.items():
            width, height = layout["sizes"][node_id]
            graph.node(
                node_id,
                label,
                **attributes,
                pos=f"{layout['positions'][node_id]}!",
                width=f"{width:.4f}",
                height=f"{height:.4f}",
                fixedsize="true",
            )
        for (tail, head, attributes), path in zip(picture.edges, layout["edges"]):
            if attributes.get("dir") == "back":
                path = arrow_at_tail(path)
            graph.edge(tail, head, **attributes, pos=path)
        return graph.source

    def svg(self, picture: Picture) -> str:
        """``picture`` drawn on the stage, as SVG text (from the sheet when it is one of the stage's)."""
        if id(picture) in self.drawings()[2]:
            return self.sheet().svg(self.shown(picture))
        with explain_missing_dot():
            return graphviz.Source(self.pinned_source(picture), engine="neato").pipe(
                format="svg", encoding="utf-8", neato_no_op=2
            )

    def render_bytes(self, picture: Picture, file_format: str) -> bytes:
        with explain_missing_dot():
            return graphviz.Source(self.pinned_source(picture), engine="neato").pipe(format=file_format, neato_no_op=2)


ARROW_LENGTH = 10.0  # points: Graphviz's arrowhead at arrowsize 1


def arrow_at_tail(path: str) -> str:
    """An edge path laid out with its arrow at the head, redrawn with the arrow at the tail.

    A path is "e,x,y p0 p1 ... pn": a B-spline from the tail's border p0 to pn, and the arrow
    from pn to its tip (x, y) at the head's border. The same curve with ``dir=back`` needs
    "s,x,y q0 ... qn": the arrow from q0 back to its tip (x, y) at the tail's border. So the
    spline now starts one arrow length inside the curve and runs on to the head's border.
    """
    items = path.split()
    end = next((item[2:] for item in items if item.startswith("e,")), None)
    points = [[float(number) for number in item.split(",")] for item in items if item[:2] not in ("e,", "s,")]
    if end is None or len(points) < 2:
        return path
    (x0, y0), (x1, y1) = points[0], points[1]
    length = max(((x1 - x0) ** 2 + (y1 - y0) ** 2) ** 0.5, 1e-9)
    step = min(ARROW_LENGTH, 0.9 * length) / length
    tip = f"{x0:.3f},{y0:.3f}"
    points[0] = [x0 + (x1 - x0) * step, y0 + (y1 - y0) * step]
    points[-1] = [float(number) for number in end.split(",")]
    return f"s,{tip} " + " ".join(f"{x:.3f},{y:.3f}" for x, y in points)


def _json(source: str, engine: str, neato_no_op: int | None = None) -> dict:
    """Graphviz's layout as JSON (json0: without the drawing instructions, which are not needed)."""
    with explain_missing_dot():
        text = graphviz.Source(source, engine=engine).pipe(format="json0", encoding="utf-8", neato_no_op=neato_no_op)
    return json.loads(text)
