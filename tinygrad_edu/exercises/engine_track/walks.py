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

What the student's code did is watched, not read: each node's ``parents`` is counted as it is
read, and each ``local_backward`` is wrapped to record the gradient it is called with.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from . import op_checks

LADDER_RUNGS = 16
CHAIN_LENGTH = 5000
Node = Any  # a student's Value or Tensor


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


def count_parent_reads(nodes: list[Node]) -> dict[str, int]:
    """Make every read of ``node.parents`` add 1 to the returned counter (the nodes change class)."""
    counter = {"reads": 0}
    made: dict[type, type] = {}

    def read(node: Node) -> tuple:
        counter["reads"] += 1
        return node.__dict__["parents"]

    def write(node: Node, parents: tuple) -> None:
        node.__dict__["parents"] = parents

    for node in nodes:
        cls = type(node)
        if cls not in made:
            made[cls] = type(cls.__name__, (cls,), {"parents": property(read, write)})
        node.__class__ = made[cls]
    return counter


def ladder(make: Callable[[float], Node], rungs: int = LADDER_RUNGS) -> tuple[Node, list[Node]]:
    nodes = [make(1.0)]
    for _ in range(rungs):
        nodes.append(nodes[-1] + nodes[-1])
    return nodes[-1], nodes


def ladder_names(nodes: list[Node]) -> dict[int, str]:
    return {id(node): f"x{rung}" for rung, node in enumerate(nodes)}


def chain(make: Callable[[float], Node], length: int = CHAIN_LENGTH) -> Node:
    x = make(0.5)
    for _ in range(length):
        x = x + 0.001
    return x


def order_problem(
    topological_order: Callable[[Node], Any], make: Callable[[float], Node], symbol: str, where: str
) -> str | None:
    """What is wrong with the student's ``topological_order`` (None when nothing is)."""
    top, rungs = ladder(make)
    counter = count_parent_reads(rungs)
    order = list(topological_order(top))
    reads = counter["reads"]
    if reads > 4 * len(rungs):
        return (
            f"{where}: on a ladder of {LADDER_RUNGS} ops, xₖ₊₁ = xₖ + xₖ ({len(rungs)} nodes), your walk read the "
            f"parents of nodes {reads:,} times: it follows every path, and the paths double with each rung "
            f"(2^{LADDER_RUNGS} = {2**LADDER_RUNGS:,}).\n"
            "Likely mistake: no visited set. A node reached again by another path must not be walked again: "
            "keep a set of the nodes already visited (set of id(node)) and skip those"
        )
    problem = order_list_problem(order, top, "the ladder xₖ₊₁ = xₖ + xₖ", where, ladder_names(rungs))
    if problem:
        return problem
    top, names = shared_graph(make, symbol)
    problem = order_list_problem(list(topological_order(top)), top, shared_text(symbol), where, names)
    if problem:
        return problem
    end = chain(make)
    try:
        order = list(topological_order(end))
    except RecursionError:
        return (
            f"{where}: RecursionError on a chain of {CHAIN_LENGTH:,} ops (x = x + 0.001, {CHAIN_LENGTH:,} times).\n"
            "Likely mistake: a recursive walk. Each call waits for its parents' calls, one Python frame per node "
            "of the path, and Python stops at about 1,000. Keep your own stack (a list of nodes still to "
            "visit) instead of recursing"
        )
    return order_list_problem(order, end, f"a chain of {CHAIN_LENGTH:,} ops", where)


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


