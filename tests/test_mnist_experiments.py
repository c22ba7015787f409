"""python -m mnist.experiments: each comparison as a markdown table plus a plot, on quick settings."""

import json

import pytest
from test_mnist_evaluate import run_module  # python -m MODULE ARGS, from the repository, one BLAS thread

from mnist.experiments import EXPERIMENTS, PRESETS, markdown_table


def experiments(*args):
    return run_module("mnist.experiments", *args)


def test_the_experiments_asked_for():
    assert sorted(EXPERIMENTS) == ["activation", "arch", "loss", "lr", "optimizer"]
    arch_labels = [label for label, _ in EXPERIMENTS["arch"].runs]
    assert arch_labels == ["784-10", "784-10-10", "784-64-10", "784-128-10", "784-256-128-10"]
    assert [label for label, _ in EXPERIMENTS["activation"].runs] == ["sigmoid", "tanh", "relu"]
    assert {"fullbatch", "tiny", "nielsen", "best"} <= set(PRESETS)


@pytest.mark.parametrize("name", ["arch", "optimizer"])
def test_experiment_writes_table_and_plot(tmp_path, name):
    result = experiments(name, "--epochs", 1, "--limit", 1000, "--out", tmp_path)
    assert result.returncode == 0, result.stderr
    table = (tmp_path / "results.md").read_text()
    rows = [line for line in table.splitlines() if line.startswith("| ") and not line.startswith("| run")]
    assert len(rows) == len(EXPERIMENTS[name].runs)
    assert table in result.stdout + "\n"
    assert (tmp_path / f"{name}.png").stat().st_size > 1000
    results = json.loads((tmp_path / "results.json").read_text())["results"]
    assert all(0.1 < run["test_accuracy"] <= 1 for run in results)


def test_preset_runs_with_quick_settings(tmp_path):
    result = experiments("--preset", "fullbatch", "--epochs", 3, "--limit", 500, "--out", tmp_path)
    assert result.returncode == 0, result.stderr
    assert "784-64-10 full-batch GD" in (tmp_path / "results.md").read_text()


def test_diverged_run_is_reported_not_fatal():
    results = [
        {"label": "lr 100", "diverged": "the loss became nan", "history": [], "train_seconds": 0.1},
    ]
    assert "| lr 100 | 0 | diverged |" in markdown_table(results)
