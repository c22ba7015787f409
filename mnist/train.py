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

import os
import signal
import sys


def interrupted_while_starting(signum: int, frame: object) -> None:
    """A Ctrl-C while Python still imports NumPy and the rest: one line, exit 130, nothing written."""
    os.write(2, b"interrupted while starting; nothing written\n")
    os._exit(130)


if __name__ == "__main__":  # until main() runs, which puts KeyboardInterrupt back (cli.run_command)
    signal.signal(signal.SIGINT, interrupted_while_starting)

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tinygrad_edu.threads import choose_threads, set_threads

from .checkpoint import CHECKPOINT_NAME, RunError, read_checkpoint
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
from .experiments import BASE, PRESETS
from .files import OutputError, RunFolder, reason, write_json
from .model import ACTIVATIONS, describe, format_arch, largest_product
from .training import METRICS_NAME, TrainingRun, write_outputs

# Flags that may differ from the checkpoint's settings when resuming (they do not change the run).
RESUMABLE_OVERRIDES = ("epochs", "data_dir")


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
        choices=sorted(PRESETS),
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


def preset_values(name: str | None) -> dict[str, Any]:
    """The settings of the preset of mnist.experiments called name (one run), {} for None."""
    if name is None:
        return {}
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
    return run_command(lambda: start_training(build_parser().parse_args(argv)))


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
