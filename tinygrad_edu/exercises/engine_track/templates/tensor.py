"""Part 2 of the engine track: the same engine over NumPy arrays, enough to train a network.

A Tensor holds an array (``data``), its gradient (``grad``, an array of the same shape, zeros
until backward fills it), its ``parents`` and a ``local_backward`` that takes ∂L/∂out
(``grad_output``, shaped like the output) and returns one gradient per parent. As in the
library, an op returns gradients shaped like its OUTPUT; where an input was broadcast (a bias
(10,) added to a batch (128, 10)), the engine sums the gradient back to the input's shape, in one
place: ``unbroadcast``.

What is yours (each stub says what it needs, and raises NotImplementedError until written):

1. ``unbroadcast(grad, shape)``;
2. the local derivatives of ``*``, ``@``, ``sum`` and ``log_softmax`` (``+``, ``relu`` and the
   rest are written for you, as examples);
3. ``topological_order(root)`` and ``Tensor.backward()``: part 1's walk, with arrays;
4. ``SGD.zero_grad()`` and ``SGD.step()`` (with momentum).

Check your work:  python -m tinygrad_edu.exercises check DIR
Then train on it:  python -m tinygrad_edu.exercises capstone DIR
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

Gradients = tuple[np.ndarray, ...]


class Tensor:
    """An array, the Tensors it was computed from, and how to pass a gradient back to them.

    data            the array (float; lists and ints become float64, float32 stays float32)
    grad            ∂L/∂(this Tensor), same shape as data; zeros until backward() fills it
    parents         the Tensors this one was computed from, in order (a leaf has none)
    op              what made it ("+", "@", "sum", ...; "" for a leaf), for printing
    local_backward  grad_output -> one gradient per parent, each shaped like the OUTPUT
    """

    def __init__(self, data: np.ndarray | float | list, parents: tuple[Tensor, ...] = (), op: str = "") -> None:
        array = np.asarray(data)
        self.data = array if np.issubdtype(array.dtype, np.floating) else array.astype(np.float64)
        self.grad = np.zeros_like(self.data)
        self.parents = tuple(parents)
        self.op = op
        self.local_backward: Callable[[np.ndarray], Gradients] | None = None

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    def __repr__(self) -> str:
        return f"Tensor(shape={self.shape}, op={self.op!r})"

    # ----- elementwise ops, with NumPy's broadcasting ------------------------------------------

    def __add__(self, other: Tensor | float) -> Tensor:
        """y = a + b;   ∂L/∂a = ∂L/∂y, ∂L/∂b = ∂L/∂y (output-shaped: backward unbroadcasts)"""
        other = other if isinstance(other, Tensor) else Tensor(other)
        out = Tensor(self.data + other.data, (self, other), "+")

        def local_backward(grad_output: np.ndarray) -> Gradients:
            return grad_output, grad_output

        out.local_backward = local_backward
        return out

    def __mul__(self, other: Tensor | float) -> Tensor:
        """y = a · b, elementwise"""
        other = other if isinstance(other, Tensor) else Tensor(other)
        out = Tensor(self.data * other.data, (self, other), "*")

        def local_backward(grad_output: np.ndarray) -> Gradients:
            # return ∂L/∂a, ∂L/∂b, each shaped like y (backward sums them back to a's and b's shapes)
            raise NotImplementedError("Tensor.__mul__'s local_backward is not written yet")

        out.local_backward = local_backward
        return out

    def relu(self) -> Tensor:
        """y = max(0, x);   ∂L/∂x = ∂L/∂y where x > 0, else 0   NOTE: relu'(0) is taken as 0"""
        out = Tensor(np.maximum(self.data, 0), (self,), "relu")

        def local_backward(grad_output: np.ndarray) -> Gradients:
            return (grad_output * (self.data > 0),)

        out.local_backward = local_backward
        return out

    def __neg__(self) -> Tensor:
        return self * -1.0

    def __sub__(self, other: Tensor | float) -> Tensor:
        return self + (-other)

    def __radd__(self, other: float) -> Tensor:
        return self + other

    def __rmul__(self, other: float) -> Tensor:
        return self * other

    # ----- matrix product and reductions ---------------------------------------------------------

    def __matmul__(self, other: Tensor) -> Tensor:
        """Y = A @ B, for matrices: A (n, k), B (k, m) -> Y (n, m)"""
        out = Tensor(self.data @ other.data, (self, other), "@")

        def local_backward(grad_output: np.ndarray) -> Gradients:
            # return ∂L/∂A (shaped like A), ∂L/∂B (shaped like B); grad_output is shaped like Y.
            # Let the shapes guide you; a.T transposes a NumPy matrix.
            raise NotImplementedError("Tensor.__matmul__'s local_backward is not written yet")

        out.local_backward = local_backward
        return out

    def sum(self, axis: int | None = None, keepdims: bool = False) -> Tensor:
        """y = Σ x over one axis (or over all of them, axis=None), as NumPy's x.sum(axis, keepdims)"""
        out = Tensor(self.data.sum(axis=axis, keepdims=keepdims), (self,), "sum")
        input_shape = self.shape
        kept_shape = self.data.sum(axis=axis, keepdims=True).shape  # the summed axis with size 1

        def local_backward(grad_output: np.ndarray) -> Gradients:
            # return (∂L/∂x,), shaped like x: every xᵢ went into the sum once.
            # (np.reshape, np.broadcast_to; input_shape and kept_shape are above)
            raise NotImplementedError("Tensor.sum's local_backward is not written yet")

        out.local_backward = local_backward
        return out

    def mean(self) -> Tensor:
        return self.sum() * (1.0 / self.data.size)

    def log_softmax(self, axis: int = -1) -> Tensor:
        """yᵢ = xᵢ − log Σⱼ e^xⱼ along ``axis``: the log-probabilities of a softmax

        NOTE: computed with the largest x subtracted first (the same y), so e^x never overflows.
        """
        shifted = self.data - self.data.max(axis=axis, keepdims=True)
        y = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
        out = Tensor(y, (self,), "log_softmax")

        def local_backward(grad_output: np.ndarray) -> Gradients:
            # return (∂L/∂x,). Each yᵢ depends on every xⱼ of its row: ∂yᵢ/∂xⱼ = [i = j] − pⱼ,
            # with p = softmax(x) = e^y. Sum the chain rule over i, without forming that Jacobian.
            raise NotImplementedError("Tensor.log_softmax's local_backward is not written yet")

        out.local_backward = local_backward
        return out

    # ----- the walk ------------------------------------------------------------------------------

    def backward(self) -> None:
        """Fill in ``grad`` of every Tensor this one depends on.

        Part 1's walk, with arrays. It starts from an array of ones shaped like this Tensor (for
        a scalar loss L, the 1 of ∂L/∂L; for any other Tensor, the gradient of the sum of its
        elements). Each gradient a local_backward returns is summed back to its parent's shape
        with unbroadcast before it is ADDED to the parent's grad.
        """
        raise NotImplementedError("Tensor.backward is not written yet")


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """``grad`` (shaped like an op's output) summed back to ``shape`` (an input's shape).

    Broadcasting copied the input along some axes: axes it did not have (added on the left) and
    axes where it had size 1. Each copy sent back its own gradient, and the copies add up: sum
    ``grad`` over the added axes, then over the size-1 axes keeping them (keepdims=True).
    Example: a bias of shape (10,) added to (128, 10) gets the sum over the 128 rows.
    """
    raise NotImplementedError("unbroadcast is not written yet")


