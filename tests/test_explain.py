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


# ----- factors of 1 and float32 values ---------------------------------------------------------


def test_every_link_is_printed_factors_of_one_too_and_float32_prints_as_float32():
    x = Tensor(np.float32(0.5), name="x")
    w = Tensor(np.float32(0.3295), requires_grad=True, name="w")
    v = Tensor(np.float32(1.3), requires_grad=True, name="v")
    loss = ((x * w + 0.1).tanh() * v - 1.0) ** 2
    explanation = tg.explain(loss, w, show=False)
    locals_ = [edge.local_derivative for edge in explanation.paths[0].edges]
    assert 1.0 in locals_  # the Add and the Sub are there ...
    text = str(explanation)
    assert " × 1 × " in text  # ... and printed: the chain visibly telescopes
    symbols = text.splitlines()[3].split(" · ")
    assert len(symbols) == len(locals_)
    for outer, inner in zip(symbols, symbols[1:]):  # ∂L/∂t · ∂t/∂d · ∂d/∂…: each link starts where the last ended
        assert outer.strip().split("/∂")[1] == inner.strip().split("/")[0][1:], (outer, inner)
    assert repr(locals_[2]) == "1.3"  # float32 1.3, not 1.2999999523162842
    assert repr(locals_[-1]) == "0.5"
    assert explanation.matches


# ----- element=(i, j): the matrix chain rule, element by element --------------------------------


def matrix_mlp(rng, dtype=np.float64):
    X = Tensor(rng.normal(size=(5, 3)).astype(dtype), name="X")
    W1 = Tensor(rng.normal(size=(3, 4)).astype(dtype), requires_grad=True, name="W1")
    W2 = Tensor(rng.normal(size=(4, 2)).astype(dtype), requires_grad=True, name="W2")
    h = X @ W1
    h.name = "h"
    a = h.relu()
    a.name = "a"
    logits = a @ W2
    logits.name = "logits"
    loss = tg.nn.functional.cross_entropy(logits, np.array([0, 1, 1, 0, 1]))
    loss.name = "loss"
    return X, W1, W2, h, a, loss


@pytest.mark.parametrize("which, element", [("W1", (1, 2)), ("W1", (0, 0)), ("W2", (3, 1)), ("W2", (0, 0))])
def test_element_paths_sum_to_the_gradient_element(which, element):
    X, W1, W2, h, a, loss = matrix_mlp(np.random.default_rng(0))
    leaf = {"W1": W1, "W2": W2}[which]
    explanation = tg.explain(loss, leaf, element=element, show=False)
    loss.backward(retain_graph=True)
    expected = leaf.grad.data[element]
    assert explanation.omitted == 0
    assert sum(path.product for path in explanation.paths) == pytest.approx(expected, rel=1e-10, abs=1e-14)
    assert sum(group.contribution for group in explanation.groups) == pytest.approx(expected, rel=1e-10, abs=1e-14)
    assert explanation.gradient == pytest.approx(expected, rel=1e-12)
    assert explanation.matches
    for path in explanation.paths:
        assert path.tensors[0] is loss and path.tensors[-1] is leaf
        assert path.edges[-1].parent_index == element
        assert all(ctx is tensor.grad_fn for ctx, tensor in zip(path.contexts, path.tensors))
    assert f"∂loss/∂{which}[{element[0]}, {element[1]}]" in str(explanation)


def test_grouped_by_batch_row_the_paths_are_x_transpose_times_g():
    """∂L/∂W1[i, j] = Σ_b X[b, i] · ∂L/∂h[b, j]: one group per batch row b whose h[b, j] matters
    (a row whose ReLU is off has ∂L/∂h[b, j] = 0 and no path)."""
    X, W1, W2, h, a, loss = matrix_mlp(np.random.default_rng(1))
    i, j = 2, int(np.argmax((h.data > 0).sum(axis=0)))  # the hidden unit on in the most rows
    explanation = tg.explain(loss, W1, element=(i, j), show=False)
    (G,) = tg.grad(loss, h, retain_graph=True)
    rows = [group.index[0] for group in explanation.groups]
    assert all(group.tensor is h and group.index[1] == j for group in explanation.groups)
    live = [b for b in range(5) if h.data[b, j] > 0]  # rows whose ReLU passes h[b, j] on
    assert rows == live and len(live) >= 2
    for group in explanation.groups:
        assert group.local_derivative == X.data[group.index[0], i]
        assert group.upstream == pytest.approx(G.data[group.index[0], j])
    assert sum(group.contribution for group in explanation.groups) == pytest.approx((X.data.T @ G.data)[i, j])
    text = str(explanation)
    assert "grouped by node" in text and f"via h[0, {j}] (MatMul" in text


