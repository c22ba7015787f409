"""Where the debugging and teaching tools join the engine: five named points.

The engine calls a hook only while some tool is on (``active`` is not empty), so a run without
tools pays one truth test per op. A tool (``detect_anomaly()`` in debug/anomaly.py,
``teaching_mode()`` in debug/teaching.py) is an object with these methods; it adds itself to
``active`` when it starts and removes itself when it ends. The tools keep their own state.

    after_forward(ctx, arrays, out)     Function.apply, after the op's forward (always recorded
                                        while a tool is on: the tools need the Context)
    before_backward(ctx)                the backward walk, before the op's backward runs
    after_backward(ctx, grad_output, grads)
                                        the walk, after it: the gradients it returned, one per input
    grad_accumulates(tensor)            a gradient is added to a ``.grad`` already there
    missing_grad_read(tensor)           ``.grad`` of a non-leaf is read, and is None

A leaf module: it imports nothing from the package.
"""

from __future__ import annotations

from typing import Any

active: list[Any] = []  # the tools switched on, innermost last


def after_forward(ctx: Any, arrays: Any, out: Any) -> None:
    for tool in active:
        tool.after_forward(ctx, arrays, out)


def before_backward(ctx: Any) -> None:
    for tool in active:
        tool.before_backward(ctx)


def after_backward(ctx: Any, grad_output: Any, grads: Any) -> None:
    for tool in active:
        tool.after_backward(ctx, grad_output, grads)


def grad_accumulates(tensor: Any) -> None:
    for tool in active:
        tool.grad_accumulates(tensor)


def missing_grad_read(tensor: Any) -> None:
    for tool in active:
        tool.missing_grad_read(tensor)


class Tool:
    """What a tool may do at each point: nothing, unless it says otherwise."""

    def after_forward(self, ctx: Any, arrays: Any, out: Any) -> None:
        pass

    def before_backward(self, ctx: Any) -> None:
        pass

    def after_backward(self, ctx: Any, grad_output: Any, grads: Any) -> None:
        pass

    def grad_accumulates(self, tensor: Any) -> None:
        pass

    def missing_grad_read(self, tensor: Any) -> None:
        pass
