"""tinygrad_edu: a small, readable autograd framework over NumPy.

import tinygrad_edu as tg
x = tg.Tensor([1.0, 2.0], requires_grad=True)
(x * x).sum().backward()
x.grad            # Tensor([2., 4.])
"""

import importlib as _importlib
import sys as _sys

from .core.autograd import BackwardStep, backward, backward_steps, grad
from .core.forward_mode import JvpStep, jacobian, jvp, jvp_steps
from .core.grad_mode import enable_grad, no_grad, set_grad_enabled
from .core.tensor import Context, Function, Tensor
from .debug.anomaly import detect_anomaly
from .debug.check_graph import check_graph
from .debug.explain import explain
from .debug.gradcheck import gradcheck, gradgradcheck
from .debug.teaching import teaching_mode
from .errors import (
    AnomalyError,
    BackwardError,
    DTypeError,
    GradcheckError,
    GradcheckWarning,
    ShapeError,
    TeachingWarning,
)
from .io.serialization import load, save
from .torch_api.combine import concatenate, stack, where

# isort: split
# PyTorch's spelling of the surface: factories, dtypes, tg.cat, tg.manual_seed, tg.max(x, 1) ...
# (creation.py, combine.py, pytorch_names.py, random.py, functions.py, cuda.py).
from .torch_api.combine import cat
from .torch_api.creation import (
    arange,
    double,
    eye,
    float16,
    float32,
    float64,
    from_numpy,
    full,
    full_like,
    half,
    int32,
    int64,
    long,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    randperm,
    tensor,
    uint8,
    zeros,
    zeros_like,
)
from .torch_api.creation import bool_ as bool
from .torch_api.functions import (
    abs,
    argmax,
    argmin,
    clamp,
    device,
    exp,
    flatten,
    log,
    log_softmax,
    matmul,
    max,
    maximum,
    mean,
    min,
    relu,
    sigmoid,
    softmax,
    sqrt,
    sum,
    tanh,
)
from .torch_api.pytorch_names import ValuesIndices
from .torch_api.random import default_generator, manual_seed

# isort: split
# nn and optim build on the engine above, so they are imported after it.
from . import nn, optim
from .torch_api import cuda

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
    "JvpStep",
    "jvp",
    "jvp_steps",
    "load",
    "nn",
    "no_grad",
    "optim",
    "save",
    "set_grad_enabled",
    "stack",
    "teaching_mode",
    "where",
    # PyTorch's spelling (creation.py, combine.py, pytorch_names.py, random.py, functions.py, cuda.py)
    "ValuesIndices",
    "abs",
    "arange",
    "argmax",
    "argmin",
    "bool",
    "cat",
    "clamp",
    "cuda",
    "default_generator",
    "device",
    "double",
    "exp",
    "eye",
    "flatten",
    "float16",
    "float32",
    "float64",
    "from_numpy",
    "full",
    "full_like",
    "half",
    "int32",
    "int64",
    "log",
    "log_softmax",
    "long",
    "manual_seed",
    "matmul",
    "max",
    "maximum",
    "mean",
    "min",
    "ones",
    "ones_like",
    "rand",
    "rand_like",
    "randint",
    "randn",
    "randn_like",
    "randperm",
    "relu",
    "sigmoid",
    "softmax",
    "sqrt",
    "sum",
    "tanh",
    "tensor",
    "uint8",
    "zeros",
    "zeros_like",
]

# The modules' names before the package was split into core/, ops/, debug/, torch_api/ and io/:
# each old name is the moved module itself, so ``import tinygrad_edu.autograd`` keeps working.
_OLD_NAMES = {
    "autograd": "core.autograd",
    "function": "core.tensor",
    "tensor": "core.tensor",
    "broadcast": "core.broadcast",
    "forward": "core.forward_mode",
    "check_graph": "debug.check_graph",
    "explain": "debug.explain",
    "gradcheck": "debug.gradcheck",
    "testing": "debug.check_op",
    "element_paths": "debug.element_paths",
    "teaching": "debug.teaching",
    "pytorch_names": "torch_api.pytorch_names",
    "creation": "torch_api.creation",
    "functions": "torch_api.functions",
    "combine": "torch_api.combine",
    "arguments": "torch_api.arguments",
    "random": "torch_api.random",
    "serialization": "io.serialization",
    "atomic": "io.atomic",
    "ops.nn": "ops.fused",
}
for _old, _new in _OLD_NAMES.items():
    _sys.modules[f"{__name__}.{_old}"] = _importlib.import_module(f"{__name__}.{_new}")
