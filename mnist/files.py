"""The files the MNIST commands write: output folders checked first, atomic writes, run locks.

    folder = RunFolder.open(Path("runs/quick"), "--out")   # checked, created, locked
    write_json(folder.path / "metrics.json", metrics)      # atomic
    ...
    folder.release()

Every file is written to a temporary file in the same folder (``.<name>.<random>.tmp``), flushed
to disk and moved over the target with ``os.replace``, so a crash, a Ctrl-C, a kill or a full
disk leaves the old file or the new one, never half of one. Opening a run folder removes the
temporary files a killed earlier write left behind.

A run folder is held by one process at a time: ``RunFolder.open`` takes an exclusive lock on
``<folder>/run.lock`` (``fcntl.flock``, released by the system when the process ends, even
after kill -9), so a second run given the same folder is refused instead of overwriting the
first. Folders of their own (``runs/<timestamp>``) are created with ``os.mkdir``, which fails
when another run created the same name first; the next free suffix (``-2``, ``-3``) is taken.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tinygrad_edu.io.atomic import atomic_path

try:
    import fcntl
except ImportError:  # Windows: no locks, everything else works
    fcntl = None  # type: ignore[assignment]

LOCK_NAME = "run.lock"
TEMPORARY_PATTERNS = (".*.tmp", ".*.tmp.*")


class OutputError(ValueError):
    """An output folder or file that cannot be used: not a folder, read-only, in use, disk full."""


def reason(error: OSError) -> str:
    """'Permission denied', 'No space left on device', ...: the system's words for an OSError."""
    return error.strerror or str(error)


# ----- atomic writes -----------------------------------------------------------------------------


def write_text(path: Path, text: str) -> None:
    with atomic_path(path) as temporary:
        temporary.write_text(text, encoding="utf-8")


def write_json(path: Path, content: Any) -> None:
    write_text(path, json.dumps(content, indent=2) + "\n")


def write_picture(draw: Callable[[Path], Any], path: Path) -> None:
    """Call ``draw(temporary_path)`` (a plotting function that saves a PNG there), then move it into place."""
    with atomic_path(path) as temporary:
        draw(temporary)


# ----- output folders ----------------------------------------------------------------------------


def prepare_folder(path: Path, flag: str) -> list[Path]:
    """Check that ``path`` can take output files and create it; the folders created, outermost first.

    OutputError names the flag when the path is empty, a file (or under one), a device such as
    /dev/null, not writable, or cannot be created.
    """
    if str(path).strip() == "":
        raise OutputError(f"{flag}: expected a folder, got an empty string")
    missing = []
    existing = path
    while not os.path.lexists(existing) and existing != existing.parent:
        missing.append(existing)
        existing = existing.parent
    if not existing.is_dir():
        where = "exists and is not a folder" if existing == path else f"is under {existing}, which is not a folder"
        raise OutputError(f"{flag} {path}: {where}")
    created = []
    for folder in reversed(missing):
        try:
            folder.mkdir()
        except FileExistsError:
            if not folder.is_dir():
                raise OutputError(f"{flag} {path}: {folder} exists and is not a folder") from None
            continue
        except OSError as error:
            raise OutputError(f"{flag} {path}: cannot create the folder {folder} ({reason(error)})") from None
        created.append(folder)
    check_writable(path, flag)
    return created


def check_writable(path: Path, flag: str) -> None:
    """Create and remove a file in ``path``: the one reliable test (os.access ignores read-only mounts)."""
    try:
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as error:
        raise OutputError(f"{flag} {path}: cannot write files there ({reason(error)})") from None


def remove_temporaries(folder: Path, names: tuple[str, ...] | None = None, older_than: float = 0.0) -> list[Path]:
    """Delete the temporary files that writes killed before their os.replace left in ``folder``.

    names       only the temporaries of these files (default: all)
    older_than  only those last written this many seconds ago or more (a write in progress is younger)
    """
    patterns = TEMPORARY_PATTERNS if names is None else tuple(f".{name}.*.tmp" for name in names)
    removed = []
    for pattern in patterns:
        for leftover in folder.glob(pattern):
            try:
                if leftover.is_file() and time.time() - leftover.stat().st_mtime >= older_than:
                    leftover.unlink()
                    removed.append(leftover)
            except FileNotFoundError:  # its writer finished or removed it meanwhile
                continue
    return removed


class RunFolder:
    """An output folder this process holds: checked, created if needed, locked, cleaned of leftovers."""

    def __init__(self, path: Path, flag: str, created: list[Path]):
        self.path = path
        self.flag = flag
        self.created = created
        self._lock_handle: int | None = None

    @classmethod
    def open(cls, path: Path, flag: str) -> RunFolder:
        """Check and create ``path``, lock it (OutputError if another process holds it), remove leftovers."""
        folder = cls(path, flag, prepare_folder(path, flag))
        try:
            folder._lock()
        except BaseException:
            folder.abandon()
            raise
        remove_temporaries(path)
        return folder

    @classmethod
    def new_timestamped(cls, parent: Path, flag: str) -> RunFolder:
        """A new folder ``parent/<UTC timestamp>``, never one another run created (os.mkdir is exclusive)."""
        created = prepare_folder(parent, flag)
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        suffix = 1
        while True:
            candidate = parent / (stamp if suffix == 1 else f"{stamp}-{suffix}")
            try:
                candidate.mkdir()
                break
            except FileExistsError:
                suffix += 1
            except OSError as error:
                raise OutputError(f"{flag} {candidate}: cannot create the folder ({reason(error)})") from None
        folder = cls(candidate, flag, [*created, candidate])
        folder._lock()
        return folder

    def _lock(self) -> None:
        lock_path = self.path / LOCK_NAME
        try:
            handle = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError as error:
            raise OutputError(f"{self.flag} {self.path}: cannot create {LOCK_NAME} ({reason(error)})") from None
        if fcntl is not None:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.read(handle, 32).decode("ascii", "replace").strip()
                os.close(handle)
                by = f" (process {holder})" if holder.isdigit() else ""
                raise OutputError(
                    f"{self.flag} {self.path} is in use by another run{by}; wait for it to finish or choose "
                    "another folder"
                ) from None
        os.ftruncate(handle, 0)
        os.write(handle, f"{os.getpid()}\n".encode("ascii"))
        self._lock_handle = handle

    def release(self) -> None:
        """Let other processes use the folder (the system also does this when the process ends)."""
        if self._lock_handle is not None:
            os.close(self._lock_handle)
            self._lock_handle = None

    def abandon(self) -> None:
        """Nothing was written: remove the lock file and the folders this run created, if empty."""
        if self._lock_handle is not None:
            (self.path / LOCK_NAME).unlink(missing_ok=True)
            self.release()
        remove_empty(self.created)


def remove_empty(created: list[Path]) -> None:
    """Remove the folders prepare_folder created (outermost first in the list), innermost first, if empty."""
    for folder in reversed(created):
        try:
            folder.rmdir()
        except OSError:
            break
