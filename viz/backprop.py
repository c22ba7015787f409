"""backprop_frames: backpropagation as a sequence of pictures, one per step of the engine's walk.

    frames = viz.backprop_frames(loss)      # runs the real backward: leaves get their .grad
    frames[1]                               # shows inline in Jupyter
    viz.player(loss)                        # or: the whole walk as an inline player

One numbering everywhere (the player's ``#k`` and its counter say the same): frame 0 is the
forward pass, every node showing its value; frame k (k = 1 … n) is step k of
``tinygrad_edu.backward_steps(loss)``; frame n + 1 shows every leaf's gradient, read from
``.grad``. In a step frame the op being differentiated is highlighted, its output shows the
upstream gradient ∂L/∂y (complete at this point: every use of y has sent its share), and the
inputs it sends to show what arrived. L is the output's own name (∂E/∂w1 when it is E).
Reshapes the user did not write (``W @ x`` with a vector x) are neither drawn nor stepped.

``frame.lines`` says the step in the user's names with the numbers plugged in, one
``viz.captions.Line`` per line; its ``kind`` says what the line is, so that a page can show or
hide each part (predict mode hides the local derivative and the answers):

    kind        text                                                      answer
    "upstream"  upstream: ∂L/∂(p·q) = 0.5
    "local"     local derivative: ∂(p·q)/∂p = q = −3[, where N = expr]    (none)
    "sends"     p receives ∂L/∂(p·q) · q = 0.5 · (−3) =                   −1.5
    "adds"      a is used twice: ∂L/∂a = 0.9993 + (−0.008046) =           0.9913
    "note"      anything else: the forward pass, the end, the numbers an op's rule uses

The local derivative comes from the op itself (its ``local_derivatives``, numbers from its own
backward); an input in two slots of one op shows both (∂(e·e)/∂e = e + e). ∂L/∂v is written
only for a whole gradient: what one op sends is "v receives …", and a value used several times
shows the parts adding up to ∂L/∂v once the last has arrived ("… has received so far" before).

Every frame is drawn on one ``Stage`` (one layout for the whole walk), so no node moves from
frame to frame. For predict mode each step frame also has a *question* picture in which what
the step sends is still "?".

The frames only *read* the steps the engine yields; nothing here computes a gradient.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from tinygrad_edu import BackwardStep, Context, Tensor, backward_steps
from tinygrad_edu.errors import BackwardError

from .captions import LOCAL, SENT, SHOWN, Line, all_local_values, gradient_symbol, step_lines, sum_line, values_inline
from .escape import graphviz_tooltip
from .graph import GraphStructure, graph_structure
from .labels import (
    DONE_COLOUR,
    FONT_SIZE,
    GRADIENT_COLOUR,
    HIGHLIGHT_COLOUR,
    OP_COLOUR,
    gradient_html,
    op_symbol,
    stage_label,
    value_style,
)
from .render import Digraph, GraphvizNotFoundError
from .stage import Picture, Stage

NODE_ATTRIBUTES = {"fontname": "Helvetica", "fontsize": str(FONT_SIZE + 4), "margin": "0.06,0.04"}


@dataclass
class Frame:
    """One picture of the backward pass.

    index        position in the sequence: the player's ``#index`` and its counter
    total        how many frames there are
    heading      a few words: "forward pass", "step 3 of 8: tanh", "done"
    caption      the frame's explanation as one paragraph (``lines`` joined)
    lines        the explanation line by line (``Line.text``, ``.answer``, ``.kind``: see the module)
    picture      what the frame draws; ``question`` is the same with this step's answers as "?"
    highlighted  node id of the op being differentiated ("op3"), None in the first and last frame
    questions    what predict mode asks, in turn: one Line per level the lines hide (``Line.asks``)
    focus        the value nodes a player too small for the whole graph shows first: the op's
                 output and inputs (the outputs in the first frame)
    step         the engine's BackwardStep, None in the first and last frame
    """

    index: int
    total: int
    heading: str
    caption: str
    picture: Picture
    stage: Stage
    lines: list[Line] = field(default_factory=list)
    questions: list[Line] = field(default_factory=list)
    question: Picture | None = None
    highlighted: str | None = None
    focus: tuple[str, ...] = ()
    step: BackwardStep | None = None
    _svg: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def graph(self) -> Digraph:
        """The picture as a graphviz.Digraph (laid out on its own, not on the stage)."""
        return self.picture.digraph(node_attr=NODE_ATTRIBUTES)

    @property
    def source(self) -> str:
        """The frame's DOT source."""
        return self.graph.source

    @property
    def is_final(self) -> bool:
        return self.index == self.total - 1

    def svg(self, question: bool = False) -> str:
        """The frame drawn on the stage as SVG (needs Graphviz's ``dot``; computed once).

        question  the predict-mode picture, with this step's answers as "?" (the frame itself
                  when it asks nothing)
        """
        picture = self.question if question and self.question is not None else self.picture
        key = "question" if picture is self.question else "answer"
        if key not in self._svg:
            self._svg[key] = self.stage.svg(picture)
        return self._svg[key]

    def render(self, path: str | Path) -> Path:
        """Write the frame to ``path`` (.svg, .png or .pdf), drawn on the stage."""
        path = Path(path)
        file_format = path.suffix.lstrip(".").lower()
        if file_format not in ("svg", "png", "pdf"):
            raise ValueError(f"cannot tell the picture format from {path.name!r}: end the name with .svg, .png or .pdf")
        data = self.stage.render_bytes(self.picture, file_format)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return path

    def _repr_svg_(self) -> str:
        return self.svg()

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None, **kwargs: Any) -> dict[str, str]:
        bundle = {"text/plain": f"Frame {self.index} of {self.total - 1}: {self.caption}"}
        try:
            bundle["image/svg+xml"] = self.svg()
        except GraphvizNotFoundError as error:
            bundle["text/plain"] += f"\n\n{error}"
        return bundle

    def __repr__(self) -> str:
        return f"Frame(index={self.index}, total={self.total}, caption={self.caption!r})"


