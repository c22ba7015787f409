"""Grade a student's file in a process of its own (sandbox.py), and decide the verdict here.

``python -m tinygrad_edu.exercises check`` never imports a student's file itself. For each op,
``grade_file`` runs ``examine`` in a sandbox, with a time and a memory limit:

    SECONDS       30 s of wall-clock time per op (``check --seconds``)
    MEMORY_BYTES  1 GiB of memory per op, beyond what Python and NumPy hold (``check --memory-mb``)

``examine``, in the sandbox, loads the file, grades it (grading.py: the messages that name the
input, the element and the likely mistake) and, beside the grade, sends back evidence: the op's
output, its gradients for a random upstream gradient, a Hessian-vector product (second
derivatives) and its output's tangent, on inputs drawn from a seed chosen here. Here, in the
grader's process, every part the sandbox calls correct is checked again against the reference
solution on that evidence, so a student's file that replaces the grading functions in its own
process gains nothing; and an endless loop, a huge allocation, ``sys.exit(0)``, ``os._exit(0)``
or a KeyboardInterrupt ends that op's grade with a message, not the grader.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import numpy as np

from ..core.autograd import grad
from ..core.tensor import Tensor
from . import catalog, grading, sandbox, solutions, workspace
from .catalog import Case, Exercise

SECONDS = 30.0
MEMORY_BYTES = 1 << 30
METHODS = ("backward", "jvp")
STATUSES = (grading.CORRECT, grading.NOT_WRITTEN, grading.WRONG, grading.BROKEN, grading.HALF_DONE)


def grade_file(
    folder: Path, exercise: Exercise, seconds: float = SECONDS, memory_bytes: int = MEMORY_BYTES
) -> grading.Grade:
    """Grade the student's file for ``exercise`` in ``folder``, its code run in a sandbox."""
    if not (folder / exercise.file).is_file():
        return grading.Grade(exercise, grading.BROKEN, f"{exercise.file} is missing from {folder}")
    seed = secrets.randbelow(2**31)
    outcome = sandbox.run_isolated(
        examine, [str(folder.resolve()), exercise.file, seed], seconds=seconds, memory_bytes=memory_bytes
    )
    if not outcome.ok:
        return grading.Grade(exercise, grading.WRONG, explain(outcome, exercise, seconds, memory_bytes))
    report = outcome.value
    if not isinstance(report, dict) or report.get("loaded") not in (True, False):
        return grading.Grade(exercise, grading.WRONG, f"{exercise.file} sent back a report the grader cannot read")
    if report["loaded"] is False:
        return grading.Grade(exercise, grading.BROKEN, text(report.get("message")))
    verdicts = read_verdicts(report.get("verdicts"))
    if verdicts is None:
        return grading.Grade(exercise, grading.WRONG, f"{exercise.file} sent back a report the grader cannot read")
    expected = evidence(exercise, getattr(solutions, exercise.name), seed)
    given = report.get("evidence")
    for method in METHODS:
        if verdicts[method] is None and not agrees(method, given, expected):
            verdicts[method] = (
                grading.WRONG,
                f"{exercise.name}.{method} gives values other than the right ones when the grader checks them "
                f"again, although the grade sent back says correct: does {exercise.file} change the grader?",
            )
    return grading.combine(exercise, verdicts)


def explain(outcome: sandbox.Outcome, exercise: Exercise, seconds: float, memory_bytes: int) -> str:
    """Why the sandbox gave no grade, in a line or two the student can act on."""
    where = f"{exercise.file} (loading it, or {exercise.name}.backward or .jvp)"
    if outcome.status == sandbox.TIMEOUT:
        return f"{where} ran past the time limit of {seconds:g} s per op: an endless loop, or a sleep?"
    if outcome.status == sandbox.MEMORY:
        return f"{where} ran past the memory limit of {memory_bytes / 2**20:.0f} MB per op: {outcome.error}"
    if outcome.status == sandbox.EXIT:
        return f"{where} tried to end the process: {outcome.error}; take that line out, then check again"
    if outcome.status == sandbox.INTERRUPTED:
        return f"{where} raised KeyboardInterrupt; take that line out, then check again"
    if outcome.status == sandbox.CRASH:
        return f"{where} crashed the process: {outcome.error}"
    return f"{where}: {outcome.error}"


