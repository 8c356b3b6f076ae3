"""Every lesson that trains with the engine notices when the engine is wrong.

A check that passes whatever the code does proves nothing. Here lessons are run with a broken
engine, and each must stop at one of its check cells. Each break is a small, plausible bug in one
thing a lesson teaches, applied by replacing one method of the engine's classes, found by object
(``nbhelpers.layers.Dense``, ``nbhelpers.COSTS["quadratic"]``, ``nbhelpers.OPTIMIZERS["adam"]``),
not by file path:

- ``sigma_prime``: sigma' is removed from backpropagation (BP2, and BP1 for a quadratic cost):
  ``Sigmoid.backward`` returns dC/da unchanged. Every lesson that uses the engine's gradients (it
  calls ``SGD``, ``update_mini_batch``, ``backprop``, ``gradcheck`` or builds a ``TrainerPanel``)
  must catch it. (With cross-entropy or log-likelihood the output error is a - y without sigma'
  anyway, so there only the hidden layers change.) The broken engine still moves the weights in
  roughly the right direction and a network can still learn a little, which is why loose checks such
  as "accuracy above 85%" do not notice it.
- ``transpose``: the weight gradient of a fully connected layer is a_in @ delta.T reshaped to w's
  shape instead of delta @ a_in.T (BP4 with the wrong transpose).
- ``averaging``: the gradient is the sum over the mini-batch instead of its mean (1/m dropped).
- ``quadratic_bp1``: the quadratic cost's output error is a - y, without sigma'(z^L).
- ``conv_sign``: a convolutional layer's filter gradient has the wrong sign.
- ``maxpool``: max-pooling hands each window's gradient to the wrong position in the window.
- ``momentum``: momentum ignores mu (each step is -eta * gradient, plain SGD).
- ``adam``: Adam without its bias correction (m and v used as they are, not divided by 1 - beta^t).
- ``bptt_recursion``: a vanilla RNN carries its error back through time by u instead of u^T
  (BPTT1's u^T delta_{t+1} with the wrong transpose).
- ``forget_gate``: an LSTM's forget-gate error uses the new cell c_t where its derivative has the
  old one, c_{t-1}.

Each break has the lessons that teach the broken thing; those lessons are run with it and each must
catch it. Every break is first shown to change what the engine computes (a gradient check or one
optimiser step), so a break that silently stops applying cannot make these tests pass.

Each notebook's code cells are run in order, in a process of their own (forked from a server that
has the lessons' imports loaded), by an IPython shell (the same one that runs code in a Jupyter
kernel, without the kernel: no messaging, so no widget front end to wait for), after the break and
until the first cell that raises. The test passes when that cell
is a check cell (its first line starts with "# CHECK") and it raised an AssertionError: the lesson
caught the bug, rather than crashing on something unrelated. That the same notebooks pass with the
real engine is what `make test`'s nbval run checks.
"""

import json
import os
import re
import select
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.slow   # each test re-runs a lesson: make quick leaves them out

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = ROOT / "notebooks"