def topological_order(root: Tensor) -> list[Tensor]:
    """Every Tensor ``root`` depends on (root included), each exactly once, each after its parents."""
    raise NotImplementedError("topological_order is not written yet")


def cross_entropy(logits: Tensor, targets: np.ndarray) -> Tensor:
    """The mean over the N rows of −log p[target]:  L = −(1/N) Σᵢ log_softmax(logits)ᵢ,ₜᵢ

    logits (N, C), targets N integers in [0, C). Written with the ops above (nothing to write).
    """
    count, classes = logits.shape
    onehot = Tensor(np.eye(classes, dtype=logits.data.dtype)[targets])
    return (logits.log_softmax(axis=1) * onehot).sum() * (-1.0 / count)


class SGD:
    """Stochastic gradient descent with momentum, as PyTorch's torch.optim.SGD:

    v ← momentum · v + ∂L/∂p        (v starts at zero)
    p ← p − lr · v
    """

    def __init__(self, parameters: Iterable[Tensor], lr: float, momentum: float = 0.0) -> None:
        self.parameters = list(parameters)
        self.lr = lr
        self.momentum = momentum
        self.velocities = [np.zeros_like(p.data) for p in self.parameters]

    def zero_grad(self) -> None:
        """Set every parameter's gradient to zero (backward ADDS to it, so it must start at zero)."""
        raise NotImplementedError("SGD.zero_grad is not written yet")

    def step(self) -> None:
        """Move every parameter one step against its gradient (the rule in the class docstring).

        Change each parameter's data in place (p.data -= ...), or give it a new array: both work.
        """
        raise NotImplementedError("SGD.step is not written yet")
