"""What the operating system says about this machine: the memory a new allocation can have.

The command lines (``python -m mnist.train``, ``python -m viz --mnist``) ask before they start
whether the arrays a flag asks for would fit, so that a typo such as ``--batch-size 6000000``
is refused in one line instead of ending in a MemoryError (or the system's out-of-memory killer).
"""

from __future__ import annotations

import os


def available_memory() -> int | None:
    """Bytes of memory available to a new allocation (MemAvailable on Linux, else the physical
    memory), None if the system does not say."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None
