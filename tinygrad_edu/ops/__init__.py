"""The built-in ops, one family per file. Each is a Function subclass: forward, backward and jvp
side by side, the math in the docstring.

Function and Context are defined in core/tensor.py, which imports the ops in its middle (after
Function, before Tensor); importing it first here makes any import order work.
"""

from ..core import tensor as _tensor  # noqa: F401  (loads Function, then the ops, then Tensor)
