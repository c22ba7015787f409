"""TensorData: the NumPy array of a Tensor, with the few PyTorch in-place methods old tutorials call on .data.

    x.data                         # the values, printed as NumPy prints them; an np.ndarray
    x.data.sub_(x.grad.data * lr)  # θ = θ − η g, written into x's array (PyTorch's spelling)
    p.grad.data.zero_()            # a gradient set to zeros in place
    p.data -= lr * p.grad          # a Tensor on the right is fine: its array is used
    x.data.norm()                  # ‖x‖₂, a NumPy scalar

``Tensor.data`` returns its array seen as a TensorData: the same memory (no copy), so a write
through it changes the tensor. Everything NumPy has works as in NumPy, and arithmetic gives
plain arrays again (``x.data * 2`` is an np.ndarray), so nothing downstream ever sees this
class. What it adds is PyTorch's in-place spelling, with PyTorch's meaning and return value
(the array itself): zero_, fill_, add_(other, alpha=1), sub_(other, alpha=1), mul_, div_,
copy_, clamp_; also clone() (a plain copy, where PyTorch returns a tensor), norm() (a NumPy
scalar, where PyTorch returns a 0-d tensor) and size() (the shape, as PyTorch; ``.size``
without a call is still NumPy's element count). A Tensor method that NumPy lacks, such as
``x.data.backward()``, raises an AttributeError that says to call it on the tensor.

Writes through ``.data`` are not counted as changes of the tensor (its ``_version`` stays):
as in PyTorch, ``.data`` is the way around autograd's checks. Assigning ``x.data = ...`` (and
so ``x.data -= ...``) is counted. Teaching mode (teaching.py) still notices an array saved
for backward that changed before backward(), whichever way it was written.

NOTE: Tensor is imported inside the functions that need it, when first called: tensor.py
imports this module to define Tensor.data.
"""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np


def _plain(value: Any) -> Any:
    """A Tensor's array, a TensorData seen as a plain ndarray, anything else as it is."""
    from . import Tensor  # see the module docstring: imported when first used

    if isinstance(value, Tensor):
        return value._data
    if isinstance(value, TensorData):
        return value.view(np.ndarray)
    return value


def _plain_result(result: Any) -> Any:
    """A result of NumPy made plain (tuples of results too)."""
    if isinstance(result, TensorData):
        return result.view(np.ndarray)
    if isinstance(result, tuple):
        return tuple(_plain_result(item) for item in result)
    return result


class ElementCount(int):
    """NumPy's ``a.size`` (the number of elements) that can also be called as PyTorch's
    ``size()``: ``x.data.size`` is 6 and ``x.data.size()`` is (2, 3) for a 2 × 3 array."""

    shape: tuple[int, ...]

    def __call__(self, dim: int | None = None) -> Any:
        return self.shape if dim is None else self.shape[dim]


