"""Each step written out in the user's names, with the numbers plugged in.

For ``p * q`` with p = 2, q = −3 and ∂L/∂(p·q) = 0.5 a backward step reads

    upstream    ∂L/∂(p·q) = 0.5
    local       local derivative: ∂(p·q)/∂p = q = −3
    sends       p receives ∂L/∂(p·q) · q = 0.5 · (−3) = −1.5

(with the output's own name in place of L). The math is not written here: each op carries it,
beside its forward and backward (``tinygrad_edu/ops``):

    input_names         the letters its formulas use for its inputs, ("a", "b")
    local_derivatives   elementwise ops: ∂y/∂(each input) in those letters, y the output, ("b", "a")
    gradient_formulas   other ops: what backward sends to each input, g standing for ∂L/∂y

This module puts the user's names in place of the letters (in parentheses where needed) and
takes every number from the engine: the local derivative is the op's own backward called with
∂L/∂y = 1 (``local_values``), what is sent is the step's ``grad_inputs``. An op without these
attributes is described by the "backward:" line of its docstring.

An input used in several slots of one op (``e * e``) gets one local derivative per slot, added
up: ∂(e·e)/∂e = e + e. A value is only written ∂L/∂v when it is the whole gradient of v; what
one op sends is written "v receives …".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from tinygrad_edu import Context, Tensor, no_grad

from .names import apply_text, format_number, index_text, wrap

# What a Line is, for a caption's reader (predict mode hides "local" and the answers):
#   "upstream"  ∂L/∂y arriving at the op        "local"  the local derivative ∂y/∂x, formula and value
#   "sends"     what one input receives         "adds"   a value used several times: its parts added up
#   "note"      anything else (what the step is, what happens next)


SHOWN, LOCAL, SENT = 0, 1, 2  # what predict mode reveals in turn: a Line's pieces carry one each


@dataclass(frozen=True)
class Line:
    """One line of a step's explanation, as pieces that predict mode reveals in turn.

    text     the line, up to its answer
    answer   the number predict mode hides at first ("" for none)
    kind     "upstream", "local", "sends", "adds", "tangent" or "note" (see above)
    pieces   (text, level) in order. SHOWN is always on screen; LOCAL (the local derivative,
             formula and value, wherever it appears) is "?" while predict mode asks for it;
             SENT (what an input receives, and every sum it enters) is "?" until the answer.
             ``Line(text, answer)`` is (text, SHOWN), (answer, SENT); ``Line.of`` takes pieces.
    asks     0 for a line of the explanation; LOCAL or SENT for a question, on screen only
             while predict mode asks it
    """

    text: str
    answer: str = ""
    kind: str = "note"
    pieces: tuple[tuple[str, int], ...] = ()
    asks: int = 0

    def __post_init__(self) -> None:
        if not self.pieces:
            pieces = ((self.text, SHOWN), (self.answer, SENT)) if self.answer else ((self.text, SHOWN),)
            object.__setattr__(self, "pieces", pieces)

    @staticmethod
    def of(*pieces: tuple[str, int], kind: str = "note", asks: int = 0) -> Line:
        """The line made of ``pieces``; its ``answer`` is the last piece if that one is SENT."""
        last_sent = bool(pieces) and pieces[-1][1] == SENT
        text = "".join(piece for piece, _ in (pieces[:-1] if last_sent else pieces))
        return Line(text, pieces[-1][0] if last_sent else "", kind, tuple(pieces), asks)

    @property
    def full(self) -> str:
        return "".join(piece for piece, _ in self.pieces)

    def shown(self, revealed: int) -> str:
        """The line while predict mode has revealed up to level ``revealed``: the rest is "?"."""
        return "".join(piece if level <= revealed else "?" for piece, level in self.pieces)

    @property
    def question(self) -> str:
        return self.shown(SHOWN)

    @property
    def levels(self) -> set[int]:
        """The levels this line hides (LOCAL, SENT), none for a line that hides nothing."""
        return {level for _, level in self.pieces if level != SHOWN}


# ----- numbers -------------------------------------------------------------------------------------


def signed(text: str) -> str:
    """A number ready to follow · or +: '(−3)' for a negative one."""
    return f"({text})" if text.startswith("−") else text


def values_inline(array: Any) -> str:
    """The numbers of a small array on one line: '−1.5' or '[1, −2, 0.5]'."""
    array = np.asarray(array, dtype=np.float64)
    if array.size == 1:
        return format_number(float(array.reshape(-1)[0]))
    if array.size > 12:
        return f"a {'×'.join(map(str, array.shape))} array (norm {format_number(float(np.linalg.norm(array)))})"
    if array.ndim == 1:
        return "[" + ", ".join(format_number(value) for value in array) + "]"
    return "[" + ", ".join(values_inline(row) for row in array) + "]"


def shape_text(array: Any) -> str:
    """'(2×3)' for a matrix, '(3)' for a vector, '()' for a scalar."""
    return "(" + "×".join(str(size) for size in np.shape(array)) + ")"


def gradient_symbol(name: str, output: str = "L") -> str:
    """'∂L/∂a', or '∂E/∂(a·b)' for a name with operators in it and an output called E."""
    return f"∂{wrap(output)}/∂{wrap(name)}"


# ----- the op's own formulas ----------------------------------------------------------------------


def op_letters(function: type) -> tuple[str, ...]:
    return tuple(getattr(function, "input_names", ()))


def local_formulas(function: type) -> tuple[str | None, ...] | None:
    """The op's ``local_derivatives`` (elementwise ops), or None."""
    formulas = getattr(function, "local_derivatives", None)
    return tuple(formulas) if formulas is not None else None


