"""The lessons: every notebook runs top to bottom, solutions included, without writing into the repository
(how long each takes is measured by benchmarks/lessons.py, never asserted here: a busy machine must not fail
the suite); each lesson is one percent-format script paired by jupytext with its notebook, and the two are in
sync (notebooks/README.md says how to edit a lesson)."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
LESSONS = sorted(NOTEBOOKS.glob("lesson_*.ipynb"))


def files_in(folder):
    return {
        path.relative_to(folder): path.stat().st_mtime_ns
        for path in folder.rglob("*")
        if "__pycache__" not in path.parts and ".hypothesis" not in path.parts  # caches, ignored by git
    }


def test_there_are_at_least_twelve_lessons_each_with_a_script():
    assert len(LESSONS) >= 12
    for notebook in LESSONS:
        assert notebook.with_suffix(".py").exists(), f"{notebook.name} has no plain-Python twin"


def cells(notebook):
    """What a reader sees of each cell: its kind, its text and the metadata jupytext pairs (tags, hidden)."""
    return [
        (cell.cell_type, cell.source, {key: cell.metadata[key] for key in ("tags", "jupyter") if key in cell.metadata})
        for cell in notebook.cells
    ]


@pytest.mark.parametrize("notebook", LESSONS, ids=[path.stem for path in LESSONS])
def test_the_notebook_and_its_script_are_a_jupytext_pair_in_sync(notebook):
    jupytext = pytest.importorskip("jupytext")
    script = notebook.with_suffix(".py")
    from_script = jupytext.read(script)
    assert from_script.metadata["jupytext"]["formats"] == "ipynb,py:percent", f"{script.name}: not a paired lesson"
    assert from_script.metadata["kernelspec"]["name"] == "python3"
    from_notebook = jupytext.read(notebook)
    assert cells(from_notebook) == cells(from_script), (
        f"{notebook.name} and {script.name} differ: run jupytext --sync notebooks/{script.name}"
    )


@pytest.mark.parametrize("notebook", LESSONS, ids=[path.stem for path in LESSONS])
def test_the_notebook_is_committed_without_outputs(notebook):
    content = json.loads(notebook.read_text(encoding="utf-8"))
    for cell in content["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None, (
                f"{notebook.name} has outputs: jupyter nbconvert --clear-output --inplace notebooks/{notebook.name}"
            )


@pytest.mark.parametrize("notebook", LESSONS, ids=[path.stem for path in LESSONS])
def test_every_exercise_has_a_hidden_solution_at_the_end(notebook):
    content = nbformat.read(notebook, as_version=4)
    headings = [cell.source.splitlines()[0] for cell in content.cells if cell.cell_type == "markdown"]
    assert "## Exercises" in headings and "## Solutions" in headings, f"{notebook.name}: no exercises or solutions"
    exercises_cell = next(cell for cell in content.cells if cell.source.startswith("## Exercises"))
    exercises = [line for line in exercises_cell.source.splitlines() if re.match(r"\d+\. ", line)]
    solutions_start = next(i for i, cell in enumerate(content.cells) if cell.source.startswith("## Solutions"))
    tagged = [index for index, cell in enumerate(content.cells) if "solution" in cell.metadata.get("tags", [])]
    assert tagged == list(range(solutions_start, len(content.cells))), (
        f"{notebook.name}: every cell from '## Solutions' on, and none before, is tagged 'solution'"
    )
    solution_code = [content.cells[index] for index in tagged if content.cells[index].cell_type == "code"]
    assert len(solution_code) >= len(exercises) >= 1, f"{notebook.name}: {len(exercises)} exercises"
    for cell in solution_code:
        assert cell.metadata["jupyter"]["source_hidden"] is True, f"{notebook.name}: a solution not folded away"
    titles = [cell.source.splitlines()[0] for cell in content.cells[solutions_start:] if cell.cell_type == "markdown"]
    assert [f"### Solution {number}" for number in range(1, len(exercises) + 1)] == [
        title.split(":")[0] for title in titles if title.startswith("### Solution")
    ]


def needs_dot(notebook):
    """Lessons that draw graphs need Graphviz's dot program, as the viz tests do."""
    source = notebook.read_text(encoding="utf-8")
    return any(name in source for name in ("draw_graph", "backprop_frames", "export_stepper"))


