"""Convolutions through tinygrad_edu, against the same im2col math by hand and against PyTorch.

    python benchmarks/conv.py                      # 5 interleaved repeats, one BLAS thread
    python benchmarks/conv.py --repeats 9 --steps 100

1. conv2d forward + backward, the second layer of the preset CNN (x: 128x16x12x12, w: 32x16x5x5,
   bias), with a random upstream gradient:
     ours     F.conv2d(x, w, b) and y.backward(g): ∂L/∂x, ∂L/∂w, ∂L/∂b
     numpy    the same by hand: sliding_window_view (im2col), one matmul forward, one matmul for
              ∂L/∂w, one for the columns of ∂L/∂x, then col2im (adding each kernel offset back)
   goal: ours <= 1.5x numpy
2. training steps of the preset CNN (conv16k5-pool2-conv32k5-pool2-fc128-10, Adam 1e-3, batches
   of 128 MNIST images, float32):
     ours     the model of `python -m mnist.train --preset cnn`
     torch    the same network in PyTorch eager, if installed, from the same weights
   goal: ours <= 2.5x torch

The contenders run interleaved (ours, other, ours, other, ...) in one process, so a slow moment of
a shared machine hits both; printed are the median seconds and the ratios.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=5, help="interleaved repeats (median reported)")
    parser.add_argument("--steps", type=int, default=50, help="training steps per repeat of the CNN")
    parser.add_argument("--threads", type=int, default=1, help="BLAS (and torch) threads")
    return parser.parse_args()


ARGS = parse_args()
for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[variable] = str(ARGS.threads)  # before NumPy starts its BLAS

import numpy as np  # noqa: E402
from numpy.lib.stride_tricks import sliding_window_view  # noqa: E402

import tinygrad_edu as tg  # noqa: E402
from mnist import data  # noqa: E402
from mnist.model import ModelSpec, build_model, parse_arch  # noqa: E402
from tinygrad_edu import optim  # noqa: E402
from tinygrad_edu.nn import functional as F  # noqa: E402

try:
    import torch
except ImportError:
    torch = None

ARCH = "conv16k5-pool2-conv32k5-pool2-fc128-10"
BATCH_SIZE = 128


def median_seconds(work, repeats: int) -> list[float]:
    """Run each of the callables once per repeat, interleaved; the median seconds of each."""
    times: list[list[float]] = [[] for _ in work]
    for _ in range(repeats):
        for index, function in enumerate(work):
            start = time.perf_counter()
            function()
            times[index].append(time.perf_counter() - start)
    return [statistics.median(seconds) for seconds in times]


# ----- 1. conv2d forward + backward ------------------------------------------------------------


def conv2d_by_hand(x: np.ndarray, w: np.ndarray, b: np.ndarray, g: np.ndarray):
    """Forward and backward of a stride-1 unpadded convolution, im2col written out by hand."""
    count, channels, height, width = x.shape
    out_channels, _, kernel, _ = w.shape
    out_height, out_width = height - kernel + 1, width - kernel + 1
    windows = sliding_window_view(x, (kernel, kernel), axis=(2, 3))  # (N, C, OH, OW, K, K)
    columns = windows.transpose(0, 2, 3, 1, 4, 5).reshape(count * out_height * out_width, -1)
    kernels = w.reshape(out_channels, -1)
    y = (columns @ kernels.T + b).reshape(count, out_height, out_width, out_channels).transpose(0, 3, 1, 2)
    grad_rows = g.transpose(0, 2, 3, 1).reshape(-1, out_channels)
    grad_w = (grad_rows.T @ columns).reshape(w.shape)
    grad_b = grad_rows.sum(axis=0)
    grad_columns = (grad_rows @ kernels).reshape(count, out_height, out_width, channels, kernel, kernel)
    grad_x = np.zeros_like(x)
    for p in range(kernel):
        for q in range(kernel):
            grad_x[:, :, p : p + out_height, q : q + out_width] += grad_columns[..., p, q].transpose(0, 3, 1, 2)
    return y, grad_x, grad_w, grad_b


def conv2d_ours(x: tg.Tensor, w: tg.Tensor, b: tg.Tensor, g: np.ndarray):
    for tensor in (x, w, b):
        tensor.grad = None
    y = F.conv2d(x, w, b)
    y.backward(g)
    return y.data, x.grad.data, w.grad.data, b.grad.data


def benchmark_conv2d(repeats: int) -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((BATCH_SIZE, 16, 12, 12)).astype(np.float32)
    w = rng.standard_normal((32, 16, 5, 5)).astype(np.float32)
    b = rng.standard_normal(32).astype(np.float32)
    g = rng.standard_normal((BATCH_SIZE, 32, 8, 8)).astype(np.float32)
    tensors = [tg.Tensor(array, requires_grad=True) for array in (x, w, b)]
    for mine, theirs in zip(conv2d_ours(*tensors, g), conv2d_by_hand(x, w, b, g)):
        np.testing.assert_allclose(mine, theirs, rtol=1e-3, atol=1e-3)  # the same numbers
    loops = 10
    ours, numpy = median_seconds(
        [
            lambda: [conv2d_ours(*tensors, g) for _ in range(loops)],
            lambda: [conv2d_by_hand(x, w, b, g) for _ in range(loops)],
        ],
        repeats,
    )
    print(f"conv2d forward+backward, x {x.shape}, w {w.shape}, median of {repeats} x {loops} calls:")
    print(f"  ours   {1000 * ours / loops:8.2f} ms")
    print(f"  numpy  {1000 * numpy / loops:8.2f} ms")
    print(f"  ours / numpy = {ours / numpy:.2f}x   (goal <= 1.5x)")


# ----- 2. training steps of the preset CNN -----------------------------------------------------


def benchmark_cnn(repeats: int, steps: int) -> None:
    images, labels = data.load("train", None)
    x = data.to_float(images[: steps * BATCH_SIZE])
    y = labels[: steps * BATCH_SIZE].astype(np.int64)
    model = build_model(ModelSpec(parse_arch(ARCH), "relu", 0.0), np.random.default_rng(0))
    optimizer = optim.Adam(model.parameters(), lr=1e-3)

    def ours() -> None:
        model.train()
        for start in range(0, len(x), BATCH_SIZE):
            loss = F.cross_entropy(model(tg.Tensor(x[start : start + BATCH_SIZE])), y[start : start + BATCH_SIZE])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

    work = [ours]
    if torch is not None:
        torch.set_num_threads(ARGS.threads)
        theirs_model = torch.nn.Sequential(
            torch.nn.Conv2d(1, 16, 5),
            torch.nn.ReLU(),
            torch.nn.MaxPool2d(2),
            torch.nn.Conv2d(16, 32, 5),
            torch.nn.ReLU(),
            torch.nn.MaxPool2d(2),
            torch.nn.Flatten(),
            torch.nn.Linear(512, 128),
            torch.nn.ReLU(),
            torch.nn.Linear(128, 10),
        )
        # our layer 0 is ToImages, so our "1.weight" is torch's "0.weight"
        theirs_model.load_state_dict(
            {
                f"{int(key.split('.')[0]) - 1}.{key.split('.')[1]}": torch.tensor(value)
                for key, value in model.state_dict().items()
            }
        )
        theirs_optimizer = torch.optim.Adam(theirs_model.parameters(), lr=1e-3)
        x_torch = torch.tensor(x).reshape(-1, 1, 28, 28)
        y_torch = torch.tensor(y)

        def theirs() -> None:
            for start in range(0, len(x), BATCH_SIZE):
                logits = theirs_model(x_torch[start : start + BATCH_SIZE])
                loss = torch.nn.functional.cross_entropy(logits, y_torch[start : start + BATCH_SIZE])
                theirs_optimizer.zero_grad()
                loss.backward()
                theirs_optimizer.step()

        work.append(theirs)
    seconds = median_seconds(work, repeats)
    print(f"\n{ARCH}: {steps} training steps of {BATCH_SIZE} images (Adam), median of {repeats}:")
    print(f"  ours   {seconds[0]:8.2f} s   ({seconds[0] / steps * 469:.0f} s per 469-step epoch)")
    if torch is None:
        print("  torch  not installed: no comparison (pip install torch to add it)")
        return
    print(f"  torch  {seconds[1]:8.2f} s   ({seconds[1] / steps * 469:.0f} s per 469-step epoch)")
    print(f"  ours / torch = {seconds[0] / seconds[1]:.2f}x   (goal <= 2.5x)")


if __name__ == "__main__":
    print(f"BLAS threads: {ARGS.threads}")
    benchmark_conv2d(ARGS.repeats)
    benchmark_cnn(ARGS.repeats, ARGS.steps)
