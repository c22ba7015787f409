"""The losses as modules, as PyTorch writes them: ``criterion = nn.CrossEntropyLoss()``.

    criterion = nn.CrossEntropyLoss()
    loss = criterion(model(images), labels)       # logits (N, C), integer labels (N,) or probabilities (N, C)

Each module keeps its settings and calls the function of the same name in
``nn.functional`` (where the math and its docstring are). ``reduction`` is PyTorch's:
"mean" (the default), "sum", or "none" for the per-element losses.
"""

from __future__ import annotations

from typing import Any

from ..core.tensor import Tensor
from . import functional as F
from .module import Module


class _Loss(Module):
    """What every loss module shares: the ``reduction`` setting, checked when it is made."""

    def __init__(self, reduction: str = "mean"):
        super().__init__()
        if reduction not in F.REDUCTIONS:
            raise ValueError(f"{type(self).__name__}: reduction must be one of {F.REDUCTIONS}, got {reduction!r}")
        self.reduction = reduction

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}"


class CrossEntropyLoss(_Loss):
    """loss(logits, targets) = F.cross_entropy(logits, targets, reduction, label_smoothing)."""

    def __init__(self, reduction: str = "mean", label_smoothing: float = 0.0):
        super().__init__(reduction)
        self.label_smoothing = label_smoothing

    def forward(self, logits: Tensor, targets: Any) -> Tensor:
        return F.cross_entropy(logits, targets, self.reduction, self.label_smoothing)

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}, label_smoothing={self.label_smoothing}"


class NLLLoss(_Loss):
    """loss(log_probabilities, targets) = F.nll_loss(log_probabilities, targets, reduction);
    after nn.LogSoftmax(dim=1) it equals CrossEntropyLoss on the logits."""

    def forward(self, log_probabilities: Tensor, targets: Any) -> Tensor:
        return F.nll_loss(log_probabilities, targets, self.reduction)


class MSELoss(_Loss):
    """loss(input, target) = F.mse_loss(input, target, reduction)."""

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.mse_loss(input, target, self.reduction)


class BCELoss(_Loss):
    """loss(probabilities, target) = F.binary_cross_entropy(probabilities, target, reduction)."""

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.binary_cross_entropy(input, target, self.reduction)


class BCEWithLogitsLoss(_Loss):
    """loss(logits, target) = F.binary_cross_entropy_with_logits(logits, target, reduction)."""

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.binary_cross_entropy_with_logits(input, target, self.reduction)
