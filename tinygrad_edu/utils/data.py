"""Datasets and the DataLoader that cuts them into batches, as ``torch.utils.data``.

    from tinygrad_edu.utils.data import DataLoader, TensorDataset
    dataset = TensorDataset(images, labels)          # dataset[i] == (images[i], labels[i])
    loader = DataLoader(dataset, batch_size=64, shuffle=True)
    for x, y in loader:                              # x: (64, ...) Tensor, y: (64,) Tensor
        ...

A *dataset* is anything with ``len(dataset)`` and ``dataset[i]`` (one example). A *sampler*
gives the order of the indices (in order, or a fresh random permutation at every pass); the
loader takes ``batch_size`` indices at a time, fetches those examples and *collates* them: the
examples' Tensors are stacked along a new first axis, numbers become a Tensor of the batch's
numbers, and a tuple of fields becomes a list of collated fields (so ``x, y = batch`` works).

Randomness: ``shuffle=True`` draws each pass's permutation from ``generator`` (a
``np.random.Generator``, such as ``tg.Generator().manual_seed(42)``), else from the default
generator that ``tg.manual_seed`` seeds, so the same seed gives the same batches. (The
permutations are NumPy's, not PyTorch's: the same seed orders the data differently here and in
PyTorch.)

Everything runs in the calling process: ``num_workers``, ``pin_memory`` and the other worker
settings are accepted so that PyTorch scripts run, and change nothing.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from ..core.tensor import Tensor
from ..torch_api.combine import stack
from ..torch_api.random import generator_or_default


class Dataset:
    """Base class of map-style datasets: define ``__getitem__(index)`` (one example) and ``__len__``.

    class Squares(Dataset):
        def __len__(self):
            return 10
        def __getitem__(self, i):
            return tg.tensor([float(i)]), tg.tensor([float(i * i)])
    """

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__(self, index), returning one example")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must define __len__(self), the number of examples")

    def __add__(self, other: Any) -> ConcatDataset:
        """``a + b``: the examples of a, then those of b."""
        return ConcatDataset([self, other])


class ConcatDataset(Dataset):
    """Several datasets one after the other: indices 0 … len(first) − 1 are the first's, and so on."""

    def __init__(self, datasets: Iterable[Any]):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset needs at least one dataset")
        self.cumulative_sizes = np.cumsum([len(dataset) for dataset in self.datasets]).tolist()

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, index: int) -> Any:
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(f"ConcatDataset: index {index} is out of range for {len(self)} examples")
        which = int(np.searchsorted(self.cumulative_sizes, index, side="right"))
        start = self.cumulative_sizes[which - 1] if which > 0 else 0
        return self.datasets[which][index - start]


class TensorDataset(Dataset):
    """Examples made of tensors that share their first axis: ``dataset[i] = (t[i] for t in tensors)``."""

    def __init__(self, *tensors: Tensor):
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor, e.g. TensorDataset(x, y)")
        for position, tensor in enumerate(tensors):
            if not isinstance(tensor, Tensor):
                raise TypeError(
                    f"TensorDataset: argument {position} is a {type(tensor).__name__}, not a Tensor; "
                    "wrap arrays with tg.tensor(...) or tg.from_numpy(...)"
                )
            if tensor.ndim == 0 or tensor.shape[0] != tensors[0].shape[0]:
                raise ValueError(
                    f"TensorDataset: every tensor needs the same size of the first axis, got shapes "
                    f"{[t.shape for t in tensors]}"
                )
        self.tensors = tensors

    def __getitem__(self, index: Any) -> tuple[Tensor, ...]:
        return tuple(tensor[index] for tensor in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].shape[0]


class Subset(Dataset):
    """The examples of ``dataset`` at ``indices``, in that order: ``subset[i] = dataset[indices[i]]``."""

    def __init__(self, dataset: Any, indices: Sequence[int]):
        self.dataset = dataset
        self.indices = [int(index) for index in indices]

    def __getitem__(self, index: int) -> Any:
        return self.dataset[self.indices[index]]

    def __len__(self) -> int:
        return len(self.indices)


