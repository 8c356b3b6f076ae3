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

Each notebook is run by nbclient, with the patch as an extra first cell, until its first error.
The test passes when that error is an AssertionError raised by a check cell (one whose first line
starts with "# CHECK"): the lesson caught the bug, rather than crashing on something unrelated.
"""

import json
import os
import re
import time
from pathlib import Path

import nbformat
import pytest

nbclient = pytest.importorskip("nbclient")

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = ROOT / "notebooks"

BREAK_SIGMA_PRIME = """\
# Added by tests/test_lessons_catch_broken_backprop.py: an engine whose backprop forgets sigma'
import nbhelpers.activations

nbhelpers.activations.Sigmoid.backward = lambda self, z, a, grad_a: grad_a
"""

USES_THE_ENGINES_GRADIENTS = re.compile(
    r"\.SGD\(|\bTrainerPanel\(|\.update_mini_batch\(|\.backprop(?:_batch)?\(|\bgradcheck\(")
CELL_TIMEOUT = 120


def _code(path):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")


TRAINING_LESSONS = [p for p in sorted(NOTEBOOK_DIR.glob("*.ipynb"))
                    if USES_THE_ENGINES_GRADIENTS.search(_code(p))]


def test_the_lessons_that_train_are_found():
    names = {p.name[:2] for p in TRAINING_LESSONS}
    assert {"00", "03"} <= names, names


def _first_error(nb):
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                return index, cell, output
    return None


@pytest.mark.parametrize("path", TRAINING_LESSONS, ids=[p.stem for p in TRAINING_LESSONS])
def test_lesson_fails_a_check_when_backprop_forgets_sigma_prime(path):
    nb = nbformat.read(path, as_version=4)
    nb.cells.insert(0, nbformat.v4.new_code_cell(BREAK_SIGMA_PRIME))
    os.environ.setdefault("MPLBACKEND", "Agg")
    client = nbclient.NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3",
                                     resources={"metadata": {"path": str(NOTEBOOK_DIR)}})
    start = time.perf_counter()
    with pytest.raises(nbclient.exceptions.CellExecutionError):
        client.execute()
    seconds = time.perf_counter() - start
    error = _first_error(nb)
    assert error is not None, "the run stopped without an error output"
    index, cell, output = error
    first_line = cell.source.strip().splitlines()[0]
    where = f"{path.name}, cell {index - 1} (counting the lesson's own cells from 0)"
    assert first_line.startswith("# CHECK"), (
        f"{where} raised {output['ename']} but is not a check cell:\n{cell.source[:300]}")
    assert output["ename"] == "AssertionError", (
        f"{where} is a check but failed with {output['ename']}: {output['evalue']}")
    print(f"{path.name}: caught by cell {index - 1} after {seconds:.1f} s ({first_line})")
