"""A made-up class of four students, to try the grading workflow before a real class hands anything in.

For every assignment each student fills in the released (student) notebook in their own way:

    amy-hangs     a loop that never ends in one task (the grader's per-cell time limit stops it)
    bob-raises    code that raises an exception in one task
    cal-wrong     a plausible mistake (a flipped sign, a missing factor, a bad choice)
    dia-correct   the solution notebook's answers

(the grader takes them in this order, so the correct hand-in comes after the bad ones), and each
hands it in through nbgrader's exchange, exactly as ``nbgrader submit`` does for a student
(``--into-submitted`` writes the hand-ins straight into ``submitted/`` instead, as if they had been
collected). Each student's working folder is ``demo-class/<student>/`` next to this script (ignored
by git). What each student gets for each task is listed in ``EXPECTED`` (points of the tests that
the autograder scores; the written answers are graded by hand).

Run it from the course folder after ``nbgrader generate_assignment`` and ``nbgrader
release_assignment`` (see docs/instructors.md), with the instructor's environment:

    ../.venv-classroom/bin/python make_demo_class.py 01-gradient-descent [more assignments ...]

The model answers are written with the course's own numbers (from its secret), as a student of
the course would write them. It needs nbgrader (``make classroom``).
"""

from __future__ import annotations

import argparse
import datetime
import re
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))    # the grader, nndl_grading, for the course's numbers

STUDENTS = ("amy-hangs", "bob-raises", "cal-wrong", "dia-correct")

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"


def replace(old, new):
    """An edit that changes ``old`` (which must occur in the model answer) into ``new``."""
    def edit(text):
        if old not in text:
            raise ValueError(f"the demo's edit expects {old!r} in the model answer; it is not there "
                             "(the solution changed: update EDITS in make_demo_class.py)")
        return text.replace(old, new)
    return edit


def whole(new):
    """An edit that writes the whole cell anew."""
    return lambda text: new.strip("\n")


def replace_line(start, new):
    """An edit that changes the line of the model answer starting with ``start`` into ``new``."""
    def edit(text):
        lines = text.split("\n")
        found = [i for i, line in enumerate(lines) if line.startswith(start)]
        if not found:
            raise ValueError(f"the demo's edit expects a line starting with {start!r} in the model "
                             "answer; there is none (the solution changed: update EDITS)")
        lines[found[0]] = new
        return "\n".join(lines)
    return edit


# The answer a student writes in place of the model answer, by assignment, student and grade id.
EDITS = {
    "01-gradient-descent": {
        "cal-wrong": {"gradient_descent": replace("xs[-1] - eta * grad", "xs[-1] + eta * grad")},
        "bob-raises": {"answers": replace_line("best_eta =", "best_eta = min(ETAS, key=steps.get)")},
        "amy-hangs": {"runs": whole('''
runs = {}
for eta in ETAS:
    x = X0
    while df(x) != 0:   # waits for a slope of exactly zero, which rounding never gives
        x = x - eta * df(x)
    runs[eta] = x
''')},
    },
    "02-backpropagation": {
        "amy-hangs": {"training": whole('''
epochs = 1
while True:   # more epochs until 99% of the validation digits: 1,000 training digits never get there
    w, b = train(training, [784, 30, 10], epochs, 10, 0.5)
    if accuracy(w, b, validation) >= 0.99:
        break
    epochs += 1
TRAINING = dict(sizes=[784, 30, 10], epochs=epochs, mini_batch_size=10, eta=0.5)
weights, biases = w, b
''')},
        "bob-raises": {"gradients": replace("delta @ a_prev.T / m", "delta @ a_prev / m")},
        "cal-wrong": {"backward_error": replace("(w_next.T @ delta_next) * activation.prime(z)",
                                                "w_next.T @ delta_next")},
    },
    "03-fashion-mnist": {
        "amy-hangs": {"search": whole('''
results, networks, seconds = {}, {}, {}
ETAS = []
eta = 0.01
while len(ETAS) < 5:   # five rates, each three times the last: but none is ever added to ETAS
    next_eta = 3 * eta
''')},
        "bob-raises": {"search": replace("results[eta] = net.accuracy(validation)",
                                         'results[eta] = net.accuracy(validation)["accuracy"]')},
        "cal-wrong": {"best": replace("best_eta = max(results, key=results.get)", "best_eta = ETAS[-1]")},
    },
    "04-exploration": {
        "amy-hangs": {"better": whole('''
n_hidden = 100
while n_hidden != 250:   # widen the hidden layer to 250 in steps of 20: it steps over 250
    n_hidden += 20
NETWORK = dict(sizes=[784, n_hidden, 10], activation="relu", output_activation="softmax",
               cost="log_likelihood", init="he")
SETTINGS = dict(eta=0.1)
better = Network(**NETWORK, seed=NET_SEED)
validation_accuracy = train(better, **SETTINGS)
test_accuracy = better.accuracy(test)
''')},
        "bob-raises": {"better": replace("dict(eta=eta)", "dict(eta=eta, dropout=1.0)")},
        "cal-wrong": {"better": whole('''
NETWORK = dict(sizes=[784, 100, 10], cost="quadratic")   # the quadratic cost: sigmoid neurons learn slowly
SETTINGS = dict(eta=0.1)
better = Network(**NETWORK, seed=NET_SEED)
validation_accuracy = train(better, **SETTINGS)
test_accuracy = better.accuracy(test)
''')},
    },
}

