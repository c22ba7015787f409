"""The build-it-yourself track: start writes a workspace, check grades it. The reference solutions
pass; a planted wrong answer for each op fails with the message that names its mistake; an
untouched workspace is "not written yet" everywhere; bad input exits 2 with one line, no traceback."""

import importlib.util
import inspect
import subprocess
import sys
from pathlib import Path

import pytest

from tinygrad_edu.exercises import EXERCISES, grade, load, solutions, start
from tinygrad_edu.exercises.__main__ import main
from tinygrad_edu.exercises.catalog import find
from tinygrad_edu.exercises.workspace import student_file

STUB = "raise NotImplementedError"


def teacher_solutions():
    """The written-out answers, kept out of the package in teacher/ops_track/solutions.py."""
    path = Path(__file__).resolve().parents[1] / "teacher" / "ops_track" / "solutions.py"
    spec = importlib.util.spec_from_file_location("teacher_ops_track_solutions", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


TEACHER = teacher_solutions()


def write_backward(folder, op, body, forward_saves=None, method="backward"):
    """Replace the stub of ``op``'s ``method`` in the workspace with ``body`` (lines of code), and what
    forward saves with ``forward_saves`` when given."""
    exercise = find(op)
    stub_line = f"{exercise.name}.{method} is not written yet"
    path = folder / exercise.file
    text = path.read_text(encoding="utf-8")
    if forward_saves:
        text = text.replace("ctx.save_for_backward(y)", f"ctx.save_for_backward({forward_saves})")
    lines = text.splitlines()
    stub = next(number for number, line in enumerate(lines) if stub_line in line)
    lines[stub : stub + 1] = [f"        {line}" for line in body.splitlines()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return exercise


@pytest.fixture
def workspace(tmp_path):
    folder = tmp_path / "ops"
    start(folder)
    return folder


@pytest.mark.parametrize("exercise", EXERCISES, ids=[exercise.name for exercise in EXERCISES])
def test_the_reference_solution_is_correct(exercise):
    result = grade(exercise, getattr(solutions, exercise.name))
    assert result.ok, str(result)


@pytest.mark.parametrize("exercise", EXERCISES, ids=[exercise.name for exercise in EXERCISES])
def test_the_teachers_answers_are_correct_and_share_the_exercises_forward(exercise):
    answer = getattr(TEACHER, exercise.name)
    assert grade(exercise, answer).ok
    assert inspect.getsource(answer.forward) == inspect.getsource(getattr(solutions, exercise.name).forward)


def test_the_package_holds_no_written_answer():
    for exercise in EXERCISES:
        for method in ("backward", "jvp"):
            source = inspect.getsource(getattr(getattr(solutions, exercise.name), method))
            assert "library_op" in source or "grad(" in source or "jvp(" in source, f"{exercise.name}.{method}"
        assert "backward:" not in getattr(solutions, exercise.name).__doc__


# One wrong answer per op: the backward body planted in the workspace, and words the message must contain.
PLANTED = {
    "mul": ("a, b = ctx.saved_tensors\nreturn grad_output * a, grad_output * b", "swapped inputs"),
    "div": ("a, b = ctx.saved_tensors\nreturn grad_output / b, grad_output * a / (b * b)", "minus sign is missing"),
    "exp": ("(x,) = ctx.saved_tensors\nreturn grad_output * x", "used the input x where the output", "x"),
    "tanh": ("(y,) = ctx.saved_tensors\nreturn grad_output * (1 - y)", "forgot the square"),
    "sigmoid": ("(y,) = ctx.saved_tensors\nreturn y * (1 - y)", "grad_output is missing"),
    "matmul": ("a, b = ctx.saved_tensors\nreturn grad_output @ b, a.T @ grad_output", "let the shapes guide you"),
    "sum": ("return grad_output.broadcast_to(ctx.input_shape)", "without putting the summed axis back"),
    "softmax_cross_entropy": (
        "(logits,) = ctx.saved_tensors\n"
        "onehot = np.eye(3)[ctx.targets]\n"
        "return (logits.softmax(axis=1) - onehot) * grad_output, None",
        "forgot to divide by N",
    ),
}


def test_every_op_has_a_planted_mistake():
    assert sorted(PLANTED) == sorted(exercise.file.removesuffix(".py") for exercise in EXERCISES)


@pytest.mark.parametrize("op", sorted(PLANTED))
def test_a_planted_mistake_fails_with_its_message(workspace, op):
    body, expected, *forward_saves = PLANTED[op]
    exercise = write_backward(workspace, op, body, *forward_saves)
    result = grade(exercise, load(workspace, exercise))
    assert not result.ok
    assert result.status == "wrong"
    assert expected in result.message, result.message


# One wrong jvp per op, and words the message must contain.
PLANTED_JVP = {
    "mul": ("a, b = ctx.saved_tensors\nreturn a_dot * b", "only a's term"),
    "div": ("a, b = ctx.saved_tensors\nreturn a_dot / b + b_dot * a / (b * b)", "the minus sign is missing"),
    "exp": ("(y,) = ctx.saved_tensors\nreturn y", "the tangent is missing"),
    "tanh": ("(y,) = ctx.saved_tensors\nreturn x_dot * (1 - y)", "forgot the square"),
    "sigmoid": ("(y,) = ctx.saved_tensors\nreturn -x_dot * y * (1 - y)", "a sign error"),
    "matmul": ("a, b = ctx.saved_tensors\nreturn a @ b_dot", "only b's term"),
    "sum": ("return x_dot.sum()", "summed the tangent over every axis"),
    "softmax_cross_entropy": (
        "(logits,) = ctx.saved_tensors\n"
        "onehot = np.eye(3)[ctx.targets]\n"
        "return ((logits.softmax(axis=1) - onehot) * logits_dot).sum()",
        "forgot to divide by N",
    ),
}


@pytest.mark.parametrize("op", sorted(PLANTED_JVP))
def test_a_planted_jvp_mistake_fails_with_its_message(workspace, op):
    assert sorted(PLANTED_JVP) == sorted(PLANTED)
    body, expected = PLANTED_JVP[op]
    exercise = write_backward(workspace, op, body, method="jvp")
    result = grade(exercise, load(workspace, exercise))
    assert result.status == "wrong"
    assert "backward: not written yet" in result.message
    jvp_line = next(line for line in result.message.splitlines() if line.startswith("jvp: wrong"))
    assert "the output's tangent is wrong at element" in jvp_line, result.message
    assert expected in result.message, result.message


def test_a_correct_backward_without_its_jvp_is_half_done(workspace):
    exercise = write_backward(workspace, "mul", "a, b = ctx.saved_tensors\nreturn grad_output * b, grad_output * a")
    result = grade(exercise, load(workspace, exercise))
    assert result.status == "half done"
    assert result.message.splitlines()[0] == "backward: correct"
    assert result.message.splitlines()[1].startswith("jvp: not written yet")


def test_the_message_names_the_input_the_element_and_the_values_there(workspace):
    exercise = write_backward(
        workspace, "div", "a, b = ctx.saved_tensors\nreturn grad_output / b, grad_output * a / (b * b)"
    )
    message = grade(exercise, load(workspace, exercise)).message
    assert "the gradient of b (input 1) is wrong at element (" in message
    assert "a = " in message and "b = " in message and "grad_output = " in message
    assert "you gave " in message and "the right value is " in message


def test_a_backward_that_returns_numpy_is_right_to_first_order_only(workspace):
    exercise = write_backward(workspace, "exp", "(y,) = ctx.saved_tensors\nreturn grad_output.data * y.data")
    message = grade(exercise, load(workspace, exercise)).message
    assert "first derivatives are right" in message and "'gradgradcheck'" in message
    assert "Likely mistake: Exp.backward returns a NumPy ndarray for input 0" in message


def test_a_value_kept_on_ctx_is_cut_off_from_the_graph(workspace):
    exercise = find("tanh")
    path = workspace / exercise.file
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "ctx.save_for_backward(y)", "ctx.save_for_backward(y)\n        ctx.y = y"
        ),
        encoding="utf-8",
    )
    write_backward(workspace, "tanh", "return grad_output * (1 - Tensor(ctx.y) ** 2)")
    message = grade(exercise, load(workspace, exercise)).message
    assert "Likely mistake: Tanh.backward's gradient for input 0 does not depend on the op's inputs" in message


