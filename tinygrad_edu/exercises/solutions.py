"""The ops of the build-it-yourself track as a student gets them, and the grader's reference.

``start`` copies each class below into the student's workspace with its ``backward`` and ``jvp``
replaced by stubs (and the docstring lines that give them away removed); ``check`` compares a
student's work with these classes. Their forward is the exercise's. Their backward and jvp are
not written out here: they are the library's own op (``tinygrad_edu.ops``), called on the same
saved tensors, or differentiated through with ``tg.grad`` and ``tg.jvp`` where the library's op
keeps other things on ``ctx``. So the grader's reference is the library itself, and an installed
copy of the package carries no answer key. The written-out answers, for teachers, are in the
repository's ``teacher/ops_track/solutions.py`` (not installed); tests check that they pass.

In this track every input of an op moves, so no input tangent is None.
"""

from __future__ import annotations

import numpy as np

from tinygrad_edu import Context, Function, Tensor


class Mul(Function):
    """Product, elementwise, with broadcasting.
    forward:  y = a · b
    """

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx: Context, grad_output: Tensor) -> tuple[Tensor, Tensor]:
        return library_op("Mul").backward(ctx, grad_output)

    @staticmethod
    def jvp(ctx: Context, a_dot: Tensor, b_dot: Tensor) -> Tensor:
        return library_op("Mul").jvp(ctx, a_dot, b_dot)


class Div(Function):
    """Quotient, elementwise, with broadcasting.
    forward:  y = a / b
    """

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(a, b)
        return a / b

    @staticmethod
    def backward(ctx: Context, grad_output: Tensor) -> tuple[Tensor, Tensor]:
        return library_op("Div").backward(ctx, grad_output)

    @staticmethod
    def jvp(ctx: Context, a_dot: Tensor, b_dot: Tensor) -> Tensor:
        return library_op("Div").jvp(ctx, a_dot, b_dot)


class Exp(Function):
    """Exponential, elementwise.
    forward:  y = eˣ
    """

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        y = np.exp(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx: Context, grad_output: Tensor) -> Tensor:
        return library_op("Exp").backward(ctx, grad_output)

    @staticmethod
    def jvp(ctx: Context, x_dot: Tensor) -> Tensor:
        return library_op("Exp").jvp(ctx, x_dot)


class Tanh(Function):
    """Hyperbolic tangent, elementwise.
    forward:  y = tanh x
    """

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        y = np.tanh(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx: Context, grad_output: Tensor) -> Tensor:
        return library_op("Tanh").backward(ctx, grad_output)

    @staticmethod
    def jvp(ctx: Context, x_dot: Tensor) -> Tensor:
        return library_op("Tanh").jvp(ctx, x_dot)


class Sigmoid(Function):
    """Logistic sigmoid, elementwise.
    forward:  y = σ(x) = 1 / (1 + e⁻ˣ)
    NOTE: computed as (1 + tanh(x/2)) / 2, the same number, which never overflows.
    """

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        y = 0.5 * (1 + np.tanh(0.5 * x))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx: Context, grad_output: Tensor) -> Tensor:
        return library_op("Sigmoid").backward(ctx, grad_output)

    @staticmethod
    def jvp(ctx: Context, x_dot: Tensor) -> Tensor:
        return library_op("Sigmoid").jvp(ctx, x_dot)


class MatMul(Function):
    """Matrix product.
    forward:  Y = A @ B                    A: (n, k), B: (k, m) -> Y: (n, m)
    """

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(a, b)
        return a @ b

    @staticmethod
    def backward(ctx: Context, grad_output: Tensor) -> tuple[Tensor, Tensor]:
        return library_op("MatMul").backward(ctx, grad_output)

    @staticmethod
    def jvp(ctx: Context, a_dot: Tensor, b_dot: Tensor) -> Tensor:
        return library_op("MatMul").jvp(ctx, a_dot, b_dot)


class Sum(Function):
    """Sum over one axis, several, or all (axis=None), as NumPy's x.sum(axis, keepdims).
    forward:  y = Σᵢ xᵢ                   (over the summed axes)
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
        x = Tensor(np.zeros(ctx.input_shape, dtype=grad_output.dtype), requires_grad=True)  # the sum is linear: any x
        (gradient,) = grad(lambda t: t.sum(axis=ctx.axis, keepdims=ctx.keepdims), x, grad_output)
        return gradient

    @staticmethod
    def jvp(ctx: Context, x_dot: Tensor) -> Tensor:
        x = Tensor(np.zeros(ctx.input_shape, dtype=x_dot.dtype))
        return jvp(lambda t: t.sum(axis=ctx.axis, keepdims=ctx.keepdims), x, x_dot)[1]


class SoftmaxCrossEntropy(Function):
    """Mean cross-entropy of logits against integer class targets (softmax and −log fused).
    forward:  p = softmax(x) along the classes,   L = −(1/N) Σᵢ ln pᵢ,tᵢ     x: (N, C), t: (N,)
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
        (gradient,) = grad(lambda t: cross_entropy(t, ctx.targets), logits, grad_output)
        return gradient, None

    @staticmethod
    def jvp(ctx: Context, logits_dot: Tensor, targets_dot: None) -> Tensor:
        (logits,) = ctx.saved_tensors
        return jvp(lambda t: cross_entropy(t, ctx.targets), logits.detach(), logits_dot)[1]


# The helpers below import what they use inside, and carry no annotations (which would need
# imports), on purpose: start copies this file's imports into every student file.


def library_op(name):
    """The library's own op ``name`` (tinygrad_edu.ops), which keeps on ctx what the class here keeps."""
    from tinygrad_edu.ops import elementwise, linalg

    if name == "MatMul":
        return linalg.MatMul
    return getattr(elementwise, name)


def grad(function, x, grad_output):
    """∂L/∂x through the library's own ops (tg.grad), for an upstream gradient ``grad_output``.

    Recorded even inside a plain backward (which records nothing), so that it can be differentiated again.
    """
    from tinygrad_edu.core import autograd

    with autograd.enable_grad():
        return autograd.grad(function(x), x, grad_outputs=grad_output, create_graph=True)


def jvp(function, x, x_dot):
    """(output, tangent) through the library's own ops (tg.jvp)."""
    from tinygrad_edu import forward

    return forward.jvp(function, x, x_dot)


def cross_entropy(logits, targets):
    """The library's mean cross-entropy (tg.nn.functional.cross_entropy)."""
    from tinygrad_edu.nn import functional

    return functional.cross_entropy(logits, targets)
