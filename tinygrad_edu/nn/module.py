"""Module: a model made of parameters and smaller modules; Sequential: modules in a row;
ModuleList: a list of modules whose parameters are registered.

    class MLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = nn.Linear(784, 128)      # assigning registers it, in this order
            self.fc2 = nn.Linear(128, 10)

        def forward(self, x):
            return self.fc2(self.fc1(x).relu())

    model = MLP()
    [name for name, _ in model.named_parameters()]  # ['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']

Parameters and submodules are found by *attribute assignment* (``__setattr__`` records the
name), in definition order, and stay ordinary attributes: a typo such as ``model.fc3`` is an
AttributeError, never a silent None. Names and state-dict keys follow PyTorch, so a
``state_dict()`` from here has the same keys and shapes as the equivalent torch model.

*Buffers* are tensors a module keeps that are not learned by gradient descent, such as
BatchNorm's running mean: ``self.register_buffer("running_mean", tg.zeros(C))``. They are in
``state_dict()`` (after each module's parameters, as in PyTorch) but not in ``parameters()``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import numpy as np

from ..core.tensor import Tensor
from ..io.serialization import flatten
from ..torch_api.arguments import check_device


class Parameter(Tensor):
    """A Tensor that is a learnable parameter of a Module: a leaf with requires_grad=True.

    Assigning one to a Module attribute registers it (``self.weight = Parameter(...)``).
    NumPy arrays keep their dtype; lists and numbers become float32, as for Tensor.
    """

    __slots__ = ()

    def __init__(self, data: Any, requires_grad: bool = True, dtype: Any = None, name: str | None = None):
        super().__init__(data, requires_grad=requires_grad, dtype=dtype, name=name)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


class StateDictError(RuntimeError):
    """load_state_dict() was given keys or shapes that do not fit the module."""


class Module:
    """Base class of every layer and model. Subclass it, assign parameters and submodules in
    ``__init__`` (after ``super().__init__()``), and write ``forward``; call the module itself.

    training   True after train() (the default), False after eval(); Dropout reads it
    """

    # Set in __init__ (through object.__setattr__); declared here for type checkers.
    _parameters: dict[str, Parameter]
    _buffers: dict[str, Tensor | None]
    _non_persistent_buffers: set[str]
    _modules: dict[str, Module]
    training: bool

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_buffers", {})
        object.__setattr__(self, "_non_persistent_buffers", set())
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "training", True)

    # ----- registration by attribute assignment ------------------------------------------------

    def __setattr__(self, name: str, value: Any) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(
                f"cannot assign {name!r} before Module.__init__() ran: call super().__init__() "
                f"first in {type(self).__name__}.__init__"
            )
        if name in self._buffers and not isinstance(value, (Parameter, Module)):
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(
                    f"cannot assign a {type(value).__name__} to buffer {name!r} of {type(self).__name__}: "
                    "a buffer holds a Tensor (or None)"
                )
            self._buffers[name] = value
            object.__setattr__(self, name, value)
            return
        self._parameters.pop(name, None)
        self._buffers.pop(name, None)
        self._modules.pop(name, None)
        if isinstance(value, Parameter):
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._modules[name] = value
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        self._parameters.pop(name, None)
        self._buffers.pop(name, None)
        self._modules.pop(name, None)
        object.__delattr__(self, name)

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Keep ``tensor`` as ``self.<name>``: saved in state_dict() (unless persistent=False), cast
        by .to(dtype), but not a parameter (no gradient, not in parameters())."""
        if "_buffers" not in self.__dict__:
            raise AttributeError(f"cannot register buffer {name!r} before Module.__init__() ran")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"register_buffer({name!r}): expected a Tensor or None, got a {type(tensor).__name__}")
        if name in self._parameters or name in self._modules:
            raise KeyError(
                f"register_buffer({name!r}): {type(self).__name__} already has a parameter or module {name!r}"
            )
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers.discard(name)
        else:
            self._non_persistent_buffers.add(name)
        object.__setattr__(self, name, tensor)

    # ----- running -----------------------------------------------------------------------------

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define forward(self, ...), the computation it performs")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    def train(self, mode: bool = True) -> Module:
        """Switch this module and all submodules to training mode (or evaluation if mode=False)."""
        for module in self.modules():
            object.__setattr__(module, "training", mode)
        return self

    def eval(self) -> Module:
        """Switch to evaluation mode: Dropout passes its input through unchanged."""
        return self.train(False)

    # ----- walking the tree ----------------------------------------------------------------------

    def named_children(self) -> Iterator[tuple[str, Module]]:
        yield from self._modules.items()

    def children(self) -> Iterator[Module]:
        for _, module in self.named_children():
            yield module

    def named_modules(self, prefix: str = "", memo: set[int] | None = None) -> Iterator[tuple[str, Module]]:
        """This module and every submodule, depth first, with dotted names ("" for self).

        A module reached twice (shared by two parents) is listed once, as in PyTorch.
        """
        memo = set() if memo is None else memo
        if id(self) in memo:
            return
        memo.add(id(self))
        yield prefix, self
        for name, module in self._modules.items():
            yield from module.named_modules(f"{prefix}.{name}" if prefix else name, memo)

    def modules(self) -> Iterator[Module]:
        for _, module in self.named_modules():
            yield module

    def named_parameters(self, prefix: str = "", recurse: bool = True) -> Iterator[tuple[str, Parameter]]:
        """(name, parameter) pairs with PyTorch's dotted names ("0.weight", "fc1.bias").

        Each parameter appears once, even if it is shared by several modules.
        """
        seen: set[int] = set()
        modules = self.named_modules(prefix) if recurse else iter([(prefix, self)])
        for module_name, module in modules:
            for name, parameter in module._parameters.items():
                if id(parameter) in seen:
                    continue
                seen.add(id(parameter))
                yield (f"{module_name}.{name}" if module_name else name), parameter

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, parameter in self.named_parameters(recurse=recurse):
            yield parameter

    def named_buffers(self, prefix: str = "", recurse: bool = True) -> Iterator[tuple[str, Tensor]]:
        """(name, buffer) pairs with dotted names ("0.running_mean"); buffers set to None are skipped."""
        modules = self.named_modules(prefix) if recurse else iter([(prefix, self)])
        for module_name, module in modules:
            for name, buffer in module._buffers.items():
                if buffer is not None:
                    yield (f"{module_name}.{name}" if module_name else name), buffer

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget every parameter's gradient before the next backward(): ``.grad`` becomes None (the
        default, as in PyTorch) or, with set_to_none=False, a tensor of zeros of the parameter's shape."""
        for parameter in self.parameters():
            zero_grad_of(parameter, set_to_none)

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call ``fn`` on every submodule, then on this module (children first, as PyTorch);
        e.g. ``model.apply(init_weights)``. Returns self."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    # ----- PyTorch's conversions: dtype in place, and the one device there is ---------------------

    def to(self, *args: Any, dtype: Any = None) -> Module:
        """``model.to(np.float64)`` casts every parameter in place; ``model.to("cpu")`` does nothing."""
        for arg in args:
            if isinstance(arg, str) and arg.split(":")[0] in ("cpu", "cuda", "mps"):
                check_device(arg)
            else:
                dtype = arg
        if dtype is not None:
            for parameter in self.parameters():
                parameter.data = parameter._data.astype(dtype)
                parameter.grad = None
            for buffer in self.buffers():
                if buffer.dtype.kind == "f":  # as PyTorch: counters such as num_batches_tracked stay integers
                    buffer.data = buffer._data.astype(dtype)
        return self

    def float(self) -> Module:
        return self.to(np.float32)

    def double(self) -> Module:
        return self.to(np.float64)

    def cpu(self) -> Module:
        return self

    def cuda(self, *args: Any, **kwargs: Any) -> Module:
        return self.to("cuda")

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Switch gradient tracking of every parameter (False freezes the module); returns self."""
        for parameter in self.parameters():
            parameter.requires_grad_(requires_grad)
        return self

    # ----- state dict ----------------------------------------------------------------------------

    def _named_state(self) -> dict[str, Tensor]:
        """What state_dict() saves: module by module, its parameters, then its persistent buffers."""
        state: dict[str, Tensor] = {}
        seen: set[int] = set()
        for module_name, module in self.named_modules():
            prefix = f"{module_name}." if module_name else ""
            for name, parameter in module._parameters.items():
                if id(parameter) not in seen:
                    seen.add(id(parameter))
                    state[prefix + name] = parameter
            for name, buffer in module._buffers.items():
                if buffer is not None and name not in module._non_persistent_buffers:
                    state[prefix + name] = buffer
        return state

    def state_dict(self) -> dict[str, np.ndarray]:
        """{name: a copy of the values}, in registration order, e.g. {"0.weight": ..., "1.running_mean": ...}:
        each module's parameters, then its buffers, as PyTorch orders them."""
        return {name: tensor.data.copy() for name, tensor in self._named_state().items()}

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True) -> dict[str, list[str]]:
        """Copy values from ``state_dict`` into the parameters, in place.

        Nested dicts are accepted too ({"0": {"weight": ...}} means "0.weight"), so the result of
        ``tg.load(path, unflatten=True)`` can be passed directly. With strict=True every key must
        match a parameter and every parameter must get a value; shapes must always match.
        Returns {"missing_keys": [...], "unexpected_keys": [...]} as PyTorch does.
        Nothing is copied unless every check passes.
        """
        values = flatten(state_dict)
        parameters = self._named_state()  # parameters and buffers
        missing = [name for name in parameters if name not in values]
        unexpected = [name for name in values if name not in parameters]
        problems = []
        converted = {}  # every value as an array of its parameter's dtype, made before anything is copied
        for name, parameter in parameters.items():
            if name in values:
                value = values[name]
                try:
                    array = np.asarray(value._data if isinstance(value, Tensor) else value)
                except (TypeError, ValueError) as error:
                    problems.append(f"{name!r} is not an array of numbers ({error})")
                    continue
                if array.shape != parameter.shape:
                    problems.append(
                        f"size mismatch for {name!r}: the checkpoint has shape {array.shape}, the parameter in "
                        f"this model has shape {parameter.shape}"
                    )
                elif not np.can_cast(array.dtype, parameter.dtype, casting="same_kind"):
                    problems.append(
                        f"{name!r} has dtype {array.dtype}, which does not convert to the parameter's "
                        f"{parameter.dtype} (numbers expected)"
                    )
                else:
                    converted[name] = array
        if strict and missing:
            problems.append(f"missing key(s): {missing}")
        if strict and unexpected:
            problems.append(f"unexpected key(s): {unexpected}")
        if problems:
            raise StateDictError(
                f"error(s) loading the state dict into {type(self).__name__}:\n  "
                + "\n  ".join(problems)
                + "\nCheck that the model was built with the same architecture as the one that was saved"
                + (" (or pass strict=False to skip missing/unexpected keys)." if missing or unexpected else ".")
            )
        for name, array in converted.items():  # every check passed: now copy, all of them
            parameters[name].data[...] = array
            parameters[name]._version += 1  # a change, as if .data had been assigned
        return {"missing_keys": missing, "unexpected_keys": unexpected}

    # ----- printing ------------------------------------------------------------------------------

    def extra_repr(self) -> str:
        """The settings shown inside the parentheses, e.g. "in_features=784, out_features=128, bias=True"."""
        return ""

    def __repr__(self) -> str:
        """The architecture, printed as PyTorch prints it:

        Sequential(
          (0): Linear(in_features=784, out_features=128, bias=True)
          (1): ReLU()
        )
        """
        extra = self.extra_repr()
        lines = extra.split("\n") if extra else []
        child_lines = [f"({name}): {_indent(repr(module), 2)}" for name, module in self._modules.items()]
        lines += child_lines
        if not lines:
            return f"{type(self).__name__}()"
        if len(lines) == 1 and not child_lines:
            return f"{type(self).__name__}({lines[0]})"
        return f"{type(self).__name__}(\n  " + "\n  ".join(lines) + "\n)"


