"""Adam (Kingma & Ba, 2015) and AdamW (Loshchilov & Hutter, 2019), with PyTorch's update rules."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from ..core.tensor import Tensor
from .optimizer import Optimizer


class Adam(Optimizer):
    """Adam, exactly as torch.optim.Adam (amsgrad=False).

    For each parameter θ with gradient g, learning rate η, betas (β₁, β₂), ε, weight decay λ,
    at step t = 1, 2, ...:
        g ← g + λ·θ                                   (if λ ≠ 0: L2 penalty, coupled to g)
        m ← β₁·m + (1 − β₁)·g                         (first moment, m₀ = 0)
        v ← β₂·v + (1 − β₂)·g²                        (second moment, v₀ = 0)
        θ ← θ − η/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)   (bias-corrected)
    """

    decoupled_weight_decay = False

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict[str, Any]],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ):
        name = type(self).__name__
        if lr < 0.0:
            raise ValueError(f"{name}: lr must be >= 0, got {lr}")
        if eps < 0.0:
            raise ValueError(f"{name}: eps must be >= 0, got {eps}")
        if len(betas) != 2 or not all(0.0 <= beta < 1.0 for beta in betas):
            raise ValueError(f"{name}: betas must be two numbers in [0, 1), got {betas}")
        if weight_decay < 0.0:
            raise ValueError(f"{name}: weight_decay must be >= 0, got {weight_decay}")
        defaults = {"lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay}
        super().__init__(params, defaults)

    def update(self, param: Tensor, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> None:
        lr = group["lr"]
        beta1, beta2 = group["betas"]
        weight_decay = group["weight_decay"]
        if not state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(grad, dtype=param.dtype)  # laid out like grad: see scratch()
            state["exp_avg_sq"] = np.zeros_like(grad, dtype=param.dtype)
        state["step"] += 1
        step = state["step"]
        exp_avg = state["exp_avg"]
        exp_avg_sq = state["exp_avg_sq"]
        scratch = self.scratch(param, grad)

        if weight_decay != 0:
            if self.decoupled_weight_decay:
                param._data *= 1 - lr * weight_decay  # AdamW: θ = θ − ηλθ, apart from the gradient
            else:
                grad = grad + weight_decay * param._data  # Adam: g = g + λθ (a new array: never write into g)

        exp_avg *= beta1  # m = β₁m + (1 − β₁)g
        exp_avg += np.multiply(grad, 1 - beta1, out=scratch)
        exp_avg_sq *= beta2  # v = β₂v + (1 − β₂)g²
        exp_avg_sq += np.multiply(np.multiply(grad, grad, out=scratch), 1 - beta2, out=scratch)

        bias_correction1 = 1 - beta1**step
        bias_correction2 = 1 - beta2**step
        step_size = lr / bias_correction1
        denominator = np.sqrt(exp_avg_sq, out=scratch)  # √v / √(1 − β₂ᵗ) + ε
        denominator *= 1 / math.sqrt(bias_correction2)  # (a multiplication is cheaper than a division)
        denominator += group["eps"]
        update = np.divide(exp_avg, denominator, out=scratch)
        update *= step_size
        param._data -= update  # θ = θ − η/(1 − β₁ᵗ) · m / (√v/√(1 − β₂ᵗ) + ε)


class AdamW(Adam):
    """Adam with decoupled weight decay, exactly as torch.optim.AdamW (amsgrad=False).

    At step t = 1, 2, ...:
        θ ← θ − η·λ·θ                                 (decay the weights directly, not through g)
        m ← β₁·m + (1 − β₁)·g
        v ← β₂·v + (1 − β₂)·g²
        θ ← θ − η/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)
    """

    decoupled_weight_decay = True

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict[str, Any]],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
    ):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)
