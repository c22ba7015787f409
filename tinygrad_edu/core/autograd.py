"""Reverse-mode automatic differentiation: the one walk over the graph.

The chain rule, for a graph of ops: walk the ops from the output back to the leaves,
in an order where every op comes after all ops that use its output (reverse topological
order). At each op, the upstream gradient ∂L/∂output is complete, so the op's backward
turns it into ∂L/∂input for each input, and those are *added* to what the inputs already
got from elsewhere (the multivariate chain rule: a tensor used twice gets two terms).

``backward_steps`` is that walk, one record per op visited; ``backward()``, ``grad()``
and the pictures in ``viz`` are all built on it, so they cannot disagree.

While an op's backward formula runs, graph recording is on only under ``create_graph=True``:
only then does the gradient get a graph of its own. Otherwise the formula's Tensor operations
take ``Function.apply``'s lean path, and for the hot ops the walk runs their first-order twin on
arrays instead (fast/array_backward.py). ``backward()`` and ``grad()`` make no BackwardStep
records and keep Python's cyclic garbage collector off the graph (fast/collector.py). Either way
it is the same walk, in the same order.
"""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import BackwardError
from ..fast import collector
from . import grad_mode, hooks
from .broadcast import unbroadcast
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .tensor import Context, Function, Tensor

__all__ = [  # grad mode is re-exported: it was defined here before it had a module of its own
    "BackwardStep",
    "backward",
    "backward_steps",
    "call_backward",
    "enable_grad",
    "grad",
    "is_grad_enabled",
    "no_grad",
    "set_grad_enabled",
    "topological_order",
]


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
    """The walk itself, run with graph recording set to ``create_graph`` (its callers set it).
    With ``captured`` (a dict keyed by the wanted tensors) the gradients are collected there and
    no ``.grad`` is written, as in ``grad()``. Without ``record_steps`` (``backward()`` and
    ``grad()``) no BackwardStep is made."""
    grads = _initial_gradients(roots, grad_outputs)  # tensor -> the sum of the gradients sent to it so far
    for tensor in reversed(topological_order(roots)):
        grad_output = grads.pop(tensor, None)
        if grad_output is None:
            continue  # nothing flows back through this tensor
        ctx = tensor.grad_fn
        if captured is not None:
            if tensor in captured:
                captured[tensor] = grad_output
        elif ctx is None or tensor.retains_grad:
            tensor._accumulate_grad(grad_output, create_graph)
        if ctx is None:
            continue  # a leaf: nothing further back
        grad_inputs = _chain_rule_step(ctx, tensor, grad_output, grads, create_graph)
        if not retain_graph:
            ctx.release()
        if record_steps:
            yield BackwardStep(ctx.function, ctx, ctx.parents, tensor, grad_output, tuple(grad_inputs))
    collector.backward_done()  # fast/collector.py


def _chain_rule_step(
    ctx: Context, output: Tensor, grad_output: Tensor, grads: dict[Tensor, Tensor], create_graph: bool
) -> list[Tensor | None]:
    """One op's step of the chain rule: its backward turns ∂L/∂output into ∂L/∂input for each
    input, summed back to the input's shape (``unbroadcast``) and added to what that input got
    so far in ``grads``. Returns them, one per input (None where not needed).

    Call it with graph recording on only under ``create_graph`` (the walk's callers set it): the
    formula's own ops are then recorded, and the gradient gets a graph of its own. Without
    ``create_graph`` an op with a twin on arrays runs that instead (fast/array_backward.py).
    """
    if ctx._saved is None:  # released by an earlier backward()
        raise BackwardError(
            f"Trying to backward through the graph a second time (at {ctx.name}): its "
            "saved values were freed by the first backward(). Pass retain_graph=True "
            "to the first backward() if you need to go back twice."
        )
    if changed_in_graph:  # x += y happened in a graph (pytorch_names.py): did it touch this op's inputs?
        _check_inputs_unchanged(ctx)
    if hooks.active:
        hooks.before_backward(ctx)  # debug/: teaching checks the saved arrays (core/hooks.py)
    on_arrays = None if create_graph else ctx.function.array_backward  # fast/array_backward.py
    ctx.output = output  # lent to the op while its backward runs: saved_tensors may hand it back
    try:
        if on_arrays is not None:
            returned: Any = on_arrays(ctx, grad_output._data)
        else:
            returned = ctx.function.backward(ctx, grad_output)
    finally:
        ctx.output = None
    if type(returned) is not tuple:
        returned = (returned,)
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
        if type(grad) is np.ndarray:  # a twin on arrays (fast/), or a user's op computing on arrays
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
    if hooks.active:
        hooks.after_backward(ctx, grad_output, grad_inputs)  # debug/: anomaly checks for NaN
    return grad_inputs


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


