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
broadcasting), the failing check is quoted, with the cause check_op names: a backward that
returns NumPy arrays, or computes with ``.data`` or with values kept on ``ctx``, gets first
derivatives right and second derivatives wrong.

The jvp is graded the same way, on its own: its output tangent against the reference's for
random input tangents, with its own candidate mistakes (catalog.py) and three generic ones
(a sign error, the input's tangent missing, only one input's term).
"""

from __future__ import annotations

import inspect
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core.autograd import grad
from ..core.forward_mode import jvp
from ..core.tensor import Tensor
from ..debug.check_op import DOMAINS, Check, check_op
from . import solutions
from .catalog import Case, Exercise

CORRECT = "correct"
NOT_WRITTEN = "not written yet"
WRONG = "wrong"
BROKEN = "does not load"
HALF_DONE = "half done"  # one of backward and jvp correct, the other not written yet


@dataclass
class Grade:
    """The verdict on one op: ``status`` (one of the five above) and, unless correct, why: a line or
    more for each of backward and jvp."""

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
    """Grade the student's class ``op``: its backward and its jvp, each on every case of ``exercise``."""
    return combine(exercise, judge(exercise, op))


def judge(exercise: Exercise, op: type) -> dict[str, tuple[str, str] | None]:
    """The verdict on each of backward and jvp: None when it is correct, else (status, why not)."""
    verdicts: dict[str, tuple[str, str] | None] = {"backward": None, "jvp": None}  # None: nothing wrong yet
    for case in exercise.cases:
        arrays = draw(case)
        if verdicts["backward"] is None:
            verdicts["backward"] = probe(exercise, case, "backward", first_order, op, arrays)
        if verdicts["jvp"] is None:
            verdicts["jvp"] = probe(exercise, case, "jvp", forward_tangent, op, arrays)
        if verdicts["backward"] and verdicts["jvp"]:
            break
        report = check_op(
            case.bind(op),
            *case.shapes,
            domain=case.domain,
            broadcast=case.broadcast,
            forward_mode=verdicts["jvp"] is None,
            name=exercise.name,
        )
        # "jvp vs backward" fails only when "jvp" or "gradcheck" does; the broadcasting check covers both methods.
        failures = [check for check in report.failures if check.name != "jvp vs backward"]
        jvp_failures = [check for check in failures if check.name == "jvp" or "tangent" in check.detail]
        backward_failures = [check for check in failures if check not in jvp_failures]
        if verdicts["backward"] is None and backward_failures:
            verdicts["backward"] = (WRONG, diagnose(exercise, case, op, backward_failures[0]))
        if verdicts["jvp"] is None and jvp_failures:
            verdicts["jvp"] = (WRONG, diagnose_jvp(exercise, case, op, jvp_failures[0]))
    return verdicts


def probe(
    exercise: Exercise, case: Case, method: str, run: Callable[..., object], op: type, arrays: list[np.ndarray]
) -> tuple[str, str] | None:
    """``run(case, op, arrays)``, one pass of forward and ``method``: None if it runs, else (status, why not)."""
    try:
        run(case, op, arrays)
    except NotImplementedError as error:
        if f"{exercise.name}.{method}" in str(error) or f"{exercise.name} has no {method}" in str(error):
            return NOT_WRITTEN, f"write {exercise.name}.{method} in {exercise.file}, then check again"
        return WRONG, f"{case.describe(exercise.name)}: {describe_error(error, exercise)}"
    except Exception as error:
        message = f"{case.describe(exercise.name)}: {describe_error(error, exercise)}"
        return WRONG, message + (f"\nHint: {exercise.shape_hint}" if exercise.shape_hint else "")
    return None


