"""The built-in ops, one family per file, and the op table.

Each op is a Function subclass: forward, backward and jvp side by side, the math in the
docstring (core/tensor.py defines Function). ``ALL_OPS`` is the table of them, one row per op:
the class, and an example call on sample shapes. The tests run ``check_op`` on every row
(gradcheck, gradgradcheck, jvp, broadcasting), viz and the docs read the ops from it. Adding an
op is three places: the class, the Tensor method, one row here (docs/adding_an_op.md).

Beside forward and backward, as plain data, each op says how its derivative is written (the
pictures in viz print it; tests/test_op_formulas.py checks it against backward):

    input_names         the letters for its inputs, ("a", "b")
    local_derivatives   elementwise ops: ∂y/∂(each input) in those letters, y the output
    gradient_formulas   other ops: what backward sends to each input, g standing for ∂L/∂y

Function and Context live in core/tensor.py, which imports the ops in its middle (after
Function, before Tensor); importing it first here makes any import order work.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core import tensor as _tensor  # noqa: F401  (loads Function, then the ops, then Tensor)
from ..core.tensor import Function
from . import cast, conv, elementwise, fused, linalg, movement, pool, reduce


@dataclass(frozen=True)
class OpRow:
    """One op of the table.

    function  the Function subclass
    example   a call that records it, on Tensors of ``shapes`` (None: the op is the backward of
              another one, and is checked through that op's second derivatives: ``checked_by``)
    shapes    one shape per Tensor argument of ``example``
    options   keyword arguments for check_op (``domain=``, ``broadcast=``)
    """

    function: type[Function]
    example: Callable[..., Any] | None
    shapes: tuple[tuple[int, ...], ...] = ()
    options: dict[str, Any] = field(default_factory=dict)
    checked_by: str = ""

    @property
    def name(self) -> str:
        return self.function.__name__


_TARGETS = np.array([2, 0, 1, 2])  # class indices for the cross-entropy example
_CONV = {"stride": (1, 1), "padding": (1, 0), "dilation": (1, 1), "groups": 1}
_POOL = {"kernel": (2, 2), "stride": (2, 2), "padding": (0, 0)}

ALL_OPS: tuple[OpRow, ...] = (
    # elementwise.py
    OpRow(elementwise.Add, lambda a, b: a + b, ((2, 3), (3,))),
    OpRow(elementwise.Sub, lambda a, b: a - b, ((2, 3), (2, 1))),
    OpRow(elementwise.Mul, lambda a, b: a * b, ((3,), (2, 3))),
    OpRow(elementwise.Div, lambda a, b: a / b, ((2, 3), (3,)), {"domain": ("real", "positive")}),
    OpRow(elementwise.Pow, lambda a, b: a**b, ((2, 3), (3,)), {"domain": "positive"}),
    OpRow(elementwise.Maximum, lambda a, b: a.maximum(b), ((2, 3), (3,))),
    OpRow(elementwise.Where, lambda a, b: elementwise.Where.apply(a.data > 0, a, b), ((2, 3), (3,))),
    OpRow(elementwise.Neg, lambda x: -x, ((2, 3),)),
    OpRow(elementwise.Exp, lambda x: x.exp(), ((2, 3),)),
    OpRow(elementwise.Log, lambda x: x.log(), ((2, 3),), {"domain": "positive"}),
    OpRow(elementwise.Sqrt, lambda x: x.sqrt(), ((2, 3),), {"domain": "positive"}),
    OpRow(elementwise.Abs, lambda x: x.abs(), ((2, 3),)),
    OpRow(elementwise.Sin, lambda x: x.sin(), ((2, 3),)),
    OpRow(elementwise.Cos, lambda x: x.cos(), ((2, 3),)),
    OpRow(elementwise.Clip, lambda x: x.clip(-0.5, 0.5), ((2, 3),)),
    OpRow(elementwise.ReLU, lambda x: x.relu(), ((2, 3),)),
    OpRow(elementwise.LeakyReLU, lambda x: x.leaky_relu(0.1), ((2, 3),)),
    OpRow(elementwise.Sigmoid, lambda x: x.sigmoid(), ((2, 3),)),
    OpRow(elementwise.Tanh, lambda x: x.tanh(), ((2, 3),)),
    # reduce.py
    OpRow(reduce.Sum, lambda x: x.sum(axis=(0, 2), keepdims=True), ((2, 3, 2),)),
    OpRow(reduce.Max, lambda x: x.max(axis=1), ((2, 3),)),
    # movement.py
    OpRow(movement.Reshape, lambda x: x.reshape(3, 2), ((2, 3),)),
    OpRow(movement.Transpose, lambda x: x.transpose(2, 0, 1), ((2, 3, 4),)),
    OpRow(movement.BroadcastTo, lambda x: x.broadcast_to((2, 3)), ((3,),)),
    OpRow(movement.GetItem, lambda x: x[np.array([0, 2, 0])], ((3, 2),)),
    OpRow(movement.IndexAdd, None, checked_by="GetItem"),
    OpRow(
        movement.Concatenate,
        lambda a, b: movement.Concatenate.apply(a, b, axis=1),
        ((2, 3), (2, 1)),
        {"broadcast": False},
    ),
    # linalg.py
    OpRow(linalg.MatMul, lambda a, b: a @ b, ((2, 3), (3, 4)), {"broadcast": False}),
    # fused.py
    OpRow(fused.Softmax, lambda x: x.softmax(axis=1), ((2, 3),)),
    OpRow(fused.LogSoftmax, lambda x: x.log_softmax(axis=0), ((2, 3),)),
    OpRow(fused.Affine, lambda x, w, b: fused.Affine.apply(x, w, b), ((4, 3), (2, 3), (2,)), {"broadcast": False}),
    OpRow(fused.CrossEntropy, lambda x: fused.CrossEntropy.apply(x, _TARGETS), ((4, 3),)),
    OpRow(
        fused.BinaryCrossEntropy,
        lambda p, y: fused.BinaryCrossEntropy.apply(p, y),
        ((3,), (3,)),
        {"domain": "probability"},
    ),
    # cast.py
    OpRow(cast.Cast, lambda x: cast.Cast.apply(x, dtype=x.dtype), ((2, 3),)),
    # conv.py
    OpRow(
        conv.Conv2d, lambda x, w: conv.Conv2d.apply(x, w, **_CONV), ((1, 2, 4, 3), (2, 2, 2, 2)), {"broadcast": False}
    ),
    OpRow(conv.Conv2dInputGrad, None, checked_by="Conv2d"),
    OpRow(conv.Conv2dWeightGrad, None, checked_by="Conv2d"),
    # pool.py
    OpRow(pool.MaxPool2d, lambda x: pool.MaxPool2d.apply(x, **_POOL), ((1, 2, 4, 4),)),
    OpRow(pool.MaxPoolScatter, None, checked_by="MaxPool2d"),
    OpRow(pool.MaxPoolGather, None, checked_by="MaxPool2d"),
    OpRow(pool.AvgPool2d, lambda x: pool.AvgPool2d.apply(x, **_POOL), ((1, 2, 4, 4),)),
)
