"""The course's grader: what ``nbgrader`` does for this course on top of its own work.

``configure(c, course_dir)``, called by ``nbgrader_config.py``, sets nbgrader up so that

- ``generate_assignment`` and ``generate_solution`` write the course's own numbers, which follow
  from the course secret, into the notebooks (``course``, ``text``, ``generate``);
- ``autograde`` runs each hand-in in a sandbox (``sandbox``, ``launch``) through an executor that
  survives endless loops, bombs and busy machines (``execute``), puts back test cells a student
  deleted (``cells``), and decides every hidden test's points outside the notebook
  (``verdicts``, ``checks``);
- ``generate_feedback`` shows no hidden test (``hide``), and it and the Formgrader run no
  student's HTML or script (``pages``);
- ``export`` writes one row per student and one column per assignment (``export``).

``make student-tree`` (``student_tree``) writes what students get. Nothing in this package is ever
given to students, and no student's code can see it while it is graded.

Used by: ``assignments/nbgrader_config.py``, ``make student-tree``, ``make_demo_class.py`` and the
tests.
"""

from __future__ import annotations

import os

__all__ = ["configure"]


def _with(default, before=None, after=None, replace=None, insert=()):
    """A copy of nbgrader's default list of preprocessors with ``insert`` put before ``before`` (or
    after ``after``), or with ``replace`` (a class) replaced by ``insert[0]``."""
    items = list(default)
    if replace is not None:
        return [insert[0] if item is replace else item for item in items]
    index = items.index(before) if before is not None else items.index(after) + 1
    return items[:index] + list(insert) + items[index:]


def configure(c, course_dir):
    """Set up nbgrader's configuration ``c`` for the course in ``course_dir`` (see the module)."""
    from nbgrader.converters import Autograde, GenerateAssignment, GenerateFeedback, GenerateSolution
    from nbgrader.preprocessors import ClearHiddenTests, Execute, GetGrades, OverwriteCells

    import nbhelpers
    from nbhelpers.data import DATA_DIR

    from .cells import RestoreCells
    from .execute import SandboxedExecute
    from .generate import RenderCourse
    from .hide import HideHiddenTests
    from .verdicts import TrustedVerdicts

    course_dir = os.path.abspath(course_dir)

    def default(cls, name):
        return cls.class_traits()[name].default()

    c.GenerateAssignment.preprocessors = [RenderCourse, *default(GenerateAssignment, "preprocessors")]
    c.GenerateSolution.preprocessors = [RenderCourse, ClearHiddenTests,
                                        *default(GenerateSolution, "preprocessors")]
    c.RenderCourse.course_dir = course_dir
    c.Autograde.sanitize_preprocessors = _with(default(Autograde, "sanitize_preprocessors"),
                                               before=OverwriteCells, insert=[RestoreCells])
    autograde = _with(default(Autograde, "autograde_preprocessors"), replace=Execute,
                      insert=[SandboxedExecute])
    c.Autograde.autograde_preprocessors = _with(autograde, after=SandboxedExecute, insert=[TrustedVerdicts])
    c.TrustedVerdicts.course_dir = course_dir
    c.GenerateFeedback.preprocessors = _with(default(GenerateFeedback, "preprocessors"), after=GetGrades,
                                             insert=[HideHiddenTests])
    # the kernels read the course's package and its bundled data, nothing else of the repository
    c.SandboxKernelManager.read_only = [os.path.dirname(os.path.realpath(nbhelpers.__file__)),
                                        os.path.realpath(DATA_DIR)]
    if os.environ.get("NBHELPERS_DATA_DIR"):
        c.SandboxKernelManager.environment = {"NBHELPERS_DATA_DIR": os.path.realpath(DATA_DIR)}
    c.ExportApp.plugin_class = "nndl_grading.export.LmsExport"
    # the Formgrader and the feedback pages show students' written answers (Markdown, which may
    # hold HTML) in the instructor's browser: as text and pictures, never as scripts (nbgrader's
    # templates render Markdown cells without nbconvert's sanitize_html, hence the filter)
    c.HTMLExporter.sanitize_html = True
    c.HTMLExporter.filters = {"markdown2html": "nndl_grading.pages.markdown2html"}
