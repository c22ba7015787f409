"""The expression language of ``python -m viz``: small programs for class, read safely.

    z = w1*x1 + w2*x2 + b
    p = sigmoid(z)
    L = -(y*log(p) + (1-y)*log(1-p))

A program is statements separated by newlines or ``;``. ``name = expression`` names a node
(the name appears on it in the pictures); the last statement is the output, and a last
statement without a name is called ``f``. A name that is never assigned is an input: its value
comes from ``values`` (``--values a=2,x=[1,2,3]``). A statement that assigns a plain number or
list (``x = [1, 2, 3]``) makes an input too. Inputs become float64 leaves with requires_grad.

What an expression may contain; anything else is an error that points at its column:

    numbers        2   0.5   1e-3           lists  [1, 2, 3]  [[1, 2], [3, 4]]  (vectors, matrices)
    names          w1  x  b                 operators  + - * / ** @  unary - +  parentheses
    indexing       x[1]  W[0, 1]  z[-1]     (whole numbers only)
    functions      exp log sqrt tanh sigmoid relu sin cos abs     elementwise
                   sum mean softmax log_softmax                   over the whole vector
                   dot(u, v)                                      u·v of two vectors

The text is read with Python's own parser (``ast.parse``), then every node of its tree is
checked against the list above before anything is computed: nothing is ever ``eval``-ed, and
attributes, imports, lambdas, comprehensions and calls of other names never get through.

    program = build("p = sigmoid(w*x + b); L = -log(p)", "w=0.5,x=2,b=-1")
    program.output       # L's Tensor (float64)
    program.leaves       # {'w': ..., 'x': ..., 'b': ...}: the inputs, requires_grad=True
    program.named        # {'p': ..., 'L': ...}: every statement's Tensor
    program.output.backward(); program.leaves["w"].grad
"""

from __future__ import annotations

import ast
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tinygrad_edu import Tensor

MAX_SOURCE_CHARS = 10_000  # a program for class is a few lines; this keeps the parser's work small
MAX_NAME_CHARS = 40  # a name is drawn on its node; a longer one would not be readable
MAX_OPERATIONS = 200  # operators, calls and indexing per program (also bounds recursion depth)
MAX_ELEMENTS = 1_000  # numbers in one vector or matrix: the pictures show a dozen at most
LONGEST_TEXT_NAME = 24  # an unnamed intermediate is named after its text when that is this short
OUTPUT_NAME = "f"  # the name of a last statement written without one


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


@dataclass
class Program:
    """A program built with Tensors.

    source       the text
    statements   each statement as text, "name = expression" (a bare last one as "f = ...")
    output       the last statement's Tensor; its name is ``output_name``
    leaves       name -> input leaf (float64, requires_grad=True), in order of first use
    named        name -> the Tensor of every statement, in order
    """

    source: str
    statements: list[str]
    output: Tensor
    output_name: str
    leaves: dict[str, Tensor] = field(default_factory=dict)
    named: dict[str, Tensor] = field(default_factory=dict)


# ----- reading --------------------------------------------------------------------------------


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
    _Checker(source).check_module(tree)
    return tree


def _location(source: str, node: ast.AST) -> tuple[int, int]:
    """(line, 0-based column in characters) of a node; ast counts columns in UTF-8 bytes."""
    line = getattr(node, "lineno", 1)
    text = source.split("\n")[line - 1] if line - 1 < len(source.split("\n")) else ""
    byte_offset = getattr(node, "col_offset", 0)
    return line, len(text.encode("utf-8")[:byte_offset].decode("utf-8", errors="ignore"))


def _operator_location(source: str, node: ast.BinOp) -> tuple[int, int]:
    """Where a binary operator's symbol is: the first character after the left operand that is
    not a space or a parenthesis."""
    line, column = _location(source, node.left)
    if node.left.end_lineno == node.right.lineno == line:
        text = source.split("\n")[line - 1]
        _, column = _location(source, node.left)
        end = len(text.encode("utf-8")[: node.left.end_col_offset].decode("utf-8", errors="ignore"))
        while end < len(text) and text[end] in " \t()":
            end += 1
        column = end
    return line, column


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
        line, column = _location(self.source, node)
        return ExpressionError(message, self.source, column, line)

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
                line, column = _operator_location(self.source, node)
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
        line, column = _location(source, at)
        return ExpressionError(message, source, column, line)

    def number(element: ast.expr) -> float:
        sign = 1.0
        while isinstance(element, ast.UnaryOp) and isinstance(element.op, (ast.USub, ast.UAdd)):
            sign = -sign if isinstance(element.op, ast.USub) else sign
            element = element.operand
        if not isinstance(element, ast.Constant) or type(element.value) not in (int, float):
            raise error("expected a number here: a list holds numbers only, e.g. [1, -2, 0.5]", element)
        try:
            value = sign * float(element.value)
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
            line, column = _location(source, part)
            raise ExpressionError("index with whole numbers only, e.g. x[1] or W[0, 1]", source, column, line)
        index.append(int(value))
    return tuple(index)


# ----- --values ---------------------------------------------------------------------------------


