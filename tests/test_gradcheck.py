"""gradcheck and gradgradcheck themselves: they pass right gradients and name wrong ones."""

from __future__ import annotations

import re

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import Function, GradcheckError, GradcheckWarning, Tensor


class WrongSquare(Function):
    """y = x², with a planted bug: the backward forgets the factor 2."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * x


class FirstOrderOnlySquare(Function):
    """y = x², right first derivative, but it saves a *copy* of x: a constant, so the
    second derivative is lost (it comes out as 0 instead of 2)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x.copy())
        return x * x

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return 2 * grad_output * x


def f64(values, name=None):
    return Tensor(np.asarray(values, dtype=np.float64), requires_grad=True, name=name)


def test_passes_a_right_gradient():
    assert tg.gradcheck(lambda a, b: (a * b).sum(axis=0), [f64(np.ones((2, 3))), f64(np.arange(3.0))])


def test_names_input_element_and_both_values():
    x = f64([[1.0, 2.0], [3.0, 4.0]], name="weights")
    with pytest.raises(GradcheckError) as caught:
        tg.gradcheck(lambda a: WrongSquare.apply(a), [x])
    message = str(caught.value)
    assert "input 0 ('weights') of shape (2, 2)" in message
    assert "at element (" in message
    assert "analytic" in message and "numerical" in message


def test_reports_the_worst_element_with_its_values():
    x = f64([0.1, 5.0])  # the bug's error grows with x: element 1 is the worst
    with pytest.raises(GradcheckError) as caught:
        tg.gradcheck(lambda a: WrongSquare.apply(a), [x], seed=3)
    message = str(caught.value)
    assert "element (1,)" in message
    rng = np.random.default_rng(3)
    v = rng.standard_normal(2)
    reported = re.search(r"analytic (\S+), numerical (\S+) ", message)
    assert float(reported[1]) == pytest.approx(v[1] * 5.0, rel=1e-6)  # what the buggy backward says
    assert float(reported[2]) == pytest.approx(v[1] * 10.0, rel=1e-6)  # the truth: 2x


def test_gradgradcheck_catches_a_lost_second_derivative():
    x = f64([0.5, -1.5])
    assert tg.gradcheck(FirstOrderOnlySquare.apply, [x])
    with pytest.raises(GradcheckError):
        tg.gradgradcheck(FirstOrderOnlySquare.apply, [x])


def test_warns_on_float32_inputs():
    x = Tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    with pytest.warns(GradcheckWarning, match="float32; central differences need float64"):
        tg.gradcheck(lambda a: a * 2, [x], atol=1e-2, rtol=1e-2)


def test_needs_an_input_that_requires_grad():
    with pytest.raises(ValueError, match="nothing to check"):
        tg.gradcheck(lambda a: a * 2, [Tensor(np.ones(2))])


def test_non_differentiable_inputs_are_passed_through():
    mask = Tensor(np.array([True, False, True]))
    assert tg.gradcheck(lambda a, m: tg.where(m.data, a, 0.0), [f64([1.0, 2.0, 3.0]), mask])


def test_several_outputs():
    assert tg.gradcheck(lambda a: (a.exp(), a.sin().sum()), [f64([0.1, 0.2])])
    assert tg.gradgradcheck(lambda a: (a.exp(), a.sin().sum()), [f64([0.1, 0.2])])


def test_inputs_are_restored_after_perturbation():
    x = f64([1.0, 2.0, 3.0])
    before = x.data.copy()
    tg.gradcheck(lambda a: a.exp(), [x])
    np.testing.assert_array_equal(x.data, before)


@pytest.mark.parametrize("layout", ["fortran", "transposed", "strided"])
def test_inputs_in_any_memory_layout(layout):
    base = np.arange(1.0, 13.0).reshape(3, 4)
    data = {
        "fortran": np.asfortranarray(base),
        "transposed": base.T.copy().T,
        "strided": np.arange(1.0, 25.0).reshape(3, 8)[:, ::2],
    }[layout]
    x = Tensor(data, requires_grad=True)
    assert tg.gradcheck(lambda w: (w * w * np.arange(4.0)).sum(axis=1), [x])
    with pytest.raises(GradcheckError):
        tg.gradcheck(lambda w: WrongSquare.apply(w), [x])
