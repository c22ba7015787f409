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

Every value is checked by one table of rules (RULES), the same for a flag, a key of the TOML
file and the settings stored in a checkpoint, so a file is read as strictly as the command
line: ``dropout = "0.1"`` (a string), ``standardize = "no"``, ``weight_decay = true``, ``lr =
nan``, or ``batch-size`` and ``batch_size`` both given are errors that name the key:

    run.toml: dropout: expected a number in [0, 1), got '0.1' (a string)

A model whose training would not fit in the memory available is refused before any work.
"""

from __future__ import annotations

import dataclasses
import math
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tinygrad_edu.system import available_memory

from .model import (
    ACTIVATIONS,
    ARCH_EXPECTED,
    ConfigError,
    ModelSpec,
    format_arch,
    is_conv_arch,
    parameter_count,
    parse_arch,
    training_bytes,
    validate_arch,
)

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
        """Raise ConfigError naming the first bad setting (or a model too big to train); else return self."""
        for name in FIELD_NAMES:
            setattr(self, name, check_setting(name, getattr(self, name), SETTINGS))
        check_memory(self)
        return self


COMMAND_LINE = "command line"
SETTINGS = "settings"
OPTIMIZER_BUFFERS = {"sgd": 0, "momentum": 1, "adam": 2, "adamw": 2}
MNIST_TRAINING_IMAGES = 60_000
MAX_CONFIG_BYTES = 1_000_000
# What read_checkpoint lets tg.load read (the bound that refuses zip bombs); a model whose
# checkpoint (weights and the optimizer's buffers) would be bigger is refused before training.
MAX_CHECKPOINT_BYTES = 2**30


class _Rejected(Exception):
    """A value that breaks its setting's rule (turned into a ConfigError that names the setting)."""


def _whole(low: int) -> Any:
    def accept(value: Any) -> int:
        if not is_whole_number(value) or value < low:
            raise _Rejected
        return value

    return accept


def _number(inside: Any) -> Any:
    def accept(value: Any) -> float:
        if not is_finite_number(value) or not inside(value):
            raise _Rejected
        return float(value)

    return accept


def _choice(names: Any) -> Any:
    def accept(value: Any) -> str:
        if not isinstance(value, str) or value not in names:
            raise _Rejected
        return value

    return accept


def _arch(value: Any) -> tuple[int, ...]:
    if isinstance(value, str):
        return parse_arch(value, "")
    if isinstance(value, (list, tuple)) and is_conv_arch(value):  # ("conv16k5", "pool2", ..., 10)
        validate_arch(tuple(value), "")
        return tuple(value)
    if not isinstance(value, (list, tuple)) or not all(is_whole_number(size) for size in value):
        raise _Rejected
    sizes = tuple(value)
    validate_arch(sizes, "")
    return sizes


def _batch_size(value: Any) -> int | str:
    if value == "full":
        return "full"
    return _whole(1)(value)


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise _Rejected
    return value