def random_split(
    dataset: Any, lengths: Sequence[int | float], generator: np.random.Generator | None = None
) -> list[Subset]:
    """Split ``dataset`` at random into non-overlapping Subsets of the given lengths.

    ``lengths`` are counts that add up to ``len(dataset)``, or fractions that add up to 1: each
    fraction gets ⌊fraction · n⌋ examples and the examples left over go one each to the first
    subsets, in order (PyTorch's rule). The permutation comes from ``generator`` (else the default one).
    """
    total = len(dataset)
    if all(isinstance(length, (int, np.integer)) for length in lengths):
        counts = [int(length) for length in lengths]
    elif all(0 <= length <= 1 for length in lengths) and math.isclose(sum(lengths), 1):
        counts = [math.floor(total * length) for length in lengths]
        for position in range(total - sum(counts)):
            counts[position % len(counts)] += 1
    else:
        counts = []
    if sum(counts) != total or any(count < 0 for count in counts):
        raise ValueError(
            f"random_split: lengths={list(lengths)} must be counts adding up to len(dataset)={total}, "
            "or fractions adding up to 1"
        )
    order = generator_or_default(generator).permutation(total)
    subsets = []
    start = 0
    for count in counts:
        subsets.append(Subset(dataset, order[start : start + count].tolist()))
        start += count
    return subsets


# ----- samplers: the order in which the loader visits the examples -----------------------------


class SequentialSampler:
    """Indices 0, 1, ..., len(data_source) − 1."""

    def __init__(self, data_source: Any):
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler:
    """A new random permutation of the indices at every pass, from ``generator`` (else the default one)."""

    def __init__(self, data_source: Any, generator: np.random.Generator | None = None):
        self.data_source = data_source
        self.generator = generator

    def __iter__(self) -> Iterator[int]:
        order = generator_or_default(self.generator).permutation(len(self.data_source))
        return iter(order.tolist())

    def __len__(self) -> int:
        return len(self.data_source)


class BatchSampler:
    """Groups the sampler's indices into lists of ``batch_size``; the last one may be shorter
    unless ``drop_last``."""

    def __init__(self, sampler: Iterable[int], batch_size: int, drop_last: bool):
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self) -> Iterator[list[int]]:
        batch: list[int] = []
        for index in self.sampler:
            batch.append(index)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        count = len(self.sampler)  # type: ignore[arg-type]
        return count // self.batch_size if self.drop_last else math.ceil(count / self.batch_size)


# ----- collate: a list of examples -> one batch ---------------------------------------------


def default_collate(batch: Sequence[Any]) -> Any:
    """Stack a list of examples into one batch, field by field, as PyTorch's default_collate:

    Tensors          -> tg.stack(examples) (a new first axis; dtype kept)
    NumPy arrays     -> a Tensor of the stacked arrays or scalars (dtype kept)
    floats / ints    -> a float64 / int64 Tensor of shape (batch,)   (bools -> bool)
    strings          -> the list of strings
    tuples / lists   -> a list with each field collated  (so ``x, y = batch``)
    dicts            -> a dict with each key collated
    """
    first = batch[0]
    if isinstance(first, Tensor):
        return _stack_tensors(batch)
    if isinstance(first, (np.ndarray, np.generic)) and first.dtype.kind in "biuf":
        return Tensor(np.stack(batch))  # NumPy arrays and scalars keep their dtype
    if isinstance(first, bool):
        return Tensor(np.array(batch, dtype=np.bool_))
    if isinstance(first, int):
        return Tensor(np.array(batch, dtype=np.int64))
    if isinstance(first, float):
        return Tensor(np.array(batch, dtype=np.float64))
    if isinstance(first, str):
        return list(batch)
    if isinstance(first, Mapping):
        return {key: default_collate([example[key] for example in batch]) for key in first}
    if isinstance(first, Sequence):
        sizes = {len(example) for example in batch}
        if len(sizes) != 1:
            raise RuntimeError(
                f"default_collate: each example in the batch must have the same number of fields, got {sorted(sizes)}"
            )
        return [default_collate(list(fields)) for fields in zip(*batch)]
    raise TypeError(
        f"default_collate: examples must be Tensors, NumPy arrays, numbers, strings, dicts or tuples of "
        f"those, got a {type(first).__name__}; pass collate_fn= to batch them yourself"
    )


