"""tg.save / tg.load: .npz without pickle, nested dicts, scalars, atomic writes, clear errors."""

from __future__ import annotations

import os
import tracemalloc
import zipfile

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import Tensor, nn
from tinygrad_edu.io import serialization
from tinygrad_edu.io.serialization import CheckpointError, flatten, unflatten


def make_mlp(seed):
    rng = np.random.default_rng(seed)
    return nn.Sequential(nn.Linear(784, 128, generator=rng), nn.ReLU(), nn.Linear(128, 10, generator=rng))


def test_arrays_round_trip_with_dtype_and_shape(tmp_path):
    state = {
        "a": np.arange(6, dtype=np.int32).reshape(2, 3),
        "b": np.linspace(0, 1, 5, dtype=np.float32),
        "c": np.zeros((0, 4)),
        "t": Tensor([1.0, 2.0]),
    }
    tg.save(state, tmp_path / "x.npz")
    loaded = tg.load(tmp_path / "x.npz")
    assert list(loaded) == ["a", "b", "c", "t"]
    for key in ("a", "b", "c"):
        assert loaded[key].dtype == state[key].dtype
        np.testing.assert_array_equal(loaded[key], state[key])
    np.testing.assert_array_equal(loaded["t"], np.array([1.0, 2.0], dtype=np.float32))


def test_scalars_round_trip_as_python_values(tmp_path):
    tg.save({"epoch": 3, "lr": 0.125, "done": True, "name": "mlp", "step": np.int64(7)}, tmp_path / "s.npz")
    loaded = tg.load(tmp_path / "s.npz")
    assert loaded == {"epoch": 3, "lr": 0.125, "done": True, "name": "mlp", "step": 7}
    assert type(loaded["epoch"]) is int and type(loaded["lr"]) is float and type(loaded["done"]) is bool


def test_nested_dicts_are_flattened_with_dotted_keys(tmp_path):
    state = {"model": {"0.weight": np.ones((2, 2))}, "optimizer": {"state": {0: {"step": 4}}}, "epoch": 1}
    assert set(flatten(state)) == {"model.0.weight", "optimizer.state.0.step", "epoch"}
    tg.save(state, tmp_path / "n.npz")
    flat = tg.load(tmp_path / "n.npz")
    assert set(flat) == {"model.0.weight", "optimizer.state.0.step", "epoch"}
    nested = tg.load(tmp_path / "n.npz", unflatten=True)
    assert nested["optimizer"]["state"]["0"]["step"] == 4
    np.testing.assert_array_equal(nested["model"]["0"]["weight"], np.ones((2, 2)))
    assert unflatten(flatten({"x": {"y": 1}})) == {"x": {"y": 1}}


def test_file_is_plain_npz_without_pickle(tmp_path):
    tg.save({"w": np.ones(3)}, tmp_path / "plain.npz")
    with np.load(tmp_path / "plain.npz", allow_pickle=False) as archive:
        assert archive.files == ["w"]
    # keys that np.savez could not take as keyword arguments are fine
    tg.save({"file": np.ones(1), "allow_pickle": np.zeros(1)}, tmp_path / "odd.npz")
    assert set(tg.load(tmp_path / "odd.npz")) == {"file", "allow_pickle"}


def test_sequential_round_trip_restores_identical_outputs(tmp_path):
    source, target = make_mlp(0), make_mlp(1)
    x = Tensor(np.random.default_rng(2).normal(size=(5, 784)).astype(np.float32))
    tg.save(source.state_dict(), tmp_path / "model.npz")
    target.load_state_dict(tg.load(tmp_path / "model.npz"))
    np.testing.assert_array_equal(target(x).data, source(x).data)
    # and as part of a bigger checkpoint, unflattened
    tg.save({"model": source.state_dict(), "epoch": 2}, tmp_path / "ckpt.npz")
    checkpoint = tg.load(tmp_path / "ckpt.npz", unflatten=True)
    fresh = make_mlp(3)
    fresh.load_state_dict(checkpoint["model"])
    np.testing.assert_array_equal(fresh(x).data, source(x).data)


