"""Part 1 of the engine track: a scalar Value that remembers how it was made, and backward().

Each Value holds a number (``data``), the Values it was computed from (``parents``, in order:
``a * a`` has the parents ``(a, a)``), and ``local_backward``: a function that takes ∂L/∂out
(``grad_output``, a float) and returns ∂L/∂parent for each parent, by the chain rule
∂L/∂parent = ∂L/∂out · ∂out/∂parent. The ops below write their own ``local_backward``; the walk
that calls them in the right order, and adds up what they return, is ``backward()``.

What is yours (each stub says what it needs, and raises NotImplementedError until written):

1. the local derivatives of ``**``, ``tanh``, ``exp`` and ``relu`` (``+`` and ``*`` are written
   for you, as examples; ``-``, ``/`` and negation are built from them);
2. ``topological_order(root)``: every Value ``root`` depends on, each once, inputs before the
   Values computed from them, ``root`` last;
3. ``Value.backward()``: ∂root/∂node for every node, added up over all the ways a node is used.

Check your work:  python -m tinygrad_edu.exercises check DIR
"""

from __future__ import annotations

import math
from collections.abc import Callable


class Value:
    """A number, the Values it was computed from, and how to pass a gradient back to them.

    data            the number
    grad            ∂L/∂(this Value), filled in by backward(); 0.0 until then
    parents         the Values this one was computed from, in order (a leaf has none)
    op              what made it ("+", "*", "tanh", ...; "" for a leaf), for printing
    local_backward  grad_output -> one gradient per parent (None for a leaf)
    """

    def __init__(self, data: float, parents: tuple[Value, ...] = (), op: str = "") -> None:
        self.data = float(data)
        self.grad = 0.0
        self.parents = tuple(parents)
        self.op = op
        self.local_backward: Callable[[float], tuple[float, ...]] | None = None

    def __repr__(self) -> str:
        return f"Value(data={self.data:.6g}, grad={self.grad:.6g})"

    # ----- the ops: forward here, local derivative in local_backward --------------------------

    def __add__(self, other: Value | float) -> Value:
        """y = a + b;   ∂y/∂a = 1, ∂y/∂b = 1"""
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other), "+")

        def local_backward(grad_output: float) -> tuple[float, float]:
            return grad_output, grad_output

        out.local_backward = local_backward
        return out

    def __mul__(self, other: Value | float) -> Value:
        """y = a · b;   ∂y/∂a = b, ∂y/∂b = a"""
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other), "*")

        def local_backward(grad_output: float) -> tuple[float, float]:
            return grad_output * other.data, grad_output * self.data

        out.local_backward = local_backward
        return out

    def __pow__(self, exponent: float) -> Value:
        """y = xⁿ for a constant number n (an int or a float, not a Value)"""
        assert isinstance(exponent, int | float), "only constant exponents: x ** 2, x ** -1"
        out = Value(self.data**exponent, (self,), f"**{exponent}")

        def local_backward(grad_output: float) -> tuple[float]:
            # return (∂L/∂x,)   with ∂L/∂x = ∂L/∂y · ∂y/∂x   (y = xⁿ; n is `exponent`)
            # BEGIN ANSWER Value.__pow__'s local_backward
            return (grad_output * exponent * self.data ** (exponent - 1),)
            # END ANSWER

        out.local_backward = local_backward
        return out

    def tanh(self) -> Value:
        """y = tanh x = (e²ˣ − 1) / (e²ˣ + 1)"""
        y = math.tanh(self.data)
        out = Value(y, (self,), "tanh")

        def local_backward(grad_output: float) -> tuple[float]:
            # return (∂L/∂x,)   (y, the output, is at hand: tanh' can be written with it)
            # BEGIN ANSWER Value.tanh's local_backward
            return (grad_output * (1 - y * y),)
            # END ANSWER

        out.local_backward = local_backward
        return out

    def exp(self) -> Value:
        """y = eˣ"""
        y = math.exp(self.data)
        out = Value(y, (self,), "exp")

        def local_backward(grad_output: float) -> tuple[float]:
            # return (∂L/∂x,)
            # BEGIN ANSWER Value.exp's local_backward
            return (grad_output * y,)
            # END ANSWER

        out.local_backward = local_backward
        return out

    def relu(self) -> Value:
        """y = max(0, x)   NOTE: relu'(0) is taken as 0"""
        out = Value(max(0.0, self.data), (self,), "relu")

        def local_backward(grad_output: float) -> tuple[float]:
            # return (∂L/∂x,)
            # BEGIN ANSWER Value.relu's local_backward
            return (grad_output * (1.0 if self.data > 0 else 0.0),)
            # END ANSWER

        out.local_backward = local_backward
        return out

    # ----- built from the ops above: nothing to write -----------------------------------------

    def __neg__(self) -> Value:
        return self * -1

    def __sub__(self, other: Value | float) -> Value:
        return self + (-other)

    def __truediv__(self, other: Value | float) -> Value:
        other = other if isinstance(other, Value) else Value(other)
        return self * other**-1

    def __radd__(self, other: float) -> Value:
        return self + other

    def __rmul__(self, other: float) -> Value:
        return self * other

    def __rsub__(self, other: float) -> Value:
        return Value(other) - self

    def __rtruediv__(self, other: float) -> Value:
        return Value(other) / self

    # ----- the walk ----------------------------------------------------------------------------

    def backward(self) -> None:
        """Fill in ``grad`` of every Value this one depends on: ∂self/∂node.

        Start with ∂self/∂self = 1. Then take the nodes from last to first in topological order
        (each node after every node computed from it, so its gradient is complete), call its
        local_backward with its gradient, and ADD what comes back to its parents' gradients: a
        Value used twice (a * a, or a feeding two ops) gets one contribution per use.
        """
        # BEGIN ANSWER Value.backward
        self.grad = 1.0
        for node in reversed(topological_order(self)):
            if node.local_backward is None:
                continue
            for parent, gradient in zip(node.parents, node.local_backward(node.grad)):
                parent.grad += gradient
        # END ANSWER


def topological_order(root: Value) -> list[Value]:
    """Every Value ``root`` depends on (root included), each exactly once, each after its parents.

    A depth-first walk: a node goes into the list once all its parents are in. Keep a set of the
    nodes already visited (many paths lead to the same node), and keep your own stack instead of
    recursing: a chain of thousands of ops is deeper than Python's recursion limit (about 1,000).
    """
    # BEGIN ANSWER topological_order
    order: list[Value] = []
    visited: set[int] = set()  # ids: a Value may one day define __eq__
    stack: list[tuple[Value, bool]] = [(root, False)]
    while stack:
        node, parents_done = stack.pop()
        if parents_done:
            order.append(node)
            continue
        if id(node) in visited:
            continue
        visited.add(id(node))
        stack.append((node, True))  # comes back once everything pushed below is done
        for parent in reversed(node.parents):
            if id(parent) not in visited:
                stack.append((parent, False))
    return order
    # END ANSWER
