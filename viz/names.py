"""Names for every node of a graph, in the user's own words.

A tensor with a ``.name`` is called by it. An unnamed intermediate is called by the text of
the sub-expression that made it, read back from the graph: ``a·b``, ``a·b + c``,
``tanh(a·b + c)``. An unnamed constant is called by its value (``1`` in ``1 − y``).

Texts longer than about 24 characters are shortened from the inside out: the longest operand
is replaced by "…" until the text fits, so the outermost operation stays readable
(``y·log(p) + …``). Nothing is ever called by an internal id such as ``t17``.

    names = expression_names(values)   # values in engine order (parents first)
    names[id(tensor)]                  # "a·b + c"
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tinygrad_edu import Tensor
from tinygrad_edu.debug import explain

MAX_EXPRESSION_CHARS = 24  # an unnamed sub-expression is shortened past this
MAX_NAME_CHARS = 40  # a user's own name is cut past this (so that no label can grow without bound)

# Precedence, as in Python: the higher binds tighter. An operand is put in parentheses when
# it binds more loosely than the operator around it.
SUM, PRODUCT, UNARY, POWER, ATOM = 1, 2, 3, 4, 5

_INFIX = {"Add": (" + ", SUM), "Sub": (" − ", SUM), "Mul": ("·", PRODUCT), "Div": ("/", PRODUCT)}
_INFIX["MatMul"] = (" @ ", PRODUCT)
FUNCTION_NAMES = {
    "Exp": "exp",
    "Log": "log",
    "Sqrt": "sqrt",
    "Sin": "sin",
    "Cos": "cos",
    "Tanh": "tanh",
    "Sigmoid": "σ",
    "ReLU": "relu",
    "LeakyReLU": "leaky_relu",
    "Sum": "sum",
    "Max": "max",
    "Softmax": "softmax",
    "LogSoftmax": "log_softmax",
    "Maximum": "max",
    "Clip": "clip",
    "Where": "where",
    "Concatenate": "concat",
    "CrossEntropy": "cross_entropy",
    "BinaryCrossEntropy": "bce",
}
_REARRANGING = {"BroadcastTo": "broadcast", "Reshape": "reshape"}
_SUPERSCRIPTS = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


@dataclass(frozen=True)
class Expression:
    """The text of one node and how tightly it binds (for parentheses around it)."""

    text: str
    precedence: int = ATOM


def format_number(value: Any) -> str:
    """One number as the pictures show it: 4 significant digits, a true minus sign, never "−0"."""
    return explain.format_number(value, digits=4, minus="−")


def shorten(text: str, limit: int = MAX_NAME_CHARS) -> str:
    """``text`` cut to ``limit`` characters, ending in "…" when it was longer."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def wrap(text: str) -> str:
    """``text`` in parentheses unless it is one atom: a name, a number or a call like tanh(x)."""
    if not _has_top_level_operator(text):
        return text
    return f"({text})"


def _top_level(text: str) -> list[tuple[int, str]]:
    """(position, character) of every character of ``text`` outside all brackets."""
    found = []
    depth = 0
    for position, char in enumerate(text):
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif depth == 0:
            found.append((position, char))
    return found


def _has_top_level_operator(text: str) -> bool:
    """Does ``text`` contain an operator outside brackets? (A user's name may be "b*b".)"""
    if any(char in " ·/+@^*×%" or (char in "−-" and position > 0) for position, char in _top_level(text)):
        return True
    return text[:1] in ("−", "-") and len(text) > 1 and not _is_number(text)


def _is_number(text: str) -> bool:
    try:
        float(text.replace("−", "-"))
    except ValueError:
        return False
    return True


def constant_text(tensor: Tensor) -> str:
    """How an unnamed constant is written: its value if it is one number, else 'const'."""
    data = np.asarray(tensor.data)
    if data.size == 1:
        return format_number(data.reshape(-1)[0])
    return "const"


