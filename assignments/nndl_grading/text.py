"""The text of the notebooks: the course's numbers written in, the hidden tests found or taken out.

Writing a course's numbers into its notebooks: the ``COURSE`` markers of the solution notebooks.

A solution notebook in ``source/`` shows the public numbers (``course.parameters(name, None)``). A
line that holds a number of the course ends with a marker naming it,

    X0 = 0.0                   # where every run starts   # COURSE: x0
    $$f(x) = \\frac{x^4}{4} - 3x^3 + 7x - 5$$   <!-- COURSE: f_latex -->

and longer passages are framed by ``# BEGIN COURSE: name`` / ``# END COURSE`` (in Markdown
``<!-- BEGIN COURSE: name -->`` / ``<!-- END COURSE -->``). ``render_text`` puts the course's text
(``course.texts``) in place of each marked line or passage, keeping its indentation, and removes the
markers; in every call ``feedback.probe("test", seed=N, ...)`` it writes the course's seed of that
test. ``generate.RenderCourse``, first among the preprocessors of ``generate_assignment`` and
``generate_solution``, does this to every cell, so that the released notebooks, the hidden tests
the gradebook keeps and the solutions follow from the course secret.

``hidden_lines`` and ``without_hidden`` find and remove the hidden regions (``### BEGIN HIDDEN
TESTS`` ... ``### END HIDDEN TESTS``) of a cell's text.

No nbgrader here: ``make_demo_class.py`` and the tests use this module in any environment.

Used by: ``generate``, ``verdicts``, ``cells``, ``hide``, ``make_demo_class.py`` and the tests.
"""

from __future__ import annotations

import re

from . import course

__all__ = ["render_text", "PROBE_CALL", "hidden_lines", "without_hidden"]

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


# ---------------------------------------------------------------- hidden tests

_REGION = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS[^\n]*\n.*?^[ \t]*### END HIDDEN TESTS[^\n]*(\n|$)",
                     re.S | re.M)
_INNER = re.compile(r"### BEGIN HIDDEN TESTS[^\n]*\n(.*?)### END HIDDEN TESTS", re.S)


def hidden_lines(text, shortest=8):
    """The lines (stripped) of the hidden regions of ``text`` with at least ``shortest`` characters."""
    lines = []
    for region in _INNER.findall(text):
        lines += [line.strip() for line in region.split("\n") if len(line.strip()) >= shortest]
    return lines


def without_hidden(text):
    return _REGION.sub("", text)
