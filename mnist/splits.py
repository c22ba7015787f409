"""The data a training run learns from: the IDX files limited, split and turned into the model's inputs.

    loaded = load_data(None)                         # uint8 images and labels, checked (mnist.data.load)
    splits = prepare_data(config, generator, loaded)
    splits.x_train.shape, splits.y_train.dtype       # (60000, 784) float32, int64 with the defaults

``--limit`` keeps the first N training images, ``--val`` holds N of them out at random for
validation, and ``--standardize`` shifts and scales the pixels by the mean and standard deviation
of the training images (otherwise they are scaled to [0, 1]).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import data
from .config import TrainConfig
from .model import ConfigError


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