def parse_values(text: str) -> dict[str, float | list]:
    """'a=2, b=-3, x=[1,2,3], W=[[1,2],[3,4]]' -> {'a': 2.0, 'b': -3.0, 'x': [1.0, 2.0, 3.0], ...}.

    Each value is a number, a vector or a matrix, read with ``ast.parse`` like the program.
    A mistake raises ValueError naming the key: "--values: the value of 'a' is 'two', which is
    not a number".
    """
    values: dict[str, float | list] = {}
    for part in _split_top_level(text):
        if not part.strip():
            continue
        if "=" not in part:
            raise ValueError(f"--values: {shorten(part.strip())!r} has no '='; write name=value, e.g. a=2,x=[1,2,3]")
        name, _, value_text = part.partition("=")
        name = unicodedata.normalize("NFKC", name.strip())  # as Python normalises names in the program
        if len(name) > MAX_NAME_CHARS:
            raise ValueError(
                f"--values: the name {shorten(name)!r} is {len(name)} characters long; at most {MAX_NAME_CHARS}"
            )
        if not name.isidentifier():
            raise ValueError(f"--values: {shorten(name)!r} is not a valid name; names are letters, digits and _")
        if name in values:
            raise ValueError(f"--values: {name!r} is given twice")
        values[name] = _read_value(name, value_text.strip())
    return values


def _split_top_level(text: str) -> list[str]:
    """Split at the commas that are not inside [brackets]."""
    parts, depth, start = [], 0, 0
    for position, char in enumerate(text):
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(text[start:position])
            start = position + 1
    parts.append(text[start:])
    return parts


