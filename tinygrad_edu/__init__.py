"""tinygrad_edu: a small, readable autograd framework over NumPy.

import tinygrad_edu as tg
x = tg.Tensor([1.0, 2.0], requires_grad=True)
(x * x).sum().backward()
x.grad            # Tensor([2., 4.])
"""

# autograd comes first: it loads the engine in the one order that works (tensor.py, then
# function.py and the ops, which need each other at run time; see the ends of those files).
from .autograd import (
    BackwardStep,
    backward,
    backward_steps,
    detect_anomaly,
    enable_grad,
    grad,
    no_grad,
    set_grad_enabled,
)
from .check_graph import check_graph
from .errors import (
    AnomalyError,
    BackwardError,
    DTypeError,
    GradcheckError,
    GradcheckWarning,
    ShapeError,
    TeachingWarning,
)
from .explain import explain
from .forward import jacobian, jvp
from .function import Context, Function
from .gradcheck import gradcheck, gradgradcheck
from .serialization import load, save
from .teaching import teaching_mode
from .tensor import Tensor, concatenate, stack, where

# isort: split
# nn and optim build on the engine above, so they are imported after it.
from . import nn, optim

__all__ = [
    "AnomalyError",
    "BackwardError",
    "BackwardStep",
    "Context",
    "DTypeError",
    "Function",
    "GradcheckError",
    "GradcheckWarning",
    "ShapeError",
    "TeachingWarning",
    "Tensor",
    "backward",
    "backward_steps",
    "check_graph",
    "concatenate",
    "detect_anomaly",
    "enable_grad",
    "explain",
    "grad",
    "gradcheck",
    "gradgradcheck",
    "jacobian",
    "jvp",
    "load",
    "nn",
    "no_grad",
    "optim",
    "save",
    "set_grad_enabled",
    "stack",
    "teaching_mode",
    "where",
]
