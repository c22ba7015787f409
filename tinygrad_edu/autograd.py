"""Reverse-mode automatic differentiation: the one walk over the graph.

The chain rule, for a graph of ops: walk the ops from the output back to the leaves,
in an order where every op comes after all ops that use its output (reverse topological
order). At each op, the upstream gradient ∂L/∂output is complete, so the op's backward
turns it into ∂L/∂input for each input, and those are *added* to what the inputs already
got from elsewhere (the multivariate chain rule: a tensor used twice gets two terms).

``backward_steps`` is that walk, one record per op visited; ``backward()``, ``grad()``
and the pictures in ``viz`` are all built on it, so they cannot disagree.

What a plain ``backward()`` costs: while an op's backward formula runs, graph recording is
on only under ``create_graph=True``. Otherwise the Tensor operations of the formula take
``Function.apply``'s lean path (no Context, see function.py), and a formula may also compute
on the arrays directly and return arrays. The hottest ones do when recording is off: Affine,
CrossEntropy and Sum with a branch of their own, and Sub, Mul, Div, ReLU and Sigmoid by taking
their operands through ``ops.elementwise._values`` (the same formula, on arrays or on Tensors).
Gradients that meet at one tensor are then added as arrays too (into a new array: the engine
never writes into one); under create_graph their sum is a recorded Add, part of the graph.
``backward()`` and ``grad()`` make no BackwardStep records (only ``backward_steps`` hands
them out) and keep Python's cyclic garbage collector off the graph (see "The cyclic garbage
collector and big graphs" below). Either way it is the same walk, in the same order.
"""

from __future__ import annotations

import contextlib
import gc
import linecache
import sys
import weakref
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

import numpy as np

from . import teaching
from .errors import AnomalyError, BackwardError

if TYPE_CHECKING:
    from .function import Context, Function


# ---------------------------------------------------------------------------------------
# Grad mode: is the graph being recorded?
# ---------------------------------------------------------------------------------------

_grad_enabled = True


def is_grad_enabled() -> bool:
    return _grad_enabled


class _GradMode(contextlib.ContextDecorator):
    """Graph recording set to ``mode`` inside a ``with`` block or a decorated function."""

    def __init__(self, mode: bool):
        self.mode = mode
        self._previous: list[bool] = []

    def __enter__(self) -> None:
        global _grad_enabled
        self._previous.append(_grad_enabled)
        _grad_enabled = self.mode

    def __exit__(self, *exc_info: object) -> None:
        global _grad_enabled
        _grad_enabled = self._previous.pop()


class set_grad_enabled(_GradMode):
    """Turn graph recording on or off: at once when called (``tg.set_grad_enabled(False)`` as a
    statement, as in PyTorch), or inside a ``with`` block or a decorated function only."""

    def __init__(self, mode: bool):
        global _grad_enabled
        super().__init__(mode)
        self._before_call: bool | None = _grad_enabled  # what a `with` block right after restores
        _grad_enabled = mode

    def __call__(self, function: Any) -> Any:
        """As a decorator: undo the call's effect; the mode holds only while the function runs."""
        global _grad_enabled
        if self._before_call is not None:
            _grad_enabled, self._before_call = self._before_call, None
        return super().__call__(function)

    def __enter__(self) -> None:
        global _grad_enabled
        if self._before_call is not None:  # the call already set the mode: remember the one before
            self._previous.append(self._before_call)
            self._before_call = None
            _grad_enabled = self.mode
            return
        super().__enter__()


class no_grad(_GradMode):
    """Record no graph: for evaluation, optimizer steps and first-order backward.

    with tg.no_grad():
        prediction = model(x)

    @tg.no_grad()
    def evaluate(model, x): ...
    """

    def __init__(self) -> None:
        super().__init__(False)


class enable_grad(_GradMode):
    """Record the graph again, even inside ``no_grad``."""

    def __init__(self) -> None:
        super().__init__(True)


# ---------------------------------------------------------------------------------------
# Anomaly mode: find the op that first made a NaN or an infinity
# ---------------------------------------------------------------------------------------

_anomaly_mode = False
_PACKAGE_DIR = str(Path(__file__).resolve().parent)


