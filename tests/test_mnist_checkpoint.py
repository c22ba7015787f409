"""--resume on crafted checkpoints: every entry is checked before it is used, in one line naming it.

A good checkpoint is made in-process from a tiny dataset (40 images, one step per epoch); each
row edits one entry the way a hostile or clumsy hand would, and reading and restoring it must end
in a RunError naming that entry: no RecursionError, no OverflowError, no run that trains on with a
negative learning rate or a schedule that never moves. One row runs the command to check exit 2
and that the checkpoint given is left as it was.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from test_mnist_bad_input import write_dataset

import tinygrad_edu as tg
from mnist.checkpoint import RunError, read_checkpoint, save_checkpoint
from mnist.config import make_config
from mnist.training import TrainingRun

REPO_ROOT = Path(__file__).resolve().parent.parent
DEEP = "[" * 100_000 + "]" * 100_000


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    """A checkpoint after 2 epochs of a 784-8-10 MLP (Adam, cosine schedule), and its data folder."""
    root = tmp_path_factory.mktemp("checkpoint")
    write_dataset(root / "data")
    run = TrainingRun(make_config({"arch": "784-8-10", "epochs": 2, "data_dir": str(root / "data")}))
    run.run(None, show_progress=False, log=lambda line: None)
    save_checkpoint(root / "checkpoint.npz", run)
    return root / "checkpoint.npz"


def edited(good: Path, path: Path, **changes) -> Path:
    state = tg.load(good)
    state.update({key.replace("__", "."): value for key, value in changes.items()})
    tg.save(state, path)
    return path


def history(good: Path, **changes) -> str:
    records = json.loads(tg.load(good)["history"])
    records[0].update(changes)
    return json.dumps(records)


def rng(good: Path, **changes) -> str:
    state = json.loads(tg.load(good)["rng"])
    state["state"].update(changes)
    return json.dumps(state)


# row id: (the entries edited, or a function of the good checkpoint giving them; words the message must hold)
ROWS = {
    "config-deep-json": ({"config": DEEP}, "config: expected"),
    "history-deep-json": ({"history": DEEP}, "history: expected"),
    "rng-deep-json": ({"rng": DEEP}, "rng: expected"),
    "history-wrong-type": (lambda good: {"history": history(good, train_loss="low")}, "history[0].train_loss"),
    "history-unknown-key": (lambda good: {"history": history(good, colour=1)}, "history[0]"),
    "history-accuracy-above-1": (lambda good: {"history": history(good, test_accuracy=7)}, "history[0].test_accuracy"),
    "rng-10**400": (lambda good: {"rng": rng(good, state=10**400)}, "rng: expected"),
    "betas-above-1": ({"optimizer__param_groups__0__betas": np.array([1.5, 2.0])}, "betas: expected two numbers"),
    "betas-other": ({"optimizer__param_groups__0__betas": np.array([0.5, 0.9])}, "as the configuration gives"),
    "lr-negative": ({"optimizer__param_groups__0__lr": -0.1}, "optimizer.param_groups.0.lr: expected"),
    "lr-above-the-schedule": ({"optimizer__param_groups__0__lr": 0.5}, "the schedule's highest"),
    "eps-zero": ({"optimizer__param_groups__0__eps": 0.0}, "optimizer.param_groups.0.eps"),
    "base-lrs-empty": ({"scheduler__base_lrs": np.array([], dtype=np.float64)}, "scheduler.base_lrs"),
    "base-lrs-other": ({"scheduler__base_lrs": np.array([5.0])}, "scheduler.base_lrs"),
    "last-epoch-2**62": ({"scheduler__last_epoch": 2**62}, "scheduler.last_epoch"),
    "last-epoch-off": ({"scheduler__last_epoch": 5}, "scheduler.last_epoch: expected 2 (2 epochs"),
    "adam-step-off": ({"optimizer__state__0__step": 9}, "optimizer.state.0.step"),
    "unknown-entry": ({"notes": "hi"}, "unknown entry 'notes'"),
}


@pytest.mark.parametrize("row", ROWS, ids=list(ROWS))
def test_a_crafted_entry_is_refused_in_one_line_naming_it(good, tmp_path, row):
    changes, says = ROWS[row]
    path = edited(good, tmp_path / "checkpoint.npz", **(changes(good) if callable(changes) else changes))
    with pytest.raises(RunError) as raised:
        checkpoint = read_checkpoint(path)
        run = TrainingRun(checkpoint["config"])
        run.restore(checkpoint)
    message = str(raised.value)
    assert says in message and "\n" not in message and len(message) < 400, message


def test_an_encrypted_checkpoint_is_refused(good, tmp_path):
    data = bytearray(good.read_bytes())
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):  # every member's "encrypted" flag
        start = 0
        while (start := data.find(signature, start)) != -1:
            data[start + offset] |= 0x1
            start += 4
    (tmp_path / "checkpoint.npz").write_bytes(bytes(data))
    with pytest.raises(RunError, match="corrupt checkpoint: .*encrypted"):
        read_checkpoint(tmp_path / "checkpoint.npz")


def test_the_command_exits_2_and_leaves_the_checkpoint_as_it_was(good, tmp_path):
    folder = tmp_path / "run"
    folder.mkdir()
    path = edited(good, folder / "checkpoint.npz", optimizer__param_groups__0__betas=np.array([1.5, 2.0]))
    before = path.read_bytes()
    result = subprocess.run(
        [sys.executable, "-m", "mnist.train", "--no-progress", "--resume", str(path), "--epochs", "3"],
        cwd=tmp_path,
        env=dict(os.environ, PYTHONPATH=str(REPO_ROOT), OPENBLAS_NUM_THREADS="1"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "betas" in result.stderr
    assert path.read_bytes() == before and sorted(p.name for p in folder.iterdir()) == ["checkpoint.npz"]


@pytest.mark.parametrize(
    "schedule, optimizer", [("none", "momentum"), ("step", "sgd"), ("cosine", "adamw"), ("onecycle", "adam")]
)
def test_a_true_checkpoint_of_every_schedule_resumes(good, schedule, optimizer):
    """The checks refuse nothing a run saves: each schedule (onecycle moves momentum and betas too),
    a validation set (val_accuracy in the history), standardized inputs, more epochs on resume."""
    settings = {"arch": "784-8-10", "epochs": 2, "data_dir": str(good.parent / "data"), "batch_size": 8}
    settings.update(schedule=schedule, optimizer=optimizer, val=10, standardize=True)
    run = TrainingRun(make_config(settings))
    run.run(None, show_progress=False, log=lambda line: None)
    save_checkpoint(good.parent / f"{schedule}.npz", run)
    checkpoint = read_checkpoint(good.parent / f"{schedule}.npz")
    resumed = TrainingRun(make_config({**vars(checkpoint["config"]), "epochs": 3}))
    resumed.restore(checkpoint)
    resumed.run(None, show_progress=False, log=lambda line: None)
    assert resumed.epoch == 3 and len(resumed.history) == 3
