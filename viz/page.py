"""The player page: every frame of a backprop walk in one self-contained HTML document.

The same page is written by ``export_stepper`` as index.html and shown inline by
``viz.player`` (inside an iframe's ``srcdoc``, so that several players in one notebook never
share ids, keys or styles). It fetches nothing: pictures, styles and script are all inline.

- The program (every statement) is written above the picture; S hides or shows it.
- The picture is scaled to fill the space between the program and the explanation, but
  never so far that its smallest text is under 16 px: a big graph is then drawn larger than
  the stage, which scrolls to the op being differentiated and its inputs at every step (the
  focus view), while a small copy of the whole graph in the corner shows where that is
  (the overview). Everything grows with the browser's zoom (the page may then scroll).
  Every frame has the same layout, so stepping only changes colours and the gradients shown.
- → / Space / ↓ and ← / ↑ step, Home / End jump; the buttons do the same. ``#k`` in the
  address opens frame k, and the counter says "step k of n": one numbering.
- Predict mode (P or the button) asks the calculus first: a step's local derivative
  (formula and value, wherever it appears) is "?" and the question "what is the local
  derivative …?" is shown; the next press reveals it and asks what each input receives
  (still "?", also in every sum it enters and in the picture); the next press answers. What
  is hidden is decided by the structure of each ``Line`` (its pieces' levels), never by
  reading its text.
- L shows or hides the legend of the colours.

The page holds each drawing of a node or an edge once (the stage's ``Sheet``): one picture,
the drawings it does not show yet in a hidden ``<svg>``, and as JSON, for every step, the
drawings that change (answer: from the step before; question: from the answer) and the nodes
it focuses on. Showing a frame swaps those drawings in place, so the page grows with the steps,
not with steps × nodes. The picture's element is called after what it shows ("answer-3").
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from .backprop import Frame
from .captions import SHOWN
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
  h1 { font-size: 20px; margin: 0 12px 0 0; font-weight: bold; max-width: 40%;
       white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
  button { font-size: 18px; padding: 3px 10px; white-space: nowrap; cursor: pointer; }
  button[aria-pressed="true"] { background: #ffe08a; }
  #counter { font-weight: bold; font-size: 20px; min-width: 8.5em; }
  #program { flex: none; background: #fff; border-bottom: 1px solid #ddd; padding: 4px 16px;
             font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 20px;
             line-height: 1.3; max-height: 18vh; overflow: auto; }
  #program code { white-space: pre-wrap; margin-right: 1.5em; display: inline-block; }
  #frame { flex: 1 1 auto; min-height: 0; position: relative; display: flex; }
  #stage { flex: 1 1 auto; min-width: 0; overflow: auto; display: flex; }
  .picture { margin: auto; }
  .picture svg { display: block; }
  #overview { position: absolute; top: 8px; right: 8px; background: rgba(255, 255, 255, 0.92);
              border: 1px solid #999; border-radius: 4px; padding: 2px; cursor: pointer; }
  #overview svg { display: block; }
  #view { position: absolute; border: 2px solid #d62728; background: rgba(214, 39, 40, 0.08);
          pointer-events: none; }
  #panel { flex: none; background: #fff8e6; border-top: 1px solid #eee; padding: 6px 16px;
           font-size: 24px; line-height: 1.3; max-height: 36vh; overflow: auto; }
  .lines div { margin: 1px 0; }
  .blank, .question { display: none; }
  .blank { color: #d62728; font-weight: bold; }
  .question { color: #6b3fa0; font-weight: bold; }
  body.ask-1 .hide-1, body.ask-1 .hide-2, body.ask-2 .hide-2 { display: none; }
  body.ask-1 .blank-1, body.ask-1 .blank-2, body.ask-2 .blank-2 { display: inline; }
  body.ask-1 div.question-1, body.ask-2 div.question-2 { display: block; }
  .hide-2 { color: #d62728; font-weight: bold; }
  #legend { position: absolute; right: 10px; bottom: 10px; background: #fff; border: 1px solid #999;
            border-radius: 6px; padding: 6px 10px; font-size: 18px; }
  #legend span { display: inline-block; width: 14px; height: 14px; border: 1px solid #666;
                 margin-right: 6px; vertical-align: middle; }
  [hidden] { display: none !important; }
"""

