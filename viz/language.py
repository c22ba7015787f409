"""Reading the expression language of ``python -m viz`` (see viz/expression.py for the language).

``parse(source)`` reads the text with Python's own parser, ``ast.parse``, then walks the tree once
and refuses every node that is not on the language's list, with a message and the line and
column of the culprit (``ExpressionError``). Nothing is computed here and nothing is ever
``eval``-ed; viz/expression.py builds the checked tree with Tensors.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import Any, cast

import numpy as np

from tinygrad_edu import Tensor

MAX_SOURCE_CHARS = 10_000  # a program for class is a few lines; this keeps the parser's work small
MAX_NAME_CHARS = 40  # a name is drawn on its node; a longer one would not be readable
MAX_OPERATIONS = 200  # operators, calls and indexing per program (also bounds recursion depth)
MAX_ELEMENTS = 1_000  # numbers in one vector or matrix: the pictures show a dozen at most


def _dot(u: Tensor, v: Tensor) -> Tensor:
    """u·v = sum(u * v), for two vectors of the same length."""
    if u.ndim != 1 or v.ndim != 1 or u.shape != v.shape:
        raise ValueError(
            f"dot takes two vectors of the same length, got shapes {u.shape} and {v.shape}; use @ for matrices"
        )
    return (u * v).sum()


UNARY_FUNCTIONS: dict[str, Callable[[Tensor], Tensor]] = {
    "exp": Tensor.exp,
    "log": Tensor.log,
    "sqrt": Tensor.sqrt,
    "tanh": Tensor.tanh,
    "sigmoid": Tensor.sigmoid,
    "relu": Tensor.relu,
    "sin": Tensor.sin,
    "cos": Tensor.cos,
    "abs": Tensor.abs,
    "sum": Tensor.sum,
    "mean": Tensor.mean,
    "softmax": Tensor.softmax,
    "log_softmax": Tensor.log_softmax,
}
BINARY_FUNCTIONS: dict[str, Callable[[Tensor, Tensor], Tensor]] = {"dot": _dot}
FUNCTIONS = (*UNARY_FUNCTIONS, *BINARY_FUNCTIONS)

BINARY_OPERATORS: dict[type[ast.operator], Callable[[Tensor, Tensor], Tensor]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.Pow: lambda a, b: a**b,
    ast.MatMult: lambda a, b: a @ b,
}

HELP = "use names, numbers, [lists], + - * / ** @, parentheses, x[1] and the functions " + " ".join(FUNCTIONS)


class ExpressionError(ValueError):
    """A mistake in a program, at ``column`` (0-based) of line ``line`` (1-based) of ``expression``.

    ``str(error)`` is the message, the line, and a caret under the column.
    """

    def __init__(self, message: str, expression: str, column: int, line: int = 1) -> None:
        self.message = message
        self.expression = expression
        self.column = column
        self.line = line
        super().__init__(self.pretty())

    @classmethod
    def at(cls, message: str, source: str, node: ast.AST) -> ExpressionError:
        """The error at a node of the tree ``ast.parse(source)`` made."""
        line, column = location(source, node)
        return cls(message, source, column, line)

    def pretty(self) -> str:
        """'error at column 5: ...' (or 'line 2, column 5'), the line, and a caret under the spot."""
        lines = self.expression.split("\n")
        text = lines[self.line - 1] if 0 < self.line <= len(lines) else ""
        where = f"line {self.line}, column {self.column + 1}" if len(lines) > 1 else f"column {self.column + 1}"
        start = max(0, self.column - 40)  # show at most ~80 characters around the spot
        shown = text[start : start + 80]
        caret = self.column - start
        if start > 0:
            shown, caret = "…" + shown, caret + 1
        if start + 80 < len(text):
            shown += "…"
        return f"error at {where}: {self.message}\n  {shown}\n  {' ' * caret}^"


def shorten(text: str, limit: int = 30) -> str:
    """The text, cut in the middle with '…' when longer than ``limit`` (for messages)."""
    return text if len(text) <= limit else f"{text[: limit // 2]}…{text[-(limit // 2) :]} ({len(text)} characters)"


def parse(source: str) -> ast.Module:
    """Read ``source`` with ``ast.parse`` and check every node against the language's whitelist.

    Returns the tree; raises ExpressionError (with the line and column) for anything else.
    """
    if len(source) > MAX_SOURCE_CHARS:
        raise ExpressionError(
            f"the program is {len(source)} characters long; at most {MAX_SOURCE_CHARS} are read", source, 0
        )
    if not source.strip():
        raise ExpressionError("the expression is empty; write something like a*b + c", source, 0)
    try:
        tree = ast.parse(source, mode="exec")
    except SyntaxError as error:
        line = error.lineno or 1
        column = max((error.offset or 1) - 1, 0)
        message = (error.msg or "invalid syntax").split(" - ")[0]
        if "Exceeds the limit" in message:
            message = "this number has too many digits"
        raise ExpressionError(f"cannot read this: {shorten(message, 120)}", source, column, line) from None
    except (ValueError, RecursionError, MemoryError) as error:
        reason = shorten(str(error), 120) or "it is nested too deeply"
        raise ExpressionError(f"cannot read this: {reason}", source, 0) from None
    if not tree.body:
        raise ExpressionError("the program has only comments; write something like a*b + c", source, 0)
    _Checker(source).check_module(tree)
    return tree


def location(source: str, node: ast.AST) -> tuple[int, int]:
    """(line, 0-based column in characters) of a node; ast counts columns in UTF-8 bytes."""
    line = getattr(node, "lineno", 1)
    return line, _characters(source, line, getattr(node, "col_offset", 0))


def operator_location(source: str, node: ast.BinOp) -> tuple[int, int]:
    """Where a binary operator's symbol is: the first character after the left operand that is
    not a space or a parenthesis."""
    if node.left.end_lineno != node.right.lineno:  # the operator ends a line: point at the left operand
        return location(source, node.left)
    line = node.right.lineno
    text = source.split("\n")[line - 1]
    column = _characters(source, line, node.left.end_col_offset or 0)
    while column < len(text) and text[column] in " \t()":
        column += 1
    return line, column


def _characters(source: str, line: int, byte_offset: int) -> int:
    """How many characters the first ``byte_offset`` bytes of a line hold."""
    lines = source.split("\n")
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    return len(text.encode("utf-8")[:byte_offset].decode("utf-8", errors="ignore"))


_FORBIDDEN = {
    ast.Attribute: "attribute access ('.') is not part of the language",
    ast.Lambda: "lambda is not part of the language",
    ast.ListComp: "comprehensions are not part of the language",
    ast.SetComp: "comprehensions are not part of the language",
    ast.DictComp: "comprehensions are not part of the language",
    ast.GeneratorExp: "comprehensions are not part of the language",
    ast.Compare: "comparisons are not part of the language (they have no gradient)",
    ast.BoolOp: "and/or are not part of the language",
    ast.IfExp: "if/else is not part of the language",
    ast.NamedExpr: "':=' is not part of the language; write name = expression as its own statement",
    ast.Starred: "'*' unpacking is not part of the language",
    ast.Dict: "dictionaries are not part of the language",
    ast.Set: "sets are not part of the language",
    ast.Tuple: "tuples are not part of the language; use [lists] for vectors",
    ast.JoinedStr: "strings are not part of the language",
    ast.Slice: "slices are not part of the language; index with one whole number, x[1]",
}


class _Checker:
    """Walks the tree once, before anything is computed, and refuses every node off the list."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.operations = 0

    def error(self, message: str, node: ast.AST) -> ExpressionError:
        return ExpressionError.at(message, self.source, node)

    def check_module(self, tree: ast.Module) -> None:
        for statement in tree.body:
            if isinstance(statement, ast.Assign):
                if len(statement.targets) != 1 or not isinstance(statement.targets[0], ast.Name):
                    raise self.error("assign to one name, e.g. z = a*b", statement)
                self.check_name(statement.targets[0])
                self.check(statement.value)
            elif isinstance(statement, ast.Expr):
                self.check(statement.value)
            else:
                raise self.error(
                    f"a statement is 'name = expression' or an expression, not {type(statement).__name__.lower()}",
                    statement,
                )

    def check_name(self, node: ast.Name) -> None:
        if len(node.id) > MAX_NAME_CHARS:
            raise self.error(
                f"the name {shorten(node.id)!r} is {len(node.id)} characters long; at most {MAX_NAME_CHARS}", node
            )

    def count_operation(self, node: ast.AST) -> None:
        self.operations += 1
        if self.operations > MAX_OPERATIONS:
            raise self.error(
                f"the program is too long or nested too deeply (more than {MAX_OPERATIONS} operators, calls "
                "and indexing); a picture of it would not be readable anyway",
                node,
            )

    def check(self, node: ast.expr) -> None:
        if isinstance(node, ast.Name):
            self.check_name(node)
            if node.id in FUNCTIONS:
                raise self.error(f"{node.id} is a function: write {node.id}(...)", node)
        elif isinstance(node, ast.Constant) and type(node.value) not in (int, float):
            raise self.error(f"{type(node.value).__name__} is not part of the language; {HELP}", node)
        elif isinstance(node, (ast.Constant, ast.List)):
            literal_array(node, self.source)
        elif isinstance(node, ast.BinOp):
            self.count_operation(node)
            if type(node.op) not in BINARY_OPERATORS:
                line, column = operator_location(self.source, node)
                raise ExpressionError(f"this operator is not part of the language; {HELP}", self.source, column, line)
            self.check(node.left)
            self.check(node.right)
        elif isinstance(node, ast.UnaryOp):
            self.count_operation(node)
            if not isinstance(node.op, (ast.USub, ast.UAdd)):
                raise self.error("only - and + can stand before a value", node)
            self.check(node.operand)
        elif isinstance(node, ast.Call):
            self.count_operation(node)
            self.check_call(node)
        elif isinstance(node, ast.Subscript):
            self.count_operation(node)
            self.check(node.value)
            index_of(node, self.source)
        else:
            reason = _FORBIDDEN.get(type(node), f"{type(node).__name__} is not part of the language")
            raise self.error(f"{reason}; {HELP}", node)

    def check_call(self, node: ast.Call) -> None:
        if not isinstance(node.func, ast.Name):
            raise self.error(f"only the functions {' '.join(FUNCTIONS)} can be called, by name", node)
        name = node.func.id
        if name not in FUNCTIONS:
            raise self.error(f"unknown function {shorten(name)!r}; the functions are {' '.join(FUNCTIONS)}", node)
        if node.keywords:
            raise self.error(f"{name}() takes no keyword arguments", node.keywords[0])
        expected = 2 if name in BINARY_FUNCTIONS else 1
        if len(node.args) != expected:
            raise self.error(
                f"{name}() takes {expected} argument{'s' if expected > 1 else ''}, got {len(node.args)}", node
            )
        for argument in node.args:
            self.check(argument)


