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
from .combine import concatenate, stack, where
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
from .tensor import Tensor

# isort: split
# PyTorch's spelling of the surface: factories, dtypes, tg.cat, tg.manual_seed, tg.max(x, 1) ...
# (creation.py, combine.py, pytorch_names.py, random.py, functions.py, cuda.py).
from .combine import cat
from .creation import (
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
from .creation import bool_ as bool
from .functions import (
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
from .pytorch_names import ValuesIndices
from .random import default_generator, manual_seed

# isort: split
# nn and optim build on the engine above, so they are imported after it.
from . import cuda, nn, optim, utils

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
