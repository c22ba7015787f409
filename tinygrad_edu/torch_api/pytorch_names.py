"""PyTorch's names for Tensor's methods, as the class PyTorchNames that Tensor builds on.

    x.view(2, -1).unsqueeze(0).permute(0, 2, 1)   # reshape, a new axis, transpose
    x.size(), x.size(0), x.numel(), x.dim()        # the shape, one length, the count, the axes
    x.float(), x.double(), x.long(), x.to(y)       # dtypes (to() itself is in tensor.py: the Cast op)
    with tg.no_grad():
        w -= lr * w.grad                           # in place, where no graph is recorded

Each is a one-line alias or a short composition of Tensor's own methods (tensor.py), with
PyTorch's meaning, so a PyTorch script reads the same here; none adds an op. Tensor inherits
them all: ``class Tensor(PyTorchNames)``. The in-place changes (add_, zero_, x += y,
x[mask] = 0 ...) are here too, with the rule for how a tensor changes in place; so are the
statistics (std, var, norm), the logic (all, any, allclose, equal), masked_fill, and the
message a custom Function's forward gets when it calls a Tensor method on an array.

``x.size`` is PyTorch's method, not NumPy's element count (that is ``x.numel()``): it is a
SizeMethod, which says so when used as a number. ``x.max(dim=1)`` returns ValuesIndices,
as torch.max.

NOTE: Tensor and the ops are imported inside the few methods that need them, when first
called: tensor.py imports this module to define Tensor, so neither exists yet when this
module is loaded.
"""

from __future__ import annotations

import builtins
import weakref
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NamedTuple, overload

import numpy as np

from ..core import grad_mode
from ..errors import BackwardError, DTypeError, ShapeError
from .arguments import Axis, _shape_argument, axis_or_dim, check_device, device, keepdims_or_keepdim

if TYPE_CHECKING:
    from ..core.tensor import Tensor


