"""Generating an assignment for the course: its numbers written into the notebooks.

``RenderCourse`` is the first preprocessor of ``nbgrader generate_assignment`` and
``nbgrader generate_solution``: it writes the course's numbers, which follow from the course secret
(``course``), into every cell (``text.render_text``), creating the secret on first use.

Used by: ``nbgrader_config.py`` (through ``configure``).
"""

from __future__ import annotations

from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode

from . import course
from .text import render_text

__all__ = ["RenderCourse"]


class RenderCourse(NbGraderPreprocessor):
    """Write the course's numbers into every cell (see the module)."""

    course_dir = Unicode(".", help="The course folder, where course-secret.txt is kept").tag(config=True)

    def preprocess(self, nb, resources):
        name = resources["nbgrader"]["assignment"]
        self._secret = course.load_secret(self.course_dir, create=True, log=self.log)
        self._name = name
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, index):
        cell.source = render_text(cell.source, self._name, self._secret, where=f"cell {index}")
        return cell, resources
