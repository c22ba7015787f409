"""Anomaly mode: find the op that first made a NaN or an infinity.

A tool on the engine's hooks (core/hooks.py): after each forward it records where the op was
created and checks the output; after each backward it checks the gradients.
"""

from __future__ import annotations

import contextlib
import linecache
import sys
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import Any

import numpy as np

from ..core import hooks
from ..errors import AnomalyError

PACKAGE_DIR = str(Path(__file__).resolve().parent.parent)  # tinygrad_edu/: frames inside it are not the user's


def user_source_line() -> str:
    """'file:line: code' of the innermost frame outside this package (the user's line)."""
    frame: FrameType | None = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(PACKAGE_DIR):
        frame = frame.f_back
    if frame is None:
        return "<unknown>"
    filename, lineno = frame.f_code.co_filename, frame.f_lineno
    code = linecache.getline(filename, lineno).strip()
    return f"{filename}:{lineno}: {code}"


def _all_finite(array: Any) -> bool:
    array = np.asarray(getattr(array, "_data", array))
    return not np.issubdtype(array.dtype, np.inexact) or bool(np.isfinite(array).all())


class _Anomaly(hooks.Tool):
    """The checks, at the engine's hooks."""

    def __init__(self) -> None:
        self.backward_depth = 0  # > 0 while an op's backward formula runs

    def after_forward(self, ctx: Any, arrays: Sequence[np.ndarray], out: np.ndarray) -> None:
        """Remember where the op was created; raise if it made NaN/inf from finite inputs.

        Ops run by a backward formula are not checked here: the check after that backward
        names the op being differentiated, which is the one the user wrote.
        """
        ctx.created_at = user_source_line()
        if self.backward_depth:
            return
        if all(_all_finite(a) for a in arrays) and not _all_finite(out):
            raise AnomalyError(
                f"{ctx.name} produced NaN/inf in forward from finite inputs; "
                f"created at {ctx.created_at}. Check the values reaching this op "
                "(log of 0? division by 0? exp of a large number?)."
            )

    def before_backward(self, ctx: Any) -> None:
        self.backward_depth += 1

    def after_backward(self, ctx: Any, grad_output: Any, grads: Sequence[Any]) -> None:
        self.backward_depth -= 1
        if not _all_finite(grad_output):
            return  # not made here: the op that made it was reported, or it came from the caller
        for index, grad in enumerate(grads):
            if grad is not None and not _all_finite(grad):
                raise AnomalyError(
                    f"{ctx.name}.backward produced NaN/inf in the gradient of input {index} "
                    f"from a finite grad_output; the op was created at {ctx.created_at}."
                )


_ANOMALY = _Anomaly()


class detect_anomaly(contextlib.ContextDecorator):
    """Raise AnomalyError as soon as an op makes NaN/inf, in forward or in backward.

    The error names the op and the line of *your* code that created it. Slow: it checks
    every array, so use it to debug, not to train.
    """

    def __enter__(self) -> None:
        if _ANOMALY not in hooks.active:
            _ANOMALY.backward_depth = 0
        hooks.active.append(_ANOMALY)

    def __exit__(self, *exc_info: object) -> None:
        hooks.active.remove(_ANOMALY)
