"""Tensor, and Function: the op every Tensor method calls.

    x = Tensor([[1.0, 2.0]], requires_grad=True, name="x")
    w = Tensor(np.random.default_rng(0).normal(size=(2, 3)), requires_grad=True)
    y = (x @ w).relu().sum()
    y.backward()            # x.grad and w.grad are now Tensors

This file holds, in this order: Context and Function (the contract every op follows), Tensor,
then the import of the ops (they subclass Function, and Tensor's methods call them) and of the walk.

An op is a subclass of Function with static methods side by side (ops/elementwise.py):

    class Mul(Function):
        @staticmethod
        def forward(ctx, a, b):              # NumPy arrays in, a NumPy array out
            ctx.save_for_backward(a, b)
            return a * b

        @staticmethod
        def backward(ctx, grad_output):       # Tensors in, one gradient per input out
            a, b = ctx.saved_tensors
            return grad_output * b, grad_output * a

and is used only through ``Mul.apply(x, y)``. ``apply`` runs ``forward`` on the arrays
inside the tensors and, when gradients are being recorded, keeps the Context as the
output's ``grad_fn``: the node the engine visits on the way back (core/autograd.py).

``ctx.save_for_backward`` takes the arrays ``forward`` saw or made; ``ctx.saved_tensors``
hands back the *Tensors* they belong to (an input, or the output), so a backward formula
written with Tensor operations is itself differentiable (see ``create_graph``).
Any other saved array comes back as a constant Tensor: save only inputs, the output,
or quantities that are piecewise constant (masks), or second derivatives will be wrong.

When nobody will differentiate the result (``no_grad()``, inputs that need no gradient, the
ops a backward formula runs in a plain ``backward()``), ``apply`` takes the lean path of
fast/lean.py: no Context at all. Anomaly and teaching mode always build the Context, since
their checks need it (core/hooks.py).

Saved tensors carry a version number (``Tensor._version``), bumped whenever ``tensor.data`` is
assigned, which includes ``tensor.data -= ...`` and the optimizers' in-place updates, and by
Tensor's in-place methods (``add_``, ``mul_``, ...) and ``Module.load_state_dict``. The
Context remembers the versions at forward; ``saved_tensors`` raises BackwardError naming the op
if one of them changed, as PyTorch does. Writes through NumPy that never assign ``.data``
(``x.data[...] = v``, ``np.add(a, b, out=x.data)``, writes through another view) cannot be seen
by a counter; teaching mode compares checksums of the saved arrays to catch those (slower).

Tensor: a NumPy array that remembers how it was made, so gradients can flow back.
Every differentiable method is one line that calls an op (a Function subclass in ``ops/``),
where forward and backward sit side by side. Names follow PyTorch; broadcasting, axis=
and keepdims= follow NumPy.

PyTorch spelling, PyTorch meaning; NumPy spelling, NumPy meaning: ``x.sum(axis=1,
keepdims=True)`` and ``x.sum(dim=1, keepdim=True)`` are the same. Where PyTorch and NumPy
spell a call the same way with different meanings, the positional spelling is PyTorch's and
the keywords axis=/keepdims=/axes= keep NumPy's: ``x.max(1)`` returns ``(values, indices)``
while ``x.max(axis=1)`` returns the values; ``x.transpose(0, 1)`` swaps two dims while
``x.transpose()`` reverses them all; ``Tensor(2, 3)`` is a 2 × 3 tensor. ``x.size()`` is
PyTorch's method (the shape); ``x.numel()`` counts the elements. The PyTorch aliases (view,
unsqueeze, permute, float, ...) and the in-place changes (add_, x += y, x[mask] = 0) come from
the base class PyTorchNames (pytorch_names.py); the functions of several tensors (concatenate,
stack, where) are in combine.py, the argument helpers in arguments.py.

Dtypes: Python floats and lists become float32; NumPy arrays keep their dtype (float64
stays float64). Constants do not upcast: a Python number, list or NumPy array mixed with a
floating Tensor takes the Tensor's dtype (float32 * float64 array -> float32). Tensor-Tensor
operations promote as PyTorch does: float32 * float64 -> float64, and an integer tensor with
a floating one (or a Python float) takes the floating dtype (int64 * float32 -> float32, where
NumPy gives float64); ``/`` of two integer tensors gives float32.
Integer and boolean data are allowed but can never require grad.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Mapping, Sequence
from operator import attrgetter
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Union, overload

import numpy as np

from .. import threads
from ..data_array import TensorData, plain_array
from ..errors import BackwardError, DTypeError, ShapeError
from ..fast import collector
from ..fast.lean import forward_only
from ..torch_api.arguments import Axis, Flag, _shape_argument, axis_or_dim, check_device, keepdims_or_keepdim
from ..torch_api.pytorch_names import AccumulateGrad, PyTorchNames, ValuesIndices, note_forward_got_arrays
from ..torch_api.random import generator_or_default
from . import grad_mode, hooks

# ---------------------------------------------------------------------------------------
# Function and Context: the contract every op follows, and the node it leaves in the graph
# ---------------------------------------------------------------------------------------


class Context:
    """What an op remembers between forward and backward; also the graph node.

    Attributes read by the engine and by ``viz``:
      function          the Function subclass that made the output
      parents           the input Tensors, in call order (never a set: order matters)
      needs_input_grad  one bool per input: does that input want a gradient?
      settings          the keyword arguments the op was called with (``axis=1``), kept for good
      created_at        "file:line: code" of the user's line, recorded under detect_anomaly()
      output            the Tensor the op made; the engine sets it only while backward runs
                        (a permanent link would make a reference cycle output -> node -> output)
    What ``forward`` stores for backward as plain attributes are small values derived from the
    settings (``ctx.axes = ...``, shapes); arrays go through ``save_for_backward``, and
    ``release()`` frees them.
    """

    # Fixed fields in slots keep a node small; ``__dict__`` (made only when forward stores
    # something) holds the op's own attributes.
    __slots__ = (
        "function",
        "parents",
        "needs_input_grad",
        "settings",
        "created_at",
        "_saved",
        "_input_arrays",
        "_versions",
        "output",
        "__dict__",
        "__weakref__",
    )

    def __init__(
        self,
        function: type[Function],
        parents: tuple[Tensor, ...],
        arrays: tuple[np.ndarray, ...],
        needs_input_grad: tuple[bool, ...],
        settings: dict[str, Any],
    ):
        self.function = function
        self.parents = parents
        self.needs_input_grad = needs_input_grad
        self.settings: Mapping[str, Any] = settings or _NO_SETTINGS  # most ops have none: no dict each
        self.created_at: str | None = None
        self._saved: tuple[np.ndarray, ...] | None = ()
        self._input_arrays = arrays  # what forward received, to recognise saved inputs
        self._versions = tuple(map(_version_of, parents))  # to notice later changes
        self.output: Any = None  # the Tensor, set by the engine only while backward or jvp runs

    if TYPE_CHECKING:  # forward stores plain attributes (ctx.axis = axis): tell the type checker they are welcome

        def __setattr__(self, name: str, value: Any) -> None: ...

    def __getattr__(self, name: str) -> Any:
        """Only for an attribute forward never stored (``ctx.axis`` read in backward, say)."""
        if name.startswith("__") or name in Context.__slots__:  # not yet set: no message that needs them
            raise AttributeError(name)
        raise AttributeError(
            f"{self.function.__name__}: ctx has no attribute {name!r}; forward must store it first (ctx.{name} = ...)"
        )

    @property
    def name(self) -> str:
        return self.function.__name__

    @property
    def next_functions(self) -> tuple[tuple[Any, int], ...]:
        """PyTorch's view of the graph one step back: per input, (its grad_fn, 0); a leaf that
        requires grad gives an AccumulateGrad (its ``.variable`` is the leaf), others None."""
        return tuple([(_next_function(parent), 0) for parent in self.parents])

    def save_for_backward(self, *arrays: np.ndarray) -> None:
        """Keep these arrays (inputs, the output, or masks) for backward. Call once, in forward."""
        self._saved = arrays

    @property
    def saved_tensors(self) -> tuple[Tensor, ...]:
        """The saved arrays, each as the Tensor it belongs to (input, output or constant)."""
        if self._saved is None:
            raise BackwardError(
                f"{self.name}: its saved values were freed by an earlier backward(). "
                "Trying to backward through the graph a second time: pass "
                "retain_graph=True to the first backward() if you need to go back twice."
            )
        tensors = []
        for array in self._saved:  # which Tensor does each saved array belong to?
            for index, input_array in enumerate(self._input_arrays):
                if input_array is array:  # an input
                    parent = self.parents[index]
                    if parent._version != self._versions[index]:
                        self._raise_changed(f"input {index}", parent, self._versions[index])
                    tensors.append(parent)
                    break
            else:
                output = self.output
                if output is not None and output._data is array:  # the output
                    if output._version != 0:
                        self._raise_changed("its output", output, 0)
                    tensors.append(output)
                else:  # anything else: a constant
                    tensors.append(Tensor._make(array, False, None))
        return tuple(tensors)

    @property
    def saved_arrays(self) -> tuple[np.ndarray, ...]:
        """The saved arrays themselves, for a formula on arrays (fast/array_backward.py), after
        the same checks as ``saved_tensors``: one comparison of the versions when nothing changed."""
        output = self.output
        if (
            self._saved is None
            or tuple(map(_version_of, self.parents)) != self._versions
            or (output is not None and output._version != 0)
        ):  # something was freed or changed: the full check raises, or finds it harmless
            return tuple([tensor._data for tensor in self.saved_tensors])
        return self._saved

    def _raise_changed(self, which: str, tensor: Tensor, expected: int) -> None:
        label = f" {tensor.name!r}" if tensor.name else ""
        raise BackwardError(
            f"{self.name}: {which}{label} (shape {tensor.shape}), saved for backward, was changed after "
            f"the forward pass (version {tensor._version}, expected {expected}): its .data was assigned or "
            "modified in place, so the gradient would be computed from the wrong values. Change tensors "
            "only after backward(), or work on a copy (x = Tensor(x.data.copy()))."
        )

    def release(self) -> None:
        """Free what was saved; a later backward through this node raises BackwardError.
        The settings stay (the pictures show them)."""
        self._saved = None
        self._input_arrays = ()

    @property
    def released(self) -> bool:
        return self._saved is None

    def __repr__(self) -> str:
        return f"<{self.name}>"


# What a backward formula returns per input: a Tensor, None (no gradient needed), or a NumPy
# array (first order only: a user's op may compute on the arrays).
Gradient = Union["Tensor", np.ndarray, None]


class Function:
    """Base class of every op. Subclass it and write ``forward``, ``backward`` and ``jvp``."""

    # The first-order twin of ``backward`` on arrays that a plain backward() runs instead, if the
    # op has one (fast/array_backward.py). A subclass with a backward of its own has none.
    # (Any: a function stored on the class, called as ctx.function.array_backward(ctx, g).)
    array_backward: Any = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "backward" in cls.__dict__ and "array_backward" not in cls.__dict__:
            cls.array_backward = None  # a new formula: the inherited twin would not match it

    @staticmethod
    def forward(ctx: Context, *arrays: Any, **settings: Any) -> np.ndarray:  # Any: each op names its own inputs
        raise NotImplementedError("a Function subclass must define forward(ctx, *arrays)")

    @staticmethod
    def backward(ctx: Context, grad_output: Tensor) -> Gradient | tuple[Gradient, ...]:
        raise NotImplementedError("a Function subclass must define backward(ctx, grad_output)")

    @staticmethod
    def jvp(ctx: Context, *input_tangents: Any) -> Tensor:  # each op names its tangents (None: no tangent)
        """Forward mode: the output's tangent ẏ = Σₖ ∂y/∂xₖ · ẋₖ from the inputs' tangents ẋₖ
        (None for an input without one). Used by ``tg.jvp`` and ``tg.jacobian(mode="forward")``."""
        raise NotImplementedError(
            f"{ctx.name} has no jvp(ctx, *input_tangents): forward mode needs one; see docs/adding_an_op.md"
        )

    @classmethod
    def apply(cls, *inputs: Any, **settings: Any) -> Tensor:
        """Run the op on Tensors (or arrays/numbers) and record it in the graph if needed."""
        parents = inputs
        for x in inputs:  # numbers and arrays become Tensors (when all are Tensors: no new tuple)
            if not isinstance(x, Tensor):
                parents = tuple([x if isinstance(x, Tensor) else _as_tensor(x) for x in inputs])
                break
        arrays = _distinct_arrays(parents)
        needs_input_grad = tuple(map(_requires_grad, parents)) if grad_mode._grad_enabled else ()
        recorded = True in needs_input_grad  # some input wants a gradient, and grad mode is on
        try:
            if not (recorded or hooks.active):  # nobody will differentiate the result: fast/lean.py
                return Tensor._make(forward_only(cls, arrays, settings), False, None)
            ctx = Context(cls, parents, arrays, needs_input_grad or tuple(map(_requires_grad, parents)), settings)
            out = cls.forward(ctx, *arrays, **settings)
        except AttributeError as error:  # a Tensor method called on an array: say so (pytorch_names.py)
            note_forward_got_arrays(cls, error)
            raise
        if type(out) is not np.ndarray:  # NumPy returns scalars from 0-d arrays
            out = _output_as_array(ctx, out)
        if hooks.active:  # debug/: anomaly and teaching checks (core/hooks.py)
            hooks.after_forward(ctx, arrays, out)
        if not recorded:
            return Tensor._make(out, False, None)  # the Context was made only for the tools
        collector.count_node()  # fast/collector.py: keeps Python's cyclic collector off a big graph
        return Tensor._make(out, True, ctx)


def _as_tensor(x: Any) -> Tensor:
    """An op's input given as a number or an array, as a constant Tensor (an int is a number
    here, not a size: Tensor(5) would be PyTorch's five zeros)."""
    return Tensor(float(x) if type(x) is int else x)


