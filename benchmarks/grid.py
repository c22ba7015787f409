"""A grid of 784-H-10 MLP training steps: batch (10, 32, 128, 1024) x hidden (30, 128, 800), SGD and Adam.

    python benchmarks/grid.py                    # about a minute on an idle 2-core machine
    python benchmarks/grid.py --rounds 5 --work 2e10

Each cell trains a 784-H-10 ReLU MLP with cross-entropy for a fixed number of steps (about
``--work`` multiply-adds per cell, so small cells run many steps and big ones few), with one
BLAS thread, against the same math written by hand in NumPy (and PyTorch eager with one
thread, if installed), interleaved in one process from the same weights on the same batches.
Printed: ours / numpy per cell (and ours / torch), the median over the rounds.
"""

from __future__ import annotations

import argparse
import statistics
import sys
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

BATCHES = (10, 32, 128, 1024)
HIDDEN = (30, 128, 800)
OPTIMIZERS = ("sgd", "adam")
LR = {"sgd": 0.1, "adam": 1e-3}
BETAS = (0.9, 0.999)
EPS = 1e-8


def initial_weights(hidden: int, generator: np.random.Generator) -> list[np.ndarray]:
    weights = []
    for n_in, n_out in ((784, hidden), (hidden, 10)):
        bound = 1 / np.sqrt(n_in)
        weights.append(generator.uniform(-bound, bound, (n_out, n_in)).astype(np.float32))
        weights.append(generator.uniform(-bound, bound, n_out).astype(np.float32))
    return weights


