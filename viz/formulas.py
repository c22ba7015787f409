"""Each backward step written out with the user's names and the numbers plugged in.

For ``p * q`` with p = 2, q = −3 and ∂L/∂(p·q) = 0.5 the step reads

    upstream   ∂L/∂(p·q) = 0.5
    local      ∂(p·q)/∂p = q = −3
    sends      ∂L/∂p = ∂L/∂(p·q) × q = 0.5 × (−3) = −1.5

The symbols come from ``LOCAL_RULES`` below (one function per op, in the names of the op's
inputs ``x``/``a``, ``b`` and output ``y``); the numbers of the local derivative from the
forward values, and the number sent from the engine's own ``grad_inputs``. Ops without a rule
here (reductions, softmax, user ops) fall back to the words of ``viz.derivatives``, with the
user's names put in place of the table's letters.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from tinygrad_edu import BackwardStep

from .derivatives import local_derivative
from .names import format_number, wrap

SHOWN, LOCAL, SENT = 0, 1, 2  # what predict mode reveals in turn: a Line's pieces carry one each


@dataclass(frozen=True)
class Line:
    """One line of a step's explanation, as pieces that predict mode reveals in turn.

    pieces  (text, level) in order. SHOWN is always on screen; LOCAL (the local derivative,
            formula and value, wherever it appears) is "?" while predict mode asks for it;
            SENT (what an input receives, and every sum it enters) is "?" until the answer.
    asks    0 for a line of the explanation; LOCAL or SENT for a question, which is on
            screen only while predict mode asks it
    ``Line(text, answer)`` is the line (text, SHOWN), (answer, SENT); ``Line.of(...)`` takes
    the pieces themselves. ``text`` and ``answer`` read a line back the same way.
    """

    text: str
    answer: str = ""
    pieces: tuple[tuple[str, int], ...] = ()
    asks: int = 0

    def __post_init__(self) -> None:
        if not self.pieces:
            pieces = ((self.text, SHOWN), (self.answer, SENT)) if self.answer else ((self.text, SHOWN),)
            object.__setattr__(self, "pieces", pieces)

    @staticmethod
    def of(*pieces: tuple[str, int], asks: int = 0) -> Line:
        """The line made of ``pieces``; its ``answer`` is the last piece if that one is SENT."""
        last_sent = bool(pieces) and pieces[-1][1] == SENT
        text = "".join(piece for piece, _ in (pieces[:-1] if last_sent else pieces))
        return Line(text, pieces[-1][0] if last_sent else "", tuple(pieces), asks)

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


# Per input position: (the local derivative ∂y/∂input written with the names, its value).
Rule = tuple[Callable[["Names"], str], Callable[["Names"], np.ndarray]]


@dataclass(frozen=True)
class Names:
    """What a rule reads: ``n.x`` (or ``n.inputs[0]``), ``n.b`` and ``n.y`` are the names of
    the first input, the second input and the output; ``input_values``/``output_value`` their
    forward values."""

    inputs: tuple[str, ...]
    output: str
    input_values: tuple[np.ndarray, ...] = ()
    output_value: np.ndarray | None = None

    @property
    def x(self) -> str:
        return self.inputs[0]

    @property
    def b(self) -> str:
        return self.inputs[1]

    @property
    def y(self) -> str:
        return self.output


def _const(value: float) -> Callable[[Names], np.ndarray]:
    return lambda n: np.asarray(value, dtype=np.float64)


def _pow_local_base(n: Names) -> str:
    exponent = n.b.replace("−", "-")
    try:
        power = float(exponent)
    except ValueError:
        return f"{wrap(n.b)}·{wrap(n.x)}^({n.b} − 1)"
    if power == 2:
        return f"2·{wrap(n.x)}"
    return f"{n.b}·{wrap(n.x)}^{format_number(power - 1)}"


LOCAL_RULES: dict[str, tuple[Rule, ...]] = {
    "Add": ((lambda n: "1", _const(1.0)), (lambda n: "1", _const(1.0))),
    "Sub": ((lambda n: "1", _const(1.0)), (lambda n: "−1", _const(-1.0))),
    "Mul": (
        (lambda n: n.b, lambda n: n.input_values[1]),
        (lambda n: n.x, lambda n: n.input_values[0]),
    ),
    "Div": (
        (lambda n: f"1/{wrap(n.b)}", lambda n: 1 / n.input_values[1]),
        (lambda n: f"−{wrap(n.x)}/{wrap(n.b)}²", lambda n: -n.input_values[0] / n.input_values[1] ** 2),
    ),
    "Pow": (
        (_pow_local_base, lambda n: n.input_values[1] * n.input_values[0] ** (n.input_values[1] - 1)),
        (lambda n: f"{wrap(n.y)}·log({n.x})", lambda n: n.output_value * np.log(n.input_values[0])),
    ),
    "Neg": ((lambda n: "−1", _const(-1.0)),),
    "Exp": ((lambda n: n.y, lambda n: n.output_value),),
    "Log": ((lambda n: f"1/{wrap(n.x)}", lambda n: 1 / n.input_values[0]),),
    "Sqrt": ((lambda n: f"1/(2·{wrap(n.y)})", lambda n: 1 / (2 * n.output_value)),),
    "Abs": ((lambda n: f"sign({n.x})", lambda n: np.sign(n.input_values[0])),),
    "Sin": ((lambda n: f"cos({n.x})", lambda n: np.cos(n.input_values[0])),),
    "Cos": ((lambda n: f"−sin({n.x})", lambda n: -np.sin(n.input_values[0])),),
    "ReLU": ((lambda n: f"[{n.x} > 0]", lambda n: (n.input_values[0] > 0).astype(np.float64)),),
    "Sigmoid": ((lambda n: f"{wrap(n.y)}·(1 − {wrap(n.y)})", lambda n: n.output_value * (1 - n.output_value)),),
    "Tanh": ((lambda n: f"1 − {wrap(n.y)}²", lambda n: 1 - n.output_value**2),),
}


def gradient_symbol(name: str) -> str:
    """'∂L/∂a', or '∂L/∂(a·b)' for a name with operators in it."""
    return f"∂L/∂{wrap(name)}"


def signed(text: str) -> str:
    """A number ready to follow × or +: '(−3)' for a negative one."""
    return f"({text})" if text.startswith("−") else text


def values_inline(array: np.ndarray) -> str:
    """The numbers of a small array on one line: '−1.5' or '[1, −2, 0.5]'."""
    array = np.asarray(array, dtype=np.float64)
    if array.size == 1:
        return format_number(array.reshape(-1)[0])
    if array.size > 12:
        return f"a {'×'.join(map(str, array.shape))} array (norm {format_number(np.linalg.norm(array))})"
    if array.ndim == 1:
        return "[" + ", ".join(format_number(value) for value in array) + "]"
    return "[" + ", ".join(values_inline(row) for row in array) + "]"


def shape_text(array: np.ndarray) -> str:
    """'(2×3)' for a matrix, '(3)' for a vector, '()' for a scalar."""
    return "(" + "×".join(str(size) for size in np.shape(array)) + ")"


def sum_line(name: str, parts: list[np.ndarray], new: int = 1) -> Line:
    """'∂L/∂a = 0.9993 + 0.002682 = 1.002': a fan-out adding up; the ``new`` last parts
    (arrived in this step) and the total are SENT."""
    total = np.sum(np.stack([np.asarray(part, dtype=np.float64) for part in parts]), 0)
    pieces = [(f"{gradient_symbol(name)} = ", SHOWN)]
    for number, part in enumerate(parts):
        if number:
            pieces.append((" + ", SHOWN))
        pieces.append((signed(values_inline(part)), SENT if number >= len(parts) - new else SHOWN))
    return Line.of(*pieces, (" = ", SHOWN), (values_inline(total), SENT))


def step_lines(step: BackwardStep, input_names: list[str], output_name: str) -> list[Line]:
    """Upstream gradient, local derivative per input, and what is sent to each input."""
    upstream = step.grad_output.data
    lines = [Line(f"upstream gradient: {gradient_symbol(output_name)} = {values_inline(upstream)}")]
    if step.function.__name__ == "MatMul" and all(np.ndim(t.data) == 2 for t in step.inputs):
        return lines + _matmul_lines(step, input_names, output_name)
    names = Names(
        tuple(input_names), output_name, tuple(np.asarray(t.data, np.float64) for t in step.inputs), step.output.data
    )
    rules = LOCAL_RULES.get(step.function.__name__)
    for position, grad in enumerate(step.grad_inputs):
        if grad is None:
            continue
        target = gradient_symbol(input_names[position])
        if rules is None:
            lines.extend(_fallback_lines(step, position, input_names, output_name))
            continue
        symbol_of, value_of = rules[position]
        symbol = symbol_of(names)
        local = np.broadcast_to(value_of(names), np.shape(step.output.data))
        numerator = wrap(output_name)
        local_text = symbol if symbol == values_inline(local) else f"{symbol} = {values_inline(local)}"
        local_of = f"∂{numerator}/∂{wrap(input_names[position])}"
        lines.append(Line.of((f"local derivative: {local_of} = ", SHOWN), (local_text, LOCAL)))
        chain = [(f"sends: {target} = {gradient_symbol(output_name)} × ", SHOWN), (signed(wrap(symbol)), LOCAL)]
        if np.size(upstream) == 1 and np.size(local) == 1:
            chain += [(f" = {signed(values_inline(upstream))} × ", SHOWN), (signed(values_inline(local)), LOCAL)]
        lines.append(Line.of(*chain, (" = ", SHOWN), (values_inline(grad.data), SENT)))
    return lines


def _matmul_lines(step: BackwardStep, input_names: list[str], output_name: str) -> list[Line]:
    """The matrix rule with its shapes: ∂L/∂W = xᵀ · ∂L/∂y, (3×2) = (3×2)·(2×2)."""
    a, b = input_names
    a_data, b_data = step.inputs[0].data, step.inputs[1].data
    upstream = gradient_symbol(output_name)
    up_shape = shape_text(step.grad_output.data)
    lines = []
    if step.grad_inputs[0] is not None:
        rule = f"{gradient_symbol(a)} = {upstream} · {wrap(b)}ᵀ"
        shapes = f"{shape_text(a_data)} = {up_shape}·{shape_text(b_data.T)}"
        lines.append(Line(f"sends: {rule},  {shapes} = ", values_inline(step.grad_inputs[0].data)))
    if step.grad_inputs[1] is not None:
        rule = f"{gradient_symbol(b)} = {wrap(a)}ᵀ · {upstream}"
        shapes = f"{shape_text(b_data)} = {shape_text(a_data.T)}·{up_shape}"
        lines.append(Line(f"sends: {rule},  {shapes} = ", values_inline(step.grad_inputs[1].data)))
    return lines


def _fallback_lines(step: BackwardStep, position: int, input_names: list[str], output_name: str) -> list[Line]:
    """The table's words for an op without a rule here, the letters replaced by the user's names."""
    row = local_derivative(step.function)
    letters = {row.input_name(i): input_names[i] for i in range(len(input_names))}
    for output_letter in ("y", "Y", "ℓ"):
        letters.setdefault(output_letter, output_name)
    local = rename_letters(row.local_for(position), letters)
    chain = rename_letters(row.chain_for(position), letters)
    sent = values_inline(step.grad_inputs[position].data)
    return [
        Line.of(("local derivative: ", SHOWN), (local, LOCAL)),
        Line.of(("sends: ", SHOWN), (chain, LOCAL), (" = ", SHOWN), (sent, SENT)),
    ]


def rename_letters(formula: str, letters: dict[str, str]) -> str:
    """Replace each single-letter symbol of ``formula`` by its name ('∂L/∂x' -> '∂L/∂(a·b)')."""
    if not letters:
        return formula
    pattern = "|".join(re.escape(letter) for letter in sorted(letters, key=len, reverse=True))
    return re.sub(rf"(?<![A-Za-z])({pattern})(?![A-Za-z])", lambda match: wrap(letters[match.group(1)]), formula)
