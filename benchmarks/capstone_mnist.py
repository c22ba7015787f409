"""The engine track's MNIST capstone on the reference answers: the student's engine against the library's.

    python benchmarks/capstone_mnist.py        # about a minute or two on 2 cores

Trains the capstone's 784-128-10 MLP (SGD, momentum 0.9, batch 128) on the teacher's reference
``tensor.py`` (teacher/engine_track/) and on tinygrad_edu, from the same weights and batches, and prints
each one's test accuracy and time. The goal a student's engine must reach is 97%; this run shows the
reference engine reaches it. Too slow for the test suite, so it lives here, where nothing is asserted
about time.
"""

from __future__ import annotations

import sys
from pathlib import Path

from tinygrad_edu.exercises.engine_track import capstone, workspace

REFERENCE = Path(__file__).resolve().parent.parent / "teacher" / "engine_track"


def main() -> int:
    module = workspace.load(REFERENCE, "tensor.py")
    mine, library = capstone.compare(module, capstone.MNIST, capstone.mnist_data(), say=print)
    print(f"reference engine: {100 * mine.accuracy:.2f}%   library: {100 * library.accuracy:.2f}%   goal: 97%")
    return 0 if mine.accuracy >= 0.97 else 1


if __name__ == "__main__":
    sys.exit(main())
