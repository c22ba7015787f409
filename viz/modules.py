"""Which tensors did each nn.Module make? Recorded by running the forward pass inside a tracer.

    with viz.trace_modules(model) as trace:
        loss = cross_entropy(model(x), y)
    viz.draw_graph(loss, modules=trace)          # each layer drawn as one box

``trace_modules`` temporarily sets an instance attribute ``forward`` on every submodule (it
shadows the class's method, so ``module(x)`` runs the wrapper) that notes the call's input
and output tensors; on exit the attributes are removed again. Nothing in the engine changes.
A module *owns* the tensors between its inputs and its outputs, plus its own parameters.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from tinygrad_edu import Tensor


@dataclass
class ModuleCall:
    """One call of one module during the traced forward pass.

    name      the module's dotted name in the model ("0", "encoder.fc1")
    module    the module itself
    inputs    the tensors passed in (positional and keyword, found in lists and tuples too)
    outputs   the tensors it returned
    started   counter value when the call began; ``finished`` when it returned (nested calls
              lie inside their parent's interval)
    """

    name: str
    module: Any
    inputs: list[Tensor]
    outputs: list[Tensor] = field(default_factory=list)
    started: int = 0
    finished: int = 0

    @property
    def title(self) -> str:
        """'0: Linear' (the name in the model, then the class)."""
        kind = type(self.module).__name__
        return f"{self.name}: {kind}" if self.name else kind

    def parameter_summary(self) -> list[str]:
        """'weight (128, 784)', one line per Tensor attribute of the module."""
        lines = []
        for attribute, value in vars(self.module).items():
            if isinstance(value, Tensor) and value.requires_grad:
                lines.append(f"{attribute} {value.shape}")
        return lines


class ModuleTrace:
    """The record made by ``trace_modules``: the calls, and which tensors each call owns."""

    def __init__(self) -> None:
        self.calls: list[ModuleCall] = []
        self._counter = 0

    def _tick(self) -> int:
        self._counter += 1
        return self._counter

    def owners(self) -> dict[int, ModuleCall]:
        """Map id(tensor) -> the outermost call that made it (or owns it as a parameter).

        Calls are processed in the order they finished (inner before outer), so an outer
        module's claim replaces its submodules' claims. Walking back from a call's outputs
        stops at the call's inputs and at tensors that an earlier call already owned.
        """
        owner: dict[int, ModuleCall] = {}
        for call in sorted(self.calls, key=lambda c: c.finished):
            input_ids = {id(tensor) for tensor in call.inputs}
            stack = list(call.outputs)
            seen: set[int] = set()
            while stack:
                tensor = stack.pop()
                key = id(tensor)
                if key in seen or key in input_ids:
                    continue
                seen.add(key)
                previous = owner.get(key)
                if previous is not None and previous.finished < call.started:
                    continue  # made before this call began: not ours
                owner[key] = call
                if tensor.grad_fn is not None:
                    stack.extend(tensor.grad_fn.parents)
        return owner


def named_submodules(model: Any) -> list[tuple[str, Any]]:
    """(dotted name, module) for every submodule of ``model`` (not ``model`` itself).

    Uses ``named_modules()`` when the model has it (tinygrad_edu.nn.Module); otherwise walks
    ``vars(module)`` for module-like values (anything with a ``forward`` method) and lists or
    tuples of them.
    """
    if hasattr(model, "named_modules"):
        return [(name, module) for name, module in model.named_modules() if module is not model]
    found: list[tuple[str, Any]] = []
    seen: set[int] = {id(model)}
    stack: list[tuple[str, Any]] = [("", model)]
    while stack:
        prefix, module = stack.pop()
        children: list[tuple[str, Any]] = []
        for attribute, value in vars(module).items():
            candidates = list(enumerate(value)) if isinstance(value, (list, tuple)) else [(None, value)]
            for index, candidate in candidates:
                if _is_module_like(candidate) and id(candidate) not in seen:
                    name = attribute if index is None else f"{attribute}.{index}"
                    children.append((f"{prefix}.{name}" if prefix else name, candidate))
                    seen.add(id(candidate))
        found.extend(children)
        stack.extend(reversed(children))
    return found


def _is_module_like(value: Any) -> bool:
    return not isinstance(value, (Tensor, type)) and callable(getattr(type(value), "forward", None))


def _tensors_in(values: Any) -> list[Tensor]:
    """The Tensors in an argument list (looking one level into lists, tuples and dicts)."""
    found = []
    for value in values:
        if isinstance(value, Tensor):
            found.append(value)
        elif isinstance(value, (list, tuple)):
            found.extend(item for item in value if isinstance(item, Tensor))
        elif isinstance(value, dict):
            found.extend(item for item in value.values() if isinstance(item, Tensor))
    return found


@contextlib.contextmanager
def trace_modules(model: Any) -> Iterator[ModuleTrace]:
    """Record which tensors each submodule of ``model`` makes while the ``with`` block runs.

    A model without submodules (a single Linear, say) is traced itself. The wrappers are
    removed on exit, even after an error.
    """
    trace = ModuleTrace()
    targets = named_submodules(model)
    if not targets:
        targets = [("", model)]
    wrapped: list[tuple[Any, bool, Any]] = []  # (module, had an instance forward?, its old value)
    try:
        for name, module in targets:
            had_own = "forward" in vars(module)
            wrapped.append((module, had_own, vars(module).get("forward")))
            object.__setattr__(module, "forward", _recording_forward(trace, name, module, module.forward))
        yield trace
    finally:
        for module, had_own, old in reversed(wrapped):
            if had_own:
                object.__setattr__(module, "forward", old)
            else:
                object.__delattr__(module, "forward")


def _recording_forward(trace: ModuleTrace, name: str, module: Any, forward: Any) -> Any:
    def recording_forward(*args: Any, **kwargs: Any) -> Any:
        call = ModuleCall(name, module, _tensors_in(list(args) + list(kwargs.values())))
        call.started = trace._tick()
        result = forward(*args, **kwargs)
        call.finished = trace._tick()
        call.outputs = _tensors_in([result])
        trace.calls.append(call)
        return result

    return recording_forward
