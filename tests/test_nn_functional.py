"""Losses, softmax and dropout in tg.nn.functional: forward against NumPy formulas, gradients
against central differences (first and second order, float64, random upstream gradient)."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu import DTypeError, ShapeError, Tensor

RNG_SEED = 1234


def np_log_softmax(x: np.ndarray) -> np.ndarray:
    shifted = x - x.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def np_reduce(losses: np.ndarray, reduction: str) -> np.ndarray:
    return {"mean": np.mean, "sum": np.sum, "none": np.asarray}[reduction](losses)


def np_cross_entropy(logits, targets, reduction="mean", label_smoothing=0.0):
    """PyTorch's definition: (1 − ε)·NLL + ε·(mean over classes of −log p)."""
    log_p = np_log_softmax(logits)
    nll = -log_p[np.arange(len(targets)), targets]
    smooth = -log_p.mean(axis=1)
    return np_reduce((1 - label_smoothing) * nll + label_smoothing * smooth, reduction)


def np_bce(p, y, reduction="mean"):
    return np_reduce(-(y * np.maximum(np.log(p), -100) + (1 - y) * np.maximum(np.log(1 - p), -100)), reduction)


def np_bce_with_logits_naive(x, y, reduction="mean"):
    s = 1 / (1 + np.exp(-x))
    return np_reduce(-(y * np.log(s) + (1 - y) * np.log(1 - s)), reduction)


@pytest.fixture
def rng():
    return np.random.default_rng(RNG_SEED)


REDUCTIONS = ["mean", "sum", "none"]


# ----- cross_entropy -----------------------------------------------------------------------------


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("label_smoothing", [0.0, 0.1, 0.6])
def test_cross_entropy_forward_matches_numpy(rng, reduction, label_smoothing):
    logits = rng.normal(size=(6, 5)) * 3
    targets = rng.integers(0, 5, size=6)
    loss = F.cross_entropy(Tensor(logits), targets, reduction=reduction, label_smoothing=label_smoothing)
    expected = np_cross_entropy(logits, targets, reduction, label_smoothing)
    np.testing.assert_allclose(loss.data, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("label_smoothing", [0.0, 0.25])
def test_cross_entropy_gradcheck_and_gradgradcheck(rng, reduction, label_smoothing):
    logits = Tensor(rng.normal(size=(4, 3)), requires_grad=True)
    targets = np.array([0, 2, 1, 2])

    def fn(x):
        return F.cross_entropy(x, targets, reduction=reduction, label_smoothing=label_smoothing)

    assert tg.gradcheck(fn, [logits])
    assert tg.gradgradcheck(fn, [logits])


def test_cross_entropy_gradient_is_softmax_minus_onehot_over_n(rng):
    logits = Tensor(rng.normal(size=(5, 4)), requires_grad=True)
    targets = np.array([3, 0, 0, 2, 1])
    F.cross_entropy(logits, targets).backward()
    softmax = np.exp(np_log_softmax(logits.data))
    expected = (softmax - np.eye(4)[targets]) / 5
    np.testing.assert_allclose(logits.grad.data, expected, rtol=1e-12, atol=1e-14)


def test_cross_entropy_is_one_op_in_the_graph(rng):
    loss = F.cross_entropy(Tensor(rng.normal(size=(2, 3)), requires_grad=True), np.array([0, 1]))
    assert loss.grad_fn.name == "CrossEntropy"


def test_cross_entropy_huge_logits_stay_finite():
    logits = Tensor(np.array([[1e4, 0.0, -1e4], [-1e4, 1e4, 0.0]], dtype=np.float32), requires_grad=True)
    loss = F.cross_entropy(logits, np.array([1, 1]))
    loss.backward()
    assert np.isfinite(loss.data) and np.isfinite(logits.grad.data).all()
    # row 0: target logit 0 is 1e4 below the max -> loss 1e4; row 1: the target wins -> loss 0
    np.testing.assert_allclose(loss.data, (1e4 + 0.0) / 2, rtol=1e-6)
    np.testing.assert_allclose(logits.grad.data, [[0.5, -0.5, 0.0], [0.0, 0.0, 0.0]], atol=1e-7)


def test_cross_entropy_keeps_float32(rng):
    logits = Tensor(rng.normal(size=(8, 10)).astype(np.float32), requires_grad=True)
    loss = F.cross_entropy(logits, rng.integers(0, 10, size=8))
    loss.backward()
    assert loss.dtype == np.float32 and logits.grad.dtype == np.float32


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.2])
def test_cross_entropy_leaves_the_logits_untouched_in_either_memory_order(rng, order, label_smoothing):
    # forward works on a class-major array of its own: a column-major input, whose transpose is
    # already class-major, must be read and not written
    values = rng.normal(size=(6, 4))
    logits = Tensor(np.array(values, order=order), requires_grad=True)
    targets = np.array([0, 3, 1, 2, 2, 0])
    loss = F.cross_entropy(logits, targets, label_smoothing=label_smoothing)
    loss.backward()
    np.testing.assert_array_equal(logits.data, values)
    np.testing.assert_allclose(loss.data, np_cross_entropy(values, targets, "mean", label_smoothing), rtol=1e-12)
    q = (1 - label_smoothing) * np.eye(4)[targets] + label_smoothing / 4
    np.testing.assert_allclose(logits.grad.data, (np.exp(np_log_softmax(values)) - q) / 6, rtol=1e-12, atol=1e-15)


