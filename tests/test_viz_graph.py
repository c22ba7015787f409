"""viz.draw_graph and viz.trace_modules: what the DOT text says, and that it renders."""

from __future__ import annotations

import re

import graphviz
import numpy as np
import pytest
from test_viz_backprop import scalar, tanh_example  # y = tanh(a·b + c) · a with a=2, b=-3, c=10

import tinygrad_edu as tg
import viz
from tinygrad_edu.core.autograd import topological_order
from viz.labels import CONSTANT_COLOUR, OUTPUT_COLOUR, PARAMETER_COLOUR, format_number, format_values


def node_ids(source: str, prefix: str) -> list[str]:
    return re.findall(rf"^\s*({prefix}\d+) \[", source, flags=re.MULTILINE)


def edges(source: str) -> list[tuple[str, str]]:
    return re.findall(r"^\s*(\w+) -> (\w+)", source, flags=re.MULTILINE)


def node_line(source: str, node_id: str) -> str:
    (line,) = [line for line in source.splitlines() if line.strip().startswith(f"{node_id} [")]
    return line


def test_counts_value_and_op_nodes_and_edges():
    *_, y = tanh_example()
    source = viz.draw_graph(y, show_legend=False).source
    assert len(node_ids(source, "t")) == 7  # a, b, a·b, c, a·b+c, tanh, y
    assert len(node_ids(source, "op")) == 4  # Mul, Add, Tanh, Mul
    assert len(edges(source)) == 11  # 2 + 2 + 1 + 2 inputs, and 4 op -> output edges
    assert "legend" not in source


def test_labels_show_names_and_values_of_scalars_and_op_symbols():
    *_, y = tanh_example()
    source = viz.draw_graph(y).source
    assert "<B>a</B> = 2" in source and "<B>y</B> = 1.999" in source
    assert "<B>a·b</B> = −6" in source  # unnamed intermediates are called by their sub-expression
    assert "<B>a·b + c</B> = 4" in source and "<B>tanh(a·b + c)</B>" in source
    assert "float64" not in source and "()" not in source  # a scalar shows its value, not its shape and dtype
    for symbol in ("×", "+", "tanh"):
        assert f"<B>{symbol}</B>" in source
    assert "legend" in source


def test_matrices_show_their_shape_and_a_grid_of_numbers():
    x = tg.Tensor(np.array([[1.0, -2.0, 3.0], [4.0, 5.0, -6.5]]), requires_grad=True, name="x")
    source = viz.draw_graph(x.sum()).source
    assert "<B>x</B>" in source and "(2×3)" in source
    assert source.count('<TD ALIGN="RIGHT">') == 6 and "−6.5" in source


@pytest.mark.parametrize(
    ("build", "expected"),
    [
        (lambda a, b, c: a * b, "a·b"),
        (lambda a, b, c: a * b + c, "a·b + c"),
        (lambda a, b, c: (a * b + c).tanh(), "tanh(a·b + c)"),
        (lambda a, b, c: (a + b) * c, "(a + b)·c"),
        (lambda a, b, c: a - (b - c), "a − (b − c)"),
        (lambda a, b, c: -(a / b), "−(a/b)"),
        (lambda a, b, c: a**2, "a²"),
        (lambda a, b, c: 1 - a.sigmoid(), "1 − σ(a)"),
        (lambda a, b, c: (a * c).log().exp(), "exp(log(a·c))"),
    ],
)
def test_unnamed_intermediates_are_called_by_their_sub_expression(build, expected):
    a, b, c = scalar(2.0, "a"), scalar(-3.0, "b"), scalar(10.0, "c")
    result = build(a, b, c)
    assert viz.graph.graph_structure(result).display_name(result) == expected


def test_long_sub_expressions_are_shortened_from_the_inside_never_to_an_id():
    x1, w1, x2, w2, b = (scalar(1.0, name) for name in ("x1", "w1", "x2", "w2", "b"))
    z = (x1 * w1 + x2 * w2 + b).tanh()
    loss = (z * z + (z + b).exp() * w1).log()
    structure = viz.graph.graph_structure(loss)
    names = [structure.display_name(value) for value in structure.values]
    assert "tanh(x1·w1 + x2·w2 + b)" in names  # 23 characters: kept whole
    assert all(len(name) <= 24 for name in names)
    assert structure.display_name(loss).startswith("log(") and "…" in structure.display_name(loss)
    assert not any(re.fullmatch(r"t\d+", name) for name in names)


