"""Layers: Linear (shapes, formula, PyTorch's initialisation), activations, Dropout, Flatten."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import Tensor, nn


def test_linear_shapes_and_formula():
    rng = np.random.default_rng(0)
    layer = nn.Linear(5, 3, generator=rng)
    assert layer.weight.shape == (3, 5) and layer.bias.shape == (3,)
    x = rng.normal(size=(4, 5)).astype(np.float32)
    y = layer(Tensor(x))
    np.testing.assert_allclose(y.data, x @ layer.weight.data.T + layer.bias.data, rtol=1e-6)
    assert y.dtype == np.float32 and y.shape == (4, 3)


def test_linear_weight_gradient_shares_the_weights_memory_order():
    layer = nn.Linear(6, 4)
    layer(Tensor(np.ones((3, 6), dtype=np.float32))).sum().backward()
    assert layer.weight.grad.data.strides == layer.weight.data.strides  # so optimizer steps need no transposing
    assert layer.state_dict()["weight"].flags["C_CONTIGUOUS"]  # checkpoints are ordinary row-major arrays


def test_linear_without_bias():
    layer = nn.Linear(5, 3, bias=False)
    assert layer.bias is None and [name for name, _ in layer.named_parameters()] == ["weight"]
    x = np.ones((2, 5), dtype=np.float32)
    np.testing.assert_allclose(layer(Tensor(x)).data, x @ layer.weight.data.T, rtol=1e-6)


def test_linear_init_is_uniform_in_plus_minus_one_over_sqrt_in():
    layer = nn.Linear(400, 300, generator=np.random.default_rng(1))
    bound = 1 / math.sqrt(400)
    weight = layer.weight.data
    assert np.abs(weight).max() <= bound
    assert np.abs(weight).max() > 0.99 * bound  # really spread over the whole interval
    assert abs(weight.mean()) < 0.01 * bound
    np.testing.assert_allclose(weight.var(), bound**2 / 3, rtol=0.02)  # variance of U(−b, b)
    bias = layer.bias.data
    assert np.abs(bias).max() <= bound and np.abs(bias).max() > 0.9 * bound


def test_linear_init_is_reproducible_with_a_generator():
    a = nn.Linear(4, 3, generator=np.random.default_rng(42))
    b = nn.Linear(4, 3, generator=np.random.default_rng(42))
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    np.testing.assert_array_equal(a.bias.data, b.bias.data)


def test_linear_gradients_float64():
    rng = np.random.default_rng(3)
    layer = nn.Linear(4, 3, generator=rng, dtype=np.float64)
    x = Tensor(rng.normal(size=(2, 4)), requires_grad=True)

    def fn(x, weight, bias):
        return x @ weight.T + bias

    # NOTE: gradcheck perturbs x.data.reshape(-1), which is a copy (not a view) for the column-major
    # weight, so it is given a row-major copy with the same values (see gradcheck._numerical).
    weight = Tensor(np.ascontiguousarray(layer.weight.data), requires_grad=True)
    assert tg.gradcheck(fn, [x, weight, layer.bias])
    layer(x).sum().backward()
    np.testing.assert_allclose(layer.bias.grad.data, [2.0, 2.0, 2.0])
    np.testing.assert_allclose(layer.weight.grad.data, np.tile(x.data.sum(axis=0), (3, 1)))


ACTIVATIONS = [
    (nn.ReLU(), lambda x: np.maximum(x, 0), "ReLU()"),
    (nn.Sigmoid(), lambda x: 1 / (1 + np.exp(-x)), "Sigmoid()"),
    (nn.Tanh(), np.tanh, "Tanh()"),
    (nn.LeakyReLU(0.2), lambda x: np.where(x > 0, x, 0.2 * x), "LeakyReLU(negative_slope=0.2)"),
    (nn.Softmax(axis=1), lambda x: np.exp(x) / np.exp(x).sum(axis=1, keepdims=True), "Softmax(dim=1)"),
    (nn.LogSoftmax(axis=1), lambda x: x - np.log(np.exp(x).sum(axis=1, keepdims=True)), "LogSoftmax(dim=1)"),
    (nn.Identity(), lambda x: x, "Identity()"),
    (nn.ReLU(inplace=True), lambda x: np.maximum(x, 0), "ReLU(inplace=True)"),  # accepted; a new tensor
]


@pytest.mark.parametrize("layer, reference, text", ACTIVATIONS, ids=[text for _, _, text in ACTIVATIONS])
def test_activation_layers(layer, reference, text):
    x = np.random.default_rng(0).normal(size=(3, 4))
    np.testing.assert_allclose(layer(Tensor(x)).data, reference(x), rtol=1e-12)
    assert repr(layer) == text
    assert list(layer.parameters()) == []


def test_flatten():
    x = Tensor(np.arange(24.0).reshape(2, 3, 4))
    assert nn.Flatten()(x).shape == (2, 12)
    assert nn.Flatten(0, 1)(x).shape == (6, 4)


def test_dropout_train_and_eval_with_seeded_generators():
    x = Tensor(np.ones((50, 40), dtype=np.float32))
    first = nn.Dropout(0.25, generator=np.random.default_rng(9))
    second = nn.Dropout(0.25, generator=np.random.default_rng(9))
    y1, y2 = first(x), second(x)
    np.testing.assert_array_equal(y1.data, y2.data)  # same seed, same masks
    assert not np.array_equal(first(x).data, y1.data)  # the generator moves on: a new mask
    assert set(np.unique(y1.data)) == {np.float32(0.0), np.float32(1 / 0.75)}
    assert abs((y1.data == 0).mean() - 0.25) < 0.03
    first.eval()
    assert first(x) is x  # off in evaluation
    first.train()
    assert first(x) is not x


def test_dropout_rejects_bad_p():
    with pytest.raises(ValueError, match="got -0.1"):
        nn.Dropout(-0.1)


def test_mlp_trains_on_a_tiny_problem():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 2)).astype(np.float32)
    labels = (x[:, 0] * x[:, 1] > 0).astype(np.int64)  # XOR-like quadrants
    model = nn.Sequential(nn.Linear(2, 16, generator=rng), nn.Tanh(), nn.Linear(16, 2, generator=rng))
    optimizer = tg.optim.Adam(model.parameters(), lr=0.05)
    for _ in range(150):
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(Tensor(x)), labels)
        loss.backward()
        optimizer.step()
    accuracy = (model(Tensor(x)).data.argmax(axis=1) == labels).mean()
    assert loss.item() < 0.2 and accuracy > 0.95