def test_cross_entropy_of_integer_logits_is_computed_in_floats():
    logits = np.array([[1, 2, 0], [3, 1, 1]])
    targets = np.array([0, 1])
    loss = F.cross_entropy(Tensor(logits), targets)
    assert loss.dtype == np.float64
    np.testing.assert_allclose(loss.data, np_cross_entropy(logits.astype(np.float64), targets), rtol=1e-12)


def test_cross_entropy_label_smoothing_uniform_logits():
    # uniform logits: log p = −ln C everywhere, so every smoothing gives ln C
    loss = F.cross_entropy(Tensor(np.zeros((3, 4))), np.array([0, 1, 2]), label_smoothing=0.3)
    np.testing.assert_allclose(loss.data, np.log(4))


def test_cross_entropy_accepts_integer_tensor_targets(rng):
    logits = rng.normal(size=(3, 4))
    targets = np.array([1, 0, 3])
    from_tensor = F.cross_entropy(Tensor(logits), Tensor(targets))
    from_array = F.cross_entropy(Tensor(logits), targets)
    np.testing.assert_allclose(from_tensor.data, from_array.data)


def test_cross_entropy_module_matches_functional(rng):
    logits = Tensor(rng.normal(size=(3, 4)))
    targets = np.array([1, 0, 3])
    loss = tg.nn.CrossEntropyLoss(reduction="sum", label_smoothing=0.1)(logits, targets)
    np.testing.assert_allclose(loss.data, np_cross_entropy(logits.data, targets, "sum", 0.1))


def test_cross_entropy_bad_targets_get_clear_errors(rng):
    logits = Tensor(rng.normal(size=(3, 4)))
    with pytest.raises(DTypeError, match="integer class indices.*float64"):
        F.cross_entropy(logits, np.array([0.0, 1.0, 2.0]))
    with pytest.raises(IndexError, match=r"target 4 is out of range.*\[0, 3\]"):
        F.cross_entropy(logits, np.array([0, 4, 1]))
    with pytest.raises(IndexError, match="target -1"):
        F.cross_entropy(logits, np.array([0, -1, 1]))
    with pytest.raises(ShapeError, match=r"targets of shape \(2,\).*\(3, 4\).*\(3,\)"):
        F.cross_entropy(logits, np.array([0, 1]))
    with pytest.raises(ShapeError, match=r"\(N, C\)"):
        F.cross_entropy(Tensor(rng.normal(size=(4,))), np.array([0]))
    with pytest.raises(ValueError, match="reduction must be one of"):
        F.cross_entropy(logits, np.array([0, 1, 2]), reduction="avg")


# ----- nll_loss, log_softmax, softmax ------------------------------------------------------------


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_of_log_softmax_equals_cross_entropy(rng, reduction):
    logits = Tensor(rng.normal(size=(5, 3)), requires_grad=True)
    targets = np.array([0, 2, 2, 1, 0])
    nll = F.nll_loss(F.log_softmax(logits, axis=1), targets, reduction=reduction)
    np.testing.assert_allclose(nll.data, np_cross_entropy(logits.data, targets, reduction), rtol=1e-12)
    assert tg.gradcheck(lambda x: F.nll_loss(x, targets, reduction=reduction), [logits])
    assert tg.gradgradcheck(lambda x: F.nll_loss(F.log_softmax(x, dim=1), targets, reduction=reduction), [logits])


