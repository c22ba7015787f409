"""Functions of several tensors: join them (concatenate, PyTorch's cat, stack) or choose
between them elementwise (where).

    tg.concatenate([a, b], axis=1)     # np.concatenate; tg.cat([a, b], dim=1) as torch.cat
    tg.stack([a, b])                   # a new axis 0 of length 2
    tg.where(x > 0, x, 0.1 * x)        # leaky ReLU, written out

Each is differentiable in its tensors: the ops (Concatenate, Where) are in ``ops/``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..core.tensor import Tensor
from ..errors import DTypeError, ShapeError
from ..ops.elementwise import Where
from ..ops.movement import Concatenate
from .arguments import axis_or_dim


def _as_tensor(value: Any) -> Tensor:
    """A list, array or number as a Tensor (a Python int is the number, not PyTorch's sizes)."""
    if type(value) is int:
        return Tensor(float(value))
    return value if isinstance(value, Tensor) else Tensor(value)


def concatenate(tensors: Sequence[Tensor], axis: int | None = None, *, dim: int | None = None) -> Tensor:
    """Join tensors along an existing axis (np.concatenate; ``dim=`` as torch.cat)."""
    axis = axis_or_dim("concatenate", axis, dim)
    if len(tensors) == 0:
        raise ValueError("concatenate: needs at least one tensor")
    return Concatenate.apply(*tensors, axis=0 if axis is None else axis)


def cat(tensors: Sequence[Tensor], dim: int | None = None, *, axis: int | None = None) -> Tensor:
    """PyTorch's name for concatenate: ``tg.cat([a, b], dim=1)``."""
    return concatenate(tensors, axis=axis, dim=dim)


def hstack(tensors: Sequence[Tensor]) -> Tensor:
    """Join along dim 1 (dim 0 for 1-D tensors), as torch.hstack and np.hstack."""
    tensors = [_as_tensor(t) for t in tensors]
    return concatenate(tensors, axis=0 if tensors and tensors[0].ndim == 1 else 1)


def vstack(tensors: Sequence[Tensor]) -> Tensor:
    """Join along dim 0, a 1-D tensor counting as one row, as torch.vstack and np.vstack."""
    tensors = [_as_tensor(t) for t in tensors]
    return concatenate([t.reshape(1, -1) if t.ndim == 1 else t for t in tensors], axis=0)


def stack(tensors: Sequence[Tensor], axis: int | None = None, *, dim: int | None = None) -> Tensor:
    """Join same-shaped tensors along a new axis (np.stack, torch.stack): each gets an axis of
    size 1, then they are concatenated along it."""
    axis = axis_or_dim("stack", axis, dim)
    axis = 0 if axis is None else axis
    if len(tensors) == 0:
        raise ValueError("stack: needs at least one tensor")
    tensors = [_as_tensor(t) for t in tensors]
    shapes = {t.shape for t in tensors}
    if len(shapes) > 1:
        raise ShapeError(f"stack: all tensors must have the same shape, got {sorted(shapes)}")
    ndim = tensors[0].ndim + 1
    position = axis % ndim
    expanded = [t.reshape(t.shape[:position] + (1,) + t.shape[position:]) for t in tensors]
    return concatenate(expanded, axis=position)


def where(condition: Any, a: Any, b: Any) -> Tensor:
    """Elementwise choice: a where condition is true, else b (np.where). Differentiable in a, b."""
    condition_array = condition._data if isinstance(condition, Tensor) else np.asarray(condition)
    if condition_array.dtype != np.bool_:
        raise DTypeError(
            f"where: the condition must be boolean, got {condition_array.dtype}; compare first, e.g. x > 0"
        )
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        # two Python numbers: PyTorch's dtype, int64 for ints, float32 if either is a float
        from .creation import tensor

        like = tensor([a, b])
    else:
        like = a if isinstance(a, Tensor) else b if isinstance(b, Tensor) else _as_tensor(a)
    return Where.apply(Tensor(condition_array), like._operand(a, "where"), like._operand(b, "where"))
