"""The backprop player as headless Chromium shows it (through Playwright, with the system browser).

What is measured is what a class sees at 1400x900: the rendered height of every text of the
graph, where each node is drawn in every frame, what the keys and buttons do, the predict /
reveal cycle, and the player inline in a notebook exported to HTML by nbconvert.
"""

from __future__ import annotations

import re
import statistics
from pathlib import Path

import numpy as np
import pytest
from test_viz_backprop import matmul_example  # L = sum(tanh(x @ W)), x 2×3 and W 3×2

import tinygrad_edu as tg
import viz

REPO = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.needs_dot
SCREEN = {"width": 1400, "height": 900}


def named(value: float, name: str, requires_grad: bool = True) -> tg.Tensor:
    return tg.Tensor(np.array(value, dtype=np.float64), requires_grad=requires_grad, name=name)


def neuron() -> tg.Tensor:
    """o = tanh(x1·w1 + x2·w2 + b), the classic neuron."""
    x1, w1, x2, w2 = named(2.0, "x1"), named(-3.0, "w1"), named(0.0, "x2"), named(1.0, "w2")
    b = named(6.8813735870195432, "b")
    o = (x1 * w1 + x2 * w2 + b).tanh()
    o.name = "o"
    return o


def log_loss_neuron() -> tg.Tensor:
    """z = w1·x1 + w2·x2 + b; p = σ(z); L = −(y·log(p) + (1 − y)·log(1 − p))."""
    x1, w1, x2, w2, b = named(2.0, "x1"), named(-0.5, "w1"), named(1.5, "x2"), named(0.8, "w2"), named(0.1, "b")
    y = named(1.0, "y", requires_grad=False)
    z = w1 * x1 + w2 * x2 + b
    z.name = "z"
    p = z.sigmoid()
    p.name = "p"
    loss = -(y * p.log() + (1 - y) * (1 - p).log())
    loss.name = "L"
    return loss


EXAMPLES = {"neuron": neuron, "log-loss": log_loss_neuron, "matmul": matmul_example}


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport=SCREEN)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture(scope="module")
def pages(tmp_path_factory) -> dict[str, Path]:
    """index.html of each example, written by export_stepper."""
    out = tmp_path_factory.mktemp("players")
    return {
        name: viz.export_stepper(viz.backprop_frames(build()), out / name, title=name)
        for name, build in EXAMPLES.items()
    }


# ----- reading the page ------------------------------------------------------------------------------

TEXT_HEIGHTS = """() => Array.from(document.querySelectorAll('.picture:not([hidden]) svg text'))
    .filter(text => text.textContent.trim() !== '')
    .map(text => text.getBoundingClientRect().height)"""

NODE_BOXES = """() => Object.fromEntries(
  Array.from(document.querySelectorAll('.picture:not([hidden]) g.node')).map(node => {
    const box = node.querySelector('path, polygon, ellipse').getBoundingClientRect();
    return [node.querySelector('title').textContent, [box.x, box.y, box.width, box.height]];
}))"""

STATE = """() => ({
    counter: document.getElementById('counter').textContent,
    hash: window.location.hash,
    shown: Array.from(document.querySelectorAll('.picture:not([hidden])')).map(picture => picture.id),
    asking: document.body.classList.contains('asking'),
    lines: document.querySelector('.lines:not([hidden])').innerText,
})"""


def state(page) -> dict:
    return page.evaluate(STATE)


def walk(page) -> list[dict]:
    """Press → from the first frame to the last; return the state at every stop (questions too)."""
    stops = [state(page)]
    while True:
        page.keyboard.press("ArrowRight")
        now = state(page)
        if now == stops[-1]:
            return stops[:-1] + [now]
        stops.append(now)


# ----- presentation ------------------------------------------------------------------------------------


@pytest.mark.parametrize("example", ["neuron", "log-loss", "matmul"])
def test_graph_text_is_at_least_16_px_and_mostly_18_at_1400x900(page, pages, example):
    page.goto(pages[example].as_uri())
    page.keyboard.press("p")  # predict mode: the question pictures are measured too
    heights = []
    stops = 0
    while True:
        heights += page.evaluate(TEXT_HEIGHTS)
        before = state(page)
        page.keyboard.press("ArrowRight")
        stops += 1
        if state(page) == before:
            break
    assert stops >= 3
    print(f"{example}: smallest graph text {min(heights):.1f} px, median {statistics.median(heights):.1f} px")
    assert min(heights) >= 16, f"{example}: graph text only {min(heights):.1f} px tall"
    assert statistics.median(heights) >= 18
    panel = page.evaluate("() => parseFloat(getComputedStyle(document.getElementById('panel')).fontSize)")
    assert panel >= 24


