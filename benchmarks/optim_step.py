"""Optimizer step cost next to a whole training step, for a 784-128-10 MLP in float32.

    python benchmarks/optim_step.py

Measures, at batch 128:
1. one training step: forward, cross_entropy, backward, SGD step (zero_grad first);
2. SGD (momentum 0.9) step() alone, and the same rule hand-written in NumPy;
3. Adam step() alone, and the same rule hand-written in NumPy.
The hand-written versions work on one flat buffer per quantity (parameters, gradients,
moments) with the fewest in-place passes NumPy allows: the floor for any NumPy optimizer.
Each figure is the median over rounds in which all are interleaved (so a busy machine
slows all of them alike). Goal: an optimizer step costs under 5% of a training step.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable

import numpy as np

import tinygrad_edu as tg
from tinygrad_edu import Tensor, nn

BATCH = 128
ROUNDS = 31
CALLS = 50


def milliseconds_per_call(fn: Callable[[], object], calls: int = CALLS) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - start) / calls * 1e3


class FlatNumPy:
    """SGD with momentum and Adam written by hand over flat float32 buffers (PyTorch's rules)."""

    def __init__(self, size: int, rng: np.random.Generator):
        self.param = rng.standard_normal(size).astype(np.float32)
        self.grad = rng.standard_normal(size).astype(np.float32)
        self.buffer = self.grad.copy()  # momentum buffer after the first step
        self.exp_avg = np.zeros(size, np.float32)
        self.exp_avg_sq = np.zeros(size, np.float32)
        self.scratch = np.empty(size, np.float32)
        self.step = 0

    def sgd(self, lr: float = 0.01, momentum: float = 0.9) -> None:
        self.buffer *= momentum  # b = μb + g
        self.buffer += self.grad
        self.param -= np.multiply(self.buffer, lr, out=self.scratch)  # θ = θ − ηb

    def adam(self, lr: float = 1e-4, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8) -> None:
        self.step += 1
        self.exp_avg *= beta1  # m = β₁m + (1 − β₁)g
        self.exp_avg += np.multiply(self.grad, 1 - beta1, out=self.scratch)
        self.exp_avg_sq *= beta2  # v = β₂v + (1 − β₂)g²
        self.exp_avg_sq += np.multiply(np.square(self.grad, out=self.scratch), 1 - beta2, out=self.scratch)
        denominator = np.sqrt(self.exp_avg_sq, out=self.scratch)
        denominator *= 1 / math.sqrt(1 - beta2**self.step)
        denominator += eps
        update = np.divide(self.exp_avg, denominator, out=self.scratch)
        update *= lr / (1 - beta1**self.step)
        self.param -= update


def main() -> None:
    rng = np.random.default_rng(0)
    model = nn.Sequential(nn.Linear(784, 128, generator=rng), nn.ReLU(), nn.Linear(128, 10, generator=rng))
    images = Tensor(rng.standard_normal((BATCH, 784)).astype(np.float32))
    labels = rng.integers(0, 10, size=BATCH)
    sgd = tg.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    adam = tg.optim.Adam(model.parameters(), lr=1e-4)

    def training_step() -> None:
        sgd.zero_grad()
        loss = nn.functional.cross_entropy(model(images), labels)
        loss.backward()
        sgd.step()

    training_step()  # every parameter now has a gradient, which the step-only timings reuse
    parameters = sum(p.numel() for p in model.parameters())
    by_hand = FlatNumPy(parameters, rng)
    contenders = {
        "training step": training_step,
        "SGD(momentum=0.9).step()": sgd.step,
        "  SGD by hand in NumPy": by_hand.sgd,
        "Adam.step()": adam.step,
        "  Adam by hand in NumPy": by_hand.adam,
    }
    for fn in contenders.values():
        fn()  # warm up: allocate state buffers
    timings: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(ROUNDS):
        for name, fn in contenders.items():
            timings[name].append(milliseconds_per_call(fn))

    medians = {name: statistics.median(values) for name, values in timings.items()}
    train = medians["training step"]
    print(f"784-128-10 MLP ({parameters:,} float32 parameters), batch {BATCH}; median of {ROUNDS} x {CALLS} calls:")
    for name, median in medians.items():
        share = "" if name == "training step" else f"{median / train:6.1%} of a training step"
        print(f"  {name:28s} {median * 1e3:8.1f} µs   {share}")
    for name in ("SGD(momentum=0.9).step()", "Adam.step()"):
        ratio = medians[name] / train
        print(f"  {name:28s} goal < 5% of a training step -> {'met' if ratio < 0.05 else 'NOT met'}")


if __name__ == "__main__":
    main()