def _output_as_array(ctx: Context, out: Any) -> np.ndarray:
    """NumPy returns scalars from 0-d arrays: make the output an array, and keep it recognisable
    as the output among the saved values."""
    array = np.asarray(out)
    if ctx._saved:
        ctx._saved = tuple([array if saved is out else saved for saved in ctx._saved])
    return array


def _distinct_arrays(parents: tuple[Tensor, ...]) -> tuple[np.ndarray, ...]:
    """The parents' arrays, with a view for a different Tensor that shares another's array.

    ``saved_tensors`` finds a saved array's Tensor by identity, so two different Tensors
    (say ``x`` and ``x.detach()``) must not hand forward the very same array object.
    """
    if len(parents) == 1:
        return (parents[0]._data,)  # the common cases, decided quickly
    if len(parents) == 2 and (parents[0]._data is not parents[1]._data or parents[0] is parents[1]):
        return (parents[0]._data, parents[1]._data)  # different arrays, or one Tensor twice (x * x)
    arrays = tuple([parent._data for parent in parents])
    if len({id(array) for array in arrays}) == len(arrays):
        return arrays  # all different (Affine's x, W, b)
    first_owner: dict[int, Tensor] = {}  # id of an array -> the first Tensor seen holding it
    distinct = []
    for parent in parents:
        owner = first_owner.setdefault(id(parent._data), parent)
        distinct.append(parent._data if owner is parent else parent._data.view())
    return tuple(distinct)


