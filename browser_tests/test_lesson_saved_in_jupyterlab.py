"""A lesson run and saved in JupyterLab leaves the learner's clone clean, and JupyterLab starts with
the course's settings.

Part of ``make test`` wherever Debian's Chromium is installed (``apt-get install chromium``); without
it the test is skipped with one line saying so. On a clone of this repository made in a temporary
folder (with the git filter ``make git-filter`` sets up, and a second clone standing for the
course's upstream), a JupyterLab of the course's environment, with no settings of its own, opens
lesson 00 in headless Chromium:

1. no news prompt appears, and the theme is the course's (the settings ``make env`` installs into
   the environment, ``jupyter/lab-settings.json``);
2. Run All, then save, as JupyterLab's autosave would: the file on disk now holds outputs and what
   JupyterLab writes into a notebook's metadata, yet ``git status`` and ``git diff`` show nothing;
3. upstream changes that lesson; ``git pull`` brings the change in (git sees no local change that
   the pull would overwrite).
"""

import json
import os
import secrets
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from browser import launch, playwright_or_skip
from jupyter_harness import free_port, isolated_env, lab_options, start

REPO = Path(__file__).resolve().parents[1]
VENV = Path(sys.executable).parent.parent
LESSON = "00-start-here.ipynb"
SECONDS = 120
# every cell of the lesson at once, on two shared cores: generous, the test goes on as soon as it is done
RUN_ALL_SECONDS = 300
SHOTS = REPO / "test-output" / "browser"

sync_api = playwright_or_skip("the browser test")
if shutil.which("git") is None or not (REPO / ".git").exists():
    pytest.skip("needs git and a git checkout of the course", allow_module_level=True)


def git(folder, *args):
    done = subprocess.run(["git", "-C", str(folder), *args], capture_output=True, text=True,
                          env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
                               "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"})
    assert done.returncode == 0, f"git {' '.join(args)}: {done.stderr}"
    return done.stdout


def _clone(source, target):
    """A clone with the notebook filter set up as `make git-filter` does, for this venv, as a
    learner's clone is some time after it was made: git's index newer than the files it lists.
    (Right after a clone they share a second, and the next write of the index checks each of them
    through nbstripout first, a minute on a busy machine.)"""
    git(target.parent, "clone", "--quiet", str(source), target.name)
    subprocess.run(["make", "--no-print-directory", "-C", str(target), "git-filter", f"VENV={VENV}"],
                   check=True, capture_output=True)
    later = time.time_ns() + 2_000_000_000
    os.utime(target / ".git" / "index", ns=(later, later))
    return target


def _wait(condition, what, timeout=SECONDS, every=0.2):
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout} s for {what}")
        time.sleep(every)
    return value


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_a_lesson_saved_in_jupyterlab_leaves_git_clean_and_pull_works(tmp_path):
    upstream = tmp_path / "upstream.git"
    git(tmp_path, "clone", "--quiet", "--bare", str(REPO), upstream.name)
    work = _clone(upstream, tmp_path / "work")
    lesson = work / "notebooks" / LESSON
    stored = lesson.read_bytes()

    port, token = free_port(), secrets.token_hex(16)
    env = isolated_env(tmp_path / "jupyter")
    # no settings of the test's own: what JupyterLab shows comes from the course's environment
    shutil.rmtree(tmp_path / "jupyter" / "settings")
    (tmp_path / "jupyter" / "settings").mkdir()
    options = lab_options(port, token, work / "notebooks") + (["--allow-root"] if os.geteuid() == 0 else [])
    server = start(["jupyter", "lab", *options], tmp_path, port, token, env, cwd=work / "notebooks")
    try:
        with sync_api.sync_playwright() as p:
            browser = launch(p)
            page = browser.new_page(viewport={"width": 1300, "height": 900})
            try:
                page.goto(f"{server.url}/lab/tree/{LESSON}?token={server.token}")
                page.wait_for_selector(".jp-Notebook .jp-CodeCell .jp-InputArea-editor",
                                       timeout=SECONDS * 1000)
                # 1. the course's settings: no news prompt; the light theme
                time.sleep(3)   # the prompt, where it is asked, comes a moment after the page
                assert "Jupyter news" not in page.locator("body").inner_text()
                assert page.evaluate("document.body.dataset.jpThemeName") == "JupyterLab Light"

                # 2. Run All and save
                page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
                page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
                prompts = ("() => [...document.querySelectorAll('.jp-Notebook .jp-CodeCell "
                           ".jp-InputPrompt')].map(p => p.textContent.trim())")
                _wait(lambda: all(text.startswith("[") and text[1:-2].isdigit()
                                  for text in page.evaluate(prompts)), "every cell to run",
                      RUN_ALL_SECONDS)
                page.keyboard.press("Control+s")
                tab = page.locator(".lm-TabBar-tab", has_text=LESSON)
                _wait(lambda: "jp-mod-dirty" not in (tab.get_attribute("class") or ""), "the save")
                # the course's post-save hook tells git, in the background, to look again
                _wait(lambda: "size: 0" in git(work, "ls-files", "--debug", f"notebooks/{LESSON}"),
                      "the post-save hook", RUN_ALL_SECONDS)
            except Exception:
                SHOTS.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=SHOTS / "saved-lesson-failure.png", full_page=True)
                raise
            finally:
                browser.close()
    finally:
        assert server.stop() == []

    saved = lesson.read_bytes()
    notebook = json.loads(saved)
    assert saved != stored
    assert any(cell.get("outputs") for cell in notebook["cells"])          # JupyterLab saved its run
    assert git(work, "status", "--porcelain") == ""
    assert git(work, "diff") == "" and git(work, "diff", "--stat") == ""

    # 3. upstream changes the lesson; the learner's pull brings it in
    other = _clone(upstream, tmp_path / "other")
    changed = json.loads((other / "notebooks" / LESSON).read_text())
    changed["cells"][0]["source"] = changed["cells"][0]["source"] + ["\n", "\n", "A new line upstream."]
    (other / "notebooks" / LESSON).write_text(json.dumps(changed, indent=1, ensure_ascii=False) + "\n")
    git(other, "commit", "--quiet", "-am", "a change upstream")
    git(other, "push", "--quiet", "origin", "HEAD")
    git(work, "pull", "--quiet", "--ff-only")
    assert "A new line upstream." in lesson.read_text()
    assert git(work, "status", "--porcelain") == ""
