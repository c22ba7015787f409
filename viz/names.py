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
    "Abs": "abs",
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
    """The text of one node, how tightly it binds (for parentheses around it), and its op."""

    text: str
    precedence: int = ATOM
    op: str = ""


def format_number(value: Any) -> str:
    """One number as the pictures show it: 4 significant digits, a true minus sign, never "−0"."""
    return explain.format_number(value, digits=4, minus="−")


def shorten(text: str, limit: int = MAX_NAME_CHARS) -> str:
    """``text`` cut to ``limit`` characters, ending in "…" when it was longer."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def wrap(text: str) -> str:
    """``text`` in parentheses unless it is one atom: a name, a positive number or a call like tanh(x)."""
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
    """Does ``text`` contain an operator outside brackets? (A user's name may be "b*b"; a
    negative number counts: (−3)² is not −3².)"""
    if any(char in " ·/+@^*×%|" or (char in "−-" and position > 0) for position, char in _top_level(text)):
        return True
    return text[:1] in ("−", "-") and len(text) > 1


def _is_number(text: str) -> bool:
    try:
        float(text.replace("−", "-"))
    except ValueError:
        return False
    return True


def name_expression(text: str, own_name: bool = False) -> Expression:
    """A name as an operand: an atom, unless it has an operator in it. A sub-expression's text
    ("w·x + b") then binds as its loosest top-level operator does; a user's own name with an
    operator in it ("b*b") or a negative number is always put in parentheses."""
    if not _has_top_level_operator(text):
        return Expression(text)
    if own_name or _is_number(text):
        return Expression(text, 0)  # a negative number: a·(−3), (−3)², never a·−3
    top = "".join(char if position > 0 else " " for position, char in _top_level(text))
    if "+" in top or "−" in top or "-" in top:
        return Expression(text, SUM)
    if any(char in top for char in "·/*@×%"):
        return Expression(text, PRODUCT)
    if text[:1] in ("−", "-"):
        return Expression(text, UNARY)
    return Expression(text, 0)  # anything else: always in parentheses


def constant_text(tensor: Tensor) -> str:
    """How an unnamed constant is written: its value if it is one number, else 'const'."""
    data = np.asarray(tensor.data)
    if data.size == 1:
        return format_number(data.reshape(-1)[0])
    if data.size <= 4 and data.ndim == 1:
        return "[" + ", ".join(format_number(value) for value in data) + "]"
    return "const"


def is_hidden(tensor: Tensor) -> bool:
    """A reshape the user did not write: ``W @ x`` with a vector x turns x into a column, and the
    product back into a vector (Tensor.matmul). Drawn as its input, which takes its name."""
    ctx = tensor.grad_fn
    if ctx is None or ctx.function.__name__ != "Reshape":
        return False
    parent = ctx.parents[0]
    if parent.grad_fn is not None and parent.grad_fn.function.__name__ == "MatMul" and not parent.name:
        return True  # the product back into a vector
    return not tensor.name and parent.ndim == 1 and tensor.ndim == 2 and 1 in tensor.shape  # a vector as a column


_SUBSCRIPT_DIGITS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def subscript(number: int) -> str:
    """``number`` written with subscript digits: 12 -> "₁₂"."""
    return str(number).translate(_SUBSCRIPT_DIGITS)


def expression_names(values: Sequence[Tensor]) -> dict[int, str]:
    """id(tensor) -> its name or sub-expression text, for ``values`` given parents first.

    Distinct tensors never share a text: repeated sub-expressions are numbered in the order they
    were made, ``exp(x)₁`` and ``exp(x)₂``, and what is made from them says which it used.
    """
    numbers: dict[int, int] = {}
    for _ in range(len(values) + 1):
        expressions = _compose_all(values, numbers)
        by_text: dict[str, list[int]] = {}
        for tensor in values:
            is_constant = tensor.grad_fn is None and not tensor.name and not tensor.requires_grad
            if not is_hidden(tensor) and not is_constant:  # 1 and 1 are the same number: not numbered
                by_text.setdefault(expressions[id(tensor)].text, []).append(id(tensor))
        repeated = [ids for ids in by_text.values() if len(ids) > 1]
        if not repeated:
            break
        for ids in repeated:
            for number, key in enumerate(ids, start=1):
                numbers[key] = number
    return {key: expression.text for key, expression in expressions.items()}


def _compose_all(values: Sequence[Tensor], numbers: dict[int, int]) -> dict[int, Expression]:
    expressions: dict[int, Expression] = {}
    for tensor in values:
        if is_hidden(tensor):  # drawn as its input, which takes its name (y = W @ x)
            assert tensor.grad_fn is not None, "a hidden reshape is made by an op"
            parent = tensor.grad_fn.parents[0]
            if tensor.name:
                expressions[id(parent)] = name_expression(shorten(tensor.name), own_name=True)
            expression = expressions.get(id(parent), Expression("?"))
        elif tensor.name:
            expression = name_expression(shorten(tensor.name), own_name=True)
        elif tensor.grad_fn is None:
            expression = name_expression(constant_text(tensor))
        else:
            parents = [expressions.get(id(parent), Expression("?")) for parent in tensor.grad_fn.parents]
            expression = _fit(tensor.grad_fn, parents)
        if id(tensor) in numbers:
            text = expression.text if expression.precedence == ATOM else f"({expression.text})"
            expression = Expression(text + subscript(numbers[id(tensor)]))
        expressions[id(tensor)] = expression
    return expressions


def apply_text(ctx, input_names: Sequence[str]) -> str:
    """The text of the op ``ctx`` applied to inputs called ``input_names``: σ(z), (a + b)·c.

    Each input is one unit here, in parentheses if its name has an operator: the op's output is
    (x·x)·x, whose derivative by its second input x holds the first, x·x, still."""
    return _compose(ctx, [name_expression(name, own_name=True) for name in input_names]).text


def _fit(ctx, parents: list[Expression]) -> Expression:
    """Compose the op's text; while it is too long, elide the longest operand."""
    operands = list(parents)
    expression = _compose(ctx, operands)
    while len(expression.text) > MAX_EXPRESSION_CHARS:
        longest = max(range(len(operands)), key=lambda i: len(operands[i].text), default=None)
        if longest is None or operands[longest].text == "…":
            return Expression(shorten(expression.text, MAX_EXPRESSION_CHARS), expression.precedence, expression.op)
        operands[longest] = Expression("…")
        expression = _compose(ctx, operands)
    return expression


