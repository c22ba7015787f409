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

import argparse
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
            raise ConfigError(f"unknown activation {self.activation!r}; choose one of {', '.join(ACTIVATIONS)}")
        if not 0.0 <= self.dropout < 1.0:
            raise ConfigError(f"dropout must be in [0, 1), got {self.dropout}")
        if not 0.0 <= self.input_dropout < 1.0:
            raise ConfigError(f"input dropout must be in [0, 1), got {self.input_dropout}")

    @property
    def arch_text(self) -> str:
        return format_arch(self.arch)


def parse_arch(text: str) -> tuple[int, ...]:
    """'784-256-128-10' -> (784, 256, 128, 10), with an error that says what is wrong."""
    parts = str(text).strip().split("-")
    try:
        sizes = tuple(int(part) for part in parts)
    except ValueError:
        raise ConfigError(
            f"malformed --arch {text!r}: expected layer sizes joined by '-', e.g. 784-256-128-10"
        ) from None
    validate_arch(sizes, text)
    return sizes


def validate_arch(sizes: tuple[int, ...], text: str | None = None) -> None:
    shown = text if text is not None else format_arch(sizes)
    if len(sizes) < 2:
        raise ConfigError(f"malformed --arch {shown!r}: needs at least an input and an output size, e.g. 784-10")
    if any(size <= 0 for size in sizes):
        raise ConfigError(f"malformed --arch {shown!r}: every layer size must be a positive integer")
    if sizes[0] != INPUT_SIZE:
        raise ConfigError(
            f"--arch {shown!r} takes {sizes[0]} inputs, but an MNIST image has {INPUT_SIZE} pixels (28x28); "
            f"start the architecture with {INPUT_SIZE}"
        )


def format_arch(sizes: tuple[int, ...]) -> str:
    return "-".join(str(size) for size in sizes)


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
    parser = argparse.ArgumentParser(prog="python -m mnist.model", description="Build an MLP and print it.")
    parser.add_argument("--arch", default=format_arch(ModelSpec.arch), help="layer sizes, e.g. 784-256-128-10")
    parser.add_argument("--activation", default=ModelSpec.activation, help=", ".join(ACTIVATIONS))
    parser.add_argument("--dropout", type=float, default=ModelSpec.dropout)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    try:
        spec = ModelSpec(parse_arch(args.arch), args.activation, args.dropout)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(describe(build_model(spec, np.random.default_rng(args.seed))))
    return 0


if __name__ == "__main__":
    from .train import run_command  # ends quietly when piped into head

    sys.exit(run_command(main))