def zero_grad_of(parameter: Tensor, set_to_none: bool) -> None:
    """``parameter.grad = None``, or zeros of its shape (a new tensor: gradients may be shared)."""
    if set_to_none or parameter.grad is None:
        parameter.grad = None
    else:
        parameter.grad = Tensor(np.zeros_like(parameter.grad._data))


def _indent(text: str, spaces: int) -> str:
    """Indent every line but the first (the first follows "(name): ")."""
    first, *rest = text.split("\n")
    return "\n".join([first] + [" " * spaces + line for line in rest])


class Sequential(Module):
    """Modules applied one after the other: Sequential(a, b, c)(x) = c(b(a(x))).

    Submodules are named "0", "1", ... so parameters are "0.weight", "0.bias", "2.weight", ...
    as in torch.nn.Sequential. Indexable (model[0], model[-1], model[1:]), iterable, len().
    """

    def __init__(self, *modules: Module):
        super().__init__()
        for index, module in enumerate(modules):
            if not isinstance(module, Module):
                raise TypeError(
                    f"Sequential: argument {index} is a {type(module).__name__}, not a Module; "
                    "pass layers such as nn.Linear(2, 3) or nn.ReLU() (instances, not classes)"
                )
            setattr(self, str(index), module)

    def forward(self, x: Any) -> Any:
        for module in self._modules.values():
            x = module(x)
        return x

    def append(self, module: Module) -> Sequential:
        setattr(self, str(len(self)), module)
        return self

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(list(self._modules.values()))

    def __getitem__(self, index: int | slice) -> Module:
        modules = list(self._modules.values())
        if isinstance(index, slice):
            return Sequential(*modules[index])
        if not -len(modules) <= index < len(modules):
            raise IndexError(f"Sequential index {index} is out of range for {len(modules)} modules")
        return modules[index]


