"""The tensor surface a PyTorch user reaches for: each alias against its PyTorch meaning.

The expected values, shapes and dtypes are written out from PyTorch's documented semantics,
so the suite needs no PyTorch; gradients through the aliases are checked by central
differences in float64 (tg.gradcheck, random upstream gradient). Where PyTorch is installed,
the tests at the end compare with it directly.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu import BackwardError, DTypeError, ShapeError, Tensor, nn

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "pytorch_style_mlp.py"
RNG = np.random.default_rng(14)
M = np.array([[1.0, 5.0, 5.0], [4.0, 2.0, 6.0]])  # a tie in row 0: 5 at columns 1 and 2


def float64(*shape: int) -> Tensor:
    return Tensor(RNG.standard_normal(shape), requires_grad=True)


# ----- dim= / keepdim= beside axis= / keepdims= ---------------------------------------------------

# name, the NumPy spelling, the PyTorch spelling (must agree)
SAME_MEANING = [
    ("sum", lambda x: x.sum(axis=1), lambda x: x.sum(dim=1)),
    ("sum keep", lambda x: x.sum(axis=0, keepdims=True), lambda x: x.sum(dim=0, keepdim=True)),
    ("sum of a list of dims", lambda x: x.sum(axis=(0, 1)), lambda x: x.sum(dim=[0, 1])),
    ("mean", lambda x: x.mean(axis=-1, keepdims=True), lambda x: x.mean(dim=-1, keepdim=True)),
    ("argmax", lambda x: x.argmax(axis=1), lambda x: x.argmax(dim=1)),
    ("argmin keep", lambda x: x.argmin(axis=0, keepdims=True), lambda x: x.argmin(dim=0, keepdim=True)),
    ("softmax", lambda x: x.softmax(axis=0), lambda x: x.softmax(dim=0)),
    ("log_softmax", lambda x: x.log_softmax(axis=0), lambda x: x.log_softmax(dim=0)),
    ("F.softmax", lambda x: F.softmax(x, axis=0), lambda x: F.softmax(x, dim=0)),
    ("F.log_softmax", lambda x: F.log_softmax(x, axis=1), lambda x: F.log_softmax(x, dim=1)),
    ("flatten", lambda x: x.flatten(0, 1), lambda x: x.flatten(start_dim=0, end_dim=1)),
    ("cat", lambda x: tg.concatenate([x, x], axis=1), lambda x: tg.cat([x, x], dim=1)),
    ("stack", lambda x: tg.stack([x, x], axis=2), lambda x: tg.stack([x, x], dim=2)),
]


@pytest.mark.parametrize("name, numpy_spelling, pytorch_spelling", SAME_MEANING, ids=[c[0] for c in SAME_MEANING])
def test_dim_and_axis_spell_the_same_reduction(name, numpy_spelling, pytorch_spelling):
    x = Tensor(M)
    expected = numpy_spelling(x)
    got = pytorch_spelling(x)
    assert got.shape == expected.shape and got.dtype == expected.dtype
    np.testing.assert_array_equal(got.data, expected.data)


def test_reductions_with_dim_give_pytorchs_values():
    x = Tensor(M)
    np.testing.assert_array_equal(x.sum(dim=1).data, [11.0, 12.0])
    assert x.sum(dim=1, keepdim=True).shape == (2, 1)
    np.testing.assert_array_equal(x.mean(dim=0).data, [2.5, 3.5, 5.5])
    assert x.argmax(dim=1).dtype == np.int64  # torch.argmax gives int64; ties: the first one
    np.testing.assert_array_equal(x.argmax(dim=1).data, [1, 2])
    np.testing.assert_array_equal(x.argmin(dim=1).data, [0, 1])
    assert x.argmax().item() == 5  # no dim: the index into the flattened tensor
    np.testing.assert_allclose(tg.tensor([[0.0, math.log(3.0)]]).softmax(dim=1).data, [[0.25, 0.75]], rtol=1e-6)
    np.testing.assert_allclose(nn.Softmax(dim=1)(Tensor([[0.0, math.log(3.0)]])).data, [[0.25, 0.75]], rtol=1e-6)
    np.testing.assert_allclose(nn.LogSoftmax(dim=0)(Tensor([0.0, 0.0])).data, [-math.log(2)] * 2, rtol=1e-6)


@pytest.mark.parametrize(
    "call",
    [
        lambda x: x.sum(axis=0, dim=0),
        lambda x: x.mean(axis=1, dim=1),
        lambda x: x.max(axis=1, dim=1),
        lambda x: x.min(axis=1, dim=1),
        lambda x: x.argmax(axis=1, dim=1),
        lambda x: x.softmax(axis=1, dim=1),
        lambda x: tg.cat([x, x], axis=0, dim=0),
        lambda x: tg.stack([x, x], axis=0, dim=0),
        lambda x: F.log_softmax(x, axis=0, dim=0),
        lambda x: x.flatten(0, start_dim=0),
        lambda x: nn.Flatten(end_axis=-1, end_dim=-1)(x),
    ],
)
def test_giving_axis_and_dim_is_an_error_naming_both(call):
    with pytest.raises(TypeError, match=r"both (\w*)axis=.* and (\w*)dim=.*\1axis= is NumPy's name, \2dim= PyTorch's"):
        call(Tensor(M))


def test_giving_keepdims_and_keepdim_is_an_error_naming_both():
    with pytest.raises(TypeError, match=r"both keepdims=True and keepdim=True"):
        Tensor(M).sum(axis=0, keepdims=True, keepdim=True)


def test_max_and_min_with_dim_return_values_and_indices_as_pytorch():
    x = Tensor(M)
    result = x.max(dim=1)
    assert isinstance(result, tuple) and isinstance(result, tg.ValuesIndices)
    values, indices = result  # unpacks as torch.return_types.max does
    np.testing.assert_array_equal(values.data, [5.0, 6.0])
    np.testing.assert_array_equal(indices.data, [1, 2])  # the tie in row 0: the first maximum
    assert result.values is values and result.indices is indices and indices.dtype == np.int64
    kept = x.min(dim=0, keepdim=True)
    np.testing.assert_array_equal(kept.values.data, [[1.0, 2.0, 5.0]])
    np.testing.assert_array_equal(kept.indices.data, [[0, 1, 0]])
    assert x.max(dim=-1).values.shape == (2,)


def test_max_with_axis_stays_numpy_like():
    x = Tensor(M)
    assert isinstance(x.max(axis=1), Tensor)
    np.testing.assert_array_equal(x.max(axis=1).data, [5.0, 6.0])
    _, predicted = x.max(1)  # positional: PyTorch's dim, (values, indices)
    np.testing.assert_array_equal(predicted.data, [1, 2])
    np.testing.assert_array_equal(x.min(axis=0, keepdims=True).data, [[1.0, 2.0, 5.0]])
    assert x.max().item() == 6.0


def test_max_with_dim_sends_the_gradient_to_the_index_returned_while_axis_shares_ties():
    x = Tensor(M, requires_grad=True)
    x.max(dim=1).values.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[0, 1, 0], [0, 0, 1]])  # as torch.max(x, dim)
    y = Tensor(M, requires_grad=True)
    y.max(axis=1).sum().backward()
    np.testing.assert_array_equal(y.grad.data, [[0, 0.5, 0.5], [0, 0, 1]])  # as torch.amax


# ----- size() and numel() ----------------------------------------------------------------------------


def test_size_is_pytorchs_method_and_numel_counts():
    x = tg.zeros(2, 3, 4)
    assert x.size() == (2, 3, 4) and x.size() == x.shape
    assert x.size(0) == 2 and x.size(-1) == 4 and x.size(dim=1) == 3
    assert x.numel() == 24 and tg.tensor(3.0).numel() == 1 and x.dim() == 3
    with pytest.raises(IndexError, match=r"size\(3\)"):
        x.size(3)


@pytest.mark.parametrize(
    "numpy_habit",
    [
        lambda x: x.size * 2,
        lambda x: 2 * x.size,
        lambda x: x.size + 1,
        lambda x: sum(p.size for p in [x, x]),
        lambda x: x.size / 4,
        lambda x: f"{x.size} elements",
        lambda x: f"{x.size:d}",
        lambda x: int(x.size),
        lambda x: float(x.size),
        lambda x: range(x.size),
        lambda x: x.size == 6,
        lambda x: x.size > 0,
        lambda x: bool(x.size),
        lambda x: np.zeros(x.size),
    ],
)
def test_size_used_as_a_number_says_to_write_numel(numpy_habit):
    with pytest.raises(TypeError, match=r"x\.numel\(\)"):
        numpy_habit(tg.zeros(2, 3))


def test_size_prints_what_it_is():
    assert "x.numel()" in repr(tg.zeros(2, 3).size) and "(2, 3)" in repr(tg.zeros(2, 3).size)


# ----- shape and movement aliases -----------------------------------------------------------------------


def test_shape_aliases_give_pytorchs_shapes_and_values():
    a = np.arange(24.0).reshape(2, 3, 4)
    x = Tensor(a)
    np.testing.assert_array_equal(x.view(6, 4).data, a.reshape(6, 4))
    np.testing.assert_array_equal(x.view(-1).data, a.reshape(-1))
    assert x.view((4, -1)).shape == (4, 6) and x.reshape(4, 6).shape == (4, 6)
    assert x.view_as(tg.zeros(6, 4)).shape == (6, 4) and x.contiguous() is x
    assert x.flatten().shape == (24,) and x.flatten(start_dim=1).shape == (2, 12)
    assert x.flatten(start_dim=0, end_dim=1).shape == (6, 4)
    assert nn.Flatten(start_dim=0, end_dim=1)(x).shape == (6, 4) and nn.Flatten()(x).shape == (2, 12)
    assert x.unsqueeze(0).shape == (1, 2, 3, 4) and x.unsqueeze(-1).shape == (2, 3, 4, 1)
    assert x.unsqueeze(1).shape == (2, 1, 3, 4) and x.unsqueeze(-2).shape == (2, 3, 1, 4)
    np.testing.assert_array_equal(x.permute(2, 0, 1).data, a.transpose(2, 0, 1))
    np.testing.assert_array_equal(x.permute((1, 0, 2)).data, a.transpose(1, 0, 2))
    np.testing.assert_array_equal(x.transpose(dim0=0, dim1=2).data, a.swapaxes(0, 2))
    np.testing.assert_array_equal(x.swapaxes(1, 2).data, a.swapaxes(1, 2))
    np.testing.assert_array_equal(x[0].t().data, a[0].T)
    np.testing.assert_array_equal(x[0].T.data, a[0].T)  # .T stays
    assert tg.zeros(3).t().shape == (3,) and tg.tensor(1.0).t().shape == ()


def test_squeeze_with_dim_is_pytorchs_and_with_axis_numpys():
    x = tg.zeros(2, 1, 3, 1)
    assert x.squeeze().shape == (2, 3)
    assert x.squeeze(1).shape == (2, 3, 1) and x.squeeze(-1).shape == (2, 1, 3)
    assert x.squeeze(0).shape == (2, 1, 3, 1)  # PyTorch: a dim whose size is not 1 stays
    assert x.squeeze((1, 3)).shape == (2, 3)
    assert x.squeeze(axis=1).shape == (2, 3, 1)
    with pytest.raises(ShapeError, match=r"axis 0 of shape \(2, 1, 3, 1\) does not have size 1"):
        x.squeeze(axis=0)  # NumPy: an error


def test_expand_repeats_size_one_axes_and_keeps_minus_one():
    x = Tensor(np.array([[1.0], [2.0]]))
    expanded = x.expand(3, -1, 4)
    assert expanded.shape == (3, 2, 4)
    np.testing.assert_array_equal(expanded.data[2], [[1.0] * 4, [2.0] * 4])
    assert x.expand_as(tg.zeros(2, 5)).shape == (2, 5)
    with pytest.raises(ShapeError):
        x.expand(3, 3)  # an axis of size 2 cannot become 3
    with pytest.raises(ShapeError, match="fewer sizes"):
        x.expand(3)


def test_clone_copies_and_stays_in_the_graph():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = x.clone()
    assert not np.shares_memory(y.data, x.data) and y.grad_fn is not None
    np.testing.assert_array_equal(y.data, x.data)
    (y * y).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [2.0, 4.0])


# ----- dtypes: to, float, double, long ... ---------------------------------------------------------------


def test_dtype_conversions_follow_pytorch():
    x = tg.tensor([1.5, -2.5])
    assert x.dtype == np.float32
    assert x.double().dtype == np.float64 and x.to(tg.float64).dtype == np.float64
    assert x.to(dtype=np.float64).dtype == np.float64 and x.to(tg.zeros(1, dtype=np.float64)).dtype == np.float64
    assert x.float() is x and x.to(np.float32) is x and x.to("cpu") is x and x.cpu() is x
    assert x.half().dtype == np.float16
    np.testing.assert_array_equal(x.long().data, [1, -2])  # truncation toward zero, as torch
    assert x.long().dtype == np.int64 and x.int().dtype == np.int32
    assert (x > 0).float().dtype == np.float32 and (x > 0).float().tolist() == [1.0, 0.0]
    assert x.bool().tolist() == [True, True] and x.device == "cpu"


def test_casts_are_differentiable_and_send_the_gradient_back_in_the_inputs_dtype():
    x = Tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    y = x.double()
    assert y.dtype == np.float64 and y.requires_grad
    (y * y).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad.data, [2.0, 4.0])
    labels = x.long()
    assert labels.dtype == np.int64 and not labels.requires_grad  # integers never require grad


def test_tolist_item_and_requires_grad_():
    assert tg.tensor([[1, 2], [3, 4]]).tolist() == [[1, 2], [3, 4]]
    assert tg.tensor(2.5).tolist() == 2.5 and tg.tensor([2.5]).item() == 2.5
    w = tg.zeros(3)
    assert w.requires_grad_() is w and w.requires_grad
    assert not w.requires_grad_(False).requires_grad
    with pytest.raises(BackwardError, match=r"only leaf tensors.*detach\(\)\.requires_grad_\(\)"):
        (tg.zeros(2, requires_grad=True) * 2).requires_grad_()
    with pytest.raises(DTypeError, match=r"x\.float\(\)"):
        tg.tensor([1, 2]).requires_grad_()


def test_arithmetic_under_pytorchs_method_names():
    x = tg.tensor([1.0, -2.0, 3.0])
    np.testing.assert_array_equal(x.pow(2).data, [1.0, 4.0, 9.0])
    np.testing.assert_array_equal(x.add(1).data, [2.0, -1.0, 4.0])
    np.testing.assert_array_equal(x.add(x, alpha=2).data, [3.0, -6.0, 9.0])  # x + 2·x, as torch.add
    np.testing.assert_array_equal(x.sub(1, alpha=3).data, [-2.0, -5.0, 0.0])
    np.testing.assert_array_equal(x.mul(x).data, [1.0, 4.0, 9.0])
    np.testing.assert_array_equal(x.div(2).data, [0.5, -1.0, 1.5])
    np.testing.assert_array_equal(x.neg().data, [-1.0, 2.0, -3.0])
    np.testing.assert_array_equal(x.square().data, [1.0, 4.0, 9.0])
    np.testing.assert_array_equal(x.clamp(min=0).data, [1.0, 0.0, 3.0])
    np.testing.assert_array_equal(x.clamp(-1, 1).data, [1.0, -1.0, 1.0])
    np.testing.assert_array_equal(tg.eye(2).mm(tg.ones(2, 3)).data, np.ones((2, 3)))
    with pytest.raises(ShapeError, match="use @"):
        x.mm(x)


# ----- factories and the default generator -------------------------------------------------------------


def test_factories_give_pytorchs_values_shapes_and_dtypes():
    assert tg.tensor([1, 2]).dtype == np.int64  # torch.tensor infers int64 from Python ints
    assert tg.tensor([1.0, 2]).dtype == np.float32 and tg.tensor([True]).dtype == np.bool_
    assert tg.tensor(np.zeros(2)).dtype == np.float64  # a NumPy array keeps its dtype
    assert tg.tensor([1, 2], dtype=tg.float64).dtype == np.float64
    source = np.zeros(2)
    copied = tg.tensor(source)
    shared = tg.from_numpy(source)
    source[0] = 7.0
    assert copied.tolist() == [0.0, 0.0] and shared.tolist() == [7.0, 0.0]  # tensor copies, from_numpy shares
    assert tg.tensor([1.0], requires_grad=True).requires_grad
    assert tg.zeros(2, 3).shape == (2, 3) and tg.zeros((2, 3)).dtype == np.float32
    assert tg.ones(4).tolist() == [1.0] * 4 and tg.ones(2, dtype=tg.int64).dtype == np.int64
    assert tg.zeros(2, requires_grad=True).requires_grad
    assert tg.full((2, 2), 1.5).tolist() == [[1.5, 1.5], [1.5, 1.5]] and tg.full((2,), 1.5).dtype == np.float32
    assert tg.full((2,), 7).dtype == np.int64 and tg.full((2,), True).dtype == np.bool_
    assert tg.full(3, 0.5).shape == (3,)
    assert tg.arange(5).tolist() == [0, 1, 2, 3, 4] and tg.arange(5).dtype == np.int64
    assert tg.arange(1, 7, 2).tolist() == [1, 3, 5]
    assert tg.arange(0.0, 1.0, 0.25).tolist() == [0.0, 0.25, 0.5, 0.75] and tg.arange(0.0, 1.0).dtype == np.float32
    np.testing.assert_array_equal(tg.eye(3).data, np.eye(3)) and tg.eye(2, 3).shape == (2, 3)
    like = tg.zeros(2, 3, dtype=np.float64)
    assert tg.zeros_like(like).dtype == np.float64 and tg.ones_like(like).tolist() == [[1.0] * 3] * 2
    assert tg.full_like(like, 2.0).tolist() == [[2.0] * 3] * 2 and tg.ones_like(like, dtype=np.int64).dtype == np.int64
    assert tg.randn(2, 3).shape == (2, 3) and tg.randn(2, 3).dtype == np.float32
    u = tg.rand(1000)
    assert u.dtype == np.float32 and 0.0 <= u.data.min() and u.data.max() < 1.0
    assert tg.randn_like(like).dtype == np.float64 and tg.rand_like(like).shape == (2, 3)
    r = tg.randint(0, 10, (50,))
    assert r.dtype == np.int64 and 0 <= r.data.min() and r.data.max() < 10


def test_manual_seed_makes_every_default_draw_repeat():
    def draw():
        return [
            tg.randn(3).data,
            tg.rand(2).data,
            Tensor.randn(2).data,
            Tensor.uniform(2, low=-1, high=1).data,
            nn.Linear(3, 2).weight.data.copy(),
            nn.init.kaiming_normal_(Tensor(np.empty((2, 3)))).data.copy(),
            nn.Dropout(0.5)(tg.ones(8)).data,
            F.dropout(tg.ones(8), 0.5).data,
            tg.randint(0, 100, (3,)).data,
        ]

    assert tg.manual_seed(123) is tg.default_generator
    first = draw()
    tg.manual_seed(123)
    second = draw()
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    tg.manual_seed(124)
    assert not np.array_equal(draw()[0], first[0])


def test_an_explicit_generator_is_independent_of_the_default_one():
    tg.manual_seed(0)
    expected = tg.randn(3).data
    tg.manual_seed(0)
    nn.Linear(4, 4, generator=np.random.default_rng(1))
    tg.randn(2, generator=np.random.default_rng(2))
    np.testing.assert_array_equal(tg.randn(3).data, expected)
    with pytest.raises(TypeError, match="the seed must be an int"):
        tg.manual_seed(1.5)


def test_module_level_functions_have_pytorchs_meaning():
    x = Tensor(M)
    values, predicted = tg.max(x, 1)  # torch.max(outputs, 1): the classic accuracy line
    np.testing.assert_array_equal(values.data, [5.0, 6.0])
    np.testing.assert_array_equal(predicted.data, [1, 2])
    assert tg.max(x).item() == 6.0 and tg.min(x).item() == 1.0
    assert tg.min(x, 0, keepdim=True).indices.tolist() == [[0, 1, 0]]
    np.testing.assert_array_equal(tg.max(x, tg.full((2, 3), 4.5)).data, [[4.5, 5.0, 5.0], [4.5, 4.5, 6.0]])
    np.testing.assert_array_equal(tg.min(x, tg.full((2, 3), 4.5)).data, [[1.0, 4.5, 4.5], [4.0, 2.0, 4.5]])
    assert tg.argmax(x, dim=1).tolist() == [1, 2] and tg.argmin(x).item() == 0
    assert tg.sum(x, 1).tolist() == [11.0, 12.0] and tg.mean(x, dim=0, keepdim=True).shape == (1, 3)
    assert tg.sum(M).item() == 23.0  # a NumPy array is wrapped first
    assert tg.flatten(tg.zeros(2, 3, 4), 1).shape == (2, 12) and tg.matmul(x, x.t()).shape == (2, 2)
    np.testing.assert_allclose(tg.softmax(x, 1).sum(dim=1).data, [1.0, 1.0])
    np.testing.assert_allclose(tg.log_softmax(x, dim=0).exp().sum(0).data, [1.0, 1.0, 1.0])
    assert tg.clamp(x, max=2).tolist() == [[1.0, 2.0, 2.0], [2.0, 2.0, 2.0]]
    assert tg.abs(-x).tolist() == M.tolist() and tg.relu(-x).tolist() == [[0.0] * 3] * 2
    np.testing.assert_allclose(tg.log(tg.exp(x)).data, M)
    np.testing.assert_allclose(tg.sqrt(x * x).data, M)
    np.testing.assert_allclose(tg.sigmoid(x).data, 1 / (1 + np.exp(-M)))
    np.testing.assert_allclose(tg.tanh(x).data, np.tanh(M))
    assert tg.maximum(x, 4.5).tolist() == [[4.5, 5.0, 5.0], [4.5, 4.5, 6.0]]


def test_the_usual_device_lines_pick_the_cpu():
    assert tg.cuda.is_available() is False and tg.cuda.device_count() == 0
    device = tg.device("cuda" if tg.cuda.is_available() else "cpu")
    assert device == "cpu" and tg.zeros(2).to(device).device == "cpu"
    with pytest.raises(RuntimeError, match="no cuda device"):
        tg.device("cuda")


# ----- nn.functional -------------------------------------------------------------------------------------


def test_functional_activations_are_pytorchs():
    x = tg.tensor([-2.0, 0.0, 3.0])
    np.testing.assert_array_equal(F.relu(x).data, [0.0, 0.0, 3.0])
    np.testing.assert_allclose(F.sigmoid(x).data, 1 / (1 + np.exp([2.0, 0.0, -3.0])), rtol=1e-6)
    np.testing.assert_allclose(F.tanh(x).data, np.tanh([-2.0, 0.0, 3.0]), rtol=1e-6)
    np.testing.assert_allclose(F.leaky_relu(x).data, [-0.02, 0.0, 3.0], rtol=1e-6)
    np.testing.assert_allclose(F.leaky_relu(x, 0.2).data, [-0.4, 0.0, 3.0], rtol=1e-6)
    assert F.relu(x).dtype == np.float32


def test_one_hot_is_int64_rows_as_pytorch():
    encoded = F.one_hot(tg.tensor([0, 2, 1]), 4)
    assert encoded.dtype == np.int64
    assert encoded.tolist() == [[1, 0, 0, 0], [0, 0, 1, 0], [0, 1, 0, 0]]
    assert F.one_hot(tg.tensor([0, 2])).shape == (2, 3)  # num_classes: one more than the largest
    assert F.one_hot(np.array([[1], [0]]), 2).shape == (2, 1, 2)
    with pytest.raises(DTypeError, match="integer class indices"):
        F.one_hot(tg.tensor([0.0, 1.0]))
    with pytest.raises(IndexError, match=r"\[0, 1\]"):
        F.one_hot(tg.tensor([0, 2]), 2)


# ----- loss modules ---------------------------------------------------------------------------------------

LOGITS = RNG.standard_normal((4, 3))
LABELS = np.array([2, 0, 1, 2])
PROBS = RNG.uniform(0.05, 0.95, (4, 3))
BINARY = (RNG.uniform(size=(4, 3)) > 0.5).astype(np.float64)


def log_softmax_rows(x: np.ndarray) -> np.ndarray:
    return x - np.log(np.exp(x).sum(axis=1, keepdims=True))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_loss_modules_compute_pytorchs_formulas(reduction):
    def reduce(losses):
        return {"mean": losses.mean(), "sum": losses.sum(), "none": losses}[reduction]

    picked = -log_softmax_rows(LOGITS)[np.arange(4), LABELS]
    cases = [
        (nn.CrossEntropyLoss(reduction=reduction), Tensor(LOGITS), LABELS, picked),
        (nn.NLLLoss(reduction=reduction), Tensor(log_softmax_rows(LOGITS)), tg.tensor(LABELS), picked),
        (nn.MSELoss(reduction=reduction), Tensor(PROBS), BINARY, (PROBS - BINARY) ** 2),
        (
            nn.BCELoss(reduction=reduction),
            Tensor(PROBS),
            BINARY,
            -(BINARY * np.log(PROBS) + (1 - BINARY) * np.log(1 - PROBS)),
        ),
        (
            nn.BCEWithLogitsLoss(reduction=reduction),
            Tensor(LOGITS),
            BINARY,
            -(BINARY * np.log(1 / (1 + np.exp(-LOGITS))) + (1 - BINARY) * np.log(1 - 1 / (1 + np.exp(-LOGITS)))),
        ),
    ]
    for criterion, input, target, losses in cases:
        got = criterion(input, target)
        np.testing.assert_allclose(got.data, reduce(losses), rtol=1e-10, err_msg=type(criterion).__name__)


def test_nll_after_log_softmax_is_cross_entropy_and_bad_reductions_are_refused_early():
    x = Tensor(LOGITS)
    model_output = nn.LogSoftmax(dim=1)(x)
    np.testing.assert_allclose(
        nn.NLLLoss()(model_output, LABELS).item(), nn.CrossEntropyLoss()(x, LABELS).item(), rtol=1e-12
    )
    with pytest.raises(ValueError, match=r"MSELoss: reduction must be one of .*got 'average'"):
        nn.MSELoss(reduction="average")
    assert repr(nn.NLLLoss()) == "NLLLoss(reduction='mean')"


def test_a_float64_numpy_target_does_not_upcast_a_float32_loss():
    output = Tensor(np.array([0.5, 1.5], dtype=np.float32), requires_grad=True)
    target = np.array([1.0, 1.0])  # float64, as NumPy makes it
    for loss in (
        F.mse_loss(output, target),
        nn.MSELoss()(output, target),
        F.binary_cross_entropy(output.sigmoid(), target),
        F.binary_cross_entropy_with_logits(output, target),
        F.mse_loss(output, [1.0, 1.0]),
        output - target,
        target * output,
        output * 2.0,
    ):
        assert loss.dtype == np.float32
    np.testing.assert_allclose(F.mse_loss(output, target).item(), 0.25)
    # Tensor with Tensor promotes as NumPy (and PyTorch) do.
    assert F.mse_loss(output, Tensor(target)).dtype == np.float64
    assert (output * Tensor(target)).dtype == np.float64
    # An integer tensor meeting a float array promotes (it cannot hold the fractions).
    assert (tg.tensor([1, 2]) * np.array([0.5, 0.5])).dtype == np.float64


# ----- Module: ModuleList, apply, named_modules, children ------------------------------------------


class Tower(nn.Module):
    def __init__(self, sizes):
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes, sizes[1:]))
        self.head = nn.Identity()

    def forward(self, x):
        for layer in self.layers:
            x = layer(x).relu()
        return self.head(x)


def test_module_list_registers_its_modules():
    tower = Tower([4, 3, 2])
    assert list(tower.state_dict()) == ["layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias"]
    assert len(list(tower.parameters())) == 4 and len(tower.layers) == 2
    assert tower(tg.randn(5, 4)).shape == (5, 2)
    assert tower.layers[-1].out_features == 2 and len(tower.layers[:1]) == 1
    tower.layers.append(nn.Linear(2, 1))
    tower.layers.insert(0, nn.Linear(4, 4))
    assert [layer.out_features for layer in tower.layers] == [4, 3, 2, 1]
    assert "layers.3.weight" in tower.state_dict()
    del tower.layers[0]
    assert [layer.out_features for layer in tower.layers] == [3, 2, 1]
    tower.eval()
    assert not any(module.training for module in tower.modules())
    with pytest.raises(TypeError, match="ModuleList holds Modules"):
        nn.ModuleList([nn.ReLU, nn.ReLU()])
    with pytest.raises(NotImplementedError, match="loop over it"):
        tower.layers(tg.zeros(1))


def test_named_modules_children_and_apply_walk_as_pytorch():
    tower = Tower([4, 3, 2])
    names = [name for name, _ in tower.named_modules()]
    assert names == ["", "layers", "layers.0", "layers.1", "head"]
    assert [type(m).__name__ for m in tower.children()] == ["ModuleList", "Identity"]
    shared = nn.Linear(2, 2)
    twice = nn.Sequential(shared, nn.ReLU(), shared)
    assert [name for name, _ in twice.named_modules()] == ["", "0", "1"]  # a shared module once
    visited = []
    assert tower.apply(lambda module: visited.append(type(module).__name__)) is tower
    assert visited == ["Linear", "Linear", "ModuleList", "Identity", "Tower"]  # children first

    def init_weights(module):
        if isinstance(module, nn.Linear):
            nn.init.zeros_(module.weight)

    tower.apply(init_weights)
    assert all(not layer.weight.data.any() for layer in tower.layers)


def test_module_to_double_and_requires_grad_():
    model = nn.Sequential(nn.Linear(3, 2))
    assert model.to(np.float64) is model and model[0].weight.dtype == np.float64
    assert model.float()[0].bias.dtype == np.float32 and model.to("cpu") is model and model.cpu() is model
    model.requires_grad_(False)
    assert not any(p.requires_grad for p in model.parameters())
    with pytest.raises(RuntimeError, match=r"no cuda device; leave \.cuda\(\)"):
        model.cuda()


# ----- nn.init with PyTorch's fan and gain rules ------------------------------------------------------


@pytest.mark.parametrize(
    "init, kwargs, shape, bound_or_std",
    [
        # shape (out, in, k, k): fan_in = in·k·k, fan_out = out·k·k
        (nn.init.kaiming_uniform_, {}, (200, 300), ("uniform", math.sqrt(2) * math.sqrt(3 / 300))),
        (nn.init.kaiming_uniform_, {"a": math.sqrt(5)}, (200, 300), ("uniform", 1 / math.sqrt(300))),
        (
            nn.init.kaiming_uniform_,
            {"mode": "fan_out", "nonlinearity": "relu"},
            (40, 30, 3, 3),
            ("uniform", math.sqrt(2) * math.sqrt(3 / 360)),
        ),
        (nn.init.kaiming_normal_, {"nonlinearity": "relu"}, (200, 300), ("normal", math.sqrt(2 / 300))),
        (nn.init.kaiming_normal_, {"mode": "fan_out"}, (200, 300), ("normal", math.sqrt(2 / 200))),
        (nn.init.xavier_uniform_, {}, (200, 300), ("uniform", math.sqrt(6 / 500))),
        (nn.init.xavier_uniform_, {"gain": 5 / 3}, (200, 300), ("uniform", 5 / 3 * math.sqrt(6 / 500))),
        (nn.init.xavier_normal_, {}, (40, 30, 3, 3), ("normal", math.sqrt(2 / (270 + 360)))),
    ],
)
def test_init_follows_pytorchs_fan_and_gain(init, kwargs, shape, bound_or_std):
    tg.manual_seed(5)
    weight = Tensor(np.empty(shape, dtype=np.float32))
    assert init(weight, **kwargs) is weight and weight.dtype == np.float32
    kind, value = bound_or_std
    values = weight.data.astype(np.float64)
    # five standard errors: the mean's is std/√n, the standard deviation's about std/√(2n)
    tolerance = 5 / math.sqrt(values.size)
    if kind == "uniform":
        assert np.abs(values).max() <= value * (1 + 1e-6)
        assert np.abs(values).max() > 0.99 * value  # 10,000 draws or more come close to the bound
        std = value / math.sqrt(3)
    else:
        std = value
    assert abs(values.std() - std) < tolerance * std and abs(values.mean()) < tolerance * std


# ----- refused on purpose: the error says what to write instead ------------------------------------


def test_refused_pytorch_names_say_what_to_write_instead():
    x = tg.zeros(2, 3)
    with pytest.raises(RuntimeError, match=r"computes with NumPy on the CPU.*device='cpu'"):
        x.cuda()
    with pytest.raises(RuntimeError, match="no cuda:0 device"):
        x.to("cuda:0")
    leaf = tg.zeros(2, requires_grad=True)
    with pytest.raises(BackwardError, match=r"add_\(\).*x = x \+ y.*tg\.no_grad\(\)"):
        leaf.add_(1.0)
    with pytest.raises(BackwardError, match=r"tg\.no_grad\(\)"):
        leaf -= 1.0
    with pytest.raises(ShapeError, match=r"x\.mT"):
        tg.zeros(2, 3, 4).t()
    with pytest.raises(BackwardError, match=r"loss\.sum\(\)\.backward\(\)"):
        (leaf * 2).backward()


def test_in_place_updates_work_where_pytorch_allows_them():
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    before = w
    with tg.no_grad():
        w -= 0.5 * w.grad  # the classic hand-written SGD step updates w itself
        w.grad.zero_()
    assert w is before and w.requires_grad and w.is_leaf
    np.testing.assert_array_equal(w.data, [0.0, 0.0])
    np.testing.assert_array_equal(w.grad.data, [0.0, 0.0])
    with tg.no_grad():
        w.add_(tg.ones(2), alpha=3).mul_(2)
    np.testing.assert_array_equal(w.data, [6.0, 6.0])
    plain = tg.zeros(2)
    alias = plain
    plain += 1  # no gradient recorded: in place, as torch (and NumPy) do
    assert alias.tolist() == [1.0, 1.0] and plain.fill_(3.0).tolist() == [3.0, 3.0]
    assert plain.copy_(np.array([4.0, 5.0])).tolist() == [4.0, 5.0] and plain.div_(2).tolist() == [2.0, 2.5]
    total = tg.zeros(())
    total += (w * w).sum()  # meets a tensor that requires grad: a new tensor in the graph
    total.backward()
    np.testing.assert_array_equal(w.grad.data, [12.0, 12.0])
    h = w * 1.0
    h += 1.0  # a tensor made by an op: x = x + 1, recorded
    assert h.grad_fn is not None and h.tolist() == [7.0, 7.0]
    with pytest.raises(BackwardError, match="in a graph"):
        tg.zeros(2).add_(w)


# ----- gradients through the aliases (float64, random upstream gradient) --------------------------

GRADIENT_CASES = [
    ("view", lambda x: x.view(4, 3), (2, 6)),
    ("view -1", lambda x: x.view(-1), (3, 4)),
    ("flatten start_dim", lambda x: x.flatten(start_dim=1), (2, 3, 2)),
    ("unsqueeze", lambda x: x.unsqueeze(1) * x.unsqueeze(0), (3,)),
    ("squeeze dim", lambda x: x.squeeze(0), (1, 3)),
    ("permute", lambda x: x.permute(2, 0, 1), (2, 3, 4)),
    ("t", lambda x: x.t() @ x, (3, 2)),
    ("transpose dim0 dim1", lambda x: x.transpose(dim0=0, dim1=2), (2, 3, 4)),
    ("expand", lambda x: x.expand(4, -1, 3), (2, 1)),
    ("clone", lambda x: x.clone() * x, (3, 2)),
    ("sum dim keepdim", lambda x: x.sum(dim=1, keepdim=True) * x, (3, 4)),
    ("mean dim", lambda x: x.mean(dim=0), (3, 4)),
    ("max dim values", lambda x: x.max(dim=1).values, (3, 4)),
    ("min dim keepdim values", lambda x: x.min(dim=0, keepdim=True).values * x, (3, 4)),
    ("softmax dim", lambda x: x.softmax(dim=0), (3, 4)),
    ("F.log_softmax dim", lambda x: F.log_softmax(x, dim=1), (3, 4)),
    ("cat dim", lambda x: tg.cat([x, x * x], dim=1), (2, 3)),
    ("stack dim", lambda x: tg.stack([x, x.exp()], dim=-1), (2, 3)),
    ("pow", lambda x: x.pow(2).add(x, alpha=3), (4,)),
    ("clamp", lambda x: x.clamp(min=-0.5), (5,)),
    ("mm", lambda x: x.mm(x.t()), (2, 3)),
    ("F.relu, sigmoid, tanh", lambda x: F.relu(x) + F.sigmoid(x) * F.tanh(x), (6,)),
    ("F.leaky_relu", lambda x: F.leaky_relu(x, 0.2), (6,)),
    ("cast to float64 and back", lambda x: x.to(np.float32).double() * x, (3,)),
]


@pytest.mark.parametrize("name, fn, shape", GRADIENT_CASES, ids=[c[0] for c in GRADIENT_CASES])
def test_gradients_flow_through_the_aliases(name, fn, shape):
    x = float64(*shape)
    if name == "cast to float64 and back":
        # a float32 round trip changes values by 1e-8 relative: check the gradient rule alone
        y = fn(x)
        upstream = RNG.standard_normal(y.shape)
        y.backward(upstream)
        np.testing.assert_allclose(x.grad.data, upstream * (x.data.astype(np.float32) + x.data), rtol=1e-6)
        return
    if "max" in name or "min" in name or "clamp" in name or "relu" in name:
        x.data[...] = RNG.permutation(x.data.size).reshape(shape) / 3.0 - 0.95  # no ties, no kinks
    assert tg.gradcheck(fn, [x])


def test_gradients_through_the_loss_modules():
    logits = float64(4, 3)
    probabilities = Tensor(PROBS.copy(), requires_grad=True)
    assert tg.gradcheck(lambda x: nn.CrossEntropyLoss(reduction="none")(x, LABELS), [logits])
    assert tg.gradcheck(lambda x: nn.NLLLoss(reduction="sum")(x.log_softmax(dim=1), LABELS), [logits])
    assert tg.gradcheck(lambda x: nn.MSELoss(reduction="none")(x, BINARY), [logits])
    assert tg.gradcheck(lambda x: nn.BCELoss(reduction="none")(x, BINARY), [probabilities])
    assert tg.gradcheck(lambda x: nn.BCEWithLogitsLoss()(x, BINARY), [logits])


# ----- the PyTorch-style MNIST script ------------------------------------------------------------------


def run_example(script: Path) -> str:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    arguments = ["--epochs", "1", "--limit", "1000"]
    result = subprocess.run(
        [sys.executable, str(script), *arguments], capture_output=True, text=True, timeout=600, env=env, cwd=REPO
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_the_pytorch_style_mlp_script_trains():
    output = run_example(EXAMPLE)
    assert "(layers): ModuleList(" in output and "235,146 parameters" in output
    accuracy = float(output.rsplit("(", 1)[1].split("%")[0])
    assert accuracy > 50.0, output  # 1,000 images, one epoch: about 75%; chance is 10%


# ----- optional: the same calls in PyTorch ---------------------------------------------------------------


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


def as_torch(torch, array, requires_grad=False):
    return torch.tensor(np.asarray(array), requires_grad=requires_grad)


# name, our call, PyTorch's call: written the same way on purpose (only the prefix differs)
TORCH_CASES = [
    ("sum dim keepdim", lambda t, x: x.sum(dim=1, keepdim=True)),
    ("mean dim list", lambda t, x: x.mean(dim=[0, 2])),
    ("max dim values", lambda t, x: x.max(dim=1).values),
    ("max dim indices", lambda t, x: x.max(dim=2, keepdim=True).indices),
    ("min dim values", lambda t, x: x.min(dim=0).values),
    ("min dim indices", lambda t, x: x.min(dim=-1).indices),
    ("argmax dim", lambda t, x: x.argmax(dim=1)),
    ("argmin dim keepdim", lambda t, x: x.argmin(dim=1, keepdim=True)),
    ("softmax dim", lambda t, x: x.softmax(dim=1)),
    ("log_softmax dim", lambda t, x: x.log_softmax(dim=0)),
    ("view", lambda t, x: x.view(6, -1)),
    ("flatten", lambda t, x: x.flatten(start_dim=1)),
    ("unsqueeze", lambda t, x: x.unsqueeze(-2)),
    ("squeeze dim of size 3", lambda t, x: x.squeeze(1)),
    ("squeeze after unsqueeze", lambda t, x: x.unsqueeze(0).squeeze()),
    ("permute", lambda t, x: x.permute(2, 0, 1)),
    ("t of a slice", lambda t, x: x[0].t()),
    ("expand", lambda t, x: x[:, :1].expand(-1, 5, -1)),
    ("clone", lambda t, x: x.clone()),
    ("float", lambda t, x: x.float()),
    ("long", lambda t, x: (x * 3).long()),
    ("pow add alpha", lambda t, x: x.pow(2).add(x, alpha=2)),
    ("clamp", lambda t, x: x.clamp(min=-0.5, max=0.5)),
    ("cat dim", lambda t, x: t.cat([x, x], dim=2)),
    ("stack dim", lambda t, x: t.stack([x, x], dim=1)),
    ("F.relu", lambda t, x: t.nn.functional.relu(x)),
    ("F.leaky_relu", lambda t, x: t.nn.functional.leaky_relu(x, 0.2)),
    ("F.one_hot", lambda t, x: t.nn.functional.one_hot(x.argmax(dim=2), 4)),
    ("tg.max dim values", lambda t, x: t.max(x, 1)[0]),
    ("tg.max dim indices", lambda t, x: t.max(x, 1)[1]),
    ("tg.min dim keepdim", lambda t, x: t.min(x, 2, keepdim=True).values),
    ("tg.max of two tensors", lambda t, x: t.max(x, -x)),
    ("tg.min of two tensors", lambda t, x: t.min(x, -x)),
    ("tg.max of all", lambda t, x: t.max(x)),
    ("tg.argmax", lambda t, x: t.argmax(x, dim=1)),
    ("tg.sum dims keepdim", lambda t, x: t.sum(x, (0, 2), keepdim=True)),
    ("tg.mean dim", lambda t, x: t.mean(x, 1)),
    ("tg.softmax", lambda t, x: t.softmax(x, 1)),
    ("tg.log_softmax", lambda t, x: t.log_softmax(x, dim=2)),
    ("tg.exp log sqrt abs", lambda t, x: t.sqrt(t.exp(t.abs(x))) + t.log(t.abs(x) + 1)),
    ("tg.relu sigmoid tanh", lambda t, x: t.relu(x) * t.sigmoid(x) + t.tanh(x)),
    ("tg.clamp", lambda t, x: t.clamp(x, min=-0.2)),
    ("tg.flatten", lambda t, x: t.flatten(x, 1)),
    ("tg.matmul", lambda t, x: t.matmul(x, x.permute(0, 2, 1))),
    ("tg.maximum", lambda t, x: t.maximum(x, x * 0)),
]


@pytest.mark.parametrize("name, call", TORCH_CASES, ids=[c[0] for c in TORCH_CASES])
def test_the_aliases_match_pytorch(torch, name, call):
    array = RNG.standard_normal((2, 3, 4))
    ours = call(tg, Tensor(array))
    theirs = call(torch, as_torch(torch, array))
    assert ours.size() == tuple(theirs.size())
    assert ours.dtype == np.dtype(str(theirs.dtype).removeprefix("torch."))
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-6, atol=1e-7)


def test_factories_and_losses_match_pytorch(torch):
    calls = [
        (tg.tensor([1, 2]), torch.tensor([1, 2])),
        (tg.tensor([1.5, 2]), torch.tensor([1.5, 2])),
        (tg.tensor(np.zeros(2)), torch.tensor(np.zeros(2))),
        (tg.arange(5), torch.arange(5)),
        (tg.arange(0.0, 1.0, 0.25), torch.arange(0.0, 1.0, 0.25)),
        (tg.full((2,), 7), torch.full((2,), 7)),
        (tg.full((2,), 0.5), torch.full((2,), 0.5)),
        (tg.zeros(2, 3), torch.zeros(2, 3)),
        (tg.ones_like(tg.zeros(2, dtype=np.float64)), torch.ones_like(torch.zeros(2, dtype=torch.float64))),
        (tg.eye(2, 3), torch.eye(2, 3)),
        (F.one_hot(tg.tensor([0, 2])), torch.nn.functional.one_hot(torch.tensor([0, 2]))),
    ]
    for ours, theirs in calls:
        assert ours.dtype == np.dtype(str(theirs.dtype).removeprefix("torch."))
        np.testing.assert_array_equal(ours.data, theirs.numpy())
    output32 = np.array([0.5, 1.5], dtype=np.float32)
    theirs = torch.nn.functional.mse_loss(torch.tensor(output32), torch.tensor(np.array([1.0, 1.0], np.float32)))
    assert F.mse_loss(Tensor(output32), np.array([1.0, 1.0])).dtype == np.float32 == theirs.numpy().dtype
    for name in ["CrossEntropyLoss", "NLLLoss"]:
        for reduction in ["mean", "sum", "none"]:
            ours = getattr(nn, name)(reduction=reduction)(Tensor(LOGITS), LABELS)
            theirs = getattr(torch.nn, name)(reduction=reduction)(as_torch(torch, LOGITS), as_torch(torch, LABELS))
            np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-12)
    for name, target in [("MSELoss", BINARY), ("BCELoss", BINARY), ("BCEWithLogitsLoss", BINARY)]:
        ours = getattr(nn, name)()(Tensor(PROBS), target)
        theirs = getattr(torch.nn, name)()(as_torch(torch, PROBS), as_torch(torch, target))
        np.testing.assert_allclose(ours.item(), theirs.item(), rtol=1e-12)


def test_gradients_of_max_with_dim_match_pytorch(torch):
    ours = Tensor(M, requires_grad=True)
    theirs = as_torch(torch, M, requires_grad=True)
    upstream = RNG.standard_normal(2)
    ours.max(dim=1).values.backward(upstream)
    theirs.max(dim=1).values.backward(as_torch(torch, upstream))
    np.testing.assert_array_equal(ours.grad.data, theirs.grad.numpy())
    ours.grad = None
    theirs.grad = None
    ours.min(dim=0).values.backward(upstream[:1].repeat(3))
    theirs.min(dim=0).values.backward(as_torch(torch, upstream[:1].repeat(3)))
    np.testing.assert_array_equal(ours.grad.data, theirs.grad.numpy())


def test_init_and_module_walks_match_pytorch(torch):
    for nonlinearity, param in [("relu", None), ("leaky_relu", None), ("leaky_relu", 0.2), ("tanh", None)]:
        assert nn.init.calculate_gain(nonlinearity, param) == pytest.approx(
            torch.nn.init.calculate_gain(nonlinearity, param)
        )
    weight = np.empty((40, 30, 3, 3))
    assert nn.init.calculate_fan_in_and_fan_out(Tensor(weight)) == torch.nn.init._calculate_fan_in_and_fan_out(
        torch.tensor(weight)
    )
    ours = nn.Sequential(nn.Linear(2, 2), nn.ModuleList([nn.ReLU(), nn.Linear(2, 1)]))
    theirs = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.ModuleList([torch.nn.ReLU(), torch.nn.Linear(2, 1)]))
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    visited_ours, visited_theirs = [], []
    ours.apply(lambda m: visited_ours.append(type(m).__name__))
    theirs.apply(lambda m: visited_theirs.append(type(m).__name__))
    assert visited_ours == visited_theirs


def test_the_mlp_script_is_a_pytorch_script(torch, tmp_path):
    """Put torch where the example says tg (and tinygrad_edu): it runs under PyTorch unchanged."""
    source = EXAMPLE.read_text(encoding="utf-8")
    source = source.replace("import tinygrad_edu as tg", "import torch as tg").replace("tinygrad_edu", "torch")
    script = tmp_path / "pytorch_mlp.py"
    script.write_text(source, encoding="utf-8")
    output = run_example(script)
    assert "235,146 parameters" in output and "accuracy" in output


def test_out_keyword_writes_into_the_given_tensor_and_refuses_another_shape():
    a = tg.tensor([[1.0, 2.0], [3.0, 4.0]])
    out = tg.zeros(2, 2)
    alias = out
    assert tg.matmul(a, a, out=out) is out
    np.testing.assert_allclose(alias.numpy(), a.numpy() @ a.numpy())
    with pytest.raises(ValueError, match=r"out= has shape \(3,\), the result \(2, 2\)"):
        tg.add(a, 1, out=tg.zeros(3))


def test_load_accepts_pytorchs_keywords_for_the_cpu_only(tmp_path):
    model = nn.Linear(2, 1)
    tg.save(model.state_dict(), tmp_path / "w.pth")
    fresh = nn.Linear(2, 1)
    fresh.load_state_dict(tg.load(tmp_path / "w.pth", weights_only=True, map_location="cpu"))
    np.testing.assert_array_equal(fresh.weight.numpy(), model.weight.numpy())
    with pytest.raises(ValueError, match="map_location='cuda:0': only the CPU exists here"):
        tg.load(tmp_path / "w.pth", map_location="cuda:0")


def test_tensor_of_one_int_is_a_size_as_in_pytorch_but_numbers_elsewhere_stay_numbers():
    assert Tensor(5).shape == (5,) and Tensor(5).dtype == np.float32
    assert Tensor(5.0).shape == () and Tensor(5.0).item() == 5.0
    assert tg.tensor(5).shape == () and tg.tensor(5).item() == 5
    # where a function wraps a Python int itself, the int is the number
    np.testing.assert_array_equal(tg.add(2, tg.ones(3)).numpy(), [3.0, 3.0, 3.0])
    np.testing.assert_array_equal(tg.stack([1, 2]).numpy(), [1.0, 2.0])
    np.testing.assert_array_equal(F.mse_loss(tg.tensor(1.0), 3).numpy(), 4.0)


def test_version_is_the_one_in_pyproject():
    import tomllib

    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert tg.__version__ == project["version"]


def test_a_float_or_many_element_tensor_is_no_index():
    with pytest.raises(TypeError, match="only integer tensors of a single element"):
        ("a", "b")[tg.tensor(1.0)]
    with pytest.raises(TypeError, match="only integer tensors of a single element"):
        ("a", "b")[tg.tensor([0, 1])]
