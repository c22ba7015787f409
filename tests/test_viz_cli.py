"""python -m viz: the command line (the language is tested in test_viz_expression.py, bad input in
test_viz_bad_input.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import viz.cli
from viz.cli import expression_behind_double_dash, main

REPO = Path(__file__).resolve().parent.parent


def run_viz(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "viz", *args], cwd=REPO, capture_output=True, text=True, timeout=120, env=env
    )


# ----- the command line ---------------------------------------------------------------------------


@pytest.mark.needs_dot
def test_cli_writes_the_stepper(tmp_path):
    result = run_viz("tanh(a*b + c) * a", "--values", "a=2,b=-3,c=10", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    frames = sorted(tmp_path.glob("frame-*.svg"))
    assert [path.name for path in frames] == [f"frame-{i:03d}.svg" for i in range(6)]  # forward, 4 ops, end
    page = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert page.count("<svg") == 2  # the picture, and the drawings the other steps swap in
    assert "index.html" in result.stdout


@pytest.mark.needs_dot
def test_cli_graph_only_and_second_order(tmp_path):
    result = run_viz("a*b + c", "--values", "a=2,b=-3,c=10", "--graph-only", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "<svg" in (tmp_path / "graph.svg").read_text(encoding="utf-8")
    assert (tmp_path / "graph.png").read_bytes()[:4] == b"\x89PNG"
    assert not list(tmp_path.glob("frame-*.svg"))

    result = run_viz("sin(x) * x", "--values", "x=1", "--second-order", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    svg = (tmp_path / "second-order.svg").read_text(encoding="utf-8")
    assert "∂f/∂x" in svg and ">cos<" in svg  # d/dx sin(x)·x = cos(x)·x + sin(x): the graph has a cos


@pytest.mark.needs_dot
def test_cli_mnist_draws_the_mlp_by_layer(tmp_path):
    pytest.importorskip("tinygrad_edu.nn")
    result = run_viz("--mnist", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    svg = (tmp_path / "mnist.svg").read_text(encoding="utf-8")
    assert "0: Linear" in svg and "2: Linear" in svg and "weight (128, 784)" in svg
    assert (tmp_path / "mnist.png").stat().st_size > 1000


def test_cli_expression_error_shows_caret_and_exits_2(tmp_path):
    result = run_viz("tanh(a*b + ) * a", "--values", "a=2,b=-3,c=10", "--out", str(tmp_path))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert lines[0].startswith("error at column 12:")
    assert lines[1] == "  tanh(a*b + ) * a"
    assert lines[2] == "  " + " " * 11 + "^"


def test_cli_unknown_name_and_bad_values_exit_2(tmp_path):
    result = run_viz("a * zeta", "--values", "a=2", "--out", str(tmp_path))
    assert result.returncode == 2 and "no value for 'zeta'" in result.stderr and "Traceback" not in result.stderr
    result = run_viz("a * 2", "--values", "a=x", "--out", str(tmp_path))
    assert result.returncode == 2 and "not a number" in result.stderr
    result = run_viz("--out", str(tmp_path))
    assert result.returncode == 2 and "give an expression" in result.stderr


def test_cli_without_dot_says_how_to_install(tmp_path):
    empty = tmp_path / "empty-path"
    empty.mkdir()
    result = run_viz("a*b", "--values", "a=1,b=2", "--out", str(tmp_path / "out"), env={"PATH": str(empty)})
    assert result.returncode == 3
    assert "apt-get install graphviz" in result.stderr and "Traceback" not in result.stderr


def test_a_leading_minus_is_the_expression_not_an_option():
    assert expression_behind_double_dash(["-a*b", "--values", "a=2,b=3"]) == ["--values", "a=2,b=3", "--", "-a*b"]
    assert expression_behind_double_dash(["--mnist", "--seed", "-1"]) == ["--mnist", "--seed", "-1"]  # a value
    assert expression_behind_double_dash(["-h"]) == ["-h"]
    assert expression_behind_double_dash(["--values", "a=1", "--", "-a"]) == ["--values", "a=1", "--", "-a"]
    assert expression_behind_double_dash(["-(x+1)", "--", "--out"]) == ["--", "-(x+1)", "--out"]


@pytest.mark.needs_dot
def test_cli_leading_minus_and_a_program_with_statements(tmp_path):
    result = run_viz("-a*b", "--values", "a=2,b=3", "--out", str(tmp_path / "minus"))
    assert result.returncode == 0, result.stderr
    assert "f = -a*b" in (tmp_path / "minus" / "index.html").read_text(encoding="utf-8")

    program = "z = w1*x1 + w2*x2 + b; p = sigmoid(z); L = -(y*log(p) + (1-y)*log(1-p))"
    result = run_viz(program, "--values", "w1=0.5,x1=1,w2=-1,x2=2,b=0.1,y=1", "--out", str(tmp_path / "neuron"))
    assert result.returncode == 0, result.stderr
    page = (tmp_path / "neuron" / "index.html").read_text(encoding="utf-8")
    assert "Backpropagation through L = -(y*log(p)" in page  # the title: the output's statement
    for statement in ("<code>z = w1*x1 + w2*x2 + b</code>", "<code>p = sigmoid(z)</code>", "<code>L = -(y*log(p)"):
        assert statement in page  # and every statement on the page
    for name in (">z<", ">p<", ">L<", ">w1<"):
        assert name in page.replace("<B>", ">").replace("</B>", "<")


@pytest.mark.needs_dot
def test_cli_steps_softmax_cross_entropy_of_a_vector(tmp_path):
    values = "W=[[1,2],[3,4],[5,6]],x=[1,-1],b=[0,0.5,1]"
    result = run_viz("z = W@x + b; L = -log_softmax(z)[1]", "--values", values, "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    page = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert "backward through log_softmax" in page and "backward through @" in page
    assert "LogSoftmax" not in page and "MatMul" not in page and "reshape" not in page  # no engine words
    assert sorted(path.name for path in tmp_path.iterdir() if path.name.startswith(".")) == []  # no temporary left


@pytest.mark.needs_dot
def test_a_failed_write_leaves_the_old_page_whole(tmp_path, monkeypatch, capsys):
    out = tmp_path / "out"
    assert main(["a*b", "--values", "a=1,b=2", "--out", str(out)]) == 0
    before = (out / "index.html").read_bytes()

    def full_disk(source, target, **kwargs):  # as os.replace says it: both names, the temporary first
        raise OSError(28, "No space left on device", str(source), None, str(target))

    monkeypatch.setattr(viz.cli.os, "replace", full_disk)
    assert main(["a*b + a", "--values", "a=3,b=4", "--out", str(out)]) == 2
    error = capsys.readouterr().err
    (line,) = error.strip().splitlines()  # the first file written, by its own name, not the temporary's
    assert line.startswith("python -m viz: error: --out: could not write ") and ".tmp" not in line
    assert "frame-000.svg" in line and line.endswith(": No space left on device")
    assert (out / "index.html").read_bytes() == before  # the old page, whole
    assert not [path for path in out.iterdir() if path.name.startswith(".")]  # the staging folder is gone


@pytest.mark.needs_dot
def test_ctrl_c_while_drawing_leaves_nothing_half_written(tmp_path, monkeypatch, capsys):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(viz.cli, "export_stepper", interrupted)
    assert main(["a*b", "--values", "a=1,b=2", "--out", str(tmp_path)]) == 130
    assert "interrupted" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_flags_are_checked_before_the_output_folder_is_made(tmp_path):
    result = run_viz("a*b", "--values", "a=1", "--out", str(tmp_path / "never"))
    assert result.returncode == 2 and "no value for 'b'" in result.stderr
    assert not (tmp_path / "never").exists()


def test_staging_folders_of_killed_runs_are_removed(tmp_path):
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = tmp_path / f"{viz.cli.STAGING_PREFIX}{int(finished.stdout)}-abc"
    alive = tmp_path / f"{viz.cli.STAGING_PREFIX}{os.getpid()}-abc"
    for folder in (dead, alive):
        folder.mkdir()
        (folder / "index.html").write_text("<html", encoding="utf-8")  # half written
    viz.cli.remove_stale_staging(tmp_path)
    assert not dead.exists() and alive.exists()


@pytest.mark.needs_dot
def test_graph_only_draws_a_vector_output_that_the_stepper_refuses(tmp_path):
    values = "W=[[1,2],[3,4]],x=[1,2]"
    result = run_viz("y = W@x", "--values", values, "--graph-only", "--out", str(tmp_path / "graph"))
    assert result.returncode == 0, result.stderr
    assert "<svg" in (tmp_path / "graph" / "graph.svg").read_text(encoding="utf-8")
    result = run_viz("y = W@x", "--values", values, "--out", str(tmp_path / "stepper"))
    assert result.returncode == 2 and "the output y has shape (2,)" in result.stderr


@pytest.mark.needs_dot
def test_a_new_page_removes_the_frames_of_the_previous_one_and_nothing_else(tmp_path):
    assert run_viz("tanh(a*b + c) * a", "--values", "a=2,b=-3,c=10", "--out", str(tmp_path)).returncode == 0
    assert len(list(tmp_path.glob("frame-*.svg"))) == 6
    (tmp_path / "frame-notes.svg").write_text("mine", encoding="utf-8")  # not a name the viz writes
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    result = run_viz("a*b", "--values", "a=2,b=3", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    frames = sorted(path.name for path in tmp_path.glob("frame-*.svg"))
    assert frames == ["frame-000.svg", "frame-001.svg", "frame-002.svg", "frame-notes.svg"]
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "mine"


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_a_full_standard_output_is_one_line_and_exit_1(tmp_path):
    with open("/dev/full", "w") as full:
        result = subprocess.run(
            [sys.executable, "-m", "viz", "a*b", "--values", "a=1,b=2", "--graph-only", "--out", str(tmp_path)],
            cwd=REPO,
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )
    assert result.returncode == 1, result.stderr
    assert result.stderr.strip().splitlines() == [
        "python -m viz: error: could not write to standard output: No space left on device"
    ]


# ----- --constants ------------------------------------------------------------------------------------

PERCEPTRON = "h = tanh(w*x + b); E = (h - t)**2"


def test_constants_get_no_gradient_and_are_drawn_as_data(tmp_path, capsys):
    from viz.expression import build
    from viz.graph import graph_structure

    program = build(PERCEPTRON, "w=0.5,b=0,x=2,t=1", constants=["x", "t"])
    assert list(program.leaves) == ["w", "b"] and list(program.constants) == ["x", "t"]
    assert not any(tensor.requires_grad for tensor in program.constants.values())
    program.output.backward()
    assert program.constants["x"].grad is None and program.leaves["w"].grad is not None
    structure = graph_structure(program.output)
    kinds = {structure.display_name(tensor): structure.kinds[structure.value_id(tensor)] for tensor in structure.values}
    assert kinds["x"] == kinds["t"] == "constant" and kinds["w"] == "parameter"
    # as in Python: the same graph built by hand with requires_grad=False gives the same gradient
    import numpy as np

    import tinygrad_edu as tg

    w, b = (tg.Tensor(np.array(v), requires_grad=True) for v in (0.5, 0.0))
    x, t = (tg.Tensor(np.array(v)) for v in (2.0, 1.0))
    ((w * x + b).tanh() - t).pow(2).backward()
    assert program.leaves["w"].grad.item() == pytest.approx(w.grad.item())


@pytest.mark.parametrize(
    "constants, words",
    [
        ("x,q", "--constants: expected inputs of the program (w, b, t, x), got 'q'"),
        ("x,,t", "--constants: expected input names separated by commas"),
        ("w,b,x,t", "--constants: every input is a constant"),
    ],
)
def test_bad_constants_are_one_line_and_exit_2(tmp_path, capsys, constants, words):
    code = main([PERCEPTRON, "--values", "w=0.5,b=0,x=2,t=1", "--constants", constants, "--out", str(tmp_path / "o")])
    error = capsys.readouterr().err
    assert code == 2 and words in error and error.count("\n") == 1
    assert not (tmp_path / "o").exists()  # checked before anything is made
