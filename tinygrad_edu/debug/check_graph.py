"""check_graph: gradcheck every op of a graph, alone, on the inputs it actually saw.

``tg.gradcheck`` says *whether* a function's gradient is wrong; ``check_graph`` says *which
op* is wrong. It walks the graph (``topological_order``) and, for every op in it:

  1. takes the op's recorded inputs, cast to float64;
  2. re-runs that op alone on them (``ctx.function.apply(*inputs, **settings)``) and asks the
     engine for its analytic gradient against a random upstream gradient v
     (all-ones would hide bugs such as a transposed gradient);
  3. compares with central differences of v·op(x) for each input element,

        (v·op(x + ε·eᵢ) − v·op(x − ε·eᵢ)) / 2ε

  4. and looks at the one-sided differences (v·op(x + ε·eᵢ) − v·op(x)) / ε and
     (v·op(x) − v·op(x − ε·eᵢ)) / ε: where they disagree (at ε and at ε/10 alike) the
     op has a kink there (ReLU or |x| at 0, a tie in max or maximum, clip at a bound).
     The derivative is then a convention, so a kink is reported as such, not as an error,
     as long as the analytic value lies between the two one-sided derivatives.

Two ways to call it; the first is the one to prefer:

    report = tg.check_graph(fn, x, w)     # runs fn(x, w) and checks the graph it records
    report = tg.check_graph(loss)          # checks the graph behind an existing tensor

Re-running an op needs its settings (``axis=``, ``keepdims=``, ``low=`` ...), the keyword
arguments it was applied with: every Context keeps them (``ctx.settings``). With a function,
check_graph also records the line of *your* code that made each op while ``fn`` runs (a tool
on the engine's hooks, core/hooks.py). With a tensor, source lines come from
``ctx.created_at`` (build the graph under ``tg.detect_anomaly()`` to have them).

The recorded inputs are read from the tensors themselves (the saved values are not needed),
so the check works before or after backward(); but call it before an optimizer step changes
the parameters in place, or the inputs it re-runs with are no longer the ones the op saw.

The result is a GraphCheck report: ``ok``, ``rows`` (one per op, in forward order),
``first_failure``, and a readable table as ``str(report)``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core import hooks
from ..core.autograd import enable_grad, grad, no_grad, topological_order
from ..core.tensor import Context, Tensor
from .anomaly import user_source_line
from .gradcheck import nudged

OK = "ok"
KINK = "kink"
FAIL = "FAIL"
SKIPPED = "skipped"
ERROR = "error"


@dataclass
class OpCheck:
    """One op of the graph, checked alone.

    number      1-based position in forward order
    name        the op's Function name
    status      "ok", "kink" (one-sided derivatives differ somewhere, the analytic value is
                between them), "FAIL" (the backward disagrees), "skipped" or "error"
    input_index, element   where the worst disagreement (or the kink) is
    analytic, numerical    the two derivatives there (numerical: central difference)
    left, right            the one-sided numerical derivatives there
    abs_error, rel_error   |analytic − numerical| and that over max(|analytic|, |numerical|)
    source      the user's line that made the op ("file:line: code"), when known
    message     why it was skipped, or the exception, or a note
    """

    number: int
    name: str
    status: str
    ctx: Context | None = None
    input_index: int | None = None
    element: tuple[int, ...] | None = None
    analytic: float | None = None
    numerical: float | None = None
    left: float | None = None
    right: float | None = None
    abs_error: float | None = None
    rel_error: float | None = None
    source: str | None = None
    message: str = ""

    @property
    def passed(self) -> bool:
        return self.status in (OK, KINK, SKIPPED)

    def describe(self) -> str:
        """One sentence about this op's check."""
        where = f"{self.name} (op {self.number})"
        if self.status == FAIL:
            text = (
                f"{where}: the backward disagrees for input {self.input_index} at element {self.element}: "
                f"analytic {self.analytic:.8g}, numerical {self.numerical:.8g} "
                f"(relative error {self.rel_error:.3g})"
            )
        elif self.status == KINK:
            text = (
                f"{where}: a kink at input {self.input_index}, element {self.element}: the derivative from the "
                f"left is {self.left:.6g}, from the right {self.right:.6g}; the backward's {self.analytic:.6g} "
                "is a valid choice between them (a convention, not an error). These are slopes of Σ v·output, "
                "the op's output weighted by the random upstream gradient v the check uses (all-ones would hide "
                "bugs), so an op whose own slopes there are 0 and 1 shows 0 and the v of that element"
            )
        elif self.status == OK:
            text = f"{where}: ok"
        else:
            text = f"{where}: {self.status}: {self.message}"
        if self.source:
            text += f"\n    made at {self.source}"
        return text


