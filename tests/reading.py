"""Reading the math on a page back, as a student would: turn the printed notation into Python.

    value = evaluate("σ(z)·(1 − σ(z))", {"z": 0.5})
    evaluate("[1, 2]·x²", {"x": np.array([1.0, 3.0])})

The translation is the one a student makes with a pencil: · and × are *, − is -, x² is x**2,
a^b is a**b, Aᵀ is the transpose, [x > 0] is 1 where x > 0 (Iverson brackets), |x| is abs(x),
σ is the logistic sigmoid, Σ(…) a sum along the last axis. Names that are not Python (a
sub-expression shown as a name, "exp(x)₁", "∂L/∂(a·b)") are given in ``values`` and replaced
first, longest first, only where they stand as a whole word. Nothing here imports viz: the tests
read the page, not the code that wrote it.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from typing import Any

import numpy as np

SUPERSCRIPTS = {"⁰": "0", "¹": "1", "²": "2", "³": "3", "⁴": "4", "⁵": "5", "⁶": "6", "⁷": "7", "⁸": "8", "⁹": "9"}
WORD = r"[^\W⁰¹²³⁴⁵⁶⁷⁸⁹ᵀ]"  # a character that continues a name (x² is x, then a square)


def _sigmoid(x: Any) -> Any:
    return 1 / (1 + np.exp(-np.asarray(x, dtype=np.float64)))


def _softmax(x: Any) -> Any:
    x = np.asarray(x, dtype=np.float64)
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


FUNCTIONS: dict[str, Any] = {
    "exp": np.exp,
    "log": np.log,
    "ln": np.log,
    "sqrt": np.sqrt,
    "sin": np.sin,
    "cos": np.cos,
    "tanh": np.tanh,
    "sigmoid": _sigmoid,
    "σ": _sigmoid,
    "relu": lambda x: np.maximum(x, 0),
    "sign": np.sign,
    "abs": np.abs,
    "sum": np.sum,
    "mean": np.mean,
    "softmax": _softmax,
    "log_softmax": lambda x: np.log(_softmax(x)),
    "Σ": lambda x: np.sum(x, axis=-1, keepdims=True),
    "dot": lambda u, v: np.sum(np.asarray(u) * np.asarray(v)),
    "np": np,
}


def placeholder(number: int) -> str:
    return f"_v{number}_"


def has_operator(name: str) -> bool:
    """Does the name have an operator outside brackets ("w·x", not "sum(z·z)" or "x[0]")?"""
    previous = None
    while previous != name:
        previous, name = name, re.sub(r"\([^()]*\)|\[[^\[\]]*\]", "", name)
    return bool(re.search(r"[\s·/+−@*^-]", name[1:])) or name[:1] in ("−", "-")  # −x³ is −(x³)


def substitute_names(text: str, names: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """Replace each name of ``names`` standing as a whole word by a Python variable."""
    variables: dict[str, Any] = {}
    for number, name in enumerate(sorted(names, key=len, reverse=True)):
        variable = placeholder(number)
        if re.fullmatch(r"[−-]?[\d.]+(?:e[+−-]?\d+)?", name):
            continue  # a number is its own value
        if has_operator(name) and not name.startswith("∂"):
            # A name with an operator in it stands for one value only where it is the whole text
            # or in parentheses: in "−e/a²" there is no node "e/a".
            if text == name:
                text = variable
            elif f"({name})" in text:
                text = text.replace(f"({name})", f"({variable})")
            else:
                continue
            variables[variable] = names[name]
            continue
        pattern = rf"(?<![\w.]){re.escape(name)}(?!{WORD}|\.\d)"
        if re.search(pattern, text):
            text = re.sub(pattern, variable, text)
            variables[variable] = names[name]
    return text, variables


def to_python(text: str) -> str:
    """The notation as Python source (names already replaced)."""
    text = text.replace("·", "*").replace("×", "*").replace("−", "-").replace("^", "**")
    text = text.replace("≤", "<=").replace("≥", ">=")
    text = re.sub(r"\|([^|]+)\|", r"abs(\1)", text)
    text = re.sub(r"([⁰¹²³⁴⁵⁶⁷⁸⁹]+)", lambda m: "**" + "".join(SUPERSCRIPTS[c] for c in m.group(1)), text)
    text = text.replace("ᵀ", ".T")
    text = re.sub(r"(?<![<>=!])=(?!=)", "==", text)  # a lone = can only be a comparison, [a = b]
    return text


class _Arrays(ast.NodeTransformer):
    """[1, 2] is a vector; [x > 0] (one comparison or `not`) an Iverson bracket: 1.0 where true."""

    def visit_Compare(self, node: ast.Compare) -> ast.AST:
        self.generic_visit(node)
        if len(node.ops) == 1:
            return node
        left = node.left  # a ≤ x ≤ b on arrays: (a ≤ x) and (x ≤ b), element by element
        pairs = []
        for op, right in zip(node.ops, node.comparators):
            pairs.append(ast.Compare(left=left, ops=[op], comparators=[right]))
            left = right
        function = ast.Attribute(value=ast.Name("np", ast.Load()), attr="logical_and", ctx=ast.Load())
        return ast.copy_location(ast.Call(func=function, args=pairs[:2], keywords=[]), node)

    def visit_UnaryOp(self, node: ast.UnaryOp) -> ast.AST:
        self.generic_visit(node)
        if not isinstance(node.op, ast.Not):
            return node
        function = ast.Attribute(value=ast.Name("np", ast.Load()), attr="logical_not", ctx=ast.Load())
        return ast.copy_location(ast.Call(func=function, args=[node.operand], keywords=[]), node)

    def visit_List(self, node: ast.List) -> ast.AST:
        first = node.elts[0] if len(node.elts) == 1 else None
        iverson = isinstance(first, (ast.Compare, ast.Name)) or (
            isinstance(first, ast.UnaryOp) and isinstance(first.op, ast.Not)
        )
        self.generic_visit(node)
        if iverson:
            call = ast.Call(
                func=ast.Attribute(value=ast.Name("np", ast.Load()), attr="asarray", ctx=ast.Load()),
                args=[node.elts[0], ast.Name("float", ast.Load())],
                keywords=[],
            )
            return ast.copy_location(call, node)
        call = ast.Call(
            func=ast.Attribute(value=ast.Name("np", ast.Load()), attr="array", ctx=ast.Load()),
            args=[node],
            keywords=[],
        )
        return ast.copy_location(call, node)


def evaluate(text: str, values: Mapping[str, Any] | None = None) -> Any:
    """The value of a printed expression, given the values of the names in it."""
    text, variables = substitute_names(text.strip(), values or {})
    source = to_python(text)
    tree = ast.fix_missing_locations(_Arrays().visit(ast.parse(source, mode="eval")))
    namespace: dict[str, Any] = {"__builtins__": {"float": float}, **FUNCTIONS, **variables}
    with np.errstate(all="ignore"):
        return eval(compile(tree, "<page>", "eval"), namespace)  # noqa: S307 - a test reading its own page


def number_or_array(text: str) -> np.ndarray | None:
    """'−1.5' or '[1, −2]' or '[[1, 2], [3, 4]]' as an array; None if it is not just numbers."""
    text = text.strip()
    if not re.fullmatch(r"[\[\]\s,\d.e+−-]+", text) or not re.search(r"\d", text):
        return None
    try:
        return np.asarray(ast.literal_eval(text.replace("−", "-")), dtype=np.float64)
    except (ValueError, SyntaxError):
        return None


def close(shown: Any, exact: Any, digits: int = 4) -> bool:
    """Does ``shown`` (printed with ``digits`` significant digits) agree with ``exact``?"""
    shown = np.asarray(shown, dtype=np.float64)
    exact = np.asarray(exact, dtype=np.float64)
    try:
        shown, exact = np.broadcast_arrays(shown, exact)
    except ValueError:
        if shown.size != exact.size:
            return False
        exact = exact.reshape(shown.shape)
    tolerance = 10.0 ** (1 - digits) * np.maximum(np.abs(exact), np.abs(shown)) + 1e-9
    return bool(np.all(np.abs(shown - exact) <= tolerance))


def agrees(text: str, values: Mapping[str, Any], shown: Any, digits: int = 4) -> bool:
    """Does ``text``, computed from values printed with ``digits`` significant digits, agree with
    ``shown``? A student computing from rounded numbers may be off by what the rounding moves:
    the values (and the numbers written in the text) are moved within their rounding, and
    ``shown`` must lie within the range this gives, element by element."""
    base = np.asarray(evaluate(text, values), dtype=np.float64)
    if close(base, shown, digits):
        return True
    generator = np.random.default_rng(0)
    half_unit = 0.5 * 10.0 ** (1 - digits)

    def nudge(match: re.Match) -> str:  # a printed number is rounded too
        return repr(float(match.group(0)) * (1 + generator.uniform(-1, 1) * half_unit))

    low, high = base.copy(), base.copy()
    for _ in range(64):
        moved_text = re.sub(r"(?<![\w.\[])\d+(?:\.\d+)?(?:e[+−-]?\d+)?(?![\w\]])", nudge, text)
        moved = {}
        for name, value in values.items():
            array = np.asarray(value)
            if np.issubdtype(array.dtype, np.floating):
                unit = 10.0 ** (np.floor(np.log10(np.maximum(np.abs(array), 1e-300))) - digits + 1)
                value = array + generator.uniform(-0.5, 0.5, size=array.shape) * unit
            moved[name] = value
        try:
            sample = np.asarray(evaluate(moved_text, moved), dtype=np.float64)
        except (SyntaxError, TypeError, ValueError, IndexError):
            continue
        if sample.shape == base.shape:
            low, high = np.minimum(low, sample), np.maximum(high, sample)
    shown = np.asarray(shown, dtype=np.float64)
    if shown.size != base.size:
        return False
    shown = shown.reshape(base.shape)
    tolerance = half_unit * 2 * np.abs(shown) + 1e-12
    return bool(np.all((shown >= low - tolerance) & (shown <= high + tolerance)))


def numerical_partial(text: str, values: Mapping[str, Any], name: str, step: float = 1e-6) -> np.ndarray:
    """∂(expression)/∂name by central differences, elementwise (name a scalar or an array)."""
    base = np.asarray(values[name], dtype=np.float64)
    result = np.zeros(np.broadcast_shapes(base.shape, np.shape(evaluate(text, values))))
    flat_base = base.reshape(-1)
    if base.size == 1:
        up = dict(values, **{name: base + step})
        down = dict(values, **{name: base - step})
        return (np.asarray(evaluate(text, up)) - np.asarray(evaluate(text, down))) / (2 * step)
    for index in range(base.size):  # elementwise: ∂y_i/∂x_i
        bump = np.zeros(base.size)
        bump[index] = step
        up = dict(values, **{name: (flat_base + bump).reshape(base.shape)})
        down = dict(values, **{name: (flat_base - bump).reshape(base.shape)})
        difference = (np.asarray(evaluate(text, up)) - np.asarray(evaluate(text, down))) / (2 * step)
        result.reshape(-1)[index] = np.asarray(difference).reshape(-1)[index]
    return result
