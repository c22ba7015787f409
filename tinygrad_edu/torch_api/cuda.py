"""``tg.cuda``, ``tg.accelerator`` and the default device: there is no GPU here, so a PyTorch
script's usual first lines

    device = tg.device("cuda" if tg.cuda.is_available() else "cpu")
    device = tg.accelerator.current_accelerator().type if tg.accelerator.is_available() else "cpu"
    tg.set_default_device(device)
    model = MLP().to(device)

pick the CPU, where NumPy computes everything. "cpu" is accepted everywhere a device is
(``device=`` of the factories, ``.to()``) and does nothing; any other device is refused with
one line (arguments.py, check_device).
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from .arguments import check_device


def is_available() -> bool:
    """False: tinygrad_edu computes with NumPy on the CPU."""
    return False


def device_count() -> int:
    return 0


def manual_seed(seed: int) -> None:
    """Nothing to seed: there is no GPU (tg.manual_seed seeds the one default generator)."""


manual_seed_all = manual_seed


def set_default_device(device: Any) -> None:
    """Only "cpu" (or None) is accepted: every tensor lives on the CPU already."""
    check_device(device)


def get_default_device() -> str:
    return "cpu"


def _no_accelerator() -> None:
    """``tg.accelerator.current_accelerator()``: None, as PyTorch says when there is none."""
    return None


# torch.accelerator's questions, answered for a machine without one.
accelerator = SimpleNamespace(
    is_available=is_available,
    current_accelerator=_no_accelerator,
    device_count=device_count,
)
