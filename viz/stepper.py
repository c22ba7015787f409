"""export_stepper: backprop frames as numbered SVGs and one self-contained HTML page.

    viz.export_stepper(viz.backprop_frames(loss), "out")
    # out/frame-000.svg, out/frame-001.svg, ..., out/index.html

index.html is the player (see ``viz.page``): every drawing and its script inline, so it fetches
nothing and works from a USB stick or an e-mail attachment. Each frame file is a whole picture, so
their total size grows with steps × nodes: they are written for walks of at most
``MAX_FRAME_FILES`` frames (a lesson's programs), and a longer walk gets index.html alone, which
holds every frame and grows only with the steps. ``index.html#3`` opens at frame 3
(frames count from 0, like the file names and the counter), and the address follows as you
step, so a link to a step can be shared. Every file is written atomically: a temporary file
in the same folder, renamed into place when complete.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from tinygrad_edu.io.atomic import atomic_file

from .backprop import Frame
from .page import inline_svg, player_page

__all__ = ["MAX_FRAME_FILES", "export_stepper", "frame_filename", "inline_svg", "write_text_atomically"]

MAX_FRAME_FILES = 50  # frame-NNN.svg files are written for walks of at most this many frames


def frame_filename(index: int) -> str:
    """'frame-003.svg' for frame 3."""
    return f"frame-{index:03d}.svg"


def write_text_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` whole, or not at all (see ``tinygrad_edu.io.atomic``).

    The temporary file ends like ``path`` (".index.k2j4.tmp.html"), so whatever watches the writing
    of a kind of file sees this one too.
    """
    with atomic_file(path, keep_suffix=True) as file:
        file.write(text)


def export_stepper(
    frames: Sequence[Frame],
    out_dir: str | Path,
    title: str = "Backpropagation, step by step",
    predict: bool = False,
    program: Sequence[str] = (),
) -> Path:
    """Write ``frame-000.svg`` ... and ``index.html`` into ``out_dir``; return the page's path.

    The frame files are written when there are at most ``MAX_FRAME_FILES`` frames (index.html
    always holds them all); frame files an earlier, longer walk left in ``out_dir`` are removed.

    predict  open the page in predict mode (each step asks before it tells; P toggles it)
    program  the statements the graph was built from, shown above the picture
    Needs Graphviz's ``dot`` to draw the SVGs (GraphvizNotFoundError says how to install it).
    """
    if len(frames) == 0:
        raise ValueError("export_stepper: no frames to export; make them with viz.backprop_frames(loss)")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    page = player_page(frames, title, predict, program)  # draws every frame first: nothing is written on failure
    files = len(frames) if len(frames) <= MAX_FRAME_FILES else 0
    for index, frame in enumerate(frames[:files]):
        write_text_atomically(out_dir / frame_filename(index), frame.svg())
    index_path = out_dir / "index.html"
    write_text_atomically(index_path, page)
    for stale in out_dir.glob("frame-[0-9][0-9][0-9].svg"):  # left by an earlier, longer walk
        if int(stale.stem[len("frame-") :]) >= files:
            stale.unlink()
    return index_path
