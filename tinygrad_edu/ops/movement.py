"""Movement ops: the same numbers, rearranged, selected or repeated.

Their backward moves the gradient back to where each number came from; where a number
was used several times (broadcast_to, repeated indices) the gradients add up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..core.tensor import Context, Function
from ..errors import ShapeError

if TYPE_CHECKING:
    from ..core.tensor import Tensor


class Reshape(Function):
    """Same elements, new shape (row-major order, as NumPy).
    forward:  y = x.reshape(shape)
    backward: ∂L/∂x = (∂L/∂y).reshape(x.shape)
    jvp:      ẏ = ẋ.reshape(shape)
    """

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, shape: tuple[int, ...] = ()) -> np.ndarray:
        ctx.input_shape = x.shape
        try:
            return x.reshape(shape)
        except ValueError:
            raise ShapeError(
                f"reshape: cannot reshape a tensor of shape {x.shape} ({x.size} elements) into "
                f"shape {tuple(shape)}; the number of elements must stay the same (use -1 for one "
                "axis to have it inferred)"
            ) from None

    @staticmethod
    def backward(ctx: Context, grad_output: Tensor) -> Tensor:
        return grad_output.reshape(ctx.input_shape)

    @staticmethod
    def jvp(ctx: Context, x_dot: Tensor) -> Tensor:
        return x_dot.reshape(ctx.output.shape)


class Transpose(Function):
    """Permute the axes (NumPy's transpose: reversed when no axes are given).
    forward:  y = x.transpose(axes)
    backward: ∂L/∂x = (∂L/∂y).transpose(inverse of axes)
    jvp:      ẏ = ẋ.transpose(axes)
    """

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, axes: tuple[int, ...] | None = None) -> np.ndarray:
        ndim = x.ndim
        if axes is None:
            axes = tuple(range(ndim - 1, -1, -1))
        normalized = tuple(axis % ndim for axis in axes if -ndim <= axis < ndim)  # negative: from the end
        if len(normalized) != len(axes) or sorted(normalized) != list(range(ndim)):
            raise ShapeError(
                f"transpose: axes {tuple(axes)} are not a permutation of the {ndim} axes of a tensor of shape {x.shape}"
            )
        axes = normalized
        ctx.axes = axes
        return x.transpose(axes)

    @staticmethod
    def backward(ctx: Context, grad_output: Tensor) -> Tensor:
        inverse = [0] * len(ctx.axes)  # axis ctx.axes[i] of x became axis i of y
        for position, axis in enumerate(ctx.axes):
            inverse[axis] = position
        return grad_output.transpose(*inverse)

    @staticmethod
    def jvp(ctx: Context, x_dot: Tensor) -> Tensor:
        return x_dot.transpose(*ctx.axes)


class BroadcastTo(Function):
    """Repeat along axes of size 1 (and new leading axes) to reach ``shape``, as NumPy.
    forward:  y = broadcast_to(x, shape)
    backward: ∂L/∂x = ∂L/∂y summed over the repeated axes
    jvp:      ẏ = broadcast_to(ẋ, shape)
    NOTE: backward returns ∂L/∂y as it is: the engine's unbroadcast does the summing,
    the same step that serves every broadcasting op.
    A single number (the gradient of a full sum) is spread with np.full, nearly four times
    faster than np.broadcast_to on small arrays; anything else becomes a read-only view.
    """

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, shape: tuple[int, ...] = ()) -> np.ndarray:
        if x.ndim == 0:
            return np.full(shape, x, dtype=x.dtype)
        try:
            return np.broadcast_to(x, shape)
        except ValueError:
            raise ShapeError(
                f"broadcast_to: a tensor of shape {x.shape} cannot be broadcast to {tuple(shape)}; "
                "each axis must match or be 1"
            ) from None

    @staticmethod
    def backward(ctx: Context, grad_output: Tensor) -> Tensor:
        return grad_output

    @staticmethod
    def jvp(ctx: Context, x_dot: Tensor) -> Tensor:
        return x_dot.broadcast_to(ctx.output.shape)


def has_array_index(index: tuple[Any, ...]) -> bool:
    """True when the index uses integer or boolean arrays (NumPy's 'advanced' indexing)."""
    return any(isinstance(part, np.ndarray) for part in index)


class GetItem(Function):
    """Indexing and slicing, with NumPy's rules (ints, slices, None, ..., integer arrays, masks).
    forward:  y = x[index]
    backward: ∂L/∂x = zeros like x, with ∂L/∂y added at x[index] (repeated indices add up)
    jvp:      ẏ = ẋ[index]
    """

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, index: tuple[Any, ...] = ()) -> np.ndarray:
        ctx.input_shape = x.shape
        ctx.index = index
        try:
            y = x[index]
        except IndexError as error:
            raise IndexError(f"indexing a tensor of shape {x.shape} with {index!r}: {error}") from None
        # A view would let a later in-place change of x alter y; copy like advanced indexing does.
        return np.array(y, copy=True) if np.shares_memory(y, x) else y

    @staticmethod
    def backward(ctx: Context, grad_output: Tensor) -> Tensor:
        return IndexAdd.apply(grad_output, index=ctx.index, shape=ctx.input_shape)

    @staticmethod
    def jvp(ctx: Context, x_dot: Tensor) -> Tensor:
        return GetItem.apply(x_dot, index=ctx.index)


class IndexAdd(Function):
    """Scatter-add: a zero tensor of ``shape`` with ``values`` added at ``index`` (GetItem's backward).
    forward:  y = zeros(shape);  y[index] += values   (repeated indices accumulate)
    backward: ∂L/∂values = (∂L/∂y)[index]
    jvp:      ẏ = zeros(shape);  ẏ[index] += valueṡ
    """

    @staticmethod
    def forward(
        ctx: Context, values: np.ndarray, index: tuple[Any, ...] = (), shape: tuple[int, ...] = ()
    ) -> np.ndarray:
        ctx.index = index
        y = np.zeros(shape, dtype=values.dtype)
        if has_array_index(index):
            np.add.at(y, index, values)
        else:
            y[index] = values  # basic indexing never repeats an element
        return y

    @staticmethod
    def backward(ctx: Context, grad_output: Tensor) -> Tensor:
        return GetItem.apply(grad_output, index=ctx.index)

    @staticmethod
    def jvp(ctx: Context, values_dot: Tensor) -> Tensor:
        return IndexAdd.apply(values_dot, index=ctx.index, shape=ctx.output.shape)


class Concatenate(Function):
    """Join tensors along an existing axis, as np.concatenate.
    forward:  y = [x₁ | x₂ | …]    along ``axis``
    backward: ∂L/∂xₖ = the slice of ∂L/∂y where xₖ landed
    jvp:      ẏ = [ẋ₁ | ẋ₂ | …]    (zeros for an input without a tangent)
    """

    @staticmethod
    def forward(ctx: Context, *xs: np.ndarray, axis: int = 0) -> np.ndarray:
        ctx.axis = axis
        ctx.sizes = [x.shape[axis] if x.ndim else 0 for x in xs]
        try:
            return np.concatenate(xs, axis=axis)
        except ValueError as error:
            shapes = ", ".join(str(x.shape) for x in xs)
            raise ShapeError(
                f"concatenate: shapes {shapes} along axis {axis}: {error}. All axes but the joined one must match"
            ) from None

    @staticmethod
    def backward(ctx: Context, grad_output: Tensor) -> tuple[Tensor | None, ...]:
        grads = []
        start = 0
        for size, needed in zip(ctx.sizes, ctx.needs_input_grad):
            window = [slice(None)] * grad_output.ndim
            window[ctx.axis] = slice(start, start + size)
            grads.append(grad_output[tuple(window)] if needed else None)
            start += size
        return tuple(grads)

    @staticmethod
    def jvp(ctx: Context, *xs_dot: Tensor | None) -> Tensor:
        parts = [np.zeros(x.shape, x.dtype) if x_dot is None else x_dot for x, x_dot in zip(ctx.parents, xs_dot)]
        return Concatenate.apply(*parts, axis=ctx.axis)