def combine(exercise: Exercise, verdicts: dict[str, tuple[str, str] | None]) -> Grade:
    """One grade from the verdicts on backward and jvp."""
    statuses = {method: CORRECT if verdict is None else verdict[0] for method, verdict in verdicts.items()}
    if all(status == CORRECT for status in statuses.values()):
        return Grade(exercise, CORRECT)
    if all(status == NOT_WRITTEN for status in statuses.values()):
        return Grade(exercise, NOT_WRITTEN, f"write {exercise.name}.backward and .jvp in {exercise.file}")
    lines = []
    for method, verdict in verdicts.items():
        if verdict is None:
            lines.append(f"{method}: correct")
        else:
            first, *rest = verdict[1].splitlines()
            lines += [f"{method}: {verdict[0]}: {first}"] + [f"  {line}" for line in rest]
    status = WRONG if WRONG in statuses.values() else HALF_DONE
    return Grade(exercise, status, "\n".join(lines))


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


def diagnose(exercise: Exercise, case: Case, op: type, failure: Check) -> str:
    """Say which input's gradient is wrong, where, and why (see the module docstring)."""
    reference = getattr(solutions, exercise.name)
    arrays = draw(case)
    mine = first_order(case, op, arrays)
    right = first_order(case, reference, arrays, mine.upstream)
    right_for_ones = first_order(case, reference, arrays, np.ones_like(mine.upstream))
    names = input_names(exercise, case)
    for index, (given, expected) in enumerate(zip(mine.gradients, right.gradients)):
        name = f"{names[index]} (input {index})"
        if given is None or expected is None:
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
        mistake = likely_mistake(exercise, index, names, arrays, given, mine, right, right_for_ones)
        return message + "\nLikely mistake: " + mistake
    return f"{case.describe(exercise.name)}: first derivatives are right, but {quote(failure, op, 'backward')}"


def quote(failure: Check, op: type, method: str) -> str:
    """check_op's failing check in a line, and the likely cause: check_op's when it names one, a
    float64 constant when the dtype check fails, NumPy in the method when its source uses it."""
    lines = failure.detail.splitlines() or [""]
    causes = [line.removeprefix("likely cause: ") for line in lines if line.startswith("likely cause: ")]
    text = f"check_op's {failure.name!r} check fails: {lines[0]}"
    numpy_lines = numpy_in(op, method)
    if causes and "does not depend on the op's inputs" in causes[0] and numpy_lines:
        causes[0] = (
            f"{op.__name__}.{method} computes with NumPy ({numpy_lines[0]}): the engine takes a NumPy result "
            "as a constant, so nothing of it is recorded and its derivative comes out 0. Compute the gradient "
            "with Tensor operations on grad_output and ctx.saved_tensors (no .data, no np. functions)."
        )
    if not causes and "float64, expected float32" in failure.detail:
        causes.append(
            f"a float64 constant in {op.__name__}.{method} (np.eye(n), np.ones(...) and Tensor(array) are float64 "
            "unless told otherwise) turns the float32 result into float64. Make constants with the input's dtype, "
            "e.g. np.eye(n, dtype=x.dtype)"
        )
    return text + (f"\nLikely mistake: {causes[0]}" if causes else "")


def numpy_in(op: type, method: str) -> list[str]:
    """The lines of ``op.method``'s source that use NumPy (``np.``/``numpy.`` or ``.data``), stripped."""
    try:
        source = inspect.getsource(getattr(op, method))
    except (OSError, TypeError, AttributeError):
        return []
    found = []
    for line in source.splitlines()[1:]:  # after the def line
        code = line.split("#")[0]
        if ".data" in code or "np." in code or "numpy." in code:
            found.append(code.strip())
    return sorted(found, key=lambda code: ".data" not in code)  # .data first: np.eye(n) may be a fair constant


def forward_tangent(
    case: Case, op: type, arrays: list[np.ndarray], tangents: list[np.ndarray] | None = None
) -> np.ndarray:
    """The output's tangent by forward mode (tg.jvp through ``op``), for random input tangents unless given."""
    if tangents is None:
        tangents = directions(arrays)
    _, output_tangent = jvp(case.bind(op), [Tensor(array) for array in arrays], [Tensor(t) for t in tangents])
    assert isinstance(output_tangent, Tensor), "an op has one output, so jvp gives one tangent"
    return np.asarray(output_tangent.data)


