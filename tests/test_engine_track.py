"""The engine track: start --track engine writes value.py and tensor.py with the walk left to write;
check grades them by what they do. The reference answers (teacher/engine_track/, outside the package)
pass every check; each usual mistake, planted in a copy of them, is named; the capstone trains the
spirals on the student's engine as well as on the library's."""

import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from tinygrad_edu.exercises.__main__ import main
from tinygrad_edu.exercises.engine_track import capstone, checks, grading, workspace
from tinygrad_edu.exercises.grading import CORRECT, NOT_WRITTEN, WRONG

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "teacher" / "engine_track"


def answered(tmp_path):
    """A workspace with the reference answers written in."""
    folder = tmp_path / "engine"
    workspace.start(folder)
    for file in workspace.FILES:
        shutil.copy(REFERENCE / file, folder / file)
    return folder


def plant(folder, file, answer, body):
    """Replace the answer block ``answer`` of ``file`` with ``body`` (lines of code, unindented)."""
    path = folder / file
    text = path.read_text(encoding="utf-8")
    block = re.compile(r"^( *)# BEGIN ANSWER " + re.escape(answer) + r"\n(?:.*\n)*?\1# END ANSWER\n", re.MULTILINE)
    match = block.search(text)
    assert match, f"{file} has no answer block {answer!r}"
    lines = "".join(f"{match[1]}{line}\n" for line in body.strip("\n").splitlines())
    path.write_text(text[: match.start()] + lines + text[match.end() :], encoding="utf-8")


def test_the_templates_are_the_reference_without_its_answers():
    for file in workspace.FILES:
        reference = (REFERENCE / file).read_text(encoding="utf-8")
        assert workspace.template(file) == workspace.strip_answers(reference), (
            f"templates/{file} is out of date: run python teacher/make_engine_templates.py"
        )
        assert "BEGIN ANSWER" not in workspace.template(file)


def test_no_answer_ships_in_the_package():
    package = ROOT / "tinygrad_edu"
    for path in package.rglob("*.py"):
        assert not workspace.ANSWER.search(path.read_text(encoding="utf-8")), f"{path} holds a reference answer"
    setup = (ROOT / "setup.cfg").read_text(encoding="utf-8")
    assert "teacher" not in setup.split("[options.packages.find]")[1].split("[")[0]


@pytest.mark.parametrize("check", checks.CHECKS, ids=[check.name for check in checks.CHECKS])
def test_the_reference_passes_every_check(tmp_path, check):
    assert checks.run_check(check.name, str(answered(tmp_path))) == {"status": CORRECT, "message": ""}


