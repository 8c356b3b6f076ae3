"""A hostile class: hand-ins written the way real students write them, and worse.

For each assignment, besides the made-up class of ``assignments/make_demo_class.py`` (amy-hangs:
an endless loop, bob-raises, cal-wrong: a classic bug, dia-correct):

    fay-different   correct, written differently from the model answer
    gus-stuck       a cell that ignores the grader's interrupt (02 only): the kernel is restarted
    hal-tampers     deletes or edits test cells (and changes their points); in 04 hands in the
                    baseline's network with the baseline set to 0 and ``train`` adding 2 points
    ida-intrudes    reads the instructor's files (the solutions, the gradebook, the course secret,
                    the instructor's home, other students' hand-ins) and runs a solution it finds;
                    writes to the gradebook, the configuration, source/, release/, other students'
                    hand-ins, the instructor's home and the course's package; prints the hidden
                    tests; does the honest work of the first tasks
    jon-patches     replaces NumPy functions, a builtin, the feedback checks, IPython's traceback
                    and wraps every later cell in try/except
    lee-bombs       forks without end, allocates without end, or kills its own kernel
    kim-floods      does the work of 01, and floods the grader with output: 10 MB of prints, big
                    JSON shown again and again, one display shown a hundred times and then
                    updated with 100 kB, and outputs of the grader's own kind outside any test;
                    puts scripts for the instructor's browser in outputs and in a written answer

``HANDINS[assignment][student]`` builds the hand-in (a notebook) from the released one;
``EXPECTED[assignment][student]`` is what each deserves from the autograder, by test cell.

Used by: ``tests/test_assignments.py``.
"""

from __future__ import annotations

import copy

import nbformat

STUDENTS = ("fay-different", "gus-stuck", "hal-tampers", "ida-intrudes", "jon-patches", "kim-floods",
            "lee-bombs")


def _code(source):
    return nbformat.v4.new_code_cell(source.strip("\n"))


def _grade_id(cell):
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def _index(nb, grade_id):
    return next(i for i, cell in enumerate(nb.cells) if _grade_id(cell) == grade_id)


def insert_after(nb, grade_id, source):
    nb.cells.insert(_index(nb, grade_id) + 1, _code(source))


def delete(nb, grade_id):
    del nb.cells[_index(nb, grade_id)]


def edit_test(nb, grade_id, source, points=None):
    cell = nb.cells[_index(nb, grade_id)]
    cell.source = source
    if points is not None:
        cell.metadata.nbgrader["points"] = points


def whole(new):
    return lambda text: new.strip("\n")


# ---------------------------------------------------------------- the attacks

def reads(home):
    """A cell that looks for the instructor's files and runs a solution it finds."""
    return f'''
import glob, json, os
course = os.path.normpath(os.path.join(os.getcwd(), "..", "..", ".."))
targets = [os.path.join(course, name) for name in ("source", "release", "submitted", "autograded",
           "gradebook.db", "nbgrader_config.py", "course-secret.txt", "nndl_grading")] + [{home!r}]
found = []
for target in targets:
    try:
        if os.path.isfile(target):
            found.append(target)
        found += [p for p in glob.glob(os.path.join(target, "**"), recursive=True) if os.path.isfile(p)]
    except OSError:
        pass
found = [path for path in found if not path.startswith(os.getcwd())]   # its own files do not count
for path in found:   # run the instructor's solution, if there were one
    if path.endswith(".ipynb") and "source" in path:
        for cell in json.load(open(path))["cells"]:
            if cell["cell_type"] == "code":
                exec("".join(cell["source"]))
print("found:", found)
'''


EXFILTRATE = '''
print("history:", "\\n".join(In))   # the hidden tests ran in this kernel: print them for the feedback
'''