def _next_function(parent: Tensor) -> Any:
    if parent.grad_fn is not None:
        return parent.grad_fn
    return AccumulateGrad(parent) if parent.requires_grad else None


_NO_SETTINGS: Mapping[str, Any] = MappingProxyType({})  # the settings of an op called without any
_requires_grad = attrgetter("requires_grad")  # Tensor -> bool, for map() over an op's inputs
_version_of = attrgetter("_version")


DEFAULT_FLOAT = np.float32


def _to_array(data: Any, dtype: Any) -> np.ndarray:
    """Apply the dtype rules: Python numbers and lists -> float32, NumPy keeps its dtype."""
    if isinstance(data, Tensor):
        data = data._data
    if isinstance(data, (np.ndarray, np.generic)):
        return np.asarray(data, dtype=dtype)
    if not isinstance(data, (int, float, bool, list, tuple)):
        raise TypeError(f"Tensor data must be a number, a (nested) list or a NumPy array, got {type(data).__name__}")
    try:
        array = np.asarray(data, dtype=dtype)
    except ValueError as error:
        raise ShapeError(
            f"Tensor data is not a regular grid of numbers ({error}); every row must have the same length"
        ) from None
    if dtype is None and array.dtype != np.bool_:
        if array.dtype.kind not in "iuf":
            raise TypeError(f"Tensor data must be numbers, got elements of dtype {array.dtype}")
        array = array.astype(DEFAULT_FLOAT)
    return array


def _sizes_or_flag(data: Any, sizes: tuple[Any, ...], requires_grad: bool) -> tuple[Any, bool]:
    """Read ``Tensor(2, 3)`` and ``Tensor(5)`` as PyTorch does (a 2 × 3 tensor, five values; zeros
    here, where PyTorch leaves the memory uninitialised), and the older ``Tensor(data, True)`` as
    requires_grad. The number 5 is ``tg.tensor(5)`` or ``Tensor(5.0)``."""
    if len(sizes) == 1 and isinstance(sizes[0], bool):
        return data, sizes[0]
    shape = (data, *sizes)
    if not all(isinstance(size, (int, np.integer)) and not isinstance(size, bool) for size in shape):
        raise TypeError(
            f"Tensor{shape}: several positional arguments are sizes, as in PyTorch (Tensor(2, 3) is a "
            "2 x 3 tensor); give data as one list, e.g. Tensor([1.0, 2.0]), and requires_grad= by keyword"
        )
    return np.zeros(shape, dtype=DEFAULT_FLOAT), requires_grad