@pytest.mark.parametrize("example", ["neuron", "log-loss"])
def test_the_graph_fills_the_stage(page, pages, example):
    page.goto(pages[example].as_uri())
    stage = page.evaluate("() => document.getElementById('stage').getBoundingClientRect().toJSON()")
    svg = page.evaluate("() => document.querySelector('.picture:not([hidden]) svg').getBoundingClientRect().toJSON()")
    assert svg["width"] >= 0.95 * stage["width"] - 10 or svg["height"] >= 0.95 * stage["height"] - 10
    assert svg["right"] <= SCREEN["width"] + 1 and svg["bottom"] <= stage["bottom"] + 1  # and fits
    assert stage["height"] >= 0.6 * SCREEN["height"]


def test_the_graph_grows_with_browser_zoom(page, pages):
    page.goto(pages["neuron"].as_uri())
    before = max(page.evaluate(TEXT_HEIGHTS))
    # Zooming to 200% halves the CSS viewport and doubles devicePixelRatio.
    session = page.context.new_cdp_session(page)
    session.send(
        "Emulation.setDeviceMetricsOverride", {"width": 700, "height": 450, "deviceScaleFactor": 2, "mobile": False}
    )
    page.wait_for_function("() => window.devicePixelRatio === 2")
    page.evaluate("() => window.dispatchEvent(new Event('resize'))")
    after = max(page.evaluate(TEXT_HEIGHTS)) * 2  # in device pixels
    assert after == pytest.approx(2 * before, rel=0.05)
    panel = page.evaluate("() => document.querySelector('.lines:not([hidden]) div').getBoundingClientRect().height")
    assert panel * 2 >= 2 * 24  # the explanation grows too: 24 CSS px, twice as many device pixels


@pytest.mark.parametrize("example", ["neuron", "log-loss", "matmul"])
def test_every_node_keeps_its_place_in_every_frame(page, pages, example):
    page.goto(pages[example].as_uri())
    page.keyboard.press("p")
    boxes = [page.evaluate(NODE_BOXES)]
    for _ in range(60):
        page.keyboard.press("ArrowRight")
        boxes.append(page.evaluate(NODE_BOXES))
    first = boxes[0]
    assert len(first) >= 5
    for frame_boxes in boxes[1:]:
        assert frame_boxes.keys() == first.keys()
        for node, box in frame_boxes.items():
            assert box == pytest.approx(first[node], abs=0.01), node


def test_scalars_show_their_values_in_the_users_names(page, pages):
    page.goto(pages["neuron"].as_uri() + "#1")
    texts = page.evaluate(
        "() => Array.from(document.querySelectorAll('.picture:not([hidden]) svg text')).map(t => t.textContent)"
    )
    text = " ".join(" ".join(texts).replace("\xa0", " ").split())
    assert "x1 = 2" in text and "w1 = −3" in text and "o = 0.7071" in text
    assert "x1·w1 + x2·w2 + b = 0.8814" in text  # an unnamed intermediate: its sub-expression
    assert "float64" not in page.content() and "()" not in text


def test_the_legend_is_hidden_until_asked_for(page, pages):
    page.goto(pages["neuron"].as_uri())
    assert not page.is_visible("#legend")
    page.keyboard.press("l")
    assert page.is_visible("#legend") and "op being differentiated" in page.inner_text("#legend")
    page.click("#legend-button")
    assert not page.is_visible("#legend")


# ----- a 30-op program --------------------------------------------------------------------------------------

NET_331 = (
    "h1 = tanh(w11*x1 + w12*x2 + w13*x3 + b1); h2 = tanh(w21*x1 + w22*x2 + w23*x3 + b2); "
    "h3 = tanh(w31*x1 + w32*x2 + w33*x3 + b3); yhat = v1*h1 + v2*h2 + v3*h3 + c; E = (yhat - t)**2 / 2"
)
NET_331_VALUES = (
    "x1=1,x2=-2,x3=0.5,w11=0.5,w12=-0.3,w13=0.2,b1=0.1,w21=0.8,w22=0.2,w23=-0.6,b2=-0.4,"
    "w31=-0.1,w32=0.4,w33=0.9,b3=0.3,v1=1.2,v2=-0.7,v3=0.5,c=0.05,t=1"
)