def test_softmax_and_log_softmax(rng):
    x = rng.normal(size=(3, 4))
    np.testing.assert_allclose(F.log_softmax(Tensor(x), axis=1).data, np_log_softmax(x), rtol=1e-12)
    np.testing.assert_allclose(F.softmax(Tensor(x), axis=1).data, np.exp(np_log_softmax(x)), rtol=1e-12)
    np.testing.assert_allclose(F.softmax(Tensor(x), axis=0).data.sum(axis=0), 1.0)


# ----- mse_loss ----------------------------------------------------------------------------------


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_mse_loss(rng, reduction):
    x = Tensor(rng.normal(size=(3, 4)), requires_grad=True)
    y = Tensor(rng.normal(size=(3, 4)), requires_grad=True)
    expected = np_reduce((x.data - y.data) ** 2, reduction)
    np.testing.assert_allclose(F.mse_loss(x, y, reduction).data, expected, rtol=1e-12)
    assert tg.gradcheck(lambda a, b: F.mse_loss(a, b, reduction), [x, y])
    assert tg.gradgradcheck(lambda a, b: F.mse_loss(a, b, reduction), [x, y])
    np.testing.assert_allclose(tg.nn.MSELoss(reduction)(x, y).data, expected, rtol=1e-12)


def test_mse_loss_shape_mismatch_is_an_error(rng):
    with pytest.raises(ShapeError, match=r"\(3, 4\).*\(4,\)"):
        F.mse_loss(Tensor(rng.normal(size=(3, 4))), Tensor(rng.normal(size=(4,))))


# ----- binary cross-entropy --------------------------------------------------------------------


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy(rng, reduction):
    p = Tensor(rng.uniform(0.05, 0.95, size=(3, 4)), requires_grad=True)
    y = Tensor(rng.uniform(0, 1, size=(3, 4)), requires_grad=True)
    expected = np_bce(p.data, y.data, reduction)
    np.testing.assert_allclose(F.binary_cross_entropy(p, y, reduction).data, expected, rtol=1e-12)
    np.testing.assert_allclose(tg.nn.BCELoss(reduction)(p, y).data, expected, rtol=1e-12)
    assert tg.gradcheck(lambda a, b: F.binary_cross_entropy(a, b, reduction), [p, y])
    assert tg.gradgradcheck(lambda a, b: F.binary_cross_entropy(a, b, reduction), [p, y])


def test_binary_cross_entropy_clamps_log_at_minus_100():
    p = Tensor(np.array([0.0, 1.0, 0.0, 1.0]), requires_grad=True)
    y = np.array([1.0, 0.0, 0.0, 1.0])
    loss = F.binary_cross_entropy(p, y, reduction="none")
    np.testing.assert_allclose(loss.data, [100.0, 100.0, 0.0, 0.0])
    loss.sum().backward()
    assert np.isfinite(p.grad.data).all()


def test_binary_cross_entropy_rejects_non_probabilities():
    with pytest.raises(ValueError, match=r"probabilities in \[0, 1\].*sigmoid"):
        F.binary_cross_entropy(Tensor(np.array([0.5, 1.5])), np.array([0.0, 1.0]))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy_with_logits(rng, reduction):
    x = Tensor(rng.normal(size=(3, 4)) * 2, requires_grad=True)
    y = Tensor(rng.uniform(0, 1, size=(3, 4)), requires_grad=True)
    expected = np_bce_with_logits_naive(x.data, y.data, reduction)
    np.testing.assert_allclose(F.binary_cross_entropy_with_logits(x, y, reduction).data, expected, rtol=1e-10)
    np.testing.assert_allclose(tg.nn.BCEWithLogitsLoss(reduction)(x, y).data, expected, rtol=1e-10)
    assert tg.gradcheck(lambda a, b: F.binary_cross_entropy_with_logits(a, b, reduction), [x, y])
    assert tg.gradgradcheck(lambda a, b: F.binary_cross_entropy_with_logits(a, b, reduction), [x, y])


def test_binary_cross_entropy_with_logits_is_stable_for_huge_logits():
    x = Tensor(np.array([1000.0, -1000.0, 1000.0, -1000.0]), requires_grad=True)
    y = np.array([1.0, 0.0, 0.0, 1.0])
    loss = F.binary_cross_entropy_with_logits(x, y, reduction="none")
    np.testing.assert_allclose(loss.data, [0.0, 0.0, 1000.0, 1000.0])
    loss.sum().backward()
    np.testing.assert_allclose(x.grad.data, [0.0, 0.0, 1.0, -1.0])  # σ(x) − y


