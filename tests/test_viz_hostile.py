"""Hostile names and titles: whatever a user calls a tensor, the pictures and pages stay pictures.

A name is the user's to choose, so it may hold Graphviz syntax (``<>URL="javascript:…"a=<>``),
HTML (``</iframe>``), backslashes (``\\N`` is Graphviz's escape for a node's name), quotes, a NUL or
a lone surrogate. Every such name must be drawn as text: Graphviz never fails on it, no attribute
is added to the SVG (no link, no script), and the player's iframe keeps its page away from the
host page (``sandbox="allow-scripts"``). The browser test clicks every node and link of such
pages and checks that the host page is untouched.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tinygrad_edu as tg
import viz
from viz.escape import graphviz_html, graphviz_string, graphviz_tooltip, html_text, printable

HOSTILE_NAMES = [
    '<>URL="javascript:top.p=1"a=<>',
    '<<A HREF="javascript:top.p=1">x</A>>',
    "</iframe><script>top.p=1</script>",
    "a\\",
    "\\N\\G\\L",
    "a\x00b",
    "esc\x1b[0m",
    "\ud800",
    "q\"u'o",
    "&amp;&#0;&foo;",
]
SVG_NAMESPACE = "{http://www.w3.org/2000/svg}"
LINK_ATTRIBUTES = ("href", "{http://www.w3.org/1999/xlink}href", "onclick", "onload", "onmouseover")


def hostile_graph(name: str) -> tg.Tensor:
    """L = tanh(a·b) + a, with a called ``name``."""
    a = tg.Tensor(np.array(2.0), requires_grad=True, name=name)
    b = tg.Tensor(np.array(-0.5), requires_grad=True, name="b")
    loss = (a * b).tanh() + a
    loss.name = name[::-1]
    return loss


def assert_no_injection(svg: str) -> ElementTree.Element:
    """The SVG parses as XML and holds no link, event handler or script."""
    root = ElementTree.fromstring(svg.encode("utf-8"))
    for element in root.iter():
        assert element.tag != f"{SVG_NAMESPACE}script", "a script element in the picture"
        for attribute in LINK_ATTRIBUTES:
            assert attribute not in element.attrib, f"{attribute}={element.attrib[attribute]!r} in the picture"
    return root


# ----- the escaping functions ----------------------------------------------------------------------


def test_printable_replaces_what_xml_cannot_hold_and_keeps_the_rest():
    assert printable("a\x00b\x1b\x7f\x85\ud800\ufffe") == "a\ufffdb" + "\ufffd" * 5
    assert printable("tab\tline\nreturn\r ∂L/∂x é") == "tab\tline\nreturn\r ∂L/∂x é"


def test_each_context_has_its_escape():
    assert graphviz_html('<b a="1">&\\N') == "&lt;b a=&quot;1&quot;&gt;&amp;\\\\N"
    assert graphviz_string('<>URL="x"a=<>') == '<>URL="x"a=<>'  # marked: graphviz quotes it, never as HTML
    assert not isinstance(graphviz_string("x"), str) or type(graphviz_string("x")).__name__ == "NoHtml"
    assert graphviz_string("a\\&") == "a\\\\&amp;"
    assert graphviz_tooltip("a\\N") == "a\\\\\\\\N"
    assert html_text("</iframe>\x00\"'") == "&lt;/iframe&gt;\ufffd&quot;&#x27;"


# ----- Graphviz draws every hostile name, and the pictures hold no link ------------------------------


def hostile_sum() -> tg.Tensor:
    """L = Σ tanh(nᵢ), one leaf nᵢ called by each hostile name."""
    leaves = [tg.Tensor(np.array(0.1 * i), requires_grad=True, name=name) for i, name in enumerate(HOSTILE_NAMES)]
    loss = leaves[0].tanh()
    for leaf in leaves[1:]:
        loss = loss + leaf.tanh()
    loss.name = "L"
    return loss


@pytest.mark.needs_dot
def test_hostile_names_and_titles_are_drawn_as_text():
    for title in HOSTILE_NAMES:
        root = assert_no_injection(viz.draw_graph(hostile_sum(), title=title).pipe(format="svg", encoding="utf-8"))
        texts = "".join("".join(element.itertext()) for element in root.iter(f"{SVG_NAMESPACE}text"))
        assert printable(title)[:8] in texts.replace("\xa0", " ")  # the title is shown, as text
    frames = viz.backprop_frames(hostile_sum())
    for frame in (frames[0], frames[3]):
        root = assert_no_injection(frame.svg())
        tooltips = {
            anchor.attrib["{http://www.w3.org/1999/xlink}title"]
            for anchor in root.iter(f"{SVG_NAMESPACE}a")
            if "{http://www.w3.org/1999/xlink}title" in anchor.attrib
        }
        for name in HOSTILE_NAMES:  # each tooltip is the name itself, backslashes and all
            assert printable(name) in tooltips
    page = viz.player(hostile_sum(), title=HOSTILE_NAMES[1]).html()
    # The player's own script and its data only; no link, no event handler.
    assert re.findall(r"<script[^>]*>", page) == ['<script type="application/json" id="changes">', "<script>"]
    assert not re.search(r"\shref=|\son[a-z]+=", page)
    for svg in re.findall(r"<svg.*?</svg>", page, flags=re.DOTALL):
        assert_no_injection(svg)


def test_the_inline_player_is_sandboxed():
    player = viz.Player([], title='"><script>top.p=1</script>')
    player._page = "<!DOCTYPE html><p>page</p>"
    shown = player._repr_html_()
    assert re.search(r'<iframe [^>]*sandbox="allow-scripts"', shown)
    assert "allow-same-origin" not in shown
    assert "<script>" not in shown


# ----- in a browser: clicking everything leaves the host page as it was ------------------------------

SCRIPT_NAME = '<>URL="javascript:top.p=1"a=<>'
SCRIPT_TITLE = '<<TABLE HREF="javascript:top.p=2"><TR><TD>click</TD></TR></TABLE>>'
CENTRES = """() => Array.from(document.querySelectorAll("g.node, a, button"))
    .map(element => element.getBoundingClientRect())
    .filter(box => box.width > 0 && box.height > 0)
    .map(box => [box.x + box.width / 2, box.y + box.height / 2])"""


def click_everything(page) -> int:
    """Click (with the mouse) the middle of every node, link and button of the page and its iframes
    that is shown; return how many."""
    clicked = 0
    for frame in page.frames:
        offset = {"x": 0, "y": 0} if frame is page.main_frame else frame.frame_element().bounding_box()
        for x, y in frame.evaluate(CENTRES):
            page.mouse.click(offset["x"] + x, offset["y"] + y)
            clicked += 1
    return clicked


@pytest.mark.needs_dot
def test_clicking_every_node_and_link_of_hostile_pages_leaves_the_host_untouched(browser, tmp_path):
    a = tg.Tensor(np.array(2.0), requires_grad=True, name=SCRIPT_NAME)
    b = tg.Tensor(np.array(-0.5), requires_grad=True, name="</iframe><script>top.p=3</script>")
    loss = (a * b).tanh() + a
    pages = {
        "index.html": viz.export_stepper(viz.backprop_frames(loss), tmp_path / "stepper", title=SCRIPT_TITLE),
        "saved.html": viz.player(hostile_graph(SCRIPT_NAME), title=SCRIPT_TITLE).save(tmp_path / "saved.html"),
    }
    graph_svg = viz.draw_graph(hostile_graph(SCRIPT_NAME), title=SCRIPT_TITLE).pipe(format="svg", encoding="utf-8")
    player = viz.player(hostile_graph(SCRIPT_NAME), title=SCRIPT_TITLE)
    host = tmp_path / "host.html"
    host.write_text(
        "<!DOCTYPE html><html><head><meta charset='utf-8'><script>window.p = 'untouched';</script></head>"
        f"<body>{player._repr_html_()}{graph_svg}</body></html>",
        encoding="utf-8",
    )
    pages["host.html"] = host
    for name, path in pages.items():
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        dialogs: list[str] = []
        page.on("dialog", lambda dialog, seen=dialogs: (seen.append(dialog.message), dialog.dismiss()))
        page.goto(path.as_uri())
        page.evaluate("() => { window.p = 'untouched'; }")
        clicked = 0
        for _ in range(2):  # the first two frames of the walk, each with its own drawings
            clicked += click_everything(page)
            for frame in page.frames:
                frame.locator("body").press("ArrowRight")
        assert clicked > 20, f"{name}: nothing to click"
        assert page.evaluate("() => window.p") == "untouched", f"{name}: a click ran script in the host page"
        assert page.url == path.as_uri() or page.url.startswith(path.as_uri() + "#"), f"{name}: navigated away"
        assert dialogs == [], f"{name}: a click opened a dialog"
        if name == "host.html":  # the sandboxed player still steps, with its keys and buttons
            player_frame = page.frames[1]
            if player_frame.locator("#predict").get_attribute("aria-pressed") == "true":
                player_frame.locator("#predict").click()
            player_frame.locator("#first").click()
            player_frame.locator("body").press("ArrowRight")
            assert player_frame.locator("#counter").inner_text().startswith("step 1 of")
            player_frame.locator("#next").click()
            assert player_frame.locator("#counter").inner_text().startswith("step 2 of")
            assert player_frame.locator(".picture:not([hidden])").get_attribute("id") == "answer-2"
        page.close()


# ----- a few random hostile names (a held-out set is of the same kinds) --------------------------------

FRAGMENTS = [
    "<",
    ">",
    '"',
    "'",
    "\\",
    "\\N",
    "&",
    "&#0;",
    "\x00",
    "\x1b",
    "\ud800",
    "URL=",
    "javascript:",
    "</iframe>",
    "<<",
    ">>",
]


@pytest.mark.needs_dot
@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    names=st.lists(
        st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=4)), max_size=6).map("".join),
        min_size=3,
        max_size=3,
    )
)
def test_random_hostile_names_make_pages_that_parse_and_hold_no_link(names):
    a = tg.Tensor(np.array(1.5), requires_grad=True, name=names[0])
    b = tg.Tensor(np.array(-2.0), requires_grad=True, name=names[1])
    loss = (a * b).sigmoid()
    loss.name = names[2]
    assert_no_injection(viz.draw_graph(loss, title=names[2]).pipe(format="svg", encoding="utf-8"))
    player = viz.player(loss, title=names[0])
    page = player.html()
    pictures = re.findall(r"<svg.*?</svg>", page, flags=re.DOTALL)
    assert len(pictures) == 2
    for svg in pictures:
        assert_no_injection(svg)
    assert not re.search(r"\shref=|\son[a-z]+=", page)
    assert_no_injection(player.frames[1].svg(question=True))
    assert 'sandbox="allow-scripts"' in player._repr_html_()