def _stack_tensors(tensors: Sequence[Tensor]) -> Tensor:
    shapes = {tensor.shape for tensor in tensors}
    if len(shapes) != 1:
        raise RuntimeError(
            f"default_collate: the examples' tensors must have one shape to be stacked, got {sorted(shapes)}; "
            "pass collate_fn= to batch examples of different sizes"
        )
    return stack(list(tensors))


class DataLoader:
    """Iterate over ``dataset`` in batches: ``for x, y in DataLoader(dataset, batch_size=32, shuffle=True)``.

    batch_size   examples per batch (the last one is shorter unless drop_last=True);
                 None: no batching, the examples one by one
    shuffle      a new random order at every pass (every ``for`` loop over the loader)
    generator    the np.random.Generator that draws the order (default: the one tg.manual_seed seeds)
    sampler      an iterable of indices instead of shuffle (batch_sampler: of lists of indices)
    collate_fn   turns a list of examples into a batch (default: default_collate)
    ``len(loader)`` is the number of batches per pass.
    """

    def __init__(
        self,
        dataset: Any,
        batch_size: int | None = 1,
        shuffle: bool | None = None,
        sampler: Iterable[int] | None = None,
        batch_sampler: Iterable[list[int]] | None = None,
        num_workers: int = 0,
        collate_fn: Callable[[list[Any]], Any] | None = None,
        pin_memory: bool = False,
        drop_last: bool = False,
        timeout: float = 0,
        worker_init_fn: Callable[[int], Any] | None = None,
        multiprocessing_context: Any = None,
        generator: np.random.Generator | None = None,
        *,
        prefetch_factor: int | None = None,
        persistent_workers: bool = False,
        pin_memory_device: str = "",
        in_order: bool = True,
    ):
        if shuffle and sampler is not None:
            raise ValueError("DataLoader: give shuffle=True or a sampler, not both (the sampler sets the order)")
        if batch_sampler is not None and (batch_size != 1 or shuffle or sampler is not None or drop_last):
            raise ValueError(
                "DataLoader: batch_sampler= sets the batches itself; leave batch_size, shuffle, sampler and "
                "drop_last at their defaults"
            )
        if batch_size is None and drop_last:
            raise ValueError("DataLoader: drop_last=True needs a batch_size")
        if generator is not None and not isinstance(generator, np.random.Generator):
            raise TypeError(
                f"DataLoader: generator must be a np.random.Generator, got a {type(generator).__name__}; "
                "e.g. generator=tg.Generator().manual_seed(0) or np.random.default_rng(0)"
            )
        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.num_workers = num_workers
        self.generator = generator
        self.collate_fn = collate_fn if collate_fn is not None else default_collate
        if sampler is None:
            sampler = RandomSampler(dataset, generator) if shuffle else SequentialSampler(dataset)
        self.sampler = sampler
        if batch_sampler is None and batch_size is not None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.batch_sampler = batch_sampler

    def __iter__(self) -> Iterator[Any]:
        if self.batch_sampler is None:  # batch_size=None: one example at a time
            for index in self.sampler:
                yield self.dataset[index]
            return
        for indices in self.batch_sampler:
            yield self._fetch(indices)

    def _fetch(self, indices: list[int]) -> Any:
        """One batch. A TensorDataset with the default collate is indexed with all the indices at
        once (the same values as stacking the examples one by one, in one NumPy call)."""
        if isinstance(self.dataset, TensorDataset) and self.collate_fn is default_collate:
            index_array = np.asarray(indices, dtype=np.intp)
            return [tensor[index_array] for tensor in self.dataset.tensors]
        return self.collate_fn([self.dataset[index] for index in indices])

    def __len__(self) -> int:
        if self.batch_sampler is None:
            return len(self.sampler)  # type: ignore[arg-type]
        return len(self.batch_sampler)  # type: ignore[arg-type]


__all__ = [
    "BatchSampler",
    "ConcatDataset",
    "DataLoader",
    "Dataset",
    "RandomSampler",
    "SequentialSampler",
    "Subset",
    "TensorDataset",
    "default_collate",
    "random_split",
]