def backprop_frames(
    loss: Tensor,
    retain_graph: bool = True,
    show_values: bool = True,
    rankdir: str = "auto",
) -> list[Frame]:
    """Run ``loss``'s backward through ``tinygrad_edu.backward_steps`` and draw every step.

    This *is* the backward pass: afterwards each leaf's ``.grad`` holds its gradient, as
    after ``loss.backward(retain_graph=True)``. The graph is kept, so running the same
    notebook cell again works (the leaves' ``.grad`` then add up, as after a second
    ``backward``; the last frame says so); ``retain_graph=False`` frees it.
    Returns (number of ops visited) + 2 frames: the forward pass, one per step,
    and the end. ``rankdir`` "auto" lays the graph out left to right or top to bottom,
    whichever fills a wide screen better.
    """
    structure = graph_structure(loss)
    local = all_local_values([(ctx, output) for _, ctx, output in structure.ops])  # before backward frees them
    try:
        steps = [step for step in backward_steps(loss, retain_graph=retain_graph) if structure.is_drawn(step.ctx)]
    except BackwardError as error:
        if "freed" not in str(error):
            raise
        name = structure.display_name(loss)
        call = f"{name}.backward" if name.isidentifier() else "backward"
        name = name if name.isidentifier() else "the output"
        raise BackwardError(
            f"the graph of {name} was freed by an earlier backward() ({call}() frees it): "
            f"compute {name} again (run the cell that builds it) and make the frames from the new "
            f"one, or call {call}(retain_graph=True) where you need both"
        ) from None
    walk = _Walk(structure, show_values, local)
    total = len(steps) + 2
    drafts: list[dict[str, Any]] = [walk.forward_frame(total)]
    for number, step in enumerate(steps, start=1):
        drafts.append(walk.step_frame(step, number, total))
    drafts.append(walk.final_frame(len(steps), total))
    pictures = [draft["picture"] for draft in drafts] + [d["question"] for d in drafts if d.get("question")]
    stage = Stage(pictures, NODE_ATTRIBUTES, rankdir)
    return [Frame(index=index, total=total, stage=stage, **draft) for index, draft in enumerate(drafts)]


