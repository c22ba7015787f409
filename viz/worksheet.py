"""Worksheets: the forward graph on paper with empty gradient boxes, and a page of answers.

    python -m viz "z = w*x + b; p = sigmoid(z); L = -log(p)" --values w=0.5,x=2,b=-1 --worksheet --out ws
    -> ws/worksheet.pdf, two A4 landscape pages:
       page 1  the program, its graph with every value, and under each node an empty box for
               ∂L/∂(node), for the students to fill in from L backwards
       page 2  the same page with every box filled in: the answers

    viz.worksheet.write_worksheet(program, "ws")      # program = viz.expression.build(...)

Graphviz lays the graph out (``dot -Tplain`` gives each node's position), matplotlib draws the
pages (text stays text, the page is exactly A4). The nodes and edges come from
``viz.graph.graph_structure``, the gradients from the engine's own walk,
``tinygrad_edu.backward_steps``: nothing here differentiates anything.
"""

from __future__ import annotations

import shlex
import textwrap
from pathlib import Path
from typing import Any

import graphviz
import numpy as np
from matplotlib import rc_context
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Rectangle
from matplotlib.path import Path as CurvePath

import tinygrad_edu as tg
from tinygrad_edu import Tensor
from tinygrad_edu.io.atomic import atomic_file

from .expression import Program
from .graph import GraphStructure, graph_structure
from .names import apply_text, wrap
from .render import explain_missing_dot

A4_LANDSCAPE = (11.69, 8.27)  # inches
FONT_SIZE = 12.0  # points, at scale 1; the page scales everything to fit (at most MAX_SCALE)
MAX_SCALE = 1.5
CHAR_WIDTH = 0.6  # of the font size: DejaVu Sans Mono exactly, DejaVu Sans a little less
LINE_HEIGHT = 1.45  # of the font size
PAD = 0.1  # inches inside a box
TITLE_CHARS = 10  # a longer title is wrapped onto several lines
MOST_NUMBERS_SHOWN = 12  # a bigger tensor shows its shape instead of its numbers
HANDWRITING_ROWS = 1.8  # an empty box is at least this many lines tall, to write in by hand

FILL = {"parameter": "#cfe2ff", "constant": "#e9ecef", "intermediate": "#ffffff", "output": "#ffe08a"}
ANSWER_COLOUR = "#c0392b"


def number_lines(array: np.ndarray) -> list[str]:
    """The numbers, 4 significant digits: '2.5', a vector as a column (one line per number), a
    matrix one line per row."""
    array = np.asarray(array, dtype=np.float64) + 0.0  # + 0.0 turns -0 into 0
    if array.size > MOST_NUMBERS_SHOWN:
        return [f"shape {array.shape}"]
    texts = np.vectorize(lambda number: f"{number:.4g}".replace("-", "−"), otypes=[str])(array)
    if array.ndim == 0:
        return [str(texts)]
    width = max(len(text) for text in texts.reshape(-1))
    rows = texts.reshape(-1, array.shape[-1]) if array.ndim > 1 else texts.reshape(-1, 1)  # vectors as columns
    return ["[" + ", ".join(text.rjust(width) for text in row) + "]" for row in rows]


def gradients_by_tensor(output: Tensor) -> dict[int, np.ndarray]:
    """id(tensor) -> ∂output/∂tensor, for every tensor the backward walk reaches.

    Reads the engine's walk (``backward_steps``, as ``backward()`` runs it, keeping the graph):
    an op's output gets the complete upstream gradient of its step, a leaf the sum of what the
    ops that use it send back. As after ``backward()``, the leaves' ``.grad`` grow by it too.
    """
    gradients = {id(output): np.ones_like(output.numpy())}  # ∂L/∂L = 1, also when L is a leaf
    for step in tg.backward_steps(output, retain_graph=True):
        gradients[id(step.output)] = step.grad_output.numpy()
        for parent, grad in zip(step.inputs, step.grad_inputs):
            if grad is not None and parent.grad_fn is None:
                key = id(parent)
                gradients[key] = gradients[key] + grad.numpy() if key in gradients else grad.numpy()
    return gradients


