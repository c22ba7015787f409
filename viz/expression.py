"""A tiny expression language for the command line, parsed safely (never ``eval``).

    tanh(a*b + c) * a        names, numbers, + - * / **, unary minus, parentheses,
    exp(x) / (1 + exp(x))    and the functions exp log sqrt tanh sigmoid relu sin cos

Grammar (a recursive-descent parser: one function per line, lowest precedence first):

    sum      = product (("+" | "-") product)*
    product  = unary (("*" | "/") unary)*
    unary    = "-" unary | power
    power    = atom ("**" unary)?            right-associative, binds tighter than unary
                                             minus on its left: -a**2 = -(a**2), as in Python
    atom     = number | name | function "(" sum ")" | "(" sum ")"

``parse`` returns a small tree of Number / Name / UnaryMinus / BinaryOp / Call nodes;
``evaluate`` builds it with tinygrad_edu Tensors (float64, named leaves, each intermediate
named after the piece of the expression it computes). Mistakes raise ExpressionError with
the column, and ``str(error)`` shows the expression with a caret under the spot.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import numpy as np

from tinygrad_edu import Tensor

FUNCTIONS = ("exp", "log", "sqrt", "tanh", "sigmoid", "relu", "sin", "cos")
MAX_DEPTH = 100  # operators, calls and parentheses per expression (keeps parse/evaluate recursion small)


class ExpressionError(ValueError):
    """A mistake in an expression, at ``column`` (0-based) of ``expression``."""

    def __init__(self, message: str, expression: str, column: int) -> None:
        self.message = message
        self.expression = expression
        self.column = column
        super().__init__(self.pretty())

    def pretty(self) -> str:
        """The message, the expression, and a caret under the column (1-based in the text)."""
        return f"error at column {self.column + 1}: {self.message}\n  {self.expression}\n  {' ' * self.column}^"


# ----- the tree --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Number:
    value: float
    text: str
    column: int


@dataclass(frozen=True)
class Name:
    name: str
    column: int


@dataclass(frozen=True)
class UnaryMinus:
    operand: Node
    column: int


@dataclass(frozen=True)
class BinaryOp:
    operator: str  # one of + - * / **
    left: Node
    right: Node
    column: int


@dataclass(frozen=True)
class Call:
    function: str
    argument: Node
    column: int


Node = Number | Name | UnaryMinus | BinaryOp | Call


# ----- tokens ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Token:
    kind: str  # "number", "name", "op", "(", ")", "end"
    text: str
    column: int


def tokenize(expression: str) -> list[Token]:
    """Split the text into tokens, each remembering its column."""
    tokens = []
    position = 0
    while position < len(expression):
        char = expression[position]
        if char.isspace():
            position += 1
        elif char.isdigit() or (char == "." and expression[position + 1 : position + 2].isdigit()):
            start = position
            while position < len(expression) and (expression[position].isdigit() or expression[position] == "."):
                position += 1
            if position < len(expression) and expression[position] in "eE":
                exponent = position + 1
                if exponent < len(expression) and expression[exponent] in "+-":
                    exponent += 1
                if exponent < len(expression) and expression[exponent].isdigit():
                    position = exponent
                    while position < len(expression) and expression[position].isdigit():
                        position += 1
            text = expression[start:position]
            if text.count(".") > 1:
                raise ExpressionError(f"{text!r} is not a number (two decimal points)", expression, start)
            tokens.append(Token("number", text, start))
        elif char.isalpha() or char == "_":
            start = position
            while position < len(expression) and (expression[position].isalnum() or expression[position] == "_"):
                position += 1
            tokens.append(Token("name", expression[start:position], start))
        elif expression.startswith("**", position):
            tokens.append(Token("op", "**", position))
            position += 2
        elif char in "+-*/":
            tokens.append(Token("op", char, position))
            position += 1
        elif char in "()":
            tokens.append(Token(char, char, position))
            position += 1
        else:
            raise ExpressionError(
                f"unexpected character {char!r}; use names, numbers, + - * / **, parentheses and "
                f"the functions {', '.join(FUNCTIONS)}",
                expression,
                position,
            )
    tokens.append(Token("end", "", len(expression)))
    return tokens


# ----- the parser ------------------------------------------------------------------------------


class _Parser:
    def __init__(self, expression: str) -> None:
        self.expression = expression
        self.tokens = tokenize(expression)
        self.position = 0
        self.depth = 0

    @property
    def current(self) -> Token:
        return self.tokens[self.position]

    def advance(self) -> Token:
        token = self.tokens[self.position]
        self.position += 1
        return token

    def error(self, message: str, token: Token | None = None) -> ExpressionError:
        token = token if token is not None else self.current
        return ExpressionError(message, self.expression, token.column)

    def parse(self) -> Node:
        if self.current.kind == "end":
            raise self.error("the expression is empty; write something like a*b + c")
        node = self.parse_sum()
        if self.current.kind != "end":
            if self.current.kind == ")":
                raise self.error("unmatched ')': there is no '(' before it")
            raise self.error(f"expected an operator (+ - * / **) before {self.current.text!r}")
        return node

    def enter(self) -> None:
        """Count one operator, call or parenthesis: at most MAX_DEPTH, so recursion stays shallow."""
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(
                f"the expression is too long or nested too deeply (more than {MAX_DEPTH} operators, "
                "calls and parentheses); a picture of it would not be readable anyway"
            )

    def parse_sum(self) -> Node:
        node = self.parse_product()
        while self.current.kind == "op" and self.current.text in "+-":
            operator = self.advance()
            self.enter()
            node = BinaryOp(operator.text, node, self.parse_product(), operator.column)
        return node

    def parse_product(self) -> Node:
        node = self.parse_unary()
        while self.current.kind == "op" and self.current.text in ("*", "/"):
            operator = self.advance()
            self.enter()
            node = BinaryOp(operator.text, node, self.parse_unary(), operator.column)
        return node

    def parse_unary(self) -> Node:
        if self.current.kind == "op" and self.current.text == "-":
            minus = self.advance()
            self.enter()
            return UnaryMinus(self.parse_unary(), minus.column)
        if self.current.kind == "op" and self.current.text == "+":
            self.advance()
            self.enter()
            return self.parse_unary()
        return self.parse_power()

    def parse_power(self) -> Node:
        base = self.parse_atom()
        if self.current.kind == "op" and self.current.text == "**":
            operator = self.advance()
            self.enter()
            return BinaryOp("**", base, self.parse_unary(), operator.column)
        return base

    def parse_atom(self) -> Node:
        token = self.current
        if token.kind == "number":
            self.advance()
            try:
                value = float(token.text)
            except ValueError:
                raise self.error(f"{token.text!r} is not a number", token) from None
            return Number(value, token.text, token.column)
        if token.kind == "name":
            self.advance()
            if self.current.kind == "(":
                if token.text not in FUNCTIONS:
                    raise self.error(
                        f"unknown function {token.text!r}; the functions are {', '.join(FUNCTIONS)}", token
                    )
                self.advance()
                self.enter()
                argument = self.parse_sum()
                self.expect_closing(token)
                return Call(token.text, argument, token.column)
            if token.text in FUNCTIONS:
                raise self.error(f"{token.text} is a function: write {token.text}(...)", token)
            return Name(token.text, token.column)
        if token.kind == "(":
            self.advance()
            self.enter()
            node = self.parse_sum()
            self.expect_closing(token)
            return node
        if token.kind == "end":
            raise self.error("the expression ends too early: expected a number, a name or '('")
        if token.kind == ")":
            raise self.error("expected a number, a name or '(' before ')'")
        raise self.error(f"expected a number, a name or '(' but found {token.text!r}")

    def expect_closing(self, opening: Token) -> None:
        if self.current.kind != ")":
            if self.current.kind == "end":
                raise self.error(f"'(' at column {opening.column + 1} is never closed; add ')'")
            raise self.error(f"expected ')' but found {self.current.text!r}")
        self.advance()


def parse(expression: str) -> Node:
    """Parse ``expression`` into a tree; raise ExpressionError (with the column) on mistakes."""
    return _Parser(expression).parse()


def _name_nodes(node: Node) -> Iterator[Name]:
    """Every Name in the tree, in reading order (left to right)."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, Name):
            yield current
        elif isinstance(current, UnaryMinus):
            stack.append(current.operand)
        elif isinstance(current, BinaryOp):
            stack.extend([current.right, current.left])
        elif isinstance(current, Call):
            stack.append(current.argument)


