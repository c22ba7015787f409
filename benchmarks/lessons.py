"""How long each lesson takes to run, top to bottom, in a fresh kernel (nbclient).

    python benchmarks/lessons.py                     # every lesson
    python benchmarks/lessons.py lesson_8 lesson_9   # the lessons whose names start so

The lessons are meant to run in at most 30 seconds each on a 2-core machine. The test suite
only checks that they run; their times are measured here, where a busy machine cannot fail anything.
"""

from __future__ import annotations

import sys
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


def main(prefixes: list[str]) -> None:
    lessons = sorted(NOTEBOOKS.glob("lesson_*.ipynb"), key=lambda path: int(path.stem.split("_")[1]))
    chosen = [path for path in lessons if not prefixes or path.stem.startswith(tuple(prefixes))]
    if not chosen:
        names = ", ".join(path.stem for path in lessons)
        print(f"error: LESSON {' '.join(prefixes)!r} names no lesson; the lessons are {names}", file=sys.stderr)
        sys.exit(2)
    times = {}
    with tempfile.TemporaryDirectory():
        for notebook in chosen:
            times[notebook.stem] = time_lesson(notebook)
            print(f"{notebook.stem:<40} {times[notebook.stem]:6.1f} s", flush=True)
    slowest = max(times, key=times.get)
    print(
        f"{'total':<40} {sum(times.values()):6.1f} s   "
        f"(slowest: {slowest}, {times[slowest]:.1f} s; each should take at most 30 s on 2 cores)"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
