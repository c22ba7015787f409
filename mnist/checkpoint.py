"""The training checkpoint: what mnist.train saves after every epoch, and the checks made on loading it.

A checkpoint is a ``tg.save`` file (.npz, no pickle) holding

    format          "tinygrad_edu-mnist-checkpoint-1"
    config          the settings as JSON (checked as strictly as a --config file)
    epoch           epochs completed; history holds one record per epoch (JSON)
    train_seconds   seconds spent training so far
    normalization   mean and std of the training pixels (used with --standardize)
    rng             the generator's state (JSON)
    model.*, optimizer.*, scheduler.*   the state dicts

``read_checkpoint`` checks every entry before anything is built from it, so a hand-edited or
damaged file gets one line naming the entry (``epoch: expected a whole number >= 0, got 'two'``)
instead of a traceback. Weights that are NaN or infinite are refused too: such a model cannot be
evaluated or trained further.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

import tinygrad_edu as tg

from .config import MAX_CHECKPOINT_BYTES, is_finite_number, is_whole_number, make_config, normalize_values
from .model import ConfigError

CHECKPOINT_NAME = "checkpoint.npz"
CHECKPOINT_FORMAT = "tinygrad_edu-mnist-checkpoint-1"


class RunError(ValueError):
    """A run cannot start or continue: bad output folder, bad checkpoint, data that does not fit."""


def generator_state(generator: np.random.Generator) -> str:
    """The bit generator's state as JSON (its 128-bit integers do not fit an int64 array)."""
    return json.dumps(generator.bit_generator.state)


def set_generator_state(generator: np.random.Generator, state: str) -> None:
    generator.bit_generator.state = json.loads(state)


def save_checkpoint(path: Path, run: Any) -> None:
    """Save a TrainingRun's state after its epoch ``run.epoch`` (atomically: tg.save)."""
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


def read_checkpoint(path: str | Path, flag: str = "--resume") -> dict[str, Any]:
    """The checkpoint's entries, checked: config a TrainConfig, history a list, model/optimizer/... dicts.

    RunError (one line naming the flag, the file and the entry) if it is missing or unusable.
    """
    path = Path(path)
    if path.is_dir():
        path = path / CHECKPOINT_NAME
    try:
        flat = tg.load(path, max_bytes=MAX_CHECKPOINT_BYTES)
    except FileNotFoundError:
        raise RunError(f"{flag} {path}: checkpoint not found") from None
    except ValueError as error:  # tg.load's CheckpointError: not an .npz, pickled, too big
        detail = " ".join(str(error).split()).replace(f"load: {str(path)!r} ", "")
        raise RunError(f"{flag} {path}: corrupt checkpoint: {detail}") from None
    if flat.get("format") != CHECKPOINT_FORMAT:
        raise RunError(f"{flag} {path}: not an MNIST training checkpoint (no '{CHECKPOINT_FORMAT}' format marker)")
    checkpoint: dict[str, Any] = {"path": path}
    for group in ("model", "optimizer", "scheduler", "normalization"):
        checkpoint[group] = {key[len(group) + 1 :]: value for key, value in flat.items() if key.startswith(group + ".")}
    missing = [key for key in ("config", "epoch", "history", "rng") if key not in flat]
    missing += [group for group in ("model", "optimizer") if not checkpoint[group]]
    if missing:
        raise RunError(f"{flag} {path}: incomplete checkpoint, missing {', '.join(missing)}")

    def bad(key: str, expected: str, value: Any) -> RunError:
        text = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
        return RunError(f"{flag} {path}: {key}: expected {expected}, got {text} ({type(value).__name__})")

    settings = _json(flat["config"])
    if not isinstance(settings, dict):
        raise bad("config", "the settings as a JSON object", flat["config"])
    try:
        checkpoint["config"] = make_config(normalize_values(settings, f"{flag} {path}: config"))
    except ConfigError as error:
        raise RunError(str(error)) from None
    epoch = flat["epoch"]
    if not is_whole_number(epoch) or epoch < 0:
        raise bad("epoch", "a whole number >= 0", epoch)
    history = _json(flat["history"])
    if not isinstance(history, list) or not all(isinstance(record, dict) for record in history):
        raise bad("history", "a JSON list of one record per epoch", flat["history"])
    if len(history) != epoch:
        raise RunError(f"{flag} {path}: history: expected {epoch} records (one per epoch), got {len(history)}")
    train_seconds = flat.get("train_seconds", 0.0)
    if not is_finite_number(train_seconds) or train_seconds < 0:
        raise bad("train_seconds", "a number >= 0", train_seconds)
    rng = _json(flat["rng"])
    if not isinstance(rng, dict) or "state" not in rng:
        raise bad("rng", "the generator state as a JSON object", flat["rng"])
    normalization = checkpoint["normalization"]
    if checkpoint["config"].standardize:
        mean, std = normalization.get("mean"), normalization.get("std")
        if not (is_finite_number(mean) and is_finite_number(std) and std > 0):
            raise RunError(
                f"{flag} {path}: normalization: expected the mean and std (> 0) of the training pixels, which "
                f"--standardize needs, got mean {mean!r} and std {std!r}"
            )
    for key, value in flat.items():
        if key.split(".")[0] in ("optimizer", "scheduler", "normalization"):
            expected = _state_entry_problem(key, value)
            if expected is not None:
                raise bad(key, expected, value)
    for key, value in checkpoint["model"].items():
        if not isinstance(value, np.ndarray) or value.dtype.kind != "f":
            raise bad(f"model.{key}", "an array of floating-point weights", value)
        bad_values = value.size - int(np.count_nonzero(np.isfinite(value)))
        if bad_values:
            raise RunError(
                f"{flag} {path}: model.{key}: expected finite weights, got {bad_values} NaN or infinite values; "
                "the model cannot be evaluated or trained further"
            )
    checkpoint.update(epoch=epoch, history=history, train_seconds=float(train_seconds), rng=flat["rng"])
    return checkpoint


def _state_entry_problem(key: str, value: Any) -> str | None:
    """What an optimizer, scheduler or normalization entry should be, if ``value`` is not that; else None.

    Hyperparameters are finite numbers (or booleans such as nesterov), betas two of them, step
    counters whole numbers, params the indices of the parameters, buffers arrays of finite numbers.
    """
    name = key.rsplit(".", 1)[-1]
    if name in ("step", "last_epoch"):
        return None if is_whole_number(value) and value >= -1 else "a whole number"
    if name == "params":
        is_indices = isinstance(value, np.ndarray) and value.dtype.kind in "iu" and value.ndim == 1
        return None if is_indices else "the indices of the parameters (whole numbers)"
    if name == "betas":
        is_pair = isinstance(value, np.ndarray) and value.shape == (2,) and value.dtype.kind == "f"
        return None if is_pair and bool(np.all(np.isfinite(value))) else "two finite numbers"
    if isinstance(value, bool):
        return None
    if isinstance(value, np.ndarray):
        is_finite = value.dtype.kind in "iuf" and bool(np.all(np.isfinite(value)))
        return None if is_finite else "an array of finite numbers"
    return None if is_finite_number(value) else "a finite number"


def _json(text: Any) -> Any:
    """The JSON value a text entry holds; None when it is not text or not JSON."""
    if not isinstance(text, str):
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return None
