"""Run a function on a student's code in a process of its own, with a time and a memory limit.

    outcome = run_isolated("tinygrad_edu.exercises.grading:evidence", ["my_ops/mul.py", 0],
                           seconds=10, memory_bytes=1 << 30)
    if outcome.ok:
        use(outcome.value)        # what the function returned, read back from JSON
    else:
        print(outcome.status, outcome.error)   # e.g. "timeout", "ran past the limit of 10 s"

The function is named, not passed: ``"package.module:function"`` or ``"path/to/file.py:function"``
(a callable defined at the top level of an importable module is turned into its name). A new
process (forked from a server that imported NumPy and tinygrad_edu once, multiprocessing's
"forkserver", so a call starts in milliseconds from a clean interpreter) imports it, calls it
with ``args`` and ``kwargs`` (read from JSON), and writes what it returns as JSON. The grader,
in its own process, only reads that JSON: whatever the student's code does (loop forever,
allocate 4 GB, call ``sys.exit(0)`` or ``os._exit(0)``, raise KeyboardInterrupt, replace the
grader's functions in its own process), the grader survives it and computes its verdict from the
values it got back.

Limits, per call:

- ``seconds``: wall-clock time, from the start of the call to the end of the process; past it the
  whole process group is killed (SIGKILL). The time to start the process and import the target's
  module (the first call starts the server: about 1 s) is not counted.
- ``memory_bytes``: address space the call may add to what Python and the target's module already
  hold (``resource.setrlimit(RLIMIT_AS)`` in the child, set after the import): an allocation past it
  raises MemoryError there, or kills the process. (Where the system does not say how much a
  process holds, as on macOS, there is no memory limit.)
- Files the child writes (its printed output included) stop at ``OUTPUT_LIMIT`` bytes each
  (RLIMIT_FSIZE); only the last ``OUTPUT_TAIL`` characters of the output are kept.

The outcome's ``status`` is one of:

    ok           the function returned; ``value`` is what it returned
    raised       an exception left it (``error`` names it and the line)
    timeout      it ran past ``seconds``
    memory       it ran out of memory (MemoryError, under ``memory_bytes``)
    exit         it tried to end the process: sys.exit / raise SystemExit, or os._exit
    interrupted  KeyboardInterrupt was raised in it (not by the user: see below)
    crash        the process died by a signal (a segfault, the out-of-memory killer) or made no result

A Ctrl-C at the terminal reaches the grader only (the child runs in a session of its own): the child is
killed and KeyboardInterrupt is raised in the grader, as it would be without the sandbox.

POSIX only (``resource``, process groups). As with any multiprocessing start method but "fork",
each new process imports the caller's ``__main__`` module again (as ``__mp_main__``): a script that
calls ``run_isolated`` keeps its top-level work under ``if __name__ == "__main__":``.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import math
import multiprocessing
import multiprocessing.context
import multiprocessing.process
import os
import resource
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

OK = "ok"
RAISED = "raised"
TIMEOUT = "timeout"
MEMORY = "memory"
EXIT = "exit"
INTERRUPTED = "interrupted"
CRASH = "crash"

OUTPUT_LIMIT = 64 * 1024 * 1024  # bytes: RLIMIT_FSIZE in the child (its output, its result, any file it writes)
OUTPUT_TAIL = 2000  # characters of the child's printed output kept in the outcome
PRELOAD = ["numpy", "tinygrad_edu"]  # imported once, by the server the calls' processes are forked from
STARTUP_SECONDS = 60.0  # the most that starting Python and importing the target may take (a busy machine)


@dataclass(frozen=True)
class Outcome:
    """What became of one isolated call: ``status`` (see the module docstring), the value returned
    (status "ok"), a one-line ``error`` otherwise, the tail of what it printed, and its duration."""

    status: str
    value: Any = None
    error: str = ""
    output: str = ""
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status == OK


def run_isolated(
    target: str | Callable[..., Any],
    args: list[Any] | tuple[Any, ...] = (),
    kwargs: dict[str, Any] | None = None,
    *,
    seconds: float,
    memory_bytes: int,
) -> Outcome:
    """Call ``target(*args, **kwargs)`` in a new process, within ``seconds`` and ``memory_bytes``.

    ``args`` and ``kwargs`` must be JSON-serializable, and so must what the target returns.
    Raises ValueError for a target that is not named as "module:function" or "file.py:function";
    every failure of the call itself is an Outcome, never an exception, except KeyboardInterrupt
    (a Ctrl-C in the caller: the child is killed first) and OSError when no temporary folder can be
    made for the request and the result.
    """
    reference = target if isinstance(target, str) else name_of(target)
    if reference.count(":") < 1 or not reference.rpartition(":")[2].isidentifier():
        raise ValueError(f"run_isolated: target {reference!r} must be 'module:function' or 'file.py:function'")
    if not (0 < seconds < math.inf and 0 < memory_bytes < math.inf):  # also refuses NaN
        raise ValueError(f"run_isolated: seconds={seconds!r} and memory_bytes={memory_bytes!r} must be positive")
    request: dict[str, Any] = {
        "target": reference,
        "args": list(args),
        "kwargs": dict(kwargs or {}),
        "seconds": seconds,
        "memory_bytes": int(memory_bytes),
        "path": [entry for entry in sys.path if entry],
    }
    with tempfile.TemporaryDirectory(prefix="tinygrad_edu_sandbox_") as folder:
        request["result"] = str(Path(folder) / "result.json")
        started_file = Path(folder) / "started"
        request["started"] = str(started_file)
        output_path = Path(folder) / "output.txt"
        request["output"] = str(output_path)
        with open(Path(folder) / "request.json", "w", encoding="utf-8") as file:
            json.dump(request, file)
        process = _context().Process(target=_child, args=(str(Path(folder) / "request.json"),), daemon=True)
        begun = time.monotonic()
        called: float | None = None  # when the child began the call (it creates started_file then)
        timed_out = False
        try:
            process.start()
            while process.exitcode is None:
                if called is None and started_file.exists():
                    called = time.monotonic()
                limit = begun + STARTUP_SECONDS + seconds if called is None else called + seconds
                if time.monotonic() > limit:
                    timed_out = True
                    break
                process.join(0.01)
        finally:
            if process.pid is not None:
                _kill(process)  # also what the child started and left running, if it ended by itself
        duration = time.monotonic() - (begun if called is None else called)
        printed = _tail(output_path) if output_path.exists() else ""
        returncode = process.exitcode if process.exitcode is not None else -signal.SIGKILL
        if timed_out:
            return Outcome(
                TIMEOUT, error=f"ran past the limit of {seconds:g} s and was stopped", output=printed, seconds=duration
            )
        if called is None and not started_file.exists() and not Path(request["result"]).exists():
            last = printed.strip().splitlines()[-1:] or ["no output"]
            return Outcome(
                CRASH,
                error=f"the process failed before the call (exit status {returncode}): {last[0]}",
                output=printed,
            )
        return _read_result(Path(request["result"]), returncode, printed, duration)


def name_of(function: Callable[..., Any]) -> str:
    """'module:function' for a function defined at the top level of an importable module."""
    module = getattr(function, "__module__", None)
    qualname = getattr(function, "__qualname__", "")
    if not module or module == "__main__" or "." in qualname or "<" in qualname:
        raise ValueError(
            f"run_isolated: {function!r} is not a top-level function of an importable module; "
            "name it as 'module:function'"
        )
    return f"{module}:{qualname}"


def _context() -> multiprocessing.context.ForkServerContext:
    """Processes forked from a server that has imported NumPy and tinygrad_edu once (``PRELOAD``):
    each call starts in milliseconds, from a clean interpreter, not from a copy of the grader."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    return context


