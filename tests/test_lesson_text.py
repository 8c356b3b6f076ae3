"""What the lessons say: only material the reader has, and check cells that follow one convention.

A reader has the book and this course, nothing else. So no cell (markdown or code) may point to
documents the reader cannot open: slides, lecture notes, assignment numbers, course names, blog
posts, other software's manuals. Every lesson or notebook a cell names ("lesson 4", "notebooks
05-07", ``04-how-backpropagation-works``, a relative link) must exist in notebooks/ when the
tests run, and a pointer to "a later lesson" must say which one, so that this test can check it.

Check cells: a code cell whose first line starts with ``# CHECK`` asserts a claim of the lesson and
prints a line starting with "✓" when it holds. Every code cell that asserts is such a cell.

The book's exercises and problems: a markdown cell headed ``### Exercise: <title>`` or
``### Problem: <title>`` states one, with a hint and a worked solution folded away in
``<details><summary>Hint</summary>`` and ``<details><summary>Solution</summary>`` blocks; the
README lists each lesson's exercises by title.
"""

import ast
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))

# Each pattern is matched case-insensitively; the text says why it is not allowed.
FORBIDDEN = {
    r"\bmath\s*\d{3}\b": "a course name",
    r"\b(?:cs|stat|ece|eecs|comp)\s?\d{3}[a-z]?\b": "a course name",
    r"\b(?:the|these|those|our|lecture|course|class)\s+slides?\b": "slides the reader does not have",
    r"\bslides?\s+(?:say|says|said|show|shows|remark|remarks|mention|mentions|state|states)\b":
        "slides the reader does not have",
    r"\bslide\s+\d+\b": "slides the reader does not have",
    r"\bassignments?\s*#?\s*\d+": "an assignment number",
    r"\bhomework\b": "homework the reader does not have",
    r"\b(?:problem|exercise)\s+sheets?\b": "exercise sheets the reader does not have",
    r"\bmatlab\b": "another program's manual",
    r"\blectur(?:e|es|er|ers)\b": "lectures the reader did not attend",
    r"\bcourse\s+notes\b": "notes the reader does not have",
    r"\b(?:the|our|my|lecture|class|handwritten)\s+notes\b": "notes the reader does not have",
    r"\bblog(?:s|\s+posts?)?\b": "a blog post",
    r"\bsyllabus\b": "a syllabus",
    r"\b(?:midterm|final\s+exam)\b": "an exam",
    r"\bweek\s+\d+\b": "a course schedule",
    r"\b(?:later|future|upcoming|forthcoming)\s+(?:notebook|lesson)s?\b":
        "a lesson without its number (write e.g. 'lesson 11' so the test can check it exists)",
}

# 03-a-network-that-recognises-digits (two words at least) or 04-backprop.ipynb; not 784-30-10,
# 2026-11-23 or a 30-neuron layer
FILE_NAME = re.compile(r"(?<![\w-])(\d{2}-[a-z][a-z0-9]*(?:-[a-z0-9]+)*\.ipynb"
                       r"|\d{2}-[a-z][a-z0-9]*(?:-[a-z0-9]+)+)(?![\w-])")
# lesson 4, notebook 05, lessons 2 to 4, notebooks 05-07, lessons 1, 2 and 3
NUMBERED = re.compile(
    r"\b(?:lesson|notebook)s?\s+(\d{1,2}(?:\s*(?:,|and|or|to|–|—|-)\s*\d{1,2}\b)*)", re.I)
RANGE = re.compile(r"(\d{1,2})\s*(?:to|–|—|-)\s*(\d{1,2})")
# [text](target) links to files of the repository (not web addresses or anchors)
LINK = re.compile(r"\]\((?!https?:|mailto:|#)([^)\s]+)\)")

CHECK_MARK = "✓"
EXERCISE = re.compile(r"^#{2,4}\s+(Exercise|Problem)\s*:\s*(.+?)\s*$", re.M)
README_SECTION = "## The book's exercises, by lesson"


def _cells(path):
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def _source(cell):
    source = cell["source"]
    return source if isinstance(source, str) else "".join(source)


def _numbers_named(text):
    """The lesson numbers in 'lesson 4', 'lessons 2 to 4', 'notebooks 05-07, 09 and 10'."""
    numbers = set()
    for match in NUMBERED.finditer(text):
        listed = match.group(1)
        for low, high in RANGE.findall(listed):
            numbers.update(range(int(low), int(high) + 1))
        numbers.update(int(n) for n in re.findall(r"\d+", listed))
    return numbers


def _problems_with_references(text, stems, numbers):
    problems = []
    for pattern, why in FORBIDDEN.items():
        for match in re.finditer(pattern, text, re.I):
            problems.append(f"{match.group(0)!r}: {why}")
    for match in FILE_NAME.finditer(text):
        if match.group(1).removesuffix(".ipynb") not in stems:
            problems.append(f"{match.group(0)!r}: no such notebook in notebooks/")
    for n in sorted(_numbers_named(text) - numbers):
        problems.append(f"lesson/notebook {n}: no notebook in notebooks/ starts with {n:02d}-")
    for target in LINK.findall(text):
        if not (NOTEBOOK_DIR / target.split("#")[0]).exists():
            problems.append(f"link to {target!r}: no such file (relative to notebooks/)")
    return problems


def _ids(paths):
    return [p.stem for p in paths]


def test_there_are_lessons():
    assert len(NOTEBOOKS) >= 8


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_no_lesson_points_to_material_the_reader_lacks(path):
    stems = {p.stem for p in NOTEBOOKS}
    numbers = {int(p.name[:2]) for p in NOTEBOOKS if p.name[:2].isdigit()}
    problems = []
    for i, cell in enumerate(_cells(path)):
        problems += [f"cell {i}: {p}" for p in
                     _problems_with_references(_source(cell), stems, numbers)]
    assert not problems, f"{path.name}:\n  " + "\n  ".join(problems)