class detect_anomaly(contextlib.ContextDecorator):
    """Raise AnomalyError as soon as an op makes NaN/inf, in forward or in backward.

    The error names the op and the line of *your* code that created it. Slow: it checks
    every array, so use it to debug, not to train.
    """

    def __init__(self) -> None:
        self._previous: list[bool] = []

    def __enter__(self) -> None:
        global _anomaly_mode
        self._previous.append(_anomaly_mode)
        _anomaly_mode = True

    def __exit__(self, *exc_info: object) -> None:
        global _anomaly_mode
        _anomaly_mode = self._previous.pop()


def user_source_line() -> str:
    """'file:line: code' of the innermost frame outside this package (the user's line)."""
    frame: FrameType | None = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back
    if frame is None:
        return "<unknown>"
    filename, lineno = frame.f_code.co_filename, frame.f_lineno
    code = linecache.getline(filename, lineno).strip()
    return f"{filename}:{lineno}: {code}"


def _all_finite(array: np.ndarray) -> bool:
    return not np.issubdtype(array.dtype, np.inexact) or bool(np.isfinite(array).all())


_running_backward = 0  # > 0 while the engine runs an op's backward formula


def check_forward_anomaly(ctx: Context, arrays: Sequence[np.ndarray], out: np.ndarray) -> None:
    """Remember where the op was created; raise if it made NaN/inf from finite inputs.

    Ops run by a backward formula are not checked here: the check after that backward
    names the op being differentiated, which is the one the user wrote.
    """
    ctx.created_at = user_source_line()
    if _running_backward:
        return
    if all(_all_finite(a) for a in arrays) and not _all_finite(out):
        raise AnomalyError(
            f"{ctx.name} produced NaN/inf in forward from finite inputs; "
            f"created at {ctx.created_at}. Check the values reaching this op "
            "(log of 0? division by 0? exp of a large number?)."
        )


def _check_backward_anomaly(ctx: Context, grad_output: Tensor, grads: Sequence[Tensor | None]) -> None:
    if not _all_finite(grad_output._data):
        return  # not made here: the op that made it was reported, or it came from the caller
    for index, grad in enumerate(grads):
        if grad is not None and not _all_finite(grad._data):
            raise AnomalyError(
                f"{ctx.name}.backward produced NaN/inf in the gradient of input {index} "
                f"from a finite grad_output; the op was created at {ctx.created_at}."
            )


# ---------------------------------------------------------------------------------------
# The walk
# ---------------------------------------------------------------------------------------


@dataclass
class BackwardStep:
    """One op visited by the backward walk.

    function     the op's Function subclass (e.g. ``Mul``)
    ctx          its Context: the graph node, with settings and saved values
    inputs       the op's input Tensors, in call order
    output       the Tensor the op made in forward
    grad_output  ∂L/∂output, complete: every use of ``output`` has already sent its share
    grad_inputs  what the op sends back, ∂L/∂input for each input (None where not needed),
                 already summed over broadcast axes to each input's shape
    """

    function: type[Function]
    ctx: Context
    inputs: tuple[Tensor, ...]
    output: Tensor
    grad_output: Tensor
    grad_inputs: tuple[Tensor | None, ...]


def topological_order(roots: Sequence[Tensor]) -> list[Tensor]:
    """Every tensor that leads to ``roots`` and requires grad, each after all its parents.

    Depth-first, iterative (an explicit stack, so a 100,000-op chain is fine) and
    deterministic: parents are visited in call order. A tensor made by an op goes on the
    stack twice: once to visit its parents, once more (marked done) to be placed after them.
    """
    order: list[Tensor] = []
    visited: set[Tensor] = set()  # Tensors hash by identity (== compares values, hashing does not)
    for root in roots:
        stack: list[tuple[Tensor, bool]] = [(root, False)]
        while stack:
            tensor, parents_done = stack.pop()
            if parents_done:
                order.append(tensor)
            elif tensor not in visited:
                visited.add(tensor)
                if tensor.grad_fn is None:
                    order.append(tensor)  # a leaf: no parents to wait for
                    continue
                stack.append((tensor, True))
                for parent in reversed(tensor.grad_fn.parents):
                    if parent.requires_grad and parent not in visited:
                        stack.append((parent, False))
    return order


