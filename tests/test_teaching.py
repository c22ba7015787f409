"""Teaching warnings: each fires in its case and stays silent otherwise."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import TeachingWarning, Tensor


def leaf(values, name=None):
    return Tensor(np.asarray(values, dtype=np.float64), requires_grad=True, name=name)


@pytest.fixture
def no_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error", TeachingWarning)
        yield


def test_second_backward_without_zeroing_warns():
    x = leaf([1.0, 2.0], name="x")
    with tg.teaching_mode():
        (x * 2).sum().backward()
        with pytest.warns(TeachingWarning, match="'x' already had a .grad.*zero_grad") as caught:
            (x * 2).sum().backward()
        assert caught[0].filename == __file__  # pointed at the user's line, not the engine's
    np.testing.assert_allclose(x.grad.data, [4.0, 4.0])  # the warning changes nothing


def test_zeroing_between_backwards_is_silent(no_warnings):
    x = leaf([1.0, 2.0])
    with tg.teaching_mode():
        (x * 2).sum().backward()
        x.grad = None
        (x * 2).sum().backward()
        # a tensor used twice in one backward is one accumulation, not two
        x.grad = None
        (x * x + x).sum().backward()


def test_reading_grad_of_a_non_leaf_warns():
    x = leaf([1.0])
    hidden = x * 3
    with tg.teaching_mode():
        (hidden * hidden).sum().backward()
        with pytest.warns(TeachingWarning, match="output of Mul, which is not a leaf.*retain_grad"):
            assert hidden.grad is None


def test_retained_and_leaf_grads_are_silent(no_warnings):
    x = leaf([1.0])
    hidden = x * 3
    hidden.retain_grad()
    with tg.teaching_mode():
        (hidden * hidden).sum().backward()
        assert hidden.grad is not None and x.grad is not None


def test_in_place_change_of_a_saved_array_warns():
    x = leaf([1.0, 2.0])
    with tg.teaching_mode():
        y = (x * x).sum()
        x.data[0] = 10.0  # changes what Mul saw
        with pytest.warns(
            TeachingWarning,
            match=r"used by Mul \(created at .*test_teaching.py:\d+: y = \(x \* x\).sum\(\)\) was modified in place",
        ):
            y.backward()


def test_change_after_backward_is_silent(no_warnings):
    x = leaf([1.0, 2.0])
    with tg.teaching_mode():
        y = (x * x).sum()
        y.backward()
        x.data[0] = 10.0


def test_nothing_is_checked_outside_teaching_mode(no_warnings):
    x = leaf([1.0, 2.0])
    hidden = x * x
    y = hidden.sum()
    x.data[0] = 10.0
    y.backward()
    (x * 2).sum().backward()
    assert hidden.grad is None


def test_gradcheck_in_float32_warns_in_any_mode():
    x = Tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    with pytest.warns(tg.GradcheckWarning, match="float64"):
        tg.gradcheck(lambda a: a * 2, [x], atol=1e-2, rtol=1e-2)


def test_environment_variable_turns_it_on():
    code = (
        "import warnings, numpy as np, tinygrad_edu as tg\n"
        "x = tg.Tensor(np.ones(2), requires_grad=True)\n"
        "with warnings.catch_warnings(record=True) as caught:\n"
        "    warnings.simplefilter('always')\n"
        "    (x * 2).sum().backward(); (x * 2).sum().backward()\n"
        "print(sum(issubclass(w.category, tg.TeachingWarning) for w in caught))\n"
    )
    env = dict(os.environ, TINYGRAD_EDU_TEACHING="1")
    on = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    env["TINYGRAD_EDU_TEACHING"] = "0"
    off = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert on.stdout.strip() == "1" and off.stdout.strip() == "0"


def test_a_bare_call_switches_the_mode_and_a_block_or_decorator_restores_it():
    from tinygrad_edu.debug import teaching

    before = teaching._enabled
    try:
        tg.teaching_mode(False)
        tg.teaching_mode()  # as the README writes it, in a notebook cell: on from here on
        assert teaching._enabled
        with tg.teaching_mode(False):
            assert not teaching._enabled
        assert teaching._enabled
        tg.teaching_mode(False)
        assert not teaching._enabled

        @tg.teaching_mode()
        def inside() -> bool:
            return teaching._enabled

        assert not teaching._enabled and inside() and not teaching._enabled
    finally:
        tg.teaching_mode(before)
