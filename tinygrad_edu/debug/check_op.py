"""check_op: put a new op through every contract a built-in op meets, and say which it breaks.

    from tinygrad_edu.debug.check_op import check_op
    report = check_op(lambda x: Softplus.apply(x), (3, 4))
    print(report)            # one line per check: passed / FAILED / skipped, with the reason
    assert report.ok

The checks, in order (each runs even when an earlier one failed, except when the op does
not run at all):

    forward runs         fn(*inputs) returns a Tensor, finite on the chosen domain
    float64 -> float64   float64 inputs give a float64 output and float64 gradients
    float32 -> float32   float32 inputs give a float32 output and float32 gradients
    gradient shapes      ∂L/∂input has the input's shape, for a random upstream gradient
    gradcheck            analytic gradient = central differences (tg.gradcheck, float64)
    gradgradcheck        second derivatives too (tg.gradgradcheck; backward written with
                         Tensor operations is differentiable again). When it fails, the
                         report names the likely cause: a backward that returns NumPy
                         arrays, or values kept on ctx instead of save_for_backward
    jvp                  forward mode (tg.jvp): the tangent J·v for a random direction v
                         equals central differences (f(x + εv) − f(x − εv)) / 2ε, float64
    jvp vs backward      forward and reverse mode agree: ⟨J·v, u⟩ = ⟨v, Jᵀ·u⟩ for random
                         u and v (Jᵀ·u is what backward computes for the upstream gradient u)
    broadcasting         ops with two or more inputs, on shapes drawn by hypothesis'
                         ``mutually_broadcastable_shapes``: the result equals the op applied
                         to the inputs broadcast by hand, every gradient has its input's
                         shape, gradcheck passes, and so does the jvp check

Inputs are random (from ``seed``) in a ``domain``: "real" (standard normal), "positive"
(uniform in [0.5, 2]), "unit" (uniform in [−0.9, 0.9]), "probability" (uniform in
[0.05, 0.95]), or a function ``(rng, shape) -> array``; give one domain per input as a
tuple when they differ. hypothesis is needed only for the broadcasting check (it is a
test dependency; without it that check is skipped). An op without a ``jvp`` gets the two
jvp checks skipped, with the reason: forward mode is optional for a user op.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core.autograd import grad
from ..core.forward_mode import jvp
from ..core.tensor import Tensor
from ..errors import GradcheckError
from .gradcheck import gradcheck, gradgradcheck

PASSED = "passed"
FAILED = "FAILED"
SKIPPED = "skipped"

Domain = str | Callable[[np.random.Generator, tuple[int, ...]], np.ndarray]

DOMAINS: dict[str, Callable[[np.random.Generator, tuple[int, ...]], np.ndarray]] = {
    "real": lambda rng, shape: rng.standard_normal(shape),
    "positive": lambda rng, shape: rng.uniform(0.5, 2.0, shape),
    "unit": lambda rng, shape: rng.uniform(-0.9, 0.9, shape),
    "probability": lambda rng, shape: rng.uniform(0.05, 0.95, shape),
}


@dataclass
class Check:
    """One contract: its name, passed / FAILED / skipped, and why."""

    name: str
    status: str
    detail: str = ""


@dataclass
class OpReport:
    """What check_op found: ``ok``, one Check per contract in ``checks``, and a readable ``str()``."""

    name: str
    shapes: tuple[tuple[int, ...], ...]
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(check.status != FAILED for check in self.checks)

    @property
    def failures(self) -> list[Check]:
        return [check for check in self.checks if check.status == FAILED]

    def __getitem__(self, name: str) -> Check:
        for check in self.checks:
            if check.name == name:
                return check
        raise KeyError(f"no check named {name!r}; the checks are {[check.name for check in self.checks]}")

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        counts = {status: sum(1 for c in self.checks if c.status == status) for status in (PASSED, FAILED, SKIPPED)}
        shapes = ", ".join(str(shape) for shape in self.shapes)
        summary = f"{counts[PASSED]} passed, {counts[FAILED]} failed, {counts[SKIPPED]} skipped"
        lines = [f"check_op({self.name}) on shapes {shapes}: {'OK' if self.ok else 'FAILED'} ({summary})"]
        width = max(len(check.name) for check in self.checks) if self.checks else 0
        for check in self.checks:
            detail = check.detail.replace("\n", "\n" + " " * (width + 14))
            lines.append(f"  {check.status:<8}  {check.name:<{width}}  {detail}".rstrip())
        return "\n".join(lines)

    def __repr__(self) -> str:
        return str(self)


def check_op(
    fn: Callable[..., Tensor],
    *shapes: Sequence[int],
    domain: Domain | Sequence[Domain] = "real",
    seed: int = 0,
    broadcast: bool = True,
    second_order: bool = True,
    forward_mode: bool = True,
    examples: int = 20,
    name: str | None = None,
) -> OpReport:
    """Run ``fn`` (a function of Tensors, e.g. ``lambda x: MyOp.apply(x)``) through the op contracts.

    shapes        one shape per input, e.g. check_op(fn, (3, 4), (4,))
    domain        where the random inputs come from (see the module docstring); one per input
                  as a tuple when they differ
    broadcast     fuzz broadcasting (ops with two or more inputs) with hypothesis
    second_order  also run gradgradcheck
    forward_mode  also check the op's jvp (skipped by itself when the op has none)
    examples      how many shape combinations hypothesis tries
    Returns an OpReport; print it for one line per check.
    """
    if not shapes:
        raise ValueError("check_op: give one shape per input of fn, e.g. check_op(fn, (3, 4)) for one input")
    input_shapes = tuple(tuple(int(size) for size in shape) for shape in shapes)
    domains = _domains(domain, len(input_shapes))
    report = OpReport(str(name or getattr(fn, "__name__", "fn")), input_shapes)
    rng = np.random.default_rng(seed)
    values = [draw(rng, shape) for draw, shape in zip(domains, input_shapes)]

    def make_inputs(dtype: Any) -> list[Tensor]:
        return [Tensor(value.astype(dtype), requires_grad=True, name=f"input{i}") for i, value in enumerate(values)]

    # forward runs
    try:
        output = fn(*make_inputs(np.float64))
    except Exception as error:
        report.checks.append(Check("forward runs", FAILED, _exception_text(error)))
        return report
    if not isinstance(output, Tensor):
        report.checks.append(Check("forward runs", FAILED, f"fn returned {type(output).__name__}, expected a Tensor"))
        return report
    if not np.all(np.isfinite(output.data)):
        report.checks.append(
            Check("forward runs", FAILED, f"non-finite output on the {domain!r} domain; pick another domain=")
        )
    else:
        report.checks.append(Check("forward runs", PASSED, f"output shape {output.shape}"))

    for dtype in (np.float64, np.float32):
        report.checks.append(_dtype_check(fn, make_inputs(dtype), dtype, seed))
    report.checks.append(_gradient_shape_check(fn, make_inputs(np.float64), seed))
    report.checks.append(_run("gradcheck", lambda: gradcheck(fn, make_inputs(np.float64), seed=seed)))
    if second_order:
        report.checks.append(_run("gradgradcheck", lambda: gradgradcheck(fn, make_inputs(np.float64), seed=seed)))
    else:
        report.checks.append(Check("gradgradcheck", SKIPPED, "second_order=False"))
    if forward_mode:
        report.checks += _jvp_checks(fn, make_inputs(np.float64), seed, report["gradcheck"].status)
    else:
        report.checks += [Check(name, SKIPPED, "forward_mode=False") for name in ("jvp", "jvp vs backward")]
    check_jvp = report["jvp"].status != SKIPPED
    if len(shapes) < 2:
        report.checks.append(Check("broadcasting", SKIPPED, "one input: nothing to broadcast"))
    elif not broadcast:
        report.checks.append(Check("broadcasting", SKIPPED, "broadcast=False"))
    else:
        report.checks.append(_broadcasting_check(fn, domains, seed, examples, check_jvp))
    return report


# ----- the checks ------------------------------------------------------------------------------


def _domains(domain: Domain | Sequence[Domain], count: int) -> list[Callable[..., np.ndarray]]:
    chosen = list(domain) if isinstance(domain, (list, tuple)) else [domain] * count
    if len(chosen) != count:
        raise ValueError(f"check_op: {len(chosen)} domains for {count} inputs; give one per input")
    draws = []
    for item in chosen:
        if callable(item):
            draws.append(item)
        elif item in DOMAINS:
            draws.append(DOMAINS[item])
        else:
            raise ValueError(
                f"check_op: unknown domain {item!r}; use one of {sorted(DOMAINS)} or a function (rng, shape)"
            )
    return draws


def _exception_text(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


def _run(name: str, action: Callable[[], object]) -> Check:
    try:
        action()
    except GradcheckError as error:
        return Check(name, FAILED, str(error))
    except Exception as error:
        return Check(name, FAILED, _exception_text(error))
    return Check(name, PASSED)


def _random_upstream(output: Tensor, seed: int) -> Tensor:
    rng = np.random.default_rng(seed + 7)
    return Tensor(rng.standard_normal(output.shape).astype(output.dtype))


def _dtype_check(fn: Callable[..., Tensor], inputs: list[Tensor], dtype: Any, seed: int) -> Check:
    label = np.dtype(dtype).name
    name = f"{label} -> {label}"
    try:
        output = fn(*inputs)
        if output.dtype != dtype:
            return Check(name, FAILED, f"{label} inputs gave a {output.dtype} output; keep the inputs' dtype")
        grads = grad(output, inputs, grad_outputs=_random_upstream(output, seed), allow_unused=True)
    except Exception as error:
        return Check(name, FAILED, _exception_text(error))
    for index, gradient in enumerate(grads):
        if gradient is not None and gradient.dtype != dtype:
            return Check(name, FAILED, f"the gradient of input {index} is {gradient.dtype}, expected {label}")
    return Check(name, PASSED, f"output and gradients are {label}")


def _gradient_shape_check(fn: Callable[..., Tensor], inputs: list[Tensor], seed: int) -> Check:
    name = "gradient shapes"
    try:
        output = fn(*inputs)
        grads = grad(output, inputs, grad_outputs=_random_upstream(output, seed), allow_unused=True)
    except Exception as error:
        return Check(name, FAILED, _exception_text(error))
    for index, (x, gradient) in enumerate(zip(inputs, grads)):
        if gradient is None:
            return Check(name, FAILED, f"no gradient reached input {index}: is it used, and does backward return it?")
        if gradient.shape != x.shape:
            return Check(name, FAILED, f"the gradient of input {index} has shape {gradient.shape}, input {x.shape}")
    return Check(name, PASSED, "each gradient has its input's shape")


def _broadcasting_check(
    fn: Callable[..., Tensor], domains: list[Callable[..., np.ndarray]], seed: int, examples: int, check_jvp: bool
) -> Check:
    name = "broadcasting"
    try:
        from hypothesis import HealthCheck, given, settings
        from hypothesis import seed as hypothesis_seed
        from hypothesis.extra.numpy import mutually_broadcastable_shapes
    except ImportError:
        return Check(name, SKIPPED, 'hypothesis is not installed (pip install "tinygrad_edu[test]")')
    tried: list[tuple[tuple[int, ...], ...]] = []
    strategy = mutually_broadcastable_shapes(num_shapes=len(domains), min_dims=0, max_dims=3, max_side=3)

    @hypothesis_seed(seed)
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )
    @given(strategy)
    def property_holds(drawn: Any) -> None:
        shapes = tuple(drawn.input_shapes)
        tried.append(shapes)
        rng = np.random.default_rng(seed)
        values = [draw(rng, shape) for draw, shape in zip(domains, shapes)]
        inputs = [Tensor(value, requires_grad=True) for value in values]
        output = fn(*inputs)
        by_hand = fn(*[Tensor(np.broadcast_to(value, drawn.result_shape).copy()) for value in values])
        if output.shape != by_hand.shape or not np.allclose(output.data, by_hand.data, equal_nan=True):
            raise AssertionError(f"the result differs from the op on inputs broadcast by hand to {drawn.result_shape}")
        grads = grad(output, inputs, grad_outputs=_random_upstream(output, seed), allow_unused=True)
        for index, (x, gradient) in enumerate(zip(inputs, grads)):
            if gradient is not None and gradient.shape != x.shape:
                raise AssertionError(f"the gradient of input {index} has shape {gradient.shape}, input {x.shape}")
        gradcheck(fn, inputs, seed=seed)
        if check_jvp:
            failure = _jvp_against_differences(fn, inputs, seed)
            if failure:
                raise AssertionError(failure)

    try:
        property_holds()
    except Exception as error:
        shapes = ", ".join(str(shape) for shape in tried[-1]) if tried else "?"
        return Check(name, FAILED, f"input shapes {shapes}: {_exception_text(error)}")
    return Check(name, PASSED, f"{len(tried)} shape combinations, e.g. {', '.join(map(str, tried[-1]))}")


def _jvp_checks(fn: Callable[..., Tensor], inputs: list[Tensor], seed: int, gradcheck_status: str) -> list[Check]:
    """The two forward-mode checks: J·v against central differences, and against backward."""
    try:
        failure = _jvp_against_differences(fn, inputs, seed)
    except NotImplementedError as error:
        if "has no jvp" not in str(error):
            raise
        reason = f"{error} (tg.jvp and jacobian(mode='forward') need it; backward does not)"
        return [Check("jvp", SKIPPED, reason), Check("jvp vs backward", SKIPPED, "no jvp")]
    except Exception as error:
        return [Check("jvp", FAILED, _exception_text(error)), Check("jvp vs backward", SKIPPED, "jvp does not run")]
    if failure:
        jvp_check = Check("jvp", FAILED, failure)
    else:
        jvp_check = Check("jvp", PASSED, "J·v = central differences, v a random direction")
    return [jvp_check, _adjoint_check(fn, inputs, seed, jvp_check.status, gradcheck_status)]


def _random_directions(inputs: list[Tensor], seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed + 13)
    return [rng.standard_normal(x.shape).astype(x.dtype) for x in inputs]


def _jvp_against_differences(
    fn: Callable[..., Tensor],
    inputs: list[Tensor],
    seed: int,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
) -> str:
    """'' if tg.jvp's J·v matches (f(x + εv) − f(x − εv)) / 2ε for a random v, else what differs."""
    directions = _random_directions(inputs, seed)
    _, tangent = jvp(fn, tuple(inputs), tuple(Tensor(v) for v in directions))
    assert isinstance(tangent, Tensor), "check_op's fn returns one Tensor"
    plus = fn(*[Tensor(x.data + eps * v) for x, v in zip(inputs, directions)]).data
    minus = fn(*[Tensor(x.data - eps * v) for x, v in zip(inputs, directions)]).data
    numerical = np.asarray((plus - minus) / (2 * eps), dtype=np.float64)
    analytic = np.asarray(tangent._data, dtype=np.float64)
    if analytic.shape != numerical.shape:
        return f"the tangent has shape {analytic.shape}, the output {numerical.shape}"
    excess = np.abs(analytic - numerical) - (atol + rtol * np.abs(numerical))
    if not np.any(excess > 0) and np.all(np.isfinite(analytic)):
        return ""
    worst = np.unravel_index(np.argmax(np.where(np.isfinite(excess), excess, np.inf)), analytic.shape)
    element = tuple(int(i) for i in worst)
    return (
        f"the tangent J·v (tg.jvp, random direction v) is wrong at output element {element}: jvp "
        f"{analytic[worst]:.8g}, central differences {numerical[worst]:.8g} (atol={atol}, rtol={rtol}); "
        f"the tangent rule in jvp does not match forward.\njvp:\n{analytic}\ncentral differences:\n{numerical}"
    )


