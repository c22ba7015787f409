"""Learning-rate schedules: change each ``group["lr"]`` of an optimizer as training goes on.

    optimizer = tg.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    scheduler = tg.optim.lr_scheduler.StepLR(optimizer, step_size=10, gamma=0.1)
    for epoch in range(30):
        train_one_epoch(...)             # optimizer.step() inside
        scheduler.step()                 # then move the schedule on

Semantics are PyTorch's: creating a scheduler sets the learning rate for step 0;
each ``step()`` adds one to ``last_epoch`` and sets the learning rate for it. The rates are
computed from closed forms of ``last_epoch``, so a schedule can be resumed from any step.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .optimizer import Optimizer


class LRScheduler:
    """Base class: subclasses give ``get_lr()``, the learning rate of each group at ``last_epoch``.

    base_lrs    each group's starting learning rate (``group["initial_lr"]``)
    last_epoch  how many times step() has been called since the start (0 after construction)
    """

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(self).__name__} needs an Optimizer, got {type(optimizer).__name__}")
        self.optimizer = optimizer
        for number, group in enumerate(optimizer.param_groups):
            if last_epoch == -1:
                group.setdefault("initial_lr", group["lr"])
            elif "initial_lr" not in group:
                raise KeyError(
                    f"{type(self).__name__}: param group {number} has no 'initial_lr'; to resume with "
                    "last_epoch != -1, load the optimizer's state_dict first (it holds initial_lr)"
                )
        self.base_lrs: list[float] = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._last_lr: list[float] = []
        self.step()

    def get_lr(self) -> list[float]:
        raise NotImplementedError(f"{type(self).__name__} must define get_lr()")

    def step(self) -> None:
        """Advance the schedule by one and write the new learning rates into the optimizer."""
        self.last_epoch += 1
        lrs = self.get_lr()
        for group, lr in zip(self.optimizer.param_groups, lrs):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self) -> list[float]:
        """The learning rate of each param group, as last set by step()."""
        return list(self._last_lr)

    def state_dict(self) -> dict[str, Any]:
        """{"last_epoch": int, "base_lrs": array, "last_lr": array}: saveable with tg.save."""
        return {
            "last_epoch": self.last_epoch,
            "base_lrs": np.array(self.base_lrs, dtype=np.float64),
            "last_lr": np.array(self._last_lr, dtype=np.float64),
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Resume the schedule where ``state_dict`` left it (load the optimizer's state too)."""
        self.last_epoch = int(state_dict["last_epoch"])
        self.base_lrs = [float(lr) for lr in np.atleast_1d(state_dict["base_lrs"])]
        self._last_lr = [float(lr) for lr in np.atleast_1d(state_dict["last_lr"])]


class StepLR(LRScheduler):
    """Decay by ``gamma`` every ``step_size`` steps:   ηₜ = η₀ · γ^⌊t / step_size⌋."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1):
        if step_size < 1:
            raise ValueError(f"StepLR: step_size must be a positive integer, got {step_size}")
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        return [base_lr * self.gamma ** (self.last_epoch // self.step_size) for base_lr in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    """Half a cosine from η₀ down to eta_min over T_max steps (SGDR without restarts):

    ηₜ = η_min + (η₀ − η_min) · (1 + cos(π · t / T_max)) / 2
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1):
        if T_max < 1:
            raise ValueError(f"CosineAnnealingLR: T_max must be a positive integer, got {T_max}")
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        cosine = (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
        return [self.eta_min + (base_lr - self.eta_min) * cosine for base_lr in self.base_lrs]


def _annealing_cos(start: float, end: float, pct: float) -> float:
    """From start (pct = 0) to end (pct = 1) along half a cosine."""
    return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)


def _annealing_linear(start: float, end: float, pct: float) -> float:
    """From start (pct = 0) to end (pct = 1) along a straight line."""
    return (end - start) * pct + start