_ASSOCIATIVE = ("Add", "Mul")  # a + (b + c) may be written a + b + c


def _operand(expression: Expression, precedence: int, right_of: str = "") -> str:
    """The operand's text, in parentheses if it binds more loosely than ``precedence`` (or, on
    the right of an operator, as loosely, unless both are the same associative op)."""
    if expression.precedence < precedence:
        return f"({expression.text})"
    if (
        right_of
        and expression.precedence == precedence
        and not (right_of in _ASSOCIATIVE and expression.op == right_of)
    ):
        return f"({expression.text})"
    return expression.text


def index_text(index: object) -> str:
    """How an index reads in Python: (2,) -> "[2]", (0, slice(None)) -> "[0, :]"."""
    parts = index if isinstance(index, tuple) else (index,)
    texts = []
    for part in parts:
        if isinstance(part, slice):
            texts.append(
                ":".join("" if bound is None else str(bound) for bound in (part.start, part.stop))
                + ("" if part.step is None else f":{part.step}")
            )
        elif part is None:
            texts.append("None")
        elif part is Ellipsis:
            texts.append("...")
        elif isinstance(part, (int, np.integer)):
            texts.append(str(int(part)))
        else:
            return "[…]"
    return "[" + ", ".join(texts) + "]"


def _compose(ctx, operands: list[Expression]) -> Expression:
    """The text of one op applied to its operands' texts."""
    op = ctx.function.__name__
    texts = [operand.text for operand in operands]
    if op in _INFIX and len(operands) == 2:
        symbol, precedence = _INFIX[op]
        left = _operand(operands[0], precedence)
        right = _operand(operands[1], precedence, right_of=op)
        return Expression(f"{left}{symbol}{right}", precedence, op)
    if op == "Neg":
        return Expression(f"−{_operand(operands[0], POWER)}", UNARY, op)
    if op == "Pow":
        base = _operand(operands[0], ATOM)
        exponent = texts[1]
        if _is_number(exponent) and exponent.isdigit():
            return Expression(base + exponent.translate(_SUPERSCRIPTS), POWER, op)
        return Expression(f"{base}^{_operand(operands[1], ATOM)}", POWER, op)
    if op == "Transpose":
        return Expression(f"{_operand(operands[0], ATOM)}ᵀ")
    if op in _REARRANGING:
        return Expression(f"{_REARRANGING[op]}({texts[0]})")
    if op == "GetItem":
        return Expression(f"{_operand(operands[0], ATOM)}{index_text(getattr(ctx, 'index', ()))}")
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