# Each break is code run with ``patch`` = setattr in the lesson's process (pytest's
# monkeypatch.setattr here, so that it is undone). ``original`` is the method it wraps.
BREAKS = {
    "sigma_prime": """\
import nbhelpers
patch(type(nbhelpers.get_activation("sigmoid")), "backward", lambda self, z, a, grad_a: grad_a)
""",
    "transpose": """\
import nbhelpers.layers
Dense = nbhelpers.layers.Dense
original = Dense.backward_delta
def backward_delta(self, delta, input_grad=True):
    grad = original(self, delta, input_grad)
    self.nabla_w[...] = (self.a_in @ delta.T).reshape(self.nabla_w.shape)
    return grad
patch(Dense, "backward_delta", backward_delta)
""",
    "averaging": """\
import nbhelpers
# every cost's output error comes out m times too large, so the engine's division by the
# mini-batch size m leaves the sum of the examples' gradients instead of their mean
for cost in nbhelpers.COSTS.values():
    def delta(z, a, y, *rest, _original=cost.delta):
        return _original(z, a, y, *rest) * y.shape[-1]
    patch(cost, "delta", staticmethod(delta))
""",
    "quadratic_bp1": """\
import nbhelpers
patch(nbhelpers.COSTS["quadratic"], "delta", staticmethod(lambda z, a, y, activation=None: a - y))
""",
    "conv_sign": """\
import nbhelpers.layers
Conv2D = nbhelpers.layers.Conv2D
original = Conv2D.backward_delta
def backward_delta(self, delta, input_grad=True):
    grad = original(self, delta, input_grad)
    self.nabla_w *= -1
    return grad
patch(Conv2D, "backward_delta", backward_delta)
""",
    "maxpool": """\
import numpy as np
import nbhelpers.layers
MaxPool2D = nbhelpers.layers.MaxPool2D
original = MaxPool2D.backward
def backward(self, grad, input_grad=True):
    grad_in = original(self, grad, input_grad)
    if grad_in is None:
        return None
    # each window's gradient moves one row down inside the window (the last row's to the first)
    (ph, pw), (C, H, W, m) = self.pool_size, grad_in.shape
    Ho, Wo = H // ph, W // pw
    windows = grad_in[:, :Ho * ph, :Wo * pw].reshape(C, Ho, ph, Wo, pw, m)
    grad_in[:, :Ho * ph, :Wo * pw] = np.roll(windows, 1, axis=2).reshape(C, Ho * ph, Wo * pw, m)
    return grad_in
patch(MaxPool2D, "backward", backward)
""",
    "momentum": """\
import nbhelpers
Momentum = nbhelpers.OPTIMIZERS["momentum"]
original = Momentum.update
def update(self, key, w, grad):
    mu, self.mu = self.mu, 0.0
    try:
        original(self, key, w, grad)
    finally:
        self.mu = mu
patch(Momentum, "update", update)
""",
    "adam": """\
import numpy as np
import nbhelpers
def update(self, key, w, grad):
    m, v = self.slot(key, "m", w), self.slot(key, "v", w)
    m *= self.beta1
    m += (1.0 - self.beta1) * grad
    v *= self.beta2
    v += (1.0 - self.beta2) * grad * grad
    w -= self.eta * m / (np.sqrt(v) + self.epsilon)
patch(nbhelpers.OPTIMIZERS["adam"], "update", update)
""",
    "bptt_recursion": """\
import numpy as np
from nbhelpers.layers import RNN
def backward(self, grad, input_grad=True):
    above = self._errors_from_above(grad)
    dh, delta = np.empty_like(above), np.empty_like(above)
    carried = np.zeros_like(above[0])
    for t in range(above.shape[0] - 1, -1, -1):
        dh[t] = above[t] + carried
        delta[t] = self.tanh.backward(self.zs[t], self.hs[t + 1], dh[t])
        carried = np.zeros_like(carried) if self._cut(t, above.shape[0]) else self.u @ delta[t]
    self.dh = dh
    return self._parameter_gradients(delta, input_grad)
patch(RNN, "backward", backward)
""",
    "forget_gate": """\
import numpy as np
from nbhelpers.layers import LSTM
def backward(self, grad, input_grad=True):
    above = self._errors_from_above(grad)
    steps = above.shape[0]
    dh, delta = np.empty_like(above), np.empty_like(self.zs)
    carried_h, carried_c = np.zeros_like(above[0]), np.zeros_like(above[0])
    for t in range(steps - 1, -1, -1):
        i, f, g, o = self.split(self.acts[t])
        z_i, z_f, z_g, z_o = self.split(self.zs[t])
        d_i, d_f, d_g, d_o = self.split(delta[t])
        dh[t] = above[t] + carried_h
        dc = carried_c + self.tanh.backward(self.cs[t + 1], self.tanh_c[t], dh[t] * o)
        d_i[...] = self.sigmoid.backward(z_i, i, dc * g)
        d_f[...] = self.sigmoid.backward(z_f, f, dc * self.cs[t + 1])    # c_t for c_{t-1}
        d_g[...] = self.tanh.backward(z_g, g, dc * i)
        d_o[...] = self.sigmoid.backward(z_o, o, dh[t] * self.tanh_c[t])
        if self._cut(t, steps):
            carried_h, carried_c = np.zeros_like(carried_h), np.zeros_like(carried_c)
        else:
            carried_h, carried_c = self.u.T @ delta[t], dc * f
    self.dh = dh
    return self._parameter_gradients(delta, input_grad)
patch(LSTM, "backward", backward)
""",
}

