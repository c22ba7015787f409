"""python -m tinygrad_edu.exercises start DIR [--track ops|engine] | check DIR [OP ...] | capstone DIR

Two tracks: ops (write the backward and jvp of eight ops) and engine (write the engine itself:
the walk, the accumulation, backward(), then train a network on it; engine_track/). check
grades whichever kind of workspace DIR is. Exit status of check and capstone: 0 when everything
checked is correct (capstone: every goal reached), 1 otherwise, 2 on bad input (DIR missing or
not a workspace, an unknown op); start exits 2 if DIR is not empty.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from . import catalog, grading, workspace
from .engine_track import cli as engine_cli
from .engine_track import workspace as engine_workspace


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tinygrad_edu.exercises",
        description="Write the backward of eight ops yourself (--track ops), or the engine itself (--track engine), "
        "and check them.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    start = commands.add_parser("start", help="write a fresh workspace into DIR (new or empty)")
    start.add_argument("DIR", type=Path)
    start.add_argument(
        "--track",
        choices=("ops", "engine"),
        default="ops",
        help="ops: the backward of eight ops (default); engine: the engine itself",
    )
    check = commands.add_parser("check", help="grade the ops in the workspace DIR")
    check.add_argument("DIR", type=Path)
    check.add_argument("ops", nargs="*", metavar="OP", help="only these ops (e.g. mul sum); all by default")
    capstone = commands.add_parser("capstone", help="train a network on the engine in the engine workspace DIR")
    capstone.add_argument("DIR", type=Path)
    capstone.add_argument("--spirals", action="store_true", help="the 2-D spirals only (seconds), not MNIST")
    arguments = parser.parse_args(argv)
    try:
        if arguments.command == "start" and arguments.track == "engine":
            return engine_cli.run_start(arguments.DIR)
        if arguments.command == "start":
            return run_start(arguments.DIR)
        if arguments.command == "capstone":
            return engine_cli.run_capstone(arguments.DIR, arguments.spirals)
        if engine_workspace.is_workspace(arguments.DIR):
            return engine_cli.run_check(arguments.DIR, arguments.ops)
        return run_check(arguments.DIR, arguments.ops)
    except workspace.WorkspaceError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


def run_start(folder: Path) -> int:
    written = workspace.start(folder)
    print(f"wrote {len(written)} files into {folder}:")
    for path in written:
        print(f"  {path.name}")
    print(f"open {folder / 'README.md'}, write the backward and jvp methods, then check them:")
    print(f"  python -m tinygrad_edu.exercises check {shlex.quote(str(folder))}")
    return 0


def run_check(folder: Path, names: list[str]) -> int:
    if not folder.exists():
        raise workspace.WorkspaceError(f"check: DIR {str(folder)!r} does not exist; make one with start {folder}")
    if not workspace.is_workspace(folder):
        files = ", ".join(exercise.file for exercise in catalog.EXERCISES)
        raise workspace.WorkspaceError(
            f"check: DIR {str(folder)!r} is not an exercises workspace (it holds none of {files}, "
            f"nor {' or '.join(engine_workspace.FILES)}); make one with: python -m tinygrad_edu.exercises start NEW_DIR"
        )
    chosen = []
    for name in names:
        try:
            chosen.append(catalog.find(name))
        except KeyError:
            known = " ".join(exercise.file.removesuffix(".py") for exercise in catalog.EXERCISES)
            raise workspace.WorkspaceError(f"check: unknown OP {name!r}; expected one of: {known}") from None
    grades = [grade_file(folder, exercise) for exercise in chosen or catalog.EXERCISES]
    for result in grades:
        print(result, flush=True)
    correct = sum(result.ok for result in grades)
    print(f"\n{correct} of {len(grades)} ops correct")
    return 0 if correct == len(grades) else 1


def grade_file(folder: Path, exercise: catalog.Exercise) -> grading.Grade:
    if not (folder / exercise.file).is_file():
        return grading.Grade(exercise, grading.BROKEN, f"{exercise.file} is missing from {folder}")
    try:
        op = workspace.load(folder, exercise)
    except Exception as error:
        return grading.Grade(exercise, grading.BROKEN, grading.describe_error(error, exercise))
    return grading.grade(exercise, op)


if __name__ == "__main__":
    sys.exit(main())
