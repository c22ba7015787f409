"""python -m viz --worksheet: a printable page with empty gradient boxes, and a page of answers."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from viz.expression import build
from viz.worksheet import gradients_by_tensor, number_lines, worksheet_figures

REPO = Path(__file__).resolve().parent.parent

NEURON = "z = w1*x1 + w2*x2 + b; p = sigmoid(z); L = -(y*log(p) + (1-y)*log(1-p))"
NEURON_VALUES = "w1=0.5,x1=1,w2=-1,x2=2,b=0.1,y=1"


def neuron_gradients() -> dict[str, str]:
    """∂L/∂(each input) of the log-loss neuron, by hand: ∂L/∂z = p − y, then the chain rule."""
    w1, x1, w2, x2, b, y = 0.5, 1.0, -1.0, 2.0, 0.1, 1.0
    z = w1 * x1 + w2 * x2 + b
    p = 1 / (1 + np.exp(-z))
    dz = p - y
    by_hand = {"w1": dz * x1, "x1": dz * w1, "w2": dz * x2, "x2": dz * w2, "b": dz, "y": -z, "z": dz, "p": -y / p}
    return {name: f"{value:.4g}".replace("-", "−") for name, value in by_hand.items()}


def page_texts(figure) -> list[str]:
    return [text.get_text() for text in figure.findobj(lambda artist: hasattr(artist, "get_text"))]


def test_numbers_are_short_and_matrices_keep_their_rows():
    assert number_lines(np.array(-0.0)) == ["0"]
    assert number_lines(np.array(1 / 3)) == ["0.3333"]
    assert number_lines(np.array([1.0, -2.5, 3.0])) == ["[   1]", "[−2.5]", "[   3]"]  # a column
    assert number_lines(np.array([[1.0, 2.0], [3.0, 40.0]])) == ["[ 1,  2]", "[ 3, 40]"]
    assert number_lines(np.zeros((4, 4))) == ["shape (4, 4)"]


def test_gradients_come_from_the_engine_walk():
    program = build("z = a*b; L = z*a", {"a": 2.0, "b": -3.0})
    gradients = gradients_by_tensor(program.output)
    assert gradients[id(program.leaves["a"])] == pytest.approx(2 * 2 * -3)  # ∂(a²b)/∂a = 2ab, a used twice
    assert gradients[id(program.leaves["b"])] == pytest.approx(4.0)
    assert gradients[id(program.named["z"])] == pytest.approx(2.0)
    assert gradients[id(program.output)] == pytest.approx(1.0)
    assert program.leaves["a"].grad.item() == pytest.approx(-12.0)  # as after backward()
    again = gradients_by_tensor(program.output)  # the graph is kept: a second page gives the same
    assert again[id(program.leaves["a"])] == pytest.approx(-12.0)


@pytest.mark.needs_dot
def test_the_answer_page_has_every_gradient_and_the_worksheet_none():
    worksheet, answers = worksheet_figures(build(NEURON, NEURON_VALUES))
    expected = neuron_gradients()
    for figure in (worksheet, answers):
        assert tuple(figure.get_size_inches()) == pytest.approx((11.69, 8.27))  # A4 landscape
    question_texts, answer_texts = page_texts(worksheet), page_texts(answers)
    for statement in ("z = w1*x1 + w2*x2 + b", "p = sigmoid(z)", "L = -(y*log(p) + (1-y)*log(1-p))"):
        assert statement in question_texts and statement in answer_texts
    for name in ("w1", "x1", "w2", "x2", "b", "y", "z", "p"):
        assert f"∂L/∂{name}" in question_texts
        assert expected[name] in answer_texts, (name, expected[name])
    for name in ("w1", "x1", "w2", "b", "z", "p"):  # the values on page 1 are different numbers
        assert expected[name] not in question_texts, name
    assert "= 0.1978" in question_texts and "z = w1*x1 + w2*x2…" not in question_texts  # values, whole titles


@pytest.fixture(scope="module")
def worksheet_run(tmp_path_factory) -> tuple[subprocess.CompletedProcess, Path]:
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot is not installed")
    out = tmp_path_factory.mktemp("worksheet")
    result = subprocess.run(
        [sys.executable, "-m", "viz", NEURON, "--values", NEURON_VALUES, "--worksheet", "--out", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return result, out


def test_cli_writes_a_two_page_a4_pdf(worksheet_run):
    result, out = worksheet_run
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"wrote {out / 'worksheet.pdf'}"
    assert sorted(path.name for path in out.iterdir()) == ["worksheet.pdf"]  # no temporary file left
    pdf = (out / "worksheet.pdf").read_bytes()
    assert pdf.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf)) == 2
    assert len(re.findall(rb"/MediaBox\s*\[\s*0 0 841\.68 595\.44\s*\]", pdf)) == 2  # A4 landscape, in points


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not installed")
def test_the_pdf_answer_page_holds_the_gradients(worksheet_run):
    result, out = worksheet_run
    assert result.returncode == 0, result.stderr
    pages = []
    for page in (1, 2):
        command = ["pdftotext", "-f", str(page), "-l", str(page), "-layout", str(out / "worksheet.pdf"), "-"]
        pages.append(subprocess.run(command, capture_output=True, text=True, check=True).stdout)
    expected = neuron_gradients()
    assert "Backpropagation worksheet" in pages[0] and "Answers" in pages[1]
    for name in ("w1", "x1", "w2", "b", "y", "z", "p"):
        assert expected[name] in pages[1], (name, expected[name])
    assert expected["w2"] not in pages[0] and expected["x1"] not in pages[0]
