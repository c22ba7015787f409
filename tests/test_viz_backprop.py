"""viz.backprop_frames: one frame per engine step, plus the final frame."""

from __future__ import annotations

import inspect
import re
import shutil

import numpy as np
import pytest

import tinygrad_edu as tg
import tinygrad_edu.ops as ops_package
import viz
from tinygrad_edu.ops import elementwise, linalg, movement, nn, reduce
from viz.graph import HIGHLIGHT_COLOUR

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")

BUILT_IN_OPS = (
    "Add Sub Mul Div Pow Neg Exp Log Sqrt Abs Sin Cos ReLU LeakyReLU Sigmoid Tanh Maximum Clip Where "
    "Sum Max Reshape Transpose BroadcastTo GetItem IndexAdd Concatenate MatMul Softmax LogSoftmax"
).split()


def scalar(value: float, name: str) -> tg.Tensor:
    return tg.Tensor(np.array(value, dtype=np.float64), requires_grad=True, name=name)


def tanh_example() -> tuple[tg.Tensor, tg.Tensor, tg.Tensor, tg.Tensor]:
    """y = tanh(a·b + c) · a: 4 ops; a reaches y twice (through Mul and directly)."""
    a, b, c = scalar(2.0, "a"), scalar(-3.0, "b"), scalar(10.0, "c")
    y = (a * b + c).tanh() * a
    y.name = "y"
    return a, b, c, y


def node_line(source: str, node_id: str) -> str:
    (line,) = [line for line in source.splitlines() if line.strip().startswith(f"{node_id} [")]
    return line


def test_frames_count_is_ops_visited_plus_the_final_frame():
    *_, reference = tanh_example()
    visited = len(list(tg.backward_steps(reference)))
    *_, y = tanh_example()
    frames = viz.backprop_frames(y)
    assert visited == 4
    assert len(frames) == visited + 1
    assert [frame.index for frame in frames] == list(range(5))
    assert all(frame.total == 5 for frame in frames)
    assert frames[-1].is_final and frames[-1].highlighted is None


def test_frame_k_highlights_the_op_of_engine_step_k():
    *_, reference = tanh_example()
    expected_ops = [step.function.__name__ for step in tg.backward_steps(reference)]
    *_, y = tanh_example()
    frames = viz.backprop_frames(y)
    assert [frame.step.function.__name__ for frame in frames[:-1]] == expected_ops == ["Mul", "Tanh", "Add", "Mul"]
    assert [frame.highlighted for frame in frames[:-1]] == ["op3", "op2", "op1", "op0"]
    for frame in frames[:-1]:
        assert HIGHLIGHT_COLOUR in node_line(frame.source, frame.highlighted)
        others = [f"op{i}" for i in range(4) if f"op{i}" != frame.highlighted]
        assert all(HIGHLIGHT_COLOUR not in node_line(frame.source, op) for op in others)
    assert HIGHLIGHT_COLOUR not in "".join(node_line(frames[-1].source, f"op{i}") for i in range(4))


def test_frame_shows_upstream_gradient_local_derivative_and_what_is_sent():
    *_, y = tanh_example()
    frames = viz.backprop_frames(y)
    tanh_frame = frames[1]
    assert "∂(tanh x)/∂x = 1 − tanh²x" in tanh_frame.source
    assert "upstream gradient" in tanh_frame.source
    assert "∂L/∂x = ∂L/∂y · (1 − y²)" in tanh_frame.source  # the chain rule on the edge back
    assert "0.002682" in tanh_frame.source  # 2 · (1 − tanh²4), the number sent back
    assert "dir=back" in tanh_frame.source
    assert "Tanh receives the upstream gradient" in tanh_frame.caption
    assert tanh_frame.caption.startswith("Step 2 of 5")
    assert "∂(a·b)/∂a = b" in frames[0].source


def test_the_sum_appears_in_the_frame_where_the_second_contribution_arrives():
    *_, y = tanh_example()
    frames = viz.backprop_frames(y)
    # a gets its first contribution at step 0 (the last Mul), its second at step 3 (a·b).
    for frame in frames[:3]:
        assert "g₁ + g₂" not in frame.source
    assert "∂L/∂a = g₁ + g₂" in frames[3].source
    assert "0.9993 + (-0.008046)" in frames[3].source
    assert "adds up" in frames[3].caption or "add up" in frames[3].caption


def test_a_tensor_used_twice_by_one_op_shows_both_contributions():
    x = scalar(3.0, "x")
    frames = viz.backprop_frames(x * x)
    assert len(frames) == 2
    assert "∂L/∂x = g₁ + g₂" in frames[0].source
    assert frames[0].source.count("dir=back") == 2
    np.testing.assert_allclose(x.grad.data, 6.0)