def _read_value(name: str, text: str) -> float | list:
    not_a_number = f"--values: the value of {name!r} is {shorten(text)!r}, which is not a number or a list of numbers"
    if len(text) > MAX_SOURCE_CHARS:
        raise ValueError(f"--values: the value of {name!r} is {len(text)} characters long; at most {MAX_SOURCE_CHARS}")
    try:
        tree = ast.parse(text, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        raise ValueError(not_a_number) from None
    if not _is_literal(tree.body):
        raise ValueError(not_a_number)
    try:
        array = literal_array(tree.body, text)
    except ExpressionError as error:
        raise ValueError(f"--values: the value of {name!r}: {error.message}") from None
    return float(array) if array.ndim == 0 else array.tolist()


def as_array(name: str, value: Any) -> np.ndarray:
    """A value given from Python (number, list, array) as a float64 array; ValueError names the key."""
    try:
        array = np.array(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(
            f"values: {name!r} must be a number or a list of numbers, got {shorten(repr(value))}"
        ) from None
    if array.ndim > 2 or array.size == 0 or array.size > MAX_ELEMENTS:
        raise ValueError(
            f"values: {name!r} has shape {array.shape}; give a number, a vector or a matrix of at most "
            f"{MAX_ELEMENTS} numbers"
        )
    if not np.all(np.isfinite(array)):
        raise ValueError(f"values: {name!r} is not finite ({shorten(repr(value))})")
    return array


# ----- building ---------------------------------------------------------------------------------


def build(
    source: str, values: Mapping[str, float | list] | str | None = None, *, require_scalar: bool = False
) -> Program:
    """Read ``source`` (see the module's docstring) and compute it with Tensors.

    ``values`` gives each input a number, vector or matrix: a mapping, or the text of
    ``--values`` ("a=2,x=[1,2,3]"). With ``require_scalar`` the output must be one number (so
    that backpropagation can start from it). Raises ExpressionError for a mistake in the
    program (with its column) and ValueError for a mistake in the values (naming the key).
    """
    if isinstance(values, str):
        values = parse_values(values)
    arrays = {name: as_array(name, value) for name, value in (values or {}).items()}
    tree = parse(source)
    builder = _Builder(source, arrays)
    program = builder.run(tree)
    unused = [name for name in arrays if name not in program.leaves]
    if unused:
        inputs = ", ".join(program.leaves) or "none"
        raise ValueError(f"--values: {shorten(unused[0])!r} is not an input of the program (its inputs: {inputs})")
    if require_scalar and program.output.size != 1:
        line, column = _location(source, tree.body[-1])
        raise ExpressionError(
            f"the output {program.output_name} has shape {program.output.shape}; backpropagation starts from "
            f"one number: end with one, e.g. {program.output_name} = sum(...)",
            source,
            column,
            line,
        )
    return program


def _text(source: str, node: ast.AST) -> str:
    """The node's own text in the source, spaces as written, on one line."""
    return " ".join((ast.get_source_segment(source, node) or "").split())


class _Builder:
    """Computes the checked tree statement by statement, naming what the program names."""

    def __init__(self, source: str, values: dict[str, np.ndarray]) -> None:
        self.source = source
        self.values = values
        self.leaves: dict[str, Tensor] = {}
        self.named: dict[str, Tensor] = {}
        self.assigned: dict[str, str] = {}  # name -> the text of the statement that assigns it

    def error(self, message: str, node: ast.AST) -> ExpressionError:
        line, column = _location(self.source, node)
        return ExpressionError(message, self.source, column, line)

    def run(self, tree: ast.Module) -> Program:
        for statement in tree.body:
            if isinstance(statement, ast.Assign):
                name = statement.targets[0].id
                if name in self.assigned:
                    raise self.error(f"{name} is assigned twice; give the second one another name", statement)
                self.assigned[name] = shorten(_text(self.source, statement), 40)
        statements = []
        for number, statement in enumerate(tree.body):
            if isinstance(statement, ast.Expr) and number < len(tree.body) - 1:
                raise self.error("only the last statement may be a bare expression; name this one: z = ...", statement)
            if isinstance(statement, ast.Expr):
                output = self.expression(statement.value)
                taken = {*self.leaves, *self.named, *self.assigned}
                name = OUTPUT_NAME if OUTPUT_NAME not in taken else "output"
                self.name_result(name, output, statement.value)
            else:
                name = statement.targets[0].id
                output = self.assignment(name, statement)
            statements.append(f"{name} = {_text(self.source, statement.value)}")
        return Program(self.source, statements, output, name, self.leaves, self.named)

    def assignment(self, name: str, statement: ast.Assign) -> Tensor:
        if name in FUNCTIONS:
            raise self.error(f"{name} is a function; give the statement another name", statement)
        if _is_literal(statement.value):
            if name in self.values:
                raise self.error(f"{name} is given both here and in --values; keep one", statement)
            leaf = Tensor(literal_array(statement.value, self.source), requires_grad=True, name=name)
            self.leaves[name] = leaf
            return leaf
        result = self.expression(statement.value)
        self.name_result(name, result, statement.value)
        return result

    def name_result(self, name: str, result: Tensor, value: ast.expr) -> None:
        if any(result is tensor for tensor in (*self.leaves.values(), *self.named.values())):
            raise self.error(
                f"{name} = {_text(self.source, value)} only gives a second name; write an operation", value
            )
        result.name = name
        self.named[name] = result

    def expression(self, node: ast.expr) -> Tensor:
        """The Tensor of one checked expression node (recursion depth <= MAX_OPERATIONS)."""
        if isinstance(node, ast.Name):
            return self.lookup(node)
        if _is_literal(node):
            text = _text(self.source, node)
            return Tensor(literal_array(node, self.source), name=text if len(text) <= LONGEST_TEXT_NAME else None)
        try:
            if isinstance(node, ast.UnaryOp):
                operand = self.expression(node.operand)
                result = -operand if isinstance(node.op, ast.USub) else operand
            elif isinstance(node, ast.BinOp):
                left, right = self.expression(node.left), self.expression(node.right)
                with np.errstate(all="ignore"):
                    result = BINARY_OPERATORS[type(node.op)](left, right)
            elif isinstance(node, ast.Call):
                arguments = [self.expression(argument) for argument in node.args]
                with np.errstate(all="ignore"):
                    if node.func.id in BINARY_FUNCTIONS:
                        result = BINARY_FUNCTIONS[node.func.id](*arguments)
                    else:
                        result = UNARY_FUNCTIONS[node.func.id](*arguments)
            else:
                assert isinstance(node, ast.Subscript), f"the checker lets no {type(node).__name__} through"
                result = self.subscript(node)
        except ExpressionError:
            raise
        except ValueError as error:  # ShapeError and the like: say where
            if isinstance(node, ast.BinOp):
                line, column = _operator_location(self.source, node)
            else:
                line, column = _location(self.source, node)
            raise ExpressionError(str(error), self.source, column, line) from None
        text = _text(self.source, node)
        if not np.all(np.isfinite(result.data)):
            kind = "nan" if np.any(np.isnan(result.data)) else "infinite"
            raise self.error(f"{shorten(text, 40)} is {kind} here, so it has no gradient to show", node)
        if result.name is None and len(text) <= LONGEST_TEXT_NAME:
            result.name = text
        return result

    def subscript(self, node: ast.Subscript) -> Tensor:
        tensor = self.expression(node.value)
        index = index_of(node, self.source)
        if len(index) > tensor.ndim or any(not -size <= i < size for i, size in zip(index, tensor.shape)):
            raise self.error(f"{_text(self.source, node)} is out of range: the shape is {tensor.shape}", node)
        return tensor[index if len(index) > 1 else index[0]]

    def lookup(self, node: ast.Name) -> Tensor:
        name = node.id
        if name in self.named:
            return self.named[name]
        if name in self.leaves:
            return self.leaves[name]
        if name in self.assigned:
            raise self.error(f"{name} is used before the statement '{self.assigned[name]}' gives it a value", node)
        if name not in self.values:
            given = ", ".join(sorted(self.values)) or "none"
            raise self.error(f"no value for {name!r}; give one with --values {name}=1.5 (values given: {given})", node)
        leaf = Tensor(self.values[name], requires_grad=True, name=name)
        self.leaves[name] = leaf
        return leaf


def _is_literal(node: ast.expr) -> bool:
    """A number, a signed number, or a list: written out in the program, not computed."""
    while isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        node = node.operand
    return isinstance(node, ast.List) or (isinstance(node, ast.Constant) and type(node.value) in (int, float))
