"""viz.backprop_frames: one frame per engine step, plus the final frame."""

from __future__ import annotations

import inspect
import re

import numpy as np
import pytest

import tinygrad_edu as tg
import viz
from tinygrad_edu.ops import elementwise, linalg, movement, nn, reduce
from viz.labels import HIGHLIGHT_COLOUR

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


def all_text(frame: viz.Frame) -> str:
    """Everything a frame says: its caption and the labels of its pictures."""
    labels = [label for label, _ in frame.picture.nodes.values()]
    if frame.question is not None:
        labels += [label for label, _ in frame.question.nodes.values()]
    return frame.caption + "\n" + "\n".join(labels)


def lines_of(frame: viz.Frame) -> list[str]:
    return [line.full for line in frame.lines]


def test_frames_are_the_forward_pass_one_per_op_visited_and_the_end():
    *_, reference = tanh_example()
    visited = len(list(tg.backward_steps(reference)))
    *_, y = tanh_example()
    frames = viz.backprop_frames(y)
    assert visited == 4
    assert len(frames) == visited + 2
    assert [frame.index for frame in frames] == list(range(6))
    assert all(frame.total == 6 for frame in frames)
    assert frames[0].step is None and frames[0].heading == "forward pass"
    assert "grad" not in all_text(frames[0])  # the forward pass shows values only
    assert frames[-1].is_final and frames[-1].highlighted is None and frames[-1].step is None
    # One numbering: frame k's caption says "Step k of 5", as the player's counter and #k do.
    assert [frame.caption.split(":")[0] for frame in frames] == [f"Step {k} of 5" for k in range(6)]


def test_frame_k_highlights_the_op_of_engine_step_k():
    *_, reference = tanh_example()
    expected_ops = [step.function.__name__ for step in tg.backward_steps(reference)]
    *_, y = tanh_example()
    frames = viz.backprop_frames(y)
    steps = frames[1:-1]
    assert [frame.step.function.__name__ for frame in steps] == expected_ops == ["Mul", "Tanh", "Add", "Mul"]
    assert [frame.highlighted for frame in steps] == ["op3", "op2", "op1", "op0"]
    structure = viz.graph.graph_structure(y)
    for frame in steps:
        # The op is drawn on top of its output's box: exactly that box has the highlight colour.
        output = structure.value_id(frame.step.output)
        highlighted = [node for node, (label, _) in frame.picture.nodes.items() if HIGHLIGHT_COLOUR in label]
        assert highlighted == [output]
    assert not any(HIGHLIGHT_COLOUR in label for label, _ in frames[-1].picture.nodes.values())


def test_a_step_is_written_in_the_users_names_with_the_numbers_plugged_in():
    p, q = scalar(2.0, "p"), scalar(-3.0, "q")
    loss = p * q * tg.Tensor(np.array(0.5))
    loss.name = "L"
    frames = viz.backprop_frames(loss)
    product_step = frames[2]
    assert product_step.step.function.__name__ == "Mul" and product_step.step.output.name is None
    text = lines_of(product_step)
    assert "upstream: ∂L/∂(p·q) = 0.5" in text
    assert "local derivative: ∂(p·q)/∂p = q = −3" in text
    assert "p receives ∂L/∂(p·q) · q = 0.5 · (−3) = −1.5" in text
    assert "q receives ∂L/∂(p·q) · p = 0.5 · 2 = 1" in text
    assert "p receives ∂L/∂(p·q) · q = 0.5 · (−3) = −1.5" in product_step.caption
    kinds = [line.kind for line in product_step.lines]
    assert kinds == ["upstream", "local", "sends", "local", "sends"]  # predict mode hides by kind


def test_the_tanh_step_uses_the_names_around_it():
    *_, y = tanh_example()
    frames = viz.backprop_frames(y)
    tanh_step = frames[2]
    assert tanh_step.step.function.__name__ == "Tanh"
    text = lines_of(tanh_step)
    assert "local derivative: ∂tanh(a·b + c)/∂(a·b + c) = 1 − tanh(a·b + c)² = 0.001341" in text
    assert "a·b + c receives ∂y/∂tanh(a·b + c) · (1 − tanh(a·b + c)²) = 2 · 0.001341 = 0.002682" in text
    # No letter of the op's own formula (x, g) is left in a frame about a, b and c.
    assert not re.search(r"∂y/∂[xg]\b|\bg\b", " ".join(text))