def _initial_gradients(roots: Sequence[Tensor], grad_outputs: Sequence[object | None]) -> dict[Tensor, Tensor]:
    if len(grad_outputs) != len(roots):
        raise BackwardError(f"got {len(roots)} outputs but {len(grad_outputs)} gradients; give one gradient per output")
    loss = roots[0] if len(roots) == 1 and grad_outputs[0] is None else None
    if loss is not None and loss.requires_grad and loss._data.ndim == 0:  # loss.backward(): ∂L/∂L = 1
        return {loss: Tensor._make(np.array(1, loss._data.dtype), False, None)}
    grads: dict[Tensor, Tensor] = {}  # keyed by the Tensor itself: Tensors hash by identity
    for root, gradient in zip(roots, grad_outputs):
        if not root.requires_grad:
            raise BackwardError(
                f"backward on a tensor of shape {root.shape} that does not require grad: "
                "nothing leads back to a tensor created with requires_grad=True "
                "(or it was computed under no_grad()). Create the inputs with "
                "Tensor(data, requires_grad=True)."
            )
        if gradient is None:
            array = root._data
            if array.size != 1:
                raise BackwardError(
                    f"backward() on a tensor of shape {root.shape} needs a gradient: it is not a "
                    "scalar. Try loss.sum().backward(), or pass gradient= of the same shape."
                )
            # ∂root/∂root = 1, built from a 0-d array (np.ones takes five times as long)
            one = np.array(1, array.dtype)
            gradient = Tensor._make(one.reshape(array.shape) if array.ndim else one, False, None)
        else:
            if not isinstance(gradient, Tensor):
                gradient = Tensor(np.array(gradient, dtype=root.dtype))
            elif not gradient.requires_grad:
                gradient = Tensor(np.array(gradient._data, dtype=root.dtype))
            if gradient.shape != root.shape:
                raise BackwardError(
                    f"the gradient has shape {gradient.shape} but the output has shape {root.shape}; they must match"
                )
        grads[root] = grads[root] + gradient if root in grads else gradient
    return grads


def _walk(
    roots: Sequence[Tensor],
    grad_outputs: Sequence[object | None],
    retain_graph: bool,
    create_graph: bool,
    captured: dict[Tensor, Tensor | None] | None,
    record_steps: bool = True,
) -> Iterator[BackwardStep]:
    """The walk itself. With ``captured`` (a dict keyed by the wanted tensors) the
    gradients are collected there and no ``.grad`` is written, as in ``grad()``. Without
    ``record_steps`` (``backward()`` and ``grad()``, which only want the gradients) no
    BackwardStep is made and the whole walk runs at the first ``next()``.

    ``grads`` holds, for each tensor not yet reached, the sum of the gradients sent to it so far.
    """
    grads = _initial_gradients(roots, grad_outputs)
    for tensor in reversed(topological_order(roots)):
        grad_output = grads.pop(tensor, None)
        if grad_output is None:
            continue  # nothing flows back through this tensor
        ctx = tensor.grad_fn
        if captured is not None:
            if tensor in captured:
                captured[tensor] = grad_output
        elif ctx is None or tensor.retains_grad:
            if create_graph:  # record the sum too; otherwise gradients are constants anyway
                with enable_grad():
                    tensor._accumulate_grad(grad_output, create_graph)
            else:
                tensor._accumulate_grad(grad_output, create_graph)
        if ctx is None:
            continue  # a leaf: nothing further back
        if ctx._saved is None:  # released by an earlier backward()
            raise BackwardError(
                f"Trying to backward through the graph a second time (at {ctx.name}): its "
                "saved values were freed by the first backward(). Pass retain_graph=True "
                "to the first backward() if you need to go back twice."
            )
        if changed_in_graph:  # x += y in a graph happened (pytorch_names.py): did it touch this op's inputs?
            _check_inputs_unchanged(ctx)
        grad_inputs = _run_backward(ctx, tensor, grad_output, grads, create_graph)
        if not retain_graph:
            ctx.release()
        # Between steps the caller's own grad mode is in force: yield only after restoring it.
        if record_steps:
            yield BackwardStep(ctx.function, ctx, ctx.parents, tensor, grad_output, tuple(grad_inputs))
    _backward_done()


# Tensors changed in place in a graph (x += y; pytorch_names.py, _take_place_of), by id: a weak
# reference to the tensor and its version once changed. Entries leave with their tensor.
changed_in_graph: dict[int, tuple[weakref.ref[Tensor], int]] = {}


