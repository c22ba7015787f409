"""export_stepper: backprop frames as numbered SVGs and one self-contained HTML page.

    viz.export_stepper(viz.backprop_frames(loss), "out")
    # out/frame-000.svg, out/frame-001.svg, ..., out/index.html

index.html has every SVG inline and its script inline: it fetches nothing, so it works from
a USB stick or an e-mail attachment. Step with ← / → (or the buttons, Home / End); the page
shows "step k of n" and a one-sentence caption. ``index.html#3`` opens at frame 3 (frames
count from 0, like the file names), and the address follows as you step, so a link to a
step can be shared.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from pathlib import Path

from .backprop import Frame

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<style>
  body {{ font-family: Helvetica, Arial, sans-serif; margin: 0; background: #fafafa; color: #222; }}
  header {{ padding: 8px 16px; background: #fff; border-bottom: 1px solid #ddd; position: sticky; top: 0; }}
  header h1 {{ font-size: 17px; margin: 0 0 6px 0; }}
  .controls {{ display: flex; flex-wrap: wrap; align-items: center; gap: 10px; }}
  button {{ font-size: 15px; padding: 3px 12px; white-space: nowrap; }}
  #counter {{ font-weight: bold; min-width: 110px; }}
  #caption {{ padding: 10px 16px; font-size: 16px; line-height: 1.4; background: #fff8e6;
             border-bottom: 1px solid #eee; min-height: 2.8em; }}
  .frame {{ padding: 12px 16px; }}
  .frame svg {{ max-width: 100%; height: auto; }}
  .hint {{ color: #777; font-size: 13px; }}
</style>
</head>
<body>
<header>
  <h1>{title}</h1>
  <div class="controls">
  <button id="first" title="first step (Home)">first</button>
  <button id="previous" title="previous step (&#x2190;)">&#x2190; previous</button>
  <span id="counter">step 1 of {count}</span>
  <button id="next" title="next step (&#x2192;)">next &#x2192;</button>
  <button id="last" title="last step (End)">last</button>
  <span class="hint">arrow keys step; #k in the address opens frame k</span>
  </div>
</header>
<div id="caption">{first_caption}</div>
{frames}
<script>
(function () {{
  "use strict";
  var frames = document.querySelectorAll(".frame");
  var count = frames.length;
  var current = 0;

  function frameFromHash() {{
    var number = parseInt(window.location.hash.slice(1), 10);
    if (isNaN(number)) {{ return 0; }}
    return Math.min(Math.max(number, 0), count - 1);
  }}

  function show(index) {{
    current = Math.min(Math.max(index, 0), count - 1);
    for (var i = 0; i < count; i++) {{
      frames[i].style.display = (i === current) ? "block" : "none";
    }}
    document.getElementById("counter").textContent = "step " + (current + 1) + " of " + count;
    document.getElementById("caption").textContent = frames[current].getAttribute("data-caption");
    if (window.location.hash !== "#" + current) {{
      history.replaceState(null, "", "#" + current);
    }}
  }}

  document.getElementById("first").onclick = function () {{ show(0); }};
  document.getElementById("previous").onclick = function () {{ show(current - 1); }};
  document.getElementById("next").onclick = function () {{ show(current + 1); }};
  document.getElementById("last").onclick = function () {{ show(count - 1); }};
  document.addEventListener("keydown", function (event) {{
    if (event.key === "ArrowRight" || event.key === "ArrowDown" || event.key === " ") {{
      show(current + 1); event.preventDefault();
    }} else if (event.key === "ArrowLeft" || event.key === "ArrowUp") {{
      show(current - 1); event.preventDefault();
    }} else if (event.key === "Home") {{
      show(0);
    }} else if (event.key === "End") {{
      show(count - 1);
    }}
  }});
  window.addEventListener("hashchange", function () {{ show(frameFromHash()); }});
  show(frameFromHash());
}})();
</script>
</body>
</html>
"""


def frame_filename(index: int) -> str:
    """'frame-003.svg' for frame 3."""
    return f"frame-{index:03d}.svg"


def inline_svg(svg: str) -> str:
    """SVG text ready to paste into HTML: without its XML declaration, DOCTYPE and comments."""
    svg = re.sub(r"<\?xml[^>]*\?>", "", svg)
    svg = re.sub(r"<!DOCTYPE[^>]*>", "", svg)
    svg = re.sub(r"<!--.*?-->", "", svg, flags=re.DOTALL)
    return svg.strip()


def export_stepper(frames: Sequence[Frame], out_dir: str | Path, title: str = "Backpropagation, step by step") -> Path:
    """Write ``frame-000.svg`` ... and ``index.html`` into ``out_dir``; return the page's path.

    Needs Graphviz's ``dot`` to draw the SVGs (GraphvizNotFoundError says how to install it).
    """
    if len(frames) == 0:
        raise ValueError("export_stepper: no frames to export; make them with viz.backprop_frames(loss)")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    blocks = []
    for index, frame in enumerate(frames):
        svg = frame.svg()
        (out_dir / frame_filename(index)).write_text(svg, encoding="utf-8")
        display = "block" if index == 0 else "none"
        blocks.append(
            f'<div class="frame" id="frame-{index}" data-caption="{html.escape(frame.caption, quote=True)}" '
            f'style="display: {display}">\n{inline_svg(svg)}\n</div>'
        )
    page = _PAGE.format(
        title=html.escape(title),
        count=len(frames),
        first_caption=html.escape(frames[0].caption),
        frames="\n".join(blocks),
    )
    index_path = out_dir / "index.html"
    index_path.write_text(page, encoding="utf-8")
    return index_path
