"""The capstone: train a network on the student's own engine (tensor.py), then on the library's.

    python -m tinygrad_edu.exercises capstone DIR              # 2-D spirals, then MNIST
    python -m tinygrad_edu.exercises capstone DIR --spirals    # spirals only (seconds)

Both engines start from the same weights and see the same batches in the same order, with the
same update rule (SGD with momentum, PyTorch's), so their losses agree step by step up to
rounding: the report prints both engines' loss after the first step, their accuracy and their
time. ``run`` trains on the student's engine in a sandboxed process (sandbox.py: a time and a
memory limit per task), which sends back the loss after the first step and the trained weights;
the accuracy is measured here, by the library's forward on those weights, so a tensor.py that
changes the capstone's code in its own process cannot change the result.

    spirals  three interleaved arms of 100 points each in the plane (CS231n's example), an MLP
             2-64-3 with ReLU, full batch, 500 steps: 99% or more of the points classified right
    MNIST    784-128-10 with ReLU, batches of 128, 6 epochs of the 60,000 training images: 97% or
             more of the 10,000 test images, in a minute or two on one core
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ... import Tensor as LibraryTensor
from ... import no_grad, optim
from ...nn import functional
from ..sandbox import run_isolated
from .workspace import load


@dataclass(frozen=True)
class Task:
    name: str
    sizes: tuple[int, ...]  # the layers, inputs first: (2, 64, 3)
    lr: float
    momentum: float
    epochs: int
    batch_size: int | None  # None: the whole training set at once
    goal: float  # the test accuracy a correct engine reaches


SPIRALS = Task("spirals", (2, 64, 3), lr=0.5, momentum=0.9, epochs=500, batch_size=None, goal=0.99)
MNIST = Task("MNIST", (784, 128, 10), lr=0.1, momentum=0.9, epochs=6, batch_size=128, goal=0.97)
TASKS = {task.name: task for task in (SPIRALS, MNIST)}
SECONDS = {"spirals": 120.0, "MNIST": 1800.0}  # the student's training, per task, in the sandbox
MEMORY_BYTES = 3 << 30


@dataclass
class Run:
    engine: str
    first_loss: float
    accuracy: float
    seconds: float  # wall-clock time of the training and the test
    cpu_seconds: float  # the processor time it took (what a busy machine does not inflate)


def spirals(points_per_class: int = 100, classes: int = 3, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """CS231n's spirals: arm k at angles 4k .. 4(k+1) radians (plus noise), radius 0 .. 1."""
    rng = np.random.default_rng(seed)
    x = np.zeros((points_per_class * classes, 2))
    y = np.zeros(points_per_class * classes, dtype=np.int64)
    for k in range(classes):
        rows = slice(points_per_class * k, points_per_class * (k + 1))
        radius = np.linspace(0.0, 1, points_per_class)
        angle = np.linspace(k * 4, (k + 1) * 4, points_per_class) + rng.standard_normal(points_per_class) * 0.2
        x[rows] = np.c_[radius * np.sin(angle), radius * np.cos(angle)]
        y[rows] = k
    return x, y


def initial_weights(sizes: tuple[int, ...], dtype: type, seed: int = 0) -> list[np.ndarray]:
    """[W1, b1, W2, b2, ...], W shaped (in, out), drawn as PyTorch's nn.Linear draws: U(−1/√in, 1/√in)."""
    rng = np.random.default_rng(seed)
    weights: list[np.ndarray] = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        bound = 1 / np.sqrt(fan_in)
        weights.append(rng.uniform(-bound, bound, size=(fan_in, fan_out)).astype(dtype))
        weights.append(rng.uniform(-bound, bound, size=fan_out).astype(dtype))
    return weights


def forward(x: Any, weights: list[Any]) -> Any:
    """The MLP, written once for both engines: (x @ W + b).relu() between layers, logits out."""
    for layer in range(0, len(weights), 2):
        x = x @ weights[layer] + weights[layer + 1]
        if layer + 2 < len(weights):
            x = x.relu()
    return x


def batch_order(count: int, task: Task, seed: int = 1) -> Iterator[np.ndarray]:
    rng = np.random.default_rng(seed)
    for _ in range(task.epochs):
        if task.batch_size is None:
            yield np.arange(count)
            continue
        order = rng.permutation(count)
        for start in range(0, count, task.batch_size):
            yield order[start : start + task.batch_size]


