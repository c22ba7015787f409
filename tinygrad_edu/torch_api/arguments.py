"""Reading arguments written the NumPy way or the PyTorch way.

The same reduction can be asked for as ``x.sum(axis=1, keepdims=True)`` (NumPy) or
``x.sum(dim=1, keepdim=True)`` (PyTorch), a shape as ``zeros(2, 3)`` or ``zeros((2, 3))``, a
device as "cpu". The helpers here turn each into the one form the ops take, and refuse what
cannot be meant (both spellings at once, a device this project does not have) with an error
that says what to write instead.
"""

from __future__ import annotations

from typing import Any

Axis = int | tuple[int, ...] | None
Flag = bool | None  # keepdims= / keepdim= (None: not given)


def axis_or_dim(function: str, axis: Any, dim: Any, names: tuple[str, str] = ("axis", "dim")) -> Any:
    """The axis from NumPy's axis= or PyTorch's dim= (a list of dims becomes a tuple)."""
    if axis is not None and dim is not None:
        numpy_name, pytorch_name = names
        raise TypeError(
            f"{function}: got both {numpy_name}={axis!r} and {pytorch_name}={dim!r}; give one "
            f"({numpy_name}= is NumPy's name, {pytorch_name}= PyTorch's)"
        )
    chosen = dim if dim is not None else axis
    return tuple(chosen) if isinstance(chosen, list) else chosen


def keepdims_or_keepdim(function: str, keepdims: bool | None, keepdim: bool | None) -> bool:
    """NumPy's keepdims= or PyTorch's keepdim= (False when neither is given)."""
    if keepdims is not None and keepdim is not None:
        raise TypeError(
            f"{function}: got both keepdims={keepdims!r} and keepdim={keepdim!r}; give one "
            "(keepdims= is NumPy's name, keepdim= PyTorch's)"
        )
    return bool(keepdims or keepdim)


def _shape_argument(shape: tuple[Any, ...]) -> tuple[int, ...]:
    """Accept both f(2, 3) and f((2, 3)) for a shape."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


def check_device(device: Any) -> None:
    """Accept the CPU ("cpu", "cpu:0", tg.device("cpu"), None); refuse any other device in one line."""
    if device is None:
        return
    name = str(device)
    if name.split(":")[0] != "cpu":
        raise RuntimeError(
            f"device {name!r}: tinygrad_edu computes with NumPy on the CPU and has no {name} device; "
            "leave .cuda() / .to(device) out, or write device='cpu'"
        )


class device(str):  # noqa: N801  (PyTorch's name)
    """``tg.device("cpu")``: the device's name, a str, with torch.device's ``.type``.
    Any device but the CPU is refused (check_device)."""

    def __new__(cls, type: str, index: int | None = None) -> device:
        name = str(type) if index is None else f"{type}:{index}"
        check_device(name)
        return super().__new__(cls, name)

    @property
    def type(self) -> str:
        return self.split(":")[0]