def expression_names(values: Sequence[Tensor]) -> dict[int, str]:
    """id(tensor) -> its name or sub-expression text, for ``values`` given parents first."""
    expressions: dict[int, Expression] = {}
    names: dict[int, str] = {}
    for tensor in values:
        if tensor.name:
            expression = Expression(shorten(tensor.name))
        elif tensor.grad_fn is None:
            expression = Expression(constant_text(tensor))
        else:
            parents = [expressions.get(id(parent), Expression("?")) for parent in tensor.grad_fn.parents]
            expression = _fit(tensor.grad_fn, parents)
        expressions[id(tensor)] = expression
        names[id(tensor)] = expression.text
        rearranged = _REARRANGING.get(tensor.grad_fn.function.__name__) if tensor.grad_fn and not tensor.name else None
        if rearranged:  # its sums read as its input ("x @ W + b"), the node itself says what happened
            names[id(tensor)] = shorten(f"{rearranged}({expression.text})", MAX_EXPRESSION_CHARS + 11)
    return names


def _fit(ctx, parents: list[Expression]) -> Expression:
    """Compose the op's text; while it is too long, elide the longest operand."""
    operands = list(parents)
    expression = _compose(ctx, operands)
    while len(expression.text) > MAX_EXPRESSION_CHARS:
        longest = max(range(len(operands)), key=lambda i: len(operands[i].text), default=None)
        if longest is None or operands[longest].text == "…":
            return Expression(shorten(expression.text, MAX_EXPRESSION_CHARS), expression.precedence)
        operands[longest] = Expression("…")
        expression = _compose(ctx, operands)
    return expression


def _operand(expression: Expression, precedence: int, right: bool = False) -> str:
    """The operand's text, in parentheses if it binds more loosely than ``precedence``."""
    if expression.precedence < precedence or (right and expression.precedence == precedence):
        return f"({expression.text})"
    return expression.text


def _compose(ctx, operands: list[Expression]) -> Expression:
    """The text of one op applied to its operands' texts."""
    op = ctx.function.__name__
    texts = [operand.text for operand in operands]
    if op in _INFIX and len(operands) == 2:
        symbol, precedence = _INFIX[op]
        right_needs_parentheses = op in ("Sub", "Div", "MatMul")
        left = _operand(operands[0], precedence)
        right = _operand(operands[1], precedence, right=right_needs_parentheses)
        return Expression(f"{left}{symbol}{right}", precedence)
    if op == "Neg":
        return Expression(f"−{_operand(operands[0], UNARY)}", UNARY)
    if op == "Pow":
        base = _operand(operands[0], ATOM)
        exponent = texts[1]
        if _is_number(exponent) and exponent.lstrip("−").isdigit():
            return Expression(base + exponent.replace("−", "-").translate(_SUPERSCRIPTS), POWER)
        return Expression(f"{base}^{_operand(operands[1], ATOM)}", POWER)
    if op == "Abs":
        return Expression(f"|{texts[0]}|")
    if op == "Transpose":
        return Expression(f"{_operand(operands[0], ATOM)}ᵀ")
    if op in _REARRANGING:
        return operands[0]  # the same numbers, arranged differently: read as its input
    if op == "GetItem":
        return Expression(f"{_operand(operands[0], ATOM)}[…]")
    name = FUNCTION_NAMES.get(op, op.lower())
    return Expression(f"{name}({', '.join(texts)})")


def break_lines(text: str, width: int = 14) -> list[str]:
    """``text`` on lines of about ``width`` characters, broken only before a top-level + or −.

    "y·log(p) + 0·log(1 − p)" -> ["y·log(p)", "+ 0·log(1 − p)"]: a long name stacks up rather
    than widening its box (the graph is laid out left to right, so width is what is scarce).
    """
    pieces = []
    start = 0
    for position, char in _top_level(text):
        if char == " " and text[position + 1 : position + 2] in ("+", "−", "@"):
            pieces.append(text[start:position])
            start = position + 1
    pieces.append(text[start:])
    lines: list[str] = []
    for piece in pieces:
        if lines and len(lines[-1]) + 1 + len(piece) <= width:
            lines[-1] += " " + piece
        else:
            lines.append(piece)
    return lines
