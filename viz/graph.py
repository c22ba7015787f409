"""draw_graph: the computation graph as a picture, read through the engine's own walk.

    loss = (x @ w).relu().sum()
    viz.draw_graph(loss)                         # a graphviz.Digraph: shows inline in Jupyter
    viz.draw_graph(loss).render("graph", format="svg")

Two kinds of node: *values* (boxes: name, shape, dtype, the numbers or a summary, the
gradient once computed) and *ops* (ellipses: the op's name and settings). Edges run
input -> op -> output, in the order of ``tinygrad_edu.autograd.topological_order``, the same
order the backward walk uses (reversed). Colours: blue for leaves that require grad
(parameters, inputs you differentiate by), grey for constants, gold for the output.

Node ids are stable and readable: values are "t0", "t1", ... and ops "op0", "op1", ... in
engine order, so tests and the backprop frames can point at them.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tinygrad_edu import Context, Tensor
from tinygrad_edu.autograd import topological_order

from . import names
from .formulas import shape_text, signed, values_inline
from .modules import ModuleCall, ModuleTrace
from .names import FUNCTION_NAMES, break_lines, expression_names, shorten
from .render import Digraph

# ----- colours (one place, so the legend and the nodes agree) ----------------------------------

PARAMETER_COLOUR = "#cfe2ff"  # leaves that require grad
CONSTANT_COLOUR = "#e9ecef"  # no gradient flows into these
INTERMEDIATE_COLOUR = "#ffffff"
OUTPUT_COLOUR = "#ffe08a"
OP_COLOUR = "#f1f3f5"
MODULE_COLOUR = "#d8f0d8"
HIGHLIGHT_COLOUR = "#ff9f43"  # the op being differentiated in a backprop frame
DONE_COLOUR = "#e6f4ea"  # ops the backward walk has already visited
GRADIENT_COLOUR = "#d62728"  # edges and text that carry gradients

SMALL_TENSOR_ELEMENTS = 12  # up to this many elements the numbers are shown, else a summary
FONT_SIZE = 14  # points; the player scales the picture to the screen
OP_FONT_SIZE = 18
MAX_TITLE_CHARS = 200  # Graphviz fails on labels of 16,384+ characters


# ----- numbers as text ---------------------------------------------------------------------------


def format_number(value: Any) -> str:
    """One number, short: 4 significant digits, a true minus sign, never "−0"."""
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    return names.format_number(value)


def format_values(array: np.ndarray, max_elements: int = SMALL_TENSOR_ELEMENTS) -> str:
    """The numbers of a small array, or 'mean … std … norm …' for a big one (may span lines)."""
    array = np.asarray(array)
    if array.size == 0:
        return "[] (empty)"
    if array.size == 1:
        return format_number(array.reshape(-1)[0])
    if array.size <= max_elements:
        text = np.array2string(
            array, precision=4, suppress_small=True, separator=", ", max_line_width=44, floatmode="maxprec"
        )
        return text.replace("-", "−")
    data = array.astype(np.float64)
    return (
        f"mean {format_number(data.mean())}  std {format_number(data.std())}\n"
        f"norm {format_number(np.linalg.norm(data))}  range [{format_number(data.min())}, {format_number(data.max())}]"
    )


def format_inline(array: np.ndarray, max_elements: int = SMALL_TENSOR_ELEMENTS) -> str:
    """Like format_values, on one line (for captions and edge labels)."""
    array = np.asarray(array)
    if array.size > max_elements:
        norm = np.linalg.norm(array.astype(np.float64))
        return f"a {array.shape} array (norm {norm:.4g})"
    return " ".join(format_values(array, max_elements).split())


def html_text(text: str) -> str:
    """Escape text for a Graphviz HTML label, keeping its line breaks (left-aligned)."""
    return '<BR ALIGN="LEFT"/>'.join(html.escape(line) for line in text.split("\n"))


# ----- the graph as data -------------------------------------------------------------------------


@dataclass
class GraphStructure:
    """The nodes and edges to draw, in engine order.

    values      every tensor drawn, in order; its node id is value_ids[id(tensor)] ("t3")
    kinds       node id -> "parameter", "constant", "intermediate" or "output"
    ops         (op node id, Context, output tensor) for every op, in order
    edges       (tail id, head id, input position) in order; position is None for op -> output
    """

    roots: list[Tensor]
    values: list[Tensor] = field(default_factory=list)
    value_ids: dict[int, str] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)
    ops: list[tuple[str, Context, Tensor]] = field(default_factory=list)
    op_ids: dict[int, str] = field(default_factory=dict)
    edges: list[tuple[str, str, int | None]] = field(default_factory=list)

    def value_id(self, tensor: Tensor) -> str:
        return self.value_ids[id(tensor)]

    def op_id(self, ctx: Context) -> str:
        return self.op_ids[id(ctx)]

    names: dict[int, str] = field(default_factory=dict)

    def display_name(self, tensor: Tensor) -> str:
        """The tensor's own name, or the text of the sub-expression that made it ("a·b + c")."""
        return self.names[id(tensor)]


