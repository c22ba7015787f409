"""The engine track's checks: what ``check DIR`` runs on a workspace, in order, and how each grades.

Each check has two halves, in two processes. In a sandboxed child process (grading.py),
observe.py loads the student's file, builds the check's graphs and inputs with the student's
classes and sends back only what it saw, as plain data. Here, in the grader's process, which
never imports a student's file, ``judge`` compares those observations with values it computes
itself (the library's forward and autograd, central differences, the expected counts and
orders) and gives the verdict: ``{"status": ..., "message": ...}``, with the statuses of the op
track (correct, not written yet, wrong, half done, does not load). A report of the wrong form
(a student's file that changed the sandbox's code, or wrote a result of its own) is "wrong".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..grading import BROKEN, CORRECT, HALF_DONE, NOT_WRITTEN, WRONG
from . import observe, op_checks, walks

Outcome = dict[str, str]
Judge = Callable[[Any], "Outcome | str | None"]


@dataclass(frozen=True)
class EngineCheck:
    name: str  # as printed, e.g. "Value ops"
    file: str  # the student's file it grades
    judge: Judge  # what the sandbox saw -> outcome, or a problem's text, or None (correct)
    what: str  # what the student writes for it
    stubs: tuple[str, ...] = ()  # the stubs that, still there, make it "not written yet"


def outcome(status: str, message: str = "") -> Outcome:
    return {"status": status, "message": message}


def unreadable(check: EngineCheck) -> Outcome:
    return outcome(
        WRONG,
        f"the check of {check.file} sent back a report the grader cannot read: does {check.file} change the "
        "grader's code, print or write a result of its own? Take that out, then check again",
    )


def judge(check: EngineCheck, report: object) -> Outcome:
    """The verdict on what the sandbox saw (``report``, from observe.observe), decided here."""
    if not isinstance(report, dict) or report.get("loaded") not in (True, False):
        return unreadable(check)
    try:
        if report["loaded"] is False:
            return outcome(BROKEN, str(report["error"]["text"])[:1000])
        if "raised" in report:
            return raised(check, report["raised"])
        result = check.judge(report["seen"])
    except op_checks.NotWritten as error:
        return outcome(NOT_WRITTEN, needs(str(error)))
    except (KeyError, IndexError, TypeError, ValueError, AttributeError, OverflowError, RecursionError):
        return unreadable(check)
    if isinstance(result, dict):
        return result
    return outcome(CORRECT) if result is None else outcome(WRONG, result)


def raised(check: EngineCheck, error: dict[str, Any]) -> Outcome:
    """The student's code raised: one of the check's own stubs still there is "not written yet",
    another stub the check needed is named, any other exception is "wrong" with the student's line."""
    message, text = str(error["message"]), str(error["text"])[:1000]
    if error["type"] == "NotImplementedError":
        name = message.removesuffix(" is not written yet")
        if name in check.stubs:
            return outcome(NOT_WRITTEN, f"write {name} in {check.file}, then check again")
        if "not written yet" in message:
            return outcome(NOT_WRITTEN, needs(message))
    return outcome(WRONG, text)


def needs(message: str) -> str:
    return f"this check needs {message.removesuffix(' is not written yet')}: write it first"


def ops_outcome(cases: tuple[op_checks.OpCase, ...], seen: list[Any], file: str) -> Outcome:
    """One line per op: correct, not written yet, or the first case it fails and why."""
    if not isinstance(seen, list) or len(seen) != len(cases) or not all(isinstance(entry, dict) for entry in seen):
        raise ValueError("one observation per case")
    verdicts: dict[str, tuple[str, str]] = {}
    for case, entry in zip(cases, seen):
        if case.stub in verdicts and verdicts[case.stub][0] != CORRECT:
            continue
        try:
            problem = op_checks.check_case(case, entry)
        except op_checks.NotWritten:
            verdicts[case.stub] = (NOT_WRITTEN, f"write it in {file}")
            continue
        verdicts[case.stub] = (CORRECT, "") if problem is None else (WRONG, problem)
    statuses = {status for status, _ in verdicts.values()}
    if statuses == {CORRECT}:
        return outcome(CORRECT)
    if statuses == {NOT_WRITTEN}:
        return outcome(NOT_WRITTEN, "write " + ", ".join(verdicts) + f" in {file}")
    lines = []
    for stub, (status, why) in verdicts.items():
        first, *rest = (why or "").splitlines() or [""]
        lines.append(f"{stub}: {status}" + (f": {first}" if first else ""))
        lines += [f"  {line}" for line in rest]
    return outcome(WRONG if WRONG in statuses else HALF_DONE, "\n".join(lines))


def unbroadcast_problem(seen: list[Any]) -> str | None:
    cases = op_checks.unbroadcast_inputs()
    if not isinstance(seen, list) or len(seen) != len(cases):
        raise ValueError("one observation per case")
    for (grad, shape), given in zip(cases, seen):
        given = np.asarray(given, dtype=float)
        right = op_checks.sum_to(grad, shape)
        case = f"unbroadcast(grad of shape {grad.shape}, {shape})"
        if given.shape != shape:
            hint = (
                "sum over the axes broadcasting added on the left (axis 0, until grad has len(shape) axes), then "
                "over the axes where shape has size 1, with keepdims=True so they stay, as size 1"
            )
            return f"{case} returned shape {given.shape}; it must return {shape}.\nHint: {hint}"
        if not np.allclose(given, right):
            return (
                f"{case}: the shape is right but the values are not (you gave {np.ravel(given)[:3]}..., the right "
                f"ones are {np.ravel(right)[:3]}...).\nLikely mistake: each copy of an input sends back its own "
                "gradient and the copies ADD UP: sum over the broadcast axes (not mean, not take one)"
            )
    return None


