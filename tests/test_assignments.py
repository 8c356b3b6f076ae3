"""The graded assignments in assignments/: solutions, student versions and grading, end to end.

Everything runs in a temporary copy of the course folder (its own gradebook, exchange and cache),
the way the README's "For instructors" section tells an instructor to work:

1. every solution notebook (assignments/source/<name>/<name>.ipynb) runs without an error, so it
   passes its own visible and hidden tests;
2. ``nbgrader generate_assignment`` makes student versions holding no solution and no hidden test;
3. each student version, run as released (with its stubs), fails in exactly its graded parts:
   every test cell fails, and no cell fails that is not an answer or a test;
4. four made-up students per assignment (``assignments/make_demo_class.py``: one whose loop never
   ends, one whose code raises, one with a plausible mistake, one correct, graded in that order)
   hand in through the exchange; ``nbgrader collect`` and one ``nbgrader autograde`` call grade
   them all, with a short per-cell time limit, and every test cell gets the points the demo
   says it should (so the grader carries on past the bad hand-ins);
5. nothing under assignments/ changes (its files are hashed before and after).

The grading steps share one module-wide run (generate, release, hand in, collect, then autograde
in a background process while the notebooks of steps 1 and 3 run), to stay within a minute and
a half on two cores.
"""

import asyncio
import hashlib
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("nbgrader", reason="nbgrader is the classroom extra: `make test` installs it")

import nbformat  # noqa: E402  (after the skip: nbgrader brings it)

pytestmark = pytest.mark.slow   # grading takes a minute or two: make quick leaves it out

ROOT = Path(__file__).resolve().parent.parent
COURSE = ROOT / "assignments"
NAMES = sorted(p.name for p in (COURSE / "source").iterdir() if p.is_dir())
BIN = Path(sys.executable).parent
# A cell of a correct solution takes a second or two; a hand-in that never finishes costs this much.
CELL_TIMEOUT = 8

TEST_CONFIG = """
# --- added by tests/test_assignments.py: a private exchange and cache, a short per-cell time limit
c.Exchange.root = {exchange!r}
c.Exchange.cache = {cache!r}
c.ExecutePreprocessor.timeout = {timeout}
"""


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


def _tree_hash(folder):
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _meta(cell):
    return cell.metadata.get("nbgrader", {})


def _is_test(cell):
    return bool(_meta(cell).get("grade")) and not _meta(cell).get("solution")


def _errors(cell):
    return [o for o in cell.get("outputs", []) if o.output_type == "error"]


def _env():
    # nbgrader runs `alembic` and kernels: the course's own Python must come first on the PATH
    return {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            "MPLBACKEND": "Agg"}


async def _run_all(paths, timeout=120):
    """Execute notebooks two at a time (errors allowed); returns the executed notebooks."""
    from nbclient import NotebookClient

    gate = asyncio.Semaphore(2)

    async def run(path):
        nb = nbformat.read(path, as_version=4)
        async with gate:
            client = NotebookClient(nb, timeout=timeout, allow_errors=True, kernel_name="python3",
                                    resources={"metadata": {"path": str(path.parent)}})
            await client.async_execute()
        return nb

    return await asyncio.gather(*(run(p) for p in paths))


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A copy of the course folder with every assignment generated, released, handed in by the
    made-up class and collected; autograding of all of it runs in the background meanwhile."""
    from nbgrader.apps import NbGraderAPI

    before = _tree_hash(COURSE)
    top = tmp_path_factory.mktemp("classroom")
    root = top / "course"
    root.mkdir()
    shutil.copytree(COURSE / "source", root / "source")
    config = (COURSE / "nbgrader_config.py").read_text()
    config += TEST_CONFIG.format(exchange=str(top / "exchange"), cache=str(top / "cache"),
                                 timeout=CELL_TIMEOUT)
    (root / "nbgrader_config.py").write_text(config)
    here, path = os.getcwd(), os.environ.get("PATH", "")
    os.environ["PATH"] = _env()["PATH"]
    os.chdir(root)
    try:
        api = NbGraderAPI(config=demo._load_config(root))
        for name in NAMES:
            for step in (api.generate_assignment, api.release_assignment):
                result = step(name)
                assert result["success"], f"{step.__name__} {name}:\n{result.get('log', '')}"
        demo.hand_in(NAMES, root, config=api.config)
        for name in NAMES:
            result = api.collect(name)
            assert result["success"], result.get("log", "")
    finally:
        os.chdir(here)
        os.environ["PATH"] = path
    log = open(top / "autograde.log", "w")
    grader = subprocess.Popen([str(BIN / "nbgrader"), "autograde", "*"], cwd=root, env=_env(),
                              stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    yield {"root": root, "top": top, "grader": grader, "log": top / "autograde.log",
           "hash_before": before}
    if grader.poll() is None:
        grader.kill()
    log.close()


@pytest.fixture(scope="module")
def executed(course):
    """Each assignment's solution notebook and student version, executed (in the copy)."""
    root = course["root"]
    paths = [root / "source" / n / f"{n}.ipynb" for n in NAMES] + \
            [root / "release" / n / f"{n}.ipynb" for n in NAMES]
    notebooks = asyncio.run(_run_all(paths))
    return {"source": dict(zip(NAMES, notebooks[:len(NAMES)])),
            "release": dict(zip(NAMES, notebooks[len(NAMES):]))}