# The points each student's hand-in should get from the autograder, by grade id of each test cell.
# Each part is graded on its own: a mistake in one costs the points of that part, and of the parts
# that use its result, never of the parts that are tested with the course's own (02's backprop and
# training, 01's runs, which may use the student's own functions).
EXPECTED = {
    "01-gradient-descent": {
        "dia-correct": {"test_df": 1, "test_gradient_descent": 2, "test_runs": 1, "test_answers": 2},
        "cal-wrong": {"test_df": 1, "test_gradient_descent": 0, "test_runs": 1, "test_answers": 0},
        "bob-raises": {"test_df": 1, "test_gradient_descent": 2, "test_runs": 1, "test_answers": 0},
        "amy-hangs": {"test_df": 1, "test_gradient_descent": 2, "test_runs": 0, "test_answers": 0},
    },
    "02-backpropagation": {
        "dia-correct": {"test_output_error": 2, "test_backward_error": 2, "test_gradients": 2,
                        "test_backprop": 3, "test_training": 2},
        "cal-wrong": {"test_output_error": 2, "test_backward_error": 0, "test_gradients": 2,
                      "test_backprop": 3, "test_training": 2},
        "bob-raises": {"test_output_error": 2, "test_backward_error": 2, "test_gradients": 0,
                       "test_backprop": 3, "test_training": 2},
        "amy-hangs": {"test_output_error": 2, "test_backward_error": 2, "test_gradients": 2,
                      "test_backprop": 3, "test_training": 0},
    },
    "03-fashion-mnist": {
        "dia-correct": {"test_make_network": 1, "test_search": 2, "test_best": 2},
        "cal-wrong": {"test_make_network": 1, "test_search": 2, "test_best": 0},
        "bob-raises": {"test_make_network": 1, "test_search": 0, "test_best": 0},
        "amy-hangs": {"test_make_network": 1, "test_search": 0, "test_best": 0},
    },
    "04-exploration": {
        "dia-correct": {"test_better": 3},
        "cal-wrong": {"test_better": 0},
        "bob-raises": {"test_better": 0},
        "amy-hangs": {"test_better": 0},
    },
}

WRITTEN_BY_OTHERS = "It goes to the minimum, but differently."


def model_answer(text, assignment, secret):
    """A solution cell's text, with the course's numbers and without the solution markers: what a
    student who got it right wrote."""
    from nndl_grading.text import render_text

    text = render_text(text, assignment, secret)
    return "\n".join(line for line in text.splitlines() if line.strip() not in (BEGIN, END))


def _cells_by_id(nb):
    return {cell.metadata["nbgrader"]["grade_id"]: cell for cell in nb.cells
            if "nbgrader" in cell.metadata}


