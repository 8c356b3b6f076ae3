"""Feedback without the hidden tests.

``HideHiddenTests`` runs in ``nbgrader generate_feedback`` (nbgrader's own feedback shows every
test cell whole). It removes each hidden region (``### BEGIN HIDDEN TESTS`` ... ``### END HIDDEN
TESTS``) from the cells, and every line of those regions from every output of every cell, in case
the student's code printed the tests while it was graded (it can see them then: they run in its
kernel; which is why hidden tests hold nothing secret, only calls to the grader's probe).

Used by: ``nbgrader_config.py`` (through ``configure``).
"""

from __future__ import annotations

from nbgrader.preprocessors import NbGraderPreprocessor

from .text import hidden_lines, without_hidden

__all__ = ["HideHiddenTests"]


def _scrub(value, lines):
    if isinstance(value, str):
        for line in lines:
            value = value.replace(line, "[hidden test]")
        return value
    if isinstance(value, list):
        return [_scrub(v, lines) for v in value]
    if isinstance(value, dict):
        return type(value)({k: _scrub(v, lines) for k, v in value.items()})
    return value


class HideHiddenTests(NbGraderPreprocessor):
    """Remove the hidden tests from the cells and from every output (see the module)."""

    def preprocess(self, nb, resources):
        lines = {line for cell in nb.cells for line in hidden_lines(cell.source)}
        lines = sorted(lines, key=len, reverse=True)
        for cell in nb.cells:
            cell.source = without_hidden(cell.source)
            if cell.cell_type == "code":
                cell.outputs = [_scrub(output, lines) for output in cell.get("outputs", [])]
        return nb, resources