_SCRIPT = """
(function () {
  "use strict";
  var MIN_TEXT = 16;  // px: the smallest text of the picture, before the browser's zoom
  var picture = document.querySelector(".picture");
  var texts = document.querySelectorAll(".lines");
  var count = texts.length;
  var current = 0;
  var phase = 0;  // how many of the current step's questions are answered
  var predict = document.body.getAttribute("data-predict") === "true";
  var baseRatio = window.devicePixelRatio || 1;
  var stage = document.getElementById("stage");
  var panel = document.getElementById("panel");
  var overview = document.getElementById("overview");
  var view = document.getElementById("view");

  // Every drawing of a node or edge by its number; the picture shows one per slot (node or edge).
  var drawings = {};
  var all = document.querySelectorAll("svg g[id]");
  for (var d = 0; d < all.length; d++) {
    if (/^v[0-9]+$/.test(all[d].id)) { drawings[all[d].id.slice(1)] = all[d]; }
  }
  var drawn = [];
  var children = picture.querySelector("svg g.graph").children;
  for (var c = 0; c < children.length; c++) {
    if (/^v[0-9]+$/.test(children[c].id)) { drawn.push(children[c].id.slice(1)); }
  }
  // What each picture shows, from the changes step by step; the nodes each frame focuses on.
  var sheet = JSON.parse(document.getElementById("changes").textContent);
  var answerDrawings = [];
  var questionDrawings = [];
  var state = drawn.slice();
  function changed(base, pairs) {
    var result = base.slice();
    for (var p = 0; p < pairs.length; p++) { result[pairs[p][0]] = String(pairs[p][1]); }
    return result;
  }
  for (var k = 0; k < sheet.changes.length; k++) {
    state = changed(state, sheet.changes[k][0]);
    answerDrawings.push(state);
    questionDrawings.push(sheet.changes[k][1] === null ? null : changed(state, sheet.changes[k][1]));
  }
  function showPicture(wanted) {  // "answer-3" or "question-3"
    var index = Number(wanted.split("-")[1]);
    var want = wanted.indexOf("question-") === 0 ? questionDrawings[index] : answerDrawings[index];
    for (var slot = 0; slot < drawn.length; slot++) {
      if (drawn[slot] !== want[slot]) {
        drawings[drawn[slot]].replaceWith(drawings[want[slot]]);
        drawn[slot] = want[slot];
      }
    }
    picture.id = wanted;
    picture.setAttribute("data-focus", sheet.focus[index]);
  }

  // The levels a frame asks in turn: 1 the local derivatives, 2 what the inputs receive.
  function questions(index) {
    var asks = texts[index].getAttribute("data-asks");
    if (!asks || questionDrawings[index] === null) { return []; }
    return asks.split(" ").map(Number);
  }
  function asking() { return predict && phase < questions(current).length; }
  function askedLevel() { return asking() ? questions(current)[phase] : 0; }

  function frameFromHash() {
    var number = parseInt(window.location.hash.slice(1), 10);
    if (isNaN(number)) { return 0; }
    return Math.min(Math.max(number, 0), count - 1);
  }

  function setAsking(level) {
    document.body.classList.toggle("asking", level > 0);
    document.body.classList.toggle("ask-1", level === 1);
    document.body.classList.toggle("ask-2", level === 2);
  }

  function show(index, answered) {
    current = Math.min(Math.max(index, 0), count - 1);
    phase = answered ? questions(current).length : 0;
    var level = askedLevel();
    var wanted = (level > 0 ? "question-" : "answer-") + current;
    showPicture(wanted);
    for (var j = 0; j < texts.length; j++) { texts[j].hidden = j !== current; }
    setAsking(level);
    document.getElementById("counter").textContent = "step " + current + " of " + (count - 1);
    document.getElementById("counter").title = texts[current].getAttribute("data-heading");
    document.getElementById("predict").setAttribute("aria-pressed", predict ? "true" : "false");
    if (window.location.hash !== "#" + current) {
      try { history.replaceState(null, "", "#" + current); } catch (error) { /* about:srcdoc */ }
    }
    focusView();
  }

  function next() {
    if (asking()) { phase += 1; refresh(); }
    else if (current < count - 1) { show(current + 1, false); }
  }
  function refresh() {  // the same frame, one question further
    var level = askedLevel();
    var wanted = (level > 0 ? "question-" : "answer-") + current;
    showPicture(wanted);
    setAsking(level);
  }
  function previous() { show(current - 1, true); }

  // The explanation keeps the height of the longest one (in every state of predict mode),
  // so that the picture above it never changes its size from frame to frame. The program and
  // the explanation each take at most a share of the window (18% and 36%; longer ones scroll),
  // so that a long program still leaves the picture most of the screen.
  function fitPanel() {
    panel.style.height = "auto";
    var tallest = 0;
    var shown = [];
    var classes = document.body.className;
    for (var i = 0; i < texts.length; i++) { shown.push(texts[i].hidden); texts[i].hidden = false; }
    [0, 1, 2].forEach(function (level) {
      setAsking(level);
      for (var k = 0; k < texts.length; k++) { tallest = Math.max(tallest, texts[k].offsetHeight); }
    });
    document.body.className = classes;
    for (var m = 0; m < texts.length; m++) { texts[m].hidden = shown[m]; }
    panel.style.height = (tallest + 12) + "px";
  }

  // The picture fills the stage as it is at the page's first zoom level, unless its smallest
  // text would then be under MIN_TEXT px: then it is drawn larger and the stage scrolls.
  // Zooming in grows it like the text around it, and a resized window refits it.
  var fitted = null;
  // The smallest text over every picture, in px: one text is measured, the others are in
  // proportion to their font sizes (hidden pictures cannot be measured).
  function smallestText(shown) {
    var measured = null;
    var all = shown.querySelectorAll("text");
    for (var i = 0; i < all.length && measured === null; i++) {
      if (all[i].textContent.trim() !== "") {
        measured = all[i].getBoundingClientRect().height / parseFloat(all[i].getAttribute("font-size"));
      }
    }
    var smallest = Infinity;
    var sizes = document.querySelectorAll(".picture svg text, #drawings text");
    for (var k = 0; k < sizes.length; k++) {
      if (sizes[k].textContent.trim() !== "") {
        smallest = Math.min(smallest, parseFloat(sizes[k].getAttribute("font-size")));
      }
    }
    return measured === null ? Infinity : measured * smallest;
  }
  function fitPicture() {
    if (fitted === null || (window.devicePixelRatio || 1) === baseRatio) {
      fitted = { width: stage.clientWidth - 8, height: stage.clientHeight - 8 };
    }
    var svgs = document.querySelectorAll(".picture svg");
    var scale = null;
    for (var i = 0; i < svgs.length; i++) {
      var box = svgs[i].viewBox.baseVal;
      scale = Math.min(fitted.width / box.width, fitted.height / box.height);
      svgs[i].style.width = (box.width * scale) + "px";
      svgs[i].style.height = (box.height * scale) + "px";
    }
    var shown = document.querySelector(".picture:not([hidden]) svg");
    if (shown === null || scale === null) { return; }
    var zoom = (window.devicePixelRatio || 1) / baseRatio;
    for (var round = 0; round < 4; round++) {  // text snaps to whole pixel sizes: measure again
      var smallest = smallestText(shown) / zoom;
      if (!(smallest < MIN_TEXT - 0.01)) { break; }  // 15.99997 is 16
      var grow = MIN_TEXT / smallest * (round === 0 ? 1 : 1.03);
      for (var k = 0; k < svgs.length; k++) {
        svgs[k].style.width = (parseFloat(svgs[k].style.width) * grow) + "px";
        svgs[k].style.height = (parseFloat(svgs[k].style.height) * grow) + "px";
      }
    }
  }

  // The focus view: when the picture is larger than the stage, scroll to the op being
  // differentiated and its inputs (the nodes named in the picture's data-focus), and show
  // where that is on the small copy of the whole graph.
  function focusView() {
    var picture = document.querySelector(".picture:not([hidden])");
    var svg = picture === null ? null : picture.querySelector("svg");
    var overflowing = svg !== null &&
      (stage.scrollWidth > stage.clientWidth + 2 || stage.scrollHeight > stage.clientHeight + 2);
    overview.hidden = !overflowing;
    if (!overflowing) { return; }
    var wanted = (picture.getAttribute("data-focus") || "").split(" ").filter(Boolean);
    var boxes = {};
    var nodes = svg.querySelectorAll("g.node");
    for (var i = 0; i < nodes.length; i++) {
      var title = nodes[i].querySelector("title");
      if (title !== null && wanted.indexOf(title.textContent) >= 0) {
        boxes[title.textContent] = nodes[i].getBoundingClientRect();
      }
    }
    var all = wanted.filter(function (id) { return boxes[id] !== undefined; }).map(function (id) { return boxes[id]; });
    if (all.length) {
      // All of them if they fit; otherwise the first (the op's output) in the middle.
      var frame = stage.getBoundingClientRect();
      var left = Math.min.apply(null, all.map(function (b) { return b.left; }));
      var right = Math.max.apply(null, all.map(function (b) { return b.right; }));
      var top = Math.min.apply(null, all.map(function (b) { return b.top; }));
      var bottom = Math.max.apply(null, all.map(function (b) { return b.bottom; }));
      if (right - left > stage.clientWidth - 16) { left = all[0].left; right = all[0].right; }
      if (bottom - top > stage.clientHeight - 16) { top = all[0].top; bottom = all[0].bottom; }
      stage.scrollLeft += (left + right) / 2 - (frame.left + frame.right) / 2;
      stage.scrollTop += (top + bottom) / 2 - (frame.top + frame.bottom) / 2;
    }
    drawOverview(svg);
  }
  function drawOverview(svg) {
    var old = overview.querySelector("svg");
    if (old !== null) { overview.removeChild(old); }
    var copy = svg.cloneNode(true);
    var box = svg.viewBox.baseVal;
    var scale = Math.min(Math.max(stage.clientWidth * 0.22, 160) / box.width, stage.clientHeight * 0.3 / box.height);
    copy.style.width = (box.width * scale) + "px";
    copy.style.height = (box.height * scale) + "px";
    copy.removeAttribute("id");
    overview.insertBefore(copy, view);
    var ratio = (box.width * scale) / svg.getBoundingClientRect().width;
    var picture = svg.getBoundingClientRect(), frame = stage.getBoundingClientRect();
    view.style.left = (2 + Math.max(0, frame.left - picture.left) * ratio) + "px";
    view.style.top = (2 + Math.max(0, frame.top - picture.top) * ratio) + "px";
    view.style.width = (Math.min(stage.clientWidth, picture.width) * ratio) + "px";
    view.style.height = (Math.min(stage.clientHeight, picture.height) * ratio) + "px";
  }
  overview.onclick = function (event) {  // jump there
    var svg = document.querySelector(".picture:not([hidden]) svg");
    var copy = overview.querySelector("svg");
    if (svg === null || copy === null) { return; }
    var ratio = svg.getBoundingClientRect().width / copy.getBoundingClientRect().width;
    var spot = copy.getBoundingClientRect();
    stage.scrollLeft = (event.clientX - spot.left) * ratio - stage.clientWidth / 2;
    stage.scrollTop = (event.clientY - spot.top) * ratio - stage.clientHeight / 2;
    drawOverview(svg);
  };
  stage.addEventListener("scroll", function () {
    var svg = document.querySelector(".picture:not([hidden]) svg");
    if (svg !== null && !overview.hidden) { drawOverview(svg); }
  });

  function fit() { fitPanel(); fitPicture(); focusView(); }

  document.getElementById("first").onclick = function () { show(0, true); };
  document.getElementById("previous").onclick = previous;
  document.getElementById("next").onclick = next;
  document.getElementById("last").onclick = function () { show(count - 1, true); };
  document.getElementById("predict").onclick = function () { predict = !predict; show(current, !predict); };
  document.getElementById("legend-button").onclick = function () {
    var legend = document.getElementById("legend");
    legend.hidden = !legend.hidden;
  };
  document.getElementById("program-button").onclick = function () {
    var program = document.getElementById("program");
    program.hidden = !program.hidden;
    this.setAttribute("aria-pressed", program.hidden ? "false" : "true");
    fit();
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
    else if (key === "s" || key === "S") { document.getElementById("program-button").click(); }
    else { return; }
    event.preventDefault();
  });
  document.body.addEventListener("mousedown", function () { window.focus(); });
  window.addEventListener("hashchange", function () { show(frameFromHash(), false); });
  window.addEventListener("resize", fit);
  show(frameFromHash(), false);
  fit();
})();
"""