@pytest.fixture(scope="module")
def big_network(tmp_path_factory) -> tuple[Path, list[str], str]:
    """Three frames of the 3-3-1 network's walk (30 ops) on one page: drawing all 32 takes long."""
    import dataclasses

    from viz.expression import build
    from viz.page import player_page

    program = build(NET_331, NET_331_VALUES, constants=["x1", "x2", "x3", "t"])
    frames = viz.backprop_frames(program.output)
    assert len(frames) == 30 + 2
    chosen = [frames[0], frames[20], frames[-1]]  # frame 20: an op of the first layer, far from the output
    kept = [dataclasses.replace(frame, index=index, total=3) for index, frame in enumerate(chosen)]
    path = tmp_path_factory.mktemp("network") / "index.html"
    path.write_text(player_page(kept, "3-3-1", program=program.statements), encoding="utf-8")
    return path, program.statements, frames[20].focus[0]


@pytest.mark.parametrize("size", [(1400, 900), (1024, 768)])
def test_a_30_op_graph_is_legible_and_the_step_is_in_view(browser, big_network, size):
    path, statements, op_output = big_network
    context = browser.new_context(viewport={"width": size[0], "height": size[1]})
    page = context.new_page()
    page.goto(path.as_uri() + "#1")
    heights = page.evaluate(TEXT_HEIGHTS)
    page.keyboard.press("p")  # the question picture too
    assert state(page)["asking"]
    heights += page.evaluate(TEXT_HEIGHTS)
    print(f"3-3-1 at {size}: smallest graph text {min(heights):.1f} px")
    assert min(heights) >= 16 - 0.01  # a box 16 px tall can measure 15.99997
    lines = page.evaluate(
        "() => Array.from(document.querySelectorAll('.lines:not([hidden]) div')).filter(d => d.offsetHeight)"
        ".map(d => d.getBoundingClientRect().height)"
    )
    assert lines and min(lines) >= 24 * 1.15  # the explanation: 24 px text
    program = page.inner_text("#program")
    assert page.is_visible("#program") and all(statement in program for statement in statements)
    # the focus view: the op's output box is on screen, and the overview shows the whole graph
    box = page.evaluate(
        """(id) => Array.from(document.querySelectorAll('.picture:not([hidden]) g.node'))
            .find(node => node.querySelector('title').textContent === id).getBoundingClientRect().toJSON()""",
        op_output,
    )
    stage = page.evaluate("() => document.getElementById('stage').getBoundingClientRect().toJSON()")
    assert stage["left"] <= box["left"] and box["right"] <= stage["right"]
    assert stage["top"] <= box["top"] and box["bottom"] <= stage["bottom"]
    assert page.is_visible("#overview")
    context.close()


# ----- stepping ------------------------------------------------------------------------------------------


def test_keys_and_buttons_step_and_the_counter_agrees_with_the_address(page, pages):
    page.goto(pages["neuron"].as_uri())
    last = 6  # forward pass, 5 ops, the end

    def at(k: int) -> None:
        now = state(page)
        assert now["counter"] == f"step {k} of {last}" and now["hash"] == f"#{k}" and now["shown"] == [f"answer-{k}"]

    at(0)
    page.keyboard.press("ArrowRight")
    at(1)
    page.click("#next")
    at(2)
    page.keyboard.press(" ")
    at(3)
    page.click("#previous")
    at(2)
    page.keyboard.press("ArrowLeft")
    at(1)
    page.keyboard.press("End")
    at(last)
    page.keyboard.press("ArrowRight")  # stays at the end
    at(last)
    page.click("#first")
    at(0)
    page.click("#last")
    at(last)
    page.keyboard.press("Home")
    at(0)
    assert state(page)["lines"].startswith("forward pass")
    page.goto(pages["neuron"].as_uri() + "#3")  # the address opens the frame of the same number
    page.reload()
    at(3)
    assert "local derivative" in state(page)["lines"]


