"""Teaching mode: warnings for the mistakes everyone makes once.

Off by default (the checks cost time); turn it on for a block, a function, from here on,
or a whole run:

    with tg.teaching_mode():          # inside the block only
        ...

    @tg.teaching_mode()               # while the function runs
    def train(): ...

    tg.teaching_mode()                # a bare call (a notebook cell): on from here on;
    tg.teaching_mode(False)           # and off again

    TINYGRAD_EDU_TEACHING=1 python my_script.py

It warns (TeachingWarning) when
  - backward() adds to a .grad left over from an earlier backward() (forgot zero_grad?);
  - the .grad of a non-leaf tensor is read (backward keeps only leaves' gradients);
  - an array saved for backward was changed in place between forward and backward;
and gradcheck warns about float32 inputs in any mode.
"""

from __future__ import annotations

import contextlib
import os
import sys
import warnings
import weakref
import zlib
from collections.abc import Callable, MutableMapping
from types import FrameType
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from ..core import hooks
from ..errors import TeachingWarning
from .anomaly import PACKAGE_DIR, user_source_line

if TYPE_CHECKING:
    from ..core.tensor import Context, Tensor


class _Teaching(hooks.Tool):
    """The warnings, at the engine's hooks (core/hooks.py). The checksums of each op's arrays
    are kept here, by the tool, not on the op's Context."""

    def __init__(self) -> None:
        self.fingerprints: weakref.WeakKeyDictionary[Context, tuple[int, ...]] = weakref.WeakKeyDictionary()

    def after_forward(self, ctx: Context, arrays: Any, out: Any) -> None:
        remember_saved(ctx, self.fingerprints)

    def before_backward(self, ctx: Context) -> None:
        check_saved_unchanged(ctx, self.fingerprints)

    def grad_accumulates(self, tensor: Tensor) -> None:
        warn_grad_accumulates(tensor)

    def missing_grad_read(self, tensor: Tensor) -> None:
        warn_non_leaf_grad(tensor)


_TEACHING = _Teaching()


def _switch(mode: bool) -> None:
    """Put the tool on the engine's hooks, or take it off."""
    if mode and _TEACHING not in hooks.active:
        hooks.active.append(_TEACHING)
    elif not mode and _TEACHING in hooks.active:
        hooks.active.remove(_TEACHING)


_F = TypeVar("_F", bound=Callable[..., Any])

_enabled = os.environ.get("TINYGRAD_EDU_TEACHING", "") not in ("", "0")
_switch(_enabled)


class teaching_mode(contextlib.ContextDecorator):
    """Turn teaching warnings on (or off, with ``teaching_mode(False)``).

    Like ``torch.set_grad_enabled``: the call itself switches the mode, so a bare
    ``tg.teaching_mode()`` leaves it on; used in a ``with`` block the mode before the call
    comes back at the end of the block, and used as a decorator the mode is switched only
    while the decorated function runs.
    """

    def __init__(self, mode: bool = True):
        global _enabled
        self.mode = bool(mode)
        self._before_call = _enabled
        self._fresh = True  # made but not entered yet: the mode before the call is _before_call
        self._previous: list[bool] = []
        _enabled = self.mode
        _switch(_enabled)

    def __call__(self, function: _F) -> _F:
        global _enabled
        if self._fresh:  # a decorator: switch only while the function runs
            _enabled, self._fresh = self._before_call, False
            _switch(_enabled)
        return super().__call__(function)

    def __enter__(self) -> None:
        global _enabled
        self._previous.append(self._before_call if self._fresh else _enabled)
        self._fresh = False
        _enabled = self.mode
        _switch(_enabled)

    def __exit__(self, *exc_info: object) -> None:
        global _enabled
        _enabled = self._previous.pop()
        _switch(_enabled)


def _warn(message: str) -> None:
    """Warn, attributing the warning to the user's line (the first frame outside this package)."""
    level = 2  # stacklevel 2 is our caller
    frame: FrameType | None = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(PACKAGE_DIR):
        level, frame = level + 1, frame.f_back
    warnings.warn(message, TeachingWarning, stacklevel=level)


def _describe(tensor: Tensor) -> str:
    if tensor.name:
        return repr(tensor.name)
    if tensor.grad_fn is not None:
        return f"the output of {tensor.grad_fn.name}"
    return f"a leaf of shape {tensor.shape}"


def warn_grad_accumulates(tensor: Tensor) -> None:
    _warn(
        f"{_describe(tensor)} already had a .grad from an earlier backward(); the new gradient was "
        "added to it. If that is not what you want, zero the gradients between steps: "
        "optimizer.zero_grad(), model.zero_grad() or x.grad = None."
    )


def warn_non_leaf_grad(tensor: Tensor) -> None:
    _warn(
        f"reading .grad of {_describe(tensor)}, which is not a leaf: backward() keeps only the "
        "gradients of leaves, so it is None. Call t.retain_grad() before backward() to keep it, "
        "or ask for it directly with tg.grad(loss, t)."
    )


def fingerprint(arrays: tuple[np.ndarray, ...]) -> tuple[int, ...]:
    """A checksum of each array's bytes, to notice later in-place changes."""
    return tuple(zlib.crc32(np.ascontiguousarray(array).view(np.uint8).data) for array in arrays)


def remember_saved(ctx: Context, fingerprints: MutableMapping[Context, tuple[int, ...]]) -> None:
    """At forward: note where the op was made and what its inputs and saved arrays held."""
    ctx.created_at = ctx.created_at or user_source_line()
    fingerprints[ctx] = fingerprint(tuple(ctx._input_arrays) + tuple(ctx._saved or ()))


def check_saved_unchanged(ctx: Context, fingerprints: MutableMapping[Context, tuple[int, ...]]) -> None:
    """At backward: warn if an input or saved array of this op was modified in place."""
    before = fingerprints.get(ctx)
    if before is None or ctx._saved is None:
        return
    if fingerprint(tuple(ctx._input_arrays) + tuple(ctx._saved)) != before:
        _warn(
            f"an array used by {ctx.name} (created at {ctx.created_at}) was modified in place after "
            "the forward pass, so its gradient is computed from the new values and is wrong. "
            "Don't write into .data of a tensor that is part of a graph before backward(); "
            "work on a copy (x.data.copy()) or change it after backward()."
        )