class OneCycleLR(LRScheduler):
    """The 1cycle policy (Smith & Topin, 2018), as torch.optim.lr_scheduler.OneCycleLR.

    Step this scheduler after every batch, ``total_steps`` times in all (or epochs · steps_per_epoch).
    With initial_lr = max_lr / div_factor and min_lr = initial_lr / final_div_factor:
      phase 1, steps 0 … pct_start·T − 1:    lr  initial_lr → max_lr,    momentum  max_m → base_m
      phase 2, … T − 1:                      lr  max_lr → min_lr,        momentum  base_m → max_m
    three_phase=True instead goes initial → max → initial (two phases of pct_start·T each), then
    initial → min. Each phase anneals along half a cosine (anneal_strategy="cos") or a line ("linear"):
        lr = anneal(start, end, (t − phase start) / (phase end − phase start))
    With cycle_momentum=True the momentum (SGD) or β₁ (Adam) is cycled the opposite way.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        max_lr: float | list[float],
        total_steps: int | None = None,
        epochs: int | None = None,
        steps_per_epoch: int | None = None,
        pct_start: float = 0.3,
        anneal_strategy: str = "cos",
        cycle_momentum: bool = True,
        base_momentum: float = 0.85,
        max_momentum: float = 0.95,
        div_factor: float = 25.0,
        final_div_factor: float = 1e4,
        three_phase: bool = False,
        last_epoch: int = -1,
    ):
        if total_steps is None:
            if epochs is None or steps_per_epoch is None:
                raise ValueError("OneCycleLR: give total_steps, or both epochs and steps_per_epoch")
            total_steps = epochs * steps_per_epoch
        if total_steps < 1:
            raise ValueError(f"OneCycleLR: total_steps must be a positive integer, got {total_steps}")
        if not 0.0 <= pct_start <= 1.0:
            raise ValueError(f"OneCycleLR: pct_start must lie in [0, 1], got {pct_start}")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"OneCycleLR: anneal_strategy must be 'cos' or 'linear', got {anneal_strategy!r}")
        self.total_steps = total_steps
        self.anneal = _annealing_cos if anneal_strategy == "cos" else _annealing_linear
        self.cycle_momentum = cycle_momentum
        # each phase: where it ends, and which group keys hold its start and end lr (and momentum)
        self.phases: list[dict[str, Any]]
        if three_phase:
            self.phases = [
                {"end_step": pct_start * total_steps - 1, "lr": ("initial_lr", "max_lr"),
                 "momentum": ("max_momentum", "base_momentum")},
                {"end_step": 2 * pct_start * total_steps - 2, "lr": ("max_lr", "initial_lr"),
                 "momentum": ("base_momentum", "max_momentum")},
                {"end_step": total_steps - 1, "lr": ("initial_lr", "min_lr"),
                 "momentum": ("max_momentum", "max_momentum")},
            ]  # fmt: skip
        else:
            self.phases = [
                {"end_step": pct_start * total_steps - 1, "lr": ("initial_lr", "max_lr"),
                 "momentum": ("max_momentum", "base_momentum")},
                {"end_step": total_steps - 1, "lr": ("max_lr", "min_lr"),
                 "momentum": ("base_momentum", "max_momentum")},
            ]  # fmt: skip

        groups = optimizer.param_groups
        max_lrs = list(max_lr) if isinstance(max_lr, (list, tuple)) else [max_lr] * len(groups)
        if len(max_lrs) != len(groups):
            raise ValueError(f"OneCycleLR: got {len(max_lrs)} max_lr values for {len(groups)} param groups")
        if last_epoch == -1:
            for group, group_max_lr in zip(groups, max_lrs):
                group["initial_lr"] = group_max_lr / div_factor
                group["max_lr"] = group_max_lr
                group["min_lr"] = group["initial_lr"] / final_div_factor

        self.use_beta1 = "betas" in optimizer.defaults
        if cycle_momentum:
            if "momentum" not in optimizer.defaults and not self.use_beta1:
                raise ValueError(
                    "OneCycleLR: cycle_momentum=True needs an optimizer with momentum (SGD) or betas (Adam); "
                    "pass cycle_momentum=False"
                )
            if last_epoch == -1:
                for group in groups:
                    group["max_momentum"] = max_momentum
                    group["base_momentum"] = base_momentum
                    self._set_momentum(group, max_momentum)
        super().__init__(optimizer, last_epoch)

    def _set_momentum(self, group: dict[str, Any], momentum: float) -> None:
        if self.use_beta1:
            group["betas"] = (momentum, *group["betas"][1:])
        else:
            group["momentum"] = momentum

    def get_lr(self) -> list[float]:
        step = self.last_epoch
        if step > self.total_steps:
            raise ValueError(
                f"OneCycleLR: tried to step {step} times, but total_steps is {self.total_steps}; "
                "make total_steps (or epochs · steps_per_epoch) cover the whole run"
            )
        lrs = []
        for group in self.optimizer.param_groups:
            start_step = 0.0
            for number, phase in enumerate(self.phases):
                end_step = phase["end_step"]
                if step <= end_step or number == len(self.phases) - 1:
                    pct = (step - start_step) / (end_step - start_step)
                    lr_start, lr_end = phase["lr"]
                    lrs.append(self.anneal(group[lr_start], group[lr_end], pct))
                    if self.cycle_momentum:
                        momentum_start, momentum_end = phase["momentum"]
                        self._set_momentum(group, self.anneal(group[momentum_start], group[momentum_end], pct))
                    break
                start_step = end_step
        return lrs
