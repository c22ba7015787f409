"""The multi-layer perceptron, described as data and built as an ``nn.Sequential``.

    spec = ModelSpec(arch=(784, 256, 128, 10), activation="relu", dropout=0.1)
    model = build_model(spec, np.random.default_rng(0))
    print(model)                          # Sequential((0): Linear(784 -> 256), (1): ReLU(), ...)

``arch`` lists the layer sizes, input first: 784 (28x28 pixels) in, one score per class out.
Between two Linear layers comes the activation and, when dropout > 0, a Dropout layer;
input_dropout > 0 puts a Dropout on the pixels before the first layer.
``784-10`` has no hidden layer: it is softmax regression, the linear baseline.

    python -m mnist.model --arch 784-256-128-10 --activation relu --dropout 0.1
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

import numpy as np

from tinygrad_edu import nn

INPUT_SIZE = 28 * 28
ACTIVATIONS = {
    "relu": nn.ReLU,
    "sigmoid": nn.Sigmoid,
    "tanh": nn.Tanh,
    "leaky_relu": nn.LeakyReLU,
}


class ConfigError(ValueError):
    """A setting of the model or the training run is malformed or out of range."""


@dataclass(frozen=True)
class ModelSpec:
    """The model as data: layer sizes (input first), the hidden activation, the dropout rate."""

    arch: tuple[int, ...] = (784, 512, 256, 10)
    activation: str = "relu"
    dropout: float = 0.0
    input_dropout: float = 0.0  # dropout on the pixels themselves, before the first layer

    def __post_init__(self) -> None:
        validate_arch(self.arch)
        if self.activation not in ACTIVATIONS:
            raise ConfigError(f"--activation: expected one of {', '.join(ACTIVATIONS)}, got {self.activation!r}")
        if not 0.0 <= self.dropout < 1.0:
            raise ConfigError(f"--dropout: expected a number in [0, 1), got {self.dropout}")
        if not 0.0 <= self.input_dropout < 1.0:
            raise ConfigError(f"--input-dropout: expected a number in [0, 1), got {self.input_dropout}")

    @property
    def arch_text(self) -> str:
        return format_arch(self.arch)


ARCH_EXPECTED = "layer sizes joined by '-', e.g. 784-256-128-10"
MAX_LAYER_SIZE = 1_000_000_000


def parse_arch(text: str, name: str = "--arch") -> tuple[int, ...]:
    """'784-256-128-10' -> (784, 256, 128, 10), with an error that says what is wrong."""
    parts = str(text).strip().split("-")
    try:
        sizes = tuple(int(part) for part in parts)
    except ValueError:
        raise ConfigError(f"{name}: expected {ARCH_EXPECTED}, got {text!r}") from None
    validate_arch(sizes, name)
    return sizes


def validate_arch(sizes: tuple[int, ...], name: str = "--arch") -> None:
    shown = format_arch(sizes)
    if len(sizes) < 2:
        raise ConfigError(f"{name}: expected at least an input and an output size, e.g. 784-10, got {shown!r}")
    if any(not 1 <= size <= MAX_LAYER_SIZE for size in sizes):
        raise ConfigError(f"{name}: expected layer sizes from 1 to {MAX_LAYER_SIZE:,}, got {shown!r}")
    if sizes[0] != INPUT_SIZE:
        raise ConfigError(
            f"{name}: expected {INPUT_SIZE} inputs first (an MNIST image has 28x28 pixels), got {sizes[0]} in "
            f"{shown!r}; start the architecture with {INPUT_SIZE}"
        )


def format_arch(sizes: tuple[int, ...]) -> str:
    return "-".join(str(size) for size in sizes)


def training_bytes(arch: tuple[int, ...], batch_rows: int, optimizer_buffers: int) -> int:
    """About how much memory training needs, in bytes (float32 values, 4 bytes each).

    Each parameter is held with its gradient and the optimizer's buffers (Adam keeps 2, momentum 1);
    each unit of each layer holds, per row of a batch, about 4 values (output, activation, dropout
    mask, gradient).
    """
    return 4 * (parameter_count(arch) * (2 + optimizer_buffers) + 4 * batch_rows * sum(arch))


def parameter_count(arch: tuple[int, ...]) -> int:
    """Weights and biases of the Linear layers of ``arch``."""
    return sum(n_in * n_out + n_out for n_in, n_out in zip(arch[:-1], arch[1:]))


def available_memory() -> int | None:
    """Bytes of memory available to a new allocation (MemAvailable on Linux), None if unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def build_model(spec: ModelSpec, generator: np.random.Generator) -> nn.Sequential:
    """Linear layers of the given sizes, the activation (and Dropout) between them.

    The initial weights and the dropout masks both draw from ``generator``.
    """
    layers: list[nn.Module] = []
    if spec.input_dropout > 0:
        layers.append(nn.Dropout(spec.input_dropout, generator=generator))
    pairs = list(zip(spec.arch[:-1], spec.arch[1:]))
    for index, (in_features, out_features) in enumerate(pairs):
        layers.append(nn.Linear(in_features, out_features, generator=generator))
        is_last = index == len(pairs) - 1
        if not is_last:
            layers.append(ACTIVATIONS[spec.activation]())
            if spec.dropout > 0:
                layers.append(nn.Dropout(spec.dropout, generator=generator))
    return nn.Sequential(*layers)


def count_parameters(model: nn.Module) -> int:
    return sum(parameter.data.size for parameter in model.parameters())


def describe(model: nn.Module) -> str:
    """The printed architecture followed by its parameter count."""
    return f"{model}\nparameters: {count_parameters(model):,}"


def main(argv: list[str] | None = None) -> int:
    from .cli import OneLineParser, check_whole, run_command  # cli imports this module

    parser = OneLineParser(prog="python -m mnist.model", description="Build an MLP and print it.")
    parser.add_argument("--arch", default=format_arch(ModelSpec.arch), help="layer sizes, e.g. 784-256-128-10")
    parser.add_argument("--activation", default=ModelSpec.activation, help=", ".join(ACTIVATIONS))
    parser.add_argument("--dropout", type=float, default=ModelSpec.dropout)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    def build_and_print() -> int:
        spec = ModelSpec(parse_arch(args.arch), args.activation, args.dropout)
        check_whole("--seed", args.seed, 0)
        needed = 4 * parameter_count(spec.arch)
        available = available_memory()
        if available is not None and needed > available:
            raise ConfigError(
                f"--arch {spec.arch_text}: its weights need {needed:,} bytes, more than the {available:,} available"
            )
        print(describe(build_model(spec, np.random.default_rng(args.seed))))
        return 0

    return run_command(build_and_print)


if __name__ == "__main__":
    # Run the package's copy of this module: its ConfigError is the one mnist.cli catches
    # (``python -m`` executes this file as a second module, __main__, with classes of its own).
    from mnist import model
    from mnist.cli import run_main  # ends quietly when piped into head

    sys.exit(run_main(model.main))