def graph_structure(roots: Tensor | Sequence[Tensor]) -> GraphStructure:
    """Collect what to draw by walking ``topological_order`` (the engine's order) from roots.

    Constants (inputs that do not require grad) are not part of the engine's walk; they are
    drawn where an op uses them.
    """
    roots = [roots] if isinstance(roots, Tensor) else list(roots)
    structure = GraphStructure(roots=roots)
    root_ids = {id(root) for root in roots}

    def add_value(tensor: Tensor) -> str:
        key = id(tensor)
        if key not in structure.value_ids:
            node_id = f"t{len(structure.values)}"
            structure.value_ids[key] = node_id
            structure.values.append(tensor)
            if key in root_ids:
                kind = "output"
            elif not tensor.requires_grad:
                kind = "constant"
            elif tensor.grad_fn is None:
                kind = "parameter"
            else:
                kind = "intermediate"
            structure.kinds[node_id] = kind
        return structure.value_ids[key]

    for tensor in topological_order(roots):
        ctx = tensor.grad_fn
        if ctx is not None:
            op_node = f"op{len(structure.ops)}"
            structure.op_ids[id(ctx)] = op_node
            parent_nodes = [add_value(parent) for parent in ctx.parents]
            output_node = add_value(tensor)
            structure.ops.append((op_node, ctx, tensor))
            for position, parent_node in enumerate(parent_nodes):
                structure.edges.append((parent_node, op_node, position))
            structure.edges.append((op_node, output_node, None))
        else:
            add_value(tensor)
    structure.names = expression_names(structure.values)
    return structure


# ----- labels ------------------------------------------------------------------------------------

_CONTEXT_INTERNALS = {"function", "parents", "needs_input_grad", "created_at"}


def op_settings(ctx: Context) -> str:
    """The op's settings stored on its Context ('axes=(0,) keepdims=False'), short."""
    parts = []
    for name, value in vars(ctx).items():
        if name.startswith("_") or name in _CONTEXT_INTERNALS:
            continue
        if isinstance(value, np.ndarray):
            continue
        text = repr(value)
        if len(text) > 24:
            text = text[:21] + "..."
        parts.append(f"{name}={text}")
    return " ".join(parts)


def values_html(array: np.ndarray, colour: str | None = None) -> str:
    """A small matrix or vector as a grid of numbers; one number as text; a big array as a summary."""
    array = np.asarray(array)
    font = f' COLOR="{colour}"' if colour else ""
    if array.size == 1 or array.size == 0 or array.size > SMALL_TENSOR_ELEMENTS or array.ndim > 2:
        return f"<FONT{font}>{html_text(format_values(array))}</FONT>"
    rows = array.reshape(1, -1) if array.ndim == 1 else array
    border = f' COLOR="{colour}"' if colour else ' COLOR="#888888"'
    cells = "".join(
        "<TR>" + "".join(f'<TD ALIGN="RIGHT"><FONT{font}>{format_number(value)}</FONT></TD>' for value in row) + "</TR>"
        for row in rows
    )
    return f'<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="3"{border}>{cells}</TABLE>'


