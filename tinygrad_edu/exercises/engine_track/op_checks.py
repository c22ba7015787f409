"""Check the local derivatives a student wrote, one op at a time, against central differences.

Each case builds one op on fresh leaves with the student's class and calls the output's
``local_backward`` with a random upstream gradient g = ∂L/∂out (in the sandbox: observe.py);
here, in the grader's process, what came back (summed to each input's shape, as the engine
would) is compared with the numerical gradient of L = Σ g · out(inputs), from the op's forward
as the library's Tensor computes it (``inputs`` gives both sides the same inputs and g). When
they differ, the message names the op, the input, the element and the values there, and the
mistake it most likely is: the first candidate wrong answer below that equals the student's,
then three tried for every op (a sign error, grad_output missing, swapped inputs).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ...core.broadcast import unbroadcast
from ...core.tensor import Tensor as LibraryTensor
from ...errors import BackwardError

# A wrong answer, from the inputs x, the output y and the upstream gradient g: one gradient per input.
Wrong = Callable[[list[np.ndarray], np.ndarray, np.ndarray], tuple[np.ndarray | None, ...]]


@dataclass(frozen=True)
class Mistake:
    says: str
    gradients: Wrong


@dataclass(frozen=True)
class OpCase:
    """One op on inputs of given values (Value) or shapes (Tensor), and its usual mistakes."""

    text: str  # how the case reads: "x ** 3 at x = 1.7"
    stub: str  # the stub's name in the template, e.g. "Value.tanh's local_backward"
    build: Callable[..., Any]  # the op, applied to the student's leaves
    inputs: tuple[Any, ...]  # floats (Value) or shapes (Tensor)
    names: tuple[str, ...]
    mistakes: tuple[Mistake, ...] = ()
    domain: str = "real"  # "positive": inputs drawn from [0.5, 2]
    shape_hint: str = ""


def softmax(x: np.ndarray, axis: int) -> np.ndarray:
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def power_case(n: float, at: float) -> OpCase:
    return OpCase(
        f"x ** {n} at x = {at}",
        "Value.__pow__'s local_backward",
        lambda v: v**n,
        (at,),
        ("x",),
        (
            Mistake("the factor n is missing: d(xⁿ)/dx = n·xⁿ⁻¹", lambda x, y, g: (g * x[0] ** (n - 1),)),
            Mistake("the exponent is not lowered: d(xⁿ)/dx = n·xⁿ⁻¹, not n·xⁿ", lambda x, y, g: (g * n * y,)),
        ),
    )


VALUE_CASES: tuple[OpCase, ...] = (
    power_case(3, 1.7),
    power_case(-1, 0.8),
    power_case(0.5, 2.3),
    OpCase(
        "tanh x at x = 0.6",
        "Value.tanh's local_backward",
        lambda v: v.tanh(),
        (0.6,),
        ("x",),
        (
            Mistake(
                "used the input x where the output y = tanh x belongs: tanh' = 1 − y²",
                lambda x, y, g: (g * (1 - x[0] ** 2),),
            ),
            Mistake("forgot the square: tanh' = 1 − y², not 1 − y", lambda x, y, g: (g * (1 - y),)),
            Mistake("that is the sigmoid's derivative y·(1 − y); tanh' = 1 − y²", lambda x, y, g: (g * y * (1 - y),)),
        ),
    ),
    OpCase(
        "exp x at x = 0.8",
        "Value.exp's local_backward",
        lambda v: v.exp(),
        (0.8,),
        ("x",),
        (Mistake("used the input x where the output y = eˣ belongs: (eˣ)' = eˣ = y", lambda x, y, g: (g * x[0],)),),
    ),
    OpCase(
        "relu x at x = 1.3",
        "Value.relu's local_backward",
        lambda v: v.relu(),
        (1.3,),
        ("x",),
        (Mistake("multiplied by x: relu' is 1 where x > 0 (and 0 elsewhere), not x", lambda x, y, g: (g * x[0],)),),
    ),
    OpCase(
        "relu x at x = -0.4",
        "Value.relu's local_backward",
        lambda v: v.relu(),
        (-0.4,),
        ("x",),
        (Mistake("the mask is missing: relu' is 0 where x ≤ 0; nothing flows back there", lambda x, y, g: (g,)),),
    ),
)

TENSOR_CASES: tuple[OpCase, ...] = (
    OpCase(
        "a * b on shapes (3, 4), (3, 4)",
        "Tensor.__mul__'s local_backward",
        lambda a, b: a * b,
        ((3, 4), (3, 4)),
        ("a", "b"),
        (
            Mistake(
                "returned grad_output for both, as + does: a product scales it by the OTHER input",
                lambda x, y, g: (g, g),
            ),
        ),
    ),
    OpCase(
        "a * b on shapes (3, 4), (4,)",
        "Tensor.__mul__'s local_backward",
        lambda a, b: a * b,
        ((3, 4), (4,)),
        ("a", "b"),
    ),
    OpCase(
        "A @ B on shapes (3, 4), (4, 2)",
        "Tensor.__matmul__'s local_backward",
        lambda a, b: a @ b,
        ((3, 4), (4, 2)),
        ("A", "B"),
        shape_hint=(
            "let the shapes guide you: ∂L/∂A has A's shape (3, 4), ∂L/∂B has B's shape (4, 2), and grad_output "
            "has Y's shape (3, 2). Which product of grad_output with B, Bᵀ (2, 4), A or Aᵀ (4, 3) has shape (3, 4)? "
            "Which has shape (4, 2)?"
        ),
    ),
    OpCase(
        "x.sum(axis=1) on shape (4, 4)",
        "Tensor.sum's local_backward",
        lambda x: x.sum(axis=1),
        ((4, 4),),
        ("x",),
        (
            Mistake(
                "broadcast grad_output without putting the summed axis back first: broadcasting lines it up with "
                "the LAST axis, so each element got another row's gradient; reshape grad_output to kept_shape, "
                "then broadcast_to(input_shape)",
                lambda x, y, g: (np.broadcast_to(g, x[0].shape),),
            ),
        ),
        shape_hint=(
            "∂L/∂x must have x's shape: every xᵢ was added once, so each gets the gradient of the sum it went "
            "into. Put the summed axis back with size 1 (grad_output.reshape(kept_shape)), then copy along it "
            "(np.broadcast_to(..., input_shape))"
        ),
    ),
    OpCase(
        "x.sum(axis=0, keepdims=True) on shape (3, 4)",
        "Tensor.sum's local_backward",
        lambda x: x.sum(axis=0, keepdims=True),
        ((3, 4),),
        ("x",),
    ),
    OpCase("x.sum() on shape (3, 4)", "Tensor.sum's local_backward", lambda x: x.sum(), ((3, 4),), ("x",)),
    OpCase(
        "x.log_softmax(axis=1) on shape (4, 3)",
        "Tensor.log_softmax's local_backward",
        lambda x: x.log_softmax(axis=1),
        ((4, 3),),
        ("x",),
        (
            Mistake(
                "the sum over the row is missing: yᵢ depends on EVERY xⱼ of its row, so ∂L/∂xⱼ = gⱼ − pⱼ · Σᵢ gᵢ "
                "(you have gⱼ − pⱼ, right only when the gᵢ add up to 1)",
                lambda x, y, g: (g - softmax(x[0], 1),),
            ),
            Mistake(
                "only the diagonal of the Jacobian (∂yⱼ/∂xⱼ = 1 − pⱼ): yᵢ depends on every xⱼ of its row, "
                "∂yᵢ/∂xⱼ = [i = j] − pⱼ, so ∂L/∂xⱼ = gⱼ − pⱼ · Σᵢ gᵢ",
                lambda x, y, g: (g * (1 - softmax(x[0], 1)),),
            ),
            Mistake(
                "that is the softmax's backward, p · (g − Σ p·g); the LOG-softmax's is g − p · Σ g",
                lambda x, y, g: (softmax(x[0], 1) * (g - (softmax(x[0], 1) * g).sum(axis=1, keepdims=True)),),
            ),
        ),
    ),
    OpCase(
        "x.log_softmax(axis=0) on shape (3, 2)",
        "Tensor.log_softmax's local_backward",
        lambda x: x.log_softmax(axis=0),
        ((3, 2),),
        ("x",),
    ),
)


class NotWritten(Exception):
    """The stub of a case's op is still in the student's file."""


def sum_to(gradient: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """``gradient`` summed back to ``shape`` by the library's own unbroadcast (BackwardError if it cannot be)."""
    return np.asarray(unbroadcast(LibraryTensor(np.asarray(gradient, dtype=float)), tuple(shape)).data)


