"""Grad mode: is the graph being recorded? One flag, read by ``Function.apply``.

A leaf module: it imports nothing from the package, so every other module may import it.
"""

from __future__ import annotations

import contextlib
from typing import Any

_grad_enabled = True


def is_grad_enabled() -> bool:
    return _grad_enabled


class _GradMode(contextlib.ContextDecorator):
    """Graph recording set to ``mode`` inside a ``with`` block or a decorated function."""

    def __init__(self, mode: bool):
        self.mode = mode
        self._previous: list[bool] = []

    def __enter__(self) -> None:
        global _grad_enabled
        self._previous.append(_grad_enabled)
        _grad_enabled = self.mode

    def __exit__(self, *exc_info: object) -> None:
        global _grad_enabled
        _grad_enabled = self._previous.pop()


class set_grad_enabled(_GradMode):
    """Turn graph recording on or off: at once when called (``tg.set_grad_enabled(False)`` as a
    statement, as in PyTorch), or inside a ``with`` block or a decorated function only."""

    def __init__(self, mode: bool):
        global _grad_enabled
        super().__init__(mode)
        self._before_call: bool | None = _grad_enabled  # what a `with` block right after restores
        _grad_enabled = mode

    def __call__(self, function: Any) -> Any:
        """As a decorator: undo the call's effect; the mode holds only while the function runs."""
        global _grad_enabled
        if self._before_call is not None:
            _grad_enabled, self._before_call = self._before_call, None
        return super().__call__(function)

    def __enter__(self) -> None:
        global _grad_enabled
        if self._before_call is not None:  # the call already set the mode: remember the one before
            self._previous.append(self._before_call)
            self._before_call = None
            _grad_enabled = self.mode
            return
        super().__enter__()


class no_grad(_GradMode):
    """Record no graph: for evaluation, optimizer steps and first-order backward.

    with tg.no_grad():
        prediction = model(x)

    @tg.no_grad()
    def evaluate(model, x): ...
    """

    def __init__(self) -> None:
        super().__init__(False)


class enable_grad(_GradMode):
    """Record the graph again, even inside ``no_grad``."""

    def __init__(self) -> None:
        super().__init__(True)
