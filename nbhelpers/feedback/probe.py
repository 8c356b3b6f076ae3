"""The notebook's half of a hidden test: run the student's work on the grader's inputs and hand the
results to the grader, which decides, outside the notebook, what they are worth.

A hidden test cell of an assignment calls, for example,

    feedback.probe("gd/df", seed=4711, namespace=globals())

``probe`` looks up the names that test needs in the notebook (``df`` here), calls the student's
functions on inputs drawn from ``seed`` (``challenges``; each course has its own seeds) through
``call_student`` (time limits, ``sys.exit`` and prints reported, arguments changed in place
named), and publishes what came back, encoded by ``encode``, as one output of the cell with the
MIME type ``MIME``, with the names the notebook lacks and the grader's tools it changed
(``tools.changed``). The grader reads that output, removes it, and compares the results with what
it computes itself; nothing here knows the right answers, and nothing a notebook prints or
changes can make a wrong result right.

The backpropagation tests swap some of the notebook's functions for stand-ins while they run
(``parts``; see ``bp/backprop`` and ``bp/training``), so that one wrong part of an assignment costs
the points of that part only; the notebook's own functions are put back afterwards.

Used by: the hidden tests of the assignments in ``assignments/``.
"""

from __future__ import annotations

import copy

import numpy as np

from . import challenges, tools
from .calls import call_student
from .encode import encode

__all__ = ["probe", "MIME"]

MIME = "application/vnd.nndl.grader+json"

try:
    from IPython.display import display as _display
except ImportError:  # pragma: no cover - probes run in notebooks
    _display = None

_MISSING = object()


class _Names:
    """The notebook's names, read through ``get``, which records the ones that are missing."""

    def __init__(self, namespace):
        self.namespace = namespace if isinstance(namespace, dict) else {}
        self.missing = []

    def get(self, name):
        value = self.namespace.get(name, _MISSING)
        if value is _MISSING and name not in self.missing:
            self.missing.append(name)
        return value


def _run(f, args, name, time_limit=5.0):
    """What calling the student's ``f`` on ``args`` gave: a dict for the grader."""
    if f is _MISSING:
        return {"error": f"{name} is not defined"}
    if not callable(f):
        return {"error": f"{name} is not a function (it is a {type(f).__name__})"}
    call = call_student(f, args, name, time_limit=time_limit)
    return {"value": call.value, "error": call.error, "notes": call.notes(name)}


def _value(names, name):
    value = names.get(name)
    return None if value is _MISSING else value


def _swapped(names, replacements):
    """Put ``replacements`` into the notebook's namespace; return what to put back."""
    saved = {}
    for key, value in replacements.items():
        saved[key] = names.namespace.get(key, _MISSING)
        names.namespace[key] = value
    return saved


def _restore(names, saved):
    for key, value in saved.items():
        if value is _MISSING:
            names.namespace.pop(key, None)
        else:
            names.namespace[key] = value


# ---------------------------------------------------------------- 01: gradient descent

def _gd_df(seed, names):
    df = names.get("df")
    points = challenges.derivative_points(seed)
    real = np.array([p for p in points if isinstance(p, float)])
    return {"points": [_run(df, (x,), "df") for x in points], "array": _run(df, (real,), "df")}


def _gd_descent(seed, names):
    descend = names.get("gradient_descent")
    return [_run(descend, (challenges.descent_gradient(a, c), x0, eta, steps), "gradient_descent")
            for a, c, x0, eta, steps in challenges.descent_cases(seed)]


def _gd_runs(seed, names):
    runs, df, descend = names.get("runs"), names.get("df"), names.get("gradient_descent")
    x0, etas, steps = _value(names, "X0"), _value(names, "ETAS"), _value(names, "STEPS")
    result = {"runs": None if runs is _MISSING else runs, "x0": x0, "etas": etas, "steps": steps,
              "slopes": {}, "own": {}}
    if isinstance(runs, dict):
        for eta, xs in list(runs.items())[:10]:
            try:
                points = [float(x) for x in np.asarray(xs, dtype=float).ravel()[:-1][:1000]]
            except (TypeError, ValueError):
                continue
            result["slopes"][eta] = [_run(df, (x,), "df", time_limit=2.0) for x in points]
    if isinstance(etas, (tuple, list)):
        for eta in list(etas)[:10]:
            result["own"][eta] = _run(descend, (df, x0, eta, steps), "gradient_descent")
    return result


