"""One epoch of MNIST training through tinygrad_edu, against the same recipe written by hand.

    python benchmarks/mlp_epoch.py                 # 5 interleaved repeats
    python benchmarks/mlp_epoch.py --repeats 9 --threads 1

The recipe: 784-128-10 MLP, ReLU, cross-entropy, plain SGD lr 0.1, batches of 128, float32,
the 60,000 training images shuffled once per epoch. The contenders:

  ours     tinygrad_edu: nn.Sequential, F.cross_entropy, loss.backward(), optim.SGD
  numpy    the same arithmetic by hand: forward, stable softmax cross-entropy, the backward pass
           derived on paper (no gradient for the input batch), SGD updates in place
  torch    PyTorch eager, if installed (the same recipe with torch.nn / torch.optim)

They start from the same weights, see the same batches, and run interleaved (ours, numpy, torch,
ours, numpy, torch, ...) in one process, so a slow moment of the machine hits them all.
Printed: the median CPU seconds per epoch, the ratios to hand-written NumPy (goal: ours <= 1.15x)
and to PyTorch, and the peak memory of this process and of a default `python -m mnist.train`
epoch (goal: <= 300 MiB).

--threads N limits BLAS (through threadpoolctl, for every contender) and PyTorch to N threads
while the epochs run. Without it each library keeps its own default; on a machine with other work
the spinning threads of OpenBLAS then cost many times the arithmetic, and the CPU time measured
says more about the machine than about the code.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

import numpy as np  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

import tinygrad_edu as tg  # noqa: E402
from mnist import data  # noqa: E402
from tinygrad_edu import nn, optim  # noqa: E402
from tinygrad_edu.nn import functional as F  # noqa: E402

SIZES = (784, 128, 10)
LEARNING_RATE = 0.1
BATCH_SIZE = 128


# ----- the contenders: each trains one epoch over the given batch order ------------------------


class Ours:
    name = "ours"

    def __init__(self, weights: list[tuple[np.ndarray, np.ndarray]]):
        self.model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
        self.model.load_state_dict(state_dict_of(weights))
        self.optimizer = optim.SGD(self.model.parameters(), lr=LEARNING_RATE)

    def epoch(self, x: np.ndarray, y: np.ndarray, order: np.ndarray) -> float:
        loss = None
        for start in range(0, len(order), BATCH_SIZE):
            index = order[start : start + BATCH_SIZE]
            loss = F.cross_entropy(self.model(tg.Tensor(x[index])), y[index])
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
        return float(loss.data)

    def weights(self) -> list[np.ndarray]:
        return list(self.model.state_dict().values())


class HandWrittenNumPy:
    """The floor: the same arithmetic, no graph, every buffer reused where NumPy allows."""

    name = "numpy"

    def __init__(self, weights: list[tuple[np.ndarray, np.ndarray]]):
        (w1, b1), (w2, b2) = weights
        # weights stored (in, out) so the forward is x @ w, as a hand-written MLP usually is
        self.w1 = np.ascontiguousarray(w1.T)
        self.b1 = b1.copy()
        self.w2 = np.ascontiguousarray(w2.T)
        self.b2 = b2.copy()

    def epoch(self, x: np.ndarray, y: np.ndarray, order: np.ndarray) -> float:
        w1, b1, w2, b2 = self.w1, self.b1, self.w2, self.b2
        lr = np.float32(LEARNING_RATE)
        loss = 0.0
        for start in range(0, len(order), BATCH_SIZE):
            index = order[start : start + BATCH_SIZE]
            xb = x[index]
            yb = y[index]
            count = len(index)
            rows = np.arange(count)
            # forward
            h = xb @ w1
            h += b1
            np.maximum(h, 0, out=h)  # ReLU in place: h > 0 is also the backward mask
            logits = h @ w2
            logits += b2
            # stable softmax cross-entropy: subtract the row max, then log-sum-exp
            logits -= logits.max(axis=1, keepdims=True)
            np.exp(logits, out=logits)
            sums = logits.sum(axis=1, keepdims=True)
            logits /= sums  # now the softmax probabilities p
            loss = float(-np.log(logits[rows, yb]).mean())
            # backward: dL/dlogits = (p − onehot) / N
            grad_logits = logits
            grad_logits[rows, yb] -= 1
            grad_logits /= np.float32(count)
            grad_w2 = h.T @ grad_logits
            grad_b2 = grad_logits.sum(axis=0)
            grad_h = grad_logits @ w2.T
            grad_h *= h > 0
            grad_w1 = xb.T @ grad_h  # no gradient for the input batch: nobody needs it
            grad_b1 = grad_h.sum(axis=0)
            # SGD, in place
            grad_w1 *= lr
            w1 -= grad_w1
            grad_b1 *= lr
            b1 -= grad_b1
            grad_w2 *= lr
            w2 -= grad_w2
            grad_b2 *= lr
            b2 -= grad_b2
        return loss

    def weights(self) -> list[np.ndarray]:
        return [self.w1.T, self.b1, self.w2.T, self.b2]


class Torch:
    name = "torch"

    def __init__(self, weights: list[tuple[np.ndarray, np.ndarray]]):
        import torch

        self.torch = torch
        self.model = torch.nn.Sequential(torch.nn.Linear(784, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))
        self.model.load_state_dict(
            {key: torch.from_numpy(value.copy()) for key, value in state_dict_of(weights).items()}
        )
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=LEARNING_RATE)

    def epoch(self, x: np.ndarray, y: np.ndarray, order: np.ndarray) -> float:
        torch = self.torch
        x_all = torch.from_numpy(x)
        y_all = torch.from_numpy(y)
        order_all = torch.from_numpy(order)
        loss = None
        for start in range(0, len(order), BATCH_SIZE):
            index = order_all[start : start + BATCH_SIZE]
            loss = torch.nn.functional.cross_entropy(self.model(x_all[index]), y_all[index])
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
        return float(loss)

    def weights(self) -> list[np.ndarray]:
        return [value.detach().numpy() for value in self.model.state_dict().values()]


def state_dict_of(weights: list[tuple[np.ndarray, np.ndarray]]) -> dict[str, np.ndarray]:
    (w1, b1), (w2, b2) = weights
    return {"0.weight": w1, "0.bias": b1, "2.weight": w2, "2.bias": b2}


# ----- measuring -------------------------------------------------------------------------------


def initial_weights(generator: np.random.Generator) -> list[tuple[np.ndarray, np.ndarray]]:
    """PyTorch's default Linear initialisation, float32, weights shaped (out, in)."""
    weights = []
    for in_features, out_features in zip(SIZES[:-1], SIZES[1:]):
        bound = 1 / np.sqrt(in_features)
        weight = generator.uniform(-bound, bound, (out_features, in_features)).astype(np.float32)
        bias = generator.uniform(-bound, bound, out_features).astype(np.float32)
        weights.append((weight, bias))
    return weights


