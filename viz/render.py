"""Turning DOT source into pictures, with a clear error when Graphviz's ``dot`` is missing.

The Python ``graphviz`` package only writes DOT text; drawing it needs the ``dot`` program
from Graphviz. Without it, ``draw_graph`` still works (you get the DOT source), but
rendering raises GraphvizNotFoundError, which says how to install Graphviz.
"""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import graphviz

INSTALL_HINT = (
    "Graphviz's 'dot' program was not found on PATH, so the graph cannot be drawn "
    "(its DOT source is still available as graph.source). Install Graphviz: "
    "Debian/Ubuntu: sudo apt-get install graphviz; macOS: brew install graphviz; "
    "Windows: winget install graphviz (then open a new terminal); conda: conda install graphviz. "
    "Check with: dot -V"
)


class GraphvizNotFoundError(graphviz.ExecutableNotFound):
    """Raised instead of graphviz.ExecutableNotFound: says how to install Graphviz."""

    def __init__(self, command: str = "dot") -> None:
        RuntimeError.__init__(self, f"{INSTALL_HINT} (tried to run {command!r})")


@contextlib.contextmanager
def explain_missing_dot() -> Iterator[None]:
    """Turn graphviz's bare ExecutableNotFound into GraphvizNotFoundError, which says how to install dot."""
    try:
        yield
    except GraphvizNotFoundError:
        raise
    except graphviz.ExecutableNotFound:
        raise GraphvizNotFoundError() from None


class Digraph(graphviz.Digraph):
    """graphviz.Digraph whose rendering explains how to install Graphviz when ``dot`` is missing.

    Everything else is the ordinary graphviz.Digraph: ``.source`` is the DOT text,
    ``.render(...)`` writes a file, ``.pipe(format="svg")`` returns bytes, and Jupyter shows
    it inline.
    """

    def render(self, *args: Any, **kwargs: Any) -> str:
        with explain_missing_dot():
            return super().render(*args, **kwargs)

    def pipe(self, *args: Any, **kwargs: Any) -> Any:
        with explain_missing_dot():
            return super().pipe(*args, **kwargs)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None, **kwargs: Any) -> dict[str, Any]:
        try:
            return super()._repr_mimebundle_(include, exclude, **kwargs)
        except graphviz.ExecutableNotFound:
            return {"text/plain": f"{INSTALL_HINT}\n\n{self.source}"}


def dot_source_to_file(source: str, path: str | Path) -> Path:
    """Render DOT text to ``path``; the format comes from the suffix (.svg, .png, .pdf)."""
    path = Path(path)
    file_format = path.suffix.lstrip(".").lower()
    if file_format not in ("svg", "png", "pdf", "jpg", "jpeg"):
        raise ValueError(f"cannot tell the picture format from {path.name!r}: end the name with .svg, .png or .pdf")
    with explain_missing_dot():
        data = graphviz.Source(source).pipe(format=file_format)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def dot_source_to_files(source: str, paths: Sequence[str | Path]) -> list[Path]:
    """Render DOT text to several files (``graph.svg``, ``graph.png``) with one layout: one run of
    ``dot`` with an output per file (-Tsvg -o graph.svg -Tpng -o graph.png)."""
    files = [Path(path) for path in paths]
    arguments = ["dot"]
    for path in files:
        file_format = path.suffix.lstrip(".").lower()
        if file_format not in ("svg", "png", "pdf", "jpg", "jpeg"):
            raise ValueError(f"cannot tell the picture format from {path.name!r}: end the name with .svg, .png or .pdf")
        path.parent.mkdir(parents=True, exist_ok=True)
        arguments += [f"-T{file_format}", f"-o{path}"]
    try:
        subprocess.run(arguments, input=source.encode("utf-8"), capture_output=True, check=True)
    except FileNotFoundError:
        raise GraphvizNotFoundError() from None
    return files
