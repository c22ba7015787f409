"""PyTorch's module-level functions: ``tg.max(x, 1)``, ``tg.exp(x)``, ``tg.softmax(x, dim=1)`` ...

Each calls the Tensor method of the same name, with PyTorch's meaning: the second positional
argument of ``tg.max``/``tg.min`` is a dim, so

    _, predicted = tg.max(outputs, 1)        # (values, indices), as torch.max(outputs, 1)

works as in PyTorch (as does the method, ``outputs.max(1)``).
``tg.max(a, b)`` of two tensors is the elementwise maximum, as torch.max(a, b).
Inputs that are not Tensors (NumPy arrays, lists) are wrapped first.

``tg.device("cpu")`` is "cpu" (see also cuda.py: there is no GPU here).
``tg.set_num_threads(n)`` / ``tg.get_num_threads()`` set and read BLAS's thread count
(threads.py; without them the library chooses at the first large matrix product).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import threads
from ..core.tensor import Tensor
from .arguments import Axis
from .pytorch_names import ValuesIndices


def _tensor(input: Any) -> Tensor:
    if type(input) is int:  # a number (Tensor(5) would be five zeros, PyTorch's sizes)
        return Tensor(float(input))
    return input if isinstance(input, Tensor) else Tensor(input)


def _into(out: Tensor | None, result: Tensor) -> Tensor:
    """PyTorch's ``out=``: the result written into ``out`` (same shape), which is returned."""
    if out is None:
        return result
    if tuple(out.shape) != tuple(result.shape):
        raise ValueError(
            f"out= has shape {tuple(out.shape)}, the result {tuple(result.shape)}: give a tensor of the result's shape"
        )
    return out.copy_(result)


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


def sin(input: Any) -> Tensor:
    return _tensor(input).sin()


def cos(input: Any) -> Tensor:
    return _tensor(input).cos()


def tan(input: Any) -> Tensor:
    """tan x = sin x / cos x."""
    x = _tensor(input)
    return x.sin() / x.cos()


def pow(input: Any, exponent: Any) -> Tensor:
    return _tensor(input) ** exponent


def square(input: Any) -> Tensor:
    return _tensor(input).square()


def neg(input: Any) -> Tensor:
    return -_tensor(input)


def add(input: Any, other: Any, alpha: float = 1, out: Tensor | None = None) -> Tensor:
    return _into(out, _tensor(input).add(other, alpha=alpha))


def sub(input: Any, other: Any, alpha: float = 1, out: Tensor | None = None) -> Tensor:
    return _into(out, _tensor(input).sub(other, alpha=alpha))


def mul(input: Any, other: Any, out: Tensor | None = None) -> Tensor:
    return _into(out, _tensor(input) * other)


def div(input: Any, other: Any, out: Tensor | None = None) -> Tensor:
    return _into(out, _tensor(input) / other)


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


def matmul(input: Any, other: Any, out: Tensor | None = None) -> Tensor:
    return _into(out, _tensor(input).matmul(other))


def mm(input: Any, mat2: Any, out: Tensor | None = None) -> Tensor:
    return _into(out, _tensor(input).mm(_tensor(mat2)))


def dot(input: Any, other: Any) -> Tensor:
    return _tensor(input).dot(_tensor(other))


def std(
    input: Any, dim: Axis = None, correction: int = 1, keepdim: bool = False, unbiased: bool | None = None
) -> Tensor:
    return _tensor(input).std(dim, correction=correction, keepdim=keepdim, unbiased=unbiased)


def var(
    input: Any, dim: Axis = None, correction: int = 1, keepdim: bool = False, unbiased: bool | None = None
) -> Tensor:
    return _tensor(input).var(dim, correction=correction, keepdim=keepdim, unbiased=unbiased)


def norm(input: Any, p: Any = "fro", dim: Axis = None, keepdim: bool = False) -> Tensor:
    return _tensor(input).norm(p, dim=dim, keepdim=keepdim)


def all(input: Any, dim: int | None = None, keepdim: bool = False) -> Tensor:
    return _tensor(input).all(dim, keepdim=keepdim)


def any(input: Any, dim: int | None = None, keepdim: bool = False) -> Tensor:
    return _tensor(input).any(dim, keepdim=keepdim)


def allclose(input: Any, other: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> bool:
    return _tensor(input).allclose(_tensor(other), rtol=rtol, atol=atol, equal_nan=equal_nan)


def isclose(input: Any, other: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> Tensor:
    return Tensor(np.isclose(_tensor(input)._data, _tensor(other)._data, rtol=rtol, atol=atol, equal_nan=equal_nan))


def equal(input: Any, other: Any) -> bool:
    return _tensor(input).equal(_tensor(other))


def masked_fill(input: Any, mask: Any, value: Any) -> Tensor:
    return _tensor(input).masked_fill(mask, value)


def transpose(input: Any, dim0: int, dim1: int) -> Tensor:
    return _tensor(input).swapaxes(dim0, dim1)


def t(input: Any) -> Tensor:
    return _tensor(input).t()


def reshape(input: Any, shape: Any) -> Tensor:
    return _tensor(input).reshape(shape)


def unsqueeze(input: Any, dim: int) -> Tensor:
    return _tensor(input).unsqueeze(dim)


def squeeze(input: Any, dim: Axis = None) -> Tensor:
    return _tensor(input).squeeze(dim)


def numel(input: Any) -> int:
    return _tensor(input).numel()


def is_tensor(obj: Any) -> bool:
    return isinstance(obj, Tensor)


def set_num_threads(count: int) -> None:
    """Let BLAS (NumPy's matrix products) use ``count`` threads; the library no longer chooses."""
    threads.set_threads(count)


def get_num_threads() -> int:
    """BLAS's thread count now (1 where threadpoolctl finds no BLAS library)."""
    return threads.blas_threads() or 1


def set_default_dtype(dtype: Any) -> None:
    """Only float32 is accepted: it is the default float here, and there is no other."""
    if np.dtype(dtype) != np.float32:
        raise TypeError(
            f"set_default_dtype({np.dtype(dtype)}): the default float is float32 and cannot change here; "
            "give dtype= to the factories (tg.zeros(3, dtype=tg.float64)) or convert with x.double()"
        )


def get_default_dtype() -> Any:
    return np.float32


def clamp(input: Any, min: float | None = None, max: float | None = None) -> Tensor:
    return _tensor(input).clamp(min, max)


def flatten(input: Any, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    return _tensor(input).flatten(start_dim=start_dim, end_dim=end_dim)
