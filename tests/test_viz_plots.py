"""viz.plots: each function writes a PNG with something on it and returns its path; the figures say what they show
(titles, accuracy in %, test beside train) and read well with one epoch and with hundreds."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest
from matplotlib.image import imread

import tinygrad_edu as tg
from viz.plots import (
    digit_grid_figure,
    experiment_figure,
    plot_confusion_matrix,
    plot_decision_boundary,
    plot_digit_grid,
    plot_experiment,
    plot_training_curves,
    training_curves_figure,
)


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
    with pytest.raises(ValueError, match="one of each per image"):
        plot_digit_grid(images, [1, 2], [1, 2], tmp_path / "bad.png")
    with pytest.raises(ValueError, match="one of each per image"):
        plot_digit_grid(images, list(range(10)), list(range(10)), tmp_path / "bad.png", confidences=[0.5])


def test_digit_grid_shows_each_confidence_and_a_title():
    images = np.random.default_rng(0).uniform(0, 1, (3, 28, 28))
    figure = digit_grid_figure(
        images, [8, 3, 2], [7, 7, 2], title="most confident mistakes", confidences=[0.987, 0.5, 1]
    )
    titles = [axes.get_title() for axes in figure.axes]
    assert titles == ["true 8 / pred 7\n99% sure", "true 3 / pred 7\n50% sure", "true 2 / pred 2\n100% sure"]
    assert [axes.title.get_color() for axes in figure.axes] == ["red", "red", "black"]
    assert figure.get_suptitle() == "most confident mistakes"


def history(epochs):
    return [
        {
            "epoch": epoch,
            "train_loss": 1 / epoch,
            "test_loss": 1.2 / epoch,
            "train_accuracy": 1 - 0.1 / epoch,
            "test_accuracy": 0.9 - 0.1 / epoch,
        }
        for epoch in range(1, epochs + 1)
    ]


def test_training_curves_put_test_loss_beside_train_loss_and_accuracy_in_percent():
    figure = training_curves_figure(history(3), title="784-32-10 relu, adam lr 0.001: test accuracy 86.67%")
    loss_axes, accuracy_axes = figure.axes
    assert figure.get_suptitle() == "784-32-10 relu, adam lr 0.001: test accuracy 86.67%"
    assert [line.get_label() for line in loss_axes.lines] == ["train", "test"]
    np.testing.assert_allclose(loss_axes.lines[1].get_ydata(), [1.2, 0.6, 0.4])
    assert accuracy_axes.get_ylabel() == "accuracy (%)"
    np.testing.assert_allclose(accuracy_axes.lines[1].get_ydata(), [80, 85, 100 * (0.9 - 0.1 / 3)])
    already_percent = training_curves_figure([{"epoch": 1, "test_accuracy": 97.5}])
    np.testing.assert_allclose(already_percent.axes[1].lines[0].get_ydata(), [97.5])


def test_one_epoch_is_a_visible_point_on_a_whole_number_axis():
    figure = training_curves_figure(history(1))
    for axes in figure.axes:
        low, high = axes.get_xlim()
        assert low < 1 < high and high - low >= 1, "one epoch must not collapse the axis"
        assert all(line.get_marker() == "o" for line in axes.lines)
        assert all(float(tick).is_integer() for tick in axes.get_xticks())


def test_hundreds_of_epochs_are_a_line_not_a_blob():
    figure = training_curves_figure(history(500))
    for axes in figure.axes:
        assert all(line.get_marker() in ("None", None, "") for line in axes.lines)
        assert axes.get_xlim()[1] >= 500


def experiment_results(epochs):
    results = [
        {
            "label": f"lr {lr}",
            "history": [{**record, "train_loss": lr * record["train_loss"]} for record in history(epochs)],
        }
        for lr in (0.01, 0.1)
    ]
    return [*results, {"label": "lr 10", "history": [], "diverged": "the loss became nan in epoch 1"}]


def test_experiment_plot_with_one_epoch_and_with_five_hundred(tmp_path):
    one = experiment_figure(experiment_results(1), "lr: 1 epoch")
    loss_axes, accuracy_axes = one.axes
    assert loss_axes.get_yscale() == "log"
    assert accuracy_axes.get_ylabel() == "test accuracy (%)"
    assert [text.get_text() for text in accuracy_axes.get_legend().get_texts()] == [
        "lr 0.01",
        "lr 0.1",
        "lr 10 (diverged)",
    ]
    low, high = accuracy_axes.get_xlim()
    assert low < 1 < high and high - low >= 1
    assert all(line.get_marker() == "o" for line in accuracy_axes.lines)
    many = experiment_figure(experiment_results(500), "lr: 500 epochs")
    assert all(line.get_marker() in ("None", None, "") for line in many.axes[1].lines)
    assert_png_with_content(plot_experiment(experiment_results(2), "lr: 2 epochs", tmp_path / "lr.png"))
    close_losses = [{"label": "a", "history": history(2)}, {"label": "b", "history": history(2)[::-1]}]
    assert experiment_figure(close_losses, "losses within a factor of 2").axes[0].get_yscale() == "linear"


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
