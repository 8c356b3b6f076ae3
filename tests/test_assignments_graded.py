"""The grades, the feedback and the instructor's files after one autograding of a whole class.

``tests/classroom.py`` makes the course and starts ``nbgrader autograde "*"`` (the first test of
the run that asks for it, usually in ``tests/test_assignments.py``); the tests here wait for it:

1. every hand-in of the made-up class, one student of the exchange and the hostile class
   (``tests/hostile_class.py``) gets exactly the points it deserves, test cell by test cell;
2. afterwards every instructor file is byte-identical, the attacks report that they found and
   changed nothing, and the log warns only about real tampering; the grader stopped the endless
   loop, the stuck kernel and the bombs;
3. the feedback pages hold no line of any hidden test, even where a student printed them, and
   run no student's script; a flood of output is cut;
4. regrading one student with ``--force`` retries a kernel that would not start; a roster is
   imported and the grades exported one row per student; solutions are released.

``assignments/`` itself is left untouched (hashed before and after).
"""

import csv
import html
import json
import os
import re
from html.parser import HTMLParser

import hostile_class as hostile
import nbformat
import pytest
from classroom import CLASSROOM_BIN, COURSE, DUMP_GRADES, MISSING, NAMES, SECRET, without_course_secret

if MISSING:
    pytest.skip(MISSING, allow_module_level=True)

import classroom  # noqa: E402
from classroom import demo, instructor_files, run, tree_hash  # noqa: E402
from nndl_grading.text import hidden_lines, render_text  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """This run's grading round (made now if no other test made it yet)."""
    with without_course_secret():
        yield classroom.course(tmp_path_factory)


@pytest.fixture(scope="module")
def grades(course):
    """{assignment: {student: {grade id: [auto score, max score]}}} once autograding is done."""
    return classroom.grades(course)


def _autograded(course, student, name):
    return nbformat.read(course["root"] / "autograded" / student / name / f"{name}.ipynb", as_version=4)


def _outputs_text(nb):
    return "\n".join(json.dumps(cell.get("outputs", [])) for cell in nb.cells if cell.cell_type == "code")


@pytest.mark.parametrize("name", NAMES)
def test_every_hand_in_gets_exactly_the_points_it_deserves(grades, name):
    expected = dict(demo.EXPECTED[name])
    expected.update(hostile.EXPECTED[name])
    assert set(grades[name]) == set(expected), f"{name}: graded {sorted(grades[name])}"
    for student, points in expected.items():
        cells = grades[name][student]
        tests = {gid: score for gid, (score, _) in cells.items() if gid in points}
        assert tests == {gid: float(p) for gid, p in points.items()}, f"{name}, {student}"
        written = [score for gid, (score, _) in cells.items() if gid not in points]
        assert all(score in (None, 0.0) for score in written)   # by hand; 0 when left unanswered
    full = {gid: top for gid, (score, top) in grades[name]["dia-correct"].items() if score is not None}
    assert demo.EXPECTED[name]["dia-correct"] == {gid: int(top) for gid, top in full.items()}


def test_attacks_found_nothing_and_changed_nothing(grades, course):
    for name in NAMES:
        nb = _autograded(course, "ida-intrudes", name)
        printed = [line for cell in nb.cells for output in cell.get("outputs", [])
                   for line in output.get("text", "").splitlines()]
        assert "found: []" in printed, f"{name}: the reading attack found something"
        attacks = [line for line in printed if line.startswith("attacks:")]
        assert len(attacks) == 1 and "DONE" not in attacks[0], f"{name}: a writing attack succeeded"
        patched = _outputs_text(_autograded(course, "jon-patches", name))
        assert "changed the tools the grader relies on" in patched, name
    assert instructor_files(course["root"], course["home"]) == course["before"]
    assert not list(course["root"].glob("source/*/evil.py"))
    assert tree_hash(COURSE, skip=("__pycache__",)) == course["repository_before"], "assignments/ changed"


def test_the_grader_stopped_loops_bombs_and_a_stuck_kernel(grades, course):
    hangs = _autograded(course, "amy-hangs", NAMES[0])
    assert any(o.get("ename") == "CellTimeoutError" for c in hangs.cells for o in c.get("outputs", []))
    stuck = _outputs_text(_autograded(course, "gus-stuck", "02-backpropagation"))
    assert "did not stop when interrupted" in stuck
    killed = _outputs_text(_autograded(course, "lee-bombs", "03-fashion-mnist"))
    assert "KernelDied" in killed and "PermissionError" in killed      # no process may start
    assert "MemoryError" in _outputs_text(_autograded(course, "lee-bombs", "02-backpropagation"))


