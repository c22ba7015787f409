"""Save and load checkpoints: dicts of arrays and numbers as ``.npz`` files, never pickle.

    tg.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": 3}, path)
    checkpoint = tg.load(path, unflatten=True)
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    epoch = checkpoint["epoch"]                      # 3, a Python int again

Format: an ordinary NumPy ``.npz`` (a zip of ``.npy`` files) that ``np.load(path)`` can read;
nested dicts are flattened with dotted keys ({"model": {"0.weight": w}} -> "model.0.weight").
Numbers, booleans and strings are stored as 0-d arrays and come back as Python values.
``load`` returns the flat dict; ``load(path, unflatten=True)`` splits the keys at every dot
into nested dicts again (Module.load_state_dict and Optimizer.load_state_dict accept both).

Writing is atomic: the file is written to a temporary file in the same folder, flushed to disk
and moved over ``path`` with ``os.replace`` only when complete, so a crash mid-save leaves the
previous checkpoint as it was. The file gets the usual permissions of a new file (0644 under
the common umask 022).

Loading is safe with files from anywhere: nothing is unpickled, and nothing is allocated from a
size the file claims before that size is checked. Each member's ``.npy`` header (shape × item
size) must match the member's uncompressed size in the zip directory, and the archive must stay
within ``max_arrays`` members and ``max_bytes`` bytes in all, and within the memory the machine
has available (a header claiming 10¹² elements, or a zip bomb that expands 2 MB into 2 GB, is
refused before anything is read). Members are read in chunks of 1 MiB into the array's own
buffer, so loading needs about the arrays' size in memory, not three times it. Encrypted
members are refused.
"""

from __future__ import annotations

import math
import os
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ..core.tensor import Tensor
from ..system import available_memory
from .atomic import atomic_file

PathLike = str | os.PathLike

# Bounds of what load() accepts unless told otherwise: far above any model of this project
# (the largest MNIST preset is 2.4 million parameters, ~10 MB), far below a machine's memory.
MAX_ARRAYS = 100_000
MAX_BYTES = 2**30  # 1 GiB of array data in all, and never more than the memory available (system.py)
CHUNK_BYTES = 2**20  # read a member 1 MiB at a time


class CheckpointError(ValueError):
    """A checkpoint file that cannot be read (truncated, not an .npz, pickled objects)."""


def flatten(state: Mapping[Any, Any], prefix: str = "") -> dict[str, Any]:
    """{"a": {"b": 1, "c": {"d": 2}}} -> {"a.b": 1, "a.c.d": 2}. Integer keys become strings."""
    flat: dict[str, Any] = {}
    for key, value in state.items():
        if not isinstance(key, (str, int)):
            raise TypeError(f"state dict keys must be strings or ints, got {key!r} ({type(key).__name__})")
        name = f"{prefix}.{key}" if prefix else str(key)
        entries = flatten(value, name) if isinstance(value, Mapping) else {name: value}
        for flat_name, flat_value in entries.items():
            if flat_name in flat:
                raise ValueError(f"two entries flatten to the same key {flat_name!r}; rename one of them")
            flat[flat_name] = flat_value
    return flat


def unflatten(flat: Mapping[str, Any]) -> dict[str, Any]:
    """{"a.b": 1, "a.c.d": 2} -> {"a": {"b": 1, "c": {"d": 2}}}: split every key at its dots."""
    nested: dict[str, Any] = {}
    for key, value in flat.items():
        *parents, last = key.split(".")
        node = nested
        for part in parents:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ValueError(f"unflatten: key {key!r} needs {part!r} to be a dict, but it holds a value")
        node[last] = value
    return nested


_unflatten = unflatten  # load() below has a parameter of that name


MAX_KEY_BYTES = 65_535 - len(".npy")  # a zip member's name is at most 65,535 bytes


def _check_key(key: str) -> None:
    """Refuse a key that load() could not give back: NUL (zip names end at it), text that is not
    UTF-8 (a lone surrogate), or a name too long for a zip member."""
    if "\0" in key:
        raise ValueError(f"save: the key {key!r} holds a NUL character, which a zip member's name cannot hold")
    try:
        size = len(key.encode("utf-8"))
    except UnicodeEncodeError:
        raise ValueError(f"save: the key {key!r} is not valid text (it holds a lone surrogate)") from None
    if size > MAX_KEY_BYTES:
        raise ValueError(
            f"save: a key of {size:,} bytes is longer than the {MAX_KEY_BYTES:,} a zip member's name allows"
        )