def test_a_fan_out_adds_up_with_numbers_in_the_frame_where_the_second_contribution_arrives():
    *_, y = tanh_example()
    frames = viz.backprop_frames(y)
    # a gets its first contribution at step 1 (the last Mul), its second at step 4 (a·b).
    for frame in frames[:4]:
        assert "used twice" not in frame.caption
    assert "a is used twice: ∂y/∂a = 0.9993 + (−0.008046) = 0.9913" in lines_of(frames[4])
    label = frames[4].picture.nodes["t0"][0]
    assert "grad 0.9993" in label and "+ (−0.008046)" in label and "= 0.9913" in label


def test_the_sigmoid_step_speaks_of_the_users_output_not_of_a_letter_y():
    w, x = scalar(0.5, "w"), scalar(2.0, "x")
    y = tg.Tensor(np.array(1.0), name="y")  # the label, a user's name
    z = w * x
    z.name = "z"
    p = z.sigmoid()
    p.name = "p"
    loss = -(y * p.log() + (1 - y) * (1 - p).log())
    loss.name = "L"
    frames = viz.backprop_frames(loss)
    (sigmoid_frame,) = [frame for frame in frames if frame.step and frame.step.function.__name__ == "Sigmoid"]
    text = " ".join(lines_of(sigmoid_frame))
    assert "∂p/∂z = p·(1 − p) = 0.1966" in text
    assert "y·(1 − y)" not in text
    unnamed = viz.backprop_frames(scalar(0.0, "z").sigmoid())
    assert "∂σ(z)/∂z = σ(z)·(1 − σ(z)) = 0.25" in " ".join(lines_of(unnamed[1]))


def test_no_internal_ids_and_no_minus_zero_in_any_frame():
    x1, w1, x2, w2, b = (scalar(value, name) for value, name in ((2, "x1"), (-3, "w1"), (0, "x2"), (1, "w2"), (1, "b")))
    long = ((x1 * w1 + x2 * w2 + b).tanh() * (x1 * w1 + x2 * w2 + b).exp() + b * b).log()
    negative_zero = -(x2 * tg.Tensor(np.array(0.0)) + long)  # sends −1 × 0 = −0.0 back
    for frame in viz.backprop_frames(negative_zero):
        text = all_text(frame)
        assert not re.search(r"\bt\d+\b", text), text
        assert not re.search(r"[−-]0(?![.\d])", text), text
    names = viz.graph.graph_structure(long)
    assert all(len(names.display_name(value)) <= 24 for value in names.values)


def test_names_with_operators_are_put_in_parentheses_after_the_d():
    b = scalar(1.0, "b")
    square = b * b
    square.name = "b*b"  # a name as a parser might give it
    frames = viz.backprop_frames(square.exp())
    assert "b receives ∂exp(b*b)/∂(b*b) · (b + b) = 2.718 · 2 = 5.437" in lines_of(frames[2])
    wrap = viz.names.wrap
    assert wrap("−x") == "(−x)" and wrap("-3") == "(-3)" and wrap("x1") == "x1" and wrap("tanh(a + b)") == "tanh(a + b)"


def test_one_step_is_not_called_steps():
    frames = viz.backprop_frames(scalar(1.0, "a").exp())
    assert frames[-1].caption.startswith("Step 2 of 2: Done after 1 step:")


def test_a_tensor_used_twice_by_one_op_shows_both_contributions():
    x = scalar(3.0, "x")
    frames = viz.backprop_frames(x * x)
    assert len(frames) == 3
    assert "local derivative: ∂(x·x)/∂x = x + x = 6" in lines_of(frames[1])  # both slots, never "= x = 3"
    assert "x is used twice: ∂(x·x)/∂x = 3 + 3 = 6" in lines_of(frames[1])
    assert len(frames[1].picture.edges) == 2  # one edge per use
    np.testing.assert_allclose(x.grad.data, 6.0)


def test_last_frame_shows_every_leaf_gradient_equal_to_backward():
    a, b, c, y = tanh_example()
    frames = viz.backprop_frames(y)
    a2, b2, c2, y2 = tanh_example()
    y2.backward()
    for leaf, reference in ((a, a2), (b, b2), (c, c2)):
        np.testing.assert_allclose(leaf.grad.data, reference.grad.data)
        value = viz.captions.values_inline(leaf.grad.data)
        assert f"∂y/∂{leaf.name} = {value}" in frames[-1].caption
    assert frames[-1].caption.startswith("Step 5 of 5: Done after 4 steps")


