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
