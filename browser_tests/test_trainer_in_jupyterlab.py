"""A learner's path through a lesson with the interactive trainer, in JupyterLab in headless Chromium.

Part of ``make test`` wherever Debian's Chromium is installed (``apt-get install chromium``);
without it the test is skipped with one line saying so. The ``playwright`` package (a dev
dependency) drives that browser; it never downloads a browser of its own.

The path, on a copy of the lessons in a temporary folder, with a JupyterLab whose settings,
workspace and runtime files live there too (nothing of the user's is read or changed):

1. open lesson 03 and wait until its kernel has answered (the server reports it idle with the
   page connected, and a first cell comes back with the prompt ``[1]:``);
2. Run All: every code cell gets a number, none produced an error (checked in the saved notebook),
   and every widget rendered (no "Loading widget", no "model not found");
3. type a new eta into the trainer, drag the hidden-size slider to its end, press Train: the
   learning curves are redrawn each time (Train with unchanged settings redraws the same curves);
4. start a long run (mini-batches of 1, 60 epochs) and press Stop: the panel reports it stopped;
5. restart the kernel, run the lesson's cells the panel needs and press Train in the new panel:
   the curves are those of the first run, drawn by a fresh kernel.

Screenshots of the panel at each step go to ``test-output/browser/`` (git ignores it).
"""

import json
import os
import re
import secrets
import shutil
import time
from pathlib import Path

import nbformat
import pytest
from browser import launch, playwright_or_skip
from jupyter_harness import free_port, isolated_env, lab_options, start

REPO = Path(__file__).resolve().parents[1]
SHOTS = REPO / "test-output" / "browser"
LESSON = "03-a-network-that-recognises-digits.ipynb"
# every cell of the lesson at once, on two shared cores: generous, the test stops as soon as it is done
RUN_ALL_SECONDS = 300
STEP_SECONDS = 60
PANEL_TITLE = "Train a [784, hidden, 10] network"
STATUS_WORDS = ("Ready", "Training", "Done", "Stopped", "Diverged", "Error")

sync_api = playwright_or_skip("the browser test")


class Clock:
    """Seconds taken by each step, printed at the end."""

    def __init__(self):
        self.start = self.last = time.monotonic()
        self.steps = []

    def lap(self, name):
        now = time.monotonic()
        self.steps.append(f"{name} {now - self.last:.1f} s")
        self.last = now

    def __str__(self):
        return f"total {time.monotonic() - self.start:.1f} s: " + ", ".join(self.steps)


