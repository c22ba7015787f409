"""Initialisation: fill a Tensor's values in place, with PyTorch's formulas (``torch.nn.init``).

    w = nn.Parameter(np.empty((128, 784), dtype=np.float32))
    nn.init.kaiming_uniform_(w, nonlinearity="relu", generator=np.random.default_rng(0))

Each function draws from the ``generator`` you pass (else from the default generator that
``tg.manual_seed`` seeds), writes into ``tensor.data`` keeping its dtype, records no graph, and
returns the tensor. The trailing underscore is PyTorch's mark for "in place".

Fans, for a weight of shape (out, in, *kernel):
    fan_in = in · Π kernel,   fan_out = out · Π kernel
"""

from __future__ import annotations

import math

import numpy as np

from ..core.tensor import Tensor
from ..errors import ShapeError
from ..torch_api.random import generator_or_default


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The factor that keeps activations' variance steady through a layer (PyTorch's table):
    linear/identity/sigmoid: 1,  tanh: 5/3,  relu: √2,  leaky_relu(a): √(2 / (1 + a²)),  selu: 3/4.
    """
    if nonlinearity in ("linear", "identity", "sigmoid", "conv1d", "conv2d", "conv3d"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3.0
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        negative_slope = 0.01 if param is None else float(param)
        return math.sqrt(2.0 / (1 + negative_slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4.0
    raise ValueError(
        f"calculate_gain: unknown nonlinearity {nonlinearity!r}; use one of linear, identity, "
        "sigmoid, tanh, relu, leaky_relu, selu"
    )


def calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight shaped (out, in, *kernel), as PyTorch computes them."""
    if tensor.ndim < 2:
        raise ShapeError(
            f"fan in and fan out need a tensor with at least 2 dimensions (out, in, ...), got shape "
            f"{tensor.shape}; initialise biases with uniform_ or zeros_ instead"
        )
    receptive_field = math.prod(tensor.shape[2:])
    return tensor.shape[1] * receptive_field, tensor.shape[0] * receptive_field


def _fan(tensor: Tensor, mode: str) -> int:
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    if mode == "fan_in":
        return fan_in
    if mode == "fan_out":
        return fan_out
    raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")


def _fill(tensor: Tensor, values: np.ndarray | float) -> Tensor:
    tensor.data[...] = values
    return tensor


def _generator(generator: np.random.Generator | None) -> np.random.Generator:
    return generator_or_default(generator)


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, generator: np.random.Generator | None = None) -> Tensor:
    """Fill with samples from U(a, b)."""
    return _fill(tensor, _generator(generator).uniform(a, b, tensor.shape))


def normal_(
    tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator: np.random.Generator | None = None
) -> Tensor:
    """Fill with samples from N(mean, std²)."""
    return _fill(tensor, _generator(generator).normal(mean, std, tensor.shape))


def zeros_(tensor: Tensor) -> Tensor:
    """Fill with 0."""
    return _fill(tensor, 0)


def ones_(tensor: Tensor) -> Tensor:
    """Fill with 1."""
    return _fill(tensor, 1)


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator: np.random.Generator | None = None) -> Tensor:
    """Glorot & Bengio (2010): U(−a, a) with a = gain · √(6 / (fan_in + fan_out))."""
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator: np.random.Generator | None = None) -> Tensor:
    """Glorot & Bengio (2010): N(0, std²) with std = gain · √(2 / (fan_in + fan_out))."""
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    return normal_(tensor, 0.0, std, generator)


def kaiming_uniform_(
    tensor: Tensor,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator: np.random.Generator | None = None,
) -> Tensor:
    """He et al. (2015): U(−bound, bound) with bound = gain · √(3 / fan), gain = calculate_gain(nonlinearity, a).

    ``a`` is the negative slope of the leaky ReLU that follows (0 for plain ReLU).
    """
    gain = calculate_gain(nonlinearity, a)
    std = gain / math.sqrt(_fan(tensor, mode))
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(
    tensor: Tensor,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator: np.random.Generator | None = None,
) -> Tensor:
    """He et al. (2015): N(0, std²) with std = gain / √fan, gain = calculate_gain(nonlinearity, a)."""
    gain = calculate_gain(nonlinearity, a)
    std = gain / math.sqrt(_fan(tensor, mode))
    return normal_(tensor, 0.0, std, generator)
