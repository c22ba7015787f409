"""The one printer of expression text (viz/names.py): what it writes, read back by Python with
the leaf values, is the value the engine computed. Property-tested on random expression trees."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reading import agrees

import tinygrad_edu as tg
import viz.names
from viz.graph import graph_structure

LEAVES = {"a": 1.5, "b": -0.75, "c": 2.0}
CONSTANTS = [2.0, -3.0, 0.5, -1.0, 1.0]

UNARY = {
    "neg": lambda x: -x,
    "exp": lambda x: (x * 0.1).exp(),
    "tanh": lambda x: x.tanh(),
    "sigmoid": lambda x: x.sigmoid(),
    "sin": lambda x: x.sin(),
    "abs": lambda x: x.abs(),
    "square": lambda x: x**2,
    "cube": lambda x: x**3,
    "named": None,  # the result gets a user's name with an operator in it
}
BINARY = {
    "add": lambda x, y: x + y,
    "sub": lambda x, y: x - y,
    "mul": lambda x, y: x * y,
    "div": lambda x, y: x / (y * y + 1),
    "power": lambda x, y: (x * x + 1) ** (y * 0.1),
}

trees = st.recursive(
    st.one_of(st.sampled_from(sorted(LEAVES)), st.sampled_from(CONSTANTS)),
    lambda children: st.one_of(
        st.tuples(st.sampled_from(sorted(UNARY)), children),
        st.tuples(st.sampled_from(sorted(BINARY)), children, children),
    ),
    max_leaves=7,
)


def build(tree, leaves: dict[str, tg.Tensor], counter: list[int]) -> tg.Tensor:
    if isinstance(tree, str):
        return leaves[tree]
    if isinstance(tree, float):
        return tg.Tensor(np.array(tree))
    if len(tree) == 2:
        operand = build(tree[1], leaves, counter)
        if tree[0] == "named":
            counter[0] += 1
            result = operand + counter[0]
            result.name = f"n{counter[0]}+q"  # an odd name: it must be parenthesised where used
            return result
        return UNARY[tree[0]](operand)
    return BINARY[tree[0]](build(tree[1], leaves, counter), build(tree[2], leaves, counter))


@settings(max_examples=60, deadline=None)
@given(trees)
def test_every_printed_expression_evaluates_to_its_value(tree):
    leaves = {name: tg.Tensor(np.array(value), requires_grad=True, name=name) for name, value in LEAVES.items()}
    root = build(tree, leaves, [0]) * 1.0
    if root.grad_fn is None:
        return
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(viz.names, "MAX_EXPRESSION_CHARS", 10_000)  # no "…": every text is whole
        structure = graph_structure(root)
    # What the graph shows: every node's text beside its value.
    known = {structure.display_name(tensor): float(tensor.item()) for tensor in structure.values}
    texts = set()
    for tensor in structure.values:
        text = structure.display_name(tensor)
        assert text not in texts or tensor.grad_fn is None, f"two nodes called {text}"
        texts.add(text)
        if tensor.name:
            continue
        values = {name: v for name, v in known.items() if name != text}
        text = re.sub(r"[₀-₉]+$", "", text)  # exp(x)₂ is the second exp(x)
        assert agrees(text, values, tensor.item()), f"{text} is not {tensor.item()}"  # constants print 4 digits


def test_the_examples_of_the_issue_keep_their_parentheses():
    names = {name: tg.Tensor(np.array(value), requires_grad=True, name=name) for name, value in LEAVES.items()}
    a, b, c = names["a"], names["b"], names["c"]
    one = tg.Tensor(np.array(1.0))
    cases = {
        "(a − b)²": (a - b) ** 2,
        "(a + b)·c": (a + b) * c,
        "−(a − b)": -(a - b),
        "1/(1 + exp(−a))": one / (one + (-a).exp()),
        "a − (b − c)": a - (b - c),
        "a/(b·c)": a / (b * c),
        "(−a)²": (-a) ** 2,
        "a·(−3)": a * -3.0,
    }
    for text, tensor in cases.items():
        assert graph_structure(tensor).display_name(tensor) == text


def test_repeated_sub_expressions_are_numbered_and_what_uses_them_says_which():
    x = tg.Tensor(np.array(0.5), requires_grad=True, name="x")
    one = tg.Tensor(np.array(1.0))
    f = x.exp() / (one + x.exp())
    structure = graph_structure(f)
    texts = [structure.display_name(tensor) for tensor in structure.values]
    assert "exp(x)₁" in texts and "exp(x)₂" in texts and "1 + exp(x)₂" in texts
    assert structure.display_name(f) == "exp(x)₁/(1 + exp(x)₂)"


def test_the_reshapes_of_a_matrix_times_a_vector_are_not_drawn():
    W = tg.Tensor(np.ones((2, 3)), requires_grad=True, name="W")
    x = tg.Tensor(np.arange(3.0), requires_grad=True, name="x")
    y = W @ x
    y.name = "y"
    structure = graph_structure(y.sum())
    assert [ctx.name for _, ctx, _ in structure.ops] == ["MatMul", "Sum"]
    assert [structure.display_name(tensor) for tensor in structure.values] == ["W", "x", "y", "sum(y)"]
    assert "reshape" not in viz.draw_graph(y.sum()).source
