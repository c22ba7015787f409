"""PyTorch's module-level functions: ``tg.max(x, 1)``, ``tg.exp(x)``, ``tg.softmax(x, dim=1)`` ...

Each calls the Tensor method of the same name, with PyTorch's meaning: the second positional
argument of ``tg.max``/``tg.min`` is a dim, so

    _, predicted = tg.max(outputs, 1)        # (values, indices), as torch.max(outputs, 1)

works as in PyTorch (the method ``outputs.max(1)`` keeps NumPy's meaning: the values).
``tg.max(a, b)`` of two tensors is the elementwise maximum, as torch.max(a, b).
Inputs that are not Tensors (NumPy arrays, lists) are wrapped first.

``tg.device("cpu")`` is "cpu" (see also cuda.py: there is no GPU here).
"""

from __future__ import annotations

from typing import Any

from .arguments import Axis, check_device
from .pytorch_names import ValuesIndices
from .tensor import Tensor


def _tensor(input: Any) -> Tensor:
    return input if isinstance(input, Tensor) else Tensor(input)


def max(input: Any, dim: int | Tensor | None = None, keepdim: bool = False) -> Tensor | ValuesIndices:
    """The largest element; with ``dim``: (values, indices); with a tensor: the elementwise maximum."""
    if isinstance(dim, Tensor):
        return _tensor(input).maximum(dim)
    if dim is None:
        return _tensor(input).max()
    return _tensor(input).max(dim=dim, keepdim=keepdim)


def min(input: Any, dim: int | Tensor | None = None, keepdim: bool = False) -> Tensor | ValuesIndices:
    """The smallest element; with ``dim``: (values, indices); with a tensor: the elementwise minimum."""
    if isinstance(dim, Tensor):
        return -((-_tensor(input)).maximum(-dim))
    if dim is None:
        return _tensor(input).min()
    return _tensor(input).min(dim=dim, keepdim=keepdim)


def maximum(input: Any, other: Any) -> Tensor:
    return _tensor(input).maximum(other)


def argmax(input: Any, dim: int | None = None, keepdim: bool = False) -> Tensor:
    return _tensor(input).argmax(dim=dim, keepdim=keepdim)


def argmin(input: Any, dim: int | None = None, keepdim: bool = False) -> Tensor:
    return _tensor(input).argmin(dim=dim, keepdim=keepdim)


def sum(input: Any, dim: Axis = None, keepdim: bool = False) -> Tensor:
    return _tensor(input).sum(dim=dim, keepdim=keepdim)


def mean(input: Any, dim: Axis = None, keepdim: bool = False) -> Tensor:
    return _tensor(input).mean(dim=dim, keepdim=keepdim)


def exp(input: Any) -> Tensor:
    return _tensor(input).exp()


def log(input: Any) -> Tensor:
    return _tensor(input).log()


def sqrt(input: Any) -> Tensor:
    return _tensor(input).sqrt()


def abs(input: Any) -> Tensor:
    return _tensor(input).abs()


def relu(input: Any) -> Tensor:
    """y = max(x, 0). See ``ops.elementwise.ReLU``."""
    return _tensor(input).relu()


def sigmoid(input: Any) -> Tensor:
    """y = 1 / (1 + exp(−x)), without overflow. See ``ops.elementwise.Sigmoid``."""
    return _tensor(input).sigmoid()


def tanh(input: Any) -> Tensor:
    """y = tanh x. See ``ops.elementwise.Tanh``."""
    return _tensor(input).tanh()


def softmax(input: Any, dim: int = -1) -> Tensor:
    return _tensor(input).softmax(dim=dim)


def log_softmax(input: Any, dim: int = -1) -> Tensor:
    return _tensor(input).log_softmax(dim=dim)


def matmul(input: Any, other: Any) -> Tensor:
    return _tensor(input).matmul(other)


def clamp(input: Any, min: float | None = None, max: float | None = None) -> Tensor:
    return _tensor(input).clamp(min, max)


def flatten(input: Any, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    return _tensor(input).flatten(start_dim=start_dim, end_dim=end_dim)


def device(type: str) -> str:
    """``tg.device("cpu")`` is "cpu"; any other device is an error saying to use the CPU."""
    check_device(type)
    return type