def test_a_crash_mid_save_leaves_the_previous_file_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.npz"
    tg.save({"a": np.ones(3), "b": np.ones(4)}, path)
    before = path.read_bytes()
    real_write_array = np.lib.format.write_array
    calls = []

    def write_then_crash(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt("simulated crash half-way through the save")
        return real_write_array(*args, **kwargs)

    monkeypatch.setattr(np.lib.format, "write_array", write_then_crash)
    with pytest.raises(KeyboardInterrupt):
        tg.save({"a": np.zeros(3), "b": np.zeros(4), "c": np.zeros(5)}, path)
    assert len(calls) == 2  # it really crashed in the middle
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt.npz"]
    monkeypatch.undo()
    np.testing.assert_array_equal(tg.load(path)["a"], np.ones(3))


def test_unsaveable_values_are_rejected_before_writing(tmp_path):
    with pytest.raises(TypeError, match="'bad'.*without pickle"):
        tg.save({"bad": object()}, tmp_path / "x.npz")
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ValueError, match="same key 'a.b'"):
        tg.save({"a.b": 1, "a": {"b": 2}}, tmp_path / "x.npz")


def test_missing_file_names_the_path(tmp_path):
    path = tmp_path / "nowhere.npz"
    with pytest.raises(FileNotFoundError, match="nowhere.npz"):
        tg.load(path)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        tg.save({"a": 1}, tmp_path / "no_such_folder" / "x.npz")


def test_truncated_file_names_the_path(tmp_path):
    path = tmp_path / "truncated.npz"
    tg.save({"w": np.arange(1000.0)}, path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="truncated.npz"):
        tg.load(path)


def test_non_npz_files_name_the_path(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("not a checkpoint\n")
    with pytest.raises(CheckpointError, match="notes.txt"):
        tg.load(text)
    single = tmp_path / "single.npy"
    np.save(single, np.ones(3))
    with pytest.raises(CheckpointError, match="single.npy"):
        tg.load(single)
    pickled = tmp_path / "pickled.npz"
    np.savez(pickled, obj=np.array([{"a": 1}], dtype=object))
    with pytest.raises(CheckpointError, match="pickled.npz"):
        tg.load(pickled)
    assert zipfile.is_zipfile(pickled)


def test_optimizer_state_round_trips(tmp_path):
    param = nn.Parameter(np.ones(3))
    optimizer = tg.optim.SGD([param], lr=0.1, momentum=0.9, nesterov=True)
    param.sum().backward()
    optimizer.step()
    tg.save(optimizer.state_dict(), tmp_path / "opt.npz")
    flat = tg.load(tmp_path / "opt.npz")
    assert flat["param_groups.0.nesterov"] is True and flat["param_groups.0.lr"] == 0.1
    fresh = tg.optim.SGD([param], lr=1.0)
    fresh.load_state_dict(flat)  # the flat form is accepted too
    assert fresh.param_groups[0]["nesterov"] is True
    np.testing.assert_array_equal(fresh.state[id(param)]["momentum_buffer"], np.ones(3))


# ----- loading files from anywhere: nothing unpickled, nothing allocated before it is checked ---


def write_member(path, name, raw, compression=zipfile.ZIP_STORED):
    with zipfile.ZipFile(path, "w", compression=compression) as archive:
        archive.writestr(name, raw)


def npy_bytes(array):
    import io

    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array)
    return buffer.getvalue()


def test_a_header_claiming_more_than_the_member_holds_is_refused(tmp_path):
    raw = npy_bytes(np.zeros(10)).replace(b"(10,)", b"(1000000000000,)")
    path = tmp_path / "claims.npz"
    write_member(path, "w.npy", raw)
    with pytest.raises(CheckpointError, match=r"claims.npz.*claims shape \(1000000000000,\)"):
        tg.load(path)


def test_a_zip_bomb_is_refused_before_it_is_expanded(tmp_path):
    path = tmp_path / "bomb.npz"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open("w.npy", "w", force_zip64=True) as entry:
            header = {"descr": "<f8", "fortran_order": False, "shape": (2**23,)}
            np.lib.format.write_array_header_2_0(entry, header)
            for _ in range(4):
                entry.write(bytes(2**24))  # 64 MB of zeros, ~64 kB compressed
    assert path.stat().st_size < 2**20
    with pytest.raises(CheckpointError, match=r"bomb.npz.*more than max_bytes=1,000,000"):
        tg.load(path, max_bytes=1_000_000)
    assert tg.load(path, max_bytes=2**27)["w"].shape == (2**23,)  # trusted: allowed with a larger bound


def test_too_many_arrays_are_refused(tmp_path):
    tg.save({f"a{i}": i for i in range(5)}, tmp_path / "many.npz")
    with pytest.raises(CheckpointError, match="holds 5 arrays, more than max_arrays=4"):
        tg.load(tmp_path / "many.npz", max_arrays=4)