def gradient_html(array: np.ndarray, parts: Sequence[np.ndarray] = (), hidden: bool = False) -> list[str]:
    """Rows for a node's gradient ∂L/∂node, in red: 'grad 0.5', a fan-out sum, or a grid.

    parts   the contributions that add up to it (two or more: a tensor used several times)
    hidden  predict mode: the last contribution (and so the total) is still '?'
    """
    array = np.asarray(array)
    red = f'<FONT COLOR="{GRADIENT_COLOUR}">'
    if len(parts) >= 2 and (array.size == 1 or hidden):
        # One contribution per line, so that a fan-out stacks up instead of widening its box.
        known = [signed(values_inline(part)) for part in parts[: -1 if hidden else None]]
        if hidden:
            known.append("?")
        rows = [f"{red}grad {html.escape(known[0])}</FONT>"]
        rows += [f"{red}+ {html.escape(part)}</FONT>" for part in known[1:]]
        if not hidden:
            rows.append(f"{red}= {html.escape(values_inline(array))}</FONT>")
        return rows
    if hidden:
        return [f"{red}grad ?</FONT>"]
    if array.size == 1:
        return [f"{red}grad {html.escape(values_inline(array))}</FONT>"]
    note = f" (sum of {len(parts)})" if len(parts) >= 2 else ""
    return [f"{red}grad{note}</FONT>", values_html(array, GRADIENT_COLOUR)]


def stage_label(
    name: str, data: np.ndarray, gradient_rows: Sequence[str] = (), op: str | None = None, op_colour: str = ""
) -> str:
    """A value node of the backprop player: the op that made it, its name and value, its gradient.

    The op sits in a coloured band on top (so a step's op and its output are one box, and
    the graph needs half as many columns); a long name is broken over lines.
    """
    data = np.asarray(data)
    rows = []
    if op is not None:
        rows.append(f'<TD BGCOLOR="{op_colour}" BORDER="1" SIDES="B"><B>{html.escape(op)}</B></TD>')
    bold = break_lines(name)
    if data.size == 1 and data.ndim <= 1:
        value = format_number(data.reshape(-1)[0])
        lines = list(bold)
        if value != name:  # a constant is named by its value: "1", not "1 = 1"
            if len(lines[-1]) + 3 + len(value) <= 16:
                lines[-1] += f" = {value}"
            else:
                lines.append(f"= {value}")
        for number, line in enumerate(lines):
            if number < len(bold):
                rest = html.escape(line[len(bold[number]) :]).replace(" ", "&#160;")  # a space after </B> would be lost
                rows.append(f"<TD><B>{html.escape(bold[number])}</B>{rest}</TD>")
            else:
                rows.append(f"<TD>{html.escape(line)}</TD>")
    else:
        rows.extend(f"<TD><B>{html.escape(line)}</B></TD>" for line in bold)
        rows.append(f'<TD><FONT COLOR="#555555">{shape_text(data)}</FONT></TD>')
        rows.append(f"<TD>{values_html(data)}</TD>")
    rows.extend(f"<TD>{row}</TD>" for row in gradient_rows)
    cells = "".join(f"<TR>{row}</TR>" for row in rows)
    return f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="2">{cells}</TABLE>>'


def value_label(
    structure: GraphStructure,
    tensor: Tensor,
    show_values: bool,
    grad_text: str | None = None,
    extra_rows: Sequence[str] = (),
) -> str:
    """HTML label of a value node: its name and value, its gradient, extra rows (already HTML).

    A scalar reads "a·b = −6"; a small matrix shows its shape and a grid of its numbers. The
    dtype is shown only when it is not a float (a float's dtype tells a student nothing).
    """
    name = html.escape(structure.display_name(tensor))
    data = np.asarray(tensor.data)
    dtype = "" if np.issubdtype(data.dtype, np.floating) else f" {data.dtype}"
    rows = []
    if data.size == 1 and data.ndim <= 1:
        number = format_number(data.reshape(-1)[0])
        value = f" = {html.escape(number)}" if show_values and number != name else ""
        rows.append(f"<B>{name}</B>{value}{html.escape(dtype)}")
    else:
        rows.append(f'<B>{name}</B> <FONT COLOR="#555555">{shape_text(data)}{html.escape(dtype)}</FONT>')
        if show_values:
            rows.append(values_html(data))
    if grad_text is not None:
        rows.append(f'<FONT COLOR="{GRADIENT_COLOUR}">{html_text(grad_text)}</FONT>')
    rows.extend(extra_rows)
    cells = "".join(f"<TR><TD>{row}</TD></TR>" for row in rows)
    return f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="2">{cells}</TABLE>>'


