"""What the tests of pictures share: the mark ``needs_dot`` (Graphviz's dot program), the system's
Chromium, and one headless browser per test module driven by Playwright."""

import os
import shutil

import pytest

CHROMIUM = "/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else shutil.which("chromium")


def pytest_configure(config):
    config.addinivalue_line("markers", "needs_dot: needs Graphviz's dot program; skipped where it is not installed")


@pytest.hookimpl(tryfirst=True)  # before any fixture is set up
def pytest_runtest_setup(item):
    if item.get_closest_marker("needs_dot") is not None and shutil.which("dot") is None:
        pytest.skip("Graphviz's dot is not installed")


@pytest.fixture(scope="session")
def chromium_executable():
    """The path of the system's Chromium (no browser download); a test that needs it skips without it."""
    if CHROMIUM is None:
        pytest.skip("chromium is not installed")
    return CHROMIUM


@pytest.fixture(scope="module")
def browser(chromium_executable):
    """Headless Chromium through Playwright; a module that uses it skips without Playwright or Chromium."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_executable, args=["--no-sandbox"])
        yield browser
        browser.close()
