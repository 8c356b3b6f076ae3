"""Writing a course's numbers into its notebooks: the ``COURSE`` markers of the solution notebooks.

A solution notebook in ``source/`` shows the public numbers (``course.parameters(name, None)``). A
line that holds a number of the course ends with a marker naming it,

    X0 = 0.0                   # where every run starts   # COURSE: x0
    $$f(x) = \\frac{x^4}{4} - 3x^3 + 7x - 5$$   <!-- COURSE: f_latex -->

and longer passages are framed by ``# BEGIN COURSE: name`` / ``# END COURSE`` (in Markdown
``<!-- BEGIN COURSE: name -->`` / ``<!-- END COURSE -->``). ``render_text`` puts the course's text
(``course.texts``) in place of each marked line or passage, keeping its indentation, and removes the
markers; in every call ``feedback.probe("test", seed=N, ...)`` it writes the course's seed of that
test. ``RenderCourse``, first among the preprocessors of ``generate_assignment`` and
``generate_solution``, does this to every cell, so that the released notebooks, the hidden tests
the gradebook keeps and the solutions follow from the course secret.

Used by: ``nbgrader_config.py`` (through ``configure``), ``make_demo_class.py`` and the tests.
"""

from __future__ import annotations

import re

from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode

from . import course

__all__ = ["render_text", "RenderCourse", "PROBE_CALL"]

_LINE = re.compile(r"^(?P<body>.*?)\s*(?:#\s*COURSE:\s*(?P<py>\w+)|<!--\s*COURSE:\s*(?P<md>\w+)\s*-->)\s*$")
_BEGIN = re.compile(r"^\s*(?:#\s*BEGIN COURSE:\s*(?P<py>\w+)|<!--\s*BEGIN COURSE:\s*(?P<md>\w+)\s*-->)\s*$")
_END = re.compile(r"^\s*(?:#\s*END COURSE|<!--\s*END COURSE\s*-->)\s*$")
PROBE_CALL = re.compile(r'feedback\.probe\(\s*"(?P<test>[\w/]+)"\s*,\s*seed=(?P<seed>\d+)')


def _indent(text, line):
    prefix = line[:len(line) - len(line.lstrip())]
    return "\n".join(prefix + part if part else part for part in text.split("\n"))


def _text(values, name, where):
    if name not in values:
        raise course.CourseError(f"{where}: the marker COURSE: {name} names no number of this "
                                 f"assignment (known: {', '.join(sorted(values)) or 'none'})")
    return values[name]


def render_text(text, name, secret=None, where="a cell"):
    """``text`` (a cell's source) with the numbers of the course with ``secret`` (see the module)."""
    values = course.texts(name, secret)
    out, block = [], None
    for line in text.split("\n"):
        if block is not None:
            if _END.match(line):
                out.append(_indent(_text(values, block[0], where), block[1]))
                block = None
            continue
        begin = _BEGIN.match(line)
        if begin:
            block = (begin.group("py") or begin.group("md"), line)
            continue
        marked = _LINE.match(line)
        if marked and (marked.group("py") or marked.group("md")):
            out.append(_indent(_text(values, marked.group("py") or marked.group("md"), where), line))
            continue
        out.append(PROBE_CALL.sub(lambda m: m.group(0)[:m.start("seed") - m.start(0)]
                                  + str(course.seed(name, m.group("test"), secret)), line))
    if block is not None:
        raise course.CourseError(f"{where}: BEGIN COURSE: {block[0]} has no END COURSE")
    return "\n".join(out)


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
