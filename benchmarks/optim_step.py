"""Optimizer step cost next to a whole training step, for a 784-128-10 MLP in float32.

    python benchmarks/optim_step.py

Measures, at batch 128:
1. one training step: forward, cross_entropy, backward, SGD step (zero_grad first);
2. SGD (momentum 0.9) step() alone;
3. Adam step() alone.
Each figure is the median over rounds in which the three are interleaved (so a busy machine
slows all of them alike). Goal: an optimizer step costs under 5% of a training step.
"""

from __future__ import annotations

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
    contenders = {"training step": training_step, "SGD(momentum=0.9).step()": sgd.step, "Adam.step()": adam.step}
    for fn in contenders.values():
        fn()  # warm up: allocate state buffers
    timings: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(ROUNDS):
        for name, fn in contenders.items():
            timings[name].append(milliseconds_per_call(fn))

    medians = {name: statistics.median(values) for name, values in timings.items()}
    train = medians["training step"]
    parameters = sum(p.size for p in model.parameters())
    print(f"784-128-10 MLP ({parameters:,} float32 parameters), batch {BATCH}; median of {ROUNDS} x {CALLS} calls:")
    for name, median in medians.items():
        print(f"  {name:26s} {median * 1e3:8.1f} µs")
    for name in ("SGD(momentum=0.9).step()", "Adam.step()"):
        ratio = medians[name] / train
        print(f"  {name:26s} / training step = {ratio:6.1%}   goal < 5% -> {'met' if ratio < 0.05 else 'NOT met'}")


if __name__ == "__main__":
    main()
