"""What the sandbox runs: the student's code on the checks' graphs and inputs, written down as plain data.

``observe(name, folder)`` loads the student's file, builds what the check called ``name`` needs
with the student's classes, calls their code and returns only what it saw, as JSON-ready data:
arrays as lists, counts of reads and calls, orders as node numbers, exceptions as their type and
one line. It decides nothing: checks.py judges these observations in the grader's process,
against values the grader computes itself, so a student's file that changes this module (or
NumPy, or anything else in the sandbox's process) changes only what is reported, never the
verdict's rules; and a report that is not of the expected form is itself a wrong answer.

    {"loaded": False, "error": {...}}                 the file does not load
    {"loaded": True, "raised": {...}}                 the student's code raised (a stub: "not written yet")
    {"loaded": True, "seen": ...}                     what the check watched (see each function below)
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from . import op_checks, walks
from .workspace import load

ORDER_EXTRA = 1000  # entries of a student's order sent back beyond 4 per node (its length is sent too)
CALLS_KEPT = 3  # recorded calls of one local_backward sent back (their number is sent too)


def describe_error(error: BaseException, file: str) -> str:
    """'ValueError: ... (tensor.py, line 27: return a @ b)', pointing at the student's line when it is theirs."""
    lines = f"{type(error).__name__}: {error}".splitlines()
    text = (lines[0] if lines else type(error).__name__)[:500]
    frames = [frame for frame in traceback.extract_tb(error.__traceback__) if Path(frame.filename).name == file]
    if frames:
        text += f" ({file}, line {frames[-1].lineno}: {frames[-1].line})"[:300]
    return text


def error_data(error: BaseException, file: str) -> dict[str, str]:
    """An exception as plain data: its type, its message, and the line describe_error makes of it."""
    return {"type": type(error).__name__, "message": str(error)[:500], "text": describe_error(error, file)}


def array(value: Any) -> Any:
    """A number or an array, as nested lists of floats."""
    return np.asarray(value, dtype=float).tolist()


def value_maker(module: Any) -> Callable[[Any], Any]:
    return lambda number: module.Value(float(number))


def tensor_maker(module: Any) -> Callable[[Any], Any]:
    return lambda data: module.Tensor(np.array(data, dtype=np.float64))


def array_maker(module: Any) -> Callable[[float], Any]:
    """Tensors of shape (2,), so the walk is checked with arrays, not just numbers."""
    return lambda number: module.Tensor(np.array([number, 2 * number], dtype=np.float64))


# ----- the ops: each case's output and the student's local_backward, raw -----------------------------


def ops(module: Any, cases: tuple[op_checks.OpCase, ...], make: Callable[[Any], Any], file: str) -> list[Any]:
    seen = []
    for case in cases:
        arrays, g = op_checks.inputs(case)
        try:
            out = case.build(*[make(array.copy()) for array in arrays])
            returned = out.local_backward(g if isinstance(out.data, np.ndarray) else float(g))
        except MemoryError:
            raise  # the sandbox reports it, with its limit
        except Exception as error:
            seen.append({"error": error_data(error, file)})
            continue
        entry: dict[str, Any] = {"output": array(out.data)}
        if isinstance(returned, tuple | list):
            try:
                entry["gradients"] = [array(gradient) for gradient in returned]
            except (TypeError, ValueError) as error:
                entry = {"error": error_data(error, file)}
        else:
            entry["returned"] = f"{type(returned).__name__} {returned!r:.60}"
        seen.append(entry)
    return seen


# ----- the walk ----------------------------------------------------------------------------------------


def count_parent_reads(nodes: list[Any]) -> dict[str, int]:
    """Make every read of ``node.parents`` add 1 to the returned counter (the nodes change class)."""
    counter = {"reads": 0}
    made: dict[type, type] = {}

    def read(node: Any) -> tuple:
        counter["reads"] += 1
        return node.__dict__["parents"]

    def write(node: Any, parents: tuple) -> None:
        node.__dict__["parents"] = parents

    for node in nodes:
        cls = type(node)
        if cls not in made:
            made[cls] = type(cls.__name__, (cls,), {"parents": property(read, write)})
        node.__class__ = made[cls]
    return counter


def order_of(topological_order: Callable[[Any], Any], root: Any, count: bool = False) -> dict[str, Any]:
    """The graph as the student's classes linked it, and the student's order of it, as node numbers."""
    nodes = walks.reachable(root)
    seen: dict[str, Any] = {"parents": walks.structure(nodes)}
    counter = count_parent_reads(nodes) if count else {"reads": 0}
    number = {id(node): index for index, node in enumerate(nodes)}
    order = []
    for node in topological_order(root):
        order.append(number.get(id(node), -1))
        if len(order) >= 4 * len(nodes) + ORDER_EXTRA:
            break  # a walk that lists nodes again and again: enough is seen
    seen.update(reads=counter["reads"], order=order, length=len(order))
    return seen