def test_numbers_never_say_minus_zero():
    assert format_number(-0.0) == "0"
    assert format_number(-1.5) == "−1.5"
    assert "−0 " not in format_values(np.array([-0.0, 1.0])) + " "


@pytest.mark.needs_dot
def test_names_and_titles_of_16384_and_more_characters_do_not_break_dot():
    long_name = "a" * 20_000
    a = tg.Tensor(np.array(float("1" * 400)), requires_grad=True, name=long_name)
    graph = viz.draw_graph(a * 2, title="f = " + "a*" * 10_000 + "a")
    assert max(len(line) for line in graph.source.splitlines()) < 2_000
    assert "<svg" in graph.pipe(format="svg", encoding="utf-8")


def test_grads_appear_once_computed_and_can_be_hidden():
    a, _, _, y = tanh_example()
    assert "grad" not in viz.draw_graph(y, show_legend=False).source
    y.backward()
    source = viz.draw_graph(y, show_legend=False).source
    assert f"grad {format_values(a.grad.data)}" in source
    assert "grad" not in viz.draw_graph(y, show_grads=False, show_legend=False).source


def test_colours_for_leaves_constants_and_output():
    a = scalar(2.0, "a")
    y = a * tg.Tensor(np.array(3.0))
    source = viz.draw_graph(y, show_legend=False).source
    assert PARAMETER_COLOUR in node_line(source, "t0")
    assert CONSTANT_COLOUR in node_line(source, "t1")
    assert OUTPUT_COLOUR in node_line(source, "t2")


def test_edges_follow_engine_order_and_reused_inputs_get_two_edges():
    a, b, c, y = tanh_example()
    order = [t for t in topological_order([y]) if t.grad_fn is not None]
    structure = viz.graph.graph_structure(y)
    assert [output for _, _, output in structure.ops] == order
    source = viz.draw_graph(y, show_legend=False).source
    op_edges = [head for tail, head in edges(source) if head.startswith("op")]
    assert op_edges == ["op0", "op0", "op1", "op1", "op2", "op3", "op3"]
    square = a * a
    assert edges(viz.draw_graph(square, show_legend=False).source).count(("t0", "op0")) == 2


def test_big_tensors_get_a_summary_small_ones_their_numbers():
    small = format_values(np.array([1.0, 2.5, -3.0]))
    assert "2.5" in small and "mean" not in small
    big = format_values(np.arange(100.0))
    assert "mean 49.5" in big and "std" in big and "norm" in big


def test_settings_of_an_op_are_shown():
    x = tg.Tensor(np.ones((2, 3)), requires_grad=True, name="x")
    source = viz.draw_graph(x.sum(axis=1), show_legend=False).source
    assert "axis=1" in source  # the keyword arguments the op was called with (ctx.settings)


def test_several_outputs_and_rankdir():
    a = scalar(1.0, "a")
    graph = viz.draw_graph([a.exp(), a.sin()], rankdir="TB", show_legend=False)
    assert "rankdir=TB" in graph.source
    assert len(node_ids(graph.source, "op")) == 2
    with pytest.raises(ValueError, match="rankdir"):
        viz.draw_graph(a.exp(), rankdir="sideways")


@pytest.mark.needs_dot
def test_svg_renders():
    *_, y = tanh_example()
    svg = viz.draw_graph(y).pipe(format="svg", encoding="utf-8")
    assert "<svg" in svg and "tanh" in svg


