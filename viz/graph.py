"""draw_graph: the computation graph as a picture, read through the engine's own walk.

    loss = (x @ w).relu().sum()
    viz.draw_graph(loss)                         # a graphviz.Digraph: shows inline in Jupyter
    viz.draw_graph(loss).render("graph", format="svg")

Two kinds of node: *values* (boxes: the user's name or the sub-expression's text, the value
of a scalar or a grid of a small array's numbers, the gradient once computed) and *ops*
(ellipses: the op's symbol and settings). The labels are written by ``viz.labels``. Edges run
input -> op -> output, in the order of ``tinygrad_edu.core.autograd.topological_order``, the same
order the backward walk uses (reversed). Colours: blue for leaves that require grad
(parameters, inputs you differentiate by), grey for constants, gold for the output.

Node ids are stable and readable: values are "t0", "t1", ... and ops "op0", "op1", ... in
engine order, so tests and the backprop frames can point at them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from tinygrad_edu import Context, Tensor
from tinygrad_edu.core.autograd import topological_order

from .escape import graphviz_html, graphviz_string
from .labels import (
    CONSTANT_COLOUR,
    DONE_COLOUR,
    FONT_SIZE,
    GRADIENT_COLOUR,
    HIGHLIGHT_COLOUR,
    MAX_TITLE_CHARS,
    MODULE_COLOUR,
    OP_COLOUR,
    OUTPUT_COLOUR,
    PARAMETER_COLOUR,
    format_values,
    op_label,
    value_label,
    value_style,
)
from .modules import ModuleCall, ModuleTrace
from .names import expression_names, is_hidden, shorten
from .render import Digraph

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

    def is_drawn(self, ctx: Context) -> bool:
        """False for a reshape the user did not write (``W @ x`` with a vector x): not drawn."""
        return bool(self.op_ids.get(id(ctx)))


def graph_structure(roots: Tensor | Sequence[Tensor]) -> GraphStructure:
    """Collect what to draw by walking ``topological_order`` (the engine's order) from roots.

    Constants (inputs that do not require grad) are not part of the engine's walk; they are
    drawn where an op uses them.
    """
    roots = [roots] if isinstance(roots, Tensor) else list(roots)
    structure = GraphStructure(roots=roots)
    root_ids = {id(root) for root in roots}
    ordered: list[Tensor] = []  # every tensor met, parents first (also the reshapes not drawn)

    def add_value(tensor: Tensor) -> str:
        key = id(tensor)
        if key not in structure.value_ids:
            node_id = f"t{len(structure.values)}"
            structure.value_ids[key] = node_id
            structure.values.append(tensor)
            ordered.append(tensor)
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
        if is_hidden(tensor):  # a reshape the user did not write: drawn as (and named like) its input
            assert ctx is not None, "a hidden reshape is made by an op"
            parent_node = add_value(ctx.parents[0])
            structure.value_ids[id(tensor)] = parent_node
            if ctx.parents[0].grad_fn is not None:  # W @ x's column back into a vector: show the vector
                structure.values[int(parent_node[1:])] = tensor
            structure.op_ids[id(ctx)] = ""
            ordered.append(tensor)
            if id(tensor) in root_ids:
                structure.kinds[parent_node] = "output"
            continue
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
    structure.names = expression_names(ordered)
    return structure


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
        graph.attr(label=graphviz_string(shorten(title, MAX_TITLE_CHARS)), labelloc="t", fontsize=str(FONT_SIZE + 2))
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
        f'<TR><TD BGCOLOR="{colour}" WIDTH="14" BORDER="1"> </TD><TD ALIGN="LEFT">{graphviz_html(text)}</TD></TR>'
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
        assert modules is not None  # owners come from it
        for call in modules.calls:
            call_boxes.setdefault(id(call), f"module{len(call_boxes)}")
        interface = {id(output) for call in modules.calls for output in call.outputs} | output_ids
        for value in structure.values:
            owner = owners.get(id(value))
            if owner is not None and id(value) not in interface:
                hidden_by[structure.value_id(value)] = owner
        for op_node, _, output in structure.ops:
            owner = owners.get(id(output))
            if owner is not None:
                hidden_by[op_node] = owner

    clusters: dict[int, Any] = {}

    def container(node_id: str) -> Any:
        """Where to add a node: the graph, or (expanded modules) its module's cluster."""
        call = hidden_by.get(node_id)
        if call is None or collapse_modules:
            return graph
        if id(call) not in clusters:
            cluster = Digraph(name=f"cluster_{call_boxes[id(call)]}")
            cluster.attr(
                label=graphviz_string(call.title), style="rounded,filled", fillcolor="#f3faf3", color="#7fb77f"
            )
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
        assert modules is not None  # hidden_by comes from it
        drawn_calls = {id(call): call for call in hidden_by.values()}
        for call in modules.calls:
            if id(call) not in drawn_calls:
                continue
            rows = [f"<B>{graphviz_html(call.title)}</B>"]
            rows += [f"<FONT>{graphviz_html(line)}</FONT>" for line in call.parameter_summary()]
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
