"""Exceptions, one per kind of mistake, each naming the culprit.

Every message says what was expected, what was got, and what to do.
They subclass the built-in exception a Python user would catch anyway
(ValueError for bad shapes and values, RuntimeError for misuse of the engine).
"""


class ShapeError(ValueError):
    """Shapes that do not fit together (matmul, broadcasting, reshape, ...)."""


class BackwardError(RuntimeError):
    """backward() or grad() was called in a way the engine cannot honour."""


class GradcheckError(RuntimeError):
    """An analytic gradient disagrees with the numerical one."""


class AnomalyError(RuntimeError):
    """detect_anomaly() saw an op produce NaN or infinity."""


class DTypeError(TypeError):
    """Data of the wrong kind, e.g. requires_grad=True on integers."""


class GradcheckWarning(UserWarning):
    """gradcheck was asked to compare in a precision too low to trust the result."""


class TeachingWarning(UserWarning):
    """A likely mistake spotted under teaching_mode(): what happened, and what to do."""
