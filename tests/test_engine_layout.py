"""The engine's layout: the op table, the fast path beside the textbook formulas, the Context's
slots, the forward-mode walk, and imports that work in any order with no long cycle."""

import ast
import inspect
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import Tensor
from tinygrad_edu.core import hooks
from tinygrad_edu.ops import ALL_OPS, cast, conv, elementwise, fused, linalg, movement, pool, reduce

PACKAGE = Path(tg.__file__).parent
ROWS = {row.name: row for row in ALL_OPS}


def _ops_in(graph_roots):
    return {t.grad_fn.function for t in tg.core.autograd.topological_order(graph_roots) if t.grad_fn is not None}


def _inputs(row, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    domain = row.options.get("domain", "real")
    domains = domain if isinstance(domain, tuple) else (domain,) * len(row.shapes)
    arrays = []
    for shape, kind in zip(row.shapes, domains):
        array = rng.standard_normal(shape)
        if kind == "positive":
            array = rng.uniform(0.5, 2.0, shape)
        elif kind == "probability":
            array = rng.uniform(0.1, 0.9, shape)
        arrays.append(Tensor(array.astype(dtype), requires_grad=True))
    return arrays


# ----- the op table ------------------------------------------------------------------------------


def test_every_op_class_has_exactly_one_row_in_the_table():
    defined = set()
    for module in (cast, conv, elementwise, fused, linalg, movement, pool, reduce):
        for value in vars(module).values():
            if inspect.isclass(value) and issubclass(value, tg.Function) and value.__module__ == module.__name__:
                defined.add(value)
    listed = [row.function for row in ALL_OPS]
    assert len(listed) == len(set(listed)), "an op has two rows"
    assert set(listed) == defined, f"not in ALL_OPS: {sorted(c.__name__ for c in defined - set(listed))}"


@pytest.mark.parametrize("row", [row for row in ALL_OPS if row.example], ids=lambda row: row.name)
def test_each_example_records_its_op(row):
    assert row.function in _ops_in([row.example(*_inputs(row))])


class _OpsApplied(hooks.Tool):
    """Every op applied while it is on, recorded or not."""

    def __init__(self):
        self.ops = set()

    def after_forward(self, ctx, arrays, out):
        self.ops.add(ctx.function)


@pytest.mark.parametrize("row", [row for row in ALL_OPS if not row.example], ids=lambda row: row.name)
def test_an_op_without_an_example_runs_in_the_derivatives_of_the_op_that_checks_it(row):
    parent = ROWS[row.checked_by]
    inputs = _inputs(parent)
    out = parent.example(*inputs)
    upstream = Tensor(np.ones(out.shape), requires_grad=True)
    applied = _OpsApplied()
    hooks.active.append(applied)
    try:
        grads = [g for g in tg.grad(out, inputs, upstream, create_graph=True, allow_unused=True) if g is not None]
        tg.grad(sum(g.sum() for g in grads), upstream)  # the backward's backward
        tg.jvp(parent.example, tuple(inputs), tuple(Tensor(np.ones(x.shape)) for x in inputs))
    finally:
        hooks.active.remove(applied)
    assert row.function in applied.ops


# ----- the fast path: each array twin against its Tensor formula ---------------------------------

TWINS = [row for row in ALL_OPS if row.function.array_backward is not None]


def test_the_hot_ops_have_twins():
    names = {row.name for row in TWINS}
    assert {"Sub", "Mul", "Div", "ReLU", "Sigmoid", "Sum", "Affine", "CrossEntropy"} <= names


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("row", TWINS, ids=lambda row: row.name)
def test_each_twin_gives_what_its_tensor_formula_gives(row, dtype):
    inputs = _inputs(row, seed=1, dtype=dtype)
    out = row.example(*inputs)
    upstream = Tensor(np.random.default_rng(2).standard_normal(out.shape).astype(dtype))
    # create_graph=True runs the op's Tensor formula (recorded); a plain grad() runs its twin
    formula = tg.grad(out, inputs, upstream, retain_graph=True, create_graph=True, allow_unused=True)
    twin = tg.grad(out, inputs, upstream, allow_unused=True)
    for by_formula, by_twin in zip(formula, twin):
        assert (by_formula is None) == (by_twin is None)
        if by_twin is not None:
            assert by_twin.dtype == by_formula.dtype == dtype
            np.testing.assert_allclose(by_twin.data, by_formula.data, rtol=1e-6 if dtype == np.float64 else 1e-5)


def test_a_wrong_twin_is_caught_and_a_subclass_does_not_inherit_one(monkeypatch):
    row = ROWS["Mul"]
    monkeypatch.setattr(elementwise.Mul, "array_backward", lambda ctx, g: (g, g))  # a planted bug
    a, b = _inputs(row)
    out = row.example(a, b)
    formula = tg.grad(out, [a, b], Tensor(np.ones(out.shape)), retain_graph=True, create_graph=True)
    twin = tg.grad(out, [a, b], Tensor(np.ones(out.shape)))
    assert not np.allclose(twin[1].data, formula[1].data)

    class Doubled(elementwise.Mul):
        @staticmethod
        def backward(ctx, grad_output):
            a, b = ctx.saved_tensors
            return 2 * grad_output * b, 2 * grad_output * a

    assert Doubled.array_backward is None


# ----- Context: settings kept, saved arrays freed, no tool state ---------------------------------


def test_settings_stay_and_saved_arrays_go_on_release():
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    y = x.sum(axis=1, keepdims=True)
    assert y.grad_fn.settings == {"axis": 1, "keepdims": True}
    z = (y * y).sum()
    z.backward()
    assert z.grad_fn.released and z.grad_fn.settings == {}
    assert y.grad_fn.settings == {"axis": 1, "keepdims": True}


def test_a_convolution_frees_its_unfolded_input_after_backward():
    x = Tensor(np.random.default_rng(0).standard_normal((2, 3, 8, 8)), requires_grad=True)
    w = Tensor(np.random.default_rng(1).standard_normal((4, 3, 3, 3)), requires_grad=True)
    y = x.conv2d(w)
    ctx = y.grad_fn
    assert any(array.size > x.data.size for array in ctx._saved)  # the im2col matrix, for ∂L/∂w
    y.sum().backward()
    assert ctx.released and ctx._saved is None
    assert not any(isinstance(value, np.ndarray) for value in vars(ctx).values())


def test_teaching_mode_keeps_its_state_out_of_the_context():
    with tg.teaching_mode():
        x = Tensor(np.ones(3), requires_grad=True)
        y = x * x
    assert not any("teaching" in name for name in vars(y.grad_fn))


# ----- forward mode's walk -----------------------------------------------------------------------


def test_jvp_steps_visit_the_ops_parents_first_and_end_at_the_jvp():
    x = Tensor(np.array([0.5, -1.0]), requires_grad=True)
    y = (x * x).sin().sum()
    order = tg.core.autograd.topological_order([y])
    steps = list(tg.jvp_steps(order, [x], [Tensor(np.array([1.0, 2.0]))]))
    assert [step.function.__name__ for step in steps] == ["Mul", "Sin", "Sum"]
    _, expected = tg.jvp(lambda x: (x * x).sin().sum(), x, Tensor(np.array([1.0, 2.0])))
    np.testing.assert_allclose(steps[-1].output_tangent.data, expected.data)
    assert steps[1].input_tangents[0] is steps[0].output_tangent


# ----- imports: any order works, and no cycle is longer than two ---------------------------------

MODULES = sorted(
    ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(".__init__")
    for path in PACKAGE.rglob("*.py")
    if "exercises" not in path.parts and path.name != "__main__.py"
)


def test_each_module_can_be_imported_first():
    """In a fresh process, each module is imported first, with the package's __init__ kept out of
    the way (a stand-in package object), so no other module has set up an order beforehand."""
    script = textwrap.dedent(
        f"""
        import importlib, sys, types
        failures = []
        for first in {MODULES!r}:
            for name in [n for n in sys.modules if n == "tinygrad_edu" or n.startswith("tinygrad_edu.")]:
                del sys.modules[name]
            if first != "tinygrad_edu":
                stand_in = types.ModuleType("tinygrad_edu")
                stand_in.__path__ = [{str(PACKAGE)!r}]
                sys.modules["tinygrad_edu"] = stand_in
            try:
                importlib.import_module(first)
                importlib.import_module("tinygrad_edu.core.tensor").Tensor([1.0])
            except Exception as error:
                failures.append(f"{{first}}: {{type(error).__name__}}: {{error}}")
        print("\\n".join(failures))
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", result.stdout


def _module_level_imports(path: Path, module: str) -> set[str]:
    """The package modules ``module`` imports when it is loaded (not under TYPE_CHECKING, not in functions)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    statements = list(ast.parse(path.read_text()).body)
    while statements:
        node = statements.pop()
        if isinstance(node, ast.If):
            if "TYPE_CHECKING" not in ast.unparse(node.test):
                statements += node.body + node.orelse
            continue
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package.split(".")[: len(package.split(".")) - node.level + 1]
            target = ".".join(base + ([node.module] if node.module else []))
            names = [f"{target}.{alias.name}" for alias in node.names]
            found |= {name for name in names if name in MODULES} or {target}
    return {name for name in found if name in MODULES and name != module}


def _group(module: str) -> str:
    """The ops package counts as one module (teenygrad's one Tensor <-> ops pair)."""
    return "tinygrad_edu.ops" if module.startswith("tinygrad_edu.ops") else module


def test_no_import_cycle_is_longer_than_two_modules():
    edges: dict[str, set[str]] = {}
    for module in MODULES:
        path = PACKAGE.parent / (module.replace(".", "/") + ("/__init__.py" if module == "tinygrad_edu" else ".py"))
        if not path.exists():
            path = PACKAGE.parent / module.replace(".", "/") / "__init__.py"
        if module == "tinygrad_edu":
            continue  # the package's __init__ imports everything, and nothing imports it
        for target in _module_level_imports(path, module):
            if _group(target) != _group(module):
                edges.setdefault(_group(module), set()).add(_group(target))
    long_cycles = []

    def walk(start: str, node: str, path: list[str]) -> None:
        for target in sorted(edges.get(node, ())):
            if target == start and len(path) > 2:
                long_cycles.append(path + [start])
            elif target > start and target not in path and len(path) < 6:
                walk(start, target, path + [target])

    for start in sorted(edges):
        walk(start, start, [start])
    assert not long_cycles, "\n".join(" -> ".join(cycle) for cycle in long_cycles)
    assert "tinygrad_edu.core.tensor" in edges["tinygrad_edu.ops"]  # the check sees the pair it allows


# ----- docs/adding_an_op.md, section 7, followed word for word ------------------------------------

REPO = PACKAGE.parent


def _place(text: str, where: str, code: str) -> str:
    """Put ``code`` into ``text`` where the doc's block header says."""
    if where == "at the end":
        return text.rstrip() + "\n\n\n" + code
    if where.startswith("after def "):
        name = where.removeprefix("after def ")
        start = text.index(f"    def {name}(")
        end = text.index("\n\n", start) + 1
        return text[:end] + "\n" + code + text[end:]
    if where.startswith("in the names imported from "):
        start = text.index(f"from {where.removeprefix('in the names imported from ')} import (")
        end = text.index(")", start)
        return text[:end] + code + text[end:]
    if where.startswith("after the ") and where.endswith(" row"):
        start = text.index(f"OpRow(elementwise.{where.removeprefix('after the ').removesuffix(' row')},")
        end = text.index("\n", start) + 1
        return text[:end] + code + text[end:]
    raise AssertionError(f"the test does not know where {where!r} is")


def test_adding_an_op_takes_the_three_places_the_doc_names(tmp_path):
    markdown = (REPO / "docs" / "adding_an_op.md").read_text(encoding="utf-8")
    section = markdown[markdown.index("## 7.") :]
    blocks = re.findall(r"^ *```python (\S+), (.+?)\n(.*?)^ *```$", section, flags=re.DOTALL | re.MULTILINE)
    assert {path for path, _, _ in blocks} == {
        "tinygrad_edu/ops/elementwise.py",
        "tinygrad_edu/core/tensor.py",
        "tinygrad_edu/ops/__init__.py",
    }
    shutil.copytree(PACKAGE, tmp_path / "tinygrad_edu", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "tests", tmp_path / "tests", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "viz", tmp_path / "viz", ignore=shutil.ignore_patterns("__pycache__"))
    for path, where, code in blocks:
        indent = len(code) - len(code.lstrip(" "))
        code = textwrap.indent(textwrap.dedent(code), " " * (indent - 3 if indent >= 3 else 0))
        target = tmp_path / path
        target.write_text(_place(target.read_text(encoding="utf-8"), where, code), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
         "tests/test_engine_layout.py", "tests/test_check_op.py", "tests/test_op_formulas.py",
         "tests/test_viz_backprop.py",
         "-k", "(exactly_one_row or records_its_op or Softplus or local_derivative_row) and not script and not walk"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "Softplus" in subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "--collect-only", "tests/test_check_op.py", "-k", "Softplus"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(tmp_path)},
    ).stdout  # fmt: skip


# ----- READING.md: the path from a * b to a.grad --------------------------------------------------


def _definitions(path: Path) -> dict[int, tuple[str, int]]:
    """First line (decorators included) -> (name, last line) of every class and function."""
    found = {}
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            start = min([node.lineno] + [decorator.lineno for decorator in node.decorator_list])
            found[start] = (node.name, node.end_lineno)
    return found


def test_the_reading_path_is_at_most_400_lines_in_at_most_4_files_and_its_ranges_are_right():
    reading = (REPO / "READING.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| \d+ \| `([\w/.]+)` \| (\d+)–(\d+) \| `(\w+)`", reading, flags=re.MULTILINE)
    assert len(rows) >= 10
    total = 0
    for path, start, end, name in rows:
        start, end = int(start), int(end)
        definitions = _definitions(REPO / path)
        assert start in definitions and definitions[start][0] == name, f"{path}:{start} is not the start of {name}"
        ends_inside = {last for first, (_, last) in definitions.items() if start <= first <= end}
        assert end <= definitions[start][1] or end in ends_inside, f"{path}:{start}–{end} ends inside a definition"
        total += end - start + 1
    assert total <= 400 and len({path for path, *_ in rows}) <= 4
    assert f"{total} lines in four files" in reading
