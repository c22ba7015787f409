"""The one place where broadcast gradients are summed back to an input's shape.

When NumPy broadcasts ``a`` of shape (3, 1) against ``b`` of shape (4,), the result is
(3, 4): each element of ``a`` was *used* 4 times, each element of ``b`` 3 times. Used
several times means its gradient is the sum of the uses (multivariate chain rule), so

    ∂L/∂a = sum of ∂L/∂result over the axes where a was stretched.

Ops' backward methods return gradients shaped like their (broadcast) output; the engine
calls ``unbroadcast`` on each, so no op has to think about broadcasting.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import BackwardError, ShapeError

if TYPE_CHECKING:
    from .tensor import Tensor


def broadcast_shapes(*shapes: tuple[int, ...], op: str = "broadcast") -> tuple[int, ...]:
    """NumPy's broadcast rule, with an error that shows the shapes."""
    ndim = max(len(shape) for shape in shapes)
    result = []
    for axis in range(-ndim, 0):
        sizes = {shape[axis] for shape in shapes if len(shape) >= -axis} - {1}
        if len(sizes) > 1:
            raise ShapeError(
                f"{op}: shapes {', '.join(str(s) for s in shapes)} cannot be broadcast together: "
                f"axis {axis} has sizes {sorted(sizes)}. Along each axis (counted from the right) "
                "sizes must be equal or 1; reshape one operand, e.g. x.reshape(-1, 1)."
            )
        result.append(sizes.pop() if sizes else 1)
    return tuple(result)


def unbroadcast(grad: Tensor, shape: tuple[int, ...], op: str = "op") -> Tensor:
    """Sum ``grad`` over the axes along which an input of ``shape`` was broadcast."""
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra < 0 or any(size not in (1, grad.shape[extra + axis]) for axis, size in enumerate(shape)):
        raise BackwardError(
            f"{op}.backward returned a gradient of shape {grad.shape} for an input of shape {shape}: "
            f"a gradient has its input's shape {shape} (or, for an input that forward broadcast, the "
            "broadcast shape, which the engine sums back)"
        )
    stretched = tuple(range(extra)) + tuple(
        extra + axis for axis, size in enumerate(shape) if size == 1 and grad.shape[extra + axis] != 1
    )
    summed = grad.sum(axis=stretched) if stretched else grad
    return summed.reshape(shape)
