"""End to end in a real browser: JupyterLab shows the TrainerPanel, and its sliders retrain live.

Not part of ``make test`` (it needs Debian's ``chromium`` and the ``playwright`` package); run it with
``make browser-test``. It starts JupyterLab on 127.0.0.1 with a fresh token, opens a notebook in
headless Chromium, runs the cell that shows the panel, presses Train, then types a new eta into the
slider and waits for the panel to report a run with that eta.
"""

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest
from playwright.sync_api import sync_playwright

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# flags for a closed network and a root user (as in containers and CI machines)
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
CELL = ('from nbhelpers.widgets import TrainerPanel\n'
        'panel = TrainerPanel(controls=("eta", "lmbda", "hidden", "epochs"), cost="cross_entropy",\n'
        '                     eta=0.5, show_weights=True)\n'
        'panel')


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    root = tmp_path_factory.mktemp("lab")
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(CELL)], metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    nbformat.write(notebook, root / "panel.ipynb")
    port, token = _free_port(), secrets.token_hex(16)
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}",
               "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={token}",
               f"--ServerApp.root_dir={root}"]
    if os.geteuid() == 0:
        command.append("--allow-root")
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
               JUPYTER_RUNTIME_DIR=str(root / ".runtime"))
    server = subprocess.Popen(command, cwd=root, env=env, stdout=subprocess.DEVNULL,
                              stderr=open(root / "lab.log", "wb"))
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
            break
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                pytest.fail("JupyterLab did not start:\n" + (root / "lab.log").read_text()[-2000:])
            time.sleep(0.5)
    yield f"{base}/lab/tree/panel.ipynb?token={token}", root
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()


STATUS = "() => [...document.querySelectorAll('.widget-label')].map(e => e.textContent)"


def _wait_for_status(page, *fragments, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        labels = page.evaluate(STATUS)
        if any(all(f in text for f in fragments) for text in labels):
            return next(t for t in labels if all(f in t for f in fragments))
        time.sleep(0.2)
    raise AssertionError(f"no status line with {fragments}; labels were {page.evaluate(STATUS)}")


def test_sliders_retrain_the_network_live(lab):
    url, root = lab
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        try:
            page.goto(url)
            page.wait_for_selector(".jp-Notebook .jp-Cell .jp-InputArea-editor", timeout=60_000)
            page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']",
                                   timeout=60_000)
            page.click(".jp-Cell .jp-InputArea-editor")
            page.keyboard.press("Shift+Enter")
            page.wait_for_selector(".widget-slider", timeout=60_000)
            assert page.locator(".widget-slider").count() == 4  # eta, lmbda, hidden, epochs

            page.get_by_role("button", name="Train").click()
            first = _wait_for_status(page, "Done: 10 epochs", "eta=0.5,")
            assert "validation accuracy" in first
            assert page.locator(".jp-OutputArea img").count() >= 1  # the learning curves

            readout = page.locator(".widget-readout").first  # eta's editable value
            readout.click()
            page.keyboard.press("Control+A")
            page.keyboard.type("2")
            page.keyboard.press("Enter")
            start = time.monotonic()
            second = _wait_for_status(page, "Done: 10 epochs", "eta=2,")
            seconds = time.monotonic() - start
            print(f"retrained and redrawn {seconds:.1f} s after the change: {second}")
            assert seconds < 30
        finally:
            page.screenshot(path=str(root / "last-screen.png"))
            browser.close()
