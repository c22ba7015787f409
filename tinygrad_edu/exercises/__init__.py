"""Build it yourself, in two tracks, and get told at once what is wrong.

    python -m tinygrad_edu.exercises start my_ops                     # ops track: one file per op
    python -m tinygrad_edu.exercises check my_ops                     # grade every op; or: check my_ops mul sum
    python -m tinygrad_edu.exercises start my_engine --track engine   # engine track: value.py, tensor.py
    python -m tinygrad_edu.exercises check my_engine                  # check knows which track DIR is
    python -m tinygrad_edu.exercises capstone my_engine               # train spirals and MNIST on it

The ops track (catalog.py): the backward and jvp of Mul, Div, Exp, Tanh, Sigmoid, MatMul,
Sum(axis, keepdims) and a softmax cross-entropy. The workspace files are made from the classes of
solutions.py (forward as written, backward and jvp replaced by stubs; workspace.py); ``check``
grades each op with ``tinygrad_edu.debug.check_op.check_op`` and, when it fails, names the input, the
element and the values where the gradient is wrong, and the mistake it most likely is
(grading.py). The reference it compares with is the library's own op (solutions.py).

``check`` never runs the student's code in its own process: each op is graded in a process of
its own (sandbox.py) with a time limit of 30 s and a memory limit of 1 GiB per op (``--seconds``,
``--memory-mb``), and the grade is confirmed in the grader's process on values sent back
(isolated.py). An endless loop, a sleep, a huge allocation, ``sys.exit``, ``os._exit`` or a
KeyboardInterrupt in a student's file is graded wrong with a message that says so; a file that
changes the grader's functions changes them only in its own process.

The engine track (engine_track/): the walk, the accumulation and backward() of a scalar Value
and of a small NumPy Tensor, graded by behaviour in sandboxed processes, then a capstone.

Neither track's written-out answers are in the package: they are in the repository's teacher/.
"""

from .catalog import EXERCISES, Exercise
from .grading import Grade, grade
from .workspace import WorkspaceError, load, start

__all__ = ["EXERCISES", "Exercise", "Grade", "WorkspaceError", "grade", "load", "start"]