def call_backward(ctx: Context, output: Tensor, grad_output: Tensor, create_graph: bool = False) -> tuple[Any, ...]:
    """The op's backward on ``grad_output`` as it returned it, one entry per input, run as in the
    walk (for tools that look at what a formula returns: gradcheck, explain)."""
    on_arrays = None if create_graph else ctx.function.array_backward  # fast/array_backward.py
    ctx.output = output
    try:
        if on_arrays is not None:
            returned: Any = on_arrays(ctx, grad_output._data)
        else:
            with set_grad_enabled(create_graph):
                returned = ctx.function.backward(ctx, grad_output)
    finally:
        ctx.output = None
    return returned if type(returned) is tuple else (returned,)


def _as_gradient(grad: Any) -> Tensor:
    """A gradient returned as something other than a Tensor, made one (a constant)."""
    if type(grad) is np.ndarray:  # a twin on arrays (fast/), or a user's op computing on arrays
        return Tensor._make(grad, False, None)
    if isinstance(grad, np.generic):  # NumPy's scalar from 0-d arrays: keep its dtype
        return Tensor._make(np.asarray(grad), False, None)
    if isinstance(grad, Tensor):  # a subclass
        return grad
    return Tensor(np.asarray(grad))


def _as_list(tensors: Tensor | Sequence[Tensor]) -> list[Tensor]:
    return [tensors] if isinstance(tensors, Tensor) else list(tensors)


def _roots_and_gradients(tensors: Tensor | Sequence[Tensor], gradients: Any) -> tuple[list[Tensor], list[Any]]:
    """One gradient per output: for a single Tensor, ``gradients`` is its gradient (any array-like);
    for a sequence of outputs, a sequence with one entry (or None) each."""
    if isinstance(tensors, Tensor):
        return [tensors], [gradients]
    roots = list(tensors)
    return roots, [None] * len(roots) if gradients is None else list(gradients)


def _run_to_the_end(walk: Iterator[BackwardStep], create_graph: bool) -> None:
    """backward() and grad(): the whole walk at once, with graph recording set to create_graph,
    and Python's cyclic collector paused (why: fast/collector.py)."""
    caller_grad_mode, collector_was_on = grad_mode._grad_enabled, gc.isenabled()
    grad_mode._grad_enabled = create_graph
    gc.disable()
    try:
        for _ in walk:
            pass
    finally:
        grad_mode._grad_enabled = caller_grad_mode
        if collector_was_on:
            gc.enable()


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
    walk = _walk(roots, gradients, retain_graph, create_graph, captured=None)
    while True:  # each step with recording set to create_graph; between steps, the caller's grad mode
        with set_grad_enabled(create_graph):
            step = next(walk, None)
        if step is None:
            return
        yield step


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
    _run_to_the_end(
        _walk(roots, gradients, retain_graph, create_graph, captured=None, record_steps=False), create_graph
    )


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
    _run_to_the_end(_walk(roots, gradients, retain_graph, create_graph, captured, record_steps=False), create_graph)
    results = tuple(captured[tensor] for tensor in wanted)
    for index, result in enumerate(results):
        if result is None and not allow_unused:
            raise BackwardError(
                f"grad(): input {index} (shape {wanted[index].shape}) was not used to compute "
                "the outputs; pass allow_unused=True to get None for it"
            )
    return results
