"""The graded assignments in assignments/, graded the way an instructor grades a real class.

Everything runs in a temporary copy of the course folder (its own gradebook, exchange, course secret
and instructor's home), with the instructor's environment (``make classroom``: nbgrader in
``.venv-classroom``) and nbgrader's own commands, as docs/instructors.md gives them:

1. ``nbgrader generate_assignment`` writes the course's numbers (from its secret) into student
   versions that hold no solution and no hidden test; the public numbers give the solution
   notebooks back; ``make student-tree`` writes what students get, with no solution in it;
2. one student fetches and hands in with the student's configuration of the student tree; the
   made-up class (``make_demo_class.py``) hands in through the exchange, and a hostile class
   (``tests/hostile_class.py``: correct but different, stuck, tampering with test cells, reading
   the instructor's files, replacing the tools, writing to the gradebook, configuration and
   solutions, fork and memory bombs, floods of output and scripts for the instructor's browser)
   straight into ``submitted/``;
3. one ``nbgrader autograde "*"``, in the background while the quick tests run, grades them all in
   the sandbox; every hand-in gets exactly the points it deserves, test cell by test cell;
4. afterwards every instructor file is byte-identical, the attacks report that they found and
   changed nothing, and the log warns only about real tampering;
5. the feedback pages hold no line of any hidden test, even where a student printed them, and
   run no student's script; a flood of output is cut;
   regrading one student with ``--force`` retries a kernel that would not start; a roster is
   imported and the grades exported one row per student; solutions are released.

``assignments/`` itself is left untouched (hashed before and after).
"""

import csv
import hashlib
import html
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import hostile_class as hostile
import pytest

ROOT = Path(__file__).resolve().parent.parent
COURSE = ROOT / "assignments"
NAMES = sorted(p.name for p in (COURSE / "source").iterdir() if p.is_dir())
CLASSROOM_BIN = Path(os.environ.get("CLASSROOM_VENV", ROOT / ".venv-classroom")).resolve() / "bin"

if not (CLASSROOM_BIN / "nbgrader").exists():
    pytest.skip("the instructor's environment is missing: make classroom", allow_module_level=True)
if shutil.which("bwrap") is None:
    pytest.skip("bubblewrap, the grading sandbox, is missing: apt-get install bubblewrap",
                allow_module_level=True)

sys.path.insert(0, str(COURSE))
import nbformat  # noqa: E402
from nndl_grading import course as course_numbers  # noqa: E402
from nndl_grading.text import hidden_lines, render_text, without_hidden  # noqa: E402

pytestmark = pytest.mark.slow

SECRET = "the test suite's course secret"
# A correct cell takes a few seconds; a cell that never ends costs this much.
CELL_TIMEOUT = 10
TEST_CONFIG = f"""
# --- added by tests/test_assignments.py: a private exchange, short time limits, less memory
c.Exchange.root = {{exchange!r}}
c.ExecutePreprocessor.timeout = {CELL_TIMEOUT}
c.SandboxedExecute.interrupt_grace = 3
c.SandboxKernelManager.memory_bytes = {2 << 30}
c.SandboxKernelManager.cpu_seconds = 300
c.Application.log_format = "%(asctime)s [%(name)s | %(levelname)s] %(message)s"
"""
FLAKY_MANAGER = '''
import os
from nndl_grading.sandbox import SandboxKernelManager

class FlakyManager(SandboxKernelManager):
    """A kernel that does not start the first time (as on a machine under heavy load)."""

    async def _async_pre_start_kernel(self, **kw):
        marker = os.path.join(os.path.dirname(os.path.abspath(__file__)), "flaky-started")
        if not os.path.exists(marker):
            open(marker, "w").close()
            raise RuntimeError("the kernel did not respond (a machine under heavy load)")
        return await super()._async_pre_start_kernel(**kw)
'''
DUMP_GRADES = '''
import json, sys
from nbgrader.api import Gradebook
grades = {}
with Gradebook("sqlite:///" + sys.argv[1]) as gb:
    for assignment in gb.assignments:
        for submission in gb.assignment_submissions(assignment.name):
            grades.setdefault(assignment.name, {})[submission.student_id] = {
                g.name: [g.auto_score, g.max_score] for nb in submission.notebooks for g in nb.grades}
print(json.dumps(grades))
'''


