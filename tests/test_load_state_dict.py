"""Module.load_state_dict is all-or-nothing: a bad entry anywhere leaves every parameter as it was."""

from __future__ import annotations

import numpy as np
import pytest

from tinygrad_edu import nn
from tinygrad_edu.nn.module import StateDictError


def model() -> nn.Sequential:
    return nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))


def snapshot(module) -> dict[str, np.ndarray]:
    return {name: p.data.copy() for name, p in module.named_parameters()}


def good_values() -> dict[str, np.ndarray]:
    return {name: np.full(p.shape, 7.0, dtype=np.float32) for name, p in model().named_parameters()}


@pytest.mark.parametrize(
    ("key", "bad", "message"),
    [
        ("2.bias", np.zeros(3, np.float32), "size mismatch for '2.bias'"),  # the last entry is wrong
        ("2.weight", np.array([["a"] * 4] * 2), "'2.weight' has dtype"),  # strings
        ("2.weight", [[1.0, 2.0], [3.0]], "'2.weight' is not an array of numbers"),  # ragged
        ("2.bias", np.zeros(2, dtype=complex), "'2.bias' has dtype complex128"),
    ],
)
def test_nothing_is_copied_unless_every_check_passes(key, bad, message):
    module = model()
    before = snapshot(module)
    values = good_values()
    values[key] = bad
    with pytest.raises(StateDictError, match=message):
        module.load_state_dict(values)
    for name, parameter in module.named_parameters():
        np.testing.assert_array_equal(parameter.data, before[name])


def test_unexpected_key_copies_nothing_under_strict():
    module = model()
    before = snapshot(module)
    values = {**good_values(), "9.weight": np.zeros(1)}
    with pytest.raises(StateDictError, match="unexpected key"):
        module.load_state_dict(values)
    for name, parameter in module.named_parameters():
        np.testing.assert_array_equal(parameter.data, before[name])


def test_good_values_are_all_copied_and_converted():
    module = model()
    values = {name: value.astype(np.float64) for name, value in good_values().items()}
    module.load_state_dict(values)
    for parameter in module.parameters():
        assert parameter.dtype == np.float32
        np.testing.assert_array_equal(parameter.data, 7.0)