def test_last_frame_shows_every_leaf_gradient_equal_to_backward():
    a, b, c, y = tanh_example()
    frames = viz.backprop_frames(y)
    a2, b2, c2, y2 = tanh_example()
    y2.backward()
    for leaf, reference in ((a, a2), (b, b2), (c, c2)):
        np.testing.assert_allclose(leaf.grad.data, reference.grad.data)
        assert f"∂L/∂{leaf.name} = {viz.graph.format_values(leaf.grad.data)}" in frames[-1].source
        assert f"∂L/∂{leaf.name} = " in frames[-1].caption
    assert frames[-1].caption.startswith("Done after 4 steps")


def test_retain_graph_lets_backward_run_again():
    a, _, _, y = tanh_example()
    viz.backprop_frames(y, retain_graph=True)
    first = a.grad.data.copy()
    y.backward()
    np.testing.assert_allclose(a.grad.data, 2 * first)


def test_matrices_with_broadcasting_draw_numbers():
    generator = np.random.default_rng(0)
    x = tg.Tensor(generator.normal(size=(2, 3)), name="x")
    w = tg.Tensor(generator.normal(size=(3, 2)), requires_grad=True, name="w")
    bias = tg.Tensor(np.zeros(2), requires_grad=True, name="bias")
    loss = (x @ w + bias).relu().sum()
    frames = viz.backprop_frames(loss)
    assert len(frames) == 5  # Sum, ReLU, Add, MatMul + final
    assert "∂L/∂A = ∂L/∂Y @ Bᵀ" in frames[3].source or "∂L/∂B = Aᵀ @ ∂L/∂Y" in frames[3].source
    assert "[[" in frames[3].source  # small matrices are shown as numbers


def test_every_built_in_op_has_a_local_derivative_row():
    assert set(BUILT_IN_OPS) <= set(viz.LOCAL_DERIVATIVES)
    defined = set()
    for module in (elementwise, linalg, movement, nn, reduce):
        for name, value in vars(module).items():
            if inspect.isclass(value) and issubclass(value, tg.Function) and value is not tg.Function:
                if value.__module__.startswith(ops_package.__name__):
                    defined.add(name)
    missing = defined - set(viz.LOCAL_DERIVATIVES)
    assert not missing, f"ops without a local derivative in viz/derivatives.py: {sorted(missing)}"
    for row in viz.LOCAL_DERIVATIVES.values():
        assert len(row.local) == len(row.chain) and row.forward


def test_user_ops_get_their_own_string_or_a_fallback_from_the_docstring():
    class Cube(tg.Function):
        """x³, elementwise.
        forward:  y = x³
        backward: ∂L/∂x = ∂L/∂y · 3x²
        """

        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x**3

        @staticmethod
        def backward(ctx, grad_output):
            (x,) = ctx.saved_tensors
            return grad_output * 3 * x * x

    class Square(Cube):
        local_derivative = "∂(x²)/∂x = 2x"

    x = scalar(2.0, "x")
    frames = viz.backprop_frames(Cube.apply(x))
    assert "∂L/∂x = ∂L/∂y · 3x²" in frames[0].source
    assert viz.local_derivative(Square).local == ("∂(x²)/∂x = 2x",)
    assert viz.local_derivative(Cube).local[0].startswith("∂y/∂xᵢ as defined by Cube.backward")

    class Mul(tg.Function):  # a user op named like a built-in: its own string still wins
        local_derivative = "mine"

    assert viz.local_derivative(Mul).local == ("mine",)


def test_frame_objects_expose_source_caption_index_and_display_inline(monkeypatch, tmp_path):
    *_, y = tanh_example()
    frame = viz.backprop_frames(y)[0]
    assert frame.source.startswith("digraph")
    assert isinstance(frame.caption, str) and frame.caption.endswith(".")
    assert frame.index == 0
    assert "Frame(index=0" in repr(frame)
    monkeypatch.setenv("PATH", str(tmp_path))  # no dot: the bundle falls back to text
    bundle = frame._repr_mimebundle_()
    assert "image/svg+xml" not in bundle and "install" in bundle["text/plain"]
    with pytest.raises(viz.GraphvizNotFoundError, match="apt-get install graphviz"):
        frame.svg()


@needs_dot
def test_frames_render_to_svg(tmp_path):
    *_, y = tanh_example()
    frames = viz.backprop_frames(y)
    svg = frames[3]._repr_svg_()
    assert "<svg" in svg and "g₁ + g₂" in svg
    assert "image/svg+xml" in frames[0]._repr_mimebundle_()
    path = frames[0].render(tmp_path / "frame.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_no_op_loss_gives_just_the_final_frame():
    a = scalar(1.5, "a")
    frames = viz.backprop_frames(a)
    assert len(frames) == 1
    assert re.search(r"Done after 0 steps", frames[0].caption)