OP_SYMBOLS = {"Add": "+", "Sub": "−", "Mul": "×", "Div": "÷", "MatMul": "@", "Neg": "−x", "Pow": "xⁿ"}


def op_symbol(ctx: Context) -> str:
    """How an op is drawn: '×', '+', 'tanh', 'σ', or its class name for an op without a symbol."""
    return OP_SYMBOLS.get(ctx.name) or FUNCTION_NAMES.get(ctx.name) or ctx.name


def op_label(ctx: Context, extra_rows: Sequence[str] = ()) -> str:
    """HTML label of an op node: its symbol, its settings, extra rows."""
    rows = [f'<FONT POINT-SIZE="{OP_FONT_SIZE}"><B>{html.escape(op_symbol(ctx))}</B></FONT>']
    settings = op_settings(ctx)
    if settings:
        rows.append(html.escape(settings))
    rows.extend(extra_rows)
    cells = "".join(f"<TR><TD>{row}</TD></TR>" for row in rows)
    return f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">{cells}</TABLE>>'


def value_style(kind: str) -> dict[str, str]:
    colours = {
        "parameter": PARAMETER_COLOUR,
        "constant": CONSTANT_COLOUR,
        "intermediate": INTERMEDIATE_COLOUR,
        "output": OUTPUT_COLOUR,
    }
    style = {"shape": "box", "style": "rounded,filled", "fillcolor": colours[kind]}
    if kind == "output":
        style["penwidth"] = "2"
    return style


def new_digraph(rankdir: str, title: str | None = None) -> Digraph:
    if rankdir not in ("LR", "RL", "TB", "BT"):
        raise ValueError(f"rankdir must be 'LR', 'RL', 'TB' or 'BT', got {rankdir!r}")
    graph = Digraph(
        name="computation_graph",
        graph_attr={"rankdir": rankdir, "fontname": "Helvetica", "nodesep": "0.25", "ranksep": "0.35"},
        node_attr={"fontname": "Helvetica", "fontsize": str(FONT_SIZE)},
        edge_attr={"fontname": "Helvetica", "fontsize": str(FONT_SIZE), "color": "#555555"},
    )
    if title:
        graph.attr(label=shorten(title, MAX_TITLE_CHARS), labelloc="t", fontsize=str(FONT_SIZE + 2))
    return graph


def add_legend(graph: Digraph, with_modules: bool = False, with_backprop: bool = False) -> None:
    """One small node (id "legend") whose table says what each colour means."""
    samples = [
        (PARAMETER_COLOUR, "leaf that requires grad"),
        (CONSTANT_COLOUR, "constant (no grad)"),
        (OUTPUT_COLOUR, "output"),
        (OP_COLOUR, "op"),
    ]
    if with_modules:
        samples.append((MODULE_COLOUR, "nn.Module (collapsed)"))
    if with_backprop:
        samples.append((HIGHLIGHT_COLOUR, "op being differentiated"))
        samples.append((DONE_COLOUR, "op already differentiated"))
        samples.append((GRADIENT_COLOUR, "gradient flowing back"))
    rows = "".join(
        f'<TR><TD BGCOLOR="{colour}" WIDTH="14" BORDER="1"> </TD><TD ALIGN="LEFT">{html.escape(text)}</TD></TR>'
        for colour, text in samples
    )
    label = (
        f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="2"><TR><TD COLSPAN="2"><B>legend</B></TD></TR>{rows}</TABLE>>'
    )
    graph.node("legend", label, shape="box", style="rounded,dashed", color="#999999")


# ----- draw_graph ----------------------------------------------------------------------------------


