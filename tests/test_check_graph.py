"""tg.check_graph: every op checked alone; the wrong one named, kinks flagged as kinks."""

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import Function, Tensor
from tinygrad_edu.nn import functional as F


class GoodSigmoid(Function):
    @staticmethod
    def forward(ctx, x):
        y = 1 / (1 + np.exp(-x))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad_output):
        (y,) = ctx.saved_tensors
        return grad_output * y * (1 - y)


class ForgetfulSigmoid(GoodSigmoid):
    """σ(x), with a planted bug: the backward forgets the factor (1 − y)."""

    @staticmethod
    def backward(ctx, grad_output):
        (y,) = ctx.saved_tensors
        return grad_output * y


class GenerousReLU(Function):
    """ReLU whose backward passes 5·grad where x ≤ 0: wrong even as a kink convention."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x > 0)
        return np.maximum(x, 0)

    @staticmethod
    def backward(ctx, grad_output):
        (positive,) = ctx.saved_tensors
        return grad_output * (positive * 1.0 + (1 - positive * 1.0) * 5)


def inputs(seed=0):
    rng = np.random.default_rng(seed)
    x = Tensor(rng.normal(size=(4, 3)).astype(np.float32), requires_grad=True, name="x")
    w = Tensor(rng.normal(size=(3, 5)).astype(np.float32), requires_grad=True, name="w")
    b = Tensor(rng.normal(size=5).astype(np.float32), requires_grad=True, name="b")
    return x, w, b


def model_with(sigmoid):
    """About ten ops: matmul, add, relu, mul, the sigmoid, log_softmax, indexing, mean, a penalty."""

    def model(x, w, b):
        h = (x @ w + b).tanh()
        s = sigmoid.apply(h * 2)
        log_p = s.log_softmax(axis=1)
        return -log_p[:, 0].mean() + (w * w).sum() * 0.01

    return model


def test_the_planted_wrong_op_is_named_with_its_line():
    report = tg.check_graph(model_with(ForgetfulSigmoid), *inputs())
    assert 9 <= len(report.rows) <= 14
    assert not report.ok
    failure = report.first_failure
    assert failure.name == "ForgetfulSigmoid"
    assert [row.name for row in report.rows if row.status == "FAIL"] == ["ForgetfulSigmoid"]
    assert failure.input_index == 0
    assert failure.rel_error > 0.1
    assert abs(failure.analytic - failure.numerical) == pytest.approx(failure.abs_error)
    assert "sigmoid.apply(h * 2)" in failure.source  # the user's line, recorded while fn ran
    text = str(report)
    assert "FAIL" in text and "first failure: ForgetfulSigmoid" in text


def test_the_planted_wrong_op_is_found_from_a_tensor_too():
    loss = model_with(ForgetfulSigmoid)(*inputs())
    report = tg.check_graph(loss)
    assert report.first_failure.name == "ForgetfulSigmoid"
    assert all(row.status == "ok" for row in report.rows if row.name != "ForgetfulSigmoid")


def test_correct_graphs_pass():
    report = tg.check_graph(model_with(GoodSigmoid), *inputs(1))
    assert report.ok, str(report)
    assert all(row.status == "ok" for row in report.rows)

    rng = np.random.default_rng(2)
    images = Tensor(rng.normal(size=(6, 8)), name="images")
    targets = np.array([0, 1, 2, 1, 0, 2])
    w1 = Tensor(rng.normal(size=(8, 5)) * 0.5, requires_grad=True)
    w2 = Tensor(rng.normal(size=(5, 3)) * 0.5, requires_grad=True)

    def mlp(w1, w2):
        hidden = (images @ w1).sigmoid()
        logits = hidden @ w2
        return F.cross_entropy(logits, targets) + logits.max(axis=1).mean() + hidden.sqrt().sum()

    report = tg.check_graph(mlp, w1, w2)
    assert report.ok, str(report)
    assert {"MatMul", "Sigmoid", "Max", "Sqrt"} <= {row.name for row in report.rows}


def test_relu_at_exactly_zero_is_a_kink_not_an_error():
    z = Tensor(np.array([0.0, 1.5, -2.0]), requires_grad=True, name="z")
    report = tg.check_graph(lambda z: (z.relu() * 3.0).sum(), z)
    assert report.ok
    relu = next(row for row in report.rows if row.name == "ReLU")
    assert relu.status == "kink"
    assert relu.element == (0,)
    assert relu.left == pytest.approx(0.0, abs=1e-6)
    assert relu.right != pytest.approx(0.0, abs=1e-3)
    assert "kink (not an error): ReLU" in str(report)


def test_other_kinks_are_flagged_but_pass():
    z = Tensor(np.array([0.0, 1.0, 0.5]), requires_grad=True)
    other = Tensor(np.array([0.0, 2.0, 3.0]))
    report = tg.check_graph(lambda z: z.abs().sum() + z.maximum(other).sum() + z.clip(-1, 0.5).sum(), z)
    assert report.ok
    assert {row.name for row in report.kinks} == {"Abs", "Maximum", "Clip"}


def test_a_wrong_derivative_at_a_kink_is_still_an_error():
    z = Tensor(np.array([0.0, 1.5, -2.0]), requires_grad=True)
    report = tg.check_graph(lambda z: GenerousReLU.apply(z).sum(), z)
    assert not report.ok
    assert report.first_failure.name == "GenerousReLU"
    assert report.first_failure.status == "FAIL"


def test_function_apply_is_restored_even_after_an_error():
    original = Function.__dict__["apply"]

    def broken(x):
        x.exp()
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        tg.check_graph(broken, Tensor(np.ones(2), requires_grad=True))
    assert Function.__dict__["apply"] is original


def test_without_a_graph_the_error_says_what_to_do():
    with pytest.raises(ValueError, match="requires_grad=True"):
        tg.check_graph(lambda x: x * 2, Tensor(np.ones(2)))


def test_from_a_tensor_every_op_is_rerun_with_the_settings_its_context_keeps():
    x = Tensor(np.array([-2.0, 0.3, 2.0]), requires_grad=True)
    report = tg.check_graph((x.clip(-1, 1) * 2).sum())
    clip = report.rows[0]
    assert clip.name == "Clip" and clip.ctx.settings == {"low": -1, "high": 1}
    assert [row.status for row in report.rows] == ["ok", "ok", "ok"]
    recorded = tg.check_graph(lambda x: (x.clip(-1, 1) * 2).sum(), x)  # the same, with source lines
    assert [row.status for row in recorded.rows] == ["ok", "ok", "ok"]
    assert "x.clip(-1, 1)" in recorded.rows[0].source