def inline_svg(svg: str) -> str:
    """SVG text ready to paste into HTML: without its XML declaration, DOCTYPE and comments."""
    svg = re.sub(r"<\?xml[^>]*\?>", "", svg)
    svg = re.sub(r"<!DOCTYPE[^>]*>", "", svg)
    svg = re.sub(r"<!--.*?-->", "", svg, flags=re.DOTALL)
    return svg.strip()


def _piece_html(text: str, level: int) -> str:
    """One piece of a line: a hidden level is written twice, as itself and as its "?"."""
    if level == SHOWN:
        return html_text(text)
    return f'<span class="hide-{level}">{html_text(text)}</span><span class="blank blank-{level}">?</span>'


def _lines_html(frame: Frame) -> str:
    rows = []
    for line in [*frame.lines, *frame.questions]:
        if line.asks:  # a question, on screen only while predict mode asks it
            words = html_text(line.full)
            rows.append(f'<div class="question question-{line.asks}">{words} Predict each ?, then press &#x2192;</div>')
        else:
            rows.append("<div>" + "".join(_piece_html(text, level) for text, level in line.pieces) + "</div>")
    levels = sorted(set().union(*(line.levels for line in frame.lines))) if frame.question is not None else []
    heading = html_text(frame.heading)
    caption = html_text(frame.caption)
    asks = " ".join(str(level) for level in levels)
    return (
        f'<div class="lines" id="lines-{frame.index}" data-heading="{heading}" data-caption="{caption}" '
        f'data-asks="{asks}" hidden>' + "".join(rows) + "</div>"
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
    focus = [" ".join(frame.focus) for frame in frames]
    data = json.dumps({"changes": changes, "focus": focus}, separators=(",", ":")).replace("</", "<\\/")
    return (
        f'<div class="picture" id="answer-0" data-focus="{html_text(focus[0])}">{inline_svg(sheet.svg(first))}</div>\n'
        f'<svg id="drawings" hidden="" xmlns="http://www.w3.org/2000/svg" '
        f'xmlns:xlink="http://www.w3.org/1999/xlink">{others}</svg>\n'
        f'<script type="application/json" id="changes">{data}</script>'
    )


def player_page(frames: Sequence[Frame], title: str, predict: bool = False, program: Sequence[str] = ()) -> str:
    """The whole player as one HTML document (needs Graphviz's ``dot`` to draw the frames).

    program  the statements the graph was built from, each shown in full above the picture
    """
    legend = "".join(
        f'<div><span style="background: {colour}"></span>{html_text(text)}</div>' for colour, text in _LEGEND
    )
    statements = "".join(f"<code>{html_text(statement)}</code>" for statement in program)
    program_button = 'aria-pressed="true"' if program else 'aria-pressed="false" hidden'
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
  <button id="program-button" title="show or hide the program (S)" {program_button}>program (S)</button>
  <button id="legend-button" title="show the colours (L)">legend (L)</button>
  </div>
</header>
<div id="program"{"" if program else " hidden"}>{statements}</div>
<main id="frame">
<div id="stage">
{_pictures_html(frames)}
</div>
<div id="overview" title="the whole graph: click to go there" hidden><div id="view"></div></div>
<div id="legend" hidden>{legend}</div>
</main>
<footer id="panel">
{"".join(_lines_html(frame) for frame in frames)}
</footer>
<script>{_SCRIPT}</script>
</body>
</html>
"""
