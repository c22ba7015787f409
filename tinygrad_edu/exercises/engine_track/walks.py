"""Check a student's walk (topological_order and backward) by what it does on graphs built for it.

The same checks serve part 1 (Value, gradients are floats) and part 2 (Tensor, arrays): a node
is anything with ``parents``, ``local_backward`` and ``grad``. Each graph is made so that one
usual mistake shows:

    ladder    xₖ₊₁ = xₖ + xₖ, 16 rungs: 2¹⁶ paths from the top to x₀. A walk without a visited
              set follows every path (it reads the parents of nodes about 2¹⁷ times, not 17).
    chain     5,000 ops in a row: deeper than Python's recursion limit.
    shared    a Value used by two ops at different depths, and one used twice by the same op
              (a * a): backward must ADD the contributions, and pass a node's gradient on only
              once all of them are in.

Two halves, in two processes. In the sandbox (observe.py) the graphs are built with the
student's classes and what their code does is watched and written down as plain data: each
read of ``node.parents`` is counted, the order comes back as node numbers, each
``local_backward`` is wrapped to record the gradient it is called with, and each node's final
``grad`` is read. Here, in the grader's process, the same graphs are built again from ``Probe``
nodes (values computed by the library's Tensor), the right gradients come from the library's
autograd, and the observations are judged against them: the student's code never runs here.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from ...core.autograd import grad
from ...core.tensor import Tensor as LibraryTensor
from . import op_checks

LADDER_RUNGS = 16
CHAIN_LENGTH = 5000
Node = Any  # a student's Value or Tensor, or a Probe


class Probe:
    """A node of the grader's copy of a graph: its value (by the library's ops), its parents, its op."""

    def __init__(self, data: Any, parents: tuple[Probe, ...] = (), op: str = "") -> None:
        self.data = data
        self.parents = parents
        self.op = op

    def combine(self, other: Probe | float, op: str) -> Probe:
        other = other if isinstance(other, Probe) else Probe(np.asarray(other, dtype=float))
        value = apply(op, LibraryTensor(np.asarray(self.data, dtype=float)), LibraryTensor(np.asarray(other.data)))
        data = float(value.data) if isinstance(self.data, float) else np.asarray(value.data)
        return Probe(data, (self, other), op)

    def __add__(self, other: Probe | float) -> Probe:
        return self.combine(other, "+")

    def __mul__(self, other: Probe | float) -> Probe:
        return self.combine(other, "*")


def apply(op: str, a: Any, b: Any) -> Any:
    return a + b if op == "+" else a * b


def probe_maker(kind: str) -> Callable[[float], Probe]:
    """The grader's leaves, as the student's makers make them: a float (Value) or an array of shape (2,)."""
    if kind == "value":
        return lambda number: Probe(float(number))
    return lambda number: Probe(np.array([number, 2 * number], dtype=np.float64))


def reachable(root: Node) -> list[Node]:
    """Every node ``root`` depends on, each once, inputs first (the grader's own walk)."""
    order: list[Node] = []
    visited: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, parents_done = stack.pop()
        if parents_done:
            order.append(node)
        elif id(node) not in visited:
            visited.add(id(node))
            stack.append((node, True))
            stack.extend((parent, False) for parent in reversed(node.__dict__["parents"]))
    return order


def structure(nodes: list[Node]) -> list[list[int]]:
    """Each node's parents, as numbers in ``nodes`` (-1 for a parent outside it)."""
    number = {id(node): index for index, node in enumerate(nodes)}
    return [[number.get(id(parent), -1) for parent in node.__dict__["parents"]] for node in nodes]


def ladder(make: Callable[[float], Node], rungs: int = LADDER_RUNGS) -> Node:
    node = make(1.0)
    for _ in range(rungs):
        node = node + node
    return node


def chain(make: Callable[[float], Node], length: int = CHAIN_LENGTH) -> Node:
    x = make(0.5)
    for _ in range(length):
        x = x + 0.001
    return x


def shared_text(symbol: str) -> str:
    return f"the graph a = x{symbol}y, b = a{symbol}a, c = b{symbol}x, out = c + a"


def shared_graph(make: Callable[[float], Node], symbol: str) -> tuple[Node, dict[int, str]]:
    """out = c + a with a = x∘y, b = a∘a, c = b∘x (∘ is * or +): a is used three times, at two depths."""
    combine = {"*": lambda p, q: p * q, "+": lambda p, q: p + q}[symbol]
    x, y = make(0.7), make(-1.3)
    a = combine(x, y)
    b = combine(a, a)
    c = combine(b, x)
    out = c + a
    names = [(x, "x"), (y, "y"), (a, f"a = x{symbol}y"), (b, f"b = a{symbol}a"), (c, f"c = b{symbol}x"), (out, "out")]
    return out, {id(node): name for node, name in names}


class Graph:
    """The grader's copy of one graph: its nodes (Probes, inputs first), their parents and names."""

    def __init__(self, root: Probe, text: str, names: dict[int, str] | None = None) -> None:
        self.nodes = reachable(root)
        self.parents = structure(self.nodes)
        self.text = text
        self.names = {index: names[id(node)] for index, node in enumerate(self.nodes) if names and id(node) in names}

    def describe(self, index: int) -> str:
        return self.names.get(index) or describe_node(self.nodes[index])


@functools.cache
def graphs(kind: str, symbol: str) -> dict[str, Graph]:
    """The graphs the walk is checked on, as the grader builds them (the sandbox builds the same); built once."""
    make = probe_maker(kind)
    ladder_root = ladder(make)
    ladder_graph = Graph(ladder_root, "the ladder xₖ₊₁ = xₖ + xₖ")
    ladder_graph.names = {index: f"x{index}" for index in range(len(ladder_graph.nodes))}
    shared_root, names = shared_graph(make, symbol)
    return {
        "ladder": ladder_graph,
        "shared": Graph(shared_root, shared_text(symbol), names),
        "chain": Graph(chain(make), f"a chain of {CHAIN_LENGTH:,} ops"),
    }


def graph_problem(seen: object, graph: Graph, where: str) -> str | None:
    """The graph the student's classes built must be the one the grader built (same parents, node by node)."""
    if seen == graph.parents:
        return None
    return (
        f"{where}: on {graph.text}, the nodes your ops built are not linked as the template links them "
        "(each op's output keeps its inputs, a number wrapped as a leaf, in `parents`): keep the forward "
        "of +, * and the constructor as the template has them"
    )


def order_problem(observed: dict[str, Any], kind: str, symbol: str, where: str) -> str | None:
    """What is wrong with the student's ``topological_order``, from what the sandbox saw (None when nothing is)."""
    expected = graphs(kind, symbol)
    ladder_graph = expected["ladder"]
    seen = observed["ladder"]
    problem = graph_problem(seen["parents"], ladder_graph, where)
    if problem:
        return problem
    reads = int(seen["reads"])
    if reads > 4 * len(ladder_graph.nodes):
        return (
            f"{where}: on a ladder of {LADDER_RUNGS} ops, xₖ₊₁ = xₖ + xₖ ({len(ladder_graph.nodes)} nodes), your walk "
            f"read the parents of nodes {reads:,} times: it follows every path, and the paths double with each rung "
            f"(2^{LADDER_RUNGS} = {2**LADDER_RUNGS:,}).\n"
            "Likely mistake: no visited set. A node reached again by another path must not be walked again: "
            "keep a set of the nodes already visited (set of id(node)) and skip those"
        )
    for name in ("ladder", "shared", "chain"):
        graph, seen = expected[name], observed[name]
        if name == "chain" and seen.get("recursion"):
            return (
                f"{where}: RecursionError on a chain of {CHAIN_LENGTH:,} ops (x = x + 0.001, {CHAIN_LENGTH:,} "
                "times).\nLikely mistake: a recursive walk. Each call waits for its parents' calls, one Python "
                "frame per node of the path, and Python stops at about 1,000. Keep your own stack (a list of "
                "nodes still to visit) instead of recursing"
            )
        problem = graph_problem(seen["parents"], graph, where) or order_list_problem(
            [int(entry) for entry in seen["order"]], int(seen["length"]), graph, where
        )
        if problem:
            return problem
    return None


def order_list_problem(order: list[int], length: int, graph: Graph, where: str) -> str | None:
    """Each node once, each after its parents, nothing missing: or what is wrong, said of ``graph``.
    ``order`` holds node numbers (-1 for anything not a node of the graph), ``length`` the order's length."""
    size = len(graph.nodes)
    counts: dict[int, int] = {}
    for entry in order:
        counts[entry] = counts.get(entry, 0) + 1
    twice = [index for index in range(size) if counts.get(index, 0) > 1]
    if twice:
        return (
            f"{where}: on {graph.text}, your order lists {graph.describe(twice[0])} "
            f"{counts[twice[0]]} times; {length} entries for {size} nodes.\n"
            "Likely mistake: a node visited twice. A node can be put on the stack twice (by two consumers) "
            "before it is visited: check the visited set when you take it off the stack, not only when you "
            "put it on, so each node is added once"
        )
    missing = [index for index in range(size) if index not in counts]
    if missing:
        return (
            f"{where}: on {graph.text}, {len(missing)} of {size} nodes are missing from your order "
            f"(one is {graph.describe(missing[0])}); every node the root depends on must be in it, the root included"
        )
    if length != size or len(order) != size:
        return f"{where}: on {graph.text}, your order has {length} entries for {size} nodes"
    position = {index: place for place, index in enumerate(order)}
    for index in order:
        for parent in graph.parents[index]:
            if position[parent] > position[index]:
                return (
                    f"{where}: on {graph.text}, {graph.describe(index)} comes at position {position[index]} but its "
                    f"input {graph.describe(parent)} only at {position[parent]}.\n"
                    "Likely mistake: wrong order. A node goes into the order only after ALL its inputs "
                    "(post-order: visit the inputs first, then append the node; a breadth-first order from "
                    "the root is not one), so that backward, walking it from the end, reaches a node only "
                    "after every node that uses it"
                )
    return None


def describe_node(node: Node) -> str:
    op = node.__dict__.get("op", "")
    data = np.asarray(node.data)
    value = f"{float(data):.4g}" if data.size == 1 else f"shape {data.shape}"
    return f"the {op!r} node, value {value}" if op else f"a leaf, value {value}"


def backward_problem(observed: dict[str, Any], kind: str, symbol: str, where: str) -> str | None:
    """What is wrong with the student's ``backward()`` on the shared graph, from what the sandbox saw."""
    graph = graphs(kind, symbol)["shared"]
    problem = graph_problem(observed["parents"], graph, where)
    if problem:
        return problem
    nodes = graph.nodes
    size = len(nodes)
    calls = [[np.asarray(passed, dtype=float) for passed in observed["calls"][index]] for index in range(size)]
    counts = [int(observed["counts"][index]) for index in range(size)]
    finals = [np.asarray(observed["grads"][index], dtype=float) for index in range(size)]
    right = reference_gradients(graph)

    def name(index: int) -> str:
        return graph.names[index]

    for index in range(size):
        if counts[index] > 1:
            return (
                f"{where}: on {graph.text}, the local_backward of {name(index)} ran "
                f"{counts[index]} times in one backward(), so its gradient reached its inputs "
                f"{counts[index]} times.\nLikely mistake: a node visited twice: walk each node once"
            )
    root = size - 1
    if not calls[root]:
        return f"{where}: backward() never called the root's local_backward: walk every node but the leaves"
    if not np.allclose(calls[root][0], 1.0):
        return (
            f"{where}: backward() started with ∂out/∂out = {np.ravel(calls[root][0])[0]:.4g}; "
            "it is 1 (set the root's grad to 1, or to ones for an array, before the walk)"
        )
    for index in reversed(range(size)):
        if not graph.parents[index]:
            continue
        if not calls[index]:
            return f"{where}: backward() never called the local_backward of {name(index)}: walk every node"
        passed, final = calls[index][0], finals[index]
        if not np.allclose(passed, final):
            return (
                f"{where}: on {graph.text}, {name(index)} passed the gradient {float(np.ravel(passed)[0]):.6g} "
                f"on to its inputs, but its gradient ended as {float(np.ravel(final)[0]):.6g}: more arrived after.\n"
                "Likely mistake: wrong order. A node may pass its gradient on only when every node that uses it "
                "has added its part: walk the topological order from the END (reversed), root first"
            )
    for index in range(size):
        given, expected = finals[index], right[index]
        if given.shape == expected.shape and np.allclose(given, expected, rtol=1e-6, atol=1e-9):
            continue
        short = name(index).split(" ")[0]
        message = (
            f"{where}: on {graph.text}, ∂out/∂{short} is wrong: you gave "
            f"{float(np.ravel(given)[0]) if given.size else float('nan'):.6g}, "
            f"the right value is {float(np.ravel(expected)[0]):.6g}."
        )
        parts = contributions(index, graph, right)
        if len(parts) > 1 and any(given.shape == part.shape and np.allclose(given, part) for part in parts):
            shown = " + ".join(f"{float(np.ravel(part)[0]):.6g}" for part in parts)
            return message + (
                f"\nLikely mistake: = instead of +=. {short} is used {len(parts)} times, "
                f"and each use sends it a part ({shown}); yours is one of them. ADD each part to the parent's "
                "grad (parent.grad += ...) instead of replacing it"
            )
        return message
    return deep_chain_problem(observed["chain"], kind, where)


def deep_chain_problem(observed: dict[str, Any], kind: str, where: str) -> str | None:
    """backward() through a chain of CHAIN_LENGTH ops: no RecursionError, and ∂end/∂start = 1."""
    if observed.get("recursion"):
        return (
            f"{where}: RecursionError on a chain of {CHAIN_LENGTH:,} ops (x = x + 0.001, {CHAIN_LENGTH:,} times).\n"
            "Likely mistake: a recursive walk inside backward(). Walk the list topological_order returns, "
            "with a plain loop"
        )
    given = np.asarray(observed["grad"], dtype=float)
    shape = () if kind == "value" else (2,)
    if given.shape != shape or not np.allclose(given, 1.0):
        return (
            f"{where}: on a chain of {CHAIN_LENGTH:,} ops (x = x + 0.001), ∂end/∂start is 1; you gave "
            f"{float(np.ravel(given)[0]) if given.size else float('nan'):.6g}"
        )
    return None


def local_parts(graph: Graph, index: int, upstream: np.ndarray) -> list[np.ndarray]:
    """What node ``index`` sends each of its inputs for the upstream gradient ``upstream``, one part per use,
    summed to the input's shape: by the library's autograd on fresh leaves (so a * a gives two parts)."""
    node = graph.nodes[index]
    leaves = [LibraryTensor(np.asarray(parent.data, dtype=float), requires_grad=True) for parent in node.parents]
    out = apply(node.op, leaves[0], leaves[1])
    parts = grad(out, leaves, grad_outputs=LibraryTensor(np.asarray(upstream, dtype=float)), allow_unused=True)
    shapes = [np.shape(parent.data) for parent in node.parents]
    return [
        np.zeros(shape) if part is None else op_checks.sum_to(np.asarray(part.data), shape)
        for shape, part in zip(shapes, parts)
    ]


def reference_gradients(graph: Graph) -> list[np.ndarray]:
    """∂root/∂node for every node of ``graph``, by reverse accumulation over the library's local derivatives."""
    gradients = [np.zeros(np.shape(node.data)) for node in graph.nodes]
    gradients[-1] = np.ones(np.shape(graph.nodes[-1].data))
    for index in reversed(range(len(graph.nodes))):
        if graph.parents[index]:
            for parent, part in zip(graph.parents[index], local_parts(graph, index, gradients[index])):
                gradients[parent] = gradients[parent] + part
    return gradients


def contributions(target: int, graph: Graph, right: list[np.ndarray]) -> list[np.ndarray]:
    """The part each use of node ``target`` sends it (right gradients in, one entry per use)."""
    parts = []
    for index in range(len(graph.nodes)):
        if target in graph.parents[index]:
            for parent, part in zip(graph.parents[index], local_parts(graph, index, right[index])):
                if parent == target:
                    parts.append(part)
    return parts
