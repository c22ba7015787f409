"""Grad mode: is the graph being recorded? One flag, read by ``Function.apply``.

A leaf module: it imports nothing from the package, so every other module may import it.
"""

from __future__ import annotations

import contextlib

_grad_enabled = True


def is_grad_enabled() -> bool:
    return _grad_enabled


class set_grad_enabled(contextlib.ContextDecorator):
    """Turn graph recording on or off inside a ``with`` block or a decorated function."""

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


class no_grad(set_grad_enabled):
    """Record no graph: for evaluation, optimizer steps and first-order backward.

    with tg.no_grad():
        prediction = model(x)

    @tg.no_grad()
    def evaluate(model, x): ...
    """

    def __init__(self) -> None:
        super().__init__(False)


class enable_grad(set_grad_enabled):
    """Record the graph again, even inside ``no_grad``."""

    def __init__(self) -> None:
        super().__init__(True)