# Runs the notebook given as argv[1] after the code in argv[2]; prints one JSON line: the index of
# the first cell that raised (None if none did), the exception's name and message, the seconds taken.
RUNNER = """\
import json, linecache, sys, time
import nbformat
from IPython.core.interactiveshell import InteractiveShell

nb = nbformat.read(sys.argv[1], as_version=4)
shell = InteractiveShell.instance()
shell.register_magic_function(lambda line: None, "line", "matplotlib")   # plots go to Agg
# the break, in a namespace of its own; its source is kept where inspect.getsource finds it
linecache.cache["<engine break>"] = (len(sys.argv[2]), None, sys.argv[2].splitlines(True),
                                     "<engine break>")
exec(compile(sys.argv[2], "<engine break>", "exec"), {"patch": setattr})
start, failed = time.perf_counter(), None
for index, cell in enumerate(nb.cells):
    if cell.cell_type == "code":
        result = shell.run_cell(cell.source, silent=True)
        error = result.error_before_exec or result.error_in_exec
        if error is not None:
            failed = {"cell": index, "ename": type(error).__name__, "evalue": str(error)[:300]}
            break
print(json.dumps({"failed": failed, "seconds": time.perf_counter() - start}))
"""

USES_THE_ENGINES_GRADIENTS = re.compile(
    r"\.SGD\(|\bTrainerPanel\(|\.update_mini_batch\(|\.backprop(?:_batch)?\(|\bgradcheck\(")
TIMEOUT = 300


def _cells(path):
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def _code(path):
    return "\n".join("".join(c["source"]) for c in _cells(path) if c["cell_type"] == "code")


TRAINING_LESSONS = [p for p in sorted(NOTEBOOK_DIR.glob("*.ipynb"))
                    if USES_THE_ENGINES_GRADIENTS.search(_code(p))]


# The runs share a warm process: a server that imports once what the lessons import (a fresh
# interpreter spends over a second on that, for each of some thirty runs), then forks a child per
# run, which applies its break and runs the lesson as RUNNER says, in a process of its own, so that
# no break reaches another run. PyTorch is left out: it starts threads, and a fork copies none.
SERVER = """\
import json, os, re, sys, traceback
import nbformat
from IPython.core.interactiveshell import InteractiveShell
IMPORT = re.compile(r"^\\s*(?:from\\s+([\\w.]+)\\s+import|import\\s+([\\w.]+))", re.M)
names = {match.group(1) or match.group(2) for name in sorted(os.listdir(".")) if name.endswith(".ipynb")
         for cell in nbformat.read(name, as_version=4).cells if cell.cell_type == "code"
         for match in IMPORT.finditer(cell.source)}
for name in sorted(names):
    if name.split(".")[0] in ("numpy", "matplotlib", "nbhelpers", "ipywidgets"):
        __import__(name)
print("ready", flush=True)
for line in sys.stdin:
    request = json.loads(line)
    child = os.fork()
    if child == 0:
        code = 1
        try:
            out = os.open(request["out"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.dup2(out, 1)
            os.dup2(out, 2)
            sys.argv = ["runner", request["path"], request["before"]]
            exec(compile(RUNNER, "<runner>", "exec"), {"__name__": "__main__"})
            code = 0
        except BaseException:
            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    _, status = os.waitpid(child, 0)
    print(json.dumps({"exit": os.waitstatus_to_exitcode(status)}), flush=True)
"""


