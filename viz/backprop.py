"""backprop_frames: backpropagation as a sequence of pictures, one per step of the engine's walk.

    frames = viz.backprop_frames(loss)      # runs the real backward: leaves get their .grad
    frames[0]                               # shows inline in Jupyter
    viz.export_stepper(frames, "out")       # SVGs + a page to step through with the arrow keys

Frame k (k = 0, 1, ...) is step k of ``tinygrad_edu.backward_steps(loss)``: the op being
differentiated is highlighted; its output shows the upstream gradient ∂L/∂y (complete at
this point: every use of y has sent its share); the op shows its local derivative; the edges
back to its inputs carry what it sends, ∂L/∂input, as a formula and as numbers. A tensor
used several times receives several contributions, and its node shows them adding up,
"∂L/∂a = g₁ + g₂ = …". The last frame shows every leaf's gradient, read from ``.grad``.
So there are (number of ops visited) + 1 frames.

The frames only *read* the steps the engine yields; nothing here computes a gradient.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from tinygrad_edu import BackwardStep, Tensor, backward_steps

from .derivatives import LocalDerivative, local_derivative, subscript
from .graph import (
    DONE_COLOUR,
    GRADIENT_COLOUR,
    HIGHLIGHT_COLOUR,
    OP_COLOUR,
    GraphStructure,
    add_legend,
    format_inline,
    format_values,
    graph_structure,
    html_text,
    input_name_label,
    new_digraph,
    op_label,
    value_label,
    value_style,
)
from .render import Digraph, GraphvizNotFoundError, dot_source_to_file, dot_source_to_svg


@dataclass
class Frame:
    """One picture of the backward pass.

    index        0-based position in the sequence (the stepper's ``#index``)
    total        how many frames there are
    caption      one sentence explaining this chain-rule step
    graph        the picture as a graphviz.Digraph (``source`` is its DOT text)
    highlighted  node id of the op being differentiated ("op3"), None in the final frame
    step         the engine's BackwardStep, None in the final frame
    """

    index: int
    total: int
    caption: str
    graph: Digraph
    highlighted: str | None = None
    step: BackwardStep | None = None
    _svg: str | None = field(default=None, repr=False)

    @property
    def source(self) -> str:
        """The frame's DOT source."""
        return self.graph.source

    @property
    def is_final(self) -> bool:
        return self.step is None

    def svg(self) -> str:
        """The frame drawn as SVG text (needs Graphviz's ``dot``; computed once)."""
        if self._svg is None:
            self._svg = dot_source_to_svg(self.source)
        return self._svg

    def render(self, path: str | Path) -> Path:
        """Write the frame to ``path`` (.svg, .png or .pdf)."""
        return dot_source_to_file(self.source, path)

    def _repr_svg_(self) -> str:
        return self.svg()

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None, **kwargs: Any) -> dict[str, str]:
        bundle = {"text/plain": f"Frame {self.index + 1} of {self.total}: {self.caption}"}
        try:
            bundle["image/svg+xml"] = self.svg()
        except GraphvizNotFoundError as error:
            bundle["text/plain"] += f"\n\n{error}"
        return bundle

    def __repr__(self) -> str:
        return f"Frame(index={self.index}, total={self.total}, caption={self.caption!r})"


def backprop_frames(
    loss: Tensor,
    retain_graph: bool | None = None,
    show_values: bool = True,
    rankdir: str = "LR",
    show_legend: bool = True,
) -> list[Frame]:
    """Run ``loss``'s backward through ``tinygrad_edu.backward_steps`` and draw every step.

    This *is* the backward pass: afterwards each leaf's ``.grad`` holds its gradient, as
    after ``loss.backward()`` (pass ``retain_graph=True`` to go back through the graph
    again later). Returns (number of ops visited) + 1 frames; the last shows every leaf's
    gradient.
    """
    structure = graph_structure(loss)
    steps = list(backward_steps(loss, retain_graph=retain_graph))
    total = len(steps) + 1
    contributions: dict[str, list[np.ndarray]] = {}
    complete: dict[str, np.ndarray] = {}  # the upstream gradient of outputs already visited
    frames = []
    for index, step in enumerate(steps):
        output_node = structure.value_id(step.output)
        complete[output_node] = step.grad_output.data
        arrivals = []
        for position, (parent, grad) in enumerate(zip(step.inputs, step.grad_inputs)):
            if grad is not None:
                parent_node = structure.value_id(parent)
                contributions.setdefault(parent_node, []).append(grad.data)
                arrivals.append((position, parent_node))
        done_ops = {structure.op_id(earlier.ctx) for earlier in steps[:index]}
        frames.append(
            _step_frame(
                structure, steps, index, total, contributions, complete, arrivals, done_ops, show_values, rankdir
            )
        )
        if show_legend:
            add_legend(frames[-1].graph, with_backprop=True)
    done_ops = {structure.op_id(step.ctx) for step in steps}
    frames.append(_final_frame(structure, steps, total, contributions, complete, done_ops, show_values, rankdir))
    if show_legend:
        add_legend(frames[-1].graph, with_backprop=True)
    return frames


