"""Convolution over images in NCHW layout (batch, channels, height, width), as PyTorch.

A 2-D convolution slides a small kernel over the image and takes a dot product at each stop.
Written as im2col ("image to columns"): ``sliding_window_view`` lists every window of the
padded input without copying, and one matrix product with the flattened kernels does all
the dot products at once.

    x: (N, C, H, W)    weight: (O, C/G, KH, KW)    y: (N, O, OH, OW)
    OH = ⌊(H + 2·padding − dilation·(KH − 1) − 1) / stride⌋ + 1       (OW likewise)

The convolution y = conv(x, w) is linear in x and linear in w, so both gradients are again
convolutions of the same kind:

    ∂L/∂x = conv_input_grad(∂L/∂y, w)    the full convolution of ∂L/∂y with the flipped kernel
    ∂L/∂w = conv_weight_grad(x, ∂L/∂y)   the correlation of the input with ∂L/∂y

Each of the three is a Function whose backward and jvp are written with the three, so
gradients of gradients (create_graph=True) stay convolutions too. Pooling is in pool.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..core.tensor import Context, Function
from ..errors import ShapeError

if TYPE_CHECKING:
    from ..core.tensor import Tensor

Pair = tuple[int, int]


def pair(value: int | tuple[int, int], name: str = "value") -> Pair:
    """3 -> (3, 3); (3, 5) stays (3, 5): PyTorch's convention for height and width settings."""
    if isinstance(value, (int, np.integer)):
        return (int(value), int(value))
    if len(value) != 2:
        raise ValueError(f"{name} must be an int or a pair (height, width), got {value!r}")
    return (int(value[0]), int(value[1]))


