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
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from . import autograd, teaching
from .errors import BackwardError


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
        "output",
        "__dict__",
    )

    def __init__(self, function: type[Function], parents: tuple[Tensor, ...], arrays: tuple[np.ndarray, ...]):
        self.function = function
        self.parents = parents
        self.needs_input_grad = tuple([parent.requires_grad for parent in parents])
        self.created_at: str | None = None
        self._saved: tuple[np.ndarray, ...] | None = ()
        self._input_arrays = arrays  # what forward received, to recognise saved inputs
        self.output: Tensor | None = None  # set by the engine only while backward runs

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
        return tuple([self._tensor_for(array) for array in self._saved])

    def _tensor_for(self, array: np.ndarray) -> Tensor:
        for parent, input_array in zip(self.parents, self._input_arrays):
            if input_array is array:
                return parent
        if self.output is not None and self.output.data is array:
            return self.output
        return Tensor(array)

    def release(self) -> None:
        """Free what was saved; a later backward through this node raises BackwardError."""
        self._saved = None
        self._input_arrays = ()

    @property
    def released(self) -> bool:
        return self._saved is None

    def __repr__(self) -> str:
        return f"<{self.name}>"


class Function:
    """Base class of every op. Subclass it and write ``forward`` and ``backward``."""

    @staticmethod
    def forward(ctx: Context, *arrays: Any, **settings: Any) -> np.ndarray:  # Any: each op names its own inputs
        raise NotImplementedError("a Function subclass must define forward(ctx, *arrays)")

    @staticmethod
    def backward(ctx: Context, grad_output: Tensor) -> Tensor | tuple[Tensor | None, ...] | None:
        raise NotImplementedError("a Function subclass must define backward(ctx, grad_output)")

    @staticmethod
    def jvp(ctx: Context, *input_tangents: Tensor | None) -> Tensor:
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
                parents = tuple([x if isinstance(x, Tensor) else Tensor(x) for x in inputs])
                break
        arrays = _distinct_arrays(parents)
        ctx = Context(cls, parents, arrays)
        out = cls.forward(ctx, *arrays, **settings)
        if not isinstance(out, np.ndarray):
            # NumPy returns scalars from 0-d arrays; keep the saved output recognisable.
            scalar = out
            out = np.asarray(out)
            if ctx._saved:
                ctx._saved = tuple([out if saved is scalar else saved for saved in ctx._saved])
        if autograd._anomaly_mode:
            autograd.check_forward_anomaly(ctx, arrays, out)
        if teaching._enabled:
            teaching.remember_saved(ctx)
        if autograd._grad_enabled and True in ctx.needs_input_grad:
            return Tensor._make(out, True, ctx)
        return Tensor._make(out, False, None)


def _distinct_arrays(parents: tuple[Tensor, ...]) -> tuple[np.ndarray, ...]:
    """The parents' arrays, with a view for a different Tensor that shares another's array.

    ``saved_tensors`` finds a saved array's Tensor by identity, so two different Tensors
    (say ``x`` and ``x.detach()``) must not hand forward the very same array object.
    """
    if len(parents) == 1:
        return (parents[0].data,)  # the common cases, decided quickly
    if len(parents) == 2 and parents[0].data is not parents[1].data:
        return (parents[0].data, parents[1].data)
    distinct = [parent.data for parent in parents]
    for i in range(1, len(distinct)):
        for j in range(i):
            if distinct[i] is distinct[j] and parents[i] is not parents[j]:
                distinct[i] = distinct[i].view()
                break
    return tuple(distinct)


# Imported last: tensor.py imports this module, and Function.apply needs Tensor at run time.
from .tensor import Tensor
