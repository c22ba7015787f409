"""The expression language of ``python -m viz``: small programs for class, read safely.

    z = w1*x1 + w2*x2 + b
    p = sigmoid(z)
    L = -(y*log(p) + (1-y)*log(1-p))

A program is statements separated by newlines or ``;``. ``name = expression`` names a node
(the name appears on it in the pictures); the last statement is the output, and a last
statement without a name is called ``f``. A name that is never assigned is an input: its value
comes from ``values`` (``--values a=2,x=[1,2,3]``). A statement that assigns a plain number or
list (``x = [1, 2, 3]``) makes an input too. Inputs become float64 leaves with requires_grad,
except the ones named in ``constants`` (``--constants x,t``): data and labels, which get no
gradient and are drawn as data, as ``requires_grad=False`` does in Python.

What an expression may contain; anything else is an error that points at its column:

    numbers        2   0.5   1e-3           lists  [1, 2, 3]  [[1, 2], [3, 4]]  (vectors, matrices)
    names          w1  x  b                 operators  + - * / ** @  unary - +  parentheses
    indexing       x[1]  W[0, 1]  z[-1]     (whole numbers only)
    functions      exp log sqrt tanh sigmoid relu sin cos abs     elementwise
                   sum mean                                       of all the numbers
                   softmax log_softmax                            along the last axis
                   dot(u, v)                                      u·v of two vectors

Limits, each stated once in viz/language.py and refused with an error that points at the place:
at most 10,000 characters (MAX_SOURCE_CHARS), 200 operators, calls and indexings (MAX_OPERATIONS),
names of 40 characters (MAX_NAME_CHARS), and 1,000 numbers in any value: an input, a list, or any
result along the way, such as the outer product of two long vectors (MAX_ELEMENTS). Within them
``python -m viz`` draws any program in seconds, and its work, memory and output grow with the
number of steps: the largest (a sum of 200 terms, or a 25×40 matrix through 198 tanh) took under
10 s on 2 busy cores, ~80 MB of memory, and wrote ~2.3 MB. ``--second-order`` draws a gradient's
graph of at most 60 ops (viz/cli.py).

The text is read with Python's own parser (``ast.parse``), then every node of its tree is
checked against the list above before anything is computed (viz/language.py): nothing is ever
``eval``-ed, and attributes, imports, lambdas, comprehensions and calls of other names never get
through. ``--values`` is read the same way, by ``parse_values("a=2,b=-3,x=[1,2,3]")``.

    program = build("p = sigmoid(w*x + b); L = -log(p)", "w=0.5,x=2,b=-1")
    program.output       # L's Tensor (float64)
    program.leaves       # {'w': ..., 'x': ..., 'b': ...}: the inputs, requires_grad=True
    program.named        # {'p': ..., 'L': ...}: every statement's Tensor
    build("L = (w*x - t)**2", "w=0.5,x=2,t=1", constants=["x", "t"]).constants   # {'x': ..., 't': ...}
    program.output.backward(); program.leaves["w"].grad
"""

from __future__ import annotations

import ast
import unicodedata
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tinygrad_edu import Tensor

from .captions import local_formulas, local_values
from .language import (
    BINARY_FUNCTIONS,
    BINARY_OPERATORS,
    FUNCTIONS,
    MAX_ELEMENTS,
    MAX_NAME_CHARS,
    MAX_OPERATIONS,
    MAX_SOURCE_CHARS,
    UNARY_FUNCTIONS,
    ExpressionError,
    index_of,
    is_literal,
    literal_array,
    location,
    operator_location,
    parse,
    shorten,
    source_text,
)

__all__ = ["FUNCTIONS", "MAX_OPERATIONS", "ExpressionError", "Program", "build", "parse", "parse_values", "shorten"]

OUTPUT_NAME = "f"  # the name of a last statement written without one