def test_dead_relu_branches_are_named_not_followed():
    X, W1, W2, h, a, loss = matrix_mlp(np.random.default_rng(0))
    j = 2
    off_rows = [b for b in range(5) if h.data[b, j] <= 0]
    assert off_rows, "the example needs a ReLU that is off"
    explanation = tg.explain(loss, W1, element=(1, j), show=False)
    stopped = [(tensor.name, index) for tensor, index, _ in explanation.stopped]
    assert set(stopped) == {("a", (b, j)) for b in off_rows}
    assert explanation.total_paths == (5 - len(off_rows)) * 2  # each live row reaches both logits
    assert "pass a local derivative of 0" in str(explanation)


def test_a_linear_layer_bias_gradient_is_a_sum_over_the_batch_rows():
    rng = np.random.default_rng(2)
    layer = tg.nn.Linear(3, 2)
    layer.weight.data = rng.normal(size=(2, 3))
    layer.bias.data = rng.normal(size=2)
    x = Tensor(rng.normal(size=(4, 3)))
    loss = (layer(x).tanh() ** 2).sum()
    explanation = tg.explain(loss, layer.bias, element=1, show=False)
    assert [group.index for group in explanation.groups] == [(0, 1), (1, 1), (2, 1), (3, 1)]
    assert all(group.local_derivative == 1 for group in explanation.groups)
    loss.backward(retain_graph=True)
    assert explanation.path_sum == pytest.approx(layer.bias.grad.data[1])
    weight = tg.explain(loss, layer.weight, element=(0, 2), show=False)
    assert weight.path_sum == pytest.approx(layer.weight.grad.data[0, 2])
    assert [group.local_derivative for group in weight.groups] == list(x.data[:, 2])


def test_many_element_paths_are_capped_and_the_groups_stay_complete():
    X, W1, W2, h, a, loss = matrix_mlp(np.random.default_rng(3))
    deeper = (a @ W2).tanh().sum() + loss
    explanation = tg.explain(deeper, W1, element=(0, 1), max_paths=3, show=False)
    assert len(explanation.paths) == 3 and explanation.omitted == explanation.total_paths - 3
    (expected,) = tg.grad(deeper, W1, retain_graph=True)
    assert sum(group.contribution for group in explanation.groups) == pytest.approx(expected.data[0, 1])
    assert explanation.matches
    assert "more paths omitted" in str(explanation)


def test_element_of_an_output_element_and_float32():
    rng = np.random.default_rng(4)
    x = Tensor(rng.normal(size=(2, 3)).astype(np.float32), requires_grad=True, name="x")
    w = Tensor(rng.normal(size=(3, 3)).astype(np.float32), requires_grad=True, name="w")
    y = (x @ w).softmax(axis=1)
    explanation = tg.explain(y, w, index=(1, 2), element=(0, 1), show=False)
    seed = np.zeros((2, 3), dtype=np.float32)
    seed[1, 2] = 1
    (expected,) = tg.grad(y, w, grad_outputs=seed, retain_graph=True)
    assert explanation.gradient == pytest.approx(float(expected.data[0, 1]), rel=1e-6)
    assert explanation.path_sum == pytest.approx(float(expected.data[0, 1]), rel=1e-5)
    assert all(path.tensors[0] is y and path.edges[0].child_index == (1, 2) for path in explanation.paths)
    assert "∂y[1, 2]/∂w[0, 1]" in str(explanation).replace("t2[1, 2]", "y[1, 2]")


class SquareWithoutJvp(tg.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * 2 * x


def test_element_paths_through_an_op_without_jvp_use_its_backward():
    rng = np.random.default_rng(5)
    w = Tensor(rng.normal(size=(2, 2)), requires_grad=True, name="w")
    x = Tensor(rng.normal(size=(3, 2)))
    loss = SquareWithoutJvp.apply(x @ w).sum()
    explanation = tg.explain(loss, w, element=(1, 0), show=False)
    (expected,) = tg.grad(loss, w, retain_graph=True)
    assert explanation.path_sum == pytest.approx(expected.data[1, 0])
    assert explanation.total_paths == 3


def test_element_must_pick_one_element_of_the_leaf():
    X, W1, W2, h, a, loss = matrix_mlp(np.random.default_rng(0))
    with pytest.raises(IndexError, match=r"element=\(1,\) does not pick one element of the leaf of shape \(3, 4\)"):
        tg.explain(loss, W1, element=(1,), show=False)
    with pytest.raises(IndexError, match="give 2 indices"):
        tg.explain(loss, W1, element=(3, 0), show=False)


def test_a_tensor_used_twice_by_one_op_is_one_link_per_use():
    a = Tensor(np.float64(2.0), requires_grad=True, name="a")
    b = Tensor(np.float64(-3.0), requires_grad=True, name="b")
    e = a * b
    e.name = "e"
    bb = b * b
    bb.name = "bb"
    loss = e + bb
    loss.name = "L"
    text = str(tg.explain(loss, b, show=False))
    assert "∂bb/∂b (1st use)" in text and "∂bb/∂b (2nd use)" in text  # a share each: ∂bb/∂b itself is 2b = −6
    assert "∂L/∂bb · ∂bb/∂b\n" not in text
