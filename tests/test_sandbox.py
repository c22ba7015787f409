"""The sandbox the grader runs a student's code in: every way out is a distinct outcome, none ends the grader."""

import os
import signal
from pathlib import Path

import pytest

from tinygrad_edu.exercises import sandbox

TARGETS = Path(__file__).with_name("sandbox_targets.py")


def run(name, *args, seconds=20.0):
    return sandbox.run_isolated(f"{TARGETS}:{name}", list(args), seconds=seconds, memory_bytes=256 << 20)


def test_a_value_comes_back_as_json_with_what_was_printed():
    outcome = run("add", 2, 3)
    assert outcome.ok and outcome.value == {"sum": 5}
    assert "adding" in outcome.output


@pytest.mark.parametrize(
    "name, status, says",
    [
        ("loop", sandbox.TIMEOUT, "limit of 0.5 s"),
        ("sleep", sandbox.TIMEOUT, "limit of 0.5 s"),
        ("allocate", sandbox.MEMORY, "MemoryError"),
        ("exit_zero", sandbox.EXIT, "sys.exit(0)"),
        ("underscore_exit", sandbox.EXIT, "os._exit"),
        ("interrupt", sandbox.INTERRUPTED, "KeyboardInterrupt"),
        ("fail", sandbox.RAISED, "ValueError: a student's mistake (sandbox_targets.py, line"),
        ("not_json", sandbox.RAISED, "TypeError"),
    ],
)
def test_each_way_out_is_its_own_outcome(name, status, says):
    outcome = run(name, seconds=0.5)
    assert (outcome.status, outcome.value) == (status, None)
    assert says in outcome.error


def test_a_target_must_be_named():
    with pytest.raises(ValueError, match="module:function"):
        sandbox.run_isolated("no_colon", seconds=1, memory_bytes=1 << 20)
    with pytest.raises(ValueError, match="top-level"):
        sandbox.run_isolated(lambda: 0, seconds=1, memory_bytes=1 << 20)


def test_a_target_that_does_not_import_is_reported():
    outcome = sandbox.run_isolated(f"{TARGETS}:missing", seconds=1, memory_bytes=1 << 20)
    assert outcome.status == sandbox.RAISED and "cannot import" in outcome.error


def test_a_ctrl_c_in_the_grader_stops_the_call_and_its_process(tmp_path):
    """KeyboardInterrupt (a Ctrl-C) while waiting: raised in the caller, the child killed and reaped."""
    pid_file = tmp_path / "pid"

    def interrupt_once_started(signum, frame):
        if pid_file.exists() and pid_file.read_text():
            raise KeyboardInterrupt

    previous = signal.signal(signal.SIGALRM, interrupt_once_started)
    signal.setitimer(signal.ITIMER_REAL, 0.2, 0.1)
    try:
        with pytest.raises(KeyboardInterrupt):
            run("loop_with_pid", str(pid_file), seconds=30)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    with pytest.raises(ProcessLookupError):
        os.kill(int(pid_file.read_text()), 0)
