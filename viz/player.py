"""viz.player: the backprop player inline in a notebook.

    viz.player(loss)                  # the last expression of a cell: the player appears
    viz.player(loss, predict=True)    # each step asks before it tells

The returned ``Player`` shows itself through ``_repr_html_`` as an ``<iframe srcdoc=…>``
holding the whole page of ``viz.page``: its own buttons, keys and styles, nothing fetched.
Being a separate document, each player keeps its ids, keys and address to itself, so a
notebook can hold several. This works in JupyterLab, the classic Notebook, VS Code and in
nbconvert's HTML export. Click into the player once, then step with the arrow keys.
"""

from __future__ import annotations

import html
from pathlib import Path

from tinygrad_edu import Tensor

from .backprop import Frame, backprop_frames
from .graph import graph_structure
from .page import player_page
from .stepper import write_text_atomically


class Player:
    """The frames of one backward pass, ready to show inline (``_repr_html_``) or to save."""

    def __init__(self, frames: list[Frame], title: str, predict: bool = False, height: int = 640) -> None:
        self.frames = frames
        self.title = title
        self.predict = predict
        self.height = height
        self._page: str | None = None

    def html(self) -> str:
        """The whole player as one self-contained HTML document."""
        if self._page is None:
            self._page = player_page(self.frames, self.title, self.predict)
        return self._page

    def save(self, path: str | Path) -> Path:
        """Write the page to ``path`` (atomically) and return the path."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomically(path, self.html())
        return path

    def _repr_html_(self) -> str:
        source = html.escape(self.html(), quote=True)
        return (
            f'<iframe class="tinygrad-edu-player" title="{html.escape(self.title, quote=True)}" srcdoc="{source}" '
            f'style="width: 100%; height: {int(self.height)}px; border: 1px solid #ddd; border-radius: 4px;" '
            'allow="fullscreen"></iframe>'
        )

    def __repr__(self) -> str:
        return f"Player({self.title!r}, {len(self.frames)} frames, predict={self.predict})"


def player(output: Tensor, predict: bool = False, title: str | None = None, height: int = 640) -> Player:
    """Run ``output``'s backward pass step by step and return a player to show inline.

    predict  start in predict mode: each step shows its question first, the answer on the
             next key press (P toggles it in the player)
    title    the heading (default: "Backpropagation through <output's name>")
    height   the player's height in the notebook, in pixels

    Like ``viz.backprop_frames`` this *is* the backward pass: leaves get their ``.grad``.
    """
    if title is None:
        title = f"Backpropagation through {graph_structure(output).display_name(output)}"
    return Player(backprop_frames(output), title, predict, height)
