"""Ops for neural networks: softmax and log-softmax (computed stably), the fully connected layer, and losses."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .. import threads
from ..core.tensor import Context, Function
from ..errors import ShapeError
from ..fast import array_backward as on_arrays

if TYPE_CHECKING:
    from ..core.tensor import Tensor


def shifted_by_max(x: np.ndarray, axis: int) -> np.ndarray:
    """x − maxⱼ xⱼ along ``axis``: every entry ≤ 0, so exp never overflows.
    NOTE: where the maximum is infinite, the limit is taken: 0 at the maximal entries and
    −∞ elsewhere (so softmax([∞, 1]) = [1, 0] and an all −∞ row is uniform), not ∞ − ∞ = NaN."""
    maximum = x.max(axis=axis, keepdims=True)
    if np.isfinite(maximum).all():
        return x - maximum
    with np.errstate(invalid="ignore"):
        return np.where(x == maximum, 0, x - maximum).astype(x.dtype, copy=False)


class Softmax(Function):
    """Softmax along an axis.
    forward:  yᵢ = exp(xᵢ − m) / Σⱼ exp(xⱼ − m),   m = maxⱼ xⱼ (subtracting it changes nothing
              mathematically and keeps exp from overflowing)
    backward: ∂L/∂xᵢ = yᵢ · (∂L/∂yᵢ − Σⱼ ∂L/∂yⱼ · yⱼ)
    jvp:      ẏᵢ = yᵢ · (ẋᵢ − Σⱼ yⱼ · ẋⱼ)
    """

    # The text viz prints for what backward sends to each input, g = ∂L/∂y (tests check it against backward)
    input_names = ("x",)
    gradient_formulas = ("y·(g − Σ(g·y))",)

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, axis: int = -1) -> np.ndarray:
        ctx.axis = axis
        e = np.exp(shifted_by_max(x, axis))
        y = e / np.sum(e, axis=axis, keepdims=True)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx: Context, grad_output: Tensor) -> Tensor:
        (y,) = ctx.saved_tensors
        return y * (grad_output - (grad_output * y).sum(axis=ctx.axis, keepdims=True))

    @staticmethod
    def jvp(ctx: Context, x_dot: Tensor) -> Tensor:
        (y,) = ctx.saved_tensors
        return y * (x_dot - (y * x_dot).sum(axis=ctx.axis, keepdims=True))


class LogSoftmax(Function):
    """Log of the softmax along an axis.
    forward:  yᵢ = (xᵢ − m) − ln Σⱼ exp(xⱼ − m),   m = maxⱼ xⱼ (the stable log-sum-exp)
    backward: ∂L/∂xᵢ = ∂L/∂yᵢ − exp(yᵢ) · Σⱼ ∂L/∂yⱼ          (exp(yᵢ) is the softmax)
    jvp:      ẏᵢ = ẋᵢ − Σⱼ exp(yⱼ) · ẋⱼ
    """

    # The text viz prints for what backward sends to each input, g = ∂L/∂y (tests check it against backward)
    input_names = ("x",)
    gradient_formulas = ("g − exp(y)·Σ(g)",)

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, axis: int = -1) -> np.ndarray:
        ctx.axis = axis
        shifted = shifted_by_max(x, axis)
        y = shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx: Context, grad_output: Tensor) -> Tensor:
        (y,) = ctx.saved_tensors
        return grad_output - y.exp() * grad_output.sum(axis=ctx.axis, keepdims=True)

    @staticmethod
    def jvp(ctx: Context, x_dot: Tensor) -> Tensor:
        (y,) = ctx.saved_tensors
        return x_dot - (y.exp() * x_dot).sum(axis=ctx.axis, keepdims=True)


class Affine(Function):
    """The fully connected layer: an affine map of the last axis.
    forward:  y = x · Wᵀ + b          x: (…, in), W: (out, in), b: (out,) -> y: (…, out)
    backward: ∂L/∂x = ∂L/∂y · W,   ∂L/∂W = (∂L/∂y)ᵀ · x = (xᵀ · ∂L/∂y)ᵀ,   ∂L/∂b = Σ over rows of ∂L/∂y
              (leading axes of x are flattened into rows for ∂L/∂W and ∂L/∂b)
    jvp:      ẏ = ẋ · Wᵀ + x · Ẇᵀ + ḃ
    NOTE: the same as x @ W.T + b, as one op: fewer graph nodes, so a training step costs
    about what NumPy written by hand does. ∂L/∂W is computed as (xᵀ · ∂L/∂y)ᵀ, the product
    BLAS does fastest for the usual shapes (many more inputs than outputs); nn.Linear stores
    W column-major, so W and this transposed gradient share one memory order.
    """

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
        if x.ndim == 0 or x.shape[-1] != weight.shape[1] or bias.shape != weight.shape[:1]:
            raise ShapeError(
                f"linear: x.shape={x.shape}, weight.shape={weight.shape}, bias.shape={bias.shape}: "
                "x.shape[-1] must equal weight.shape[1] (in_features) and bias.shape must be "
                "(weight.shape[0],) (out_features)"
            )
        ctx.save_for_backward(x, weight)
        if threads.pending and x.size * weight.shape[0] >= threads.SMALL_WORK:  # the first large product:
            threads.choose_for_product(x.size * weight.shape[0])  # the library chooses BLAS threads (threads.py)
        y = x @ weight.T
        y += bias
        return y

    array_backward = on_arrays.affine  # a plain backward() runs this twin on arrays instead

    @staticmethod
    def backward(ctx: Context, grad_output: Tensor) -> tuple[Tensor | None, Tensor | None, Tensor | None]:
        x, weight = ctx.saved_tensors
        rows = grad_output if grad_output.ndim == 2 else grad_output.reshape(-1, grad_output.shape[-1])
        grad_x = grad_output @ weight if ctx.needs_input_grad[0] else None
        if ctx.needs_input_grad[1]:
            x_rows = x if x.ndim == 2 else x.reshape(-1, x.shape[-1])
            grad_weight = (x_rows.mT @ rows).mT
        else:
            grad_weight = None
        grad_bias = rows.sum(axis=0) if ctx.needs_input_grad[2] else None
        return grad_x, grad_weight, grad_bias

    @staticmethod
    def jvp(ctx: Context, x_dot: Tensor | None, weight_dot: Tensor | None, bias_dot: Tensor | None) -> Tensor:
        x, weight = ctx.saved_tensors
        y_dot: Any = 0.0  # a Tensor once the first tangent is added
        if x_dot is not None:
            y_dot = y_dot + x_dot @ weight.T
        if weight_dot is not None:
            y_dot = y_dot + x @ weight_dot.T
        if bias_dot is not None:
            y_dot = y_dot + bias_dot
        return y_dot


class CrossEntropy(Function):
    """Cross-entropy of logits against integer class targets: log-softmax and NLL fused.

    logits x: (N, C), targets t: (N,) integers in [0, C), label smoothing ε, and the target
    distribution it implies:  qᵢ꜀ = (1 − ε)·[c = tᵢ] + ε/C
    forward:  log pᵢ꜀ = (xᵢ꜀ − mᵢ) − ln Σⱼ exp(xᵢⱼ − mᵢ),   mᵢ = maxⱼ xᵢⱼ  (stable log-softmax)
              ℓᵢ = −Σ꜀ qᵢ꜀ · log pᵢ꜀     (ε = 0: ℓᵢ = −log pᵢₜᵢ, the negative log-likelihood)
              L = (1/N) Σᵢ ℓᵢ  ("mean"),  Σᵢ ℓᵢ  ("sum"),  or the vector ℓ  ("none")
    backward: ∂L/∂xᵢ꜀ = (pᵢ꜀ − qᵢ꜀) · ∂L/∂ℓᵢ,  where ∂L/∂ℓᵢ = ∂L/∂L / N, ∂L/∂L, or (∂L/∂ℓ)ᵢ
    jvp:      ℓ̇ᵢ = Σ꜀ (pᵢ꜀ − qᵢ꜀) · ẋᵢ꜀,  then the same reduction: L̇ = mean, sum, or the vector ℓ̇
    The targets get no gradient.
    NOTE: backward recomputes p as softmax(x), a Tensor operation, so the gradient can be
    differentiated again; a plain backward uses the p saved by forward (fast/array_backward.py).
    NOTE: forward works on a class-major copy of the logits, shape (C, N): a row maximum or row
    sum over a few classes is then an elementwise max or sum of C rows, which NumPy does several
    times faster than reducing N short rows one by one (9 µs instead of 17 µs for a batch of 128
    over 10 classes). The shifted logits are a new array, this op's own, so exp and the division
    by the sum are done in it, in place. p is saved as its transpose, a column-major (N, C) view;
    the gradient keeps that memory order, in which the bias gradient of the layer before is also
    a fast sum.
    """

    # The text viz prints for what backward sends to each input, g = ∂L/∂y (tests check it against backward)
    input_names = ("x", "t")
    gradient_formulas = ("(softmax(x) − (1 − ε)·onehot(t) − ε/C)·g/N", None)

    @staticmethod
    def forward(
        ctx: Context, logits: np.ndarray, targets: np.ndarray, reduction: str = "mean", label_smoothing: float = 0.0
    ) -> np.ndarray:
        count, classes = logits.shape
        ctx.reduction = reduction
        ctx.label_smoothing = label_smoothing
        ctx.targets = targets
        shifted = shifted_by_max(np.ascontiguousarray(logits.T), 0)  # (C, N), class-major (see NOTE)
        shifted_targets = shifted[targets, np.arange(count)]  # xᵢₜᵢ − mᵢ
        if label_smoothing:
            shifted_sums = shifted.sum(axis=0)  # Σ꜀ (xᵢ꜀ − mᵢ)
        if shifted.dtype.kind == "f":
            probabilities = np.exp(shifted, out=shifted)  # in place: shifted is this op's own array
        else:
            probabilities = np.exp(shifted)  # integer logits: exp makes floats, as in NumPy
        sum_exp = probabilities.sum(axis=0)
        probabilities /= sum_exp  # p = exp(shifted) / Σ exp(shifted)
        ctx.save_for_backward(logits, probabilities.T)
        log_sum_exp = np.log(sum_exp)  # log pᵢ꜀ = shiftedᵢ꜀ − log_sum_expᵢ: only the entries needed are made
        losses = log_sum_exp - shifted_targets  # −log pᵢₜᵢ
        if label_smoothing:  # Σ꜀ log pᵢ꜀ = Σ꜀ shiftedᵢ꜀ − C · log_sum_expᵢ
            losses *= 1 - label_smoothing
            losses -= label_smoothing / classes * (shifted_sums - classes * log_sum_exp)
        if reduction == "mean":
            return losses.sum() / count
        if reduction == "sum":
            return losses.sum()
        return losses

    array_backward = on_arrays.cross_entropy  # a plain backward() runs this twin on arrays instead

    @staticmethod
    def backward(ctx: Context, grad_output: Tensor) -> tuple[Tensor | None, None]:
        if not ctx.needs_input_grad[0]:
            return None, None
        logits, _ = ctx.saved_tensors
        count, classes = logits.shape
        probabilities = logits.softmax(axis=1)  # recomputed as a Tensor operation: differentiable again
        target_distribution = np.full((count, classes), ctx.label_smoothing / classes, dtype=logits.dtype)
        target_distribution[np.arange(count), ctx.targets] += 1 - ctx.label_smoothing
        if ctx.reduction == "mean":
            grad_per_row = grad_output / count
        elif ctx.reduction == "sum":
            grad_per_row = grad_output
        else:
            grad_per_row = grad_output.reshape(count, 1)
        return (probabilities - target_distribution) * grad_per_row, None

    @staticmethod
    def jvp(ctx: Context, logits_dot: Tensor | None, targets_dot: None) -> Tensor:
        logits, probabilities = ctx.saved_tensors
        count, classes = logits.shape
        target_distribution = np.full((count, classes), ctx.label_smoothing / classes, dtype=logits.dtype)
        target_distribution[np.arange(count), ctx.targets] += 1 - ctx.label_smoothing
        losses_dot = ((probabilities - target_distribution) * logits_dot).sum(axis=1)
        if ctx.reduction == "mean":
            return losses_dot.mean()
        if ctx.reduction == "sum":
            return losses_dot.sum()
        return losses_dot


class BinaryCrossEntropy(Function):
    """Binary cross-entropy of probabilities p against targets y (same shape), elementwise.
    forward:  ℓ = −(y · max(ln p, −100) + (1 − y) · max(ln(1 − p), −100))
    backward: ∂L/∂p = ∂L/∂ℓ · (p − y) / max(p · (1 − p), 10⁻¹²)
              ∂L/∂y = ∂L/∂ℓ · (max(ln(1 − p), −100) − max(ln p, −100))
    jvp:      ℓ̇ = ṗ · (p − y) / max(p · (1 − p), 10⁻¹²) + ẏ · (max(ln(1 − p), −100) − max(ln p, −100))
    NOTE: the logs are clamped at −100 and the denominator at 10⁻¹², as in PyTorch, so
    p = 0 or p = 1 give a finite loss and a finite gradient. Reduction is left to the caller.
    """

    # The text viz prints for what backward sends to each input, g = ∂L/∂y (tests check it against backward)
    input_names = ("p", "t")
    gradient_formulas = ("g·(p − t)/(p·(1 − p))", "g·(log(1 − p) − log(p))")

    @staticmethod
    def forward(ctx: Context, probabilities: np.ndarray, targets: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(probabilities, targets)
        with np.errstate(divide="ignore"):
            log_p = np.maximum(np.log(probabilities), -100)
            log_not_p = np.maximum(np.log(1 - probabilities), -100)
        return -(targets * log_p + (1 - targets) * log_not_p)

    @staticmethod
    def backward(ctx: Context, grad_output: Tensor) -> tuple[Tensor | None, Tensor | None]:
        p, y = ctx.saved_tensors
        grad_p = None
        grad_y = None
        if ctx.needs_input_grad[0]:
            grad_p = grad_output * (p - y) / (p * (1 - p)).maximum(1e-12)
        if ctx.needs_input_grad[1]:
            grad_y = grad_output * ((1 - p).log().clip(low=-100) - p.log().clip(low=-100))
        return grad_p, grad_y

    @staticmethod
    def jvp(ctx: Context, p_dot: Tensor | None, y_dot: Tensor | None) -> Tensor:
        p, y = ctx.saved_tensors
        loss_dot: Any = 0.0  # a Tensor once the first tangent is added
        if p_dot is not None:
            loss_dot = loss_dot + p_dot * (p - y) / (p * (1 - p)).maximum(1e-12)
        if y_dot is not None:
            loss_dot = loss_dot + y_dot * ((1 - p).log().clip(low=-100) - p.log().clip(low=-100))
        return loss_dot