class LessonRunner:
    """The server above, started on first use; ``run`` gives it one lesson and one break."""

    def __init__(self, folder):
        self.folder, self.process, self.runs = Path(folder), None, 0

    def _start(self):
        env = {**os.environ, "MPLBACKEND": "Agg"}
        self.log = (self.folder / "server.log").open("w")
        self.process = subprocess.Popen([sys.executable, "-c", f"RUNNER = {RUNNER!r}\n" + SERVER],
                                        cwd=NOTEBOOK_DIR, env=env, stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=self.log, text=True,
                                        start_new_session=True)
        assert self._reply(TIMEOUT) == "ready", self._trouble("the lesson runner did not start")

    def _reply(self, seconds):
        ready, _, _ = select.select([self.process.stdout], [], [], seconds)
        return self.process.stdout.readline().strip() if ready else None

    def _trouble(self, what):
        self.close()
        return f"{what}:\n{(self.folder / 'server.log').read_text()[-2000:]}"

    def run(self, path, before):
        if self.process is None or self.process.poll() is not None:
            self._start()
        self.runs += 1
        out = self.folder / f"run-{self.runs}.txt"
        self.process.stdin.write(json.dumps({"path": str(path), "before": before, "out": str(out)}) + "\n")
        self.process.stdin.flush()
        reply = self._reply(TIMEOUT)
        if reply is None:
            raise AssertionError(self._trouble(f"{path.name} still ran after {TIMEOUT} s"))
        assert reply, self._trouble("the lesson runner died")
        lines = out.read_text(errors="replace").strip().splitlines()
        assert json.loads(reply)["exit"] == 0 and lines, f"the runner failed:\n{''.join(lines[-30:])}"
        return json.loads(lines[-1])

    def close(self):
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.process = None


@pytest.fixture(scope="session")
def runner(tmp_path_factory):
    lessons = LessonRunner(tmp_path_factory.mktemp("lesson-runs"))
    yield lessons
    lessons.close()


def run_notebook(runner, path, before=""):
    """Run the code cells of ``path`` after ``before``; returns (failed, seconds), where failed is
    None or a dict with the failing cell's index, the exception's name and its message."""
    report = runner.run(path, before)
    return report["failed"], report["seconds"]


# The lessons that teach each broken thing, by number (the sigma' break: every lesson that trains).
TEACHERS = {
    "sigma_prime": None,
    "transpose": ["03", "04"],
    "averaging": ["03", "04"],
    "quadratic_bp1": ["04", "05"],
    "conv_sign": ["10"],
    "maxpool": ["10"],
    "momentum": ["11"],
    "adam": ["11"],
    "bptt_recursion": ["13"],
    "forget_gate": ["13"],
}


def _lesson(number):
    (path,) = NOTEBOOK_DIR.glob(f"{number}-*.ipynb")
    return path


CASES = [(name, path) for name, numbers in TEACHERS.items()
         for path in (TRAINING_LESSONS if numbers is None else map(_lesson, numbers))]


def test_the_lessons_that_train_are_found():
    names = {p.name[:2] for p in TRAINING_LESSONS}
    assert {"00", "03"} <= names, names
    assert set(TEACHERS) == set(BREAKS)