class PyTorchNames:
    """The PyTorch spelling of Tensor's methods (Tensor's base class; it holds no data)."""

    __slots__ = ()  # Tensor declares its own slots: no per-tensor __dict__

    @property
    def size(self: Tensor) -> SizeMethod:
        """PyTorch's method: ``x.size()`` is the shape, ``x.size(0)`` one axis's length.
        NOTE: not NumPy's number of elements; that is ``x.numel()``."""
        return SizeMethod(self._data.shape)

    def numel(self: Tensor) -> int:
        """The number of elements (NumPy's ``a.size``)."""
        return self._data.size

    def dim(self: Tensor) -> int:
        """The number of axes (``x.ndim``)."""
        return self._data.ndim

    @property
    def device(self: Tensor) -> device:
        """Always "cpu": the numbers live in NumPy arrays."""
        return device("cpu")

    @property
    def is_cuda(self: Tensor) -> builtins.bool:
        return False

    def is_floating_point(self: Tensor) -> builtins.bool:
        return self.dtype.kind == "f"

    def view(self: Tensor, *shape: int | Sequence[int]) -> Tensor:
        """The same elements in a new shape (reshape; -1 infers one axis)."""
        return self.reshape(*shape)

    def view_as(self: Tensor, other: Tensor) -> Tensor:
        return self.reshape(other.shape)

    def reshape_as(self: Tensor, other: Tensor) -> Tensor:
        return self.reshape(other.shape)

    def contiguous(self: Tensor) -> Tensor:
        """The tensor itself: NumPy arrays need no contiguous copy before view()."""
        return self

    def unsqueeze(self: Tensor, dim: int) -> Tensor:
        """Insert an axis of size 1 at ``dim`` (negative counts from the end of the result)."""
        position = dim if dim >= 0 else dim + self.ndim + 1
        if not 0 <= position <= self.ndim:
            raise IndexError(f"unsqueeze({dim}): dim must lie in [{-self.ndim - 1}, {self.ndim}] for {self.shape}")
        return self.reshape(self.shape[:position] + (1,) + self.shape[position:])

    def squeeze(self: Tensor, dim: Axis = None, *, axis: Axis = None) -> Tensor:
        """Remove axes of size 1: all of them, or those among ``dim`` (PyTorch: a dim whose size is
        not 1 is left as it is). ``axis=`` is NumPy's: such an axis is an error."""
        from ..ops.reduce import normalize_axis  # see the module docstring: imported when first used

        if axis is not None:
            axis_or_dim("squeeze", axis, dim)
            axes = normalize_axis(axis, self.ndim)
            wrong = [a for a in axes if self.shape[a] != 1]
            if wrong:
                raise ShapeError(f"squeeze(axis={axis}): axis {wrong[0]} of shape {self.shape} does not have size 1")
        else:
            axes = tuple(a for a in normalize_axis(dim, self.ndim) if self.shape[a] == 1)
        return self.reshape(tuple(size for a, size in enumerate(self.shape) if a not in axes))

    def permute(self: Tensor, *dims: int | Sequence[int]) -> Tensor:
        """Reorder all the axes: ``x.permute(0, 2, 1)`` (NumPy's transpose with axes)."""
        from ..ops.movement import Transpose  # see the module docstring: imported when first used

        return Transpose.apply(self, axes=_shape_argument(dims))

    def t(self: Tensor) -> Tensor:
        """Transpose a matrix; 0-D and 1-D tensors come back as they are (as torch.t)."""
        if self.ndim > 2:
            raise ShapeError(
                f"t() expects a tensor with at most 2 dimensions, got shape {self.shape}; "
                "use x.mT (the last two axes) or x.permute(...)"
            )
        return self.transpose() if self.ndim == 2 else self

    def expand(self: Tensor, *sizes: int | Sequence[int]) -> Tensor:
        """Repeat axes of size 1 (and add leading axes) to reach ``sizes``; -1 keeps an axis."""
        sizes = _shape_argument(sizes)
        lead = len(sizes) - self.ndim
        if lead < 0:
            raise ShapeError(f"expand{tuple(sizes)}: fewer sizes than the {self.ndim} axes of shape {self.shape}")
        shape = tuple(self.shape[i - lead] if size == -1 and i >= lead else size for i, size in enumerate(sizes))
        return self.broadcast_to(shape)

    def expand_as(self: Tensor, other: Tensor) -> Tensor:
        return self.broadcast_to(other.shape)

    def clone(self: Tensor) -> Tensor:
        """A copy of the values that stays in the graph (gradients flow back to self)."""
        return self[...]

    def float(self: Tensor) -> Tensor:
        """float32 (``x.to(np.float32)``)."""
        return self.to(np.float32)

    def double(self: Tensor) -> Tensor:
        """float64 (``x.to(np.float64)``)."""
        return self.to(np.float64)

    def half(self: Tensor) -> Tensor:
        return self.to(np.float16)

    def long(self: Tensor) -> Tensor:
        """int64: the dtype of class labels and indices."""
        return self.to(np.int64)

    def int(self: Tensor) -> Tensor:
        return self.to(np.int32)

    def bool(self: Tensor) -> Tensor:
        return self.to(np.bool_)

    def type(self: Tensor, dtype: Any = None) -> Any:
        """``x.type(tg.float)`` converts (as x.to(tg.float)); ``x.type()`` names the dtype, as
        PyTorch's "torch.FloatTensor"; PyTorch's type strings are understood too."""
        if dtype is None:
            return f"tinygrad_edu.{_TYPE_NAMES.get(self.dtype.name, self.dtype.name)}"
        if isinstance(dtype, str):
            name = dtype.rsplit(".", 1)[-1]
            dtype = next((np.dtype(key) for key, value in _TYPE_NAMES.items() if value == name), None)
            if dtype is None:
                raise TypeError(f"type({name!r}): expected a dtype (tg.float) or a name such as 'torch.FloatTensor'")
        return self.to(dtype)

    def cpu(self: Tensor) -> Tensor:
        return self

    def cuda(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        check_device("cuda")
        return self

    def tolist(self: Tensor) -> Any:
        """The values as (nested) Python lists of numbers; a 0-D tensor gives one number."""
        return self._data.tolist()

    def requires_grad_(self: Tensor, requires_grad: builtins.bool = True) -> Tensor:
        """Switch gradient tracking on (or off) for this leaf, in place; returns self."""
        if self.grad_fn is not None:
            raise BackwardError(
                "requires_grad_(): only leaf tensors can change requires_grad; this tensor was made by "
                f"{self.grad_fn.name}. Use y = y.detach().requires_grad_() for a new leaf"
            )
        if requires_grad and self.dtype.kind != "f":
            raise DTypeError(f"requires_grad_(): needs floating-point data, got {self.dtype}; call x.float() first")
        if requires_grad and self.dtype == np.float16:
            from ..core.tensor import _warn_float16  # see the module docstring: imported when first used

            _warn_float16()
        self.requires_grad = requires_grad
        return self

    # Arithmetic under PyTorch's method names.

    def add(self: Tensor, other: Any, alpha: builtins.float = 1) -> Tensor:
        return self + (other if alpha == 1 else self._operand(other, "add") * alpha)

    def sub(self: Tensor, other: Any, alpha: builtins.float = 1) -> Tensor:
        return self - (other if alpha == 1 else self._operand(other, "sub") * alpha)

    def mul(self: Tensor, other: Any) -> Tensor:
        return self * other

    def div(self: Tensor, other: Any) -> Tensor:
        return self / other

    def pow(self: Tensor, exponent: Any) -> Tensor:
        return self**exponent

    def neg(self: Tensor) -> Tensor:
        return -self

    def square(self: Tensor) -> Tensor:
        return self * self

    def mm(self: Tensor, other: Tensor) -> Tensor:
        """Product of two matrices (2-D only, as torch.mm); ``@`` does the rest."""
        if self.ndim != 2 or other.ndim != 2:
            raise ShapeError(f"mm: needs two matrices, got shapes {self.shape} and {other.shape}; use @ (matmul)")
        return self.matmul(other)

    def clamp(self: Tensor, min: builtins.float | None = None, max: builtins.float | None = None) -> Tensor:
        """Limit the values to [min, max] (NumPy's clip)."""
        return self.clip(min, max)

    def dot(self: Tensor, other: Tensor) -> Tensor:
        """Inner product of two vectors (1-D only, as torch.dot)."""
        if self.ndim != 1 or other.ndim != 1:
            raise ShapeError(f"dot: needs two 1-D tensors, got shapes {self.shape} and {other.shape}; use @ (matmul)")
        return self.matmul(other)

    # Statistics and norms, composed of the ops (so they are differentiable).

    def var(
        self: Tensor,
        dim: Axis = None,
        unbiased: builtins.bool | None = None,
        keepdim: builtins.bool = False,
        *,
        correction: builtins.int | None = None,
        axis: Axis = None,
        keepdims: builtins.bool | None = None,
        ddof: builtins.int | None = None,
    ) -> Tensor:
        """Variance Σ(x − mean)² / (n − correction) of all elements or along ``dim``. PyTorch's
        default is correction=1 (unbiased=True), also for a positional dim; NumPy's keywords
        (axis=, keepdims=, ddof=) keep np.var's default, ddof=0."""
        from ..ops.reduce import normalize_axis  # see the module docstring: imported when first used

        numpy_spelling = axis is not None or keepdims is not None or ddof is not None
        dim = axis_or_dim("var", axis, dim)
        keepdim = keepdims_or_keepdim("var", keepdims, keepdim or None)
        if ddof is not None:
            correction = ddof
        elif correction is None:
            correction = 0 if unbiased is False or numpy_spelling and unbiased is None else 1
        count = 1
        for axis_index in normalize_axis(dim, self.ndim):
            count *= self.shape[axis_index]
        centred = self - self.mean(dim=dim, keepdim=True)
        return (centred * centred).sum(dim=dim, keepdim=keepdim) / (count - correction)

    def std(
        self: Tensor,
        dim: Axis = None,
        unbiased: builtins.bool | None = None,
        keepdim: builtins.bool = False,
        *,
        correction: builtins.int | None = None,
        axis: Axis = None,
        keepdims: builtins.bool | None = None,
        ddof: builtins.int | None = None,
    ) -> Tensor:
        """Standard deviation, √var (the same defaults as ``var``)."""
        variance = self.var(dim, unbiased, keepdim, correction=correction, axis=axis, keepdims=keepdims, ddof=ddof)
        return variance.sqrt()

    def norm(self: Tensor, p: Any = "fro", dim: Axis = None, keepdim: builtins.bool = False) -> Tensor:
        """The p-norm (Σ|x|ᵖ)^(1/p) of all elements or along ``dim``: p=2 (or "fro", the default)
        is the Euclidean length, p=1 the sum of |x|, p=inf the largest |x|."""
        if p in ("fro", 2):
            return (self * self).sum(dim=dim, keepdim=keepdim).sqrt()
        if p == 1:
            return self.abs().sum(dim=dim, keepdim=keepdim)
        if p == builtins.float("inf"):
            return self.abs().max(axis=dim, keepdims=keepdim)
        return (self.abs() ** p).sum(dim=dim, keepdim=keepdim) ** (1 / p)

    # Logic: booleans, no gradient.

    def all(self: Tensor, dim: builtins.int | None = None, keepdim: builtins.bool = False) -> Tensor:
        """True where every element is non-zero (of all, or along ``dim``)."""
        from ..core.tensor import Tensor  # see the module docstring: imported when first used

        return Tensor(np.all(self._data, axis=dim, keepdims=keepdim))

    def any(self: Tensor, dim: builtins.int | None = None, keepdim: builtins.bool = False) -> Tensor:
        """True where some element is non-zero (of all, or along ``dim``)."""
        from ..core.tensor import Tensor  # see the module docstring: imported when first used

        return Tensor(np.any(self._data, axis=dim, keepdims=keepdim))

    def allclose(
        self: Tensor,
        other: Any,
        rtol: builtins.float = 1e-05,
        atol: builtins.float = 1e-08,
        equal_nan: builtins.bool = False,
    ) -> builtins.bool:
        """|self − other| ≤ atol + rtol·|other| everywhere: a Python bool (as torch.allclose)."""
        return builtins.bool(np.allclose(self._data, _values(other), rtol=rtol, atol=atol, equal_nan=equal_nan))

    def equal(self: Tensor, other: Any) -> builtins.bool:
        """Same shape and the same values: a Python bool (as torch.equal)."""
        return builtins.bool(np.array_equal(self._data, _values(other)))

    def masked_fill(self: Tensor, mask: Any, value: Any) -> Tensor:
        """``value`` where ``mask`` is True, self elsewhere (differentiable with respect to self)."""
        from .combine import where  # see the module docstring: imported when first used

        return where(mask, self._operand(value, "masked_fill"), self)

    def masked_fill_(self: Tensor, mask: Any, value: Any) -> Tensor:
        self[_values(mask)] = value
        return self

    def clamp_(self: Tensor, min: builtins.float | None = None, max: builtins.float | None = None) -> Tensor:
        return self._in_place("clamp_", None, np.clip(self._data, min, max))

    def normal_(self: Tensor, mean: builtins.float = 0.0, std: builtins.float = 1.0, generator: Any = None) -> Tensor:
        """Fill with samples of N(mean, std²), from ``generator`` or the default one."""
        from .random import generator_or_default  # see the module docstring: imported when first used

        return self._in_place("normal_", None, generator_or_default(generator).normal(mean, std, self.shape))

    def uniform_(self: Tensor, a: builtins.float = 0.0, b: builtins.float = 1.0, generator: Any = None) -> Tensor:
        """Fill with samples of the uniform distribution on [a, b)."""
        from .random import generator_or_default  # see the module docstring: imported when first used

        return self._in_place("uniform_", None, generator_or_default(generator).uniform(a, b, self.shape))

    def __setitem__(self: Tensor, index: Any, value: Any) -> None:
        """``x[mask] = 0``, ``x[0, 1] = 5``: write into the tensor, as PyTorch.

        Where no graph is recorded, the values go into the array. On a tensor in a graph
        (made by an op that needs grad) x takes the place of the result, as ``x += y`` does:
        x = x · keep + written, differentiable with respect to the old x. A leaf that requires
        grad is refused, as in PyTorch."""
        from ..core.tensor import Tensor, _normalize_index  # see the module docstring: imported when first used

        index = _normalize_index(index)
        if not (grad_mode._grad_enabled and (self.requires_grad or isinstance(value, Tensor) and value.requires_grad)):
            if not self._data.flags.writeable:  # a read-only view (e.g. a broadcast gradient): own a copy
                self._data = self._data.copy()
            self._data[index] = _values(value)
            self._version += 1
            return
        if self.is_leaf and self.requires_grad:
            raise BackwardError(
                f"x[...] = value would change a leaf tensor that requires grad (shape {self.shape}), and PyTorch "
                "refuses this too: write it under `with tg.no_grad():`, or build a new tensor "
                "(x = x.masked_fill(mask, value), tg.where(mask, value, x))"
            )
        if isinstance(value, Tensor) and value.requires_grad:
            raise BackwardError(
                "x[...] = value with a value that requires grad is not recorded here: build the result "
                "with tg.where(mask, value, x) or tg.cat / tg.stack instead"
            )
        keep = np.ones(self.shape, dtype=self.dtype)
        keep[index] = 0
        written = np.zeros(self.shape, dtype=self.dtype)
        written[index] = _values(value)
        self._take_place_of(lambda old: old * keep + written)

    # In place, as PyTorch's trailing underscore says. Allowed where no graph is being recorded
    # (under tg.no_grad(), or on tensors such as x.grad that neither require grad nor meet one
    # that does); otherwise refused with what to write instead: the graph records no in-place ops.
    # NOTE: like NumPy, this writes into the array the tensor shares with you (Tensor(array)). Each
    # change counts as a new version (``_version``): a backward() through an op that saved this
    # tensor before the change raises BackwardError instead of computing a wrong gradient.

    def _in_place(self: Tensor, name: str, other: Any, values: Any) -> Tensor:
        from ..core.tensor import Tensor  # see the module docstring: imported when first used

        if grad_mode._grad_enabled and (self.requires_grad or isinstance(other, Tensor) and other.requires_grad):
            raise BackwardError(
                f"{name}() would change a tensor in a graph that records gradients, and the graph records "
                "no in-place changes: build a new tensor (x = x + y rather than x.add_(y)), or update a "
                "parameter under `with tg.no_grad():`"
            )
        kind = np.result_type(values).kind if isinstance(values, np.ndarray) else None
        if kind == "f" and self._data.dtype.kind in "iub":
            raise DTypeError(
                f"{name}(): the result is floating point and cannot be stored in a tensor of dtype "
                f"{self._data.dtype} (PyTorch refuses too); write x = x + y, or convert first (x = x.float())"
            )
        if not self._data.flags.writeable:  # a read-only view (e.g. a broadcast gradient): own a copy
            self._data = self._data.copy()
        self._data[...] = values
        self._version += 1
        return self

    def add_(self: Tensor, other: Any, alpha: builtins.float = 1) -> Tensor:
        return self._in_place("add_", other, self._data + alpha * _values(other))

    def sub_(self: Tensor, other: Any, alpha: builtins.float = 1) -> Tensor:
        return self._in_place("sub_", other, self._data - alpha * _values(other))

    def mul_(self: Tensor, other: Any) -> Tensor:
        return self._in_place("mul_", other, self._data * _values(other))

    def div_(self: Tensor, other: Any) -> Tensor:
        return self._in_place("div_", other, self._data / _values(other))

    def zero_(self: Tensor) -> Tensor:
        return self._in_place("zero_", None, 0)

    def fill_(self: Tensor, value: builtins.float) -> Tensor:
        return self._in_place("fill_", value, value)

    def copy_(self: Tensor, source: Any) -> Tensor:
        return self._in_place("copy_", source, _values(source))

    # x += y changes x in place, as in PyTorch: every name for x sees the new values. Where no
    # graph is recorded (``w -= lr * w.grad`` under no_grad()) the array is written into. In a
    # graph, x takes the place of the result of x + y: its old self (values and grad_fn) moves to
    # a new Tensor, the op's input, and x becomes the op's output (``_take_place_of``). On a
    # leaf that requires grad it is refused, as in PyTorch.

    def __iadd__(self: Tensor, other: Any) -> Tensor:
        if self._may_change_in_place(other):
            return self.add_(other)
        return self._take_place_of(lambda old: old + other)

    def __isub__(self: Tensor, other: Any) -> Tensor:
        if self._may_change_in_place(other):
            return self.sub_(other)
        return self._take_place_of(lambda old: old - other)

    def __imul__(self: Tensor, other: Any) -> Tensor:
        if self._may_change_in_place(other):
            return self.mul_(other)
        return self._take_place_of(lambda old: old * other)

    def __itruediv__(self: Tensor, other: Any) -> Tensor:
        if self._may_change_in_place(other):
            return self.div_(other)
        return self._take_place_of(lambda old: old / other)

    def _may_change_in_place(self: Tensor, other: Any) -> builtins.bool:
        from ..core.tensor import Tensor  # see the module docstring: imported when first used

        records = grad_mode._grad_enabled and (self.requires_grad or isinstance(other, Tensor) and other.requires_grad)
        return not records or self.is_leaf and self.requires_grad  # the leaf case raises in _in_place

    def _take_place_of(self: Tensor, operation: Any) -> Tensor:
        """An in-place change in a graph: ``self`` becomes ``operation(old self)``.

        The old self (its values and grad_fn) moves to a new Tensor that the op takes as input,
        so the graph stays a graph (no tensor is its own ancestor). An op that used ``self``
        earlier sees its version change: backward through it raises (autograd.py), as PyTorch
        does when a value needed for the gradient was modified in place."""
        from ..core import autograd  # see the module docstring: imported when first used
        from ..core.tensor import Tensor

        old = Tensor._make(self._data, self.requires_grad, self.grad_fn)
        old._version = self._version
        result = operation(old)
        if result.dtype != self.dtype:
            raise DTypeError(
                f"in-place result of dtype {result.dtype} cannot be stored in a tensor of dtype {self.dtype}; "
                "write x = x + y (a new tensor), or convert x first (x = x.float())"
            )
        self._data, self.grad_fn, self.requires_grad = result._data, result.grad_fn, result.requires_grad
        self._version += 1
        key = id(self)
        autograd.changed_in_graph[key] = (
            weakref.ref(self, lambda _: autograd.changed_in_graph.pop(key, None)),
            self._version,
        )
        return self

    # x.eq(y), x.gt(0) ...: PyTorch's names for the comparisons (boolean tensors, as ==, > ...)

    def eq(self: Tensor, other: Any) -> Tensor:
        return self == other

    def ne(self: Tensor, other: Any) -> Tensor:
        return self != other

    def lt(self: Tensor, other: Any) -> Tensor:
        return self < other

    def le(self: Tensor, other: Any) -> Tensor:
        return self <= other

    def gt(self: Tensor, other: Any) -> Tensor:
        return self > other

    def ge(self: Tensor, other: Any) -> Tensor:
        return self >= other

    def repeat(self: Tensor, *sizes: Any) -> Tensor:
        """Tile: x.repeat(2, 1) stacks two copies along dim 0 (np.tile; copies joined with cat, so
        the gradient of each copy adds up). Extra sizes add leading dims, as in PyTorch."""
        from .combine import cat

        repeats = _shape_argument(sizes)
        if len(repeats) < self.ndim:
            raise ValueError(f"repeat: give at least one count per dim ({self.ndim}), got {repeats}")
        x = self.reshape((1,) * (len(repeats) - self.ndim) + tuple(self.shape))
        for dim, count in enumerate(repeats):
            if count < 1:
                raise ValueError(f"repeat: counts must be at least 1, got {repeats}")
            if count > 1:
                x = cat([x] * count, dim=dim)
        return x

    def __index__(self: Tensor) -> builtins.int:
        """An integer tensor of one element used as an index: ``classes[label]``, ``range(n)``."""
        if self._data.dtype.kind not in "iu" or self._data.size != 1:
            raise TypeError(
                f"only integer tensors of a single element can be converted to an index, got "
                f"{self._data.dtype} of shape {tuple(self._data.shape)}"
            )
        return int(self._data.item())

    # x.new_ones(5, 3): a new tensor of x's dtype (unless dtype= is given), as PyTorch's new_* methods.

    def new_zeros(
        self: Tensor, *size: Any, dtype: Any = None, device: Any = None, requires_grad: builtins.bool = False
    ) -> Tensor:
        from .creation import zeros

        return zeros(*size, dtype=self.dtype if dtype is None else dtype, device=device, requires_grad=requires_grad)

    def new_ones(
        self: Tensor, *size: Any, dtype: Any = None, device: Any = None, requires_grad: builtins.bool = False
    ) -> Tensor:
        from .creation import ones

        return ones(*size, dtype=self.dtype if dtype is None else dtype, device=device, requires_grad=requires_grad)

    def new_empty(
        self: Tensor, *size: Any, dtype: Any = None, device: Any = None, requires_grad: builtins.bool = False
    ) -> Tensor:
        return self.new_zeros(*size, dtype=dtype, device=device, requires_grad=requires_grad)

    def new_full(
        self: Tensor,
        size: Any,
        fill_value: Any,
        dtype: Any = None,
        device: Any = None,
        requires_grad: builtins.bool = False,
    ) -> Tensor:
        from .creation import full

        return full(
            size, fill_value, dtype=self.dtype if dtype is None else dtype, device=device, requires_grad=requires_grad
        )

    def new_tensor(
        self: Tensor, data: Any, dtype: Any = None, device: Any = None, requires_grad: builtins.bool = False
    ) -> Tensor:
        from .creation import tensor

        return tensor(data, dtype=self.dtype if dtype is None else dtype, device=device, requires_grad=requires_grad)


_TYPE_NAMES = {  # NumPy's dtype name -> PyTorch's tensor type name (x.type())
    "float32": "FloatTensor",
    "float64": "DoubleTensor",
    "float16": "HalfTensor",
    "int64": "LongTensor",
    "int32": "IntTensor",
    "int16": "ShortTensor",
    "int8": "CharTensor",
    "uint8": "ByteTensor",
    "bool": "BoolTensor",
}


class ValuesIndices(NamedTuple):
    """What ``x.max(dim=d)`` and ``x.min(dim=d)`` return, as torch.return_types.max/min."""

    values: Tensor
    indices: Tensor


class AccumulateGrad:
    """What ``grad_fn.next_functions`` shows for a leaf that requires grad (as PyTorch): the
    place its gradient is added up; ``.variable`` is the leaf."""

    __slots__ = ("variable",)

    def __init__(self, variable: Tensor):
        self.variable = variable

    name = "AccumulateGrad"
    next_functions = ()

    def __repr__(self) -> str:
        return "<AccumulateGrad>"


# What a Tensor method called on an array in forward is written as in NumPy.
_NUMPY_SPELLING = {
    "clamp": "np.clip(x, low, high) (x.clamp(min=0) is np.maximum(x, 0))",
    "mm": "a @ b",
    "t": "x.T",
    "exp": "np.exp(x)",
    "log": "np.log(x)",
    "sigmoid": "1 / (1 + np.exp(-x))",
    "relu": "np.maximum(x, 0)",
    "clone": "x.copy()",
    "pow": "x ** p",
    "view": "x.reshape(...)",
    "unsqueeze": "np.expand_dims(x, axis)",
    "numel": "x.size",
    "dim": "x.ndim",
    "float": "x.astype(np.float32)",
    "mul": "x * y",
    "add": "x + y",
}


def note_forward_got_arrays(function: type, error: AttributeError) -> None:
    """Explain, under its message, an AttributeError raised in a Function's forward when a Tensor
    method was called on a NumPy array: here forward receives arrays (the inputs' ``.data``)."""
    name = getattr(error, "name", None)
    if not isinstance(getattr(error, "obj", None), (np.ndarray, np.generic)) or name is None:
        return
    hint = _NUMPY_SPELLING.get(name)
    error.add_note(
        f"{function.__name__}.forward receives NumPy arrays (the inputs' .data), not Tensors, so write it "
        "with NumPy" + (f": {hint}" if hint else "") + "; backward receives Tensors"
    )


NUMEL_HINT = "for the number of elements write x.numel() (NumPy's x.size)"


class SizeMethod:
    """``x.size``: PyTorch's method, so ``x.size()`` is the shape and ``x.size(0)`` one length.

    NumPy's ``x.size`` was a number (the element count); used as one here it raises a
    TypeError that says to write ``x.numel()``, rather than computing something else.
    """

    __slots__ = ("_shape",)

    def __init__(self, shape: tuple[int, ...]):
        self._shape = shape

    @overload
    def __call__(self, dim: None = None) -> tuple[int, ...]: ...
    @overload
    def __call__(self, dim: int) -> int: ...

    def __call__(self, dim: int | None = None) -> tuple[int, ...] | int:
        if dim is None:
            return self._shape
        if not -len(self._shape) <= dim < len(self._shape):
            raise IndexError(f"size({dim}): dim out of range for a tensor of shape {self._shape}")
        return self._shape[dim]

    def _refuse(self, *args: Any) -> Any:
        raise TypeError(
            f"x.size is a method, as in PyTorch: x.size() is the shape {self._shape} and x.size(0) the "
            f"length of axis 0; {NUMEL_HINT}"
        )

    __int__ = __index__ = __float__ = __bool__ = __format__ = _refuse
    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = _refuse
    __truediv__ = __rtruediv__ = __floordiv__ = __rfloordiv__ = __mod__ = __pow__ = _refuse
    __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = _refuse  # type: ignore[assignment]
    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<method Tensor.size of a tensor of shape {self._shape}: call x.size(), or x.numel()>"


def _values(other: Any) -> Any:
    """The array inside a Tensor, or the value itself (for the in-place methods)."""
    from ..core.tensor import Tensor  # see the module docstring: imported when first used

    return other._data if isinstance(other, Tensor) else other
