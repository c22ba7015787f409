"""Evaluate a trained checkpoint on the test set: ``python -m mnist.evaluate CKPT``.

    python -m mnist.evaluate runs/20261122-021500/checkpoint.npz

Prints the accuracy, the accuracy of each digit and the confusion matrix (rows: true digit,
columns: predicted digit), and writes two pictures next to the checkpoint (or into --out):

    confusion_matrix.png   the matrix as a heat map
    most_wrong.png         the test digits the model got wrong with the highest confidence,
                           each with its true and predicted label
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import data
from .config import TrainConfig
from .model import ConfigError, build_model
from .train import (
    PLOT_EXTRA_HINT,
    OneLineParser,
    RunError,
    _one_line,
    matplotlib_is_missing,
    predict,
    read_checkpoint,
    run_command,
)

CONFUSION_NAME = "confusion_matrix.png"
WRONG_NAME = "most_wrong.png"


@dataclass
class Evaluation:
    """What the model got right and wrong on a labelled set."""

    labels: np.ndarray  # (N,) true classes
    predictions: np.ndarray  # (N,) predicted classes
    confidence: np.ndarray  # (N,) softmax probability of the predicted class
    confusion: np.ndarray  # (C, C) counts: row = true class, column = predicted class

    @property
    def accuracy(self) -> float:
        return float(np.mean(self.predictions == self.labels))

    @property
    def per_class_accuracy(self) -> np.ndarray:
        """Recall of each class: correct / examples of that class (NaN for an absent class)."""
        totals = self.confusion.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.diag(self.confusion) / totals

    def most_confident_mistakes(self, count: int) -> np.ndarray:
        """Indices of the wrong predictions, most confident first."""
        wrong = np.flatnonzero(self.predictions != self.labels)
        order = np.argsort(-self.confidence[wrong], kind="stable")
        return wrong[order[:count]]


def evaluate_logits(logits: np.ndarray, labels: np.ndarray) -> Evaluation:
    classes = logits.shape[1]
    shifted = logits - logits.max(axis=1, keepdims=True)
    probabilities = np.exp(shifted)
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    predictions = probabilities.argmax(axis=1)
    confidence = probabilities[np.arange(len(labels)), predictions]
    confusion = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(confusion, (labels, predictions), 1)
    return Evaluation(labels, predictions, confidence, confusion)


def format_report(evaluation: Evaluation) -> str:
    """Accuracy, per-class accuracy and the confusion matrix as plain text."""
    classes = len(evaluation.confusion)
    width = max(5, len(str(evaluation.confusion.max())) + 1)
    lines = [f"test accuracy: {100 * evaluation.accuracy:.2f}% ({len(evaluation.labels)} images)", ""]
    lines.append("per-class accuracy:")
    for digit, value in enumerate(evaluation.per_class_accuracy):
        count = int(evaluation.confusion[digit].sum())
        lines.append(f"  {digit}: {100 * value:6.2f}%  ({count} images)")
    lines.append("")
    lines.append("confusion matrix (rows: true, columns: predicted):")
    lines.append(" " * 6 + "".join(f"{column:>{width}}" for column in range(classes)))
    for row in range(classes):
        lines.append(f"  {row:>2}: " + "".join(f"{value:>{width}}" for value in evaluation.confusion[row]))
    return "\n".join(lines)


def draw_pictures(evaluation: Evaluation, images: np.ndarray, out_dir: Path, count: int) -> list[str]:
    """Confusion matrix and most-confident-mistakes PNGs; returns one line per file written or skipped."""
    try:
        from viz.plots import plot_confusion_matrix, plot_digit_grid
    except ModuleNotFoundError as error:
        if not matplotlib_is_missing(error):
            raise
        return [f"note: no pictures drawn: matplotlib is not installed; {PLOT_EXTRA_HINT}"]
    classes = len(evaluation.confusion)
    accuracy = f"test accuracy {100 * evaluation.accuracy:.2f}%"
    written = plot_confusion_matrix(
        evaluation.confusion,
        out_dir / CONFUSION_NAME,
        labels=[str(c) for c in range(classes)],
        title=f"confusion matrix ({accuracy})",
    )
    lines = [f"wrote {written}"]
    wrong = evaluation.most_confident_mistakes(count)
    if len(wrong) == 0:
        return [*lines, "note: no mistakes to show"]
    written = plot_digit_grid(
        images[wrong],
        evaluation.labels[wrong],
        evaluation.predictions[wrong],
        out_dir / WRONG_NAME,
        title=f"the {len(wrong)} most confident mistakes of {len(evaluation.labels)} test images ({accuracy})",
        confidences=evaluation.confidence[wrong],
    )
    return [*lines, f"wrote {written}"]


def main(argv: list[str] | None = None) -> int:
    parser = OneLineParser(prog="python -m mnist.evaluate", description="Evaluate a checkpoint on the test set.")
    parser.add_argument("checkpoint", help="checkpoint.npz written by mnist.train (or its run folder)")
    parser.add_argument("--data-dir", help="folder of IDX files (default: the checkpoint's, else the shipped MNIST)")
    parser.add_argument("--out", help="folder for the PNGs (default: the checkpoint's folder)")
    parser.add_argument("--wrong", type=int, default=24, help="how many confidently wrong digits to show")
    args = parser.parse_args(argv)
    try:
        checkpoint = read_checkpoint(args.checkpoint)
        config: TrainConfig = checkpoint["config"]
        data_dir = args.data_dir if args.data_dir is not None else config.data_dir
        images, labels = data.load("test", data_dir)
        model = build_model(config.model_spec(), np.random.default_rng(config.seed))
        try:
            model.load_state_dict(checkpoint["model"])
        except (ValueError, RuntimeError) as error:
            raise RunError(f"{checkpoint['path']}: incompatible checkpoint ({_one_line(error)})") from None
        if args.wrong < 0:
            raise ConfigError(f"--wrong must be >= 0, got {args.wrong}")
    except (ConfigError, RunError, data.IDXError) as error:
        print(f"error: {_one_line(error)}", file=sys.stderr)
        return 2
    x = data.to_float(images)
    normalization = checkpoint.get("normalization", {})
    if config.standardize:
        data.standardize(x, normalization["mean"], normalization["std"])
    evaluation = evaluate_logits(predict(model, x), labels.astype(np.int64))
    print(format_report(evaluation))
    out_dir = Path(args.out) if args.out else checkpoint["path"].parent
    out_dir.mkdir(parents=True, exist_ok=True)
    for line in draw_pictures(evaluation, images, out_dir, args.wrong):
        print(line, file=sys.stderr if line.startswith("note:") else sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(run_command(main))