def writes(home, assignment):
    """A cell that tries to change the gradebook, the configuration, the solutions and more."""
    return f'''
import os, sqlite3, sys
course = os.path.normpath(os.path.join(os.getcwd(), "..", "..", ".."))
import nbhelpers
attacks = {{}}
def attack(name, action):
    try:
        action()
        attacks[name] = "DONE"
    except Exception as error:
        attacks[name] = type(error).__name__
def gradebook():
    db = sqlite3.connect(os.path.join(course, "gradebook.db"))
    db.execute("UPDATE grade SET manual_score = 99")
    db.commit()
attack("gradebook", gradebook)
attack("config", lambda: open(os.path.join(course, "nbgrader_config.py"), "a").write("\\nc.X = 1\\n"))
attack("source", lambda: open(os.path.join(course, "source", "{assignment}", "evil.py"), "w").write("x"))
attack("release", lambda: open(os.path.join(course, "release", "{assignment}", "evil.txt"), "w").write("x"))
attack("secret", lambda: open(os.path.join(course, "course-secret.txt"), "w").write("x"))
attack("other student", lambda: open(os.path.join(course, "autograded", "dia-correct", "{assignment}",
                                                  "{assignment}.ipynb"), "w").write("{{}}"))
attack("home", lambda: open(os.path.join({home!r}, "notes.txt"), "a").write("x"))
attack("package", lambda: open(os.path.join(os.path.dirname(nbhelpers.__file__), "evil.py"), "w").write("x"))
attack("python", lambda: open(os.path.join(sys.prefix, "evil.txt"), "w").write("x"))
attack("network", lambda: __import__("socket").create_connection(("127.0.0.1", 22), timeout=2))
print("attacks:", sorted(attacks.items()))
'''


PATCHES = '''
import builtins
import numpy as np
from nbhelpers import feedback

class _Passed:
    ok, problems, text = True, [], "✓"

np.allclose = lambda *args, **kwargs: True
np.array_equal = lambda *args, **kwargs: True
builtins.abs = lambda x: 0
for _name in feedback.__all__:
    if _name.startswith("check_"):
        setattr(feedback, _name, lambda *args, **kwargs: _Passed())
get_ipython().showtraceback = lambda *args, **kwargs: None
def _swallow(lines):   # every later cell runs inside try/except: nothing can fail any more
    return ["try:\\n"] + ["    " + line for line in lines] + ["\\nexcept BaseException:\\n    pass\\n"]
get_ipython().input_transformers_post.append(_swallow)
'''

FORK_BOMB = '''
import os
while True:
    os.fork()
'''

SPAWN_BOMB = '''
import subprocess
children = [subprocess.Popen(["sleep", "100"]) for _ in range(10_000)]
'''

# The blocks are reserved, not written: the sandbox's address-space limit refuses them at once,
# however slowly the machine hands out pages (writing 2 GB took from 0.7 s to over 15 s on the test
# machine, past the cell's time limit). Without the limit the loop runs until that time limit, so
# the MemoryError this hand-in must get proves the limit.
MEMORY_BOMB = '''
import numpy as np
blocks = []
while True:
    blocks.append(np.empty(50_000_000, dtype=np.uint8))   # 50 MB more, without end
'''

NUMPY_BOMB = '''
import numpy as np
grow = []
while True:
    grow.append(np.empty(10_000_000))     # 80 MB more, without end
'''

BASELINE_CHEAT = '''
NETWORK, SETTINGS = {"sizes": [784, 100, 10], "cost": "cross_entropy"}, {"eta": BASELINE_ETA}
baseline_accuracy = 0.0                        # nothing to beat...
_honest_train = train


def train(net, eta, lmbda=0.0, dropout=0.0):   # ...and two points more on every run
    return _honest_train(net, eta, lmbda, dropout) + 0.02


'''

FLOOD = '''
from IPython.display import display
print("x" * 10_000_000)                                   # 10 MB of prints
for _ in range(10):                                       # 20 MB of JSON, 2 MB at a time
    display({"application/json": {"filler": "y" * 2_000_000}}, raw=True)
for _ in range(100):                                      # one display shown a hundred times...
    display({"text/plain": ""}, raw=True, display_id="again")
display({"text/plain": "z" * 100_000}, raw=True, display_id="again", update=True)   # ...then 100 kB
for _ in range(10):                                       # the grader's own kind of output, 20 MB
    display({"application/vnd.nndl.grader+json": {"filler": "w" * 2_000_000}}, raw=True)
# and code for the instructor's browser, where the Formgrader and the feedback pages show outputs
display({"text/html": "<script>/*kim-was-here*/</script><img src=x onerror='/*kim-was-here*/'>",
         "application/javascript": "/*kim-was-here*/", "text/markdown": "<script>/*kim-was-here*/</script>",
         "text/plain": "a table"}, raw=True)
'''