def _copy_lessons(root):
    """The lessons, copied into ``root`` without outputs; returns the trainer lesson's cells."""
    shutil.copytree(REPO / "notebooks", root, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    notebook = nbformat.read(root / LESSON, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nbformat.write(notebook, root / LESSON)
    return notebook.cells


def _index(cells, text):
    """Position of the first code cell whose source contains ``text``."""
    return next(i for i, cell in enumerate(cells) if cell.cell_type == "code" and text in cell.source)


@pytest.fixture
def lab(tmp_path):
    root = tmp_path / "lessons"
    cells = _copy_lessons(root)
    port, token = free_port(), secrets.token_hex(16)
    options = lab_options(port, token, root) + (["--allow-root"] if os.geteuid() == 0 else [])
    # no autosave: the test's own save is the only one, so what it reads is what it saved
    env = isolated_env(tmp_path, {"@jupyterlab/docmanager-extension:plugin": {"autosave": False}})
    server = start(["jupyter", "lab", *options], tmp_path, port, token, env, cwd=root)
    try:
        yield server, cells
    finally:
        left = server.stop()
        assert left == [], f"left running after the server stopped: {left}"


def _wait(condition, what, timeout=STEP_SECONDS, every=0.2):
    """Poll ``condition()`` until it returns something true; return it, or fail naming ``what``."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout} s for {what}")
        time.sleep(every)


def _kernel_answered(server):
    """The lesson's kernel as the server sees it, once it is idle with the page connected."""
    sessions = [s for s in server.api("/api/sessions") if s["path"] == LESSON]
    if not sessions or not sessions[0].get("kernel"):
        return None
    kernel = server.api(f"/api/kernels/{sessions[0]['kernel']['id']}")
    return kernel if kernel["execution_state"] == "idle" and kernel["connections"] >= 1 else None


PROMPTS = ("() => [...document.querySelectorAll('.jp-Notebook .jp-Cell')]"
           ".map(c => c.classList.contains('jp-CodeCell') ?"
           " c.querySelector('.jp-InputPrompt').textContent.trim() : null)")


def _prompt(page, index):
    return page.evaluate(PROMPTS)[index]


def _run_cell(page, index, expected_count):
    """Click into cell ``index``, press Shift+Enter, wait for its prompt to show ``expected_count``."""
    cell = page.locator(".jp-Notebook .jp-Cell").nth(index)
    cell.locator(".jp-InputArea-editor").click()
    page.keyboard.press("Shift+Enter")
    want = f"[{expected_count}]:"
    _wait(lambda: _prompt(page, index) == want,
          f"cell {index} to show {want} (it shows {_prompt(page, index)!r})")


def _menu(page, menu, item):
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(f"^{menu}$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(f"^{re.escape(item)}$")).click()


def _status(panel):
    labels = panel.locator(".widget-label").all_inner_texts()
    return next((t for t in labels if t.startswith(STATUS_WORDS)), "")


def _wait_status(panel, pattern, timeout=STEP_SECONDS):
    """Wait until the panel's status line matches ``pattern`` (a regex); return the match."""
    return _wait(lambda: re.search(pattern, _status(panel)),
                 f"the status to match {pattern!r} (it reads {_status(panel)!r})", timeout)


def _curves(panel):
    """The src of the learning-curve image the panel shows ("" when none)."""
    images = panel.locator(".jp-OutputArea-output img")
    return images.first.get_attribute("src") if images.count() else ""


def _redrawn(panel, action):
    """Do ``action()`` and wait for the panel to show a new image element; return its src."""
    panel.locator(".jp-OutputArea-output img").evaluate_all(
        "images => images.forEach(i => i.dataset.old = '1')")
    action()
    fresh = panel.locator(".jp-OutputArea-output img:not([data-old])")
    _wait(lambda: fresh.count() == 1, "the learning curves to be redrawn")
    assert panel.locator("img[data-old]").count() == 0
    return fresh.get_attribute("src")


# Keeps every text the status line shows from now on in the panel element's dataset (a run can
# start and finish between two polls).
RECORD_STATUS = """(panel, words) => {
    panel.dataset.statuses = '[]';
    const note = () => {
        const texts = [...panel.querySelectorAll('.widget-label')].map(e => e.textContent);
        const now = texts.find(t => words.some(w => t.startsWith(w)));
        const seen = JSON.parse(panel.dataset.statuses);
        if (now !== undefined && seen[seen.length - 1] !== now) {
            seen.push(now);
            panel.dataset.statuses = JSON.stringify(seen);
        }
    };
    new MutationObserver(note).observe(panel, {subtree: true, childList: true, characterData: true});
}"""


def _statuses_during(panel, action, until):
    """Do ``action()``; wait for the status to show a run ("Training ...") and then a text
    matching ``until`` (the status may match it before the run begins); return every status shown."""
    panel.evaluate(RECORD_STATUS, list(STATUS_WORDS))
    action()

    def shown():
        seen = json.loads(panel.evaluate("panel => panel.dataset.statuses"))
        started = [i for i, text in enumerate(seen) if text.startswith("Training")]
        done = started and any(re.search(until, text) for text in seen[started[0]:])
        return seen if done else None

    return _wait(shown, f"a run and then a status matching {until!r} (it reads {_status(panel)!r})")


def _type_into(slider, text):
    readout = slider.locator(".widget-readout")
    readout.click()
    readout.press("Control+A")
    readout.press_sequentially(text)
    readout.press("Enter")


def _no_panel_error(panel):
    errors = panel.locator(".widget-html").all_inner_texts()
    assert not any(text.strip() for text in errors[1:]), errors  # [0] is the title


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def _widgets_rendered(page, expected):
    """Check that the notebook shows ``expected`` widget views and no widget failed to load."""
    text = page.locator(".jp-Notebook").inner_text()
    for bad in ("Loading widget", "model not found", "Error displaying widget"):
        assert bad not in text, f"the notebook shows {bad!r}"
    views = page.locator(".jp-Cell-outputArea > .jp-OutputArea-child > .jp-OutputArea-output"
                         " > .jupyter-widgets")
    assert views.count() == expected


def _saved_without_errors(server, page, cells):
    """Save the notebook and check, in the saved file, that every code cell ran without error;
    return how many widgets its outputs show."""
    page.keyboard.press("Control+s")
    tab = page.locator(".lm-TabBar-tab", has_text=LESSON)
    _wait(lambda: "jp-mod-dirty" not in (tab.get_attribute("class") or ""),
          "the notebook to be saved")

    def unrun():
        saved = server.api(f"/api/contents/{LESSON}?content=1")["content"]["cells"]
        code = [cell for cell in saved if cell["cell_type"] == "code"]
        return code, [i for i, cell in enumerate(saved)
                      if cell["cell_type"] == "code" and not cell["execution_count"]]

    code, missing = unrun()
    assert len(code) == sum(cell.cell_type == "code" for cell in cells)
    assert missing == [], f"cells {missing} have no execution count in the saved notebook"
    outputs = [out for cell in code for out in cell["outputs"]]
    errors = [out for out in outputs if out["output_type"] == "error"]
    assert errors == [], [f"{e['ename']}: {e['evalue']}" for e in errors]
    return sum(WIDGET_VIEW in out.get("data", {}) for out in outputs)


def test_a_learner_runs_the_trainer_lesson(lab):
    server, cells = lab
    SHOTS.mkdir(parents=True, exist_ok=True)
    for old in SHOTS.glob("*.png"):
        old.unlink()
    first_code = _index(cells, "import")
    data_cell = _index(cells, "ds = load_mnist(")
    panel_cell = _index(cells, "TrainerPanel(")
    n_code = sum(cell.cell_type == "code" for cell in cells)
    clock = Clock()
    with sync_api.sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        try:
            # 1. open the lesson; wait for a kernel that has answered
            page.goto(f"{server.url}/lab/tree/{LESSON}?token={server.token}")
            page.wait_for_selector(".jp-Notebook .jp-CodeCell .jp-InputArea-editor",
                                   timeout=STEP_SECONDS * 1000)
            _wait(lambda: _kernel_answered(server), "the lesson's kernel to be idle and connected")
            _run_cell(page, first_code, 1)
            clock.lap("open and first cell")

            # 2. Run All: every cell runs, none fails, every widget renders
            _menu(page, "Run", "Run All Cells")
            numbered = re.compile(r"^\[\d+\]:$")
            _wait(lambda: all(numbered.match(p) for p in page.evaluate(PROMPTS) if p is not None),
                  "every code cell to run", RUN_ALL_SECONDS, every=0.5)
            assert sum(p is not None for p in page.evaluate(PROMPTS)) == n_code
            _wait(lambda: _kernel_answered(server), "the kernel to be idle after Run All")
            clock.lap("Run All")
            n_widgets = _saved_without_errors(server, page, cells)
            assert n_widgets >= 1
            panel = page.locator(".jp-Cell").nth(panel_cell).locator(
                ".widget-vbox", has_text=PANEL_TITLE).first
            panel.wait_for(timeout=STEP_SECONDS * 1000)
            _widgets_rendered(page, n_widgets)
            _wait_status(panel, r"^Done: 10 epochs")  # the lesson's check cell ran panel.run()
            first_curves = _curves(panel)
            assert first_curves.startswith("data:image/png")
            panel.screenshot(path=SHOTS / "1-after-run-all.png")

            # 3. a new eta typed in, the hidden slider dragged, Train pressed
            eta, hidden, epochs = (panel.locator(".widget-slider", has_text=name)
                                   for name in ("eta", "hidden", "epochs"))
            eta_curves = _redrawn(panel, lambda: _type_into(eta, "1"))
            _wait_status(panel, r"^Done: 10 epochs.*eta=1,")
            assert eta_curves != first_curves

            handle, track = hidden.locator(".noUi-handle"), hidden.locator(".noUi-target")
            start_box, end_box = handle.bounding_box(), track.bounding_box()
            page.mouse.move(start_box["x"] + start_box["width"] / 2,
                            start_box["y"] + start_box["height"] / 2)
            page.mouse.down()
            hidden_curves = _redrawn(panel, lambda: (
                page.mouse.move(end_box["x"] + end_box["width"] + 50,
                                start_box["y"] + start_box["height"] / 2, steps=10),
                page.mouse.up()))
            _wait_status(panel, r"^Done: 10 epochs.*eta=1,.*hidden=100,")
            assert hidden.locator(".widget-readout").inner_text().strip() == "100"
            assert hidden_curves not in (eta_curves, first_curves)

            # Train with the same settings trains again and draws the same curves (same seed)
            shown = _statuses_during(panel, panel.get_by_role("button", name="Train").click,
                                     r"^Done: 10 epochs.*hidden=100,")
            assert shown[0].startswith("Training"), shown
            assert _curves(panel) == hidden_curves
            _no_panel_error(panel)
            panel.screenshot(path=SHOTS / "2-new-eta-and-hidden.png")
            clock.lap("eta, slider, Train")

            # 4. a long run, stopped
            panel.locator("select").select_option("1")  # mini-batches of one example
            _type_into(epochs, "60")
            _wait_status(panel, r"^Training [1-9]\d*/60 epochs.*mini-batch 1,")
            panel.get_by_role("button", name="Stop").click()
            stopped = _wait_status(panel, r"^Stopped after (\d+) of 60 epochs")
            assert 1 <= int(stopped.group(1)) < 60
            time.sleep(1)  # a stopped run stays stopped
            assert _status(panel).startswith("Stopped after")
            _no_panel_error(panel)
            panel.screenshot(path=SHOTS / "3-stopped.png")
            clock.lap("stop")

            # 5. restart the kernel; run what the panel needs; a fresh panel trains as the first
            _menu(page, "Kernel", "Restart Kernel…")
            page.locator(".jp-Dialog-button.jp-mod-accept").click()
            _wait(lambda: page.locator(".jp-Dialog").count() == 0, "the restart dialog to close")
            _wait(lambda: _kernel_answered(server), "the kernel to be idle after the restart")
            for count, index in enumerate((first_code, data_cell, panel_cell), start=1):
                _run_cell(page, index, count)  # numbering from [1] again: a new kernel
            panel = page.locator(".jp-Cell").nth(panel_cell).locator(
                ".widget-vbox", has_text=PANEL_TITLE).first
            _wait_status(panel, r"^Ready")
            fresh = _redrawn(panel, panel.get_by_role("button", name="Train").click)
            _wait_status(panel, r"^Done: 10 epochs.*eta=3,.*hidden=30,")
            assert fresh == first_curves
            _widgets_rendered(page, n_widgets)
            _no_panel_error(panel)
            panel.screenshot(path=SHOTS / "4-after-restart.png")
            clock.lap("restart and train")
        except Exception:
            page.screenshot(path=SHOTS / "failure.png", full_page=True)
            raise
        finally:
            browser.close()
            print(f"\nbrowser test: {clock}")
