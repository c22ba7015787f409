"""The engine track's checks: what ``check DIR`` runs on a workspace, in order, and how each grades.

Each check is a function of the workspace folder that loads the student's file, builds graphs
with the student's classes and watches what they do (see op_checks.py and walks.py), and
returns plain data: ``{"status": ..., "message": ...}``, with the statuses of the op track
(correct, not written yet, wrong, half done, does not load). The grader runs each in a child
process of its own, with a time and memory limit (an exponential walk, a runaway recursion or
an endless loop cost a verdict, never the grader).
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..grading import BROKEN, CORRECT, HALF_DONE, NOT_WRITTEN, WRONG
from . import op_checks, walks
from .workspace import load

Outcome = dict[str, str]


@dataclass(frozen=True)
class EngineCheck:
    name: str  # as printed, e.g. "Value ops"
    file: str  # the student's file it grades
    run: Callable[[str], Outcome]  # the workspace folder -> outcome
    what: str  # what the student writes for it


def outcome(status: str, message: str = "") -> Outcome:
    return {"status": status, "message": message}


def describe_error(error: BaseException, file: str) -> str:
    """'ValueError: ... (tensor.py, line 27: return a @ b)', pointing at the student's line when it is theirs."""
    text = f"{type(error).__name__}: {error}".splitlines()[0]
    frames = [frame for frame in traceback.extract_tb(error.__traceback__) if Path(frame.filename).name == file]
    if frames:
        text += f" ({file}, line {frames[-1].lineno}: {frames[-1].line})"
    return text


def guarded(file: str, body: Callable[[Any], Outcome | str | None], *stubs: str) -> Callable[[str], Outcome]:
    """A check of ``file``: load it, run ``body(module)`` (a problem's text, or None), and turn what
    happens into an outcome: one of the check's own ``stubs`` still there is "not written yet",
    another stub the check needed is named, an exception is "wrong" with the student's line."""

    def check(folder: str) -> Outcome:
        try:
            module = load(Path(folder), file)
        except Exception as error:
            return outcome(BROKEN, describe_error(error, file))
        try:
            result = body(module)
        except NotImplementedError as error:
            name = str(error).removesuffix(" is not written yet")
            if name in stubs:
                return outcome(NOT_WRITTEN, f"write {name} in {file}, then check again")
            if "not written yet" in str(error):
                return outcome(NOT_WRITTEN, needs(error))
            return outcome(WRONG, describe_error(error, file))
        except op_checks.NotWritten as error:
            return outcome(NOT_WRITTEN, needs(error))
        except Exception as error:
            return outcome(WRONG, describe_error(error, file))
        if isinstance(result, dict):
            return result
        return outcome(CORRECT) if result is None else outcome(WRONG, result)

    return check


def needs(error: BaseException) -> str:
    return f"this check needs {str(error).removesuffix(' is not written yet')}: write it first"


def ops_outcome(cases: tuple[op_checks.OpCase, ...], make: Callable[[np.ndarray], Any], file: str) -> Outcome:
    """One line per op: correct, not written yet, or the first case it fails and why."""
    verdicts: dict[str, tuple[str, str]] = {}
    for case in cases:
        if case.stub in verdicts and verdicts[case.stub][0] != CORRECT:
            continue
        try:
            problem = op_checks.check_case(case, make)
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


def value_maker(module: Any) -> Callable[[Any], Any]:
    return lambda number: module.Value(float(number))


def tensor_maker(module: Any) -> Callable[[Any], Any]:
    return lambda array: module.Tensor(np.array(array, dtype=np.float64))


# ----- part 1: value.py ------------------------------------------------------------------------------


def value_ops(folder: str) -> Outcome:
    return guarded("value.py", lambda m: ops_outcome(op_checks.VALUE_CASES, value_maker(m), "value.py"))(folder)


value_order = guarded(
    "value.py",
    lambda m: walks.order_problem(m.topological_order, value_maker(m), "*", "topological_order"),
    "topological_order",
)
value_backward = guarded(
    "value.py", lambda m: walks.backward_problem(value_maker(m), "*", "Value.backward"), "Value.backward"
)


# ----- part 2: tensor.py -----------------------------------------------------------------------------

UNBROADCAST_CASES = (((3, 4), (4,)), ((3, 4), (3, 1)), ((2, 3, 4), (3, 1)), ((3, 4), ()), ((3, 4), (3, 4)))


def unbroadcast_problem(module: Any) -> str | None:
    rng = np.random.default_rng(3)
    for output_shape, shape in UNBROADCAST_CASES:
        grad = rng.standard_normal(output_shape)
        given = np.asarray(module.unbroadcast(grad.copy(), shape))
        right = op_checks.sum_to(grad, shape)
        case = f"unbroadcast(grad of shape {output_shape}, {shape})"
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


unbroadcast = guarded("tensor.py", unbroadcast_problem, "unbroadcast")


