"""viz.plots: each function writes a PNG with something on it and returns its path."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest
from matplotlib.image import imread

import tinygrad_edu as tg
from viz.plots import plot_confusion_matrix, plot_decision_boundary, plot_digit_grid, plot_training_curves


def assert_png_with_content(path):
    image = imread(path)
    assert image.ndim == 3 and image.shape[0] > 100 and image.shape[1] > 100
    assert image[..., :3].var() > 1e-3, f"{path} looks blank"


def test_plots_do_not_change_the_global_backend(tmp_path):
    before = matplotlib.get_backend()
    plot_training_curves([{"epoch": 1, "train_loss": 1.0}], tmp_path / "curves.png")
    assert matplotlib.get_backend() == before


def test_training_curves(tmp_path):
    history = [
        {"epoch": 1, "train_loss": 0.9, "train_accuracy": 0.71, "val_accuracy": 0.80},
        {"epoch": 2, "train_loss": 0.4, "train_accuracy": 0.88, "val_accuracy": 0.90},
        {"epoch": 3, "train_loss": 0.3, "train_accuracy": 0.92, "test_accuracy": 0.93},
    ]
    path = plot_training_curves(history, tmp_path / "runs" / "curves.png", title="MLP")
    assert path == tmp_path / "runs" / "curves.png"
    assert_png_with_content(path)
    with pytest.raises(ValueError, match="empty"):
        plot_training_curves([], tmp_path / "x.png")
    with pytest.raises(ValueError, match="no known keys"):
        plot_training_curves([{"epoch": 1, "lr": 0.1}], tmp_path / "x.png")


def test_confusion_matrix(tmp_path):
    generator = np.random.default_rng(0)
    matrix = generator.integers(0, 50, (10, 10)) + np.diag(np.full(10, 900))
    path = plot_confusion_matrix(matrix, tmp_path / "confusion.png")
    assert_png_with_content(path)
    assert_png_with_content(plot_confusion_matrix(np.eye(3) * 0.5, tmp_path / "c3.png", labels=["a", "b", "c"]))
    with pytest.raises(ValueError, match="square"):
        plot_confusion_matrix(np.ones((2, 3)), tmp_path / "bad.png")
    with pytest.raises(ValueError, match="labels"):
        plot_confusion_matrix(np.ones((2, 2)), tmp_path / "bad.png", labels=["only one"])


def test_digit_grid(tmp_path):
    generator = np.random.default_rng(0)
    images = generator.uniform(0, 255, (10, 28, 28))
    path = plot_digit_grid(images, list(range(10)), [0, 1, 2, 3, 4, 5, 6, 7, 8, 0], tmp_path / "digits.png", ncols=5)
    assert_png_with_content(path)
    flat = plot_digit_grid(images.reshape(10, 784), list(range(10)), None, tmp_path / "flat.png", ncols=4)
    assert_png_with_content(flat)
    with pytest.raises(ValueError, match="one label per image"):
        plot_digit_grid(images, [1, 2], [1, 2], tmp_path / "bad.png")


def test_decision_boundary_accepts_classes_probabilities_scores_and_tensors(tmp_path):
    generator = np.random.default_rng(0)
    X = generator.normal(size=(60, 2))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)

    def classes(points):
        return (points.sum(axis=1) > 0).astype(int)

    def probabilities(points):
        return 1 / (1 + np.exp(-points.sum(axis=1)))

    def scores(points):
        return tg.Tensor(np.column_stack([-points.sum(axis=1), points.sum(axis=1)]))

    for name, predict in (("classes", classes), ("probabilities", probabilities), ("scores", scores)):
        assert_png_with_content(plot_decision_boundary(predict, X, y, tmp_path / f"{name}.png", resolution=60))
    with pytest.raises(ValueError, match=r"shape \(n, 2\)"):
        plot_decision_boundary(classes, np.ones((5, 3)), np.ones(5), tmp_path / "bad.png")
