"""forward_frames: forward-mode differentiation as pictures, one per op in the order the ops ran.

    frames = viz.forward_frames(f, wrt=a)     # d(every node)/da, flowing forwards with the values
    viz.forward_player(f, wrt=a)              # the same walk in the inline player
    python -m viz "tanh(a*b + c) * a" --values a=2,b=-3,c=10 --forward --wrt a --out out

Reverse mode (``viz.backprop_frames``) starts at the output and sends ∂L/∂node back. Forward
mode starts at one input, ``wrt``, with the tangent da/da = 1 (every other leaf is held
still: its tangent is 0), and carries next to every value how fast it moves as ``wrt`` moves:
each op turns its inputs' tangents into its output's, the chain rule forwards,

    dy/da = ∂y/∂u · du/da + ∂y/∂v · dv/da        (the op's ``jvp``)

so the output's tangent at the end is df/da, the number ``backward`` puts in ``a.grad``.

Frame 0 is the seed (the forward pass has run: every node shows its value; only ``wrt``
has a tangent yet); frame k (k = 1 … n) is op k in the engine's forward order, highlighted,
its output showing the tangent it just got, and ``frame.lines`` say the step with the user's
names and the numbers plugged in. So there are (number of ops) + 1 frames. The frames are
``viz.Frame``s on one ``Stage`` (no node moves), exactly like the backprop walk's: the same
page, player and export show both.

Each ``frame.lines`` entry is a ``viz.captions.Line`` with a ``kind``, as in the backprop walk:
"note" (the tangents arriving), "local" (the op's local derivative, formula and value, from the
op itself) and "tangent" (the tangent the op makes, whose number is the line's ``answer``). A
vector or matrix input moves along all ones, x + t·[1, …], and the tangents are d/dt.

The tangents are the engine's own: the frames read them from the walk ``tg.jvp`` makes
(``tinygrad_edu.core.forward_mode``), and compute none themselves.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np

from tinygrad_edu import Tensor
from tinygrad_edu.core.autograd import topological_order
from tinygrad_edu.core.forward_mode import jvp_steps

from .backprop import NODE_ATTRIBUTES, Frame, _Walk
from .captions import Line, local_formulas, local_line, local_values, signed, slots_of, values_inline
from .escape import graphviz_html
from .expression import Program
from .graph import graph_structure
from .labels import DONE_COLOUR, HIGHLIGHT_COLOUR, OP_COLOUR, op_symbol, stage_label, value_style, values_html
from .names import wrap
from .player import Player
from .stage import Picture, Stage

TANGENT_COLOUR = "#1f5fbf"  # blue: what flows forwards (the gradient flowing back is red)


def forward_frames(output: Tensor, wrt: Tensor, rankdir: str = "auto") -> list[Frame]:
    """Push the tangent d(wrt)/d(wrt) = 1 through ``output``'s graph, one frame per op (see the module).

    ``wrt`` is a leaf of the graph that requires grad; the graph must be recorded (``output``
    computed from ``wrt`` with grad recording on). Nothing is changed: no ``.grad`` is filled.
    """
    if not isinstance(output, Tensor) or not isinstance(wrt, Tensor):
        raise TypeError("forward_frames(output, wrt): both must be Tensors")
    order = topological_order([output]) if output.requires_grad else []
    if not any(tensor is wrt for tensor in order):
        raise ValueError(
            "forward_frames: wrt is not an input of output's graph (it must require grad and be used to compute output)"
        )
    if wrt.grad_fn is not None:
        raise ValueError("forward_frames: wrt must be a leaf (an input), not the result of an op")
    seed = Tensor(np.ones(wrt.shape, dtype=wrt.dtype))
    tangent_of = {id(wrt): seed.numpy()}  # the engine's forward-mode walk: every node's tangent
    tangent_of.update({id(step.output): step.output_tangent.numpy() for step in jvp_steps(order, [wrt], [seed])})
    walk = _ForwardWalk(output, wrt, tangent_of)
    total = len(walk.structure.ops) + 1
    drafts = [walk.seed_frame(total)]
    for number, (op_node, ctx, result) in enumerate(walk.structure.ops, start=1):
        drafts.append(walk.op_frame(op_node, ctx, result, number, total))
    pictures = [draft["picture"] for draft in drafts] + [d["question"] for d in drafts if d.get("question")]
    stage = Stage(pictures, NODE_ATTRIBUTES, rankdir)
    return [Frame(index=index, total=total, stage=stage, **draft) for index, draft in enumerate(drafts)]


def forward_player(output: Tensor, wrt: Tensor, predict: bool = False, height: int = 640) -> Player:
    """The forward-mode walk in the inline player (``_repr_html_``), like ``viz.player`` for backprop."""
    frames = forward_frames(output, wrt)
    structure = graph_structure(output)
    title = f"Forward mode: {_title_symbol(structure.display_name(output), structure.display_name(wrt), wrt)}"
    return Player(frames, title, predict, height)


def _title_symbol(output_name: str, wrt_name: str, wrt: Tensor) -> str:
    """'dL/dx', or 'dL/dt as x moves along all ones' for a vector or matrix x."""
    if wrt.numel() == 1:
        return tangent_symbol(output_name, wrt_name)
    return f"{tangent_symbol(output_name, 't')} as {wrt_name} moves along all ones"


def tangent_symbol(name: str, wrt_name: str) -> str:
    """'de/da', or 'd(a·b)/da': the total derivative of a node as wrt moves (a tangent), written with
    d, apart from an op's local (partial) derivative ∂y/∂u."""
    return f"d{_operand(name)}/d{_operand(wrt_name)}"


