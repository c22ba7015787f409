"""First-order backward formulas on NumPy arrays: twins of the hot ops' Tensor formulas.

Every op's backward in ops/ is written with Tensor operations, so that under
``create_graph=True`` the gradient gets a graph of its own and can be differentiated again.
In a plain ``backward()`` nothing records that graph, yet each Tensor operation of a formula
still costs a call through ``Function.apply`` and a Tensor to wrap the result. For the ops a
training step spends its time in, the walk (core/autograd.py) runs the twin registered here
instead, when the gradient's graph is not recorded: the same formula, on the arrays. An op
points to its twin with one line, ``array_backward = array_backward.mul`` (ops/elementwise.py).
This is the inverse of PyTorch's once-differentiable: the formula everyone reads is the one
that differentiates any number of times; these are its first-order copies, and
tests/test_fast_path.py checks each against its Tensor twin.

A twin gets the Context and ∂L/∂y as an array, reads what forward saved with
``ctx.saved_arrays`` (the same checks as ``saved_tensors``), and returns one array or None per
input, shaped like the output (the walk sums broadcast axes back, as for any op). It never
writes into an array it did not make.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from ..core.tensor import Context

ArrayBackward = Callable[["Context", np.ndarray], tuple["np.ndarray | None", ...]]


def sub(ctx: Context, g: np.ndarray) -> tuple[np.ndarray | None, ...]:
    return g, -g if ctx.needs_input_grad[1] else None


def mul(ctx: Context, g: np.ndarray) -> tuple[np.ndarray | None, ...]:
    a, b = ctx.saved_arrays
    return g * b if ctx.needs_input_grad[0] else None, g * a if ctx.needs_input_grad[1] else None


def div(ctx: Context, g: np.ndarray) -> tuple[np.ndarray | None, ...]:
    a, b = ctx.saved_arrays
    return g / b if ctx.needs_input_grad[0] else None, -g * a / (b * b) if ctx.needs_input_grad[1] else None


def relu(ctx: Context, g: np.ndarray) -> tuple[np.ndarray | None, ...]:
    (positive,) = ctx.saved_arrays
    return (g * positive,)


def sigmoid(ctx: Context, g: np.ndarray) -> tuple[np.ndarray | None, ...]:
    (y,) = ctx.saved_arrays
    return (g * y * (1 - y),)


def sum(ctx: Context, g: np.ndarray) -> tuple[np.ndarray | None, ...]:
    if g.ndim == 0:  # a full sum's single number is spread fastest by fill
        spread = np.empty(ctx.input_shape, g.dtype)
        spread.fill(g)
        return (spread,)
    if g.ndim != len(ctx.input_shape) and ctx.axes != tuple(range(len(ctx.axes))):
        g = np.expand_dims(g, ctx.axes)  # the reduced axes back, with size 1
    return (np.broadcast_to(g, ctx.input_shape),)


def affine(ctx: Context, g: np.ndarray) -> tuple[np.ndarray | None, ...]:
    x, weight = ctx.saved_arrays
    rows = g if g.ndim == 2 else g.reshape(-1, g.shape[-1])
    x_rows = x if x.ndim == 2 else x.reshape(-1, x.shape[-1])
    needs_x, needs_weight, needs_bias = ctx.needs_input_grad
    return (
        g @ weight if needs_x else None,
        (x_rows.T @ rows).T if needs_weight else None,
        rows.sum(axis=0) if needs_bias else None,
    )


def cross_entropy(ctx: Context, g: np.ndarray) -> tuple[np.ndarray | None, ...]:
    """p − q made in one copy of the probabilities p saved by forward (the Tensor formula
    recomputes p as softmax(x), so that it can be differentiated again)."""
    if not ctx.needs_input_grad[0]:
        return None, None
    _, probabilities = ctx.saved_arrays
    count, classes = probabilities.shape
    grad = probabilities - ctx.label_smoothing / classes
    grad[np.arange(count), ctx.targets] -= 1 - ctx.label_smoothing
    scale = g.reshape(count, 1) if ctx.reduction == "none" else g
    grad *= scale / count if ctx.reduction == "mean" else scale
    return grad, None
