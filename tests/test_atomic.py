"""tinygrad_edu/atomic.py: a file appears whole or not at all, with the usual permissions."""

import errno
import os

import pytest

from tinygrad_edu.io.atomic import atomic_file, atomic_path


def test_the_file_appears_only_when_the_block_succeeds(tmp_path):
    path = tmp_path / "index.html"
    path.write_text("old", encoding="utf-8")
    with pytest.raises(KeyboardInterrupt):
        with atomic_file(path) as file:
            file.write("half of the new")
            raise KeyboardInterrupt
    assert path.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["index.html"]
    with atomic_file(path) as file:
        file.write("new ✓")
    assert path.read_text(encoding="utf-8") == "new ✓"
    assert [p.name for p in tmp_path.iterdir()] == ["index.html"]


def test_bytes_and_a_writer_that_takes_a_path(tmp_path):
    with atomic_file(tmp_path / "a.bin", "wb") as file:
        file.write(b"\x00\x01")
    with atomic_path(tmp_path / "b.bin") as temporary:
        temporary.write_bytes(b"\x02")
    assert (tmp_path / "a.bin").read_bytes() == b"\x00\x01" and (tmp_path / "b.bin").read_bytes() == b"\x02"


def test_the_temporary_is_hidden_beside_the_file_and_may_keep_its_suffix(tmp_path):
    with atomic_path(tmp_path / "index.html") as temporary:
        assert temporary.parent == tmp_path and temporary.name.startswith(".index.html.")
        assert temporary.name.endswith(".tmp")
    with atomic_path(tmp_path / "index.html", keep_suffix=True) as temporary:
        assert temporary.name.startswith(".index.") and temporary.name.endswith(".tmp.html")


def test_written_files_get_the_usual_permissions(tmp_path):
    previous = os.umask(0o022)
    try:
        with atomic_file(tmp_path / "a.txt") as file:
            file.write("x")
    finally:
        os.umask(previous)
    assert (tmp_path / "a.txt").stat().st_mode & 0o777 == 0o644


def test_a_full_disk_names_the_file_meant_and_keeps_the_old_one(tmp_path, monkeypatch):
    path = tmp_path / "model.npz"
    path.write_bytes(b"old")

    def full(descriptor):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OSError, match="No space left on device") as caught:
        with atomic_file(path, "wb") as file:
            file.write(b"new")
    assert caught.value.errno == errno.ENOSPC and caught.value.filename == str(path)
    assert path.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["model.npz"]


@pytest.mark.parametrize("kind", ["symlink", "fifo", "folder"])
def test_only_a_regular_file_is_replaced(tmp_path, kind):
    target = tmp_path / "target.txt"
    target.write_text("keep", encoding="utf-8")
    path = tmp_path / "index.html"
    if kind == "symlink":
        path.symlink_to(target)
    elif kind == "fifo":
        os.mkfifo(path)
    else:
        path.mkdir()
    with pytest.raises(FileExistsError, match="only a regular file is replaced") as raised:
        with atomic_file(path) as file:
            file.write("new")
    assert raised.value.filename == str(path)
    assert target.read_text(encoding="utf-8") == "keep" and path.is_symlink() == (kind == "symlink")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["index.html", "target.txt"]
