"""The one default random generator, and ``tg.manual_seed`` to make it repeat.

Everything that draws random numbers (``nn.Linear`` and ``nn.init``, ``Dropout``,
``tg.randn``/``tg.rand``, ``Tensor.randn``/``Tensor.uniform``) takes ``generator=``, a
``np.random.Generator``. When you give none, it draws from ``default_generator``, so

    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 30), nn.ReLU(), nn.Linear(30, 10))

builds the same weights on every run, as ``torch.manual_seed(0)`` does in PyTorch.
An explicit ``generator=np.random.default_rng(seed)`` is independent of the default one.
"""

from __future__ import annotations

import numpy as np

from .arguments import check_device

default_generator = np.random.default_rng()


def manual_seed(seed: int) -> np.random.Generator:
    """Restart the default generator from ``seed`` and return it (as torch.manual_seed).

    The generator is re-seeded in place, so anyone holding ``tg.default_generator`` sees the
    new stream too.
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"manual_seed: the seed must be an int, got {type(seed).__name__}")
    default_generator.bit_generator.state = np.random.default_rng(int(seed)).bit_generator.state
    return default_generator


def generator_or_default(generator: np.random.Generator | None) -> np.random.Generator:
    """``generator`` if one was given, else the default generator that manual_seed seeds."""
    return generator if generator is not None else default_generator


class Generator(np.random.Generator):
    """PyTorch's ``torch.Generator()``: a NumPy Generator with ``manual_seed``, so both spellings work

        loader = DataLoader(dataset, shuffle=True, generator=tg.Generator().manual_seed(42))
        loader = DataLoader(dataset, shuffle=True, generator=np.random.default_rng(42))   # the same order

    and it goes wherever ``generator=`` is taken. Only the CPU device exists.
    """

    def __init__(self, device: str = "cpu"):
        check_device(str(device))
        super().__init__(np.random.PCG64())
        self._initial_seed: int | None = None

    def manual_seed(self, seed: int) -> Generator:
        """Restart from ``seed`` (the stream of np.random.default_rng(seed)) and return self."""
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise TypeError(f"Generator.manual_seed: the seed must be an int, got {type(seed).__name__}")
        self.bit_generator.state = np.random.PCG64(int(seed)).state
        self._initial_seed = int(seed)
        return self

    def initial_seed(self) -> int | None:
        """The seed given to manual_seed (None before it was called)."""
        return self._initial_seed