def tensor_ops(folder: str) -> Outcome:
    return guarded("tensor.py", lambda m: ops_outcome(op_checks.TENSOR_CASES, tensor_maker(m), "tensor.py"))(folder)


def array_maker(module: Any) -> Callable[[float], Any]:
    """Tensors of shape (2,), so the walk is checked with arrays, not just numbers."""
    return lambda number: module.Tensor(np.array([number, 2 * number], dtype=np.float64))


tensor_order = guarded(
    "tensor.py",
    lambda m: walks.order_problem(m.topological_order, array_maker(m), "+", "topological_order"),
    "topological_order",
)
tensor_backward = guarded(
    "tensor.py", lambda m: walks.backward_problem(array_maker(m), "+", "Tensor.backward"), "Tensor.backward"
)


def sgd_problem(module: Any) -> str | None:
    """Two steps of SGD with momentum on two parameters, with gradients set as backward would set them."""
    rng = np.random.default_rng(5)
    starts = [rng.standard_normal((3, 2)), rng.standard_normal(2)]
    steps = [[rng.standard_normal(start.shape) for start in starts] for _ in range(2)]
    lr, momentum = 0.1, 0.9
    parameters = [module.Tensor(start.copy()) for start in starts]
    optimizer = module.SGD(parameters, lr=lr, momentum=momentum)
    expected = [start.copy() for start in starts]
    velocities = [np.zeros_like(start) for start in starts]
    for number, gradients in enumerate(steps, start=1):
        optimizer.zero_grad()
        for index, parameter in enumerate(parameters):
            grad = parameter.grad
            if grad is None or np.shape(grad) != starts[index].shape:
                return (
                    f"after zero_grad() parameter {index}'s grad is {grad!r:.40}; it must be an array of zeros "
                    f"shaped like the parameter {starts[index].shape} (backward adds to it)"
                )
            if np.any(np.asarray(grad) != 0):
                return (
                    f"step {number}: after zero_grad() parameter {index}'s grad is still {np.ravel(grad)[:3]}..., "
                    "the gradient of the step before.\nLikely mistake: gradients not zeroed between steps. "
                    "backward ADDS to .grad, so without zeroing, each step would use the sum of all the gradients "
                    "so far: set each parameter's grad to zeros (p.grad = np.zeros_like(p.data))"
                )
            parameter.grad = np.asarray(grad) + gradients[index]  # what backward does: grad += ∂L/∂p
        optimizer.step()
        for index, gradient in enumerate(gradients):
            velocities[index] = momentum * velocities[index] + gradient
            expected[index] = expected[index] - lr * velocities[index]
        for index, (parameter, right) in enumerate(zip(parameters, expected)):
            given = np.asarray(parameter.data)
            if np.allclose(given, right):
                continue
            message = (
                f"step {number} of SGD(lr={lr}, momentum={momentum}): parameter {index} is wrong: at element 0 "
                f"you have {np.ravel(given)[0]:.6g}, the right value is {np.ravel(right)[0]:.6g}."
            )
            return message + "\nLikely mistake: " + sgd_mistake(number, index, given, starts, steps, lr, momentum)
    return None


def sgd_mistake(
    number: int, index: int, given: np.ndarray, starts: list, steps: list, lr: float, momentum: float
) -> str:
    gradients = [step[index] for step in steps[:number]]
    plain = starts[index] - lr * sum(gradients)
    if np.allclose(given, plain):
        return "no momentum: each step must use v ← momentum · v + ∂L/∂p, then p ← p − lr · v"
    upward = starts[index].copy()
    velocity = np.zeros_like(upward)
    for gradient in gradients:
        velocity = momentum * velocity + gradient
        upward = upward + lr * velocity
    if np.allclose(given, upward):
        return "a sign error: the step goes AGAINST the gradient, p ← p − lr · v"
    return "none of the usual ones: work out v and p for two steps on paper"


sgd = guarded("tensor.py", sgd_problem, "SGD.zero_grad", "SGD.step")

CHECKS: tuple[EngineCheck, ...] = (
    EngineCheck("Value ops", "value.py", value_ops, "the local derivatives of **, tanh, exp, relu"),
    EngineCheck("Value order", "value.py", value_order, "topological_order"),
    EngineCheck("Value.backward", "value.py", value_backward, "Value.backward"),
    EngineCheck("unbroadcast", "tensor.py", unbroadcast, "unbroadcast"),
    EngineCheck("Tensor ops", "tensor.py", tensor_ops, "the local derivatives of *, @, sum, log_softmax"),
    EngineCheck("Tensor order", "tensor.py", tensor_order, "topological_order"),
    EngineCheck("Tensor.backward", "tensor.py", tensor_backward, "Tensor.backward"),
    EngineCheck("SGD", "tensor.py", sgd, "SGD.zero_grad and SGD.step"),
)


def run_check(name: str, folder: str) -> Outcome:
    """The outcome of the check called ``name`` on the workspace ``folder`` (what a child process runs)."""
    (check,) = [check for check in CHECKS if check.name == name]
    return check.run(folder)