# ... and in a written answer (rendered as HTML in the Formgrader and on the feedback page)
SCRIPT_IN_ANSWER = '''

<img src="x" onerror="/*kim-was-here*/"><script>/*kim-was-here*/</script>
'''

STUB = '''
# YOUR CODE HERE
raise NotImplementedError()
'''

SUICIDE = '''
import os, signal
os.kill(os.getpid(), signal.SIGKILL)
'''

STUCK = '''
import time
while True:   # ignores the grader's interrupt
    try:
        time.sleep(1)
    except KeyboardInterrupt:
        pass
'''


# ---------------------------------------------------------------- correct, written differently

def _derivative_code(params):
    """df(x) in Horner form, with the course's coefficients."""
    B, C, E = params["B"], params["C"], params["E"]
    return f"return ((x + {3 * B}) * x + {2 * C}) * x + {E}"


DIFFERENT = {
    "01-gradient-descent": lambda params: {
        "df": whole(f'''
def df(x):
    """f'(x), in Horner form."""
    x = np.asarray(x) if isinstance(x, (list, tuple)) else x
    {_derivative_code(params)}
'''),
        "gradient_descent": whole('''
def gradient_descent(grad, x0, eta, steps):
    path = np.empty(steps + 1)
    path[0] = x0
    for k in range(steps):
        path[k + 1] = path[k] - eta * grad(path[k])
    return path
'''),
        "runs": whole('''
runs = {eta: gradient_descent(df, X0, eta, STEPS) for eta in ETAS}
for eta, xs in runs.items():
    plt.plot(f(xs), label=str(eta))
plt.legend()
plt.show()
'''),
        "answers": whole('''
settled = {eta: int(np.argmax(np.abs(np.diff(runs[eta])) < 1e-9)) or STEPS for eta in ETAS}
best_eta = min(settled, key=settled.get)
local_minimum = float(runs[best_eta][-1])
'''),
    },
    "02-backpropagation": lambda params: {
        "output_error": whole('''
def output_error(z, a, y, activation, cost):
    return np.multiply(cost.grad_a(a, y), activation.prime(z))
'''),
        "backward_error": whole('''
def backward_error(delta_next, w_next, z, activation):
    return np.einsum("ji,jm->im", w_next, delta_next) * activation.prime(z)
'''),
        "gradients": whole('''
def gradients(delta, a_prev):
    return delta.mean(axis=1).reshape(-1, 1), np.einsum("im,jm->ij", delta, a_prev) / delta.shape[1]
'''),
        "backprop": whole('''
def backprop(weights, biases, x, y, activation, cost):
    """One example at a time, then the mean: slower, still right."""
    m = x.shape[1]
    nabla_b = [np.zeros_like(b) for b in biases]
    nabla_w = [np.zeros_like(w) for w in weights]
    for j in range(m):
        zs, activations = feedforward(weights, biases, x[:, j:j + 1], activation)
        delta = output_error(zs[-1], activations[-1], y[:, j:j + 1], activation, cost)
        for layer in reversed(range(len(weights))):
            if layer < len(weights) - 1:
                delta = backward_error(delta, weights[layer + 1], zs[layer], activation)
            nb, nw = gradients(delta, activations[layer])
            nabla_b[layer] += nb / m
            nabla_w[layer] += nw / m
    return nabla_b, nabla_w
'''),
        "sgd_step": whole('''
def sgd_step(weights, biases, x, y, eta, activation, cost):
    nabla_b, nabla_w = backprop(weights, biases, x, y, activation, cost)
    for i in range(len(weights)):
        weights[i][...] = weights[i] - eta * nabla_w[i]
        biases[i][...] = biases[i] - eta * nabla_b[i]
'''),
        "training": lambda text: text.replace(
            "TRAINING = dict(sizes=[784, 30, 10], epochs=5, mini_batch_size=10, eta=0.5)",
            'TRAINING = {"sizes": [784, 40, 10], "epochs": 4, "mini_batch_size": 10, "eta": 0.7, "seed": 3}'),
    },
    "03-fashion-mnist": lambda params: {
        "make_network": lambda text: text.replace(
            'NETWORK = dict(sizes=[784, 100, 10], cost="cross_entropy")',
            'NETWORK = {"sizes": [784, 120, 10], "cost": "Cross-Entropy", "activation": "sigmoid"}'),
        "search": whole('''
ETAS = [float(e) for e in np.logspace(-1.5, 0.5, 5)]
results, networks, seconds = {}, {}, {}
for eta in ETAS:
    networks[eta] = make_network()
    started = time.perf_counter()
    networks[eta].SGD(training, EPOCHS, MINI_BATCH, eta, progress=False, verbose=False)
    seconds[eta] = time.perf_counter() - started
    results[eta] = networks[eta].accuracy(validation)
'''),
        "best": whole('''
ranked = sorted(results.items(), key=lambda item: item[1], reverse=True)
best_eta = ranked[0][0]
test_accuracy, training_seconds = networks[best_eta].accuracy(test), seconds[best_eta]
'''),
    },
    "04-exploration": lambda params: {
        "better": lambda text: text.replace("for eta in (0.05, 0.1, 0.02) for n in (100, 200)",
                                            "for eta in (0.1, 0.05, 0.02) for n in (200, 100)"),
    },
}

