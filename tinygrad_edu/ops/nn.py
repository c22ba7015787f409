"""Ops for neural networks: softmax and log-softmax, computed stably."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..function import Context, Function

if TYPE_CHECKING:
    from ..tensor import Tensor


class Softmax(Function):
    """Softmax along an axis.
    forward:  yᵢ = exp(xᵢ − m) / Σⱼ exp(xⱼ − m),   m = maxⱼ xⱼ (subtracting it changes nothing
              mathematically and keeps exp from overflowing)
    backward: ∂L/∂xᵢ = yᵢ · (∂L/∂yᵢ − Σⱼ ∂L/∂yⱼ · yⱼ)
    """

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, axis: int = -1) -> np.ndarray:
        ctx.axis = axis
        e = np.exp(x - np.max(x, axis=axis, keepdims=True))
        y = e / np.sum(e, axis=axis, keepdims=True)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx: Context, grad_output: Tensor) -> Tensor:
        (y,) = ctx.saved_tensors
        return y * (grad_output - (grad_output * y).sum(axis=ctx.axis, keepdims=True))


class LogSoftmax(Function):
    """Log of the softmax along an axis.
    forward:  yᵢ = (xᵢ − m) − ln Σⱼ exp(xⱼ − m),   m = maxⱼ xⱼ (the stable log-sum-exp)
    backward: ∂L/∂xᵢ = ∂L/∂yᵢ − exp(yᵢ) · Σⱼ ∂L/∂yⱼ          (exp(yᵢ) is the softmax)
    """

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, axis: int = -1) -> np.ndarray:
        ctx.axis = axis
        shifted = x - np.max(x, axis=axis, keepdims=True)
        y = shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx: Context, grad_output: Tensor) -> Tensor:
        (y,) = ctx.saved_tensors
        return grad_output - y.exp() * grad_output.sum(axis=ctx.axis, keepdims=True)


class CrossEntropy(Function):
    """Cross-entropy of logits against integer class targets: log-softmax and NLL fused.

    logits x: (N, C), targets t: (N,) integers in [0, C), label smoothing ε, and the target
    distribution it implies:  qᵢ꜀ = (1 − ε)·[c = tᵢ] + ε/C
    forward:  log pᵢ꜀ = (xᵢ꜀ − mᵢ) − ln Σⱼ exp(xᵢⱼ − mᵢ),   mᵢ = maxⱼ xᵢⱼ  (stable log-softmax)
              ℓᵢ = −Σ꜀ qᵢ꜀ · log pᵢ꜀     (ε = 0: ℓᵢ = −log pᵢₜᵢ, the negative log-likelihood)
              L = (1/N) Σᵢ ℓᵢ  ("mean"),  Σᵢ ℓᵢ  ("sum"),  or the vector ℓ  ("none")
    backward: ∂L/∂xᵢ꜀ = (pᵢ꜀ − qᵢ꜀) · ∂L/∂ℓᵢ,  where ∂L/∂ℓᵢ = ∂L/∂L / N, ∂L/∂L, or (∂L/∂ℓ)ᵢ
    The targets get no gradient. The backward is written with Tensor operations on the
    saved logits (p = softmax(x)), so it can be differentiated again (create_graph=True).
    """

    @staticmethod
    def forward(
        ctx: Context, logits: np.ndarray, targets: np.ndarray, reduction: str = "mean", label_smoothing: float = 0.0
    ) -> np.ndarray:
        count, classes = logits.shape
        target_distribution = np.full(logits.shape, label_smoothing / classes, dtype=logits.dtype)
        target_distribution[np.arange(count), targets] += 1 - label_smoothing
        ctx.reduction = reduction
        ctx.save_for_backward(logits, target_distribution)

        shifted = logits - np.max(logits, axis=1, keepdims=True)
        log_probabilities = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
        losses = -np.sum(target_distribution * log_probabilities, axis=1)
        if reduction == "mean":
            return np.mean(losses)
        if reduction == "sum":
            return np.sum(losses)
        return losses

    @staticmethod
    def backward(ctx: Context, grad_output: Tensor) -> tuple[Tensor | None, None]:
        logits, target_distribution = ctx.saved_tensors
        if not ctx.needs_input_grad[0]:
            return None, None
        count = logits.shape[0]
        if ctx.reduction == "mean":
            grad_per_row = grad_output / count
        elif ctx.reduction == "sum":
            grad_per_row = grad_output
        else:
            grad_per_row = grad_output.reshape(count, 1)
        return (logits.softmax(axis=1) - target_distribution) * grad_per_row, None


class BinaryCrossEntropy(Function):
    """Binary cross-entropy of probabilities p against targets y (same shape), elementwise.
    forward:  ℓ = −(y · max(ln p, −100) + (1 − y) · max(ln(1 − p), −100))
    backward: ∂L/∂p = ∂L/∂ℓ · (p − y) / max(p · (1 − p), 10⁻¹²)
              ∂L/∂y = ∂L/∂ℓ · (max(ln(1 − p), −100) − max(ln p, −100))
    NOTE: the logs are clamped at −100 and the denominator at 10⁻¹², as in PyTorch, so
    p = 0 or p = 1 give a finite loss and a finite gradient. Reduction is left to the caller.
    """

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
