"""One grading round for the whole test run: a course copy, its class, and nbgrader's autograding.

``tests/test_assignments.py`` checks what needs no grades (the released notebooks, the student
tree); ``tests/test_assignments_graded.py`` checks the grades, the feedback and the instructor's
files. Autograding 44 hand-ins in the sandbox takes minutes, most of them spent waiting for kernels,
so it runs in the background while the rest of ``make test`` runs: ``course()`` builds the course
the first time any test of this run asks for it (under a file lock: with pytest-xdist the two files
may run in different workers) and starts ``nbgrader autograde "*"``; ``grades()`` waits for it.

The grading runs under a small watcher process that writes nbgrader's return code to a file when it
ends, kills it (and every kernel it started) after ``DEADLINE`` seconds, and kills it as soon as the
pytest run that started it is gone (Ctrl-C, a crash): an interrupted run leaves nothing behind.

Used by: ``tests/test_assignments.py``, ``tests/test_assignments_graded.py``.
"""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import hostile_class as hostile
import nbformat

ROOT = Path(__file__).resolve().parent.parent
COURSE = ROOT / "assignments"
NAMES = sorted(p.name for p in (COURSE / "source").iterdir() if p.is_dir())
CLASSROOM_BIN = Path(os.environ.get("CLASSROOM_VENV", ROOT / ".venv-classroom")).resolve() / "bin"

#: Why the grading tests cannot run here (None: they can).
MISSING = ("the instructor's environment is missing: make classroom"
           if not (CLASSROOM_BIN / "nbgrader").exists() else
           "bubblewrap, the grading sandbox, is missing: apt-get install bubblewrap"
           if shutil.which("bwrap") is None else None)

sys.path.insert(0, str(COURSE))
from nndl_grading import course as course_numbers  # noqa: E402

