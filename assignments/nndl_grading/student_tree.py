"""What students get: the course without its solutions, for a JupyterHub or a Binder.

    make student-tree DIR=../nndl-for-students
    (or, in assignments/: python -m nndl_grading.student_tree DIR [--repository ..])

writes into the new folder ``DIR``:

- the repository's files that git tracks, except the grader's: the lessons (``notebooks/``),
  ``nbhelpers/``, the bundled data (``data/``), the README, ``Makefile``, ``pyproject.toml``,
  ``environment.yml``, ``docs/``, ``jupyter/`` (the JupyterLab settings), the site builder;
  never ``assignments/`` (the solution notebooks, the grader, the demo class), the tests or the
  course secret;
- the assignments as released to this course (``assignments/release/<name>/``, made by
  ``nbgrader generate_assignment``, so with the course's own numbers) in
  ``notebooks/assignments/<name>/``, where ``make lab`` shows them;
- ``nbgrader_config.py`` for students who fetch and hand in through nbgrader's exchange (same
  exchange folder and course id as the instructor's configuration).

Then it reads every file it wrote and refuses (exit status 1, the folder left for inspection)
when one holds a solution or hidden-test marker, the course secret, a line of a hidden test, or
(in a released assignment) a line of a solution.

Used by: ``make student-tree`` and the tests.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

__all__ = ["write_tree", "leaks", "main"]

COURSE = Path(__file__).resolve().parent.parent
KEEP = ("README.md", "LICENSE", "Makefile", "pyproject.toml", "environment.yml", ".gitignore",
        ".gitattributes", "notebooks/", "nbhelpers/", "data/", "docs/", "coursebook/", "jupyter/")
MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS", "BEGIN COURSE",
           "BEGIN MARK SCHEME")

STUDENT_CONFIG = '''"""nbgrader's settings for students of the course: from this folder, run
`nbgrader fetch_assignment NAME --course neural-networks` to get an assignment and
`nbgrader submit NAME --course neural-networks` to hand it in.

The exchange, the folder through which assignments are fetched and handed in, is
$NBGRADER_EXCHANGE if set (your instructor tells you), otherwise "nbgrader-exchange" in the
system's temporary folder, as on the instructor's side.
"""

import os
import tempfile

c = get_config()  # noqa: F821 - nbgrader defines get_config when it reads this file
c.Exchange.root = os.environ.get("NBGRADER_EXCHANGE") or os.path.join(tempfile.gettempdir(),
                                                                       "nbgrader-exchange")
c.CourseDirectory.course_id = os.environ.get("NBGRADER_COURSE", "neural-networks")
'''


def _tracked(repository):
    """The files of ``repository`` that git tracks (relative paths), or every file if it is no
    git checkout."""
    try:
        out = subprocess.run(["git", "ls-files", "-z"], cwd=repository, capture_output=True, check=True,
                             timeout=60).stdout.decode()
        return [p for p in out.split("\0") if p]
    except (OSError, subprocess.CalledProcessError):
        return [str(p.relative_to(repository)) for p in Path(repository).rglob("*") if p.is_file()]


def _wanted(path):
    return any(path == keep or (keep.endswith("/") and path.startswith(keep)) for keep in KEEP)


def write_tree(destination, repository, course_dir):
    """Write the student tree into the new folder ``destination``; return the assignments in it."""
    destination, repository, course_dir = Path(destination), Path(repository), Path(course_dir)
    if destination.exists():
        raise FileExistsError(f"{destination} exists already: name a new folder")
    destination.mkdir(parents=True)
    for relative in _tracked(repository):
        if _wanted(relative) and (repository / relative).is_file():
            target = destination / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(repository / relative, target)
    released = []
    for folder in sorted((course_dir / "release").glob("*")) if (course_dir / "release").is_dir() else []:
        if folder.is_dir():
            shutil.copytree(folder, destination / "notebooks" / "assignments" / folder.name,
                            ignore=shutil.ignore_patterns(".*", "__pycache__"), symlinks=False)
            released.append(folder.name)
    (destination / "nbgrader_config.py").write_text(STUDENT_CONFIG)
    return released


def _secret_lines(course_dir):
    """The secret, and the lines (long enough to be telling) of the hidden tests and of the
    solutions of the solution notebooks, as the course renders them."""
    import nbformat

    from .course import load_secret
    from .text import hidden_lines, render_text, without_hidden

    try:
        secret = load_secret(course_dir)
    except Exception:  # noqa: BLE001 - no secret yet: the public numbers
        secret = None
    hidden, solutions = set(), set()
    for path in sorted((Path(course_dir) / "source").glob("*/*.ipynb")):
        texts = [render_text(cell.source, path.parent.name, secret)
                 for cell in nbformat.read(path, as_version=4).cells]
        as_hidden = [t.replace("### BEGIN SOLUTION", "### BEGIN HIDDEN TESTS").replace(
            "### END SOLUTION", "### END HIDDEN TESTS") for t in texts]
        shown = "\n".join(without_hidden(t) for t in as_hidden)    # what the notebook shows anyway
        for text, both in zip(texts, as_hidden):
            hidden.update(line for line in hidden_lines(text, shortest=20) if line not in shown)
            solutions.update(line for line in hidden_lines(both, shortest=20) if line not in shown)
    return secret, hidden, solutions


def leaks(destination, course_dir):
    """(file, what) for every file of ``destination`` that holds a marker, the secret or a line of a
    hidden test, and every released assignment that holds a line of a solution."""
    secret, hidden, solutions = _secret_lines(course_dir)
    found = []
    for path in sorted(Path(destination).rglob("*")):
        if not path.is_file():
            continue
        relative = str(path.relative_to(destination))
        if "nndl_grading" in relative or relative.startswith("assignments/"):
            found.append((relative, "a file of the instructor's"))
        try:
            text = path.read_text()
        except (UnicodeDecodeError, OSError):
            continue
        if path.suffix in (".ipynb", ".py"):
            found += [(relative, f"the marker {m}") for m in MARKERS if m in text]
        if secret and secret in text:
            found.append((relative, "the course secret"))
        found += [(relative, f"the hidden test line {line!r}") for line in hidden if line in text]
        if relative.startswith("notebooks/assignments/"):
            found += [(relative, f"the solution line {line!r}") for line in solutions if line in text]
    return found


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("destination", help="a new folder")
    parser.add_argument("--repository", default=str(COURSE.parent),
                        help="the course's repository (default: the one holding assignments/)")
    parser.add_argument("--course", default=os.getcwd(), help="the course folder (default: here)")
    args = parser.parse_args(argv)
    try:
        released = write_tree(args.destination, args.repository, args.course)
    except FileExistsError as error:
        parser.error(str(error))
    problems = leaks(args.destination, args.course)
    if problems:
        for relative, what in problems[:20]:
            print(f"{relative}: holds {what}", file=sys.stderr)
        print(f"student tree NOT ready: {len(problems)} leaks (the folder {args.destination} is left for "
              "you to look at)", file=sys.stderr)
        return 1
    shown = ", ".join(released) if released else "none (run nbgrader generate_assignment first)"
    print(f"wrote the student tree to {args.destination}: lessons, nbhelpers, data; released assignments: "
          f"{shown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
