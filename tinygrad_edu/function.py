"""Function: the contract every op follows, and Context: the node it leaves in the graph.

An op is a subclass of Function with two static methods, side by side:

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
output's ``grad_fn``: the node the engine visits on the way back.

``ctx.save_for_backward`` takes the arrays ``forward`` saw or made; ``ctx.saved_tensors``
hands back the *Tensors* they belong to (an input, or the output), so a backward formula
written with Tensor operations is itself differentiable (see ``create_graph``).
Any other saved array comes back as a constant Tensor: save only inputs, the output,
or quantities that are piecewise constant (masks), or second derivatives will be wrong.

Two paths through ``apply``, one engine
---------------------------------------
Most ops never need a graph node: everything under ``no_grad()``, every op on tensors that
need no gradient, and every op a backward formula runs during a plain ``backward()`` (the
engine switches recording off there; see autograd.py). For those ``apply`` takes the *lean
path*: ``forward`` gets a ``ForwardOnly`` ctx that forgets what it is told (``save_for_backward``
does nothing), and the result is a bare Tensor with no ``grad_fn``. No Context, no parents,
no saved arrays, no version numbers: the op costs its NumPy call plus a few attribute writes.

The hottest backward formulas go one step further and, in a plain ``backward()``, skip
``apply`` altogether: they compute on the NumPy arrays and return arrays (see autograd.py). They
read what forward saved through ``ctx.saved_arrays``, the arrays themselves: when no input's
version changed (one tuple comparison) there is nothing to check one by one.

When a result will be differentiated (grad mode on and some input requires grad), ``apply``
builds the Context as described above. Under ``create_graph=True`` the backward formulas run
with recording on, so they take this recorded path and the gradient gets a graph of its own:
the same formulas serve first and second order. Anomaly mode and teaching mode always take the
recorded path, since their checks need the Context (where the op was created, what it saved).

Saved tensors carry a version number (``Tensor._version``), bumped whenever ``tensor.data`` is
assigned, which includes ``tensor.data -= ...`` and the optimizers' in-place updates, and by
Tensor's in-place methods (``add_``, ``mul_``, ...) and ``Module.load_state_dict``. The
Context remembers the versions at forward; ``saved_tensors`` raises BackwardError naming the op
if one of them changed, as PyTorch does. Writes through NumPy that never assign ``.data``
(``x.data[...] = v``, ``np.add(a, b, out=x.data)``, writes through another view) cannot be seen
by a counter; teaching mode compares checksums of the saved arrays to catch those (slower).
"""

from __future__ import annotations

from operator import attrgetter
from typing import TYPE_CHECKING, Any, Union

import numpy as np

from . import autograd, teaching
from .errors import BackwardError
from .pytorch_names import AccumulateGrad, note_forward_got_arrays


class Context:
    """What an op remembers between forward and backward; also the graph node.

    Attributes read by the engine and by ``viz``:
      function          the Function subclass that made the output
      parents           the input Tensors, in call order (never a set: order matters)
      needs_input_grad  one bool per input: does that input want a gradient?
      created_at        "file:line: code" of the user's line, recorded under detect_anomaly()
      output            the Tensor the op made; the engine sets it only while backward runs
                        (a permanent link would make a reference cycle output -> node -> output)
    Settings such as ``axis`` are stored by ``forward`` as plain attributes (``ctx.axis = axis``).
    """

    # Fixed fields in slots keep a node small; ``__dict__`` (made only when an op stores a
    # setting) holds the rest.
    __slots__ = (
        "function",
        "parents",
        "needs_input_grad",
        "created_at",
        "_saved",
        "_input_arrays",
        "_versions",
        "output",
        "__dict__",
    )

    def __init__(
        self,
        function: type[Function],
        parents: tuple[Tensor, ...],
        arrays: tuple[np.ndarray, ...],
        needs_input_grad: tuple[bool, ...],
    ):
        self.function = function
        self.parents = parents
        self.needs_input_grad = needs_input_grad
        self.created_at: str | None = None
        self._saved: tuple[np.ndarray, ...] | None = ()
        self._input_arrays = arrays  # what forward received, to recognise saved inputs
        self._versions = tuple(map(_version_of, parents))  # to notice later changes
        self.output: Any = None  # the Tensor, set by the engine only while backward or jvp runs

    if TYPE_CHECKING:  # settings are plain attributes (ctx.axis = axis): tell the type checker they are welcome

        def __setattr__(self, name: str, value: Any) -> None: ...

    def __getattr__(self, name: str) -> Any:
        """Only for a setting forward never stored (``ctx.axis`` read in backward, say)."""
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
        """The saved arrays themselves, for a formula that computes on arrays (a plain backward;
        see ``_values`` in ops/elementwise.py), after the same checks as ``saved_tensors``."""
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
        """Free what was saved; a later backward through this node raises BackwardError."""
        self._saved = None
        self._input_arrays = ()

    @property
    def released(self) -> bool:
        return self._saved is None

    def __repr__(self) -> str:
        return f"<{self.name}>"


