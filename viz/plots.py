"""Plots for training and evaluation, drawn with matplotlib's Agg renderer into PNG files.

    plot_training_curves(history, "runs/curves.png", title="784-128-10: test accuracy 97.8%")
    plot_experiment(results, "lr: which learning rate?", "runs/lr.png")
    plot_confusion_matrix(matrix, "runs/confusion.png")
    plot_digit_grid(images, true_labels, predicted_labels, "runs/wrong.png")
    plot_decision_boundary(predict, X, y, "runs/boundary.png")

Each function builds a ``matplotlib.figure.Figure`` directly (no pyplot, so no window and no
change to matplotlib's global backend), saves it as PNG and returns the path it wrote.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator


def _new_figure(width: float, height: float) -> Figure:
    figure = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)  # attach the non-interactive Agg canvas
    return figure


def _save(figure: Figure, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="png")
    return path


def _series(history: Sequence[Mapping[str, Any]], key: str) -> tuple[list[float], list[float]] | None:
    """(epochs, values) for the entries that have ``key``; None if no entry has it."""
    epochs, values = [], []
    for position, entry in enumerate(history):
        if key in entry and entry[key] is not None:
            epochs.append(float(entry.get("epoch", position + 1)))
            values.append(float(entry[key]))
    return (epochs, values) if values else None


LOSS_KEYS = ("train_loss", "val_loss", "test_loss", "loss")
ACCURACY_KEYS = ("train_accuracy", "val_accuracy", "test_accuracy", "accuracy")
SERIES_LABELS = {"train": "train", "val": "validation", "test": "test"}
MARKERS_UP_TO = 30  # epochs: with more, markers would merge into a blob, so the line alone is drawn


def _series_label(key: str) -> str:
    return SERIES_LABELS.get(key.split("_")[0], key.replace("_", " "))


def _epoch_axis(axes: Any, epochs: Sequence[float]) -> None:
    """Whole epochs on the x axis; a single epoch gets room on both sides instead of a collapsed axis."""
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    if len(set(epochs)) == 1:
        axes.set_xlim(epochs[0] - 1, epochs[0] + 1)
    axes.set_xlabel("epoch")
    axes.grid(True, alpha=0.3)


def _line_style(count: int) -> dict[str, Any]:
    """Points (joined) for a few epochs, a plain line for many."""
    return {"marker": "o", "markersize": 5} if count <= MARKERS_UP_TO else {"linewidth": 1.5}


def plot_training_curves(history: Sequence[Mapping[str, Any]], path: str | Path, title: str | None = None) -> Path:
    """Loss (left: train, validation and test beside each other) and accuracy in % (right) per epoch, as PNG.

    history  one dict per epoch, e.g. {"epoch": 1, "train_loss": 0.31, "test_loss": 0.25,
             "train_accuracy": 0.91, "test_accuracy": 0.93}; any of the keys train_/val_/test_ loss
             and accuracy are plotted (accuracy as a fraction in [0, 1] or a percentage)
    title    names the run, e.g. "784-128-10 relu, adam lr 0.001: test accuracy 97.8% after 5 epochs"
    """
    return _save(training_curves_figure(history, title), path)


def training_curves_figure(history: Sequence[Mapping[str, Any]], title: str | None = None) -> Figure:
    """The figure plot_training_curves saves (a Figure shows inline in Jupyter)."""
    if len(history) == 0:
        raise ValueError("plot_training_curves: history is empty; give one dict per epoch, e.g. {'epoch': 1, ...}")
    figure = _new_figure(11, 4.2)
    loss_axes, accuracy_axes = figure.subplots(1, 2)
    all_epochs: list[float] = []
    for axes, keys, label in ((loss_axes, LOSS_KEYS, "loss"), (accuracy_axes, ACCURACY_KEYS, "accuracy (%)")):
        for key in keys:
            series = _series(history, key)
            if series is None:
                continue
            epochs, values = series
            if axes is accuracy_axes and max(values) <= 1:
                values = [100 * value for value in values]  # fractions, shown in % as the console prints them
            axes.plot(epochs, values, label=_series_label(key), **_line_style(len(epochs)))
            all_epochs += epochs
        axes.set_ylabel(label)
        if axes.lines:
            axes.legend()
        else:
            axes.text(0.5, 0.5, f"no {label} recorded", ha="center", va="center", transform=axes.transAxes)
    if not all_epochs:
        known = ", ".join(LOSS_KEYS + ACCURACY_KEYS)
        raise ValueError(f"plot_training_curves: no known keys in history[0]={dict(history[0])!r}; use {known}")
    for axes in (loss_axes, accuracy_axes):
        _epoch_axis(axes, all_epochs)
    loss_axes.set_title("loss")
    accuracy_axes.set_title("accuracy")
    if title:
        figure.suptitle(title)
    return figure


def plot_experiment(results: Sequence[Mapping[str, Any]], title: str, path: str | Path) -> Path:
    """Training loss (log scale) and test accuracy in % per epoch, one line per run of an experiment.

    results  one dict per run: {"label": "lr 0.1", "history": [{"epoch": 1, "train_loss": ..,
             "test_accuracy": ..}, ...]}, as mnist.experiments writes them; a run that diverged
             before its first epoch has an empty history and is named in the legend only
    """
    return _save(experiment_figure(results, title), path)


def experiment_figure(results: Sequence[Mapping[str, Any]], title: str) -> Figure:
    """The figure plot_experiment saves."""
    figure = _new_figure(11, 4.2)
    loss_axes, accuracy_axes = figure.subplots(1, 2)
    all_epochs: list[float] = []
    style = _line_style(max((len(result["history"]) for result in results), default=0))  # the same for every run
    for result in results:
        history = result["history"]
        epochs = [float(record["epoch"]) for record in history]
        label = str(result["label"]) + (" (diverged)" if result.get("diverged") else "")
        (line,) = loss_axes.plot(epochs, [record["train_loss"] for record in history], label=label, **style)
        accuracy = [100 * record["test_accuracy"] for record in history]
        accuracy_axes.plot(epochs, accuracy, color=line.get_color(), label=label, **style)
        all_epochs += epochs
    if all_epochs:
        for axes in (loss_axes, accuracy_axes):
            _epoch_axis(axes, all_epochs)
    losses = [float(value) for line in loss_axes.lines for value in line.get_ydata()]
    if losses and min(losses) > 0 and max(losses) / min(losses) >= 10:  # losses that span decades: log scale
        loss_axes.set_yscale("log")
    loss_axes.set(ylabel="training loss", title="training loss")
    accuracy_axes.set(ylabel="test accuracy (%)", title="test accuracy")
    accuracy_axes.legend(fontsize="small")
    figure.suptitle(title)
    return figure


def plot_confusion_matrix(
    matrix: Any, path: str | Path, labels: Sequence[str] | None = None, title: str = "confusion matrix"
) -> Path:
    """matrix[true class, predicted class] = count, drawn as a heat map with the counts written in."""
    matrix = np.asarray(matrix)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"plot_confusion_matrix: need a square 2-D matrix, got shape {matrix.shape}")
    classes = matrix.shape[0]
    labels = [str(label) for label in labels] if labels is not None else [str(i) for i in range(classes)]
    if len(labels) != classes:
        raise ValueError(f"plot_confusion_matrix: {len(labels)} labels for a {classes}x{classes} matrix")
    size = max(4.0, 0.55 * classes + 2)
    figure = _new_figure(size + 1, size)
    axes = figure.subplots()
    image = axes.imshow(matrix, cmap="Blues")
    figure.colorbar(image, ax=axes, shrink=0.8)
    axes.set_xticks(range(classes), labels)
    axes.set_yticks(range(classes), labels)
    axes.set_xlabel("predicted")
    axes.set_ylabel("true")
    axes.set_title(title)
    threshold = matrix.max() / 2 if matrix.size else 0
    for row in range(classes):
        for column in range(classes):
            value = matrix[row, column]
            text = f"{value:.2g}" if np.issubdtype(matrix.dtype, np.floating) else str(value)
            colour = "white" if value > threshold else "black"
            axes.text(column, row, text, ha="center", va="center", color=colour, fontsize=8)
    return _save(figure, path)


def plot_digit_grid(
    images: Any,
    true_labels: Sequence[int],
    predicted_labels: Sequence[int] | None,
    path: str | Path,
    ncols: int = 8,
    title: str | None = None,
    confidences: Sequence[float] | None = None,
) -> Path:
    """Small images in a grid, each titled 'true 3 / pred 5' (red where they differ).

    images       (n, 28, 28) or (n, 784) (any square size works), values in any range
    confidences  optional, one probability per image (the model's for its prediction), shown in %
    """
    return _save(digit_grid_figure(images, true_labels, predicted_labels, ncols, title, confidences), path)


def digit_grid_figure(
    images: Any,
    true_labels: Sequence[int],
    predicted_labels: Sequence[int] | None,
    ncols: int = 8,
    title: str | None = None,
    confidences: Sequence[float] | None = None,
) -> Figure:
    """The figure plot_digit_grid saves."""
    images = np.asarray(images, dtype=np.float64)
    count = images.shape[0] if images.ndim >= 2 else 0
    if count == 0:
        raise ValueError(f"plot_digit_grid: need at least one image, got an array of shape {images.shape}")
    if images.ndim == 2:
        side = int(round(np.sqrt(images.shape[1])))
        if side * side != images.shape[1]:
            raise ValueError(f"plot_digit_grid: rows of {images.shape[1]} pixels are not square images; pass (n, h, w)")
        images = images.reshape(count, side, side)
    lengths = [len(labels) for labels in (true_labels, predicted_labels, confidences) if labels is not None]
    if any(length != count for length in lengths):
        raise ValueError(
            f"plot_digit_grid: {count} images but labels or confidences of other lengths; give one of each per image"
        )
    if ncols < 1:
        raise ValueError(f"plot_digit_grid: ncols must be at least 1, got {ncols}")
    ncols = min(ncols, count)
    nrows = -(-count // ncols)
    figure = _new_figure(1.3 * ncols, (1.75 if confidences is not None else 1.5) * nrows + (0.4 if title else 0))
    grid = np.atleast_2d(figure.subplots(nrows, ncols, squeeze=False))
    for position, axes in enumerate(grid.flat):
        axes.axis("off")
        if position >= count:
            continue
        axes.imshow(images[position], cmap="gray_r")
        true = int(true_labels[position])
        if predicted_labels is None:
            axes.set_title(f"{true}", fontsize=9)
        else:
            predicted = int(predicted_labels[position])
            colour = "black" if predicted == true else "red"
            text = f"true {true} / pred {predicted}"
            if confidences is not None:
                text += f"\n{100 * float(confidences[position]):.0f}% sure"
            axes.set_title(text, fontsize=8, color=colour)
    if title:
        figure.suptitle(title)
    return figure


def plot_decision_boundary(
    predict_fn: Callable[[np.ndarray], Any],
    X: Any,
    y: Any,
    path: str | Path,
    resolution: int = 200,
    title: str = "decision boundary",
) -> Path:
    """Regions of a 2-D toy problem coloured by the predicted class, with the points on top.

    predict_fn  takes an (m, 2) NumPy array of points and returns, per point, a class index,
                a probability (one number: class 1 where > 0.5) or a row of class scores
                (the argmax wins); a Tensor result is fine too
    X, y        the data: (n, 2) points and their n class labels
    """
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y).reshape(-1)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"plot_decision_boundary: X must have shape (n, 2), got {X.shape}")
    if len(y) != len(X):
        raise ValueError(f"plot_decision_boundary: {len(X)} points but {len(y)} labels")
    margin = 0.1 * (X.max(axis=0) - X.min(axis=0) + 1e-9)
    low, high = X.min(axis=0) - margin, X.max(axis=0) + margin
    xs = np.linspace(low[0], high[0], resolution)
    ys = np.linspace(low[1], high[1], resolution)
    grid_x, grid_y = np.meshgrid(xs, ys)
    points = np.column_stack([grid_x.ravel(), grid_y.ravel()])
    predictions = _as_array(predict_fn(points))
    classes = _to_classes(predictions, len(points))
    figure = _new_figure(6, 5)
    axes = figure.subplots()
    axes.contourf(grid_x, grid_y, classes.reshape(grid_x.shape), alpha=0.3, cmap="coolwarm")
    scatter = axes.scatter(X[:, 0], X[:, 1], c=y, cmap="coolwarm", edgecolors="black", s=25)
    axes.legend(*scatter.legend_elements(), title="class", loc="best")
    axes.set_xlabel("x₁")
    axes.set_ylabel("x₂")
    axes.set_title(title)
    return _save(figure, path)


def _as_array(result: Any) -> np.ndarray:
    """A Tensor (anything with .data) or array-like as a NumPy array."""
    return np.asarray(result.data if hasattr(result, "data") and not isinstance(result, np.ndarray) else result)


def _to_classes(predictions: np.ndarray, count: int) -> np.ndarray:
    if predictions.ndim == 2 and predictions.shape[1] > 1:
        return predictions.argmax(axis=1)
    flat = predictions.reshape(count)
    if (
        np.issubdtype(flat.dtype, np.floating)
        and flat.min() >= 0
        and flat.max() <= 1
        and not np.all(flat == flat.round())
    ):
        return (flat > 0.5).astype(int)
    return flat.astype(int)


# ----- convolutional networks ----------------------------------------------------------------


def _image_grid(figure: Figure, images: np.ndarray, titles: Sequence[str], ncols: int, cmap: str) -> None:
    """images (n, h, w) in a grid of ncols columns, each on its own colour scale around 0."""
    count = len(images)
    ncols = max(1, min(ncols, count))
    nrows = -(-count // ncols)
    grid = np.atleast_2d(figure.subplots(nrows, ncols, squeeze=False))
    for position, axes in enumerate(grid.flat):
        axes.axis("off")
        if position >= count:
            continue
        image = images[position]
        if cmap == "RdBu_r":  # signed values: 0 is white, the colour says the sign
            limit = float(np.abs(image).max()) or 1.0
            axes.imshow(image, cmap=cmap, vmin=-limit, vmax=limit)
        else:
            axes.imshow(image, cmap=cmap)
        axes.set_title(titles[position], fontsize=8)


def plot_conv_filters(weight: Any, path: str | Path, ncols: int = 8, title: str | None = None) -> Path:
    """The kernels of a convolution layer, one small image per output channel (red positive,
    blue negative); weight (out_channels, in_channels, kH, kW), a Tensor or an array, e.g.
    ``model[1].weight`` of a CNN. Only the first input channel of each kernel is shown."""
    weight = np.asarray(getattr(weight, "data", weight), dtype=np.float64)
    if weight.ndim != 4 or weight.shape[0] == 0:
        raise ValueError(f"plot_conv_filters: weight must be (out_channels, in_channels, kH, kW), got {weight.shape}")
    count = weight.shape[0]
    columns = min(ncols, count)
    figure = _new_figure(1.1 * columns, 1.2 * -(-count // columns) + (0.4 if title else 0))
    _image_grid(figure, weight[:, 0], [f"filter {index}" for index in range(count)], ncols, "RdBu_r")
    if title:
        figure.suptitle(title)
    return _save(figure, path)


def plot_feature_maps(model: Any, image: Any, path: str | Path, max_maps: int = 16, title: str | None = None) -> Path:
    """What the convolution layers of an nn.Sequential see in one digit: the image in the first
    row, then one row per Conv2d with its feature maps (after the activation that follows it),
    at most max_maps per row.

    image   one digit: (28, 28) or (784,) pixels; the model gets it as a batch of one, as rows
            (1, 784) unless its first layer is a Conv2d, then as (1, 1, 28, 28)
    """
    from tinygrad_edu import Tensor, nn, no_grad

    pixels = np.asarray(getattr(image, "data", image), dtype=np.float32).reshape(28, 28)
    layers = list(model)
    conv_positions = [index for index, layer in enumerate(layers) if isinstance(layer, nn.Conv2d)]
    if not conv_positions:
        raise ValueError("plot_feature_maps: the model has no Conv2d layer")
    rows: list[tuple[str, np.ndarray]] = [("input", pixels[None])]
    x = Tensor(pixels.reshape(1, 1, 28, 28) if isinstance(layers[0], nn.Conv2d) else pixels.reshape(1, 784))
    with no_grad():
        for index, layer in enumerate(layers):
            x = layer(x)
            conv = index if index in conv_positions else index - 1
            is_activation = index not in conv_positions and not isinstance(layer, (nn.MaxPool2d, nn.AvgPool2d))
            if conv in conv_positions and (index == conv + 1 and is_activation or index == len(layers) - 1 == conv):
                shown = min(max_maps, layers[conv].out_channels)
                label = f"layer {conv}: {shown} of {layers[conv].out_channels} maps"
                rows.append((label, x.data[0, :shown]))
    columns = max(len(maps) for _, maps in rows)
    figure = _new_figure(1.0 * columns + 1.2, 1.1 * len(rows) + (0.4 if title else 0))
    grid = np.atleast_2d(figure.subplots(len(rows), columns, squeeze=False))
    for (label, maps), row in zip(rows, grid):
        for position, axes in enumerate(row):
            axes.set_xticks([])
            axes.set_yticks([])
            if position >= len(maps):
                axes.axis("off")
                continue
            axes.imshow(maps[position], cmap="gray_r" if label == "input" else "viridis")
        row[0].set_ylabel(label, fontsize=8)
    if title:
        figure.suptitle(title)
    return _save(figure, path)
