"""Convolution and pooling ops beyond the op table (tests/test_ops.py): the op contracts through
check_op, how ties are routed, gradients of gradients, shapes of the output, and the errors."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu import Tensor
from tinygrad_edu.debug.check_op import check_op
from tinygrad_edu.errors import ShapeError


def _distinct(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Values at least 0.1 apart, so no window of a max pool has a tie."""
    return (rng.permutation(int(np.prod(shape))) * 0.1).reshape(shape)


@pytest.mark.parametrize(
    ("fn", "shapes", "domain"),
    [
        (lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1), ((2, 3, 6, 5), (4, 3, 3, 3), (4,)), "real"),
        (lambda x, w: F.conv2d(x, w, dilation=2, groups=3), ((1, 3, 7, 7), (6, 1, 2, 3)), "real"),
        (lambda x: F.max_pool2d(x, 2), ((2, 2, 4, 6),), _distinct),
        (lambda x: F.max_pool2d(x, 2), ((2, 2, 5, 7),), _distinct),
        (lambda x: F.max_pool2d(x, 2, padding=1), ((1, 2, 4, 6),), _distinct),
        (lambda x: F.max_pool2d(x, 3, stride=2, padding=1), ((1, 2, 5, 6),), _distinct),
        (lambda x: F.max_pool2d(x, (2, 3), stride=(3, 2)), ((1, 2, 7, 8),), _distinct),
        (lambda x: F.avg_pool2d(x, 3, stride=1, padding=1), ((2, 2, 4, 5),), "real"),
    ],
    ids=[
        "conv2d",
        "conv2d-dilation-groups",
        "max_pool2d",
        "max_pool2d-left-over-row-and-column",
        "max_pool2d-padding",
        "max_pool2d-overlap-padding",
        "max_pool2d-stride-not-kernel",
        "avg_pool2d",
    ],
)
def test_check_op_passes(fn, shapes, domain):
    report = check_op(fn, *shapes, domain=domain, broadcast=False)
    assert report.ok, str(report)


def test_max_pool_tie_goes_to_the_first_maximum_as_in_pytorch():
    x = Tensor(np.array([[[[1.0, 3.0], [3.0, 3.0]]]]), requires_grad=True)
    y = F.max_pool2d(x, 2)
    y.backward(np.array([[[[5.0]]]]))
    np.testing.assert_array_equal(x.grad.data, [[[[0.0, 5.0], [0.0, 0.0]]]])


def test_overlapping_max_pool_windows_add_their_gradients():
    x = Tensor(np.array([[[[0.0, 9.0, 0.0, 1.0]]]]), requires_grad=True)
    y = F.max_pool2d(x, (1, 2), stride=1)  # windows [0, 9], [9, 0], [0, 1]
    np.testing.assert_array_equal(y.data, [[[[9.0, 9.0, 1.0]]]])
    y.backward(np.array([[[[1.0, 2.0, 4.0]]]]))
    np.testing.assert_array_equal(x.grad.data, [[[[0.0, 3.0, 0.0, 4.0]]]])


def _max_pool_by_loops(x: np.ndarray, grad_output: np.ndarray, kernel, stride, padding):
    """max_pool2d and its gradient straight from the definition, one window at a time: the winner
    is np.argmax of the window read in row-major order (the first maximum)."""
    padded = np.pad(x, ((0, 0), (0, 0), (padding[0],) * 2, (padding[1],) * 2), constant_values=-np.inf)
    count, channels, height, width = padded.shape
    out_height = (height - kernel[0]) // stride[0] + 1
    out_width = (width - kernel[1]) // stride[1] + 1
    y = np.zeros((count, channels, out_height, out_width), dtype=x.dtype)
    grad_padded = np.zeros(padded.shape, dtype=x.dtype)
    for n in range(count):
        for c in range(channels):
            for i in range(out_height):
                for j in range(out_width):
                    top, left = i * stride[0], j * stride[1]
                    window = padded[n, c, top : top + kernel[0], left : left + kernel[1]]
                    p, q = divmod(int(np.argmax(window)), kernel[1])
                    y[n, c, i, j] = window[p, q]
                    grad_padded[n, c, top + p, left + q] += grad_output[n, c, i, j]
    return y, grad_padded[:, :, padding[0] : height - padding[0], padding[1] : width - padding[1]]


