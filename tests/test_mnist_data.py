"""The IDX reader and its checks, on small files written here, and the shipped MNIST files."""

import gzip
import hashlib
from pathlib import Path

import numpy as np
import pytest

from mnist import data
from mnist.data import IDXError


def idx_bytes(array: np.ndarray, type_code: int = 0x08) -> bytes:
    header = bytes([0, 0, type_code, array.ndim]) + b"".join(size.to_bytes(4, "big") for size in array.shape)
    return header + array.tobytes()


def write_split(folder: Path, images: np.ndarray, labels: np.ndarray, prefix: str = "train", compress: bool = True):
    """Write images and labels as IDX files and return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for kind, ndim, array in (("images", 3, images), ("labels", 1, labels)):
        content = idx_bytes(array)
        name = f"{prefix}-{kind}-idx{ndim}-ubyte"
        path = folder / (name + ".gz" if compress else name)
        path.write_bytes(gzip.compress(content) if compress else content)
        paths.append(path)
    return paths


def write_checksums(folder: Path, paths: list[Path]) -> None:
    lines = []
    for path in paths:
        content = path.read_bytes()
        if path.name.endswith(".gz"):
            content = gzip.decompress(content)
        name = path.name.removesuffix(".gz")
        lines.append(f"{hashlib.sha256(content).hexdigest()}  {name}  (uncompressed, {len(content)} bytes)")
    (folder / "SHA256SUMS").write_text("\n".join(lines) + "\n")


@pytest.fixture
def small_split():
    generator = np.random.default_rng(0)
    images = generator.integers(0, 256, size=(7, 28, 28), dtype=np.uint8)
    labels = generator.integers(0, 10, size=7, dtype=np.uint8)
    return images, labels


@pytest.mark.parametrize("compress", [True, False])
def test_load_reads_gzip_and_raw(tmp_path, small_split, compress):
    images, labels = small_split
    write_split(tmp_path, images, labels, compress=compress)
    loaded_images, loaded_labels = data.load("train", tmp_path)
    assert loaded_images.dtype == np.uint8 and loaded_images.shape == (7, 28, 28)
    assert loaded_labels.dtype == np.uint8 and loaded_labels.shape == (7,)
    np.testing.assert_array_equal(loaded_images, images)
    np.testing.assert_array_equal(loaded_labels, labels)


def test_test_split_uses_t10k_files(tmp_path, small_split):
    images, labels = small_split
    write_split(tmp_path, images[:3], labels[:3], prefix="t10k")
    loaded_images, _ = data.load("test", tmp_path)
    assert loaded_images.shape == (3, 28, 28)


def test_read_idx_other_types_and_shapes(tmp_path):
    array = np.arange(12, dtype=">i4").reshape(3, 4)
    path = tmp_path / "numbers-idx2-int"
    path.write_bytes(idx_bytes(array, type_code=0x0C))
    result = data.read_idx(path)
    np.testing.assert_array_equal(result, np.arange(12).reshape(3, 4))
    assert result.dtype.isnative


def test_checksums_verified_when_present(tmp_path, small_split):
    images, labels = small_split
    paths = write_split(tmp_path, images, labels)
    write_checksums(tmp_path, paths)
    data.load("train", tmp_path)  # matches: no error


def test_checksum_mismatch(tmp_path, small_split):
    images, labels = small_split
    paths = write_split(tmp_path, images, labels)
    write_checksums(tmp_path, paths)
    changed = images.copy()
    changed[0, 0, 0] ^= 1
    write_split(tmp_path, changed, labels)
    with pytest.raises(IDXError, match=r"train-images-idx3-ubyte\.gz: SHA-256 mismatch"):
        data.load("train", tmp_path)


def test_malformed_checksum_file(tmp_path, small_split):
    write_split(tmp_path, *small_split)
    (tmp_path / "SHA256SUMS").write_text("not-a-digest  train-images-idx3-ubyte\n")
    with pytest.raises(IDXError, match="SHA256SUMS: line 1"):
        data.load("train", tmp_path)


def test_wrong_magic_number(tmp_path, small_split):
    images, labels = small_split
    image_path, _ = write_split(tmp_path, images, labels, compress=False)
    content = bytearray(image_path.read_bytes())
    content[0] = 0x12
    image_path.write_bytes(bytes(content))
    with pytest.raises(IDXError, match="train-images-idx3-ubyte: wrong magic number"):
        data.load("train", tmp_path)


def test_labels_file_in_place_of_images(tmp_path, small_split):
    images, labels = small_split
    image_path, _ = write_split(tmp_path, images, labels, compress=False)
    image_path.write_bytes(idx_bytes(labels))
    with pytest.raises(IDXError, match="expected uint8 images of 28x28"):
        data.load("train", tmp_path)


@pytest.mark.parametrize("compress", [True, False])
def test_truncated_file(tmp_path, small_split, compress):
    images, labels = small_split
    image_path, _ = write_split(tmp_path, images, labels, compress=False)
    content = image_path.read_bytes()[:-100]
    if compress:
        image_path.unlink()
        image_path = image_path.with_name(image_path.name + ".gz")
        content = gzip.compress(content)
    image_path.write_bytes(content)
    with pytest.raises(IDXError, match="truncated: the header declares shape"):
        data.load("train", tmp_path)


def test_truncated_gzip_stream(tmp_path, small_split):
    image_path, _ = write_split(tmp_path, *small_split)
    image_path.write_bytes(image_path.read_bytes()[:-30])
    with pytest.raises(IDXError, match="corrupt or truncated gzip"):
        data.load("train", tmp_path)


def test_truncated_header(tmp_path, small_split):
    image_path, _ = write_split(tmp_path, *small_split, compress=False)
    image_path.write_bytes(image_path.read_bytes()[:9])
    with pytest.raises(IDXError, match="truncated header"):
        data.load("train", tmp_path)


def test_extra_bytes(tmp_path, small_split):
    image_path, _ = write_split(tmp_path, *small_split, compress=False)
    image_path.write_bytes(image_path.read_bytes() + b"\x00" * 5)
    with pytest.raises(IDXError, match="5 unexpected bytes"):
        data.load("train", tmp_path)


def test_counts_disagree(tmp_path, small_split):
    images, labels = small_split
    write_split(tmp_path, images, labels[:5])
    with pytest.raises(IDXError, match="has 7 images but .* has 5 labels"):
        data.load("train", tmp_path)


def test_missing_folder_and_missing_file(tmp_path, small_split):
    with pytest.raises(IDXError, match="data folder not found"):
        data.load("train", tmp_path / "nowhere")
    write_split(tmp_path, *small_split)
    with pytest.raises(IDXError, match="no t10k images file"):
        data.load("test", tmp_path)


def test_idx_error_is_a_value_error():
    assert issubclass(IDXError, ValueError)


def test_unknown_split():
    with pytest.raises(ValueError, match="split must be one of"):
        data.load("validation")


def test_shipped_files_match_their_checksums():
    folder = data.PACKAGE_DATA_DIR
    checksums = data.read_checksums(folder)
    assert len(checksums) == 4
    for name, digest in checksums.items():
        content = gzip.decompress((folder / (name + ".gz")).read_bytes())
        assert hashlib.sha256(content).hexdigest() == digest
    assert (folder / "README.md").is_file()


def test_shipped_test_split_loads():
    images, labels = data.load("test")
    assert images.shape == (10000, 28, 28) and labels.shape == (10000,)
    assert labels.max() == 9 and np.bincount(labels).min() > 800


def test_to_float_and_standardize():
    images = np.array([[[0, 255], [51, 102]]], dtype=np.uint8)
    x = data.to_float(images)
    assert x.dtype == np.float32 and x.shape == (1, 4)
    np.testing.assert_allclose(x, [[0.0, 1.0, 0.2, 0.4]], rtol=1e-6)
    z = data.standardize(x.copy(), mean=0.5, std=0.5)
    assert z.dtype == np.float32
    np.testing.assert_allclose(z, [[-1.0, 1.0, -0.6, -0.2]], rtol=1e-5)


def test_batches_cover_every_example_once_and_are_seeded():
    x = np.arange(10, dtype=np.float32).reshape(10, 1)
    y = np.arange(10)
    first = list(data.batches(x, y, 4, np.random.default_rng(3)))
    again = list(data.batches(x, y, 4, np.random.default_rng(3)))
    assert [len(batch_y) for _, batch_y in first] == [4, 4, 2]
    seen = np.concatenate([batch_y for _, batch_y in first])
    assert sorted(seen) == list(range(10))
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(first, again))
    for batch_x, batch_y in first:
        np.testing.assert_array_equal(batch_x[:, 0], batch_y)
    in_order = np.concatenate([batch_y for _, batch_y in data.batches(x, y, 3)])
    np.testing.assert_array_equal(in_order, y)
    with pytest.raises(ValueError, match="batch_size must be positive"):
        next(data.batches(x, y, 0))
    ((full_x, full_y),) = data.batches(x, y, 10, np.random.default_rng(0))
    assert full_x is x and full_y is y  # full batch: no shuffle, no copy


def test_split_validation():
    x = np.arange(20, dtype=np.float32).reshape(20, 1)
    y = np.arange(20)
    x_train, y_train, x_val, y_val = data.split_validation(x, y, 5, np.random.default_rng(0))
    assert len(x_train) == 15 and len(x_val) == 5
    assert sorted(np.concatenate([y_train, y_val])) == list(range(20))
    with pytest.raises(ValueError, match="validation size"):
        data.split_validation(x, y, 20, np.random.default_rng(0))


def test_a_gzip_that_expands_beyond_the_limit_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(data, "MAX_FILE_BYTES", 10_000)
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(bytes(20_000)))
    with pytest.raises(IDXError, match="expands to more than 10,000 bytes"):
        data.read_idx(path, checksums={})


def test_an_unreadable_checksum_file_is_one_error(tmp_path, small_split):
    write_split(tmp_path, *small_split)
    (tmp_path / "SHA256SUMS").write_bytes("caf\xe9  train-images-idx3-ubyte\n".encode("latin-1"))
    with pytest.raises(IDXError, match="SHA256SUMS: cannot be read as UTF-8 text"):
        data.load("train", tmp_path)