# ----- text ----------------------------------------------------------------------------------------


def gradient_text(name: str, parts: list[np.ndarray]) -> str:
    """'∂L/∂a = 0.5' or, for several contributions, '∂L/∂a = g₁ + g₂ = 0.5 + 1 = 1.5'."""
    total = parts[0] if len(parts) == 1 else np.sum(np.stack([np.asarray(p, dtype=np.float64) for p in parts]), 0)
    if len(parts) == 1:
        return f"∂L/∂{name} = {format_values(total)}"
    symbols = " + ".join(f"g{subscript(i + 1)}" for i in range(len(parts)))
    if all(np.asarray(p).size == 1 for p in parts):
        numbers = " + ".join(_parenthesized(format_inline(p)) for p in parts)
        return f"∂L/∂{name} = {symbols}\n= {numbers}\n= {format_values(total)}"
    return f"∂L/∂{name} = {symbols} ({len(parts)} contributions)\n= {format_values(total)}"


def derivative_symbol(structure: GraphStructure, tensor: Tensor) -> str:
    """The tensor's name as it appears after ∂: 'a', 't3', or '(a*b)' for a name with operators."""
    name = structure.display_name(tensor)
    return name if name.isidentifier() else f"({name})"


def _parenthesized(text: str) -> str:
    return f"({text})" if text.startswith("-") else text


def _sum_inline(parts: list[np.ndarray]) -> str:
    total = np.sum(np.stack([np.asarray(p, dtype=np.float64) for p in parts]), 0)
    numbers = " + ".join(_parenthesized(format_inline(p)) for p in parts)
    return f"{numbers} = {format_inline(total)}"


def _uses(structure: GraphStructure, node_id: str) -> int:
    """How many op inputs read this value (only ops the graph drew)."""
    return sum(1 for tail, head, position in structure.edges if tail == node_id and position is not None)


def step_caption(
    structure: GraphStructure,
    step: BackwardStep,
    index: int,
    total: int,
    contributions: dict[str, list[np.ndarray]],
) -> str:
    """One sentence: what came in, which local derivative, what went out, what added up."""
    row = local_derivative(step.function)
    output_name = derivative_symbol(structure, step.output)
    sends = []
    sums = []
    seen_parents: set[str] = set()
    for parent, grad in zip(step.inputs, step.grad_inputs):
        if grad is None:
            continue
        parent_node = structure.value_id(parent)
        parent_name = derivative_symbol(structure, parent)
        sends.append(f"∂L/∂{parent_name} = {format_inline(grad.data)} to {structure.display_name(parent)}")
        parts = contributions.get(parent_node, [])
        if len(parts) >= 2 and parent_node not in seen_parents:
            seen_parents.add(parent_node)
            sums.append(
                f"{structure.display_name(parent)} is used {len(parts)} times so far, so its gradients add up: "
                f"∂L/∂{parent_name} = {_sum_inline(parts)}"
            )
    local = "; ".join(_local_for_inputs(row, step))
    if sends:
        sentence = (
            f"Step {index + 1} of {total}: {step.function.__name__} receives the upstream gradient "
            f"∂L/∂{output_name} = {format_inline(step.grad_output.data)}, multiplies it by its local "
            f"derivative ({local}) and sends " + " and ".join(sends)
        )
    else:
        sentence = (
            f"Step {index + 1} of {total}: {step.function.__name__} receives ∂L/∂{output_name} = "
            f"{format_inline(step.grad_output.data)}, but none of its inputs needs a gradient"
        )
    if sums:
        sentence += "; " + "; ".join(sums)
    return sentence + "."


def _local_for_inputs(row: LocalDerivative, step: BackwardStep) -> list[str]:
    formulas = []
    for position, grad in enumerate(step.grad_inputs):
        if grad is not None:
            formula = row.local_for(position)
            if formula not in formulas:
                formulas.append(formula)
    return formulas


# ----- pictures ------------------------------------------------------------------------------------


def _grad_text_for(
    structure: GraphStructure,
    node_id: str,
    contributions: dict[str, list[np.ndarray]],
    complete: dict[str, np.ndarray],
) -> str | None:
    tensor = structure.values[int(node_id[1:])]
    name = derivative_symbol(structure, tensor)
    parts = contributions.get(node_id)
    if parts:
        return gradient_text(name, parts)
    if node_id in complete:  # a root: the walk starts with ∂L/∂L = 1
        return f"∂L/∂{name} = {format_values(complete[node_id])}  (start)"
    return None