class _Node:
    """One value on the page: its title, its numbers, its gradient, and its size at scale 1 (inches)."""

    def __init__(self, node_id: str, kind: str, title: str, short: str, lines: list[str], answer: list[str]) -> None:
        self.node_id = node_id
        self.kind = kind  # parameter, intermediate or output
        self.title = textwrap.wrap(title, TITLE_CHARS, break_on_hyphens=False, break_long_words=False)  # on lines
        short = wrap(short)  # ∂L/∂(1 − y), not ∂L/∂1 − y
        self.box_label = f"∂L/∂{short}" if len(short) <= TITLE_CHARS - 2 else "∂L/∂(this)"
        self.lines = lines  # "= 0.1978"
        self.answer = answer  # the gradient's lines, shown on the answer page only
        widest = max(len(text) for text in [*self.title, self.box_label, *lines, *answer])
        self.width = max(widest * CHAR_WIDTH * FONT_SIZE / 72 + 3 * PAD, 0.9)
        self.box_rows = max(len(answer), HANDWRITING_ROWS)
        rows = len(self.title) + len(lines) + 1 + self.box_rows  # title, numbers, the box's label, the box
        self.height = rows * LINE_HEIGHT * FONT_SIZE / 72 + 3 * PAD


def _describe(program: Program, structure: GraphStructure) -> list[_Node]:
    """One _Node per value that gets a gradient; ops are written into their output's title
    ("p = σ(z)") and constants into the formulas, so the page has few, large boxes."""
    gradients = gradients_by_tensor(program.output)
    short = {structure.value_id(tensor): structure.display_name(tensor) for tensor in structure.values}
    titles = {}
    for _, ctx, output in structure.ops:
        node_id = structure.value_id(output)
        if output.name:  # "p = σ(z)": the statement, written with the names of what it uses
            inputs = [structure.display_name(parent) for parent in ctx.parents]
            titles[node_id] = f"{short[node_id]} = {apply_text(ctx, inputs)}"
    nodes = []
    for tensor in structure.values:
        node_id = structure.value_id(tensor)
        kind = structure.kinds[node_id]
        if kind == "constant":
            continue
        numbers = [("= " if row == 0 else "  ") + line for row, line in enumerate(number_lines(tensor.data))]
        answer = number_lines(gradients[id(tensor)])
        nodes.append(_Node(node_id, kind, titles.get(node_id, short[node_id]), short[node_id], numbers, answer))
    return nodes


def _layout(nodes: list[_Node], structure: GraphStructure, rankdir: str) -> tuple[dict, list, float, float]:
    """Positions from Graphviz: node id -> (x, y) centre, the edges' spline points, width, height."""
    lines = [
        f'digraph worksheet {{ rankdir={rankdir}; nodesep=0.2; ranksep=0.3; node [shape=box, fixedsize=true, label=""];'
    ]
    for node in nodes:
        lines.append(f"  {node.node_id} [width={node.width:.3f}, height={node.height:.3f}];")
    drawn = {node.node_id for node in nodes}
    for _, ctx, output in structure.ops:
        for parent in ctx.parents:
            if structure.value_id(parent) in drawn:
                lines.append(f"  {structure.value_id(parent)} -> {structure.value_id(output)};")
    lines.append("}")
    with explain_missing_dot():
        plain = graphviz.Source("\n".join(lines)).pipe(format="plain", encoding="utf-8")
    positions, splines, width, height = {}, [], 0.0, 0.0
    for line in plain.splitlines():
        fields = shlex.split(line)
        if fields[0] == "graph":
            width, height = float(fields[2]), float(fields[3])
        elif fields[0] == "node":
            positions[fields[1]] = (float(fields[2]), float(fields[3]))
        elif fields[0] == "edge":
            count = int(fields[3])
            splines.append([(float(fields[4 + 2 * i]), float(fields[5 + 2 * i])) for i in range(count)])
    return positions, splines, width, height


def worksheet_figures(program: Program) -> tuple[Figure, Figure]:
    """The two pages as matplotlib Figures: the worksheet, then the answers.

    Runs the backward pass of ``program.output`` once (its leaves get their ``.grad``). The graph
    is laid out left to right or top to bottom, whichever lets it be drawn larger.
    """
    structure = graph_structure(program.output)
    nodes = _describe(program, structure)
    header = _header_height(program)
    best: tuple[float, Any, Any, float, float] | None = None
    for rankdir in ("LR", "TB"):
        positions, splines, width, height = _layout(nodes, structure, rankdir)
        scale = min(GRAPH_AREA[0] / width, (GRAPH_AREA[1] - header) / height, MAX_SCALE)
        if best is None or scale > best[0]:
            best = (scale, positions, splines, width, height)
    assert best is not None
    return _page(program, nodes, *best, answers=False), _page(program, nodes, *best, answers=True)


GRAPH_AREA = (A4_LANDSCAPE[0] - 1.0, A4_LANDSCAPE[1] - 1.6)  # the page less margins, title and footer
STATEMENT_ROWS = 6  # the program's statements printed above the graph, at most


def _header_height(program: Program) -> float:
    return 0.3 * min(len(program.statements), STATEMENT_ROWS)