def test_without_dot_the_source_works_and_rendering_says_how_to_install(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: no dot anywhere
    *_, y = tanh_example()
    graph = viz.draw_graph(y)
    assert "digraph" in graph.source
    with pytest.raises(viz.GraphvizNotFoundError) as caught:
        graph.render(tmp_path / "graph", format="svg")
    message = str(caught.value)
    assert "apt-get install graphviz" in message and "brew install graphviz" in message and "winget" in message
    assert isinstance(caught.value, graphviz.ExecutableNotFound)  # still caught by code that expects that
    with pytest.raises(viz.GraphvizNotFoundError):
        graph.pipe(format="png")
    assert "text/plain" in graph._repr_mimebundle_()


# ----- modules ---------------------------------------------------------------------------------


class TinyLinear:
    """Module-like (not tinygrad_edu.nn): a forward method and tensors as attributes."""

    def __init__(self, in_features: int, out_features: int, generator: np.random.Generator):
        self.weight = tg.Tensor(generator.normal(size=(out_features, in_features)), requires_grad=True)
        self.bias = tg.Tensor(np.zeros(out_features), requires_grad=True)

    def forward(self, x: tg.Tensor) -> tg.Tensor:
        return x @ self.weight.T + self.bias

    def __call__(self, x: tg.Tensor) -> tg.Tensor:
        return self.forward(x)


class TinyReLU:
    def forward(self, x: tg.Tensor) -> tg.Tensor:
        return x.relu()

    def __call__(self, x: tg.Tensor) -> tg.Tensor:
        return self.forward(x)


class TinyMLP:
    def __init__(self, generator: np.random.Generator):
        self.layers = [TinyLinear(4, 3, generator), TinyReLU(), TinyLinear(3, 2, generator)]

    def forward(self, x: tg.Tensor) -> tg.Tensor:
        for layer in self.layers:
            x = layer(x)
        return x

    def __call__(self, x: tg.Tensor) -> tg.Tensor:
        return self.forward(x)


def test_trace_modules_collapses_each_module_into_one_box():
    generator = np.random.default_rng(0)
    model = TinyMLP(generator)
    x = tg.Tensor(generator.normal(size=(5, 4)), name="x")
    with viz.trace_modules(model) as trace:
        out = model(x)
    loss = out.sum()
    assert [call.name for call in trace.calls] == ["layers.0", "layers.1", "layers.2"]
    assert all("forward" not in vars(layer) for layer in model.layers)  # wrappers removed

    collapsed = viz.draw_graph(loss, modules=trace, show_legend=False).source
    assert len(node_ids(collapsed, "module")) == 3
    assert "layers.0: TinyLinear" in collapsed and "weight (3, 4)" in collapsed
    assert node_ids(collapsed, "op") == ["op7"]  # only the final Sum stays outside the modules
    x_node = viz.graph.graph_structure(loss).value_id(x)
    assert (x_node, "module0") in edges(collapsed)

    expanded = viz.draw_graph(loss, modules=trace, collapse_modules=False, show_legend=False).source
    assert expanded.count("subgraph cluster_") == 3
    assert len(node_ids(expanded, "op")) == 8
    assert not node_ids(expanded, "module")


def test_trace_modules_restores_forward_after_an_error():
    model = TinyMLP(np.random.default_rng(1))
    with pytest.raises(RuntimeError, match="boom"), viz.trace_modules(model):
        raise RuntimeError("boom")
    assert all("forward" not in vars(layer) for layer in model.layers)


def test_mnist_mlp_with_nn_draws_three_layer_boxes():
    nn = pytest.importorskip("tinygrad_edu.nn")
    generator = np.random.default_rng(0)
    model = nn.Sequential(nn.Linear(784, 128, generator=generator), nn.ReLU(), nn.Linear(128, 10, generator=generator))
    images = tg.Tensor(generator.uniform(size=(4, 784)).astype(np.float32), name="images")
    with viz.trace_modules(model) as trace:
        logits = model(images)
    loss = nn.functional.cross_entropy(logits, generator.integers(0, 10, 4))
    source = viz.draw_graph(loss, modules=trace).source
    assert len(node_ids(source, "module")) == 3
    assert "0: Linear" in source and "1: ReLU" in source and "2: Linear" in source
    assert len(node_ids(source, "t")) + len(node_ids(source, "op")) < 12  # legible: a handful of nodes
    assert all(len(line) < 2000 for line in source.splitlines())  # summaries, not 100,000 numbers


def test_no_teaching_mode_warnings(recwarn):
    a, b, c, y = tanh_example()
    with tg.teaching_mode():
        y.backward(retain_graph=True)
        viz.draw_graph(y)
        a.grad = b.grad = c.grad = None
        viz.backprop_frames(y)
    assert not [str(w.message) for w in recwarn.list]
