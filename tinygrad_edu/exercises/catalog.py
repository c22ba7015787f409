"""The exercises, as one table: each op the student writes, how it is checked, and the usual mistakes.

An Exercise names a class of ``solutions.py`` and the workspace file it goes to. Its cases say
how to call it (input shapes, the domain inputs are drawn from, settings such as ``axis``); each
case is graded with ``check_op``. Its mistakes are wrong answers students often give, written
in NumPy from the inputs x, the output y and the upstream gradient g (= ∂L/∂y), one gradient
per input (None where the mistake says nothing about that input): when a student's gradient
equals one of them, ``check`` names the mistake. Three more are tried for every op (see
``grading.py``): a sign error, a missing grad_output, and the inputs' gradients swapped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..tensor import Tensor

Gradients = Callable[[list[np.ndarray], np.ndarray, np.ndarray], tuple[np.ndarray | None, ...]]


@dataclass(frozen=True)
class Mistake:
    """A wrong answer (``gradients``) and what the student probably did (``says``)."""

    says: str
    gradients: Gradients


@dataclass(frozen=True)
class Case:
    """One way to call the op: its input shapes and domain, plus constant arguments and settings."""

    shapes: tuple[tuple[int, ...], ...]
    domain: str | tuple[str, ...] = "real"
    constants: tuple[Any, ...] = ()  # passed after the inputs, e.g. the targets of a loss
    settings: dict[str, Any] = field(default_factory=dict)  # keyword arguments of apply, e.g. axis=1
    broadcast: bool = True  # let check_op try other, broadcast shapes (ops of two or more inputs)

    def bind(self, op: type) -> Callable[..., Tensor]:
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
    task: str  # what the stub asks for, as comment lines
    cases: tuple[Case, ...]
    mistakes: tuple[Mistake, ...] = ()
    shape_hint: str = ""  # said when the student's backward fails on shapes


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
        (Case(((3, 4), (3, 4))),),
        (
            Mistake(
                "returned grad_output for both, as Add does: a product scales it by the other input",
                lambda x, y, g: (g, g),
            ),
        ),
    ),
    Exercise(
        "Div",
        "div.py",
        "a, b = ctx.saved_tensors\n# return ∂L/∂a, ∂L/∂b   (grad_output is ∂L/∂y, shaped like y)",
        (Case(((3, 4), (3, 4)), domain=("real", "positive")),),
        (
            Mistake("multiplied by b: ∂(a/b)/∂a = 1/b, so divide grad_output by b", lambda x, y, g: (g * x[1], None)),
            Mistake("the minus sign is missing: ∂(a/b)/∂b = −a/b²", lambda x, y, g: (None, g * x[0] / x[1] ** 2)),
            Mistake("b is not squared: ∂(a/b)/∂b = −a/b², not −a/b", lambda x, y, g: (None, -g * x[0] / x[1])),
        ),
    ),
    Exercise(
        "Exp",
        "exp.py",
        "(y,) = ctx.saved_tensors      # forward saved its output y = eˣ\n# return ∂L/∂x",
        (Case(((3, 4),)),),
        (Mistake("used the input x where the output y = eˣ belongs: ∂eˣ/∂x = eˣ = y", lambda x, y, g: (g * x[0],)),),
    ),
    Exercise(
        "Tanh",
        "tanh.py",
        "(y,) = ctx.saved_tensors      # forward saved its output y = tanh x\n# return ∂L/∂x",
        (Case(((3, 4),)),),
        (
            Mistake(
                "used the input x where the output y = tanh x belongs: tanh' = 1 − y² with y the output",
                lambda x, y, g: (g * (1 - x[0] ** 2),),
            ),
            Mistake("forgot the square: tanh' = 1 − y², not 1 − y", lambda x, y, g: (g * (1 - y),)),
            Mistake("that is the sigmoid's derivative y·(1 − y); tanh' = 1 − y²", lambda x, y, g: (g * y * (1 - y),)),
        ),
    ),
    Exercise(
        "Sigmoid",
        "sigmoid.py",
        "(y,) = ctx.saved_tensors      # forward saved its output y = σ(x)\n# return ∂L/∂x",
        (Case(((3, 4),)),),
        (
            Mistake(
                "used the input x where the output y = σ(x) belongs: σ' = y·(1 − y) with y the output",
                lambda x, y, g: (g * x[0] * (1 - x[0]),),
            ),
            Mistake("forgot the factor (1 − y): σ' = y·(1 − y)", lambda x, y, g: (g * y,)),
            Mistake("that is tanh's derivative 1 − y²; σ' = y·(1 − y)", lambda x, y, g: (g * (1 - y**2),)),
        ),
    ),
    Exercise(
        "MatMul",
        "matmul.py",
        "a, b = ctx.saved_tensors\n# return ∂L/∂A, ∂L/∂B   (grad_output is ∂L/∂Y, shaped like Y; t.T transposes t)",
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
    ),
)


def find(name: str) -> Exercise:
    """The exercise called ``name`` (its class name or its file's stem, any case)."""
    for exercise in EXERCISES:
        if name.lower() in (exercise.name.lower(), exercise.file.removesuffix(".py")):
            return exercise
    raise KeyError(name)