STUBS_WRONG = {     # wrong or missing answers for the tamperer, the patcher and the bombers
    "01-gradient-descent": {"gradient_descent": lambda text: text.replace("xs[-1] - eta * grad",
                                                                          "xs[-1] + eta * grad")},
}


def handins(assignment, home, params):
    """{student: (edits, answered, operations)} for ``assignment``; operations change the filled
    notebook (insert, delete, edit cells)."""
    # (each cell goes right after the setup cell: the reading cell, put in last, runs first)
    intrusions = [("after", "setup", writes(home, assignment)), ("after", "setup", reads(home)),
                  ("end", EXFILTRATE)]
    cases = {"fay-different": (DIFFERENT[assignment](params), True, [])}
    if assignment == "01-gradient-descent":
        cases.update({
            "hal-tampers": ({"gradient_descent": STUBS_WRONG[assignment]["gradient_descent"]}, True, [
                ("delete", "test_df"), ("edit", "test_gradient_descent", 'print("all good")', 100),
                ("edit", "test_answers", "pass", 50)]),
            "ida-intrudes": ({}, True, intrusions),
            "jon-patches": ({}, True, [("after", "test_df", PATCHES)]),
            "kim-floods": ({"explain_largest_rate": lambda model: model + SCRIPT_IN_ANSWER}, True,
                           [("after", "setup", FLOOD)]),
            "lee-bombs": ({"runs": whole(FORK_BOMB)}, True, []),
        })
    elif assignment == "02-backpropagation":
        cases.update({
            "gus-stuck": ({}, True, [("after", "test_gradients", STUCK)]),
            "hal-tampers": ({}, True, [("delete", "test_backprop"), ("edit", "test_output_error", "pass")]),
            "ida-intrudes": ({"training": whole(STUB)}, True, intrusions),
            "jon-patches": ({"training": whole(STUB)}, True, [("after", "test_output_error", PATCHES)]),
            "lee-bombs": ({"training": whole(MEMORY_BOMB)}, True, []),
        })
    elif assignment == "03-fashion-mnist":
        cases.update({
            "hal-tampers": ({"make_network": lambda t: t}, False, [("delete", "test_search"),
                                                                  ("edit", "test_best", 'print("fine")')]),
            "jon-patches": ({"make_network": lambda t: t.replace("[784, 100, 10]", "[784, 10, 10]")}, False,
                            [("after", "setup", PATCHES)]),
            "ida-intrudes": ({"make_network": lambda t: t}, False, intrusions),
            "lee-bombs": ({"make_network": lambda t: t, "search": whole(SUICIDE)}, False,
                          [("after", "test_make_network", SPAWN_BOMB)]),
        })
    else:
        cases.update({
            "hal-tampers": ({"better": lambda m: BASELINE_CHEAT + m[m.index("better = Network"):]}, False,
                            [("edit", "test_better", 'print("better")', 30)]),
            "jon-patches": ({"better": lambda t: t.replace("activation=activation,", 'activation="linear",')},
                            True, [("after", "setup", PATCHES)]),
            "ida-intrudes": ({}, False, intrusions),
            "lee-bombs": ({"better": whole(NUMPY_BOMB)}, False, []),
        })
    return cases