# The walk's usual mistakes: (file, answer block, what is planted, the check that sees it, words it must say).
RECURSIVE_WITHOUT_VISITED = """
order = []
def visit(node):
    for parent in node.parents:
        visit(parent)
    order.append(node)
visit(root)
return order
"""
RECURSIVE_WITH_VISITED = """
order, visited = [], set()
def visit(node):
    if id(node) not in visited:
        visited.add(id(node))
        for parent in node.parents:
            visit(parent)
        order.append(node)
visit(root)
return order
"""
ASSIGNED = """
self.grad = 1.0
for node in reversed(topological_order(self)):
    if node.local_backward is not None:
        for parent, gradient in zip(node.parents, node.local_backward(node.grad)):
            parent.grad = gradient
"""
BREADTH_FIRST = """
order, visited, queue = [], {id(root)}, [root]
while queue:
    node = queue.pop(0)
    order.append(node)
    for parent in node.parents:
        if id(parent) not in visited:
            visited.add(id(parent))
            queue.append(parent)
return order[::-1]
"""
VISITED_ON_PUSH_ONLY = """
order, visited, stack = [], set(), [(root, False)]
while stack:
    node, parents_done = stack.pop()
    if parents_done:
        order.append(node)
        continue
    visited.add(id(node))
    stack.append((node, True))
    for parent in node.parents:
        if id(parent) not in visited:
            stack.append((parent, False))
return order
"""
NOT_REVERSED = """
self.grad = np.ones_like(self.data)
for node in topological_order(self):
    if node.local_backward is not None:
        for parent, gradient in zip(node.parents, node.local_backward(node.grad)):
            parent.grad += unbroadcast(gradient, parent.shape)
"""
MICROGRAD_BACKWARD = """
order, visited = [], set()
def build(node):
    if id(node) not in visited:
        visited.add(id(node))
        for parent in node.parents:
            build(parent)
        order.append(node)
build(self)
self.grad = 1.0
for node in reversed(order):
    if node.local_backward is not None:
        for parent, gradient in zip(node.parents, node.local_backward(node.grad)):
            parent.grad += gradient
"""
ASSIGNED_ARRAYS = """
self.grad = np.ones_like(self.data)
for node in reversed(topological_order(self)):
    if node.local_backward is not None:
        for parent, gradient in zip(node.parents, node.local_backward(node.grad)):
            parent.grad = unbroadcast(gradient, parent.shape)
"""
PLANTED = {
    "no visited set": ("value.py", "topological_order", RECURSIVE_WITHOUT_VISITED, "Value order", "no visited set"),
    "deep recursion": ("value.py", "topological_order", RECURSIVE_WITH_VISITED, "Value order", "RecursionError"),
    "recursive backward": ("value.py", "Value.backward", MICROGRAD_BACKWARD, "Value.backward", "RecursionError"),
    "= for +=": ("value.py", "Value.backward", ASSIGNED, "Value.backward", "= instead of +="),
    "= for +=, tensor": ("tensor.py", "Tensor.backward", ASSIGNED_ARRAYS, "Tensor.backward", "= instead of +="),
    "breadth first": ("value.py", "topological_order", BREADTH_FIRST, "Value order", "wrong order"),
    "not reversed": ("tensor.py", "Tensor.backward", NOT_REVERSED, "Tensor.backward", "wrong order"),
    "visited twice": ("value.py", "topological_order", VISITED_ON_PUSH_ONLY, "Value order", "a node visited twice"),
    "twice, tensor": ("tensor.py", "topological_order", VISITED_ON_PUSH_ONLY, "Tensor order", "a node visited twice"),
    "not zeroed": ("tensor.py", "SGD.zero_grad", "pass", "SGD", "gradients not zeroed between steps"),
    "tanh of x": (
        "value.py",
        "Value.tanh's local_backward",
        "return (grad_output * (1 - self.data**2),)",
        "Value ops",
        "used the input x where the output y = tanh x belongs",
    ),
    "relu unmasked": (
        "value.py",
        "Value.relu's local_backward",
        "return (grad_output,)",
        "Value ops",
        "the mask is missing",
    ),
    "pow without n": (
        "value.py",
        "Value.__pow__'s local_backward",
        "return (grad_output * self.data ** (exponent - 1),)",
        "Value ops",
        "the factor n is missing",
    ),
    "matmul shapes": (
        "tensor.py",
        "Tensor.__matmul__'s local_backward",
        "return grad_output @ other.data, self.data @ grad_output",
        "Tensor ops",
        "let the shapes guide you",
    ),
    "log_softmax without the sum": (
        "tensor.py",
        "Tensor.log_softmax's local_backward",
        "return (grad_output - np.exp(y),)",
        "Tensor ops",
        "the sum over the row is missing",
    ),
    "sum misaligned": (
        "tensor.py",
        "Tensor.sum's local_backward",
        "return (np.broadcast_to(grad_output, input_shape),)",
        "Tensor ops",
        "without putting the summed axis back",
    ),
    "mul sign": (
        "tensor.py",
        "Tensor.__mul__'s local_backward",
        "return -grad_output * other.data, grad_output * self.data",
        "Tensor ops",
        "a sign error",
    ),
    "unbroadcast mean": (
        "tensor.py",
        "unbroadcast",
        "while grad.ndim > len(shape):\n    grad = grad.mean(axis=0)\n"
        "for axis, size in enumerate(shape):\n    if size == 1:\n"
        "        grad = grad.sum(axis=axis, keepdims=True)\nreturn grad",
        "unbroadcast",
        "ADD UP",
    ),
    "momentum missing": (
        "tensor.py",
        "SGD.step",
        "for p in self.parameters:\n    p.data -= self.lr * p.grad",
        "SGD",
        "no momentum",
    ),
}


@pytest.mark.parametrize("mistake", sorted(PLANTED))
def test_a_planted_mistake_is_named(tmp_path, mistake):
    file, answer, body, check, words = PLANTED[mistake]
    folder = answered(tmp_path)
    plant(folder, file, answer, body)
    result = checks.run_check(check, str(folder))
    assert result["status"] == WRONG, result
    assert words in result["message"], result["message"]


@pytest.mark.parametrize("mistake", ["tanh of x", "not zeroed"])  # and "= for +=" in the command-line test
def test_a_mistake_fails_its_own_check_only(tmp_path, mistake):
    file, answer, body, check, _ = PLANTED[mistake]
    folder = answered(tmp_path)
    plant(folder, file, answer, body)
    for other in checks.CHECKS:
        if other.name != check:
            assert checks.run_check(other.name, str(folder))["status"] == CORRECT, other.name


