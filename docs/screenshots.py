"""Take the README's screenshots with headless Chromium: ``.venv/bin/python docs/screenshots.py``.

Needs Debian's ``chromium`` (``apt-get install chromium``), the ``playwright`` package (it drives that
browser and never downloads one) and a built site (``make html``). Writes PNGs to ``docs/images/``:

- ``trainer-panel.png``: the TrainerPanel in JupyterLab, after one press of *Train* (JupyterLab runs
  on 127.0.0.1 with a fresh token, a free port and its own temporary settings folders);
- ``learning-slowdown.png``: lesson 05's first plot of the learning slowdown, from the built site;
- ``digits.png``: lesson 00's grid of training digits, from the built site.
"""

import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import nbformat
from PIL import Image
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
IMAGES = ROOT / "docs" / "images"
SITE = ROOT / "build" / "html"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
PANEL_CELL = ('from nbhelpers.widgets import TrainerPanel\n'
              'panel = TrainerPanel(controls=("eta", "lmbda", "hidden", "epochs"), cost="cross_entropy",\n'
              '                     eta=0.5, show_weights=True)\n'
              'panel')
MAX_BYTES = 150_000


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _shrink(path):
    """Keep a PNG under MAX_BYTES: fewer colours first, then a smaller size."""
    image = Image.open(path).convert("RGB")
    while path.stat().st_size > MAX_BYTES:
        image.quantize(colors=128, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)
        if path.stat().st_size > MAX_BYTES:
            image = image.resize((image.width * 9 // 10, image.height * 9 // 10), Image.LANCZOS)
    print(f"{path.relative_to(ROOT)}: {path.stat().st_size // 1000} kB, {image.width}x{image.height}")


def start_lab(root):
    """JupyterLab on 127.0.0.1 in ``root``, with settings kept in ``root`` too; returns (process, url)."""
    port, token = _free_port(), secrets.token_hex(16)
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}",
               "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={token}",
               f"--ServerApp.root_dir={root}"]
    if os.geteuid() == 0:
        command.append("--allow-root")
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
               MPLBACKEND="module://matplotlib_inline.backend_inline",
               **{name: str(root / f".{name.lower()}") for name in
                  ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR")})
    server = subprocess.Popen(command, cwd=root, env=env, stdout=subprocess.DEVNULL,
                              stderr=open(root / "lab.log", "wb"))
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
            return server, f"{base}/lab/tree/panel.ipynb?token={token}"
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                raise RuntimeError("JupyterLab did not start:\n"
                                   + (root / "lab.log").read_text()[-2000:]) from None
            time.sleep(0.5)


def trainer_panel(browser):
    root = Path(tempfile.mkdtemp(prefix="lab-shots-"))
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(PANEL_CELL)], metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}),
        root / "panel.ipynb")
    server, url = start_lab(root)
    try:
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.goto(url)
        page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=90_000)
        # ipykernel 7 may leave the first request of a fresh connection unread (ipykernel issue
        # 1554): the cell then never runs. Running it again wakes the kernel.
        for attempt in range(5):
            page.locator(".jp-Cell .jp-InputArea-editor").first.click()
            page.keyboard.press("Shift+Enter")
            try:
                page.wait_for_selector(".widget-slider", timeout=20_000)
                break
            except Exception:
                if attempt == 4:
                    page.screenshot(path=str(root / "failed.png"))
                    raise
        try:
            page.get_by_role("button", name="No", exact=True).click(timeout=3000)  # the news question
        except Exception:
            pass
        page.get_by_role("button", name="Train").click()
        page.wait_for_function("() => [...document.querySelectorAll('.widget-label')]"
                               ".some(e => e.textContent.includes('Done'))", timeout=120_000)
        page.wait_for_selector(".jp-OutputArea img", timeout=30_000)
        time.sleep(1)
        page.locator(".jp-Cell").first.screenshot(path=str(IMAGES / "trainer-panel.png"))
        page.close()
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        shutil.rmtree(root, ignore_errors=True)
    _shrink(IMAGES / "trainer-panel.png")


def site_cell(browser, page_name, code, png):
    """Screenshot the cell of the built page ``page_name`` whose code contains ``code``."""
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    page.route("http*://**", lambda route: route.abort())   # offline: no CDN, no fonts
    page.goto((SITE / page_name).as_uri())
    cell = page.locator(".jp-CodeCell", has_text=code).first
    cell.locator(".jp-OutputArea img").first.wait_for()
    cell.screenshot(path=str(IMAGES / png))
    page.close()
    _shrink(IMAGES / png)


def main():
    if not (SITE / "index.html").exists():
        sys.exit("build the site first: make html")
    IMAGES.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            site_cell(browser, "05-cross-entropy-and-softmax.html", 'starts = {"w=0.6, b=0.9"',
                      "learning-slowdown.png")
            site_cell(browser, "00-start-here.html", "show_digits(X, labels=y, n=30", "digits.png")
            trainer_panel(browser)
        finally:
            browser.close()


if __name__ == "__main__":
    main()