def test_a_sign_error_is_named(workspace):
    exercise = write_backward(workspace, "sigmoid", "(y,) = ctx.saved_tensors\nreturn grad_output * y * (y - 1)")
    assert "a sign error" in grade(exercise, load(workspace, exercise)).message


def test_the_workspace_is_the_solutions_without_the_backward():
    for exercise in EXERCISES:
        text = student_file(exercise)
        assert f"class {exercise.name}(Function):" in text
        assert "def forward" in text and STUB in text
        assert "backward:" not in text, f"{exercise.file} gives the answer away in its docstring"


def test_start_then_check_an_untouched_workspace_reports_every_op_not_written(tmp_path, capsys):
    assert main(["start", str(tmp_path / "ops")]) == 0
    capsys.readouterr()
    assert main(["check", str(tmp_path / "ops")]) == 1
    printed = capsys.readouterr().out
    assert printed.count("not written yet") == len(EXERCISES)
    assert f"0 of {len(EXERCISES)} ops correct" in printed


def test_check_counts_the_correct_ops_and_exits_0_when_all_are(workspace, capsys):
    for exercise in EXERCISES:
        (workspace / exercise.file).write_text(solved_file(exercise), encoding="utf-8")
    assert main(["check", str(workspace), "mul", "sum"]) == 0
    assert "2 of 2 ops correct" in capsys.readouterr().out
    (workspace / "exp.py").write_text(student_file(find("exp")), encoding="utf-8")
    write_backward(workspace, "exp", "(y,) = ctx.saved_tensors\nreturn -grad_output * y")
    (workspace / "tanh.py").write_text("def backward(:\n", encoding="utf-8")
    assert main(["check", str(workspace)]) == 1
    printed = capsys.readouterr().out
    assert "Tanh                 does not load\n    SyntaxError" in printed
    assert "Exp                  wrong" in printed
    assert f"{len(EXERCISES) - 2} of {len(EXERCISES)} ops correct" in printed


