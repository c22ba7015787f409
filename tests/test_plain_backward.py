"""A plain backward() runs the hottest formulas on NumPy arrays; create_graph runs them on Tensors.

Both must give the same gradients, in the inputs' dtype, without writing into any array.
"""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import Tensor
from tinygrad_edu.nn import functional as F

EXPRESSIONS = {
    "sub": lambda a, b: (a - b) * b,
    "mul": lambda a, b: a * b * a,
    "div": lambda a, b: a / (b * b + 1),
    "relu": lambda a, b: (a * b).relu() * a,
    "sigmoid": lambda a, b: (a + b).sigmoid() * b,
    "sum": lambda a, b: a.sum(axis=0) * b.sum(),
    "square of a difference": lambda a, b: ((a - b) * (a - b)).sum() / 20,
    "cross-entropy": lambda a, b: F.cross_entropy(a * b, np.array([0, 2, 1])),
}


def leaves(dtype=np.float32) -> tuple[Tensor, Tensor]:
    rng = np.random.default_rng(3)
    return tuple(Tensor(rng.standard_normal((3, 4)).astype(dtype), requires_grad=True) for _ in range(2))


@pytest.mark.parametrize("name", list(EXPRESSIONS))
def test_plain_and_recorded_backward_agree(name):
    expression = EXPRESSIONS[name]
    a, b = leaves()
    expression(a, b).sum().backward()
    plain = [a.grad.data, b.grad.data]
    recorded = tg.grad(expression(a, b).sum(), [a, b], create_graph=True)
    for got, want in zip(plain, recorded):
        assert got.dtype == np.float32
        np.testing.assert_allclose(got, want.data, rtol=1e-5, atol=1e-6)


def test_a_plain_backward_writes_into_no_array():
    a, b = leaves(np.float64)
    a_before, b_before = a.data.copy(), b.data.copy()
    product = a * b
    (product * product).sum().backward()  # two gradients meet at `product`: added into a new array
    np.testing.assert_array_equal(a.data, a_before)
    np.testing.assert_array_equal(b.data, b_before)
    np.testing.assert_allclose(a.grad.data, 2 * a_before * b_before**2)


def test_a_gradient_of_a_0d_input_keeps_its_dtype():
    x = Tensor(np.float32(2.0), requires_grad=True)
    (x / Tensor(np.float32(4.0))).backward()  # NumPy returns a scalar from 0-d arrays
    assert x.grad.data.dtype == np.float32 and x.grad.data.shape == ()
    assert x.grad.item() == pytest.approx(0.25)
