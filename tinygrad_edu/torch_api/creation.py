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
``tg.manual_seed`` seeds (see random.py). ``size=`` may be given by keyword too
(``tg.randn(size=(2, 3))``), and ``device=`` takes "cpu" (nothing to do) and refuses any
other device with one line (arguments.py, check_device).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..core.tensor import DEFAULT_FLOAT, Tensor
from .arguments import _shape_argument, check_device
from .random import generator_or_default

# PyTorch's dtype names, for ``dtype=tg.float64`` and ``x.to(tg.int64)``: NumPy's dtypes.
# tg.float (float32), tg.int (int32) and tg.bool are added in __init__.py (here they would hide
# Python's float, int and bool).
float16 = half = np.float16
float32 = np.float32
float64 = double = np.float64
int32 = np.int32
int16 = short = np.int16
int8 = np.int8
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


def _size(sizes: tuple[Any, ...], keyword: Any, function: str) -> tuple[int, ...]:
    """The shape from ``f(2, 3)``, ``f((2, 3))`` or ``f(size=(2, 3))``."""
    if keyword is not None:
        if sizes:
            raise TypeError(f"{function}: give the size once, as arguments or as size=, not both")
        return _shape_argument((keyword,)) if isinstance(keyword, (tuple, list)) else (int(keyword),)
    return _shape_argument(sizes)


def _float_or(dtype: Any) -> Any:
    """``dtype=None`` means the default float, float32 (as PyTorch's default dtype)."""
    return DEFAULT_FLOAT if dtype is None else dtype


