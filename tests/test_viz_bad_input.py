"""python -m viz given bad input: every case exits 2 with a one-line message that names the flag.

One table, one test. Each row runs ``python -m viz ...`` in a subprocess and checks that it
exits with code 2, prints no Python traceback, and says in one line what is wrong, naming the
flag (or, for a mistake in the expression, points at its column with a caret). Rows with a
``fault`` run the same command with a fault injected before viz starts (a read-only folder, a
disk that fills up while the page is written), since a test running as root cannot make a
folder read-only with chmod.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
LONG = 16_384  # a name or number this long once crashed Graphviz's dot

# Python run before viz's own main(), in the subprocess: {target} is the folder under which the
# fault happens. "read-only": creating anything under it fails with EACCES. "disk-full": writing
# an .html file under it stops half way with ENOSPC.
FAULTS = {
    "read-only": """
import builtins, errno, io, os
target = os.path.realpath({target!r})
def under(path):
    return os.path.realpath(os.fspath(path)).startswith(target)
def refuse(path):
    raise PermissionError(errno.EACCES, "Permission denied", os.fspath(path))
real_open, real_os_open, real_mkdir = io.open, os.open, os.mkdir
def fake_open(file, mode="r", *args, **kwargs):
    if isinstance(file, (str, bytes, os.PathLike)) and under(file) and any(c in mode for c in "wax+"):
        refuse(file)
    return real_open(file, mode, *args, **kwargs)
def fake_os_open(path, flags, *args, **kwargs):
    if under(path) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
        refuse(path)
    return real_os_open(path, flags, *args, **kwargs)
def fake_mkdir(path, *args, **kwargs):
    if under(path) and os.path.realpath(os.fspath(path)) != target:
        refuse(path)
    return real_mkdir(path, *args, **kwargs)
builtins.open = io.open = fake_open
os.open = fake_os_open
os.mkdir = fake_mkdir
""",
    "disk-full": """