def _as_array(key: str, value: Any) -> np.ndarray:
    if isinstance(value, Tensor):
        value = value.data
    array = np.asarray(value)
    if array.dtype == object:
        raise TypeError(
            f"save: {key!r} is a {type(value).__name__}, which cannot be stored without pickle; "
            "store arrays, numbers, strings, or (nested) dicts of them"
        )
    return array


def _write_npz(arrays: Mapping[str, np.ndarray], file: Any) -> None:
    """Write the arrays as an .npz: one ``<key>.npy`` entry per array in a zip (as np.savez)."""
    with zipfile.ZipFile(file, mode="w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for key, array in arrays.items():
            with archive.open(key + ".npy", mode="w", force_zip64=True) as entry:
                np.lib.format.write_array(entry, np.asanyarray(array), allow_pickle=False)


def save(state: Mapping[Any, Any], path: PathLike) -> None:
    """Save a (nested) dict of arrays, Tensors, numbers and strings to ``path`` as .npz, atomically.

    The file is written exactly at ``path`` (no suffix is added); its folder must exist. While it
    is written it is ``.<name>.<random>.tmp`` beside ``path``, removed again if the save fails.
    Only a regular file is replaced: a symbolic link, a device or a folder at ``path`` is refused
    (FileExistsError naming the path, see ``tinygrad_edu.io.atomic``). Keys with NUL, lone
    surrogates or more than MAX_KEY_BYTES bytes are refused (ValueError), as load could not give
    them back.
    """
    path = Path(path)
    flat = flatten(state)
    for key in flat:
        _check_key(key)
    arrays = {key: _as_array(key, value) for key, value in flat.items()}
    if not path.parent.is_dir():
        raise FileNotFoundError(f"save: the folder {str(path.parent)!r} does not exist; create it first")
    with atomic_file(path, "wb") as file:
        _write_npz(arrays, file)


def _from_array(array: np.ndarray) -> Any:
    """0-d arrays back to Python numbers/strings; anything else stays an array."""
    return array.item() if array.ndim == 0 else array


def load(
    path: PathLike,
    unflatten: bool = False,
    max_arrays: int = MAX_ARRAYS,
    max_bytes: int = MAX_BYTES,
    *,
    weights_only: bool = True,
    map_location: Any = None,
) -> dict[str, Any]:
    """Load a checkpoint written by ``save``: a flat dict with dotted keys (nested if unflatten=True).

    weights_only, map_location  PyTorch's keywords, accepted so ``torch.load(path, weights_only=True)``
                           runs: a checkpoint here only ever holds arrays (nothing is unpickled),
                           and map_location may only be the CPU ("cpu" or None).

    max_arrays, max_bytes  bounds on the number of arrays and on their total size in bytes; a file
                           beyond them is refused before its data is read.
    Raises FileNotFoundError for a missing file and CheckpointError (naming the path) for one that
    is not a complete .npz of plain arrays, or is too big.
    """
    if map_location not in (None, "cpu"):
        raise ValueError(f"map_location={map_location!r}: only the CPU exists here; give 'cpu' or leave it out")
    path = Path(path)
    if not path.is_file():
        if path.exists():
            raise CheckpointError(f"load: {str(path)!r} is not a regular file")
        raise FileNotFoundError(f"load: no checkpoint file at {str(path)!r}")
    try:
        with zipfile.ZipFile(path) as archive:
            members = _checked_members(archive, max_arrays, max_bytes)
            flat = {key: _from_array(_read_member(archive, member)) for key, member in members.items()}
    except CheckpointError as error:
        raise CheckpointError(f"load: {str(path)!r} {error}") from None
    except zipfile.BadZipFile:
        raise CheckpointError(
            f"load: {str(path)!r} is not a .npz checkpoint (not a zip archive); it may be truncated or of "
            "another format; save it again with tg.save"
        ) from None
    except (
        ValueError,
        OSError,
        EOFError,
        KeyError,
        RuntimeError,  # zipfile: "password required" for an encrypted member
        zipfile.LargeZipFile,
        NotImplementedError,
    ) as error:
        raise CheckpointError(
            f"load: {str(path)!r} is not a readable .npz checkpoint ({type(error).__name__}: {error}). "
            "The file may be truncated or of another format; save it again with tg.save"
        ) from None
    return _unflatten(flat) if unflatten else flat


class _Member:
    """One ``<key>.npy`` entry of the archive, with the array header read and checked."""

    def __init__(self, info: zipfile.ZipInfo, shape: tuple[int, ...], dtype: np.dtype, fortran_order: bool):
        self.info = info
        self.shape = shape
        self.dtype = dtype
        self.fortran_order = fortran_order


def _checked_members(archive: zipfile.ZipFile, max_arrays: int, max_bytes: int) -> dict[str, _Member]:
    """Every member's header, checked against the zip directory and the bounds before any data is read."""
    infos = archive.infolist()
    if len(infos) > max_arrays:
        raise CheckpointError(f"holds {len(infos):,} arrays, more than max_arrays={max_arrays:,}; refused")
    declared_total = sum(info.file_size for info in infos)
    if declared_total > max_bytes:
        raise CheckpointError(
            f"expands to {declared_total:,} bytes, more than max_bytes={max_bytes:,}; refused before reading "
            "(pass a larger max_bytes to tg.load if the file is trusted)"
        )
    available = available_memory()
    if available is not None and declared_total > available:
        raise CheckpointError(
            f"expands to {declared_total:,} bytes, more than the {available:,} bytes of memory this machine has "
            "available now; refused before reading"
        )
    members: dict[str, _Member] = {}
    for info in infos:
        if info.flag_bits & 0x1:
            raise ValueError(f"member {info.filename!r} is encrypted; a checkpoint of tg.save never is")
        if not info.filename.endswith(".npy"):
            raise ValueError(f"member {info.filename!r} is not a .npy array")
        key = info.filename[: -len(".npy")]
        if key in members:
            raise ValueError(f"member {info.filename!r} appears twice")
        with archive.open(info) as entry:
            version = np.lib.format.read_magic(entry)
            if version == (1, 0):
                shape, fortran_order, dtype = np.lib.format.read_array_header_1_0(entry)
            elif version in ((2, 0), (3, 0)):
                shape, fortran_order, dtype = np.lib.format.read_array_header_2_0(entry)
            else:
                raise ValueError(f"member {info.filename!r} has the unknown .npy version {version}")
            header_size = entry.tell()
        if dtype.hasobject:
            raise ValueError(f"member {info.filename!r} holds Python objects, which only pickle could load")
        data_size = math.prod(shape) * dtype.itemsize
        if header_size + data_size != info.file_size:
            raise ValueError(
                f"member {info.filename!r} claims shape {shape} of {dtype} ({data_size:,} bytes of data) but "
                f"holds {info.file_size - header_size:,} bytes"
            )
        members[key] = _Member(info, shape, dtype, fortran_order)
    return members


def _read_member(archive: zipfile.ZipFile, member: _Member) -> np.ndarray:
    """The array of a checked member: exactly the bytes its header declared (never pickle)."""
    data_size = math.prod(member.shape) * member.dtype.itemsize
    buffer = bytearray(data_size)  # allocated only now, from a size checked against the zip directory
    view = memoryview(buffer)
    received = 0
    with archive.open(member.info) as entry:
        entry.read(member.info.file_size - data_size)  # the header, read and checked before
        while received < data_size:  # in chunks: a deflated member is never held twice in memory
            chunk = entry.read(min(CHUNK_BYTES, data_size - received))
            if not chunk:
                break
            view[received : received + len(chunk)] = chunk
            received += len(chunk)
    if received != data_size:
        raise EOFError(f"member {member.info.filename!r} ends after {received:,} of {data_size:,} bytes")
    array = np.frombuffer(buffer, dtype=member.dtype) if data_size else np.empty(0, dtype=member.dtype)
    return array.reshape(member.shape, order="F" if member.fortran_order else "C")
