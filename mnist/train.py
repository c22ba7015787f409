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

The checkpoint is written after every epoch, atomically. Ctrl-C stops at once and leaves the
last completed epoch's checkpoint, so ``--resume`` picks up exactly where that epoch ended:
randomness comes from one np.random.Generator (seeded with --seed) whose state is saved, and
each epoch's shuffle from a generator seeded with (seed, epoch). Same seed, same machine:
the same numbers, epoch by epoch. Resuming with a larger ``--epochs`` extends the run; the
learning-rate schedule (built for the total number of epochs) is then stretched from that
point on, so bit-for-bit equality with a single run holds for the same ``--epochs`` (or with
``--schedule none``, where the schedule does not depend on the length).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

import tinygrad_edu as tg
from tinygrad_edu import nn, optim
from tinygrad_edu.nn import functional as F

from . import data
from .config import OPTIMIZERS, SCHEDULES, TrainConfig, make_config, normalize_values, read_toml
from .model import ACTIVATIONS, ConfigError, build_model, describe, format_arch

CHECKPOINT_NAME = "checkpoint.npz"
METRICS_NAME = "metrics.json"
CURVES_NAME = "curves.png"
CHECKPOINT_FORMAT = "tinygrad_edu-mnist-checkpoint-1"
EVAL_BATCH_SIZE = 2000
# Flags that may differ from the checkpoint's settings when resuming (they do not change the run).
RESUMABLE_OVERRIDES = ("epochs", "data_dir")


class RunError(ValueError):
    """A run cannot start or continue: bad output folder, bad checkpoint, data that does not fit."""


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


# ----- checkpoints ---------------------------------------------------------------------------


def generator_state(generator: np.random.Generator) -> str:
    """The bit generator's state as JSON (its 128-bit integers do not fit an int64 array)."""
    return json.dumps(generator.bit_generator.state)


def set_generator_state(generator: np.random.Generator, state: str) -> None:
    generator.bit_generator.state = json.loads(state)


def save_checkpoint(path: Path, run: TrainingRun) -> None:
    tg.save(
        {
            "format": CHECKPOINT_FORMAT,
            "config": json.dumps(run.config.to_dict()),
            "epoch": run.epoch,
            "history": json.dumps(run.history),
            "train_seconds": run.train_seconds,
            "normalization": {"mean": run.splits.mean, "std": run.splits.std},
            "rng": generator_state(run.generator),
            "model": run.model.state_dict(),
            "optimizer": run.optimizer.state_dict(),
            "scheduler": run.scheduler.state_dict() if run.scheduler is not None else {},
        },
        path,
    )


def read_checkpoint(path: str | Path) -> dict[str, Any]:
    """The checkpoint as a nested dict, with its config parsed; RunError if missing or unusable."""
    path = Path(path)
    if path.is_dir():
        path = path / CHECKPOINT_NAME
    try:
        checkpoint = tg.load(path, unflatten=True)
    except FileNotFoundError:
        raise RunError(f"{path}: checkpoint not found") from None
    except ValueError as error:
        raise RunError(f"{path}: corrupt checkpoint ({_one_line(error)})") from None
    if checkpoint.get("format") != CHECKPOINT_FORMAT:
        raise RunError(f"{path}: not an MNIST training checkpoint (no '{CHECKPOINT_FORMAT}' format marker)")
    missing = [key for key in ("config", "epoch", "history", "rng", "model", "optimizer") if key not in checkpoint]
    if missing:
        raise RunError(f"{path}: incomplete checkpoint, missing {', '.join(missing)}")
    try:
        checkpoint["config"] = make_config(normalize_values(json.loads(checkpoint["config"]), str(path)))
        checkpoint["history"] = json.loads(checkpoint["history"])
    except (json.JSONDecodeError, TypeError, ConfigError) as error:
        raise RunError(f"{path}: corrupt checkpoint settings ({_one_line(error)})") from None
    checkpoint["path"] = path
    return checkpoint


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split())


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
            raise RunError(f"{path}: incompatible checkpoint ({_one_line(error)})") from None
        self.epoch = int(checkpoint["epoch"])
        self.history = list(checkpoint["history"])
        self.train_seconds = float(checkpoint.get("train_seconds", 0.0))

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
            record["test_accuracy"] = accuracy(self.model, self.splits.x_test, self.splits.y_test)
            line += f"  test acc {100 * record['test_accuracy']:6.2f}%  {seconds:5.1f} s"
            self.history.append(record)
            if checkpoint_path is not None:
                save_checkpoint(checkpoint_path, self)
            log(line)

    def release_data(self) -> None:
        """Drop the float32 images (~220 MB for MNIST) once training is over."""
        self.splits = None

    def metrics(self, interrupted: bool = False) -> dict[str, Any]:
        final = self.history[-1] if self.history else {}
        return {
            "config": self.config.to_dict(),
            "parameters": sum(p.data.size for p in self.model.parameters()),
            "epochs_completed": self.epoch,
            "interrupted": interrupted,
            "history": self.history,
            "test_accuracy": final.get("test_accuracy"),
            "val_accuracy": final.get("val_accuracy"),
            "train_seconds": round(self.train_seconds, 3),
        }


def print_now(line: str) -> None:
    """Print and flush, so a pipe (tee, a log file, a test) sees each epoch as it ends."""
    print(line, flush=True)