def test_predict_asks_the_local_derivative_then_what_is_sent_then_answers(page, tmp_path):
    p, q = named(2.0, "p"), named(-3.0, "q")
    loss = p * q * tg.Tensor(np.array(0.5))
    loss.name = "L"
    index = viz.export_stepper(viz.backprop_frames(loss), tmp_path, title="p·q", predict=True)
    page.goto(index.as_uri())
    assert page.get_attribute("#predict", "aria-pressed") == "true"
    assert state(page)["shown"] == ["answer-0"]  # the forward pass asks nothing
    page.keyboard.press("ArrowRight")  # step 1 (the product with 0.5) asks twice, then answers
    assert state(page)["shown"] == ["question-1"]
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    first = state(page)  # step 2, the product p·q: first the local derivative
    assert first["counter"] == "step 2 of 3" and first["asking"] and first["shown"] == ["question-2"]
    assert "upstream: ∂L/∂(p·q) = 0.5" in first["lines"]
    assert "local derivative: ∂(p·q)/∂p = ?" in first["lines"]
    assert "first: what are the local derivatives for p and q?" in first["lines"]
    assert "−3" not in first["lines"] and "· q" not in first["lines"] and "−1.5" not in first["lines"]
    graph_text = page.evaluate("() => document.querySelector('.picture:not([hidden]) svg').textContent")
    assert "grad ?" in graph_text and "grad −1.5" not in graph_text

    page.keyboard.press("ArrowRight")  # then what p receives
    second = state(page)
    assert second["counter"] == "step 2 of 3" and second["asking"] and second["shown"] == ["question-2"]
    assert "local derivative: ∂(p·q)/∂p = q = −3" in second["lines"]
    assert "p receives ∂L/∂(p·q) · q = 0.5 · (−3) = ?" in second["lines"] and "−1.5" not in second["lines"]
    assert "what do p and q receive?" in second["lines"] and "local derivatives for" not in second["lines"]

    page.keyboard.press("ArrowRight")  # the answer, same step
    revealed = state(page)
    assert revealed["counter"] == "step 2 of 3" and not revealed["asking"] and revealed["shown"] == ["answer-2"]
    assert "p receives ∂L/∂(p·q) · q = 0.5 · (−3) = −1.5" in revealed["lines"]
    assert "?" not in revealed["lines"]
    page.click("#next")  # the button does the same: on to the last frame, which asks nothing
    assert state(page)["counter"] == "step 3 of 3"

    page.keyboard.press("Home")
    page.click("#predict")  # predict off: every press is a new step
    assert page.get_attribute("#predict", "aria-pressed") == "false"
    page.keyboard.press("ArrowRight")
    assert state(page)["shown"] == ["answer-1"]
    page.keyboard.press("P")  # and back on, with the key: the current step asks again
    assert state(page)["shown"] == ["question-1"]


def test_no_predict_frame_shows_what_it_hides(page, tmp_path):
    """e is used three times, twice by one op: the sums and the picture must not give the answers away.

    What a step hides is taken from the engine: its local derivatives (what it sends over the
    upstream gradient) while it asks for them, what it sends and every total it changes until
    it answers. The page's visible text is searched for each number.
    """
    from viz.captions import values_inline

    e = named(0.7, "e")  # no two numbers of a step alike
    loss = (e * e).tanh() * e
    loss.name = "L"
    frames = viz.backprop_frames(loss)
    index = viz.export_stepper(frames, tmp_path, predict=True)
    page.goto(index.as_uri())
    totals: dict[int, float] = {}
    checked = 0

    def absent(number: str, text: str) -> bool:
        return re.search(rf"(?<![\d.]){re.escape(number)}(?![\d.])", text) is None

    for frame in frames[1:-1]:
        step = frame.step
        upstream = float(step.grad_output.data)
        sent = [float(grad.data) for grad in step.grad_inputs if grad is not None]
        local = {values_inline(np.array(value / upstream)) for value in sent}
        for parent, grad in zip(step.inputs, step.grad_inputs):
            totals[id(parent)] = totals.get(id(parent), 0.0) + float(grad.data)
        gradients = {values_inline(np.array(value)) for value in sent}
        gradients |= {values_inline(np.array(totals[id(parent)])) for parent in step.inputs}
        page.goto(index.as_uri() + f"#{frame.index}")
        page.reload()
        for hidden in (local | gradients, gradients - local):  # the two questions (∂L/∂L = 1: sent = local)
            now = state(page)
            assert now["asking"], frame.index
            graph_text = page.evaluate("() => document.querySelector('.picture:not([hidden]) svg').textContent")
            graph_text = " ".join(graph_text.replace("\xa0", " ").split())
            for number in hidden:
                assert absent(number, now["lines"]), (frame.index, number, now["lines"])
                if number in gradients:
                    assert absent(number, " ".join(re.findall(r"(?:grad|\+) \S+", graph_text))), (frame.index, number)
                checked += 1
            page.keyboard.press("ArrowRight")
        answered = state(page)["lines"]
        assert not state(page)["asking"] and "?" not in answered
        assert not any(absent(number, answered) for number in {values_inline(np.array(value)) for value in sent})
    assert checked >= 10


