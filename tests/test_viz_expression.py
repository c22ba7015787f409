"""viz.expression: the language of python -m viz, read with ast and a whitelist."""

from __future__ import annotations

import builtins
import math
import re

import numpy as np
import pytest

from viz.expression import MAX_OPERATIONS, ExpressionError, Program, build, parse, parse_values


def value_of(source: str, **values: float) -> float:
    used = {name: value for name, value in values.items() if re.search(rf"\b{name}\b", source)}
    return float(build(source, used).output.item())


# ----- numbers: the language computes what Python would ---------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("a + b * c", 2 + -3 * 10),
        ("(a + b) * c", (2 - 3) * 10),
        ("a - b - c", 2 + 3 - 10),
        ("c / a / a", 10 / 2 / 2),
        ("a ** 3 ** 0.5", 2 ** (3**0.5)),  # right-associative
        ("-a ** 2", -4.0),  # as in Python: -(a**2)
        ("--a", 2.0),
        ("+a * -b", 6.0),
        ("a ** -1", 0.5),
        ("tanh(a*b + c) * a", math.tanh(2 * -3 + 10) * 2),
        ("exp(log(c)) + sqrt(4*c/c) + sigmoid(0*a) + relu(b) + sin(0*a) + cos(0*a) + abs(b)", 10 + 2 + 0.5 + 0 + 1 + 3),
        ("1.5e1 * .5 * a", 15.0),
    ],
)
def test_expressions_evaluate_like_python(source, expected):
    assert value_of(source, a=2.0, b=-3.0, c=10.0) == pytest.approx(expected)


def test_statements_name_their_nodes_and_inputs_are_float64_leaves():
    program = build(
        "z = w1*x1 + w2*x2 + b; p = sigmoid(z)\nL = -(y*log(p) + (1-y)*log(1-p))",
        "w1=0.5,x1=1,w2=-1,x2=2,b=0.1,y=1",
    )
    assert isinstance(program, Program)
    assert list(program.leaves) == ["w1", "x1", "w2", "x2", "b", "y"]  # in order of first use
    assert list(program.named) == ["z", "p", "L"]
    assert program.output is program.named["L"] and program.output_name == "L"
    assert program.statements == ["z = w1*x1 + w2*x2 + b", "p = sigmoid(z)", "L = -(y*log(p) + (1-y)*log(1-p))"]
    for name, leaf in program.leaves.items():
        assert leaf.name == name and leaf.requires_grad and leaf.is_leaf and leaf.dtype == np.float64
    for name, tensor in program.named.items():
        assert tensor.name == name and not tensor.is_leaf
    assert program.named["p"].grad_fn.parents[0] is program.named["z"]
    assert program.named["z"].grad_fn.parents[0].name is None  # unnamed pieces: the pictures write them out
    z = 0.5 * 1 - 1 * 2 + 0.1
    p = 1 / (1 + math.exp(-z))
    assert program.output.item() == pytest.approx(-math.log(p))
    program.output.backward()
    assert program.leaves["w1"].grad.item() == pytest.approx((p - 1) * 1)  # ∂L/∂w1 = (p − y)·x1
    assert program.leaves["b"].grad.item() == pytest.approx(p - 1)


def test_a_bare_expression_is_called_f_and_literal_statements_are_inputs():
    program = build("tanh(a*b + c) * a", {"a": 2, "b": -3, "c": 10})
    assert program.output_name == "f" and program.output.name == "f" and program.statements == ["f = tanh(a*b + c) * a"]
    assert program.output.grad_fn.parents[0].name is None
    program = build("a = 2; b = -3; y = [1, 2]; L = sum(a*y + b)")
    assert list(program.leaves) == ["a", "b", "y"] and program.output.item() == pytest.approx(2 * 3 - 6)
    assert program.leaves["y"].requires_grad and program.leaves["b"].item() == -3.0
    assert build("f * 2", {"f": 1.0}).output_name == "output"  # 'f' is taken by an input


