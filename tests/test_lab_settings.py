"""The JupyterLab the course sets up: its settings, and git after JupyterLab saves a lesson.

``make env`` installs two files of ``jupyter/`` into the course's environment (never into the
user's ``~/.jupyter``): ``lab-settings.json``, JupyterLab's defaults for this environment (no news
prompt, the light theme), and ``jupyter_server_config.py``, whose post-save hook makes git compare
a saved lesson by content, so that a lesson run with outputs does not block ``git pull``.
``browser_tests/test_lesson_saved_in_jupyterlab.py`` follows both in a real JupyterLab.
"""

import json
import os
import shutil
import subprocess
import sys
import types
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = Path(sys.prefix) / "share" / "jupyter" / "lab" / "schemas"
GIT_ENV = {**os.environ, "GIT_AUTHOR_NAME": "test", "GIT_AUTHOR_EMAIL": "test@example.com",
           "GIT_COMMITTER_NAME": "test", "GIT_COMMITTER_EMAIL": "test@example.com",
           "GIT_CONFIG_NOSYSTEM": "1"}
needs_git_and_make = pytest.mark.skipif(shutil.which("git") is None or shutil.which("make") is None,
                                        reason="needs git and make")


def test_the_lab_settings_are_valid_jupyterlab_settings():
    jsonschema = pytest.importorskip("jsonschema")
    settings = json.loads((ROOT / "jupyter" / "lab-settings.json").read_text())
    assert settings["@jupyterlab/apputils-extension:notification"]["fetchNews"] == "false"
    for plugin, values in settings.items():
        package, name = plugin.split(":")
        schema = json.loads((SCHEMAS / package / f"{name}.json").read_text())
        unknown = set(values) - set(schema["properties"])
        assert not unknown, f"{plugin}: JupyterLab has no setting {unknown}"
        jsonschema.validate(values, schema)     # a wrong type or value is refused


def _hook():
    """The post-save hook, loaded as Jupyter loads a config file."""
    config = types.SimpleNamespace(ContentsManager=types.SimpleNamespace())
    namespace = {"get_config": lambda: config}
    exec((ROOT / "jupyter" / "jupyter_server_config.py").read_text(), namespace)
    assert config.ContentsManager.post_save_hook is namespace["look_again_after_save"]
    return namespace["look_again_after_save"]


def _git(folder, *args, check=True):
    done = subprocess.run(["git", *args], cwd=folder, env=GIT_ENV, capture_output=True, text=True)
    assert done.returncode == 0 or not check, done.stderr
    return done


def _clone(source, target):
    _git(target.parent, "clone", "-q", str(source), target.name)
    subprocess.run(["make", "-s", "git-filter", f"VENV={sys.prefix}"], cwd=target, check=True,
                   env=GIT_ENV, capture_output=True)
    return target


def _lesson(text, outputs=()):
    return json.dumps({"cells": [{"cell_type": "markdown", "id": "a", "metadata": {}, "source": [text]},
                                 {"cell_type": "code", "execution_count": 1 if outputs else None,
                                  "id": "b", "metadata": {}, "outputs": list(outputs),
                                  "source": ["print(42)"]}],
                       "metadata": {"kernelspec": {"display_name": "Python 3 (ipykernel)",
                                                   "language": "python", "name": "python3"},
                                    "language_info": {"name": "python"}},
                       "nbformat": 4, "nbformat_minor": 5}, indent=1) + "\n"


@pytest.mark.slow
@needs_git_and_make
def test_after_a_save_with_outputs_git_status_is_clean_and_pull_works(tmp_path):
    hook = _hook()
    seed = tmp_path / "seed"
    (seed / "notebooks").mkdir(parents=True)
    for name in ("Makefile", ".gitattributes"):
        shutil.copy(ROOT / name, seed)
    (seed / "notebooks" / "00-a.ipynb").write_text(_lesson("A lesson."))
    _git(seed, "init", "-q")
    subprocess.run(["make", "-s", "git-filter", f"VENV={sys.prefix}"], cwd=seed, check=True,
                   env=GIT_ENV, capture_output=True)
    _git(seed, "add", "-A")
    _git(seed, "commit", "-q", "-m", "a lesson")
    upstream = tmp_path / "upstream.git"
    _git(tmp_path, "clone", "-q", "--bare", str(seed), upstream.name)
    work = _clone(upstream, tmp_path / "work")
    lesson = work / "notebooks" / "00-a.ipynb"

    # JupyterLab saves the lesson with an output: git diff is empty, but git compares sizes first
    ran = _lesson("A lesson.", [{"name": "stdout", "output_type": "stream", "text": ["42\n"]}])
    lesson.write_text(ran)
    assert _git(work, "diff", "--no-textconv").stdout == ""
    assert _git(work, "status", "--porcelain").stdout.strip() == "M notebooks/00-a.ipynb"
    hook({"type": "notebook"}, str(lesson), contents_manager=None).join()
    assert _git(work, "status", "--porcelain").stdout == ""
    assert lesson.read_text() == ran                         # the file itself is left alone

    # upstream changes the lesson: the pull goes through and brings the change
    other = _clone(upstream, tmp_path / "other")
    (other / "notebooks" / "00-a.ipynb").write_text(_lesson("A lesson, improved."))
    _git(other, "commit", "-q", "-am", "improve the lesson")
    _git(other, "push", "-q", "origin", "HEAD")
    assert _git(work, "pull", "-q", "--ff-only").returncode == 0
    assert "improved" in lesson.read_text()

    # a lesson the learner really edited stays modified after a save
    lesson.write_text(_lesson("A lesson, with my own notes."))
    hook({"type": "notebook"}, str(lesson), contents_manager=None).join()
    assert _git(work, "status", "--porcelain").stdout.strip() == "M notebooks/00-a.ipynb"
    assert _git(work, "diff", "--cached").stdout == ""       # and nothing was staged


def test_the_hook_leaves_other_files_alone(tmp_path):
    hook = _hook()
    assert hook({"type": "file"}, str(tmp_path / "notes.txt"), contents_manager=None) is None
    assert hook({"type": "notebook"}, str(tmp_path / "not-in-git.ipynb"), contents_manager=None) is None
    assert list(tmp_path.iterdir()) == []
