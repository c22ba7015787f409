"""viz.forward_frames: forward mode as pictures, one per op in the order the ops ran (plus the seed),
with the engine's tangents, the step written with numbers plugged in, the command line, and the page
stepped with the arrow keys in headless Chromium."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import tinygrad_edu as tg
import viz
from viz.captions import values_inline
from viz.graph import graph_structure


def leaf(value, name):
    return tg.Tensor(np.asarray(value, dtype=np.float64), requires_grad=True, name=name)


def tanh_expression():
    a, b, c = leaf(2.0, "a"), leaf(-3.0, "b"), leaf(10.0, "c")
    f = (a * b + c).tanh() * a
    f.name = "f"
    return f, a, b, c


def test_there_is_one_frame_per_op_and_the_seed():
    f, a, _, _ = tanh_expression()
    frames = viz.forward_frames(f, wrt=a)
    assert len(frames) == len(graph_structure(f).ops) + 1 == 5
    assert [frame.index for frame in frames] == list(range(5))
    assert all(frame.total == 5 for frame in frames)
    assert frames[0].heading == "forward mode: seed da/da = 1"
    assert "b, c have tangent 0" in frames[0].caption


def test_frame_k_is_op_k_in_forward_order():
    f, a, _, _ = tanh_expression()
    frames = viz.forward_frames(f, wrt=a)
    structure = graph_structure(f)
    assert frames[0].highlighted is None
    assert [frame.highlighted for frame in frames[1:]] == [op_node for op_node, _, _ in structure.ops]
    assert [frame.heading.split(",")[0] for frame in frames[1:]] == [
        "forward through ×",
        "forward through +",
        "forward through tanh",
        "forward through ×",
    ]


@pytest.mark.parametrize("wrt", ["a", "b", "c"])
def test_the_output_tangent_is_the_one_tg_jvp_computes(wrt):
    f, a, b, c = tanh_expression()
    leaves = {"a": a, "b": b, "c": c}
    frames = viz.forward_frames(f, wrt=leaves[wrt])
    directions = tuple(tg.Tensor(np.float64(name == wrt)) for name in leaves)
    _, tangent = tg.jvp(lambda a, b, c: (a * b + c).tanh() * a, (a, b, c), directions)
    assert frames[-1].lines[-1].answer == values_inline(tangent.data)
    f.backward()
    assert np.isclose(tangent.item(), leaves[wrt].grad.item())  # and reverse mode agrees


def test_vectors_and_a_matrix_product_carry_the_tangents_of_tg_jvp():
    rng = np.random.default_rng(0)
    x = leaf(rng.normal(size=3), "x")
    W = tg.Tensor(rng.normal(size=(2, 3)), name="W")
    y = (W @ x).sigmoid().sum()
    y.name = "y"
    frames = viz.forward_frames(y, wrt=x)
    assert len(frames) == len(graph_structure(y).ops) + 1
    _, tangent = tg.jvp(lambda x: (W @ x).sigmoid().sum(), x, tg.Tensor(np.ones(3)))
    assert frames[-1].lines[-1].answer == values_inline(tangent.data)
    assert x.grad is None  # drawing forward mode fills no .grad


def test_a_step_is_written_with_the_users_names_and_the_numbers_plugged_in():
    f, a, _, _ = tanh_expression()
    product = viz.forward_frames(f, wrt=a)[1]
    assert [line.full for line in product.lines] == [
        "tangents arriving: da/da = 1, db/da = 0",
        "local derivative: ∂(a·b)/∂a = b = −3",
        "local derivative: ∂(a·b)/∂b = a = 2",
        "carries: d(a·b)/da = b · da/da + a · db/da = (−3) · 1 + 2 · 0 = −3",
    ]
    assert product.lines[-1].answer == "−3"  # what predict mode hides first


def test_the_question_hides_the_tangent_the_op_makes():
    f, a, _, _ = tanh_expression()
    frame = viz.forward_frames(f, wrt=a)[3]
    output_node = graph_structure(f).value_id(f.grad_fn.parents[0])  # tanh's output
    assert "d/da ?" in frame.question.nodes[output_node][0]
    assert "d/da −0.004023" in frame.picture.nodes[output_node][0]


def test_wrt_must_be_a_leaf_of_the_graph():
    f, a, _, _ = tanh_expression()
    with pytest.raises(ValueError, match="not an input of output's graph"):
        viz.forward_frames(f, wrt=leaf(1.0, "z"))
    with pytest.raises(ValueError, match="must be a leaf"):
        viz.forward_frames(f, wrt=f.grad_fn.parents[0])


@pytest.mark.needs_dot
def test_every_frame_is_drawn_on_one_stage(tmp_path):
    f, a, _, _ = tanh_expression()
    frames = viz.forward_frames(f, wrt=a)
    assert len({id(frame.stage) for frame in frames}) == 1
    svg = frames[2].render(tmp_path / "frame.svg").read_text(encoding="utf-8")
    assert "d/da −3" in svg and "a·b + c" in svg


@pytest.mark.needs_dot
def test_the_command_line_writes_the_forward_page(tmp_path):
    result = run_cli("tanh(a*b + c) * a", "--values", "a=2,b=-3,c=10", "--forward", "--wrt", "a", "--out", tmp_path)
    assert result.returncode == 0, result.stderr
    page = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert "Forward mode: df/da for f = tanh(a*b + c) * a" in page
    assert "step 0 of 4" in page
    assert sorted(path.name for path in tmp_path.glob("frame-*.svg")) == [f"frame-{i:03d}.svg" for i in range(5)]


@pytest.mark.parametrize(
    "arguments, named",
    [
        (["--forward", "--wrt", "z"], "--wrt"),
        (["--forward"], "--wrt"),
        (["--wrt", "a", "--forward", "--mnist"], "--mnist"),
    ],
    ids=["unknown-name", "no-wrt", "two-modes"],
)
def test_bad_forward_arguments_exit_2_with_one_line(tmp_path, arguments, named):
    result = run_cli("a*b", "--values", "a=2,b=3", *arguments, "--out", tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and named in result.stderr
    assert not list(tmp_path.iterdir())


def run_cli(*arguments):
    command = [sys.executable, "-m", "viz", *map(str, arguments)]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


@pytest.mark.needs_dot
def test_the_page_steps_with_the_arrow_keys_in_headless_chromium(tmp_path, browser):
    f, a, _, _ = tanh_expression()
    page_path = viz.export_stepper(viz.forward_frames(f, wrt=a), tmp_path, title="Forward mode")
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto(page_path.as_uri())
    assert page.inner_text("#counter") == "step 0 of 4"
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    assert page.inner_text("#counter") == "step 3 of 4"
    assert page.get_attribute("#counter", "title").startswith("forward through tanh")
    shown = page.locator(".lines:not([hidden])").inner_text()
    assert "carries: d(tanh(a·b + c))/da" in shown and "−0.004023" in shown
    assert page.locator("#answer-3").is_visible() and not page.locator("#answer-2").is_visible()
    page.keyboard.press("ArrowLeft")
    assert page.inner_text("#counter") == "step 2 of 4"
    text_size = page.evaluate(
        "parseFloat(getComputedStyle(document.querySelector('#answer-2 svg text')).fontSize)"
        " * document.querySelector('#answer-2 svg').getBoundingClientRect().width"
        " / document.querySelector('#answer-2 svg').viewBox.baseVal.width"
    )
    assert text_size >= 16, f"the picture's text is {text_size:.1f} px at 1400x900"