class _Walk:
    """The state of the walk while the frames are drawn: which gradients have arrived so far."""

    def __init__(self, structure: GraphStructure, show_values: bool, local: dict[int, Any] | None = None) -> None:
        self.structure = structure
        self.local = local or {}
        self.root_name = ", ".join(structure.display_name(root) for root in structure.roots)
        self.show_values = show_values
        self.contributions: dict[str, list[np.ndarray]] = {}
        self.complete: dict[str, np.ndarray] = {}  # upstream gradients of outputs already visited
        self.done_ops: set[str] = set()
        self.arrived: dict[str, int] = {}  # node -> how many gradients the current step sends it
        self.uses: dict[str, int] = {}  # value node -> how many inputs of drawn ops it fills
        for tail, _, position in structure.edges:
            if position is not None:
                self.uses[tail] = self.uses.get(tail, 0) + 1
        self.drawings: dict[tuple, Any] = {}  # each node's and edge's drawings, shared by the pictures
        # Every value node: (tensor, node id, kind, the op drawn on top of it and its Context, or None).
        made_by: dict[str, tuple[str | None, Context | None]] = {
            structure.value_id(output): (op_node, ctx) for op_node, ctx, output in structure.ops
        }
        self.nodes: list[tuple[Tensor, str, str, str | None, Context | None]] = []
        for tensor in structure.values:
            node_id = structure.value_id(tensor)
            op_node, ctx = made_by.get(node_id, (None, None))
            self.nodes.append((tensor, node_id, structure.kinds[node_id], op_node, ctx))
        self.outputs = {op_node: structure.value_id(output) for op_node, _, output in structure.ops}
        # The edges drawn (input -> the op's output box; op -> output is inside the box), and by op.
        self.edges = [(tail, head, position) for tail, head, position in structure.edges if position is not None]
        self.op_edges: dict[str, list[int]] = {}
        for slot, (_, head, _) in enumerate(self.edges):
            self.op_edges.setdefault(head, []).append(slot)
        # The last picture without hidden answers, and the nodes and op it focused on.
        self.last: Picture | None = None
        self.last_focus: set[str] = set()
        self.last_op: str | None = None

    def name(self, tensor: Tensor) -> str:
        return self.structure.display_name(tensor)

    # ----- the three kinds of frame -----

    def forward_frame(self, total: int) -> dict[str, Any]:
        roots = ", ".join(f"{self.name(root)} = {values_inline(root.data)}" for root in self.structure.roots)
        lines = [Line(f"forward pass: every node shows its value; {roots}")]
        lines.append(
            Line(f"next: ∂{self.root_name}/∂(every node), one op at a time, from {self.root_name} back to the leaves")
        )
        draft = self._draft("forward pass", f"Step 0 of {total - 1}", lines, self._picture())
        draft["focus"] = tuple(self.structure.value_id(root) for root in self.structure.roots)
        return draft

    def step_frame(self, step: BackwardStep, number: int, total: int) -> dict[str, Any]:
        structure = self.structure
        current_op = structure.op_id(step.ctx)
        output_node = structure.value_id(step.output)
        self.complete[output_node] = step.grad_output.data
        receiving = []
        for parent, grad in zip(step.inputs, step.grad_inputs):
            if grad is not None:
                node = structure.value_id(parent)
                drawn = structure.values[int(node[1:])]  # the value drawn (a reshape not drawn sends to its input)
                data = np.reshape(grad.data, drawn.shape) if np.size(grad.data) == drawn.numel() else grad.data
                self.contributions.setdefault(node, []).append(data)
                receiving.append(node)
        names = [self.name(parent) for parent in step.inputs]
        lines = step_lines(step, names, self.name(step.output), self.root_name, self.local.get(id(step.ctx)))
        self.arrived = {node: receiving.count(node) for node in receiving}
        for node in self.arrived:
            parts = self.contributions[node]
            if len(parts) >= 2:
                tensor = structure.values[int(node[1:])]
                uses = self.uses.get(node, len(parts))
                used = "twice" if uses == 2 else f"{uses} times"
                complete = len(parts) >= uses
                sum_text = sum_line(self.name(tensor), parts, self.root_name, complete, new=self.arrived[node])
                lines.append(Line.of((f"{self.name(tensor)} is used {used}: ", SHOWN), *sum_text.pieces, kind="adds"))
        questions = self._questions(lines, [self.name(structure.values[int(node[1:])]) for node in self.arrived])
        focus = {"op": current_op, "output": output_node, "receiving": receiving, "step": step}
        answer = self._picture(focus)
        question = self._picture(focus, hide=set(receiving))
        symbol = op_symbol(step.ctx)
        heading = f"backward through {symbol}"
        draft = self._draft(heading, f"Step {number} of {total - 1}", lines, answer, question)
        inputs = [structure.value_id(parent) for parent in step.inputs]
        draft.update(
            highlighted=current_op, step=step, focus=tuple(dict.fromkeys([output_node, *inputs])), questions=questions
        )
        self.done_ops.add(current_op)
        return draft

    def _questions(self, lines: list[Line], receivers: list[str]) -> list[Line]:
        """What predict mode asks, one question per level the lines hide (see ``page``)."""
        levels = set().union(*(line.levels for line in lines))
        receivers_text = " and ".join(dict.fromkeys(receivers))
        questions = []
        if LOCAL in levels:
            words = "is the local derivative" if len(set(receivers)) == 1 else "are the local derivatives"
            questions.append(Line.of((f"first: what {words} for {receivers_text}?", SHOWN), asks=LOCAL))
        if SENT in levels:
            then = "so " if LOCAL in levels else ""
            verb = "does" if len(set(receivers)) == 1 else "do"
            questions.append(Line.of((f"{then}what {verb} {receivers_text} receive?", SHOWN), asks=SENT))
        return questions

    def final_frame(self, steps: int, total: int) -> dict[str, Any]:
        leaves = [
            tensor
            for tensor in self.structure.values
            if self.structure.kinds[self.structure.value_id(tensor)] == "parameter"
            and tensor.grad is not None
            and self.structure.value_id(tensor) in self.contributions
        ]
        done = f"done after {steps} step{'' if steps == 1 else 's'}"
        if leaves:
            totals = {id(leaf): self._total(self.structure.value_id(leaf)) for leaf in leaves}
            grads = ", ".join(
                f"{gradient_symbol(self.name(leaf), self.root_name)} = {values_inline(totals[id(leaf)])}"
                for leaf in leaves
                if leaf.grad is not None
            )
            lines = [Line(f"{done}: every leaf holds its gradient: {grads}")]
            held_grads = {id(leaf): np.asarray(leaf.grad.data if leaf.grad is not None else 0.0) for leaf in leaves}
            earlier = [leaf for leaf in leaves if not np.allclose(held_grads[id(leaf)], totals[id(leaf)])]
            if earlier:  # the cell ran before: backward adds to .grad
                held = ", ".join(f"{self.name(leaf)}.grad = {values_inline(held_grads[id(leaf)])}" for leaf in earlier)
                lines.append(Line(f"but {held}: this walk added to a .grad left by an earlier one (zero it first)"))
            else:
                lines.append(Line("the same numbers loss.backward() leaves in .grad"))
        else:
            lines = [Line(f"{done}: no leaf requires grad, so no .grad was filled")]
        return self._draft(
            "done: every leaf holds its gradient", f"Step {total - 1} of {total - 1}", lines, self._picture(final=True)
        )

    def _draft(
        self, heading: str, prefix: str, lines: list[Line], picture: Picture, question: Picture | None = None
    ) -> dict[str, Any]:
        text = "; ".join(line.full for line in lines)
        caption = f"{prefix}: {text[0].upper()}{text[1:]}."
        return {"heading": heading, "caption": caption, "lines": lines, "picture": picture, "question": question}

    # ----- one picture -----

    def _picture(
        self, focus: dict[str, Any] | None = None, hide: set[str] | frozenset[str] = frozenset(), final: bool = False
    ) -> Picture:
        """One frame's picture: a box per value, the op that made it drawn on top of it.

        Edges run from each input straight to the op's output box; the edges of the op being
        differentiated turn red and point back to the inputs (what it sends travels along them).
        """
        receiving = set(focus["receiving"]) if focus else set()
        picture = Picture()
        # A step changes a few nodes: those it focuses on, and those the step before focused on.
        # The other nodes keep the drawing they had in the picture before.
        if focus is None or self.last is None:
            redraw = self.nodes
        else:
            changed = self.last_focus | {focus["output"], *receiving}
            redraw = [node for node in self.nodes if node[1] in changed]
            picture.nodes = dict(self.last.nodes)
        for tensor, node_id, kind, op_node, ctx in redraw:
            border = None
            if focus and node_id == focus["output"]:
                border = "4"
            elif node_id in receiving or (final and kind == "parameter" and tensor.grad is not None):
                border = "3"
            op_colour = OP_COLOUR
            if focus and op_node == focus["op"]:
                op_colour = HIGHLIGHT_COLOUR
            elif op_node is not None and (op_node in self.done_ops or final):
                op_colour = DONE_COLOUR
            hidden = node_id in hide
            arrived = len(self.contributions.get(node_id, ()))
            key = (node_id, border, op_colour, hidden, arrived, node_id in self.complete)
            if key not in self.drawings:  # made once, then shared by every picture that shows it
                style = value_style(kind)
                style["tooltip"] = graphviz_tooltip(self.name(tensor))  # what a pointer resting on the box shows
                if border is not None:
                    style.update(color=GRADIENT_COLOUR, penwidth=border)
                rows = self._gradient_rows(node_id, hidden=hidden)
                data = tensor.data if self.show_values else np.zeros(())
                op = op_symbol(ctx) if ctx is not None else None
                self.drawings[key] = (stage_label(self.name(tensor), data, rows, op, op_colour), style)
            picture.nodes[node_id] = self.drawings[key]
        # The edges: the inputs of the op being differentiated turn red, and back when it is done.
        if focus is None or self.last is None:
            slots = list(range(len(self.edges)))
            picture.edges = [()] * len(self.edges)  # type: ignore[list-item]
        else:
            slots = self.op_edges.get(self.last_op or "", []) + self.op_edges[focus["op"]]
            picture.edges = list(self.last.edges)
        for slot in slots:
            tail, head, input_position = self.edges[slot]
            red = bool(focus and head == focus["op"] and focus["step"].grad_inputs[input_position] is not None)
            if (slot, red) not in self.drawings:
                # the flow: back to the input
                attributes = {"color": GRADIENT_COLOUR, "penwidth": "4", "dir": "back"} if red else {}
                self.drawings[(slot, red)] = (tail, self.outputs[head], attributes)
            picture.edges[slot] = self.drawings[(slot, red)]
        if not hide:
            self.last = picture
            self.last_focus = {focus["output"], *receiving} if focus else set()
            self.last_op = focus["op"] if focus else None
        return picture

    def _total(self, node_id: str) -> np.ndarray:
        """∂L/∂node as far as the walk has come: the sum of what arrived."""
        return np.sum(np.stack([np.asarray(part, dtype=np.float64) for part in self.contributions[node_id]]), 0)

    def _gradient_rows(self, node_id: str, hidden: bool) -> list[str]:
        """The gradient rows of a value node as far as the walk has come."""
        parts = self.contributions.get(node_id)
        if parts and hidden and self.arrived.get(node_id, 0) >= 2:  # e·e: both slots send to e, both hidden
            new = self.arrived[node_id]
            parts = parts[:-new] + [np.sum(np.stack([np.asarray(part, np.float64) for part in parts[-new:]]), 0)]
        if parts:
            total = np.sum(np.stack([np.asarray(part, dtype=np.float64) for part in parts]), 0)
            return gradient_html(total, parts, hidden=hidden)
        if node_id in self.complete:  # the root: the walk starts with ∂L/∂L = 1
            return gradient_html(self.complete[node_id])
        return []
