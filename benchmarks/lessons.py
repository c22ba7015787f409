"""How long each lesson takes to run, top to bottom, in a fresh kernel (nbclient).

    python benchmarks/lessons.py

The lessons are meant to run in well under a minute each on an idle 2-core machine. The test suite
only checks that they run; their times are measured here, where a busy machine cannot fail anything.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import nbclient
import nbformat

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def time_lesson(notebook: Path) -> float:
    content = nbformat.read(notebook, as_version=4)
    client = nbclient.NotebookClient(
        content, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}
    )
    start = time.perf_counter()
    client.execute()
    return time.perf_counter() - start


def main() -> None:
    with tempfile.TemporaryDirectory():
        for notebook in sorted(NOTEBOOKS.glob("lesson_*.ipynb")):
            print(f"{notebook.stem:<40} {time_lesson(notebook):6.1f} s", flush=True)


if __name__ == "__main__":
    main()
