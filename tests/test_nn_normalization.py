"""BatchNorm1d / BatchNorm2d: the formula in training and evaluation, running statistics as
PyTorch keeps them, state-dict keys and buffers, gradients checked in float64."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import Tensor, nn
from tinygrad_edu.errors import ShapeError
from tinygrad_edu.nn import functional as F

SHAPES = [(5, 3), (3, 3, 4), (2, 3, 3, 2)]  # (N, C), (N, C, L), (N, C, H, W)


def module_for(shape, **settings):
    return nn.BatchNorm1d(3, **settings) if len(shape) < 4 else nn.BatchNorm2d(3, **settings)


def reference(x, mean, var, weight, bias, eps=1e-5):
    shape = (1, -1) + (1,) * (x.ndim - 2)
    return (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps) * weight.reshape(shape) + bias.reshape(shape)


@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_training_normalizes_with_batch_statistics_and_updates_running_ones(shape):
    rng = np.random.default_rng(0)
    layer = module_for(shape).double()
    layer.weight.data[:] = rng.normal(size=3)
    layer.bias.data[:] = rng.normal(size=3)
    axes = (0,) + tuple(range(2, len(shape)))
    running_mean, running_var = np.zeros(3), np.ones(3)
    for _ in range(3):
        x = rng.normal(size=shape) * 3 + 2
        y = layer(Tensor(x))
        mean, var = x.mean(axis=axes), x.var(axis=axes)
        np.testing.assert_allclose(y.data, reference(x, mean, var, layer.weight.data, layer.bias.data), rtol=1e-10)
        n = x.size / 3
        running_mean = 0.9 * running_mean + 0.1 * mean
        running_var = 0.9 * running_var + 0.1 * var * n / (n - 1)  # unbiased, as PyTorch
    np.testing.assert_allclose(layer.running_mean.data, running_mean, rtol=1e-12)
    np.testing.assert_allclose(layer.running_var.data, running_var, rtol=1e-12)
    assert layer.num_batches_tracked.item() == 3 and layer.num_batches_tracked.dtype == np.int64

    layer.eval()
    x = rng.normal(size=shape)
    expected = reference(x, running_mean, running_var, layer.weight.data, layer.bias.data)
    np.testing.assert_allclose(layer(Tensor(x)).data, expected, rtol=1e-10)
    np.testing.assert_allclose(layer(Tensor(x[:1])).data, expected[:1], rtol=1e-10)  # any batch, even of one
    assert layer.num_batches_tracked.item() == 3  # evaluation changes no statistics


def test_momentum_none_is_the_cumulative_average():
    rng = np.random.default_rng(1)
    layer = nn.BatchNorm1d(3, momentum=None).double()
    batches = [rng.normal(size=(5, 3)) + k for k in range(4)]
    for x in batches:
        layer(Tensor(x))
    np.testing.assert_allclose(layer.running_mean.data, np.mean([x.mean(axis=0) for x in batches], axis=0))
    np.testing.assert_allclose(layer.running_var.data, np.mean([x.var(axis=0, ddof=1) for x in batches], axis=0))


def test_state_dict_keys_and_buffers_are_pytorchs():
    model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3), nn.ReLU())
    assert list(model.state_dict()) == [
        "0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var", "1.num_batches_tracked"
    ]  # fmt: skip
    assert [name for name, _ in model.named_parameters()] == ["0.weight", "0.bias", "1.weight", "1.bias"]
    assert [name for name, _ in model.named_buffers()] == ["1.running_mean", "1.running_var", "1.num_batches_tracked"]
    model(Tensor(np.random.default_rng(2).normal(size=(4, 2)).astype(np.float32)))
    saved = model.state_dict()
    fresh = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3), nn.ReLU())
    fresh.load_state_dict(saved)
    np.testing.assert_array_equal(fresh[1].running_var.data, model[1].running_var.data)
    assert fresh[1].num_batches_tracked.item() == 1
    model.double()
    assert model[1].running_mean.dtype == np.float64 and model[1].num_batches_tracked.dtype == np.int64
    with pytest.raises(tg.nn.StateDictError, match="missing key.*running_mean"):
        fresh.load_state_dict({k: v for k, v in saved.items() if k != "1.running_mean"})


def test_affine_false_and_no_running_statistics():
    layer = nn.BatchNorm2d(3, affine=False, track_running_stats=False)
    assert list(layer.parameters()) == [] and list(layer.state_dict()) == []
    x = np.random.default_rng(3).normal(size=(2, 3, 2, 2))
    layer.eval()  # without running statistics, evaluation still uses the batch's own
    np.testing.assert_allclose(
        layer(Tensor(x)).data,
        reference(x, x.mean(axis=(0, 2, 3)), x.var(axis=(0, 2, 3)), np.ones(3), np.zeros(3)),
        rtol=1e-10,
    )


def test_bad_inputs():
    with pytest.raises(ShapeError, match=r"BatchNorm2d\(3\): expected input of shape \(N, C, H, W\)"):
        nn.BatchNorm2d(3)(tg.zeros(2, 3))
    with pytest.raises(ShapeError, match="C=4"):
        nn.BatchNorm1d(4)(tg.zeros(2, 3))
    with pytest.raises(ValueError, match="more than 1 value per channel when training"):
        nn.BatchNorm1d(3)(tg.zeros(1, 3))


@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_gradients_in_training_and_evaluation(shape):
    rng = np.random.default_rng(4)
    x = Tensor(rng.normal(size=shape), requires_grad=True)
    weight = Tensor(rng.normal(size=3), requires_grad=True)
    bias = Tensor(rng.normal(size=3), requires_grad=True)
    running_mean, running_var = Tensor(rng.normal(size=3)), Tensor(rng.uniform(0.5, 2, size=3))
    assert tg.gradcheck(
        lambda x, w, b: F.batch_norm(x, running_mean, running_var, w, b, training=True), [x, weight, bias]
    )
    assert tg.gradcheck(lambda x, w, b: F.batch_norm(x, running_mean, running_var, w, b), [x, weight, bias])
    # forward mode: the tangent agrees with central differences along a random direction
    tangent = rng.normal(size=shape)
    _, output_tangent = tg.jvp(
        lambda x: F.batch_norm(x, None, None, weight, bias, training=True), (x,), (Tensor(tangent),)
    )
    step = 1e-6
    plus = F.batch_norm(Tensor(x.data + step * tangent), None, None, weight, bias, training=True).data
    minus = F.batch_norm(Tensor(x.data - step * tangent), None, None, weight, bias, training=True).data
    np.testing.assert_allclose(output_tangent.data, (plus - minus) / (2 * step), rtol=1e-5, atol=1e-8)
    if len(shape) == 2:  # second derivatives too (the ops record graphs of their own)
        assert tg.gradgradcheck(lambda x, w: F.batch_norm(x, None, None, w, None, training=True), [x, weight])


def test_matches_torch_if_installed():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    for shape in SHAPES:
        ours, theirs = (
            module_for(shape, momentum=0.3),
            getattr(torch.nn, type(module_for(shape)).__name__)(3, momentum=0.3),
        )
        for _ in range(2):
            x = rng.normal(size=shape).astype(np.float32)
            np.testing.assert_allclose(
                ours(Tensor(x)).data, theirs(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-5
            )
        for key, value in theirs.state_dict().items():
            np.testing.assert_allclose(ours.state_dict()[key], value.numpy(), rtol=1e-5)
        ours.eval(), theirs.eval()
        np.testing.assert_allclose(ours(Tensor(x)).data, theirs(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-5)