def tensor(data: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data`` (numbers, nested lists, a NumPy array or a Tensor).

    Python ints give int64, floats float32, bools bool (torch.tensor's rule); a NumPy array
    keeps its dtype. The copy is a new leaf, cut off from any graph.
    """
    check_device(device)
    if isinstance(data, Tensor):
        data = data.data
    elif isinstance(data, (list, tuple)) and any(isinstance(item, Tensor) for item in data):
        data = [item.data if isinstance(item, Tensor) else item for item in data]  # [t1, t2]: their values
    if dtype is None and not isinstance(data, (np.ndarray, np.generic)):
        dtype = _inferred_dtype(data)
    return Tensor(np.array(data, dtype=dtype, copy=True), requires_grad=requires_grad)


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """A tensor sharing a NumPy array's memory when it can (as torch.as_tensor), else a copy."""
    if isinstance(data, Tensor) and dtype is None:
        return data
    if isinstance(data, np.ndarray) and (dtype is None or np.dtype(dtype) == data.dtype):
        check_device(device)
        return Tensor(data)
    return tensor(data, dtype=dtype, device=device)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing ``array``'s memory and dtype (torch.from_numpy)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected a NumPy array, got {type(array).__name__}; use tg.tensor(data)")
    return Tensor(array)


def zeros(
    *sizes: int | Sequence[int], size: Any = None, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    check_device(device)
    return Tensor(np.zeros(_size(sizes, size, "zeros"), dtype=_float_or(dtype)), requires_grad=requires_grad)


def ones(
    *sizes: int | Sequence[int], size: Any = None, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    check_device(device)
    return Tensor(np.ones(_size(sizes, size, "ones"), dtype=_float_or(dtype)), requires_grad=requires_grad)


def empty(
    *sizes: int | Sequence[int], size: Any = None, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    """PyTorch leaves the memory uninitialised; here it holds zeros (the same shape and dtype)."""
    return zeros(*sizes, size=size, dtype=dtype, device=device, requires_grad=requires_grad)


def full(
    size: int | Sequence[int], fill_value: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    """Every element ``fill_value``; the dtype follows it (float32, int64 or bool) unless given."""
    check_device(device)
    dtype = _inferred_dtype(fill_value) if dtype is None else dtype
    return Tensor(np.full(_shape_argument((size,)), fill_value, dtype=dtype), requires_grad=requires_grad)


def zeros_like(input: Tensor, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Zeros with ``input``'s shape and dtype."""
    dtype = input.dtype if dtype is None else dtype
    return zeros(input.shape, dtype=dtype, device=device, requires_grad=requires_grad)


def ones_like(input: Tensor, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Ones with ``input``'s shape and dtype."""
    dtype = input.dtype if dtype is None else dtype
    return ones(input.shape, dtype=dtype, device=device, requires_grad=requires_grad)


def empty_like(input: Tensor, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    return zeros_like(input, dtype=dtype, device=device, requires_grad=requires_grad)


def full_like(
    input: Tensor, fill_value: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    dtype = input.dtype if dtype is None else dtype
    return full(input.shape, fill_value, dtype=dtype, device=device, requires_grad=requires_grad)


def randn(
    *sizes: int | Sequence[int],
    generator: np.random.Generator | None = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    size: Any = None,
) -> Tensor:
    """Samples of the standard normal N(0, 1)."""
    check_device(device)
    shape = _size(sizes, size, "randn")
    data = generator_or_default(generator).standard_normal(shape).astype(_float_or(dtype))
    return Tensor(data, requires_grad=requires_grad)


def rand(
    *sizes: int | Sequence[int],
    generator: np.random.Generator | None = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    size: Any = None,
) -> Tensor:
    """Samples of the uniform distribution on [0, 1)."""
    check_device(device)
    data = generator_or_default(generator).random(_size(sizes, size, "rand")).astype(_float_or(dtype))
    return Tensor(data, requires_grad=requires_grad)


def randint(
    low: int,
    high: Any = None,
    size: Sequence[int] | None = None,
    generator: np.random.Generator | None = None,
    dtype: Any = np.int64,
    device: Any = None,
) -> Tensor:
    """Random integers in [low, high), int64; ``randint(high, size)`` starts at 0 (as PyTorch)."""
    check_device(device)
    if size is None:
        if not isinstance(high, (tuple, list)):
            raise TypeError("randint: give the size, randint(low, high, (n,)) or randint(high, (n,))")
        low, high, size = 0, low, high
    return Tensor(generator_or_default(generator).integers(low, high, tuple(size)).astype(dtype))


def randperm(n: int, generator: np.random.Generator | None = None, dtype: Any = np.int64, device: Any = None) -> Tensor:
    """0..n−1 in random order, int64 (for shuffling a data set)."""
    check_device(device)
    return Tensor(generator_or_default(generator).permutation(n).astype(dtype))


def randn_like(
    input: Tensor, generator: np.random.Generator | None = None, dtype: Any = None, device: Any = None
) -> Tensor:
    return randn(input.shape, generator=generator, dtype=input.dtype if dtype is None else dtype, device=device)


def rand_like(
    input: Tensor, generator: np.random.Generator | None = None, dtype: Any = None, device: Any = None
) -> Tensor:
    return rand(input.shape, generator=generator, dtype=input.dtype if dtype is None else dtype, device=device)


def arange(
    start: float,
    end: float | None = None,
    step: float = 1,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """start, start + step, ... up to (not including) end; ``arange(5)`` is 0..4.
    int64 when start, end and step are all integers, else float32 (as torch.arange)."""
    check_device(device)
    if dtype is None:
        dtype = _inferred_dtype([start, step] if end is None else [start, end, step])
    return Tensor(np.arange(start, end, step, dtype=dtype), requires_grad=requires_grad)


def linspace(
    start: float, end: float, steps: int, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    """``steps`` evenly spaced values from start to end, both included; float32 (as torch.linspace)."""
    check_device(device)
    return Tensor(np.linspace(start, end, steps, dtype=_float_or(dtype)), requires_grad=requires_grad)


def logspace(
    start: float,
    end: float,
    steps: int,
    base: float = 10.0,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """base ** linspace(start, end, steps), float32 (as torch.logspace)."""
    check_device(device)
    return Tensor(np.logspace(start, end, steps, base=base, dtype=_float_or(dtype)), requires_grad=requires_grad)


def eye(n: int, m: int | None = None, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """The identity matrix, n × n (or n × m)."""
    check_device(device)
    return Tensor(np.eye(n, m, dtype=_float_or(dtype)), requires_grad=requires_grad)
