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

Only a regular file is replaced. A symbolic link, a folder, a device node, a FIFO or a socket at
``path`` is refused before anything is written (FileExistsError naming ``path`` and what is there):
moving a file over ``/dev/sda`` or over a link would replace the node or the link itself, which
is never what a save means.
"""

from __future__ import annotations

import errno
import os
import stat
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
    refuse_unless_regular(path)
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
        refuse_unless_regular(path)  # again: something may have appeared there while the file was written
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


KINDS = (
    (stat.S_ISLNK, "a symbolic link"),
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISSOCK, "a socket"),
)


def refuse_unless_regular(path: Path) -> None:
    """Raise FileExistsError, naming ``path``, if something other than a regular file is there."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    if stat.S_ISREG(mode):
        return
    kind = next((name for test, name in KINDS if test(mode)), "not a regular file")
    raise FileExistsError(
        errno.EEXIST, f"{kind} is there, and only a regular file is replaced; nothing was written", str(path)
    )


def current_umask() -> int:
    """The process's umask (reading it means setting it, so it is set straight back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
