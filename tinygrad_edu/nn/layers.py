"""Layers: Linear, the activations, Dropout, Flatten, Identity (the losses are in loss.py).

Each layer is a Module whose ``forward`` is a line or two of Tensor operations; the math
lives in the ops (``tinygrad_edu/ops``) and in ``nn.functional``. Layers that draw random
numbers take ``generator: np.random.Generator | None`` (if None, the default generator
that ``tg.manual_seed`` seeds).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..core.tensor import Tensor
from ..torch_api.arguments import axis_or_dim
from ..torch_api.random import generator_or_default
from . import functional as F
from . import init
from .module import Module, Parameter


class Linear(Module):
    """Affine map:  y = x · Wᵀ + b,   x: (…, in_features) -> y: (…, out_features).

    weight W: (out_features, in_features), bias b: (out_features,), both initialised as
    PyTorch does: U(−1/√in_features, 1/√in_features) (kaiming_uniform_ with a = √5 for W).
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        generator: np.random.Generator | None = None,
        dtype: Any = np.float32,
    ):
        super().__init__()
        generator = generator_or_default(generator)
        self.in_features = in_features
        self.out_features = out_features
        # NOTE: stored column-major (order="F"): weight.T is then an ordinary row-major (in, out)
        # matrix, as in NumPy written by hand, and it shares its memory order with the gradient
        # ops.nn.Affine computes, so the optimizer's arithmetic needs no strided passes.
        # Values and shape are as usual.
        self.weight = Parameter(np.empty((out_features, in_features), dtype=dtype, order="F"))
        init.kaiming_uniform_(self.weight, a=math.sqrt(5), generator=generator)
        if bias:
            bound = 1 / math.sqrt(in_features) if in_features > 0 else 0.0
            self.bias: Parameter | None = Parameter(np.empty(out_features, dtype=dtype))
            init.uniform_(self.bias, -bound, bound, generator=generator)
        else:
            self.bias = None

    def forward(self, x: Tensor) -> Tensor:
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class ReLU(Module):
    """y = max(x, 0), elementwise.
    NOTE: inplace=True is accepted as in PyTorch; the result is a new tensor with the same values."""

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace

    def forward(self, x: Tensor) -> Tensor:
        return x.relu()

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class Sigmoid(Module):
    """y = 1 / (1 + exp(−x)), elementwise."""

    def forward(self, x: Tensor) -> Tensor:
        return x.sigmoid()


class Tanh(Module):
    """y = tanh x, elementwise."""

    def forward(self, x: Tensor) -> Tensor:
        return x.tanh()


class LeakyReLU(Module):
    """y = x if x > 0 else negative_slope · x, elementwise."""

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False):
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace  # accepted as in PyTorch; the result is a new tensor (as ReLU)

    def forward(self, x: Tensor) -> Tensor:
        return x.leaky_relu(self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class Softmax(Module):
    """yᵢ = exp(xᵢ) / Σⱼ exp(xⱼ) along ``axis`` (NumPy's word for PyTorch's dim=, also accepted).
    NOTE: nn.Softmax() with no axis takes PyTorch's legacy choice at each call, with its warning:
    axis 0 for 0/1/3-D input, else axis 1 (F.implicit_softmax_axis); write nn.Softmax(dim=1)."""

    def __init__(self, axis: int | None = None, *, dim: int | None = None):
        super().__init__()
        self.axis = axis_or_dim("Softmax", axis, dim)

    def forward(self, x: Tensor) -> Tensor:
        axis = F.implicit_softmax_axis("Softmax", x.ndim) if self.axis is None else self.axis
        return x.softmax(axis=axis)

    def extra_repr(self) -> str:
        return f"dim={self.axis}"  # as PyTorch prints it


class LogSoftmax(Module):
    """yᵢ = xᵢ − ln Σⱼ exp(xⱼ) along ``axis`` (or PyTorch's dim=); with no axis, as Softmax."""

    def __init__(self, axis: int | None = None, *, dim: int | None = None):
        super().__init__()
        self.axis = axis_or_dim("LogSoftmax", axis, dim)

    def forward(self, x: Tensor) -> Tensor:
        axis = F.implicit_softmax_axis("LogSoftmax", x.ndim) if self.axis is None else self.axis
        return x.log_softmax(axis=axis)

    def extra_repr(self) -> str:
        return f"dim={self.axis}"


class Dropout(Module):
    """In training, zero each element with probability p and scale the rest by 1/(1 − p);
    in eval() mode, pass the input through unchanged. Masks come from ``generator``."""

    def __init__(self, p: float = 0.5, inplace: bool = False, generator: np.random.Generator | None = None):
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout: p is a probability and must lie in [0, 1], got {p}")
        self.p = p
        self.inplace = inplace  # accepted as in PyTorch; the result is a new tensor (as ReLU)
        self.generator = generator  # None: the default generator, at each call

    def forward(self, x: Tensor) -> Tensor:
        return F.dropout(x, self.p, self.training, self.generator)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Flatten(Module):
    """Merge axes start_axis..end_axis into one: (N, 1, 28, 28) -> (N, 784) by default.
    PyTorch's names start_dim=/end_dim= mean the same."""

    def __init__(
        self,
        start_axis: int | None = None,
        end_axis: int | None = None,
        *,
        start_dim: int | None = None,
        end_dim: int | None = None,
    ):
        super().__init__()
        start = axis_or_dim("Flatten", start_axis, start_dim, ("start_axis", "start_dim"))
        end = axis_or_dim("Flatten", end_axis, end_dim, ("end_axis", "end_dim"))
        self.start_axis = 1 if start is None else start
        self.end_axis = -1 if end is None else end

    def forward(self, x: Tensor) -> Tensor:
        return x.flatten(self.start_axis, self.end_axis)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_axis}, end_dim={self.end_axis}"  # as PyTorch prints it


class Identity(Module):
    """y = x: a placeholder layer."""

    def forward(self, x: Tensor) -> Tensor:
        return x
