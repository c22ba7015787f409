"""Handouts: a student copy of every lesson without the solutions, and a teacher copy with them.

    python -m notebooks.handouts OUT
    -> OUT/student/lesson_1_chain_rule.ipynb ...   no solution cells, nothing else changed
       OUT/teacher/lesson_1_chain_rule.ipynb ...   the lessons as they are, solutions included
       (each folder also gets lesson_tools.py, which the first cell of every lesson imports)

A solution is marked where it is written: every cell of a lesson's "## Solutions" part carries the
tag ``solution`` (``# %% tags=["solution"]`` in the lesson's script). The student copy is the
lesson with those cells removed by nbconvert's ``TagRemovePreprocessor``: nothing here edits a
notebook by hand. Exercises stay (they are outside "## Solutions"), so a student copy still runs
top to bottom, and says what to do at the end.

Every file is written atomically; OUT may exist already (files of the same names are replaced,
nothing else in it is touched).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parent
SOLUTION_TAG = "solution"


def lessons() -> list[Path]:
    """Every lesson's notebook, in lesson order."""
    return sorted(NOTEBOOKS.glob("lesson_*.ipynb"), key=lambda path: int(path.stem.split("_")[1]))


def student_copy(notebook: Path) -> str:
    """The notebook's JSON without the cells tagged ``solution``."""
    import nbformat
    from nbconvert.exporters import NotebookExporter
    from nbconvert.preprocessors import TagRemovePreprocessor

    exporter = NotebookExporter()
    exporter.register_preprocessor(TagRemovePreprocessor(remove_cell_tags={SOLUTION_TAG}), enabled=True)
    body, _ = exporter.from_notebook_node(nbformat.read(notebook, as_version=4))
    return body


def write_handouts(out: Path) -> list[Path]:
    """Write OUT/student and OUT/teacher; returns the files written."""
    from tinygrad_edu.io.atomic import atomic_file

    written = []
    for kind in ("student", "teacher"):
        folder = out / kind
        folder.mkdir(parents=True, exist_ok=True)
        for notebook in lessons():
            text = student_copy(notebook) if kind == "student" else notebook.read_text(encoding="utf-8")
            with atomic_file(folder / notebook.name) as file:
                file.write(text)
            written.append(folder / notebook.name)
        with atomic_file(folder / "lesson_tools.py") as file:
            file.write((NOTEBOOKS / "lesson_tools.py").read_text(encoding="utf-8"))
        written.append(folder / "lesson_tools.py")
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m notebooks.handouts",
        description="Write student copies of every lesson without solutions (OUT/student) and teacher copies "
        "with them (OUT/teacher).",
    )
    parser.add_argument("out", type=Path, metavar="OUT", help="the folder to write into (made if missing)")
    arguments = parser.parse_args(argv)
    try:
        import nbconvert  # noqa: F401
    except ModuleNotFoundError:
        print('error: the handouts need nbconvert: pip install "tinygrad_edu[notebook]"', file=sys.stderr)
        return 2
    if arguments.out.exists() and not arguments.out.is_dir():
        print(f"error: OUT {str(arguments.out)!r} is a file, expected a folder", file=sys.stderr)
        return 2
    try:
        written = write_handouts(arguments.out)
    except OSError as error:
        print(f"error: OUT {str(arguments.out)!r}: cannot write there: {error.strerror or error}", file=sys.stderr)
        return 2
    count = len(lessons())
    print(f"wrote {count} student copies to {arguments.out / 'student'} (no solutions)")
    print(f"wrote {count} teacher copies to {arguments.out / 'teacher'} (with solutions)")
    return 0 if written else 1


if __name__ == "__main__":
    sys.exit(main())