@dataclass
class Program:
    """A program built with Tensors.

    source       the text
    statements   each statement as text, "name = expression" (a bare last one as "f = ...")
    output       the last statement's Tensor; its name is ``output_name``
    leaves       name -> input leaf (float64, requires_grad=True), in order of first use
    constants    name -> input named in ``constants`` (float64, requires_grad=False), in order
    named        name -> the Tensor of every statement, in order
    """

    source: str
    statements: list[str]
    output: Tensor
    output_name: str
    leaves: dict[str, Tensor] = field(default_factory=dict)
    named: dict[str, Tensor] = field(default_factory=dict)
    constants: dict[str, Tensor] = field(default_factory=dict)


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
    if not is_literal(tree.body):
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
    source: str,
    values: Mapping[str, float | list] | str | None = None,
    *,
    require_scalar: bool = False,
    constants: Sequence[str] = (),
) -> Program:
    """Read ``source`` (see the module's docstring) and compute it with Tensors.

    ``values`` gives each input a number, vector or matrix: a mapping, or the text of
    ``--values`` ("a=2,x=[1,2,3]"). With ``require_scalar`` the output must be one number (so
    that backpropagation can start from it). The inputs named in ``constants`` get
    requires_grad=False (``--constants``). Raises ExpressionError for a mistake in the
    program (with its column) and ValueError for a mistake in the values (naming the key).
    """
    if isinstance(values, str):
        values = parse_values(values)
    arrays = {name: as_array(name, value) for name, value in (values or {}).items()}
    tree = parse(source)
    builder = _Builder(source, arrays, set(constants))
    program = builder.run(tree)
    inputs = [*program.leaves, *program.constants]
    listed = ", ".join(inputs) or "none"
    unused = [name for name in arrays if name not in inputs]
    if unused:
        raise ValueError(f"--values: {shorten(unused[0])!r} is not an input of the program (its inputs: {listed})")
    strangers = [name for name in constants if name not in inputs]
    if strangers:
        raise ValueError(f"--constants: expected inputs of the program ({listed}), got {shorten(strangers[0])!r}")
    if require_scalar and program.output.numel() != 1:
        line, column = location(source, tree.body[-1])
        raise ExpressionError(
            f"the output {program.output_name} has shape {program.output.shape}; backpropagation starts from "
            f"one number: end with one, e.g. {program.output_name} = sum(...)",
            source,
            column,
            line,
        )
    return program