def test_softmax_cross_entropy_of_a_vector_matches_numpy():
    W = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]) / 4
    x = np.array([1.0, -1.0])
    b = np.array([0.0, 0.5, 1.0])
    program = build("z = W@x + b; L = -log_softmax(z)[1]", {"W": W.tolist(), "x": x.tolist(), "b": b.tolist()})
    z = W @ x + b
    softmax = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
    assert program.output.item() == pytest.approx(-np.log(softmax[1]))
    program.output.backward()
    dz = softmax - np.eye(3)[1]  # ∂L/∂z = softmax(z) − onehot(1)
    np.testing.assert_allclose(program.leaves["b"].grad.data, dz)
    np.testing.assert_allclose(program.leaves["W"].grad.data, np.outer(dz, x))
    np.testing.assert_allclose(program.leaves["x"].grad.data, W.T @ dz)


def test_vector_functions_and_matrix_literals_match_numpy():
    u, v = np.array([1.0, -2.0, 3.0]), np.array([0.5, 0.25, -1.0])
    program = build(
        "s = sum(softmax(u) * v) + mean(u) + dot(u, v); L = s * W[1, 0]",
        {"u": u, "v": v.tolist(), "W": [[1, 2], [3, 4]]},
    )
    softmax = np.exp(u) / np.exp(u).sum()
    s = (softmax * v).sum() + u.mean() + u @ v
    assert program.output.item() == pytest.approx(s * 3)
    program.output.backward()
    # ∂s/∂u = softmax·(v − softmax·v) + 1/3 + v, times W[1, 0] = 3
    expected_u = 3 * (softmax * (v - softmax @ v) + 1 / 3 + v)
    np.testing.assert_allclose(program.leaves["u"].grad.data, expected_u)
    np.testing.assert_allclose(program.leaves["W"].grad.data, [[0, 0], [s, 0]])
    literal = build("L = sum([[1, 2], [3, 4]] @ x)", {"x": [1, -1]})
    assert literal.output.item() == pytest.approx(-2.0) and list(literal.leaves) == ["x"]