def _kill(process: multiprocessing.process.BaseProcess) -> None:
    """SIGKILL to the child's process group (the child made one: whatever it started dies too), and
    wait for the child."""
    assert process.pid is not None, "only a started process is killed"
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):  # no group left (or not made yet): the child alone
        if process.exitcode is None:
            process.kill()
    process.join()


def _tail(path: Path) -> str:
    with open(path, "rb") as file:
        file.seek(0, os.SEEK_END)
        size = file.tell()
        file.seek(max(0, size - 4 * OUTPUT_TAIL))
        text = file.read().decode("utf-8", errors="replace")
    return text[-OUTPUT_TAIL:]


def _read_result(path: Path, returncode: int, printed: str, duration: float) -> Outcome:
    result = None
    if path.is_file() and path.stat().st_size <= OUTPUT_LIMIT:
        try:
            with open(path, encoding="utf-8") as file:
                result = json.load(file)
        except (ValueError, OSError, RecursionError):
            result = None
    if isinstance(result, dict) and result.get("status") in (OK, RAISED, MEMORY, EXIT, INTERRUPTED) and returncode == 0:
        return Outcome(result["status"], result.get("value"), str(result.get("error", "")), printed, duration)
    if returncode < 0:
        name = signal.Signals(-returncode).name if -returncode in signal.valid_signals() else str(-returncode)
        hint = " (out of memory?)" if -returncode == signal.SIGKILL else ""
        return Outcome(CRASH, error=f"the process was killed by {name}{hint}", output=printed, seconds=duration)
    if returncode != 0:
        return Outcome(
            EXIT,
            error=f"the process ended early with exit status {returncode} (os._exit?)",
            output=printed,
            seconds=duration,
        )
    return Outcome(EXIT, error="the process ended without a result (os._exit(0)?)", output=printed, seconds=duration)