def gradient_formulas(function: type) -> tuple[str | None, ...] | None:
    """The op's ``gradient_formulas`` (ops that are not elementwise), or None."""
    formulas = getattr(function, "gradient_formulas", None)
    return tuple(formulas) if formulas is not None else None


def backward_words(function: type) -> str:
    """The "backward:" line of the op's docstring (for an op without formulas)."""
    for line in (function.__doc__ or "").splitlines():
        if line.strip().startswith("backward:"):
            return line.strip()[len("backward:") :].strip()
    return f"what {function.__name__}.backward computes"


_LETTER_RUN = re.compile(r"[^\W\d_ᵀ⁰¹²³⁴⁵⁶⁷⁸⁹⁻₀₁₂₃₄₅₆₇₈₉]+")


def substitute(formula: str, letters: dict[str, str]) -> str:
    """Put names in place of the formula's letters: 'b·a' with a → 'x + 1', b → 'w' -> 'w·(x + 1)'.

    Only whole runs of letters are replaced ('exp' keeps its x), each name in parentheses unless
    it is an atom.
    """

    if formula in letters:  # a formula that is just one letter needs no parentheses
        return letters[formula]

    def replace(match: re.Match) -> str:
        word = match.group(0)
        return wrap(letters[word]) if word in letters else word

    return _LETTER_RUN.sub(replace, formula)


def local_values(ctx: Context, output: Tensor) -> tuple[np.ndarray | None, ...]:
    """∂y/∂(each input) of an elementwise op, at every element of y: the op's own backward run
    with ∂L/∂y = 1 (None where an input gets no gradient). Call it while the graph still holds
    the op's saved values (before a backward that frees them)."""
    with no_grad():
        ctx.output = output
        try:
            raw = ctx.function.backward(ctx, Tensor(np.ones(output.shape, dtype=output.dtype)))
        finally:
            ctx.output = None
    grads = raw if type(raw) is tuple else (raw,)
    values: list[np.ndarray | None] = []
    for grad in grads:
        if grad is None:
            values.append(None)
            continue
        data = grad.data if isinstance(grad, Tensor) else grad
        values.append(np.broadcast_to(np.asarray(data, dtype=np.float64), output.shape))
    return tuple(values)


def all_local_values(contexts: list[tuple[Context, Tensor]]) -> dict[int, tuple[np.ndarray | None, ...]]:
    """id(ctx) -> local_values, for every elementwise op among ``contexts``."""
    found = {}
    for ctx, output in contexts:
        if local_formulas(ctx.function) is not None and ctx._saved is not None:
            found[id(ctx)] = local_values(ctx, output)
    return found