def test_binary_cross_entropy_with_logits_gradient_is_sigmoid_minus_target(rng):
    x = Tensor(rng.normal(size=(6,)), requires_grad=True)
    y = rng.uniform(size=6)
    F.binary_cross_entropy_with_logits(x, y, reduction="sum").backward()
    np.testing.assert_allclose(x.grad.data, 1 / (1 + np.exp(-x.data)) - y, rtol=1e-12)


# ----- dropout -----------------------------------------------------------------------------------


def test_dropout_not_training_is_the_identity(rng):
    x = Tensor(rng.normal(size=(4, 5)))
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0, training=True) is x


def test_dropout_masks_and_scales_with_its_generator():
    x = Tensor(np.ones((200, 100)), requires_grad=True)
    y = F.dropout(x, 0.3, training=True, generator=np.random.default_rng(7))
    again = F.dropout(x, 0.3, training=True, generator=np.random.default_rng(7))
    np.testing.assert_array_equal(y.data, again.data)
    kept = y.data != 0
    assert abs(1 - kept.mean() - 0.3) < 0.01
    np.testing.assert_allclose(y.data[kept], 1 / 0.7)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, kept / 0.7)


def test_dropout_p_one_zeroes_everything_and_p_is_checked(rng):
    x = Tensor(rng.normal(size=(3,)))
    np.testing.assert_array_equal(F.dropout(x, 1.0, training=True).data, 0.0)
    with pytest.raises(ValueError, match=r"\[0, 1\], got 1.5"):
        F.dropout(x, 1.5)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("label_smoothing", [0.0, 0.2])
def test_cross_entropy_with_probability_targets(rng, reduction, label_smoothing):
    logits = Tensor(rng.normal(size=(4, 5)), requires_grad=True)
    probabilities = rng.dirichlet(np.ones(5), size=4)
    smoothed = probabilities * (1 - label_smoothing) + label_smoothing / 5
    shifted = logits.data - logits.data.max(axis=1, keepdims=True)
    losses = -(smoothed * (shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True)))).sum(axis=1)
    expected = {"mean": losses.mean(), "sum": losses.sum(), "none": losses}[reduction]
    criterion = tg.nn.CrossEntropyLoss(reduction=reduction, label_smoothing=label_smoothing)
    np.testing.assert_allclose(criterion(logits, Tensor(probabilities)).data, expected, rtol=1e-12)
    assert tg.gradcheck(lambda x: F.cross_entropy(x, probabilities, reduction, label_smoothing), [logits])
    # one-hot probabilities give the same loss as the class indices
    labels = np.array([0, 3, 4, 1])
    one_hot = np.eye(5)[labels]
    np.testing.assert_allclose(
        F.cross_entropy(logits, one_hot, reduction, label_smoothing).data,
        F.cross_entropy(logits, labels, reduction, label_smoothing).data,
        rtol=1e-12,
    )


def test_cross_entropy_float_targets_of_the_wrong_shape_say_both_forms(rng):
    with pytest.raises(
        DTypeError, match=r"integer class indices of shape \(3,\), or class probabilities of the logits' shape \(3, 4\)"
    ):
        F.cross_entropy(Tensor(rng.normal(size=(3, 4))), np.zeros((3, 5)))


@pytest.mark.parametrize("shape, axis", [((4,), 0), ((2, 3), 1), ((2, 3, 4), 0), ((2, 3, 2, 2), 1)])
def test_softmax_without_dim_takes_pytorchs_legacy_axis(shape, axis):
    x = Tensor(np.random.default_rng(0).normal(size=shape))
    for function, module, method in [
        (F.softmax, tg.nn.Softmax(), "softmax"),
        (F.log_softmax, tg.nn.LogSoftmax(), "log_softmax"),
    ]:
        expected = getattr(x, method)(axis=axis).data
        with pytest.warns(UserWarning, match=f"implicit dimension choice.*dim={axis}"):
            np.testing.assert_allclose(function(x).data, expected, rtol=1e-12)
        with pytest.warns(UserWarning, match=f"dim={axis}"):
            np.testing.assert_allclose(module(x).data, expected, rtol=1e-12)
