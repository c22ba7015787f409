"""RMSprop (Hinton's lecture 6e, 2012), with PyTorch's update rule."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from ..core.tensor import Tensor
from .optimizer import Optimizer


class RMSprop(Optimizer):
    """RMSprop, exactly as torch.optim.RMSprop.

    For each parameter θ with gradient g, learning rate η, smoothing constant α, ε, weight
    decay λ, momentum μ, at every step:
        g ← g + λ·θ                                   (if λ ≠ 0)
        v ← α·v + (1 − α)·g²                          (running mean of the squared gradient, v₀ = 0)
        ḡ ← α·ḡ + (1 − α)·g,  d ← √(v − ḡ²) + ε       (centered=True: the variance of g)
        d ← √v + ε                                    (centered=False)
        b ← μ·b + g / d,  θ ← θ − η·b                 (if μ ≠ 0; b₀ = 0)
        θ ← θ − η · g / d                             (if μ = 0)
    """

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict[str, Any]],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
    ):
        for name, value in (("lr", lr), ("alpha", alpha), ("eps", eps), ("weight_decay", weight_decay)):
            if value < 0.0:
                raise ValueError(f"RMSprop: {name} must be >= 0, got {value}")
        if momentum < 0.0:
            raise ValueError(f"RMSprop: momentum must be >= 0, got {momentum}")
        defaults = {
            "lr": lr,
            "alpha": alpha,
            "eps": eps,
            "weight_decay": weight_decay,
            "momentum": momentum,
            "centered": centered,
        }
        super().__init__(params, defaults)

    def update(self, param: Tensor, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> None:
        alpha = group["alpha"]
        momentum = group["momentum"]
        if not state:
            state["step"] = 0
            state["square_avg"] = np.zeros_like(grad, dtype=param.dtype)
            if momentum > 0:
                state["momentum_buffer"] = np.zeros_like(grad, dtype=param.dtype)
            if group["centered"]:
                state["grad_avg"] = np.zeros_like(grad, dtype=param.dtype)
        state["step"] += 1
        if group["weight_decay"] != 0:
            grad = grad + group["weight_decay"] * param._data  # g + λθ (a new array: never write into g)

        square_avg = state["square_avg"]
        square_avg *= alpha  # v = αv + (1 − α)g²
        square_avg += (1 - alpha) * grad * grad
        if group["centered"]:
            grad_avg = state["grad_avg"]
            grad_avg *= alpha  # ḡ = αḡ + (1 − α)g
            grad_avg += (1 - alpha) * grad
            denominator = np.sqrt(square_avg - grad_avg * grad_avg) + group["eps"]  # √(v − ḡ²) + ε
        else:
            denominator = np.sqrt(square_avg) + group["eps"]  # √v + ε

        if momentum > 0:
            buffer = state["momentum_buffer"]
            buffer *= momentum  # b = μb + g/d
            buffer += grad / denominator
            param._data -= group["lr"] * buffer  # θ = θ − ηb
        else:
            param._data -= group["lr"] * grad / denominator  # θ = θ − η g/d
