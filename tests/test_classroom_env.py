"""The learner's environment stays the learner's: nbgrader lives in the instructor's environment
(``make classroom``: ``.venv-classroom``), so ``make lab`` shows no nbgrader menu, Validate button
or Create Assignment sidebar, and logs nothing about a missing nbgrader_config.py, even after
``make test`` (which creates the instructor's environment to grade the assignments)."""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
CLASSROOM_PYTHON = Path(os.environ.get("CLASSROOM_VENV", Path(__file__).resolve().parent.parent
                                       / ".venv-classroom")) / "bin" / "python"


def _jupyter(*args, python=sys.executable):
    """`jupyter ARGS` of the environment of ``python`` (its own jupyter commands come first)."""
    bin_dir = str(Path(python).parent)
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    result = subprocess.run([str(python), "-m", "jupyter", *args], capture_output=True, text=True,
                            timeout=120, stdin=subprocess.DEVNULL, env=env)
    assert result.returncode == 0, result.stderr
    return (result.stdout + result.stderr).lower()


def test_the_learners_python_has_no_nbgrader():
    assert importlib.util.find_spec("nbgrader") is None, \
        "nbgrader is in the learner's environment: it belongs in .venv-classroom (make classroom)"


def test_the_learners_jupyterlab_has_no_nbgrader_extension():
    assert "nbgrader" not in _jupyter("labextension", "list")
    assert "nbgrader" not in _jupyter("server", "extension", "list")


@pytest.mark.skipif(not CLASSROOM_PYTHON.exists(), reason="no instructor's environment: make classroom")
def test_the_instructors_environment_has_them():      # (so the check above can see them at all)
    assert "nbgrader" in _jupyter("server", "extension", "list", python=CLASSROOM_PYTHON)