MAX_POOL_SETTINGS = [
    pytest.param((2, 3, 8, 6), (2, 2), (2, 2), (0, 0), id="windows-tile-the-image"),
    pytest.param((2, 3, 4, 6), (2, 2), (2, 2), (1, 1), id="windows-tile-the-padded-image"),
    pytest.param((2, 3, 7, 5), (2, 2), (2, 2), (0, 0), id="odd-sizes-a-row-and-column-left-over"),
    pytest.param((2, 3, 7, 6), (3, 3), (2, 2), (1, 1), id="overlapping-windows-padding"),
    pytest.param((2, 3, 5, 5), (2, 2), (1, 1), (0, 0), id="stride-1"),
    pytest.param((2, 3, 9, 9), (2, 2), (3, 3), (0, 0), id="stride-larger-than-kernel"),
    pytest.param((2, 3, 6, 9), (2, 3), (2, 3), (0, 1), id="non-square-kernel"),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("shape", "kernel", "stride", "padding"), MAX_POOL_SETTINGS)
def test_max_pool_matches_the_definition_window_by_window_with_many_ties(shape, kernel, stride, padding, dtype):
    rng = np.random.default_rng(1)
    x = rng.integers(-2, 3, size=shape).astype(dtype)  # five values: most windows have ties
    x[0, 0] = 0.0  # whole channels of zeros, as after a ReLU
    x_tensor = Tensor(x, requires_grad=True)
    y = F.max_pool2d(x_tensor, kernel, stride=stride, padding=padding)
    grad_output = rng.integers(1, 9, size=y.shape).astype(dtype)  # whole numbers: every sum is exact
    y.backward(grad_output)
    expected_y, expected_grad = _max_pool_by_loops(x, grad_output, kernel, stride, padding)
    assert y.dtype == dtype and x_tensor.grad.dtype == dtype
    np.testing.assert_array_equal(y.data, expected_y)
    np.testing.assert_array_equal(x_tensor.grad.data, expected_grad)


def test_max_pool_all_equal_windows_send_the_gradient_to_their_first_element_only():
    for dtype in (np.float32, np.float64):
        x = Tensor(np.zeros((2, 3, 4, 6), dtype=dtype), requires_grad=True)
        grad_output = np.arange(1.0, 1.0 + 2 * 3 * 2 * 3).reshape(2, 3, 2, 3).astype(dtype)
        F.max_pool2d(x, 2).backward(grad_output)
        expected = np.zeros((2, 3, 4, 6), dtype=dtype)
        expected[:, :, ::2, ::2] = grad_output
        np.testing.assert_array_equal(x.grad.data, expected)


def test_max_pool_windows_that_tile_the_image_and_windows_with_leftovers_agree():
    """The backward writes instead of adding when the windows tile the image; a left-over row and
    column (never in a window) take the other path, and must change nothing else, in values,
    gradients, gradients of gradients and tangents."""
    rng = np.random.default_rng(2)
    for dtype in (np.float32, np.float64):
        image = rng.integers(-2, 3, size=(2, 3, 7, 9)).astype(dtype)  # ties included
        grad_output = Tensor(rng.standard_normal((2, 3, 3, 4)).astype(dtype), requires_grad=True)
        weights = rng.standard_normal((2, 3, 7, 9)).astype(dtype)
        tangent = rng.standard_normal((2, 3, 7, 9)).astype(dtype)
        results = []
        for height, width in ((6, 8), (7, 9)):  # windows tile (6, 8); (7, 9) has a row and a column left over
            x = Tensor(image[:, :, :height, :width].copy(), requires_grad=True)
            y = F.max_pool2d(x, 2)
            (grad_x,) = tg.grad(y, [x], grad_outputs=grad_output, create_graph=True)
            # the gradient of a gradient: back through MaxPoolScatter, which is MaxPoolGather
            (grad_of_grad,) = tg.grad((grad_x * Tensor(weights[:, :, :height, :width].copy())).sum(), [grad_output])
            _, y_dot = tg.jvp(lambda x: F.max_pool2d(x, 2), x, Tensor(tangent[:, :, :height, :width].copy()))
            results.append((y.data, grad_x.data, grad_of_grad.data, y_dot.data))
        (tiled_y, tiled_grad, tiled_grad_of_grad, tiled_y_dot), (y, grad, grad_of_grad, y_dot) = results
        np.testing.assert_array_equal(tiled_y, y)
        np.testing.assert_array_equal(tiled_grad, grad[:, :, :6, :8])
        np.testing.assert_array_equal(grad[:, :, 6, :], 0.0)
        np.testing.assert_array_equal(grad[:, :, :, 8], 0.0)
        np.testing.assert_array_equal(tiled_grad_of_grad, grad_of_grad)
        np.testing.assert_array_equal(tiled_y_dot, y_dot)