def test_a_stub_left_is_not_written_and_another_stub_needed_is_named(tmp_path):
    folder = answered(tmp_path)
    (folder / "value.py").write_text(workspace.template("value.py"), encoding="utf-8")
    assert checks.run_check("Value.backward", str(folder)) == {
        "status": NOT_WRITTEN,
        "message": "write Value.backward in value.py, then check again",
    }
    folder2 = answered(tmp_path / "second")
    plant(folder2, "value.py", "topological_order", 'raise NotImplementedError("topological_order is not written yet")')
    result = checks.run_check("Value.backward", str(folder2))
    assert result["status"] == NOT_WRITTEN and "needs topological_order" in result["message"]


def test_start_check_and_exit_codes(tmp_path, capsys):
    folder = tmp_path / "engine"
    assert main(["start", str(folder), "--track", "engine"]) == 0
    assert sorted(path.name for path in folder.iterdir()) == ["README.md", "tensor.py", "value.py"]
    capsys.readouterr()
    assert main(["check", str(folder)]) == 1  # every check in its own sandboxed process
    printed = capsys.readouterr().out
    assert printed.count("not written yet") == len(checks.CHECKS)
    assert f"0 of {len(checks.CHECKS)} checks correct" in printed
    for file in workspace.FILES:
        shutil.copy(REFERENCE / file, folder / file)
    plant(folder, "value.py", "Value.backward", ASSIGNED)
    assert main(["check", str(folder)]) == 1
    printed = capsys.readouterr().out
    assert "Value.backward       wrong\n    Value.backward: on the graph" in printed
    assert f"{len(checks.CHECKS) - 1} of {len(checks.CHECKS)} checks correct" in printed


def test_a_walk_that_never_ends_is_stopped_and_told_so(tmp_path):
    folder = answered(tmp_path)
    plant(folder, "tensor.py", "topological_order", "while True:\n    pass")
    check = next(check for check in checks.CHECKS if check.name == "Tensor order")
    result = grading.grade_check(folder, check, seconds=1.0)
    assert result.status == WRONG and "ran past 1 s" in result.message and "visited set" in result.message


def test_bad_input_exits_2(tmp_path, capsys):
    folder = answered(tmp_path)
    assert main(["check", str(folder), "mul"]) == 2
    assert main(["capstone", str(tmp_path / "missing")]) == 2
    errors = capsys.readouterr().err.strip().splitlines()
    assert len(errors) == 2 and "OP" in errors[0] and "DIR" in errors[1]


def test_the_spirals_capstone_trains_on_the_students_engine_as_on_the_library(tmp_path):
    said = []
    assert capstone.run(answered(tmp_path), spirals_only=True, say=said.append)  # the student's half sandboxed
    assert "the first losses agree" in said[-1] and "goal reached" in said[-1], said
    yours, library = (re.search(r"accuracy (\S+)%", line)[1] for line in said[-3:-1])
    assert abs(float(yours) - float(library)) <= 1.0, said


def test_a_tensor_py_that_patches_the_capstone_does_not_reach_its_goal(tmp_path):
    folder = answered(tmp_path)
    plant(folder, "tensor.py", "SGD.step", "pass")  # nothing is learned
    path = folder / "tensor.py"
    patch = (
        "\nfrom tinygrad_edu.exercises.engine_track import capstone\n"
        "capstone.accuracy = capstone.library_accuracy = lambda *args: 1.0\n"
    )
    path.write_text(path.read_text(encoding="utf-8") + patch, encoding="utf-8")
    said = []
    assert not capstone.run(folder, spirals_only=True, say=said.append)
    assert "below the goal" in said[-1], said


# The MNIST capstone (>= 97% on the reference engine) takes a minute or two: benchmarks/capstone_mnist.py.


