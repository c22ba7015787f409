"""Run a PyTorch script on tinygrad_edu, changing nothing but its import lines.

    python examples/pytorch_scripts/swap_imports.py examples/pytorch_scripts/tensors.py
    python examples/pytorch_scripts/swap_imports.py my_script.py --show     # print the swapped source

The swap is the one a learner makes by hand, on import lines only (the rest of the script keeps
its ``torch.`` names, because tinygrad_edu is imported *as* torch):

    import torch                          ->  import tinygrad_edu as torch
    import torch.nn as nn                 ->  import tinygrad_edu.nn as nn
    import torch.nn.functional as F       ->  import tinygrad_edu.nn.functional as F
    from torch import nn, optim           ->  from tinygrad_edu import nn, optim
    from torch.utils.data import DataLoader  ->  from tinygrad_edu.utils.data import DataLoader
"""

from __future__ import annotations

import argparse
import contextlib
import io
import re
import sys
from pathlib import Path

# "import torch" alone keeps the name torch; every other import line only renames the package.
_BARE_IMPORT = re.compile(r"^(\s*)import torch\s*(#.*)?$")
_IMPORT_AS = re.compile(r"^(\s*)import torch((?:\.\w+)+ as \w+)")
_FROM_IMPORT = re.compile(r"^(\s*)from torch((?:\.\w+)*) import ")


def swap_imports(source: str) -> str:
    """The source with ``torch`` replaced by ``tinygrad_edu`` in its import lines (nothing else changes)."""
    lines = []
    for line in source.splitlines(keepends=True):
        line = _BARE_IMPORT.sub(r"\1import tinygrad_edu as torch", line.rstrip("\n")) + (
            "\n" if line.endswith("\n") else ""
        )
        line = _IMPORT_AS.sub(r"\1import tinygrad_edu\2", line)
        line = _FROM_IMPORT.sub(r"\1from tinygrad_edu\2 import ", line)
        lines.append(line)
    return "".join(lines)


def run_script(path: Path, swap: bool = True) -> str:
    """Run the script at ``path`` in this process (as ``__main__``) and return what it printed.
    With swap=False it runs unchanged (under PyTorch, where torch is installed)."""
    source = path.read_text(encoding="utf-8")
    if swap:
        source = swap_imports(source)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(source, str(path), "exec"), {"__name__": "__main__", "__file__": str(path)})
    return printed.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description="Run a PyTorch script on tinygrad_edu with only its imports swapped.")
    parser.add_argument("script", type=Path, help="a Python file that imports torch")
    parser.add_argument("--show", action="store_true", help="print the swapped source instead of running it")
    args = parser.parse_args()
    if not args.script.is_file():
        parser.exit(2, f"swap_imports.py: error: script {str(args.script)!r} is not a file\n")
    if args.show:
        print(swap_imports(args.script.read_text(encoding="utf-8")), end="")
        return
    sys.stdout.write(run_script(args.script))


if __name__ == "__main__":
    main()