def text(value: object, limit: int = 4000) -> str:
    return str(value)[:limit]


def read_verdicts(value: object) -> dict[str, tuple[str, str] | None] | None:
    """The sandbox's verdicts, if they have the form ``judge`` gives them; None otherwise."""
    if not isinstance(value, dict) or sorted(value) != sorted(METHODS):
        return None
    verdicts: dict[str, tuple[str, str] | None] = {}
    for method in METHODS:
        verdict = value[method]
        if verdict is None:
            verdicts[method] = None
        elif isinstance(verdict, list) and len(verdict) == 2 and verdict[0] in STATUSES[1:]:
            verdicts[method] = (verdict[0], text(verdict[1]))
        else:
            return None
    return verdicts


def examine(folder: str, file: str, seed: int) -> dict[str, Any]:
    """In the sandbox: load the student's file, grade it, and send the evidence back (see above)."""
    exercise = catalog.find(file.removesuffix(".py"))
    try:
        op = workspace.load(Path(folder), exercise)
    except Exception as error:
        return {"loaded": False, "message": grading.describe_error(error, exercise)}
    verdicts = grading.judge(exercise, op)
    return {"loaded": True, "verdicts": verdicts, "evidence": evidence(exercise, op, seed)}


def evidence(exercise: Exercise, op: type, seed: int) -> list[dict[str, Any]]:
    """For each case: the op's values on inputs drawn from ``seed`` (None for a part that fails)."""
    return [values(case, op, seed) for case in exercise.cases]


def values(case: Case, op: type, seed: int) -> dict[str, Any]:
    arrays = grading.draw(case, seed)
    rng = np.random.default_rng(seed + 1)
    found: dict[str, Any] = {"gradients": None, "second": None, "tangent": None}
    try:
        inputs = [Tensor(array.copy(), requires_grad=True) for array in arrays]
        output = case.bind(op)(*inputs)
        upstream = rng.standard_normal(output.shape)
        gradients = grad(output, inputs, grad_outputs=Tensor(upstream), create_graph=True, allow_unused=True)
        found["gradients"] = [None if g is None else np.asarray(g.data).tolist() for g in gradients]
        weights = [rng.standard_normal(array.shape) for array in arrays]
        total = sum(((g * Tensor(w)).sum() for g, w in zip(gradients, weights) if g is not None), Tensor(0.0))
        if total.requires_grad:
            second = grad(total, inputs, allow_unused=True)
            found["second"] = [None if g is None else np.asarray(g.data).tolist() for g in second]
        else:
            found["second"] = [None for _ in inputs]
    except Exception:
        pass
    try:
        found["tangent"] = grading.forward_tangent(case, op, arrays, grading.directions(arrays)).tolist()
    except Exception:
        pass
    return found


def agrees(method: str, given: object, expected: list[dict[str, Any]]) -> bool:
    """Whether the evidence sent back matches the reference's, for ``method``."""
    if not isinstance(given, list) or len(given) != len(expected):
        return False
    for theirs, ours in zip(given, expected):
        if not isinstance(theirs, dict):
            return False
        if method == "jvp" and not same_array(theirs.get("tangent"), ours["tangent"]):
            return False
        if method == "backward" and not all(
            same_arrays(theirs.get(part), ours[part]) for part in ("gradients", "second")
        ):
            return False
    return True


def same_arrays(theirs: object, ours: list[Any] | None) -> bool:
    """One array (or None) per input, on both sides, equal input by input."""
    if ours is None or not isinstance(theirs, list) or len(theirs) != len(ours):
        return False
    return all(same_array(given, expected) for given, expected in zip(theirs, ours))


def same_array(theirs: object, ours: object) -> bool:
    """Equal arrays, None counting as zeros (no gradient reached the input)."""
    try:
        given = np.asarray(0.0 if theirs is None else theirs, dtype=np.float64)
        expected = np.asarray(0.0 if ours is None else ours, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    if theirs is None or ours is None:
        return not np.any(given) and not np.any(expected)
    return given.shape == expected.shape and bool(np.allclose(given, expected, rtol=1e-6, atol=1e-9))
