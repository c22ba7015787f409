"""Infinite logits give the limit of the loss (finite where the limit is), never NaN."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import Tensor
from tinygrad_edu.nn import functional as F

INF = np.inf


def logits(rows) -> Tensor:
    return Tensor(np.array(rows, dtype=np.float64), requires_grad=True)


def test_softmax_of_infinite_logits():
    x = logits([[INF, 1.0, 2.0], [INF, INF, 0.0], [-INF, -INF, -INF], [-INF, 0.0, 0.0]])
    y = F.softmax(x, dim=1)
    np.testing.assert_allclose(y.data, [[1, 0, 0], [0.5, 0.5, 0], [1 / 3, 1 / 3, 1 / 3], [0, 0.5, 0.5]])
    assert np.isfinite(Tensor.softmax(x).data).all()
    (y * Tensor(np.arange(12.0).reshape(4, 3))).sum().backward()
    assert np.isfinite(x.grad.data).all()


def test_log_softmax_of_infinite_logits():
    x = logits([[INF, 1.0], [-INF, 0.0]])
    y = F.log_softmax(x, dim=1)
    np.testing.assert_array_equal(y.data, [[0.0, -INF], [-INF, 0.0]])
    assert not np.isnan(x.log_softmax().data).any()


def test_cross_entropy_with_infinite_logit_on_the_target_is_zero():
    x = logits([[INF, 1.0, -3.0], [2.0, INF, 0.0]])
    loss = F.cross_entropy(x, np.array([0, 1]))
    assert loss.item() == 0.0
    loss.backward()
    np.testing.assert_array_equal(x.grad.data, np.zeros((2, 3)))


def test_cross_entropy_with_infinite_logit_elsewhere_is_infinite_not_nan():
    loss = F.cross_entropy(logits([[INF, 1.0]]), np.array([1]))
    assert loss.item() == INF


def test_cross_entropy_with_minus_infinity_elsewhere_is_finite():
    x = logits([[-INF, 1.0, 1.0]])
    loss = F.cross_entropy(x, np.array([1]))
    np.testing.assert_allclose(loss.item(), np.log(2))
    loss.backward()
    np.testing.assert_allclose(x.grad.data, [[0.0, -0.5, 0.5]])


@pytest.mark.parametrize(
    ("x", "y", "expected"),
    [(INF, 1.0, 0.0), (-INF, 0.0, 0.0), (INF, 0.0, INF), (-INF, 1.0, INF), (INF, 0.25, INF)],
)
def test_bce_with_logits_at_infinity(x, y, expected):
    loss = F.binary_cross_entropy_with_logits(logits([x]), Tensor(np.array([y])), reduction="sum")
    assert loss.item() == expected


def test_bce_with_logits_mixed_finite_and_infinite_keeps_the_finite_gradients():
    x = logits([INF, -INF, 0.5, -2.0])
    y = Tensor(np.array([1.0, 0.0, 1.0, 0.0]))
    loss = F.binary_cross_entropy_with_logits(x, y, reduction="sum")
    finite = F.binary_cross_entropy_with_logits(logits([0.5, -2.0]), Tensor(np.array([1.0, 0.0])), reduction="sum")
    np.testing.assert_allclose(loss.item(), finite.item())
    loss.backward()
    sigmoid = 1 / (1 + np.exp(-np.array([0.5, -2.0])))
    np.testing.assert_allclose(x.grad.data, [0.0, 0.0, *(sigmoid - [1.0, 0.0])])


def test_finite_logits_unchanged_and_second_order_still_works():
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((3, 4)), requires_grad=True)
    target = np.array([0, 3, 1])
    assert tg.gradgradcheck(lambda x: F.cross_entropy(x, target), [x])
    z = Tensor(rng.standard_normal(5), requires_grad=True)
    y = Tensor(rng.uniform(size=5))
    assert tg.gradgradcheck(lambda z: F.binary_cross_entropy_with_logits(z, y), [z])
