"""The engine track's commands, called by ``python -m tinygrad_edu.exercises``: start, check, capstone."""

from __future__ import annotations

import shlex
from pathlib import Path

from ..workspace import WorkspaceError
from . import capstone, grading, workspace
from .observe import describe_error


def run_start(folder: Path) -> int:
    written = workspace.start(folder)
    print(f"wrote {len(written)} files into {folder}:")
    for path in written:
        print(f"  {path.name}")
    print(f"open {folder / 'README.md'}, write value.py then tensor.py, and check them as you go:")
    print(f"  python -m tinygrad_edu.exercises check {shlex.quote(str(folder))}")
    return 0


def run_check(
    folder: Path, names: list[str], seconds: float = grading.SECONDS, memory_bytes: int = grading.MEMORY_BYTES
) -> int:
    if names:
        raise WorkspaceError(
            f"check: OP {names[0]!r} given, but {str(folder)!r} is an engine-track workspace, checked whole; "
            f"drop the OP names: python -m tinygrad_edu.exercises check {shlex.quote(str(folder))}"
        )
    grades = []
    for check in grading.CHECKS:
        grades.append(grading.grade_check(folder, check, seconds, memory_bytes))
        print(grades[-1], flush=True)
    correct = sum(result.ok for result in grades)
    print(f"\n{correct} of {len(grades)} checks correct")
    if correct == len(grades):
        command = f"python -m tinygrad_edu.exercises capstone {shlex.quote(str(folder))}"
        print(f"next: train a network on your engine: {command}")
    return 0 if correct == len(grades) else 1


def run_capstone(folder: Path, spirals_only: bool) -> int:
    if not folder.is_dir() or not (folder / "tensor.py").is_file():
        raise WorkspaceError(
            f"capstone: DIR {str(folder)!r} holds no tensor.py; make an engine workspace with: "
            "python -m tinygrad_edu.exercises start NEW_DIR --track engine"
        )
    grades = [grading.grade_check(folder, check) for check in grading.CHECKS if check.file == "tensor.py"]
    wrong = [result for result in grades if not result.ok]
    if wrong:
        print(f"the capstone trains on tensor.py, and {len(wrong)} of its checks do not pass yet:")
        for result in wrong:
            print(result)
        return 1
    try:
        reached = capstone.run(folder, spirals_only)
    except Exception as error:  # the student's engine, run in this process: say where it broke, in one line
        print(f"your engine raised {describe_error(error, 'tensor.py')}")
        return 1
    return 0 if reached else 1
