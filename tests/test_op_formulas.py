"""Every op's printed derivative, read back as a student reads it, equals what its backward computes.

Each op carries the text the pictures print (``local_derivatives``: ∂y/∂input for elementwise
ops; ``gradient_formulas``: what backward sends, g standing for ∂L/∂y). Here each text is
evaluated on random float64 inputs, with broadcasting, reductions along an axis and settings
such as label smoothing, and compared with the op's own backward under a random upstream g.
"""

from __future__ import annotations

import numpy as np
import pytest
from reading import evaluate

import tinygrad_edu as tg
from tinygrad_edu.ops import ALL_OPS, elementwise, fused, linalg, reduce

rng = np.random.default_rng(19)


def leaf(array) -> tg.Tensor:
    return tg.Tensor(np.asarray(array, dtype=np.float64), requires_grad=True)


def sum_to_shape(array: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """The gradient of a broadcast input: summed over the axes broadcasting added or stretched."""
    while array.ndim > len(shape):
        array = array.sum(axis=0)
    for axis, size in enumerate(shape):
        if size == 1 and array.shape[axis] != 1:
            array = array.sum(axis=axis, keepdims=True)
    return array


def positive(*shape) -> np.ndarray:
    return rng.uniform(0.5, 2.0, size=shape)


def anything(*shape) -> np.ndarray:
    return rng.normal(size=shape)


# (op, inputs, keyword settings, the symbols of the op's settings as the formulas name them)
ELEMENTWISE_CASES = [
    (elementwise.Add, [anything(3, 1), anything(4)], {}, {}),
    (elementwise.Sub, [anything(3, 4), anything(4)], {}, {}),
    (elementwise.Mul, [anything(2, 3), anything(2, 1)], {}, {}),
    (elementwise.Div, [anything(3), positive(2, 3)], {}, {}),
    (elementwise.Pow, [positive(3), anything(2, 3)], {}, {}),
    (elementwise.Maximum, [np.array([1.0, 2.0, -1.0]), np.array([1.0, 0.5, 3.0])], {}, {}),  # with a tie
    (elementwise.Neg, [anything(3)], {}, {}),
    (elementwise.Exp, [anything(2, 2)], {}, {}),
    (elementwise.Log, [positive(3)], {}, {}),
    (elementwise.Sqrt, [positive(3)], {}, {}),
    (elementwise.Abs, [anything(4)], {}, {}),
    (elementwise.Sin, [anything(3)], {}, {}),
    (elementwise.Cos, [anything(3)], {}, {}),
    (elementwise.Clip, [np.array([-2.0, -0.5, 0.0, 0.7, 3.0])], {"low": -0.5, "high": 1.0}, {"low": -0.5, "high": 1.0}),
    (elementwise.ReLU, [anything(5)], {}, {}),
    (elementwise.LeakyReLU, [anything(5)], {"negative_slope": 0.2}, {"α": 0.2}),
    (elementwise.Sigmoid, [anything(3)], {}, {}),
    (elementwise.Tanh, [anything(3)], {}, {}),
]


@pytest.mark.parametrize(
    "op, inputs, settings, symbols", ELEMENTWISE_CASES, ids=lambda case: getattr(case, "__name__", "")
)
def test_the_local_derivative_printed_for_an_elementwise_op_is_its_backward(op, inputs, settings, symbols):
    tensors = [leaf(array) for array in inputs]
    output = op.apply(*tensors, **settings)
    g = rng.normal(size=output.shape)
    grads = tg.grad(output, tensors, grad_outputs=tg.Tensor(g))
    values = dict(zip(op.input_names, inputs), y=output.data, **symbols)
    for formula, array, grad in zip(op.local_derivatives, inputs, grads):
        local = np.broadcast_to(evaluate(formula, values), output.shape)
        np.testing.assert_allclose(
            sum_to_shape(g * local, array.shape), grad.data, rtol=1e-9, atol=1e-12, err_msg=formula
        )


# Every elementwise op of the op table (tinygrad_edu.ops.ALL_OPS) is also checked on its row's
# example, so that a new op needs no row here (docs/adding_an_op.md).
# (Where's condition has no derivative, and LeakyReLU's formula names its slope α: both are checked above.)
WITH_SYMBOLS = {elementwise.Where, elementwise.LeakyReLU}
TABLE_ONLY = [row for row in ALL_OPS if row.example and hasattr(row.function, "local_derivatives")]
TABLE_ONLY = [row for row in TABLE_ONLY if row.function not in WITH_SYMBOLS]


@pytest.mark.parametrize("row", TABLE_ONLY, ids=lambda row: row.name)
def test_the_local_derivative_printed_for_an_op_of_the_table_is_its_backward(row):
    domain = row.options.get("domain", "real")
    tensors = [leaf(positive(*shape) if domain == "positive" else anything(*shape)) for shape in row.shapes]
    output = row.example(*tensors)
    assert output.grad_fn.function is row.function
    g = rng.normal(size=output.shape)
    grads = tg.grad(output, tensors, grad_outputs=tg.Tensor(g))
    inputs = [tensor.data for tensor in tensors]
    values = dict(zip(row.function.input_names, inputs), y=output.data, **output.grad_fn.settings)
    for formula, array, grad in zip(row.function.local_derivatives, inputs, grads):
        local = np.broadcast_to(evaluate(formula, values), output.shape)
        np.testing.assert_allclose(sum_to_shape(g * local, array.shape), grad.data, rtol=1e-9, atol=1e-12)


def test_where_prints_the_mask_and_gives_the_condition_nothing():
    condition = np.array([True, False, True])
    a, b = leaf(anything(3)), leaf(anything(1))
    output = elementwise.Where.apply(tg.Tensor(condition), a, b)
    g = rng.normal(size=3)
    grad_a, grad_b = tg.grad(output, [a, b], grad_outputs=tg.Tensor(g))
    values = {"c": condition, "a": a.data, "b": b.data}
    assert elementwise.Where.local_derivatives[0] is None
    np.testing.assert_allclose(g * evaluate(elementwise.Where.local_derivatives[1], values), grad_a.data)
    np.testing.assert_allclose(np.sum(g * evaluate(elementwise.Where.local_derivatives[2], values)), grad_b.data.sum())


def _check_sent(op, tensors, output, values, g):
    grads = tg.grad(output, tensors, grad_outputs=tg.Tensor(g), allow_unused=True)
    for formula, tensor, grad in zip(op.gradient_formulas, tensors, grads):
        if formula is None:
            continue
        np.testing.assert_allclose(
            np.broadcast_to(evaluate(formula, values), tensor.shape), grad.data, rtol=1e-9, atol=1e-12, err_msg=formula
        )


@pytest.mark.parametrize("op", [fused.Softmax, fused.LogSoftmax])
def test_softmax_and_log_softmax_print_what_they_send(op):
    x = leaf(anything(2, 4))
    output = op.apply(x, axis=-1)
    g = rng.normal(size=output.shape)
    _check_sent(op, [x], output, {"x": x.data, "y": output.data, "g": g}, g)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("smoothing", [0.0, 0.3])
def test_cross_entropy_prints_what_it_sends_with_label_smoothing(reduction, smoothing):
    logits = leaf(anything(3, 4))
    targets = np.array([1, 0, 3])
    output = fused.CrossEntropy.apply(logits, tg.Tensor(targets), reduction=reduction, label_smoothing=smoothing)
    g = rng.normal(size=output.shape)
    count, classes = logits.shape
    values = {
        "x": logits.data,
        "t": targets,
        "onehot": lambda t: np.eye(classes)[t],
        "ε": smoothing,
        "C": classes,
        "N": count if reduction == "mean" else 1,
        "g": g.reshape(-1, 1) if reduction == "none" else g,  # g: ∂L/∂ℓ of each row
    }
    _check_sent(fused.CrossEntropy, [logits], output, values, g)


def test_binary_cross_entropy_prints_what_it_sends():
    p, t = leaf(rng.uniform(0.1, 0.9, size=4)), leaf(rng.uniform(0, 1, size=4))
    output = fused.BinaryCrossEntropy.apply(p, t)
    g = rng.normal(size=4)
    _check_sent(fused.BinaryCrossEntropy, [p, t], output, {"p": p.data, "t": t.data, "g": g}, g)


@pytest.mark.parametrize("op", [reduce.Sum, reduce.Max])
def test_reductions_print_what_they_send(op):
    x = np.array([[1.0, 3.0, 3.0], [2.0, -1.0, 0.5]])  # a tie in the first row
    tensor = leaf(x)
    output = op.apply(tensor, axis=1)
    g = rng.normal(size=output.shape)
    kept = {"g": g[:, None], "y": output.data[:, None], "x": x}
    kept["n"] = np.sum(x == kept["y"], axis=1, keepdims=True)  # how many share the maximum
    _check_sent(op, [tensor], output, kept, g)


def test_matmul_prints_what_it_sends():
    a, b = leaf(anything(2, 3)), leaf(anything(3, 4))
    output = linalg.MatMul.apply(a, b)
    g = rng.normal(size=output.shape)
    _check_sent(linalg.MatMul, [a, b], output, {"A": a.data, "B": b.data, "g": g}, g)


def test_a_drifted_formula_is_caught():
    """The check itself: cross-entropy's formula without label smoothing disagrees at ε = 0.3."""
    logits = leaf(anything(1, 3))
    output = fused.CrossEntropy.apply(logits, tg.Tensor(np.array([1])), label_smoothing=0.3)
    (grad,) = tg.grad(output, [logits])
    drifted = evaluate(
        "softmax(x) − onehot(t)", {"x": logits.data, "t": np.array([1]), "onehot": lambda t: np.eye(3)[t]}
    )
    assert not np.allclose(drifted, grad.data)
