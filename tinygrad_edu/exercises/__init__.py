"""The build-it-yourself track: write the backward of eight ops and get told at once what is wrong.

    python -m tinygrad_edu.exercises start my_ops     # a workspace: one file per op, and a README
    python -m tinygrad_edu.exercises check my_ops     # grade every op; or: check my_ops mul sum

The ops (catalog.py): Mul, Div, Exp, Tanh, Sigmoid, MatMul, Sum(axis, keepdims) and a softmax
cross-entropy. The workspace files are made from the reference solutions (solutions.py) with
each backward replaced by a stub (workspace.py); ``check`` grades each op with
``tinygrad_edu.testing.check_op`` and, when it fails, names the input, the element and the values
where the gradient is wrong, and the mistake it most likely is (grading.py).

``check`` never runs the student's code in its own process: each op is graded in a process of
its own (sandbox.py) with a time limit of 30 s and a memory limit of 1 GiB per op (``--seconds``,
``--memory-mb``), and the grade is confirmed in the grader's process on values sent back
(isolated.py). An endless loop, a sleep, a huge allocation, ``sys.exit``, ``os._exit`` or a
KeyboardInterrupt in a student's file is graded wrong with a message that says so; a file that
changes the grader's functions changes them only in its own process.
"""

from .catalog import EXERCISES, Exercise
from .grading import Grade, grade
from .workspace import WorkspaceError, load, start

__all__ = ["EXERCISES", "Exercise", "Grade", "WorkspaceError", "grade", "load", "start"]
