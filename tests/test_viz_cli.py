"""python -m viz and its expression language."""

from __future__ import annotations

import math
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from viz.expression import ExpressionError, evaluate, make_leaves, names_in, parse, parse_values, to_text

REPO = Path(__file__).resolve().parent.parent
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")


def run_viz(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "viz", *args], cwd=REPO, capture_output=True, text=True, timeout=120, env=env
    )


# ----- the parser --------------------------------------------------------------------------------


def value_of(expression: str, **values: float) -> float:
    leaves = make_leaves(expression, values)
    return float(evaluate(parse(expression), leaves).item())


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("a + b * c", 2 + -3 * 10),
        ("(a + b) * c", (2 - 3) * 10),
        ("a - b - c", 2 + 3 - 10),
        ("c / a / a", 10 / 2 / 2),
        ("a ** 3 ** 0.5", 2 ** (3**0.5)),  # right-associative
        ("-a ** 2", -4.0),  # as in Python: -(a**2)
        ("--a", 2.0),
        ("a ** -1", 0.5),
        ("tanh(a*b + c) * a", math.tanh(2 * -3 + 10) * 2),
        ("exp(log(c)) + sqrt(4) + sigmoid(0) + relu(b) + sin(0) + cos(0)", 10 + 2 + 0.5 + 0 + 0 + 1),
        ("1.5e1 * .5", 7.5),
    ],
)
def test_expressions_evaluate_like_python(expression, expected):
    assert value_of(expression, a=2.0, b=-3.0, c=10.0) == pytest.approx(expected)


def test_names_are_float64_leaves_and_intermediates_are_named():
    tree = parse("tanh(a*b + c) * a")
    assert names_in(tree) == ["a", "b", "c"]
    leaves = make_leaves("tanh(a*b + c) * a", {"a": 2, "b": -3, "c": 10})
    assert all(leaf.dtype == np.float64 and leaf.requires_grad and leaf.name == name for name, leaf in leaves.items())
    result = evaluate(tree, leaves)
    assert result.name == "tanh(a*b + c)*a"
    assert result.grad_fn.parents[0].name == "tanh(a*b + c)"
    assert to_text(parse("-(a+b)**2 / (c*d)")) == "-(a + b)**2/(c*d)"


@pytest.mark.parametrize(
    ("expression", "column", "words"),
    [
        ("a $ b", 2, "unexpected character '$'"),
        ("tanh(a*b + ) * a", 11, "expected a number, a name or '('"),
        ("(a*b", 4, "never closed"),
        ("a*b)", 3, "unmatched ')'"),
        ("foo(a)", 0, "unknown function 'foo'"),
        ("a b", 2, "expected an operator"),
        ("a +", 3, "ends too early"),
        ("", 0, "empty"),
        ("exp + a", 0, "exp is a function"),
        ("__import__('os')", 11, "unexpected character"),
        ("1.2.3", 0, "two decimal points"),
    ],
)
def test_parse_errors_point_at_the_column(expression, column, words):
    with pytest.raises(ExpressionError) as caught:
        parse(expression)
    assert caught.value.column == column
    assert words in caught.value.message
    lines = str(caught.value).splitlines()
    assert lines[1] == f"  {expression}"
    assert lines[2] == "  " + " " * column + "^"


def test_a_name_without_a_value_is_a_clear_error():
    with pytest.raises(ExpressionError, match=r"no value for 'd'; give one with --values d=") as caught:
        make_leaves("a * d", {"a": 1.0})
    assert caught.value.column == 4


def test_values_parsing():
    assert parse_values("a=2, b=-3,c=1e-2") == {"a": 2.0, "b": -3.0, "c": 0.01}
    assert parse_values("") == {}
    with pytest.raises(ValueError, match="has no '='"):
        parse_values("a2")
    with pytest.raises(ValueError, match="not a number"):
        parse_values("a=two")
    with pytest.raises(ValueError, match="not a valid name"):
        parse_values("2a=1")


# ----- the command line ---------------------------------------------------------------------------


@needs_dot
def test_cli_writes_the_stepper(tmp_path):
    result = run_viz("tanh(a*b + c) * a", "--values", "a=2,b=-3,c=10", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    frames = sorted(tmp_path.glob("frame-*.svg"))
    assert [path.name for path in frames] == [f"frame-{i:03d}.svg" for i in range(6)]  # forward, 4 ops, end
    page = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert page.count("<svg") == 6 + 4  # every frame, and the predict-mode question of each step
    assert "index.html" in result.stdout


@needs_dot
def test_cli_graph_only_and_second_order(tmp_path):
    result = run_viz("a*b + c", "--values", "a=2,b=-3,c=10", "--graph-only", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "<svg" in (tmp_path / "graph.svg").read_text(encoding="utf-8")
    assert (tmp_path / "graph.png").read_bytes()[:4] == b"\x89PNG"
    assert not list(tmp_path.glob("frame-*.svg"))

    result = run_viz("sin(x) * x", "--values", "x=1", "--second-order", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    svg = (tmp_path / "second-order.svg").read_text(encoding="utf-8")
    assert "∂f/∂x" in svg and ">cos<" in svg  # d/dx sin(x)·x = cos(x)·x + sin(x): the graph has a cos


@needs_dot
def test_cli_mnist_draws_the_mlp_by_layer(tmp_path):
    pytest.importorskip("tinygrad_edu.nn")
    result = run_viz("--mnist", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    svg = (tmp_path / "mnist.svg").read_text(encoding="utf-8")
    assert "0: Linear" in svg and "2: Linear" in svg and "weight (128, 784)" in svg
    assert (tmp_path / "mnist.png").stat().st_size > 1000


def test_cli_expression_error_shows_caret_and_exits_2(tmp_path):
    result = run_viz("tanh(a*b + ) * a", "--values", "a=2,b=-3,c=10", "--out", str(tmp_path))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert lines[0].startswith("error at column 12:")
    assert lines[1] == "  tanh(a*b + ) * a"
    assert lines[2] == "  " + " " * 11 + "^"


def test_cli_unknown_name_and_bad_values_exit_2(tmp_path):
    result = run_viz("a * zeta", "--values", "a=2", "--out", str(tmp_path))
    assert result.returncode == 2 and "no value for 'zeta'" in result.stderr and "Traceback" not in result.stderr
    result = run_viz("a * 2", "--values", "a=x", "--out", str(tmp_path))
    assert result.returncode == 2 and "not a number" in result.stderr
    result = run_viz("--out", str(tmp_path))
    assert result.returncode == 2 and "give an expression" in result.stderr


def test_cli_without_dot_says_how_to_install(tmp_path):
    empty = tmp_path / "empty-path"
    empty.mkdir()
    result = run_viz("a*b", "--values", "a=1,b=2", "--out", str(tmp_path / "out"), env={"PATH": str(empty)})
    assert result.returncode == 3
    assert "apt-get install graphviz" in result.stderr and "Traceback" not in result.stderr


def test_deep_nesting_is_an_error_not_a_crash():
    with pytest.raises(ExpressionError, match="too long or nested too deeply"):
        parse("(" * 500 + "a" + ")" * 500)
    with pytest.raises(ExpressionError, match="too long or nested too deeply"):
        parse("a" + "+a" * 500)
    assert value_of("a" + "+a" * 50, a=1.0) == 51.0