def _operand(name: str) -> str:
    return name if re.fullmatch(r"\w+", name) else f"({name})"  # not isidentifier(): "a·b" is one


class _ForwardWalk(_Walk):
    """The frames' shared state: the structure, the tangent of every node, and how far the walk has come.
    Names and captions are the backprop walk's (``_Walk``); the pictures and lines are forward mode's."""

    def __init__(self, output: Tensor, wrt: Tensor, tangent_of: dict[int, np.ndarray]) -> None:
        super().__init__(graph_structure(output), show_values=True)
        self.wrt = wrt
        self.wrt_name = self.structure.display_name(wrt)
        # A vector or matrix moves along the direction of all ones, wrt + t·[1, 1, …]: the tangents
        # are then derivatives by t (a directional derivative), not by wrt itself.
        self.moving = self.wrt_name if wrt.numel() == 1 else "t"
        self.tangent_of = tangent_of
        self.reached: set[str] = {self.structure.value_id(wrt)}  # nodes whose tangent is known so far

    def tangent(self, tensor: Tensor) -> np.ndarray:
        """The tangent of any node: the engine's, or 0 for a node ``wrt`` does not reach."""
        if id(tensor) in self.tangent_of:
            return self.tangent_of[id(tensor)]
        return np.zeros(tensor.shape)

    def seed_frame(self, total: int) -> dict[str, Any]:
        others = [
            self.name(tensor)
            for tensor in self.structure.values
            if tensor is not self.wrt and self.structure.kinds[self.structure.value_id(tensor)] == "parameter"
        ]
        held = f"; the other inputs are held still: {', '.join(others)} have tangent 0" if others else ""
        lines = [
            Line(
                f"the forward pass has run: every node shows its value. Move {self.wrt_name}"
                f"{self._direction()}: {tangent_symbol(self.wrt_name, self.moving)} = {self._seed()}{held}"
            ),
            Line("next: each op in the order it ran turns its inputs' tangents into its output's tangent"),
        ]
        heading = f"forward mode: seed {tangent_symbol(self.wrt_name, self.moving)} = {self._seed()}"
        picture = self._tangent_picture()
        return self._draft(heading, f"Step 0 of {total - 1}", lines, picture)

    def op_frame(self, op_node: str, ctx: Any, result: Tensor, number: int, total: int) -> dict[str, Any]:
        output_node = self.structure.value_id(result)
        lines = self._lines(ctx, result)
        self.reached.add(output_node)
        answer = self._tangent_picture(focus=(op_node, output_node, ctx))
        question = self._tangent_picture(focus=(op_node, output_node, ctx), hide=output_node)
        self.done_ops.add(op_node)
        heading = f"forward through {op_symbol(ctx)}, which makes {self.name(result)}"
        draft = self._draft(heading, f"Step {number} of {total - 1}", lines, answer, question)
        draft["highlighted"] = op_node
        inputs = [self.structure.value_id(parent) for parent in ctx.parents if id(parent) in self.structure.value_ids]
        draft["focus"] = tuple(dict.fromkeys([output_node, *inputs]))  # where a big graph's player scrolls to
        return draft

    def _lines(self, ctx: Any, result: Tensor) -> list[Line]:
        """The inputs' tangents, the local derivatives, and the tangent the op makes, with numbers."""
        wrt = self.moving
        inputs = ctx.parents
        names = [self.name(parent) for parent in inputs]
        target = tangent_symbol(self.name(result), wrt)
        arriving = ", ".join(
            f"{tangent_symbol(name, wrt)} = {values_inline(self.tangent(parent))}"
            for name, parent in zip(names, inputs)
        )
        lines = [Line(f"tangents arriving: {arriving}")]
        made = values_inline(self.tangent(result))
        if local_formulas(ctx.function) is None or not all(np.size(parent.data) == 1 for parent in inputs):
            lines.append(
                Line(
                    f"the op's jvp: {target} = Σ ∂{_operand(self.name(result))}/∂input · d(input)/d{_operand(wrt)} = ",
                    made,
                    kind="tangent",
                )
            )
            return lines
        local = local_values(ctx, result)  # the op's own backward with ∂L/∂y = 1
        symbols, numbers = [], []
        done: set[int] = set()
        for position, (name, parent) in enumerate(zip(names, inputs)):
            if local[position] is None or position in done or not parent.requires_grad:  # a constant: no tangent
                continue
            slots = [slot for slot in slots_of(ctx, position) if local[slot] is not None]
            done.update(slots)
            value = sum((np.asarray(local[slot]) for slot in slots), np.zeros(()))
            formula, line = local_line(ctx, slots, names, self.name(result), value)
            lines.append(line)
            symbols.append(f"{wrap(formula)} · {tangent_symbol(name, wrt)}")
            numbers.append(f"{signed(values_inline(value))} · {signed(values_inline(self.tangent(parent)))}")
        lines.append(
            Line(f"carries: {target} = {' + '.join(symbols)} = {' + '.join(numbers)} = ", made, kind="tangent")
        )
        return lines

    def _direction(self) -> str:
        """'' for a number; ' along all ones, as x + t·[1, 1, 1]' for a vector or matrix."""
        if self.moving == self.wrt_name:
            return ""
        ones = values_inline(np.ones(self.wrt.shape))
        return f" along all ones, as {self.wrt_name} + t·{ones}"

    def _seed(self) -> str:
        return values_inline(np.ones(self.wrt.shape))

    def _tangent_picture(self, focus: tuple[str, str, Any] | None = None, hide: str | None = None) -> Picture:
        """One frame: a box per value with the op that made it on top; known tangents in blue."""
        structure = self.structure
        made_by = {structure.value_id(output): (op_node, ctx) for op_node, ctx, output in structure.ops}
        picture = Picture()
        for tensor in structure.values:
            node_id = structure.value_id(tensor)
            kind = structure.kinds[node_id]
            border = None
            if focus and node_id == focus[1]:
                border = "4"
            elif node_id == structure.value_id(self.wrt):
                border = "3"
            op, op_colour = None, OP_COLOUR
            if node_id in made_by:
                op_node, ctx = made_by[node_id]
                op = op_symbol(ctx)
                if focus and op_node == focus[0]:
                    op_colour = HIGHLIGHT_COLOUR
                elif op_node in self.done_ops:
                    op_colour = DONE_COLOUR
            with_tangent = kind != "constant" and (node_id in self.reached or kind == "parameter")
            key = (node_id, border, op_colour, with_tangent, node_id == hide)
            if key not in self.drawings:  # made once, then shared by every picture that shows it
                style = value_style(kind)
                if border is not None:
                    style.update(color=TANGENT_COLOUR, penwidth=border)
                rows = self._tangent_rows(tensor, hidden=node_id == hide) if with_tangent else []
                self.drawings[key] = (stage_label(self.name(tensor), tensor.data, rows, op, op_colour), style)
            picture.nodes[node_id] = self.drawings[key]
        outputs = {op_node: structure.value_id(output) for op_node, _, output in structure.ops}
        for tail, head, position in structure.edges:
            if position is None:
                continue  # op -> output: the op is drawn inside its output's box
            attributes = {"color": TANGENT_COLOUR, "penwidth": "4"} if focus and head == focus[0] else {}
            picture.edges.append((tail, outputs[head], attributes))
        return picture

    def _tangent_rows(self, tensor: Tensor, hidden: bool) -> list[str]:
        blue = f'<FONT COLOR="{TANGENT_COLOUR}">'
        label = graphviz_html(f"d/d{_operand(self.moving)}")
        if hidden:
            return [f"{blue}{label} ?</FONT>"]
        tangent = self.tangent(tensor)
        if np.size(tangent) == 1:
            return [f"{blue}{label} {graphviz_html(values_inline(tangent))}</FONT>"]
        return [f"{blue}{label}</FONT>", values_html(tangent, TANGENT_COLOUR)]


def write_forward_page(program: Program, wrt_name: str, out_dir: Path, predict: bool) -> Path:
    """``python -m viz EXPR --forward --wrt x``: the forward-mode walk as numbered SVGs and index.html."""
    from .stepper import export_stepper

    if wrt_name not in program.leaves:
        raise ValueError(
            f"--wrt: expected one of the expression's names ({', '.join(program.leaves)}), got {wrt_name!r}"
        )
    frames = forward_frames(program.output, program.leaves[wrt_name])
    symbol = _title_symbol(program.output_name, wrt_name, program.leaves[wrt_name])
    title = f"Forward mode: {symbol} for {'; '.join(program.statements)}"
    return export_stepper(frames, out_dir, title=title, predict=predict)
