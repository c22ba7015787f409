"""nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d: shapes, PyTorch's initialisation and state-dict keys,
the default generator, and a small CNN that learns."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import Tensor, nn, optim


def test_conv2d_parameters_have_pytorch_shapes_and_keys():
    layer = nn.Conv2d(4, 6, (3, 5), groups=2)
    state = layer.state_dict()
    assert list(state) == ["weight", "bias"]
    assert state["weight"].shape == (6, 2, 3, 5)
    assert state["bias"].shape == (6,)
    assert state["weight"].dtype == np.float32
    assert nn.Conv2d(1, 8, 5, bias=False).bias is None
    assert list(nn.Conv2d(1, 8, 5, bias=False).state_dict()) == ["weight"]


def test_conv2d_initialisation_is_uniform_within_one_over_root_fan_in():
    layer = nn.Conv2d(16, 64, 5, generator=np.random.default_rng(0))
    bound = 1 / math.sqrt(16 * 5 * 5)  # kaiming_uniform with a = √5 gives the same bound as the bias
    for values in (layer.weight.data, layer.bias.data):
        assert np.abs(values).max() <= bound
        assert np.abs(values).max() > 0.95 * bound
    assert abs(layer.weight.data.std() - bound / math.sqrt(3)) < 0.05 * bound  # U(−b, b) has std b/√3


def test_conv2d_draws_from_the_default_generator_without_one():
    tg.manual_seed(3)
    first = nn.Conv2d(2, 3, 3).weight.data.copy()
    tg.manual_seed(3)
    np.testing.assert_array_equal(nn.Conv2d(2, 3, 3).weight.data, first)
    with_generator = nn.Conv2d(2, 3, 3, generator=np.random.default_rng(3)).weight.data
    again = nn.Conv2d(2, 3, 3, generator=np.random.default_rng(3)).weight.data
    np.testing.assert_array_equal(with_generator, again)


def test_conv2d_forward_is_the_functional_with_its_settings():
    layer = nn.Conv2d(2, 4, 3, stride=2, padding=1, dilation=1, generator=np.random.default_rng(1))
    x = Tensor(np.random.default_rng(2).standard_normal((3, 2, 9, 9)).astype(np.float32))
    expected = tg.nn.functional.conv2d(x, layer.weight, layer.bias, stride=2, padding=1)
    y = layer(x)
    assert y.shape == (3, 4, 5, 5)
    np.testing.assert_array_equal(y.data, expected.data)
    assert "Conv2d(2, 4, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1))" in repr(layer)


def test_conv2d_rejects_channels_not_divisible_by_groups():
    with pytest.raises(ValueError, match="divisible by groups=2"):
        nn.Conv2d(3, 4, 3, groups=2)


def test_pooling_layers():
    x = Tensor(np.arange(16.0).reshape(1, 1, 4, 4))
    np.testing.assert_array_equal(nn.MaxPool2d(2)(x).data, [[[[5.0, 7.0], [13.0, 15.0]]]])
    np.testing.assert_array_equal(nn.AvgPool2d(2)(x).data, [[[[2.5, 4.5], [10.5, 12.5]]]])
    assert nn.MaxPool2d(3, stride=1, padding=1)(x).shape == (1, 1, 4, 4)
    assert list(nn.MaxPool2d(2).parameters()) == []


def test_a_small_cnn_learns_and_round_trips_its_state_dict():
    rng = np.random.default_rng(0)
    model = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1, generator=rng),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(4 * 4 * 4, 2, generator=rng),
    )
    # two classes: a bright vertical or a bright horizontal bar
    images = np.zeros((32, 1, 8, 8), dtype=np.float32)
    labels = np.arange(32) % 2
    for i, label in enumerate(labels):
        position = rng.integers(1, 7)
        if label:
            images[i, 0, :, position] = 1.0
        else:
            images[i, 0, position, :] = 1.0
    optimizer = optim.Adam(model.parameters(), lr=0.02)
    for _ in range(40):
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(Tensor(images)), labels)
        loss.backward()
        optimizer.step()
    assert loss.item() < 0.1
    state = model.state_dict()
    assert list(state) == ["0.weight", "0.bias", "4.weight", "4.bias"]
    copy = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(64, 2))
    copy.load_state_dict(state)
    np.testing.assert_array_equal(copy(Tensor(images)).data, model(Tensor(images)).data)


def adaptive_reference(x, out_height, out_width):
    """PyTorch's windows: rows ⌊i·H/OH⌋ to ⌈(i+1)·H/OH⌉, columns likewise."""
    height, width = x.shape[2:]
    y = np.empty(x.shape[:2] + (out_height, out_width))
    for i in range(out_height):
        for j in range(out_width):
            rows = slice(i * height // out_height, math.ceil((i + 1) * height / out_height))
            cols = slice(j * width // out_width, math.ceil((j + 1) * width / out_width))
            y[:, :, i, j] = x[:, :, rows, cols].mean(axis=(2, 3))
    return y


@pytest.mark.parametrize(
    "output_size, expected", [((1, 1), (1, 1)), (2, (2, 2)), ((2, 3), (2, 3)), ((3, 4), (3, 4)), ((None, 2), (4, 2))]
)
def test_adaptive_avg_pool2d(output_size, expected):
    x = Tensor(np.random.default_rng(0).normal(size=(2, 3, 4, 6)), requires_grad=True)
    pool = nn.AdaptiveAvgPool2d(output_size)
    y = pool(x)
    assert y.shape == (2, 3) + expected
    np.testing.assert_allclose(y.data, adaptive_reference(x.data, *expected), rtol=1e-12)
    assert tg.gradcheck(pool, [x])
    if output_size == (1, 1):
        np.testing.assert_allclose(y.data[..., 0, 0], x.data.mean(axis=(2, 3)), rtol=1e-12)