def _load_demo():
    spec = importlib.util.spec_from_file_location("make_demo_class", COURSE / "make_demo_class.py")
    module = importlib.util.module_from_spec(spec)
    before, sys.dont_write_bytecode = sys.dont_write_bytecode, True   # no __pycache__ in assignments/
    try:
        spec.loader.exec_module(module)
    finally:
        sys.dont_write_bytecode = before
    return module


demo = _load_demo()


def _tree_hash(folder, skip=()):
    digest = hashlib.sha256()
    for path in sorted(Path(folder).rglob("*")):
        if path.is_file() and not any(part in skip for part in path.relative_to(folder).parts):
            digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _instructor_files(root, home):
    """Hashes of everything of the instructor's that no student's code may change."""
    files = {name: _tree_hash(root / name) for name in ("source", "release", "nndl_grading")}
    files.update({name: hashlib.sha256((root / name).read_bytes()).hexdigest()
                  for name in ("nbgrader_config.py", "course-secret.txt")})
    files["home"] = _tree_hash(home)
    return files


def _run(command, cwd, env, timeout=900, check=True):
    result = subprocess.run([str(c) for c in command], cwd=cwd, env=env, capture_output=True, text=True,
                            timeout=timeout, stdin=subprocess.DEVNULL)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, command))} failed:\n{result.stdout[-3000:]}\n"
                             f"{result.stderr[-3000:]}")
    return result


