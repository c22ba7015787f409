"""nn.Module and nn.Sequential: registration, names, state dicts, modes, printing."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import Tensor, nn


def make_mlp(seed: int = 0) -> nn.Sequential:
    rng = np.random.default_rng(seed)
    return nn.Sequential(nn.Linear(784, 128, generator=rng), nn.ReLU(), nn.Linear(128, 10, generator=rng))


class TwoLayer(nn.Module):
    def __init__(self):
        super().__init__()
        rng = np.random.default_rng(0)
        self.fc1 = nn.Linear(4, 3, generator=rng)
        self.scale = Tensor([2.0])  # a plain tensor attribute: not a parameter
        self.fc2 = nn.Linear(3, 2, generator=rng)
        self.gain = nn.Parameter(np.ones(2, dtype=np.float32))

    def forward(self, x):
        return self.fc2(self.fc1(x).relu()) * self.gain


def test_parameters_are_registered_in_definition_order_with_pytorch_names():
    model = TwoLayer()
    names = [name for name, _ in model.named_parameters()]
    assert names == ["gain", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    assert [p.shape for p in model.parameters()] == [(2,), (3, 4), (3,), (2, 3), (2,)]
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in model.parameters())
    assert [name for name, _ in model.named_children()] == ["fc1", "fc2"]


def test_sequential_state_dict_keys_and_shapes_match_torch():
    model = make_mlp()
    state = model.state_dict()
    assert list(state) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert [v.shape for v in state.values()] == [(128, 784), (128,), (10, 128), (10,)]
    assert all(isinstance(v, np.ndarray) and v.dtype == np.float32 for v in state.values())


def test_state_dict_is_a_copy():
    model = make_mlp()
    state = model.state_dict()
    state["0.bias"][:] = 99.0
    assert not np.any(model[0].bias.data == 99.0)


def test_a_typo_is_an_attribute_error_not_none():
    model = TwoLayer()
    with pytest.raises(AttributeError):
        _ = model.fc3


def test_assigning_before_super_init_says_what_to_do():
    class Forgetful(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(2, 2)

    with pytest.raises(AttributeError, match=r"super\(\).__init__\(\)"):
        Forgetful()


def test_reassigning_and_deleting_unregister():
    model = TwoLayer()
    model.fc2 = None
    del model.gain
    assert [name for name, _ in model.named_parameters()] == ["fc1.weight", "fc1.bias"]


def test_shared_parameters_are_listed_once():
    layer = nn.Linear(3, 3)
    model = nn.Sequential(layer, nn.ReLU(), layer)
    assert len(list(model.parameters())) == 2


def test_call_runs_forward_and_base_forward_is_abstract():
    model = TwoLayer()
    x = Tensor(np.ones((5, 4), dtype=np.float32))
    assert model(x).shape == (5, 2)
    with pytest.raises(NotImplementedError, match="must define forward"):
        nn.Module()(x)


def test_zero_grad_sets_grads_to_none():
    model = make_mlp()
    x = Tensor(np.ones((2, 784), dtype=np.float32))
    model(x).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_train_and_eval_reach_every_submodule():
    model = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.Dropout(0.5), nn.ReLU()))
    assert model.eval() is model
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())


def test_repr_like_pytorch():
    model = nn.Sequential(nn.Linear(784, 128, bias=True), nn.ReLU(), nn.Dropout(0.2), nn.Linear(128, 10, bias=False))
    assert repr(model) == (
        "Sequential(\n"
        "  (0): Linear(in_features=784, out_features=128, bias=True)\n"
        "  (1): ReLU()\n"
        "  (2): Dropout(p=0.2, inplace=False)\n"
        "  (3): Linear(in_features=128, out_features=10, bias=False)\n"
        ")"
    )


def test_nested_repr_is_indented():
    model = nn.Sequential(nn.Flatten(), nn.Sequential(nn.Linear(4, 2), nn.Tanh()))
    assert repr(model) == (
        "Sequential(\n"
        "  (0): Flatten(start_dim=1, end_dim=-1)\n"
        "  (1): Sequential(\n"
        "    (0): Linear(in_features=4, out_features=2, bias=True)\n"
        "    (1): Tanh()\n"
        "  )\n"
        ")"
    )
    assert repr(TwoLayer()).startswith("TwoLayer(\n  (fc1): Linear(in_features=4, out_features=3, bias=True)\n")


def test_load_state_dict_round_trip_restores_outputs():
    source, target = make_mlp(seed=1), make_mlp(seed=2)
    x = Tensor(np.random.default_rng(3).normal(size=(4, 784)).astype(np.float32))
    assert not np.allclose(source(x).data, target(x).data)
    result = target.load_state_dict(source.state_dict())
    np.testing.assert_array_equal(source(x).data, target(x).data)
    assert result == {"missing_keys": [], "unexpected_keys": []}


def test_load_state_dict_copies_in_place():
    model = make_mlp()
    weight_array = model[0].weight._data
    model.load_state_dict(make_mlp(seed=5).state_dict())
    assert model[0].weight._data is weight_array  # an optimizer holding the parameter still sees it


def test_load_state_dict_accepts_nested_dicts():
    source, target = make_mlp(seed=1), make_mlp(seed=2)
    nested = {"0": {"weight": source[0].weight.data, "bias": source[0].bias.data}, "2": {
        "weight": source[2].weight.data, "bias": source[2].bias.data}}  # fmt: skip
    target.load_state_dict(nested)
    np.testing.assert_array_equal(target[2].bias.data, source[2].bias.data)


def test_load_state_dict_shape_mismatch_names_key_and_both_shapes():
    model = make_mlp()
    state = model.state_dict()
    state["0.weight"] = state["0.weight"].T
    before = model[0].bias.data.copy()
    state["0.bias"] = state["0.bias"] + 1
    with pytest.raises(nn.StateDictError, match=r"'0.weight'.*\(784, 128\).*\(128, 784\)"):
        model.load_state_dict(state)
    np.testing.assert_array_equal(model[0].bias.data, before)  # nothing copied on error
    with pytest.raises(nn.StateDictError, match="size mismatch"):
        model.load_state_dict(state, strict=False)  # shapes are checked even when not strict


def test_load_state_dict_lists_missing_and_unexpected_keys():
    model = make_mlp()
    state = model.state_dict()
    del state["2.bias"]
    state["3.weight"] = np.zeros((1, 1))
    with pytest.raises(
        nn.StateDictError, match=r"missing key\(s\): \['2.bias'\](.|\n)*unexpected key\(s\): \['3.weight'\]"
    ):
        model.load_state_dict(state)
    result = model.load_state_dict(state, strict=False)
    assert result == {"missing_keys": ["2.bias"], "unexpected_keys": ["3.weight"]}


def test_sequential_indexing_iteration_and_len():
    model = make_mlp()
    assert len(model) == 3
    assert isinstance(model[1], nn.ReLU) and model[-1] is model[2]
    assert [type(m).__name__ for m in model] == ["Linear", "ReLU", "Linear"]
    head = model[:2]
    assert isinstance(head, nn.Sequential) and len(head) == 2 and head[0] is model[0]
    with pytest.raises(IndexError, match="out of range for 3"):
        model[3]
    model.append(nn.Softmax(axis=1))
    assert len(model) == 4 and "3" in dict(model.named_children())


def test_sequential_rejects_non_modules():
    with pytest.raises(TypeError, match="instances, not classes"):
        nn.Sequential(nn.Linear(2, 2), nn.ReLU)


def test_parameter_is_a_leaf_tensor_requiring_grad():
    p = nn.Parameter(np.zeros(3))
    assert isinstance(p, Tensor) and p.requires_grad and p.is_leaf and p.dtype == np.float64
    assert repr(p).startswith("Parameter containing:\nTensor(")
    assert tg.nn.Parameter([1.0]).dtype == np.float32


def test_buffers_are_saved_and_cast_but_not_parameters():
    class Counter(nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = nn.Linear(2, 2)
            self.register_buffer("total", tg.zeros(2))
            self.register_buffer("scratch", tg.zeros(3), persistent=False)

        def forward(self, x):
            self.total = self.total + x.detach().sum(axis=0)  # assigning a Tensor keeps it a buffer
            return self.linear(x)

    model = Counter()
    model(Tensor(np.ones((3, 2), dtype=np.float32)))
    assert [name for name, _ in model.named_parameters()] == ["linear.weight", "linear.bias"]
    assert [name for name, _ in model.named_buffers()] == ["total", "scratch"]
    assert list(model.state_dict()) == ["total", "linear.weight", "linear.bias"]  # own buffers, then children
    np.testing.assert_array_equal(model.state_dict()["total"], [3.0, 3.0])
    other = Counter()
    other.load_state_dict(model.state_dict())
    np.testing.assert_array_equal(other.total.data, [3.0, 3.0])
    assert model.double().total.dtype == np.float64
    with pytest.raises(TypeError, match="buffer 'total'.*a Tensor"):
        model.total = [1.0, 2.0]