class _Builder:
    """Computes the checked tree statement by statement, naming what the program names."""

    def __init__(self, source: str, values: dict[str, np.ndarray], constants: Collection[str] = ()) -> None:
        self.source = source
        self.values = values
        self.constant_names = constants
        self.leaves: dict[str, Tensor] = {}
        self.constants: dict[str, Tensor] = {}
        self.named: dict[str, Tensor] = {}
        self.assigned: dict[str, str] = {}  # name -> the text of the statement that assigns it

    def error(self, message: str, node: ast.AST) -> ExpressionError:
        return ExpressionError.at(message, self.source, node)

    def run(self, tree: ast.Module) -> Program:
        for statement in tree.body:
            if isinstance(statement, ast.Assign) and isinstance(statement.targets[0], ast.Name):
                name = statement.targets[0].id
                if name in self.assigned:
                    raise self.error(f"{name} is assigned twice; give the second one another name", statement)
                self.assigned[name] = shorten(source_text(self.source, statement), 40)
        statements = []
        for number, statement in enumerate(tree.body):
            if isinstance(statement, ast.Expr) and number < len(tree.body) - 1:
                raise self.error("only the last statement may be a bare expression; name this one: z = ...", statement)
            if isinstance(statement, ast.Expr):
                output = self.expression(statement.value)
                taken = {*self.leaves, *self.constants, *self.named, *self.assigned}
                name = OUTPUT_NAME if OUTPUT_NAME not in taken else "output"
                self.name_result(name, output, statement.value)
            else:
                assert isinstance(statement, ast.Assign) and isinstance(
                    statement.targets[0], ast.Name
                )  # checked before
                name = statement.targets[0].id
                output = self.assignment(name, statement)
            statements.append(f"{name} = {source_text(self.source, statement.value)}")
        return Program(self.source, statements, output, name, self.leaves, self.named, self.constants)

    def assignment(self, name: str, statement: ast.Assign) -> Tensor:
        if name in FUNCTIONS:
            raise self.error(f"{name} is a function; give the statement another name", statement)
        if is_literal(statement.value):
            if name in self.values:
                raise self.error(f"{name} is given both here and in --values; keep one", statement)
            return self.new_input(name, literal_array(statement.value, self.source))
        result = self.expression(statement.value)
        self.name_result(name, result, statement.value)
        return result

    def name_result(self, name: str, result: Tensor, value: ast.expr) -> None:
        if any(result is tensor for tensor in (*self.leaves.values(), *self.constants.values(), *self.named.values())):
            raise self.error(
                f"{name} = {source_text(self.source, value)} only gives a second name; write an operation", value
            )
        result.name = name
        self.named[name] = result

    def expression(self, node: ast.expr) -> Tensor:
        """The Tensor of one checked expression node (recursion depth <= MAX_OPERATIONS)."""
        if isinstance(node, ast.Name):
            return self.lookup(node)
        if is_literal(node):  # unnamed: the pictures write its value (viz.names)
            return Tensor(literal_array(node, self.source))
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
                assert isinstance(node.func, ast.Name)  # checked before: only named functions are allowed
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
                line, column = operator_location(self.source, node)
            else:
                line, column = location(self.source, node)
            raise ExpressionError(str(error), self.source, column, line) from None
        text = source_text(self.source, node)
        if result.numel() > MAX_ELEMENTS:  # an outer product or a broadcast of two long vectors
            raise self.error(
                f"{shorten(text, 40)} has {result.numel()} numbers (shape {result.shape}); a value of a program "
                f"holds at most {MAX_ELEMENTS}",
                node,
            )
        if not np.all(np.isfinite(result.data)):
            kind = "nan" if np.any(np.isnan(result.data)) else "infinite"
            raise self.error(f"{shorten(text, 40)} is {kind} here, so it has no gradient to show", node)
        ctx = result.grad_fn
        if ctx is not None and local_formulas(ctx.function) is not None:
            with np.errstate(all="ignore"):
                local = [value for value in local_values(ctx, result) if value is not None]
            if not all(np.all(np.isfinite(value)) for value in local):  # sqrt(x) at 0, like log(0·x)
                raise self.error(
                    f"{shorten(text, 40)} has an infinite derivative here, so it has no gradient to show", node
                )
        return result

    def subscript(self, node: ast.Subscript) -> Tensor:
        tensor = self.expression(node.value)
        index = index_of(node, self.source)
        if len(index) > tensor.ndim or any(not -size <= i < size for i, size in zip(index, tensor.shape)):
            raise self.error(f"{source_text(self.source, node)} is out of range: the shape is {tensor.shape}", node)
        return tensor[index if len(index) > 1 else index[0]]

    def lookup(self, node: ast.Name) -> Tensor:
        name = node.id
        if name in self.named:
            return self.named[name]
        if name in self.leaves:
            return self.leaves[name]
        if name in self.constants:
            return self.constants[name]
        if name in self.assigned:
            raise self.error(f"{name} is used before the statement '{self.assigned[name]}' gives it a value", node)
        if name not in self.values:
            given = ", ".join(sorted(self.values)) or "none"
            raise self.error(f"no value for {name!r}; give one with --values {name}=1.5 (values given: {given})", node)
        return self.new_input(name, self.values[name])

    def new_input(self, name: str, array: np.ndarray) -> Tensor:
        """An input: a leaf that requires grad, or a constant (named in ``constants``)."""
        constant = name in self.constant_names
        leaf = Tensor(array, requires_grad=not constant, name=name)
        (self.constants if constant else self.leaves)[name] = leaf
        return leaf