# A hostile student's file: the verdict is decided in the grader's process, from what the sandbox saw,
# so nothing the student's code does in the sandbox (patch the checks or NumPy, print or write a result
# of its own, end the process, loop, allocate) makes a wrong answer pass.
PATCH_THE_CHECKS = """
import numpy
import numpy.testing
from tinygrad_edu.exercises.engine_track import checks, grading, observe, walks
correct = {"status": "correct", "message": ""}
checks.judge = grading.judge = lambda check, report: correct
checks.run_check = lambda name, folder: correct
walks.backward_problem = lambda *args: None
numpy.allclose = lambda *args, **kwargs: True
numpy.testing.assert_allclose = lambda *args, **kwargs: None
"""
FORGE_THE_RESULT = """
import inspect, json, os
print(json.dumps({"status": "correct", "message": ""}))
print("Value.backward       correct")
for frame in inspect.stack():
    if "result_path" in frame.frame.f_locals:
        with open(frame.frame.f_locals["result_path"], "w") as file:
            json.dump({"status": "ok", "value": {"status": "correct", "message": ""}}, file)
        os._exit(0)
"""


def hostile(tmp_path, at_import="", in_backward=""):
    """The reference value.py with ``=`` planted for ``+=`` (wrong), and hostile code added."""
    folder = answered(tmp_path)
    backward = (in_backward + "\n" if in_backward else "") + ASSIGNED
    plant(folder, "value.py", "Value.backward", backward)
    path = folder / "value.py"
    path.write_text(path.read_text(encoding="utf-8") + at_import, encoding="utf-8")
    return folder, next(check for check in checks.CHECKS if check.name == "Value.backward")


def test_a_file_that_patches_the_checks_and_numpy_is_still_graded_by_the_grader(tmp_path):
    folder, check = hostile(tmp_path, at_import=PATCH_THE_CHECKS)
    allclose, judge = np.allclose, checks.judge
    result = grading.grade_check(folder, check)
    assert result.status == WRONG and "= instead of +=" in result.message, result
    assert np.allclose is allclose and checks.judge is judge  # the grader's process never ran the file


FORGED_REPORTS = [
    None,
    "correct",
    {"status": "correct", "message": ""},
    {"loaded": True},
    {"loaded": True, "seen": None},
    {"loaded": True, "seen": {}},
    {"loaded": True, "seen": [{}] * 12},
    {"loaded": True, "seen": [{"output": 0.0, "gradients": [0.0, 0.0]}] * 12},
    {"loaded": True, "seen": {"ladder": {"parents": [], "reads": 0, "order": [], "length": 0}}},
    {"loaded": True, "seen": {"parents": [], "calls": [], "counts": [], "grads": [], "chain": {"grad": 1.0}}},
    {"loaded": True, "seen": [{"zeroed": [{"value": 0.0}, {"value": 0.0}], "data": [0.0, 0.0]}] * 2},
    {"loaded": True, "raised": {"type": "NotImplementedError", "message": "x", "text": "x"}},
    {"loaded": True, "raised": "correct"},
]


@pytest.mark.parametrize("check", checks.CHECKS, ids=[check.name for check in checks.CHECKS])
def test_no_forged_report_is_judged_correct(check):
    for report in FORGED_REPORTS:
        assert checks.judge(check, report)["status"] != CORRECT, report


def test_a_forged_verdict_printed_or_written_as_the_result_is_not_read_as_one(tmp_path):
    folder, check = hostile(tmp_path, at_import=FORGE_THE_RESULT)
    result = grading.grade_check(folder, check)
    assert result.status == WRONG and "a report the grader cannot read" in result.message, result


@pytest.mark.parametrize(
    "where, code, words",
    [
        ("at_import", "\nimport sys\nsys.exit(0)\n", "sys.exit(0)"),
        ("at_import", "\nraise SystemExit(0)\n", "sys.exit(0)"),
        ("in_backward", "import os\nos._exit(0)", "os._exit"),
        ("in_backward", "import numpy\nnumpy.ones(2**31)", "memory limit of 64 MB"),
        ("in_backward", "while True:\n    pass", "ran past 1 s"),
    ],
)
def test_a_file_that_ends_the_process_loops_or_allocates_is_wrong_and_told_why(tmp_path, where, code, words):
    folder, check = hostile(tmp_path, **{where: code})
    result = grading.grade_check(folder, check, seconds=1.0 if "while" in code else 30.0, memory_bytes=64 << 20)
    assert result.status == WRONG and words in result.message, result


def test_check_exits_1_on_a_hostile_file(tmp_path, capsys):
    folder = tmp_path / "engine"
    workspace.start(folder)
    path = folder / "value.py"
    path.write_text(path.read_text(encoding="utf-8") + PATCH_THE_CHECKS + FORGE_THE_RESULT, encoding="utf-8")
    assert main(["check", str(folder)]) == 1
    printed = capsys.readouterr().out
    assert printed.count("a report the grader cannot read") == 3
    assert f"0 of {len(checks.CHECKS)} checks correct" in printed
