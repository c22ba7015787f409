"""Check analytic gradients against numerical ones (central differences, float64).

For a function f and a random upstream gradient v (all-ones would hide bugs such as a
transposed gradient), the engine's answer ∂(v·f)/∂xᵢ is compared, element by element, with

    (v·f(x + ε·eᵢ) − v·f(x − ε·eᵢ)) / 2ε

which is accurate to O(ε²). In float32 the rounding error of f swamps that, so inputs
should be float64; a GradcheckWarning says so otherwise.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence

import numpy as np

from ..core.autograd import call_backward, grad, topological_order
from ..core.tensor import Tensor
from ..errors import GradcheckError, GradcheckWarning

Outputs = Tensor | Sequence[Tensor]


def _as_tuple(outputs: Outputs) -> tuple[Tensor, ...]:
    return (outputs,) if isinstance(outputs, Tensor) else tuple(outputs)


def _label(tensor: Tensor, index: int) -> str:
    return f"input {index}" + (f" ({tensor.name!r})" if tensor.name else "") + f" of shape {tensor.shape}"


def _weighted_sum(outputs: tuple[Tensor, ...], upstream: Sequence[np.ndarray]) -> float:
    return float(sum(np.sum(out._data * v) for out, v in zip(outputs, upstream)))


def _analytic(outputs: tuple[Tensor, ...], upstream: list[np.ndarray], wrt: list[Tensor]) -> list[np.ndarray]:
    """∂(Σ vₖ·outputₖ)/∂x for each x in wrt, by the engine (zeros where x is not used)."""
    pairs = [(out, v) for out, v in zip(outputs, upstream) if out.requires_grad]
    if not pairs:
        return [np.zeros_like(x.data) for x in wrt]
    grads = grad([out for out, _ in pairs], wrt, [Tensor(v) for _, v in pairs], allow_unused=True)
    return [np.zeros_like(x.data) if g is None else np.asarray(g.data) for x, g in zip(wrt, grads)]


def _numerical(
    fn: Callable[..., Outputs], inputs: Sequence[Tensor], upstream: list[np.ndarray], x: Tensor, eps: float
) -> np.ndarray:
    """Central differences of Σ vₖ·outputₖ with respect to every element of x."""
    numerical = np.zeros(x.shape, dtype=np.float64)
    for index in np.ndindex(x.shape):  # writes go into x.data itself, whatever its memory order
        plus, minus = nudged(lambda: _weighted_sum(_as_tuple(fn(*inputs)), upstream), x.data, index, eps)
        numerical[index] = (plus - minus) / (2 * eps)
    return numerical


def nudged(value: Callable[[], float], array: np.ndarray, element: tuple[int, ...], eps: float) -> tuple[float, float]:
    """``value()`` with ``array[element]`` moved by +eps and by −eps: the two ends of a central
    difference (value(x + ε) − value(x − ε)) / 2ε. The array is written in place and restored."""
    original = array[element]
    array[element] = original + eps
    plus = value()
    array[element] = original - eps
    minus = value()
    array[element] = original
    return plus, minus


def gradcheck(
    fn: Callable[..., Outputs],
    inputs: Tensor | Sequence[Tensor],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    seed: int = 0,
) -> bool:
    """Return True if fn's gradients match central differences, else raise GradcheckError.

    Every input with requires_grad=True is checked; fn may return one Tensor or several.
    The upstream gradient is random (from ``seed``). The error names the input, the worst
    element, and the analytic and numerical values there.
    """
    inputs = list(_as_tuple(inputs))
    positions = [i for i, x in enumerate(inputs) if x.requires_grad]
    wrt = [inputs[i] for i in positions]
    if not wrt:
        raise ValueError("gradcheck: no input has requires_grad=True, so there is nothing to check")
    for index, x in enumerate(inputs):
        if x.requires_grad and x.dtype != np.float64:
            warnings.warn(
                f"gradcheck: {_label(x, index)} is {x.dtype}; central differences need float64 "
                "to be trustworthy. Create inputs with dtype=np.float64.",
                GradcheckWarning,
                stacklevel=2,
            )
    outputs = _as_tuple(fn(*inputs))
    rng = np.random.default_rng(seed)
    upstream = [rng.standard_normal(out.shape) for out in outputs]
    analytic = _analytic(outputs, upstream, wrt)
    for index, x, analytic_grad in zip(positions, wrt, analytic):
        if analytic_grad.shape != x.shape:
            raise GradcheckError(f"gradcheck: the gradient of {_label(x, index)} has shape {analytic_grad.shape}")
        numerical_grad = _numerical(fn, inputs, upstream, x, eps)
        excess = np.abs(analytic_grad - numerical_grad) - (atol + rtol * np.abs(numerical_grad))
        if np.any(excess > 0) or not np.all(np.isfinite(analytic_grad)):
            worst = np.unravel_index(np.argmax(np.where(np.isfinite(excess), excess, np.inf)), x.shape)
            raise GradcheckError(
                f"gradcheck: gradient of {_label(x, index)} is wrong at element {tuple(int(i) for i in worst)}: "
                f"analytic {analytic_grad[worst]:.8g}, numerical {numerical_grad[worst]:.8g} "
                f"(atol={atol}, rtol={rtol}).\nanalytic:\n{analytic_grad}\nnumerical:\n{numerical_grad}"
            )
    return True


def gradgradcheck(
    fn: Callable[..., Outputs],
    inputs: Tensor | Sequence[Tensor],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    seed: int = 0,
) -> bool:
    """Check second derivatives: gradcheck of the first derivative taken with create_graph=True.

    The first derivative is v ↦ ∂(v·fn(x))/∂x for a random upstream v; it is checked as a
    function of both x and v, so every term of the backward's own backward is exercised.
    When it fails and an op defined outside the package has a backward the engine cannot
    differentiate (it returns NumPy arrays, computes from ``.data``, or reads values kept on
    ctx), the error says so: see ``second_order_hint``.
    """
    inputs = list(_as_tuple(inputs))
    wrt_positions = [i for i, x in enumerate(inputs) if x.requires_grad]
    if not wrt_positions:
        raise ValueError("gradgradcheck: no input has requires_grad=True, so there is nothing to check")
    outputs = _as_tuple(fn(*inputs))
    rng = np.random.default_rng(seed + 1)
    upstream = [
        Tensor(rng.standard_normal(out.shape).astype(out.dtype), requires_grad=out.dtype.kind == "f", name=f"v{k}")
        for k, out in enumerate(outputs)
    ]
    count = len(inputs)

    def first_derivative(*args: Tensor) -> tuple[Tensor, ...]:
        xs, vs = args[:count], args[count:]
        outs = _as_tuple(fn(*xs))
        pairs = [(out, v) for out, v in zip(outs, vs) if out.requires_grad]
        wrt = [xs[i] for i in wrt_positions]
        if not pairs:
            return tuple(Tensor(np.zeros_like(x._data)) for x in wrt)
        grads = grad([o for o, _ in pairs], wrt, [v for _, v in pairs], create_graph=True, allow_unused=True)
        return tuple(Tensor(np.zeros_like(x._data)) if g is None else g for x, g in zip(wrt, grads))

    try:
        return gradcheck(first_derivative, inputs + upstream, eps=eps, atol=atol, rtol=rtol, seed=seed)
    except GradcheckError as error:
        hint = second_order_hint(fn, [Tensor(x._data, requires_grad=x.requires_grad) for x in inputs], seed)
        if not hint:
            raise
        raise GradcheckError(f"{error}{hint}") from None


def second_order_hint(fn: Callable[..., Outputs], inputs: Sequence[Tensor], seed: int) -> str:
    """The likely cause of wrong second derivatives in a user's op, found by calling its backward
    on an upstream gradient that requires grad and looking at what the result is connected to."""
    try:
        outputs = [out for out in _as_tuple(fn(*inputs)) if out.requires_grad]
    except Exception:
        return ""
    rng = np.random.default_rng(seed + 19)
    for tensor in topological_order(outputs) if outputs else []:
        ctx = tensor.grad_fn
        if ctx is None or ctx.function.__module__.startswith("tinygrad_edu.ops"):
            continue  # the built-in ops are proven elsewhere
        upstream = Tensor(rng.standard_normal(tensor.shape).astype(tensor.dtype), requires_grad=True)
        try:
            raw = call_backward(ctx, tensor, upstream, create_graph=True)
        except Exception:
            continue
        for position, gradient in enumerate(raw):
            if gradient is None or not ctx.parents[position].requires_grad:
                continue
            if not isinstance(gradient, Tensor):
                return (
                    f"\nlikely cause: {ctx.name}.backward returns a NumPy {type(gradient).__name__} for input "
                    f"{position}. The engine takes an array as a constant, so nothing of the backward is recorded "
                    "and its derivative comes out 0. Compute the gradient with Tensor operations on grad_output "
                    "and ctx.saved_tensors (no .data, no np. functions)."
                )
            reached = {id(t) for t in topological_order([gradient])} if gradient.requires_grad else set()
            if id(upstream) not in reached:
                return (
                    f"\nlikely cause: {ctx.name}.backward's gradient for input {position} does not depend on "
                    "grad_output as far as the engine can see: it was computed from .data or NumPy arrays and "
                    "wrapped into a Tensor, so it is a constant. Compute it with Tensor operations on grad_output "
                    "and ctx.saved_tensors."
                )
            if not any(id(parent) in reached for parent in ctx.parents):
                return (
                    f"\nlikely cause: {ctx.name}.backward's gradient for input {position} does not depend on the "
                    "op's inputs as far as the engine can see. A value kept on ctx (ctx.x = x), or an array saved "
                    "that is not an input or the output, comes back as a constant, so its derivative is 0. Pass "
                    "the inputs (or the output) to ctx.save_for_backward and read them from ctx.saved_tensors."
                )
    return ""
