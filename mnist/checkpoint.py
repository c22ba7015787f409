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
ENTRIES = ("format", "config", "epoch", "history", "train_seconds", "rng")
GROUPS = ("model", "optimizer", "scheduler", "normalization")
NORMALIZATION = ("normalization.mean", "normalization.std")
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
    unknown = [key for key in flat if key not in ENTRIES and key.split(".")[0] not in GROUPS]
    unknown += [key for key in flat if key.startswith("normalization.") and key not in NORMALIZATION]
    if unknown:
        raise RunError(f"{flag} {path}: unknown entry {unknown[0]!r}; a checkpoint holds {', '.join(ENTRIES + GROUPS)}")
    for group in GROUPS:
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
    for number, record in enumerate(history):
        problem = _record_problem(record, number + 1)
        if problem is not None:
            key, wanted = problem
            raise bad(f"history[{number}].{key}" if key else f"history[{number}]", wanted, record.get(key, record))
    train_seconds = flat.get("train_seconds", 0.0)
    if not is_finite_number(train_seconds) or train_seconds < 0:
        raise bad("train_seconds", "a number >= 0", train_seconds)
    if not _is_generator_state(_json(flat["rng"])):
        raise bad("rng", f"the state of a PCG64 generator as JSON ({RNG_SHAPE})", flat["rng"])
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


# Hyperparameters of the optimizer's parameter groups and of the schedule: what each must be.
# (The values the configuration decides are compared with it too, when the run is built: TrainingRun.restore.)
HYPERPARAMETERS: dict[str, tuple[str, Any]] = {
    "lr": ("a finite number >= 0", lambda x: x >= 0),
    "min_lr": ("a finite number >= 0", lambda x: x >= 0),
    "weight_decay": ("a finite number >= 0", lambda x: x >= 0),
    "initial_lr": ("a finite number > 0", lambda x: x > 0),
    "max_lr": ("a finite number > 0", lambda x: x > 0),
    "eps": ("a finite number > 0", lambda x: x > 0),
    "momentum": ("a number in [0, 1)", lambda x: 0 <= x < 1),
    "max_momentum": ("a number in [0, 1)", lambda x: 0 <= x < 1),
    "base_momentum": ("a number in [0, 1)", lambda x: 0 <= x < 1),
    "dampening": ("a number in [0, 1]", lambda x: 0 <= x <= 1),
}
MAX_STEPS = 2**53  # more steps than any run takes (and where float64 stops counting exactly)


def _state_entry_problem(key: str, value: Any) -> str | None:
    """What an optimizer, scheduler or normalization entry should be, if ``value`` is not that; else None.

    Hyperparameters are finite numbers in their ranges (or booleans such as nesterov), betas two
    numbers in [0, 1), step counters whole numbers, params the indices of the parameters, the
    schedule's learning rates one or more numbers > 0, buffers arrays of finite numbers.
    """
    name = key.rsplit(".", 1)[-1]
    if name in ("step", "last_epoch"):
        return None if is_whole_number(value) and 0 <= value <= MAX_STEPS else f"a whole number from 0 to {MAX_STEPS}"
    if name == "params":
        is_indices = isinstance(value, np.ndarray) and value.dtype.kind in "iu" and value.ndim == 1
        return None if is_indices else "the indices of the parameters (whole numbers)"
    if name == "betas":
        is_pair = isinstance(value, np.ndarray) and value.shape == (2,) and value.dtype.kind == "f"
        return None if is_pair and bool(np.all((value >= 0) & (value < 1))) else "two numbers in [0, 1)"
    if name in ("base_lrs", "last_lr"):
        is_list = isinstance(value, np.ndarray) and value.ndim == 1 and value.size >= 1 and value.dtype.kind == "f"
        low_ok = (value > 0) if name == "base_lrs" else (value >= 0)
        if is_list and bool(np.all(np.isfinite(value) & low_ok)):
            return None
        return "one or more finite numbers > 0" if name == "base_lrs" else "one or more finite numbers >= 0"
    if name in HYPERPARAMETERS:
        expected, accept = HYPERPARAMETERS[name]
        return None if is_finite_number(value) and accept(value) else expected
    if isinstance(value, bool):
        return None
    if isinstance(value, np.ndarray):
        is_finite = value.dtype.kind in "iuf" and bool(np.all(np.isfinite(value)))
        return None if is_finite else "an array of finite numbers"
    return None if is_finite_number(value) else "a finite number"


# One record of the history per epoch: each key, what it must be. val_accuracy only with a validation set.
RECORD: dict[str, tuple[str, Any]] = {
    "train_loss": ("a finite number >= 0", lambda x: is_finite_number(x) and x >= 0),
    "train_accuracy": ("a number in [0, 1]", lambda x: is_finite_number(x) and 0 <= x <= 1),
    "lr": ("a finite number >= 0", lambda x: is_finite_number(x) and x >= 0),
    "seconds": ("a finite number >= 0", lambda x: is_finite_number(x) and x >= 0),
    "test_loss": ("a number >= 0", lambda x: _is_number(x) and not x < 0),
    "test_accuracy": ("a number in [0, 1]", lambda x: is_finite_number(x) and 0 <= x <= 1),
    "val_accuracy": ("a number in [0, 1]", lambda x: is_finite_number(x) and 0 <= x <= 1),
}


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _record_problem(record: dict[str, Any], epoch: int) -> tuple[str, str] | None:
    """(key, what it must be) for the first bad entry of the history record of ``epoch``; None if it is fine."""
    if record.get("epoch") != epoch or not is_whole_number(record.get("epoch")):
        return "epoch", f"{epoch} (the records count the epochs 1, 2, ...)"
    for key in record:
        if key != "epoch" and key not in RECORD:
            return "", f"a record with the keys epoch, {', '.join(RECORD)}; {key!r} is not one of them"
    for key, (expected, accept) in RECORD.items():
        if key not in record:
            if key == "val_accuracy":
                continue
            return key, expected
        if not accept(record[key]):
            return key, expected
    return None


RNG_SHAPE = '{"bit_generator": "PCG64", "state": {"state": s, "inc": i}, "has_uint32": 0 or 1, "uinteger": u}'


def _is_generator_state(state: Any) -> bool:
    """Is ``state`` what np.random.default_rng's bit generator (PCG64) gives as its state? Its two
    128-bit numbers below 2**128, the cached 32-bit value below 2**32."""

    def whole_below(value: Any, limit: int) -> bool:
        return is_whole_number(value) and 0 <= value < limit

    return (
        isinstance(state, dict)
        and sorted(state) == ["bit_generator", "has_uint32", "state", "uinteger"]
        and state["bit_generator"] == "PCG64"
        and isinstance(state["state"], dict)
        and sorted(state["state"]) == ["inc", "state"]
        and all(whole_below(state["state"][key], 2**128) for key in ("state", "inc"))
        and state["has_uint32"] in (0, 1)
        and not isinstance(state["has_uint32"], bool)
        and whole_below(state["uinteger"], 2**32)
    )


def _json(text: Any) -> Any:
    """The JSON value a text entry holds; None when it is not text or not JSON."""
    if not isinstance(text, str):
        return None
    try:
        return json.loads(text)
    except (json.JSONDecodeError, RecursionError):  # RecursionError: nested deeper than Python recurses
        return None