class ModuleList(Module):
    """A list of modules, registered as submodules "0", "1", ... so that parameters(),
    state_dict(), train()/eval() and apply() reach them (a plain Python list would hide them).

        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes, sizes[1:]))
        for layer in self.layers: x = layer(x).relu()

    It has no forward of its own: iterate over it in your module's forward.
    """

    def __init__(self, modules: Iterable[Module] | None = None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def _check(self, module: Any) -> Module:
        if not isinstance(module, Module):
            raise TypeError(
                f"ModuleList holds Modules, got a {type(module).__name__}; pass layers such as nn.Linear(2, 3)"
            )
        return module

    def append(self, module: Module) -> ModuleList:
        setattr(self, str(len(self)), self._check(module))
        return self

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        for module in modules:
            self.append(module)
        return self

    def insert(self, index: int, module: Module) -> None:
        modules = list(self._modules.values())
        modules.insert(index, self._check(module))
        self._renumber(modules)

    def _renumber(self, modules: list[Module]) -> None:
        for name in list(self._modules):
            delattr(self, name)
        for position, module in enumerate(modules):
            setattr(self, str(position), module)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(list(self._modules.values()))

    def __getitem__(self, index: int | slice) -> Any:
        modules = list(self._modules.values())
        if isinstance(index, slice):
            return ModuleList(modules[index])
        if not -len(modules) <= index < len(modules):
            raise IndexError(f"ModuleList index {index} is out of range for {len(modules)} modules")
        return modules[index]

    def __setitem__(self, index: int, module: Module) -> None:
        modules = list(self._modules.values())
        modules[index] = self._check(module)
        self._renumber(modules)

    def __delitem__(self, index: int | slice) -> None:
        modules = list(self._modules.values())
        del modules[index]
        self._renumber(modules)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(
            "ModuleList has no forward(): loop over it in your module's forward, e.g. "
            "for layer in self.layers: x = layer(x)"
        )