# ----- what the language refuses ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "line", "column", "words"),
    [
        ("a.data", 1, 0, "attribute access"),
        ("a.__class__.__bases__", 1, 0, "attribute access"),
        ("(lambda: a)()", 1, 0, "can be called, by name"),
        ("f = lambda: a", 1, 4, "lambda"),
        ("[a for a in b]", 1, 0, "comprehensions"),
        ("sum(x for x in a)", 1, 3, "comprehensions"),
        ("{a: 1}", 1, 0, "dictionaries"),
        ("import os", 1, 0, "not import"),
        ("from os import system", 1, 0, "not importfrom"),
        ("def f(): pass", 1, 0, "not functiondef"),
        ("a += 1", 1, 0, "not augassign"),
        ("a, b = 1, 2", 1, 0, "assign to one name"),
        ("a = b = 1", 1, 0, "assign to one name"),
        ("x.y = 1", 1, 0, "assign to one name"),
        ("eval('1')", 1, 0, "unknown function 'eval'"),
        ("__import__('os')", 1, 0, "unknown function '__import__'"),
        ("open('/etc/passwd')", 1, 0, "unknown function 'open'"),
        ("exp(a, b)", 1, 0, "takes 1 argument, got 2"),
        ("exp(x=a)", 1, 4, "no keyword arguments"),
        ("dot(a)", 1, 0, "takes 2 arguments, got 1"),
        ("exp(*a)", 1, 4, "unpacking"),
        ("'text' * a", 1, 0, "str is not part"),
        ("True * a", 1, 0, "bool is not part"),
        ("1j * a", 1, 0, "complex is not part"),
        ("a < b", 1, 0, "comparisons"),
        ("a and b", 1, 0, "and/or"),
        ("a if b else c", 1, 0, "if/else"),
        ("(y := a)", 1, 1, "':='"),
        ("a % b", 1, 2, "this operator"),
        ("a // b", 1, 2, "this operator"),
        ("a ^ b", 1, 2, "this operator"),
        ("~a", 1, 0, "only - and +"),
        ("not a", 1, 0, "only - and +"),
        ("x[1:2]", 1, 2, "whole numbers"),
        ("x[a]", 1, 2, "whole numbers"),
        ("x[1.5]", 1, 2, "whole numbers"),
        ("exp + a", 1, 0, "exp is a function"),
        ("exp = a * 2", 1, 0, "exp is a function"),
        ("[a, 1] * 2", 1, 1, "a list holds numbers only"),
        ("[[1, 2], [3]] * a", 1, 0, "same length"),
        ("[[[1]]] * a", 1, 2, "two deep"),
        ("[] * a", 1, 0, "empty list"),
        ("a * 1e999", 1, 4, "too large"),
        ("a ** 9 ** 9 ** 9", 1, 5, "9 ** 9 ** 9 is infinite"),
        ("a ** 1e308 ** 2", 1, 5, "1e308 ** 2 is infinite"),
        ("log(a - a)", 1, 0, "log(a - a) is infinite"),
        ("sqrt(-a)", 1, 0, "is nan"),
        ("sqrt(0*a)", 1, 0, "sqrt(0*a) has an infinite derivative here"),  # refused like log(0*a)
        ("a $ b", 1, 2, "cannot read this"),
        ("tanh(a*b + ) * a", 1, 11, "cannot read this"),
        ("(a*b", 1, 0, "cannot read this"),
        ("a*b)", 1, 3, "cannot read this"),
        ("", 1, 0, "empty"),
        ("  \n ", 1, 0, "empty"),
        ("z = a*b\nz*z\nL = z", 2, 0, "only the last statement may be a bare expression"),
        ("z = a*b\nz = z*2", 2, 0, "z is assigned twice"),
        ("y = z*2\nz = a*b", 1, 4, "z is used before the statement 'z = a*b'"),
        ("z = a", 1, 4, "only gives a second name"),
        ("z = a*b; y = +z", 1, 13, "only gives a second name"),
        ("a = 2", 1, 0, "given both here and in --values"),  # a is also in the values below
        ("a * zeta", 1, 4, "no value for 'zeta'; give one with --values zeta=1.5"),
        ("W @ x", 1, 2, "matmul: a.shape=(2, 2), b.shape=(3,)"),
        ("dot(W, x)", 1, 0, "dot takes two vectors"),
        ("x[3]", 1, 0, "x[3] is out of range: the shape is (3,)"),
        ("a[0]", 1, 0, "out of range"),
        ("W[0, 0, 0]", 1, 0, "out of range"),
    ],
)
def test_refused_with_the_line_and_column(source, line, column, words):
    values = {"a": 2.0, "b": -3.0, "c": 1.0, "W": [[1, 2], [3, 4]], "x": [1, 2, 3]}
    with pytest.raises(ExpressionError) as caught:
        build(source, values)
    error = caught.value
    assert words in error.message
    assert (error.line, error.column) == (line, column)
    lines = str(error).splitlines()
    where = f"line {line}, column {column + 1}" if "\n" in source else f"column {column + 1}"
    assert lines[0].startswith(f"error at {where}:")
    assert lines[1] == "  " + source.split("\n")[line - 1]
    assert lines[2] == "  " + " " * column + "^"


def test_the_caret_counts_characters_not_bytes_and_long_lines_are_cut():
    with pytest.raises(ExpressionError) as caught:
        build("θ = 2; L = θ*θ.real")
    assert caught.value.column == 13  # 'θ' is two bytes in UTF-8, one column on screen
    long_line = "a*" * 60 + "b.c"
    with pytest.raises(ExpressionError) as caught:
        build(long_line, {"a": 1, "b": 1})
    shown, caret = str(caught.value).splitlines()[1:]
    assert len(shown) < 90 and shown[caret.index("^")] == "b"