def _warn_float16() -> None:
    """float16 (tg.half) is a storage dtype: trained in it, a loss overflows (65504 is its largest
    number) and small updates vanish, so the loss turns into NaN or stops moving. Say so once."""
    warnings.warn(
        "a float16 tensor requires grad: training in float16 overflows or stalls here (there is no "
        "mixed precision); use tg.float (float32), PyTorch's default",
        UserWarning,
        stacklevel=3,
    )


def _true_division(a: Tensor, b: Tensor) -> tuple[Tensor, Tensor]:
    """``/`` of two integer tensors gives float32, PyTorch's default float (NumPy: float64)."""
    if a._data.dtype.kind == "f" or b._data.dtype.kind == "f":
        return a, b
    return Tensor._make(a._data.astype(DEFAULT_FLOAT), False, None), Tensor._make(
        b._data.astype(DEFAULT_FLOAT), False, None
    )


def _normalize_index(index: Any) -> tuple[Any, ...]:
    """Index parts as NumPy takes them: Tensors and lists become arrays."""
    parts = index if isinstance(index, tuple) else (index,)
    normalized = []
    for part in parts:
        if isinstance(part, Tensor):
            part = part._data
        elif isinstance(part, list):
            part = np.asarray(part)
        if isinstance(part, np.ndarray) and part.dtype.kind not in "biu":
            raise IndexError(f"index arrays must be integers or booleans, got {part.dtype}")
        normalized.append(part)
    return tuple(normalized)