def test_retain_graph_lets_backward_run_again():
    a, _, _, y = tanh_example()
    viz.backprop_frames(y, retain_graph=True)
    first = a.grad.data.copy()
    y.backward()
    np.testing.assert_allclose(a.grad.data, 2 * first)


def matmul_example() -> tg.Tensor:
    """L = sum(tanh(x @ W)) with x 2×3 and W 3×2: the small matmul of the lecture."""
    generator = np.random.default_rng(0)
    x = tg.Tensor(generator.normal(size=(2, 3)).round(1), requires_grad=True, name="x")
    w = tg.Tensor(generator.normal(size=(3, 2)).round(1), requires_grad=True, name="W")
    y = x @ w
    y.name = "y"
    loss = y.tanh().sum()
    loss.name = "L"
    return loss


def test_the_matmul_frame_shows_the_rule_with_its_shapes_and_grids_of_numbers():
    frames = viz.backprop_frames(matmul_example())
    (matmul,) = [frame for frame in frames if frame.step and frame.step.function.__name__ == "MatMul"]
    text = lines_of(matmul)
    assert any(line.startswith("W receives xᵀ @ (∂L/∂y),  shapes (3×2) = (3×2) @ (2×2): [[") for line in text)
    assert any(line.startswith("x receives (∂L/∂y) @ Wᵀ,  shapes (2×3) = (2×2) @ (2×3): [[") for line in text)
    label = matmul.picture.nodes["t1"][0]  # W: its shape, a 3×2 grid of values and one of gradients
    assert "(3×2)" in label and label.count('<TD ALIGN="RIGHT">') == 12


def test_every_frame_is_drawn_on_one_stage():
    frames = viz.backprop_frames(matmul_example())
    assert len({id(frame.stage) for frame in frames}) == 1
    assert {frozenset(frame.picture.nodes) for frame in frames} == {frozenset(frames[0].picture.nodes)}


@pytest.mark.needs_dot
def test_pinned_positions_are_the_same_in_every_frame_and_question():
    *_, y = tanh_example()
    frames = viz.backprop_frames(y)
    stage = frames[0].stage
    pictures = [frame.picture for frame in frames] + [frame.question for frame in frames if frame.question]
    positions = set()
    for picture in pictures:
        source = stage.pinned_source(picture)
        positions.add(tuple(re.findall(r'^\s*(t\d+) \[.*?pos="([^"]+)"', source, flags=re.MULTILINE)))
    assert len(positions) == 1 and len(next(iter(positions))) == 7


@pytest.mark.needs_dot
def test_every_pinned_edge_runs_between_its_own_two_nodes():
    x1, w1, x2, w2, b = (scalar(value, name) for value, name in ((2, "x1"), (-3, "w1"), (0, "x2"), (1, "w2"), (1, "b")))
    frames = viz.backprop_frames((x1 * w1 + x2 * w2 + b).tanh())
    source = frames[2].stage.pinned_source(frames[2].picture)
    boxes = {}
    for line in source.splitlines():
        node = re.match(r"\s*(t\d+) \[", line)
        if node:
            x, y = map(float, re.search(r'pos="([\d.]+),([\d.]+)!"', line).groups())
            width = float(re.search(r"\bwidth=([\d.]+)", line).group(1)) * 72
            height = float(re.search(r"\bheight=([\d.]+)", line).group(1)) * 72
            boxes[node.group(1)] = (x - width / 2, y - height / 2, x + width / 2, y + height / 2)

    def near(point: tuple[float, float], box: tuple[float, float, float, float]) -> bool:
        return box[0] - 12 <= point[0] <= box[2] + 12 and box[1] - 12 <= point[1] <= box[3] + 12

    edges = re.findall(r'^\s*(t\d+) -> (t\d+) \[.*?pos="([^"]+)"', source, flags=re.MULTILINE)
    assert len(edges) == 9
    backwards = 0
    for tail, head, path in edges:
        points = [tuple(map(float, point.split(","))) for point in path.replace("e,", "").replace("s,", "").split()]
        if path.startswith("s,"):  # a gradient edge: its arrow points back at the tail (the input)
            backwards += 1
            assert near(points[0], boxes[tail]) and near(points[-1], boxes[head]), (tail, head)
        else:
            assert near(points[0], boxes[head]) and near(points[1], boxes[tail]), (tail, head)
    assert backwards == 2  # the step differentiates x1·w1 + x2·w2 + b: its two inputs receive