def _asserts(code):
    """True when the code has an assert statement (magics and shell lines are skipped)."""
    lines = [line for line in code.splitlines() if not line.lstrip().startswith(("%", "!"))]
    try:
        tree = ast.parse("\n".join(lines))
    except SyntaxError:
        return "assert " in code
    return any(isinstance(node, ast.Assert) for node in ast.walk(tree))


def _first_line(code):
    lines = [line for line in code.splitlines() if line.strip()]
    return lines[0].strip() if lines else ""


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_check_cells_follow_the_convention(path):
    problems = []
    checks = 0
    for i, cell in enumerate(_cells(path)):
        if cell["cell_type"] != "code":
            continue
        code = _source(cell)
        is_check = _first_line(code).startswith("# CHECK")
        checks += is_check
        if _asserts(code) and not is_check:
            problems.append(f"cell {i} asserts but does not start with '# CHECK'")
        if is_check and not _asserts(code):
            problems.append(f"cell {i} starts with '# CHECK' but asserts nothing")
        if is_check and CHECK_MARK not in code:
            problems.append(f"cell {i} is a check but prints no line starting with {CHECK_MARK}")
    if not checks:
        problems.append("no check cells")
    assert not problems, f"{path.name}:\n  " + "\n  ".join(problems)


def _exercises(path):
    """(kind, title, markdown) for every exercise or problem a lesson states.

    The markdown is the exercise's cell and the markdown cells after it, up to the next section
    ("## ...") or exercise: a hint and solution may follow a slider the exercise asks to use.
    """
    found = []
    cells = [cell for cell in _cells(path) if cell["cell_type"] == "markdown"]
    for i, cell in enumerate(cells):
        text = _source(cell)
        titles = EXERCISE.findall(text)
        if not titles:
            continue
        block = text
        for later in cells[i + 1:]:
            later_text = _source(later)
            if EXERCISE.search(later_text) or re.match(r"^#{1,2} ", later_text):
                break
            block += "\n" + later_text
        found += [(kind, title, block) for kind, title in titles]
    return found


LOOSE_HEADING = re.compile(r"^#{2,4}\s+(?:Exercise|Problem)\b(?!\s*:).*$", re.M)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_exercise_headings_follow_the_convention(path):
    """A heading that starts with Exercise or Problem must be "Exercise: title" or "Problem: title",
    so that the other checks (and the README list) see it."""
    loose = [line for cell in _cells(path) if cell["cell_type"] == "markdown"
             for line in LOOSE_HEADING.findall(_source(cell))]
    assert not loose, f"{path.name}: headings not in the form '### Exercise: <title>': {loose}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_exercises_fold_away_a_hint_and_a_solution(path):
    problems = []
    for kind, title, text in _exercises(path):
        block = text.split(f"{kind}:", 1)[1]
        block = EXERCISE.split(block)[0]           # up to the next exercise in the same cell
        for part in ("Hint", "Solution"):
            if not re.search(rf"<details>\s*<summary>\s*{part}\b", block):
                problems.append(f"{kind} '{title}' has no <details><summary>{part}...")
        if block.count("<details>") != block.count("</details>"):
            problems.append(f"{kind} '{title}': unbalanced <details> tags")
    assert not problems, f"{path.name}:\n  " + "\n  ".join(problems)


def _readme_exercise_lines():
    """The items of the README's list of exercises, each joined into one line."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert README_SECTION in text, f"README.md needs a section '{README_SECTION}'"
    section = text.split(README_SECTION, 1)[1].split("\n## ", 1)[0]
    items = []
    for line in section.splitlines():
        if line.startswith(("- ", "* ", "|")):
            items.append(line)
        elif line.startswith(" ") and line.strip() and items:      # a wrapped item goes on
            items[-1] += " " + line.strip()
    return items


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_readme_lists_each_lessons_exercises(path):
    exercises = _exercises(path)
    if not exercises:
        return
    lines = [line for line in _readme_exercise_lines() if path.stem in line]
    assert len(lines) == 1, f"README should list {path.stem}'s exercises in one item"
    missing = [title for _, title, _ in exercises if title.lower() not in lines[0].lower()]
    assert not missing, f"README's line for {path.stem} does not name: {missing}"


# ------------------------------------------------------------------ the rules themselves


@pytest.mark.parametrize("text", [
    "as in the Math 251 slides", "The slides remark that", "Assignment 6: a quartic",
    "MATLAB calls this 'piecewise'", "see the lecture", "the course notes", "a blog post",
    "the later notebook on going beyond plain SGD", "the notes say", "CS231n",
])
def test_the_rules_catch_references_to_missing_material(text):
    assert _problems_with_references(text, set(), set())


@pytest.mark.parametrize("text", [
    "the bias slides it left and right", "only then does it slide", "a slider",
    "piecewise constant", "for example", "of course", "a 10-class problem", "784-30-10",
    "on 2026-11-23", "a 30-neuron layer", "the sign of w",
])
def test_the_rules_leave_innocent_words_alone(text):
    assert _problems_with_references(text, set(), set()) == []


def test_references_to_lessons_must_exist():
    stems, numbers = {"03-a-network"}, {3}
    assert _problems_with_references("see lesson 3 and `03-a-network`", stems, numbers) == []
    assert _problems_with_references("notebooks 03-05", stems, numbers)        # 4 and 5 missing
    assert _problems_with_references("as 04-backprop.ipynb shows", stems, numbers)
    assert _numbers_named("lessons 2 to 4, notebooks 06, 08 and 10") == {2, 3, 4, 6, 8, 10}