def _check_inputs_unchanged(ctx: Context) -> None:
    """An input changed in place (x += y) after ``ctx``'s op used it now stands for another node
    of the graph: the gradient would go to the wrong place, so refuse (as PyTorch)."""
    for index, (parent, version) in enumerate(zip(ctx.parents, ctx._versions)):
        entry = changed_in_graph.get(id(parent))
        if entry is not None and entry[0]() is parent and version < entry[1]:
            raise BackwardError(
                f"{ctx.name}: its input {index} (shape {parent.shape}) was modified by an in-place operation "
                f"(x += ..., version {entry[1]}, expected {version}) after {ctx.name} used it. Write "
                "x = x + ... (a new tensor) where the old value is still needed"
            )


def _run_backward(
    ctx: Context, output: Tensor, grad_output: Tensor, grads: dict[Tensor, Tensor], create_graph: bool
) -> list[Tensor | None]:
    """One step of the chain rule: call the op's backward, shape each gradient like its input,
    and add it to that input's running total in ``grads``; return them (None where not needed).
    Graph recording is on only with create_graph, and only here; the op is lent its output (for
    ``saved_tensors``) meanwhile."""
    global _running_backward, _grad_enabled
    if teaching._enabled:
        teaching.check_saved_unchanged(ctx)
    caller_grad_mode = _grad_enabled
    _grad_enabled = create_graph
    ctx.output = output
    _running_backward += 1
    try:
        raw = ctx.function.backward(ctx, grad_output)
        returned = raw if type(raw) is tuple else (raw,)
        if len(returned) != len(ctx.parents):
            raise BackwardError(
                f"{ctx.name}.backward returned {len(returned)} gradients but the op has "
                f"{len(ctx.parents)} inputs; return one per input (None where not needed)"
            )
        grad_inputs: list[Tensor | None] = []
        for parent, grad in zip(ctx.parents, returned):
            if grad is None or not parent.requires_grad:
                grad_inputs.append(None)
                continue
            if type(grad) is np.ndarray:  # a formula computed on the arrays (a plain backward)
                grad = Tensor._make(grad, False, None)
            elif type(grad) is not Tensor:
                grad = _as_gradient(grad)
            if grad._data.shape != parent._data.shape:  # the common case (same shape) costs no call
                grad = unbroadcast(grad, parent._data.shape, ctx.name)
            if parent not in grads:
                grads[parent] = grad
            elif create_graph:  # the sum is part of the gradient's graph
                grads[parent] = grads[parent] + grad
            else:  # constants: add the arrays (a new one: the engine never writes into an array)
                grads[parent] = Tensor._make(grads[parent]._data + grad._data, False, None)
            grad_inputs.append(grad)
        if _anomaly_mode:
            _check_backward_anomaly(ctx, grad_output, grad_inputs)
        return grad_inputs
    finally:
        _running_backward -= 1
        ctx.output = None
        _grad_enabled = caller_grad_mode


def _as_gradient(grad: Any) -> Tensor:
    """A gradient returned as something other than a Tensor, made one (a constant)."""
    if type(grad) is np.ndarray:  # a user op, or a plain backward() in NumPy (first order only)
        return Tensor._make(grad, False, None)
    if isinstance(grad, np.generic):  # NumPy's scalar from 0-d arrays: keep its dtype
        return Tensor._make(np.asarray(grad), False, None)
    if isinstance(grad, Tensor):  # a subclass
        return grad
    return Tensor(np.asarray(grad))


# ---------------------------------------------------------------------------------------
# The cyclic garbage collector and big graphs
# ---------------------------------------------------------------------------------------
#
# A graph has no reference cycles (a Context links to its inputs, never to its output), so
# reference counting alone frees it. Python's cyclic collector does not know that: every time
# the number of long-lived objects has grown by a quarter, it rescans all of them, and a graph
# of n ops is about 4n of them (two Tensors, a Context, its tuple of parents). Those rescans
# grow with the graph and hit memory that is no longer in any cache: on a 1,000,000-op chain
# they took more than twice as long as building the graph itself. So the engine
#   - pauses the collector while backward() or grad() runs (nothing they make needs it);
#   - moves what exists to the collector's permanent generation (gc.freeze) after every
#     FREEZE_AFTER_NODES graph nodes recorded without a backward() in between, so later
#     rescans skip the graph built so far; the backward() that follows gives them back
#     (gc.unfreeze). Frozen objects are still freed by reference counting as usual; only
#     garbage that is part of a reference cycle waits for that backward() to be collected.
# Ordinary training (a graph of tens of ops per step, then backward) never freezes anything.

