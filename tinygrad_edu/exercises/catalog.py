"""The exercises, as one table: each op the student writes, how it is checked, and the usual mistakes.

An Exercise names a class of ``solutions.py`` and the workspace file it goes to, and says what
the stubs of its ``backward`` and ``jvp`` ask for. Its cases say how to call it (input shapes,
the domain inputs are drawn from, settings such as ``axis``); each case is graded with
``check_op``. Its mistakes are wrong answers students often give, written in NumPy: for
backward, from the inputs x, the output y and the upstream gradient g (= ∂L/∂y), one gradient
per input (None where the mistake says nothing about that input); for jvp, from x, y and the
inputs' tangents ẋ, the output's tangent. When a student's answer equals one of them, ``check``
names the mistake. A few more are tried for every op (see ``grading.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core.tensor import Function, Tensor

Gradients = Callable[[list[np.ndarray], np.ndarray, np.ndarray], tuple[np.ndarray | None, ...]]
Tangent = Callable[[list[np.ndarray], np.ndarray, list[np.ndarray]], np.ndarray]


@dataclass(frozen=True)
class Mistake:
    """A wrong backward (``gradients``) and what the student probably did (``says``)."""

    says: str
    gradients: Gradients


@dataclass(frozen=True)
class JvpMistake:
    """A wrong jvp (``tangent``) and what the student probably did (``says``)."""

    says: str
    tangent: Tangent


@dataclass(frozen=True)
class Case:
    """One way to call the op: its input shapes and domain, plus constant arguments and settings."""

    shapes: tuple[tuple[int, ...], ...]
    domain: str | tuple[str, ...] = "real"
    constants: tuple[Any, ...] = ()  # passed after the inputs, e.g. the targets of a loss
    settings: dict[str, Any] = field(default_factory=dict)  # keyword arguments of apply, e.g. axis=1
    broadcast: bool = True  # let check_op try other, broadcast shapes (ops of two or more inputs)

    def bind(self, op: type[Function]) -> Callable[..., Tensor]:
        """The function of the inputs that check_op and the grader call."""

        def call(*inputs: Tensor) -> Tensor:
            return op.apply(*inputs, *self.constants, **self.settings)

        return call

    def describe(self, name: str) -> str:
        settings = ", ".join(f"{key}={value!r}" for key, value in self.settings.items())
        shapes = ", ".join(str(shape) for shape in self.shapes)
        return f"{name}({settings}) on shape {shapes}" if settings else f"{name} on shapes {shapes}"


@dataclass(frozen=True)
class Exercise:
    name: str  # the class, in solutions.py and in the student's file
    file: str  # the student's file in the workspace
    backward_task: str  # what the stub of backward asks for (code and comment lines)
    jvp_task: str  # what the stub of jvp asks for
    cases: tuple[Case, ...]
    mistakes: tuple[Mistake, ...] = ()
    jvp_mistakes: tuple[JvpMistake, ...] = ()
    shape_hint: str = ""  # said when the student's backward fails on shapes

    def task(self, method: str) -> str:
        """What the stub of ``method`` ("backward" or "jvp") asks for."""
        return self.backward_task if method == "backward" else self.jvp_task


def softmax(x: np.ndarray, axis: int) -> np.ndarray:
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


TARGETS = np.array([2, 0, 1, 2])  # the classes of the 4 rows the cross-entropy is checked on


def onehot(logits: np.ndarray) -> np.ndarray:
    return np.eye(logits.shape[1])[TARGETS]


EXERCISES: tuple[Exercise, ...] = (
    Exercise(
        "Mul",
        "mul.py",
        "a, b = ctx.saved_tensors\n# return ∂L/∂a, ∂L/∂b   (grad_output is ∂L/∂y, shaped like y)",
        "a, b = ctx.saved_tensors\n# return ẏ, the tangent of y = a · b, from a_dot (ȧ) and b_dot (ḃ)",
        (Case(((3, 4), (3, 4))),),
        (
            Mistake(
                "returned grad_output for both, as Add does: a product scales it by the other input",
                lambda x, y, g: (g, g),
            ),
        ),
        jvp_mistakes=(
            JvpMistake(
                "multiplied each tangent by its own input: ẏ = ȧ · b + a · ḃ", lambda x, y, t: t[0] * x[0] + x[1] * t[1]
            ),
        ),
    ),
    Exercise(
        "Div",
        "div.py",
        "a, b = ctx.saved_tensors\n# return ∂L/∂a, ∂L/∂b   (grad_output is ∂L/∂y, shaped like y)",
        "a, b = ctx.saved_tensors\n# return ẏ, the tangent of y = a / b, from a_dot (ȧ) and b_dot (ḃ)",
        (Case(((3, 4), (3, 4)), domain=("real", "positive")),),
        (
            Mistake("multiplied by b: ∂(a/b)/∂a = 1/b, so divide grad_output by b", lambda x, y, g: (g * x[1], None)),
            Mistake("the minus sign is missing: ∂(a/b)/∂b = −a/b²", lambda x, y, g: (None, g * x[0] / x[1] ** 2)),
            Mistake("b is not squared: ∂(a/b)/∂b = −a/b², not −a/b", lambda x, y, g: (None, -g * x[0] / x[1])),
        ),
        jvp_mistakes=(
            JvpMistake(
                "the minus sign is missing: ẏ = ȧ / b − ḃ · a / b²",
                lambda x, y, t: t[0] / x[1] + t[1] * x[0] / x[1] ** 2,
            ),
            JvpMistake("b is not squared: ẏ = ȧ / b − ḃ · a / b²", lambda x, y, t: t[0] / x[1] - t[1] * x[0] / x[1]),
        ),
    ),
    Exercise(
        "Exp",
        "exp.py",
        "(y,) = ctx.saved_tensors      # forward saved its output y = eˣ\n# return ∂L/∂x",
        "(y,) = ctx.saved_tensors\n# return ẏ, the tangent of y = eˣ, from x_dot (ẋ)",
        (Case(((3, 4),)),),
        (Mistake("used the input x where the output y = eˣ belongs: ∂eˣ/∂x = eˣ = y", lambda x, y, g: (g * x[0],)),),
        jvp_mistakes=(
            JvpMistake(
                "used the input x where the output y = eˣ belongs: ẏ = ẋ · eˣ = ẋ · y", lambda x, y, t: t[0] * x[0]
            ),
        ),
    ),
    Exercise(
        "Tanh",
        "tanh.py",
        "(y,) = ctx.saved_tensors      # forward saved its output y = tanh x\n# return ∂L/∂x",
        "(y,) = ctx.saved_tensors\n# return ẏ, the tangent of y = tanh x, from x_dot (ẋ)",
        (Case(((3, 4),)),),
        (
            Mistake(
                "used the input x where the output y = tanh x belongs: tanh' = 1 − y² with y the output",
                lambda x, y, g: (g * (1 - x[0] ** 2),),
            ),
            Mistake("forgot the square: tanh' = 1 − y², not 1 − y", lambda x, y, g: (g * (1 - y),)),
            Mistake("that is the sigmoid's derivative y·(1 − y); tanh' = 1 − y²", lambda x, y, g: (g * y * (1 - y),)),
        ),
        jvp_mistakes=(
            JvpMistake(
                "used the input x where the output y belongs: ẏ = ẋ · (1 − y²)", lambda x, y, t: t[0] * (1 - x[0] ** 2)
            ),
            JvpMistake("forgot the square: ẏ = ẋ · (1 − y²)", lambda x, y, t: t[0] * (1 - y)),
        ),
    ),
    Exercise(
        "Sigmoid",
        "sigmoid.py",
        "(y,) = ctx.saved_tensors      # forward saved its output y = σ(x)\n# return ∂L/∂x",
        "(y,) = ctx.saved_tensors\n# return ẏ, the tangent of y = σ(x), from x_dot (ẋ)",
        (Case(((3, 4),)),),
        (
            Mistake(
                "used the input x where the output y = σ(x) belongs: σ' = y·(1 − y) with y the output",
                lambda x, y, g: (g * x[0] * (1 - x[0]),),
            ),
            Mistake("forgot the factor (1 − y): σ' = y·(1 − y)", lambda x, y, g: (g * y,)),
            Mistake("that is tanh's derivative 1 − y²; σ' = y·(1 − y)", lambda x, y, g: (g * (1 - y**2),)),
        ),
        jvp_mistakes=(
            JvpMistake(
                "used the input x where the output y belongs: ẏ = ẋ · y · (1 − y)",
                lambda x, y, t: t[0] * x[0] * (1 - x[0]),
            ),
            JvpMistake("forgot the factor (1 − y): ẏ = ẋ · y · (1 − y)", lambda x, y, t: t[0] * y),
        ),
    ),
    Exercise(
        "MatMul",
        "matmul.py",
        "a, b = ctx.saved_tensors\n# return ∂L/∂A, ∂L/∂B   (grad_output is ∂L/∂Y, shaped like Y; t.T transposes t)",
        "a, b = ctx.saved_tensors\n# return Ẏ, the tangent of Y = A @ B, from a_dot (Ȧ) and b_dot (Ḃ): a product rule",
        (Case(((3, 4), (4, 2)), broadcast=False),),
        shape_hint=(
            "let the shapes guide you: ∂L/∂A has A's shape (3, 4), ∂L/∂B has B's shape (4, 2), and grad_output "
            "has Y's shape (3, 2). Which product of grad_output with B, Bᵀ (2, 4), A or Aᵀ (4, 3) has shape (3, 4)? "
            "Which has shape (4, 2)?"
        ),
    ),
    Exercise(
        "Sum",
        "sum.py",
        "# ctx.input_shape: x's shape; ctx.kept_shape: the result's shape had keepdims been True\n"
        "# return ∂L/∂x, shaped like x   (Tensor methods: reshape, broadcast_to)",
        "# ctx.axis, ctx.keepdims: the settings forward was called with\n# return ẏ, the tangent of y, from x_dot (ẋ)",
        (
            Case(((4, 4),), settings={"axis": 1}),
            Case(((2, 3, 4),), settings={"axis": (0, 2), "keepdims": True}),
            Case(((3, 4),), settings={"axis": None}),
            Case(((3, 4),), settings={"axis": 0}),
        ),
        (
            Mistake(
                "broadcast grad_output without putting the summed axis back first: broadcasting lines it up "
                "with the LAST axis, so each element got another row's gradient; reshape grad_output to "
                "ctx.kept_shape, then broadcast_to(ctx.input_shape)",
                lambda x, y, g: (np.broadcast_to(g, x[0].shape) if g.shape == x[0].shape[-1:] else None,),
            ),
        ),
        jvp_mistakes=(
            JvpMistake(
                "summed the tangent over every axis: sum it over the axes forward summed (ctx.axis, ctx.keepdims)",
                lambda x, y, t: np.broadcast_to(t[0].sum(), y.shape),
            ),
        ),
        shape_hint=(
            "∂L/∂x must have x's shape: every xᵢ was added once, so each gets the gradient of the sum it went "
            "into. Put the summed axes back with size 1 (grad_output.reshape(ctx.kept_shape)), then copy "
            "along them (.broadcast_to(ctx.input_shape))"
        ),
    ),
    Exercise(
        "SoftmaxCrossEntropy",
        "softmax_cross_entropy.py",
        "(logits,) = ctx.saved_tensors   # ctx.targets: the class of each row (integers)\n"
        "# return ∂L/∂logits, None       (the targets get no gradient; logits.softmax(axis=1) is a Tensor op)",
        "(logits,) = ctx.saved_tensors\n# return L̇, the loss's tangent (a scalar), from logits_dot",
        (Case(((4, 3),), constants=(TARGETS,)),),
        (
            Mistake(
                "forgot to divide by N: the loss is the MEAN over the N rows, so each row's gradient is (p − onehot)/N",
                lambda x, y, g: (g * (softmax(x[0], 1) - onehot(x[0])),),
            ),
            Mistake(
                "forgot to subtract the one-hot target: ∂L/∂x = (p − onehot(t)) / N",
                lambda x, y, g: (g * softmax(x[0], 1) / len(TARGETS),),
            ),
            Mistake(
                "used the log-probabilities: the gradient has p = softmax(x), not log p",
                lambda x, y, g: (g * (np.log(softmax(x[0], 1)) - onehot(x[0])) / len(TARGETS),),
            ),
            Mistake(
                "took the softmax along the batch (axis=0): the probabilities are over the classes, axis=1",
                lambda x, y, g: (g * (softmax(x[0], 0) - onehot(x[0])) / len(TARGETS),),
            ),
        ),
        jvp_mistakes=(
            JvpMistake(
                "forgot to divide by N: L̇ = (1/N) Σ (p − onehot) · ẋ, the loss is a mean",
                lambda x, y, t: np.sum((softmax(x[0], 1) - onehot(x[0])) * t[0]),
            ),
            JvpMistake(
                "forgot to subtract the one-hot target: L̇ = (1/N) Σ (p − onehot) · ẋ",
                lambda x, y, t: np.sum(softmax(x[0], 1) * t[0]) / len(TARGETS),
            ),
        ),
    ),
)


def find(name: str) -> Exercise:
    """The exercise called ``name`` (its class name or its file's stem, any case)."""
    for exercise in EXERCISES:
        if name.lower() in (exercise.name.lower(), exercise.file.removesuffix(".py")):
            return exercise
    raise KeyError(name)
