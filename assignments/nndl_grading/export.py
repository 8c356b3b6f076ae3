"""Grades in the shape learning-management systems import: one row per student, one column per
assignment.

``nbgrader export`` (which ``nbgrader_config.py`` points at this exporter) writes ``grades.csv``
(or the file named by ``--to``): the columns ``student_id``, ``last_name``, ``first_name``,
``email``, ``lms_user_id`` (as the roster gave them, see ``nbgrader db student import``), then one
column per assignment named ``<assignment> (<max> points)`` holding the student's score (written
answers included once graded, late penalty taken off), empty when the student handed nothing in.
The file is written whole or not at all (a temporary file renamed into place).

Used by: ``nbgrader_config.py`` (through ``configure``).
"""

from __future__ import annotations

import csv
import io
import os

from nbgrader.api import MissingEntry
from nbgrader.plugins import ExportPlugin

__all__ = ["LmsExport", "grade_table"]


def grade_table(gradebook, students=(), assignments=()):
    """The rows of the export (a header, then one row per student) as lists of strings."""
    chosen = [a for a in sorted(gradebook.assignments, key=lambda a: a.name)
              if not assignments or a.name in assignments]
    header = ["student_id", "last_name", "first_name", "email", "lms_user_id"]
    header += [f"{a.name} ({a.max_score:g} points)" for a in chosen]
    rows = [header]
    for student in sorted(gradebook.students, key=lambda s: s.id):
        if students and student.id not in students:
            continue
        row = [student.id, student.last_name or "", student.first_name or "", student.email or "",
               student.lms_user_id or ""]
        for assignment in chosen:
            try:
                submission = gradebook.find_submission(assignment.name, student.id)
            except MissingEntry:
                row.append("")
                continue
            row.append(f"{max(0.0, submission.score - submission.late_submission_penalty):g}")
        rows.append(row)
    return rows


class LmsExport(ExportPlugin):
    """``nbgrader export`` as one row per student and one column per assignment (see the module)."""

    def export(self, gradebook):
        destination = self.to or "grades.csv"
        rows = grade_table(gradebook, [str(s) for s in self.student], [str(a) for a in self.assignment])
        text = io.StringIO()
        csv.writer(text, lineterminator="\n").writerows(rows)
        temporary = f"{destination}.{os.getpid()}.tmp"
        with open(temporary, "w", newline="") as handle:
            handle.write(text.getvalue())
        os.replace(temporary, destination)
        self.log.info("Wrote %s: %d students, %d assignments", destination, len(rows) - 1, len(rows[0]) - 5)
