"""python -m mnist.evaluate: accuracy, per-class accuracy, confusion matrix, the pictures."""

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mnist.evaluate import evaluate_logits, format_report

REPO_ROOT = Path(__file__).resolve().parent.parent
ENV = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")


def run_module(module, *args):
    return subprocess.run(
        [sys.executable, "-m", module, *map(str, args)],
        cwd=REPO_ROOT,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_evaluate_logits_counts_and_confidence():
    logits = np.array([[5.0, 0.0, 0.0], [0.0, 4.0, 0.0], [0.0, 0.0, 1.0], [9.0, 0.0, 0.0]])
    labels = np.array([0, 2, 2, 1])
    evaluation = evaluate_logits(logits, labels)
    assert evaluation.accuracy == 0.5
    np.testing.assert_array_equal(evaluation.confusion, [[1, 0, 0], [1, 0, 0], [0, 1, 1]])
    np.testing.assert_allclose(evaluation.per_class_accuracy, [1.0, 0.0, 0.5])
    # the two mistakes, most confident first: row 3 (logit 9) before row 1 (logit 4)
    np.testing.assert_array_equal(evaluation.most_confident_mistakes(5), [3, 1])
    report = format_report(evaluation)
    assert "test accuracy: 50.00% (4 images)" in report and "confusion matrix" in report


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("evaluate") / "run"
    result = run_module(
        *("mnist.train", "--arch", "784-32-10", "--limit", "3000", "--epochs", "2", "--lr", "0.01"),
        *("--no-progress", "--out", out),
    )
    assert result.returncode == 0, result.stderr
    return out


def test_evaluate_command(trained_run):
    result = run_module("mnist.evaluate", trained_run / "checkpoint.npz")
    assert result.returncode == 0, result.stderr
    accuracy = float(re.search(r"test accuracy: ([\d.]+)%", result.stdout).group(1))
    assert accuracy > 80
    assert result.stdout.count("images)") == 11  # the total and each of the ten digits
    rows = [line for line in result.stdout.splitlines() if re.match(r"\s+\d+: +\d+( +\d+){9}$", line)]
    assert len(rows) == 10
    assert sum(sum(int(value) for value in row.split(":")[1].split()) for row in rows) == 10000
    assert (trained_run / "confusion_matrix.png").stat().st_size > 1000
    assert (trained_run / "most_wrong.png").stat().st_size > 1000
