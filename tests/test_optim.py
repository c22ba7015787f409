"""Optimizers: trajectories against plain NumPy transcriptions of PyTorch's update rules, exact
resumption from a state dict, and the step's hygiene (in place, no graph, grads untouched)."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import Tensor, nn

STEPS = 7
SHAPES = [(3, 4), (4,)]


def make_params(dtype=np.float64):
    rng = np.random.default_rng(0)
    return [nn.Parameter(rng.normal(size=shape).astype(dtype)) for shape in SHAPES]


def loss_of(params):
    """A smooth loss whose gradient changes from step to step: Σ c·θ² + sin θ."""
    return sum(((p * p) * 0.7 + p.sin()).sum() for p in params)


def grad_of(theta: np.ndarray) -> np.ndarray:
    return 1.4 * theta + np.cos(theta)


def run(optimizer, params, steps):
    for _ in range(steps):
        optimizer.zero_grad()
        loss_of(params).backward()
        optimizer.step()
    return [p.data.copy() for p in params]


# ----- NumPy references (PyTorch's documented algorithms, written the plain way) -------------------


def reference_sgd(thetas, steps, lr, momentum=0.0, dampening=0.0, nesterov=False, weight_decay=0.0):
    thetas = [t.copy() for t in thetas]
    buffers = [None] * len(thetas)
    for _ in range(steps):
        for i, theta in enumerate(thetas):
            g = grad_of(theta)
            if weight_decay:
                g = g + weight_decay * theta
            if momentum:
                buffers[i] = g.copy() if buffers[i] is None else momentum * buffers[i] + (1 - dampening) * g
                g = g + momentum * buffers[i] if nesterov else buffers[i]
            thetas[i] = theta - lr * g
    return thetas


def reference_adam(thetas, steps, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, decoupled=False):
    beta1, beta2 = betas
    thetas = [t.copy() for t in thetas]
    m = [np.zeros_like(t) for t in thetas]
    v = [np.zeros_like(t) for t in thetas]
    for t in range(1, steps + 1):
        for i, theta in enumerate(thetas):
            g = grad_of(theta)
            if weight_decay and decoupled:
                theta = theta * (1 - lr * weight_decay)
            elif weight_decay:
                g = g + weight_decay * theta
            m[i] = beta1 * m[i] + (1 - beta1) * g
            v[i] = beta2 * v[i] + (1 - beta2) * g * g
            m_hat = m[i] / (1 - beta1**t)
            v_hat = v[i] / (1 - beta2**t)
            thetas[i] = theta - lr * m_hat / (np.sqrt(v_hat) + eps)
    return thetas


def reference_rmsprop(thetas, steps, lr, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False):
    thetas = [t.copy() for t in thetas]
    v = [np.zeros_like(t) for t in thetas]
    mean = [np.zeros_like(t) for t in thetas]
    buffers = [np.zeros_like(t) for t in thetas]
    for _ in range(steps):
        for i, theta in enumerate(thetas):
            g = grad_of(theta) + weight_decay * theta
            v[i] = alpha * v[i] + (1 - alpha) * g * g
            mean[i] = alpha * mean[i] + (1 - alpha) * g
            scale = np.sqrt(v[i] - mean[i] ** 2 if centered else v[i]) + eps
            buffers[i] = momentum * buffers[i] + g / scale
            thetas[i] = theta - lr * (buffers[i] if momentum else g / scale)
    return thetas


def reference_adagrad(thetas, steps, lr, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=1e-10):
    thetas = [t.copy() for t in thetas]
    sums = [np.full_like(t, initial_accumulator_value) for t in thetas]
    for t in range(1, steps + 1):
        for i, theta in enumerate(thetas):
            g = grad_of(theta) + weight_decay * theta
            sums[i] = sums[i] + g * g
            thetas[i] = theta - lr / (1 + (t - 1) * lr_decay) * g / (np.sqrt(sums[i]) + eps)
    return thetas


SGD_SETTINGS = [
    {},
    {"momentum": 0.9},
    {"momentum": 0.9, "dampening": 0.5},
    {"momentum": 0.8, "nesterov": True},
    {"weight_decay": 0.1},
    {"momentum": 0.9, "weight_decay": 0.05},
    {"momentum": 0.7, "dampening": 0.3, "weight_decay": 0.2},
    {"momentum": 0.9, "nesterov": True, "weight_decay": 0.1},
]


@pytest.mark.parametrize("settings", SGD_SETTINGS, ids=[str(s) for s in SGD_SETTINGS])
def test_sgd_matches_reference(settings):
    params = make_params()
    start = [p.data.copy() for p in params]
    result = run(tg.optim.SGD(params, lr=0.05, **settings), params, STEPS)
    for got, expected in zip(result, reference_sgd(start, STEPS, lr=0.05, **settings)):
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


ADAM_SETTINGS = [
    (tg.optim.Adam, {}, False),
    (tg.optim.Adam, {"betas": (0.8, 0.99), "eps": 1e-6}, False),
    (tg.optim.Adam, {"weight_decay": 0.1}, False),
    (tg.optim.AdamW, {}, True),  # default weight_decay=1e-2, decoupled
    (tg.optim.AdamW, {"weight_decay": 0.3, "betas": (0.5, 0.9)}, True),
]


@pytest.mark.parametrize(
    "cls, settings, decoupled", ADAM_SETTINGS, ids=[f"{c.__name__}{s}" for c, s, _ in ADAM_SETTINGS]
)
def test_adam_and_adamw_match_reference(cls, settings, decoupled):
    params = make_params()
    start = [p.data.copy() for p in params]
    optimizer = cls(params, lr=0.01, **settings)
    result = run(optimizer, params, STEPS)
    reference_settings = dict(settings)
    if cls is tg.optim.AdamW:
        reference_settings.setdefault("weight_decay", 1e-2)
    expected = reference_adam(start, STEPS, lr=0.01, decoupled=decoupled, **reference_settings)
    for got, want in zip(result, expected):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


RMSPROP_SETTINGS = [
    {},
    {"alpha": 0.9, "eps": 1e-6},
    {"momentum": 0.9},
    {"centered": True},
    {"centered": True, "momentum": 0.5, "weight_decay": 0.1},
]


@pytest.mark.parametrize("settings", RMSPROP_SETTINGS, ids=[str(s) for s in RMSPROP_SETTINGS])
def test_rmsprop_matches_reference(settings):
    params = make_params()
    start = [p.data.copy() for p in params]
    result = run(tg.optim.RMSprop(params, lr=0.01, **settings), params, STEPS)
    for got, expected in zip(result, reference_rmsprop(start, STEPS, lr=0.01, **settings)):
        np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)


ADAGRAD_SETTINGS = [
    {},
    {"lr_decay": 0.1},
    {"weight_decay": 0.2, "initial_accumulator_value": 0.5},
    {"eps": 1e-3, "lr_decay": 0.05, "weight_decay": 0.1},
]


@pytest.mark.parametrize("settings", ADAGRAD_SETTINGS, ids=[str(s) for s in ADAGRAD_SETTINGS])
def test_adagrad_matches_reference(settings):
    params = make_params()
    start = [p.data.copy() for p in params]
    result = run(tg.optim.Adagrad(params, lr=0.1, **settings), params, STEPS)
    for got, expected in zip(result, reference_adagrad(start, STEPS, lr=0.1, **settings)):
        np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)


def test_default_learning_rates_are_pytorchs():
    params = make_params()
    assert tg.optim.RMSprop(params).defaults == {
        "lr": 1e-2, "alpha": 0.99, "eps": 1e-8, "weight_decay": 0.0, "momentum": 0.0, "centered": False
    }  # fmt: skip
    assert tg.optim.Adagrad(params).defaults == {
        "lr": 1e-2, "lr_decay": 0.0, "weight_decay": 0.0, "initial_accumulator_value": 0.0, "eps": 1e-10
    }  # fmt: skip


@pytest.mark.parametrize("owner", ["optimizer", "module"])
def test_zero_grad_set_to_none_false_leaves_zeros(owner):
    model = nn.Linear(3, 2)
    optimizer = tg.optim.SGD(model.parameters(), lr=0.1)
    model(Tensor(np.ones((4, 3), dtype=np.float32))).sum().backward()
    old_grad = model.weight.grad
    zero_grad = optimizer.zero_grad if owner == "optimizer" else model.zero_grad
    zero_grad(set_to_none=False)
    for p in model.parameters():
        assert p.grad is not None and p.grad.shape == p.shape and p.grad.dtype == p.dtype
        assert not p.grad.data.any()
    assert old_grad.data.any()  # a new zero tensor: a gradient kept elsewhere is not changed
    model(Tensor(np.ones((4, 3), dtype=np.float32))).sum().backward()
    np.testing.assert_allclose(model.weight.grad.data, np.full((2, 3), 4.0))  # accumulated onto zeros
    zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_adamw_decay_differs_from_adam_l2():
    results = []
    for cls in (tg.optim.Adam, tg.optim.AdamW):
        params = make_params()
        results.append(run(cls(params, lr=0.01, weight_decay=0.5), params, 3)[0])
    assert not np.allclose(results[0], results[1])


def test_param_groups_have_their_own_learning_rates():
    params = make_params()
    start = [p.data.copy() for p in params]
    optimizer = tg.optim.SGD([{"params": [params[0]], "lr": 0.1}, {"params": [params[1]]}], lr=0.01, momentum=0.9)
    assert [g["lr"] for g in optimizer.param_groups] == [0.1, 0.01]
    run(optimizer, params, STEPS)
    np.testing.assert_allclose(params[0].data, reference_sgd(start[:1], STEPS, 0.1, momentum=0.9)[0], rtol=1e-12)
    np.testing.assert_allclose(params[1].data, reference_sgd(start[1:], STEPS, 0.01, momentum=0.9)[0], rtol=1e-12)


@pytest.mark.parametrize("make", [
    lambda p: tg.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
    lambda p: tg.optim.SGD(p, lr=0.1, momentum=0.9, dampening=0.1),
    lambda p: tg.optim.Adam(p, lr=0.01, weight_decay=0.01),
    lambda p: tg.optim.AdamW(p, lr=0.01),
    lambda p: tg.optim.RMSprop(p, lr=0.01, momentum=0.9, centered=True),
    lambda p: tg.optim.Adagrad(p, lr=0.1, lr_decay=0.1),
], ids=["sgd-nesterov", "sgd-dampening", "adam", "adamw", "rmsprop", "adagrad"])  # fmt: skip
@pytest.mark.parametrize("through_file", [False, True])
def test_resuming_from_a_state_dict_is_exact(make, through_file, tmp_path):
    params = make_params()
    uninterrupted = run(make(params), params, 6)

    params = make_params()
    optimizer = make(params)
    run(optimizer, params, 3)
    state = optimizer.state_dict()
    model_state = [p.data.copy() for p in params]
    if through_file:
        tg.save({"optimizer": state}, tmp_path / "checkpoint.npz")
        state = tg.load(tmp_path / "checkpoint.npz", unflatten=True)["optimizer"]
    run(optimizer, params, 2)  # the saved state must not follow later steps

    fresh_params = [nn.Parameter(data) for data in model_state]
    fresh = make(fresh_params)
    fresh.load_state_dict(state)
    resumed = run(fresh, fresh_params, 3)
    for got, expected in zip(resumed, uninterrupted):
        np.testing.assert_array_equal(got, expected)


def test_state_dict_holds_only_arrays_numbers_and_dicts():
    params = make_params()
    optimizer = tg.optim.Adam(params, lr=0.01)
    run(optimizer, params, 2)
    state = optimizer.state_dict()
    assert state["state"][0]["step"] == 2 and state["state"][1]["exp_avg"].shape == (4,)
    np.testing.assert_array_equal(state["param_groups"][0]["params"], [0, 1])
    np.testing.assert_array_equal(state["param_groups"][0]["betas"], [0.9, 0.999])

    def check(value):
        if isinstance(value, dict):
            for item in value.values():
                check(item)
        else:
            assert isinstance(value, (np.ndarray, int, float, bool)), type(value)

    check(state)


def test_load_state_dict_restores_hyperparameters_as_python_values():
    params = make_params()
    optimizer = tg.optim.Adam(params, lr=0.01, betas=(0.8, 0.9))
    run(optimizer, params, 1)
    fresh = tg.optim.Adam(params)
    fresh.load_state_dict(optimizer.state_dict())
    assert fresh.param_groups[0]["lr"] == 0.01 and fresh.param_groups[0]["betas"] == (0.8, 0.9)
    assert fresh.param_groups[0]["params"][0] is params[0]


def test_load_state_dict_mismatch_errors():
    params = make_params()
    optimizer = tg.optim.SGD(params, lr=0.1, momentum=0.9)
    run(optimizer, params, 1)
    state = optimizer.state_dict()
    with pytest.raises(ValueError, match="has 1 parameters but the saved one has 2"):
        tg.optim.SGD(params[:1], lr=0.1).load_state_dict(state)
    other = [nn.Parameter(np.zeros((4, 3))), nn.Parameter(np.zeros(4))]
    with pytest.raises(ValueError, match=r"parameter 0 has shape \(3, 4\), the parameter has shape \(4, 3\)"):
        tg.optim.SGD(other, lr=0.1).load_state_dict(state)


def test_step_is_in_place_records_no_graph_and_never_writes_into_grads():
    params = make_params(np.float32)
    arrays = [p._data for p in params]
    optimizer = tg.optim.SGD(params, lr=0.1, momentum=0.9, weight_decay=0.1)
    adam = tg.optim.Adam(params, lr=0.1, weight_decay=0.1)
    for opt in (optimizer, adam, optimizer):
        loss_of(params).backward()
        grads = [p.grad.data.copy() for p in params]
        opt.step()
        for p, array, grad in zip(params, arrays, grads):
            assert p._data is array and p.dtype == np.float32
            assert p.is_leaf and p.grad_fn is None
            np.testing.assert_array_equal(p.grad.data, grad)
        opt.zero_grad()
        assert all(p.grad is None for p in params)


def test_parameters_without_grad_are_skipped():
    params = make_params()
    before = params[1].data.copy()
    optimizer = tg.optim.Adam(params, lr=0.1)
    (params[0] * params[0]).sum().backward()
    optimizer.step()
    np.testing.assert_array_equal(params[1].data, before)
    assert 1 not in optimizer.state_dict()["state"]


def test_step_with_closure_returns_the_loss():
    params = make_params()
    optimizer = tg.optim.SGD(params, lr=0.1)

    def closure():
        optimizer.zero_grad()
        loss = loss_of(params)
        loss.backward()
        return loss

    with tg.no_grad():
        loss = optimizer.step(closure)
    assert isinstance(loss, Tensor)


def test_bad_settings_are_rejected():
    params = make_params()
    with pytest.raises(ValueError, match="nesterov=True needs momentum > 0"):
        tg.optim.SGD(params, lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="lr must be >= 0"):
        tg.optim.Adam(params, lr=-1)
    with pytest.raises(ValueError, match="betas"):
        tg.optim.Adam(params, betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="empty list of parameters"):
        tg.optim.SGD([], lr=0.1)
    with pytest.raises(ValueError, match="requires_grad=True"):
        tg.optim.SGD([Tensor([1.0])], lr=0.1)
    with pytest.raises(ValueError, match="appears twice"):
        tg.optim.SGD([params[0], params[0]], lr=0.1)


def test_matches_torch_if_installed():
    torch = pytest.importorskip("torch")
    for cls, torch_cls, settings in [
        (tg.optim.SGD, torch.optim.SGD, {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.1}),
        (tg.optim.Adam, torch.optim.Adam, {"lr": 0.01, "weight_decay": 0.1}),
        (tg.optim.AdamW, torch.optim.AdamW, {"lr": 0.01, "weight_decay": 0.1}),
        (tg.optim.RMSprop, torch.optim.RMSprop, {"lr": 0.01, "momentum": 0.9, "centered": True, "weight_decay": 0.1}),
        (tg.optim.Adagrad, torch.optim.Adagrad, {"lr": 0.1, "lr_decay": 0.1, "initial_accumulator_value": 0.5}),
    ]:
        params = make_params()
        torch_params = [torch.tensor(p.data.copy(), requires_grad=True) for p in params]
        ours = run(cls(params, **settings), params, STEPS)
        torch_optimizer = torch_cls(torch_params, **settings)
        for _ in range(STEPS):
            torch_optimizer.zero_grad()
            sum((0.7 * p * p + p.sin()).sum() for p in torch_params).backward()
            torch_optimizer.step()
        for got, expected in zip(ours, torch_params):
            np.testing.assert_allclose(got, expected.detach().numpy(), rtol=1e-10, atol=1e-12)