def _adjoint_check(
    fn: Callable[..., Tensor], inputs: list[Tensor], seed: int, jvp_status: str, gradcheck_status: str
) -> Check:
    """⟨J·v, u⟩ = ⟨v, Jᵀ·u⟩: forward mode and reverse mode compute the same Jacobian."""
    name = "jvp vs backward"
    directions = _random_directions(inputs, seed)
    try:
        output, tangent = jvp(fn, tuple(inputs), tuple(Tensor(v) for v in directions))
        assert isinstance(output, Tensor) and isinstance(tangent, Tensor), "check_op's fn returns one Tensor"
        upstream = np.random.default_rng(seed + 17).standard_normal(output.shape)
        grads = grad(fn(*inputs), inputs, grad_outputs=Tensor(upstream.astype(output.dtype)), allow_unused=True)
    except Exception as error:
        return Check(name, FAILED, _exception_text(error))
    forward_side = np.asarray(tangent.data, dtype=np.float64) * upstream
    reverse_sides = [v * g.data for v, g in zip(directions, grads) if g is not None]
    left = float(np.sum(forward_side))
    right = float(sum(np.sum(side) for side in reverse_sides))
    scale = float(np.sum(np.abs(forward_side)) + sum(np.sum(np.abs(side)) for side in reverse_sides))
    equation = f"⟨J·v, u⟩ = {left:.8g}, ⟨v, Jᵀ·u⟩ = {right:.8g} (random u, v; Jᵀ·u is what backward sends for u)"
    if abs(left - right) <= 1e-9 * scale + 1e-12:
        return Check(name, PASSED, equation)
    if jvp_status == PASSED and gradcheck_status == FAILED:
        culprit = "jvp matches central differences and gradcheck failed: fix backward"
    elif jvp_status == FAILED and gradcheck_status == PASSED:
        culprit = "gradcheck passed and the jvp check failed: fix jvp"
    else:
        culprit = "jvp and backward compute different Jacobians"
    return Check(name, FAILED, f"{equation}: they differ; {culprit}")