def fill(assignment, student, course_dir=HERE, edits=None, answered=True):
    """The release notebooks of ``assignment`` as ``student`` fills them in: {file name: notebook}.

    ``edits`` (by grade id: a function of the model answer) writes answers as ``EDITS`` does for the
    made-up class (the default); with ``answered=False`` the cells not edited keep the released
    stubs instead of the model answers.
    """
    import nbformat

    if edits is None:
        if student not in STUDENTS:
            raise ValueError(f"student must be one of {', '.join(STUDENTS)}, got {student!r}")
        edits = EDITS.get(assignment, {}).get(student, {})
    release = Path(course_dir) / "release" / assignment
    if not release.is_dir():
        raise FileNotFoundError(f"{release} does not exist: run `nbgrader generate_assignment "
                                f"{assignment}` in {course_dir} first")
    from nndl_grading.course import load_secret

    secret = load_secret(course_dir)
    filled = {}
    for path in sorted(release.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        source = _cells_by_id(nbformat.read(Path(course_dir) / "source" / assignment / path.name,
                                            as_version=4))
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            if not meta.get("solution"):
                continue
            grade_id = meta["grade_id"]
            model = model_answer(source[grade_id].source, assignment, secret)
            answer = model if answered else cell.source
            if cell.cell_type == "markdown" and student != "dia-correct" and answered:
                answer = WRITTEN_BY_OTHERS
            if grade_id in edits:
                answer = edits[grade_id](model)
            cell.source = answer
        unused = set(edits) - {c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells}
        if unused:
            raise ValueError(f"{assignment}: no solution cell has the grade id {sorted(unused)}")
        filled[path.name] = nb
    return filled


def _load_config(course_dir):
    from traitlets.config.loader import PyFileConfigLoader

    return PyFileConfigLoader("nbgrader_config.py", path=str(course_dir)).load_config()


def hand_in(assignments, course_dir=HERE, into_submitted=False, config=None):
    """Every student fills in every assignment and hands it in; returns the working folders."""
    import nbformat

    course_dir = Path(course_dir)
    homes = []
    api = None
    if not into_submitted:
        from nbgrader.apps import NbGraderAPI
        from nbgrader.utils import temp_attrs

        api = NbGraderAPI(config=config if config is not None else _load_config(course_dir))
    for student in STUDENTS:
        home = course_dir / "demo-class" / student
        for assignment in assignments:
            folder = (course_dir / "submitted" / student / assignment if into_submitted
                      else home / assignment)
            if folder.exists():
                shutil.rmtree(folder)
            folder.mkdir(parents=True)
            for name, nb in fill(assignment, student, course_dir).items():
                nbformat.write(nb, folder / name)
            if into_submitted:
                stamp = datetime.datetime.now(datetime.timezone.utc)
                (folder / "timestamp.txt").write_text(stamp.strftime("%Y-%m-%d %H:%M:%S.%f %Z"))
                continue
            with temp_attrs(api.coursedir, assignment_id=assignment, student_id=student):
                submit = api.exchange.Submit(coursedir=api.coursedir, authenticator=api.authenticator,
                                             parent=api)
                submit.assignment_dir = str(home)
                submit.start()
        homes.append(home)
    return homes


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("assignments", nargs="+", metavar="ASSIGNMENT",
                        help="assignment names, e.g. 01-gradient-descent")
    parser.add_argument("--into-submitted", action="store_true",
                        help="write the hand-ins into submitted/ instead of the exchange")
    args = parser.parse_args(argv)
    for name in args.assignments:
        if not re.fullmatch(r"[\w.-]+", name) or not (HERE / "source" / name).is_dir():
            known = ", ".join(sorted(p.name for p in (HERE / "source").iterdir() if p.is_dir()))
            parser.error(f"ASSIGNMENT must be one of {known}; got {name!r}")
    hand_in(args.assignments, HERE, args.into_submitted)
    where = "submitted/" if args.into_submitted else "the exchange (collect them with `nbgrader collect`)"
    print(f"{len(STUDENTS)} students handed in {', '.join(args.assignments)} to {where}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
