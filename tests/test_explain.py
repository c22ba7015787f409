"""tg.explain: the sum over paths of products of local derivatives equals the gradient."""

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import Tensor


def scalar(value, name):
    return Tensor(np.float64(value), requires_grad=True, name=name)


def test_fan_out_paths_are_listed_with_their_products_and_sum_to_the_gradient():
    a = scalar(3.0, "a")
    b = a * a
    c = b * a + a
    explanation = tg.explain(c, a, show=False)
    assert explanation.total_paths == 4
    assert explanation.omitted == 0
    assert [path.product for path in explanation.paths] == [9.0, 9.0, 9.0, 1.0]
    assert [[edge.local_derivative for edge in path.edges] for path in explanation.paths] == [
        [1.0, 3.0, 3.0],
        [1.0, 3.0, 3.0],
        [1.0, 9.0],
        [1.0],
    ]
    assert explanation.path_sum == pytest.approx(28.0)  # ∂(a³ + a)/∂a = 3a² + 1
    assert explanation.gradient == pytest.approx(28.0)
    assert explanation.matches
    text = str(explanation)
    assert "9 + 9 + 9 + 1 = 28" in text
    assert "they agree" in text


def test_explain_prints_by_default(capsys):
    a = scalar(2.0, "a")
    b = scalar(-3.0, "b")
    c = scalar(10.0, "c")
    y = (a * b + c).tanh() * a
    tg.explain(y, a)
    printed = capsys.readouterr().out
    assert "∂" in printed and "paths" in printed and "they agree" in printed


@pytest.mark.parametrize(
    "build",
    [
        lambda a, b: (a * b + a.sin()).exp() / (b * b + 1),
        lambda a, b: (a - b).abs() * a.sigmoid() + (a**2).log(),
        lambda a, b: (a * b).relu() + a.maximum(b) * a.sqrt(),
        lambda a, b: ((a * b).tanh() * (a + b).cos()) ** 2,
    ],
)
def test_path_sum_equals_the_gradient_on_scalar_graphs(build):
    a = scalar(0.7, "a")
    b = scalar(-1.3, "b")
    out = build(a, b)
    for leaf in (a, b):
        explanation = tg.explain(out, leaf, show=False)
        products = sum(path.product for path in explanation.paths)
        (expected,) = tg.grad(out, leaf, retain_graph=True)
        assert products == pytest.approx(float(expected.data), rel=1e-9)
        assert explanation.matches


def test_paths_expose_tensors_and_contexts_for_drawing():
    a = scalar(2.0, "a")
    b = a * a
    b.name = "b"
    c = b + a
    explanation = tg.explain(c, a, show=False)
    first = explanation.paths[0]
    assert first.tensors[0] is c and first.tensors[1] is b and first.tensors[-1] is a
    assert [ctx.name for ctx in first.contexts] == ["Add", "Mul"]
    assert all(ctx is tensor.grad_fn for ctx, tensor in zip(first.contexts, first.tensors))


def test_elementwise_tensor_paths_pick_the_element_and_match_the_gradient():
    x = Tensor(np.array([0.5, -1.0, 2.0]), requires_grad=True, name="x")
    y = (x * x).tanh() * x
    explanation = tg.explain(y, x, index=1, show=False)
    assert all(path.elementwise for path in explanation.paths)
    gradient = np.zeros(3)
    gradient[1] = sum(path.product for path in explanation.paths)
    (expected,) = tg.grad(y, x, grad_outputs=Tensor(np.array([0.0, 1.0, 0.0])), retain_graph=True)
    np.testing.assert_allclose(gradient, expected.data, rtol=1e-9)
    assert explanation.matches


def test_non_elementwise_paths_report_contributions_that_sum_to_the_gradient():
    rng = np.random.default_rng(0)
    x = Tensor(rng.normal(size=3), requires_grad=True, name="x")
    w = Tensor(rng.normal(size=(3, 2)), requires_grad=True, name="W")
    h = (x @ w).tanh()
    out = (h * h).sum() + (x.exp().sum() * x).softmax()[0]
    explanation = tg.explain(out, x, show=False)
    assert not all(path.elementwise for path in explanation.paths)
    (expected,) = tg.grad(out, x, retain_graph=True)
    np.testing.assert_allclose(explanation.path_sum, expected.data, rtol=1e-9, atol=1e-12)
    by_node = sum(node.contribution for node in explanation.by_node)
    np.testing.assert_allclose(by_node, expected.data, rtol=1e-9, atol=1e-12)
    assert "not elementwise" in str(explanation)


def test_many_paths_are_capped_and_grouped_by_node():
    x = scalar(0.9, "x")
    w = x
    for _ in range(10):
        w = w * x + w  # the number of paths doubles at every step
    explanation = tg.explain(w, x, max_paths=5, show=False)
    assert len(explanation.paths) == 5
    assert explanation.total_paths > 1000
    assert explanation.omitted == explanation.total_paths - 5
    (expected,) = tg.grad(w, x, retain_graph=True)
    assert sum(node.contribution for node in explanation.by_node) == pytest.approx(float(expected.data))
    assert explanation.matches
    assert f"{explanation.omitted} more paths omitted" in str(explanation)


def test_errors_say_what_to_do():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = x * 2
    with pytest.raises(ValueError, match="index="):
        tg.explain(y, x, show=False)
    total = y.sum()
    with pytest.raises(ValueError, match="the leaf itself"):
        tg.explain(total, total, show=False)
    unrelated = Tensor(1.0, requires_grad=True)
    with pytest.raises(ValueError, match="does not depend"):
        tg.explain(y.sum(), unrelated, show=False)
    loss = (x * x).sum()
    loss.backward()
    with pytest.raises(tg.BackwardError, match="retain_graph"):
        tg.explain(loss, x, show=False)
