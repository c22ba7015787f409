"""tg.utils.data: datasets, the DataLoader's batches (order, sizes, collate, shuffling through the
default generator or generator=), random_split."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import Tensor
from tinygrad_edu.utils.data import DataLoader, Dataset, Subset, TensorDataset, default_collate, random_split


def numbered(n=10):
    """x[i] = [i, 10·i] (float32), y[i] = i (int64): every batch shows which examples it holds."""
    x = Tensor(np.stack([np.arange(n), 10 * np.arange(n)], axis=1).astype(np.float32))
    y = Tensor(np.arange(n))
    return TensorDataset(x, y)


def test_import_paths_and_tg_utils():
    assert tg.utils.data.DataLoader is DataLoader
    import tinygrad_edu.utils.data as data

    assert data.TensorDataset is TensorDataset


def test_tensor_dataset_items_and_length():
    dataset = numbered(5)
    x, y = dataset[3]
    assert len(dataset) == 5 and x.tolist() == [3.0, 30.0] and y.item() == 3
    with pytest.raises(ValueError, match="same size of the first axis"):
        TensorDataset(Tensor(np.zeros((3, 2))), Tensor(np.zeros(4)))
    with pytest.raises(TypeError, match="not a Tensor"):
        TensorDataset(np.zeros(3))


@pytest.mark.parametrize("drop_last, sizes", [(False, [4, 4, 2]), (True, [4, 4])])
def test_batches_in_order(drop_last, sizes):
    loader = DataLoader(numbered(10), batch_size=4, drop_last=drop_last)
    batches = list(loader)
    assert len(loader) == len(sizes) and [len(y) for _, y in batches] == sizes
    for x, y in batches:
        assert isinstance(x, Tensor) and x.dtype == np.float32 and x.shape == (len(y), 2)
        assert y.dtype == np.int64
        np.testing.assert_array_equal(x.data[:, 1], 10 * y.data)  # each row stays with its label
    assert np.concatenate([y.data for _, y in batches]).tolist() == list(range(sum(sizes)))


def test_default_batch_size_is_one():
    loader = DataLoader(numbered(3))
    assert len(loader) == 3 and [y.tolist() for _, y in loader] == [[0], [1], [2]]


def test_shuffle_follows_manual_seed_and_is_new_every_pass():
    loader = DataLoader(numbered(20), batch_size=5, shuffle=True)
    tg.manual_seed(0)
    first = [y.tolist() for _, y in loader]
    second = [y.tolist() for _, y in loader]
    tg.manual_seed(0)
    again = [y.tolist() for _, y in loader]
    assert first == again and first != second
    assert sorted(sum(first, [])) == list(range(20))  # a permutation: every example once
    assert sum(first, []) != list(range(20))


def test_generator_argument_is_independent_of_the_default_one():
    orders = []
    for _ in range(2):
        tg.manual_seed(len(orders))  # a different default seed each time: must not matter
        loader = DataLoader(numbered(12), batch_size=12, shuffle=True, generator=np.random.default_rng(7))
        orders.append(next(iter(loader))[1].tolist())
    assert orders[0] == orders[1] == np.random.default_rng(7).permutation(12).tolist()
    with pytest.raises(TypeError, match="np.random.Generator"):
        DataLoader(numbered(), generator=7)


class Squares(Dataset):
    """A map-style dataset written the PyTorch way: examples are (Tensor, float, int) triples."""

    def __len__(self):
        return 5

    def __getitem__(self, index):
        return tg.tensor([float(index), 1.0]), float(index) ** 2, index


def test_custom_dataset_is_collated_as_pytorch():
    x, squares, indices = next(iter(DataLoader(Squares(), batch_size=3)))
    assert x.shape == (3, 2) and x.dtype == np.float32
    assert squares.dtype == np.float64 and squares.tolist() == [0.0, 1.0, 4.0]  # Python floats: float64
    assert indices.dtype == np.int64 and indices.tolist() == [0, 1, 2]  # Python ints: int64
    assert len(DataLoader(Squares(), batch_size=2)) == 3


def test_default_collate_of_dicts_arrays_and_strings():
    batch = default_collate([{"x": np.array([1, 2]), "name": "a"}, {"x": np.array([3, 4]), "name": "b"}])
    assert batch["name"] == ["a", "b"] and batch["x"].tolist() == [[1, 2], [3, 4]]
    with pytest.raises(RuntimeError, match="one shape"):
        default_collate([tg.zeros(2), tg.zeros(3)])
    with pytest.raises(TypeError, match="collate_fn"):
        default_collate([object()])


def test_collate_fn_and_batch_size_none():
    loader = DataLoader(numbered(4), batch_size=2, collate_fn=lambda examples: len(examples))
    assert list(loader) == [2, 2]
    singles = list(DataLoader(numbered(3), batch_size=None))
    assert len(singles) == 3 and singles[2][1].item() == 2


def test_gradients_flow_through_a_batch():
    weights = Tensor(np.arange(6.0).reshape(3, 2), requires_grad=True)
    (x,) = next(iter(DataLoader(TensorDataset(weights), batch_size=2, sampler=[2, 0])))
    (x * Tensor(np.array([[1.0, 2.0], [3.0, 4.0]]))).sum().backward()
    np.testing.assert_array_equal(weights.grad.data, [[3.0, 4.0], [0.0, 0.0], [1.0, 2.0]])


def test_bad_arguments():
    with pytest.raises(ValueError, match="batch_size"):
        DataLoader(numbered(), batch_size=0)
    with pytest.raises(ValueError, match="shuffle=True or a sampler"):
        DataLoader(numbered(), shuffle=True, sampler=[0, 1])


@pytest.mark.parametrize(
    "lengths, sizes", [([3, 7], [3, 7]), ([0.3, 0.3, 0.4], [3, 3, 4]), ([0.5, 0.25, 0.25], [6, 2, 2])]
)
def test_random_split(lengths, sizes):
    parts = random_split(numbered(10), lengths, generator=np.random.default_rng(0))
    assert all(isinstance(part, Subset) for part in parts) and [len(part) for part in parts] == sizes
    labels = [part[i][1].item() for part in parts for i in range(len(part))]
    assert sorted(labels) == list(range(10)) and labels != list(range(10))
    with pytest.raises(ValueError, match="adding up"):
        random_split(numbered(10), [3, 3])


def test_pytorchs_generator_spelling():
    generator = tg.Generator().manual_seed(42)
    assert isinstance(generator, np.random.Generator) and generator.initial_seed() == 42
    loader = DataLoader(numbered(8), batch_size=8, shuffle=True, generator=generator)
    assert next(iter(loader))[1].tolist() == np.random.default_rng(42).permutation(8).tolist()
    first, _ = random_split(numbered(8), [0.5, 0.5], generator=tg.Generator().manual_seed(1))
    again, _ = random_split(numbered(8), [0.5, 0.5], generator=tg.Generator().manual_seed(1))
    assert first.indices == again.indices
    with pytest.raises(RuntimeError, match="no cuda device"):
        tg.Generator(device="cuda")


def test_datasets_add_up_and_unknown_arguments_are_refused():
    both = numbered(3) + Squares()
    assert len(both) == 8 and both[2][1].item() == 2 and both[3][2] == 0 and both[-1][2] == 4
    with pytest.raises(IndexError, match="out of range"):
        both[8]
    loader = DataLoader(numbered(4), batch_size=2, num_workers=2, pin_memory=True, persistent_workers=True)
    assert len(list(loader)) == 2  # worker settings are accepted and change nothing
    with pytest.raises(TypeError, match="batchsize"):
        DataLoader(numbered(4), batchsize=2)