def build(filled, operations):
    """The filled notebooks with ``operations`` applied (a new dict)."""
    result = {}
    for name, nb in filled.items():
        nb = copy.deepcopy(nb)
        for operation in operations:
            kind, grade_id = operation[0], operation[1]
            if kind == "after":
                insert_after(nb, grade_id, operation[2])
            elif kind == "end":
                nb.cells.append(_code(operation[1]))
            elif kind == "delete":
                delete(nb, grade_id)
            else:
                edit_test(nb, grade_id, *operation[2:])
        result[name] = nb
    return result


EXPECTED = {
    "01-gradient-descent": {
        "fay-different": {"test_df": 1, "test_gradient_descent": 2, "test_runs": 1, "test_answers": 2},
        "hal-tampers": {"test_df": 1, "test_gradient_descent": 0, "test_runs": 1, "test_answers": 0},
        "ida-intrudes": {"test_df": 1, "test_gradient_descent": 2, "test_runs": 1, "test_answers": 2},
        "jon-patches": {"test_df": 1, "test_gradient_descent": 0, "test_runs": 0, "test_answers": 0},
        "kim-floods": {"test_df": 1, "test_gradient_descent": 2, "test_runs": 1, "test_answers": 2},
        "lee-bombs": {"test_df": 1, "test_gradient_descent": 2, "test_runs": 0, "test_answers": 0},
    },
    "02-backpropagation": {
        "fay-different": {"test_output_error": 2, "test_backward_error": 2, "test_gradients": 2,
                          "test_backprop": 3, "test_training": 2},
        "gus-stuck": {"test_output_error": 2, "test_backward_error": 2, "test_gradients": 2,
                      "test_backprop": 3, "test_training": 2},
        "hal-tampers": {"test_output_error": 2, "test_backward_error": 2, "test_gradients": 2,
                        "test_backprop": 3, "test_training": 2},
        "ida-intrudes": {"test_output_error": 2, "test_backward_error": 2, "test_gradients": 2,
                         "test_backprop": 3, "test_training": 0},
        "jon-patches": {"test_output_error": 2, "test_backward_error": 0, "test_gradients": 0,
                        "test_backprop": 0, "test_training": 0},
        "lee-bombs": {"test_output_error": 2, "test_backward_error": 2, "test_gradients": 2,
                      "test_backprop": 3, "test_training": 0},
    },
    "03-fashion-mnist": {
        "fay-different": {"test_make_network": 1, "test_search": 2, "test_best": 2},
        "hal-tampers": {"test_make_network": 1, "test_search": 0, "test_best": 0},
        "ida-intrudes": {"test_make_network": 1, "test_search": 0, "test_best": 0},
        "jon-patches": {"test_make_network": 0, "test_search": 0, "test_best": 0},
        "lee-bombs": {"test_make_network": 1, "test_search": 0, "test_best": 0},
    },
    "04-exploration": {
        "fay-different": {"test_better": 3},
        "hal-tampers": {"test_better": 0},
        "ida-intrudes": {"test_better": 0},
        "jon-patches": {"test_better": 0},
        "lee-bombs": {"test_better": 0},
    },
}
