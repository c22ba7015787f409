"""MNIST as NumPy arrays: the IDX file reader, its checks, and mini-batches.

    images, labels = load("train")          # uint8 (60000, 28, 28), uint8 (60000,)
    x = to_float(images)                     # float32 (60000, 784), pixels scaled to [0, 1]
    for x_batch, y_batch in batches(x, labels, 128, np.random.default_rng(0)):
        ...

The IDX format (LeCun's, big-endian): a 4-byte magic number ``0 0 <type> <ndim>``, then
``ndim`` 4-byte dimension sizes, then the values in C order. MNIST uses type 0x08 (unsigned
bytes): images have magic 2051 (0x00000803: 3 dimensions N x 28 x 28), labels 2049
(0x00000801: 1 dimension N). Files may be gzip-compressed (``.gz``) or raw.

Every problem (a missing file, a wrong magic number, a truncated file, a checksum mismatch,
image and label counts that disagree) raises ``IDXError`` naming the file and what is wrong.
When a ``SHA256SUMS`` file (``<hex>  <name>  (comment)`` per line, names of the *uncompressed*
files) sits beside the data, each file read is checked against it.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import zlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np

PACKAGE_DATA_DIR = Path(__file__).parent / "data"
CHECKSUM_FILE = "SHA256SUMS"
SPLIT_PREFIXES = {"train": "train", "test": "t10k"}
IMAGE_MAGIC = 2051
LABEL_MAGIC = 2049
IMAGE_SIDE = 28
GZIP_MAGIC = b"\x1f\x8b"
MAX_FILE_BYTES = 2**30  # 1 GiB uncompressed (MNIST's largest file is 47 MB)

# IDX type byte -> NumPy dtype (big-endian where it matters).
IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


class IDXError(ValueError):
    """A data file is missing, malformed, truncated or does not match its checksum."""


# ----- reading one IDX file ----------------------------------------------------------------


def read_checksums(folder: Path) -> dict[str, str]:
    """The SHA256SUMS beside the data as {uncompressed file name: hex digest}; {} if absent."""
    path = Path(folder) / CHECKSUM_FILE
    if not path.is_file():
        return {}
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise IDXError(f"{path}: cannot be read as UTF-8 text ({getattr(error, 'strerror', None) or error})") from None
    checksums = {}
    for line_number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = line.split()
        digest = parts[0].lower()
        if len(parts) < 2 or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise IDXError(f"{path}: line {line_number} is not '<sha256 hex>  <file name>': {line.strip()!r}")
        checksums[parts[1].lstrip("*")] = digest
    return checksums


def _read_bytes(path: Path) -> bytes:
    """The file's content, decompressed if it is gzip (recognised by its first two bytes)."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise IDXError(f"{path}: file not found") from None
    except OSError as error:
        raise IDXError(f"{path}: cannot be read ({error.strerror})") from None
    if len(raw) > MAX_FILE_BYTES:
        raise IDXError(f"{path}: {len(raw):,} bytes, more than the {MAX_FILE_BYTES:,} an IDX file here may have")
    if raw[:2] != GZIP_MAGIC:
        return raw
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(raw)) as file:
            content = file.read(MAX_FILE_BYTES + 1)  # never more: a small .gz can expand to gigabytes
    except (OSError, EOFError, zlib.error) as error:
        raise IDXError(f"{path}: corrupt or truncated gzip data ({error})") from None
    if len(content) > MAX_FILE_BYTES:
        raise IDXError(f"{path}: expands to more than {MAX_FILE_BYTES:,} bytes, the most an IDX file here may have")
    return content


def _uncompressed_name(path: Path) -> str:
    return path.name[: -len(".gz")] if path.name.endswith(".gz") else path.name