@dataclass
class GraphCheck:
    """The result of check_graph: one row per op, in forward order."""

    rows: list[OpCheck]
    eps: float
    atol: float
    rtol: float

    @property
    def ok(self) -> bool:
        """True when no op's backward disagrees with its numerical derivative (skipped ops do not count)."""
        return all(row.passed for row in self.rows)

    @property
    def first_failure(self) -> OpCheck | None:
        for row in self.rows:
            if not row.passed:
                return row
        return None

    @property
    def kinks(self) -> list[OpCheck]:
        return [row for row in self.rows if row.status == KINK]

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        failed = sum(1 for row in self.rows if not row.passed)
        verdict = "all backward formulas agree" if failed == 0 else f"{failed} op(s) FAILED"
        skipped = sum(1 for row in self.rows if row.status == SKIPPED)
        counted = f"{len(self.rows)} ops" + (f" ({skipped} skipped)" if skipped else "")
        lines = [
            f"check_graph: {counted} checked alone in float64 "
            f"(eps={self.eps:g}, atol={self.atol:g}, rtol={self.rtol:g}): {verdict}"
        ]
        header = ("#", "op", "status", "input", "element", "analytic", "numerical", "rel. error", "made at")
        table = [header]
        for row in self.rows:
            table.append(
                (
                    str(row.number),
                    row.name,
                    row.status,
                    "" if row.input_index is None else str(row.input_index),
                    "" if row.element is None else str(row.element),
                    _number(row.analytic),
                    _number(row.numerical),
                    _number(row.rel_error, digits=2),
                    _short_source(row.source) if row.status not in (SKIPPED, ERROR) else row.message,
                )
            )
        widths = [max(len(line[column]) for line in table) for column in range(len(header) - 1)]
        for line in table:
            cells = [cell.ljust(width) for cell, width in zip(line, widths)]
            lines.append("  " + "  ".join(cells + [line[-1]]).rstrip())
        first = self.first_failure
        if first is not None:
            lines.append("first failure: " + first.describe())
        for row in self.kinks:
            lines.append("kink (not an error): " + row.describe())
        return "\n".join(lines)

    def __repr__(self) -> str:
        return str(self)


def check_graph(
    target: Tensor | Callable[..., Any],
    *inputs: Any,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    seed: int = 0,
    max_elements: int = 200,
) -> GraphCheck:
    """Check the backward of every op in a graph, each op alone, in float64.

    target        a function (called as ``target(*inputs)``; preferred: the source lines are
                  recorded while it runs) or a Tensor whose graph is checked
    eps, atol, rtol  as in gradcheck: an element fails when
                  |analytic − numerical| > atol + rtol·|numerical|
    seed          for the random upstream gradients
    max_elements  per input, check at most this many elements (a random sample beyond that)

    Returns a GraphCheck report (``ok``, ``rows``, ``first_failure``; print it for a table).
    The graph is only read; the ops are re-run on float64 copies of their inputs.
    """
    if isinstance(target, Tensor):
        if inputs:
            raise TypeError("check_graph(tensor) takes no inputs; to run a function give check_graph(fn, *inputs)")
        outputs = [target]
    elif callable(target):
        with recording_source_lines():
            result = target(*inputs)
        outputs = [result] if isinstance(result, Tensor) else [t for t in result if isinstance(t, Tensor)]
        if not outputs:
            raise TypeError(f"check_graph: the function returned {type(result).__name__}, expected a Tensor")
    else:
        raise TypeError(f"check_graph: expected a Tensor or a function, got {type(target).__name__}")
    roots = [output for output in outputs if output.grad_fn is not None]
    if not roots:
        raise ValueError(
            "check_graph: there is no graph to check: the output was not made by ops on tensors that "
            "require grad (create the inputs with requires_grad=True, outside no_grad())"
        )
    rng = np.random.default_rng(seed)
    rows = []
    made = [tensor for tensor in topological_order(roots) if tensor.grad_fn is not None]
    for number, output in enumerate(made, start=1):
        ctx = output.grad_fn
        assert ctx is not None, "made holds only tensors an op made"
        try:
            row = _check_one_op(number, ctx, ctx.settings, rng, eps, atol, rtol, max_elements)
        except Exception as error:  # report it on the op's row and go on with the others
            row = OpCheck(number, ctx.name, ERROR, ctx=ctx, message=f"{type(error).__name__}: {error}")
        row.source = ctx.created_at
        rows.append(row)
    return GraphCheck(rows, eps, atol, rtol)


# ----- the user's line of each op, recorded while a function runs ---------------------------------


class _SourceLines(hooks.Tool):
    """After each forward: remember the line of the user's code that made the op (``ctx.created_at``)."""

    def after_forward(self, ctx: Context, arrays: Any, out: Any) -> None:
        ctx.created_at = ctx.created_at or user_source_line()