def slots_of(ctx: Context, position: int) -> list[int]:
    """Every input position of the op that holds the same tensor as ``position`` (e*e: [0, 1])."""
    parent = ctx.parents[position]
    return [other for other, tensor in enumerate(ctx.parents) if tensor is parent]


def local_line(
    ctx: Context, slots: list[int], names: list[str], output_name: str, value: np.ndarray | None
) -> tuple[str, Line]:
    """The local derivative of the op's output with respect to the input in ``slots``: its
    formula in the names (one term per slot, added), and the line that states it."""
    letters = dict(zip(op_letters(ctx.function), names))
    letters["y"] = output_name
    formulas = local_formulas(ctx.function) or ()
    terms = []
    for slot in slots:
        formula_of_slot = formulas[slot]
        if formula_of_slot is not None:
            terms.append(substitute(formula_of_slot, letters))
    formula = " + ".join(terms)
    expression = apply_text(ctx, names)
    pieces = [(f"local derivative: ∂{wrap(output_name)}/∂{wrap(names[slots[0]])} = ", SHOWN)]
    if value is not None and formula != values_inline(value):
        pieces.append((f"{formula} = {values_inline(value)}", LOCAL))
    else:
        pieces.append((formula, LOCAL))
    if expression != output_name:
        pieces.append((f", where {output_name} = {expression}", SHOWN))
    return formula, Line.of(*pieces, kind="local")


def step_lines(
    step: Any,
    names: list[str],
    output_name: str,
    root_name: str,
    local: tuple[np.ndarray | None, ...] | None,
) -> list[Line]:
    """Upstream gradient, local derivative per input, and what each input receives.

    names        the display names of the step's inputs, in call order
    output_name  the display name of the op's output; root_name the name of what is differentiated
    local        the op's ``local_values`` (elementwise ops), computed before the walk
    """
    upstream = np.asarray(step.grad_output.data, dtype=np.float64)
    upstream_symbol = gradient_symbol(output_name, root_name)
    lines = [Line(f"upstream: {upstream_symbol} = {values_inline(upstream)}", kind="upstream")]
    function, ctx = step.function, step.ctx
    done: set[int] = set()
    for position, grad in enumerate(step.grad_inputs):
        if grad is None or position in done:
            continue
        slots = [slot for slot in slots_of(ctx, position) if step.grad_inputs[slot] is not None]
        done.update(slots)
        receiver = names[position]
        sent = np.asarray(grad.data, dtype=np.float64)
        if len(slots) > 1:
            sent = np.zeros(())
            for slot in slots:
                sent = sent + np.asarray(step.grad_inputs[slot].data, dtype=np.float64)
        if local is not None and local_formulas(function) is not None:
            value = np.zeros(())
            for slot in slots:
                local_of_slot = local[slot]
                if local_of_slot is not None:
                    value = value + local_of_slot
            formula, line = local_line(ctx, slots, names, output_name, value)
            lines.append(line)
            pieces = [(f"{receiver} receives {upstream_symbol} · ", SHOWN), (signed(wrap(formula)), LOCAL)]
            if np.shape(sent) == np.shape(upstream):
                pieces += [(f" = {signed(values_inline(upstream))} · ", SHOWN), (signed(values_inline(value)), LOCAL)]
            else:
                pieces.append((" added over the copies broadcasting made", SHOWN))
            lines.append(Line.of(*pieces, (" = ", SHOWN), (values_inline(sent), SENT), kind="sends"))
            continue
        formulas = gradient_formulas(function)
        sent_formula = formulas[position] if formulas is not None else None
        if sent_formula is not None:
            letters = dict(zip(op_letters(function), names))
            letters["y"] = output_name
            letters["g"] = upstream_symbol
            rule = substitute(sent_formula, letters)
            if function.__name__ == "MatMul" and all(np.ndim(t.data) == 2 for t in step.inputs):
                lines.append(_matmul_line(step, position, receiver, rule, sent))
                continue
            lines.append(Line(f"{receiver} receives {rule} = ", values_inline(sent), kind="sends"))
            lines.append(Line(_where(step, output_name, upstream_symbol, sent_formula), kind="note"))
            continue
        lines.append(
            Line(
                f"{receiver} receives {_words(step, names, output_name, upstream_symbol)} = ",
                values_inline(sent),
                kind="sends",
            )
        )
    return lines


