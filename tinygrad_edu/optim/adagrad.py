"""Adagrad (Duchi, Hazan & Singer, 2011), with PyTorch's update rule."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from ..core.tensor import Tensor
from .optimizer import Optimizer


class Adagrad(Optimizer):
    """Adagrad, exactly as torch.optim.Adagrad.

    For each parameter θ with gradient g, learning rate η, learning-rate decay δ, weight decay λ,
    ε, at step t = 1, 2, ...:
        g ← g + λ·θ                                   (if λ ≠ 0)
        η̃ ← η / (1 + (t − 1)·δ)                       (the decayed learning rate)
        s ← s + g²                                    (sum of squared gradients, s₀ = initial_accumulator_value)
        θ ← θ − η̃ · g / (√s + ε)
    Each coordinate's step shrinks as its gradients add up.
    """

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict[str, Any]],
        lr: float = 1e-2,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
    ):
        for name, value in (
            ("lr", lr),
            ("lr_decay", lr_decay),
            ("weight_decay", weight_decay),
            ("initial_accumulator_value", initial_accumulator_value),
            ("eps", eps),
        ):
            if value < 0.0:
                raise ValueError(f"Adagrad: {name} must be >= 0, got {value}")
        defaults = {
            "lr": lr,
            "lr_decay": lr_decay,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "eps": eps,
        }
        super().__init__(params, defaults)

    def update(self, param: Tensor, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> None:
        if not state:
            state["step"] = 0
            state["sum"] = np.full_like(grad, group["initial_accumulator_value"], dtype=param.dtype)
        state["step"] += 1
        if group["weight_decay"] != 0:
            grad = grad + group["weight_decay"] * param._data  # g + λθ (a new array: never write into g)
        decayed_lr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])  # η / (1 + (t − 1)δ)
        total = state["sum"]
        total += grad * grad  # s = s + g²
        param._data -= decayed_lr * grad / (np.sqrt(total) + group["eps"])  # θ = θ − η̃ g / (√s + ε)
