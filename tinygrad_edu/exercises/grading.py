"""Grade a student's op and say what is wrong with it.

``grade(exercise, op)`` runs each case of the exercise through ``check_op``. When a check
fails it compares the student's gradients, element by element, with the reference solution's
(same inputs, same random upstream gradient) and names the first input that is wrong, the
element, the values there, and the mistake it most likely is: the first candidate wrong answer
(catalog.py, then the three below) that the student's gradient equals.

    sign error           −(the right answer)
    missing grad_output  the right answer for an upstream gradient of ones
    swapped inputs       the right answer of another input of the same shape

When every first derivative is right but a check still fails (second order, dtype,
broadcasting), the failing check is quoted, with the cause when it is a known one: a backward
that returns NumPy arrays, or computes with ``.data`` or with values kept on ``ctx``, gets first
derivatives right and second derivatives wrong.
"""

from __future__ import annotations

import inspect
import traceback
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..autograd import enable_grad, grad
from ..tensor import Tensor
from ..testing import DOMAINS, check_op
from . import solutions
from .catalog import Case, Exercise

CORRECT = "correct"
NOT_WRITTEN = "not written yet"
WRONG = "wrong"
BROKEN = "does not load"


@dataclass
class Grade:
    """The verdict on one op: ``status`` (one of the four above) and, unless correct, why."""

    exercise: Exercise
    status: str
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.status == CORRECT

    def __str__(self) -> str:
        head = f"{self.exercise.name:<20} {self.status}"
        if not self.message:
            return head
        return head + "\n" + "\n".join(f"    {line}" for line in self.message.splitlines())


@dataclass
class FirstOrder:
    """One run of forward and backward: the output, the upstream gradient, ∂L/∂input per input."""

    output: np.ndarray
    upstream: np.ndarray
    gradients: list[np.ndarray | None]


def grade(exercise: Exercise, op: type) -> Grade:
    """Grade the student's class ``op`` on every case of ``exercise``."""
    for case in exercise.cases:
        try:
            first_order(case, op, draw(case))
        except NotImplementedError:
            return Grade(exercise, NOT_WRITTEN, f"write {exercise.name}.backward in {exercise.file}, then check again")
        except Exception as error:
            message = f"{case.describe(exercise.name)}: {describe_error(error, exercise)}"
            return Grade(exercise, WRONG, message + (f"\nHint: {exercise.shape_hint}" if exercise.shape_hint else ""))
        report = check_op(
            case.bind(op),
            *case.shapes,
            domain=case.domain,
            broadcast=case.broadcast,
            name=exercise.name,
        )
        if not report.ok:
            return Grade(exercise, WRONG, diagnose(exercise, case, op, report))
    return Grade(exercise, CORRECT)


def draw(case: Case, seed: int = 0) -> list[np.ndarray]:
    """Random float64 inputs for ``case``, from its domain."""
    rng = np.random.default_rng(seed)
    domains = case.domain if isinstance(case.domain, tuple) else (case.domain,) * len(case.shapes)
    return [DOMAINS[domain](rng, shape) for domain, shape in zip(domains, case.shapes)]


def first_order(case: Case, op: type, arrays: list[np.ndarray], upstream: np.ndarray | None = None) -> FirstOrder:
    """Forward and backward of ``op`` on ``arrays``, with a random upstream gradient unless one is given."""
    inputs = [Tensor(array.copy(), requires_grad=True) for array in arrays]
    output = case.bind(op)(*inputs)
    if upstream is None:
        upstream = np.random.default_rng(7).standard_normal(output.shape)
    grads = grad(output, inputs, grad_outputs=Tensor(upstream), allow_unused=True)
    return FirstOrder(output.data, upstream, [None if g is None else np.asarray(g.data) for g in grads])


def input_names(exercise: Exercise, case: Case) -> list[str]:
    """The names forward gives its inputs (a, b; x; logits), from the reference solution."""
    parameters = list(inspect.signature(getattr(solutions, exercise.name).forward).parameters)
    return parameters[1 : 1 + len(case.shapes)]


def diagnose(exercise: Exercise, case: Case, op: type, report) -> str:
    """Say which input's gradient is wrong, where, and why (see the module docstring)."""
    reference = getattr(solutions, exercise.name)
    arrays = draw(case)
    mine = first_order(case, op, arrays)
    right = first_order(case, reference, arrays, mine.upstream)
    right_for_ones = first_order(case, reference, arrays, np.ones_like(mine.upstream))
    names = input_names(exercise, case)
    for index, (given, expected) in enumerate(zip(mine.gradients, right.gradients)):
        name = f"{names[index]} (input {index})"
        if given is None:
            return f"{case.describe(exercise.name)}: no gradient reached {name}: backward returned None for it"
        if given.shape == expected.shape and np.allclose(given, expected, rtol=1e-6, atol=1e-9):
            continue
        where = worst_element(given, expected)
        values = ", ".join(
            f"{names[other]} = {array[where]:.4g}" for other, array in enumerate(arrays) if array.shape == given.shape
        )
        if mine.upstream.shape == given.shape:
            values += f", grad_output = {mine.upstream[where]:.4g}"
        elif mine.upstream.ndim == 0:
            values += f", grad_output = {float(mine.upstream):.4g}"
        message = (
            f"{case.describe(exercise.name)}: the gradient of {name} is wrong at element {where}, where {values}: "
            f"you gave {given[where]:.6g}, the right value is {expected[where]:.6g}."
        )
        return (
            message + "\nLikely mistake: " + likely_mistake(exercise, index, names, arrays, mine, right, right_for_ones)
        )
    failure = report.failures[0]
    detail = failure.detail.splitlines()[0] if failure.detail else ""
    message = (
        f"{case.describe(exercise.name)}: first derivatives are right, "
        f"but check_op's {failure.name!r} check fails: {detail}"
    )
    cause = second_order_cause(exercise, case, op, arrays, names) if failure.name == "gradgradcheck" else ""
    return message + (f"\nLikely mistake: {cause}" if cause else "")