FREEZE_AFTER_NODES = 10_000
_nodes_since_backward = 0  # graph nodes recorded since the last backward() (counted by Function.apply)
_froze = False  # did the engine call gc.freeze() since the last backward()?


def freeze_graph_so_far() -> None:
    """Called by Function.apply every FREEZE_AFTER_NODES nodes recorded without a backward()."""
    global _nodes_since_backward, _froze
    _nodes_since_backward = 0
    if gc.isenabled():
        gc.freeze()
        _froze = True


def _run_walk_to_the_end(walk: Iterator[BackwardStep]) -> None:
    """Run a walk made without step records, with the cyclic collector paused (see above)."""
    collector_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in walk:
            pass
    finally:
        if collector_was_enabled:
            gc.enable()


def _backward_done() -> None:
    """The end of every walk: count nodes afresh, and give back what the engine froze."""
    global _nodes_since_backward, _froze
    _nodes_since_backward = 0
    if _froze:
        gc.unfreeze()
        _froze = False


def _as_list(tensors: Tensor | Sequence[Tensor]) -> list[Tensor]:
    return [tensors] if isinstance(tensors, Tensor) else list(tensors)


def _roots_and_gradients(tensors: Tensor | Sequence[Tensor], gradients: Any) -> tuple[list[Tensor], list[Any]]:
    """One gradient per output: for a single Tensor, ``gradients`` is its gradient (any array-like);
    for a sequence of outputs, a sequence with one entry (or None) each."""
    if isinstance(tensors, Tensor):
        return [tensors], [gradients]
    roots = list(tensors)
    return roots, [None] * len(roots) if gradients is None else list(gradients)


def backward_steps(
    tensors: Tensor | Sequence[Tensor],
    grad_tensors: object | Sequence[object] | None = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
) -> Iterator[BackwardStep]:
    """Run backward from ``tensors`` one op at a time, yielding a BackwardStep per op.

    Leaves' ``.grad`` are accumulated as the walk reaches them, exactly as ``backward()``
    does (it is this generator, run to the end). Consume it fully.
    """
    roots, gradients = _roots_and_gradients(tensors, grad_tensors)
    if retain_graph is None:
        retain_graph = create_graph
    return _walk(roots, gradients, retain_graph, create_graph, captured=None)


def backward(
    tensors: Tensor | Sequence[Tensor],
    grad_tensors: object | Sequence[object] | None = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
) -> None:
    """Accumulate ∂(tensors)/∂leaf into every leaf's ``.grad``. See ``Tensor.backward``."""
    roots, gradients = _roots_and_gradients(tensors, grad_tensors)
    if retain_graph is None:
        retain_graph = create_graph
    _run_walk_to_the_end(_walk(roots, gradients, retain_graph, create_graph, captured=None, record_steps=False))


def grad(
    outputs: Tensor | Sequence[Tensor],
    inputs: Tensor | Sequence[Tensor],
    grad_outputs: object | Sequence[object] | None = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool = False,
) -> tuple[Tensor | None, ...]:
    """Return ∂outputs/∂inputs as a tuple, one per input, without touching any ``.grad``.

    ``create_graph=True`` records the gradient computation itself, so the result can be
    differentiated again (second derivatives, Hessian-vector products).
    """
    roots, gradients = _roots_and_gradients(outputs, grad_outputs)
    wanted = _as_list(inputs)
    for index, tensor in enumerate(wanted):
        if not tensor.requires_grad:
            raise BackwardError(
                f"grad(): input {index} (shape {tensor.shape}) does not require grad; create it with requires_grad=True"
            )
    if retain_graph is None:
        retain_graph = create_graph
    captured: dict[Tensor, Tensor | None] = {tensor: None for tensor in wanted}
    _run_walk_to_the_end(_walk(roots, gradients, retain_graph, create_graph, captured, record_steps=False))
    results = tuple(captured[tensor] for tensor in wanted)
    for index, result in enumerate(results):
        if result is None and not allow_unused:
            raise BackwardError(
                f"grad(): input {index} (shape {wanted[index].shape}) was not used to compute "
                "the outputs; pass allow_unused=True to get None for it"
            )
    return results


# Imported last: these modules import this one (grad mode), and the walk needs them at run time.
from .broadcast import unbroadcast
from .tensor import Tensor

# isort: split
# PyTorch's path to the op base class: ``class MyReLU(tg.autograd.Function)`` (as torch.autograd.Function).
from .function import Context, Function  # noqa: E402, F401
