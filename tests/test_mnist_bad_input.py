"""Bad input to every mnist command: one table, one row per mistake a careless or hostile user makes.

Each row runs the command as a user does (a subprocess) and asserts exit code 2, one line on
stderr naming the flag or key, and no traceback; for mnist.train also that no run folder was
left behind. The checks come before any data is loaded, so each row takes a fraction of a second.
Rows about file permissions run without the capabilities that let root ignore permissions
(``setpriv --bounding-set -dac_override,-dac_read_search``) when the tests run as root.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pytest

import tinygrad_edu as tg

REPO_ROOT = Path(__file__).resolve().parent.parent
ENV = dict(os.environ, PYTHONPATH=str(REPO_ROOT), OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
WITHOUT_ROOT_PRIVILEGES = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", "--"]
QUICK = ["--no-progress", "--data-dir", "{data}", "--arch", "784-8-10", "--epochs", "1"]
THIRTY_DIGITS = "9" * 30


# ----- the files the rows refer to ({name} in an argument) ---------------------------------------


def idx_bytes(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(size.to_bytes(4, "big") for size in array.shape)
    return header + array.tobytes()


def write_dataset(folder: Path) -> None:
    generator = np.random.default_rng(0)
    folder.mkdir()
    for prefix, count in (("train", 40), ("t10k", 20)):
        images = generator.integers(0, 256, size=(count, 28, 28), dtype=np.uint8)
        labels = np.arange(count, dtype=np.uint8) % 10
        (folder / f"{prefix}-images-idx3-ubyte.gz").write_bytes(gzip.compress(idx_bytes(images)))
        (folder / f"{prefix}-labels-idx1-ubyte.gz").write_bytes(gzip.compress(idx_bytes(labels)))


def edited_checkpoint(good: Path, path: Path, **changes) -> None:
    """A copy of a good checkpoint with entries replaced (None removes an entry)."""
    state = tg.load(good)
    for key, value in changes.items():
        key = key.replace("__", ".")
        if value is None:
            state = {k: v for k, v in state.items() if k != key and not k.startswith(key + ".")}
        else:
            state[key] = value
    tg.save(state, path)


def npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array)
    return buffer.getvalue()


def make_assets(root: Path) -> dict[str, str]:
    """Every file a row names, built once; {name: path}."""
    paths: dict[str, str] = {}

    def add(name: str, path: Path) -> Path:
        paths[name] = str(path)
        return path

    write_dataset(add("data", root / "data"))
    quick = [arg.replace("{data}", paths["data"]) for arg in QUICK]
    good = add("ckpt", root / "good" / "checkpoint.npz")
    standardized = add("ckpt_std", root / "std" / "checkpoint.npz")
    for checkpoint, extra in ((good, []), (standardized, ["--standardize"])):
        result = subprocess.run(
            [sys.executable, "-m", "mnist.train", *quick, *extra, "--out", str(checkpoint.parent)],
            cwd=root,
            env=ENV,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr

    toml = {
        "toml_dropout_text": 'dropout = "0.1"\n',
        "toml_arch_number": "arch = 784\n",
        "toml_arch_list_text": 'arch = [784, "a", 10]\n',
        "toml_activation_list": 'activation = ["relu"]\n',
        "toml_standardize_text": 'standardize = "no"\n',
        "toml_weight_decay_bool": "weight_decay = true\n",
        "toml_batch_twice": "batch-size = 64\nbatch_size = 32\n",
        "toml_unknown": 'colour = "blue"\n',
        "toml_epochs_float": "epochs = 1.5\n",
        "toml_lr_text": 'lr = "fast"\n',
        "toml_lr_nan": "lr = nan\n",
        "toml_table": "[model]\narch = 784\n",
        "toml_seed_negative": "seed = -1\n",
        "toml_batch_text": 'batch_size = "128"\n',
        "toml_data_dir_empty": 'data_dir = ""\n',
        "toml_syntax": "epochs = \n",
    }
    for name, text in toml.items():
        add(name, root / f"{name}.toml").write_text(text)
    add("toml_latin1", root / "latin1.toml").write_bytes('activation = "réLU"\n'.encode("latin-1"))
    os.mkfifo(add("fifo", root / "fifo.toml"))
    add("a_file", root / "a_file.txt").write_text("epoch = 3\n")
    add("folder", root / "folder").mkdir()
    readonly = add("readonly", root / "readonly")
    readonly.mkdir()
    readonly.chmod(0o555)
    unreadable = add("unreadable", root / "unreadable")
    write_dataset(unreadable)
    unreadable.chmod(0o000)
    unsearchable = add("unsearchable", root / "unsearchable")
    write_dataset(unsearchable)
    unsearchable.chmod(0o444)  # its names can be listed, its files not opened

    add("garbage", root / "garbage.npz").write_bytes(b"PK\x03\x04 this is not really a zip file")
    claims = add("claims", root / "claims.npz")
    with zipfile.ZipFile(claims, "w") as archive:
        archive.writestr("epoch.npy", npy_bytes(np.zeros(10)).replace(b"(10,)", b"(1000000000000,)"))
    bomb = add("bomb", root / "bomb.npz")
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        with archive.open("model.0.weight.npy", "w", force_zip64=True) as entry:
            size = 2**27 + 2**20  # float64 values: 1.08 GB, more than tg.load's default bound
            np.lib.format.write_array_header_2_0(entry, {"descr": "<f8", "fortran_order": False, "shape": (size,)})
            zeros = bytes(2**24)
            for _ in range(size * 8 // len(zeros)):
                entry.write(zeros)
    pickled = add("pickled", root / "pickled.npz")
    np.savez(pickled, format=np.array([{"a": 1}], dtype=object))
    foreign = add("foreign", root / "foreign.npz")
    tg.save({"weights": np.zeros(3)}, foreign)

    edits = {
        "config_list": {"config": json.dumps(["784-8-10"])},
        "config_text": {"config": "not json"},
        "config_bad_value": {"config": json.dumps({"arch": "784-8-10", "dropout": "0.1"})},
        "epoch_text": {"epoch": "two"},
        "epoch_negative": {"epoch": -1},
        "history_dict": {"history": json.dumps({"epoch": 1})},
        "no_model": {"model": None},
        "nan_weights": {"model__0__weight": np.full((8, 784), np.nan, dtype=np.float32)},
        "inf_bias": {"model__2__bias": np.array([np.inf] * 10, dtype=np.float32)},
        "weights_text": {"model__0__weight": "zeros"},
        "rng_text": {"rng": 5},
        "lr_text": {"optimizer__param_groups__0__lr": "fast"},
        "lr_nan": {"optimizer__param_groups__0__lr": float("nan")},
        "betas_text": {"optimizer__param_groups__0__betas": "x"},
        "step_text": {"optimizer__state__0__step": "x"},
        "last_epoch_text": {"scheduler__last_epoch": "x"},
        "seconds_text": {"train_seconds": "x"},
    }
    for name, changes in edits.items():
        edited_checkpoint(good, add(name, root / f"{name}.npz"), **changes)
    edited_checkpoint(standardized, add("std_no_stats", root / "std_no_stats.npz"), normalization=None)
    add("std_zero", root / "std_zero.npz")
    edited_checkpoint(standardized, Path(paths["std_zero"]), normalization__std=0.0)
    occupied = add("occupied", root / "occupied")
    occupied.mkdir()
    shutil.copy(good, occupied / "checkpoint.npz")
    return paths


@pytest.fixture(scope="module")
def assets():
    root = Path(tempfile.mkdtemp(prefix="mnist-bad-input-"))
    try:
        yield root, make_assets(root)
    finally:
        for path in (root / "readonly", root / "unreadable", root / "unsearchable"):
            if path.exists():
                path.chmod(0o755)
        shutil.rmtree(root, ignore_errors=True)


# ----- the table: (command, arguments, fragments the one-line message must contain, options) -------

T, E, X, M = "mnist.train", "mnist.evaluate", "mnist.experiments", "mnist.model"
CASES = [
    # mnist.train: every flag
    (T, ["--arch", "784-x-10"], ["--arch", "784-x-10"]),
    (T, ["--arch", "784"], ["--arch", "an input and an output"]),
    (T, ["--arch", "100-10"], ["--arch", "784"]),
    (T, ["--arch", ""], ["--arch"]),
    (T, ["--arch", "784-0-10"], ["--arch"]),
    (T, ["--arch", f"784-{THIRTY_DIGITS}-10"], ["--arch"]),
    (T, ["--arch", "784-100000000-10"], ["--arch", "memory"]),
    (T, ["--arch", "784-10000-10000-10"], ["--arch", "checkpoint"], {"late": True}),
    (T, ["--arch", "784-32-5"], ["--arch", "labels up to 9"], {"late": True}),
    (T, ["--activation", "swish"], ["--activation", "swish"]),
    (T, ["--activation", ""], ["--activation"]),
    (T, ["--dropout", "1.5"], ["--dropout", "1.5"]),
    (T, ["--dropout", "nan"], ["--dropout"]),
    (T, ["--dropout", "x"], ["--dropout"]),
    (T, ["--input-dropout", "-0.1"], ["--input-dropout"]),
    (T, ["--input-dropout", "inf"], ["--input-dropout"]),
    (T, ["--epochs", "0"], ["--epochs"]),
    (T, ["--epochs", "-3"], ["--epochs"]),
    (T, ["--epochs", "two"], ["--epochs"]),
    (T, ["--epochs", "1.5"], ["--epochs"]),
    (T, ["--batch-size", "0"], ["--batch-size"]),
    (T, ["--batch-size", "-5"], ["--batch-size"]),
    (T, ["--batch-size", "half"], ["--batch-size", "half"]),
    (T, ["--batch-size", ""], ["--batch-size"]),
    (T, ["--batch-size", "1000000000", "--arch", "784-1000000-10"], ["--batch-size", "memory"]),
    (T, ["--lr", "0"], ["--lr"]),
    (T, ["--lr", "-0.1"], ["--lr"]),
    (T, ["--lr", "nan"], ["--lr"]),
    (T, ["--lr", "inf"], ["--lr"]),
    (T, ["--lr", "fast"], ["--lr"]),
    (T, ["--optimizer", "rmsprop"], ["--optimizer", "rmsprop"]),
    (T, ["--optimizer", ""], ["--optimizer"]),
    (T, ["--momentum", "1"], ["--momentum"]),
    (T, ["--momentum", "nan"], ["--momentum"]),
    (T, ["--weight-decay", "-1"], ["--weight-decay"]),
    (T, ["--weight-decay", "nan"], ["--weight-decay"], {"absent": ["--lr"]}),
    (T, ["--weight-decay", "inf"], ["--weight-decay"]),
    (T, ["--schedule", "warm"], ["--schedule", "warm"]),
    (T, ["--loss", "hinge"], ["--loss", "hinge"]),
    (T, ["--seed", "-1"], ["--seed"]),
    (T, ["--seed", "x"], ["--seed"]),
    (T, ["--limit", "0"], ["--limit"]),
    (T, ["--limit", "-1"], ["--limit"]),
    (T, ["--val", "-1"], ["--val"]),
    (T, ["--val", "500", "--limit", "30"], ["--val"], {"late": True}),
    (T, ["--standardize=yes"], ["--standardize"]),
    (T, ["--data-dir", ""], ["--data-dir"]),
    (T, ["--data-dir", "{case}/nowhere"], ["--data-dir", "nowhere"]),
    (T, ["--data-dir", "{a_file}"], ["--data-dir", "a_file.txt"]),
    (T, ["--data-dir", "{unreadable}"], ["--data-dir", "unreadable"], {"permissions": True}),
    (T, ["--data-dir", "{unsearchable}"], ["--data-dir", "unsearchable"], {"permissions": True}),
    (T, ["--unknown-flag"], ["--unknown-flag"]),
    (T, ["--threads", "x"], ["--threads"]),
    (T, ["--threads", "0"], ["--threads"]),
    (T, ["--threads", "-2"], ["--threads"]),
    (T, ["--threads", "100000"], ["--threads"]),
    (T, ["--preset", "nope"], ["--preset", "nope"]),
    (T, ["--preset", ""], ["--preset"]),
    (T, ["--arch", "conv16k30-10"], ["--arch", "conv16k30"]),
    (T, ["--arch", "conv16k5-poolx-10"], ["--arch", "poolx"]),
    (T, ["--arch", "conv16k5-pool2-fc128"], ["--arch"]),
    # mnist.train --config: the TOML file and every kind of wrong value in it
    (T, ["--config", ""], ["--config"]),
    (T, ["--config", "{case}/missing.toml"], ["--config", "missing.toml"]),
    (T, ["--config", "{fifo}"], ["--config", "fifo.toml"]),
    (T, ["--config", "{folder}"], ["--config", "folder"]),
    (T, ["--config", "{toml_latin1}"], ["--config", "UTF-8"]),
    (T, ["--config", "{toml_syntax}"], ["--config", "TOML"]),
    (T, ["--config", "{toml_dropout_text}"], ["dropout", "0.1"]),
    (T, ["--config", "{toml_arch_number}"], ["arch", "784"]),
    (T, ["--config", "{toml_arch_list_text}"], ["arch"]),
    (T, ["--config", "{toml_activation_list}"], ["activation"]),
    (T, ["--config", "{toml_standardize_text}"], ["standardize", "no"]),
    (T, ["--config", "{toml_weight_decay_bool}"], ["weight_decay"]),
    (T, ["--config", "{toml_batch_twice}"], ["batch-size", "batch_size"]),
    (T, ["--config", "{toml_unknown}"], ["colour"]),
    (T, ["--config", "{toml_epochs_float}"], ["epochs", "1.5"]),
    (T, ["--config", "{toml_lr_text}"], ["lr", "fast"]),
    (T, ["--config", "{toml_lr_nan}"], ["lr", "nan"]),
    (T, ["--config", "{toml_table}"], ["model"]),
    (T, ["--config", "{toml_seed_negative}"], ["seed"]),
    (T, ["--config", "{toml_batch_text}"], ["batch_size"]),
    (T, ["--config", "{toml_data_dir_empty}"], ["data_dir"]),
    # mnist.train --out
    (T, ["--out", ""], ["--out"]),
    (T, ["--out", "{a_file}"], ["--out", "a_file.txt"]),
    (T, ["--out", "/dev/null"], ["--out", "/dev/null"]),
    (T, ["--out", "{a_file}/run"], ["--out", "a_file.txt"]),
    (T, ["--out", "{readonly}"], ["--out", "readonly"], {"permissions": True}),
    (T, ["--out", "{readonly}/run"], ["--out", "readonly"], {"permissions": True}),
    (T, ["--out", "{occupied}"], ["--out", "occupied", "already holds a checkpoint"]),
    # mnist.train --resume: the checkpoint and each of its entries
    (T, ["--resume", ""], ["--resume"]),
    (T, ["--resume", "{case}/missing.npz"], ["--resume", "missing.npz"]),
    (T, ["--resume", "{a_file}"], ["--resume", "a_file.txt"], {"absent": ["pickle"]}),
    (T, ["--resume", "{folder}"], ["--resume", "folder"]),
    (T, ["--resume", "{garbage}"], ["--resume", "garbage.npz"]),
    (T, ["--resume", "{claims}"], ["--resume", "claims.npz", "1000000000000"]),
    (T, ["--resume", "{bomb}"], ["--resume", "bomb.npz", "max_bytes"]),
    (T, ["--resume", "{pickled}"], ["--resume", "pickled.npz"]),
    (T, ["--resume", "{foreign}"], ["--resume", "foreign.npz"]),
    (T, ["--resume", "{config_list}"], ["--resume", "config"]),
    (T, ["--resume", "{config_text}"], ["--resume", "config"]),
    (T, ["--resume", "{config_bad_value}"], ["--resume", "dropout"]),
    (T, ["--resume", "{epoch_text}"], ["--resume", "epoch", "two"]),
    (T, ["--resume", "{epoch_negative}"], ["--resume", "epoch"]),
    (T, ["--resume", "{history_dict}"], ["--resume", "history"]),
    (T, ["--resume", "{no_model}"], ["--resume", "model"]),
    (T, ["--resume", "{nan_weights}"], ["--resume", "model.0.weight", "NaN"]),
    (T, ["--resume", "{weights_text}"], ["--resume", "model.0.weight"]),
    (T, ["--resume", "{rng_text}"], ["--resume", "rng"]),
    (T, ["--resume", "{std_no_stats}"], ["--resume", "normalization"]),
    (T, ["--resume", "{lr_text}"], ["--resume", "optimizer.param_groups.0.lr", "fast"]),
    (T, ["--resume", "{lr_nan}"], ["--resume", "optimizer.param_groups.0.lr", "nan"]),
    (T, ["--resume", "{betas_text}"], ["--resume", "optimizer.param_groups.0.betas"]),
    (T, ["--resume", "{step_text}"], ["--resume", "optimizer.state.0.step"]),
    (T, ["--resume", "{last_epoch_text}"], ["--resume", "scheduler.last_epoch"]),
    (T, ["--resume", "{seconds_text}"], ["--resume", "train_seconds"]),
    (T, ["--resume", "{ckpt}", "--arch", "784-64-10"], ["--arch", "784-64-10"]),
    (T, ["--resume", "{ckpt}", "--out", "{a_file}"], ["--out", "a_file.txt"]),
    # mnist.evaluate
    (E, [], ["checkpoint"]),
    (E, [""], ["checkpoint"]),
    (E, ["{case}/missing.npz"], ["checkpoint", "missing.npz"]),
    (E, ["{a_file}"], ["checkpoint", "a_file.txt"], {"absent": ["pickle"]}),
    (E, ["{garbage}"], ["checkpoint", "garbage.npz"]),
    (E, ["{claims}"], ["checkpoint", "claims.npz"]),
    (E, ["{bomb}"], ["checkpoint", "bomb.npz", "max_bytes"]),
    (E, ["{foreign}"], ["checkpoint", "foreign.npz"]),
    (E, ["{config_list}"], ["checkpoint", "config"]),
    (E, ["{epoch_text}"], ["checkpoint", "epoch"]),
    (E, ["{std_no_stats}"], ["checkpoint", "normalization"]),
    (E, ["{std_zero}"], ["checkpoint", "normalization"]),
    (E, ["{nan_weights}"], ["checkpoint", "model.0.weight", "NaN"]),
    (E, ["{inf_bias}"], ["checkpoint", "model.2.bias"]),
    (E, ["{ckpt}", "--wrong", "-1"], ["--wrong"]),
    (E, ["{ckpt}", "--wrong", "1000000000"], ["--wrong", "1000000000"]),
    (E, ["{ckpt}", "--wrong", "x"], ["--wrong"]),
    (E, ["{ckpt}", "--out", ""], ["--out"]),
    (E, ["{ckpt}", "--out", "{a_file}"], ["--out", "a_file.txt"]),
    (E, ["{ckpt}", "--out", "/dev/null"], ["--out", "/dev/null"]),
    (E, ["{ckpt}", "--out", "{a_file}/pictures"], ["--out", "a_file.txt"]),
    (E, ["{ckpt}", "--out", "{readonly}"], ["--out", "readonly"], {"permissions": True}),
    (E, ["{ckpt}", "--data-dir", ""], ["--data-dir"]),
    (E, ["{ckpt}", "--data-dir", "{case}/nowhere"], ["--data-dir", "nowhere"]),
    (E, ["{ckpt}", "--data-dir", "{a_file}"], ["--data-dir", "a_file.txt"]),
    (E, ["{ckpt}", "--data-dir", "{unreadable}"], ["--data-dir", "unreadable"], {"permissions": True}),
    (E, ["{ckpt}", "--unknown-flag"], ["--unknown-flag"]),
    # mnist.experiments
    (X, [], ["--preset"]),
    (X, ["colour"], ["name", "colour"]),
    (X, ["arch", "--preset", "nielsen"], ["--preset"]),
    (X, ["--preset", "huge"], ["--preset", "huge"]),
    (X, ["arch", "--epochs", "0"], ["--epochs"]),
    (X, ["arch", "--epochs", "-1"], ["--epochs"]),
    (X, ["arch", "--epochs", "x"], ["--epochs"]),
    (X, ["arch", "--limit", "0"], ["--limit"]),
    (X, ["arch", "--limit", "-5"], ["--limit"]),
    (X, ["arch", "--data-dir", ""], ["--data-dir"]),
    (X, ["arch", "--data-dir", "{case}/nowhere"], ["--data-dir", "nowhere"]),
    (X, ["arch", "--data-dir", "{a_file}"], ["--data-dir", "a_file.txt"]),
    (X, ["arch", "--data-dir", "{unreadable}"], ["--data-dir", "unreadable"], {"permissions": True}),
    (X, ["arch", "--out", ""], ["--out"]),
    (X, ["arch", "--out", "{a_file}"], ["--out", "a_file.txt"]),
    (X, ["arch", "--out", "/dev/null"], ["--out", "/dev/null"]),
    (X, ["arch", "--out", "{a_file}/results"], ["--out", "a_file.txt"]),
    (X, ["arch", "--out", "{readonly}"], ["--out", "readonly"], {"permissions": True}),
    # mnist.model (prints the model an --arch describes)
    (M, ["--arch", "784-x-10"], ["--arch"]),
    (M, ["--arch", "784-100000000-10"], ["--arch", "bytes"]),
    (M, ["--arch", f"784-{THIRTY_DIGITS}-10"], ["--arch"]),
    (M, ["--activation", "swish"], ["--activation"]),
    (M, ["--dropout", "1"], ["--dropout"]),
    (M, ["--dropout", "x"], ["--dropout"]),
    (M, ["--seed", "-1"], ["--seed"]),
]


def case_id(case) -> str:
    command, args = case[0], case[1]
    return f"{command.split('.')[1]}:" + " ".join(arg.replace("{", "").replace("}", "") or "''" for arg in args)


def command_line(command: str, args: list[str], paths: dict[str, str], case_dir: Path) -> list[str]:
    """The full command: mnist.train rows get quick settings and an --out unless they are about those."""
    if command == T:
        given = set(args) | {arg.split("=")[0] for arg in args}
        prefix = [] if "--resume" in given else list(QUICK)
        if "--out" not in given:
            prefix += ["--out", "{case}/run"]
        args = prefix + args
        if "--resume" in given:
            args = ["--no-progress", *args]
    filled = {**paths, "case": str(case_dir)}
    return [sys.executable, "-m", command, *(arg.format(**filled) for arg in args)]


@pytest.mark.parametrize("case", CASES, ids=[case_id(case) for case in CASES])
def test_bad_input_is_one_line_and_exit_2(assets, case):
    root, paths = assets
    command, args, fragments = case[0], case[1], case[2]
    options = case[3] if len(case) > 3 else {}
    case_dir = Path(tempfile.mkdtemp(dir=root))
    argv = command_line(command, args, paths, case_dir)
    if options.get("permissions") and os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("running as root without setpriv (util-linux): permissions cannot be tested")
        argv = WITHOUT_ROOT_PRIVILEGES + argv
    result = subprocess.run(
        argv,
        cwd=case_dir,
        env=dict(ENV, HOME=str(case_dir)),
        capture_output=True,
        text=True,
        timeout=120 if options.get("late") else 60,
    )
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert len(lines) == 1, result.stderr
    for fragment in fragments:
        assert fragment.format(**paths) in lines[0], lines[0]
    for fragment in options.get("absent", []):
        assert fragment not in lines[0], lines[0]
    if command == T:
        assert not (case_dir / "run").exists(), "a run folder was left behind"
        assert not (case_dir / "runs").exists(), "a run folder was left behind"


def test_the_table_covers_every_flag():
    """Each flag of each command appears in at least one row (a new flag needs a row too)."""
    from mnist.evaluate import main as evaluate_main  # noqa: F401  (the parsers are built in main)
    from mnist.train import build_parser

    train_flags = {option for action in build_parser()._actions for option in action.option_strings}
    train_flags -= {"-h", "--help", "--no-progress"}
    used = {arg.split("=")[0] for command, args, *_ in CASES if command == T for arg in args}
    assert train_flags <= used, sorted(train_flags - used)
    evaluate_used = {arg for command, args, *_ in CASES if command == E for arg in args}
    assert {"--wrong", "--out", "--data-dir"} <= evaluate_used
    experiments_used = {arg for command, args, *_ in CASES if command == X for arg in args}
    assert {"--epochs", "--limit", "--data-dir", "--out", "--preset"} <= experiments_used
    model_used = {arg for command, args, *_ in CASES if command == M for arg in args}
    assert {"--arch", "--activation", "--dropout", "--seed"} <= model_used