def worst_element(given: np.ndarray, expected: np.ndarray) -> tuple[int, ...]:
    if given.shape != expected.shape:
        return ()
    error = np.where(np.isfinite(given), np.abs(given - expected), np.inf)
    return tuple(int(i) for i in np.unravel_index(np.argmax(error), given.shape))


def likely_mistake(
    exercise: Exercise,
    index: int,
    names: list[str],
    arrays: list[np.ndarray],
    mine: FirstOrder,
    right: FirstOrder,
    right_for_ones: FirstOrder,
) -> str:
    """The first candidate wrong answer that equals the student's gradient of input ``index``."""
    given = mine.gradients[index]

    def equals(candidate: np.ndarray | None) -> bool:
        return candidate is not None and candidate.shape == given.shape and np.allclose(given, candidate, rtol=1e-6)

    for mistake in exercise.mistakes:
        if equals(mistake.gradients(arrays, mine.output, mine.upstream)[index]):
            return mistake.says
    if equals(-right.gradients[index]):
        return "a sign error: your values are the right ones times −1"
    if equals(right_for_ones.gradients[index]):
        return (
            "grad_output is missing: your values would be right if ∂L/∂y were 1, but the chain rule "
            "multiplies the local derivative by ∂L/∂y (grad_output)"
        )
    for other, gradient in enumerate(right.gradients):
        if other != index and equals(gradient):
            return f"swapped inputs: what you return for {names[index]} is the gradient of {names[other]}"
    return (
        f"none of the usual ones. Work out ∂y/∂{names[index]} for one element on paper, "
        "then multiply by grad_output there"
    )


def second_order_cause(exercise: Exercise, case: Case, op: type, arrays: list[np.ndarray], names: list[str]) -> str:
    """Why first derivatives are right and second ones are not: look at what backward returns."""
    mine = returned_gradients(case, op, arrays)
    right = returned_gradients(case, getattr(solutions, exercise.name), arrays)
    for name, (gradient, depends_on), (_, should_depend_on) in zip(names, mine, right):
        if isinstance(gradient, np.ndarray):
            return (
                f"backward returns a NumPy array for {name}: the engine cannot differentiate it again. "
                "Compute the gradient with Tensor operations on ctx.saved_tensors and grad_output"
            )
        missing = [names[index] for index in sorted(should_depend_on - depends_on)]
        if missing:
            return (
                f"the gradient of {name} is cut off from {' and '.join(missing)} in the graph: it was computed "
                "from .data, with a NumPy function, or from a value kept on ctx (ctx.y = y) instead of "
                "ctx.save_for_backward. Compute it with Tensor operations on ctx.saved_tensors and grad_output"
            )
    return ""


def returned_gradients(case: Case, op: type, arrays: list[np.ndarray]) -> list[tuple[object, set[int]]]:
    """Call op's backward as the engine does under create_graph=True; for each gradient it returns, the
    gradient and the inputs it depends on through the graph."""
    inputs = [Tensor(array.copy(), requires_grad=True) for array in arrays]
    output = case.bind(op)(*inputs)
    context = output.grad_fn
    context.output = output  # the engine lends the output during backward, for saved_tensors
    try:
        with enable_grad():
            returned = context.function.backward(context, Tensor(np.ones(output.shape), requires_grad=True))
    finally:
        context.output = None
    returned = returned if isinstance(returned, tuple) else (returned,)
    result = []
    for gradient in returned[: len(inputs)]:
        depends_on: set[int] = set()
        if isinstance(gradient, Tensor) and gradient.requires_grad:
            reached = grad(gradient.sum(), inputs, allow_unused=True)
            depends_on = {index for index, second in enumerate(reached) if second is not None}
        result.append((gradient, depends_on))
    return result


def describe_error(error: BaseException, exercise: Exercise) -> str:
    """'ValueError: ... (mul.py, line 27: return a @ b)', pointing at the student's line when it is theirs."""
    text = f"{type(error).__name__}: {error}".splitlines()[0]
    frames = [
        frame for frame in traceback.extract_tb(error.__traceback__) if Path(frame.filename).name == exercise.file
    ]
    if frames:
        text += f" ({exercise.file}, line {frames[-1].lineno}: {frames[-1].line})"
    return text