def test_max_pool_window_with_a_nan_has_a_nan_maximum_as_in_pytorch():
    """The documented convention: the value is NaN; the gradient goes to the largest number
    before the first NaN, or to the NaN when it comes first."""
    x = Tensor(np.array([[[[1.0, 3.0, np.nan, 0.0], [np.nan, 2.0, 5.0, 4.0]]]]), requires_grad=True)
    y = F.max_pool2d(x, 2)
    assert np.isnan(y.data).all()
    y.backward(np.array([[[[7.0, 8.0]]]]))
    np.testing.assert_array_equal(x.grad.data, [[[[0.0, 7.0, 8.0, 0.0], [0.0, 0.0, 0.0, 0.0]]]])


def test_max_pool_kernel_with_more_than_256_offsets():
    """The winner is kept in the smallest integer type that holds every offset (uint16 here)."""
    x = Tensor(np.zeros((1, 1, 17, 17)), requires_grad=True)
    x.data[0, 0, 16, 16] = 1.0  # the last of the 289 offsets
    y = F.max_pool2d(x, 17)
    y.backward(np.array([[[[3.0]]]]))
    assert y.item() == 1.0
    assert x.grad.data[0, 0, 16, 16] == 3.0 and x.grad.data.sum() == 3.0


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("shape", "kernel", "stride", "padding"), MAX_POOL_SETTINGS)
def test_max_pool_matches_pytorch_with_ties(shape, kernel, stride, padding, dtype):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    x = rng.integers(-2, 3, size=shape).astype(dtype)
    x_tensor = Tensor(x, requires_grad=True)
    y = F.max_pool2d(x_tensor, kernel, stride=stride, padding=padding)
    grad_output = rng.standard_normal(y.shape).astype(dtype)
    y.backward(grad_output)
    x_torch = torch.tensor(x, requires_grad=True)
    y_torch = torch.nn.functional.max_pool2d(x_torch, kernel, stride=stride, padding=padding)
    y_torch.backward(torch.tensor(grad_output))
    np.testing.assert_array_equal(y.data, y_torch.detach().numpy())
    np.testing.assert_allclose(x_tensor.grad.data, x_torch.grad.numpy(), rtol=1e-6, atol=1e-6)


def test_avg_pool_shares_each_gradient_equally_over_its_window():
    x = Tensor(np.zeros((1, 1, 2, 4)), requires_grad=True)
    F.avg_pool2d(x, 2).backward(np.array([[[[4.0, 8.0]]]]))
    np.testing.assert_array_equal(x.grad.data, [[[[1.0, 1.0, 2.0, 2.0], [1.0, 1.0, 2.0, 2.0]]]])


def test_gradient_of_conv_is_a_conv_with_the_flipped_kernel():
    """1-D case on one row: ∂L/∂x is the full correlation of ∂L/∂y with the flipped kernel."""
    x = Tensor(np.arange(6.0).reshape(1, 1, 1, 6), requires_grad=True)
    kernel = np.array([1.0, 2.0, -1.0])
    y = F.conv2d(x, Tensor(kernel.reshape(1, 1, 1, 3)))
    grad_output = np.array([1.0, 0.5, -2.0, 3.0])
    y.backward(grad_output.reshape(1, 1, 1, 4))
    np.testing.assert_allclose(x.grad.data.ravel(), np.convolve(grad_output, kernel, mode="full"))


@pytest.mark.parametrize(
    ("x_shape", "w_shape", "settings"),
    [
        ((3, 1, 12, 12), (4, 1, 5, 5), {}),
        ((3, 4, 9, 7), (6, 4, 3, 2), {"stride": (2, 1), "padding": (1, 2)}),
        ((2, 6, 9, 9), (4, 3, 3, 3), {"stride": 2, "padding": 1, "dilation": 2, "groups": 2}),
    ],
    ids=["preset-first-layer", "stride-padding", "groups-dilation"],
)
def test_conv2d_float32_values_and_gradients_match_float64(x_shape, w_shape, settings):
    """The float32 path (the one training runs) gives the float64 numbers, checked by gradcheck, to
    float32 precision, and every gradient stays float32."""
    rng = np.random.default_rng(4)
    arrays = [rng.standard_normal(x_shape), rng.standard_normal(w_shape), rng.standard_normal(w_shape[0])]
    results = {}
    for dtype in (np.float32, np.float64):
        x, w, b = (Tensor(array.astype(dtype), requires_grad=True) for array in arrays)
        y = F.conv2d(x, w, b, **settings)
        y.backward(np.cos(np.arange(y.data.size)).reshape(y.shape).astype(dtype))  # a varied upstream gradient
        results[dtype] = [y.data, x.grad.data, w.grad.data, b.grad.data]
    for single, double in zip(results[np.float32], results[np.float64]):
        assert single.dtype == np.float32
        np.testing.assert_allclose(single, double, rtol=1e-4, atol=1e-4)


