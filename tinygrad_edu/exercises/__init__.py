"""The build-it-yourself track: write the backward of eight ops and get told at once what is wrong.

    python -m tinygrad_edu.exercises start my_ops     # a workspace: one file per op, and a README
    python -m tinygrad_edu.exercises check my_ops     # grade every op; or: check my_ops mul sum

The ops (catalog.py): Mul, Div, Exp, Tanh, Sigmoid, MatMul, Sum(axis, keepdims) and a softmax
cross-entropy. The workspace files are made from the reference solutions (solutions.py) with
each backward replaced by a stub (workspace.py); ``check`` grades each op with
``tinygrad_edu.testing.check_op`` and, when it fails, names the input, the element and the values
where the gradient is wrong, and the mistake it most likely is (grading.py).
"""

from .catalog import EXERCISES, Exercise
from .grading import Grade, grade
from .workspace import WorkspaceError, load, start

__all__ = ["EXERCISES", "Exercise", "Grade", "WorkspaceError", "grade", "load", "start"]
