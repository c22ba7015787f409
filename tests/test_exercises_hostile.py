"""The grader against hostile and clumsy students: code that loops, sleeps, allocates, exits or
changes the grader is graded (wrong, with a message), never obeyed; start and check end in one
line on any failure; the messages of three common mistakes say what is wrong."""

import errno
import os
import shutil
import subprocess
import sys

import pytest
from test_exercises import solved_file, write_backward

from tinygrad_edu.exercises import grade, isolated, load, start, workspace
from tinygrad_edu.exercises.__main__ import main
from tinygrad_edu.exercises.catalog import find

# op: (method, body planted there, words its message must contain)
HOSTILE = {
    "mul": ("backward", "while True:\n    pass", "time limit of 1 s"),
    "div": ("jvp", "import time\ntime.sleep(1000)", "time limit of 1 s"),
    "exp": ("backward", "import numpy\nreturn numpy.ones(1 << 29), None", "MemoryError"),
    "tanh": ("backward", "import sys\nsys.exit(0)", "tried to end the process: called sys.exit(0)"),
    "sigmoid": ("backward", "import os\nos._exit(0)", "tried to end the process"),
    "matmul": ("backward", "raise KeyboardInterrupt", "raised KeyboardInterrupt"),
}


def test_hostile_student_code_is_graded_not_obeyed(tmp_path, capsys):
    folder = tmp_path / "ops"
    start(folder)
    for op, (method, body, _) in HOSTILE.items():
        write_backward(folder, op, body, method=method)
    with open(folder / "sum.py", "a", encoding="utf-8") as file:
        file.write("raise SystemExit(0)\n")
    # A wrong backward, and the grading functions replaced by ones that call everything correct.
    sce = folder / "softmax_cross_entropy.py"
    sce.write_text(
        solved_file(find("softmax_cross_entropy")).replace("/ count, None", "* 2 / count, None")
        + "\nimport tinygrad_edu.exercises.grading as grading\n"
        "grading.judge = lambda exercise, op: {'backward': None, 'jvp': None}\n"
        "grading.grade = lambda exercise, op: grading.Grade(exercise, grading.CORRECT)\n",
        encoding="utf-8",
    )
    # The two that loop or sleep under a short limit, the others under the usual one (a busy machine).
    assert main(["check", str(folder), "mul", "div", "--seconds", "1"]) == 1
    printed = capsys.readouterr().out
    assert "0 of 2 ops correct" in printed
    assert main(["check", str(folder), "exp", "tanh", "sigmoid", "matmul", "sum", "softmax_cross_entropy"]) == 1
    printed += capsys.readouterr().out
    assert "0 of 6 ops correct" in printed
    blocks = grades(printed)
    for op, (_, _, says) in HOSTILE.items():
        assert says in blocks[find(op).name], (op, printed)
    assert (
        blocks["Sum"].startswith("Sum                  wrong\n    sum.py (loading it") and "SystemExit" in blocks["Sum"]
    )
    assert blocks["SoftmaxCrossEntropy"].startswith("SoftmaxCrossEntropy  wrong")
    assert "change the grader?" in blocks["SoftmaxCrossEntropy"]


def grades(printed):
    """What check printed, as {op name: its block of lines}."""
    blocks, name = {}, ""
    for line in printed.splitlines():
        if line.startswith("    "):
            blocks[name] += "\n" + line
        elif line.strip():
            name = line.split()[0]
            blocks[name] = line
    return blocks


def test_ctrl_c_during_check_ends_in_one_line_and_exit_130(tmp_path, capsys, monkeypatch):
    start(tmp_path / "ops")

    def interrupted(*arguments):
        raise KeyboardInterrupt

    monkeypatch.setattr(isolated, "grade_file", interrupted)
    assert main(["check", str(tmp_path / "ops")]) == 130
    assert capsys.readouterr().err.strip() == "interrupted (Ctrl-C): nothing was changed"


def test_start_on_a_dangling_symlink_is_refused_in_one_line(tmp_path, capsys):
    (tmp_path / "ops").symlink_to(tmp_path / "nowhere")
    assert main(["start", str(tmp_path / "ops")]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "symbolic link to nothing" in error


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EACCES, errno.EROFS])
def test_start_on_a_full_or_read_only_disk_writes_nothing_and_can_be_run_again(tmp_path, capsys, monkeypatch, code):
    written = []
    write = workspace.write_atomically

    def fails_on_the_third_file(path, text):
        if len(written) == 2:
            raise OSError(code, "simulated")
        written.append(path)
        return write(path, text)

    monkeypatch.setattr(workspace, "write_atomically", fails_on_the_third_file)
    assert main(["start", str(tmp_path / "ops")]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "cannot write DIR" in error and "nothing was written" in error
    assert list(tmp_path.iterdir()) == []  # no half-written workspace, no leftover temporary folder
    monkeypatch.setattr(workspace, "write_atomically", write)
    assert main(["start", str(tmp_path / "ops")]) == 0


# Three mistakes whose message used to mislead:
# (op, backward planted, words the message must contain, words it must not)
MISLEADING = [
    ("sum", "return grad_output", "a gradient has its input's shape (4, 4)", "shaped like the op's output"),
    ("exp", "(y,) = ctx.saved_tensors\nreturn grad_output * Tensor(y.data)", "computes with NumPy", "kept on ctx"),
    (
        "softmax_cross_entropy",
        "(logits,) = ctx.saved_tensors\nonehot = Tensor(np.eye(3)[ctx.targets])\n"
        "return (logits.softmax(axis=1) - onehot) * grad_output / 4, None",
        "a float64 constant",
        "\0",
    ),
]


@pytest.mark.parametrize("op, body, says, not_says", MISLEADING, ids=[row[0] for row in MISLEADING])
def test_the_message_of_a_common_mistake_says_what_is_wrong(tmp_path, op, body, says, not_says):
    start(tmp_path / "ops")
    exercise = write_backward(tmp_path / "ops", op, body)
    message = grade(exercise, load(tmp_path / "ops", exercise)).message
    assert says in message and not_says not in message, message


def test_start_and_check_without_permission_end_in_one_line(tmp_path):
    """As a user without write (or read) permission: root runs it without the capabilities that ignore them."""
    start(tmp_path / "ops")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    (tmp_path / "ops").chmod(0o000)
    prefix = []
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("running as root without setpriv (util-linux): permissions cannot be tested")
        prefix = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", "--"]
    try:
        for command, folder in (("start", locked / "ops"), ("check", tmp_path / "ops")):
            result = subprocess.run(
                [*prefix, sys.executable, "-m", "tinygrad_edu.exercises", command, str(folder)],
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
            assert result.stderr.count("\n") == 1 and "Permission denied" in result.stderr
    finally:
        (tmp_path / "ops").chmod(0o755)
    assert list(locked.iterdir()) == []


@pytest.mark.parametrize("flag, value", [("--seconds", "0"), ("--seconds", "nan"), ("--memory-mb", "1")])
def test_a_limit_out_of_range_is_refused_in_one_line(tmp_path, capsys, flag, value):
    start(tmp_path / "ops")
    assert main(["check", str(tmp_path / "ops"), flag, value]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and flag in error and value in error
