"""Batch normalization layers: BatchNorm1d and BatchNorm2d (the math is F.batch_norm's).

    model = nn.Sequential(nn.Conv2d(1, 8, 3), nn.BatchNorm2d(8), nn.ReLU(), ...)
    model.train()   # normalize with each batch's statistics, update the running ones
    model.eval()    # normalize with the running statistics (the same output for any batch)

State dict keys as PyTorch: ``weight``, ``bias`` (the learned γ, β), ``running_mean``,
``running_var`` and ``num_batches_tracked`` (buffers: saved, but not parameters).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core.tensor import Tensor
from ..errors import ShapeError
from ..torch_api.arguments import check_device
from . import functional as F
from .module import Module, Parameter


class _BatchNorm(Module):
    """What BatchNorm1d and BatchNorm2d share; they differ only in the input shapes they take.

    num_features  C, the size of axis 1 of the input (channels)
    eps           added to the variance before the square root
    momentum      how far the running statistics move towards each batch's (None: cumulative average)
    affine        learn γ (weight, ones at first) and β (bias, zeros at first; bias=False: no β)
    track_running_stats   keep running statistics (False: always normalize with the batch's own)
    """

    expected_ndims: tuple[int, ...] = ()
    shape_text = ""
    # buffers (None when track_running_stats=False), registered in __init__
    running_mean: Tensor | None
    running_var: Tensor | None
    num_batches_tracked: Tensor | None

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        device: str | None = None,
        dtype: Any = np.float32,
        *,
        bias: bool = True,
    ):
        super().__init__()
        if device is not None:
            check_device(str(device))
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        if affine:
            self.weight: Parameter | None = Parameter(np.ones(num_features, dtype=dtype))
            self.bias: Parameter | None = Parameter(np.zeros(num_features, dtype=dtype)) if bias else None
        else:
            self.weight = None
            self.bias = None
        if track_running_stats:
            self.register_buffer("running_mean", Tensor(np.zeros(num_features, dtype=dtype)))
            self.register_buffer("running_var", Tensor(np.ones(num_features, dtype=dtype)))
            self.register_buffer("num_batches_tracked", Tensor(np.array(0, dtype=np.int64)))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def reset_running_stats(self) -> None:
        """Running mean 0, running variance 1, no batches seen."""
        if self.running_mean is not None and self.running_var is not None and self.num_batches_tracked is not None:
            self.running_mean.data = np.zeros_like(self.running_mean._data)
            self.running_var.data = np.ones_like(self.running_var._data)
            self.num_batches_tracked.data = np.zeros_like(self.num_batches_tracked._data)

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim not in self.expected_ndims or x.shape[1] != self.num_features:
            raise ShapeError(
                f"{type(self).__name__}({self.num_features}): expected input of shape {self.shape_text} with "
                f"C={self.num_features}, got shape {x.shape}"
            )
        momentum = 0.0 if self.momentum is None else self.momentum
        if self.training and self.num_batches_tracked is not None:
            self.num_batches_tracked.data = self.num_batches_tracked.data + 1
            if self.momentum is None:  # the cumulative average of all batches so far
                momentum = 1.0 / float(self.num_batches_tracked._data)
        use_batch_statistics = self.training or not self.track_running_stats
        return F.batch_norm(
            x,
            self.running_mean,
            self.running_var,
            self.weight,
            self.bias,
            training=use_batch_statistics,
            momentum=momentum,
            eps=self.eps,
        )

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
            f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}"
        )


class BatchNorm1d(_BatchNorm):
    """Batch normalization of (N, C) or (N, C, L) inputs, per feature C, over N (and L)."""

    expected_ndims = (2, 3)
    shape_text = "(N, C) or (N, C, L)"


class BatchNorm2d(_BatchNorm):
    """Batch normalization of (N, C, H, W) images, per channel C, over N, H and W."""

    expected_ndims = (4,)
    shape_text = "(N, C, H, W)"
