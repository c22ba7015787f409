"""Engine overhead: small graphs, where Python bookkeeping rather than arithmetic dominates.

    python benchmarks/engine.py

1. forward + backward of a chain of 100,000 multiplications (goal: under 1 s; must not hit
   Python's recursion limit). Also timed with Python's cyclic garbage collector paused, to
   show its share: while the chain is built (four tracked objects per op), each of its full
   collections rescans the whole live graph, and those rescans add up to several times the
   graph's final size. The graph has no reference cycles, so reference counting alone frees
   it; the goal is judged with the collector on, as a user runs.
2. forward + backward of (a*b + c).sum() on 4x4 float32 arrays, next to the same arithmetic
   written by hand in NumPy (the floor no autograd can beat), and PyTorch eager if installed;
   goal: at most 20 µs, and at most 2.5x NumPy by hand.
3. chains of 100,000 and 1,000,000 multiplications, each in a fresh child process: seconds and
   peak memory per op (goal: linear, the 1M chain costing ten times the 100k one, no more).
Each measurement is the median of several runs; the contenders are interleaved. Times are CPU
time of the process (time.process_time), which waiting for a core on a busy machine does not inflate.
"""

from __future__ import annotations

import gc
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from tinygrad_edu import Tensor


def small_graph_ours(a: Tensor, b: Tensor, c: Tensor) -> None:
    a.grad = b.grad = c.grad = None
    (a * b + c).sum().backward()


def small_graph_numpy(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, ...]:
    y = (a * b + c).sum()
    grad_y = np.ones_like(y)
    grad_sum = np.broadcast_to(grad_y, a.shape)
    return grad_sum * b, grad_sum * a, grad_sum


def microseconds_per_call(fn, args, calls: int = 2000) -> float:
    start = time.process_time()
    for _ in range(calls):
        fn(*args)
    return (time.process_time() - start) / calls * 1e6


def chain_seconds(length: int, collector: bool = True) -> float:
    x = Tensor(np.float64(0.5), requires_grad=True)
    if not collector:
        gc.disable()
    try:
        start = time.process_time()
        y = x
        for _ in range(length):
            y = y * 1.0000001
        y.backward()
        return time.process_time() - start
    finally:
        gc.enable()


CHAIN_IN_CHILD = """
import sys, time
import numpy as np
from tinygrad_edu import Tensor
length = int(sys.argv[1])
x = Tensor(np.float64(0.5), requires_grad=True)
start = time.process_time()
y = x
for _ in range(length):
    y = y * 1.0000001
y.backward()
seconds = time.process_time() - start
with open("/proc/self/status") as file:
    peak_kib = next(int(line.split()[1]) for line in file if line.startswith("VmHWM:"))
print(seconds, peak_kib)
"""


def chain_in_child(length: int) -> tuple[float, float]:
    """Seconds and peak resident MiB of a chain forward+backward in a fresh process."""
    root = Path(__file__).resolve().parent.parent
    result = subprocess.run(
        [sys.executable, "-c", CHAIN_IN_CHILD, str(length)], cwd=root, capture_output=True, text=True, check=True
    )
    seconds, peak_kib = result.stdout.split()
    return float(seconds), int(peak_kib) / 1024


def main() -> None:
    # The chain first: the collector's share grows with everything alive in the process, and
    # PyTorch, imported below for the small graph, brings a great many objects of its own.
    runs: dict[bool, list[float]] = {True: [], False: []}
    for _ in range(3):
        for collector in runs:
            runs[collector].append(chain_seconds(100_000, collector))
    median = statistics.median(runs[True])
    paused = statistics.median(runs[False])
    print(f"chain of 100,000 multiplications, forward+backward: {median:.2f} s (median of 3)")
    print(f"  with the cyclic garbage collector paused: {paused:.2f} s (its share: {median - paused:.2f} s)")
    print(f"  goal: < 1 s -> {'met' if median < 1 else 'NOT met'}")

    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal((4, 4)).astype(np.float32) for _ in range(3)]
    contenders = {
        "tinygrad_edu": (small_graph_ours, [Tensor(x, requires_grad=True) for x in arrays]),
        "numpy by hand": (small_graph_numpy, arrays),
    }
    try:
        import torch

        def small_graph_torch(a, b, c):
            a.grad = b.grad = c.grad = None
            (a * b + c).sum().backward()

        contenders["pytorch eager"] = (small_graph_torch, [torch.tensor(x, requires_grad=True) for x in arrays])
    except ImportError:
        pass

    timings: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(15):
        for name, (fn, args) in contenders.items():
            timings[name].append(microseconds_per_call(fn, args))
    ours = statistics.median(timings["tinygrad_edu"])
    print("(a*b + c).sum() forward+backward, 4x4 float32 (median of 15 x 2000 calls):")
    for name, values in timings.items():
        median = statistics.median(values)
        print(f"  {name:14s} {median:7.1f} µs   ours / this = {ours / median:5.2f}x")
    ratio = ours / statistics.median(timings["numpy by hand"])
    print(f"  goal: <= 20 µs and <= 2.5x numpy -> {'met' if ours <= 20 and ratio <= 2.5 else 'NOT met'}")

    if Path("/proc/self/status").exists():
        print("chains in a fresh process each (seconds, peak resident memory):")
        measured = {}
        for length in (100_000, 1_000_000):
            measured[length] = chain_in_child(length)
            seconds, peak = measured[length]
            print(f"  {length:>9,d} ops: {seconds:6.2f} s  {peak:6.0f} MiB  ({seconds / length * 1e6:.2f} µs/op)")
        time_ratio = measured[1_000_000][0] / measured[100_000][0]
        memory_ratio = measured[1_000_000][1] / measured[100_000][1]
        print(f"  1M / 100k: time {time_ratio:.1f}x, peak memory {memory_ratio:.1f}x (linear: about 10x or less)")


if __name__ == "__main__":
    main()
