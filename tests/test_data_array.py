"""``.data`` is the tensor's NumPy array, with the PyTorch in-place methods old tutorials call on it.

The expected values are what PyTorch gives for the same lines, written out.
"""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.data_array import TensorData


def make() -> tg.Tensor:
    return tg.tensor([[1.0, -2.0], [3.0, 4.0]])


# ----- PyTorch's in-place methods: values and return values ------------------------------------


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (lambda d: d.zero_(), [[0.0, 0.0], [0.0, 0.0]]),
        (lambda d: d.fill_(7), [[7.0, 7.0], [7.0, 7.0]]),
        (lambda d: d.fill_(tg.tensor(2.5)), [[2.5, 2.5], [2.5, 2.5]]),
        (lambda d: d.add_(1), [[2.0, -1.0], [4.0, 5.0]]),
        (lambda d: d.add_(tg.tensor([1.0, 10.0]), alpha=2), [[3.0, 18.0], [5.0, 24.0]]),
        (lambda d: d.sub_(np.ones((2, 2), np.float32), alpha=0.5), [[0.5, -2.5], [2.5, 3.5]]),
        (lambda d: d.sub_(tg.tensor([[1.0, 1.0], [1.0, 1.0]])), [[0.0, -3.0], [2.0, 3.0]]),
        (lambda d: d.mul_(tg.tensor([2.0, -1.0])), [[2.0, 2.0], [6.0, -4.0]]),
        (lambda d: d.div_(2), [[0.5, -1.0], [1.5, 2.0]]),
        (lambda d: d.copy_(tg.tensor([5.0, 6.0])), [[5.0, 6.0], [5.0, 6.0]]),
        (lambda d: d.clamp_(min=0), [[1.0, 0.0], [3.0, 4.0]]),
        (lambda d: d.clamp_(-1, 2), [[1.0, -1.0], [2.0, 2.0]]),
    ],
)
def test_in_place_methods_write_into_the_tensor_and_return_the_array(call, expected):
    x = make()
    before = x._data
    returned = call(x.data)
    np.testing.assert_array_equal(x._data, expected)
    assert x._data is before and x.dtype == np.float32  # the same array, written into
    assert isinstance(returned, TensorData) and np.shares_memory(returned, x._data)


def test_norm_clone_and_size_as_pytorch():
    x = make()
    norm = x.data.norm()
    assert isinstance(norm, np.float32) and norm == pytest.approx(5.4772256)  # torch: tensor(5.4772)
    assert x.data.norm(1) == 10.0 and x.data.norm(np.inf) == 4.0
    np.testing.assert_allclose(x.data.norm(dim=1), [2.236068, 5.0], rtol=1e-6)
    copy = x.data.clone()
    assert type(copy) is np.ndarray and not np.shares_memory(copy, x._data)
    copy[0, 0] = 100.0
    assert x._data[0, 0] == 1.0
    assert x.data.size() == (2, 2) and x.data.size(1) == 2
    assert x.data.size == 4  # without a call: NumPy's element count


def test_in_place_operators_take_a_tensor_operand_and_count_as_assignment():
    w = make()
    array, version = w._data, w._version
    w.data -= 0.5 * w
    np.testing.assert_array_equal(w._data, [[0.5, -1.0], [1.5, 2.0]])
    assert w._data is array and type(w._data) is np.ndarray
    assert w._version == version + 1  # as `w.data = ...` counts today
    w.data += w
    w.data *= tg.tensor(2.0)
    w.data /= tg.tensor([1.0, 2.0])
    np.testing.assert_array_equal(w._data, [[2.0, -2.0], [6.0, 4.0]])
    assert w._version == version + 4 and w._data is array
    with pytest.raises(tg.BackwardError, match="was changed after the forward pass"):
        v = tg.ones(2, requires_grad=True)
        y = v * v
        v.data -= tg.ones(2)
        y.sum().backward()


def test_assigning_another_array_or_a_slice_stores_a_plain_array():
    a, b = make(), tg.tensor([1.0, 2.0])
    b.data = a.data[0]
    assert type(b._data) is np.ndarray and np.shares_memory(b._data, a._data)  # shared, as torch
    a.data = a.data * 2
    assert type(a._data) is np.ndarray


