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


@pytest.mark.needs_dot
@pytest.mark.parametrize("name", HOSTILE_NAMES, ids=range(len(HOSTILE_NAMES)))
def test_hostile_names_and_titles_are_drawn_as_text(name):
    loss = hostile_graph(name)
    svg = viz.draw_graph(loss, title=name).pipe(format="svg", encoding="utf-8")
    root = assert_no_injection(svg)
    texts = "".join("".join(element.itertext()) for element in root.iter(f"{SVG_NAMESPACE}text"))
    assert printable(name)[:8] in texts.replace("\xa0", " ")  # the name is shown, as text
    frames = viz.backprop_frames(hostile_graph(name))
    for frame in (frames[0], frames[1]):
        frame_root = assert_no_injection(frame.svg())
        tooltips = {
            anchor.attrib["{http://www.w3.org/1999/xlink}title"]
            for anchor in frame_root.iter(f"{SVG_NAMESPACE}a")
            if "{http://www.w3.org/1999/xlink}title" in anchor.attrib
        }
        assert printable(name) in tooltips  # the tooltip is the name itself, backslashes and all
    page = viz.player(hostile_graph(name), title=name).html()
    # The player's own script and its data (numbers) only; no link, no event handler.
    assert re.findall(r"<script[^>]*>", page) == ['<script type="application/json" id="changes">', "<script>"]
    assert re.fullmatch(r"[\[\]0-9,null]*", re.search(r'id="changes">(.*?)</script>', page).group(1))
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