def _step_frame(
    structure: GraphStructure,
    steps: list[BackwardStep],
    index: int,
    total: int,
    contributions: dict[str, list[np.ndarray]],
    complete: dict[str, np.ndarray],
    arrivals: list[tuple[int, str]],
    done_ops: set[str],
    show_values: bool,
    rankdir: str,
) -> Frame:
    step = steps[index]
    row = local_derivative(step.function)
    current_op = structure.op_id(step.ctx)
    output_node = structure.value_id(step.output)
    receiving = {node for _, node in arrivals}
    title = f"backprop step {index + 1} of {total}: {step.function.__name__}   {row.forward}"
    graph = new_digraph(rankdir, title)

    for tensor in structure.values:
        node_id = structure.value_id(tensor)
        style = value_style(structure.kinds[node_id])
        extra = []
        if node_id == output_node:
            style.update(color=GRADIENT_COLOUR, penwidth="3")
            extra.append(f'<FONT COLOR="{GRADIENT_COLOUR}" POINT-SIZE="9"><I>upstream gradient (complete)</I></FONT>')
        elif node_id in receiving:
            style.update(color=GRADIENT_COLOUR, penwidth="2")
        grad_text = _grad_text_for(structure, node_id, contributions, complete)
        graph.node(node_id, value_label(structure, tensor, show_values, grad_text, extra), **style)

    for op_node, ctx, _ in structure.ops:
        if op_node == current_op:
            rows = [f'<FONT POINT-SIZE="10">{html.escape(formula)}</FONT>' for formula in _local_for_inputs(row, step)]
            graph.node(
                op_node, op_label(ctx, rows), shape="ellipse", style="filled", fillcolor=HIGHLIGHT_COLOUR, penwidth="3"
            )
        else:
            colour = DONE_COLOUR if op_node in done_ops else OP_COLOUR
            graph.node(op_node, op_label(ctx), shape="ellipse", style="filled", fillcolor=colour)

    for tail, head, position in structure.edges:
        if head == current_op and position is not None and step.grad_inputs[position] is not None:
            grad = step.grad_inputs[position]
            label = f"{row.chain_for(position)}\n= {format_values(grad.data)}"
            graph.edge(
                tail,
                head,
                label=f'<<FONT COLOR="{GRADIENT_COLOUR}">{html_text(label)}</FONT>>',
                color=GRADIENT_COLOUR,
                penwidth="2.5",
                dir="back",
            )
        elif tail == current_op:
            graph.edge(tail, head, color=GRADIENT_COLOUR, style="dashed", label="∂L/∂y", fontcolor=GRADIENT_COLOUR)
        else:
            label = input_name_label(structure, head, position)
            graph.edge(tail, head, **({"label": label} if label else {}))

    caption = step_caption(structure, step, index, total, contributions)
    return Frame(index, total, caption, graph, highlighted=current_op, step=step)


def _final_frame(
    structure: GraphStructure,
    steps: list[BackwardStep],
    total: int,
    contributions: dict[str, list[np.ndarray]],
    complete: dict[str, np.ndarray],
    done_ops: set[str],
    show_values: bool,
    rankdir: str,
) -> Frame:
    graph = new_digraph(rankdir, f"backprop done ({total} of {total}): every leaf holds its gradient")
    leaf_texts = []
    for tensor in structure.values:
        node_id = structure.value_id(tensor)
        style = value_style(structure.kinds[node_id])
        name = derivative_symbol(structure, tensor)
        if structure.kinds[node_id] == "parameter" and tensor.grad is not None:
            style.update(color=GRADIENT_COLOUR, penwidth="3")
            grad_text = f"grad: ∂L/∂{name} = {format_values(tensor.grad.data)}"
            leaf_texts.append(f"∂L/∂{name} = {format_inline(tensor.grad.data)}")
        else:
            grad_text = _grad_text_for(structure, node_id, contributions, complete)
        graph.node(node_id, value_label(structure, tensor, show_values, grad_text), **style)
    for op_node, ctx, _ in structure.ops:
        colour = DONE_COLOUR if op_node in done_ops else OP_COLOUR
        graph.node(op_node, op_label(ctx), shape="ellipse", style="filled", fillcolor=colour)
    for tail, head, position in structure.edges:
        label = input_name_label(structure, head, position)
        graph.edge(tail, head, **({"label": label} if label else {}))
    if leaf_texts:
        caption = (
            f"Done after {len(steps)} steps: every leaf holds its gradient, "
            + ", ".join(leaf_texts)
            + " (the same numbers loss.backward() leaves in .grad)."
        )
    else:
        caption = f"Done after {len(steps)} steps: no leaf requires grad, so no .grad was filled."
    return Frame(total - 1, total, caption, graph)
