"""The student's workspace: made from solutions.py with each backward left to write, and read back.

``start(folder)`` writes one file per exercise and a README. Each file is the class from
``solutions.py`` as it is, except that the bodies of ``backward`` and ``jvp`` are replaced by
stubs (what to return, as comments, then ``raise NotImplementedError``) and the ``backward:``
and ``jvp:`` lines of the docstring, which would give the answers away, are dropped. ``load(folder, exercise)`` imports
the student's file by its path and returns the class in it.
"""

from __future__ import annotations

import ast
import importlib.util
import os
import shlex
import shutil
import tempfile
from pathlib import Path

from ..io.atomic import atomic_file, current_umask
from .catalog import EXERCISES, Exercise

SOLUTIONS = Path(__file__).with_name("solutions.py")
STUBBED_METHODS = ("backward", "jvp")  # the methods the student writes
ANSWER_LINES = ("backward:", "jvp:")  # docstring lines that would give the answer away


class WorkspaceError(ValueError):
    """The folder given is not usable (start: not empty; check: not a workspace)."""


def student_file(exercise: Exercise, folder: str = "DIR") -> str:
    """The text of the student's file for ``exercise`` in the workspace ``folder``."""
    source = SOLUTIONS.read_text(encoding="utf-8")
    module = ast.parse(source)
    lines = source.splitlines()
    imports = [node for node in module.body if isinstance(node, ast.Import | ast.ImportFrom)]
    import_lines = lines[imports[0].lineno - 1 : imports[-1].end_lineno]  # as written, with the blank lines
    (cls,) = [node for node in module.body if isinstance(node, ast.ClassDef) and node.name == exercise.name]
    class_lines = lines[cls.lineno - 1 : cls.end_lineno]
    offset = cls.lineno  # line n of the file is class_lines[n - offset]
    # Replace from the bottom up, so the line numbers above stay right.
    for method in reversed([node for node in cls.body if isinstance(node, ast.FunctionDef)]):
        if method.name in STUBBED_METHODS:
            first = method.body[0].lineno
            stub = [f"        {line}" for line in exercise.task(method.name).splitlines()]
            stub.append(f'        raise NotImplementedError("{exercise.name}.{method.name} is not written yet")')
            class_lines[first - offset : end_line(method) - offset + 1] = stub
    docstring_end = end_line(cls.body[0]) - offset
    class_lines = [
        line
        for number, line in enumerate(class_lines)
        if number > docstring_end or not line.strip().startswith(ANSWER_LINES)
    ]
    number = EXERCISES.index(exercise) + 1
    header = [
        f'"""Exercise {number} of {len(EXERCISES)}: write {exercise.name}.backward and {exercise.name}.jvp.',
        "",
        "The forward is done. backward is reverse mode: ∂L/∂input from ∂L/∂output (grad_output).",
        "jvp is forward mode: the output's tangent from the inputs' tangents (tg.jvp uses it).",
        "",
        "Check your answer:",
        "",
        f"    python -m tinygrad_edu.exercises check {shlex.quote(folder)}",
        '"""',
        "",
        *import_lines,
        "",
        "",
    ]
    return "\n".join(header + class_lines) + "\n"


def end_line(node: ast.stmt) -> int:
    """The last line of ``node`` (ast.parse always sets it; the type says it may be missing)."""
    return node.end_lineno if node.end_lineno is not None else node.lineno