def test_nothing_is_ever_evaluated_by_python(monkeypatch):
    calls = []
    monkeypatch.setattr(builtins, "eval", lambda *args, **kwargs: calls.append(("eval", args)))
    monkeypatch.setattr(builtins, "exec", lambda *args, **kwargs: calls.append(("exec", args)))
    program = build("L = sum(x * x) + exp(a)", {"x": [1, 2], "a": 0})
    monkeypatch.undo()
    assert calls == []
    assert program.output.item() == pytest.approx(6.0)


def test_size_limits_are_errors_not_crashes():
    with pytest.raises(ExpressionError, match="too long or nested too deeply"):
        build("a" + "+a" * (MAX_OPERATIONS + 1), {"a": 1})
    assert value_of("a" + "+a" * 50, a=1.0) == 51.0
    with pytest.raises(ExpressionError, match="nested parentheses|nested too deeply"):
        parse("(" * 500 + "a" + ")" * 500)
    with pytest.raises(ExpressionError, match="cannot read this"):
        parse("-" * 9000 + "a")
    with pytest.raises(ExpressionError, match="at most 10000 are read"):
        parse("a+" * 6000 + "a")
    with pytest.raises(ExpressionError, match="5000 characters long; at most 40"):
        parse("n" * 5000 + " * 2")
    with pytest.raises(ExpressionError, match="too many digits"):
        parse("a * " + "1" * 5000)
    with pytest.raises(ExpressionError, match="at most 1000"):
        parse("sum(a * [" + ", ".join(["1"] * 1001) + "])")


def test_require_scalar_points_at_the_last_statement():
    assert build("y = 2*x", {"x": [1, 2]}).output.shape == (2,)
    with pytest.raises(ExpressionError, match=r"the output y has shape \(2,\); backpropagation starts from one number"):
        build("z = x*x; y = 2*z", {"x": [1, 2]}, require_scalar=True)


# ----- --values ---------------------------------------------------------------------------------------


def test_values_are_numbers_vectors_and_matrices():
    assert parse_values("a=2, b=-3,c=1e-2, x=[1, 2,3], W=[[1,2],[3,4]], e=+.5") == {
        "a": 2.0,
        "b": -3.0,
        "c": 0.01,
        "x": [1.0, 2.0, 3.0],
        "W": [[1.0, 2.0], [3.0, 4.0]],
        "e": 0.5,
    }
    assert parse_values("") == {} and parse_values(" , ") == {}


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("a2", "--values: 'a2' has no '='"),
        ("a=two", "--values: the value of 'a' is 'two', which is not a number"),
        ("a=nan", "the value of 'a' is 'nan'"),
        ("a=__import__('os')", "the value of 'a'"),
        ("a=1,a=2", "--values: 'a' is given twice"),
        ("2a=1", "--values: '2a' is not a valid name"),
        ("a=1e999", "the value of 'a': this number is too large"),
        ("x=[[1,2],[3]]", "the value of 'x': the rows of a matrix must all have the same length"),
        ("x=[]", "the value of 'x': an empty list"),
        ("x=[[[1]]]", "the value of 'x': lists nest two deep at most"),
        ("x=[1, a]", "the value of 'x': expected a number here"),
        ("a=" + "1" * 16384, "the value of 'a' is 16384 characters long"),
        ("a=1." + "1" * 9000, None),  # a long but ordinary float is fine
        ("n" * 16384 + "=1", "characters long; at most 40"),
    ],
)
def test_values_mistakes_name_the_key(text, words):
    if words is None:
        assert parse_values(text)["a"] == pytest.approx(1.111111)
        return
    with pytest.raises(ValueError, match=words.replace("[", r"\[").replace("(", r"\(").replace(")", r"\)")):
        parse_values(text)


def test_values_the_program_does_not_use_are_refused():
    with pytest.raises(ValueError, match=r"--values: 'c' is not an input of the program \(its inputs: a, b\)"):
        build("a*b", "a=1,b=2,c=3")
    with pytest.raises(ValueError, match="'x' has shape"):
        build("a*x", {"a": 1, "x": np.zeros((2, 2, 2))})
    with pytest.raises(ValueError, match="'x' is not finite"):
        build("a*x", {"a": 1, "x": [1, float("inf")]})
