"""Train the MLP on MNIST: ``python -m mnist.train``.

    python -m mnist.train                                   # defaults: ~98.5% test accuracy in 16-30 s
    python -m mnist.train --arch 784-128-10 --epochs 3 --limit 5000 --out runs/quick
    python -m mnist.train --resume runs/quick/checkpoint.npz --epochs 5

Each epoch prints one line (epoch, train loss, train accuracy, validation/test accuracy,
seconds) and shows a progress bar when the output is a terminal. The run folder (``--out``,
default ``runs/<timestamp>/``) gets

    checkpoint.npz   model, optimizer, scheduler, epoch, RNG state (tg.save: .npz, no pickle)
    metrics.json     the configuration, one record per epoch, test_accuracy, train_seconds
    curves.png       loss and accuracy per epoch (when matplotlib is installed)
    run.lock         held while the run trains: a second run given the same folder is refused

Every input (flags, --config, --resume's checkpoint, the run folder) is checked before the data
is loaded; bad input is one line naming the flag or key, exit code 2 (see mnist/cli.py).

The checkpoint is written after every epoch, atomically. Ctrl-C stops at once and leaves the
last completed epoch's checkpoint; the message names the epoch that checkpoint really holds,
and metrics.json agrees with it (a Ctrl-C during the first write keeps nothing, and says so).
``--resume`` picks up exactly where that epoch ended:
randomness comes from one np.random.Generator (seeded with --seed) whose state is saved, and
each epoch's shuffle from a generator seeded with (seed, epoch). Same seed, same machine:
the same numbers, epoch by epoch. Resuming with a larger ``--epochs`` extends the run; the
learning-rate schedule (built for the total number of epochs) is then stretched from that
point on, so bit-for-bit equality with a single run holds for the same ``--epochs`` (or with
``--schedule none``, where the schedule does not depend on the length).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

import tinygrad_edu as tg
from tinygrad_edu import nn, optim
from tinygrad_edu.nn import functional as F
from tinygrad_edu.threads import blas_threads, choose_threads, set_threads

from . import data
from .checkpoint import CHECKPOINT_NAME, RunError, read_checkpoint, save_checkpoint, set_generator_state
from .cli import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    OneLineParser,
    check_data_dir,
    check_not_empty,
    check_whole,
    one_line,
    report,
    run_command,
    run_main,
)
from .config import (
    COMMAND_LINE,
    OPTIMIZERS,
    SCHEDULES,
    TrainConfig,
    batch_size_from_text,
    make_config,
    normalize_values,
    read_toml,
)
from .files import OutputError, RunFolder, reason, write_json, write_picture
from .model import ACTIVATIONS, ConfigError, build_model, describe, format_arch, largest_product

METRICS_NAME = "metrics.json"
CURVES_NAME = "curves.png"
EVAL_BATCH_SIZE = 2000
# Flags that may differ from the checkpoint's settings when resuming (they do not change the run).
RESUMABLE_OVERRIDES = ("epochs", "data_dir")


# ----- data ----------------------------------------------------------------------------------


@dataclass
class Splits:
    """Float32 inputs (N, 784) and int64 labels for each split; val is empty without --val."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    mean: float
    std: float


Loaded = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def load_data(data_dir: str | None) -> Loaded:
    """(train images, train labels, test images, test labels) as uint8, checked."""
    return (*data.load("train", data_dir), *data.load("test", data_dir))


def prepare_data(config: TrainConfig, generator: np.random.Generator, loaded: Loaded | None = None) -> Splits:
    """Limit, split off validation, convert to float32 once (scaled to [0, 1], optionally standardised).

    loaded  the uint8 arrays of load_data(config.data_dir), to reuse across runs; read here if None
    Memory: the split and the statistics work on the uint8 images, each float32 copy is made once,
    and when the files are read here, the test files are read only after the training images
    were converted and dropped (peak: the uint8 and float32 training images, ~240 MB).
    """
    if loaded is not None:
        train_images, train_labels, test_images, test_labels = loaded
    else:
        train_images, train_labels = data.load("train", config.data_dir)
    check_labels(config, train_labels)
    if config.limit is not None:
        train_images, train_labels = train_images[: config.limit], train_labels[: config.limit]
    val_images, val_labels = train_images[:0], train_labels[:0]
    if config.val > 0:
        if config.val >= len(train_images):
            raise ConfigError(f"--val {config.val} leaves no training examples: there are only {len(train_images)}")
        train_images, train_labels, val_images, val_labels = data.split_validation(
            train_images, train_labels, config.val, generator
        )
    mean, std = pixel_statistics(train_images) if config.standardize else (0.0, 1.0)
    x_train, y_train = to_inputs(train_images, train_labels, config.standardize, mean, std)
    x_val, y_val = to_inputs(val_images, val_labels, config.standardize, mean, std)
    del train_images, val_images
    if loaded is None:
        test_images, test_labels = data.load("test", config.data_dir)
    check_labels(config, test_labels)
    x_test, y_test = to_inputs(test_images, test_labels, config.standardize, mean, std)
    return Splits(x_train, y_train, x_val, y_val, x_test, y_test, mean, std)


