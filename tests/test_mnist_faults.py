"""Faults during mnist.train: Ctrl-C and kill -9 in the middle of a checkpoint write, a full disk, runs
started at once. Whatever happens, the checkpoint on disk stays loadable, every message is true,
metrics.json agrees with the checkpoint, and no temporary file outlives the next run.

The run is started through a small launcher that wraps ``os.fsync`` (called once per file written,
just before the file is moved into place): on the chosen calls it leaves a marker file and sleeps,
so the test can send its signal while that write is in progress, or it fails like a full disk.
"""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import tinygrad_edu as tg

REPO_ROOT = Path(__file__).resolve().parent.parent
ENV = dict(os.environ, PYTHONPATH=str(REPO_ROOT), OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")

LAUNCHER = """
import errno, os, runpy, sys, time
markers, calls, mode = os.environ["FAULT_MARKERS"], {int(n) for n in os.environ["FAULT_CALLS"].split(",")}, \
    os.environ.get("FAULT_MODE", "sleep")
real_fsync, count = os.fsync, [0]
def fsync(fd):
    count[0] += 1
    if count[0] in calls:
        if mode == "disk-full":
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        open(os.path.join(markers, f"fsync-{count[0]}"), "w").close()
        time.sleep(60)
    return real_fsync(fd)
os.fsync = fsync
sys.argv = ["mnist.train", *sys.argv[1:]]
runpy.run_module("mnist.train", run_name="__main__", alter_sys=True)
"""


def idx_bytes(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(size.to_bytes(4, "big") for size in array.shape)
    return header + array.tobytes()


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("data")
    generator = np.random.default_rng(0)
    for prefix, count in (("train", 60), ("t10k", 20)):
        images = generator.integers(0, 256, size=(count, 28, 28), dtype=np.uint8)
        labels = np.arange(count, dtype=np.uint8) % 10
        (folder / f"{prefix}-images-idx3-ubyte.gz").write_bytes(gzip.compress(idx_bytes(images)))
        (folder / f"{prefix}-labels-idx1-ubyte.gz").write_bytes(gzip.compress(idx_bytes(labels)))
    return folder


def quick(data_dir: Path, epochs: int) -> list[str]:
    return ["--data-dir", str(data_dir), "--arch", "784-8-10", "--epochs", str(epochs), "--no-progress"]


def start(args: list[str], cwd: Path, calls: str = "0", mode: str = "sleep") -> subprocess.Popen:
    """mnist.train through the launcher; fsync calls listed in ``calls`` pause (or fail, mode='disk-full')."""
    markers = cwd / "markers"
    markers.mkdir(exist_ok=True)
    return subprocess.Popen(
        [sys.executable, "-c", LAUNCHER, *args],
        cwd=cwd,
        env=dict(ENV, FAULT_MARKERS=str(markers), FAULT_CALLS=calls, FAULT_MODE=mode),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def wait_for_marker(process: subprocess.Popen, cwd: Path, call: int) -> None:
    marker = cwd / "markers" / f"fsync-{call}"
    deadline = time.monotonic() + 120
    while not marker.exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the write never started"
        time.sleep(0.02)


def interrupt(args: list[str], cwd: Path, calls: str, signal_at: list[int]) -> tuple[int, str]:
    """Run with the fsync calls ``calls`` paused, SIGINT sent at each of ``signal_at``: (exit code, message)."""
    process = start(args, cwd, calls=calls)
    for call in signal_at:
        wait_for_marker(process, cwd, call)
        process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    return process.returncode, one_line(stderr)


def train(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mnist.train", *args], cwd=cwd, env=ENV, capture_output=True, text=True, timeout=120
    )


def temporaries(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.glob(".*tmp*"))


def one_line(stderr: str) -> str:
    assert "Traceback" not in stderr, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


def test_ctrl_c_during_the_first_checkpoint_write_keeps_nothing_and_says_so(tmp_path, data_dir):
    out = tmp_path / "run"
    status, message = interrupt([*quick(data_dir, 2), "--out", str(out)], tmp_path, calls="1", signal_at=[1])
    assert status == 130
    assert "while saving the checkpoint of epoch 1" in message and "nothing was kept" in message
    assert "is in" not in message
    assert not out.exists()  # the folder this run created, removed again: nothing in it was finished
    again = train([*quick(data_dir, 1), "--out", str(out)], tmp_path)
    assert again.returncode == 0, again.stderr
    assert temporaries(out) == []


def test_ctrl_c_during_a_later_write_names_the_epoch_the_file_holds(tmp_path, data_dir):
    out = tmp_path / "run"
    status, message = interrupt([*quick(data_dir, 3), "--out", str(out)], tmp_path, calls="2", signal_at=[2])
    assert status == 130
    assert "while saving the checkpoint of epoch 2" in message
    assert f"the checkpoint of epoch 1 is in {out / 'checkpoint.npz'}" in message
    assert tg.load(out / "checkpoint.npz")["epoch"] == 1
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["epochs_completed"] == 1 and len(metrics["history"]) == 1 and metrics["interrupted"] is True
    assert temporaries(out) == []
    resumed = train(["--resume", str(out / "checkpoint.npz"), "--no-progress"], tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming after epoch 1" in resumed.stdout and tg.load(out / "checkpoint.npz")["epoch"] == 3


def test_kill_9_during_a_write_leaves_the_old_checkpoint_and_the_next_run_cleans_up(tmp_path, data_dir):
    out = tmp_path / "run"
    process = start([*quick(data_dir, 2), "--out", str(out)], tmp_path, calls="2")
    wait_for_marker(process, tmp_path, 2)
    process.kill()
    process.communicate(timeout=60)
    assert tg.load(out / "checkpoint.npz")["epoch"] == 1
    assert len(temporaries(out)) == 1  # the killed write's temporary file, complete but never moved
    resumed = train(["--resume", str(out), "--no-progress"], tmp_path)  # the lock died with the process
    assert resumed.returncode == 0, resumed.stderr
    assert tg.load(out / "checkpoint.npz")["epoch"] == 2
    assert temporaries(out) == []


def test_a_second_ctrl_c_while_metrics_are_written_still_exits_cleanly(tmp_path, data_dir):
    out = tmp_path / "run"
    # the first during the checkpoint of epoch 2, the second during the metrics.json written on the way out
    status, message = interrupt([*quick(data_dir, 3), "--out", str(out)], tmp_path, calls="2,3", signal_at=[2, 3])
    assert status == 130
    assert "interrupted again" in message and "the checkpoint of epoch 1 is in" in message
    assert tg.load(out / "checkpoint.npz")["epoch"] == 1
    assert temporaries(out) == []


def test_ctrl_c_after_the_last_epoch_exits_cleanly(tmp_path, data_dir):
    out = tmp_path / "run"
    # fsync 2 is the final metrics.json's
    status, message = interrupt([*quick(data_dir, 1), "--out", str(out)], tmp_path, calls="2", signal_at=[2])
    assert status == 130
    assert "after the last epoch" in message and "the checkpoint of epoch 1 is in" in message
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["epochs_completed"] == 1 and metrics["interrupted"] is False
    assert temporaries(out) == []


def test_a_full_disk_is_one_line_and_keeps_the_last_checkpoint(tmp_path, data_dir):
    out = tmp_path / "run"
    process = start([*quick(data_dir, 3), "--out", str(out)], tmp_path, calls="2", mode="disk-full")
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 1
    message = one_line(stderr)
    assert "cannot save the checkpoint of epoch 2: No space left on device" in message
    assert "the checkpoint of epoch 1 is in" in message
    assert tg.load(out / "checkpoint.npz")["epoch"] == 1
    assert json.loads((out / "metrics.json").read_text())["epochs_completed"] == 1
    assert temporaries(out) == []


def test_runs_started_together_get_folders_of_their_own(tmp_path, data_dir):
    processes = [start(quick(data_dir, 1), tmp_path) for _ in range(3)]
    for process in processes:
        _, stderr = process.communicate(timeout=120)
        assert process.returncode == 0, stderr
    folders = sorted((tmp_path / "runs").iterdir())
    assert len(folders) == 3
    assert all(tg.load(folder / "checkpoint.npz")["epoch"] == 1 for folder in folders)


def test_a_folder_in_use_by_another_run_is_refused(tmp_path, data_dir):
    out = tmp_path / "run"
    first = start([*quick(data_dir, 2), "--out", str(out)], tmp_path, calls="1")
    wait_for_marker(first, tmp_path, 1)  # the first run holds the folder, writing its first checkpoint
    try:
        second = train([*quick(data_dir, 1), "--out", str(out)], tmp_path)
        assert second.returncode == 2
        message = one_line(second.stderr)
        assert f"--out {out} is in use by another run (process {first.pid})" in message
    finally:
        first.kill()
        first.communicate(timeout=60)


def test_ctrl_c_while_python_imports_numpy_is_one_line_and_exit_130(tmp_path, data_dir):
    """SIGINT once mnist.train has begun its imports (the first ~0.5 s: NumPy, tinygrad_edu), told by
    -X importtime's report of NumPy: one line, exit 130, no traceback, no run folder."""
    process = subprocess.Popen(
        [sys.executable, "-X", "importtime", "-m", "mnist.train", *quick(data_dir, 1), "--out", str(tmp_path / "run")],
        cwd=tmp_path,
        env=ENV,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    assert process.stderr is not None
    for line in process.stderr:
        if line.split("|")[-1].strip() == "numpy":
            break
    process.send_signal(signal.SIGINT)  # (had numpy never been reported, the run would end before this)
    rest = process.stderr.read()
    assert process.wait(timeout=60) == 130, rest
    assert "Traceback" not in rest
    assert [line for line in rest.splitlines() if "import time:" not in line] == [
        "interrupted while starting; nothing written"
    ]
    assert not (tmp_path / "run").exists()
