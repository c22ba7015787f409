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

import math
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tinygrad_edu import Tensor, nn
from tinygrad_edu.system import available_memory

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
    """'784-256-128-10' -> (784, 256, 128, 10), with an error that says what is wrong.
    A convolutional network ('conv16k5-pool2-...-10', see parse_conv_arch) keeps its layer words."""
    if is_conv_arch(str(text).strip().split("-")):
        return parse_conv_arch(text, name)
    parts = str(text).strip().split("-")
    try:
        sizes = tuple(int(part) for part in parts)
    except ValueError:
        raise ConfigError(f"{name}: expected {ARCH_EXPECTED}, got {text!r}") from None
    validate_arch(sizes, name)
    return sizes


def validate_arch(sizes: tuple[int, ...], name: str = "--arch") -> None:
    if is_conv_arch(sizes):
        conv_shapes(sizes, name=name)  # raises ConfigError naming the layer that does not fit
        return
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
    if is_conv_arch(arch):
        units = INPUT_SIZE + sum(math.prod(shape) for shape in conv_shapes(arch)) + arch[-1]
    else:
        units = sum(arch)
    return 4 * (parameter_count(arch) * (2 + optimizer_buffers) + 4 * batch_rows * units)


def largest_product(arch: tuple[int, ...], batch_rows: int) -> int:
    """Multiply-adds of the largest matrix product in a forward step (what the BLAS thread choice weighs).
    A convolution is one product: (rows · output pixels) × (in channels · k · k) × out channels."""
    if not is_conv_arch(arch):
        return batch_rows * max(n_in * n_out for n_in, n_out in zip(arch[:-1], arch[1:]))
    products: list[int] = []
    shape: tuple[int, ...] = IMAGE_SHAPE
    for word, next_shape in [*zip(arch[:-1], conv_shapes(arch)), ("fc", (arch[-1],))]:
        conv = CONV_LAYER.fullmatch(str(word))
        if conv:
            products.append(math.prod(next_shape) * shape[0] * int(conv[2]) ** 2)
        elif not POOL_LAYER.fullmatch(str(word)):
            products.append(math.prod(shape) * next_shape[0])
        shape = next_shape
    return batch_rows * max(products)


def parameter_count(arch: tuple[int, ...]) -> int:
    """Weights and biases of the layers of ``arch`` (Linear, and Conv2d for a convolutional one)."""
    if not is_conv_arch(arch):
        return sum(n_in * n_out + n_out for n_in, n_out in zip(arch[:-1], arch[1:]))
    count = 0
    shape: tuple[int, ...] = IMAGE_SHAPE
    for word, next_shape in zip(arch[:-1], conv_shapes(arch)):
        conv = CONV_LAYER.fullmatch(str(word))
        if conv:  # out · in · k · k weights and out biases
            count += next_shape[0] * shape[0] * int(conv[2]) ** 2 + next_shape[0]
        elif FC_LAYER.fullmatch(str(word)):
            count += math.prod(shape) * next_shape[0] + next_shape[0]
        shape = next_shape
    return count + math.prod(shape) * arch[-1] + arch[-1]


def build_model(spec: ModelSpec, generator: np.random.Generator) -> nn.Sequential:
    """Linear layers of the given sizes, the activation (and Dropout) between them.

    The initial weights and the dropout masks both draw from ``generator``.
    """
    if is_conv_arch(spec.arch):
        return build_conv_model(spec, generator)
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


# ----- convolutional networks --------------------------------------------------------------
#
#     conv16k5-pool2-conv32k5-pool2-fc128-10
#
# convNkK   Conv2d with N output channels and a K×K kernel, then the activation
#           (convNkKpP pads by P pixels: conv32k3p1 keeps the image size)
# poolK     MaxPool2d with a K×K window and stride K
# fcN       Linear with N outputs (the feature maps are flattened first), the activation, dropout
# N         the last layer: Linear with N outputs, one score per class
# The flat (N, 784) images are reshaped to (N, 1, 28, 28) by the first layer, ToImages.

IMAGE_SHAPE = (1, 28, 28)
CONV_LAYER = re.compile(r"conv(\d+)k(\d+)(?:p(\d+))?")
POOL_LAYER = re.compile(r"pool(\d+)")
FC_LAYER = re.compile(r"fc(\d+)")
CONV_ARCH_EXAMPLE = "conv16k5-pool2-conv32k5-pool2-fc128-10"


def is_conv_arch(parts: Sequence[Any]) -> bool:
    """True when the architecture starts with a convolution or pooling layer ('conv16k5-...')."""
    return len(parts) > 0 and isinstance(parts[0], str) and parts[0].startswith(("conv", "pool"))