def literal_array(node: ast.expr, source: str) -> np.ndarray:
    """A number or a list of numbers (signed) as a float64 array; ExpressionError otherwise."""

    def error(message: str, at: ast.AST) -> ExpressionError:
        return ExpressionError.at(message, source, at)

    def number(element: ast.expr) -> float:
        sign = 1.0
        while isinstance(element, ast.UnaryOp) and isinstance(element.op, (ast.USub, ast.UAdd)):
            sign = -sign if isinstance(element.op, ast.USub) else sign
            element = element.operand
        value_type = type(element.value) if isinstance(element, ast.Constant) else None
        if not isinstance(element, ast.Constant) or value_type not in (int, float):
            raise error("expected a number here: a list holds numbers only, e.g. [1, -2, 0.5]", element)
        try:
            value = sign * float(cast(float, element.value))
        except OverflowError:
            value = float("inf")
        if not np.isfinite(value):
            raise error("this number is too large for float64 (it would be infinite)", element)
        return value

    def nested(element: ast.expr, depth: int) -> Any:
        if isinstance(element, ast.List):
            if depth == 2:
                raise error("lists nest two deep at most (vectors and matrices)", element)
            if not element.elts:
                raise error("an empty list has no numbers to draw", element)
            return [nested(item, depth + 1) for item in element.elts]
        return number(element)

    numbers = nested(node, 0)
    try:
        array = np.array(numbers, dtype=np.float64)
    except ValueError:
        raise error("the rows of a matrix must all have the same length", node) from None
    if array.size > MAX_ELEMENTS:
        raise error(f"this list has {array.size} numbers; at most {MAX_ELEMENTS}", node)
    return array


def index_of(node: ast.Subscript, source: str) -> tuple[int, ...]:
    """The whole numbers of ``x[1]`` or ``W[0, 1]``; ExpressionError otherwise."""
    parts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
    index = []
    for part in parts:
        value = literal_array(part, source) if isinstance(part, (ast.Constant, ast.UnaryOp)) else None
        if value is None or value.ndim != 0 or value != int(value) or abs(value) > MAX_ELEMENTS:
            line, column = location(source, part)
            raise ExpressionError("index with whole numbers only, e.g. x[1] or W[0, 1]", source, column, line)
        index.append(int(value))
    return tuple(index)


def is_literal(node: ast.expr) -> bool:
    """A number, a signed number, or a list: written out in the program, not computed."""
    while isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        node = node.operand
    return isinstance(node, ast.List) or (isinstance(node, ast.Constant) and type(node.value) in (int, float))


def source_text(source: str, node: ast.AST) -> str:
    """The node's own text in the source, spaces as written, on one line."""
    return " ".join((ast.get_source_segment(source, node) or "").split())
