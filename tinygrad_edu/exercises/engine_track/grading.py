"""Grade an engine-track workspace: every check of checks.py, its student's half in a sandboxed process.

``grade(folder)`` runs the checks in order and returns one ``EngineGrade`` per check, printed as
the op track prints its grades: the check's name and its status, then why, indented. For each
check, a child process (sandbox.py: a time and a memory limit per check, its own session)
runs observe.observe on the student's file and sends back plain data; the verdict is decided
here, by checks.judge, in this process, which never imports the student's files. A check that
runs past its time limit is most likely a walk that follows every path of a graph (no visited
set) or an endless loop, and is told so; one that ends the process (sys.exit, os._exit), runs
out of memory or crashes is "wrong", with what happened.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..grading import BROKEN, CORRECT, WRONG
from ..sandbox import EXIT, INTERRUPTED, MEMORY, OK, TIMEOUT, run_isolated
from .checks import CHECKS, EngineCheck, judge
from .observe import observe

SECONDS = 30.0  # per check; a correct engine needs well under 1 s for any of them
MEMORY_BYTES = 1 << 30


@dataclass
class EngineGrade:
    check: EngineCheck
    status: str
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.status == CORRECT

    @property
    def file(self) -> str:
        return self.check.file

    def __str__(self) -> str:
        head = f"{self.check.name:<20} {self.status}"
        if not self.message:
            return head
        return head + "\n" + "\n".join(f"    {line}" for line in self.message.splitlines())


def grade_check(
    folder: Path, check: EngineCheck, seconds: float = SECONDS, memory_bytes: int = MEMORY_BYTES
) -> EngineGrade:
    if not (folder / check.file).is_file():
        return EngineGrade(check, BROKEN, f"{check.file} is missing from {folder}")
    outcome = run_isolated(observe, [check.name, str(folder)], seconds=seconds, memory_bytes=memory_bytes)
    if outcome.status == OK:
        verdict = judge(check, outcome.value)
        return EngineGrade(check, verdict["status"], verdict["message"])
    if outcome.status == TIMEOUT:
        why = (
            f"ran past {seconds:g} s (the check needs well under a second). Likely mistake: a walk without a "
            "visited set, which follows every path through the graph (their number doubles with each layer), "
            "or a loop that never ends"
        )
    elif outcome.status == MEMORY:
        why = (
            f"ran past the memory limit of {memory_bytes / 2**20:.0f} MB ({outcome.error}): a list or stack that "
            "grows without end (a node pushed again and again), or an array far too large?"
        )
    elif outcome.status == EXIT:
        why = f"{check.file} tried to end the process: {outcome.error}; take that line out, then check again"
    elif outcome.status == INTERRUPTED:
        why = f"{check.file} raised KeyboardInterrupt; take that line out, then check again"
    else:
        why = f"{outcome.status}: {outcome.error}"
    return EngineGrade(check, WRONG, why)


def grade(folder: Path, seconds: float = SECONDS, memory_bytes: int = MEMORY_BYTES) -> list[EngineGrade]:
    return [grade_check(folder, check, seconds, memory_bytes) for check in CHECKS]
