"""Property tests: for random broadcastable shape pairs, every elementwise binary op gives
gradients shaped like its inputs that match numerical gradients."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import tinygrad_edu as tg
from tinygrad_edu import Tensor

BINARY_OPS = {
    "add": (lambda a, b: a + b, "real"),
    "sub": (lambda a, b: a - b, "real"),
    "mul": (lambda a, b: a * b, "real"),
    "div": (lambda a, b: a / b, "away_from_zero"),
    "pow": (lambda a, b: a**b, "positive"),
    "maximum": (lambda a, b: a.maximum(b), "distinct"),
    "where": (lambda a, b: tg.where(a.data > 0, a, b), "real"),
}


def _values(rng: np.random.Generator, shape: tuple[int, ...], domain: str, offset: float) -> np.ndarray:
    if domain == "positive":
        return rng.uniform(0.5, 2.0, shape)
    if domain == "away_from_zero":
        return rng.uniform(0.5, 1.5, shape) * rng.choice([-1.0, 1.0], shape)
    if domain == "distinct":
        # integers plus a per-operand offset: the two operands never tie
        return rng.integers(-5, 5, shape) + offset
    return rng.standard_normal(shape)


@settings(max_examples=30, deadline=None)
@given(
    op=st.sampled_from(sorted(BINARY_OPS)),
    shapes=mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, min_side=1, max_side=3),
    seed=st.integers(0, 2**32 - 1),
)
def test_binary_op_gradients_match_numerical(op, shapes, seed):
    fn, domain = BINARY_OPS[op]
    rng = np.random.default_rng(seed)
    shape_a, shape_b = shapes.input_shapes
    a = Tensor(_values(rng, shape_a, domain, 0.25), requires_grad=True)
    b = Tensor(_values(rng, shape_b, domain, 0.5), requires_grad=True)
    out = fn(a, b)
    assert out.shape == shapes.result_shape
    grad_a, grad_b = tg.grad(out, [a, b], grad_outputs=rng.standard_normal(out.shape), allow_unused=True)
    assert grad_a.shape == a.shape
    assert grad_b.shape == b.shape
    assert tg.gradcheck(fn, [a, b], seed=seed % 1000)