def _page(program: Program, nodes, scale, positions, splines, width, height, answers: bool) -> Figure:
    figure = Figure(figsize=A4_LANDSCAPE)
    page_width, page_height = A4_LANDSCAPE
    axes = figure.add_axes((0, 0, 1, 1))
    axes.set_xlim(0, page_width)
    axes.set_ylim(0, page_height)
    axes.axis("off")
    loss = program.output_name
    heading = f"Answers: ∂{loss}/∂(each node)" if answers else f"Backpropagation worksheet: find ∂{loss}/∂(each node)"
    axes.text(0.5, page_height - 0.6, heading, fontsize=17, weight="bold")
    if not answers:
        axes.text(page_width - 0.5, page_height - 0.6, "name: ________________", fontsize=13, ha="right")
    for row, statement in enumerate(program.statements[:STATEMENT_ROWS]):
        axes.text(0.5, page_height - 1.0 - 0.3 * row, statement, fontsize=12, family="monospace")
    instruction = (
        f"Start at {loss}: ∂{loss}/∂{loss} = 1. Going backwards, fill each empty box with ∂{loss}/∂(that value) "
        "by the chain rule; a value used twice adds up what it receives."
    )
    axes.text(0.5, 0.4, instruction, fontsize=10.5, color="#444444")
    # The graph fills the area between the statements and the instruction, centred.
    area_top = page_height - 1.0 - _header_height(program)
    left = 0.5 + (GRAPH_AREA[0] - width * scale) / 2
    bottom = 0.7 + (area_top - 0.7 - height * scale) / 2

    def place(x: float, y: float) -> tuple[float, float]:
        return left + x * scale, bottom + y * scale

    for points in splines:
        vertices = [place(x, y) for x, y in points]
        codes = [CurvePath.MOVETO] + [CurvePath.CURVE4] * (len(vertices) - 1)
        path = CurvePath(vertices, codes)
        axes.add_patch(FancyArrowPatch(path=path, arrowstyle="-|>", mutation_scale=14 * scale, color="#555555"))
    for node in nodes:
        _draw_node(axes, node, place(*positions[node.node_id]), scale, answers, loss)
    return figure


def _draw_node(axes, node: _Node, centre: tuple[float, float], scale: float, answers: bool, loss: str) -> None:
    """A rounded box: the title, its numbers, and the gradient's box (empty, or filled in red)."""
    width, height = node.width * scale, node.height * scale
    x, y = centre[0] - width / 2, centre[1] - height / 2
    font = FONT_SIZE * scale
    line = LINE_HEIGHT * FONT_SIZE / 72 * scale
    pad = PAD * scale
    outline: dict[str, Any] = {"fc": FILL[node.kind], "ec": "#333333", "lw": 2 if node.kind == "output" else 1}
    axes.add_patch(FancyBboxPatch((x, y), width, height, boxstyle=f"round,pad=0,rounding_size={pad}", **outline))
    cursor = y + height - pad - line / 2 + line
    for text in node.title:
        cursor -= line
        axes.text(x + pad, cursor, text, fontsize=font, weight="bold", va="center")
    for text in node.lines:
        cursor -= line
        axes.text(x + pad, cursor, text, fontsize=font, family="monospace", va="center")
    cursor -= line
    label = node.box_label.replace("∂L/", f"∂{loss}/", 1)
    axes.text(x + pad, cursor, label, fontsize=font * 0.9, va="center", color="#333333")
    box_top = cursor - line / 2
    box_height = node.box_rows * line + pad
    axes.add_patch(Rectangle((x + pad, box_top - box_height), width - 2 * pad, box_height, fc="white", ec="#333333"))
    if answers or node.kind == "output":  # the worksheet gives the start: ∂L/∂L = 1
        for row, text in enumerate(node.answer):
            middle = box_top - box_height / 2 - (row - (len(node.answer) - 1) / 2) * line
            axes.text(x + 1.5 * pad, middle, text, fontsize=font, family="monospace", va="center", color=ANSWER_COLOUR)


def write_worksheet(program: Program, out_dir: str | Path) -> Path:
    """Write ``out_dir/worksheet.pdf`` (page 1 the worksheet, page 2 the answers); return its path.

    Written to a temporary file in the same folder, then renamed, so a failure never leaves a
    half-written PDF. Needs Graphviz's ``dot`` for the layout.
    """
    pages = worksheet_figures(program)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "worksheet.pdf"
    with atomic_file(path, "wb", keep_suffix=True) as file:
        with rc_context({"pdf.fonttype": 42}):  # TrueType: the text can be searched and copied
            with PdfPages(file, metadata={"Title": "Backpropagation worksheet", "CreationDate": None}) as pdf:
                for page in pages:
                    pdf.savefig(page)
    return path
