"""The written-out answers of the ops track, for teachers: every backward and jvp a student writes.

Not part of the installed package (a student's copy carries no answer key). The package's
``tinygrad_edu/exercises/solutions.py`` holds the same classes with the same forward (what
``start`` copies into a workspace), with backward and jvp read from the library's own ops;
tests/test_exercises.py checks that these answers pass ``check`` and that the forwards agree.
They are written as plainly as possible, without the engine ops' extras (``needs_input_grad``,
dtype care, shape errors): the engine's own versions live in ``tinygrad_edu/ops/``.

Every backward is written with Tensor operations on ``ctx.saved_tensors`` and ``grad_output``,
so it can be differentiated again (``create_graph=True``, second derivatives). Beside it,
``jvp(ctx, *input_tangents)`` is forward mode: the output's tangent from the inputs' tangents
(``tg.jvp``). In this track every input of an op moves, so no input tangent is None.
"""

from __future__ import annotations

import numpy as np

from tinygrad_edu import Context, Function, Tensor


class Mul(Function):
    """Product, elementwise, with broadcasting.
    forward:  y = a · b
    backward: ∂L/∂a = ∂L/∂y · b,   ∂L/∂b = ∂L/∂y · a
    jvp:      ẏ = ȧ · b + a · ḃ
    """

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx: Context, grad_output: Tensor) -> tuple[Tensor, Tensor]:
        a, b = ctx.saved_tensors
        return grad_output * b, grad_output * a

    @staticmethod
    def jvp(ctx: Context, a_dot: Tensor, b_dot: Tensor) -> Tensor:
        a, b = ctx.saved_tensors
        return a_dot * b + a * b_dot


class Div(Function):
    """Quotient, elementwise, with broadcasting.
    forward:  y = a / b
    backward: ∂L/∂a = ∂L/∂y / b,   ∂L/∂b = −∂L/∂y · a / b²
    jvp:      ẏ = ȧ / b − ḃ · a / b²
    """

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(a, b)
        return a / b

    @staticmethod
    def backward(ctx: Context, grad_output: Tensor) -> tuple[Tensor, Tensor]:
        a, b = ctx.saved_tensors
        return grad_output / b, -grad_output * a / (b * b)

    @staticmethod
    def jvp(ctx: Context, a_dot: Tensor, b_dot: Tensor) -> Tensor:
        a, b = ctx.saved_tensors
        return a_dot / b - b_dot * a / (b * b)


class Exp(Function):
    """Exponential, elementwise.
    forward:  y = eˣ
    backward: ∂L/∂x = ∂L/∂y · y          (eˣ is its own derivative: reuse the output)
    jvp:      ẏ = ẋ · y
    """

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


class Tanh(Function):
    """Hyperbolic tangent, elementwise.
    forward:  y = tanh x
    backward: ∂L/∂x = ∂L/∂y · (1 − y²)
    jvp:      ẏ = ẋ · (1 − y²)
    """

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


class Sigmoid(Function):
    """Logistic sigmoid, elementwise.
    forward:  y = σ(x) = 1 / (1 + e⁻ˣ)
    backward: ∂L/∂x = ∂L/∂y · y · (1 − y)
    jvp:      ẏ = ẋ · y · (1 − y)
    NOTE: computed as (1 + tanh(x/2)) / 2, the same number, which never overflows.
    """

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        y = 0.5 * (1 + np.tanh(0.5 * x))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx: Context, grad_output: Tensor) -> Tensor:
        (y,) = ctx.saved_tensors
        return grad_output * y * (1 - y)

    @staticmethod
    def jvp(ctx: Context, x_dot: Tensor) -> Tensor:
        (y,) = ctx.saved_tensors
        return x_dot * y * (1 - y)


class MatMul(Function):
    """Matrix product.
    forward:  Y = A @ B                    A: (n, k), B: (k, m) -> Y: (n, m)
    backward: ∂L/∂A = ∂L/∂Y @ Bᵀ,   ∂L/∂B = Aᵀ @ ∂L/∂Y
    jvp:      Ẏ = Ȧ @ B + A @ Ḃ
    """

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(a, b)
        return a @ b

    @staticmethod
    def backward(ctx: Context, grad_output: Tensor) -> tuple[Tensor, Tensor]:
        a, b = ctx.saved_tensors
        return grad_output @ b.T, a.T @ grad_output

    @staticmethod
    def jvp(ctx: Context, a_dot: Tensor, b_dot: Tensor) -> Tensor:
        a, b = ctx.saved_tensors
        return a_dot @ b + a @ b_dot


class Sum(Function):
    """Sum over one axis, several, or all (axis=None), as NumPy's x.sum(axis, keepdims).
    forward:  y = Σᵢ xᵢ                   (over the summed axes)
    backward: ∂L/∂xᵢ = ∂L/∂y              (copied back along the summed axes)
    jvp:      ẏ = Σᵢ ẋᵢ              (the same sum, of the tangents)
    """

    @staticmethod
    def forward(
        ctx: Context, x: np.ndarray, axis: int | tuple[int, ...] | None = None, keepdims: bool = False
    ) -> np.ndarray:
        ctx.axis, ctx.keepdims = axis, keepdims
        ctx.input_shape = x.shape
        ctx.kept_shape = np.sum(x, axis=axis, keepdims=True).shape  # the summed axes with size 1
        return np.sum(x, axis=axis, keepdims=keepdims)

    @staticmethod
    def backward(ctx: Context, grad_output: Tensor) -> Tensor:
        return grad_output.reshape(ctx.kept_shape).broadcast_to(ctx.input_shape)

    @staticmethod
    def jvp(ctx: Context, x_dot: Tensor) -> Tensor:
        return x_dot.sum(axis=ctx.axis, keepdims=ctx.keepdims)


class SoftmaxCrossEntropy(Function):
    """Mean cross-entropy of logits against integer class targets (softmax and −log fused).
    forward:  p = softmax(x) along the classes,   L = −(1/N) Σᵢ ln pᵢ,tᵢ     x: (N, C), t: (N,)
    backward: ∂L/∂x = ∂L/∂L · (p − onehot(t)) / N;   the targets get no gradient
    jvp:      L̇ = (1/N) Σᵢ,꜀ (p − onehot(t))ᵢ,꜀ · ẋᵢ,꜀;   the targets have no tangent
    """

    @staticmethod
    def forward(ctx: Context, logits: np.ndarray, targets: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(logits)
        ctx.targets = targets
        shifted = logits - logits.max(axis=1, keepdims=True)  # the largest exponent is 0: no overflow
        log_probabilities = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        rows = np.arange(len(targets))
        return -log_probabilities[rows, targets].mean()

    @staticmethod
    def backward(ctx: Context, grad_output: Tensor) -> tuple[Tensor, None]:
        (logits,) = ctx.saved_tensors
        count, classes = logits.shape
        probabilities = logits.softmax(axis=1)
        onehot = np.eye(classes, dtype=logits.dtype)[ctx.targets]
        return (probabilities - onehot) * grad_output / count, None

    @staticmethod
    def jvp(ctx: Context, logits_dot: Tensor, targets_dot: None) -> Tensor:
        (logits,) = ctx.saved_tensors
        count, classes = logits.shape
        onehot = np.eye(classes, dtype=logits.dtype)[ctx.targets]
        return ((logits.softmax(axis=1) - onehot) * logits_dot).sum() / count