def _folder_or_default(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or value.strip() == "":
        raise _Rejected
    return value


def _whole_or_none(low: int) -> Any:
    def accept(value: Any) -> int | None:
        return None if value is None else _whole(low)(value)

    return accept


def is_whole_number(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_finite_number(value: Any) -> bool:
    """An int or float (not a bool, not NaN or ±inf)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


# setting -> (what it must be, a function that returns the value normalised or raises _Rejected)
RULES: dict[str, tuple[str, Any]] = {
    "arch": (f"{ARCH_EXPECTED} (or a list of whole numbers)", _arch),
    "activation": (f"one of {', '.join(ACTIVATIONS)}", _choice(ACTIVATIONS)),
    "dropout": ("a number in [0, 1)", _number(lambda x: 0 <= x < 1)),
    "input_dropout": ("a number in [0, 1)", _number(lambda x: 0 <= x < 1)),
    "epochs": ("a whole number >= 1", _whole(1)),
    "batch_size": ("a whole number >= 1 or 'full'", _batch_size),
    "lr": ("a finite number > 0", _number(lambda x: x > 0)),
    "optimizer": (f"one of {', '.join(OPTIMIZERS)}", _choice(OPTIMIZERS)),
    "momentum": ("a number in [0, 1)", _number(lambda x: 0 <= x < 1)),
    "weight_decay": ("a finite number >= 0", _number(lambda x: x >= 0)),
    "schedule": (f"one of {', '.join(SCHEDULES)}", _choice(SCHEDULES)),
    "loss": (f"one of {', '.join(LOSSES)}", _choice(LOSSES)),
    "seed": ("a whole number >= 0", _whole(0)),
    "limit": ("a whole number >= 1", _whole_or_none(1)),
    "val": ("a whole number >= 0", _whole(0)),
    "standardize": ("true or false", _boolean),
    "data_dir": ("a folder path", _folder_or_default),
}


def setting_name(key: str, source: str) -> str:
    """'--batch-size' for a flag, 'run.toml: batch_size' for a key of a file."""
    if source == COMMAND_LINE:
        return "--" + key.replace("_", "-")
    if source == SETTINGS:
        return key
    return f"{source}: {key}"


def shown(value: Any, source: str) -> str:
    """The value as the user wrote it; from a file, with its type (a TOML string "0.1" is not 0.1)."""
    if source == COMMAND_LINE:
        return repr(value) if isinstance(value, str) else str(value)
    kinds = {bool: "a boolean", int: "an integer", float: "a number", str: "a string", list: "a list", dict: "a table"}
    kind = kinds.get(type(value), f"a {type(value).__name__}")
    text = repr(value)
    return f"{text if len(text) <= 60 else text[:57] + '...'} ({kind})"


def check_setting(key: str, value: Any, source: str, raw_key: str | None = None) -> Any:
    """The value normalised, or ConfigError: '<name>: expected <rule>, got <value>'."""
    expected, accept = RULES[key]
    name = setting_name(raw_key or key, source)
    try:
        return accept(value)
    except _Rejected:
        raise ConfigError(f"{name}: expected {expected}, got {shown(value, source)}") from None
    except ConfigError as error:  # the arch's own detailed message, without a name
        raise ConfigError(f"{name}{error}") from None


def check_memory(config: TrainConfig) -> None:
    """Refuse a model (and batch) whose training would not fit in the memory available, or whose
    checkpoint could not be loaded again."""
    available = available_memory()
    examples = config.limit if config.limit is not None else MNIST_TRAINING_IMAGES
    rows = examples if config.batch_size == "full" else min(int(config.batch_size), examples)
    buffers = OPTIMIZER_BUFFERS[config.optimizer]
    needed = training_bytes(config.arch, rows, buffers)
    if available is not None and needed > available:
        raise ConfigError(
            f"--arch {format_arch(config.arch)} with --batch-size {config.batch_size}: training needs about "
            f"{_size(needed)} of memory ({config.optimizer}, float32), more than the {_size(available)} available; "
            "choose smaller layers or batches"
        )
    checkpoint = 4 * parameter_count(config.arch) * (1 + buffers)
    if checkpoint > MAX_CHECKPOINT_BYTES:
        raise ConfigError(
            f"--arch {format_arch(config.arch)}: its checkpoint ({config.optimizer}) would be {_size(checkpoint)}, "
            f"more than the {_size(MAX_CHECKPOINT_BYTES)} a checkpoint may have; choose smaller layers"
        )


def _size(count: int) -> str:
    if count >= 10**15:
        return f"{count:.1e} bytes"
    for unit, scale in (("TB", 10**12), ("GB", 10**9), ("MB", 10**6)):
        if count >= scale:
            return f"{count / scale:.1f} {unit}"
    return f"{count / 1000:.1f} kB"


FIELD_NAMES = tuple(f.name for f in dataclasses.fields(TrainConfig))


def batch_size_from_text(text: str) -> int | str:
    """The --batch-size flag's text: '128' -> 128, 'full' -> 'full', anything else stays text (and is refused)."""
    stripped = text.strip()
    if stripped.lstrip("-").isdigit():
        return int(stripped)
    return stripped.lower() if stripped.lower() == "full" else text


def normalize_values(values: dict[str, Any], source: str) -> dict[str, Any]:
    """Check raw values (from TOML, JSON or flags) as strictly as each other; TrainConfig field values.

    source  COMMAND_LINE for flags (named --batch-size), else the file (named 'run.toml: batch_size')
    Unknown keys, and a key given twice (batch-size and batch_size), are errors.
    """
    result: dict[str, Any] = {}
    spelled: dict[str, str] = {}
    for raw_key, value in values.items():
        key = raw_key.replace("-", "_")
        if key not in FIELD_NAMES:
            raise ConfigError(f"{source}: unknown setting {raw_key!r}; known settings: {', '.join(FIELD_NAMES)}")
        if key in spelled:
            raise ConfigError(f"{source}: {spelled[key]} and {raw_key} are the same setting, given twice; keep one")
        spelled[key] = raw_key
        result[key] = check_setting(key, value, source, raw_key)
    return result


def read_toml(path: str | Path) -> dict[str, Any]:
    """The settings in a TOML file, checked (ConfigError on a missing or odd file, bad TOML, bad values)."""
    path = Path(path)
    if not path.is_file():
        if path.exists():
            raise ConfigError(f"--config {path}: expected a regular TOML file, got a folder or special file")
        raise ConfigError(f"--config {path}: config file not found")
    try:
        if path.stat().st_size > MAX_CONFIG_BYTES:
            raise ConfigError(f"--config {path}: expected a small TOML file, got {path.stat().st_size:,} bytes")
        with open(path, "rb") as file:
            raw = tomllib.load(file)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"--config {path}: not valid TOML ({error})") from None
    except UnicodeDecodeError as error:
        raise ConfigError(
            f"--config {path}: expected UTF-8 text, got byte 0x{error.object[error.start]:02x} at {error.start}"
        ) from None
    except OSError as error:
        raise ConfigError(f"--config {path}: cannot be read ({error.strerror})") from None
    return normalize_values(raw, str(path))


def make_config(*layers: dict[str, Any]) -> TrainConfig:
    """A validated TrainConfig from the defaults updated by each layer of normalised values in turn."""
    values: dict[str, Any] = {}
    for layer in layers:
        values.update(layer)
    unknown = sorted(set(values) - set(FIELD_NAMES))
    if unknown:
        raise ConfigError(f"unknown setting {unknown[0]!r}; known settings: {', '.join(FIELD_NAMES)}")
    return TrainConfig(**values).validate()