def _gd_answers(seed, names):
    return {"local_minimum": _value(names, "local_minimum"), "best_eta": _value(names, "best_eta")}


# ---------------------------------------------------------------- 02: backpropagation

def _bp_output_error(seed, names):
    f = names.get("output_error")
    return [_run(f, copy.deepcopy(case), "output_error") for case in challenges.output_error_cases(seed)]


def _bp_backward_error(seed, names):
    f = names.get("backward_error")
    return [_run(f, copy.deepcopy(case), "backward_error") for case in challenges.backward_error_cases(seed)]


def _bp_gradients(seed, names):
    f = names.get("gradients")
    return [_run(f, copy.deepcopy(case), "gradients") for case in challenges.gradients_cases(seed)]


def _bp_backprop(seed, names, parts=None):
    backprop = names.get("backprop")
    saved = _swapped(names, dict(parts or {}))
    try:
        return [_run(backprop, copy.deepcopy(case), "backprop", time_limit=10.0)
                for case in challenges.backprop_cases(seed)]
    finally:
        _restore(names, saved)


def _bp_training(seed, names):
    sgd_step = names.get("sgd_step")
    steps = []
    for weights, biases, x, y, eta, nabla_b, nabla_w in challenges.sgd_cases(seed):
        def stand_in(*args, nabla_b=nabla_b, nabla_w=nabla_w, **kwargs):
            return [b.copy() for b in nabla_b], [w.copy() for w in nabla_w]

        saved = _swapped(names, {"backprop": stand_in})
        try:
            weights, biases = copy.deepcopy(weights), copy.deepcopy(biases)
            activation = challenges.MadeUpActivation(1.0, 0.1)
            cost = challenges.MadeUpCost(np.ones(y.shape[0]), 0.5)
            run = _run(sgd_step, (weights, biases, x, y, eta, activation, cost), "sgd_step")
            run.pop("notes", None)             # changing weights and biases in place is the point
            run.update(weights=weights, biases=biases)
            steps.append(run)
        finally:
            _restore(names, saved)
    return {"steps": steps, "TRAINING": _value(names, "TRAINING")}


# ---------------------------------------------------------------- 03 and 04: trained networks

def _values(*wanted):
    def read(seed, names):
        return {name: _value(names, name) for name in wanted}

    return read


_PROBES = {
    "gd/df": _gd_df,
    "gd/gradient_descent": _gd_descent,
    "gd/runs": _gd_runs,
    "gd/answers": _gd_answers,
    "bp/output_error": _bp_output_error,
    "bp/backward_error": _bp_backward_error,
    "bp/gradients": _bp_gradients,
    "bp/backprop": _bp_backprop,
    "bp/training": _bp_training,
    "nets/network": _values("NETWORK"),
    "nets/search": _values("NETWORK", "ETAS", "results", "seconds"),
    "nets/best": _values("NETWORK", "results", "seconds", "best_eta", "test_accuracy", "training_seconds"),
    "nets/better": _values("NETWORK", "SETTINGS", "test_accuracy"),
}


def probe(test, *, seed=0, namespace=None, **extra):
    """Run the grader's probe ``test`` on the notebook's ``namespace`` (``globals()``) with inputs
    drawn from ``seed``, and publish the results for the grader (see the module's docstring)."""
    record = {"test": str(test), "seed": seed, "tools": tools.changed(), "missing": [],
              "results": None, "error": None}
    names = _Names(namespace)
    try:
        run = _PROBES[test]
        record["results"] = encode(run(seed, names, **extra))
    except Exception as exc:  # noqa: BLE001 - reported to the grader, which gives no points
        record["error"] = f"{type(exc).__name__}: {str(exc)[:300]}"
    record["missing"] = names.missing
    if _display is not None:
        _display({MIME: record, "text/plain": f"(results of the test {test} for the grader)"}, raw=True)
    return None