def sgd_problem(seen: list[Any]) -> str | None:
    """Two steps of SGD with momentum on two parameters, with gradients set as backward would set them:
    the grads after zero_grad() and the parameters after step(), as the sandbox saw them, against the
    values worked out here."""
    starts, steps, lr, momentum = op_checks.sgd_inputs()
    if not isinstance(seen, list) or not 1 <= len(seen) <= len(steps):
        raise ValueError("one observation per step")
    expected = [start.copy() for start in starts]
    velocities = [np.zeros_like(start) for start in starts]
    for number, (gradients, step) in enumerate(zip(steps, seen), start=1):
        for index, zeroed in enumerate(step["zeroed"]):
            grad = np.asarray(zeroed["value"], dtype=float) if "value" in zeroed else None
            if grad is None or grad.shape != starts[index].shape:
                shown = str(zeroed.get("repr", "None" if grad is None else f"an array of shape {grad.shape}"))[:40]
                return (
                    f"after zero_grad() parameter {index}'s grad is {shown}; it must be an array of zeros "
                    f"shaped like the parameter {starts[index].shape} (backward adds to it)"
                )
            if np.any(grad != 0):
                return (
                    f"step {number}: after zero_grad() parameter {index}'s grad is still {np.ravel(grad)[:3]}..., "
                    "the gradient of the step before.\nLikely mistake: gradients not zeroed between steps. "
                    "backward ADDS to .grad, so without zeroing, each step would use the sum of all the gradients "
                    "so far: set each parameter's grad to zeros (p.grad = np.zeros_like(p.data))"
                )
        for index, gradient in enumerate(gradients):
            velocities[index] = momentum * velocities[index] + gradient
            expected[index] = expected[index] - lr * velocities[index]
        for index, right in enumerate(expected):
            given = np.asarray(step["data"][index], dtype=float)
            if given.shape == right.shape and np.allclose(given, right):
                continue
            message = (
                f"step {number} of SGD(lr={lr}, momentum={momentum}): parameter {index} is wrong: at element 0 "
                f"you have {np.ravel(given)[0] if given.size else float('nan'):.6g}, the right value is "
                f"{np.ravel(right)[0]:.6g}."
            )
            return message + "\nLikely mistake: " + sgd_mistake(number, index, given, starts, steps, lr, momentum)
    if len(seen) != len(steps):
        raise ValueError("one observation per step")
    return None


def sgd_mistake(
    number: int, index: int, given: np.ndarray, starts: list, steps: list, lr: float, momentum: float
) -> str:
    gradients = [step[index] for step in steps[:number]]
    plain = starts[index] - lr * sum(gradients)
    if given.shape == plain.shape and np.allclose(given, plain):
        return "no momentum: each step must use v ← momentum · v + ∂L/∂p, then p ← p − lr · v"
    upward = starts[index].copy()
    velocity = np.zeros_like(upward)
    for gradient in gradients:
        velocity = momentum * velocity + gradient
        upward = upward + lr * velocity
    if given.shape == upward.shape and np.allclose(given, upward):
        return "a sign error: the step goes AGAINST the gradient, p ← p − lr · v"
    return "none of the usual ones: work out v and p for two steps on paper"


CHECKS: tuple[EngineCheck, ...] = (
    EngineCheck(
        "Value ops",
        "value.py",
        lambda seen: ops_outcome(op_checks.VALUE_CASES, seen, "value.py"),
        "the local derivatives of **, tanh, exp, relu",
    ),
    EngineCheck(
        "Value order",
        "value.py",
        lambda seen: walks.order_problem(seen, "value", "*", "topological_order"),
        "topological_order",
        ("topological_order",),
    ),
    EngineCheck(
        "Value.backward",
        "value.py",
        lambda seen: walks.backward_problem(seen, "value", "*", "Value.backward"),
        "Value.backward",
        ("Value.backward",),
    ),
    EngineCheck("unbroadcast", "tensor.py", unbroadcast_problem, "unbroadcast", ("unbroadcast",)),
    EngineCheck(
        "Tensor ops",
        "tensor.py",
        lambda seen: ops_outcome(op_checks.TENSOR_CASES, seen, "tensor.py"),
        "the local derivatives of *, @, sum, log_softmax",
    ),
    EngineCheck(
        "Tensor order",
        "tensor.py",
        lambda seen: walks.order_problem(seen, "tensor", "+", "topological_order"),
        "topological_order",
        ("topological_order",),
    ),
    EngineCheck(
        "Tensor.backward",
        "tensor.py",
        lambda seen: walks.backward_problem(seen, "tensor", "+", "Tensor.backward"),
        "Tensor.backward",
        ("Tensor.backward",),
    ),
    EngineCheck("SGD", "tensor.py", sgd_problem, "SGD.zero_grad and SGD.step", ("SGD.zero_grad", "SGD.step")),
)


def find(name: str) -> EngineCheck:
    (check,) = [check for check in CHECKS if check.name == name]
    return check


def run_check(name: str, folder: str) -> Outcome:
    """The outcome of the check called ``name`` on the workspace ``folder``, both halves in THIS process
    (the student's code runs here: for tests of the rules; ``check DIR`` uses grading.grade_check)."""
    check = find(name)
    return judge(check, observe.observe(name, folder))