def solved_file(exercise):
    """The workspace file of ``exercise`` with the reference backward and jvp written in."""
    text = student_file(exercise)
    for method in ("backward", "jvp"):
        source = inspect.getsource(getattr(getattr(TEACHER, exercise.name), method))
        body = source.split("\n", 2)[2].rstrip()  # after the decorator and the def line
        lines = text.splitlines()
        stub = next(number for number, line in enumerate(lines) if f"{exercise.name}.{method} is not" in line)
        text = "\n".join(lines[:stub] + [body] + lines[stub + 1 :]) + "\n"
    return text


@pytest.mark.parametrize(
    "arguments, named",
    [
        (["check", "{tmp}/missing"], "DIR"),
        (["check", "{tmp}"], "DIR"),
        (["start", "{tmp}"], "DIR"),
        (["check", "{workspace}", "relu"], "OP"),
    ],
    ids=["check-missing-dir", "check-not-a-workspace", "start-into-non-empty", "unknown-op"],
)
def test_bad_input_exits_2_with_one_line_and_no_traceback(tmp_path, arguments, named):
    start(tmp_path / "ops")
    (tmp_path / "notes.txt").write_text("mine\n", encoding="utf-8")
    arguments = [argument.format(tmp=tmp_path, workspace=tmp_path / "ops") for argument in arguments]
    result = subprocess.run(
        [sys.executable, "-m", "tinygrad_edu.exercises", *arguments], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and named in result.stderr
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "mine\n"