def _submit(folder, notebooks):
    import datetime

    folder.mkdir(parents=True)
    for name, nb in notebooks.items():
        nbformat.write(nb, folder / name)
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f %Z")
    (folder / "timestamp.txt").write_text(stamp)


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A course copy with every assignment generated and released, handed in by one student
    through the exchange with the student configuration, the made-up class and the hostile class;
    autograding of all of it runs in the background meanwhile."""
    repository_before = _tree_hash(COURSE, skip=("__pycache__",))
    secret_before = os.environ.pop("NNDL_COURSE_SECRET", None)     # the course's own file counts here
    top = tmp_path_factory.mktemp("classroom")
    root, home, exchange = top / "course", top / "instructor-home", top / "exchange"
    root.mkdir()
    home.mkdir()
    (home / "notes.txt").write_text("the instructor's own notes\n")
    for name in ("source", "nndl_grading"):
        shutil.copytree(COURSE / name, root / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(COURSE / "make_demo_class.py", root)
    (root / "nbgrader_config.py").write_text((COURSE / "nbgrader_config.py").read_text()
                                             + TEST_CONFIG.format(exchange=str(exchange)))
    (root / "course-secret.txt").write_text(SECRET + "\n")
    (root / "flaky_kernel.py").write_text(FLAKY_MANAGER)
    env = {k: v for k, v in os.environ.items() if k not in ("NNDL_COURSE_SECRET", "MPLBACKEND")}
    env.update(PATH=f"{CLASSROOM_BIN}{os.pathsep}{os.environ.get('PATH', '')}", HOME=str(home),
               NBGRADER_EXCHANGE=str(exchange), PYTHONDONTWRITEBYTECODE="1")
    python = CLASSROOM_BIN / "python"

    _run(["nbgrader", "generate_assignment", "*"], root, env)
    first = NAMES[0]
    _run(["nbgrader", "release_assignment", first], root, env)
    tree = top / "student-tree"
    tree_run = _run([python, "-m", "nndl_grading.student_tree", tree, "--repository", ROOT], root, env,
                    check=False)

    # one student as docs/instructors.md tells students: fetch, work, submit, with the tree's config
    student = top / "fay"
    student.mkdir()
    shutil.copy(tree / "nbgrader_config.py", student)
    fay_env = dict(env, HOME=str(student))
    _run(["nbgrader", "fetch_assignment", first, "--course", "neural-networks"], student, fay_env)
    params = {name: course_numbers.parameters(name, SECRET) for name in NAMES}
    cases = {name: hostile.handins(name, str(home), params[name]) for name in NAMES}
    fetched = student / first / f"{first}.ipynb"
    assert fetched.is_file(), "fetch_assignment gave the student nothing"
    edits, answered, operations = cases[first]["fay-different"]
    filled = demo.fill(first, "fay-different", root, edits=edits, answered=answered)
    for file_name, nb in hostile.build(filled, operations).items():
        nbformat.write(nb, student / first / file_name)
    _run(["nbgrader", "submit", first, "--course", "neural-networks", "--student", "fay-different"],
         student, fay_env)

    # the made-up class hands in the first assignment through the exchange, the instructor collects;
    # the other assignments go straight into submitted/ (the same steps, fewer nbgrader commands)
    _run([python, "make_demo_class.py", first], root, env)
    _run(["nbgrader", "collect", first], root, env)
    _run([python, "make_demo_class.py", *NAMES[1:], "--into-submitted"], root, env)
    # the hostile class, straight into submitted/
    for name in NAMES:
        for student_id, (edits, answered, operations) in cases[name].items():
            if student_id == "fay-different" and name == first:
                continue
            filled = demo.fill(name, student_id, root, edits=edits, answered=answered)
            _submit(root / "submitted" / student_id / name, hostile.build(filled, operations))
    before = _instructor_files(root, home)
    log = open(top / "autograde.log", "w")
    grader = subprocess.Popen([str(CLASSROOM_BIN / "nbgrader"), "autograde", "*"], cwd=root, env=env,
                              stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    yield {"root": root, "top": top, "home": home, "env": env, "grader": grader, "log": top / "autograde.log",
           "before": before, "repository_before": repository_before, "tree": tree, "tree_run": tree_run,
           "python": python}
    if grader.poll() is None:
        grader.kill()
    log.close()
    if secret_before is not None:
        os.environ["NNDL_COURSE_SECRET"] = secret_before


@pytest.fixture(scope="module")
def grades(course):
    """{assignment: {student: {grade id: [auto score, max score]}}} once autograding is done."""
    returncode = course["grader"].wait(timeout=1500)
    log = course["log"].read_text()
    assert returncode == 0, f"nbgrader autograde failed:\n{log[-4000:]}"
    out = _run([course["python"], "-c", DUMP_GRADES, course["root"] / "gradebook.db"], course["root"],
               course["env"]).stdout
    return json.loads(out)


def _autograded(course, student, name):
    return nbformat.read(course["root"] / "autograded" / student / name / f"{name}.ipynb", as_version=4)


def _outputs_text(nb):
    return "\n".join(json.dumps(cell.get("outputs", [])) for cell in nb.cells if cell.cell_type == "code")


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
    assert run.returncode == 0, run.stderr
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


# ---------------------------------------------------------------- grading

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
    assert _instructor_files(course["root"], course["home"]) == course["before"]
    assert not list(course["root"].glob("source/*/evil.py"))
    assert _tree_hash(COURSE, skip=("__pycache__",)) == course["repository_before"], "assignments/ changed"


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
    out = _run([CLASSROOM_BIN / "python", "-c", OUTPUTS], COURSE,
               dict(os.environ, PYTHONDONTWRITEBYTECODE="1"))
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["size"] < 100_000, report["size"]
    assert report["results"] == [0, 0, 2]
    assert report["kinds"] == ["application/vnd.nndl.grader+json", "text/plain"]


def test_pages_the_instructor_opens_run_no_students_code(grades, course):
    """The Formgrader and the feedback pages show the graded notebook as HTML, in the browser of
    the instructor (where the Formgrader has the rights of the instructor's Jupyter server)."""
    name = NAMES[0]
    root = course["root"]
    _run(["nbgrader", "generate_feedback", name, "--student", "kim-floods", "--force"], root, course["env"])
    page = (root / "feedback" / "kim-floods" / name / f"{name}.html").read_text()
    assert "kim-was-here" in page                                 # shown, as text,
    scripts = _Scripts()
    scripts.feed(page)
    assert not [code for code in scripts.code if "kim-was-here" in code]   # never run


def test_the_log_warns_about_real_tampering_only(grades, course):
    log = course["log"].read_text()
    assert "Attribute 'checksum'" not in log
    restored = [line for line in log.splitlines() if "put back" in line or "restored" in line]
    assert restored and all("hal-tampers" in line for line in restored), restored


def test_feedback_shows_no_hidden_test(grades, course):
    root = course["root"]
    # the made-up class (amy, bob, cal, dia), the student of the exchange (fay), the one who
    # printed the hidden tests (ida) and the one who flooded the grader with output (kim)
    _run(["nbgrader", "generate_feedback", "*", "--student", "[a-dfik]*"], root, course["env"])
    hidden, answers = set(), set()
    for name in NAMES:
        for cell in nbformat.read(root / "source" / name / f"{name}.ipynb", as_version=4).cells:
            source = render_text(cell.source, name, SECRET)
            hidden.update(hidden_lines(source))
            answers.update(hidden_lines(source.replace("### BEGIN SOLUTION", "### BEGIN HIDDEN TESTS")
                                        .replace("### END SOLUTION", "### END HIDDEN TESTS")))
    hidden -= answers       # a line a student may write as their own answer (02's BP1-BP3 one-liners)
    pages = list((root / "feedback").rglob("*.html"))
    assert len(pages) >= len(NAMES) * len(demo.STUDENTS)
    for page in pages:
        text = html.unescape(re.sub(r"<[^>]+>", "", page.read_text()))    # as the browser shows it
        leaked = [line for line in hidden if line in text]
        assert not leaked, f"{page.relative_to(root)} shows {leaked[:3]}"
    assert "[hidden test]" in (root / "feedback" / "ida-intrudes" / NAMES[0] / f"{NAMES[0]}.html").read_text()
    assert (root / "feedback" / "kim-floods" / NAMES[0] / f"{NAMES[0]}.html").stat().st_size < 2_000_000
    # the students get their pages through the exchange
    _run(["nbgrader", "release_feedback", NAMES[0], "--student", "fay-different"], root, course["env"])
    fay = course["top"] / "fay"
    _run(["nbgrader", "fetch_feedback", NAMES[0], "--course", "neural-networks", "--student",
          "fay-different"], fay, dict(course["env"], HOME=str(fay)))
    assert list((fay / NAMES[0] / "feedback").rglob("*.html"))


def test_regrading_one_student_retries_a_kernel_that_did_not_start(grades, course):
    root, name = course["root"], NAMES[0]
    run = _run(["nbgrader", "autograde", name, "--student", "dia-correct", "--force",
                "--SandboxedExecute.kernel_manager_class=flaky_kernel.FlakyManager"], root, course["env"])
    assert "did not start" in run.stdout + run.stderr
    again = json.loads(_run([course["python"], "-c", DUMP_GRADES, root / "gradebook.db"], root,
                            course["env"]).stdout)
    assert again[name]["dia-correct"] == grades[name]["dia-correct"]


def test_roster_in_and_grades_out_one_row_per_student(grades, course):
    root = course["root"]
    (root / "roster.csv").write_text("id,first_name,last_name,email,lms_user_id\n"
                                     "dia-correct,Dia,Correct,dia@example.org,1004\n"
                                     "amy-hangs,Amy,Hangs,amy@example.org,1001\n")
    _run(["nbgrader", "db", "student", "import", "roster.csv"], root, course["env"])
    _run(["nbgrader", "export", "--to", "lms.csv"], root, course["env"])
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
    _run(["nbgrader", "generate_solution", name], root, course["env"])
    solution = (root / "solution" / name / f"{name}.ipynb").read_text()
    derivative = render_text("    return x**3 - 9 * x**2 + 7  # COURSE: df", name, SECRET).strip()
    assert derivative in solution and "BEGIN HIDDEN TESTS" not in solution and "probe(" not in solution
