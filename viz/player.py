"""viz.player: the backprop player inline in a notebook.

    viz.player(loss)                  # the last expression of a cell: the player appears
    viz.player(loss, predict=True)    # each step asks before it tells

The returned ``Player`` shows itself through ``_repr_html_`` as an ``<iframe srcdoc=…>``
holding the whole page of ``viz.page``: its own buttons, keys and styles, nothing fetched.
Being a separate document, each player keeps its ids, keys and address to itself, so a
notebook can hold several. The iframe is sandboxed (``sandbox="allow-scripts"``): the player's
script runs, but in a document of its own origin, with no access to the notebook around it, so
nothing a page holds (a tensor's name, say) can reach the notebook. This works in JupyterLab,
the classic Notebook, VS Code and in nbconvert's HTML export. Click into the player once, then
step with the arrow keys.

A notebook opened with outputs saved elsewhere (a shared lesson, a file from git) is not
trusted: JupyterLab and Notebook 7 then pass its HTML through a sanitizer that removes the
iframe and keeps only what is written between ``<iframe>`` and ``</iframe>``. So that the
cell does not come out silently empty, that place holds a short note saying how to see the
player (run the cell again, or trust the notebook). A browser never shows it: the content of
an iframe element is not displayed.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from tinygrad_edu import Tensor

from .backprop import Frame, backprop_frames
from .escape import html_text
from .graph import graph_structure
from .names import Expression, _compose
from .page import player_page
from .stepper import write_text_atomically


class Player:
    """The frames of one backward pass, ready to show inline (``_repr_html_``) or to save."""

    def __init__(
        self, frames: list[Frame], title: str, predict: bool = False, height: int = 640, program: Sequence[str] = ()
    ) -> None:
        self.frames = frames
        self.title = title
        self.predict = predict
        self.height = height
        self.program = list(program)
        self._page: str | None = None

    def html(self) -> str:
        """The whole player as one self-contained HTML document."""
        if self._page is None:
            self._page = player_page(self.frames, self.title, self.predict, self.program)
        return self._page

    def save(self, path: str | Path) -> Path:
        """Write the page to ``path`` (atomically) and return the path."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomically(path, self.html())
        return path

    def _repr_html_(self) -> str:
        source = html_text(self.html())
        title = html_text(self.title)
        return (
            f'<iframe class="tinygrad-edu-player" title="{title}" srcdoc="{source}" '
            f'style="width: 100%; height: {int(self.height)}px; border: 1px solid #ddd; border-radius: 4px;" '
            f'sandbox="allow-scripts" allow="fullscreen">{_untrusted_note(title)}</iframe>'
        )

    def __repr__(self) -> str:
        return f"Player({self.title!r}, {len(self.frames)} frames, predict={self.predict})"


def _untrusted_note(title: str) -> str:
    """What an untrusted notebook shows instead of the player (``title`` is already escaped)."""
    return (
        '<div class="tinygrad-edu-player-untrusted" style="border: 1px solid #ddd; padding: 8px 12px;">'
        f"<b>{title}</b>: the player shows here once the notebook is trusted. Run this cell again, "
        "or trust the notebook (JupyterLab: the command &#x201C;Trust Notebook&#x201D;; "
        "Notebook 7: the &#x201C;Not Trusted&#x201D; button at the top).</div>"
    )


def program_statements(output: Tensor) -> list[str]:
    """The statements that computed ``output``, read back from its graph: one per named result.

    A tensor the user named is written "name = its op applied to its inputs' names"; the
    output is always one (if unnamed, the statement is its whole expression). Unnamed
    intermediates stay inside the statement that uses them.
    """
    structure = graph_structure(output)
    texts: dict[int, Expression] = {}
    statements = []
    for tensor in structure.values:
        name = structure.display_name(tensor)
        if tensor.grad_fn is None:
            texts[id(tensor)] = Expression(name)
            continue
        parents = [texts.get(id(parent), Expression("?")) for parent in tensor.grad_fn.parents]
        expression = _compose(tensor.grad_fn, parents)
        if tensor.name or tensor is output:
            statements.append(f"{tensor.name} = {expression.text}" if tensor.name else expression.text)
            texts[id(tensor)] = Expression(name)
        else:
            texts[id(tensor)] = expression
    return statements


def player(output: Tensor, predict: bool = False, title: str | None = None, height: int = 640) -> Player:
    """Run ``output``'s backward pass step by step and return a player to show inline.

    predict  start in predict mode: each step shows its question first, the answer on the
             next key press (P toggles it in the player)
    title    the heading (default: "Backpropagation through" and the output's statement)
    height   the player's height in the notebook, in pixels

    Like ``viz.backprop_frames`` this *is* the backward pass: leaves get their ``.grad``.
    """
    program = program_statements(output)
    if title is None:
        title = f"Backpropagation through {program[-1]}"
    return Player(backprop_frames(output), title, predict, height, program)
