"""How many threads BLAS (the library behind NumPy's ``@``) may use: chosen for the work.

NumPy hands every matrix product to a BLAS library (OpenBLAS, MKL, ...), which by default
starts one thread per core and keeps them spinning between products. That pays off for big
products on an idle machine, and backfires everywhere else:

- small products (a batch of 10 through a 784-30-10 network) finish in microseconds, less
  than it takes to wake the threads and gather their results;
- on a shared machine (a classroom server, a laptop with a browser open) the spinning
  threads fight the other processes for the cores: one step of a 784-128-10 network took
  26-80 ms instead of about 1 ms beside a single busy process on 2 cores.

The rule, in ``choose_threads``:

    threads = 1                        if the largest product of a step is small
                                       (under SMALL_WORK multiply-adds, about a millisecond
                                       on one core)
    threads = free cores               otherwise, where
    free cores = cores this process may run on (os.sched_getaffinity)
                 − cores already busy (processes running right now, or the
                   1-minute load average, whichever is larger), at least 1

``set_threads(n)`` applies a count through ``threadpoolctl`` (for the BLAS libraries only).

Any script that imports tinygrad_edu gets the rule, applied once, at its first large matrix
product (``@``, matmul, nn.Linear; SMALL_WORK multiply-adds or more: ``choose_for_product``).
Smaller products run on one thread in OpenBLAS anyway. After that choice, and after any
``set_threads`` (``tg.set_num_threads``, ``mnist.train --threads``), the library never
chooses again; a thread count set in the environment (OPENBLAS_NUM_THREADS, ...) is left as
it is. Until then a product pays one test of ``pending`` and one multiplication of sizes.
One thread count per run: the count can change the last digits of a result (sums are split
differently), so "same seed, same numbers" holds for the same count.
"""

from __future__ import annotations

import os
import statistics
import time

SMALL_WORK = 4_000_000  # multiply-adds: below this, one product takes about a millisecond on one core

_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS")

# Still to choose? True until the library has chosen for a large product, or the user has.
pending = not any(os.environ.get(name) for name in _THREAD_VARIABLES)


def cores_available() -> int:
    """Cores this process may run on (its CPU affinity, not just the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _running_now() -> int | None:
    """Processes running or waiting for a core right now, this one excluded (Linux: /proc/loadavg).

    The median of a few samples, 10 ms apart, since one sample catches passing bursts."""
    samples = []
    for _ in range(5):
        try:
            with open("/proc/loadavg") as file:
                running = int(file.read().split()[3].split("/")[0])
        except (OSError, ValueError, IndexError):
            return None
        samples.append(running - 1)
        time.sleep(0.01)
    return max(0, round(statistics.median(samples)))


def busy_cores() -> int:
    """Cores other work keeps busy: the processes running now, or the 1-minute load average."""
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    now = _running_now()
    return max(round(load), now if now is not None else 0)


def choose_threads(multiply_adds: int) -> tuple[int, str]:
    """The thread count for work whose largest matrix product has this many multiply-adds,
    and the reason, in words (printed by ``python -m mnist.train``)."""
    cores = cores_available()
    busy = busy_cores()
    free = max(1, cores - busy)
    if multiply_adds < SMALL_WORK:
        return 1, f"small products ({multiply_adds:,} multiply-adds < {SMALL_WORK:,})"
    return min(free, cores), f"{cores} cores, {min(busy, cores)} busy"


def choose_for_product(multiply_adds: int) -> None:
    """The library's own choice, at its first large matrix product (see the module docstring)."""
    global pending
    if multiply_adds >= SMALL_WORK:
        pending = False
        _apply(choose_threads(multiply_adds)[0])


def set_threads(count: int) -> None:
    """Let BLAS use ``count`` threads from now on (threadpoolctl; other thread pools untouched).
    The library stops choosing by itself."""
    global pending
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ValueError(f"threads must be a positive integer, got {count!r}")
    pending = False
    _apply(count)


def _apply(count: int) -> None:
    from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]  # imported when first needed

    threadpool_limits(limits=count, user_api="blas")


def blas_threads() -> int | None:
    """The thread count of the BLAS library NumPy uses now (None if threadpoolctl finds none)."""
    from threadpoolctl import threadpool_info  # imported when first needed

    counts = [pool["num_threads"] for pool in threadpool_info() if pool.get("user_api") == "blas"]
    return max(counts) if counts else None