def ours(weights: list[np.ndarray], optimizer: str):
    hidden = weights[0].shape[0]
    model = nn.Sequential(nn.Linear(784, hidden), nn.ReLU(), nn.Linear(hidden, 10))
    model.load_state_dict(dict(zip(("0.weight", "0.bias", "2.weight", "2.bias"), weights)))
    if optimizer == "sgd":
        opt = optim.SGD(model.parameters(), lr=LR["sgd"])
    else:
        opt = optim.Adam(model.parameters(), lr=LR["adam"], betas=BETAS, eps=EPS)

    def run(batches):
        for xb, yb in batches:
            loss = F.cross_entropy(model(tg.Tensor(xb)), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()

    return run


def numpy_by_hand(weights: list[np.ndarray], optimizer: str):
    """Forward, stable softmax cross-entropy, backward derived on paper, the update in place."""
    params = [w.copy() for w in weights]  # w1 (H, 784), b1, w2 (10, H), b2
    moments = [(np.zeros_like(p), np.zeros_like(p)) for p in params]
    step_count = [0]

    def update(grads):
        if optimizer == "sgd":
            for p, g in zip(params, grads):
                g *= np.float32(LR["sgd"])
                p -= g
            return
        step_count[0] += 1
        t = step_count[0]
        beta1, beta2 = BETAS
        step_size = LR["adam"] / (1 - beta1**t)
        root_correction = np.sqrt(1 - beta2**t)
        for p, g, (m, v) in zip(params, grads, moments):
            m *= beta1  # m = β₁m + (1 − β₁)g
            m += np.multiply(g, 1 - beta1, dtype=np.float32)
            v *= beta2  # v = β₂v + (1 − β₂)g²
            g *= g
            g *= np.float32(1 - beta2)
            v += g
            np.sqrt(v, out=g)  # g is free now: it holds the denominator √v / √(1 − β₂ᵗ) + ε
            g /= np.float32(root_correction)
            g += np.float32(EPS)
            np.divide(m, g, out=g)
            g *= np.float32(step_size)
            p -= g

    def run(batches):
        w1, b1, w2, b2 = params
        for xb, yb in batches:
            rows = np.arange(len(yb))
            h = xb @ w1.T + b1
            np.maximum(h, 0, out=h)
            logits = h @ w2.T + b2
            logits -= logits.max(axis=1, keepdims=True)
            np.exp(logits, out=logits)
            logits /= logits.sum(axis=1, keepdims=True)
            grad_logits = logits
            grad_logits[rows, yb] -= 1
            grad_logits /= np.float32(len(yb))
            grad_w2 = grad_logits.T @ h
            grad_b2 = grad_logits.sum(axis=0)
            grad_h = grad_logits @ w2
            grad_h *= h > 0
            grad_w1 = grad_h.T @ xb
            grad_b1 = grad_h.sum(axis=0)
            update([grad_w1, grad_b1, grad_w2, grad_b2])

    return run


def torch_eager(weights: list[np.ndarray], optimizer: str):
    import torch

    hidden = weights[0].shape[0]
    model = torch.nn.Sequential(torch.nn.Linear(784, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 10))
    keys = ("0.weight", "0.bias", "2.weight", "2.bias")
    model.load_state_dict({key: torch.from_numpy(w.copy()) for key, w in zip(keys, weights)})
    if optimizer == "sgd":
        opt = torch.optim.SGD(model.parameters(), lr=LR["sgd"])
    else:
        opt = torch.optim.Adam(model.parameters(), lr=LR["adam"], betas=BETAS, eps=EPS)

    def run(batches):
        for xb, yb in batches:
            loss = torch.nn.functional.cross_entropy(model(torch.from_numpy(xb)), torch.from_numpy(yb))
            opt.zero_grad()
            loss.backward()
            opt.step()

    return run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds per cell (default 3)")
    parser.add_argument("--work", type=float, default=6e9, help="multiply-adds per cell and contender (default 6e9)")
    args = parser.parse_args()
    contenders = {"ours": ours, "numpy": numpy_by_hand}
    try:
        import torch

        torch.set_num_threads(1)
        contenders["torch"] = torch_eager
    except ImportError:
        print("PyTorch is not installed: comparing with hand-written NumPy only")

    images, labels = data.load("train")
    x = data.to_float(images)
    y = labels.astype(np.int64)
    generator = np.random.default_rng(0)
    rows = []
    started = time.perf_counter()
    for optimizer in OPTIMIZERS:
        for hidden in HIDDEN:
            weights = initial_weights(hidden, generator)
            for batch in BATCHES:
                multiply_adds = 3 * batch * (784 * hidden + hidden * 10)  # forward + two backward products
                steps = int(min(2000, max(10, args.work / multiply_adds)))
                index = generator.integers(0, len(x), (steps, batch))
                batches = [(x[i], y[i]) for i in index]
                runs = {name: make(weights, optimizer) for name, make in contenders.items()}
                times: dict[str, list[float]] = {name: [] for name in runs}
                for _ in range(args.rounds):
                    for name, run in runs.items():
                        start = time.process_time()
                        run(batches)
                        times[name].append((time.process_time() - start) / steps)
                medians = {name: statistics.median(values) for name, values in times.items()}
                rows.append((optimizer, hidden, batch, steps, medians))
                shown = "  ".join(f"{name} {value * 1e6:8.0f} µs" for name, value in medians.items())
                print(f"{optimizer:4s} h{hidden:<4d} b{batch:<5d} {steps:5d} steps  {shown}", flush=True)

    print(f"\nours / numpy by hand (CPU time per step, one BLAS thread; {time.perf_counter() - started:.0f} s in all)")
    for optimizer in OPTIMIZERS:
        print(f"\n| {optimizer} | " + " | ".join(f"batch {batch}" for batch in BATCHES) + " |")
        print("|---|" + "---:|" * len(BATCHES))
        for hidden in HIDDEN:
            cells = [r[4] for r in rows if r[0] == optimizer and r[1] == hidden]
            shown = []
            for medians in cells:
                text = f"{medians['ours'] / medians['numpy']:.2f}"
                if "torch" in medians:
                    text += f" (torch {medians['ours'] / medians['torch']:.2f})"
                shown.append(text)
            print(f"| hidden {hidden} | " + " | ".join(shown) + " |")
    return 0


if __name__ == "__main__":
    with threadpool_limits(1):  # one BLAS thread for every contender: this measures the engine
        sys.exit(main())
