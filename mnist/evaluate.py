"""Evaluate a trained checkpoint on the test set: ``python -m mnist.evaluate CKPT``.

    python -m mnist.evaluate runs/20261122-021500/checkpoint.npz

Prints the accuracy, the accuracy of each digit and the confusion matrix (rows: true digit,
columns: predicted digit), and writes two pictures next to the checkpoint (or into --out):

    confusion_matrix.png   the matrix as a heat map
    most_wrong.png         the test digits the model got wrong with the highest confidence,
                           each with its true and predicted label

Every input is checked before the test set is read: the checkpoint (each entry, see
mnist/checkpoint.py), the output folder (created if needed), ``--wrong`` (0 to 400). A checkpoint
whose weights hold NaN or infinite values is refused (exit code 2): such a model predicts
nothing, and an accuracy printed for it would hide that training went wrong.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import data
from .checkpoint import RunError, read_checkpoint
from .cli import OneLineParser, check_data_dir, check_not_empty, check_whole, one_line, run_command, run_main
from .config import TrainConfig
from .files import prepare_folder, remove_empty, remove_temporaries, write_picture
from .model import ConfigError, build_model
from .training import PLOT_EXTRA_HINT, matplotlib_is_missing, predict

CONFUSION_NAME = "confusion_matrix.png"
WRONG_NAME = "most_wrong.png"
STALE_SECONDS = 600
MAX_WRONG = 400  # digits in the picture of mistakes: beyond this, drawing takes minutes and shows nothing


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
    labels = [str(c) for c in range(classes)]
    confusion = evaluation.confusion
    write_picture(
        lambda path: plot_confusion_matrix(confusion, path, labels=labels, title=f"confusion matrix ({accuracy})"),
        out_dir / CONFUSION_NAME,
    )
    lines = [f"wrote {out_dir / CONFUSION_NAME}"]
    wrong = evaluation.most_confident_mistakes(count)
    if len(wrong) == 0:
        return [*lines, "note: no mistakes to show"]
    true_labels, predictions = evaluation.labels[wrong], evaluation.predictions[wrong]
    title = f"the {len(wrong)} most confident mistakes of {len(evaluation.labels)} test images ({accuracy})"
    write_picture(
        lambda path: plot_digit_grid(
            images[wrong], true_labels, predictions, path, title=title, confidences=evaluation.confidence[wrong]
        ),
        out_dir / WRONG_NAME,
    )
    return [*lines, f"wrote {out_dir / WRONG_NAME}"]


def main(argv: list[str] | None = None) -> int:
    parser = OneLineParser(prog="python -m mnist.evaluate", description="Evaluate a checkpoint on the test set.")
    parser.add_argument("checkpoint", help="checkpoint.npz written by mnist.train (or its run folder)")
    parser.add_argument("--data-dir", help="folder of IDX files (default: the checkpoint's, else the shipped MNIST)")
    parser.add_argument("--out", help="folder for the PNGs (default: the checkpoint's folder)")
    parser.add_argument("--wrong", type=int, default=24, help="how many confidently wrong digits to show")
    args = parser.parse_args(argv)
    return run_command(lambda: evaluate(args))


def evaluate(args: argparse.Namespace) -> int:
    check_not_empty("checkpoint", args.checkpoint, "a checkpoint file or run folder")
    check_not_empty("--data-dir", args.data_dir, "a folder path")
    check_not_empty("--out", args.out, "a folder")
    check_whole("--wrong", args.wrong, 0, MAX_WRONG)
    checkpoint = read_checkpoint(args.checkpoint, flag="checkpoint")
    config: TrainConfig = checkpoint["config"]
    data_dir = args.data_dir if args.data_dir is not None else config.data_dir
    check_data_dir("--data-dir", data_dir)
    out_dir = Path(args.out) if args.out is not None else checkpoint["path"].parent
    created = prepare_folder(out_dir, "--out")
    # pictures of an earlier evaluation killed mid-write; not locked, so only stale ones (another
    # evaluation may be writing into the same folder right now)
    remove_temporaries(out_dir, (CONFUSION_NAME, WRONG_NAME), older_than=STALE_SECONDS)
    try:
        images, labels = data.load("test", data_dir)
        model = build_model(config.model_spec(), np.random.default_rng(config.seed))
        try:
            model.load_state_dict(checkpoint["model"])
        except (ValueError, RuntimeError, KeyError) as error:
            raise RunError(f"checkpoint {checkpoint['path']}: incompatible checkpoint ({one_line(error)})") from None
        classes = config.arch[-1]
        if int(labels.max(initial=0)) >= classes:
            raise ConfigError(
                f"--data-dir {data_dir}: expected labels below {classes} (the model's outputs), got labels up to "
                f"{int(labels.max())}"
            )
    except BaseException:
        remove_empty(created)
        raise
    x = data.to_float(images)
    if config.standardize:
        data.standardize(x, checkpoint["normalization"]["mean"], checkpoint["normalization"]["std"])
    evaluation = evaluate_logits(predict(model, x), labels.astype(np.int64))
    print(format_report(evaluation))
    for line in draw_pictures(evaluation, images, out_dir, args.wrong):
        print(line, file=sys.stderr if line.startswith("note:") else sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(run_main(main))