# Run in the child: the peak it reports is its own (VmHWM, the high-water mark of resident memory).
# The kernel's ru_maxrss for a child starts from the parent's at the moment of the fork, so a
# parent that is already large (this benchmark, with PyTorch loaded) would be reported instead.
TRAIN_AND_REPORT_PEAK = """
import sys
from mnist.train import main
status = main(sys.argv[1:])
with open("/proc/self/status") as file:
    print(next(line.split()[1] for line in file if line.startswith("VmHWM:")), file=sys.stderr)
sys.exit(status)
"""


def default_training_peak_mib() -> float | None:
    """Peak resident memory of one default epoch of python -m mnist.train, in a child process."""
    if not Path("/proc/self/status").exists():
        print("(peak memory of the default training is read from /proc: Linux only)")
        return None
    with tempfile.TemporaryDirectory() as folder:
        arguments = ["--epochs", "1", "--no-progress", "--out", folder + "/run"]
        command = [sys.executable, "-c", TRAIN_AND_REPORT_PEAK, *arguments]
        result = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        print(f"(default training failed: {result.stderr.strip()})")
        return None
    return int(result.stderr.split()[-1]) / 1024  # kB -> MiB


def run_interleaved(
    contenders: list,
    x: np.ndarray,
    y: np.ndarray,
    generator: np.random.Generator,
    repeats: int,
    times: dict[str, list[float]],
) -> None:
    """``repeats`` epochs of each contender, interleaved; the CPU seconds of each go into ``times``."""
    for repeat in range(repeats):
        order = generator.permutation(len(x))
        losses = {}
        for contender in contenders:
            start = time.process_time()  # CPU time: waiting for a core on a busy machine does not count
            losses[contender.name] = contender.epoch(x, y, order)
            times[contender.name].append(time.process_time() - start)
        shown = ", ".join(f"{name} {times[name][-1]:.3f} s (loss {losses[name]:.4f})" for name in times)
        print(f"repeat {repeat + 1}/{repeats}: {shown}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=5, help="epochs per contender (interleaved)")
    parser.add_argument("--threads", type=int, help="BLAS and PyTorch threads while the epochs run")
    parser.add_argument("--skip-memory", action="store_true", help="do not measure the default training run")
    args = parser.parse_args()
    if args.threads is not None and args.threads < 1:
        print(f"error: --threads must be a positive integer, got {args.threads}", file=sys.stderr)
        return 2

    images, labels = data.load("train")
    x = data.to_float(images)
    y = labels.astype(np.int64)
    generator = np.random.default_rng(0)
    weights = initial_weights(generator)
    contenders = [Ours(weights), HandWrittenNumPy(weights)]
    try:
        import torch

        if args.threads is not None:
            torch.set_num_threads(args.threads)
        contenders.append(Torch(weights))
    except ImportError:
        print("PyTorch is not installed: comparing with hand-written NumPy only")

    times: dict[str, list[float]] = {contender.name: [] for contender in contenders}
    with threadpool_limits(limits=args.threads, user_api="blas"):  # None: no limit
        run_interleaved(contenders, x, y, generator, args.repeats, times)

    # same data, same start, same order: the weights must agree (float32 rounding aside)
    reference = contenders[1].weights()
    for contender in contenders:
        difference = max(float(np.max(np.abs(a - b))) for a, b in zip(contender.weights(), reference))
        print(f"{contender.name:>6}: largest weight difference from hand-written NumPy {difference:.2e}")

    medians = {name: statistics.median(values) for name, values in times.items()}
    print()
    with_torch = "torch" in medians
    header = "| contender | median s/epoch | ratio to hand-written NumPy |"
    print(header + " ratio to PyTorch |" if with_torch else header)
    print("|---|---:|---:|---:|" if with_torch else "|---|---:|---:|")
    for name, median in medians.items():
        row = f"| {name} | {median:.3f} | {median / medians['numpy']:.2f}x |"
        if with_torch:
            row += f" {median / medians['torch']:.2f}x |"
        print(row)
    ratio = medians["ours"] / medians["numpy"]
    print(f"ours / numpy = {ratio:.2f}x (goal <= 1.15x: {'met' if ratio <= 1.15 else 'NOT met'})")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak memory of this benchmark process: {peak:.0f} MiB")
    if not args.skip_memory:
        training_peak = default_training_peak_mib()
        if training_peak is not None:
            verdict = "ok" if training_peak <= 300 else "over the 300 MiB goal"
            print(f"peak memory of a default `python -m mnist.train` epoch: {training_peak:.0f} MiB ({verdict})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
