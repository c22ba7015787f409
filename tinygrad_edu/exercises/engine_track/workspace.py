"""The engine track's workspace: two files to complete (value.py, then tensor.py) and a README.

``start(folder)`` copies the templates shipped in ``templates/``: the reference engine with each
answer replaced by ``raise NotImplementedError("... is not written yet")``. The reference itself is
not part of the package (it lives in the repository's ``teacher/engine_track/``), so an installed
copy, and every workspace made from it, carries no answers. ``strip_answers`` is how the
templates are made from the reference (``python teacher/make_engine_templates.py``), and a test
checks that they still match. ``load(folder, file)`` imports a student's file by its path.
"""

from __future__ import annotations

import importlib.util
import re
import shlex
from pathlib import Path
from types import ModuleType

from ..workspace import write_workspace

TEMPLATES = Path(__file__).with_name("templates")
FILES = ("value.py", "tensor.py")  # part 1, part 2
ANSWER = re.compile(r"^( *)# BEGIN ANSWER (.+)\n(?:.*\n)*?\1# END ANSWER\n", re.MULTILINE)


def strip_answers(source: str) -> str:
    """``source`` with every ``# BEGIN ANSWER name`` ... ``# END ANSWER`` block replaced by a stub."""
    return ANSWER.sub(lambda match: f'{match[1]}raise NotImplementedError("{match[2]} is not written yet")\n', source)


def template(file: str) -> str:
    return (TEMPLATES / file).read_text(encoding="utf-8")


def readme(folder: str = "DIR") -> str:
    folder = shlex.quote(folder)
    return f"""# Build the engine yourself

Two files, in this order. Each stub says what it needs and raises `NotImplementedError` until
you write it; everything else (the forward of every op, a few local derivatives as examples)
is written.

1. `value.py`: a scalar `Value`, the size of micrograd. Write the local derivatives of `**`,
   `tanh`, `exp` and `relu`, then `topological_order(root)` (each Value once, inputs first)
   and `Value.backward()` (start from ∂L/∂L = 1, walk the order backwards, ADD each
   contribution to the parent's `grad`).
2. `tensor.py`: the same engine over NumPy arrays. Write `unbroadcast`, the local derivatives of
   `*`, `@`, `sum` and `log_softmax`, the walk again (with arrays), and `SGD.zero_grad` and
   `SGD.step` (with momentum).

Check your work at any time; the checks build graphs and compare your gradients with numerical
ones (central differences), so any correct way of writing a method passes:

```sh
python -m tinygrad_edu.exercises check {folder}
```

For each part `check` says "correct", "not written yet", or what is wrong: the op and the value
where a local derivative is wrong, the node a walk visits twice or too early, the usual mistake
it looks like (no visited set, `=` where `+=` belongs, a node passed on before all its
consumers are done, gradients not zeroed between steps).

When every check passes, train a network on your own engine and compare it with the library's:

```sh
python -m tinygrad_edu.exercises capstone {folder}             # 2-D spirals, then MNIST (a few minutes)
python -m tinygrad_edu.exercises capstone {folder} --spirals   # spirals only (seconds)
```
"""


def is_workspace(folder: Path) -> bool:
    return folder.is_dir() and any((folder / file).is_file() for file in FILES)


def start(folder: Path) -> list[Path]:
    """Write a fresh engine-track workspace into ``folder`` (new or empty), all or nothing, as the ops track does."""
    return write_workspace(folder, [("README.md", readme(str(folder)))] + [(file, template(file)) for file in FILES])


def load(folder: Path, file: str) -> ModuleType:
    """Import the student's ``file`` from ``folder`` by its path (exceptions propagate)."""
    path = folder / file
    spec = importlib.util.spec_from_file_location(f"tinygrad_edu_engine_track_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