class _Scripts(HTMLParser):
    """What a browser would run in a page: the text of its scripts and its on... attributes."""

    def __init__(self):
        super().__init__()
        self.code, self._in_script = [], False

    def handle_starttag(self, tag, attrs):
        self._in_script = tag == "script"
        self.code += [value or "" for key, value in attrs if key.startswith("on")]
        self.code += [value for key, value in attrs if key in ("src", "href") and (value or "").strip()
                      .lower().startswith("javascript:")]

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.code.append(data)


def test_a_flood_of_output_is_cut_and_costs_nothing_else(grades, course):
    name = NAMES[0]
    path = course["root"] / "autograded" / "kim-floods" / name / f"{name}.ipynb"
    size = path.stat().st_size
    assert size < 1_500_000, f"the flooder's graded notebook holds {size:,} bytes"
    nb = _autograded(course, "kim-floods", name)
    assert "the rest of this cell's output is cut" in _outputs_text(nb)
    kinds = {kind for cell in nb.cells for output in cell.get("outputs", [])
             for kind in output.get("data", {})}
    assert kinds <= {"text/plain", "image/png", "image/jpeg"}, kinds     # nothing a browser runs


OUTPUTS = r'''
import json, sys
import nbformat
from nbclient import NotebookClient
from nndl_grading.execute import SandboxedExecute

MIME = "application/vnd.nndl.grader+json"
nb = nbformat.v4.new_notebook()
nb.cells = [nbformat.v4.new_code_cell("") for _ in range(3)]
nb.cells[2].metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": "test", "points": 1}
grader = SandboxedExecute()
NotebookClient.__init__(grader, nb, None)
grader.reset_execution_trackers()
grader.clear_before_next_output, grader._used, grader.resources = False, {}, {}


def show(cell, data, display_id=None, kind="display_data"):
    msg = {"msg_type": kind, "header": {"msg_type": kind}, "parent_header": {"msg_id": "m"},
           "content": {"data": data, "metadata": {}, "transient": {"display_id": display_id}}}
    if kind == "update_display_data":
        return grader._update_display_id(display_id, msg)
    return grader.output(nb.cells[cell].outputs, msg, display_id, cell)


for _ in range(10):
    show(0, {"application/json": {"filler": "y" * 2_000_000}})
for _ in range(100):
    show(0, {"text/plain": ""}, display_id="again")
show(0, {"text/plain": "z" * 100_000}, display_id="again", kind="update_display_data")
show(1, {MIME: {"filler": "w" * 2_000_000}})
show(1, {"text/html": "<script></script>", "application/javascript": "", "text/plain": "a table"})
for _ in range(3):
    show(2, {MIME: {"test": "test"}})
print(json.dumps({"size": len(nbformat.writes(nb)),
                  "results": [sum(MIME in o.get("data", {}) for o in c.outputs) for c in nb.cells],
                  "kinds": sorted({k for c in nb.cells for o in c.outputs for k in o.get("data", {})})}))
'''


def test_the_grader_keeps_a_bounded_harmless_share_of_any_output():
    """What a notebook shows reaches the graded notebook bounded in size (big JSON, a display shown
    a hundred times and then updated), the grader's own kind of output only in test cells and at
    most twice, and nothing a browser would run."""
    out = run([CLASSROOM_BIN / "python", "-c", OUTPUTS], COURSE,
              dict(os.environ, PYTHONDONTWRITEBYTECODE="1"))
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["size"] < 100_000, report["size"]
    assert report["results"] == [0, 0, 2]
    assert report["kinds"] == ["application/vnd.nndl.grader+json", "text/plain"]


@pytest.fixture(scope="module")
def feedback(grades, course):
    """The feedback pages of the made-up class (amy, bob, cal, dia), the student of the exchange
    (fay), the one who printed the hidden tests (ida) and the one who flooded the grader (kim)."""
    run(["nbgrader", "generate_feedback", "*", "--student", "[a-dfik]*"], course["root"], course["env"])
    return course["root"] / "feedback"


def test_pages_the_instructor_opens_run_no_students_code(feedback):
    """The Formgrader and the feedback pages show the graded notebook as HTML, in the browser of
    the instructor (where the Formgrader has the rights of the instructor's Jupyter server)."""
    name = NAMES[0]
    page = (feedback / "kim-floods" / name / f"{name}.html").read_text()
    assert "kim-was-here" in page                                 # shown, as text,
    scripts = _Scripts()
    scripts.feed(page)
    assert not [code for code in scripts.code if "kim-was-here" in code]   # never run


