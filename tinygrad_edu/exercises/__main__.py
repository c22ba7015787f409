"""python -m tinygrad_edu.exercises start DIR [--track ops|engine] | check DIR [OP ...] [--seconds S] [--memory-mb M]
                                 | capstone DIR [--spirals]

Two tracks: ops (the backward and jvp of eight ops; this file, isolated.py) and engine (the engine
itself: the walk, the accumulation, backward(), then a network trained on it; engine_track/).
check grades whichever kind of workspace DIR is; capstone trains on an engine workspace.

check runs the student's code of each op in a process of its own, within a time limit
(--seconds, 30 by default) and a memory limit (--memory-mb, 1024 by default) per op; the grade
is decided in the grader's process (isolated.py). An op that loops, sleeps, allocates past the
limit, exits or raises KeyboardInterrupt is graded wrong with a message saying so.

Exit status of check and capstone: 0 when everything checked is correct (capstone: every goal
reached), 1 otherwise, 2 on bad input
(DIR missing or not a workspace, an unknown op, a limit out of range), 130 on Ctrl-C; start exits
2 if DIR is not empty or cannot be written.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from . import catalog, isolated, workspace
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
    check.add_argument(
        "--seconds",
        type=float,
        default=isolated.SECONDS,
        help=f"time limit per op, in seconds (default {isolated.SECONDS:g}; at most {MAX_SECONDS:g})",
    )
    check.add_argument(
        "--memory-mb",
        type=float,
        default=isolated.MEMORY_BYTES / 2**20,
        help=f"memory limit per op, in MB beyond what Python and NumPy hold (default {isolated.MEMORY_BYTES >> 20})",
    )
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
        seconds, memory_bytes = limits(arguments.seconds, arguments.memory_mb)
        if engine_workspace.is_workspace(arguments.DIR):
            return engine_cli.run_check(arguments.DIR, arguments.ops, seconds, memory_bytes)
        return run_check(arguments.DIR, arguments.ops, seconds, memory_bytes)
    except workspace.WorkspaceError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except OSError as error:  # a folder that cannot be read, no room for the sandbox's temporary files
        where = f"{error.filename}: " if error.filename else ""
        print(f"error: {arguments.command}: {where}{error.strerror or error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ninterrupted (Ctrl-C): nothing was changed", file=sys.stderr)
        return 130


MAX_SECONDS = 3600.0


def limits(seconds: float, memory_mb: float) -> tuple[float, int]:
    """The limits per op, checked: (seconds, bytes)."""
    if not 0 < seconds <= MAX_SECONDS:  # also refuses nan
        raise workspace.WorkspaceError(f"check: --seconds must be in (0, {MAX_SECONDS:g}]; got {seconds!r}")
    if not 16 <= memory_mb <= 2**20:
        raise workspace.WorkspaceError(f"check: --memory-mb must be in [16, {2**20}]; got {memory_mb!r}")
    return seconds, int(memory_mb * 2**20)


def run_start(folder: Path) -> int:
    written = workspace.start(folder)
    print(f"wrote {len(written)} files into {folder}:")
    for path in written:
        print(f"  {path.name}")
    print(f"open {folder / 'README.md'}, write the backward and jvp methods, then check them:")
    print(f"  python -m tinygrad_edu.exercises check {shlex.quote(str(folder))}")
    return 0


def run_check(
    folder: Path, names: list[str], seconds: float = isolated.SECONDS, memory_bytes: int = isolated.MEMORY_BYTES
) -> int:
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
    grades = []
    for exercise in chosen or catalog.EXERCISES:
        grades.append(isolated.grade_file(folder, exercise, seconds, memory_bytes))
        print(grades[-1], flush=True)
    correct = sum(result.ok for result in grades)
    print(f"\n{correct} of {len(grades)} ops correct")
    return 0 if correct == len(grades) else 1


if __name__ == "__main__":
    sys.exit(main())