def _words(step: Any, names: list[str], output_name: str, upstream_symbol: str) -> str:
    """An op without formulas: the words of its docstring's "backward:" line, in the user's names."""
    words = backward_words(step.function)
    if words.startswith("∂L/∂") and " = " in words:
        words = words.split(" = ", 1)[1]  # "∂L/∂x = zeros like x, …": what is sent, not a total
    words = words.replace("∂L/∂y", "g")
    if hasattr(step.ctx, "index") and "[index]" in words:
        words = words.replace("[index]", index_text(step.ctx.index))
    letters = dict(zip(op_letters(step.function) or ("x",), names))
    letters["y"] = output_name
    letters["g"] = upstream_symbol
    return substitute(words, letters)


def _where(step: Any, output_name: str, upstream_symbol: str, formula: str) -> str:
    """The numbers a formula uses, so that it can be checked by hand: y, ∂L/∂y and the settings."""
    parts = [f"{upstream_symbol} = {values_inline(step.grad_output.data)}"]
    if re.search(r"(?<![^\W\d_])y(?![^\W\d_])", formula):
        parts.append(f"{output_name} = {values_inline(step.output.data)}")
    ctx = step.ctx
    if "Σ" in formula:
        axis = vars(ctx).get("axis", -1)
        last = axis in (-1, np.ndim(step.output.data) - 1)
        parts.append("Σ adds up along the last axis" if last else f"Σ adds up along axis {axis}")
    settings = {"ε": "label_smoothing", "α": "negative_slope"}
    for symbol, attribute in settings.items():
        if symbol in formula and attribute in vars(ctx):
            parts.append(f"{symbol} = {format_number(getattr(ctx, attribute))}")
    if "C" in formula and "N" in formula and np.ndim(step.inputs[0].data) == 2:
        count, classes = np.shape(step.inputs[0].data)
        mean = getattr(ctx, "reduction", "mean") == "mean"
        parts.append(f"C = {classes} classes, N = {count if mean else 1}")
    return "with " + ", ".join(parts)


def _matmul_line(step: Any, position: int, receiver: str, rule: str, sent: np.ndarray) -> Line:
    """The matrix rule with its shapes: W receives ∂L/∂y @ xᵀ, (2×3) = (2×1) @ (1×3)."""
    a_data, b_data = step.inputs[0].data, step.inputs[1].data
    up_shape = shape_text(step.grad_output.data)
    if position == 0:
        shapes = f"{shape_text(a_data)} = {up_shape} @ {shape_text(b_data.T)}"
    else:
        shapes = f"{shape_text(b_data)} = {shape_text(a_data.T)} @ {up_shape}"
    return Line(f"{receiver} receives {rule},  shapes {shapes}: ", values_inline(sent), kind="sends")


def sum_line(name: str, parts: list[np.ndarray], root_name: str, complete: bool, new: int = 1) -> Line:
    """A value used several times: what it received, added up. Only the sum of every part is
    its gradient ∂L/∂v; before the last part arrives it is a sum so far. The ``new`` last parts
    (sent by this step) and the sum are SENT: predict mode hides them."""
    total = np.sum(np.stack([np.asarray(part, dtype=np.float64) for part in parts]), 0)
    start = f"{gradient_symbol(name, root_name)} = " if complete else f"{name} has received so far "
    pieces = [(start, SHOWN)]
    for number, part in enumerate(parts):
        if number:
            pieces.append((" + ", SHOWN))
        pieces.append((signed(values_inline(part)), SENT if number >= len(parts) - new else SHOWN))
    return Line.of(*pieces, (" = ", SHOWN), (values_inline(total), SENT), kind="adds")
