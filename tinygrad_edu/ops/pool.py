"""Pooling over images in NCHW layout (batch, channels, height, width), as PyTorch.

Each output is one number per KH×KW window of each channel: its maximum (max_pool2d) or its
mean (avg_pool2d). The windows come from ``sliding_window_view``, as in conv.py.

    x: (N, C, H, W)  ->  y: (N, C, OH, OW),   OH = ⌊(H + 2·padding − KH) / stride⌋ + 1

Average pooling is a convolution of each channel with the constant kernel 1/(KH·KW), and its
backward is that convolution's input gradient. Max pooling picks one element per window (the
winner); its backward sends each window's gradient to the winner (MaxPoolScatter), its jvp
reads the winner's tangent (MaxPoolGather), and each of those two is the other's backward.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..core.tensor import Context, Function
from ..errors import ShapeError
from .conv import Conv2dInputGrad, Pair, _pad, _windows, output_size, pair

if TYPE_CHECKING:
    from ..core.tensor import Tensor


def _check_pool(op: str, x: np.ndarray, kernel: Pair, stride: Pair, padding: Pair) -> None:
    if x.ndim != 4:
        raise ShapeError(f"{op}: x.shape={x.shape}: expected (N, C, H, W)")
    half_kernel = (kernel[0] // 2, kernel[1] // 2)
    if (
        min(kernel) < 1
        or min(stride) < 1
        or min(padding) < 0
        or padding[0] > half_kernel[0]
        or padding[1] > half_kernel[1]
    ):
        raise ValueError(
            f"{op}: kernel_size={kernel}, stride={stride} must be ≥ 1 and padding={padding} between 0 "
            "and half the kernel"
        )
    if min(output_size(x.shape[2 + a], kernel[a], stride[a], padding[a], 1) for a in (0, 1)) < 1:
        raise ShapeError(f"{op}: x.shape={x.shape} is smaller than kernel_size={kernel} (with padding={padding})")


class MaxPool2d(Function):
    """Max pooling: the largest value of each KH×KW window, per channel.
    forward:  y[n,c,i,j] = max_{p,q} x[n, c, i·s + p − pad, j·s + q − pad] = x at the window's winner
    backward: ∂L/∂x = max_pool_scatter(∂L/∂y): each window's gradient goes to its winner, the rest
              get 0 (where overlapping windows share a winner, their gradients add up)
    jvp:      ẏ = max_pool_gather(ẋ): the tangent of each window's winner
    The winners are fixed by forward (piecewise constant), so backward and jvp are linear maps:
    MaxPoolScatter and MaxPoolGather, each the other's backward.
    NOTE: a tie goes to the first maximum of the window in row-major order, as PyTorch does;
    the padding is −∞, so a maximum always comes from the image. A NaN makes its window's maximum
    NaN, as in PyTorch (which sends that window's gradient to the NaN; here it goes to the largest
    number before the first NaN, or to the NaN when it comes first).
    """

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, kernel: Pair = (2, 2), stride: Pair = (2, 2), padding: Pair = (0, 0)):
        _check_pool("max_pool2d", x, kernel, stride, padding)
        windows = _windows(x, kernel, stride, padding, (1, 1), value=-np.inf)  # (N, C, OH, OW, KH, KW)
        # A running maximum over the KH·KW candidates, in row-major order of the kernel. Candidate
        # (p, q) of every window at once is the view windows[..., p, q], so nothing is copied, and
        # the winner is kept with arithmetic rather than masked writes (which are several times slower).
        offsets = kernel[0] * kernel[1]
        index_type = np.min_scalar_type(offsets - 1)  # uint8 for kernels up to 16×16
        y = windows[..., 0, 0].copy()
        winner = np.zeros(y.shape, dtype=index_type)
        for offset in range(1, offsets):
            candidate = windows[..., offset // kernel[1], offset % kernel[1]]
            # a later candidate wins only when strictly larger, so a tie keeps the first; offsets
            # only grow, so the maximum of the offsets that won is the last one that won
            np.maximum(winner, (candidate > y) * index_type.type(offset), out=winner)
            np.maximum(y, candidate, out=y)
        ctx.winner = winner
        ctx.geometry = (kernel, stride, padding, x.shape)
        return y

    @staticmethod
    def backward(ctx: Context, grad_output: Tensor) -> Tensor:
        return MaxPoolScatter.apply(grad_output, winner=ctx.winner, geometry=ctx.geometry)

    @staticmethod
    def jvp(ctx: Context, x_dot: Tensor) -> Tensor:
        return MaxPoolGather.apply(x_dot, winner=ctx.winner, geometry=ctx.geometry)


def _winner_offsets(winner: np.ndarray, kernel: Pair, stride: Pair, out_size: tuple[int, int]):
    """For each kernel offset (p, q): the windows it won (a mask), and the slices of the padded
    image that offset reads across all windows."""
    for offset in range(kernel[0] * kernel[1]):
        p, q = divmod(offset, kernel[1])
        rows = slice(p, p + (out_size[0] - 1) * stride[0] + 1, stride[0])
        cols = slice(q, q + (out_size[1] - 1) * stride[1] + 1, stride[1])
        yield winner == offset, rows, cols


class MaxPoolScatter(Function):
    """Each window's value sent to the position of its winner (max pooling's backward).
    forward:  z = zeros like x;  z[winner of window w] += g[w] for every window w
    backward: ∂L/∂g = max_pool_gather(∂L/∂z)
    jvp:      ż = max_pool_scatter(ġ)
    """

    @staticmethod
    def forward(ctx: Context, grad_output: np.ndarray, winner: Any = None, geometry=()):
        ctx.winner, ctx.geometry = winner, geometry
        kernel, stride, padding, input_shape = geometry
        count, channels, height, width = input_shape
        shape = (count, channels, height + 2 * padding[0], width + 2 * padding[1])
        out_height, out_width = grad_output.shape[2:]
        # NOTE: when the windows tile the (padded) image, with stride = kernel and nothing left over
        # (max_pool2d(x, 2) of an even-sized image), every element is in exactly one window, so
        # each kernel offset writes its share instead of adding it to zeros.
        tiles = stride == kernel and shape[2:] == (out_height * kernel[0], out_width * kernel[1])
        z = np.empty(shape, dtype=grad_output.dtype) if tiles else np.zeros(shape, dtype=grad_output.dtype)
        for won, rows, cols in _winner_offsets(winner, kernel, stride, (out_height, out_width)):
            if tiles:
                np.multiply(grad_output, won, out=z[:, :, rows, cols])
            else:
                z[:, :, rows, cols] += grad_output * won
        return z[:, :, padding[0] : padding[0] + height, padding[1] : padding[1] + width]

    @staticmethod
    def backward(ctx: Context, grad_z: Tensor) -> Tensor:
        return MaxPoolGather.apply(grad_z, winner=ctx.winner, geometry=ctx.geometry)

    @staticmethod
    def jvp(ctx: Context, grad_output_dot: Tensor) -> Tensor:
        return MaxPoolScatter.apply(grad_output_dot, winner=ctx.winner, geometry=ctx.geometry)


class MaxPoolGather(Function):
    """The value at each window's winner (max pooling's jvp, and MaxPoolScatter's backward).
    forward:  z[w] = x[winner of window w]
    backward: ∂L/∂x = max_pool_scatter(∂L/∂z)
    jvp:      ż = max_pool_gather(ẋ)
    """

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, winner: Any = None, geometry=()):
        ctx.winner, ctx.geometry = winner, geometry
        kernel, stride, padding, _ = geometry
        padded = _pad(x, padding[0], padding[0], padding[1], padding[1])
        z = np.zeros(x.shape[:2] + winner.shape[2:], dtype=x.dtype)
        for won, rows, cols in _winner_offsets(winner, kernel, stride, winner.shape[2:]):
            np.copyto(z, padded[:, :, rows, cols], where=won)
        return z

    @staticmethod
    def backward(ctx: Context, grad_z: Tensor) -> Tensor:
        return MaxPoolScatter.apply(grad_z, winner=ctx.winner, geometry=ctx.geometry)

    @staticmethod
    def jvp(ctx: Context, x_dot: Tensor) -> Tensor:
        return MaxPoolGather.apply(x_dot, winner=ctx.winner, geometry=ctx.geometry)


class AvgPool2d(Function):
    """Average pooling: the mean of each KH×KW window, per channel.
    forward:  y[n,c,i,j] = (1 / (KH·KW)) Σ_{p,q} x[n, c, i·s + p − pad, j·s + q − pad]
    backward: ∂L/∂x = conv_input_grad(∂L/∂y, k) on each channel alone, k = the constant kernel 1/(KH·KW):
              each window's gradient is shared equally among its KH·KW elements
    jvp:      ẏ = avg_pool2d(ẋ)
    NOTE: average pooling is a convolution of each channel with the constant kernel 1/(KH·KW).
    Padding counts as zeros in the mean (PyTorch's default count_include_pad=True).
    """

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, kernel: Pair = (2, 2), stride: Pair = (2, 2), padding: Pair = (0, 0)):
        _check_pool("avg_pool2d", x, kernel, stride, padding)
        ctx.kernel, ctx.stride, ctx.padding = kernel, stride, padding
        windows = _windows(x, kernel, stride, padding, (1, 1))
        return windows.mean(axis=(4, 5))

    @staticmethod
    def backward(ctx: Context, grad_output: Tensor) -> Tensor:
        count, channels, height, width = ctx.parents[0].shape
        kernel = np.full((1, 1, *ctx.kernel), 1.0 / (ctx.kernel[0] * ctx.kernel[1]), dtype=grad_output.dtype)
        one_channel = grad_output.reshape(count * channels, 1, *grad_output.shape[2:])
        geometry = (ctx.stride, ctx.padding, (1, 1), 1)
        grad_x = Conv2dInputGrad.apply(one_channel, kernel, input_size=(height, width), geometry=geometry)
        return grad_x.reshape(count, channels, height, width)

    @staticmethod
    def jvp(ctx: Context, x_dot: Tensor) -> Tensor:
        return AvgPool2d.apply(x_dot, kernel=ctx.kernel, stride=ctx.stride, padding=ctx.padding)


# ----- the functions (tg.nn.functional.max_pool2d, avg_pool2d, and the Tensor methods) ---------


def max_pool2d(x: Tensor, kernel_size: int | Pair, stride: int | Pair | None = None, padding: int | Pair = 0) -> Tensor:
    """Max pooling as torch.nn.functional.max_pool2d (stride defaults to kernel_size); ties go to
    the first maximum of the window. See ``MaxPool2d``."""
    kernel = pair(kernel_size, "kernel_size")
    stride = kernel if stride is None else pair(stride, "stride")
    return MaxPool2d.apply(x, kernel=kernel, stride=stride, padding=pair(padding, "padding"))


def avg_pool2d(x: Tensor, kernel_size: int | Pair, stride: int | Pair | None = None, padding: int | Pair = 0) -> Tensor:
    """Average pooling as torch.nn.functional.avg_pool2d (stride defaults to kernel_size; padding
    counts as zeros). See ``AvgPool2d``."""
    kernel = pair(kernel_size, "kernel_size")
    stride = kernel if stride is None else pair(stride, "stride")
    return AvgPool2d.apply(x, kernel=kernel, stride=stride, padding=pair(padding, "padding"))