def directions(arrays: list[np.ndarray]) -> list[np.ndarray]:
    rng = np.random.default_rng(13)
    return [rng.standard_normal(array.shape) for array in arrays]


def diagnose_jvp(exercise: Exercise, case: Case, op: type, failure: Check) -> str:
    """Say where the output's tangent is wrong, and why (the jvp mistakes, then the generic ones)."""
    reference = getattr(solutions, exercise.name)
    arrays = draw(case)
    tangents = directions(arrays)
    given = forward_tangent(case, op, arrays, tangents)
    expected = forward_tangent(case, reference, arrays, tangents)
    if given.shape == expected.shape and np.allclose(given, expected, rtol=1e-6, atol=1e-9):
        return f"{case.describe(exercise.name)}: the tangent is right here, but {quote(failure, op, 'jvp')}"
    names = input_names(exercise, case)
    where = worst_element(given, expected)
    values = ", ".join(
        f"{name} = {array[where]:.4g}, {name}_dot = {tangent[where]:.4g}"
        for name, array, tangent in zip(names, arrays, tangents)
        if array.shape == given.shape
    )
    message = (
        f"{case.describe(exercise.name)}: the output's tangent is wrong at element {where}"
        + (f", where {values}" if values else "")
        + f": you gave {given[where]:.6g}, the right value is {expected[where]:.6g}."
    )
    output = case.bind(reference)(*[Tensor(array) for array in arrays]).data

    def equals(candidate: np.ndarray) -> bool:
        return candidate.shape == given.shape and np.allclose(given, candidate, rtol=1e-6)

    for mistake in exercise.jvp_mistakes:
        if equals(np.asarray(mistake.tangent(arrays, output, tangents))):
            return message + f"\nLikely mistake: {mistake.says}"
    if equals(-expected):
        return message + "\nLikely mistake: a sign error: your values are the right ones times −1"
    if equals(forward_tangent(case, reference, arrays, [np.ones_like(t) for t in tangents])):
        return message + (
            "\nLikely mistake: the tangent is missing: your values are the local derivative alone; "
            "forward mode multiplies it by the input's tangent (x_dot)"
        )
    for index, name in enumerate(names):
        alone = [t if other == index else np.zeros_like(t) for other, t in enumerate(tangents)]
        if len(names) > 1 and equals(forward_tangent(case, reference, arrays, alone)):
            return message + (
                f"\nLikely mistake: only {name}'s term: every input that moves adds its own term, ẏ = Σₖ ∂y/∂xₖ · ẋₖ"
            )
    return message + "\nLikely mistake: none of the usual ones. Work out ẏ for one element on paper"


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
    given: np.ndarray,
    mine: FirstOrder,
    right: FirstOrder,
    right_for_ones: FirstOrder,
) -> str:
    """The first candidate wrong answer that equals ``given``, the student's gradient of input ``index``."""

    def equals(candidate: np.ndarray | None) -> bool:
        return candidate is not None and candidate.shape == given.shape and np.allclose(given, candidate, rtol=1e-6)

    for mistake in exercise.mistakes:
        if equals(mistake.gradients(arrays, mine.output, mine.upstream)[index]):
            return mistake.says
    expected = right.gradients[index]
    if expected is not None and equals(-expected):
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


def describe_error(error: BaseException, exercise: Exercise) -> str:
    """'ValueError: ... (mul.py, line 27: return a @ b)', pointing at the student's line when it is theirs."""
    text = f"{type(error).__name__}: {error}".splitlines()[0]
    frames = [
        frame for frame in traceback.extract_tb(error.__traceback__) if Path(frame.filename).name == exercise.file
    ]
    if frames:
        text += f" ({exercise.file}, line {frames[-1].lineno}: {frames[-1].line})"
    return text
