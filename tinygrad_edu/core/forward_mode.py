"""Forward-mode automatic differentiation: tangents flow with the values.

Reverse mode (``backward``) starts from the output with ∂L/∂y and walks the ops from the
output back to the inputs. Forward mode starts from the inputs with a *tangent* ẋ (a
direction in which to move them) and walks the ops in the order they ran: each op turns
the tangents of its inputs into the tangent of its output,

    ẏ = ∂y/∂x₁ · ẋ₁ + ∂y/∂x₂ · ẋ₂ + …       (the op's ``jvp(ctx, *input_tangents)``)

so that at the end ẏ = J · ẋ, the Jacobian-vector product, for the price of about one
more forward pass. One forward-mode pass gives one *column* of the Jacobian (one input
direction); one reverse-mode pass gives one *row* (one output element). That is why
backprop wins for a loss of a million parameters, and forward mode wins for a function of
one number with many outputs: ``jacobian(fn, x, mode=...)`` lets you time both.

    import tinygrad_edu as tg
    x = tg.Tensor([1.0, 2.0])
    y, y_dot = tg.jvp(lambda x: (x * x).sin(), x, tg.Tensor([1.0, 0.0]))
    # y_dot = cos(x²) · 2x · ẋ = [cos(1)·2, 0]

How it works: ``fn`` runs once with the graph recorded, then the recorded ops are visited
in the engine's own topological order (``autograd.topological_order``, parents first),
and each op's ``jvp`` is called with its inputs' tangents (None for an input that has no
tangent: a constant, integer targets, a tensor ``fn`` closed over).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from ..errors import ShapeError
from .autograd import enable_grad, grad, no_grad, topological_order
from .tensor import Context, Function, Tensor

Tensors = Tensor | Sequence[Tensor]


def jvp(
    fn: Callable[..., Tensors], inputs: Tensors, tangents: Tensors
) -> tuple[Tensor | tuple[Tensor, ...], Tensor | tuple[Tensor, ...]]:
    """Run ``fn(*inputs)`` and push ``tangents`` through it: return ``(outputs, output_tangents)``.

    The contract of ``torch.func.jvp``: ``inputs`` and ``tangents`` are tuples of Tensors of
    the same shapes (a single Tensor is accepted for each); the result is ``fn``'s output and
    its tangent J·ẋ, each a Tensor if ``fn`` returns one Tensor, else a tuple. The outputs
    carry no graph (they are detached).
    """
    inputs, tangents = _as_tuple(inputs, "inputs"), _as_tuple(tangents, "tangents")
    primals, result, order = _record(fn, inputs)
    outputs = _outputs(result)
    output_tangents = _push_tangents(order, primals, _check_tangents(primals, tangents), outputs)
    detached = tuple(output.detach() for output in outputs)
    if isinstance(result, Tensor):
        return detached[0], output_tangents[0]
    return detached, output_tangents


def jacobian(
    fn: Callable[..., Tensor], x: Tensors, mode: Literal["forward", "reverse"] = "reverse"
) -> Tensor | tuple[Tensor, ...]:
    """The Jacobian of ``fn`` at ``x``, shaped ``output.shape + x.shape``.

    mode="forward"   one forward-mode pass (jvp) per element of x: the Jacobian by columns
    mode="reverse"   one backward pass (vjp) per element of the output: by rows
    Both record the graph once. Give a tuple of Tensors for ``x`` to get one Jacobian per input.
    """
    if mode not in ("forward", "reverse"):
        raise ValueError(f"jacobian: mode must be 'forward' or 'reverse', got {mode!r}")
    inputs = _as_tuple(x, "x")
    primals, output, order = _record(fn, inputs)
    if not isinstance(output, Tensor):
        raise TypeError(f"jacobian: fn must return one Tensor, got a {type(output).__name__}")
    outputs = [output]
    dtype = np.result_type(output.dtype, np.float32)
    matrices = [np.zeros((output.data.size, primal.data.size), dtype=dtype) for primal in primals]
    if mode == "forward":
        for k, primal in enumerate(primals):
            for column in range(primal.data.size):
                direction = [Tensor(np.zeros(p.shape, dtype=p.dtype)) for p in primals]
                direction[k].data.reshape(-1)[column] = 1
                (output_tangent,) = _push_tangents(order, primals, direction, outputs)
                matrices[k][:, column] = output_tangent._data.reshape(-1)
    elif output.requires_grad:
        for row in range(output.data.size):
            seed = np.zeros(output.shape, dtype=output.dtype)
            seed.reshape(-1)[row] = 1
            rows = grad(output, primals, grad_outputs=Tensor(seed), retain_graph=True, allow_unused=True)
            for k, gradient in enumerate(rows):
                if gradient is not None:
                    matrices[k][row, :] = gradient._data.reshape(-1)
    jacobians = tuple(Tensor(matrix.reshape(output.shape + primal.shape)) for matrix, primal in zip(matrices, primals))
    return jacobians[0] if isinstance(x, Tensor) else jacobians


# ----- the walk ----------------------------------------------------------------------------------


def _as_tuple(tensors: Tensors, what: str) -> tuple[Tensor, ...]:
    items = (tensors,) if isinstance(tensors, Tensor) else tuple(tensors)
    for index, item in enumerate(items):
        if not isinstance(item, Tensor):
            raise TypeError(f"jvp: {what}[{index}] is a {type(item).__name__}; give Tensors (or a tuple of Tensors)")
    return items


def _record(fn: Callable[..., Tensors], inputs: tuple[Tensor, ...]) -> tuple[list[Tensor], Tensors, list[Tensor]]:
    """Run fn once on fresh leaves (same data, requires_grad=True) with the graph recorded.

    Returns the leaves, what fn returned, and every tensor of the graph with parents first.
    """
    for index, x in enumerate(inputs):
        if x.dtype.kind != "f":
            raise TypeError(f"jvp: input {index} is {x.dtype}; only floating-point inputs have tangents")
    primals = [Tensor(x.data, requires_grad=True, name=x.name) for x in inputs]
    with enable_grad():
        result = fn(*primals)
    return primals, result, topological_order(_outputs(result))


def _outputs(result: object) -> list[Tensor]:
    outputs = [result] if isinstance(result, Tensor) else list(result)  # type: ignore[call-overload]
    for index, output in enumerate(outputs):
        if not isinstance(output, Tensor):
            kind = type(output).__name__
            raise TypeError(f"jvp: fn must return a Tensor or a tuple of Tensors; output {index} is a {kind}")
    return outputs


def _check_tangents(primals: list[Tensor], tangents: tuple[Tensor, ...]) -> list[Tensor]:
    if len(tangents) != len(primals):
        raise ValueError(f"jvp: got {len(primals)} inputs but {len(tangents)} tangents; give one tangent per input")
    checked = []
    for index, (primal, tangent) in enumerate(zip(primals, tangents)):
        if tangent.shape != primal.shape:
            raise ShapeError(
                f"jvp: tangent {index} has shape {tangent.shape} but input {index} has shape {primal.shape}; "
                "a tangent is a direction to move the input in, so it has the input's shape"
            )
        checked.append(Tensor(np.asarray(tangent._data, dtype=primal.dtype)))
    return checked


@dataclass
class JvpStep:
    """One op visited by the forward-mode walk (the mirror of ``autograd.BackwardStep``).

    function        the op's Function subclass (e.g. ``Mul``)
    ctx             its Context: the graph node, with settings and saved values
    inputs          the op's input Tensors, in call order
    output          the Tensor the op made in forward
    input_tangents  each input's tangent (None for an input without one)
    output_tangent  what the op's jvp made of them, shaped like the output
    """

    function: type[Function]
    ctx: Context
    inputs: tuple[Tensor, ...]
    output: Tensor
    input_tangents: tuple[Tensor | None, ...]
    output_tangent: Tensor


def jvp_steps(order: Sequence[Tensor], primals: Sequence[Tensor], tangents: Sequence[Tensor]) -> Iterator[JvpStep]:
    """Push ``tangents`` (one per tensor of ``primals``) through a recorded graph, one op at a time,
    yielding a JvpStep per op that a tangent reaches: the forward-mode walk, beside
    ``backward_steps``. ``order`` is the graph's tensors, parents first
    (``topological_order(outputs)``); ops are visited in that order, with no graph recorded."""
    tangent_of: dict[int, Tensor] = {id(primal): tangent for primal, tangent in zip(primals, tangents)}
    for tensor in order:
        ctx = tensor.grad_fn
        if ctx is None:
            continue  # a leaf: its tangent is given (or it has none)
        input_tangents = tuple(tangent_of.get(id(parent)) for parent in ctx.parents)
        if all(tangent is None for tangent in input_tangents):
            continue  # nothing flows into this op
        with no_grad():
            output_tangent = op_jvp(ctx, tensor, input_tangents)
        tangent_of[id(tensor)] = output_tangent
        yield JvpStep(ctx.function, ctx, ctx.parents, tensor, input_tangents, output_tangent)


def _push_tangents(
    order: list[Tensor], primals: list[Tensor], tangents: list[Tensor], outputs: list[Tensor]
) -> tuple[Tensor, ...]:
    """The outputs' tangents, after the whole walk (0 for an output no tangent reaches)."""
    tangent_of = {id(primal): tangent for primal, tangent in zip(primals, tangents)}
    for step in jvp_steps(order, primals, tangents):
        tangent_of[id(step.output)] = step.output_tangent
    zeros = [Tensor(np.zeros(output.shape, dtype=np.result_type(output.dtype, np.float32))) for output in outputs]
    return tuple(tangent_of.get(id(output), zero) for output, zero in zip(outputs, zeros))