def test_second_derivative_of_conv_through_create_graph():
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((1, 2, 5, 5)), requires_grad=True)
    w = Tensor(rng.standard_normal((3, 2, 3, 3)), requires_grad=True)
    loss = (F.conv2d(x, w, padding=1) ** 2).sum()
    (grad_w,) = tg.grad(loss, [w], create_graph=True)
    assert grad_w.requires_grad
    (grad_x_of_norm,) = tg.grad((grad_w**2).sum(), [x])
    assert grad_x_of_norm.shape == x.shape
    assert tg.gradgradcheck(lambda x, w: (F.conv2d(x, w, padding=1) ** 2).sum(), [x, w])


@pytest.mark.parametrize(
    ("shape", "settings", "expected"),
    [
        ((2, 3, 28, 28), {}, (2, 8, 24, 24)),
        ((2, 3, 28, 28), {"padding": 2}, (2, 8, 28, 28)),
        ((2, 3, 28, 28), {"stride": 2}, (2, 8, 12, 12)),
        ((2, 3, 28, 28), {"dilation": 2}, (2, 8, 20, 20)),
        ((2, 3, 7, 9), {"stride": (2, 3), "padding": (1, 0)}, (2, 8, 3, 2)),
    ],
)
def test_conv2d_output_shape(shape, settings, expected):
    x = Tensor(np.zeros(shape, dtype=np.float32))
    w = Tensor(np.zeros((8, 3, 5, 5), dtype=np.float32))
    y = F.conv2d(x, w, **settings)
    assert y.shape == expected
    assert y.dtype == np.float32


def test_pool_stride_defaults_to_the_kernel_size():
    x = Tensor(np.zeros((1, 1, 28, 28)))
    assert F.max_pool2d(x, 2).shape == (1, 1, 14, 14)
    assert x.avg_pool2d(3).shape == (1, 1, 9, 9)
    assert x.max_pool2d(3, stride=1).shape == (1, 1, 26, 26)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: F.conv2d(Tensor(np.zeros((3, 5, 5))), Tensor(np.zeros((2, 3, 3, 3)))), ShapeError, "(N, C, H, W)"),
        (lambda: F.conv2d(Tensor(np.zeros((1, 4, 5, 5))), Tensor(np.zeros((2, 3, 3, 3)))), ShapeError, "in_channels"),
        (
            lambda: F.conv2d(Tensor(np.zeros((1, 4, 5, 5))), Tensor(np.zeros((3, 2, 3, 3))), groups=2),
            ShapeError,
            "divisible",
        ),
        (
            lambda: F.conv2d(Tensor(np.zeros((1, 3, 5, 5))), Tensor(np.zeros((2, 3, 3, 3))), Tensor(np.zeros(3))),
            ShapeError,
            "bias",
        ),
        (lambda: F.conv2d(Tensor(np.zeros((1, 3, 2, 2))), Tensor(np.zeros((2, 3, 3, 3)))), ShapeError, "larger"),
        (lambda: F.conv2d(Tensor(np.zeros((1, 3, 5, 5))), Tensor(np.zeros((2, 3, 3, 3))), stride=0), ValueError, "≥ 1"),
        (lambda: F.max_pool2d(Tensor(np.zeros((1, 1, 5, 5))), 2, padding=2), ValueError, "half the kernel"),
        (lambda: F.avg_pool2d(Tensor(np.zeros((1, 1, 1, 5))), 2), ShapeError, "smaller than"),
        (lambda: F.max_pool2d(Tensor(np.zeros((5, 5))), 2), ShapeError, "(N, C, H, W)"),
        (lambda: F.max_pool2d(Tensor(np.zeros((1, 1, 5, 5))), (2, 2, 2)), ValueError, "kernel_size"),
    ],
)
def test_bad_settings_raise_a_clear_error(call, error, message):
    with pytest.raises(error, match=message.replace("(", r"\(").replace(")", r"\)")):
        call()
