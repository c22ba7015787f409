"""mnist/files.py: atomic writes, output folders checked and created, run folders locked and unique."""

import os
import time

import pytest

from mnist.files import OutputError, RunFolder, prepare_folder, remove_temporaries, write_json, write_text


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "results.md"
    write_text(path, "old\n")
    with pytest.raises(TypeError):
        write_json(path, {"not JSON": object()})
    assert path.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.md"]


def test_written_files_get_the_usual_permissions(tmp_path):
    previous = os.umask(0o022)
    try:
        write_text(tmp_path / "a.txt", "x")
    finally:
        os.umask(previous)
    assert (tmp_path / "a.txt").stat().st_mode & 0o777 == 0o644


def test_prepare_folder_creates_and_refuses(tmp_path):
    created = prepare_folder(tmp_path / "a" / "b", "--out")
    assert created == [tmp_path / "a", tmp_path / "a" / "b"] and (tmp_path / "a" / "b").is_dir()
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputError, match="--out .*file: exists and is not a folder"):
        prepare_folder(tmp_path / "file", "--out")
    with pytest.raises(OutputError, match="--out .*is under .*file, which is not a folder"):
        prepare_folder(tmp_path / "file" / "sub", "--out")
    with pytest.raises(OutputError, match="--out: expected a folder, got an empty string"):
        prepare_folder("", "--out")


def test_a_locked_folder_is_refused_until_released(tmp_path):
    first = RunFolder.open(tmp_path / "run", "--out")
    with pytest.raises(OutputError, match=f"in use by another run \\(process {os.getpid()}\\)"):
        RunFolder.open(tmp_path / "run", "--out")
    first.release()
    RunFolder.open(tmp_path / "run", "--out").release()


def test_timestamped_folders_are_unique_within_a_second(tmp_path):
    folders = [RunFolder.new_timestamped(tmp_path / "runs", "--out") for _ in range(3)]
    assert len({folder.path for folder in folders}) == 3
    assert all(folder.path.is_dir() for folder in folders)


def test_abandon_removes_what_the_run_created(tmp_path):
    folder = RunFolder.open(tmp_path / "new" / "run", "--out")
    folder.abandon()
    assert list(tmp_path.iterdir()) == []


def test_leftover_temporaries_are_removed_when_stale(tmp_path):
    stale = tmp_path / ".checkpoint.npz.abc123.tmp"
    stale.write_bytes(b"half a checkpoint")
    fresh = tmp_path / ".most_wrong.png.def456.tmp"
    fresh.write_bytes(b"a picture being written")
    old = time.time() - 3600
    os.utime(stale, (old, old))
    assert remove_temporaries(tmp_path, ("most_wrong.png",), older_than=600) == []
    assert remove_temporaries(tmp_path, older_than=600) == [stale]
    assert fresh.exists()
    RunFolder.open(tmp_path, "--out").release()  # a run folder opened: every leftover goes
    assert not fresh.exists()


def test_a_full_disk_names_the_file_meant_and_keeps_the_old_one(tmp_path, monkeypatch):
    import errno

    path = tmp_path / "metrics.json"
    write_text(path, "{}\n")

    def full(descriptor):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OSError, match="No space left on device") as caught:
        write_json(path, {"epoch": 2})
    assert caught.value.filename == str(path)
    assert path.read_text() == "{}\n" and [p.name for p in tmp_path.iterdir()] == ["metrics.json"]