@pytest.mark.parametrize("notebook", LESSONS, ids=[path.stem for path in LESSONS])
def test_the_notebook_runs_top_to_bottom(notebook, tmp_path, monkeypatch):
    if needs_dot(notebook) and shutil.which("dot") is None:
        pytest.skip("Graphviz's dot is not installed")
    monkeypatch.setenv("TMPDIR", str(tmp_path))  # the kernel inherits it: the lesson's pictures land here
    before = files_in(NOTEBOOKS)
    content = nbformat.read(notebook, as_version=4)
    client = nbclient.NotebookClient(
        content, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}
    )
    client.execute()  # raises CellExecutionError, with the cell and the traceback, if a cell fails
    errors = [output for cell in content.cells for output in cell.get("outputs", []) if output.output_type == "error"]
    assert errors == []
    printed = "".join(
        output.get("text", "")
        for cell in content.cells
        for output in cell.get("outputs", [])
        if output.get("output_type") == "stream"
    )
    assert "pictures are written to" in printed
    pictures = [
        output
        for cell in content.cells
        for output in cell.get("outputs", [])
        if output.get("output_type") == "display_data" and {"image/png", "image/svg+xml"} & set(output["data"])
    ]
    assert pictures, f"{notebook.name} shows no picture"
    if "viz.player(" in notebook.read_text(encoding="utf-8") or "viz.Player(" in notebook.read_text(encoding="utf-8"):
        players = [
            output
            for cell in content.cells
            for output in cell.get("outputs", [])
            if output.get("output_type") in ("display_data", "execute_result")
            and 'class="tinygrad-edu-player"' in output["data"].get("text/html", "")
        ]
        assert players, f"{notebook.name} makes a player but does not show it inline"
    assert files_in(NOTEBOOKS) == before, "the notebook wrote into the repository"
    folder = printed.split("pictures are written to", 1)[1].split()[0]
    assert Path(folder).parent == tmp_path, "the lesson's picture folder is not a temporary folder"


@pytest.mark.needs_dot
def test_a_lesson_runs_as_a_plain_script(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "notebooks.lesson_1_chain_rule"],
        cwd=NOTEBOOKS.parent,
        env={**os.environ, "TMPDIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "they agree ✓" in result.stdout
    assert "[picture: " in result.stdout and "index.html" in result.stdout
    assert any(tmp_path.rglob("index.html"))


def test_handouts_give_students_no_solution_and_teachers_every_one(tmp_path):
    """python -m notebooks.handouts OUT: student copies without any solution cell, teacher copies whole."""
    result = subprocess.run(
        [sys.executable, "-m", "notebooks.handouts", str(tmp_path)],
        cwd=NOTEBOOKS.parent,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert f"wrote {len(LESSONS)} student copies" in result.stdout
    for notebook in LESSONS:
        original = nbformat.read(notebook, as_version=4)
        student = nbformat.read(tmp_path / "student" / notebook.name, as_version=4)
        teacher = nbformat.read(tmp_path / "teacher" / notebook.name, as_version=4)
        assert [cell.source for cell in teacher.cells] == [cell.source for cell in original.cells]
        solutions = [cell.source for cell in original.cells if "solution" in cell.metadata.get("tags", [])]
        kept = [cell.source for cell in original.cells if "solution" not in cell.metadata.get("tags", [])]
        assert solutions, f"{notebook.name}: no solution to remove"
        assert [cell.source for cell in student.cells] == kept, f"{notebook.name}: the student copy differs"
        text = "\n".join(cell.source for cell in student.cells)
        assert "## Solutions" not in text and "### Solution" not in text
        assert "## Exercises" in text, f"{notebook.name}: the student copy lost its exercises"
    assert (tmp_path / "student" / "lesson_tools.py").read_text() == (NOTEBOOKS / "lesson_tools.py").read_text()


@pytest.mark.needs_dot
def test_a_student_copy_runs_top_to_bottom(tmp_path, monkeypatch):
    """The student copy of lesson 1 runs where it is handed out (beside its lesson_tools.py), with no solution."""
    subprocess.run([sys.executable, "-m", "notebooks.handouts", str(tmp_path)], cwd=NOTEBOOKS.parent, check=True)
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    student = tmp_path / "student"
    content = nbformat.read(student / "lesson_1_chain_rule.ipynb", as_version=4)
    client = nbclient.NotebookClient(
        content, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(student)}}
    )
    client.execute()
    printed = "".join(output.get("text", "") for cell in content.cells for output in cell.get("outputs", []))
    assert "pictures are written to" in printed and "they agree" in printed
