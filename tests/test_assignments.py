"""The graded assignments in assignments/, graded the way an instructor grades a real class.

Everything runs in a temporary copy of the course folder (its own gradebook, exchange, course secret
and instructor's home), with the instructor's environment (``make classroom``: nbgrader in
``.venv-classroom``) and nbgrader's own commands, as docs/instructors.md gives them
(``tests/classroom.py`` makes that round once per test run):

1. ``nbgrader generate_assignment`` writes the course's numbers (from its secret) into student
   versions that hold no solution and no hidden test; the public numbers give the solution
   notebooks back; ``make student-tree`` writes what students get, with no solution in it;
2. one student fetches and hands in with the student's configuration of the student tree; the
   made-up class (``make_demo_class.py``) hands in through the exchange, and a hostile class
   (``tests/hostile_class.py``: correct but different, stuck, tampering with test cells, reading
   the instructor's files, replacing the tools, writing to the gradebook, configuration and
   solutions, fork and memory bombs, floods of output and scripts for the instructor's browser)
   straight into ``submitted/``;
3. one ``nbgrader autograde "*"`` grades them all in the sandbox, in the background while the rest
   of the test run goes on: ``tests/test_assignments_graded.py`` checks what it gave.

This file checks 1; ``assignments/`` itself is left untouched (hashed before and after, in the
other file).
"""

import re

import nbformat
import pytest
from classroom import COURSE, MISSING, NAMES, SECRET, without_course_secret

if MISSING:
    pytest.skip(MISSING, allow_module_level=True)

import classroom  # noqa: E402
from nndl_grading.text import hidden_lines, render_text, without_hidden  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """This run's grading round (made here if no other test made it yet: autograding starts now)."""
    with without_course_secret():
        yield classroom.course(tmp_path_factory)


# ---------------------------------------------------------------- the notebooks and the course's numbers

def test_there_are_assignments():
    assert NAMES and all(re.fullmatch(r"\d\d-[a-z]+(-[a-z]+)*", n) for n in NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_the_public_numbers_give_the_solution_notebook_back(name):
    marker = re.compile(r"\s*(#\s*COURSE:\s*\w+|<!--\s*COURSE:\s*\w+\s*-->)\s*$")
    block = re.compile(r"^\s*(#|<!--)\s*(BEGIN|END) COURSE")
    for cell in nbformat.read(COURSE / "source" / name / f"{name}.ipynb", as_version=4).cells:
        plain = "\n".join(marker.sub("", line) for line in cell.source.split("\n") if not block.match(line))
        assert render_text(cell.source, name, None) == plain


@pytest.mark.parametrize("name", NAMES)
def test_each_course_gets_its_own_numbers(name):
    source = "\n".join(c.source for c in nbformat.read(COURSE / "source" / name / f"{name}.ipynb",
                                                       as_version=4).cells)
    ours, theirs = render_text(source, name, SECRET), render_text(source, name, "another course's secret")
    probes = re.compile(r'probe\("([\w/]+)", seed=(\d+)')
    assert probes.findall(ours) and set(probes.findall(ours)).isdisjoint(probes.findall(theirs))
    if name != "02-backpropagation":      # 02's numbers are its hidden networks: the seeds above
        assert without_hidden(ours) != without_hidden(theirs)


@pytest.mark.parametrize("name", NAMES)
def test_student_version_holds_no_solution_or_hidden_test(course, name):
    release = nbformat.read(course["root"] / "release" / name / f"{name}.ipynb", as_version=4)
    text = "\n".join(c.source for c in release.cells)
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS", "COURSE:"):
        assert marker not in text
    sources = [render_text(cell.source, name, SECRET).replace("### BEGIN SOLUTION", "### BEGIN HIDDEN TESTS")
               .replace("### END SOLUTION", "### END HIDDEN TESTS") for cell in
               nbformat.read(course["root"] / "source" / name / f"{name}.ipynb", as_version=4).cells]
    shown = "\n".join(without_hidden(source) for source in sources)   # outside both kinds of region
    for line in (line for source in sources for line in hidden_lines(source)):
        if line not in shown:
            assert line not in text, f"{name}: the student version shows {line!r}"


def test_student_tree_holds_lessons_and_assignments_but_no_solution(course):
    tree, run = course["tree"], course["tree_run"]
    assert run["returncode"] == 0, run["stderr"]
    for needed in ("notebooks/00-start-here.ipynb", "nbhelpers/feedback/probe.py", "data", "Makefile",
                   "pyproject.toml", "nbgrader_config.py"):
        assert (tree / needed).exists(), needed
    assert sorted(p.name for p in (tree / "notebooks" / "assignments").iterdir()) == NAMES
    assert not (tree / "assignments").exists() and not list(tree.rglob("nndl_grading"))
    sources = {name: [render_text(c.source, name, SECRET) for c in
                      nbformat.read(course["root"] / "source" / name / f"{name}.ipynb", as_version=4).cells]
               for name in NAMES}
    hidden = {line for cells in sources.values() for s in cells for line in hidden_lines(s, shortest=20)}
    for path in tree.rglob("*"):
        if path.is_file() and path.suffix in (".ipynb", ".py", ".md", ".txt", ".toml", ".json"):
            text = path.read_text(errors="replace")
            assert SECRET not in text, path
            assert not [line for line in hidden if line in text], path
            if path.suffix in (".ipynb", ".py"):
                assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text, path