def fit_student(
    module: Any, task: Task, data: tuple[np.ndarray, ...], say: Callable[[str], None] = print
) -> tuple[float, list[np.ndarray], float, float]:
    """Train on the student's engine: (the first loss, the trained weights, seconds, processor seconds);
    with mini-batches, say the mean loss after each epoch."""
    x_train, y_train = data[0], data[1]
    weights = [module.Tensor(w) for w in initial_weights(task.sizes, x_train.dtype.type)]
    optimizer = module.SGD(weights, lr=task.lr, momentum=task.momentum)
    start, cpu_start = time.perf_counter(), time.process_time()
    first_loss = None
    losses = []
    steps_per_epoch = -(-len(x_train) // task.batch_size) if task.batch_size else 0  # rounded up
    for rows in batch_order(len(x_train), task):
        optimizer.zero_grad()
        loss = module.cross_entropy(forward(module.Tensor(x_train[rows]), weights), y_train[rows])
        loss.backward()
        optimizer.step()
        losses.append(float(loss.data))
        if first_loss is None:
            first_loss = losses[0]
        if steps_per_epoch and len(losses) % steps_per_epoch == 0:
            epoch = len(losses) // steps_per_epoch
            mean = np.mean(losses[-steps_per_epoch:])
            say(
                f"  yours    epoch {epoch} of {task.epochs}: mean loss {mean:.4f} ({time.perf_counter() - start:.0f} s)"
            )
    trained = [np.asarray(w.data) for w in weights]
    return float(first_loss or 0.0), trained, time.perf_counter() - start, time.process_time() - cpu_start


def train_student(module: Any, task: Task, data: tuple[np.ndarray, ...], say: Callable[[str], None] = print) -> Run:
    """Train on the student's engine, in this process; the test accuracy by the library's forward."""
    first_loss, weights, seconds, cpu_seconds = fit_student(module, task, data, say)
    return Run("yours", first_loss, library_accuracy(weights, data), seconds, cpu_seconds)


def library_accuracy(weights: list[np.ndarray], data: tuple[np.ndarray, ...]) -> float:
    """The test accuracy of the MLP with ``weights``, measured by the library's forward."""
    with no_grad():
        logits = forward(LibraryTensor(data[2]), [LibraryTensor(w) for w in weights]).data
    return accuracy(logits, data[3])


def fit_in_sandbox(folder: str, name: str) -> dict[str, Any]:
    """In the sandbox: train task ``name`` on the student's tensor.py; the first loss and the weights, as lists."""
    module = load(Path(folder), "tensor.py")
    task = TASKS[name]
    first_loss, weights, seconds, cpu_seconds = fit_student(
        module, task, DATA[name](), say=lambda line: print(line, flush=True)
    )
    return {
        "first_loss": first_loss,
        "weights": [w.tolist() for w in weights],
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
    }


def sandboxed_run(folder: Path, task: Task, data: tuple[np.ndarray, ...], say: Callable[[str], None]) -> Run | str:
    """Train ``task`` on the student's engine in a sandbox, measure it here: a Run, or why there is none."""
    say(f"  yours    training in a process of its own (at most {SECONDS[task.name]:g} s)...")
    outcome = run_isolated(
        fit_in_sandbox, [str(folder.resolve()), task.name], seconds=SECONDS[task.name], memory_bytes=MEMORY_BYTES
    )
    for line in outcome.output.splitlines()[-task.epochs :]:
        if line.startswith("  yours    epoch"):
            say(line)
    if not outcome.ok:
        return f"your engine's training did not finish: {outcome.status}: {outcome.error}"
    report = outcome.value
    shapes = [w.shape for w in initial_weights(task.sizes, float)]
    try:
        weights = [np.asarray(w, dtype=data[0].dtype) for w in report["weights"]]
        if [w.shape for w in weights] != shapes:
            raise ValueError("the weights' shapes")
        first_loss, seconds, cpu_seconds = (float(report[key]) for key in ("first_loss", "seconds", "cpu_seconds"))
    except (KeyError, TypeError, ValueError, OverflowError, RecursionError):
        return "your engine's training sent back a report the grader cannot read: does tensor.py change the capstone?"
    return Run("yours", first_loss, library_accuracy(weights, data), seconds, cpu_seconds)


def train_library(task: Task, data: tuple[np.ndarray, ...]) -> Run:
    x_train, y_train, x_test, y_test = data
    weights = [LibraryTensor(w, requires_grad=True) for w in initial_weights(task.sizes, x_train.dtype.type)]
    optimizer = optim.SGD(weights, lr=task.lr, momentum=task.momentum)
    start, cpu_start = time.perf_counter(), time.process_time()
    first_loss = None
    for rows in batch_order(len(x_train), task):
        optimizer.zero_grad()
        loss = functional.cross_entropy(forward(LibraryTensor(x_train[rows]), weights), y_train[rows])
        loss.backward()
        optimizer.step()
        if first_loss is None:
            first_loss = loss.item()
    with no_grad():
        logits = forward(LibraryTensor(x_test), weights).data
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    return Run("library", float(first_loss or 0.0), accuracy(logits, y_test), seconds, cpu_seconds)


def accuracy(logits: np.ndarray, labels: np.ndarray) -> float:
    return float(np.mean(np.argmax(logits, axis=1) == labels))


def spiral_data() -> tuple[np.ndarray, ...]:
    x, y = spirals()
    return x, y, x, y  # the task is to fit the spirals: trained and measured on the same points


def mnist_data() -> tuple[np.ndarray, ...]:
    # The demonstration's reader (the data ships with it), imported by name: the package does not depend on it.
    reader = importlib.import_module("mnist.data")
    train_images, train_labels = reader.load("train")
    test_images, test_labels = reader.load("test")
    return (
        reader.to_float(train_images),
        train_labels.astype(np.int64),
        reader.to_float(test_images),
        test_labels.astype(np.int64),
    )


def compare(module: Any, task: Task, data: tuple[np.ndarray, ...], say: Callable[[str], None]) -> tuple[Run, Run]:
    """Train ``task`` on the student's engine (``module``, in this process) and on the library's, and say how."""
    say(header(task))
    mine = train_student(module, task, data, say)
    reference = train_library(task, data)
    report(task, mine, reference, say)
    return mine, reference


def header(task: Task) -> str:
    layers = "-".join(str(size) for size in task.sizes)
    batches = "full batch" if task.batch_size is None else f"batches of {task.batch_size}"
    steps = "steps" if task.batch_size is None else "epochs"
    return f"{task.name}: MLP {layers}, {batches}, SGD(lr={task.lr}, momentum={task.momentum}), {task.epochs} {steps}"


def report(task: Task, mine: Run, reference: Run, say: Callable[[str], None]) -> None:
    """Both engines' first loss, accuracy and time, and whether the goal is reached."""
    for run in (mine, reference):
        say(
            f"  {run.engine:<8} first loss {run.first_loss:.6f}   accuracy {run.accuracy:.2%}   "
            f"time {run.seconds:.1f} s (processor {run.cpu_seconds:.1f} s)"
        )
    ratio = mine.cpu_seconds / reference.cpu_seconds if reference.cpu_seconds > 0 else float("nan")
    agree = abs(mine.first_loss - reference.first_loss) <= 1e-4 * max(1.0, abs(reference.first_loss))
    say(
        f"  the first losses {'agree' if agree else 'DIFFER: check again'}; your engine took {ratio:.2f}x the "
        f"library's processor time; {'goal reached' if mine.accuracy >= task.goal else 'below the goal'} "
        f"({task.goal:.0%})"
    )


DATA: dict[str, Callable[[], tuple[np.ndarray, ...]]] = {"spirals": spiral_data, "MNIST": mnist_data}


def run(folder: Path, spirals_only: bool = False, say: Callable[[str], None] = print) -> bool:
    """Train the tasks on the student's tensor.py, in a sandbox; True when every goal is reached."""
    reached = True
    for task in [SPIRALS] + ([] if spirals_only else [MNIST]):
        say(header(task))
        data = DATA[task.name]()
        mine = sandboxed_run(folder, task, data, say)
        if isinstance(mine, str):
            say(f"  {mine}")
            return False
        reference = train_library(task, data)
        report(task, mine, reference, say)
        reached = reached and mine.accuracy >= task.goal
    return reached