def test_the_log_warns_about_real_tampering_only(grades, course):
    log = course["log"].read_text()
    assert "Attribute 'checksum'" not in log
    restored = [line for line in log.splitlines() if "put back" in line or "restored" in line]
    assert restored and all("hal-tampers" in line for line in restored), restored


def test_feedback_shows_no_hidden_test(feedback, course):
    root = course["root"]
    hidden, answers = set(), set()
    for name in NAMES:
        for cell in nbformat.read(root / "source" / name / f"{name}.ipynb", as_version=4).cells:
            source = render_text(cell.source, name, SECRET)
            hidden.update(hidden_lines(source))
            answers.update(hidden_lines(source.replace("### BEGIN SOLUTION", "### BEGIN HIDDEN TESTS")
                                        .replace("### END SOLUTION", "### END HIDDEN TESTS")))
    hidden -= answers       # a line a student may write as their own answer (02's BP1-BP3 one-liners)
    pages = list(feedback.rglob("*.html"))
    assert len(pages) >= len(NAMES) * len(demo.STUDENTS)
    for page in pages:
        text = html.unescape(re.sub(r"<[^>]+>", "", page.read_text()))    # as the browser shows it
        leaked = [line for line in hidden if line in text]
        assert not leaked, f"{page.relative_to(root)} shows {leaked[:3]}"
    assert "[hidden test]" in (root / "feedback" / "ida-intrudes" / NAMES[0] / f"{NAMES[0]}.html").read_text()
    assert (root / "feedback" / "kim-floods" / NAMES[0] / f"{NAMES[0]}.html").stat().st_size < 2_000_000
    # the students get their pages through the exchange
    run(["nbgrader", "release_feedback", NAMES[0], "--student", "fay-different"], root, course["env"])
    fay = course["top"] / "fay"
    run(["nbgrader", "fetch_feedback", NAMES[0], "--course", "neural-networks", "--student",
         "fay-different"], fay, dict(course["env"], HOME=str(fay)))
    assert list((fay / NAMES[0] / "feedback").rglob("*.html"))


def test_regrading_one_student_retries_a_kernel_that_did_not_start(grades, course):
    root, name = course["root"], NAMES[0]
    regraded = run(["nbgrader", "autograde", name, "--student", "dia-correct", "--force",
                    "--SandboxedExecute.kernel_manager_class=flaky_kernel.FlakyManager"], root, course["env"])
    assert "did not start" in regraded.stdout + regraded.stderr
    again = json.loads(run([course["python"], "-c", DUMP_GRADES, root / "gradebook.db"], root,
                           course["env"]).stdout)
    assert again[name]["dia-correct"] == grades[name]["dia-correct"]


def test_roster_in_and_grades_out_one_row_per_student(grades, course):
    root = course["root"]
    (root / "roster.csv").write_text("id,first_name,last_name,email,lms_user_id\n"
                                     "dia-correct,Dia,Correct,dia@example.org,1004\n"
                                     "amy-hangs,Amy,Hangs,amy@example.org,1001\n")
    run(["nbgrader", "db", "student", "import", "roster.csv"], root, course["env"])
    run(["nbgrader", "export", "--to", "lms.csv"], root, course["env"])
    rows = list(csv.reader((root / "lms.csv").open()))
    header, body = rows[0], {row[0]: row for row in rows[1:]}
    assert header[:5] == ["student_id", "last_name", "first_name", "email", "lms_user_id"]
    assert [h.split(" (")[0] for h in header[5:]] == NAMES
    assert len(body) == len(rows) - 1 and "dia-correct" in body and "lee-bombs" in body
    assert body["dia-correct"][1:5] == ["Correct", "Dia", "dia@example.org", "1004"]
    assert [float(v) for v in body["dia-correct"][5:]] == [
        sum(demo.EXPECTED[name]["dia-correct"].values()) for name in NAMES]   # written answers: not yet


def test_solutions_are_released_with_the_course_numbers_and_no_hidden_test(grades, course):
    root, name = course["root"], NAMES[0]
    run(["nbgrader", "generate_solution", name], root, course["env"])
    solution = (root / "solution" / name / f"{name}.ipynb").read_text()
    derivative = render_text("    return x**3 - 9 * x**2 + 7  # COURSE: df", name, SECRET).strip()
    assert derivative in solution and "BEGIN HIDDEN TESTS" not in solution and "probe(" not in solution
