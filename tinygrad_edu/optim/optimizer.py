"""Optimizer: the base class of SGD, Adam, AdamW, RMSprop and Adagrad (PyTorch's design, NumPy's arithmetic).

    optimizer = tg.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    for x, y in batches:
        optimizer.zero_grad()                # grads to None
        loss = F.cross_entropy(model(x), y)
        loss.backward()                      # fills every parameter's .grad
        optimizer.step()                     # updates parameter.data in place

``param_groups`` is a list of dicts, each with its "params" and hyperparameters ("lr", ...),
as in PyTorch, so a learning-rate scheduler changes ``group["lr"]`` between steps.
``state`` holds the per-parameter buffers (momentum, Adam's moments, step counts).

A step is arithmetic on arrays, not a graph: it writes into the parameter's array
(``param._data``, the plain array that ``param.data`` shows) and into its own state buffers
with in-place NumPy operations (``out=``), and never into a gradient (gradients may be shared
between tensors). Each step counts as a change of the parameter, as assigning ``.data`` does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from ..core.grad_mode import enable_grad
from ..core.tensor import Tensor
from ..io.serialization import unflatten
from ..nn.module import zero_grad_of


class Optimizer:
    """Holds parameter groups and per-parameter state; subclasses write ``step``."""

    def __init__(self, params: Iterable[Tensor] | Iterable[dict[str, Any]], defaults: dict[str, Any]):
        self.defaults = dict(defaults)
        self.param_groups: list[dict[str, Any]] = []
        self.state: dict[int, dict[str, Any]] = {}  # id(parameter) -> its buffers
        self._scratch: dict[int, np.ndarray] = {}  # id(parameter) -> work space, reused every step
        params_list: list[Any] = list(params)
        if not params_list:
            raise ValueError(
                f"{type(self).__name__} got an empty list of parameters; pass model.parameters() "
                "(a generator can be used only once: do not reuse one)"
            )
        groups = params_list if isinstance(params_list[0], dict) else [{"params": params_list}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, group: dict[str, Any]) -> None:
        """Add parameters with their own hyperparameters; missing ones come from the defaults."""
        params = group["params"]
        params = [params] if isinstance(params, Tensor) else list(params)
        already = {id(p) for existing in self.param_groups for p in existing["params"]}
        for index, param in enumerate(params):
            if not isinstance(param, Tensor):
                raise TypeError(f"{type(self).__name__}: parameter {index} is a {type(param).__name__}, not a Tensor")
            if not param.requires_grad or not param.is_leaf:
                raise ValueError(
                    f"{type(self).__name__}: parameter {index} (shape {param.shape}) must be a leaf Tensor with "
                    "requires_grad=True, e.g. an nn.Parameter"
                )
            if id(param) in already:
                raise ValueError(f"{type(self).__name__}: parameter {index} (shape {param.shape}) appears twice")
            already.add(id(param))
        self.param_groups.append({**self.defaults, **group, "params": params})

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget every parameter's gradient before the next backward(): ``.grad = None`` (the
        default, as in PyTorch) or, with set_to_none=False, a tensor of zeros of the parameter's shape."""
        for group in self.param_groups:
            for param in group["params"]:
                zero_grad_of(param, set_to_none)

    def step(self, closure: Callable[[], Tensor] | None = None) -> Tensor | None:
        """Update every parameter that has a gradient. ``closure`` (optional) recomputes the loss."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            for param in group["params"]:
                grad = param.grad
                if grad is not None:
                    self.update(param, grad._data, self.state.setdefault(id(param), {}), group)
                    param._version += 1  # update() wrote into param._data: a change, as `param.data = ...`
        return loss

    def update(self, param: Tensor, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> None:
        """Apply one step of the rule to one parameter; subclasses write it."""
        raise NotImplementedError(f"{type(self).__name__} must define update(param, grad, state, group)")

    def scratch(self, param: Tensor, grad: np.ndarray) -> np.ndarray:
        """A work array for ``param``'s step, allocated once and reused (saves a copy per step).

        It is laid out in memory like the gradient, which may be a transposed view (Linear's
        weight gradient is): NumPy runs several times faster when all operands of an
        operation share one memory order, so state buffers follow the gradient's layout too.
        """
        buffer = self._scratch.get(id(param))
        if buffer is None or buffer.strides != grad.strides or buffer.dtype != param.dtype:
            buffer = self._scratch[id(param)] = np.empty_like(grad, dtype=param.dtype)
        return buffer

    # ----- saving and resuming -----------------------------------------------------------------

    def _params_in_order(self) -> list[Tensor]:
        return [param for group in self.param_groups for param in group["params"]]

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to resume exactly, as arrays, numbers and dicts (``tg.save`` can store it).

        {"state": {index: {"step": 3, "exp_avg": array, ...}},
         "param_groups": {group index: {"lr": 0.001, "betas": array([0.9, 0.999]), ...,
                                        "params": array([parameter indices])}}}
        Parameters are numbered 0, 1, ... across the groups, in order, as in PyTorch.
        """
        indices = {id(param): index for index, param in enumerate(self._params_in_order())}
        state = {}
        for param_id, buffers in self.state.items():
            if buffers:
                state[indices[param_id]] = {name: _copy(value) for name, value in buffers.items()}
        groups = {}
        for number, group in enumerate(self.param_groups):
            saved = {key: _copy(value) for key, value in group.items() if key != "params"}
            saved["params"] = np.array([indices[id(param)] for param in group["params"]], dtype=np.int64)
            groups[number] = saved
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore hyperparameters and buffers saved by ``state_dict`` (also after tg.save/tg.load).

        The optimizer must have been built over the same parameters, in the same order.
        """
        if any("." in str(key) for key in state_dict):
            state_dict = unflatten(state_dict)  # a flat dict from tg.load(path)
        saved_groups = _by_index(state_dict.get("param_groups", {}))
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"{type(self).__name__}.load_state_dict: the saved state has {len(saved_groups)} parameter "
                f"group(s), this optimizer has {len(self.param_groups)}; build it the same way as the saved one"
            )
        for number, (group, saved) in enumerate(zip(self.param_groups, saved_groups)):
            if len(np.atleast_1d(saved["params"])) != len(group["params"]):
                raise ValueError(
                    f"{type(self).__name__}.load_state_dict: parameter group {number} has "
                    f"{len(group['params'])} parameters but the saved one has {len(np.atleast_1d(saved['params']))}"
                )
        params = self._params_in_order()
        saved_state = _by_index(state_dict.get("state", {}), length=len(params))
        new_state: dict[int, dict[str, Any]] = {}
        for index, buffers in enumerate(saved_state):
            if not buffers:
                continue
            param = params[index]
            restored = {}
            for name, value in buffers.items():
                if isinstance(value, np.ndarray) and value.ndim > 0:
                    if value.shape != param.shape:
                        raise ValueError(
                            f"{type(self).__name__}.load_state_dict: state {name!r} of parameter {index} has "
                            f"shape {value.shape}, the parameter has shape {param.shape}"
                        )
                    restored[name] = value.astype(param.dtype, copy=True)
                else:
                    restored[name] = _python_value(value)
            new_state[id(param)] = restored
        for group, saved in zip(self.param_groups, saved_groups):
            for key, value in saved.items():
                if key != "params":
                    group[key] = _python_value(value)
        self.state = new_state


def _copy(value: Any) -> Any:
    """Arrays are copied (later steps must not change a saved state); tuples become arrays."""
    if isinstance(value, np.ndarray):
        return np.array(value, copy=True)  # keeps the memory order, unlike value.copy()
    if isinstance(value, tuple):
        return np.array(value, dtype=np.float64)
    return value


def _python_value(value: Any) -> Any:
    """Undo what saving did: 0-d arrays to numbers, 1-d arrays (betas) to tuples."""
    if isinstance(value, (np.ndarray, np.generic)):
        return value.item() if np.ndim(value) == 0 else tuple(value.tolist())
    return value


def _by_index(saved: Mapping[Any, Any], length: int | None = None) -> list[Any]:
    """A dict keyed 0, 1, ... (or "0", "1", ... after tg.load) as a list; gaps are empty dicts."""
    by_number = {int(key): value for key, value in saved.items()}
    size = length if length is not None else len(by_number)
    if any(number >= size or number < 0 for number in by_number):
        raise ValueError(f"saved optimizer state refers to parameter indices {sorted(by_number)}, but there are {size}")
    return [by_number.get(number, {}) for number in range(size)]