SECRET = "the test suite's course secret"
# A correct cell of the model answers takes at most about a second (1.25 s measured on a busy
# machine), but the memory bomb must reach the sandbox's memory limit within it on a busy machine
# too (with 5 s it did not); a cell that never ends costs this much CPU time (the made-up class
# has four).
CELL_TIMEOUT = 10
#: Seconds the whole autograding round may take before it is stopped (it takes 2-3 minutes).
DEADLINE = 1500
TEST_CONFIG = f"""
# --- added by tests/classroom.py: a private exchange, short time limits, less memory
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
# Runs nbgrader autograde (argv[5:]) in a session of its own, logging to argv[2]; writes its return
# code to argv[1] when it ends; kills the session after argv[4] seconds, once process argv[3] (the
# pytest run) is gone, or when told to stop, and then writes what happened instead of a return code.
# It runs in a session of its own too: a Ctrl-C in the terminal goes to pytest, which then ends.
WATCHER = '''
import os, signal, subprocess, sys, time
done, log_path, command = sys.argv[1], sys.argv[2], sys.argv[5:]
watched, seconds = int(sys.argv[3]), float(sys.argv[4])

def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True

signal.signal(signal.SIGINT, signal.SIG_IGN)       # a Ctrl-C is for pytest: its end is noticed below
told = []
for ending in (signal.SIGTERM, signal.SIGHUP):
    signal.signal(ending, lambda number, frame: told.append(number))
deadline = time.monotonic() + seconds
with open(log_path, "w") as log:
    grader = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                              start_new_session=True)
    outcome = None
    while grader.poll() is None:
        if told or time.monotonic() > deadline or not alive(watched):
            outcome = ("told to stop" if told else "stopped: the test run is gone" if not alive(watched)
                       else "stopped after %d s" % seconds)
            os.killpg(grader.pid, signal.SIGKILL)
            grader.wait()
            break
        time.sleep(0.25)
with open(done + ".part", "w") as out:
    out.write(outcome or str(grader.returncode))
os.replace(done + ".part", done)
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


def tree_hash(folder, skip=()):
    digest = hashlib.sha256()
    for path in sorted(Path(folder).rglob("*")):
        if path.is_file() and not any(part in skip for part in path.relative_to(folder).parts):
            digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def instructor_files(root, home):
    """Hashes of everything of the instructor's that no student's code may change."""
    files = {name: tree_hash(root / name) for name in ("source", "release", "nndl_grading")}
    files.update({name: hashlib.sha256((root / name).read_bytes()).hexdigest()
                  for name in ("nbgrader_config.py", "course-secret.txt")})
    files["home"] = tree_hash(home)
    return files


def run(command, cwd, env, timeout=900, check=True):
    result = subprocess.run([str(c) for c in command], cwd=cwd, env=env, capture_output=True, text=True,
                            timeout=timeout, stdin=subprocess.DEVNULL)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, command))} failed:\n{result.stdout[-3000:]}\n"
                             f"{result.stderr[-3000:]}")
    return result


def _submit(folder, notebooks):
    folder.mkdir(parents=True)
    for name, nb in notebooks.items():
        nbformat.write(nb, folder / name)
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f %Z")
    (folder / "timestamp.txt").write_text(stamp)


def _environment(home, exchange):
    env = {k: v for k, v in os.environ.items() if k not in ("NNDL_COURSE_SECRET", "MPLBACKEND")}
    env.update(PATH=f"{CLASSROOM_BIN}{os.pathsep}{os.environ.get('PATH', '')}", HOME=str(home),
               NBGRADER_EXCHANGE=str(exchange), PYTHONDONTWRITEBYTECODE="1")
    return env


def _build(top):
    """Make the course in ``top``, hand everything in, start autograding; return the state."""
    repository_before = tree_hash(COURSE, skip=("__pycache__",))
    root, home, exchange = top / "course", top / "instructor-home", top / "exchange"
    root.mkdir(parents=True)
    home.mkdir()
    (home / "notes.txt").write_text("the instructor's own notes\n")
    for name in ("source", "nndl_grading"):
        shutil.copytree(COURSE / name, root / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(COURSE / "make_demo_class.py", root)
    (root / "nbgrader_config.py").write_text((COURSE / "nbgrader_config.py").read_text()
                                             + TEST_CONFIG.format(exchange=str(exchange)))
    (root / "course-secret.txt").write_text(SECRET + "\n")
    (root / "flaky_kernel.py").write_text(FLAKY_MANAGER)
    env = _environment(home, exchange)
    python = CLASSROOM_BIN / "python"

    run(["nbgrader", "generate_assignment", "*"], root, env)
    first = NAMES[0]
    run(["nbgrader", "release_assignment", first], root, env)
    tree = top / "student-tree"
    tree_run = run([python, "-m", "nndl_grading.student_tree", tree, "--repository", ROOT], root, env,
                   check=False)

    # one student as docs/instructors.md tells students: fetch, work, submit, with the tree's config
    student = top / "fay"
    student.mkdir()
    shutil.copy(tree / "nbgrader_config.py", student)
    fay_env = dict(env, HOME=str(student))
    run(["nbgrader", "fetch_assignment", first, "--course", "neural-networks"], student, fay_env)
    params = {name: course_numbers.parameters(name, SECRET) for name in NAMES}
    cases = {name: hostile.handins(name, str(home), params[name]) for name in NAMES}
    fetched = student / first / f"{first}.ipynb"
    assert fetched.is_file(), "fetch_assignment gave the student nothing"
    edits, answered, operations = cases[first]["fay-different"]
    filled = demo.fill(first, "fay-different", root, edits=edits, answered=answered)
    for file_name, nb in hostile.build(filled, operations).items():
        nbformat.write(nb, student / first / file_name)
    run(["nbgrader", "submit", first, "--course", "neural-networks", "--student", "fay-different"],
        student, fay_env)

    # the made-up class hands in the first assignment through the exchange, the instructor collects;
    # the other assignments go straight into submitted/ (the same steps, fewer nbgrader commands)
    run([python, "make_demo_class.py", first], root, env)
    run(["nbgrader", "collect", first], root, env)
    run([python, "make_demo_class.py", *NAMES[1:], "--into-submitted"], root, env)
    # the hostile class, straight into submitted/
    for name in NAMES:
        for student_id, (edits, answered, operations) in cases[name].items():
            if student_id == "fay-different" and name == first:
                continue
            filled = demo.fill(name, student_id, root, edits=edits, answered=answered)
            _submit(root / "submitted" / student_id / name, hostile.build(filled, operations))
    before = instructor_files(root, home)
    # the pytest run to watch: the controller of a pytest-xdist worker, else this process
    watched = os.getppid() if os.environ.get("PYTEST_XDIST_WORKER") else os.getpid()
    subprocess.Popen([sys.executable, "-c", WATCHER, top / "autograde.done", top / "autograde.log",
                      str(watched), str(DEADLINE), CLASSROOM_BIN / "nbgrader", "autograde", "*"],
                     cwd=root, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                     stderr=subprocess.DEVNULL, start_new_session=True)
    return {"root": str(root), "top": str(top), "home": str(home), "env": env,
            "log": str(top / "autograde.log"), "done": str(top / "autograde.done"), "before": before,
            "repository_before": repository_before, "tree": str(tree),
            "tree_run": {"returncode": tree_run.returncode, "stderr": tree_run.stderr},
            "python": str(python)}


def _paths(state):
    return dict(state, **{key: Path(state[key]) for key in ("root", "top", "home", "log", "done", "tree",
                                                           "python")})


def course(tmp_path_factory):
    """The state of this run's grading round, made by the first test that asks for it."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent                  # shared by every worker of this run
    top, state_file = base / "classroom", base / "classroom.json"
    with open(base / "classroom.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if state_file.exists():
            return _paths(json.loads(state_file.read_text()))
        shutil.rmtree(top, ignore_errors=True)           # what a failed attempt left
        state = _build(top)
        state_file.with_suffix(".part").write_text(json.dumps(state))
        os.replace(state_file.with_suffix(".part"), state_file)
        return _paths(state)


def grades(state):
    """{assignment: {student: {grade id: [auto score, max score]}}} once autograding is done."""
    deadline = time.monotonic() + DEADLINE + 60
    while not state["done"].exists():
        assert time.monotonic() < deadline, "the autograding watcher never reported"
        time.sleep(0.5)
    outcome = state["done"].read_text()
    log = state["log"].read_text()
    assert outcome == "0", f"nbgrader autograde: {outcome}\n{log[-4000:]}"
    out = run([state["python"], "-c", DUMP_GRADES, state["root"] / "gradebook.db"], state["root"],
              state["env"]).stdout
    return json.loads(out)


@contextlib.contextmanager
def without_course_secret():
    """The tests' own secret counts, not one the environment may set."""
    secret_before = os.environ.pop("NNDL_COURSE_SECRET", None)
    try:
        yield
    finally:
        if secret_before is not None:
            os.environ["NNDL_COURSE_SECRET"] = secret_before
