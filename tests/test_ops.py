"""Every op is a row in this table, and every row gets five checks:

1. forward agrees with the same expression in NumPy;
2. gradcheck: the engine's gradient agrees with central differences, in float64, against a
   random upstream gradient;
3. gradgradcheck: the same for second derivatives (the backward formulas are themselves
   differentiable under create_graph=True);
4. jvp: forward mode's tangent J·v agrees with central differences along a random direction v;
5. jvp against backward: ⟨J·v, u⟩ = ⟨v, Jᵀ·u⟩ for random u and v (forward and reverse mode
   compute the same Jacobian).

Inputs are drawn per row from a "domain" that keeps them where the op is smooth: positive
for log/sqrt/pow, away from 0 for relu/abs/division, and without ties for max/maximum.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import Tensor
from tinygrad_edu.ops.cast import Cast


@dataclass
class OpCase:
    name: str
    fn: Callable[..., Tensor]  # on Tensors
    reference: Callable[..., np.ndarray]  # the same on NumPy arrays
    shapes: tuple[tuple[int, ...], ...]
    domain: str = "real"  # real | positive | away_from_zero | distinct


def _sample(rng: np.random.Generator, shape: tuple[int, ...], domain: str) -> np.ndarray:
    if domain == "positive":
        return rng.uniform(0.5, 2.0, shape)
    if domain == "away_from_zero":
        return rng.uniform(0.3, 1.5, shape) * rng.choice([-1.0, 1.0], shape)
    if domain == "distinct":
        # A shuffled grid with gaps of 0.1: no ties, no two values closer than the step.
        size = int(np.prod(shape))
        values = rng.permutation(np.arange(size)) * 0.1 - 0.05 * size + rng.uniform(-0.02, 0.02, size)
        return values.reshape(shape)
    return rng.standard_normal(shape)


def _scalar_sample(rng: np.random.Generator, shapes, domain) -> list[np.ndarray]:
    return [_sample(rng, shape, domain) for shape in shapes]


def _conv2d_loops(x, w, b, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1):
    """conv2d straight from its definition, one output element at a time (the reference)."""
    x = np.pad(x, ((0, 0), (0, 0), (padding[0], padding[0]), (padding[1], padding[1])))
    count, channels, height, width = x.shape
    out_channels, per_group, kernel_height, kernel_width = w.shape
    out_height = (height - dilation[0] * (kernel_height - 1) - 1) // stride[0] + 1
    out_width = (width - dilation[1] * (kernel_width - 1) - 1) // stride[1] + 1
    y = np.zeros((count, out_channels, out_height, out_width))
    for n, o, i, j in np.ndindex(y.shape):
        group = o // (out_channels // groups)
        for c, p, q in np.ndindex(per_group, kernel_height, kernel_width):
            pixel = x[n, group * per_group + c, i * stride[0] + p * dilation[0], j * stride[1] + q * dilation[1]]
            y[n, o, i, j] += pixel * w[o, c, p, q]
    return y if b is None else y + b.reshape(1, -1, 1, 1)


def _pool_loops(reduce, x, kernel, stride, padding, fill=0.0):
    """Pooling from its definition: reduce each window, one output element at a time."""
    kernel = (kernel, kernel) if isinstance(kernel, int) else kernel
    stride = (stride, stride) if isinstance(stride, int) else stride
    x = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)), constant_values=fill)
    out_height = (x.shape[2] - kernel[0]) // stride[0] + 1
    out_width = (x.shape[3] - kernel[1]) // stride[1] + 1
    y = np.zeros(x.shape[:2] + (out_height, out_width))
    for n, c, i, j in np.ndindex(y.shape):
        window = x[n, c, i * stride[0] : i * stride[0] + kernel[0], j * stride[1] : j * stride[1] + kernel[1]]
        y[n, c, i, j] = reduce(window)
    return y


MASK = np.array([[True, False, True, True], [False, False, True, False], [True, True, False, True]])
CONDITION = np.array([[True], [False], [True]])
REPEATS = np.array([2, 0, 2, 1, 2])

BINARY_SHAPES = {
    "same": ((3, 4), (3, 4)),
    "row": ((3, 4), (4,)),
    "column": ((3, 1), (1, 4)),
    "scalar": ((), (2, 3)),
    "3d": ((2, 1, 4), (3, 1)),
}


def _binary_cases() -> list[OpCase]:
    cases = []
    for label, shapes in BINARY_SHAPES.items():
        cases += [
            OpCase(f"add-{label}", lambda a, b: a + b, lambda a, b: a + b, shapes),
            OpCase(f"sub-{label}", lambda a, b: a - b, lambda a, b: a - b, shapes),
            OpCase(f"mul-{label}", lambda a, b: a * b, lambda a, b: a * b, shapes),
            OpCase(f"div-{label}", lambda a, b: a / b, lambda a, b: a / b, shapes, "away_from_zero"),
            OpCase(f"pow-{label}", lambda a, b: a**b, lambda a, b: a**b, shapes, "positive"),
            OpCase(f"maximum-{label}", lambda a, b: a.maximum(b), np.maximum, shapes, "distinct"),
        ]
    return cases


CASES = _binary_cases() + [
    # operators with Python numbers and NumPy arrays on either side
    OpCase("radd", lambda a: 2 + a, lambda a: 2 + a, ((3,),)),
    OpCase("rsub", lambda a: 1 - a, lambda a: 1 - a, ((3,),)),
    OpCase("rmul", lambda a: 2.5 * a, lambda a: 2.5 * a, ((3,),)),
    OpCase("rdiv", lambda a: 3 / a, lambda a: 3 / a, ((3,),), "away_from_zero"),
    OpCase("rpow", lambda a: 2**a, lambda a: 2**a, ((3,),)),
    OpCase("pow-int", lambda a: a**3, lambda a: a**3, ((2, 3),)),
    OpCase("pow-half", lambda a: a**0.5, lambda a: a**0.5, ((2, 3),), "positive"),
    OpCase("ndarray-mul", lambda a: np.arange(3.0) * a, lambda a: np.arange(3.0) * a, ((2, 3),)),
    OpCase("ndarray-rsub", lambda a: np.ones(3) - a, lambda a: np.ones(3) - a, ((2, 3),)),
    OpCase("neg", lambda a: -a, lambda a: -a, ((2, 3),)),
    # elementwise functions
    OpCase("exp", lambda a: a.exp(), np.exp, ((2, 3),)),
    OpCase("log", lambda a: a.log(), np.log, ((2, 3),), "positive"),
    OpCase("sqrt", lambda a: a.sqrt(), np.sqrt, ((2, 3),), "positive"),
    OpCase("abs", lambda a: a.abs(), np.abs, ((2, 3),), "away_from_zero"),
    OpCase("sin", lambda a: a.sin(), np.sin, ((2, 3),)),
    OpCase("cos", lambda a: a.cos(), np.cos, ((2, 3),)),
    OpCase("relu", lambda a: a.relu(), lambda a: np.maximum(a, 0), ((3, 4),), "away_from_zero"),
    OpCase("sigmoid", lambda a: a.sigmoid(), lambda a: 1 / (1 + np.exp(-a)), ((3, 4),)),
    OpCase("tanh", lambda a: a.tanh(), np.tanh, ((3, 4),)),
    OpCase(
        "leaky_relu",
        lambda a: a.leaky_relu(0.1),
        lambda a: np.where(a > 0, a, 0.1 * a),
        ((3, 4),),
        "away_from_zero",
    ),
    OpCase("clip", lambda a: a.clip(-0.5, 0.7), lambda a: np.clip(a, -0.5, 0.7), ((4, 5),), "distinct"),
    OpCase("clip-low", lambda a: a.clip(low=0.2), lambda a: np.clip(a, 0.2, None), ((4, 5),), "distinct"),
    OpCase("softmax", lambda a: a.softmax(), lambda a: np.exp(a) / np.exp(a).sum(-1, keepdims=True), ((3, 4),)),
    OpCase(
        "softmax-axis0", lambda a: a.softmax(axis=0), lambda a: np.exp(a) / np.exp(a).sum(0, keepdims=True), ((3, 4),)
    ),
    OpCase(
        "log_softmax",
        lambda a: a.log_softmax(),
        lambda a: a - np.log(np.exp(a).sum(-1, keepdims=True)),
        ((3, 4),),
    ),
    # reductions
    OpCase("sum", lambda a: a.sum(), np.sum, ((3, 4),)),
    OpCase("sum-axis0", lambda a: a.sum(axis=0), lambda a: a.sum(axis=0), ((3, 4),)),
    OpCase("sum-axis1", lambda a: a.sum(axis=1), lambda a: a.sum(axis=1), ((3, 4),)),
    OpCase("sum-neg-keepdims", lambda a: a.sum(-1, keepdims=True), lambda a: a.sum(-1, keepdims=True), ((3, 4),)),
    OpCase("sum-tuple", lambda a: a.sum(axis=(0, 2)), lambda a: a.sum(axis=(0, 2)), ((2, 3, 4),)),
    OpCase(
        "sum-tuple-keepdims",
        lambda a: a.sum(axis=(0, 2), keepdims=True),
        lambda a: a.sum(axis=(0, 2), keepdims=True),
        ((2, 3, 4),),
    ),
    OpCase("mean", lambda a: a.mean(), np.mean, ((3, 4),)),
    OpCase("mean-tuple", lambda a: a.mean(axis=(1, 2)), lambda a: a.mean(axis=(1, 2)), ((2, 3, 4),)),
    OpCase("max", lambda a: a.max(), np.max, ((3, 4),), "distinct"),
    OpCase("max-axis1", lambda a: a.max(axis=1), lambda a: a.max(axis=1), ((3, 4),), "distinct"),
    OpCase(
        "max-tuple-keepdims",
        lambda a: a.max(axis=(0, 2), keepdims=True),
        lambda a: a.max(axis=(0, 2), keepdims=True),
        ((2, 3, 4),),
        "distinct",
    ),
    OpCase("min", lambda a: a.min(), np.min, ((3, 4),), "distinct"),
    OpCase("min-axis0", lambda a: a.min(axis=0), lambda a: a.min(axis=0), ((3, 4),), "distinct"),
    # movement
    OpCase("reshape", lambda a: a.reshape(4, 3), lambda a: a.reshape(4, 3), ((3, 4),)),
    OpCase("reshape-infer", lambda a: a.reshape((2, -1)), lambda a: a.reshape(2, -1), ((3, 4),)),
    OpCase("transpose", lambda a: a.transpose(), lambda a: a.transpose(), ((2, 3, 4),)),
    OpCase("transpose-axes", lambda a: a.transpose(1, 0, 2), lambda a: a.transpose(1, 0, 2), ((2, 3, 4),)),
    OpCase("transpose-negative-axes", lambda a: a.transpose(-1, 0, 1), lambda a: a.transpose(2, 0, 1), ((2, 3, 4),)),
    OpCase("T", lambda a: a.T, lambda a: a.T, ((3, 4),)),
    OpCase("flatten", lambda a: a.flatten(), lambda a: a.reshape(-1), ((2, 3, 4),)),
    OpCase("flatten-from-1", lambda a: a.flatten(1), lambda a: a.reshape(2, -1), ((2, 3, 4),)),
    OpCase("broadcast_to", lambda a: a.broadcast_to((2, 3, 4)), lambda a: np.broadcast_to(a, (2, 3, 4)), ((3, 1),)),
    OpCase("getitem-int", lambda a: a[1], lambda a: a[1], ((3, 4),)),
    OpCase("getitem-negative-int", lambda a: a[-1, 2], lambda a: a[-1, 2], ((3, 4),)),
    OpCase("getitem-slice", lambda a: a[1:, ::2], lambda a: a[1:, ::2], ((3, 4),)),
    OpCase("getitem-reverse", lambda a: a[::-1], lambda a: a[::-1], ((3, 4),)),
    OpCase("getitem-none-ellipsis", lambda a: a[None, ..., 1], lambda a: a[None, ..., 1], ((2, 3, 4),)),
    OpCase("getitem-repeats", lambda a: a[REPEATS], lambda a: a[REPEATS], ((3, 4),)),
    OpCase("getitem-repeats-2d", lambda a: a[REPEATS, REPEATS % 3], lambda a: a[REPEATS, REPEATS % 3], ((3, 4),)),
    OpCase("getitem-list", lambda a: a[:, [0, 0, 3]], lambda a: a[:, [0, 0, 3]], ((3, 4),)),
    OpCase("getitem-mask", lambda a: a[MASK], lambda a: a[MASK], ((3, 4),)),
    OpCase("getitem-row-mask", lambda a: a[MASK[:, 0]], lambda a: a[MASK[:, 0]], ((3, 4),)),
    # matmul: 2-D, 1-D on either side, batched, broadcast batch
    OpCase("matmul-2d", lambda a, b: a @ b, lambda a, b: a @ b, ((3, 4), (4, 2))),
    OpCase("matmul-vec-mat", lambda a, b: a @ b, lambda a, b: a @ b, ((4,), (4, 2))),
    OpCase("matmul-mat-vec", lambda a, b: a @ b, lambda a, b: a @ b, ((3, 4), (4,))),
    OpCase("matmul-vec-vec", lambda a, b: a @ b, lambda a, b: a @ b, ((4,), (4,))),
    OpCase("matmul-batched", lambda a, b: a @ b, lambda a, b: a @ b, ((2, 3, 4), (2, 4, 5))),
    OpCase("matmul-broadcast-batch", lambda a, b: a @ b, lambda a, b: a @ b, ((2, 1, 3, 4), (5, 4, 2))),
    OpCase("matmul-batch-mat", lambda a, b: a @ b, lambda a, b: a @ b, ((2, 3, 4), (4, 2))),
    OpCase("matmul-vec-batch", lambda a, b: a @ b, lambda a, b: a @ b, ((4,), (2, 4, 3))),
    OpCase("matmul-method", lambda a, b: a.matmul(b), np.matmul, ((3, 4), (4, 2))),
    # functions of several tensors
    OpCase(
        "concatenate-axis0",
        lambda a, b: tg.concatenate([a, b]),
        lambda a, b: np.concatenate([a, b]),
        ((2, 3), (4, 3)),
    ),
    OpCase(
        "concatenate-axis1",
        lambda a, b, c: tg.concatenate([a, b, c], axis=1),
        lambda a, b, c: np.concatenate([a, b, c], axis=1),
        ((2, 1), (2, 3), (2, 2)),
    ),
    OpCase("stack", lambda a, b: tg.stack([a, b]), lambda a, b: np.stack([a, b]), ((2, 3), (2, 3))),
    OpCase(
        "stack-last", lambda a, b: tg.stack([a, b], axis=-1), lambda a, b: np.stack([a, b], axis=-1), ((2, 3), (2, 3))
    ),
    OpCase(
        "where-broadcast",
        lambda a, b: tg.where(CONDITION, a, b),
        lambda a, b: np.where(CONDITION, a, b),
        ((3, 4), (4,)),
    ),
    OpCase("where-scalar", lambda a: tg.where(MASK, a, 0.0), lambda a: np.where(MASK, a, 0.0), ((3, 4),)),
    # the fully connected layer, one op
    OpCase(
        "linear",
        lambda x, w, b: tg.nn.functional.linear(x, w, b),
        lambda x, w, b: x @ w.T + b,
        ((4, 3), (2, 3), (2,)),
    ),
    OpCase(
        "linear-batched",
        lambda x, w, b: tg.nn.functional.linear(x, w, b),
        lambda x, w, b: x @ w.T + b,
        ((2, 4, 3), (2, 3), (2,)),
    ),
    OpCase("linear-no-bias", lambda x, w: tg.nn.functional.linear(x, w), lambda x, w: x @ w.T, ((4, 3), (2, 3))),
    # convolution and pooling (NCHW), against the loops of their definitions
    OpCase(
        "conv2d",
        lambda x, w, b: x.conv2d(w, b),
        lambda x, w, b: _conv2d_loops(x, w, b),
        ((2, 3, 5, 6), (4, 3, 3, 2), (4,)),
    ),
    OpCase(
        "conv2d-stride-padding-dilation",
        lambda x, w: tg.nn.functional.conv2d(x, w, stride=(2, 1), padding=(1, 2), dilation=(1, 2)),
        lambda x, w: _conv2d_loops(x, w, None, (2, 1), (1, 2), (1, 2)),
        ((2, 2, 6, 5), (3, 2, 3, 2)),
    ),
    OpCase(
        "conv2d-groups",
        lambda x, w, b: tg.nn.functional.conv2d(x, w, b, stride=2, padding=1, groups=2),
        lambda x, w, b: _conv2d_loops(x, w, b, (2, 2), (1, 1), (1, 1), groups=2),
        ((1, 4, 5, 5), (6, 2, 3, 3), (6,)),
    ),
    OpCase(
        "max_pool2d", lambda x: x.max_pool2d(2), lambda x: _pool_loops(np.max, x, 2, 2, 0), ((2, 3, 4, 6),), "distinct"
    ),
    OpCase(
        "max_pool2d-overlap-padding",
        lambda x: tg.nn.functional.max_pool2d(x, 3, stride=2, padding=1),
        lambda x: _pool_loops(np.max, x, 3, 2, 1, -np.inf),
        ((1, 2, 5, 6),),
        "distinct",
    ),
    OpCase("avg_pool2d", lambda x: x.avg_pool2d(2), lambda x: _pool_loops(np.mean, x, 2, 2, 0), ((2, 3, 4, 6),)),
    OpCase(
        "avg_pool2d-overlap-padding",
        lambda x: tg.nn.functional.avg_pool2d(x, (3, 2), stride=(2, 1), padding=1),
        lambda x: _pool_loops(np.mean, x, (3, 2), (2, 1), 1),
        ((1, 2, 5, 6),),
    ),
    # Cast float64 -> float64 keeps the values exact, so the checks see its rule alone (x.to(dtype))
    OpCase("cast", lambda a: Cast.apply(a, dtype=np.float64) * a, lambda a: a * a, ((3, 4),)),
    # a small composite, as a smoke test of several ops together
    OpCase(
        "composite",
        lambda a, b: (a @ b).tanh().sum(axis=0) * b.sum(),
        lambda a, b: np.tanh(a @ b).sum(axis=0) * b.sum(),
        ((3, 4), (4, 2)),
    ),
]

IDS = [case.name for case in CASES]


def _inputs(case: OpCase, seed: int = 0) -> tuple[list[np.ndarray], list[Tensor]]:
    rng = np.random.default_rng([seed, len(case.name), sum(map(ord, case.name))])
    arrays = _scalar_sample(rng, case.shapes, case.domain)
    if case.domain == "distinct" and len(arrays) == 2:
        # keep the two operands of maximum apart too
        arrays[1] = arrays[1] + 0.031
    tensors = [Tensor(array.copy(), requires_grad=True, name=f"x{i}") for i, array in enumerate(arrays)]
    return arrays, tensors


def test_table_names_are_unique():
    assert len(set(IDS)) == len(IDS)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_forward_matches_numpy(case: OpCase):
    arrays, tensors = _inputs(case)
    result = case.fn(*tensors)
    expected = case.reference(*arrays)
    assert isinstance(result, Tensor)
    assert result.shape == np.shape(expected)
    assert result.dtype == np.float64, "float64 inputs must give float64 results"
    np.testing.assert_allclose(result.data, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_gradcheck(case: OpCase):
    _, tensors = _inputs(case)
    assert tg.gradcheck(case.fn, tensors)
    out = case.fn(*tensors)
    grads = tg.grad(out, tensors, grad_outputs=np.ones(out.shape), allow_unused=True)
    for tensor, gradient in zip(tensors, grads):
        assert gradient is not None and gradient.shape == tensor.shape


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_gradgradcheck(case: OpCase):
    _, tensors = _inputs(case, seed=1)
    assert tg.gradgradcheck(case.fn, tensors)


@pytest.mark.parametrize("case", [c for c in CASES if c.domain == "real"][:12], ids=lambda c: c.name)
def test_float32_stays_float32(case: OpCase):
    arrays, _ = _inputs(case)
    tensors = [Tensor(array.astype(np.float32), requires_grad=True) for array in arrays]
    out = case.fn(*tensors)
    assert out.dtype == np.float32
    out.sum().backward()
    for tensor in tensors:
        assert tensor.grad.dtype == np.float32


def _central_difference(fn, arrays: list[np.ndarray], tangents: list[np.ndarray], eps: float = 1e-6) -> np.ndarray:
    """(f(x + ε·ẋ) − f(x − ε·ẋ)) / 2ε: the directional derivative, numerically."""
    plus = fn(*[Tensor(x + eps * t) for x, t in zip(arrays, tangents)]).data
    minus = fn(*[Tensor(x - eps * t) for x, t in zip(arrays, tangents)]).data
    return (plus - minus) / (2 * eps)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_jvp_matches_central_differences(case: OpCase):
    arrays, tensors = _inputs(case, seed=2)
    rng = np.random.default_rng(3)
    tangents = [rng.standard_normal(array.shape) for array in arrays]
    output, output_tangent = tg.jvp(case.fn, tuple(tensors), tuple(Tensor(t) for t in tangents))
    np.testing.assert_allclose(output.data, case.reference(*arrays), rtol=1e-12, atol=1e-12)
    assert output_tangent.shape == output.shape and output_tangent.dtype == np.float64
    expected = _central_difference(case.fn, arrays, tangents)
    np.testing.assert_allclose(output_tangent.data, expected, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_jvp_is_the_transpose_of_backward(case: OpCase):
    """⟨J·v, u⟩ = ⟨v, Jᵀ·u⟩ for random v (input tangents) and u (upstream gradient)."""
    arrays, tensors = _inputs(case, seed=4)
    rng = np.random.default_rng(5)
    v = [rng.standard_normal(array.shape) for array in arrays]
    output, jv = tg.jvp(case.fn, tuple(tensors), tuple(Tensor(t) for t in v))
    u = rng.standard_normal(output.shape)
    vjp = tg.grad(case.fn(*tensors), tensors, grad_outputs=u, allow_unused=True)
    left = np.sum(jv.data * u)
    right = sum(np.sum(t * g.data) for t, g in zip(v, vjp) if g is not None)
    assert left == pytest.approx(right, rel=1e-10, abs=1e-12)