def test_a_lying_zip_directory_is_caught(tmp_path):
    path = tmp_path / "short.npz"
    tg.save({"w": np.arange(100.0)}, path)
    content = bytearray(path.read_bytes())
    content[-300:] = bytes(300)  # the end of the data and the zip directory gone
    path.write_bytes(bytes(content))
    with pytest.raises(CheckpointError, match="short.npz"):
        tg.load(path)


def test_text_files_and_folders_are_not_called_pickles(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("epoch = 3\n")
    with pytest.raises(CheckpointError, match="not a zip archive") as caught:
        tg.load(text)
    assert "pickle" not in str(caught.value)
    with pytest.raises(CheckpointError, match="not a regular file"):
        tg.load(tmp_path)


def test_fortran_order_and_empty_arrays_round_trip(tmp_path):
    state = {"f": np.asfortranarray(np.arange(6.0).reshape(2, 3)), "e": np.zeros((0, 3), dtype=np.int16)}
    tg.save(state, tmp_path / "x.npz")
    loaded = tg.load(tmp_path / "x.npz")
    np.testing.assert_array_equal(loaded["f"], state["f"])
    assert loaded["e"].shape == (0, 3) and loaded["e"].dtype == np.int16
    loaded["f"][0, 0] = 5.0  # loaded arrays are writeable


def test_saved_files_get_the_usual_permissions(tmp_path):
    import os

    previous = os.umask(0o022)
    try:
        tg.save({"a": 1}, tmp_path / "x.npz")
        (tmp_path / "other.txt").write_text("x")
    finally:
        os.umask(previous)
    assert (tmp_path / "x.npz").stat().st_mode & 0o777 == 0o644 == (tmp_path / "other.txt").stat().st_mode & 0o777


@pytest.mark.parametrize("kind", ["symlink", "fifo", "folder"])
def test_save_replaces_only_a_regular_file(tmp_path, kind):
    target = tmp_path / "elsewhere.txt"
    target.write_text("keep me", encoding="utf-8")
    path = tmp_path / "checkpoint.npz"
    if kind == "symlink":
        path.symlink_to(target)
    elif kind == "fifo":
        os.mkfifo(path)  # stands for a device node: a special file, not a regular one
    else:
        path.mkdir()
    with pytest.raises(FileExistsError, match="only a regular file is replaced") as raised:
        tg.save({"w": np.ones(2)}, path)
    assert raised.value.filename == str(path)
    assert target.read_text(encoding="utf-8") == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint.npz", "elsewhere.txt"]


@pytest.mark.parametrize("key", ["a\0b", "\udc80", "x" * 70_000], ids=["nul", "surrogate", "too-long"])
def test_save_refuses_a_key_that_load_could_not_give_back(tmp_path, key):
    with pytest.raises(ValueError, match="save: ") as raised:
        tg.save({key: np.ones(2)}, tmp_path / "x.npz")
    assert "\n" not in str(raised.value)
    assert not (tmp_path / "x.npz").exists()


def test_an_encrypted_member_is_refused_in_one_line(tmp_path):
    tg.save({"w": np.ones(3)}, tmp_path / "x.npz")
    data = bytearray((tmp_path / "x.npz").read_bytes())
    # Set the "encrypted" bit of the member's flags, in its local header and in the zip directory:
    # zipfile then asks for a password (RuntimeError "password required").
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        data[data.index(signature) + offset] |= 0x1
    (tmp_path / "x.npz").write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="encrypted"):
        tg.load(tmp_path / "x.npz")


def test_load_refuses_more_than_the_memory_available(tmp_path, monkeypatch):
    tg.save({"w": np.ones(1000)}, tmp_path / "x.npz")
    monkeypatch.setattr(serialization, "available_memory", lambda: 4000)
    with pytest.raises(CheckpointError, match="memory this machine has available"):
        tg.load(tmp_path / "x.npz")


def test_a_deflated_member_is_held_in_memory_once(tmp_path):
    size = 16 * 2**20
    np.savez_compressed(tmp_path / "x.npz", w=np.zeros(size, dtype=np.uint8))  # 16 MiB in a few KB
    tracemalloc.start()
    try:
        loaded = tg.load(tmp_path / "x.npz")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert loaded["w"].shape == (size,)
    assert peak < 1.25 * size, f"peak {peak:,} bytes for an array of {size:,}"
