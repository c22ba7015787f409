"""The player page: every frame of a backprop walk in one self-contained HTML document.

The same page is written by ``export_stepper`` as index.html and shown inline by
``viz.player`` (inside an iframe's ``srcdoc``, so that several players in one notebook never
share ids, keys or styles). It fetches nothing: pictures, styles and script are all inline.

- The picture is scaled to fill the space between the controls and the explanation, and
  grows with the browser's zoom (the page may then scroll). Every frame has the same
  layout, so stepping only changes colours and the gradients shown.
- → / Space / ↓ and ← / ↑ step, Home / End jump; the buttons do the same. ``#k`` in the
  address opens frame k, and the counter says "step k of n": one numbering.
- Predict mode (P or the button): each step first shows its question, the upstream gradient
  and the local derivative with what is sent still "?"; the next press reveals the answer.
- L shows or hides the legend of the colours.

The page holds each drawing of a node or an edge once (the stage's ``Sheet``): one picture,
the drawings no picture shows yet in a hidden ``<svg>``, and for every step the drawings that
change, as JSON (answer: what changes from the step before; question: what changes from the
answer). Stepping swaps those drawings in place, so the page grows with the steps, not with
steps × nodes. The picture's element is called after what it shows ("answer-3", "question-3").
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from .backprop import Frame
from .escape import html_text
from .labels import CONSTANT_COLOUR, DONE_COLOUR, GRADIENT_COLOUR, HIGHLIGHT_COLOUR, OUTPUT_COLOUR, PARAMETER_COLOUR

_LEGEND = (
    (PARAMETER_COLOUR, "leaf that requires grad"),
    (CONSTANT_COLOUR, "constant (no grad)"),
    (OUTPUT_COLOUR, "output"),
    (HIGHLIGHT_COLOUR, "op being differentiated"),
    (DONE_COLOUR, "op already differentiated"),
    (GRADIENT_COLOUR, "gradient flowing back"),
)

_STYLE = """
  html, body { height: 100%; margin: 0; }
  body { font-family: Helvetica, Arial, sans-serif; background: #fafafa; color: #222;
         display: flex; flex-direction: column; overflow: hidden; }
  header { padding: 6px 12px; background: #fff; border-bottom: 1px solid #ddd; flex: none; }
  .controls { display: flex; flex-wrap: nowrap; align-items: center; gap: 8px; overflow: hidden; }
  .controls > * { flex: none; }
  .controls > h1 { flex: 0 1 auto; }
  h1 { font-size: 18px; margin: 0 12px 0 0; font-weight: bold; max-width: 40%;
       white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
  button { font-size: 16px; padding: 3px 10px; white-space: nowrap; cursor: pointer; }
  button[aria-pressed="true"] { background: #ffe08a; }
  #counter { font-weight: bold; font-size: 18px; min-width: 9em; }
  .hint { color: #666; font-weight: normal; font-style: italic; }
  #stage { flex: 1 1 auto; min-height: 0; overflow: auto; position: relative; display: flex; }
  .picture { margin: auto; }
  .picture svg { display: block; }
  #panel { flex: none; background: #fff8e6; border-top: 1px solid #eee; padding: 6px 16px;
           font-size: 20px; line-height: 1.35; overflow: hidden; }
  .lines div { margin: 1px 0; }
  .blank { display: none; color: #d62728; font-weight: bold; }
  body.asking .answer { display: none; }
  body.asking .blank { display: inline; }
  body.asking div.blank { display: block; }
  .answer { color: #d62728; font-weight: bold; }
  #legend { position: absolute; right: 10px; bottom: 10px; background: #fff; border: 1px solid #999;
            border-radius: 6px; padding: 6px 10px; font-size: 16px; }
  #legend span { display: inline-block; width: 14px; height: 14px; border: 1px solid #666;
                 margin-right: 6px; vertical-align: middle; }
  [hidden] { display: none !important; }
"""

_SCRIPT = """
(function () {
  "use strict";
  var picture = document.querySelector(".picture");
  var texts = document.querySelectorAll(".lines");
  var count = texts.length;
  var current = 0;
  var revealed = true;
  var predict = document.body.getAttribute("data-predict") === "true";
  var baseRatio = window.devicePixelRatio || 1;
  var stage = document.getElementById("stage");
  var panel = document.getElementById("panel");

  // Every drawing of a node or edge by its number; the picture shows one per slot (node or edge).
  var drawings = {};
  var all = document.querySelectorAll("svg g[id]");
  for (var d = 0; d < all.length; d++) {
    if (/^v[0-9]+$/.test(all[d].id)) { drawings[all[d].id.slice(1)] = all[d]; }
  }
  var shown = [];
  var children = picture.querySelector("svg g.graph").children;
  for (var c = 0; c < children.length; c++) {
    if (/^v[0-9]+$/.test(children[c].id)) { shown.push(children[c].id.slice(1)); }
  }
  // What each picture shows, from the changes step by step.
  var changes = JSON.parse(document.getElementById("changes").textContent);
  var answers = [];
  var questions = [];
  var state = shown.slice();
  function changed(base, pairs) {
    var result = base.slice();
    for (var p = 0; p < pairs.length; p++) { result[pairs[p][0]] = String(pairs[p][1]); }
    return result;
  }
  for (var k = 0; k < changes.length; k++) {
    state = changed(state, changes[k][0]);
    answers.push(state);
    questions.push(changes[k][1] === null ? null : changed(state, changes[k][1]));
  }
  function draw(wanted) {
    for (var slot = 0; slot < shown.length; slot++) {
      if (shown[slot] !== wanted[slot]) {
        drawings[shown[slot]].replaceWith(drawings[wanted[slot]]);
        shown[slot] = wanted[slot];
      }
    }
  }

  function hasQuestion(index) { return questions[index] !== null; }
  function asking() { return predict && !revealed && hasQuestion(current); }

  function frameFromHash() {
    var number = parseInt(window.location.hash.slice(1), 10);
    if (isNaN(number)) { return 0; }
    return Math.min(Math.max(number, 0), count - 1);
  }

  function show(index, reveal) {
    current = Math.min(Math.max(index, 0), count - 1);
    revealed = reveal;
    var ask = asking();
    draw(ask ? questions[current] : answers[current]);
    picture.id = (ask ? "question-" : "answer-") + current;
    for (var j = 0; j < texts.length; j++) { texts[j].hidden = j !== current; }
    document.body.classList.toggle("asking", ask);
    document.getElementById("counter").textContent = "step " + current + " of " + (count - 1);
    document.getElementById("counter").title = texts[current].getAttribute("data-heading");
    document.getElementById("predict").setAttribute("aria-pressed", predict ? "true" : "false");
    if (window.location.hash !== "#" + current) {
      try { history.replaceState(null, "", "#" + current); } catch (error) { /* about:srcdoc */ }
    }
  }

  function next() {
    if (asking()) { show(current, true); } else if (current < count - 1) { show(current + 1, false); }
  }
  function previous() { show(current - 1, true); }

  // The explanation keeps the height of the longest one (asking or answered), so that the
  // picture above it never changes its size from frame to frame.
  function fitPanel() {
    panel.style.height = "auto";
    var tallest = 0;
    var shown = [];
    var wasAsking = document.body.classList.contains("asking");
    for (var i = 0; i < texts.length; i++) { shown.push(texts[i].hidden); texts[i].hidden = false; }
    [true, false].forEach(function (asking) {
      document.body.classList.toggle("asking", asking);
      for (var k = 0; k < texts.length; k++) { tallest = Math.max(tallest, texts[k].offsetHeight); }
    });
    document.body.classList.toggle("asking", wasAsking);
    for (var m = 0; m < texts.length; m++) { texts[m].hidden = shown[m]; }
    panel.style.height = (tallest + 12) + "px";
  }

  // The picture fills the stage as it is at the page's first zoom level; zooming in then
  // grows it like the text around it (the stage scrolls), and a resized window refits it.
  var fitted = null;
  function fitPicture() {
    if (fitted === null || (window.devicePixelRatio || 1) === baseRatio) {
      fitted = { width: stage.clientWidth - 8, height: stage.clientHeight - 8 };
    }
    var svgs = document.querySelectorAll(".picture svg");
    for (var i = 0; i < svgs.length; i++) {
      var box = svgs[i].viewBox.baseVal;
      var scale = Math.min(fitted.width / box.width, fitted.height / box.height);
      svgs[i].style.width = (box.width * scale) + "px";
      svgs[i].style.height = (box.height * scale) + "px";
    }
  }
  function fit() { fitPanel(); fitPicture(); }

  document.getElementById("first").onclick = function () { show(0, true); };
  document.getElementById("previous").onclick = previous;
  document.getElementById("next").onclick = next;
  document.getElementById("last").onclick = function () { show(count - 1, true); };
  document.getElementById("predict").onclick = function () { predict = !predict; show(current, !predict); };
  document.getElementById("legend-button").onclick = function () {
    var legend = document.getElementById("legend");
    legend.hidden = !legend.hidden;
  };
  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey) { return; }
    var key = event.key;
    if (key === "ArrowRight" || key === "ArrowDown" || key === " " || key === "PageDown") { next(); }
    else if (key === "ArrowLeft" || key === "ArrowUp" || key === "PageUp") { previous(); }
    else if (key === "Home") { show(0, true); }
    else if (key === "End") { show(count - 1, true); }
    else if (key === "p" || key === "P") { document.getElementById("predict").click(); }
    else if (key === "l" || key === "L") { document.getElementById("legend-button").click(); }
    else { return; }
    event.preventDefault();
  });
  document.body.addEventListener("mousedown", function () { window.focus(); });
  window.addEventListener("hashchange", function () { show(frameFromHash(), false); });
  window.addEventListener("resize", fit);
  fit();
  show(frameFromHash(), false);
})();
"""


def inline_svg(svg: str) -> str:
    """SVG text ready to paste into HTML: without its XML declaration, DOCTYPE and comments."""
    svg = re.sub(r"<\?xml[^>]*\?>", "", svg)
    svg = re.sub(r"<!DOCTYPE[^>]*>", "", svg)
    svg = re.sub(r"<!--.*?-->", "", svg, flags=re.DOTALL)
    return svg.strip()


def _lines_html(frame: Frame) -> str:
    rows = []
    for line in frame.lines:
        text = html_text(line.text)
        if line.answer:
            text += f'<span class="answer">{html_text(line.answer)}</span><span class="blank">?</span>'
        rows.append(f"<div>{text}</div>")
    if frame.question is not None:
        rows.append('<div class="blank hint">predict each ?, then press &#x2192; to see the answers</div>')
    heading = html_text(frame.heading)
    caption = html_text(frame.caption)
    return f'<div class="lines" id="lines-{frame.index}" data-heading="{heading}" data-caption="{caption}" hidden>' + (
        "".join(rows) + "</div>"
    )


def _pictures_html(frames: Sequence[Frame]) -> str:
    """The first picture, every other drawing (hidden), and what changes at each step (JSON)."""
    stage = frames[0].stage
    if any(frame.stage is not stage for frame in frames):
        raise ValueError("player_page: the frames must come from one walk (one stage)")
    sheet = stage.sheet()
    first = stage.shown(frames[0].picture)
    changes = []
    before = first
    for frame in frames:
        answer = stage.shown(frame.picture)
        question = stage.shown(frame.question) if frame.question is not None else None
        changes.append(
            [
                [[slot, number] for slot, number in enumerate(answer) if number != before[slot]],
                None if question is None else [[slot, n] for slot, n in enumerate(question) if n != answer[slot]],
            ]
        )
        before = answer
    drawn = set(first)
    others = "".join(drawing for number, drawing in enumerate(sheet.drawings) if number not in drawn)
    picture = inline_svg(sheet.svg(first))
    data = json.dumps(changes, separators=(",", ":"))
    return (
        f'<div class="picture" id="answer-0">{picture}</div>\n'
        f'<svg id="drawings" hidden="" xmlns="http://www.w3.org/2000/svg" '
        f'xmlns:xlink="http://www.w3.org/1999/xlink">{others}</svg>\n'
        f'<script type="application/json" id="changes">{data}</script>'
    )


def player_page(frames: Sequence[Frame], title: str, predict: bool = False) -> str:
    """The whole player as one HTML document (needs Graphviz's ``dot`` to draw the frames)."""
    legend = "".join(
        f'<div><span style="background: {colour}"></span>{html_text(text)}</div>' for colour, text in _LEGEND
    )
    title = html_text(title)
    last = len(frames) - 1
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{_STYLE}</style>
</head>
<body data-predict="{"true" if predict else "false"}">
<header>
  <div class="controls">
  <h1 title="{title}">{title}</h1>
  <button id="first" title="first frame (Home)">&#x00AB; first</button>
  <button id="previous" title="previous frame (&#x2190;)">&#x2190; previous</button>
  <span id="counter">step 0 of {last}</span>
  <button id="next" title="next frame, or reveal the answer (&#x2192;)">next &#x2192;</button>
  <button id="last" title="last frame (End)">last &#x00BB;</button>
  <button id="predict" title="predict, then reveal (P)" aria-pressed="false">predict (P)</button>
  <button id="legend-button" title="show the colours (L)">legend (L)</button>
  </div>
</header>
<main id="stage">
{_pictures_html(frames)}
<div id="legend" hidden>{legend}</div>
</main>
<footer id="panel">
{"".join(_lines_html(frame) for frame in frames)}
</footer>
<script>{_SCRIPT}</script>
</body>
</html>
"""