class TensorData(np.ndarray):
    """The NumPy array of a Tensor, with the few PyTorch in-place methods old tutorials call on .data."""

    # ----- stay NumPy: print as an array, compute plain arrays (views and selections such as
    # a.T, a[0], a[mask] stay TensorData, so ``p.data[0].fill_(1)`` writes into p) ------------

    def __repr__(self) -> str:
        return repr(self.view(np.ndarray))

    def __str__(self) -> str:
        return str(self.view(np.ndarray))

    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, out: Any = None, **kwargs: Any) -> Any:
        """Run the ufunc on plain arrays, so ``x.data * 2`` and ``x.data.sum()`` are plain."""
        inputs = tuple(item.view(np.ndarray) if isinstance(item, TensorData) else item for item in inputs)
        if out is not None:
            kwargs["out"] = tuple(item.view(np.ndarray) if isinstance(item, TensorData) else item for item in out)
        result = getattr(ufunc, method)(*inputs, **kwargs)
        if out is None:
            return result
        # Written into out=: return the arrays given (``x.data -= y`` keeps x.data a TensorData).
        if isinstance(result, tuple):
            return tuple(given if given is not None else got for given, got in zip(out, result))
        return out[0]

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        """NumPy functions (np.mean, np.concatenate, ...) give plain arrays too."""
        return _plain_result(super().__array_function__(func, types, args, kwargs))

    def copy(self, order: Any = "C") -> np.ndarray:  # type: ignore[override]
        return self.view(np.ndarray).copy(order)

    def astype(self, *args: Any, **kwargs: Any) -> np.ndarray:  # type: ignore[override]
        return self.view(np.ndarray).astype(*args, **kwargs)

    def dot(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        return self.view(np.ndarray).dot(*args, **kwargs)

    def flatten(self, *args: Any, **kwargs: Any) -> np.ndarray:  # type: ignore[override]
        return self.view(np.ndarray).flatten(*args, **kwargs)

    def repeat(self, *args: Any, **kwargs: Any) -> np.ndarray:  # type: ignore[override]
        return self.view(np.ndarray).repeat(*args, **kwargs)

    # ``a -= tensor``: NumPy refuses a Tensor operand (Tensor sets __array_ufunc__ = None), so
    # take its array first. ``a - tensor`` (not in place) stays Tensor's: it gives a Tensor.

    def __iadd__(self, other: Any) -> TensorData:  # type: ignore[override, misc]
        return super().__iadd__(_plain(other))

    def __isub__(self, other: Any) -> TensorData:  # type: ignore[override, misc]
        return super().__isub__(_plain(other))

    def __imul__(self, other: Any) -> TensorData:  # type: ignore[override, misc]
        return super().__imul__(_plain(other))

    def __itruediv__(self, other: Any) -> TensorData:  # type: ignore[override, misc]
        return super().__itruediv__(_plain(other))

    def __ipow__(self, other: Any) -> TensorData:  # type: ignore[override, misc]
        return super().__ipow__(_plain(other))

    # ----- PyTorch's in-place methods: write into the array, return it ----------------------

    def zero_(self) -> TensorData:
        """a = 0"""
        self[...] = 0
        return self

    def fill_(self, value: Any) -> TensorData:
        """a = value (a number)"""
        self[...] = _plain(value)
        return self

    def copy_(self, source: Any) -> TensorData:
        """a = source (broadcast to a's shape, cast to a's dtype)"""
        self[...] = _plain(source)
        return self

    def add_(self, other: Any, alpha: builtins.float = 1) -> TensorData:
        """a = a + α · other"""
        other = _plain(other)
        np.add(self, other if alpha == 1 else alpha * other, out=self)
        return self

    def sub_(self, other: Any, alpha: builtins.float = 1) -> TensorData:
        """a = a − α · other"""
        other = _plain(other)
        np.subtract(self, other if alpha == 1 else alpha * other, out=self)
        return self

    def mul_(self, other: Any) -> TensorData:
        """a = a · other"""
        np.multiply(self, _plain(other), out=self)
        return self

    def div_(self, other: Any) -> TensorData:
        """a = a / other"""
        np.divide(self, _plain(other), out=self)
        return self

    def clamp_(self, min: Any = None, max: Any = None) -> TensorData:
        """a = min(max(a, min), max)"""
        np.clip(self, _plain(min), _plain(max), out=self)
        return self

    # ----- PyTorch's other names used on .data ---------------------------------------------

    def clone(self) -> np.ndarray:
        """A copy, as a plain array (PyTorch returns a tensor; here .data is an array)."""
        return self.view(np.ndarray).copy()

    def norm(self, p: Any = 2, dim: Any = None, keepdim: bool = False) -> Any:
        """The p-norm (‖a‖_p = (Σ|aᵢ|ᵖ)^(1/p); "fro" is p = 2) of all elements, or along dim.

        A NumPy scalar of the array's dtype (PyTorch returns a 0-d tensor), an array with dim."""
        values = np.abs(self.view(np.ndarray))
        if p in (2, "fro"):
            result = np.sqrt(np.sum(values * values, axis=dim, keepdims=keepdim))
        elif p == np.inf:
            result = np.max(values, axis=dim, keepdims=keepdim)
        elif p == 1:
            result = np.sum(values, axis=dim, keepdims=keepdim)
        else:
            result = np.sum(values**p, axis=dim, keepdims=keepdim) ** (1 / p)
        return result.astype(self.dtype, copy=False) if self.dtype.kind == "f" else result

    @property  # type: ignore[misc]
    def size(self) -> ElementCount:  # type: ignore[override]
        """NumPy's element count, which ``size()`` turns into PyTorch's shape."""
        count = ElementCount(self.view(np.ndarray).size)
        count.shape = self.shape
        return count

    def __getattr__(self, name: str) -> Any:
        """Only for names NumPy lacks: a Tensor method gets a message that says where it is."""
        from . import Tensor  # see the module docstring: imported when first used

        if not name.startswith("_") and hasattr(Tensor, name):
            if callable(getattr(Tensor, name)):
                kind, use = "method", f"call it on the tensor (`t.{name}(...)`)"
            else:
                kind, use = "attribute", f"read it on the tensor (`t.{name}`)"
            raise AttributeError(
                f"`.data` is the tensor's NumPy array here; `t.data.{name}` is a Tensor {kind}: {use} or use NumPy"
            )
        raise AttributeError(f"'numpy.ndarray' object has no attribute '{name}'")


def plain_array(array: Any, current: np.ndarray) -> Any:
    """What ``x.data = array`` stores: never a TensorData. ``x.data -= y`` hands back x's own
    array seen as a TensorData; then x keeps ``current``, the same array object as before."""
    if not isinstance(array, TensorData):
        return array
    if (
        array.shape == current.shape
        and array.strides == current.strides
        and array.dtype == current.dtype
        and array.__array_interface__["data"][0] == current.__array_interface__["data"][0]
    ):
        return current
    return array.view(np.ndarray)
