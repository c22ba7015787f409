"""BLAS threads chosen for the work: the rule, applying a count, and mnist.train --threads."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tinygrad_edu import threads

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def machine(monkeypatch):
    """Pretend to run on a machine with the given cores and busy cores."""

    def pretend(cores: int, busy: int) -> None:
        monkeypatch.setattr(threads, "cores_available", lambda: cores)
        monkeypatch.setattr(threads, "busy_cores", lambda: busy)

    return pretend


@pytest.mark.parametrize(
    ("cores", "busy", "multiply_adds", "expected"),
    [
        (2, 0, 10 * 784 * 30, 1),  # Nielsen's batch of 10: small, one thread
        (8, 0, threads.SMALL_WORK - 1, 1),  # just under the line
        (2, 0, 128 * 784 * 512, 2),  # the default model on an idle 2-core machine
        (2, 1, 128 * 784 * 512, 1),  # beside one busy process: never more than the free cores
        (2, 5, 128 * 784 * 512, 1),  # an overloaded machine: still one thread
        (8, 3, 10**9, 5),
    ],
)
def test_choose_threads(machine, cores, busy, multiply_adds, expected):
    machine(cores, busy)
    count, reason = threads.choose_threads(multiply_adds)
    assert count == expected
    assert reason  # said in words, for the run's first line


def test_busy_cores_reads_something_sensible():
    assert 0 <= threads.busy_cores() < 10_000
    assert threads.cores_available() >= 1


def test_set_threads_applies_the_count():
    before = threads.blas_threads()
    if before is None:
        pytest.skip("threadpoolctl finds no BLAS library in this NumPy build")
    try:
        threads.set_threads(1)
        assert threads.blas_threads() == 1
    finally:
        threads.set_threads(before)
    with pytest.raises(ValueError, match="positive"):
        threads.set_threads(0)


def run_train(*flags: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "mnist.train", *flags]
    return subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize("value", ["0", "-2"])
def test_non_positive_threads_is_a_one_line_error(value, tmp_path):
    result = run_train("--threads", value, "--out", str(tmp_path / "run"))
    assert result.returncode == 2
    assert "--threads" in result.stderr and value in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "run").exists()


def test_threads_are_printed_first_and_saved(tmp_path):
    flags = ["--arch", "784-16-10", "--limit", "500", "--epochs", "1", "--no-progress"]
    result = run_train(*flags, "--threads", "1", "--out", str(tmp_path / "given"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "BLAS threads: 1 (--threads)"
    metrics = json.loads((tmp_path / "given" / "metrics.json").read_text())
    if threads.blas_threads() is not None:
        assert metrics["blas_threads"] == 1

    result = run_train(*flags, "--out", str(tmp_path / "automatic"))
    assert result.returncode == 0, result.stderr
    first = result.stdout.splitlines()[0]
    assert first.startswith("BLAS threads: 1 (small products")  # 500 x 784 x 16 multiply-adds