@pytest.fixture(scope="module")
def grades(course):
    """{assignment: {student: {grade id: (auto score, max score)}}} once autograding is done."""
    from nbgrader.api import Gradebook

    returncode = course["grader"].wait(timeout=600)
    log = course["log"].read_text()
    assert returncode == 0, f"nbgrader autograde failed:\n{log[-3000:]}"
    result = {}
    with Gradebook(f"sqlite:///{course['root'] / 'gradebook.db'}") as gb:
        for name in NAMES:
            result[name] = {}
            for submission in gb.assignment_submissions(name):
                cells = {}
                for notebook in submission.notebooks:
                    cells.update({g.name: (g.auto_score, g.max_score) for g in notebook.grades})
                result[name][submission.student_id] = cells
    return result


def test_there_are_assignments():
    assert NAMES and all(re.fullmatch(r"\d\d-[a-z]+(-[a-z]+)*", n) for n in NAMES)
    for name in NAMES:
        assert (COURSE / "source" / name / f"{name}.ipynb").is_file()


@pytest.mark.parametrize("name", NAMES)
def test_solution_notebook_passes_its_own_tests(executed, name):
    nb = executed["source"][name]
    failed = [(i, _meta(c).get("grade_id"), e.ename, e.evalue) for i, c in enumerate(nb.cells)
              for e in _errors(c)]
    assert not failed, f"{name}: cells failed in the solution notebook: {failed}"
    assert any(_is_test(c) for c in nb.cells), f"{name} has no test cells"


@pytest.mark.parametrize("name", NAMES)
def test_student_version_holds_no_solution_or_hidden_test(course, name):
    source = nbformat.read(course["root"] / "source" / name / f"{name}.ipynb", as_version=4)
    release = nbformat.read(course["root"] / "release" / name / f"{name}.ipynb", as_version=4)
    text = "\n".join(c.source for c in release.cells)
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"):
        assert marker not in text
    released = {_meta(c)["grade_id"]: c for c in release.cells if _meta(c)}
    regions = re.compile(r"### BEGIN (SOLUTION|HIDDEN TESTS)(.*?)### END \1", re.S)
    for cell in source.cells:
        meta = _meta(cell)
        shown = regions.sub("", cell.source)       # what the cell shows outside its regions
        for _, hidden in regions.findall(cell.source):
            assert meta, f"{name}: a solution or hidden-test region outside an nbgrader cell"
            student = released[meta["grade_id"]].source
            for line in hidden.splitlines():
                line = line.strip()
                if len(line) > 8 and line not in shown:
                    assert line not in student, \
                        f"{name}, {meta['grade_id']}: the student version shows {line!r}"
        if meta.get("solution"):
            stub = released[meta["grade_id"]].source
            assert "raise NotImplementedError()" in stub or "YOUR ANSWER HERE" in stub


@pytest.mark.parametrize("name", NAMES)
def test_student_version_fails_exactly_its_graded_parts(executed, name):
    nb = executed["release"][name]
    tests = {_meta(c)["grade_id"] for c in nb.cells if _is_test(c)}
    failed = {_meta(c).get("grade_id") or f"cell {i}" for i, c in enumerate(nb.cells) if _errors(c)}
    graded = {_meta(c)["grade_id"] for c in nb.cells if _meta(c).get("solution") or _is_test(c)}
    assert tests <= failed, f"{name}: test cells that pass on the stubs: {sorted(tests - failed)}"
    assert failed <= graded, f"{name}: cells that fail but are not graded: {sorted(failed - graded)}"


@pytest.mark.parametrize("name", NAMES)
def test_autograde_gives_each_made_up_student_the_expected_points(grades, name):
    expected = demo.EXPECTED[name]
    assert set(grades[name]) == set(demo.STUDENTS), f"{name}: graded {sorted(grades[name])}"
    for student in demo.STUDENTS:
        cells = grades[name][student]
        auto = {gid: score for gid, (score, _) in cells.items() if score is not None}
        assert auto == {gid: float(p) for gid, p in expected[student].items()}, f"{name}, {student}"
        written = [top for score, top in cells.values() if score is None]
        assert all(top > 0 for top in written)   # written answers: left for the instructor
    full = {gid: top for gid, (score, top) in grades[name]["dia-correct"].items() if score is not None}
    assert expected["dia-correct"] == {gid: int(top) for gid, top in full.items()}, \
        "the correct hand-in should get full marks"


@pytest.mark.parametrize("name", NAMES)
def test_the_grader_stopped_the_endless_loop_and_caught_the_exception(grades, course, name):
    root = course["root"]
    hangs = nbformat.read(root / "autograded" / "amy-hangs" / name / f"{name}.ipynb", as_version=4)
    timed_out = [c for c in hangs.cells for e in _errors(c) if e.ename == "CellTimeoutError"]
    assert len(timed_out) == 1, f"{name}: expected one cell stopped by the time limit"
    assert _meta(timed_out[0]).get("solution")
    raises = nbformat.read(root / "autograded" / "bob-raises" / name / f"{name}.ipynb", as_version=4)
    errors = [e.ename for c in raises.cells if _meta(c).get("solution") for e in _errors(c)]
    assert errors and "AssertionError" not in errors


def test_feedback_reaches_every_student(grades, course):
    from nbgrader.apps import NbGraderAPI

    root = course["root"]
    here = os.getcwd()
    os.chdir(root)
    try:
        api = NbGraderAPI(config=demo._load_config(root))
        name = NAMES[0]
        result = api.generate_feedback(name)
        assert result["success"], result.get("log", "")
    finally:
        os.chdir(here)
    for student in demo.STUDENTS:
        page = root / "feedback" / student / name / f"{name}.html"
        assert page.is_file()
        assert "Score" in page.read_text() or "score" in page.read_text()


def test_instructor_files_are_untouched(grades, executed, course):
    assert _tree_hash(COURSE) == course["hash_before"], "something wrote into assignments/"