def draw(case: OpCase, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    if isinstance(case.inputs[0], float | int):
        return [np.asarray(float(value)) for value in case.inputs]
    return [rng.uniform(-2, 2, size=shape) for shape in case.inputs]


def library(array: np.ndarray) -> LibraryTensor:
    """The grader's own leaves: the op's forward, for the reference values, is the library's."""
    return LibraryTensor(np.array(array, dtype=np.float64))


def forward(case: OpCase, arrays: list[np.ndarray]) -> np.ndarray:
    """The op's output on ``arrays``, by the library's Tensor."""
    return np.asarray(case.build(*[library(array) for array in arrays]).data, dtype=float)


def inputs(case: OpCase) -> tuple[list[np.ndarray], np.ndarray]:
    """The case's inputs and its upstream gradient g = ∂L/∂out (the same in the sandbox and in the grader)."""
    arrays = draw(case)
    g = np.random.default_rng(7).uniform(0.5, 1.5, size=np.shape(forward(case, arrays)))
    return arrays, g


def unbroadcast_inputs() -> list[tuple[np.ndarray, tuple[int, ...]]]:
    """(grad, shape) for each unbroadcast case."""
    rng = np.random.default_rng(3)
    return [(rng.standard_normal(output_shape), shape) for output_shape, shape in UNBROADCAST_CASES]


UNBROADCAST_CASES = (((3, 4), (4,)), ((3, 4), (3, 1)), ((2, 3, 4), (3, 1)), ((3, 4), ()), ((3, 4), (3, 4)))
SGD_LR, SGD_MOMENTUM = 0.1, 0.9


def sgd_inputs() -> tuple[list[np.ndarray], list[list[np.ndarray]], float, float]:
    """Two parameters' starting values and the gradients of two steps, lr and momentum."""
    rng = np.random.default_rng(5)
    starts = [rng.standard_normal((3, 2)), rng.standard_normal(2)]
    steps = [[rng.standard_normal(start.shape) for start in starts] for _ in range(2)]
    return starts, steps, SGD_LR, SGD_MOMENTUM


def gradients_given(case: OpCase, arrays: list[np.ndarray], seen: dict) -> list[np.ndarray]:
    """The student's gradients, as the sandbox saw them, summed to the inputs' shapes (ValueError if they cannot be)."""
    if "returned" in seen:
        raise ValueError(
            f"local_backward returned {str(seen['returned'])[:80]}; it must return a tuple of "
            f"{len(arrays)} gradient(s), one per input: {'(g,)' if len(arrays) == 1 else '(ga, gb)'}"
        )
    returned = seen["gradients"]
    if not isinstance(returned, list) or len(returned) != len(arrays):
        raise ValueError(
            f"local_backward returned {len(returned) if isinstance(returned, list) else 'no'} gradient(s); it must "
            f"return a tuple of {len(arrays)}, one per input: {'(g,)' if len(arrays) == 1 else '(ga, gb)'}"
        )
    gradients = []
    for array, gradient in zip(arrays, returned):
        gradient = np.asarray(gradient, dtype=float)
        try:
            gradients.append(sum_to(gradient, array.shape))
        except (ValueError, BackwardError):
            raise ValueError(
                f"a gradient of shape {gradient.shape} for an input of shape {array.shape}: "
                "return gradients shaped like the op's OUTPUT (or like the input)"
            ) from None
    return gradients


def numerical(case: OpCase, arrays: list[np.ndarray], g: np.ndarray) -> list[np.ndarray]:
    """∂(Σ g · out)/∂input for each input, by central differences of the op's forward (the library's)."""
    eps = 1e-6
    result = []
    for index, array in enumerate(arrays):
        gradient = np.zeros_like(array)
        for element in np.ndindex(array.shape):
            values = []
            for step in (eps, -eps):
                moved = [a.copy() for a in arrays]
                moved[index][element] += step
                values.append(float(np.sum(g * forward(case, moved))))
            gradient[element] = (values[0] - values[1]) / (2 * eps)
        result.append(gradient)
    return result


def check_case(case: OpCase, seen: dict) -> str | None:
    """None if the student's local derivative, as the sandbox saw it, is right on ``case``; else what is
    wrong (NotWritten when its stub is still there). Every reference value is computed here."""
    arrays, g = inputs(case)
    if "error" in seen:
        error = seen["error"]
        if error["type"] == "NotImplementedError" and "not written yet" in str(error["message"]):
            raise NotWritten(str(error["message"]))
        text = f"{case.text}: {str(error['text'])[:300]}"
        return text + (f"\nHint: {case.shape_hint}" if case.shape_hint else "")
    output = forward(case, arrays)
    theirs = np.asarray(seen["output"], dtype=float)
    if theirs.shape != output.shape or not np.allclose(theirs, output, rtol=1e-6, atol=1e-9):
        return (
            f"{case.text}: the op's output is not what it computes (you have {np.ravel(theirs)[:3]}..., the right "
            f"values are {np.ravel(output)[:3]}...): keep the forward as the template has it"
        )
    try:
        given = gradients_given(case, arrays, seen)
    except ValueError as error:
        return f"{case.text}: ValueError: {error}" + (f"\nHint: {case.shape_hint}" if case.shape_hint else "")
    expected = numerical(case, arrays, g)
    for index, (mine, right) in enumerate(zip(given, expected)):
        if np.allclose(mine, right, rtol=1e-5, atol=1e-7):
            continue
        where = tuple(int(i) for i in np.unravel_index(np.argmax(np.abs(mine - right)), mine.shape))
        at = f"at element {where}, " if where else ""
        upstream = g[where] if g.shape == mine.shape else np.ravel(g)[0]
        message = (
            f"{case.text}: the gradient of {case.names[index]} is wrong {at}where "
            f"{case.names[index]} = {arrays[index][where]:.4g}, grad_output = {upstream:.4g}: "
            f"you gave {mine[where]:.6g}, the right value is {right[where]:.6g}."
        )
        return message + "\nLikely mistake: " + likely(case, index, arrays, output, g, given, expected)
    return None


def likely(
    case: OpCase,
    index: int,
    arrays: list[np.ndarray],
    output: np.ndarray,
    g: np.ndarray,
    given: list[np.ndarray],
    expected: list[np.ndarray],
) -> str:
    mine = given[index]

    def equals(candidate: Any) -> bool:
        if candidate is None:
            return False
        try:
            candidate = sum_to(np.asarray(candidate, dtype=float), mine.shape)
        except BackwardError:
            return False
        return bool(np.allclose(mine, candidate, rtol=1e-5, atol=1e-7))

    for mistake in case.mistakes:
        if equals(mistake.gradients(arrays, output, g)[index]):
            return mistake.says
    if equals(-expected[index]):
        return "a sign error: your values are the right ones times −1"
    if equals(numerical(case, arrays, np.ones_like(g))[index]):
        return (
            "grad_output is missing: your values would be right if ∂L/∂out were 1, but the chain rule multiplies "
            "the local derivative by ∂L/∂out (grad_output)"
        )
    for other, gradient in enumerate(expected):
        if other != index and gradient.shape == mine.shape and equals(gradient):
            return f"swapped inputs: what you return for {case.names[index]} is the gradient of {case.names[other]}"
    return (
        f"none of the usual ones. Work out ∂out/∂{case.names[index]} for one element on paper, "
        "then multiply by grad_output there"
    )
