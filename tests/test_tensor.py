"""Tensor construction, dtype rules, operators with other types, and error messages."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import DTypeError, ShapeError, Tensor


class TestDtypeRules:
    def test_python_floats_and_lists_become_float32(self):
        assert Tensor(1.5).dtype == np.float32
        assert Tensor([[1.0, 2.0]]).dtype == np.float32
        assert Tensor([1, 2, 3]).dtype == np.float32

    def test_numpy_arrays_keep_their_dtype(self):
        assert Tensor(np.zeros(3)).dtype == np.float64
        assert Tensor(np.zeros(3, dtype=np.float16)).dtype == np.float16
        assert Tensor(np.arange(3)).dtype == np.int64

    def test_explicit_dtype_wins(self):
        assert Tensor([1, 2], dtype=np.float64).dtype == np.float64
        assert Tensor(np.zeros(2), dtype=np.float32).dtype == np.float32

    def test_python_number_takes_the_tensor_dtype(self):
        x64 = Tensor(np.ones(2))
        x32 = Tensor(np.ones(2, dtype=np.float32))
        assert (x64 * 0.1).dtype == np.float64
        assert (x64 * 0.1).data[0] == 0.1  # not rounded through float32
        assert (x32 * 2).dtype == np.float32
        assert (2 - x32).dtype == np.float32
        assert (x32**2).dtype == np.float32

    def test_integer_data_cannot_require_grad(self):
        with pytest.raises(DTypeError, match="requires_grad=True needs floating-point data, got int64"):
            Tensor(np.arange(3), requires_grad=True)

    def test_integer_tensors_compute_without_grad(self):
        x = Tensor(np.arange(4))
        y = x * 2 + 1
        assert y.dtype == np.int64 and not y.requires_grad
        np.testing.assert_array_equal(y.data, [1, 3, 5, 7])

    def test_ragged_list_is_a_clear_error(self):
        with pytest.raises(ShapeError, match="same length"):
            Tensor([[1.0, 2.0], [3.0]])

    def test_strings_are_refused(self):
        with pytest.raises(TypeError, match="number, a \\(nested\\) list or a NumPy array"):
            Tensor("abc")


class TestMixedOperands:
    def test_ndarray_on_either_side_gives_a_tensor(self):
        x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
        a = np.array([3.0, 4.0])
        for result in (a * x, x * a, a + x, a - x, a / x, x @ a, a @ x):
            assert isinstance(result, Tensor)
            assert result.requires_grad
        (a * x).sum().backward()
        np.testing.assert_allclose(x.grad.data, a)

    def test_reflected_operators(self):
        x = Tensor(np.array([1.0, 2.0]))
        np.testing.assert_allclose((1 - x).data, [0.0, -1.0])
        np.testing.assert_allclose((2**x).data, [2.0, 4.0])
        np.testing.assert_allclose((6 / x).data, [6.0, 3.0])

    def test_unsupported_operand_type(self):
        with pytest.raises(TypeError, match="unsupported operand type for \\*: Tensor and str"):
            Tensor([1.0]) * "a"
        with pytest.raises(TypeError, match="use a Tensor, a NumPy array or a Python number"):
            Tensor([1.0]) + {"a": 1}

    def test_comparisons_are_boolean_and_not_differentiable(self):
        x = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
        for result, expected in [
            (x > 2, [False, False, True]),
            (x >= 2, [False, True, True]),
            (x < 2, [True, False, False]),
            (x <= 2, [True, True, False]),
            (x == 2, [False, True, False]),
            (x != 2, [True, False, True]),
            (np.array([2.0, 2.0, 2.0]) < x, [False, False, True]),
        ]:
            assert result.dtype == np.bool_ and not result.requires_grad
            np.testing.assert_array_equal(result.data, expected)

    def test_tensors_hash_by_identity(self):
        a, b = Tensor([1.0]), Tensor([1.0])
        assert len({a, b}) == 2


class TestShapeErrors:
    def test_matmul_names_both_shapes(self):
        with pytest.raises(ShapeError, match=r"a\.shape=\(2, 3\), b\.shape=\(4, 5\): a\.shape\[-1\] must equal"):
            Tensor(np.ones((2, 3))) @ Tensor(np.ones((4, 5)))
        with pytest.raises(ShapeError, match=r"a\.shape=\(3,\), b\.shape=\(4,\)"):
            Tensor(np.ones(3)) @ Tensor(np.ones(4))
        with pytest.raises(ShapeError, match="use \\* instead"):
            Tensor(np.ones(3)) @ Tensor(2.0)

    def test_broadcasting_names_shapes_and_axis(self):
        with pytest.raises(ShapeError, match=r"mul: shapes \(2, 3\), \(4,\) cannot be broadcast.*axis -1"):
            Tensor(np.ones((2, 3))) * Tensor(np.ones(4))
        with pytest.raises(ShapeError, match="matmul \\(batch axes\\)"):
            Tensor(np.ones((2, 3, 4))) @ Tensor(np.ones((3, 4, 5)))

    def test_linear_names_shapes(self):
        with pytest.raises(ShapeError, match=r"x\.shape=\(4, 3\), weight\.shape=\(2, 5\), bias\.shape=\(2,\)"):
            tg.nn.functional.linear(Tensor(np.ones((4, 3))), Tensor(np.ones((2, 5))), Tensor(np.ones(2)))

    def test_reshape_names_shapes(self):
        with pytest.raises(ShapeError, match=r"shape \(2, 3\) \(6 elements\) into shape \(4, 2\)"):
            Tensor(np.ones((2, 3))).reshape(4, 2)

    def test_transpose_needs_a_permutation(self):
        for axes in [(0, 0, 1), (0,)]:
            with pytest.raises(ShapeError, match="not a permutation of the 2 axes"):
                Tensor(np.ones((2, 3))).transpose(*axes)
        with pytest.raises(IndexError, match=r"transpose\(0, 2\): dim 2 is out of range for shape \(2, 3\)"):
            Tensor(np.ones((2, 3))).transpose(0, 2)

    def test_item_of_many_elements(self):
        with pytest.raises(ShapeError, match=r"exactly one element, got shape \(3,\)"):
            Tensor(np.ones(3)).item()

    def test_concatenate_and_stack(self):
        with pytest.raises(ShapeError, match=r"concatenate: shapes \(2, 3\), \(2, 4\)"):
            tg.concatenate([Tensor(np.ones((2, 3))), Tensor(np.ones((2, 4)))])
        with pytest.raises(ShapeError, match="same shape"):
            tg.stack([Tensor(np.ones(2)), Tensor(np.ones(3))])

    def test_where_needs_a_boolean_condition(self):
        with pytest.raises(DTypeError, match="condition must be boolean"):
            tg.where(np.ones(3), Tensor(np.ones(3)), 0.0)


class TestBasics:
    def test_properties(self):
        x = Tensor(np.zeros((2, 3)), requires_grad=True, name="x")
        assert x.shape == (2, 3) and x.ndim == 2 and x.numel() == 6 and x.is_leaf
        y = x * 2
        assert not y.is_leaf and y.grad_fn.name == "Mul" and y.grad_fn.parents[0] is x
        assert "grad_fn=<Mul>" in repr(y) and "name='x'" in repr(x)
        assert len(x) == 2
        assert [row.shape for row in x] == [(3,), (3,)]

    def test_item_numpy_and_float(self):
        x = Tensor(np.array([[2.5]]))
        assert x.item() == 2.5 and float(x) == 2.5
        assert x.numpy() is x._data and np.shares_memory(x.numpy(), x.data)
        assert np.asarray(x) is x._data

    def test_argmax(self):
        x = Tensor(np.array([[1.0, 5.0, 2.0], [7.0, 0.0, 1.0]]))
        np.testing.assert_array_equal(x.argmax(axis=1).data, [1, 0])
        assert x.argmax().item() == 3

    def test_constructors(self):
        assert Tensor.zeros(2, 3).shape == (2, 3) and Tensor.zeros((2, 3)).dtype == np.float32
        assert Tensor.ones(4).data.sum() == 4
        np.testing.assert_array_equal(Tensor.eye(2).data, np.eye(2))
        np.testing.assert_array_equal(Tensor.arange(3).data, [0, 1, 2])
        assert Tensor.arange(3).dtype == np.int64 and Tensor.arange(0, 1, 0.5).dtype == np.float32
        a = Tensor.randn(3, 4, generator=np.random.default_rng(7))
        b = Tensor.randn(3, 4, generator=np.random.default_rng(7))
        np.testing.assert_array_equal(a.data, b.data)
        u = Tensor.uniform(1000, low=-2, high=3, generator=np.random.default_rng(0))
        assert u.data.min() >= -2 and u.data.max() < 3 and u.dtype == np.float32
        assert Tensor.randn(2, requires_grad=True, generator=np.random.default_rng(0)).requires_grad

    def test_getitem_with_tensor_indices(self):
        x = Tensor(np.arange(12.0).reshape(3, 4))
        np.testing.assert_array_equal(x[Tensor(np.array([2, 0]))].data, x.data[[2, 0]])
        np.testing.assert_array_equal(x[x > 5].data, x.data[x.data > 5])
        with pytest.raises(IndexError, match="integers or booleans"):
            x[np.array([0.5])]

    def test_getitem_result_does_not_alias_input(self):
        data = np.arange(6.0)
        y = Tensor(data)[1:3]
        data[1] = 100.0
        assert y.data[0] == 1.0

    def test_clip_needs_a_bound(self):
        with pytest.raises(ValueError, match="give low, high or both"):
            Tensor([1.0]).clip()


def test_assigning_data_counts_as_a_change():
    t = Tensor([1.0, 2.0])
    assert t._version == 0
    t.data = np.array([3.0, 4.0], dtype=np.float32)
    t.data *= 2  # in place, but through the attribute: counted too
    assert t._version == 2
    np.testing.assert_array_equal(t.numpy(), [6.0, 8.0])
    assert t.detach()._version == 0  # a new tensor starts at 0