@contextlib.contextmanager
def recording_source_lines() -> Iterator[None]:
    """Inside the block, every op made records the user's line that made it."""
    tool = _SourceLines()
    hooks.active.append(tool)
    try:
        yield
    finally:
        hooks.active.remove(tool)


# ----- checking one op -------------------------------------------------------------------------


def _as_float64(parent: Tensor) -> np.ndarray:
    data = parent.data
    return data.astype(np.float64) if data.dtype.kind == "f" else data.copy()


def _check_one_op(
    number: int,
    ctx: Context,
    settings: Mapping[str, Any],
    rng: np.random.Generator,
    eps: float,
    atol: float,
    rtol: float,
    max_elements: int,
) -> OpCheck:
    arrays = [_as_float64(parent) for parent in ctx.parents]
    checked = [i for i, (parent, needed) in enumerate(zip(ctx.parents, ctx.needs_input_grad)) if needed]
    if not checked:
        return OpCheck(number, ctx.name, SKIPPED, ctx=ctx, message="no input needs a gradient")
    leaves = [Tensor(array, requires_grad=i in checked) for i, array in enumerate(arrays)]
    with enable_grad():
        output = ctx.function.apply(*leaves, **settings)
    upstream = rng.standard_normal(output.shape)

    def weighted_output(values: list[np.ndarray]) -> float:
        with no_grad(), np.errstate(all="ignore"):
            out = ctx.function.apply(*[Tensor(value) for value in values], **settings)
        return float(np.sum(out._data * upstream))

    wanted = [leaves[i] for i in checked]
    analytic = grad(output, wanted, grad_outputs=Tensor(upstream), allow_unused=True)
    worst_failure: OpCheck | None = None
    first_kink: OpCheck | None = None
    center = weighted_output(arrays)
    for input_index, gradient in zip(checked, analytic):
        analytic_values = np.zeros(arrays[input_index].shape) if gradient is None else np.asarray(gradient._data)
        if analytic_values.shape != arrays[input_index].shape:
            return OpCheck(
                number,
                ctx.name,
                FAIL,
                ctx=ctx,
                input_index=input_index,
                message=f"gradient shape {analytic_values.shape}, input shape {arrays[input_index].shape}",
            )
        for flat_index in _elements_to_check(arrays[input_index].size, max_elements, rng):
            element = tuple(int(i) for i in np.unravel_index(flat_index, arrays[input_index].shape))
            left, right, central = _one_sided(weighted_output, arrays, input_index, element, center, eps)
            left_small, right_small, _ = _one_sided(weighted_output, arrays, input_index, element, center, eps / 10)
            value = float(analytic_values[element])
            tolerance = atol + rtol * abs(central)
            jump = abs(right - left)
            is_kink = jump > tolerance and abs(right_small - left_small) > 0.5 * jump
            error = abs(value - central)
            row = OpCheck(
                number,
                ctx.name,
                OK,
                ctx=ctx,
                input_index=input_index,
                element=element,
                analytic=value,
                numerical=central,
                left=left,
                right=right,
                abs_error=error,
                rel_error=error / max(abs(value), abs(central)) if error > 0 else 0.0,
            )
            between = min(left, right) - tolerance <= value <= max(left, right) + tolerance
            if is_kink and between:
                row.status = KINK
                first_kink = first_kink or row
            elif error > tolerance or not np.isfinite(value):
                row.status = FAIL
                if worst_failure is None or not (error <= (worst_failure.abs_error or 0.0)):
                    worst_failure = row
    if worst_failure is not None:
        return worst_failure
    if first_kink is not None:
        return first_kink
    return OpCheck(number, ctx.name, OK, ctx=ctx)


def _elements_to_check(size: int, max_elements: int, rng: np.random.Generator) -> Sequence[int] | np.ndarray:
    if size <= max_elements:
        return range(size)
    return np.sort(rng.choice(size, size=max_elements, replace=False))


def _one_sided(
    weighted_output: Callable[[list[np.ndarray]], float],
    arrays: list[np.ndarray],
    input_index: int,
    element: tuple[int, ...],
    center: float,
    eps: float,
) -> tuple[float, float, float]:
    """(left, right, central) numerical derivatives of v·op at one input element."""
    plus, minus = nudged(lambda: weighted_output(arrays), arrays[input_index], element, eps)
    return (center - minus) / eps, (plus - center) / eps, (plus - minus) / (2 * eps)


def _number(value: float | None, digits: int = 6) -> str:
    return "" if value is None else f"{value + 0.0:.{digits}g}"


def _short_source(source: str | None) -> str:
    """'file.py:12: code' with the folder left out and long code cut short."""
    if not source:
        return ""
    short = source.rsplit("/", 1)[-1]
    return short if len(short) <= 70 else short[:67] + "..."
