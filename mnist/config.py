"""The settings of a training run, as one dataclass, from defaults, a TOML file and flags.

Precedence: the defaults below < ``--config run.toml`` < flags given on the command line.
A TOML file holds the same names as the flags (``batch_size`` or ``batch-size``):

    arch = "784-512-256-10"        # or [784, 512, 256, 10]
    activation = "relu"
    dropout = 0.1
    epochs = 10
    batch_size = 128               # or "full"
    lr = 1e-3
    optimizer = "adam"
    schedule = "cosine"
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .model import ACTIVATIONS, ConfigError, ModelSpec, format_arch, parse_arch

OPTIMIZERS = ("sgd", "momentum", "adam", "adamw")
SCHEDULES = ("none", "step", "cosine", "onecycle")
LOSSES = ("ce", "mse")


@dataclass
class TrainConfig:
    """Everything that decides what a training run computes (not where it writes or how it shows it).

    The defaults reach 98.5-98.7% test accuracy (seeds 0-2) in about 20-30 s on two CPU cores.
    """

    arch: tuple[int, ...] = (784, 512, 256, 10)
    activation: str = "relu"
    dropout: float = 0.2
    input_dropout: float = 0.0
    epochs: int = 12
    batch_size: int | str = 128  # an int, or "full" for full-batch gradient descent
    lr: float = 1e-3
    optimizer: str = "adam"
    momentum: float = 0.9  # used by optimizer "momentum"
    weight_decay: float = 0.0
    schedule: str = "cosine"
    loss: str = "ce"
    seed: int = 0
    limit: int | None = None  # train on the first N training images only
    val: int = 0  # hold out N training images for validation
    standardize: bool = False  # (x − mean) / std with the training set's statistics, else x in [0, 1]
    data_dir: str | None = None

    def model_spec(self) -> ModelSpec:
        return ModelSpec(self.arch, self.activation, self.dropout, self.input_dropout)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: arch as '784-512-256-10'."""
        values = dataclasses.asdict(self)
        values["arch"] = format_arch(self.arch)
        return values

    def validate(self) -> TrainConfig:
        """Raise ConfigError naming the first bad setting; return self when all are fine."""
        self.model_spec()  # arch, activation, dropout
        _positive_int("epochs", self.epochs)
        if self.batch_size != "full":
            _positive_int("batch-size", self.batch_size)
        _positive_number("lr", self.lr)
        if self.optimizer not in OPTIMIZERS:
            raise ConfigError(f"unknown optimizer {self.optimizer!r}; choose one of {', '.join(OPTIMIZERS)}")
        if self.schedule not in SCHEDULES:
            raise ConfigError(f"unknown schedule {self.schedule!r}; choose one of {', '.join(SCHEDULES)}")
        if self.loss not in LOSSES:
            raise ConfigError(f"unknown loss {self.loss!r}; choose one of {', '.join(LOSSES)}")
        if not isinstance(self.momentum, (int, float)) or not 0 <= self.momentum < 1:
            raise ConfigError(f"momentum must be in [0, 1), got {self.momentum!r}")
        if not isinstance(self.weight_decay, (int, float)) or self.weight_decay < 0:
            raise ConfigError(f"weight-decay must be >= 0, got {self.weight_decay!r}")
        if self.limit is not None:
            _positive_int("limit", self.limit)
        if not isinstance(self.val, int) or isinstance(self.val, bool) or self.val < 0:
            raise ConfigError(f"val must be a whole number >= 0, got {self.val!r}")
        if not isinstance(self.seed, int) or isinstance(self.seed, bool) or self.seed < 0:
            raise ConfigError(f"seed must be a whole number >= 0, got {self.seed!r}")
        return self


def _positive_int(name: str, value: Any) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ConfigError(f"--{name} must be a positive whole number, got {value!r}")


def _positive_number(name: str, value: Any) -> None:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not value > 0 or value == float("inf"):
        raise ConfigError(f"--{name} must be a positive number, got {value!r}")


FIELD_NAMES = tuple(f.name for f in dataclasses.fields(TrainConfig))


def parse_batch_size(text: Any) -> int | str:
    """128 -> 128, 'full' -> 'full'; anything else is a ConfigError."""
    if isinstance(text, str) and text.strip().lower() == "full":
        return "full"
    if isinstance(text, int) and not isinstance(text, bool):
        return text
    try:
        return int(str(text))
    except ValueError:
        raise ConfigError(f"--batch-size must be a positive whole number or 'full', got {text!r}") from None


def normalize_values(values: dict[str, Any], source: str) -> dict[str, Any]:
    """Turn raw values (from TOML, JSON or flags) into TrainConfig field values; unknown keys are errors."""
    result = {}
    for raw_key, value in values.items():
        key = raw_key.replace("-", "_")
        if key not in FIELD_NAMES:
            raise ConfigError(f"{source}: unknown setting {raw_key!r}; known settings: {', '.join(FIELD_NAMES)}")
        if key == "arch":
            value = parse_arch(value) if isinstance(value, str) else tuple(_whole(v, "arch", source) for v in value)
            parse_arch(format_arch(value))
        elif key == "batch_size":
            value = parse_batch_size(value)
        elif key in ("lr", "weight_decay", "momentum", "dropout", "input_dropout") and isinstance(value, int):
            value = float(value)
        elif key == "activation" and value not in ACTIVATIONS:
            raise ConfigError(f"unknown activation {value!r}; choose one of {', '.join(ACTIVATIONS)}")
        result[key] = value
    return result


def _whole(value: Any, name: str, source: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ConfigError(f"{source}: {name} must hold whole numbers, got {value!r}")
    return value


def read_toml(path: str | Path) -> dict[str, Any]:
    """The settings in a TOML file, normalised (ConfigError on a missing file, bad TOML, unknown keys)."""
    path = Path(path)
    try:
        with open(path, "rb") as file:
            raw = tomllib.load(file)
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML ({error})") from None
    except OSError as error:
        raise ConfigError(f"{path}: cannot be read ({error.strerror})") from None
    return normalize_values(raw, str(path))


def make_config(*layers: dict[str, Any]) -> TrainConfig:
    """A validated TrainConfig from the defaults updated by each layer of normalised values in turn."""
    values: dict[str, Any] = {}
    for layer in layers:
        values.update(layer)
    try:
        config = TrainConfig(**values)
    except TypeError as error:
        raise ConfigError(str(error)) from None
    return config.validate()
