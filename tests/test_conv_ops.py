"""Convolution and pooling ops beyond the op table (tests/test_ops.py): the op contracts through
check_op, how ties are routed, gradients of gradients, shapes of the output, and the errors."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu import Tensor
from tinygrad_edu.errors import ShapeError
from tinygrad_edu.testing import check_op


def _distinct(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Values at least 0.1 apart, so no window of a max pool has a tie."""
    return (rng.permutation(int(np.prod(shape))) * 0.1).reshape(shape)


@pytest.mark.parametrize(
    ("fn", "shapes", "domain"),
    [
        (lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1), ((2, 3, 6, 5), (4, 3, 3, 3), (4,)), "real"),
        (lambda x, w: F.conv2d(x, w, dilation=2, groups=3), ((1, 3, 7, 7), (6, 1, 2, 3)), "real"),
        (lambda x: F.max_pool2d(x, 2), ((2, 2, 4, 6),), _distinct),
        (lambda x: F.avg_pool2d(x, 3, stride=1, padding=1), ((2, 2, 4, 5),), "real"),
    ],
    ids=["conv2d", "conv2d-dilation-groups", "max_pool2d", "avg_pool2d"],
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
