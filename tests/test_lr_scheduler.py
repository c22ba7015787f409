"""Learning-rate schedulers against PyTorch's closed forms, over many steps, and resumption."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.optim.lr_scheduler import CosineAnnealingLR, OneCycleLR, StepLR


def make_sgd(lr=0.1, momentum=0.9):
    return tg.optim.SGD([nn.Parameter(np.zeros(3))], lr=lr, momentum=momentum)


def lrs_over(scheduler, steps):
    """The learning rate in force at step 0, 1, ..., steps − 1 (set at construction, then by step())."""
    values = []
    for _ in range(steps):
        values.append(scheduler.optimizer.param_groups[0]["lr"])
        scheduler.step()
    return values


def cos_anneal(start, end, fraction):
    return end + (start - end) * (1 + math.cos(math.pi * fraction)) / 2


def test_step_lr():
    scheduler = StepLR(make_sgd(lr=0.1), step_size=3, gamma=0.5)
    expected = [0.1 * 0.5 ** (t // 3) for t in range(40)]
    np.testing.assert_allclose(lrs_over(scheduler, 40), expected, rtol=1e-15)
    assert scheduler.last_epoch == 40


def test_cosine_annealing_lr():
    scheduler = CosineAnnealingLR(make_sgd(lr=0.1), T_max=25, eta_min=0.001)
    got = lrs_over(scheduler, 26)
    expected = [0.001 + (0.1 - 0.001) * (1 + math.cos(math.pi * t / 25)) / 2 for t in range(26)]
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    assert got[0] == pytest.approx(0.1) and got[25] == pytest.approx(0.001)
    assert got[12] > 0.0505 > got[13]  # halfway between 0.1 and 0.001 at t = 12.5


def onecycle_reference(t, total, max_lr, pct_start=0.3, div=25.0, final_div=1e4):
    """PyTorch's two-phase 1cycle, written out: (lr, momentum) at step t."""
    initial = max_lr / div
    minimum = initial / final_div
    peak = pct_start * total - 1
    if t <= peak:
        fraction = t / peak
        return cos_anneal(initial, max_lr, fraction), cos_anneal(0.95, 0.85, fraction)
    fraction = (t - peak) / (total - 1 - peak)
    return cos_anneal(max_lr, minimum, fraction), cos_anneal(0.85, 0.95, fraction)


def test_one_cycle_lr_and_momentum_for_sgd():
    optimizer = make_sgd()
    scheduler = OneCycleLR(optimizer, max_lr=0.1, total_steps=100)
    for t in range(100):
        lr, momentum = onecycle_reference(t, 100, 0.1)
        assert optimizer.param_groups[0]["lr"] == pytest.approx(lr, rel=1e-12)
        assert optimizer.param_groups[0]["momentum"] == pytest.approx(momentum, rel=1e-12)
        assert scheduler.get_last_lr() == [optimizer.param_groups[0]["lr"]]
        scheduler.step()


def test_one_cycle_landmarks():
    scheduler = OneCycleLR(make_sgd(), max_lr=0.1, total_steps=100)
    lrs = lrs_over(scheduler, 100)
    assert lrs[0] == pytest.approx(0.1 / 25)  # initial_lr = max_lr / div_factor
    assert lrs[29] == pytest.approx(0.1)  # the peak at pct_start · total − 1
    assert max(lrs) == lrs[29]
    assert lrs[99] == pytest.approx(0.1 / 25 / 1e4)  # min_lr = initial_lr / final_div_factor


def test_one_cycle_cycles_adam_beta1_and_keeps_beta2():
    optimizer = tg.optim.Adam([nn.Parameter(np.zeros(3))], lr=1e-3, betas=(0.9, 0.98))
    scheduler = OneCycleLR(optimizer, max_lr=0.01, epochs=5, steps_per_epoch=10)
    for t in range(50):
        lr, momentum = onecycle_reference(t, 50, 0.01)
        assert optimizer.param_groups[0]["lr"] == pytest.approx(lr, rel=1e-12)
        assert optimizer.param_groups[0]["betas"] == pytest.approx((momentum, 0.98), rel=1e-12)
        scheduler.step()