def parse_conv_arch(text: str, name: str = "--arch") -> tuple[Any, ...]:
    """'conv16k5-pool2-fc128-10' -> ('conv16k5', 'pool2', 'fc128', 10): the layer words, and the
    number of classes as an int last (so arch[-1] is the number of outputs, as for an MLP)."""
    parts = str(text).strip().split("-")
    *layers, classes = parts
    if not classes.isdigit():
        raise ConfigError(
            f"{name}: expected a convolutional network to end with its number of classes, "
            f"e.g. {CONV_ARCH_EXAMPLE}, got {text!r}"
        )
    arch = (*layers, int(classes))
    conv_shapes(arch, text, name)
    return arch


def conv_shapes(arch: Sequence[Any], text: str | None = None, name: str = "--arch") -> list[tuple[int, ...]]:
    """The shape of one image after each layer word, (channels, height, width) or (features,);
    ConfigError for a word that is not a layer or an image too small for a kernel."""
    shown = text if text is not None else format_arch(tuple(arch))
    shape: tuple[int, ...] = IMAGE_SHAPE
    shapes: list[tuple[int, ...]] = []
    for word in arch[:-1]:
        conv = CONV_LAYER.fullmatch(str(word))
        pool = POOL_LAYER.fullmatch(str(word))
        fc = FC_LAYER.fullmatch(str(word))
        if conv and len(shape) == 3:
            channels, kernel, padding = int(conv[1]), int(conv[2]), int(conv[3] or 0)
            size = shape[1] + 2 * padding - kernel + 1
            if channels < 1 or kernel < 1 or size < 1:
                raise ConfigError(f"{name}: {word} does not fit an image of {shape[1]}x{shape[2]} pixels, in {shown!r}")
            shape = (channels, size, shape[2] + 2 * padding - kernel + 1)
        elif pool and len(shape) == 3:
            window = int(pool[1])
            if window < 1 or shape[1] < window:
                raise ConfigError(f"{name}: {word} does not fit an image of {shape[1]}x{shape[2]} pixels, in {shown!r}")
            shape = (shape[0], shape[1] // window, shape[2] // window)
        elif fc and int(fc[1]) > 0:
            shape = (int(fc[1]),)
        else:
            raise ConfigError(
                f"{name}: expected layers convNkK (optionally pP), poolK or fcN (conv and pool before fc), "
                f"e.g. {CONV_ARCH_EXAMPLE}, got {word!r} in {shown!r}"
            )
        shapes.append(shape)
    if not isinstance(arch[-1], int) or arch[-1] < 1:
        raise ConfigError(f"{name}: expected the number of classes last, e.g. {CONV_ARCH_EXAMPLE}, got {shown!r}")
    return shapes


class ToImages(nn.Module):
    """(N, 784) rows of pixels -> (N, 1, 28, 28) images, the input a convolution expects."""

    def forward(self, x: Tensor) -> Tensor:
        return x.reshape(-1, *IMAGE_SHAPE)


def build_conv_model(spec: ModelSpec, generator: np.random.Generator) -> nn.Sequential:
    """ToImages, then the layers of the words of spec.arch (see conv_shapes) with the activation
    after each convolution and hidden fully connected layer, dropout after the latter."""
    layers: list[nn.Module] = [ToImages()]
    shape: tuple[int, ...] = IMAGE_SHAPE
    for word, next_shape in zip(map(str, spec.arch[:-1]), conv_shapes(spec.arch)):
        conv_layer, pool_layer = CONV_LAYER.fullmatch(word), POOL_LAYER.fullmatch(word)
        if conv_layer:
            _, kernel, padding = conv_layer.groups()
            conv = nn.Conv2d(shape[0], next_shape[0], int(kernel), padding=int(padding or 0), generator=generator)
            layers += [conv]
            layers += [ACTIVATIONS[spec.activation]()]
        elif pool_layer:
            layers += [nn.MaxPool2d(int(pool_layer[1]))]
        else:
            if len(shape) == 3:
                layers += [nn.Flatten()]
            layers += [nn.Linear(math.prod(shape), next_shape[0], generator=generator), ACTIVATIONS[spec.activation]()]
            if spec.dropout > 0:
                layers.append(nn.Dropout(spec.dropout, generator=generator))
        shape = next_shape
    if len(shape) == 3:
        layers += [nn.Flatten()]
    layers += [nn.Linear(math.prod(shape), spec.arch[-1], generator=generator)]
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
