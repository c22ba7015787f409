"""Installs that hang together: each extra does what its name says, a missing one is named in one line, and
every command ends quietly when its reader goes away (python -m mnist.train --help | head -1)."""

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
WITHOUT_GRAPHVIZ = "import sys; sys.modules['graphviz'] = None  # import graphviz now fails, as when not installed\n"


def python(code, **kwargs):
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120, **kwargs)


def test_the_extras_bring_what_their_names_say():
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["optional-dependencies"]
    assert extras["viz"] == ["graphviz"]
    assert extras["plot"] == ["matplotlib"]
    assert {"jupyterlab", "jupytext", "ipykernel", "graphviz", "matplotlib"} <= set(extras["notebook"])
    assert {"pytest", "jupytext", "nbconvert", "nbclient", "playwright", "graphviz", "matplotlib"} <= set(
        extras["test"]
    )
    assert {"tinygrad_edu[test]", "ruff", "mypy"} <= set(extras["dev"])


def test_the_plots_work_without_graphviz(tmp_path):
    result = python(
        WITHOUT_GRAPHVIZ + "from viz.plots import plot_training_curves\n"
        f"plot_training_curves([{{'epoch': 1, 'train_loss': 0.5, 'test_accuracy': 0.9}}], r'{tmp_path / 'c.png'}')\n"
        "import viz\n"
        "try:\n"
        "    viz.draw_graph\n"
        "except ModuleNotFoundError as error:\n"
        "    print(error)\n"
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "c.png").stat().st_size > 1000
    assert (
        result.stdout == 'viz.draw_graph: drawing graphs needs the graphviz package: pip install "tinygrad_edu[viz]"\n'
    )


def test_python_m_viz_without_graphviz_names_the_extra_in_one_line():
    result = python(WITHOUT_GRAPHVIZ + "import runpy; runpy.run_module('viz', run_name='__main__')")
    assert result.returncode == 3
    assert result.stderr == 'error: python -m viz needs the graphviz package: pip install "tinygrad_edu[viz]"\n'
    assert result.stdout == ""


def test_training_without_matplotlib_names_the_plot_extra(tmp_path):
    code = (
        "import sys; sys.modules['matplotlib'] = None\n"
        "from mnist.training import plot_curves\n"
        "from pathlib import Path\n"
        f"print(plot_curves([{{'epoch': 1, 'train_loss': 0.5}}], Path(r'{tmp_path}') / 'c.png'))\n"
    )
    result = python(code)
    assert result.returncode == 0, result.stderr
    assert (
        result.stdout.strip()
        == 'note: no curves plotted: matplotlib is not installed; pip install "tinygrad_edu[plot]"'
    )


@pytest.mark.parametrize("command", ["mnist.train", "mnist.evaluate", "mnist.experiments", "viz", "mnist.model"])
def test_piping_help_into_a_closed_reader_ends_quietly(command):
    environment = {key: value for key, value in os.environ.items() if key != "PYTHONUNBUFFERED"}  # buffered, as usual
    process = subprocess.Popen(
        [sys.executable, "-m", command, "--help"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    process.stdout.close()  # the reader leaves before the command has written anything, as head -1 soon does
    stderr = process.stderr.read().decode()
    process.wait(timeout=120)
    assert "Traceback" not in stderr and "BrokenPipeError" not in stderr, stderr
    assert stderr == ""


def test_piping_evaluate_into_head_ends_quietly(tmp_path):
    train = subprocess.run(
        [sys.executable, "-m", "mnist.train", "--arch", "784-8-10", "--epochs", "1", "--limit", "500"]
        + ["--out", str(tmp_path / "run"), "--no-progress"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert train.returncode == 0, train.stderr
    result = subprocess.run(
        f"{sys.executable} -m mnist.evaluate {tmp_path / 'run'} | head -1",
        shell=True,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.stdout.startswith("test accuracy:")
    assert result.stderr == ""  # no BrokenPipeError, whether the reader left early or late
    full = subprocess.run(
        [sys.executable, "-m", "mnist.evaluate", str(tmp_path / "run"), "--out", str(tmp_path / "again")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert f"wrote {tmp_path / 'again' / 'confusion_matrix.png'}" in full.stdout
    assert f"wrote {tmp_path / 'again' / 'most_wrong.png'}" in full.stdout


@pytest.mark.parametrize("command", ["mnist.train", "mnist.evaluate", "mnist.experiments", "viz"])
def test_help_is_plain_text(command):
    result = subprocess.run([sys.executable, "-m", command, "--help"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "``" not in result.stdout, "reStructuredText markup in --help"
    assert result.stdout.startswith(f"usage: python -m {command}")


def test_experiments_and_evaluate_without_matplotlib_name_the_plot_extra(tmp_path):
    code = (
        "import sys; sys.modules['matplotlib'] = None\n"
        "from pathlib import Path\n"
        "import numpy as np\n"
        "from mnist.evaluate import draw_pictures, evaluate_logits\n"
        "from mnist.experiments import plot_results\n"
        f"print(plot_results([], 'lr', Path(r'{tmp_path}') / 'lr.png'))\n"
        "evaluation = evaluate_logits(np.eye(3), np.arange(3))\n"
        f"print(draw_pictures(evaluation, np.zeros((3, 28, 28)), Path(r'{tmp_path}'), 3)[0])\n"
    )
    result = python(code)
    assert result.returncode == 0, result.stderr
    hint = 'matplotlib is not installed; pip install "tinygrad_edu[plot]"'
    assert result.stdout.splitlines() == [f"note: no plot drawn: {hint}", f"note: no pictures drawn: {hint}"]
    assert list(tmp_path.iterdir()) == []
