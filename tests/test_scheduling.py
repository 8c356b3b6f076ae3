"""conftest.py's plan for ``make test``'s two pytest-xdist workers: each file and notebook on one
worker, the files in SPREAD test by test, the longest units first; and the watcher that keeps the
autograding tests/classroom.py runs in the background from outliving the test run."""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("course_conftest", ROOT / "conftest.py")
plan = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(plan)

# A project whose conftest is the course's, with a plan of its own: test_long.py first, and
# test_spread.py spread. Every test notes its worker, its name and when it started.
PROJECT_CONFTEST = """
import importlib.util
spec = importlib.util.spec_from_file_location("course_conftest", {conftest!r})
course = importlib.util.module_from_spec(spec)
spec.loader.exec_module(course)
course.LONGEST_FIRST = ("test_long.py", "test_spread.py")
course.SPREAD = ("test_spread.py",)
pytest_collection_modifyitems = course.pytest_collection_modifyitems
pytest_xdist_make_scheduler = course.pytest_xdist_make_scheduler
"""
TEST = """
import json, os, time
def note(name):
    with open("log.jsonl", "a") as log:
        log.write(json.dumps({{"worker": os.environ["PYTEST_XDIST_WORKER"], "test": name,
                              "start": time.time()}}) + "\\n")
    time.sleep({seconds})
"""


def test_the_units_the_plan_names_exist():
    for path in plan.LONGEST_FIRST + plan.SPREAD:
        assert (ROOT / path).is_file(), f"conftest.py names {path}, which is not there"


@pytest.mark.slow
def test_two_workers_keep_files_whole_spread_one_file_and_start_the_longest_first(tmp_path):
    (tmp_path / "conftest.py").write_text(PROJECT_CONFTEST.format(conftest=str(ROOT / "conftest.py")))
    for name, seconds, count in (("test_a", 0.05, 4), ("test_long", 0.3, 4), ("test_spread", 0.4, 6)):
        body = TEST.format(seconds=seconds) + "".join(
            f"\ndef test_{i}():\n    note('{name}::{i}')\n" for i in range(count))
        (tmp_path / f"{name}.py").write_text(body)
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-n", "2", "--dist", "loadfile",
                           "-p", "no:cacheprovider", "-p", "no:randomly"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    runs = sorted((json.loads(line) for line in (tmp_path / "log.jsonl").read_text().splitlines()),
                  key=lambda run: run["start"])
    workers = {}
    for run in runs:
        workers.setdefault(run["test"].split("::")[0], set()).add(run["worker"])
    assert workers["test_a"] in ({"gw0"}, {"gw1"}) and workers["test_long"] in ({"gw0"}, {"gw1"})
    assert workers["test_spread"] == {"gw0", "gw1"}
    first = [run["test"] for run in runs[:2]]
    assert "test_long::0" in first and not any(test.startswith("test_a") for test in first), first
    order = [run["test"] for run in runs if run["test"].startswith("test_long")]
    assert order == [f"test_long::{i}" for i in range(4)]


def _watch(tmp_path, watched, seconds, command):
    """Start tests/classroom.py's watcher on ``command``; returns (its process, the done file)."""
    before = list(sys.path)
    sys.path.insert(0, str(ROOT / "tests"))
    try:
        from classroom import WATCHER
    finally:
        sys.path[:] = before
    done = tmp_path / "done"
    watcher = subprocess.Popen([sys.executable, "-c", WATCHER, done, tmp_path / "log", str(watched),
                                str(seconds), *command], start_new_session=True)
    return watcher, done


def _gone(pid):
    try:
        import os

        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.mark.parametrize("ending", ["the run is gone", "deadline", "told to stop", "finished"])
def test_the_background_grading_never_outlives_the_run_that_started_it(tmp_path, ending):
    """The autograding of tests/classroom.py runs under a watcher: it ends with the pytest run that
    started it (even one killed outright), at its deadline, or when the watcher is told to stop,
    and takes every process it started with it; a round that finishes leaves its return code."""
    import os
    import signal
    import time

    run = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])   # the "pytest run"
    pid_file = tmp_path / "grader.pid"
    grader = ([sys.executable, "-c", "import sys; sys.exit(3)"] if ending == "finished" else
              ["sh", "-c", f"echo $$ > {pid_file}; sleep 60 & wait"])      # a grader with a child
    watcher, done = _watch(tmp_path, run.pid, 1.5 if ending == "deadline" else 60, grader)
    deadline = time.monotonic() + 20
    while not (done if ending == "finished" else pid_file).exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    if ending != "finished":
        os.kill(watcher.pid, signal.SIGINT)      # a Ctrl-C in the terminal: for pytest, not for it
    if ending == "the run is gone":
        run.kill()
        run.wait()
    elif ending == "told to stop":
        os.kill(watcher.pid, signal.SIGTERM)
    watcher.wait(timeout=20)
    run.kill()
    run.wait()
    expected = {"the run is gone": "stopped: the test run is gone", "deadline": "stopped after 1 s",
                "told to stop": "told to stop", "finished": "3"}[ending]
    assert done.read_text() == expected
    if ending != "finished":
        grader_pid = int(pid_file.read_text())
        assert _gone(grader_pid)
        session = [p for p in os.listdir("/proc") if p.isdigit() and _in_session(int(p), grader_pid)]
        assert session == [], "a process the grader started is still running"


def _in_session(pid, session):
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return False
    return int(fields[3]) == session and fields[0] != "Z"      # its session id; zombies do not run
