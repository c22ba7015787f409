"""viz.player: the object a notebook shows inline, and what it is made of."""

from __future__ import annotations

import html
import re

import numpy as np
import pytest

import tinygrad_edu as tg
import viz


def example() -> tg.Tensor:
    a = tg.Tensor(np.array(2.0), requires_grad=True, name="a")
    b = tg.Tensor(np.array(-3.0), requires_grad=True, name="b")
    return (a * b).tanh()


def test_player_runs_backward_and_is_exported():
    assert "player" in viz.__all__ and "Player" in viz.__all__
    loss = example()
    a = loss.grad_fn.parents[0].grad_fn.parents[0]
    player = viz.player(loss)
    assert isinstance(player, viz.Player)
    assert player.title == "Backpropagation through tanh(a·b)"  # the output's own words
    assert len(player.frames) == 4 and not player.predict
    np.testing.assert_allclose(a.grad.data, (1 - np.tanh(-6.0) ** 2) * -3.0)
    assert viz.player(example(), predict=True, title="mine").title == "mine"
    assert "Player('mine', 4 frames, predict=True)" == repr(viz.player(example(), predict=True, title="mine"))


@pytest.mark.needs_dot
def test_repr_html_is_the_whole_page_in_an_iframe_that_fetches_nothing():
    player = viz.player(example(), predict=True)
    shown = player._repr_html_()
    assert shown.startswith('<iframe class="tinygrad-edu-player"') and shown.endswith("</iframe>")
    (source,) = re.findall(r'srcdoc="([^"]*)"', shown)  # quotes inside are escaped: one attribute
    page = html.unescape(source)
    assert page == player.html()
    assert page.startswith("<!DOCTYPE html>") and 'data-predict="true"' in page
    assert page.count("<svg") == 2  # the picture, and the drawings the other frames swap in
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=", page)  # nothing fetched
    assert "@import" not in page and "url(http" not in page
    assert 'addEventListener("keydown"' in page
    assert "getElementById" in page and "document.cookie" not in page


@pytest.mark.needs_dot
def test_save_writes_the_page_atomically(tmp_path):
    player = viz.player(example())
    path = player.save(tmp_path / "deep" / "player.html")
    assert path.read_text(encoding="utf-8") == player.html()
    assert [p.name for p in path.parent.iterdir()] == ["player.html"]  # no temporary file left behind


@pytest.mark.needs_dot
def test_export_stepper_writes_nothing_when_drawing_fails(tmp_path, monkeypatch):
    frames = viz.backprop_frames(example())
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # dot disappears
    with pytest.raises(viz.GraphvizNotFoundError):
        viz.export_stepper(frames, tmp_path / "out")
    assert not list((tmp_path / "out").iterdir())


@pytest.mark.needs_dot
def test_export_stepper_removes_the_frames_of_an_earlier_longer_walk(tmp_path):
    x = tg.Tensor(np.array(0.5), requires_grad=True, name="x")
    viz.export_stepper(viz.backprop_frames(x.exp().sin().cos()), tmp_path)  # 5 frames
    (tmp_path / "notes.svg").write_text("mine", encoding="utf-8")
    viz.export_stepper(viz.backprop_frames(example()), tmp_path)  # 4 frames
    assert sorted(path.name for path in tmp_path.glob("*.svg")) == [f"frame-{i:03d}.svg" for i in range(4)] + [
        "notes.svg"
    ]


@pytest.mark.needs_dot
def test_the_command_line_opens_the_player_in_predict_mode(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    repo = Path(__file__).resolve().parent.parent
    command = [sys.executable, "-m", "viz", "a*b", "--values", "a=2,b=3", "--predict", "--out", str(tmp_path)]
    result = subprocess.run(command, cwd=repo, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    page = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert '<body data-predict="true">' in page
    assert 'data-predict="false"' in (viz.export_stepper(viz.backprop_frames(example()), tmp_path / "plain")).read_text(
        encoding="utf-8"
    )


def test_the_title_and_the_program_are_the_users_statements():
    x = tg.Tensor(np.array(2.0), requires_grad=True, name="x")
    t = tg.Tensor(np.array(1.0), name="t")
    h = (x * 3.0).tanh()
    h.name = "h"
    loss = (h - t) ** 2
    loss.name = "E"
    player = viz.player(loss)
    assert player.title == "Backpropagation through E = (h − t)²"  # the formula, not only its name
    assert player.program == ["h = tanh(x·3)", "E = (h − t)²"]


@pytest.mark.needs_dot
def test_running_the_same_cell_again_works_and_says_what_grad_holds():
    a = tg.Tensor(np.array(2.0), requires_grad=True, name="a")
    loss = (a * a).tanh()
    loss.name = "L"
    first = viz.backprop_frames(loss)
    again = viz.backprop_frames(loss)  # the notebook cell run a second time
    player = viz.player(loss)  # and a player from the same cell
    assert [frame.caption for frame in again[:-1]] == [frame.caption for frame in first[:-1]]
    gradient = 4 * (1 - np.tanh(4.0) ** 2)
    assert f"∂L/∂a = {gradient:.4g}" in again[-1].caption  # this walk's own total, not the sum in .grad
    np.testing.assert_allclose(a.grad.data, 3 * gradient)
    assert "this walk added to a .grad left by an earlier one" in player.frames[-1].caption
    assert "added to a .grad" not in first[-1].caption


def test_a_graph_freed_by_backward_says_what_to_do():
    a = tg.Tensor(np.array(2.0), requires_grad=True, name="a")
    loss = a * a
    loss.name = "L"
    loss.backward()
    with pytest.raises(tg.BackwardError) as error:
        viz.backprop_frames(loss)
    message = str(error.value)
    assert "L.backward() frees it" in message and "compute L again" in message and "first backward" not in message