# The child: its own session, its output to a file, the limits, then import the target, call it,
# write {"status", "value" | "error"} as JSON, and end with os._exit so that nothing the student's
# code registered (atexit) runs after.
def _child(request_path: str) -> None:
    with open(request_path, encoding="utf-8") as file:
        request = json.load(file)
    os.setsid()  # a Ctrl-C at the terminal reaches the grader only; the grader's killpg reaches all
    output = os.open(request["output"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(output, 1)
    os.dup2(output, 2)
    os.close(output)
    sys.path[:0] = [entry for entry in request["path"] if entry not in sys.path]
    resource.setrlimit(resource.RLIMIT_FSIZE, (OUTPUT_LIMIT, OUTPUT_LIMIT))
    result_path = request["result"]
    try:
        function = _import(request["target"])
    except BaseException as error:  # the grader's own module: any failure is reported, not fatal
        _finish(result_path, {"status": RAISED, "error": f"cannot import {request['target']}: " + _describe(error)})
    held = _address_space()
    if held:  # where the system does not say (no /proc), the call runs without a memory limit
        resource.setrlimit(resource.RLIMIT_AS, (held + request["memory_bytes"],) * 2)
    cpu = int(request["seconds"]) + 2  # a backstop, should the grader die and leave this process behind
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
    Path(request["started"]).touch()
    try:
        value = function(*request["args"], **request["kwargs"])
        text = json.dumps({"status": OK, "value": value})
    except SystemExit as error:
        text = json.dumps({"status": EXIT, "error": f"called sys.exit({error.code!r}) (or raised SystemExit)"})
    except KeyboardInterrupt:
        text = json.dumps({"status": INTERRUPTED, "error": "raised KeyboardInterrupt"})
    except MemoryError as error:
        text = json.dumps({"status": MEMORY, "error": "ran out of memory: " + _describe(error)})
    except BaseException as error:
        text = json.dumps({"status": RAISED, "error": _describe(error)})
    _finish(result_path, text)


def _finish(result_path: str, result: dict[str, Any] | str) -> None:
    text = result if isinstance(result, str) else json.dumps(result)
    try:
        with open(result_path, "w", encoding="utf-8") as file:
            file.write(text)
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


def _import(reference: str) -> Callable[..., Any]:
    module_name, _, function_name = reference.rpartition(":")
    if module_name.endswith(".py"):
        spec = importlib.util.spec_from_file_location(Path(module_name).stem, module_name)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot import {module_name}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
    else:
        module = importlib.import_module(module_name)
    return getattr(module, function_name)


def _address_space() -> int:
    """Bytes of address space this process holds now (VmSize), 0 if the system does not say."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _describe(error: BaseException) -> str:
    """'ValueError: message (file.py, line 12)', at the innermost frame, in one line."""
    lines = f"{type(error).__name__}: {error}".splitlines()
    text = lines[0] if lines else type(error).__name__
    frames = traceback.extract_tb(error.__traceback__)
    if frames:
        text += f" ({Path(frames[-1].filename).name}, line {frames[-1].lineno})"
    return text
