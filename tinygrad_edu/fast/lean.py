"""The lean path: an op that nobody will differentiate needs no graph node.

Most ops are of this kind: everything under ``no_grad()``, every op on tensors that need no
gradient, and every op a backward formula runs during a plain ``backward()`` (the walk switches
recording off there). ``Function.apply`` hands them here: ``forward`` gets a ``ForwardOnly`` ctx
that forgets what it is told (``save_for_backward`` does nothing), and the result has no
``grad_fn``. No Context, no parents, no saved arrays, no version numbers: the op costs its NumPy
call plus a few attribute writes.
"""

from __future__ import annotations

from typing import Any

import numpy as np


class ForwardOnly:
    """The ctx ``forward`` gets when no graph is recorded: it takes settings (``ctx.axis = 1``)
    and saved arrays like a Context, and forgets them. ``needs_input_grad`` is all False, so a
    forward may skip work that only backward would use."""

    __slots__ = ("needs_input_grad", "__dict__")

    def __init__(self, needs_input_grad: tuple[bool, ...]) -> None:
        self.needs_input_grad = needs_input_grad

    def save_for_backward(self, *arrays: np.ndarray) -> None:
        pass


def forward_only(function: Any, arrays: tuple[np.ndarray, ...], settings: dict[str, Any]) -> np.ndarray:
    """Run ``function.forward`` on the arrays with a ForwardOnly ctx; the result as an array."""
    out = function.forward(ForwardOnly((False,) * len(arrays)), *arrays, **settings)
    if type(out) is not np.ndarray:
        out = np.asarray(out)  # NumPy returns scalars from 0-d arrays
    return out
