"""nn.init: PyTorch's formulas for fans, gains and the initialisers, checked statistically."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tinygrad_edu import ShapeError, Tensor, nn
from tinygrad_edu.nn import init


def empty(*shape, dtype=np.float32):
    return nn.Parameter(np.zeros(shape, dtype=dtype))


def test_fans_like_pytorch():
    assert init.calculate_fan_in_and_fan_out(empty(30, 20)) == (20, 30)
    assert init.calculate_fan_in_and_fan_out(empty(16, 8, 3, 3)) == (8 * 9, 16 * 9)
    with pytest.raises(ShapeError, match=r"at least 2 dimensions.*\(5,\)"):
        init.calculate_fan_in_and_fan_out(empty(5))


def test_gains_like_pytorch():
    assert init.calculate_gain("linear") == 1.0
    assert init.calculate_gain("sigmoid") == 1.0
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert init.calculate_gain("leaky_relu") == pytest.approx(math.sqrt(2 / (1 + 0.01**2)))
    assert init.calculate_gain("leaky_relu", math.sqrt(5)) == pytest.approx(math.sqrt(1 / 3))
    assert init.calculate_gain("selu") == 0.75
    with pytest.raises(ValueError, match="unknown nonlinearity 'swish'"):
        init.calculate_gain("swish")


def check_uniform(values, bound):
    assert np.abs(values).max() <= bound * (1 + 1e-6)
    assert np.abs(values).max() > 0.98 * bound
    np.testing.assert_allclose(values.var(), bound**2 / 3, rtol=0.03)


def check_normal(values, std):
    assert abs(values.mean()) < 0.02 * std
    np.testing.assert_allclose(values.std(), std, rtol=0.02)


def test_kaiming_uniform():
    w = empty(300, 200)
    result = init.kaiming_uniform_(w, nonlinearity="relu", generator=np.random.default_rng(0))
    assert result is w
    check_uniform(w.data, math.sqrt(2) * math.sqrt(3 / 200))
    init.kaiming_uniform_(w, mode="fan_out", nonlinearity="relu", generator=np.random.default_rng(0))
    check_uniform(w.data, math.sqrt(2) * math.sqrt(3 / 300))
    init.kaiming_uniform_(w, a=math.sqrt(5), generator=np.random.default_rng(0))  # Linear's default
    check_uniform(w.data, 1 / math.sqrt(200))


def test_kaiming_normal():
    w = empty(300, 200)
    init.kaiming_normal_(w, nonlinearity="relu", generator=np.random.default_rng(1))
    check_normal(w.data, math.sqrt(2) / math.sqrt(200))
    init.kaiming_normal_(w, a=0.2, mode="fan_out", generator=np.random.default_rng(1))
    check_normal(w.data, math.sqrt(2 / 1.04) / math.sqrt(300))


def test_xavier():
    w = empty(300, 200)
    init.xavier_uniform_(w, gain=2.0, generator=np.random.default_rng(2))
    check_uniform(w.data, 2.0 * math.sqrt(6 / 500))
    init.xavier_normal_(w, generator=np.random.default_rng(2))
    check_normal(w.data, math.sqrt(2 / 500))


def test_simple_fills_keep_the_array_and_dtype():
    w = empty(200, 300, dtype=np.float64)
    array = w._data
    init.normal_(w, mean=3.0, std=0.5, generator=np.random.default_rng(3))
    np.testing.assert_allclose(w.data.mean(), 3.0, atol=0.01)
    check_normal(w.data - 3.0, 0.5)
    init.uniform_(w, -2.0, 4.0, generator=np.random.default_rng(3))
    assert w.data.min() >= -2.0 and w.data.max() < 4.0
    np.testing.assert_allclose(w.data.mean(), 1.0, atol=0.02)
    init.zeros_(w)
    assert np.all(w.data == 0)
    init.ones_(w)
    assert np.all(w.data == 1)
    assert w._data is array and w.dtype == np.float64


def test_same_generator_seed_same_values_and_float32_kept():
    a, b = empty(4, 5), empty(4, 5)
    init.xavier_uniform_(a, generator=np.random.default_rng(7))
    init.xavier_uniform_(b, generator=np.random.default_rng(7))
    np.testing.assert_array_equal(a.data, b.data)
    assert a.dtype == np.float32


def test_init_records_no_graph():
    w = empty(3, 4)
    init.kaiming_uniform_(w, generator=np.random.default_rng(0))
    assert w.is_leaf and w.grad is None and isinstance(w, Tensor)
