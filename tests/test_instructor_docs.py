"""docs/instructors.md says what the code does: its score tables are the ones the tests grade,
every nbgrader command it gives is one the tests run, and `make student-tree` works as written."""

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import hostile_class
import pytest

ROOT = Path(__file__).resolve().parent.parent
DOC = (ROOT / "docs" / "instructors.md").read_text()


def _demo():
    path = ROOT / "assignments" / "make_demo_class.py"
    spec = importlib.util.spec_from_file_location("make_demo_class", path)
    module = importlib.util.module_from_spec(spec)
    before, sys.dont_write_bytecode = sys.dont_write_bytecode, True
    try:
        spec.loader.exec_module(module)
    finally:
        sys.dont_write_bytecode = before
    return module


def _table(first_column):
    """{row name: [cells]} of the Markdown table whose rows start with `first_column...`."""
    rows = {}
    for line in DOC.splitlines():
        match = re.match(r"\| `([\w-]+)`[^|]*\|(.*)\|$", line)
        if match and match.group(1).startswith(first_column):
            rows[match.group(1)] = [cell.strip() for cell in match.group(2).split("|")]
    return rows


def _points(cell):
    match = re.match(r"(\d+) / (\d+)", cell)
    return (int(match.group(1)), int(match.group(2))) if match else None


def test_the_made_up_class_table_is_what_the_grader_gives():
    demo = _demo()
    names = sorted(demo.EXPECTED)
    for student in demo.STUDENTS:
        row = _table(student)[student]
        for name, cell in zip(names, row):
            full = sum(demo.EXPECTED[name]["dia-correct"].values())
            assert _points(cell) == (sum(demo.EXPECTED[name][student].values()), full), (student, name)


def test_the_hostile_class_table_is_what_the_tests_expect():
    names = sorted(hostile_class.EXPECTED)
    demo = _demo()
    for student in hostile_class.STUDENTS:
        row = _table(student)[student]
        for name, cell in zip(names, row):
            expected = hostile_class.EXPECTED[name].get(student)
            full = sum(demo.EXPECTED[name]["dia-correct"].values())
            assert _points(cell) == (None if expected is None else (sum(expected.values()), full)), \
                (student, name)


def test_every_nbgrader_command_of_the_guide_is_one_the_tests_run():
    blocks = [re.sub(r"#.*", "", block) for block in re.findall(r"```bash\n(.*?)```", DOC, re.S)]
    prose = re.sub(r"```.*?```", "", DOC, flags=re.S)
    code = "\n".join(blocks + re.findall(r"`([^`\n]+)`", prose))
    documented = set(re.findall(r"nbgrader ([a-z_]+)", code))
    tests = ("classroom.py", "test_assignments.py", "test_assignments_graded.py")
    tested = set(re.findall(r'"nbgrader", "([a-z_]+)"', "".join((ROOT / "tests" / name).read_text()
                                                               for name in tests)))
    assert documented and documented <= tested, f"commands no test runs: {sorted(documented - tested)}"


@pytest.mark.slow
@pytest.mark.skipif(not (ROOT / ".venv-classroom" / "bin" / "python").exists(),
                    reason="no instructor's environment: make classroom")
def test_make_student_tree_writes_a_new_folder_and_never_over_an_old_one(tmp_path):
    target = tmp_path / "for-students"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKE")}
    command = ["make", "--no-print-directory", "student-tree", f"DIR={target}"]
    run = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    assert (target / "notebooks" / "00-start-here.ipynb").is_file()
    assert (target / "nbgrader_config.py").is_file()
    assert not (target / "assignments").exists() and not (target / "tests").exists()
    again = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert again.returncode != 0 and "exists already" in again.stderr