def test_the_runner_reports_the_first_failing_cell(tmp_path, runner):
    cells = ["y = 1", "# CHECK: x is 2\nassert x == 2, 'x is not 2'\nprint('✓')", "raise KeyError"]
    path = tmp_path / "lesson.ipynb"
    path.write_text(json.dumps({
        "cells": [{"cell_type": "code", "execution_count": None, "id": str(i), "metadata": {},
                   "outputs": [], "source": c} for i, c in enumerate(cells)],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    failed, _ = run_notebook(runner, path, before="import builtins\npatch(builtins, 'x', 1)")
    assert failed["cell"] == 1 and failed["ename"] == "AssertionError"
    assert failed["evalue"] == "x is not 2"
    failed, _ = run_notebook(runner, path, before="import builtins\npatch(builtins, 'x', 2)")
    assert failed["cell"] == 2 and failed["ename"] == "KeyError"


def _gradient_error(net, x, y):
    """How wrong the engine's gradient is, against central differences of the mean cost: for a
    network of Dense layers the smaller of two worst relative errors, of the gradient ``gradcheck``
    sees and of the one a training step actually takes, so that a break counts only when it
    reaches both (training has a path of its own)."""
    from nbhelpers import gradcheck
    from nbhelpers.gradcheck import numerical_gradient, relative_error

    error = gradcheck(net, x, y).max_relative_error
    if net.sizes is None:
        return error
    trained, eta = net.copy(), 1e-3      # one step of the training loop: one batch of all m
    trained.SGD((x, np.argmax(y, axis=0)), 1, x.shape[1], eta, progress=False, verbose=False)

    def cost():
        return net.cost.fn(net.feedforward(x), y)

    step_error = max(relative_error((before - after) / eta, numerical_gradient(cost, before)).max()
                     for after, before in zip(trained.weights + trained.biases,
                                              net.weights + net.biases))
    return min(error, step_error)


def _probe(name):
    """What the engine computes that the break ``name`` changes: a gradient check's worst relative
    error, or the parameters after a few optimiser steps."""
    from nbhelpers import Network, get_optimizer
    from nbhelpers.layers import LSTM, RNN, Conv2D, Dense, Flatten, MaxPool2D

    rng = np.random.default_rng(0)
    x, labels = rng.normal(size=(5, 7)), rng.integers(0, 3, 7)
    y = np.eye(3)[:, labels]
    if name in ("sigma_prime", "transpose", "averaging", "quadratic_bp1"):
        return _gradient_error(Network([5, 4, 3], cost="quadratic", seed=0), x, y)
    if name in ("conv_sign", "maxpool"):
        images = rng.normal(size=(1, 6, 6, 4))
        net = Network([Conv2D(1, 2, 3, activation="tanh"), MaxPool2D(2), Flatten(),
                       Dense(8, 3, "softmax")], input_shape=(1, 6, 6), cost="log_likelihood", seed=0)
        return _gradient_error(net, images, np.eye(3)[:, labels[:4]])
    if name in ("bptt_recursion", "forget_gate"):
        layer = RNN(5, 4) if name == "bptt_recursion" else LSTM(5, 4)
        net = Network([layer, Dense(4, 3, "softmax")], input_shape=(5, 6), cost="log_likelihood",
                      seed=0)
        return _gradient_error(net, rng.normal(size=(5, 6, 7)), y)
    optimizer = get_optimizer(name, eta=0.1)
    w = np.ones(3)
    for step in range(3):
        optimizer.update("w", w, np.array([1.0, -2.0, 0.5]) * (step + 1))
    return w


@pytest.mark.parametrize("name", BREAKS)
def test_each_break_changes_what_the_engine_computes(name, monkeypatch):
    before = _probe(name)
    exec(BREAKS[name], {"patch": monkeypatch.setattr})
    after = _probe(name)
    if np.ndim(before) == 0:          # a gradient check's error: tiny before, large after
        assert before < 1e-6 < 1e-3 < after, (before, after)
    else:                             # parameters after three optimiser steps
        assert np.abs(after - before).max() > 1e-3, (before, after)


@pytest.mark.slow
@pytest.mark.parametrize(("name", "path"), CASES, ids=[f"{n}-{p.stem[:2]}" for n, p in CASES])
def test_lesson_fails_a_check_when_the_engine_is_broken(name, path, runner):
    failed, seconds = run_notebook(runner, path, before=BREAKS[name])
    assert failed is not None, f"{path.name} ran to the end with the break {name!r}: no check noticed"
    source = "".join(_cells(path)[failed["cell"]]["source"])
    first_line = source.strip().splitlines()[0]
    where = f"{path.name}, cell {failed['cell']}"
    assert first_line.startswith("# CHECK"), (
        f"{where} raised {failed['ename']} but is not a check cell:\n{source[:300]}")
    assert failed["ename"] == "AssertionError", (
        f"{where} is a check but failed with {failed['ename']}: {failed['evalue']}")
    print(f"{name}: {path.name} caught it in cell {failed['cell']} after {seconds:.1f} s ({first_line})")