def names_in(node: Node) -> list[str]:
    """The variable names in the tree, each once, in order of first appearance."""
    found: list[str] = []
    for name_node in _name_nodes(node):
        if name_node.name not in found:
            found.append(name_node.name)
    return found


# ----- building it with Tensors ----------------------------------------------------------------


def to_text(node: Node) -> str:
    """The tree written back as text, with parentheses only where needed."""
    if isinstance(node, Number):
        return node.text
    if isinstance(node, Name):
        return node.name
    if isinstance(node, Call):
        return f"{node.function}({to_text(node.argument)})"
    if isinstance(node, UnaryMinus):
        return f"-{_wrapped(node.operand, 3)}"
    left = _wrapped(node.left, _PRECEDENCE[node.operator] + (1 if node.operator == "**" else 0))
    right = _wrapped(node.right, _PRECEDENCE[node.operator] + (0 if node.operator == "**" else 1))
    spaced = f" {node.operator} " if node.operator in "+-" else node.operator
    return f"{left}{spaced}{right}"


_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2, "**": 4}


def _precedence(node: Node) -> int:
    if isinstance(node, BinaryOp):
        return _PRECEDENCE[node.operator]
    if isinstance(node, UnaryMinus):
        return 3
    return 5


def _wrapped(node: Node, needed: int) -> str:
    text = to_text(node)
    return f"({text})" if _precedence(node) < needed else text


