"""Reductions: many elements in, one out (per remaining position).

``axis`` follows NumPy: None (all axes), an int, or a tuple of ints, negative allowed;
``keepdims=True`` keeps the reduced axes with size 1.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..core.tensor import Context, Function
from ..fast import array_backward as on_arrays

if TYPE_CHECKING:
    from ..core.tensor import Tensor


def normalize_axis(axis: int | tuple[int, ...] | None, ndim: int) -> tuple[int, ...]:
    """The reduced axes as a sorted tuple of non-negative ints."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, int) and -ndim <= axis < ndim:
        return (axis % ndim,)
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    return tuple(sorted(np.lib.array_utils.normalize_axis_tuple(axes, ndim)))


def kept_shape(shape: tuple[int, ...], axes: tuple[int, ...]) -> tuple[int, ...]:
    """``shape`` with each reduced axis replaced by 1 (the keepdims=True shape)."""
    return tuple(1 if axis in axes else size for axis, size in enumerate(shape))


class Sum(Function):
    """Sum over axes.
    forward:  y = Σᵢ xᵢ            (over the reduced axes)
    backward: ∂L/∂xᵢ = ∂L/∂y       (every element contributed once: copy the gradient back)
    jvp:      ẏ = Σᵢ ẋᵢ
    NOTE: the reduced axes are put back with size 1 first, unless they lead (or were kept):
    broadcasting already lines up (4,) with (3, 4), and a scalar with anything.
    """

    # The text viz prints for what backward sends to each input, g = ∂L/∂y (tests check it against backward)
    input_names = ("x",)
    gradient_formulas = ("g",)

    @staticmethod
    def forward(
        ctx: Context, x: np.ndarray, axis: int | tuple[int, ...] | None = None, keepdims: bool = False
    ) -> np.ndarray:
        ctx.input_shape = x.shape
        ctx.axes = normalize_axis(axis, x.ndim)
        return x.sum(axis=ctx.axes, keepdims=keepdims)

    array_backward = on_arrays.sum  # a plain backward() runs this twin on arrays instead

    @staticmethod
    def backward(ctx: Context, grad_output: Tensor) -> Tensor:
        if grad_output.ndim != len(ctx.input_shape) and ctx.axes != tuple(range(len(ctx.axes))):
            grad_output = grad_output.reshape(kept_shape(ctx.input_shape, ctx.axes))
        return grad_output.broadcast_to(ctx.input_shape)

    @staticmethod
    def jvp(ctx: Context, x_dot: Tensor) -> Tensor:
        return x_dot.sum(axis=ctx.axes, keepdims=True).reshape(ctx.output.shape)


class Max(Function):
    """Largest element over axes.
    forward:  y = maxᵢ xᵢ
    backward: ∂L/∂xᵢ = ∂L/∂y · [xᵢ = y] / (number of maxima)
    jvp:      ẏ = Σᵢ ẋᵢ · [xᵢ = y] / (number of maxima)      (the mean of ẋ over the maxima)
    NOTE: ties share the gradient equally, as in PyTorch's amax.
    """

    # The text viz prints for what backward sends to each input, g = ∂L/∂y (tests check it against backward)
    input_names = ("x",)
    gradient_formulas = ("g·[x = y]/n",)

    @staticmethod
    def forward(
        ctx: Context, x: np.ndarray, axis: int | tuple[int, ...] | None = None, keepdims: bool = False
    ) -> np.ndarray:
        ctx.input_shape = x.shape
        ctx.axes = normalize_axis(axis, x.ndim)
        y = np.max(x, axis=ctx.axes, keepdims=True)
        is_max = x == y
        share = is_max / np.sum(is_max, axis=ctx.axes, keepdims=True)
        ctx.save_for_backward(share.astype(x.dtype, copy=False))
        return y if keepdims else np.squeeze(y, axis=ctx.axes)

    @staticmethod
    def backward(ctx: Context, grad_output: Tensor) -> Tensor:
        (share,) = ctx.saved_tensors
        return grad_output.reshape(kept_shape(ctx.input_shape, ctx.axes)) * share

    @staticmethod
    def jvp(ctx: Context, x_dot: Tensor) -> Tensor:
        (share,) = ctx.saved_tensors
        return (x_dot * share).sum(axis=ctx.axes, keepdims=True).reshape(ctx.output.shape)
