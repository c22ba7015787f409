"""The inline player in a real Jupyter server, in JupyterLab and in Notebook 7, driven by headless Chromium.

One loopback-only server (``jupyter lab``, which also serves Notebook 7's pages at /notebooks/ when
the ``notebook`` package is installed) holds notebooks written by the test. The browser runs their
cells as a student would (Run > Run All Cells), then steps each player by its button and by the arrow keys
and checks that the other player on the page does not move. A notebook whose outputs were saved
elsewhere is not trusted: the front end sanitizes its HTML, and the cell must then say how to see
the player instead of coming out empty; running the cells again brings the players back.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import tinygrad_edu as tg
import viz

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips these tests then
    expect = None

REPO = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.needs_dot
SCREEN = {"width": 1400, "height": 900}
WAIT = 120_000  # ms: a kernel that starts on a loaded machine may take its time, a broken one fails anyway
SETTLE = 30_000  # ms: for a page to show what a click or a key press changed

FIRST_CELL = """import numpy as np
import tinygrad_edu as tg
import viz

a = tg.Tensor(2.0, dtype=np.float64, requires_grad=True, name="a")
b = tg.Tensor(-3.0, dtype=np.float64, requires_grad=True, name="b")
c = tg.Tensor(10.0, dtype=np.float64, requires_grad=True, name="c")
L = (a * b + c).tanh() * a
L.name = "L"
viz.player(L)"""

SECOND_CELL = """x = tg.Tensor(0.5, dtype=np.float64, requires_grad=True, name="x")
viz.player(x.exp().sin(), title="a second player")"""


def notebook_file(path: Path, outputs: bool) -> None:
    """Write the two-cell notebook; with ``outputs`` the players are saved in it as if it had been run elsewhere."""
    nbformat = pytest.importorskip("nbformat")
    cells = [nbformat.v4.new_code_cell(FIRST_CELL), nbformat.v4.new_code_cell(SECOND_CELL)]
    if outputs:
        a = tg.Tensor(2.0, dtype=np.float64, requires_grad=True, name="a")
        b = tg.Tensor(-3.0, dtype=np.float64, requires_grad=True, name="b")
        c = tg.Tensor(10.0, dtype=np.float64, requires_grad=True, name="c")
        L = (a * b + c).tanh() * a
        L.name = "L"
        x = tg.Tensor(0.5, dtype=np.float64, requires_grad=True, name="x")
        shown = [viz.player(L), viz.player(x.exp().sin(), title="a second player")]
        for count, (cell, player) in enumerate(zip(cells, shown), start=1):
            cell.execution_count = count
            data = {"text/html": player._repr_html_(), "text/plain": repr(player)}
            cell.outputs = [nbformat.v4.new_output("execute_result", data=data, execution_count=count)]
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(notebook, path)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A Jupyter server on 127.0.0.1 (a free port, a token), with its own config, data and runtime folders."""
    pytest.importorskip("jupyterlab", reason="JupyterLab is not installed (pip install jupyterlab)")
    pytest.importorskip("ipykernel", reason="ipykernel is not installed")
    home = tmp_path_factory.mktemp("jupyter")
    root = home / "notebooks"
    root.mkdir()
    notebook_file(root / "lab.ipynb", outputs=False)
    notebook_file(root / "notebook7.ipynb", outputs=False)
    notebook_file(root / "saved.ipynb", outputs=True)
    # No news toast over the notebook (it could cover a player's buttons), and nothing fetched.
    settings = home / "config" / "lab" / "user-settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False, "doNotDisturbMode": True}), encoding="utf-8"
    )
    runtime = home / "runtime"
    env = dict(
        os.environ,
        JUPYTER_CONFIG_DIR=str(home / "config"),
        JUPYTER_DATA_DIR=str(home / "data"),  # and so no notebook is trusted from an earlier run
        JUPYTER_RUNTIME_DIR=str(runtime),
        IPYTHONDIR=str(home / "ipython"),
        PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
    )
    command = [
        sys.executable,
        "-m",
        "jupyter",
        "lab",
        "--no-browser",
        "--allow-root",
        "--ServerApp.ip=127.0.0.1",
        "--ServerApp.port=0",
        "--IdentityProvider.token=secret",
        f"--ServerApp.root_dir={root}",
    ]
    log = (home / "server.log").open("w")
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while not list(runtime.glob("jpserver-*.json")):  # written once the server listens
            if process.poll() is not None:
                pytest.fail("the Jupyter server stopped:\n" + (home / "server.log").read_text())
            if time.monotonic() > deadline:
                pytest.fail("the Jupyter server did not start in 120 s:\n" + (home / "server.log").read_text())
            time.sleep(0.2)
        info = json.loads(next(runtime.glob("jpserver-*.json")).read_text(encoding="utf-8"))
        yield {"url": info["url"], "has_notebook7": _installed("notebook")}
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)  # the server shuts its kernels down on the way out
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        log.close()


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport=SCREEN)
    context.set_default_timeout(WAIT)
    page = context.new_page()
    yield page
    context.close()


