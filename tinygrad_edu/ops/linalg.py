"""Matrix multiplication."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..core.broadcast import broadcast_shapes
from ..core.tensor import Context, Function
from ..errors import ShapeError

if TYPE_CHECKING:
    from ..core.tensor import Tensor


class MatMul(Function):
    """Matrix product of the last two axes, batched over the leading ones (broadcast as NumPy).
    forward:  Y = A @ B                     A: (…, n, k), B: (…, k, m) -> Y: (…, n, m)
    backward: ∂L/∂A = ∂L/∂Y @ Bᵀ,  ∂L/∂B = Aᵀ @ ∂L/∂Y     (ᵀ swaps the last two axes)
    jvp:      Ẏ = Ȧ @ B + A @ Ḃ
    NOTE: 1-D operands are handled by Tensor.matmul, which reshapes them to matrices first.
    """

    # The text viz prints for what backward sends to each input, g = ∂L/∂y (tests check it against backward)
    input_names = ("A", "B")
    gradient_formulas = ("g @ Bᵀ", "Aᵀ @ g")

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if a.ndim < 2 or b.ndim < 2 or a.shape[-1] != b.shape[-2]:
            raise ShapeError(f"matmul: a.shape={a.shape}, b.shape={b.shape}: a.shape[-1] must equal b.shape[-2]")
        if a.ndim > 2 or b.ndim > 2:
            broadcast_shapes(a.shape[:-2], b.shape[:-2], op="matmul (batch axes)")
        ctx.save_for_backward(a, b)
        return a @ b

    @staticmethod
    def backward(ctx: Context, grad_output: Tensor) -> tuple[Tensor | None, Tensor | None]:
        a, b = ctx.saved_tensors
        grad_a = grad_output @ b.mT if ctx.needs_input_grad[0] else None
        grad_b = a.mT @ grad_output if ctx.needs_input_grad[1] else None
        return grad_a, grad_b

    @staticmethod
    def jvp(ctx: Context, a_dot: Tensor | None, b_dot: Tensor | None) -> Tensor:
        a, b = ctx.saved_tensors
        y_dot: Any = 0.0  # a Tensor once the first tangent is added
        if a_dot is not None:
            y_dot = y_dot + a_dot @ b
        if b_dot is not None:
            y_dot = y_dot + a @ b_dot
        return y_dot
