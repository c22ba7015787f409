"""Files written whole or not at all: the one way every file of the project is written.

    with atomic_file(path) as file:          # text (mode "w") or bytes (mode "wb")
        file.write(page)
    with atomic_path(path) as temporary:     # for a writer that takes a path (matplotlib's savefig)
        figure.savefig(temporary)

The content goes to a temporary file in the same folder (``.<name>.<random>.tmp``), is flushed to
disk, and only then moved over ``path`` with ``os.replace``: a crash, a Ctrl-C, a kill or a full
disk leaves the old file or the new one, never half of one. The temporary file is removed when the
block (or the move) fails, and an OSError then names ``path``, the file meant, not the temporary.
A new file gets the usual permissions (0644 under the common umask 022), not mkstemp's 0600.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any


@contextmanager
def atomic_path(path: Path, keep_suffix: bool = False) -> Iterator[Path]:
    """A temporary path beside ``path`` to write to; moved over ``path`` when the block succeeds.

    keep_suffix  name the temporary so that it ends like ``path`` (".index.k2j4.tmp.html" rather
                 than ".index.html.k2j4.tmp"), so whatever watches the writing of a kind of file
                 sees this one too
    """
    if keep_suffix:
        prefix, suffix = f".{path.stem}.", f".tmp{path.suffix}"
    else:
        prefix, suffix = f".{path.name}.", ".tmp"
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=prefix, suffix=suffix)
    try:
        os.fchmod(handle, 0o666 & ~current_umask())  # mkstemp makes 0600; a written file is readable like any other
        os.close(handle)
        yield Path(temporary)
        with open(temporary, "rb+") as file:
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException as error:
        if os.path.exists(temporary):
            os.remove(temporary)
        if isinstance(error, OSError) and error.errno is not None:  # name the file meant, not the temporary
            raise OSError(error.errno, error.strerror or str(error), str(path)) from None
        raise


@contextmanager
def atomic_file(path: Path, mode: str = "w", keep_suffix: bool = False) -> Iterator[IO[Any]]:
    """A file opened for writing (``mode`` "w", text in UTF-8, or "wb") that appears at ``path``
    whole, or not at all (see ``atomic_path``)."""
    with atomic_path(path, keep_suffix) as temporary:
        with open(temporary, mode, encoding=None if "b" in mode else "utf-8") as file:
            yield file


def current_umask() -> int:
    """The process's umask (reading it means setting it, so it is set straight back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
