"""Test cells a student deleted or changed: put back, and said so.

``RestoreCells`` runs in ``nbgrader autograde`` while the hand-in is sanitised, before nbgrader's
``OverwriteCells``. For every cell the gradebook keeps (tests, locked cells such as the setup, and
written answers):

- a cell missing from the hand-in is put back where it belongs (after the nearest cell before it
  that is there): a test or locked cell as the gradebook keeps it, a written answer as released,
  unanswered; its grade then follows from running it, never a silent "needs manual grading";
- a locked cell is given back the text the gradebook keeps (a test cell with its hidden part), and
  listed when the student had changed what was released (so nbgrader's ``OverwriteCells`` finds
  nothing left to restore, and warns only when there was something to).

What was put back or changed is recorded in the notebook's metadata (``nndl_grading``: lists of
grade ids ``missing`` and ``edited``), which ``TrustedVerdicts`` turns into a note on the test's
verdict, and logged once per hand-in, in one line, so that real tampering stands out in the log.

Used by: ``nbgrader_config.py`` (through ``configure``).
"""

from __future__ import annotations

from nbformat import NotebookNode
from nbgrader import utils
from nbgrader.api import Gradebook
from nbgrader.preprocessors import NbGraderPreprocessor

from .text import without_hidden

__all__ = ["RestoreCells"]


def _grade_id(cell):
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def _rebuilt(source_cell, points, solution):
    meta = {"grade": points is not None, "grade_id": source_cell.name, "locked": source_cell.locked,
            "solution": solution, "schema_version": 3, "task": False}
    if points is not None:
        meta["points"] = points
    cell = NotebookNode(cell_type=source_cell.cell_type, source=source_cell.source,
                        metadata=NotebookNode(nbgrader=NotebookNode(meta)))
    if source_cell.cell_type == "code":
        cell.outputs, cell.execution_count = [], None
    return cell


class RestoreCells(NbGraderPreprocessor):
    """Put back the gradebook's cells a hand-in lacks, and list the locked cells it changed."""

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        nb.metadata.pop("nndl_grading", None)
        missing, edited = [], []
        with Gradebook(info["db_url"]) as gb:
            notebook = gb.find_notebook(info["notebook"], info["assignment"])
            points = {cell.name: cell.max_score for cell in notebook.grade_cells}
            solutions = {cell.name for cell in notebook.solution_cells}
            position = -1
            for source_cell in notebook.source_cells:
                present = [i for i, cell in enumerate(nb.cells) if _grade_id(cell) == source_cell.name]
                if present:
                    position = present[0]
                    cell = nb.cells[position]
                    if source_cell.locked:
                        if cell.source.strip() != without_hidden(source_cell.source).strip():
                            edited.append(source_cell.name)
                        cell.source = source_cell.source
                    continue
                graded, solution = source_cell.name in points, source_cell.name in solutions
                if not (source_cell.locked or graded):
                    continue            # a code answer the student moved or removed: nothing to grade
                cell = _rebuilt(source_cell, points.get(source_cell.name), solution)
                if solution:
                    cell.metadata.nbgrader["checksum"] = utils.compute_checksum(cell)
                position += 1
                nb.cells.insert(position, cell)
                missing.append(source_cell.name)
        nb.metadata["nndl_grading"] = {"missing": missing, "edited": edited}
        if missing or edited:
            self.log.warning("%s's %s: %s", info.get("student"), info["notebook"],
                             "; ".join(part for part in (
                                 f"cells missing, put back: {', '.join(missing)}" if missing else "",
                                 f"locked cells changed, restored: {', '.join(edited)}" if edited else "")
                                 if part))
        return nb, resources
