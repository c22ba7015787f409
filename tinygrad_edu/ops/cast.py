"""Cast: the same numbers in another floating dtype (``x.to(np.float64)``, ``x.float()``).

A cast is differentiable between floating dtypes, as in PyTorch: the gradient comes back
in the input's dtype. Casts to integer or boolean dtypes record no graph (see Tensor.to).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..core.tensor import Context, Function

if TYPE_CHECKING:
    from ..core.tensor import Tensor


class Cast(Function):
    """Change the dtype, elementwise.
    forward:  y = x  (stored as ``dtype``)
    backward: ∂L/∂x = ∂L/∂y  (cast back to x's dtype)
    jvp:      ẏ = ẋ  (cast to ``dtype``)
    """

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, dtype: Any = np.float32) -> np.ndarray:
        ctx.input_dtype = x.dtype
        ctx.dtype = np.dtype(dtype)
        return x.astype(dtype)

    @staticmethod
    def backward(ctx: Context, grad_output: Tensor) -> Tensor:
        return Cast.apply(grad_output, dtype=ctx.input_dtype)

    @staticmethod
    def jvp(ctx: Context, x_tangent: Tensor) -> Tensor:
        return Cast.apply(x_tangent, dtype=ctx.dtype)