import builtins, errno, io, os
target = os.path.realpath({target!r})
real_open = io.open
class HalfWritten:
    def __init__(self, file):
        self.file = file
    def write(self, data):
        self.file.write(data[: len(data) // 2])
        self.file.flush()
        raise OSError(errno.ENOSPC, "No space left on device")
    def __getattr__(self, name):
        return getattr(self.file, name)
    def __enter__(self):
        return self
    def __exit__(self, *exc):
        self.file.close()
def fake_open(file, mode="r", *args, **kwargs):
    opened = real_open(file, mode, *args, **kwargs)
    if (isinstance(file, (str, bytes, os.PathLike)) and os.fspath(file).endswith(".html")
            and os.path.realpath(os.fspath(file)).startswith(target) and "w" in mode):
        return HalfWritten(opened)
    return opened
builtins.open = io.open = fake_open
""",
}

RUN_VIZ = """
import runpy, sys
sys.argv = ["python -m viz", *sys.argv[1:]]
runpy.run_module("viz", run_name="__main__", alter_sys=True)
"""

NEURON = "z = w1*x1 + w2*x2 + b; p = sigmoid(z); L = -(y*log(p) + (1-y)*log(1-p))"
NEURON_VALUES = "w1=0.5,x1=1,w2=-1,x2=2,b=0.1,y=1"

# (id, arguments, words the message must contain, fault). "{tmp}" is a fresh folder, "{file}" a
# file that exists in it.
CASES = [
    # --out: not a folder, or not writable
    ("out-is-a-file", ["a*b", "--values", "a=1,b=2", "--out", "{file}"], ["--out"], None),
    ("out-is-dev-null", ["a*b", "--values", "a=1,b=2", "--out", "/dev/null"], ["--out"], None),
    ("out-under-a-file", ["a*b", "--values", "a=1,b=2", "--out", "{file}/sub"], ["--out"], None),
    ("out-empty", ["a*b", "--values", "a=1,b=2", "--out", ""], ["--out"], None),
    ("out-name-too-long", ["a*b", "--values", "a=1,b=2", "--out", "{tmp}/" + "d" * 5000], ["--out"], None),
    ("out-read-only", ["a*b", "--values", "a=1,b=2", "--out", "{tmp}/ro"], ["--out"], "read-only"),
    ("out-read-only-subfolder", ["a*b", "--values", "a=1,b=2", "--out", "{tmp}/ro/new"], ["--out"], "read-only"),
    ("out-disk-full", ["a*b", "--values", "a=1,b=2", "--out", "{tmp}/full"], ["--out"], "disk-full"),
    (
        "worksheet-read-only",
        [NEURON, "--values", NEURON_VALUES, "--worksheet", "--out", "{tmp}/ro"],
        ["--out"],
        "read-only",
    ),
    # --mnist's numbers
    ("seed-negative", ["--mnist", "--seed", "-1", "--out", "{tmp}/o"], ["--seed"], None),
    ("seed-not-a-number", ["--mnist", "--seed", "one", "--out", "{tmp}/o"], ["--seed"], None),
    ("seed-huge", ["--mnist", "--seed", "9" * 40, "--out", "{tmp}/o"], ["--seed"], None),
    ("batch-size-huge", ["--mnist", "--batch-size", "1000000000", "--out", "{tmp}/o"], ["--batch-size"], None),
    ("batch-size-30-digits", ["--mnist", "--batch-size", "9" * 30, "--out", "{tmp}/o"], ["--batch-size"], None),
    ("batch-size-zero", ["--mnist", "--batch-size", "0", "--out", "{tmp}/o"], ["--batch-size"], None),
    ("batch-size-negative", ["--mnist", "--batch-size", "-4", "--out", "{tmp}/o"], ["--batch-size"], None),
    ("batch-size-float", ["--mnist", "--batch-size", "2.5", "--out", "{tmp}/o"], ["--batch-size"], None),
    # flags that would be ignored
    ("seed-without-mnist", ["a*b", "--values", "a=1,b=2", "--seed", "3", "--out", "{tmp}/o"], ["--seed"], None),
    (
        "batch-size-without-mnist",
        ["a*b", "--values", "a=1,b=2", "--batch-size", "3", "--out", "{tmp}/o"],
        ["--batch-size"],
        None,
    ),
    ("values-with-mnist", ["--mnist", "--values", "a=1", "--out", "{tmp}/o"], ["--values"], None),
    ("expression-with-mnist", ["a*b", "--mnist", "--out", "{tmp}/o"], ["--mnist"], None),
    ("two-modes", ["a*b", "--values", "a=1,b=2", "--graph-only", "--second-order"], ["--second-order"], None),
    ("worksheet-and-graph-only", ["a*b", "--values", "a=1,b=2", "--worksheet", "--graph-only"], ["--worksheet"], None),
    ("unknown-flag", ["a*b", "--values", "a=1,b=2", "--colour", "red"], ["--colour"], None),
    # --values: each message names the key
    ("values-not-a-number", ["a*b", "--values", "a=two,b=2"], ["--values", "'a'"], None),
    ("values-no-equals", ["a*b", "--values", "a2"], ["--values", "a2"], None),
    ("values-bad-name", ["a*b", "--values", "2a=1"], ["--values"], None),
    ("values-twice", ["a*b", "--values", "a=1,a=2,b=3"], ["--values", "'a'"], None),
    ("values-infinite", ["a*b", "--values", "a=1e999,b=2"], ["--values", "'a'"], None),
    ("values-nan", ["a*b", "--values", "a=nan,b=2"], ["--values", "'a'"], None),
    ("values-missing", ["a*b", "--values", "a=1"], ["--values", "'b'", "column"], None),
    ("values-unused", ["a*b", "--values", "a=1,b=2,c=3"], ["--values", "'c'"], None),
    ("values-ragged-matrix", ["sum(W)", "--values", "W=[[1,2],[3]]"], ["--values", "'W'"], None),
    ("values-long-number", ["a*b", "--values", "a=" + "1" * LONG + ",b=2"], ["--values", "'a'"], None),
    ("values-long-float", ["a*b", "--values", "a=1." + "1" * LONG + ",b=2"], ["--values", "'a'"], None),
    ("values-long-name", ["a*b", "--values", "n" * LONG + "=1,a=1,b=2"], ["--values"], None),
    # the expression: the message points at the column
    ("expression-long-name", ["n" * LONG + "*b", "--values", "b=2"], ["column"], None),
    ("expression-long-number", ["a*" + "1" * LONG, "--values", "a=1"], ["column"], None),
    ("expression-empty", ["", "--values", "a=1"], ["column"], None),
    ("expression-missing", ["--values", "a=1"], ["EXPR"], None),
    ("expression-comment-only", ["# hi", "--values", "a=1"], ["column", "comments"], None),
    ("expression-import", ["__import__('os').system('true')", "--values", "a=1"], ["column"], None),
    ("expression-attribute", ["a.data", "--values", "a=1"], ["column"], None),
    ("expression-huge-power", ["a ** 9 ** 9 ** 9", "--values", "a=2"], ["column"], None),
    ("expression-log-of-zero", ["log(a)", "--values", "a=0"], ["column"], None),
    ("expression-shapes", ["W @ x", "--values", "W=[[1,2],[3,4]],x=[1,2,3]"], ["column"], None),
    ("expression-vector-output", ["2*x", "--values", "x=[1,2,3]"], ["column"], None),
    (
        "second-order-too-large",
        [
            "sum(softmax(softmax(softmax(softmax(softmax(softmax(softmax(softmax(softmax(softmax(softmax(softmax(softmax(softmax(softmax(softmax(softmax(softmax(softmax(softmax(softmax(softmax(softmax(softmax(softmax(softmax(softmax(softmax(softmax(softmax(x))))))))))))))))))))))))))))))*w)",
            "--values",
            "x=[1,2,3],w=[1,-1,2]",
            "--second-order",
            "--out",
            "{tmp}/o",
        ],
        ["--second-order", "152 ops"],
        None,
    ),
    (
        "expression-result-too-large",
        ["sum(u @ v)", "--values", "u=[[1]," + "[1]," * 998 + "[1]],v=[[" + "1," * 999 + "1]]"],
        ["column", "1000000"],
        None,
    ),
]


def _fill(argument: str, tmp_path: Path) -> str:
    return argument.replace("{tmp}", str(tmp_path)).replace("{file}", str(tmp_path / "a-file.txt"))


@pytest.mark.parametrize(("arguments", "words", "fault"), [case[1:] for case in CASES], ids=[c[0] for c in CASES])
def test_bad_input_exits_2_naming_the_flag(tmp_path, arguments, words, fault):
    if shutil.which("dot") is None and fault == "disk-full":
        pytest.skip("Graphviz's dot is not installed: the page is never written")
    (tmp_path / "a-file.txt").write_text("not a folder\n", encoding="utf-8")
    for folder in ("ro", "full"):
        (tmp_path / folder).mkdir()
    arguments = [_fill(argument, tmp_path) for argument in arguments]
    if fault is None:
        command = [sys.executable, "-m", "viz", *arguments]
    else:
        target = tmp_path / ("ro" if fault == "read-only" else "full")
        command = [sys.executable, "-c", FAULTS[fault].format(target=str(target)) + RUN_VIZ, *arguments]
    # Run in tmp_path, so that a case which wrongly writes into the current folder leaves no trace.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 2, f"exit {result.returncode}\nstdout: {result.stdout[-2000:]}\n{result.stderr[-3000:]}"
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    for word in words:
        assert word in result.stderr, f"{word!r} not in the message:\n{result.stderr[-3000:]}"
    lines = result.stderr.strip().splitlines()
    if "column" in words:  # the message, the line of the program, and a caret under the spot
        assert len(lines) == 3 and lines[2].strip() == "^", result.stderr[-3000:]
    else:
        assert len(lines) == 1, f"expected one line, got:\n{result.stderr[-3000:]}"
    assert len(result.stderr) < 2000, "the message should be short, not the whole input echoed back"
    if fault == "disk-full":
        # Nothing half-written is left behind: no index.html, no temporary files.
        assert sorted(path.name for path in (tmp_path / "full").iterdir()) == []
    if fault == "read-only":
        assert not (tmp_path / "ro" / "new").exists()
    assert sorted(path.name for path in tmp_path.iterdir()) == ["a-file.txt", "full", "ro"], "nothing written"