# ----- inline in a notebook ----------------------------------------------------------------------------------

NOTEBOOK_CELL = """
import numpy as np
import tinygrad_edu as tg
import viz

a = tg.Tensor(np.array(2.0), requires_grad=True, name="a")
b = tg.Tensor(np.array(-3.0), requires_grad=True, name="b")
c = tg.Tensor(np.array(10.0), requires_grad=True, name="c")
y = (a * b + c).tanh() * a
y.name = "y"
viz.player(y)
"""

SECOND_CELL = """
p = tg.Tensor(np.array(2.0), requires_grad=True, name="p")
viz.player((p * p).exp(), predict=True, title="a second player")
"""


def test_the_player_steps_inline_in_a_notebook_exported_by_nbconvert(page, tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nbconvert = pytest.importorskip("nbconvert")
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(NOTEBOOK_CELL), nbformat.v4.new_code_cell(SECOND_CELL)]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbclient.NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(REPO)}}
    ).execute()
    outputs = [cell.outputs[0]["data"] for cell in notebook.cells]
    assert all("text/html" in data and data["text/html"].startswith("<iframe") for data in outputs)
    exported, _ = nbconvert.HTMLExporter().from_notebook_node(notebook)
    path = tmp_path / "lesson.html"
    path.write_text(exported, encoding="utf-8")

    fetched = []

    def offline(route):  # nothing may come from the network (the exporter's own CDN scripts are refused)
        fetched.append(route.request.url)
        route.abort()

    page.route("http*://**", offline)
    page.goto(path.as_uri())
    players = page.locator("iframe.tinygrad-edu-player")
    assert players.count() == 2
    first, second = (
        page.frame_locator("iframe.tinygrad-edu-player").nth(0),
        page.frame_locator("iframe.tinygrad-edu-player").nth(1),
    )
    assert first.locator("#counter").inner_text() == "step 0 of 5"
    assert second.locator("#counter").inner_text() == "step 0 of 3"

    first.locator("#next").click()
    first.locator("#next").click()
    assert first.locator("#counter").inner_text() == "step 2 of 5"
    assert "local derivative: ∂tanh(a·b + c)/∂(a·b + c)" in first.locator("#panel").inner_text()
    assert second.locator("#counter").inner_text() == "step 0 of 3"  # the other player did not move

    second.locator("#stage").click()  # focus the second player, then its keys are its own
    page.keyboard.press("ArrowRight")
    assert second.locator("#counter").inner_text() == "step 1 of 3"
    assert second.locator("body").get_attribute("class") == "asking ask-1"  # it was made with predict=True
    page.keyboard.press("ArrowRight")
    assert second.locator("body").get_attribute("class") == "asking ask-2"
    page.keyboard.press("ArrowRight")
    assert second.locator("body").get_attribute("class") in ("", None)
    assert first.locator("#counter").inner_text() == "step 2 of 5"
    heights = first.locator(".picture:not([hidden]) svg text").evaluate_all(
        "texts => texts.filter(t => t.textContent.trim()).map(t => t.getBoundingClientRect().height)"
    )
    assert min(heights) >= 16  # a notebook column is narrower than a screen: the stage scrolls instead
    assert players.nth(0).get_attribute("title") == "Backpropagation through y = tanh(a·b + c)·a"
    assert "y = tanh(a·b + c)·a" in first.locator("h1").inner_text()
    assert not [url for url in fetched if "player" in url]
