"""Stochastic gradient descent, with momentum, dampening, Nesterov and weight decay (PyTorch's rule)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from ..core.tensor import Tensor
from .optimizer import Optimizer


class SGD(Optimizer):
    """Stochastic gradient descent, exactly as torch.optim.SGD.

    For each parameter θ with gradient g, learning rate η, momentum μ, dampening τ,
    weight decay λ, the step t (from 1) does:
        g ← g + λ·θ                                  (if λ ≠ 0: L2 penalty λ/2·‖θ‖²)
        b ← g                         at t = 1       (if μ ≠ 0: the momentum buffer)
        b ← μ·b + (1 − τ)·g           at t > 1
        g ← g + μ·b  (Nesterov)   or   g ← b         (if μ ≠ 0)
        θ ← θ − η·g
    """

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict[str, Any]],
        lr: float,
        momentum: float = 0.0,
        dampening: float = 0.0,
        nesterov: bool = False,
        weight_decay: float = 0.0,
    ):
        if lr < 0.0:
            raise ValueError(f"SGD: lr must be >= 0, got {lr}")
        if momentum < 0.0:
            raise ValueError(f"SGD: momentum must be >= 0, got {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"SGD: weight_decay must be >= 0, got {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError(
                f"SGD: nesterov=True needs momentum > 0 and dampening = 0, got momentum={momentum}, "
                f"dampening={dampening}"
            )
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "nesterov": nesterov,
            "weight_decay": weight_decay,
        }
        super().__init__(params, defaults)

    def update(self, param: Tensor, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> None:
        lr = group["lr"]
        momentum = group["momentum"]
        weight_decay = group["weight_decay"]
        if weight_decay != 0:
            scratch = self.scratch(param, grad)
            grad = np.add(grad, np.multiply(param._data, weight_decay, out=scratch), out=scratch)  # g + λθ
        if momentum != 0:
            buffer = state.get("momentum_buffer")
            if buffer is None:
                buffer = state["momentum_buffer"] = np.array(grad, dtype=param.dtype)  # b = g
            else:
                buffer *= momentum  # b = μb + (1 − τ)g
                if group["dampening"] == 0:
                    buffer += grad
                else:
                    buffer += np.multiply(grad, 1 - group["dampening"], out=self.scratch(param, grad))
            if group["nesterov"]:
                grad = grad + momentum * buffer  # g + μb (a new array: grad may be the scratch space)
            else:
                grad = buffer
        # NOTE: η·g goes into a temporary, not into the scratch space: measured in a training loop it
        # is as fast (NumPy's allocator hands back the same block every step), and it needs no lookup.
        param._data -= lr * grad  # θ = θ − ηg
