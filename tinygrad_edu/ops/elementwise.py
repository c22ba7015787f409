"""Elementwise ops: each output element depends on the elements at the same position.

Binary ops broadcast like NumPy. Their backward returns gradients shaped like the
output; the engine sums them back to each input's shape (``broadcast.unbroadcast``).
Backward formulas are written with Tensor operations, so under ``create_graph=True``
they are recorded and can be differentiated again. (The hottest ones have first-order twins
on arrays for a plain ``backward()``: fast/array_backward.py.)
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from ..core.broadcast import broadcast_shapes
from ..core.tensor import Context, Function
from ..fast import array_backward as on_arrays

if TYPE_CHECKING:
    from ..core.tensor import Tensor


def _check_broadcast(op: str, a: np.ndarray, b: np.ndarray) -> None:
    """Raise ShapeError (showing the shapes) unless a and b, of different shapes, broadcast
    together. The binary ops call it only when the shapes differ: equal shapes need no check."""
    if a.ndim and b.ndim:  # a scalar broadcasts with anything: no check
        broadcast_shapes(a.shape, b.shape, op=op)


# ----- binary arithmetic ------------------------------------------------------------------


class Add(Function):
    """Sum, elementwise, with broadcasting.
    forward:  y = a + b
    backward: ∂L/∂a = ∂L/∂y,  ∂L/∂b = ∂L/∂y
    jvp:      ẏ = ȧ + ḃ
    """

    # The text viz prints for ∂y/∂(each input), y the output (tests check it against backward)
    input_names = ("a", "b")
    local_derivatives = ("1", "1")

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if a.shape != b.shape:
            _check_broadcast("add", a, b)
        return a + b

    @staticmethod
    def backward(ctx: Context, grad_output: Tensor) -> tuple[Tensor, Tensor]:
        return grad_output, grad_output

    @staticmethod
    def jvp(ctx: Context, a_dot: Tensor | None, b_dot: Tensor | None) -> Tensor:
        y_dot: Any = 0.0  # each input that moves adds its term (a Tensor from the first on)
        if a_dot is not None:
            y_dot = y_dot + a_dot
        if b_dot is not None:
            y_dot = y_dot + b_dot
        return y_dot


class Sub(Function):
    """Difference, elementwise, with broadcasting.
    forward:  y = a − b
    backward: ∂L/∂a = ∂L/∂y,  ∂L/∂b = −∂L/∂y
    jvp:      ẏ = ȧ − ḃ
    """

    # The text viz prints for ∂y/∂(each input), y the output (tests check it against backward)
    input_names = ("a", "b")
    local_derivatives = ("1", "−1")

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if a.shape != b.shape:
            _check_broadcast("sub", a, b)
        return a - b

    array_backward = on_arrays.sub  # a plain backward() runs this twin on arrays instead

    @staticmethod
    def backward(ctx: Context, grad_output: Tensor) -> tuple[Tensor, Tensor | None]:
        return grad_output, -grad_output if ctx.needs_input_grad[1] else None

    @staticmethod
    def jvp(ctx: Context, a_dot: Tensor | None, b_dot: Tensor | None) -> Tensor:
        y_dot: Any = 0.0  # a Tensor once the first tangent is added
        if a_dot is not None:
            y_dot = y_dot + a_dot
        if b_dot is not None:
            y_dot = y_dot - b_dot
        return y_dot


class Mul(Function):
    """Product, elementwise, with broadcasting.
    forward:  y = a · b
    backward: ∂L/∂a = ∂L/∂y · b,  ∂L/∂b = ∂L/∂y · a
    jvp:      ẏ = ȧ · b + a · ḃ
    """

    # The text viz prints for ∂y/∂(each input), y the output (tests check it against backward)
    input_names = ("a", "b")
    local_derivatives = ("b", "a")

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if a.shape != b.shape:
            _check_broadcast("mul", a, b)
        ctx.save_for_backward(a, b)
        return a * b

    array_backward = on_arrays.mul  # a plain backward() runs this twin on arrays instead

    @staticmethod
    def backward(ctx: Context, grad_output: Tensor) -> tuple[Tensor | None, Tensor | None]:
        a, b = ctx.saved_tensors
        grad_a = grad_output * b if ctx.needs_input_grad[0] else None
        grad_b = grad_output * a if ctx.needs_input_grad[1] else None
        return grad_a, grad_b

    @staticmethod
    def jvp(ctx: Context, a_dot: Tensor | None, b_dot: Tensor | None) -> Tensor:
        a, b = ctx.saved_tensors
        y_dot: Any = 0.0  # a Tensor once the first tangent is added
        if a_dot is not None:
            y_dot = y_dot + a_dot * b
        if b_dot is not None:
            y_dot = y_dot + a * b_dot
        return y_dot


class Div(Function):
    """Quotient, elementwise, with broadcasting.
    forward:  y = a / b
    backward: ∂L/∂a = ∂L/∂y / b,  ∂L/∂b = −∂L/∂y · a / b²
    jvp:      ẏ = ȧ / b − ḃ · a / b²
    """

    # The text viz prints for ∂y/∂(each input), y the output (tests check it against backward)
    input_names = ("a", "b")
    local_derivatives = ("1/b", "−a/b²")

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if a.shape != b.shape:
            _check_broadcast("div", a, b)
        ctx.save_for_backward(a, b)
        return a / b

    array_backward = on_arrays.div  # a plain backward() runs this twin on arrays instead

    @staticmethod
    def backward(ctx: Context, grad_output: Tensor) -> tuple[Tensor | None, Tensor | None]:
        a, b = ctx.saved_tensors
        grad_a = grad_output / b if ctx.needs_input_grad[0] else None
        grad_b = -grad_output * a / (b * b) if ctx.needs_input_grad[1] else None
        return grad_a, grad_b

    @staticmethod
    def jvp(ctx: Context, a_dot: Tensor | None, b_dot: Tensor | None) -> Tensor:
        a, b = ctx.saved_tensors
        y_dot: Any = 0.0  # a Tensor once the first tangent is added
        if a_dot is not None:
            y_dot = y_dot + a_dot / b
        if b_dot is not None:
            y_dot = y_dot - b_dot * a / (b * b)
        return y_dot


class Pow(Function):
    """Power, elementwise, with broadcasting.
    forward:  y = aᵇ
    backward: ∂L/∂a = ∂L/∂y · b · aᵇ⁻¹,  ∂L/∂b = ∂L/∂y · aᵇ · ln a
    jvp:      ẏ = ȧ · b · aᵇ⁻¹ + ḃ · aᵇ · ln a
    NOTE: ∂L/∂b is only computed when b requires grad (ln a is NaN for a < 0).
    """

    # The text viz prints for ∂y/∂(each input), y the output (tests check it against backward)
    input_names = ("a", "b")
    local_derivatives = ("b·a^(b − 1)", "y·log(a)")

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if a.shape != b.shape:
            _check_broadcast("pow", a, b)
        ctx.save_for_backward(a, b)
        return a**b

    @staticmethod
    def backward(ctx: Context, grad_output: Tensor) -> tuple[Tensor | None, Tensor | None]:
        a, b = ctx.saved_tensors
        grad_a = grad_output * b * a ** (b - 1) if ctx.needs_input_grad[0] else None
        grad_b = grad_output * a**b * a.log() if ctx.needs_input_grad[1] else None
        return grad_a, grad_b

    @staticmethod
    def jvp(ctx: Context, a_dot: Tensor | None, b_dot: Tensor | None) -> Tensor:
        a, b = ctx.saved_tensors
        y_dot: Any = 0.0  # a Tensor once the first tangent is added
        if a_dot is not None:
            y_dot = y_dot + a_dot * b * a ** (b - 1)
        if b_dot is not None:
            y_dot = y_dot + b_dot * a**b * a.log()
        return y_dot


class Maximum(Function):
    """Larger of two, elementwise, with broadcasting.
    forward:  y = max(a, b)
    backward: ∂L/∂a = ∂L/∂y · [a > b],  ∂L/∂b = ∂L/∂y · [b > a]
    jvp:      ẏ = ȧ · [a > b] + ḃ · [b > a]      (at a tie: the mean of ȧ and ḃ)
    NOTE: at a tie the gradient is split in half between a and b, as in PyTorch.
    """

    # The text viz prints for ∂y/∂(each input), y the output (tests check it against backward)
    input_names = ("a", "b")
    local_derivatives = ("[a > b] + [a = b]/2", "[b > a] + [a = b]/2")

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if a.shape != b.shape:
            _check_broadcast("maximum", a, b)
        share_a = (a > b) + 0.5 * (a == b)
        ctx.save_for_backward(share_a.astype(np.result_type(a, b)))
        return np.maximum(a, b)

    @staticmethod
    def backward(ctx: Context, grad_output: Tensor) -> tuple[Tensor | None, Tensor | None]:
        (share_a,) = ctx.saved_tensors
        grad_a = grad_output * share_a if ctx.needs_input_grad[0] else None
        grad_b = grad_output * (1 - share_a) if ctx.needs_input_grad[1] else None
        return grad_a, grad_b

    @staticmethod
    def jvp(ctx: Context, a_dot: Tensor | None, b_dot: Tensor | None) -> Tensor:
        (share_a,) = ctx.saved_tensors
        y_dot: Any = 0.0  # a Tensor once the first tangent is added
        if a_dot is not None:
            y_dot = y_dot + a_dot * share_a
        if b_dot is not None:
            y_dot = y_dot + b_dot * (1 - share_a)
        return y_dot


class Where(Function):
    """Choose elementwise: a where the condition holds, else b (with broadcasting).
    forward:  y = a if c else b
    backward: ∂L/∂a = ∂L/∂y · [c],  ∂L/∂b = ∂L/∂y · [not c];  the condition gets no gradient
    jvp:      ẏ = ȧ if c else ḃ
    """

    # The text viz prints for ∂y/∂(each input), y the output (tests check it against backward)
    input_names = ("c", "a", "b")
    local_derivatives = (None, "[c]", "[not c]")

    @staticmethod
    def forward(ctx: Context, condition: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        broadcast_shapes(condition.shape, a.shape, b.shape, op="where")
        ctx.save_for_backward(condition)
        return np.where(condition, a, b)

    @staticmethod
    def backward(ctx: Context, grad_output: Tensor) -> tuple[None, Tensor | None, Tensor | None]:
        (condition,) = ctx.saved_tensors
        grad_a = Where.apply(condition, grad_output, 0.0) if ctx.needs_input_grad[1] else None
        grad_b = Where.apply(condition, 0.0, grad_output) if ctx.needs_input_grad[2] else None
        return None, grad_a, grad_b

    @staticmethod
    def jvp(ctx: Context, condition_dot: None, a_dot: Tensor | float | None, b_dot: Tensor | float | None) -> Tensor:
        (condition,) = ctx.saved_tensors
        a_dot = 0.0 if a_dot is None else a_dot
        b_dot = 0.0 if b_dot is None else b_dot
        return Where.apply(condition, a_dot, b_dot)


# ----- unary ------------------------------------------------------------------------------


class Neg(Function):
    """Negation.
    forward:  y = −x
    backward: ∂L/∂x = −∂L/∂y
    jvp:      ẏ = −ẋ
    """

    # The text viz prints for ∂y/∂(each input), y the output (tests check it against backward)
    input_names = ("x",)
    local_derivatives = ("−1",)

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        return -x

    @staticmethod
    def backward(ctx: Context, grad_output: Tensor) -> Tensor:
        return -grad_output

    @staticmethod
    def jvp(ctx: Context, x_dot: Tensor) -> Tensor:
        return -x_dot


class Exp(Function):
    """Exponential, elementwise.
    forward:  y = eˣ
    backward: ∂L/∂x = ∂L/∂y · y        (the output is saved: eˣ is its own derivative)
    jvp:      ẏ = ẋ · y
    """

    # The text viz prints for ∂y/∂(each input), y the output (tests check it against backward)
    input_names = ("x",)
    local_derivatives = ("y",)

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        y = np.exp(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx: Context, grad_output: Tensor) -> Tensor:
        (y,) = ctx.saved_tensors
        return grad_output * y

    @staticmethod
    def jvp(ctx: Context, x_dot: Tensor) -> Tensor:
        (y,) = ctx.saved_tensors
        return x_dot * y


class Log(Function):
    """Natural logarithm, elementwise.
    forward:  y = ln x
    backward: ∂L/∂x = ∂L/∂y / x
    jvp:      ẏ = ẋ / x
    """

    # The text viz prints for ∂y/∂(each input), y the output (tests check it against backward)
    input_names = ("x",)
    local_derivatives = ("1/x",)

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(x)
        return np.log(x)

    @staticmethod
    def backward(ctx: Context, grad_output: Tensor) -> Tensor:
        (x,) = ctx.saved_tensors
        return grad_output / x

    @staticmethod
    def jvp(ctx: Context, x_dot: Tensor) -> Tensor:
        (x,) = ctx.saved_tensors
        return x_dot / x


class Sqrt(Function):
    """Square root, elementwise.
    forward:  y = √x
    backward: ∂L/∂x = ∂L/∂y / (2y)
    jvp:      ẏ = ẋ / (2y)
    """

    # The text viz prints for ∂y/∂(each input), y the output (tests check it against backward)
    input_names = ("x",)
    local_derivatives = ("1/(2·y)",)

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        y = np.sqrt(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx: Context, grad_output: Tensor) -> Tensor:
        (y,) = ctx.saved_tensors
        return grad_output / (2 * y)

    @staticmethod
    def jvp(ctx: Context, x_dot: Tensor) -> Tensor:
        (y,) = ctx.saved_tensors
        return x_dot / (2 * y)


class Abs(Function):
    """Absolute value, elementwise.
    forward:  y = |x|
    backward: ∂L/∂x = ∂L/∂y · sign(x)
    jvp:      ẏ = ẋ · sign(x)
    NOTE: |x|'(0) is taken as 0, as in PyTorch.
    """

    # The text viz prints for ∂y/∂(each input), y the output (tests check it against backward)
    input_names = ("x",)
    local_derivatives = ("sign(x)",)

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(np.sign(x))
        return np.abs(x)

    @staticmethod
    def backward(ctx: Context, grad_output: Tensor) -> Tensor:
        (sign,) = ctx.saved_tensors
        return grad_output * sign

    @staticmethod
    def jvp(ctx: Context, x_dot: Tensor) -> Tensor:
        (sign,) = ctx.saved_tensors
        return x_dot * sign


class Sin(Function):
    """Sine, elementwise.
    forward:  y = sin x
    backward: ∂L/∂x = ∂L/∂y · cos x
    jvp:      ẏ = ẋ · cos x
    """

    # The text viz prints for ∂y/∂(each input), y the output (tests check it against backward)
    input_names = ("x",)
    local_derivatives = ("cos(x)",)

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(x)
        return np.sin(x)

    @staticmethod
    def backward(ctx: Context, grad_output: Tensor) -> Tensor:
        (x,) = ctx.saved_tensors
        return grad_output * x.cos()

    @staticmethod
    def jvp(ctx: Context, x_dot: Tensor) -> Tensor:
        (x,) = ctx.saved_tensors
        return x_dot * x.cos()


class Cos(Function):
    """Cosine, elementwise.
    forward:  y = cos x
    backward: ∂L/∂x = −∂L/∂y · sin x
    jvp:      ẏ = −ẋ · sin x
    """

    # The text viz prints for ∂y/∂(each input), y the output (tests check it against backward)
    input_names = ("x",)
    local_derivatives = ("−sin(x)",)

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(x)
        return np.cos(x)

    @staticmethod
    def backward(ctx: Context, grad_output: Tensor) -> Tensor:
        (x,) = ctx.saved_tensors
        return -grad_output * x.sin()

    @staticmethod
    def jvp(ctx: Context, x_dot: Tensor) -> Tensor:
        (x,) = ctx.saved_tensors
        return -x_dot * x.sin()


class Clip(Function):
    """Clamp into [low, high], elementwise (either bound may be None).
    forward:  y = min(max(x, low), high)
    backward: ∂L/∂x = ∂L/∂y · [low ≤ x ≤ high]
    jvp:      ẏ = ẋ · [low ≤ x ≤ high]
    NOTE: at a bound the gradient passes through, as in PyTorch's clamp.
    """

    # The text viz prints for ∂y/∂(each input), y the output (tests check it against backward)
    input_names = ("x",)
    local_derivatives = ("[low ≤ x ≤ high]",)

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, low: float | None = None, high: float | None = None) -> np.ndarray:
        inside = np.ones(x.shape, dtype=bool)
        if low is not None:
            inside &= x >= low
        if high is not None:
            inside &= x <= high
        ctx.save_for_backward(inside)
        return np.clip(x, low, high).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx: Context, grad_output: Tensor) -> Tensor:
        (inside,) = ctx.saved_tensors
        return grad_output * inside

    @staticmethod
    def jvp(ctx: Context, x_dot: Tensor) -> Tensor:
        (inside,) = ctx.saved_tensors
        return x_dot * inside


# ----- activations ------------------------------------------------------------------------


class ReLU(Function):
    """Rectified linear unit, elementwise.
    forward:  y = max(x, 0)
    backward: ∂L/∂x = ∂L/∂y · [x > 0]
    jvp:      ẏ = ẋ · [x > 0]
    NOTE: relu'(0) is taken as 0. The mask [x > 0] is kept as 0s and 1s of x's dtype: NumPy
    multiplies two float arrays about twice as fast as a float array by a bool one.
    """

    # The text viz prints for ∂y/∂(each input), y the output (tests check it against backward)
    input_names = ("x",)
    local_derivatives = ("[x > 0]",)

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        positive = (x > 0).astype(x.dtype)
        ctx.save_for_backward(positive)
        return x * positive

    array_backward = on_arrays.relu  # a plain backward() runs this twin on arrays instead

    @staticmethod
    def backward(ctx: Context, grad_output: Tensor) -> Tensor:
        (positive,) = ctx.saved_tensors
        return grad_output * positive

    @staticmethod
    def jvp(ctx: Context, x_dot: Tensor) -> Tensor:
        (positive,) = ctx.saved_tensors
        return x_dot * positive


class LeakyReLU(Function):
    """Leaky ReLU, elementwise, with slope α for negative inputs.
    forward:  y = x if x > 0 else α·x
    backward: ∂L/∂x = ∂L/∂y · (1 if x > 0 else α)
    jvp:      ẏ = ẋ · (1 if x > 0 else α)
    """

    # The text viz prints for ∂y/∂(each input), y the output (tests check it against backward)
    input_names = ("x",)
    local_derivatives = ("[x > 0] + α·[x ≤ 0]",)

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, negative_slope: float = 0.01) -> np.ndarray:
        slope = np.where(x > 0, 1, negative_slope).astype(x.dtype)
        ctx.save_for_backward(slope)
        return x * slope

    @staticmethod
    def backward(ctx: Context, grad_output: Tensor) -> Tensor:
        (slope,) = ctx.saved_tensors
        return grad_output * slope

    @staticmethod
    def jvp(ctx: Context, x_dot: Tensor) -> Tensor:
        (slope,) = ctx.saved_tensors
        return x_dot * slope


_SIGMOID_CONSTANTS: dict[np.dtype, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}


def _sigmoid_constants(dtype: np.dtype) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ln s + 0.01 and −(ln s + 0.01), s the smallest normal number of ``dtype`` (the 0.01 keeps
    σ's result above s after rounding), and 1: σ's clipping bounds and its one, made once per
    dtype (np.finfo is slow) as 0-d arrays of that dtype, which NumPy combines with an array
    about twice as fast as Python numbers (it need not work out a Python number's dtype)."""
    constants = _SIGMOID_CONSTANTS.get(dtype)
    if constants is None:
        lowest = math.log(np.finfo(dtype).tiny) + 0.01
        constants = _SIGMOID_CONSTANTS[dtype] = (np.array(lowest, dtype), np.array(-lowest, dtype), np.array(1, dtype))
    return constants


