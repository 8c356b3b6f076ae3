"""Every lesson that trains with the engine notices when the engine's gradients are wrong.

A check that passes whatever the code does proves nothing. Here each lesson that uses the engine's
gradients (it calls ``SGD``, ``update_mini_batch``, ``backprop``, ``gradcheck`` or builds a
``TrainerPanel``) is run with a broken engine, and must stop at one of its check cells.

The break: sigma' is removed from backpropagation. The engine computes the error of every sigmoid
layer, delta = (dC/da) * sigma'(z) (equation BP2, and BP1 for a quadratic cost), by calling
``nbhelpers.activations.Sigmoid.backward(self, z, a, grad_a)``; that method is the patch point, and
it is replaced by one that returns ``grad_a`` unchanged. (With cross-entropy or log-likelihood the
output error is a - y without sigma' anyway, so there only the hidden layers change.) The broken
engine still moves the weights in roughly the right direction and a network can still learn a
little, which is why loose checks such as "accuracy above 85%" do not notice it; a lesson needs a
check close to what a correct engine achieves, or a comparison of the engine's gradient with a
numerical one.

Each notebook's code cells are run in order, in a fresh Python process, by an IPython shell (the
same one that runs code in a Jupyter kernel, without the kernel: no messaging, so no widget front end
to wait for), after the patch and until the first cell that raises. The test passes when that cell is
a check cell (its first line starts with "# CHECK") and it raised an AssertionError: the lesson
caught the bug, rather than crashing on something unrelated. That the same notebooks pass with the
real engine is what `make test`'s nbval run checks.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow   # each test re-runs a lesson: make quick leaves them out

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = ROOT / "notebooks"

BREAK_SIGMA_PRIME = """\
import nbhelpers.activations

nbhelpers.activations.Sigmoid.backward = lambda self, z, a, grad_a: grad_a
"""

# Runs the notebook given as argv[1] after the code in argv[2]; prints one JSON line: the index of
# the first cell that raised (None if none did), the exception's name and message, the seconds taken.
RUNNER = """\
import json, sys, time
import nbformat
from IPython.core.interactiveshell import InteractiveShell

nb = nbformat.read(sys.argv[1], as_version=4)
shell = InteractiveShell.instance()
shell.register_magic_function(lambda line: None, "line", "matplotlib")   # plots go to Agg
exec(sys.argv[2], shell.user_ns)
start, failed = time.perf_counter(), None
for index, cell in enumerate(nb.cells):
    if cell.cell_type == "code":
        result = shell.run_cell(cell.source, silent=True)
        error = result.error_before_exec or result.error_in_exec
        if error is not None:
            failed = {"cell": index, "ename": type(error).__name__, "evalue": str(error)[:300]}
            break
print(json.dumps({"failed": failed, "seconds": time.perf_counter() - start}))
"""

USES_THE_ENGINES_GRADIENTS = re.compile(
    r"\.SGD\(|\bTrainerPanel\(|\.update_mini_batch\(|\.backprop(?:_batch)?\(|\bgradcheck\(")
TIMEOUT = 300


def _cells(path):
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def _code(path):
    return "\n".join("".join(c["source"]) for c in _cells(path) if c["cell_type"] == "code")


TRAINING_LESSONS = [p for p in sorted(NOTEBOOK_DIR.glob("*.ipynb"))
                    if USES_THE_ENGINES_GRADIENTS.search(_code(p))]


def run_notebook(path, before=""):
    """Run the code cells of ``path`` after ``before``; returns (failed, seconds), where failed is
    None or a dict with the failing cell's index, the exception's name and its message."""
    env = {**os.environ, "MPLBACKEND": "Agg"}
    done = subprocess.run([sys.executable, "-c", RUNNER, str(path), before], cwd=NOTEBOOK_DIR,
                          env=env, capture_output=True, text=True, timeout=TIMEOUT)
    lines = done.stdout.strip().splitlines()
    assert done.returncode == 0 and lines, f"the runner failed:\n{done.stderr[-2000:]}"
    report = json.loads(lines[-1])
    return report["failed"], report["seconds"]


def test_the_lessons_that_train_are_found():
    names = {p.name[:2] for p in TRAINING_LESSONS}
    assert {"00", "03"} <= names, names


def test_the_runner_reports_the_first_failing_cell(tmp_path):
    cells = ["y = 1", "# CHECK: x is 2\nassert x == 2, 'x is not 2'\nprint('✓')", "raise KeyError"]
    path = tmp_path / "lesson.ipynb"
    path.write_text(json.dumps({
        "cells": [{"cell_type": "code", "execution_count": None, "id": str(i), "metadata": {},
                   "outputs": [], "source": c} for i, c in enumerate(cells)],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    failed, _ = run_notebook(path, before="x = 1")
    assert failed["cell"] == 1 and failed["ename"] == "AssertionError"
    assert failed["evalue"] == "x is not 2"
    failed, _ = run_notebook(path, before="x = 2")
    assert failed["cell"] == 2 and failed["ename"] == "KeyError"


@pytest.mark.parametrize("path", TRAINING_LESSONS, ids=[p.stem for p in TRAINING_LESSONS])
def test_lesson_fails_a_check_when_backprop_forgets_sigma_prime(path):
    failed, seconds = run_notebook(path, before=BREAK_SIGMA_PRIME)
    assert failed is not None, f"{path.name} ran to the end with a broken engine: no check noticed"
    source = "".join(_cells(path)[failed["cell"]]["source"])
    first_line = source.strip().splitlines()[0]
    where = f"{path.name}, cell {failed['cell']}"
    assert first_line.startswith("# CHECK"), (
        f"{where} raised {failed['ename']} but is not a check cell:\n{source[:300]}")
    assert failed["ename"] == "AssertionError", (
        f"{where} is a check but failed with {failed['ename']}: {failed['evalue']}")
    print(f"{path.name}: caught by cell {failed['cell']} after {seconds:.1f} s ({first_line})")