def order_list_problem(
    order: list[Node], root: Node, graph: str, where: str, names: dict[int, str] | None = None
) -> str | None:
    """Each node once, each after its parents, nothing missing: or what is wrong, said of ``graph``."""
    expected = reachable(root)

    def describe(node: Node) -> str:
        return names[id(node)] if names and id(node) in names else describe_node(node)

    counts: dict[int, int] = {}
    for node in order:
        counts[id(node)] = counts.get(id(node), 0) + 1
    twice = [node for node in expected if counts.get(id(node), 0) > 1]
    if twice:
        return (
            f"{where}: on {graph}, your order lists {describe(twice[0])} "
            f"{counts[id(twice[0])]} times; {sum(counts.values())} entries for {len(expected)} nodes.\n"
            "Likely mistake: a node visited twice. A node can be put on the stack twice (by two consumers) "
            "before it is visited: check the visited set when you take it off the stack, not only when you "
            "put it on, so each node is added once"
        )
    missing = [node for node in expected if id(node) not in counts]
    if missing:
        return (
            f"{where}: on {graph}, {len(missing)} of {len(expected)} nodes are missing from your order "
            f"(one is {describe(missing[0])}); every node the root depends on must be in it, the root included"
        )
    if len(order) != len(expected):
        return f"{where}: on {graph}, your order has {len(order)} entries for {len(expected)} nodes"
    position = {id(node): index for index, node in enumerate(order)}
    for node in order:
        for parent in node.__dict__["parents"]:
            if position[id(parent)] > position[id(node)]:
                return (
                    f"{where}: on {graph}, {describe(node)} comes at position {position[id(node)]} but its "
                    f"input {describe(parent)} only at {position[id(parent)]}.\n"
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


def backward_problem(make: Callable[[float], Node], symbol: str, where: str) -> str | None:
    """What is wrong with the student's ``backward()`` on the shared graph (None when nothing is)."""
    root, names = shared_graph(make, symbol)
    graph = shared_text(symbol)
    nodes = reachable(root)
    calls: dict[int, list[np.ndarray]] = {id(node): [] for node in nodes}
    originals: dict[int, Callable] = {}
    for node in nodes:
        if node.local_backward is not None:
            originals[id(node)] = node.local_backward
            node.local_backward = recorder(node.local_backward, calls[id(node)])
    root.backward()
    right = reference_gradients(root, nodes, originals)

    def name(key: int) -> str:
        return names[key]

    for node in nodes:
        if len(calls[id(node)]) > 1:
            return (
                f"{where}: on {graph}, the local_backward of {name(id(node))} ran "
                f"{len(calls[id(node)])} times in one backward(), so its gradient reached its inputs "
                f"{len(calls[id(node)])} times.\nLikely mistake: a node visited twice: walk each node once"
            )
    seen = calls[id(root)]
    if not seen:
        return f"{where}: backward() never called the root's local_backward: walk every node but the leaves"
    if not np.allclose(seen[0], 1.0):
        return (
            f"{where}: backward() started with ∂out/∂out = {np.asarray(seen[0]).ravel()[0]:.4g}; "
            "it is 1 (set the root's grad to 1, or to ones for an array, before the walk)"
        )
    for node in reversed(nodes):
        if node.local_backward is None or id(node) not in originals:
            continue
        if not calls[id(node)]:
            return f"{where}: backward() never called the local_backward of {name(id(node))}: walk every node"
        passed, final = calls[id(node)][0], np.asarray(node.grad)
        if not np.allclose(passed, final):
            return (
                f"{where}: on {graph}, {name(id(node))} passed the gradient {float(np.ravel(passed)[0]):.6g} "
                f"on to its inputs, but its gradient ended as {float(np.ravel(final)[0]):.6g}: more arrived after.\n"
                "Likely mistake: wrong order. A node may pass its gradient on only when every node that uses it "
                "has added its part: walk the topological order from the END (reversed), root first"
            )
    for node in nodes:
        given, expected = np.asarray(node.grad, dtype=float), right[id(node)]
        if np.allclose(given, expected, rtol=1e-6, atol=1e-9):
            continue
        message = (
            f"{where}: on {graph}, ∂out/∂{name(id(node)).split(' ')[0]} is wrong: you gave "
            f"{float(np.ravel(given)[0]):.6g}, the right value is {float(np.ravel(expected)[0]):.6g}."
        )
        parts = contributions(node, nodes, right, originals)
        if len(parts) > 1 and any(np.allclose(given, part) for part in parts):
            shown = " + ".join(f"{float(np.ravel(part)[0]):.6g}" for part in parts)
            return message + (
                f"\nLikely mistake: = instead of +=. {name(id(node)).split(' ')[0]} is used {len(parts)} times, "
                f"and each use sends it a part ({shown}); yours is one of them. ADD each part to the parent's "
                "grad (parent.grad += ...) instead of replacing it"
            )
        return message
    return deep_chain_problem(make, where)


def deep_chain_problem(make: Callable[[float], Node], where: str) -> str | None:
    """backward() through a chain of CHAIN_LENGTH ops: no RecursionError, and ∂end/∂start = 1."""
    start = make(0.5)
    end = start
    for _ in range(CHAIN_LENGTH):
        end = end + 0.001
    try:
        end.backward()
    except RecursionError:
        return (
            f"{where}: RecursionError on a chain of {CHAIN_LENGTH:,} ops (x = x + 0.001, {CHAIN_LENGTH:,} times).\n"
            "Likely mistake: a recursive walk inside backward(). Walk the list topological_order returns, "
            "with a plain loop"
        )
    if not np.allclose(np.asarray(start.grad, dtype=float), 1.0):
        return (
            f"{where}: on a chain of {CHAIN_LENGTH:,} ops (x = x + 0.001), ∂end/∂start is 1; you gave "
            f"{float(np.ravel(start.grad)[0]):.6g}"
        )
    return None


def recorder(local_backward: Callable, log: list[np.ndarray]) -> Callable:
    def recorded(grad_output: Any) -> Any:
        log.append(np.array(grad_output, dtype=float, copy=True))
        return local_backward(grad_output)

    return recorded


def reference_gradients(root: Node, nodes: list[Node], originals: dict[int, Callable]) -> dict[int, np.ndarray]:
    """∂root/∂node for every node, by the grader's own walk over the (given) local derivatives."""
    gradients = {id(node): np.zeros(np.shape(node.data)) for node in nodes}
    gradients[id(root)] = np.ones(np.shape(root.data))
    for node in reversed(nodes):
        if id(node) in originals:
            for parent, part in zip(node.__dict__["parents"], originals[id(node)](gradients[id(node)])):
                gradients[id(parent)] = gradients[id(parent)] + sum_to(np.asarray(part, dtype=float), parent)
    return gradients


def contributions(target: Node, nodes: list[Node], right: dict[int, np.ndarray], originals: dict) -> list:
    """The part each use of ``target`` sends it (right gradients in, one entry per use)."""
    parts = []
    for node in nodes:
        if id(node) in originals:
            for parent, part in zip(node.__dict__["parents"], originals[id(node)](right[id(node)])):
                if parent is target:
                    parts.append(sum_to(np.asarray(part, dtype=float), parent))
    return parts


def sum_to(gradient: np.ndarray, node: Node) -> np.ndarray:
    """``gradient`` summed to ``node``'s shape, as the engine would (op_checks.sum_to)."""
    return op_checks.sum_to(gradient, np.shape(node.data))