def to_inputs(
    images: np.ndarray, labels: np.ndarray, standardize: bool, mean: float, std: float
) -> tuple[np.ndarray, np.ndarray]:
    """uint8 images and labels -> float32 rows (N, 784) and int64 labels, the model's inputs."""
    x = data.to_float(images)
    if standardize:
        data.standardize(x, mean, std)
    return x, labels.astype(np.int64)


def check_labels(config: TrainConfig, labels: np.ndarray) -> None:
    classes = config.arch[-1]
    largest_label = int(labels.max(initial=0))
    if largest_label >= classes:
        raise ConfigError(
            f"the data has labels up to {largest_label} but --arch {config.model_spec().arch_text} has only "
            f"{classes} outputs; end the architecture with {largest_label + 1}"
        )


def pixel_statistics(images: np.ndarray) -> tuple[float, float]:
    """Mean and standard deviation of the pixels scaled to [0, 1], exactly, from a histogram of the
    uint8 values (no float copy of the images needed)."""
    counts = np.bincount(images.reshape(-1), minlength=256).astype(np.float64)
    values = np.arange(256) / 255.0
    total = counts.sum()
    mean = float(counts @ values / total)
    variance = float(counts @ (values - mean) ** 2 / total)
    return mean, variance**0.5


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
        """Continue from a checkpoint of the same configuration."""
        path = checkpoint["path"]
        try:
            self.model.load_state_dict(checkpoint["model"])
            self.optimizer.load_state_dict(checkpoint["optimizer"])
            if self.scheduler is not None:
                self.scheduler.load_state_dict(checkpoint["scheduler"])
            set_generator_state(self.generator, checkpoint["rng"])
        except (ValueError, KeyError, TypeError, RuntimeError) as error:
            raise RunError(f"--resume {path}: incompatible checkpoint ({one_line(error)})") from None
        self.epoch = checkpoint["epoch"]
        self.history = list(checkpoint["history"])
        self.train_seconds = checkpoint["train_seconds"]

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
        self.splits = None

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


# ----- command line ----------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="python -m mnist.train",
        description="Train an MLP on MNIST with tinygrad_edu. Flags override --config, which overrides the defaults.",
    )
    defaults = TrainConfig()
    model = parser.add_argument_group("model")
    model.add_argument("--arch", help=f"layer sizes, input first (default {'-'.join(map(str, defaults.arch))})")
    model.add_argument("--activation", help=f"{', '.join(ACTIVATIONS)} (default {defaults.activation})")
    model.add_argument(
        "--dropout", type=float, help=f"dropout rate after each hidden layer (default {defaults.dropout})"
    )
    model.add_argument("--input-dropout", type=float, help="dropout rate on the input pixels (default 0)")
    training = parser.add_argument_group("training")
    training.add_argument("--epochs", type=int, help=f"total epochs (default {defaults.epochs})")
    training.add_argument("--batch-size", help=f"an integer or 'full' (default {defaults.batch_size})")
    training.add_argument("--lr", type=float, help=f"learning rate (peak rate for onecycle; default {defaults.lr})")
    training.add_argument("--optimizer", help=f"{', '.join(OPTIMIZERS)} (default {defaults.optimizer})")
    training.add_argument("--momentum", type=float, help=f"for --optimizer momentum (default {defaults.momentum})")
    training.add_argument("--weight-decay", type=float, help="L2 penalty (decoupled for adamw; default 0)")
    training.add_argument("--schedule", help=f"{', '.join(SCHEDULES)} (default {defaults.schedule})")
    training.add_argument("--loss", help="ce (cross-entropy) or mse (on softmax outputs) (default ce)")
    training.add_argument("--seed", type=int, help="seed of every random choice (default 0)")
    training.add_argument(
        "--standardize", action="store_const", const=True, help="standardise pixels instead of scaling to [0, 1]"
    )
    dataset = parser.add_argument_group("data")
    dataset.add_argument("--data-dir", help="a folder of IDX files (default: the MNIST copy shipped with the package)")
    dataset.add_argument("--limit", type=int, help="train on the first N training images only")
    dataset.add_argument("--val", type=int, help="hold out N training images for validation (default 0)")
    run = parser.add_argument_group("run")
    run.add_argument("--config", help="a TOML file with any of the settings above")
    run.add_argument(
        "--preset",
        choices=sorted(preset_names()),
        help="a named setup of mnist.experiments (--config and flags override it)",
    )
    run.add_argument("--out", help="run folder for checkpoint, metrics and plots (default runs/<timestamp>/)")
    run.add_argument("--resume", help="continue from this checkpoint.npz (or run folder)")
    run.add_argument("--no-progress", action="store_true", help="no progress bar")
    run.add_argument("--threads", type=int, help="BLAS threads (default: chosen for the model and the free cores)")
    return parser