# What a backward formula returns per input: a Tensor, None (no gradient needed), or a NumPy
# array (first order only: a plain backward() may compute on the arrays, and a user op may too).
Gradient = Union["Tensor", np.ndarray, None]


class Function:
    """Base class of every op. Subclass it and write ``forward`` and ``backward``."""

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
        for x in inputs:
            if not isinstance(x, Tensor):
                # a Python int is a number here (Tensor(5) would be PyTorch's five zeros)
                parents = tuple(
                    [x if isinstance(x, Tensor) else Tensor(float(x) if type(x) is int else x) for x in inputs]
                )
                break
        needs_input_grad = tuple(map(_requires_grad, parents)) if autograd._grad_enabled else ()
        recorded = True in needs_input_grad
        if not (recorded or autograd._anomaly_mode or teaching._enabled):
            # The lean path: nobody will differentiate this result (see the module docstring).
            lean = ForwardOnly(needs_input_grad or (False,) * len(parents))
            try:
                out = cls.forward(lean, *_distinct_arrays(parents), **settings)
            except AttributeError as error:  # a Tensor method called on an array: say so (pytorch_names.py)
                note_forward_got_arrays(cls, error)
                raise
            if type(out) is not np.ndarray:
                out = np.asarray(out)  # NumPy returns scalars from 0-d arrays
            return Tensor._make(out, False, None)
        if not needs_input_grad:
            needs_input_grad = tuple(map(_requires_grad, parents))
        arrays = _distinct_arrays(parents)
        ctx = Context(cls, parents, arrays, needs_input_grad)
        try:
            out = cls.forward(ctx, *arrays, **settings)
        except AttributeError as error:  # a Tensor method called on an array: say so (pytorch_names.py)
            note_forward_got_arrays(cls, error)
            raise
        if type(out) is not np.ndarray:
            # NumPy returns scalars from 0-d arrays; keep the saved output recognisable.
            scalar = out
            out = np.asarray(out)
            if ctx._saved:
                ctx._saved = tuple([out if saved is scalar else saved for saved in ctx._saved])
        if autograd._anomaly_mode:
            autograd.check_forward_anomaly(ctx, arrays, out)
        if teaching._enabled:
            teaching.remember_saved(ctx)
        if recorded:
            autograd._nodes_since_backward += 1
            if autograd._nodes_since_backward >= autograd.FREEZE_AFTER_NODES:
                autograd.freeze_graph_so_far()  # a big graph: keep the collector off it (see autograd.py)
            return Tensor._make(out, True, ctx)
        return Tensor._make(out, False, None)


class ForwardOnly(Context):
    """The ctx ``forward`` gets when no graph is recorded: it takes settings and saved arrays
    like a Context, and forgets them (nothing will run backward through this op)."""

    __slots__ = ()

    def __init__(self, needs_input_grad: tuple[bool, ...]) -> None:
        # No parents, no saved arrays, no versions; only needs_input_grad (all False), which a
        # forward may read to skip work that only backward would use.
        self.needs_input_grad = needs_input_grad

    def save_for_backward(self, *arrays: np.ndarray) -> None:
        pass


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


_requires_grad = attrgetter("requires_grad")  # Tensor -> bool, for map() over an op's inputs
_version_of = attrgetter("_version")

# Imported last: tensor.py imports this module, and Function.apply needs Tensor at run time.
from .tensor import Tensor
