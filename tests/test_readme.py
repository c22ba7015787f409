"""The README's Python examples run, and its promises about commands hold."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.DOTALL)


def test_readme_has_examples():
    assert len(BLOCKS) >= 6


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_example_runs(index, capsys):
    # Blocks build on each other (imports, tensors), as in a reader's session.
    namespace: dict = {}
    for block in BLOCKS[: index + 1]:
        exec(compile(block, f"README.md block {index}", "exec"), namespace)


def test_readme_gives_the_two_commands():
    text = README.read_text(encoding="utf-8")
    assert "python -m mnist.train" in text
    assert "python -m pytest" in text
