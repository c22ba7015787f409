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

Writing is atomic: the file is written to a temporary file in the same folder and moved over
``path`` with ``os.replace`` only when complete, so a crash mid-save leaves the previous
checkpoint as it was.
"""

from __future__ import annotations

import os
import tempfile
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from .tensor import Tensor

PathLike = str | os.PathLike


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

    The file is written exactly at ``path`` (no suffix is added); its folder must exist.
    """
    path = Path(path)
    arrays = {key: _as_array(key, value) for key, value in flatten(state).items()}
    if not path.parent.is_dir():
        raise FileNotFoundError(f"save: the folder {str(path.parent)!r} does not exist; create it first")
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            _write_npz(arrays, file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise


def _from_array(array: np.ndarray) -> Any:
    """0-d arrays back to Python numbers/strings; anything else stays an array."""
    return array.item() if array.ndim == 0 else array


def load(path: PathLike, unflatten: bool = False) -> dict[str, Any]:
    """Load a checkpoint written by ``save``: a flat dict with dotted keys (nested if unflatten=True).

    Raises FileNotFoundError for a missing file and CheckpointError for one that is not a
    complete .npz, each naming the path.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"load: no checkpoint file at {str(path)!r}")
    try:
        loaded = np.load(path, allow_pickle=False)
        if not isinstance(loaded, np.lib.npyio.NpzFile):
            raise ValueError(f"found a single {type(loaded).__name__}, not an archive of named arrays")
        with loaded as archive:
            flat = {key: _from_array(archive[key]) for key in archive.files}
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, KeyError) as error:
        raise CheckpointError(
            f"load: {str(path)!r} is not a readable .npz checkpoint ({type(error).__name__}: {error}). "
            "The file may be truncated or of another format; save it again with tg.save"
        ) from None
    return _unflatten(flat) if unflatten else flat
