"""What the MNIST commands share on the command line: one-line errors, exit codes, flag checks.

Every command checks all of its input (flags, the TOML file, the checkpoint, the output folder)
before it loads data or trains, and reports bad input the same way:

    error: --dropout: expected a number in [0, 1), got 1.5          (stderr, exit code 2)

one line naming the flag or key, what was expected and what was got, never a traceback. Exit
codes: 0 done, 1 a failure while working (disk full, training diverged), 2 bad input, 130
interrupted with Ctrl-C.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

from .checkpoint import RunError
from .data import IDXError, check_folder
from .files import OutputError, reason
from .model import ConfigError

BAD_INPUT = (ConfigError, RunError, IDXError, OutputError)
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr (exit 2), like every other error here."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message} (see --help)\n")


def one_line(error: BaseException) -> str:
    return " ".join(str(error).split())


def report(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run_command(work: Callable[[], int]) -> int:
    """Run a command's work; bad input, system errors and Ctrl-C become one line and an exit code."""
    try:
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, signal.default_int_handler)  # Ctrl-C is KeyboardInterrupt from here on
        return work()
    except BAD_INPUT as error:
        report(f"error: {one_line(error)}")
        return EXIT_BAD_INPUT
    except MemoryError:
        report("error: out of memory; try a smaller --arch, --batch-size or --limit")
        return EXIT_FAILED
    except BrokenPipeError:
        raise  # the reader of our output left (| head): run_main ends quietly
    except OSError as error:
        where = f"{error.filename}: " if error.filename else ""
        report(f"error: {where}{reason(error)}")
        return EXIT_FAILED
    except KeyboardInterrupt:
        report("interrupted")
        return EXIT_INTERRUPTED


def run_main(main: Callable[[], int]) -> int:
    """main()'s exit status; when the reader of a pipe goes away (python -m mnist.train --help | head -1), end
    quietly instead of printing a BrokenPipeError."""
    try:
        try:
            return main()
        finally:
            sys.stdout.flush()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # nothing more reaches the closed pipe
        return 1


def check_not_empty(flag: str, value: str | None, what: str = "a path") -> None:
    """An empty string is a mistake (an unset shell variable), never 'not given'."""
    if value is not None and value.strip() == "":
        raise ConfigError(f"{flag}: expected {what}, got an empty string")


def check_whole(flag: str, value: int | None, low: int, high: int | None = None) -> None:
    """A flag that must be a whole number in [low, high]."""
    if value is None:
        return
    if value < low or (high is not None and value > high):
        expected = f"a whole number from {low} to {high}" if high is not None else f"a whole number >= {low}"
        raise ConfigError(f"{flag}: expected {expected}, got {value}")


def check_data_dir(flag: str, path: str | None) -> None:
    """A --data-dir must be a readable folder (the files in it are checked when they are read)."""
    if path is not None:
        try:
            check_folder(Path(path))
        except IDXError as error:
            raise ConfigError(f"{flag} {error}") from None
