"""Notebooks are stored without outputs, while a learner's working copy may keep them.

JupyterLab saves outputs into a notebook as it runs. The repository must never hold them (they are
large, they change on every run, and they would make every diff noise), yet a learner who has run
the lessons and then types ``make test`` must not be told off for it. So, as is usual in the
Jupyter world, git itself strips them: ``.gitattributes`` sends every ``*.ipynb`` through
nbstripout as it is staged (a "clean" filter), and ``make`` names that filter in the clone's
``.git/config`` (the Makefile's ``git-filter`` target).

The check therefore reads what git would commit, the staged copy of each notebook (the index),
never the file on disk. The last two tests build throw-away repositories to show that the set-up
works end to end, and that the check does fail when outputs do get staged.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
needs_make = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")

GIT_ENV = {**os.environ, "GIT_AUTHOR_NAME": "test", "GIT_AUTHOR_EMAIL": "test@example.com",
           "GIT_COMMITTER_NAME": "test", "GIT_COMMITTER_EMAIL": "test@example.com",
           "GIT_CONFIG_NOSYSTEM": "1"}


def _git(root, *args):
    return subprocess.run(["git", *args], cwd=root, env=GIT_ENV, capture_output=True, text=True,
                          check=True).stdout


def _in_git_checkout(root):
    if shutil.which("git") is None:
        return False
    done = subprocess.run(["git", "rev-parse", "--is-inside-work-tree"], cwd=root,
                          capture_output=True, text=True)
    return done.returncode == 0 and done.stdout.strip() == "true"


def stored_outputs(root):
    """What the staged notebooks under ``root`` hold that they should not: a list of strings
    such as "notebooks/00-start-here.ipynb, cell 3: outputs" (empty when all are clean)."""
    problems = []
    for path in _git(root, "ls-files", "-z", "--", "*.ipynb").split("\0"):
        if not path:
            continue
        nb = json.loads(_git(root, "cat-file", "blob", f":{path}"))
        for i, cell in enumerate(nb.get("cells", [])):
            if cell.get("outputs"):
                problems.append(f"{path}, cell {i}: outputs")
            if cell.get("execution_count") is not None:
                problems.append(f"{path}, cell {i}: execution count")
        if "widgets" in nb.get("metadata", {}):
            problems.append(f"{path}: widget state in the metadata")
    return problems


def _notebook_with_outputs(path, python="3.11.7", text="42\n"):
    """A notebook as JupyterLab saves it after a run: outputs, counts, widget state, and the
    kernel's language details (which name the Python version)."""
    nb = {"cells": [{"cell_type": "code", "execution_count": 7, "id": "0",
                     "metadata": {"jupyter": {"outputs_hidden": True}},
                     "outputs": [{"name": "stdout", "output_type": "stream", "text": [text]}],
                     "source": ["print(42)"]}],
          "metadata": {"widgets": {"application/vnd.jupyter.widget-state+json": {}},
                       "language_info": {"name": "python", "version": python,
                                         "mimetype": "text/x-python", "file_extension": ".py"}},
          "nbformat": 4, "nbformat_minor": 5}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(nb, indent=1))


def test_attributes_send_notebooks_through_nbstripout():
    lines = (ROOT / ".gitattributes").read_text().splitlines()
    assert "*.ipynb filter=nbstripout" in lines


@needs_git
def test_the_stored_notebooks_hold_no_outputs():
    if not _in_git_checkout(ROOT):
        pytest.skip("not a git checkout: nothing is stored")
    problems = stored_outputs(ROOT)
    assert not problems, ("notebooks staged with outputs (run `make test` once so that git strips "
                          "them, then `git add` them again):\n  " + "\n  ".join(problems))


@pytest.mark.slow
@needs_git
@needs_make
def test_a_working_copy_with_outputs_stores_none(tmp_path):
    shutil.copy(ROOT / "Makefile", tmp_path)
    shutil.copy(ROOT / ".gitattributes", tmp_path)
    _git(tmp_path, "init", "-q")
    # the Makefile's own recipe, pointed at the venv running these tests
    subprocess.run(["make", "-s", "git-filter", f"VENV={sys.prefix}"], cwd=tmp_path, check=True,
                   env=GIT_ENV, capture_output=True)
    lesson = tmp_path / "notebooks" / "00-lesson.ipynb"
    _notebook_with_outputs(lesson)
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-q", "-m", "a lesson that was run before it was added")
    assert stored_outputs(tmp_path) == []
    stored = json.loads(_git(tmp_path, "cat-file", "blob", ":notebooks/00-lesson.ipynb"))
    assert stored["metadata"]["language_info"] == {"name": "python"}
    assert stored["cells"][0]["metadata"] == {}
    assert json.loads(lesson.read_text())["cells"][0]["outputs"], "the working copy keeps them"
    _notebook_with_outputs(lesson, python="3.12.10", text="forty-two\n")  # run again, elsewhere
    # git may list the file as modified (its size changed), but there is nothing to commit:
    assert _git(tmp_path, "diff", "--stat") == ""
    _git(tmp_path, "add", "-A")
    assert _git(tmp_path, "status", "--porcelain") == ""
    assert stored_outputs(tmp_path) == []


@needs_git
def test_the_check_fails_when_outputs_are_staged(tmp_path):
    _git(tmp_path, "init", "-q")                      # no filter in this repository
    _notebook_with_outputs(tmp_path / "notebooks" / "00-lesson.ipynb")
    _git(tmp_path, "add", "-A")
    problems = stored_outputs(tmp_path)
    assert any("cell 0: outputs" in p for p in problems)
    assert any("execution count" in p for p in problems)
    assert any("widget state" in p for p in problems)


def test_notebooks_store_the_kernel_as_jupyterlab_saves_it():
    """JupyterLab writes the kernel's own name into a notebook as it saves it ("Python 3
    (ipykernel)" for the course's kernel). A notebook stored with anything else changes on its
    first autosave, and `git diff` and `git pull` then trip over a lesson the learner only ran
    (browser_tests/test_lesson_saved_in_jupyterlab.py follows that path in JupyterLab)."""
    from ipykernel.kernelspec import get_kernel_dict

    spec = get_kernel_dict()      # the spec ipykernel installs as "python3", as JupyterLab reads it
    expected = {"display_name": spec["display_name"], "language": spec["language"], "name": "python3"}
    wrong = {}
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        stored = json.loads(path.read_text(encoding="utf-8"))["metadata"].get("kernelspec")
        if stored != expected:
            wrong[path.name] = stored
    assert not wrong, f"kernelspec should be {expected}: {wrong}"