def test_one_cycle_three_phase_and_linear():
    scheduler = OneCycleLR(make_sgd(), max_lr=1.0, total_steps=100, three_phase=True, anneal_strategy="linear")
    group = scheduler.optimizer.param_groups[0]
    lrs, momenta = [], []
    for _ in range(100):
        lrs.append(group["lr"])
        momenta.append(group["momentum"])
        scheduler.step()
    assert lrs[0] == pytest.approx(0.04) and lrs[29] == pytest.approx(1.0)
    assert lrs[10] == pytest.approx(0.04 + (1.0 - 0.04) * 10 / 29)  # a straight line up
    assert lrs[58] == pytest.approx(0.04)  # back down to initial_lr at 2 · pct_start · total − 2
    assert lrs[99] == pytest.approx(0.04 / 1e4)
    assert momenta[29] == pytest.approx(0.85) and momenta[58] == pytest.approx(0.95) and momenta[80] == 0.95


def test_one_cycle_without_momentum_cycling():
    optimizer = make_sgd(momentum=0.5)
    scheduler = OneCycleLR(optimizer, max_lr=0.1, total_steps=10, cycle_momentum=False)
    lrs_over(scheduler, 5)
    assert optimizer.param_groups[0]["momentum"] == 0.5


def test_one_cycle_stepping_past_total_steps_raises():
    scheduler = OneCycleLR(make_sgd(), max_lr=0.1, total_steps=10)
    for _ in range(10):
        scheduler.step()  # total_steps calls are allowed, as in PyTorch
    with pytest.raises(ValueError, match="tried to step 11 times, but total_steps is 10"):
        scheduler.step()


def test_one_cycle_needs_a_length():
    with pytest.raises(ValueError, match="total_steps, or both epochs and steps_per_epoch"):
        OneCycleLR(make_sgd(), max_lr=0.1, epochs=3)


def test_scheduled_lr_is_used_by_the_optimizer():
    param = nn.Parameter(np.zeros(2))
    optimizer = tg.optim.SGD([param], lr=1.0)
    scheduler = StepLR(optimizer, step_size=1, gamma=0.5)
    positions = []
    for _ in range(3):
        optimizer.zero_grad()
        param.sum().backward()  # gradient 1
        optimizer.step()
        scheduler.step()
        positions.append(param.data[0])
    np.testing.assert_allclose(positions, [-1.0, -1.5, -1.75])


@pytest.mark.parametrize(
    "make_scheduler",
    [
        lambda opt: StepLR(opt, step_size=4, gamma=0.3),
        lambda opt: CosineAnnealingLR(opt, T_max=17, eta_min=0.01),
        lambda opt: OneCycleLR(opt, max_lr=0.5, total_steps=30),
    ],
    ids=["step", "cosine", "onecycle"],
)
def test_resume_from_state_dicts(make_scheduler, tmp_path):
    optimizer = make_sgd()
    scheduler = make_scheduler(optimizer)
    uninterrupted = lrs_over(scheduler, 25)

    optimizer = make_sgd()
    scheduler = make_scheduler(optimizer)
    first = lrs_over(scheduler, 10)
    tg.save({"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict()}, tmp_path / "ckpt.npz")

    checkpoint = tg.load(tmp_path / "ckpt.npz", unflatten=True)
    optimizer = make_sgd(lr=123.0)
    scheduler = make_scheduler(optimizer)
    optimizer.load_state_dict(checkpoint["optimizer"])
    scheduler.load_state_dict(checkpoint["scheduler"])
    assert scheduler.last_epoch == 10
    rest = lrs_over(scheduler, 15)
    np.testing.assert_allclose(first + rest, uninterrupted, rtol=1e-15)