def write_outputs(run: TrainingRun, out_dir: Path, interrupted: bool) -> None:
    """metrics.json, and the curves when viz/matplotlib are available."""
    metrics = run.metrics(interrupted)
    write_json(out_dir / METRICS_NAME, metrics)
    if run.history:
        note = plot_curves(run.history, out_dir / CURVES_NAME)
        if note:
            print(note, file=sys.stderr)


def write_json(path: Path, content: Any) -> None:
    """Write JSON atomically (a temporary file moved over the target)."""
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(json.dumps(content, indent=2) + "\n", encoding="utf-8")
    temporary.replace(path)


def plot_curves(history: list[dict[str, Any]], path: Path) -> str | None:
    """Draw the training curves; return a note instead when plotting is unavailable."""
    try:
        from viz.plots import plot_training_curves
    except ImportError as error:
        return f"note: no curves plotted: could not import viz.plots ({error}); pip install matplotlib graphviz"
    plot_training_curves(history, path)
    return None


# ----- command line ----------------------------------------------------------------------------


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr (exit 2), like every other error here."""

    def error(self, message: str) -> None:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


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
    return parser


FLAG_FIELDS = (
    "arch activation dropout input_dropout epochs batch_size lr optimizer momentum weight_decay schedule loss seed "
    "standardize data_dir limit val"
).split()


def flag_values(args: argparse.Namespace) -> dict[str, Any]:
    """The settings given explicitly as flags, normalised."""
    given = {name: getattr(args, name) for name in FLAG_FIELDS if getattr(args, name) is not None}
    return normalize_values(given, "command line")


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


def default_out_dir() -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    candidate = Path("runs") / stamp
    suffix = 2
    while candidate.exists():
        candidate = Path("runs") / f"{stamp}-{suffix}"
        suffix += 1
    return candidate


def resolve_run(args: argparse.Namespace) -> tuple[TrainConfig, Path, dict[str, Any] | None]:
    """The configuration, the output folder and the checkpoint to resume (or None)."""
    flags = flag_values(args)
    file_values = {**preset_values(args.preset), **(read_toml(args.config) if args.config else {})}
    checkpoint = None
    if args.resume:
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
        out_dir = Path(args.out) if args.out else checkpoint["path"].parent
    else:
        config = make_config(file_values, flags)
        out_dir = Path(args.out) if args.out else default_out_dir()
    check_out_dir(out_dir, checkpoint)
    return config, out_dir, checkpoint


def check_out_dir(out_dir: Path, checkpoint: dict[str, Any] | None) -> None:
    """Refuse to overwrite another run's checkpoint (resuming into its own folder is fine)."""
    if out_dir.exists() and not out_dir.is_dir():
        raise RunError(f"--out {out_dir}: exists and is not a folder")
    existing = out_dir / CHECKPOINT_NAME
    if checkpoint is not None and existing.exists() and existing.resolve() == Path(checkpoint["path"]).resolve():
        return
    if existing.exists():
        raise RunError(
            f"--out {out_dir} already holds a checkpoint; choose another folder, or continue it with "
            f"--resume {existing}"
        )
    if (out_dir / METRICS_NAME).exists():
        raise RunError(f"--out {out_dir} already holds the {METRICS_NAME} of another run; choose another folder")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    show_progress = not args.no_progress and sys.stderr.isatty()
    try:
        config, out_dir, checkpoint = resolve_run(args)
        run = TrainingRun(config)
        if checkpoint is not None:
            run.restore(checkpoint)
    except (ConfigError, RunError, data.IDXError) as error:
        print(f"error: {_one_line(error)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted before training started; nothing written", file=sys.stderr)
        return 130
    return train(run, config, out_dir, resumed=checkpoint is not None, show_progress=show_progress)


def train(run: TrainingRun, config: TrainConfig, out_dir: Path, resumed: bool, show_progress: bool) -> int:
    """Train, save, report; the exit status of the command."""
    if run.epoch >= config.epochs:
        print(f"nothing to do: the checkpoint is at epoch {run.epoch} of --epochs {config.epochs}")
        return 0
    print(describe(run.model))
    start = f"resuming after epoch {run.epoch}" if resumed else "starting"
    print(
        f"{start}: {len(run.splits.x_train)} training images, batch {run.batch_size}, "
        f"{run.steps_per_epoch} steps per epoch, {config.optimizer} lr {config.lr}, schedule {config.schedule}"
    )
    print(f"run folder: {out_dir}", flush=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    try:
        run.run(out_dir / CHECKPOINT_NAME, show_progress)
        run.release_data()
    except KeyboardInterrupt:
        write_outputs(run, out_dir, interrupted=True)
        print(
            f"\ninterrupted during epoch {run.epoch + 1}; the checkpoint of epoch {run.epoch} is in {out_dir}; "
            f"continue with: python -m mnist.train --resume {out_dir / CHECKPOINT_NAME}",
            file=sys.stderr,
        )
        return 130
    except RunError as error:
        write_outputs(run, out_dir, interrupted=True)
        print(f"error: {_one_line(error)}", file=sys.stderr)
        return 1
    write_outputs(run, out_dir, interrupted=False)
    print(
        f"test accuracy {100 * run.history[-1]['test_accuracy']:.2f}% after {run.epoch} epochs, "
        f"{run.train_seconds:.1f} s of training; saved to {out_dir}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