def readme(folder: str = "DIR") -> str:
    folder = shlex.quote(folder)
    rows = "\n".join(
        f"{number}. `{exercise.file}`: `{exercise.name}`" for number, exercise in enumerate(EXERCISES, start=1)
    )
    return f"""# Build it yourself: the derivatives of {len(EXERCISES)} ops

Each file here holds one op of tinygrad_edu: its forward is written; its `backward` and its
`jvp` are yours.

- `backward(ctx, grad_output)` is reverse mode (backpropagation): it gets ∂L/∂y (a Tensor
  shaped like the op's output) and returns ∂L/∂input, one gradient per input. Write it with
  Tensor operations on `ctx.saved_tensors` and `grad_output`, so that second derivatives work
  too. The engine sums the gradients of broadcast inputs back to their shapes for you.
- `jvp(ctx, *input_tangents)` is forward mode: it gets the inputs' tangents ẋ (how fast each
  input moves) and returns the output's tangent ẏ = Σ ∂y/∂x · ẋ, shaped like the output.
  `tg.jvp` and `tg.jacobian(fn, x, mode="forward")` call it.

Start with `backward`: `check` grades the two on their own.

{rows}

Check your work at any time; each op is graded on its own:

```sh
python -m tinygrad_edu.exercises check {folder}           # all ops
python -m tinygrad_edu.exercises check {folder} mul div   # some of them
```

For each op `check` says "correct", "not written yet", or which input's gradient is wrong at
which element, with the values there, and the mistake it most likely is. It compares against
central differences (`tinygrad_edu.debug.check_op.check_op`) and against reference solutions.

Each op is checked in a separate process, with at most 30 seconds and 1 GiB of memory
(`--seconds 60`, `--memory-mb 2048` to change them): an endless loop or a huge array in your
code is reported for that op, and the other ops are still checked.
"""


def is_workspace(folder: Path) -> bool:
    return folder.is_dir() and any((folder / exercise.file).is_file() for exercise in EXERCISES)


def start(folder: Path) -> list[Path]:
    """Write a fresh workspace into ``folder`` (created if missing; it must be empty)."""
    files = [("README.md", readme(str(folder)))]
    files += [(exercise.file, student_file(exercise, str(folder))) for exercise in EXERCISES]
    return write_workspace(folder, files)


def write_workspace(folder: Path, files: list[tuple[str, str]]) -> list[Path]:
    """Write ``files`` (name, text) into ``folder`` (created if missing; it must be empty); both tracks' start.

    All or nothing: the files are written into a hidden folder beside ``folder``, which is then
    renamed to ``folder``; a full disk, a Ctrl-C or a kill leaves no half-written workspace (the
    next ``start`` works). An OSError becomes a WorkspaceError naming the folder and the reason.
    """
    if folder.is_symlink() and not folder.exists():
        raise WorkspaceError(f"start: DIR {str(folder)!r} is a symbolic link to nothing; give a new or empty folder")
    if folder.exists() and not folder.is_dir():
        raise WorkspaceError(f"start: DIR {str(folder)!r} is a file; give a new or empty folder")
    try:
        if folder.is_dir() and any(folder.iterdir()):
            raise WorkspaceError(
                f"start: DIR {str(folder)!r} is not empty; give a new or empty folder (nothing was overwritten)"
            )
        target = folder.resolve() if folder.is_symlink() else folder  # an empty folder a link points to
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"))
    except OSError as error:
        raise WorkspaceError(f"start: cannot write DIR {str(folder)!r}: {error.strerror or error}") from None
    try:
        os.chmod(staging, 0o777 & ~current_umask())  # mkdtemp makes 0700; a workspace is a folder like any other
        for name, text in files:
            write_atomically(staging / name, text)
        os.rename(staging, target)  # over an empty folder, or to a new name: one step
    except BaseException as error:
        shutil.rmtree(staging, ignore_errors=True)
        if isinstance(error, OSError):
            raise WorkspaceError(
                f"start: cannot write DIR {str(folder)!r}: {error.strerror or error} (nothing was written)"
            ) from None
        raise
    return [folder / name for name, _ in files]


def write_atomically(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` whole, or not at all (see ``tinygrad_edu.io.atomic``); return ``path``."""
    with atomic_file(path) as file:
        file.write(text)
    return path


def load(folder: Path, exercise: Exercise) -> type:
    """Import the student's file for ``exercise`` and return its class (exceptions propagate)."""
    path = folder / exercise.file
    spec = importlib.util.spec_from_file_location(f"tinygrad_edu_exercise_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    op = getattr(module, exercise.name, None)
    if not isinstance(op, type):
        raise ImportError(f"{exercise.file} has no class {exercise.name}; keep the class name the file came with")
    return op