FLAG_FIELDS = (
    "arch activation dropout input_dropout epochs batch_size lr optimizer momentum weight_decay schedule loss seed "
    "standardize data_dir limit val"
).split()


def flag_values(args: argparse.Namespace) -> dict[str, Any]:
    """The settings given explicitly as flags, checked by the same rules as a --config file."""
    given = {name: getattr(args, name) for name in FLAG_FIELDS if getattr(args, name) is not None}
    if "batch_size" in given:
        given["batch_size"] = batch_size_from_text(given["batch_size"])
    return normalize_values(given, COMMAND_LINE)


@dataclass
class Plan:
    """What a run will do, decided (and every input checked) before any data is loaded."""

    config: TrainConfig
    folder: RunFolder
    checkpoint: dict[str, Any] | None  # the checkpoint to resume, if any


def preset_names() -> list[str]:
    from .experiments import PRESETS  # experiments imports this module

    return list(PRESETS)


def preset_values(name: str | None) -> dict[str, Any]:
    """The settings of the preset of mnist.experiments called name (one run), {} for None."""
    if name is None:
        return {}
    from .experiments import BASE, PRESETS

    experiment = PRESETS[name]
    return {**BASE, **experiment.base, **experiment.runs[0][1], "epochs": experiment.epochs}


def resolve_run(args: argparse.Namespace) -> Plan:
    """Check every input, then take the output folder (created and locked): the plan of the run."""
    for flag, value in (("--config", args.config), ("--out", args.out), ("--resume", args.resume)):
        check_not_empty(flag, value)
    flags = flag_values(args)
    file_values = {**preset_values(args.preset), **(read_toml(args.config) if args.config is not None else {})}
    checkpoint = None
    if args.resume is not None:
        checkpoint = read_checkpoint(args.resume)
        saved: TrainConfig = checkpoint["config"]
        requested = {**file_values, **flags}
        saved_values = vars(saved)
        for name, value in requested.items():
            if name not in RESUMABLE_OVERRIDES and value != saved_values[name]:
                shown, saved_shown = (
                    (format_arch(value), format_arch(saved.arch)) if name == "arch" else (value, saved_values[name])
                )
                raise RunError(
                    f"{checkpoint['path']}: incompatible with --{name.replace('_', '-')} {shown}: the checkpoint "
                    f"was trained with {saved_shown} (only --epochs and --data-dir may change on resume)"
                )
        overrides = {name: requested[name] for name in RESUMABLE_OVERRIDES if name in requested}
        config = make_config(saved_values, overrides)
        check_data_dir("--data-dir", config.data_dir)
        if args.out is not None:
            folder = RunFolder.open(Path(args.out), "--out")
        else:
            folder = RunFolder.open(checkpoint["path"].parent, "--resume")  # continue in the checkpoint's folder
    else:
        config = make_config(file_values, flags)
        check_data_dir("--data-dir", config.data_dir)
        if args.out is not None:
            folder = RunFolder.open(Path(args.out), "--out")
        else:
            folder = RunFolder.new_timestamped(Path("runs"), "--out")
    try:
        check_out_dir(folder.path, checkpoint)
    except BaseException:
        folder.abandon()
        raise
    return Plan(config, folder, checkpoint)


def check_out_dir(out_dir: Path, checkpoint: dict[str, Any] | None) -> None:
    """Refuse to overwrite another run's checkpoint (resuming into its own folder is fine)."""
    existing = out_dir / CHECKPOINT_NAME
    if checkpoint is not None and existing.exists() and existing.resolve() == Path(checkpoint["path"]).resolve():
        return
    if existing.exists():
        raise OutputError(
            f"--out {out_dir} already holds a checkpoint; choose another folder, or continue it with "
            f"--resume {existing}"
        )
    if (out_dir / METRICS_NAME).exists():
        raise OutputError(f"--out {out_dir} already holds the {METRICS_NAME} of another run; choose another folder")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run_command(lambda: start_training(args))