def walk_order(topological_order: Callable[[Any], Any], make: Callable[[float], Any], symbol: str) -> dict[str, Any]:
    seen = {"ladder": order_of(topological_order, walks.ladder(make), count=True)}
    seen["shared"] = order_of(topological_order, walks.shared_graph(make, symbol)[0])
    try:
        seen["chain"] = order_of(topological_order, walks.chain(make))
    except RecursionError:
        seen["chain"] = {"recursion": True}
    return seen


def walk_backward(make: Callable[[float], Any], symbol: str) -> dict[str, Any]:
    """Each node's calls of local_backward (the gradient passed in) and final grad, after one backward()."""
    root, _ = walks.shared_graph(make, symbol)
    nodes = walks.reachable(root)
    calls: list[list[Any]] = [[] for _ in nodes]
    for index, node in enumerate(nodes):
        if node.local_backward is not None:
            node.local_backward = recorder(node.local_backward, calls[index])
    root.backward()
    seen: dict[str, Any] = {
        "parents": walks.structure(nodes),
        "calls": [log[:CALLS_KEPT] for log in calls],
        "counts": [len(log) for log in calls],
        "grads": [array(node.grad) for node in nodes],
    }
    start = make(0.5)
    end = start
    for _ in range(walks.CHAIN_LENGTH):
        end = end + 0.001
    try:
        end.backward()
        seen["chain"] = {"grad": array(start.grad)}
    except RecursionError:
        seen["chain"] = {"recursion": True}
    return seen


def recorder(local_backward: Callable, log: list[Any]) -> Callable:
    def recorded(grad_output: Any) -> Any:
        log.append(array(grad_output))
        return local_backward(grad_output)

    return recorded


# ----- part 2's other two: unbroadcast, SGD --------------------------------------------------------------


def unbroadcast(module: Any) -> list[Any]:
    return [array(module.unbroadcast(grad.copy(), shape)) for grad, shape in op_checks.unbroadcast_inputs()]


def sgd(module: Any) -> list[dict[str, Any]]:
    """Two steps of SGD: each parameter's grad after zero_grad(), then (the grads set as backward would set
    them, grad += ∂L/∂p) each parameter's data after step()."""
    starts, steps, lr, momentum = op_checks.sgd_inputs()
    parameters = [module.Tensor(start.copy()) for start in starts]
    optimizer = module.SGD(parameters, lr=lr, momentum=momentum)
    seen: list[dict[str, Any]] = []
    for gradients in steps:
        optimizer.zero_grad()
        zeroed = []
        for parameter in parameters:
            try:
                if parameter.grad is None:
                    raise TypeError("no grad")
                zeroed.append({"value": array(parameter.grad)})
            except (TypeError, ValueError):
                zeroed.append({"repr": f"{parameter.grad!r:.40}"})
        seen.append({"zeroed": zeroed})
        if any("value" not in entry or np.shape(entry["value"]) != start.shape for entry, start in zip(zeroed, starts)):
            break
        for parameter, gradient in zip(parameters, gradients):
            parameter.grad = np.asarray(parameter.grad) + gradient
        optimizer.step()
        seen[-1]["data"] = [array(parameter.data) for parameter in parameters]
    return seen


BODIES: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "Value ops": ("value.py", lambda m: ops(m, op_checks.VALUE_CASES, value_maker(m), "value.py")),
    "Value order": ("value.py", lambda m: walk_order(m.topological_order, value_maker(m), "*")),
    "Value.backward": ("value.py", lambda m: walk_backward(value_maker(m), "*")),
    "unbroadcast": ("tensor.py", unbroadcast),
    "Tensor ops": ("tensor.py", lambda m: ops(m, op_checks.TENSOR_CASES, tensor_maker(m), "tensor.py")),
    "Tensor order": ("tensor.py", lambda m: walk_order(m.topological_order, array_maker(m), "+")),
    "Tensor.backward": ("tensor.py", lambda m: walk_backward(array_maker(m), "+")),
    "SGD": ("tensor.py", sgd),
}


def observe(name: str, folder: str) -> dict[str, Any]:
    """What the check called ``name`` sees of the workspace ``folder`` (see the module's docstring)."""
    file, body = BODIES[name]
    try:
        module = load(Path(folder), file)
    except MemoryError:
        raise
    except Exception as error:
        return {"loaded": False, "error": error_data(error, file)}
    try:
        return {"loaded": True, "seen": body(module)}
    except MemoryError:
        raise  # the sandbox reports it, with its limit
    except Exception as error:
        return {"loaded": True, "raised": error_data(error, file)}