# ----- it is NumPy's array: printing, arithmetic, no leaks -------------------------------------


def test_prints_as_the_plain_array():
    for x in (make(), tg.tensor(3.0), tg.arange(6).reshape(2, 3), tg.zeros(0)):
        plain = x._data
        assert repr(x.data) == repr(plain) and str(x.data) == str(plain)
        assert f"{x.data}" == f"{plain}" and isinstance(x.data, np.ndarray)


def test_computation_gives_plain_arrays():
    d = make().data
    results = [
        d * 2, d + d, -d, d @ d, d > 0, np.exp(d), d.sum(), d.sum(axis=0), d.mean(), np.mean(d),
        np.concatenate([d, d]), np.stack([d, d]), d.copy(), d.astype(np.float64), np.clip(d, 0, 1),
        np.where(d > 0, d, 0), d.max(), np.linalg.norm(d), np.maximum.reduce(d), np.modf(d)[0], np.tile(d, 2),
        np.delete(d, 0), d.dot(d), d.flatten(), d.repeat(2), d.cumsum(), d.round(),
    ]  # fmt: skip
    for result in results:
        assert type(result) in (np.ndarray, np.float32, np.float64, np.bool_), type(result)
    assert isinstance(d.T, TensorData) and isinstance(d[0], TensorData)  # views stay views
    x = make()
    x.data[0].fill_(9)  # as m.weight.data[0].fill_(9) in PyTorch
    np.testing.assert_array_equal(x._data, [[9.0, 9.0], [3.0, 4.0]])


def test_tensors_and_saved_files_never_hold_a_tensor_data(tmp_path):
    x = make()
    for made in (tg.Tensor(x.data), tg.tensor(x.data), tg.as_tensor(x.data), x.detach(), x + x.data):
        assert type(made._data) is np.ndarray
    assert type(x.numpy()) is np.ndarray and type(np.asarray(x)) is np.ndarray
    layer = nn.Linear(2, 2)
    layer.weight.data = layer.weight.data * 0 + x.data
    tg.save(layer.state_dict(), tmp_path / "w.pt")
    loaded = tg.load(tmp_path / "w.pt")
    weight = loaded["weight"]
    assert type(getattr(weight, "_data", weight)) is np.ndarray
    np.testing.assert_array_equal(np.asarray(weight), x._data)


# ----- Tensor methods on .data: an error that says where they are -------------------------------


@pytest.mark.parametrize("name", ["backward", "grad", "requires_grad_", "unsqueeze", "detach", "item_"])
def test_a_tensor_name_on_data_says_to_use_the_tensor(name):
    x = make()
    with pytest.raises(AttributeError) as caught:
        getattr(x.data, name)
    message = str(caught.value)
    if name == "item_":  # not a Tensor name: NumPy's own message
        assert message == "'numpy.ndarray' object has no attribute 'item_'"
    else:
        assert message.startswith("`.data` is the tensor's NumPy array here") and "\n" not in message
        assert f"`t.data.{name}` is a Tensor" in message and f"`t.{name}" in message
    assert not hasattr(x.data, "backward") and hasattr(x.data, "reshape")


# ----- the old tutorial loop --------------------------------------------------------------------


def test_the_blitz_update_loop_trains_a_small_net():
    tg.manual_seed(0)
    net = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1))
    inputs = tg.randn(32, 3)
    targets = inputs.sum(dim=1, keepdim=True)
    criterion, learning_rate, losses = nn.MSELoss(), 0.05, []
    for _ in range(60):
        for f in net.parameters():
            if f.grad is not None:
                f.grad.data.zero_()
        loss = criterion(net(inputs), targets)
        loss.backward()
        for f in net.parameters():
            f.data.sub_(f.grad.data * learning_rate)
        losses.append(loss.item())
    assert losses[-1] < 0.2 * losses[0]
    assert all(type(p._data) is np.ndarray for p in net.parameters())


def test_teaching_mode_catches_a_write_through_data_before_backward():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    with tg.teaching_mode():
        y = (x * x).sum()
        x.data.add_(1)
        with pytest.warns(tg.TeachingWarning, match=r"\.data"):
            y.backward()
