"""One training run: the model with its loss, optimizer and schedule, the epoch loop, the metrics
and the curves. The command line around it (flags, run folder, Ctrl-C) is mnist/train.py.

    run = TrainingRun(make_config({"epochs": 2, "limit": 5000}))
    run.run(checkpoint_path=None, show_progress=False)   # prints one line per epoch
    run.metrics()["test_accuracy"]                       # what metrics.json holds

A run draws every random number from one np.random.Generator seeded with config.seed (the
validation split, the initial weights, dropout) and shuffles each epoch with a generator seeded
with (seed, epoch), so ``restore`` from a checkpoint continues exactly where that epoch ended.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

import tinygrad_edu as tg
from tinygrad_edu import nn, optim
from tinygrad_edu.nn import functional as F
from tinygrad_edu.threads import blas_threads

from . import data
from .checkpoint import RunError, save_checkpoint, set_generator_state
from .cli import one_line
from .config import OPTIMIZERS, SCHEDULES, TrainConfig
from .files import write_json, write_picture
from .model import ConfigError, build_model, format_arch
from .splits import Loaded, prepare_data

METRICS_NAME = "metrics.json"
CURVES_NAME = "curves.png"
EVAL_BATCH_SIZE = 2000


# ----- model, loss, optimizer, schedule --------------------------------------------------------


def make_optimizer(config: TrainConfig, model: nn.Module) -> optim.Optimizer:
    parameters = list(model.parameters())
    if config.optimizer == "sgd":
        return optim.SGD(parameters, lr=config.lr, weight_decay=config.weight_decay)
    if config.optimizer == "momentum":
        return optim.SGD(parameters, lr=config.lr, momentum=config.momentum, weight_decay=config.weight_decay)
    if config.optimizer == "adam":
        return optim.Adam(parameters, lr=config.lr, weight_decay=config.weight_decay)
    if config.optimizer == "adamw":
        return optim.AdamW(parameters, lr=config.lr, weight_decay=config.weight_decay)
    raise ConfigError(f"unknown optimizer {config.optimizer!r}; choose one of {', '.join(OPTIMIZERS)}")


def make_scheduler(config: TrainConfig, optimizer: optim.Optimizer, steps_per_epoch: int) -> Any:
    """The learning-rate schedule, stepped once per batch (None for a constant rate).

    step      ×0.1 after each third of the run
    cosine    from lr down to 0 along a half cosine
    onecycle  warm up to lr over the first 30%, then anneal (Smith's one-cycle policy)
    """
    total_steps = config.epochs * steps_per_epoch
    if config.schedule == "none":
        return None
    if config.schedule == "step":
        return optim.lr_scheduler.StepLR(optimizer, step_size=max(1, total_steps // 3), gamma=0.1)
    if config.schedule == "cosine":
        return optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=total_steps)
    if config.schedule == "onecycle":
        return optim.lr_scheduler.OneCycleLR(optimizer, max_lr=config.lr, total_steps=total_steps)
    raise ConfigError(f"unknown schedule {config.schedule!r}; choose one of {', '.join(SCHEDULES)}")


def compute_loss(config: TrainConfig, logits: tg.Tensor, labels: np.ndarray) -> tg.Tensor:
    """ce: cross-entropy of the logits; mse: squared error between softmax(logits) and one-hot labels."""
    if config.loss == "ce":
        return F.cross_entropy(logits, labels)
    one_hot = np.zeros(logits.shape, dtype=logits.dtype)
    one_hot[np.arange(len(labels)), labels] = 1
    return F.mse_loss(logits.softmax(axis=1), one_hot)


def predict(model: nn.Module, x: np.ndarray) -> np.ndarray:
    """Logits (N, classes) for float32 inputs, in evaluation mode, without recording a graph."""
    was_training = model.training
    model.eval()
    outputs = []
    with tg.no_grad():
        for start in range(0, len(x), EVAL_BATCH_SIZE):
            outputs.append(model(tg.Tensor(x[start : start + EVAL_BATCH_SIZE])).data)
    model.train(was_training)
    return np.concatenate(outputs) if outputs else np.empty((0, 0), dtype=np.float32)


def accuracy(model: nn.Module, x: np.ndarray, y: np.ndarray) -> float:
    if len(x) == 0:
        return float("nan")
    return float(np.mean(predict(model, x).argmax(axis=1) == y))


# ----- the run -------------------------------------------------------------------------------


class TrainingRun:
    """Everything a run holds: config, data, model, optimizer, schedule, RNG, history."""

    def __init__(self, config: TrainConfig, loaded: Loaded | None = None):
        self.config = config
        self.generator = np.random.default_rng(config.seed)
        self.splits = prepare_data(config, self.generator, loaded)
        self.batch_size = len(self.splits.x_train) if config.batch_size == "full" else int(config.batch_size)
        self.steps_per_epoch = data.number_of_batches(len(self.splits.x_train), self.batch_size)
        self.model = build_model(config.model_spec(), self.generator)
        self.optimizer = make_optimizer(config, self.model)
        self.scheduler = make_scheduler(config, self.optimizer, self.steps_per_epoch)
        self.epoch = 0
        self.history: list[dict[str, Any]] = []
        self.train_seconds = 0.0
        self.saved_epoch: int | None = None  # the epoch of the checkpoint this run has saved, once it has
        self.saving = False  # True while the checkpoint is written

    def restore(self, checkpoint: dict[str, Any]) -> None:
        """Continue from a checkpoint of the same configuration (read and checked by read_checkpoint).

        What the configuration decides must agree with it: the hyperparameters of the optimizer
        (all but the ones the schedule moves: lr, and with onecycle momentum and betas), the
        schedule's base learning rates, and the counts of steps taken (epoch × steps per epoch).
        """
        path = checkpoint["path"]
        built = [
            {key: value for key, value in group.items() if key != "params"} for group in self.optimizer.param_groups
        ]
        built_base_lrs = list(self.scheduler.base_lrs) if self.scheduler is not None else []
        try:
            self.model.load_state_dict(checkpoint["model"])
            self.optimizer.load_state_dict(checkpoint["optimizer"])
            if self.scheduler is not None:
                self.scheduler.load_state_dict(checkpoint["scheduler"])
            set_generator_state(self.generator, checkpoint["rng"])
        except (ValueError, KeyError, TypeError, RuntimeError, IndexError, OverflowError) as error:
            raise RunError(f"--resume {path}: incompatible checkpoint ({one_line(error)})") from None
        problem = self.restored_state_problem(built, built_base_lrs, checkpoint["epoch"])
        if problem is not None:
            key, expected, got = problem
            raise RunError(f"--resume {path}: {key}: expected {expected}, got {got}")
        self.epoch = checkpoint["epoch"]
        self.history = list(checkpoint["history"])
        self.train_seconds = checkpoint["train_seconds"]

    def restored_state_problem(
        self, built: list[dict[str, Any]], built_base_lrs: list[float], epoch: int
    ) -> tuple[str, str, str] | None:
        """(key, expected, got) for the first restored value that disagrees with the configuration."""
        moving = set() if self.scheduler is None else {"lr"}  # the schedule sets lr at every step
        if self.config.schedule == "onecycle":
            moving |= {"momentum", "betas"}  # onecycle cycles the momentum (Adam: beta1) against lr
        for number, (fresh, group) in enumerate(zip(built, self.optimizer.param_groups)):
            restored = {key: value for key, value in group.items() if key != "params"}
            where = f"optimizer.param_groups.{number}"
            if sorted(restored) != sorted(fresh):
                return where, f"the keys {', '.join(sorted(fresh))}", ", ".join(sorted(restored))
            for key, value in fresh.items():
                if key not in moving and not np.allclose(np.asarray(restored[key], dtype=float), value, rtol=1e-12):
                    return f"{where}.{key}", f"{value!r}, as the configuration gives", repr(restored[key])
        steps = epoch * self.steps_per_epoch
        counted = f"{steps} ({epoch} epochs × {self.steps_per_epoch} steps per epoch)"
        if self.scheduler is not None:
            base_lrs = self.scheduler.base_lrs
            if len(base_lrs) != len(built_base_lrs) or not np.allclose(base_lrs, built_base_lrs, rtol=1e-12):
                return "scheduler.base_lrs", f"{built_base_lrs!r}, as the configuration gives", repr(base_lrs)
            if self.scheduler.last_epoch != steps:
                return "scheduler.last_epoch", counted, repr(self.scheduler.last_epoch)
            highest = max([*base_lrs, *(group.get("max_lr", 0.0) for group in built)])
            for number, group in enumerate(self.optimizer.param_groups):
                if not group["lr"] <= highest * (1 + 1e-9):
                    return (
                        f"optimizer.param_groups.{number}.lr",
                        f"at most {highest!r}, the schedule's highest",
                        repr(group["lr"]),
                    )
        for index, state in self.optimizer.state_dict()["state"].items():
            if "step" in state and state["step"] != steps:
                return f"optimizer.state.{index}.step", counted, repr(state["step"])
        return None

    def train_epoch(self, show_progress: bool) -> tuple[float, float, float]:
        """One pass over the training set: (mean loss, accuracy, seconds)."""
        config = self.config
        self.model.train()
        shuffle = np.random.default_rng([config.seed, self.epoch])
        loss_sum = 0.0
        correct = 0
        seen = 0
        start = time.perf_counter()
        bar = tqdm(
            total=self.steps_per_epoch,
            desc=f"epoch {self.epoch + 1}/{config.epochs}",
            leave=False,
            disable=not show_progress,
            unit="batch",
        )
        with bar:
            for x_batch, y_batch in data.batches(self.splits.x_train, self.splits.y_train, self.batch_size, shuffle):
                logits = self.model(tg.Tensor(x_batch))
                loss = compute_loss(config, logits, y_batch)
                self.optimizer.zero_grad()
                loss.backward()
                self.optimizer.step()
                if self.scheduler is not None:
                    self.scheduler.step()
                loss_value = float(loss.data)
                if not np.isfinite(loss_value):
                    raise RunError(
                        f"the loss became {loss_value} in epoch {self.epoch + 1}: training diverged; "
                        f"try a smaller --lr than {config.lr}"
                    )
                loss_sum += loss_value * len(y_batch)
                correct += int(np.count_nonzero(logits.data.argmax(axis=1) == y_batch))
                seen += len(y_batch)
                bar.update(1)
                if bar.n % 20 == 0:
                    bar.set_postfix(loss=f"{loss_value:.4f}", refresh=False)
        seconds = time.perf_counter() - start
        return loss_sum / seen, correct / seen, seconds

    def run(self, checkpoint_path: Path | None, show_progress: bool, log: Any = None) -> None:
        """Train from self.epoch up to config.epochs, saving a checkpoint after every epoch (unless None)."""
        config = self.config
        log = log if log is not None else print_now
        while self.epoch < config.epochs:
            train_loss, train_accuracy, seconds = self.train_epoch(show_progress)
            self.epoch += 1
            self.train_seconds += seconds
            record: dict[str, Any] = {
                "epoch": self.epoch,
                "train_loss": train_loss,
                "train_accuracy": train_accuracy,
                "lr": float(self.optimizer.param_groups[0]["lr"]),
                "seconds": round(seconds, 3),
            }
            line = (
                f"epoch {self.epoch:>3}/{config.epochs}  train loss {train_loss:.4f}  "
                f"train acc {100 * train_accuracy:6.2f}%"
            )
            if len(self.splits.x_val) > 0:
                record["val_accuracy"] = accuracy(self.model, self.splits.x_val, self.splits.y_val)
                line += f"  val acc {100 * record['val_accuracy']:6.2f}%"
            test_logits = predict(self.model, self.splits.x_test)
            record["test_loss"] = float(compute_loss(config, tg.Tensor(test_logits), self.splits.y_test).data)
            record["test_accuracy"] = float(np.mean(test_logits.argmax(axis=1) == self.splits.y_test))
            line += f"  test acc {100 * record['test_accuracy']:6.2f}%  {seconds:5.1f} s"
            self.history.append(record)
            if checkpoint_path is not None:
                self.saving = True
                save_checkpoint(checkpoint_path, self)
                self.saved_epoch = self.epoch
                self.saving = False
            log(line)

    def release_data(self) -> None:
        """Drop the float32 images (~220 MB for MNIST) once training is over."""
        del self.splits  # the run keeps no reference to them

    def metrics(self, interrupted: bool = False, epochs: int | None = None) -> dict[str, Any]:
        """The metrics of the first ``epochs`` epochs (default: all completed), as metrics.json holds them."""
        epochs = self.epoch if epochs is None else epochs
        history = self.history[:epochs]
        final = history[-1] if history else {}
        return {
            "config": self.config.to_dict(),
            "parameters": sum(p.data.size for p in self.model.parameters()),
            "epochs_completed": epochs,
            "interrupted": interrupted,
            "history": history,
            "test_accuracy": final.get("test_accuracy"),
            "val_accuracy": final.get("val_accuracy"),
            "train_seconds": round(self.train_seconds, 3),
            "blas_threads": blas_threads(),
        }


def print_now(line: str) -> None:
    """Print and flush, so a pipe (tee, a log file, a test) sees each epoch as it ends."""
    print(line, flush=True)


def write_outputs(run: TrainingRun, out_dir: Path, interrupted: bool, epochs: int | None = None) -> None:
    """metrics.json (of the first ``epochs`` epochs), and the curves when viz/matplotlib are available."""
    metrics = run.metrics(interrupted, epochs)
    write_json(out_dir / METRICS_NAME, metrics)
    if metrics["history"] and not interrupted:
        note = plot_curves(metrics["history"], out_dir / CURVES_NAME, run_title(run.config, metrics["history"]))
        if note:
            print(note, file=sys.stderr)


PLOT_EXTRA_HINT = 'pip install "tinygrad_edu[plot]"'


def matplotlib_is_missing(error: ModuleNotFoundError) -> bool:
    """Did importing the plots fail only because matplotlib is not installed (the [plot] extra)?"""
    return (error.name or "").split(".")[0] == "matplotlib"


def run_title(config: TrainConfig, history: list[dict[str, Any]]) -> str:
    """What a plot of this run is called: the model, the optimizer and where it ended."""
    final = history[-1]
    epochs = f"{final['epoch']} epoch{'s' if final['epoch'] != 1 else ''}"
    return (
        f"{format_arch(config.arch)} {config.activation}, {config.optimizer} lr {config.lr:g}: "
        f"test accuracy {100 * final['test_accuracy']:.2f}% after {epochs}"
    )


def plot_curves(history: list[dict[str, Any]], path: Path, title: str | None = None) -> str | None:
    """Draw the training curves; return a note instead when plotting is unavailable."""
    try:
        from viz.plots import plot_training_curves
    except ModuleNotFoundError as error:
        if not matplotlib_is_missing(error):
            raise
        return f"note: no curves plotted: matplotlib is not installed; {PLOT_EXTRA_HINT}"
    write_picture(lambda temporary: plot_training_curves(history, temporary, title=title), path)
    return None
