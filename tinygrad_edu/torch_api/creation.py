"""PyTorch's factories: ``tg.tensor``, ``tg.zeros``, ``tg.randn``, ``tg.arange`` ...

    import tinygrad_edu as tg
    tg.manual_seed(0)
    x = tg.randn(64, 784)                        # float32, from the default generator
    y = tg.tensor([3, 1, 4])                     # int64, as torch.tensor
    w = tg.zeros(784, 10, requires_grad=True)

Each is a one-liner over NumPy and the Tensor constructor, with PyTorch's meaning:
floating results are float32 unless ``dtype=`` says otherwise; ``tg.tensor``, ``tg.arange``
and ``tg.full`` infer int64 from Python integers (and bool from booleans), as PyTorch does,
where the ``Tensor`` constructor would make float32. ``tg.tensor`` copies its data;
``tg.from_numpy`` and ``Tensor(array)`` share it. Sizes are given as ``zeros(2, 3)`` or
``zeros((2, 3))``. Random factories draw from ``generator=`` or the default generator that
``tg.manual_seed`` seeds (see random.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..core.tensor import DEFAULT_FLOAT, Tensor
from .arguments import _shape_argument
from .random import generator_or_default

# PyTorch's dtype names, for ``dtype=tg.float64`` and ``x.to(tg.int64)``: NumPy's dtypes.
float16 = half = np.float16
float32 = np.float32
float64 = double = np.float64
int32 = np.int32
int64 = long = np.int64
uint8 = np.uint8
bool_ = np.bool_


def _inferred_dtype(values: Any) -> Any:
    """PyTorch's inference for Python data: bools -> bool, ints -> int64, floats -> float32."""
    kind = np.asarray(values).dtype.kind
    if kind == "b":
        return np.bool_
    if kind in "iu":
        return np.int64
    return DEFAULT_FLOAT


def tensor(data: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data`` (numbers, nested lists, a NumPy array or a Tensor).

    Python ints give int64, floats float32, bools bool (torch.tensor's rule); a NumPy array
    keeps its dtype. The copy is a new leaf, cut off from any graph.
    """
    if isinstance(data, Tensor):
        data = data.data
    if dtype is None and not isinstance(data, (np.ndarray, np.generic)):
        dtype = _inferred_dtype(data)
    return Tensor(np.array(data, dtype=dtype, copy=True), requires_grad=requires_grad)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing ``array``'s memory and dtype (torch.from_numpy)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected a NumPy array, got {type(array).__name__}; use tg.tensor(data)")
    return Tensor(array)


def zeros(*size: int | Sequence[int], dtype: Any = DEFAULT_FLOAT, requires_grad: bool = False) -> Tensor:
    return Tensor(np.zeros(_shape_argument(size), dtype=dtype), requires_grad=requires_grad)


def ones(*size: int | Sequence[int], dtype: Any = DEFAULT_FLOAT, requires_grad: bool = False) -> Tensor:
    return Tensor(np.ones(_shape_argument(size), dtype=dtype), requires_grad=requires_grad)


def full(size: int | Sequence[int], fill_value: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Every element ``fill_value``; the dtype follows it (float32, int64 or bool) unless given."""
    dtype = _inferred_dtype(fill_value) if dtype is None else dtype
    return Tensor(np.full(_shape_argument((size,)), fill_value, dtype=dtype), requires_grad=requires_grad)


def zeros_like(input: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Zeros with ``input``'s shape and dtype."""
    return zeros(input.shape, dtype=input.dtype if dtype is None else dtype, requires_grad=requires_grad)


def ones_like(input: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Ones with ``input``'s shape and dtype."""
    return ones(input.shape, dtype=input.dtype if dtype is None else dtype, requires_grad=requires_grad)


def full_like(input: Tensor, fill_value: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return full(input.shape, fill_value, dtype=input.dtype if dtype is None else dtype, requires_grad=requires_grad)


def randn(
    *size: int | Sequence[int],
    generator: np.random.Generator | None = None,
    dtype: Any = DEFAULT_FLOAT,
    requires_grad: bool = False,
) -> Tensor:
    """Samples of the standard normal N(0, 1)."""
    data = generator_or_default(generator).standard_normal(_shape_argument(size)).astype(dtype)
    return Tensor(data, requires_grad=requires_grad)


def rand(
    *size: int | Sequence[int],
    generator: np.random.Generator | None = None,
    dtype: Any = DEFAULT_FLOAT,
    requires_grad: bool = False,
) -> Tensor:
    """Samples of the uniform distribution on [0, 1)."""
    data = generator_or_default(generator).random(_shape_argument(size)).astype(dtype)
    return Tensor(data, requires_grad=requires_grad)


def randint(
    low: int, high: int, size: Sequence[int], generator: np.random.Generator | None = None, dtype: Any = np.int64
) -> Tensor:
    """Random integers in [low, high), int64."""
    return Tensor(generator_or_default(generator).integers(low, high, tuple(size)).astype(dtype))


def randperm(n: int, generator: np.random.Generator | None = None) -> Tensor:
    """0..n−1 in random order, int64 (for shuffling a data set)."""
    return Tensor(generator_or_default(generator).permutation(n).astype(np.int64))


def randn_like(input: Tensor, generator: np.random.Generator | None = None, dtype: Any = None) -> Tensor:
    return randn(input.shape, generator=generator, dtype=input.dtype if dtype is None else dtype)


def rand_like(input: Tensor, generator: np.random.Generator | None = None, dtype: Any = None) -> Tensor:
    return rand(input.shape, generator=generator, dtype=input.dtype if dtype is None else dtype)


def arange(
    start: float, end: float | None = None, step: float = 1, dtype: Any = None, requires_grad: bool = False
) -> Tensor:
    """start, start + step, ... up to (not including) end; ``arange(5)`` is 0..4.
    int64 when start, end and step are all integers, else float32 (as torch.arange)."""
    if dtype is None:
        dtype = _inferred_dtype([start, step] if end is None else [start, end, step])
    return Tensor(np.arange(start, end, step, dtype=dtype), requires_grad=requires_grad)


def eye(n: int, m: int | None = None, dtype: Any = DEFAULT_FLOAT, requires_grad: bool = False) -> Tensor:
    """The identity matrix, n × n (or n × m)."""
    return Tensor(np.eye(n, m, dtype=dtype), requires_grad=requires_grad)