def start_training(args: argparse.Namespace) -> int:
    check_whole("--threads", args.threads, 1, os.cpu_count() or 1)
    show_progress = not args.no_progress and sys.stderr.isatty()
    plan = resolve_run(args)
    try:
        run = TrainingRun(plan.config)
        if plan.checkpoint is not None:
            run.restore(plan.checkpoint)
            if plan.checkpoint["path"].resolve() == (plan.folder.path / CHECKPOINT_NAME).resolve():
                run.saved_epoch = run.epoch
    except KeyboardInterrupt:
        plan.folder.abandon()
        report("interrupted before training started; nothing written")
        return EXIT_INTERRUPTED
    except BaseException:
        plan.folder.abandon()
        raise
    config = plan.config
    work = largest_product(config.arch, run.batch_size)
    threads, why = (args.threads, "--threads") if args.threads else choose_threads(work)
    set_threads(threads)
    print(f"BLAS threads: {threads} ({why})", flush=True)
    return train(run, plan, show_progress=show_progress)


def train(run: TrainingRun, plan: Plan, show_progress: bool) -> int:
    """Train, save, report; the exit status of the command. Every message about the checkpoint is true."""
    config, out_dir = plan.config, plan.folder.path
    if run.epoch >= config.epochs:
        if run.saved_epoch is None:
            plan.folder.abandon()
        print(f"nothing to do: the checkpoint is at epoch {run.epoch} of --epochs {config.epochs}")
        return 0
    print(describe(run.model))
    start = f"resuming after epoch {run.epoch}" if plan.checkpoint is not None else "starting"
    print(
        f"{start}: {len(run.splits.x_train)} training images, batch {run.batch_size}, "
        f"{run.steps_per_epoch} steps per epoch, {config.optimizer} lr {config.lr}, schedule {config.schedule}"
    )
    print(f"run folder: {out_dir}", flush=True)
    try:
        run.run(out_dir / CHECKPOINT_NAME, show_progress)
        run.release_data()
        write_outputs(run, out_dir, interrupted=False)
    except KeyboardInterrupt:
        return stop(run, plan, "\ninterrupted " + interrupted_when(run), EXIT_INTERRUPTED)
    except RunError as error:  # the loss diverged
        return stop(run, plan, f"error: {one_line(error)}", EXIT_FAILED)
    except OSError as error:  # disk full, folder removed or made read-only while training
        what = f"save the checkpoint of epoch {run.epoch}" if run.saving else f"write {error.filename or out_dir}"
        return stop(run, plan, f"error: cannot {what}: {reason(error)}", EXIT_FAILED)
    plan.folder.release()
    epochs = f"{run.epoch} epoch{'s' if run.epoch != 1 else ''}"
    print(
        f"test accuracy {100 * run.history[-1]['test_accuracy']:.2f}% after {epochs}, "
        f"{run.train_seconds:.1f} s of training; saved to {out_dir}"
    )
    return 0


def interrupted_when(run: TrainingRun) -> str:
    if run.saving:
        return f"while saving the checkpoint of epoch {run.epoch}"
    if run.epoch == run.config.epochs and run.saved_epoch == run.epoch:
        return "after the last epoch"
    return f"during epoch {len(run.history) + 1}"


def stop(run: TrainingRun, plan: Plan, first: str, status: int) -> int:
    """End a run that did not finish: metrics.json that agrees with the checkpoint on disk, a true message.

    A second Ctrl-C while metrics.json is written only skips that file (the checkpoint stays as it is).
    """
    out_dir = plan.folder.path
    kept = run.saved_epoch
    try:
        if kept is not None:
            finished = kept == run.config.epochs
            write_json(out_dir / METRICS_NAME, run.metrics(interrupted=not finished, epochs=kept))
        else:
            plan.folder.abandon()
        plan.folder.release()
    except KeyboardInterrupt:
        first += f" (interrupted again: {METRICS_NAME} not written)"
    except OSError as error:
        first += f" ({METRICS_NAME} not written: {reason(error)})"
    if kept is not None:
        checkpoint = out_dir / CHECKPOINT_NAME
        done = kept == run.config.epochs
        what = "the run is complete" if done else f"continue with: python -m mnist.train --resume {checkpoint}"
        report(f"{first}; the checkpoint of epoch {kept} is in {checkpoint}; {what}")
    elif plan.checkpoint is not None:
        original = plan.checkpoint["path"]
        report(
            f"{first}; no new checkpoint was saved; the checkpoint of epoch {plan.checkpoint['epoch']} is still in "
            f"{original}; continue with: python -m mnist.train --resume {original} --out {out_dir}"
        )
    else:
        report(f"{first}; no epoch was completed and saved, so nothing was kept")
    return status


if __name__ == "__main__":
    sys.exit(run_main(main))