def draw_graph(
    tensor: Tensor | Sequence[Tensor],
    show_values: bool = True,
    show_grads: bool = True,
    rankdir: str = "LR",
    modules: ModuleTrace | None = None,
    collapse_modules: bool = True,
    show_legend: bool = True,
    title: str | None = None,
) -> Digraph:
    """Draw the graph that computed ``tensor`` (or several output tensors) as a graphviz.Digraph.

    show_values       print the numbers of small tensors (a summary for big ones)
    show_grads        print ``.grad`` of tensors that have one (after backward())
    rankdir           "LR" (left to right) or "TB" (top to bottom)
    modules           a ModuleTrace from ``trace_modules(model)``: the tensors each nn.Module
                      made are drawn together, as one box per module (collapse_modules=True)
                      or inside a labelled frame (collapse_modules=False)
    show_legend       add a legend of the colours
    The result renders with ``.render(path, format="svg")``, or inline in Jupyter; its DOT
    text is ``.source`` (available even without Graphviz's ``dot`` program).
    """
    structure = graph_structure(tensor)
    graph = new_digraph(rankdir, title)
    owners = modules.owners() if modules is not None else {}
    output_ids = {id(root) for root in structure.roots}

    # Which call (if any) hides each node when modules are collapsed, and the box for it.
    hidden_by: dict[str, ModuleCall] = {}
    call_boxes: dict[int, str] = {}
    if owners:
        for call in modules.calls:
            call_boxes.setdefault(id(call), f"module{len(call_boxes)}")
        interface = {id(output) for call in modules.calls for output in call.outputs} | output_ids
        for value in structure.values:
            call = owners.get(id(value))
            if call is not None and id(value) not in interface:
                hidden_by[structure.value_id(value)] = call
        for op_node, _, output in structure.ops:
            call = owners.get(id(output))
            if call is not None:
                hidden_by[op_node] = call

    clusters: dict[int, Any] = {}

    def container(node_id: str) -> Any:
        """Where to add a node: the graph, or (expanded modules) its module's cluster."""
        call = hidden_by.get(node_id)
        if call is None or collapse_modules:
            return graph
        if id(call) not in clusters:
            cluster = Digraph(name=f"cluster_{call_boxes[id(call)]}")
            cluster.attr(label=call.title, style="rounded,filled", fillcolor="#f3faf3", color="#7fb77f")
            clusters[id(call)] = cluster
        return clusters[id(call)]

    for value in structure.values:
        node_id = structure.value_id(value)
        if collapse_modules and node_id in hidden_by:
            continue
        grad_text = None
        keeps_grad = value.grad_fn is None or value.retains_grad  # only these have .grad (no teaching warning)
        if show_grads and keeps_grad and value.grad is not None:
            grad_text = f"grad {format_values(value.grad.data)}"
        label = value_label(structure, value, show_values, grad_text)
        container(node_id).node(node_id, label, **value_style(structure.kinds[node_id]))

    op_style = {"shape": "ellipse", "style": "filled", "fillcolor": OP_COLOUR}
    for op_node, ctx, _ in structure.ops:
        if collapse_modules and op_node in hidden_by:
            continue
        container(op_node).node(op_node, op_label(ctx), **op_style)

    if collapse_modules and hidden_by:
        drawn_calls = {id(call): call for call in hidden_by.values()}
        for call in modules.calls:
            if id(call) not in drawn_calls:
                continue
            rows = [f"<B>{html.escape(call.title)}</B>"]
            rows += [f"<FONT>{html.escape(line)}</FONT>" for line in call.parameter_summary()]
            hidden_ops = sum(1 for node_id, owner in hidden_by.items() if owner is call and node_id.startswith("op"))
            rows.append(f"<FONT>{hidden_ops} ops inside</FONT>")
            cells = "".join(f"<TR><TD>{row}</TD></TR>" for row in rows)
            label = f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">{cells}</TABLE>>'
            graph.node(call_boxes[id(call)], label, shape="box3d", style="filled", fillcolor=MODULE_COLOUR)

    for cluster in clusters.values():
        graph.subgraph(cluster)

    drawn_edges: set[tuple[str, str]] = set()
    for tail, head, _ in structure.edges:
        if collapse_modules:
            tail = call_boxes[id(hidden_by[tail])] if tail in hidden_by else tail
            head = call_boxes[id(hidden_by[head])] if head in hidden_by else head
            if tail == head:
                continue
            if tail.startswith("module") or head.startswith("module"):
                if (tail, head) in drawn_edges:
                    continue
                drawn_edges.add((tail, head))
        graph.edge(tail, head)

    if show_legend:
        add_legend(graph, with_modules=bool(collapse_modules and hidden_by))
    return graph
