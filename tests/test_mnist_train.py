"""python -m mnist.train as a user runs it: learning, checkpoints, resume, reproducibility, bad input."""

import gzip
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import tinygrad_edu as tg

REPO_ROOT = Path(__file__).resolve().parent.parent
# Small matrices: one BLAS thread is faster, and far faster when other processes share the cores.
ENV = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
QUICK = ["--arch", "784-32-10", "--limit", "2000", "--no-progress"]


def train(*args, timeout=120):
    return subprocess.run(
        [sys.executable, "-m", "mnist.train", *map(str, args)],
        cwd=REPO_ROOT,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def model_weights(run_dir: Path) -> dict:
    checkpoint = tg.load(run_dir / "checkpoint.npz")
    return {key: value for key, value in checkpoint.items() if key.startswith("model.")}


def without_timings(metrics: dict) -> dict:
    metrics = dict(metrics)
    metrics.pop("train_seconds")
    metrics["history"] = [{k: v for k, v in record.items() if k != "seconds"} for record in metrics["history"]]
    return metrics


def assert_clean_failure(result, *fragments):
    assert result.returncode != 0
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def test_quick_run_learns_and_writes_its_outputs(tmp_path):
    out = tmp_path / "run"
    result = train(*QUICK, "--epochs", 2, "--lr", 0.01, "--val", 200, "--out", out)
    assert result.returncode == 0, result.stderr
    assert "Sequential(" in result.stdout and "parameters: 25,450" in result.stdout
    epoch_lines = [line for line in result.stdout.splitlines() if line.startswith("epoch")]
    assert len(epoch_lines) == 2 and "val acc" in epoch_lines[0] and "test acc" in epoch_lines[0]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["config"]["arch"] == "784-32-10" and metrics["config"]["limit"] == 2000
    assert len(metrics["history"]) == 2 and metrics["train_seconds"] > 0
    assert metrics["test_accuracy"] > 0.8  # chance is 0.1
    checkpoint = tg.load(out / "checkpoint.npz")
    assert checkpoint["epoch"] == 2 and checkpoint["model.0.weight"].shape == (32, 784)
    assert checkpoint["model.0.weight"].dtype == np.float32
    # no pickle anywhere: every entry loads with allow_pickle=False
    with np.load(out / "checkpoint.npz", allow_pickle=False) as archive:
        assert all(archive[key].dtype != object for key in archive.files)


def test_same_seed_same_numbers(tmp_path):
    args = [*QUICK, "--epochs", 2, "--dropout", 0.2, "--seed", 5]
    first = train(*args, "--out", tmp_path / "a")
    second = train(*args, "--out", tmp_path / "b")
    assert first.returncode == 0 and second.returncode == 0
    metrics_a = json.loads((tmp_path / "a" / "metrics.json").read_text())
    metrics_b = json.loads((tmp_path / "b" / "metrics.json").read_text())
    assert without_timings(metrics_a) == without_timings(metrics_b)
    weights_a, weights_b = model_weights(tmp_path / "a"), model_weights(tmp_path / "b")
    assert all(np.array_equal(weights_a[key], weights_b[key]) for key in weights_a)
    other = train(*QUICK, "--epochs", 1, "--dropout", 0.2, "--seed", 6, "--out", tmp_path / "c")
    assert other.returncode == 0
    assert not np.array_equal(model_weights(tmp_path / "c")["model.0.weight"], weights_a["model.0.weight"])


@pytest.mark.parametrize("optimizer", ["adam", "momentum"])
def test_resume_gives_the_same_weights_as_one_run(tmp_path, optimizer):
    # dropout uses the saved generator state; momentum/Adam buffers come from the optimizer state
    args = [*QUICK, "--dropout", 0.3, "--optimizer", optimizer, "--lr", 0.01, "--schedule", "none"]
    straight = train(*args, "--epochs", 2, "--out", tmp_path / "straight")
    assert straight.returncode == 0, straight.stderr
    first = train(*args, "--epochs", 1, "--out", tmp_path / "split")
    assert first.returncode == 0, first.stderr
    resumed = train("--resume", tmp_path / "split" / "checkpoint.npz", "--epochs", 2, "--no-progress")
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming after epoch 1" in resumed.stdout
    weights_straight = model_weights(tmp_path / "straight")
    weights_resumed = model_weights(tmp_path / "split")
    for key in weights_straight:
        np.testing.assert_array_equal(weights_resumed[key], weights_straight[key])
    metrics_straight = json.loads((tmp_path / "straight" / "metrics.json").read_text())
    metrics_resumed = json.loads((tmp_path / "split" / "metrics.json").read_text())
    assert without_timings(metrics_resumed) == without_timings(metrics_straight)


def test_ctrl_c_saves_and_resume_finishes_the_same_run(tmp_path):
    """Interrupt a scheduled run after its first epoch; resuming must end where an uninterrupted run ends."""
    args = ["--arch", "784-32-10", "--limit", "6000", "--batch-size", "32", "--epochs", "3", "--dropout", "0.1"]
    args += ["--no-progress"]
    straight = train(*args, "--out", tmp_path / "straight")
    assert straight.returncode == 0, straight.stderr
    process = subprocess.Popen(
        [sys.executable, "-m", "mnist.train", *args, "--out", str(tmp_path / "cut")],
        cwd=REPO_ROOT,
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    for line in process.stdout:
        if line.startswith("epoch   1/3"):
            process.send_signal(signal.SIGINT)
            break
    _, stderr = process.communicate(timeout=120)
    assert "Traceback" not in stderr
    assert process.returncode in (0, 130), stderr  # 0 only if the run finished before the signal arrived
    if process.returncode == 130:
        assert "interrupted " in stderr and "--resume" in stderr  # during epoch 2, or while saving it
        metrics = json.loads((tmp_path / "cut" / "metrics.json").read_text())
        assert metrics["interrupted"] is True
    resumed = train("--resume", tmp_path / "cut" / "checkpoint.npz", "--no-progress")
    assert resumed.returncode == 0, resumed.stderr
    weights_straight = model_weights(tmp_path / "straight")
    weights_resumed = model_weights(tmp_path / "cut")
    for key in weights_straight:
        np.testing.assert_array_equal(weights_resumed[key], weights_straight[key])


def test_config_file_and_flags(tmp_path):
    config = tmp_path / "run.toml"
    config.write_text('arch = "784-16-10"\nactivation = "tanh"\nepochs = 1\nlimit = 500\nbatch_size = "full"\n')
    result = train("--config", config, "--activation", "sigmoid", "--no-progress", "--out", tmp_path / "run")
    assert result.returncode == 0, result.stderr
    assert "Sigmoid()" in result.stdout and "batch 500" in result.stdout
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["config"]["activation"] == "sigmoid" and metrics["config"]["batch_size"] == "full"


def test_mse_loss_and_sgd_and_standardize_run(tmp_path):
    result = train(
        *QUICK,
        *("--epochs", 1, "--loss", "mse", "--optimizer", "sgd", "--lr", 0.5, "--standardize", "--schedule", "step"),
        *("--out", tmp_path / "run"),
    )
    assert result.returncode == 0, result.stderr
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["config"]["loss"] == "mse" and metrics["config"]["standardize"] is True


# ----- bad input: one line on stderr, a non-zero exit, nothing overwritten -----------------------


def idx_bytes(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(size.to_bytes(4, "big") for size in array.shape)
    return header + array.tobytes()


def write_dataset(folder: Path, train_count: int = 30, label_count: int | None = None) -> None:
    generator = np.random.default_rng(0)
    folder.mkdir(parents=True, exist_ok=True)
    for prefix, count in (("train", train_count), ("t10k", 10)):
        images = generator.integers(0, 256, size=(count, 28, 28), dtype=np.uint8)
        labels = generator.integers(0, 10, size=count if label_count is None else label_count, dtype=np.uint8)
        (folder / f"{prefix}-images-idx3-ubyte.gz").write_bytes(gzip.compress(idx_bytes(images)))
        (folder / f"{prefix}-labels-idx1-ubyte.gz").write_bytes(gzip.compress(idx_bytes(labels)))


def test_other_idx_folder_trains(tmp_path):
    write_dataset(tmp_path / "data")
    result = train("--data-dir", tmp_path / "data", *QUICK, "--epochs", 1, "--out", tmp_path / "run")
    assert result.returncode == 0, result.stderr


def corrupt_truncated(folder: Path) -> None:
    path = folder / "train-images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(gzip.decompress(path.read_bytes())[:-50]))


def corrupt_magic(folder: Path) -> None:
    path = folder / "train-images-idx3-ubyte.gz"
    content = bytearray(gzip.decompress(path.read_bytes()))
    content[2] = 0x42
    path.write_bytes(gzip.compress(bytes(content)))


def corrupt_gzip(folder: Path) -> None:
    path = folder / "t10k-labels-idx1-ubyte.gz"
    path.write_bytes(path.read_bytes()[:15])


def corrupt_checksum(folder: Path) -> None:
    (folder / "SHA256SUMS").write_text("0" * 64 + "  train-labels-idx1-ubyte  (uncompressed)\n")


@pytest.mark.parametrize(
    "corrupt, fragments",
    [
        (corrupt_truncated, ["train-images-idx3-ubyte.gz", "truncated"]),
        (corrupt_magic, ["train-images-idx3-ubyte.gz", "wrong magic number"]),
        (corrupt_gzip, ["t10k-labels-idx1-ubyte.gz", "corrupt or truncated gzip"]),
        (corrupt_checksum, ["train-labels-idx1-ubyte.gz", "SHA-256 mismatch"]),
    ],
)
def test_bad_data_files(tmp_path, corrupt, fragments):
    write_dataset(tmp_path / "data")
    corrupt(tmp_path / "data")
    result = train("--data-dir", tmp_path / "data", *QUICK, "--epochs", 1, "--out", tmp_path / "run")
    assert_clean_failure(result, "error:", *fragments)
    assert not (tmp_path / "run").exists()


def test_counts_that_disagree(tmp_path):
    write_dataset(tmp_path / "data", train_count=30, label_count=29)
    result = train("--data-dir", tmp_path / "data", *QUICK, "--epochs", 1, "--out", tmp_path / "run")
    assert_clean_failure(result, "has 30 images but", "has 29 labels")


def test_missing_data_folder(tmp_path):
    result = train("--data-dir", tmp_path / "nowhere", *QUICK, "--epochs", 1, "--out", tmp_path / "run")
    assert_clean_failure(result, "nowhere", "data folder not found")


def test_corrupt_and_foreign_checkpoints(tmp_path):
    corrupt = tmp_path / "corrupt.npz"
    corrupt.write_bytes(b"PK\x03\x04 this is not really a zip file")
    assert_clean_failure(train("--resume", corrupt, "--no-progress"), "corrupt.npz: corrupt checkpoint")
    foreign = tmp_path / "foreign.npz"
    tg.save({"weights": np.zeros(3)}, foreign)
    assert_clean_failure(train("--resume", foreign, "--no-progress"), "not an MNIST training checkpoint")


def test_incompatible_resume_and_occupied_out_dir(tmp_path):
    out = tmp_path / "run"
    assert train(*QUICK, "--epochs", 1, "--out", out).returncode == 0
    checkpoint = out / "checkpoint.npz"
    before = checkpoint.read_bytes()
    metrics_before = (out / "metrics.json").read_bytes()

    again = train(*QUICK, "--epochs", 1, "--out", out)
    assert_clean_failure(again, "already holds a checkpoint", "--resume")

    other_arch = train("--resume", checkpoint, "--arch", "784-64-10", "--epochs", 2, "--no-progress")
    assert_clean_failure(other_arch, "incompatible with --arch", "784-64-10")

    # a checkpoint whose weights do not fit its own settings (hand-edited or from another version)
    state = tg.load(checkpoint)
    state["model.0.weight"] = np.zeros((5, 784), dtype=np.float32)
    broken = tmp_path / "broken" / "checkpoint.npz"
    broken.parent.mkdir()
    tg.save(state, broken)
    result = train("--resume", broken, "--epochs", 2, "--no-progress")
    assert_clean_failure(result, "incompatible checkpoint", "0.weight")

    assert checkpoint.read_bytes() == before and (out / "metrics.json").read_bytes() == metrics_before

    done = train("--resume", checkpoint, "--no-progress", "--epochs", 1)
    assert done.returncode == 0 and "nothing to do" in done.stdout
    assert checkpoint.read_bytes() == before


def test_default_out_dir_is_under_runs(tmp_path):
    env = dict(ENV, PYTHONPATH=str(REPO_ROOT))
    result = subprocess.run(
        [sys.executable, "-m", "mnist.train", *QUICK, "--epochs", "1"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    (run_dir,) = (tmp_path / "runs").iterdir()
    assert (run_dir / "checkpoint.npz").is_file() and (run_dir / "metrics.json").is_file()


def test_out_dir_with_another_runs_metrics_is_refused(tmp_path):
    (tmp_path / "metrics.json").write_text("{}")
    result = train(*QUICK, "--epochs", 1, "--out", tmp_path)
    assert_clean_failure(result, "already holds the metrics.json of another run")
    assert (tmp_path / "metrics.json").read_text() == "{}"
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("x")
    assert_clean_failure(train(*QUICK, "--epochs", 1, "--out", not_a_folder), "exists and is not a folder")