def make_leaves(expression: str, values: Mapping[str, float]) -> dict[str, Tensor]:
    """One float64 leaf per name in the expression, requiring grad and named after it."""
    tree = parse(expression)
    leaves = {}
    for name in names_in(tree):
        if name not in values:
            column = _first_column(tree, name)
            given = ", ".join(sorted(values)) or "none"
            raise ExpressionError(
                f"no value for {name!r}; give one with --values {name}=1.5 (values given: {given})",
                expression,
                column,
            )
        leaves[name] = Tensor(np.array(values[name], dtype=np.float64), requires_grad=True, name=name)
    return leaves


def _first_column(node: Node, name: str) -> int:
    return min((name_node.column for name_node in _name_nodes(node) if name_node.name == name), default=0)


def evaluate(node: Node, leaves: Mapping[str, Tensor], name_intermediates: bool = True) -> Tensor:
    """Compute the tree with Tensor ops. Numbers become float64 constants (no grad).

    With ``name_intermediates`` each result is named after its piece of the expression
    ("a*b", "tanh(a*b + c)") when that is short, so the pictures read like the formula.
    Recursion depth follows the nesting of the expression, which a command line keeps small.
    """
    if isinstance(node, Number):
        return Tensor(np.array(node.value, dtype=np.float64), name=node.text)
    if isinstance(node, Name):
        return leaves[node.name]
    if isinstance(node, UnaryMinus):
        result = -evaluate(node.operand, leaves, name_intermediates)
    elif isinstance(node, Call):
        argument = evaluate(node.argument, leaves, name_intermediates)
        result = _apply_function(node.function, argument)
    else:
        left = evaluate(node.left, leaves, name_intermediates)
        right = evaluate(node.right, leaves, name_intermediates)
        if node.operator == "+":
            result = left + right
        elif node.operator == "-":
            result = left - right
        elif node.operator == "*":
            result = left * right
        elif node.operator == "/":
            result = left / right
        else:
            result = left**right
    if name_intermediates:
        text = to_text(node)
        if len(text) <= 24 and result.name is None:
            result.name = text
    return result


def _apply_function(function: str, argument: Tensor) -> Tensor:
    if function == "exp":
        return argument.exp()
    if function == "log":
        return argument.log()
    if function == "sqrt":
        return argument.sqrt()
    if function == "tanh":
        return argument.tanh()
    if function == "sigmoid":
        return argument.sigmoid()
    if function == "relu":
        return argument.relu()
    if function == "sin":
        return argument.sin()
    if function == "cos":
        return argument.cos()
    raise AssertionError(f"the parser only accepts known functions, got {function!r}")


def parse_values(text: str) -> dict[str, float]:
    """'a=2,b=-3,c=10' -> {'a': 2.0, 'b': -3.0, 'c': 10.0}; ValueError says what is wrong."""
    values: dict[str, float] = {}
    if not text.strip():
        return values
    for part in text.split(","):
        if "=" not in part:
            raise ValueError(f"--values: {part.strip()!r} has no '='; write name=number, e.g. a=2,b=-3")
        name, _, number = part.partition("=")
        name = name.strip()
        if not (name.isidentifier() and name.isascii()):
            raise ValueError(f"--values: {name!r} is not a valid name; names are letters, digits and _")
        try:
            values[name] = float(number)
        except ValueError:
            raise ValueError(f"--values: the value of {name!r} is {number.strip()!r}, which is not a number") from None
    return values