class Sigmoid(Function):
    """Logistic sigmoid, elementwise.
    forward:  y = σ(x) = 1 / (1 + exp(−x))
    backward: ∂L/∂x = ∂L/∂y · y · (1 − y)
    jvp:      ẏ = ẋ · y · (1 − y)
    NOTE: −x is first clipped to ±(ln s + 0.01), s the smallest normal number, so exp(−x) stays
    within about [s, 1/s]: nothing overflows nor underflows, and σ(−1000) is about 1e-308 in
    float64 instead of a denormal or 0 (the same to every digit that matters; σ(x) rounds to 1
    long before x reaches −ln s).
    """

    # The text viz prints for ∂y/∂(each input), y the output (tests check it against backward)
    input_names = ("x",)
    local_derivatives = ("y·(1 − y)",)

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        lowest, highest, one = _sigmoid_constants(x.dtype)
        e = np.negative(x, out=np.empty_like(x))  # the steps below work in e (an array even for a 0-d x)
        np.minimum(e, highest, out=e)  # −x clipped to [ln s, −ln s]
        np.maximum(e, lowest, out=e)
        np.exp(e, out=e)  # exp(−x)
        e += one
        y = np.reciprocal(e, out=e)  # 1 / (1 + exp(−x))
        ctx.save_for_backward(y)
        return y

    array_backward = on_arrays.sigmoid  # a plain backward() runs this twin on arrays instead

    @staticmethod
    def backward(ctx: Context, grad_output: Tensor) -> Tensor:
        (y,) = ctx.saved_tensors
        return grad_output * y * (1 - y)

    @staticmethod
    def jvp(ctx: Context, x_dot: Tensor) -> Tensor:
        (y,) = ctx.saved_tensors
        return x_dot * y * (1 - y)


class Tanh(Function):
    """Hyperbolic tangent, elementwise.
    forward:  y = tanh x
    backward: ∂L/∂x = ∂L/∂y · (1 − y²)
    jvp:      ẏ = ẋ · (1 − y²)
    """

    # The text viz prints for ∂y/∂(each input), y the output (tests check it against backward)
    input_names = ("x",)
    local_derivatives = ("1 − y²",)

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        y = np.tanh(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx: Context, grad_output: Tensor) -> Tensor:
        (y,) = ctx.saved_tensors
        return grad_output * (1 - y * y)

    @staticmethod
    def jvp(ctx: Context, x_dot: Tensor) -> Tensor:
        (y,) = ctx.saved_tensors
        return x_dot * (1 - y * y)