class Tensor(PyTorchNames):
    """An n-dimensional array with an optional gradient and a link to the op that made it.

    data           the values, a NumPy array (shared, not copied, when you pass one in);
                   assigning it (also ``t.data -= ...``) counts as a change (see ``_version``)
    grad           ∂L/∂self as a Tensor after backward(), or None
    requires_grad  should gradients be computed for this tensor?
    grad_fn        the Context (graph node) of the op that made it; None for a leaf
    name           an optional label, shown by repr and the pictures in ``viz``
    _version       how many times ``data`` was assigned; ops that save this tensor for backward
                   remember it, so a change between forward and backward is an error (as PyTorch)
    """

    __slots__ = ("_data", "_version", "_grad", "requires_grad", "grad_fn", "name", "retains_grad", "__weakref__")

    # Make NumPy hand mixed expressions to Tensor: ``ndarray * Tensor`` calls Tensor.__rmul__.
    __array_ufunc__ = None

    def __init__(
        self,
        data: Any = (),
        *sizes: Any,
        requires_grad: bool = False,
        dtype: Any = None,
        name: str | None = None,
        device: Any = None,
    ):
        if device is not None:
            check_device(device)  # "cpu" does nothing; any other device is refused in one line
        if sizes or type(data) is int:  # Tensor(5), Tensor(2, 3): PyTorch's sizes (zeros here)
            data, requires_grad = _sizes_or_flag(data, sizes, requires_grad)
        self._data: np.ndarray = _to_array(data, dtype)
        self._version: int = 0
        if requires_grad and self._data.dtype.kind != "f":
            raise DTypeError(
                f"requires_grad=True needs floating-point data, got {self._data.dtype}: gradients "
                "of integers are not defined. Convert first, e.g. Tensor(data, dtype=np.float32, "
                "requires_grad=True)"
            )
        if requires_grad and self._data.dtype == np.float16:
            _warn_float16()
        self.requires_grad = requires_grad
        self._grad: Tensor | None = None
        self.grad_fn: Context | None = None
        self.name = name
        self.retains_grad = False

    @classmethod
    def _make(cls, data: np.ndarray, requires_grad: bool, grad_fn: Context | None) -> Tensor:
        """Wrap an op's output array (already checked) without the constructor's conversions."""
        tensor = cls.__new__(cls)
        tensor._data = data
        tensor._version = 0
        tensor.requires_grad = requires_grad
        tensor._grad = None
        tensor.grad_fn = grad_fn
        tensor.name = None
        tensor.retains_grad = False
        return tensor

    # ----- constructors (randomness from ``generator``, else the one tg.manual_seed seeds) ---

    @staticmethod
    def zeros(*shape: int | Sequence[int], dtype: Any = DEFAULT_FLOAT, requires_grad: bool = False) -> Tensor:
        return Tensor(np.zeros(_shape_argument(shape), dtype=dtype), requires_grad=requires_grad)

    @staticmethod
    def ones(*shape: int | Sequence[int], dtype: Any = DEFAULT_FLOAT, requires_grad: bool = False) -> Tensor:
        return Tensor(np.ones(_shape_argument(shape), dtype=dtype), requires_grad=requires_grad)

    @staticmethod
    def randn(
        *shape: int | Sequence[int],
        generator: np.random.Generator | None = None,
        dtype: Any = DEFAULT_FLOAT,
        requires_grad: bool = False,
    ) -> Tensor:
        """Standard normal samples, from ``generator`` or the default one (see tg.manual_seed)."""
        generator = generator_or_default(generator)
        data = generator.standard_normal(_shape_argument(shape)).astype(dtype)
        return Tensor(data, requires_grad=requires_grad)

    @staticmethod
    def uniform(
        *shape: int | Sequence[int],
        low: float = 0.0,
        high: float = 1.0,
        generator: np.random.Generator | None = None,
        dtype: Any = DEFAULT_FLOAT,
        requires_grad: bool = False,
    ) -> Tensor:
        """Uniform samples in [low, high)."""
        generator = generator_or_default(generator)
        data = generator.uniform(low, high, _shape_argument(shape)).astype(dtype)
        return Tensor(data, requires_grad=requires_grad)

    @staticmethod
    def arange(start: float, stop: float | None = None, step: float = 1, dtype: Any = None) -> Tensor:
        """start, start + step, ... up to stop: int64 when all are integers, else float32 (as torch.arange)."""
        if dtype is None:
            numbers = (start, step) if stop is None else (start, stop, step)
            integers = all(isinstance(number, (int, np.integer)) for number in numbers)
            dtype = np.int64 if integers else DEFAULT_FLOAT
        return Tensor(np.arange(start, stop, step, dtype=dtype))

    @staticmethod
    def eye(n: int, m: int | None = None, dtype: Any = DEFAULT_FLOAT, requires_grad: bool = False) -> Tensor:
        return Tensor(np.eye(n, m, dtype=dtype), requires_grad=requires_grad)

    # ----- what a tensor is ----------------------------------------------------------------

    @property
    def data(self) -> TensorData:
        """The values: the tensor's own NumPy array (no copy), with PyTorch's in-place methods
        (x.data.zero_(), x.data.sub_(...)): see data_array.py."""
        return self._data.view(TensorData)

    @data.setter
    def data(self, array: np.ndarray) -> None:
        """Replace the values. Counts as a change: a backward() through an op that saved this
        tensor before the change raises BackwardError instead of using the new values."""
        self._data = plain_array(array, self._data)  # x.data -= y: x keeps its own array object
        self._version += 1

    @property
    def shape(self) -> tuple[int, ...]:
        return self._data.shape

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def dtype(self) -> np.dtype:
        return self._data.dtype

    @property
    def is_leaf(self) -> bool:
        """True for tensors made by you rather than by an op (only leaves get .grad by default)."""
        return self.grad_fn is None

    def numpy(self) -> np.ndarray:
        """The values as a NumPy array (the same memory, not a copy)."""
        return self._data

    def item(self) -> float | int | bool:
        if self._data.size != 1:
            raise ShapeError(
                f"item() needs a tensor with exactly one element, got shape {self.shape}; "
                "reduce it first, e.g. t.sum().item()"
            )
        return self._data.item()

    @property
    def grad(self) -> Tensor | None:
        """∂L/∂self after backward() (leaves, and non-leaves that called retain_grad())."""
        if self._grad is None and hooks.active and self.grad_fn is not None and not self.retains_grad:
            hooks.missing_grad_read(self)  # debug/teaching.py warns: only leaves keep .grad
        return self._grad

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
        self._grad = value

    def detach(self) -> Tensor:
        """The same values (shared memory), cut off from the graph: no grad flows through it."""
        return Tensor._make(self._data, requires_grad=False, grad_fn=None)

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf tensor too during backward()."""
        self.retains_grad = True

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        return self._data if dtype is None else self._data.astype(dtype)

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __iter__(self) -> Iterator[Tensor]:
        for i in range(len(self)):
            yield self[i]

    def __bool__(self) -> bool:
        return bool(self.item())

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __repr__(self) -> str:
        values = np.array2string(self._data, separator=", ", prefix="Tensor(")
        extras = []
        if self.dtype != DEFAULT_FLOAT:
            extras.append(f"dtype={self.dtype}")
        if self.grad_fn is not None:
            extras.append(f"grad_fn=<{self.grad_fn.name}>")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        if self.name is not None:
            extras.append(f"name={self.name!r}")
        return "Tensor(" + ", ".join([values, *extras]) + ")"

    # ----- autograd --------------------------------------------------------------------------

    def backward(self, gradient: Any = None, retain_graph: bool | None = None, create_graph: bool = False) -> None:
        """Accumulate ∂self/∂leaf into ``leaf.grad`` for every leaf that requires grad.

        gradient      ∂L/∂self; may be omitted only when self has one element (it is then 1)
        retain_graph  keep the saved values so backward() can run through the graph again
                      (defaults to create_graph)
        create_graph  record the backward pass too, so the gradients can be differentiated
        Gradients add up across calls, as in PyTorch: zero them (``x.grad = None``) between steps.
        """
        autograd.backward(self, gradient, retain_graph, create_graph)

    def _accumulate_grad(self, grad: Tensor, create_graph: bool) -> None:
        """grad += this contribution (out of place: the engine never writes into an array).
        Under create_graph the walk records the sum, part of the gradient's graph."""
        if not create_graph and grad._data.dtype != self._data.dtype:
            grad = Tensor._make(grad._data.astype(self._data.dtype), False, None)
        if self._grad is None:
            self._grad = grad
            return
        if hooks.active:
            hooks.grad_accumulates(self)  # debug/teaching.py warns: forgot zero_grad()?
        self._grad = self._grad + grad

    # ----- arithmetic (with broadcasting) ------------------------------------------------------

    def _operand(self, other: Any, symbol: str) -> Tensor:
        """Turn the other side of an operator into a Tensor (a Python number takes our dtype)."""
        if isinstance(other, Tensor):
            return other
        dtype = self._data.dtype
        if type(other) is np.ndarray and other.dtype == dtype:
            return Tensor._make(other, False, None)  # an array of our dtype, as it is
        if isinstance(other, (int, float)):
            # Like NumPy's "weak" Python scalars: 0.1 * float64 stays float64, 2 * int64 stays int64.
            if dtype.kind == "f" or dtype.kind in "iu" and isinstance(other, int):
                return Tensor._make(np.asarray(other, dtype=dtype), False, None)
            if isinstance(other, int) and not isinstance(other, bool):  # bool tensor + 1: int64
                return Tensor._make(np.asarray(other, dtype=np.int64), False, None)
            return Tensor(other)
        if isinstance(other, (np.ndarray, np.generic, list, tuple)):
            array = np.asarray(other)
            # Constants do not upcast: a NumPy array of numbers meets a floating tensor in its dtype.
            if dtype.kind == "f" and array.dtype.kind in "biuf":
                return Tensor._make(array.astype(dtype, copy=False), False, None)
            return Tensor(other)
        raise TypeError(
            f"unsupported operand type for {symbol}: Tensor and {type(other).__name__}; "
            "use a Tensor, a NumPy array or a Python number"
        )

    def _pair(self, other: Any, symbol: str) -> tuple[Tensor, Tensor]:
        """Both sides of a binary operator, in PyTorch's result dtype.

        NumPy's promotion except where PyTorch differs: an integer or boolean tensor meeting a
        floating one (or a Python float) takes the floating dtype (int64 * float32 -> float32,
        where NumPy gives float64). Both sides already of one dtype (the usual case): one test.
        """
        if type(other) is not Tensor:
            other = self._operand(other, symbol)
        mine, theirs = self._data.dtype, other._data.dtype
        if mine is theirs or mine == theirs:
            return self, other
        if mine.kind == "f" and theirs.kind != "f":
            return self, Tensor._make(other._data.astype(mine), False, None)
        if theirs.kind == "f" and mine.kind != "f":
            return Tensor._make(self._data.astype(theirs), False, None), other
        return self, other

    def _pair_reflected(self, other: Any, symbol: str) -> tuple[Tensor, Tensor]:
        """``other <op> self``, for the reflected operators (2 * t, 1 - t)."""
        mine, theirs = self._pair(other, symbol)
        return theirs, mine

    def __add__(self, other: Any) -> Tensor:
        return Add.apply(*self._pair(other, "+"))

    def __radd__(self, other: Any) -> Tensor:
        return Add.apply(*self._pair_reflected(other, "+"))

    def __sub__(self, other: Any) -> Tensor:
        return Sub.apply(*self._pair(other, "-"))

    def __rsub__(self, other: Any) -> Tensor:
        return Sub.apply(*self._pair_reflected(other, "-"))

    def __mul__(self, other: Any) -> Tensor:
        return Mul.apply(*self._pair(other, "*"))

    def __rmul__(self, other: Any) -> Tensor:
        return Mul.apply(*self._pair_reflected(other, "*"))

    def __truediv__(self, other: Any) -> Tensor:
        return Div.apply(*_true_division(*self._pair(other, "/")))

    def __rtruediv__(self, other: Any) -> Tensor:
        return Div.apply(*_true_division(*self._pair_reflected(other, "/")))

    def __pow__(self, other: Any) -> Tensor:
        return Pow.apply(*self._pair(other, "**"))

    def __rpow__(self, other: Any) -> Tensor:
        return Pow.apply(*self._pair_reflected(other, "**"))

    def __matmul__(self, other: Any) -> Tensor:
        return self.matmul(self._operand(other, "@"))

    def __rmatmul__(self, other: Any) -> Tensor:
        return self._operand(other, "@").matmul(self)

    def __neg__(self) -> Tensor:
        return Neg.apply(self)

    def __pos__(self) -> Tensor:
        return self

    # ----- comparisons: boolean results, no gradient ----------------------------------------

    def _compare(self, other: Any, symbol: str, compare: np.ufunc) -> Tensor:
        return Tensor(compare(self._data, self._operand(other, symbol)._data))

    def __lt__(self, other: Any) -> Tensor:
        return self._compare(other, "<", np.less)

    def __le__(self, other: Any) -> Tensor:
        return self._compare(other, "<=", np.less_equal)

    def __gt__(self, other: Any) -> Tensor:
        return self._compare(other, ">", np.greater)

    def __ge__(self, other: Any) -> Tensor:
        return self._compare(other, ">=", np.greater_equal)

    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return self._compare(other, "==", np.equal)

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return self._compare(other, "!=", np.not_equal)

    __hash__ = object.__hash__  # tensors are identified by identity (== compares elementwise)

    # ----- elementwise functions -----------------------------------------------------------

    def exp(self) -> Tensor:
        return Exp.apply(self)

    def log(self) -> Tensor:
        return Log.apply(self)

    def sqrt(self) -> Tensor:
        return Sqrt.apply(self)

    def abs(self) -> Tensor:
        return Abs.apply(self)

    def sin(self) -> Tensor:
        return Sin.apply(self)

    def cos(self) -> Tensor:
        return Cos.apply(self)

    def relu(self) -> Tensor:
        return ReLU.apply(self)

    def sigmoid(self) -> Tensor:
        return Sigmoid.apply(self)

    def tanh(self) -> Tensor:
        return Tanh.apply(self)

    def leaky_relu(self, negative_slope: float = 0.01) -> Tensor:
        return LeakyReLU.apply(self, negative_slope=negative_slope)

    def maximum(self, other: Any) -> Tensor:
        return Maximum.apply(self, self._operand(other, "maximum"))

    def clip(self, low: float | None = None, high: float | None = None) -> Tensor:
        if low is None and high is None:
            raise ValueError("clip: give low, high or both")
        return Clip.apply(self, low=low, high=high)

    def softmax(self, axis: int | None = None, *, dim: int | None = None) -> Tensor:
        axis = axis_or_dim("softmax", axis, dim)
        return Softmax.apply(self, axis=-1 if axis is None else axis)

    def log_softmax(self, axis: int | None = None, *, dim: int | None = None) -> Tensor:
        axis = axis_or_dim("log_softmax", axis, dim)
        return LogSoftmax.apply(self, axis=-1 if axis is None else axis)

    # ----- dtype and device (ops/cast.py) --------------------------------------------------

    def to(
        self, *args: Any, dtype: Any = None, device: Any = None, non_blocking: bool = False, copy: bool = False
    ) -> Tensor:
        """``x.to(np.float64)``, ``x.to(other)`` (its dtype), ``x.to("cpu")`` (nothing to do).

        Between floating dtypes the cast is differentiable (ops.cast.Cast); to an integer
        or boolean dtype the result is a plain tensor, as in PyTorch. Same dtype: x itself.
        """
        check_device(device)
        for arg in args:
            if isinstance(arg, Tensor):
                dtype = arg.dtype
            elif isinstance(arg, str) and arg.split(":")[0] in ("cpu", "cuda", "mps", "xpu", "meta"):
                check_device(arg)
            else:
                dtype = arg
        if dtype is None or np.dtype(dtype) == self.dtype:
            return self
        if np.dtype(dtype).kind == "f" and self.dtype.kind == "f":
            return Cast.apply(self, dtype=np.dtype(dtype))
        return Tensor(self._data.astype(dtype))

    # ----- reductions ----------------------------------------------------------------------
    # axis=/keepdims= (NumPy) or dim=/keepdim= (PyTorch): the same reduction, except max/min.

    def sum(
        self, axis: Axis = None, keepdims: bool | None = None, *, dim: Axis = None, keepdim: bool | None = None
    ) -> Tensor:
        if axis is None and dim is None and keepdims is None and keepdim is None:
            return Sum.apply(self)  # the sum of everything, the usual loss: no options to sort out
        axis = axis_or_dim("sum", axis, dim)
        return Sum.apply(self, axis=axis, keepdims=keepdims_or_keepdim("sum", keepdims, keepdim))

    def mean(
        self, axis: Axis = None, keepdims: bool | None = None, *, dim: Axis = None, keepdim: bool | None = None
    ) -> Tensor:
        """Average: the sum divided by the number of elements summed."""
        axis = axis_or_dim("mean", axis, dim)
        keepdims = keepdims_or_keepdim("mean", keepdims, keepdim)
        count = 1
        for axis_index in normalize_axis(axis, self.ndim):
            count *= self.shape[axis_index]
        return self.sum(axis=axis, keepdims=keepdims) / count

    @overload
    def max(self, *, axis: Axis = None, keepdims: bool | None = None) -> Tensor: ...
    @overload
    def max(self, dim: int, keepdim: bool | None = None) -> ValuesIndices: ...
    @overload
    def max(self, dim: Tensor) -> Tensor: ...

    def max(
        self, dim: Any = None, keepdim: bool | None = None, *, axis: Axis = None, keepdims: bool | None = None
    ) -> Tensor | ValuesIndices:
        """Largest element. With axis= (NumPy): the values; ties share the gradient equally.
        With a dim, positional or dim= (PyTorch): ``(values, indices)``, so ``_, pred = out.max(1)``
        works as in PyTorch; the gradient goes to the index returned (the first maximum).
        With another tensor: the elementwise maximum (torch.max(a, b))."""
        if isinstance(dim, Tensor):
            return self.maximum(dim)
        if dim is not None:
            axis_or_dim("max", axis, dim)
            return self._values_and_indices(np.argmax, dim, keepdims_or_keepdim("max", keepdims, keepdim))
        return Max.apply(self, axis=axis, keepdims=keepdims_or_keepdim("max", keepdims, keepdim))

    @overload
    def min(self, *, axis: Axis = None, keepdims: bool | None = None) -> Tensor: ...
    @overload
    def min(self, dim: int, keepdim: bool | None = None) -> ValuesIndices: ...
    @overload
    def min(self, dim: Tensor) -> Tensor: ...

    def min(
        self, dim: Any = None, keepdim: bool | None = None, *, axis: Axis = None, keepdims: bool | None = None
    ) -> Tensor | ValuesIndices:
        """Smallest element: min(x) = −max(−x), so the gradient rule is Max's.
        With a dim (PyTorch): ``(values, indices)``, as max; with a tensor: the elementwise minimum."""
        if isinstance(dim, Tensor):
            return -((-self).maximum(-dim))
        if dim is not None:
            axis_or_dim("min", axis, dim)
            return self._values_and_indices(np.argmin, dim, keepdims_or_keepdim("min", keepdims, keepdim))
        return -((-self).max(axis=axis, keepdims=keepdims_or_keepdim("min", keepdims, keepdim)))

    def argmax(
        self, axis: int | None = None, keepdims: bool | None = None, *, dim: int | None = None, keepdim: Flag = None
    ) -> Tensor:
        """Index of the largest element, int64 (no gradient: the result is an integer)."""
        keepdims = keepdims_or_keepdim("argmax", keepdims, keepdim)
        return Tensor(np.argmax(self._data, axis=axis_or_dim("argmax", axis, dim), keepdims=keepdims).astype(np.int64))

    def argmin(
        self, axis: int | None = None, keepdims: bool | None = None, *, dim: int | None = None, keepdim: Flag = None
    ) -> Tensor:
        """Index of the smallest element, int64 (no gradient)."""
        keepdims = keepdims_or_keepdim("argmin", keepdims, keepdim)
        return Tensor(np.argmin(self._data, axis=axis_or_dim("argmin", axis, dim), keepdims=keepdims).astype(np.int64))

    def _values_and_indices(self, arg_function: Any, dim: int, keepdim: bool) -> ValuesIndices:
        """PyTorch's max/min(dim): pick x at its arg-max/min, so the gradient reaches that element only."""
        indices = arg_function(self._data, axis=dim, keepdims=True).astype(np.int64)
        index = list(np.indices(indices.shape, sparse=True))
        index[dim % self.ndim] = indices
        values = self[tuple(index)]
        if not keepdim:
            values = values.squeeze(dim)
            indices = np.squeeze(indices, axis=dim)
        return ValuesIndices(values, Tensor(indices))

    # ----- shape and movement ----------------------------------------------------------------

    def reshape(self, *shape: int | Sequence[int]) -> Tensor:
        return Reshape.apply(self, shape=_shape_argument(shape))

    def transpose(
        self,
        *dims: int | Sequence[int],
        axes: Sequence[int] | None = None,
        dim0: int | None = None,
        dim1: int | None = None,
    ) -> Tensor:
        """PyTorch's transpose(dim0, dim1): swap two dims, ``x.transpose(0, 1)`` of a matrix is its
        transpose. NumPy's meanings stay: no argument reverses the axes (``x.T``), and a whole
        permutation, ``x.transpose(2, 0, 1)``, ``x.transpose((2, 0, 1))`` or ``axes=(2, 0, 1)``,
        reorders them (as ``x.permute``)."""
        if dim0 is not None or dim1 is not None:
            if dims or axes is not None or dim0 is None or dim1 is None:
                raise TypeError("transpose: give two dims, transpose(0, 1) or dim0= and dim1=, or NumPy's axes=")
            return self.swapaxes(dim0, dim1)
        if axes is not None:
            if dims:
                raise TypeError("transpose: give the dims to swap or NumPy's axes=, not both")
            return Transpose.apply(self, axes=tuple(axes))
        if len(dims) == 2 and all(isinstance(dim, (int, np.integer)) for dim in dims):
            return self.swapaxes(*dims)  # type: ignore[arg-type]
        return Transpose.apply(self, axes=_shape_argument(dims) if dims else None)

    def swapaxes(self, axis0: int, axis1: int) -> Tensor:
        """Exchange two axes (np.swapaxes, torch.swapaxes/transpose(dim0, dim1))."""
        for axis in (axis0, axis1):
            if not -self.ndim <= axis < self.ndim:
                raise IndexError(
                    f"transpose({axis0}, {axis1}): dim {axis} is out of range for shape {self.shape} "
                    f"(dims run from {-self.ndim} to {self.ndim - 1})"
                )
        axes = list(range(self.ndim))
        axes[axis0], axes[axis1] = axes[axis1], axes[axis0]
        return Transpose.apply(self, axes=tuple(axes))

    @property
    def T(self) -> Tensor:
        return self.transpose()

    @property
    def mT(self) -> Tensor:
        """Swap the last two axes (the matrix transpose of each matrix in a batch)."""
        return self.swapaxes(-2, -1)

    def flatten(
        self,
        start_axis: int | None = None,
        end_axis: int | None = None,
        *,
        start_dim: int | None = None,
        end_dim: int | None = None,
    ) -> Tensor:
        """Merge axes start_axis..end_axis into one (all of them by default).
        PyTorch's names start_dim=/end_dim= mean the same."""
        start_axis = axis_or_dim("flatten", start_axis, start_dim, ("start_axis", "start_dim")) or 0
        end_axis = axis_or_dim("flatten", end_axis, end_dim, ("end_axis", "end_dim"))
        if self.ndim == 0:
            return self.reshape(1)
        start = start_axis % self.ndim
        end = -1 % self.ndim if end_axis is None else end_axis % self.ndim
        shape = self.shape[:start] + (-1,) + self.shape[end + 1 :]
        return self.reshape(shape)

    def broadcast_to(self, shape: Sequence[int]) -> Tensor:
        return BroadcastTo.apply(self, shape=tuple(shape))

    def __getitem__(self, index: Any) -> Tensor:
        return GetItem.apply(self, index=_normalize_index(index))

    def matmul(self, other: Any) -> Tensor:
        """Matrix product with NumPy's rules: 2-D, batched (…, n, k) @ (…, k, m) with broadcast
        batch axes, and 1-D operands (a vector on the left is a row, on the right a column)."""
        other = self._operand(other, "@")
        if self.ndim == 0 or other.ndim == 0:
            raise ShapeError(
                f"matmul: a.shape={self.shape}, b.shape={other.shape}: scalars cannot be "
                "matrix-multiplied; use * instead"
            )
        inner = other.shape[0] if other.ndim == 1 else other.shape[-2]
        if self.shape[-1] != inner:
            where_b = "b.shape[0]" if other.ndim == 1 else "b.shape[-2]"
            raise ShapeError(f"matmul: a.shape={self.shape}, b.shape={other.shape}: a.shape[-1] must equal {where_b}")
        work = self._data.size * (other.shape[-1] if other.ndim > 1 else 1)  # multiply-adds
        if threads.pending and work >= threads.SMALL_WORK:  # the first large product: the library
            threads.choose_for_product(work)  # chooses BLAS threads (threads.py)
        a = self.reshape(1, -1) if self.ndim == 1 else self
        b = other.reshape(-1, 1) if other.ndim == 1 else other
        product = MatMul.apply(a, b)
        if self.ndim > 1 and other.ndim > 1:
            return product
        shape = product.shape
        if other.ndim == 1:
            shape = shape[:-1]
        if self.ndim == 1:
            shape = shape[:-2] + shape[-1:] if other.ndim > 1 else shape[:-1]
        return product.reshape(shape)

    def conv2d(
        self,
        weight: Tensor,
        bias: Tensor | None = None,
        stride: Any = 1,
        padding: Any = 0,
        dilation: Any = 1,
        groups: int = 1,
    ) -> Tensor:
        return conv2d(self, weight, bias, stride, padding, dilation, groups)

    def max_pool2d(self, kernel_size: Any, stride: Any = None, padding: Any = 0) -> Tensor:
        return max_pool2d(self, kernel_size, stride, padding)

    def avg_pool2d(self, kernel_size: Any, stride: Any = None, padding: Any = 0) -> Tensor:
        return avg_pool2d(self, kernel_size, stride, padding)


# The ops, imported after Function (they subclass it) and Tensor (its methods call them).
# An ops module imported first loads this file first (ops/__init__.py), so any order works.
from ..ops.cast import Cast
from ..ops.conv import conv2d
from ..ops.elementwise import (
    Abs,
    Add,
    Clip,
    Cos,
    Div,
    Exp,
    LeakyReLU,
    Log,
    Maximum,
    Mul,
    Neg,
    Pow,
    ReLU,
    Sigmoid,
    Sin,
    Sqrt,
    Sub,
    Tanh,
)
from ..ops.fused import LogSoftmax, Softmax
from ..ops.linalg import MatMul
from ..ops.movement import BroadcastTo, GetItem, Reshape, Transpose
from ..ops.pool import avg_pool2d, max_pool2d
from ..ops.reduce import Max, Sum, normalize_axis

# The walk, imported last: autograd.py imports this file, and Tensor.backward calls it.
from . import autograd