def read_idx(path: str | Path, checksums: dict[str, str] | None = None) -> np.ndarray:
    """Read one IDX file (gzip or raw) into a NumPy array shaped as its header declares.

    Single-byte data comes back read-only, as a view of the decompressed bytes (no copy:
    the training set is 47 MB); copy it (``array.copy()``) to change it.

    checksums  {uncompressed file name: SHA-256 hex}; when it lists this file, the decompressed
               bytes must match. ``None`` reads the SHA256SUMS beside the file, if any.
    Raises IDXError on a bad magic number, an unknown type, a size mismatch or a checksum mismatch.
    """
    path = Path(path)
    if checksums is None:
        checksums = read_checksums(path.parent)
    content = _read_bytes(path)
    expected_digest = checksums.get(_uncompressed_name(path))
    if expected_digest is not None:
        actual_digest = hashlib.sha256(content).hexdigest()
        if actual_digest != expected_digest:
            raise IDXError(
                f"{path}: SHA-256 mismatch: {CHECKSUM_FILE} says {expected_digest[:16]}..., the file has "
                f"{actual_digest[:16]}...; the file is corrupt or not the one listed, download it again"
            )
    if len(content) < 4:
        raise IDXError(f"{path}: too short for an IDX header ({len(content)} bytes)")
    zero1, zero2, type_code, ndim = content[0], content[1], content[2], content[3]
    magic = int.from_bytes(content[:4], "big")
    if zero1 != 0 or zero2 != 0 or type_code not in IDX_DTYPES or ndim == 0:
        raise IDXError(
            f"{path}: wrong magic number {magic} (0x{magic:08x}); an IDX file starts with 0x0000TTDD "
            f"(type TT, DD dimensions), e.g. {IMAGE_MAGIC} for images, {LABEL_MAGIC} for labels"
        )
    header_size = 4 + 4 * ndim
    if len(content) < header_size:
        raise IDXError(f"{path}: truncated header: {ndim} dimensions need {header_size} bytes, got {len(content)}")
    shape = tuple(int.from_bytes(content[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    dtype = IDX_DTYPES[type_code]
    declared = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    actual = len(content) - header_size
    if actual < declared:
        raise IDXError(
            f"{path}: truncated: the header declares shape {shape} ({declared} bytes of data) but only "
            f"{actual} bytes follow"
        )
    if actual > declared:
        raise IDXError(
            f"{path}: {actual - declared} unexpected bytes after the data: the header declares shape {shape} "
            f"({declared} bytes)"
        )
    array = np.frombuffer(content, dtype=dtype, offset=header_size).reshape(shape)
    if not dtype.isnative:
        array = array.astype(dtype.newbyteorder("="))
    return array


# ----- the MNIST pair of files ---------------------------------------------------------------


def _find_file(folder: Path, prefix: str, kind: str, idx_ndim: int) -> Path:
    """The file for e.g. train images: 'train-images-idx3-ubyte' (or '.idx3-ubyte'), gz or raw."""
    stems = [f"{prefix}-{kind}-idx{idx_ndim}-ubyte", f"{prefix}-{kind}.idx{idx_ndim}-ubyte"]
    for stem in stems:
        for name in (stem + ".gz", stem):
            candidate = folder / name
            if candidate.is_file():
                return candidate
    raise IDXError(f"{folder}: no {prefix} {kind} file; expected {stems[0]}.gz or {stems[0]}")


def check_folder(folder: Path) -> None:
    """IDXError unless ``folder`` is a folder this process can list."""
    if not folder.exists():
        raise IDXError(f"{folder}: data folder not found")
    if not folder.is_dir():
        raise IDXError(f"{folder}: expected a folder of IDX files, got a file")
    try:
        os.listdir(folder)
    except OSError as error:
        raise IDXError(f"{folder}: the data folder cannot be read ({error.strerror})") from None
    if not os.access(folder, os.R_OK | os.X_OK):  # listed, but its files cannot be opened
        raise IDXError(f"{folder}: the data folder cannot be read (permission denied)")


def load(split: str = "train", data_dir: str | Path | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Images uint8 (N, 28, 28) and labels uint8 (N,) of the 'train' or 'test' split.

    data_dir  a folder of IDX files named as the official ones (train-images-idx3-ubyte[.gz],
              t10k-labels-idx1-ubyte[.gz], ...); default: the copy shipped with this package.
    Files are checked against the folder's SHA256SUMS when there is one.
    """
    if split not in SPLIT_PREFIXES:
        raise ValueError(f"split must be one of {sorted(SPLIT_PREFIXES)}, got {split!r}")
    folder = Path(data_dir) if data_dir is not None else PACKAGE_DATA_DIR
    check_folder(folder)
    checksums = read_checksums(folder)
    prefix = SPLIT_PREFIXES[split]
    images_path = _find_file(folder, prefix, "images", 3)
    labels_path = _find_file(folder, prefix, "labels", 1)
    images = read_idx(images_path, checksums)
    labels = read_idx(labels_path, checksums)
    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != (IMAGE_SIDE, IMAGE_SIDE):
        raise IDXError(
            f"{images_path}: expected uint8 images of {IMAGE_SIDE}x{IMAGE_SIDE} (magic {IMAGE_MAGIC}), "
            f"got {images.dtype} of shape {images.shape}"
        )
    if labels.dtype != np.uint8 or labels.ndim != 1:
        raise IDXError(
            f"{labels_path}: expected a 1-D array of uint8 labels (magic {LABEL_MAGIC}), "
            f"got {labels.dtype} of shape {labels.shape}"
        )
    if len(images) != len(labels):
        raise IDXError(
            f"{folder}: {images_path.name} has {len(images)} images but {labels_path.name} has {len(labels)} labels"
        )
    return images, labels


# ----- from bytes to batches ---------------------------------------------------------------


def to_float(images: np.ndarray) -> np.ndarray:
    """uint8 images (N, 28, 28) -> float32 rows (N, 784) scaled to [0, 1]. Done once, not per batch."""
    x = images.reshape(len(images), images[0].size if len(images) else IMAGE_SIDE * IMAGE_SIDE).astype(np.float32)
    x *= np.float32(1.0 / 255.0)
    return x


def standardize(x: np.ndarray, mean: float, std: float) -> np.ndarray:
    """(x − mean) / std in place (x float32); use the training set's mean and std for every split."""
    x -= np.float32(mean)
    x /= np.float32(std)
    return x


def split_validation(
    x: np.ndarray, y: np.ndarray, size: int, generator: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Hold out ``size`` random examples: (x_train, y_train, x_val, y_val)."""
    if not 0 <= size < len(x):
        raise ValueError(f"validation size must be between 0 and {len(x) - 1} (the training examples), got {size}")
    order = generator.permutation(len(x))
    val_index, train_index = np.sort(order[:size]), np.sort(order[size:])
    return x[train_index], y[train_index], x[val_index], y[val_index]


def batches(
    x: np.ndarray, y: np.ndarray, batch_size: int, generator: np.random.Generator | None = None
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Mini-batches (x[i], y[i]) covering every example once; shuffled when a generator is given.

    The last batch may be smaller. Convert labels to int64 once beforehand (what losses index with).
    """
    if batch_size <= 0:
        raise ValueError(f"batch_size must be positive, got {batch_size}")
    count = len(x)
    if batch_size >= count:
        # One batch of everything (full-batch gradient descent): the order cannot change the
        # gradient, so skip the shuffle and its copy of the whole data set.
        yield x, y
        return
    order = generator.permutation(count) if generator is not None else None
    for start in range(0, count, batch_size):
        selection: slice | np.ndarray
        if order is None:
            selection = slice(start, start + batch_size)
        else:
            selection = order[start : start + batch_size]
        yield x[selection], y[selection]


def number_of_batches(count: int, batch_size: int) -> int:
    return (count + batch_size - 1) // batch_size