def op_jvp(ctx: Context, output: Tensor, input_tangents: Sequence[Tensor | None]) -> Tensor:
    """One op's step of forward mode: its jvp on the inputs' tangents, shaped like its output.
    Call it without graph recording (no_grad)."""
    ctx.output = output  # lent to the op, as during backward (saved_tensors, ctx.output.shape)
    try:
        output_tangent = ctx.function.jvp(ctx, *input_tangents)
    finally:
        ctx.output = None
    return _shaped_like(output_tangent, output, ctx.name)


def _shaped_like(tangent: object, output: Tensor, op: str) -> Tensor:
    """The tangent as a Tensor of the output's shape and dtype: the one place where a tangent that
    broadcasts (say ȧ alone, when a was stretched) is spread to the output's shape."""
    if tangent is None:
        raise TypeError(
            f"{op}.jvp returned None; return the output's tangent (zeros if it does not depend on the inputs)"
        )
    data = tangent._data if isinstance(tangent, Tensor) else np.asarray(tangent)
    if data.shape != output.shape:
        try:
            data = np.broadcast_to(data, output.shape)
        except ValueError:
            raise ShapeError(
                f"{op}.jvp returned a tangent of shape {data.shape}, but the op's output has shape "
                f"{output.shape}; return a tangent shaped like the output"
            ) from None
    return Tensor(np.asarray(data, dtype=output.dtype))
