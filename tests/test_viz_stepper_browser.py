"""viz.export_stepper: the files it writes, and the page as headless Chromium shows it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

import tinygrad_edu as tg
import viz


def tanh_frames() -> list[viz.Frame]:
    a = tg.Tensor(np.array(2.0), requires_grad=True, name="a")
    b = tg.Tensor(np.array(-3.0), requires_grad=True, name="b")
    c = tg.Tensor(np.array(10.0), requires_grad=True, name="c")
    y = (a * b + c).tanh() * a
    y.name = "y"
    return viz.backprop_frames(y)


@pytest.fixture(scope="module")
def stepper(tmp_path_factory) -> Path:
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot is not installed")
    out_dir = tmp_path_factory.mktemp("stepper")
    return viz.export_stepper(tanh_frames(), out_dir)


@pytest.mark.needs_dot
def test_export_writes_numbered_svgs_and_one_self_contained_page(stepper):
    out_dir = stepper.parent
    assert sorted(path.name for path in out_dir.glob("*.svg")) == [f"frame-{i:03d}.svg" for i in range(6)]
    assert not list(out_dir.glob(".*.tmp*"))  # written through temporary files, all renamed
    page = stepper.read_text(encoding="utf-8")
    # One picture and, hidden, every other drawing of a node or edge: each is in the page once.
    assert page.count("<svg") == 2
    sheet = tanh_frames()[0].stage.sheet()
    assert page.count('class="node"') + page.count('class="edge"') == len(sheet.drawings)
    assert "<?xml" not in page and "<!DOCTYPE svg" not in page
    # Nothing is fetched: no external scripts, styles, images or fonts (SVG namespaces are only names).
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=", page)
    assert "@import" not in page and "url(http" not in page
    assert 'addEventListener("keydown"' in page and "ArrowRight" in page and "ArrowLeft" in page
    assert "location.hash" in page
    assert "step 0 of 5" in page
    assert page.count("data-caption=") == 6
    assert "a receives ∂y/∂(a·b) · b = 0.002682 · (−3) = " in page  # the output is called y


def test_export_needs_frames(tmp_path):
    with pytest.raises(ValueError, match="no frames"):
        viz.export_stepper([], tmp_path)


def chromium(executable: str, page: Path, fragment: str, action: str, scratch: Path) -> subprocess.CompletedProcess:
    """Run headless Chromium (``executable``) on page#fragment with a fresh profile; ``action`` is
    --screenshot=... or --dump-dom."""
    scratch.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, XDG_CONFIG_HOME=str(scratch / "config"), XDG_CACHE_HOME=str(scratch / "cache"))
    command = [
        executable,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--disable-sync",
        "--disable-quic",
        f"--user-data-dir={scratch / 'profile'}",
        action,
        "--window-size=1400,900",
        f"{page.as_uri()}#{fragment}",
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, env=env)


def screenshot(executable: str, page: Path, fragment: str, out: Path, scratch: Path) -> np.ndarray:
    """Open page#fragment in headless Chromium and return the screenshot as an RGB(A) array."""
    from matplotlib.image import imread

    result = chromium(executable, page, fragment, f"--screenshot={out}", scratch)
    assert out.exists(), f"chromium wrote no screenshot (exit {result.returncode}): {result.stderr[-2000:]}"
    return imread(out)


@pytest.mark.needs_dot
def test_headless_chromium_shows_different_frames_for_different_fragments(stepper, tmp_path, chromium_executable):
    first = screenshot(chromium_executable, stepper, "0", tmp_path / "frame0.png", tmp_path / "chromium0")
    fourth = screenshot(chromium_executable, stepper, "3", tmp_path / "frame3.png", tmp_path / "chromium3")
    for image in (first, fourth):
        assert image.shape[:2] == (900, 1400)
        assert image[..., :3].var() > 1e-3, "the screenshot is blank"
    assert first.shape == fourth.shape
    difference = np.abs(first[..., :3] - fourth[..., :3]).mean()
    assert difference > 1e-3, "#0 and #3 show the same picture"


@pytest.mark.needs_dot
def test_the_page_opens_at_the_frame_named_in_the_address(stepper, tmp_path, chromium_executable):
    dom = chromium(chromium_executable, stepper, "3", "--dump-dom", tmp_path / "chromium").stdout
    assert re.search(r'id="counter"[^>]*>step 3 of 5<', dom)  # #3 is step 3: one numbering
    shown = re.findall(r'class="picture" id="(\w+-\d+)" data-focus="[^"]*">', dom)  # the others carry hidden=""
    assert shown == ["answer-3"]
    assert re.search(r'id="lines-3" data-heading="backward through \+', dom)