def open_notebook(page, server, path: str) -> None:
    """Open the notebook and wait until its kernel is idle (cells run before that are dropped, not queued)."""
    page.goto(f"{server['url']}{path}?token=secret")
    page.locator(".jp-Notebook .jp-Cell").nth(1).wait_for()
    page.locator('.jp-Notebook-ExecutionIndicator[data-status="idle"]').first.wait_for()


def run_all_cells(page) -> None:
    """Run > Run All Cells, from the menu bar (JupyterLab and Notebook 7 share it).

    A front end that has not quite connected to its kernel drops the request without a word (the
    prompts stay "[ ]:"), as it would for a student clicking too early: then the menu is used again.
    """
    started = page.locator(".jp-Notebook .jp-Cell .jp-InputPrompt", has_text=re.compile(r"\[(\*|\d+)\]"))
    for attempt in range(3):
        page.locator(".lm-MenuBar-item", has_text="Run").first.click()
        page.locator(".lm-Menu-item", has_text="Run All Cells").first.click()
        try:
            started.first.wait_for(timeout=30_000)
            return
        except Exception:
            if attempt == 2:
                raise


def shows_step(frame, text: str) -> None:
    """Wait until the player's counter reads ``text`` (Playwright retries: a loaded machine may
    paint the step a moment after the click or key press that made it)."""
    expect(frame.locator("#counter")).to_have_text(text, timeout=SETTLE)


def check_two_players_step_on_their_own(page) -> None:
    players = page.locator("iframe.tinygrad-edu-player")
    players.nth(1).wait_for()
    assert players.count() == 2
    first = page.frame_locator("iframe.tinygrad-edu-player >> nth=0")
    second = page.frame_locator("iframe.tinygrad-edu-player >> nth=1")
    shows_step(first, "step 0 of 5")
    shows_step(second, "step 0 of 3")

    # The player fits the height it asks for: no scroll bar in it, none cut off by the notebook.
    box = players.nth(0).bounding_box()
    assert abs(box["height"] - (640 + 2)) <= 1, box  # height=640 and a 1 px border
    inside = first.locator("html").evaluate(
        "html => [html.scrollHeight, html.clientHeight, html.scrollWidth, html.clientWidth]"
    )
    assert inside[0] <= inside[1] and inside[2] <= inside[3], inside
    assert page.locator(".jp-mod-outputsScrolled").count() == 0  # the front end did not fold the output

    first.locator("#next").click()
    shows_step(first, "step 1 of 5")
    shows_step(second, "step 0 of 3")  # the other player did not move
    page.keyboard.press("ArrowRight")  # the click put the keys into the first player
    shows_step(first, "step 2 of 5")
    expect(first.locator("#panel")).to_contain_text("local derivative: ∂tanh(a·b + c)/∂(a·b + c)", timeout=SETTLE)
    shows_step(second, "step 0 of 3")

    second.locator("#stage").click()  # into the second player: now the keys are its own
    page.keyboard.press("ArrowRight")
    shows_step(second, "step 1 of 3")
    page.keyboard.press("End")
    shows_step(second, "step 3 of 3")
    shows_step(first, "step 2 of 5")


def test_two_players_step_inline_in_jupyterlab(page, server):
    open_notebook(page, server, "lab/workspaces/players/tree/lab.ipynb")
    run_all_cells(page)
    check_two_players_step_on_their_own(page)


def test_two_players_step_inline_in_notebook7(page, server):
    if not server["has_notebook7"]:
        pytest.skip("Notebook 7 is not installed (pip install notebook)")
    open_notebook(page, server, "notebooks/notebook7.ipynb")
    run_all_cells(page)
    check_two_players_step_on_their_own(page)


def test_an_untrusted_notebook_says_how_to_see_the_player_and_running_it_shows_it(page, server):
    open_notebook(page, server, "lab/workspaces/untrusted/tree/saved.ipynb")
    notes = page.locator(".jp-OutputArea-output .tinygrad-edu-player-untrusted")
    notes.nth(1).wait_for()
    # The sanitizer removed the iframe and kept the note written inside it, naming the player.
    assert page.locator("iframe").count() == 0
    note = notes.nth(0).inner_text()
    title = "Backpropagation through L = tanh(a·b + c)·a"  # the output's statement
    assert note.startswith(f"{title}: the player shows here once the notebook is trusted.")
    assert "Trust Notebook" in note and notes.nth(1).inner_text().startswith("a second player:")
    assert notes.nth(0).is_visible()

    run_all_cells(page)  # the note's first advice: the outputs a cell makes here are trusted
    check_two_players_step_on_their_own(page)
    expect(notes).to_have_count(0, timeout=SETTLE)