def test_the_question_hides_what_the_step_sends():
    *_, y = tanh_example()
    frames = viz.backprop_frames(y)
    step = frames[4]  # a·b sends to a (its second contribution) and to b
    assert step.question is not None and frames[0].question is None and frames[-1].question is None
    a_question, b_question = step.question.nodes["t0"][0], step.question.nodes["t1"][0]
    assert "grad 0.9993" in a_question and "+ ?" in a_question and "0.9913" not in a_question
    assert "grad ?" in b_question and "0.0134" not in b_question
    sends = [line for line in step.lines if line.kind == "sends"]
    assert sends and all(line.answer and line.question.endswith("= ?") for line in sends)


def test_every_built_in_op_says_its_derivative_beside_its_backward():
    defined = []
    for module in (elementwise, linalg, movement, nn, reduce):
        for value in vars(module).values():
            if inspect.isclass(value) and issubclass(value, tg.Function) and value is not tg.Function:
                if value.__module__ == module.__name__:
                    defined.append(value)
    with_formulas = [op for op in defined if hasattr(op, "local_derivatives") or hasattr(op, "gradient_formulas")]
    assert {op.__name__ for op in with_formulas} >= set(BUILT_IN_OPS) - {
        "Reshape",
        "Transpose",
        "BroadcastTo",
        "GetItem",
        "IndexAdd",
        "Concatenate",
    }
    for op in with_formulas:
        formulas = getattr(op, "local_derivatives", None) or op.gradient_formulas
        assert len(formulas) == len(op.input_names), op.__name__
    for op in defined:  # the others are described by their docstring's backward line
        assert "backward:" in (op.__doc__ or ""), op.__name__


def test_user_ops_say_their_derivative_or_fall_back_to_the_docstring():
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

    x = scalar(2.0, "x")
    frames = viz.backprop_frames(Cube.apply(x))
    assert "x receives (∂cube(x)/∂cube(x)) · 3x² = 12" in lines_of(frames[1])

    class Square(Cube):
        input_names = ("u",)
        local_derivatives = ("3·u²",)

    x = scalar(2.0, "x")
    frames = viz.backprop_frames(Square.apply(x))
    assert "local derivative: ∂square(x)/∂x = 3·x² = 12" in lines_of(frames[1])


def test_frame_objects_expose_source_caption_index_and_display_inline(monkeypatch, tmp_path):
    *_, y = tanh_example()
    frame = viz.backprop_frames(y)[1]
    assert frame.source.startswith("digraph")
    assert isinstance(frame.caption, str) and frame.caption.endswith(".")
    assert frame.index == 1
    assert "Frame(index=1" in repr(frame)
    monkeypatch.setenv("PATH", str(tmp_path))  # no dot: the bundle falls back to text
    bundle = frame._repr_mimebundle_()
    assert "image/svg+xml" not in bundle and "install" in bundle["text/plain"]
    with pytest.raises(viz.GraphvizNotFoundError, match="apt-get install graphviz"):
        frame.svg()


@pytest.mark.needs_dot
def test_frames_render_to_svg(tmp_path):
    *_, y = tanh_example()
    frames = viz.backprop_frames(y)
    svg = frames[4]._repr_svg_()
    assert "<svg" in svg and "+ (−0.008046)" in svg
    assert "+ ?" in frames[4].svg(question=True)
    assert "image/svg+xml" in frames[0]._repr_mimebundle_()
    path = frames[1].render(tmp_path / "frame.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.needs_dot
def test_labels_of_16384_and_more_characters_do_not_break_dot():
    a = tg.Tensor(np.array(2.0), requires_grad=True, name="a" * 20_000)
    b = tg.Tensor(np.array(float("9" * 400)), requires_grad=True, name="b")  # a 400-digit number
    frames = viz.backprop_frames(a * b)
    assert all(len(label) < 2_000 for frame in frames for label, _ in frame.picture.nodes.values())
    assert "<svg" in frames[1].svg()


def test_no_op_loss_gives_just_the_final_frame():
    a = scalar(1.5, "a")
    frames = viz.backprop_frames(a)
    assert len(frames) == 2  # the forward pass and the end
    assert re.search(r"Done after 0 steps", frames[-1].caption)
