"""Convolution and pooling layers: Conv2d, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d (NCHW, as PyTorch).

Each ``forward`` is one call of ``nn.functional``; the math lives in ``tinygrad_edu/ops/conv.py`` and ``pool.py``.
Parameters, their shapes, their initialisation and the state-dict keys are PyTorch's, so a
network built here loads into the same ``torch.nn.Sequential`` and back.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..core.tensor import Tensor
from ..ops.conv import pair
from ..torch_api.random import generator_or_default
from . import functional as F
from . import init
from .module import Module, Parameter


class Conv2d(Module):
    """2-D convolution:  y = conv2d(x, W) + b,   x: (N, in_channels, H, W) -> y: (N, out_channels, OH, OW).

    weight W: (out_channels, in_channels / groups, kH, kW), bias b: (out_channels,), both
    initialised as PyTorch does: U(−1/√fan_in, 1/√fan_in) with fan_in = in_channels / groups · kH · kW
    (kaiming_uniform_ with a = √5 for W).
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] = 1,
        padding: int | tuple[int, int] = 0,
        dilation: int | tuple[int, int] = 1,
        groups: int = 1,
        bias: bool = True,
        generator: np.random.Generator | None = None,
        dtype: Any = np.float32,
    ):
        super().__init__()
        if groups < 1 or in_channels % groups or out_channels % groups:
            raise ValueError(
                f"Conv2d: in_channels={in_channels} and out_channels={out_channels} must both be divisible "
                f"by groups={groups}"
            )
        generator = generator_or_default(generator)
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = pair(kernel_size, "kernel_size")
        self.stride = pair(stride, "stride")
        self.padding = pair(padding, "padding")
        self.dilation = pair(dilation, "dilation")
        self.groups = groups
        self.weight = Parameter(np.empty((out_channels, in_channels // groups, *self.kernel_size), dtype=dtype))
        init.kaiming_uniform_(self.weight, a=math.sqrt(5), generator=generator)
        if bias:
            fan_in = in_channels // groups * self.kernel_size[0] * self.kernel_size[1]
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0.0
            self.bias: Parameter | None = Parameter(np.empty(out_channels, dtype=dtype))
            init.uniform_(self.bias, -bound, bound, generator=generator)
        else:
            self.bias = None

    def forward(self, x: Tensor) -> Tensor:
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)

    def extra_repr(self) -> str:
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0, 0):
            text += f", padding={self.padding}"
        if self.dilation != (1, 1):
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        return text


class _Pool2d(Module):
    """What both pooling layers hold: the window, its stride (kernel_size when None) and padding."""

    def __init__(
        self,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] | None = None,
        padding: int | tuple[int, int] = 0,
    ):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxPool2d(_Pool2d):
    """The largest value of each kernel_size window, per channel (stride defaults to kernel_size).
    A tie goes to the first maximum of the window, as in PyTorch."""

    def forward(self, x: Tensor) -> Tensor:
        return F.max_pool2d(x, self.kernel_size, self.stride, self.padding)

    def extra_repr(self) -> str:
        return super().extra_repr() + ", dilation=1, ceil_mode=False"  # as PyTorch prints it (the only ones here)


class AvgPool2d(_Pool2d):
    """The mean of each kernel_size window, per channel (stride defaults to kernel_size; padding
    counts as zeros, PyTorch's count_include_pad=True)."""

    def forward(self, x: Tensor) -> Tensor:
        return F.avg_pool2d(x, self.kernel_size, self.stride, self.padding)


class AdaptiveAvgPool2d(Module):
    """Average pooling to a fixed output size: (N, C, H, W) -> (N, C, *output_size) for any H, W.
    ``nn.AdaptiveAvgPool2d((1, 1))`` is the global average of each channel. See F.adaptive_avg_pool2d."""

    def __init__(self, output_size: int | None | tuple[int | None, int | None]):
        super().__init__()
        self.output_size = output_size

    def forward(self, x: Tensor) -> Tensor:
        return F.adaptive_avg_pool2d(x, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"