def output_size(size: int, kernel: int, stride: int, padding: int, dilation: int) -> int:
    """⌊(size + 2·padding − dilation·(kernel − 1) − 1) / stride⌋ + 1."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def _pad(x: np.ndarray, top: int, bottom: int, left: int, right: int, value: float = 0.0) -> np.ndarray:
    """Pad (or, for a negative amount, crop) the last two axes."""
    height, width = x.shape[-2:]
    x = x[..., max(-top, 0) : height - max(-bottom, 0), max(-left, 0) : width - max(-right, 0)]
    widths = ((0, 0),) * (x.ndim - 2) + ((max(top, 0), max(bottom, 0)), (max(left, 0), max(right, 0)))
    if any(before or after for before, after in widths):
        x = np.pad(x, widths, constant_values=value)
    return x


def _windows(x: np.ndarray, kernel: Pair, stride: Pair, padding: Pair, dilation: Pair, value: float = 0.0):
    """Every window of the padded x, without copying: (N, C, OH, OW, KH, KW)."""
    x = _pad(x, padding[0], padding[0], padding[1], padding[1], value)
    span = (dilation[0] * (kernel[0] - 1) + 1, dilation[1] * (kernel[1] - 1) + 1)
    windows = sliding_window_view(x, span, axis=(2, 3))
    return windows[:, :, :: stride[0], :: stride[1], :: dilation[0], :: dilation[1]]


def _columns(x: np.ndarray, kernel: Pair, stride: Pair, padding: Pair, dilation: Pair, groups: int) -> np.ndarray:
    """im2col: one column per output position (n, i, j), one row per (input channel, kernel row,
    kernel column), per group: (G, C/G·KH·KW, N·OH·OW). This is the one copy the convolution makes.
    NOTE: in this order the copy moves whole rows of output positions (OW numbers that lie side by
    side in x when the stride is 1) rather than KW numbers at a time, which is several times faster."""
    windows = _windows(x, kernel, stride, padding, dilation)
    count, channels, out_height, out_width = windows.shape[:4]
    columns = windows.transpose(1, 4, 5, 0, 2, 3)  # (C, KH, KW, N, OH, OW)
    return columns.reshape(groups, channels // groups * kernel[0] * kernel[1], count * out_height * out_width)


def conv2d_array(
    x: np.ndarray, weight: np.ndarray, stride: Pair, padding: Pair, dilation: Pair, groups: int, columns=None
):
    """y[n, o, i, j] = Σ_{c,p,q} x_padded[n, c, i·s + p·d, j·s + q·d] · w[o, c, p, q] (c within o's group).
    columns: x's im2col, if already made."""
    out_channels = weight.shape[0]
    count = x.shape[0]
    if columns is None:
        columns = _columns(x, weight.shape[2:], stride, padding, dilation, groups)
    kernels = weight.reshape(groups, out_channels // groups, -1)  # (G, O/G, C/G·KH·KW)
    y = kernels @ columns  # the one matmul: (G, O/G, N·OH·OW)
    out_height = output_size(x.shape[2], weight.shape[2], stride[0], padding[0], dilation[0])
    out_width = output_size(x.shape[3], weight.shape[3], stride[1], padding[1], dilation[1])
    y = y.reshape(out_channels, count, out_height, out_width).transpose(1, 0, 2, 3)
    return np.ascontiguousarray(y)  # NCHW in memory too, so the ops after it read whole rows


def conv2d_weight_grad_array(
    x: np.ndarray, grad_output: np.ndarray, kernel: Pair, stride, padding, dilation, groups, columns=None
):
    """∂L/∂w[o, c, p, q] = Σ_{n,i,j} ∂L/∂y[n, o, i, j] · x_padded[n, c, i·s + p·d, j·s + q·d].
    columns: x's im2col, if already made (the forward's)."""
    out_channels = grad_output.shape[1]
    if columns is None:
        columns = _columns(x, kernel, stride, padding, dilation, groups)  # (G, C/G·KH·KW, N·OH·OW)
    rows = grad_output.transpose(1, 0, 2, 3).reshape(groups, out_channels // groups, -1)  # (G, O/G, N·OH·OW)
    grad_weight = rows @ columns.transpose(0, 2, 1)  # the one matmul: (G, O/G, C/G·KH·KW)
    return grad_weight.reshape(out_channels, x.shape[1] // groups, *kernel)


def conv2d_input_grad_array(
    grad_output: np.ndarray, weight: np.ndarray, input_size: Pair, stride, padding, dilation, groups
):
    """∂L/∂x[n, c, h, v] = Σ ∂L/∂y[n, o, i, j] · w[o, c, p, q] over i·s + p·d − pad = h, j·s + q·d − pad = v:
    the transposed convolution. col2im: one matmul gives, for every output position, the gradient
    of each element of its window; each kernel offset (p, q) then adds its share back where it came
    from. (The same numbers as the stride-1 convolution of ∂L/∂y, spread by the stride and padded,
    with the flipped kernel; this way skips the zeros.)
    NOTE: the batch axis is kept last, (C, H, W, N), while the shares are added: a kernel offset's
    share is then a block of whole runs of N numbers (OW·N at stride 1), where in NCHW it would be
    runs of OW numbers, several times slower to add."""
    count, out_channels, out_height, out_width = grad_output.shape
    kernel = weight.shape[2:]
    in_channels = groups * weight.shape[1]
    rows = grad_output.transpose(1, 2, 3, 0).reshape(groups, out_channels // groups, -1)  # (G, O/G, OH·OW·N)
    kernels = weight.reshape(groups, out_channels // groups, -1)  # (G, O/G, C/G·KH·KW)
    columns = kernels.transpose(0, 2, 1) @ rows  # the one matmul: (G, C/G·KH·KW, OH·OW·N)
    columns = columns.reshape(in_channels, *kernel, out_height, out_width, count)
    # col2im, into (C, H, W, N) with the padding (see the NOTE)
    height = input_size[0] + 2 * padding[0]
    width = input_size[1] + 2 * padding[1]
    grad_x = np.zeros((in_channels, height, width, count), dtype=columns.dtype)
    for p in range(kernel[0]):
        for q in range(kernel[1]):
            top = p * dilation[0]
            left = q * dilation[1]
            rows_hit = slice(top, top + (out_height - 1) * stride[0] + 1, stride[0])
            cols_hit = slice(left, left + (out_width - 1) * stride[1] + 1, stride[1])
            grad_x[:, rows_hit, cols_hit] += columns[:, p, q]
    grad_x = grad_x[:, padding[0] : padding[0] + input_size[0], padding[1] : padding[1] + input_size[1]]
    return np.ascontiguousarray(grad_x.transpose(3, 0, 1, 2))  # (N, C, H, W)


class Conv2d(Function):
    """2-D convolution (PyTorch's, which is a cross-correlation), NCHW input, OIHW weight.
    forward:  y[n,o,i,j] = b[o] + Σ_{c,p,q} x[n, c, i·s + p·d − pad, j·s + q·d − pad] · w[o,c,p,q]
              (x is 0 outside the image; c runs over the input channels of o's group)
    backward: ∂L/∂x = conv_input_grad(∂L/∂y, w): the transposed convolution, which is the full
              convolution of ∂L/∂y with the flipped kernel
              ∂L/∂w = conv_weight_grad(x, ∂L/∂y): the correlation of x with ∂L/∂y
              ∂L/∂b[o] = Σ_{n,i,j} ∂L/∂y[n,o,i,j]
    jvp:      ẏ = conv(ẋ, w) + conv(x, ẇ) + ḃ      (conv is linear in x and in w)
    NOTE: forward is im2col and one matmul (see the module docstring). The im2col columns are kept
    (saved for backward beside x and w: plain numbers of x) for ∂L/∂w, which needs the very same matrix.
    """

    @staticmethod
    def forward(
        ctx: Context,
        x: np.ndarray,
        weight: np.ndarray,
        bias: np.ndarray | None = None,
        stride: Pair = (1, 1),
        padding: Pair = (0, 0),
        dilation: Pair = (1, 1),
        groups: int = 1,
    ) -> np.ndarray:
        check_conv2d_shapes(
            x.shape, weight.shape, None if bias is None else bias.shape, stride, padding, dilation, groups
        )
        ctx.geometry = (stride, padding, dilation, groups)
        columns = _columns(x, weight.shape[2:], stride, padding, dilation, groups)
        if ctx.needs_input_grad[1]:  # saved, so that release() frees it with the rest
            ctx.save_for_backward(x, weight, columns)
        else:
            ctx.save_for_backward(x, weight)
        y = conv2d_array(x, weight, stride, padding, dilation, groups, columns)
        if bias is not None:
            y += bias.reshape(1, -1, 1, 1)
        return y

    @staticmethod
    def backward(ctx: Context, grad_output: Tensor) -> tuple[Tensor | None, ...]:
        x, weight, *columns = ctx.saved_tensors
        grad_x = None
        grad_weight = None
        if ctx.needs_input_grad[0]:
            grad_x = Conv2dInputGrad.apply(grad_output, weight, input_size=x.shape[2:], geometry=ctx.geometry)
        if ctx.needs_input_grad[1]:
            grad_weight = Conv2dWeightGrad.apply(
                x, grad_output, kernel=weight.shape[2:], geometry=ctx.geometry, columns=columns[0].data
            )
        if len(ctx.parents) == 2:
            return grad_x, grad_weight
        grad_bias = grad_output.sum(axis=(0, 2, 3)) if ctx.needs_input_grad[2] else None
        return grad_x, grad_weight, grad_bias

    @staticmethod
    def jvp(ctx: Context, x_dot: Tensor | None, weight_dot: Tensor | None, bias_dot: Tensor | None = None) -> Tensor:
        x, weight, *_ = ctx.saved_tensors
        stride, padding, dilation, groups = ctx.geometry
        settings = {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups}
        y_dot: Any = 0.0  # a Tensor once a tangent is added
        if x_dot is not None:
            y_dot = y_dot + Conv2d.apply(x_dot, weight, **settings)
        if weight_dot is not None:
            y_dot = y_dot + Conv2d.apply(x, weight_dot, **settings)
        if bias_dot is not None:
            y_dot = y_dot + bias_dot.reshape(1, -1, 1, 1)
        return y_dot


class Conv2dInputGrad(Function):
    """The gradient of a convolution with respect to its input (PyTorch's conv_transpose2d).
    g: (N, O, OH, OW), w: (O, C/G, KH, KW) -> z: (N, C, H, W)
    forward:  z[n,c,h,v] = Σ_{o,i,j,p,q : i·s + p·d − pad = h, j·s + q·d − pad = v} g[n,o,i,j] · w[o,c,p,q]
              = the stride-1 convolution of g (spread by the stride, padded) with the flipped kernel
    backward: ∂L/∂g = conv(∂L/∂z, w),   ∂L/∂w = conv_weight_grad(∂L/∂z, g)
              (⟨conv_input_grad(g, w), u⟩ = ⟨g, conv(u, w)⟩: the two are adjoint)
    jvp:      ż = conv_input_grad(ġ, w) + conv_input_grad(g, ẇ)
    """

    @staticmethod
    def forward(ctx: Context, grad_output: np.ndarray, weight: np.ndarray, input_size: Pair = (0, 0), geometry=()):
        ctx.input_size = tuple(input_size)
        ctx.geometry = geometry
        ctx.save_for_backward(grad_output, weight)
        return conv2d_input_grad_array(grad_output, weight, ctx.input_size, *geometry)

    @staticmethod
    def backward(ctx: Context, grad_z: Tensor) -> tuple[Tensor | None, Tensor | None]:
        grad_output, weight = ctx.saved_tensors
        stride, padding, dilation, groups = ctx.geometry
        grad_g = None
        grad_weight = None
        if ctx.needs_input_grad[0]:
            grad_g = Conv2d.apply(grad_z, weight, stride=stride, padding=padding, dilation=dilation, groups=groups)
        if ctx.needs_input_grad[1]:
            grad_weight = Conv2dWeightGrad.apply(grad_z, grad_output, kernel=weight.shape[2:], geometry=ctx.geometry)
        return grad_g, grad_weight

    @staticmethod
    def jvp(ctx: Context, grad_output_dot: Tensor | None, weight_dot: Tensor | None) -> Tensor:
        grad_output, weight = ctx.saved_tensors
        z_dot: Any = 0.0  # a Tensor once a tangent is added
        if grad_output_dot is not None:
            z_dot = z_dot + Conv2dInputGrad.apply(
                grad_output_dot, weight, input_size=ctx.input_size, geometry=ctx.geometry
            )
        if weight_dot is not None:
            z_dot = z_dot + Conv2dInputGrad.apply(
                grad_output, weight_dot, input_size=ctx.input_size, geometry=ctx.geometry
            )
        return z_dot


class Conv2dWeightGrad(Function):
    """The gradient of a convolution with respect to its weight.
    x: (N, C, H, W), g: (N, O, OH, OW) -> z: (O, C/G, KH, KW)
    forward:  z[o,c,p,q] = Σ_{n,i,j} g[n,o,i,j] · x[n, c, i·s + p·d − pad, j·s + q·d − pad]
              (im2col of x, and one matmul with g)
    backward: ∂L/∂x = conv_input_grad(g, ∂L/∂z),   ∂L/∂g = conv(x, ∂L/∂z)
              (⟨conv_weight_grad(x, g), u⟩ = ⟨g, conv(x, u)⟩ = ⟨x, conv_input_grad(g, u)⟩)
    jvp:      ż = conv_weight_grad(ẋ, g) + conv_weight_grad(x, ġ)
    """

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, grad_output: np.ndarray, kernel: Pair = (1, 1), geometry=(), columns=None):
        ctx.kernel = tuple(kernel)
        ctx.geometry = geometry
        ctx.save_for_backward(x, grad_output)
        stride, padding, dilation, groups = geometry
        return conv2d_weight_grad_array(x, grad_output, ctx.kernel, stride, padding, dilation, groups, columns=columns)

    @staticmethod
    def backward(ctx: Context, grad_z: Tensor) -> tuple[Tensor | None, Tensor | None]:
        x, grad_output = ctx.saved_tensors
        stride, padding, dilation, groups = ctx.geometry
        grad_x = None
        grad_g = None
        if ctx.needs_input_grad[0]:
            grad_x = Conv2dInputGrad.apply(grad_output, grad_z, input_size=x.shape[2:], geometry=ctx.geometry)
        if ctx.needs_input_grad[1]:
            grad_g = Conv2d.apply(x, grad_z, stride=stride, padding=padding, dilation=dilation, groups=groups)
        return grad_x, grad_g

    @staticmethod
    def jvp(ctx: Context, x_dot: Tensor | None, grad_output_dot: Tensor | None) -> Tensor:
        x, grad_output = ctx.saved_tensors
        z_dot: Any = 0.0  # a Tensor once a tangent is added
        if x_dot is not None:
            z_dot = z_dot + Conv2dWeightGrad.apply(x_dot, grad_output, kernel=ctx.kernel, geometry=ctx.geometry)
        if grad_output_dot is not None:
            z_dot = z_dot + Conv2dWeightGrad.apply(x, grad_output_dot, kernel=ctx.kernel, geometry=ctx.geometry)
        return z_dot


def check_conv2d_shapes(x_shape, weight_shape, bias_shape, stride: Pair, padding: Pair, dilation: Pair, groups: int):
    """Raise ShapeError or ValueError naming what does not fit, before any work is done."""
    if len(x_shape) != 4 or len(weight_shape) != 4:
        raise ShapeError(
            f"conv2d: x.shape={tuple(x_shape)}, weight.shape={tuple(weight_shape)}: expected x as (N, C, H, W) "
            "and weight as (out_channels, in_channels / groups, kH, kW); reshape a single image with "
            "x.reshape(1, C, H, W)"
        )
    if groups < 1 or min(stride) < 1 or min(dilation) < 1 or min(padding) < 0:
        raise ValueError(
            f"conv2d: stride={stride}, dilation={dilation}, groups={groups} must be ≥ 1 and padding={padding} ≥ 0"
        )
    if x_shape[1] % groups or weight_shape[0] % groups or weight_shape[1] * groups != x_shape[1]:
        raise ShapeError(
            f"conv2d: x.shape={tuple(x_shape)}, weight.shape={tuple(weight_shape)}, groups={groups}: x.shape[1] "
            "(in_channels) must equal weight.shape[1] · groups, and out_channels must be divisible by groups"
        )
    if bias_shape is not None and tuple(bias_shape) != (weight_shape[0],):
        raise ShapeError(f"conv2d: bias.shape={tuple(bias_shape)} must be (out_channels,) = ({weight_shape[0]},)")
    for axis in (0, 1):
        if output_size(x_shape[2 + axis], weight_shape[2 + axis], stride[axis], padding[axis], dilation[axis]) < 1:
            raise ShapeError(
                f"conv2d: x.shape={tuple(x_shape)}, weight.shape={tuple(weight_shape)}, padding={padding}, "
                f"dilation={dilation}: the kernel is larger than the padded image"
            )


# ----- the function (tg.nn.functional.conv2d and Tensor.conv2d) -------------------------------


def conv2d(
    x: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: int | Pair = 1,
    padding: int | Pair = 0,
    dilation: int | Pair = 1,
    groups: int = 1,
) -> Tensor:
    """2-D convolution as torch.nn.functional.conv2d: x (N, C, H, W), weight (O, C/groups, KH, KW),
    bias (O,) or None -> (N, O, OH, OW). See ``Conv2d`` for the math."""
    settings = {
        "stride": pair(stride, "stride"),
        "padding": pair(padding, "padding"),
        "dilation": pair(dilation, "dilation"),
        "groups": int(groups),
    }
    if bias is None:
        return Conv2d.apply(x, weight, **settings)
    return Conv2d.apply(x, weight, bias, **settings)
