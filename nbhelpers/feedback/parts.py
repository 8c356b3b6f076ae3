"""Feedback on the parts of backpropagation: the output error (BP1), the error one layer back (BP2)
and one layer's gradients (BP3, BP4).

``check_output_error``, ``check_backward_error`` and ``check_gradients`` try a student's function on
a few small random batches (the course's sigmoid and tanh neurons, quadratic and cross-entropy
costs) and compare it with the same quantity measured by finite differences from its definition.
When it differs, the ``*_problems`` functions name the usual slip: a missing factor sigma'(z^L) or
grad_a C in BP1, sigma'(z^l) missing in BP2, w where its transpose belongs, a factor of m, a sign.
The grader uses the same ``*_problems`` functions on its own inputs, with what it computed itself
as ``want``.

Used by: the backpropagation assignment in ``assignments/`` (through ``nbhelpers.feedback``) and
the grader.
"""

from __future__ import annotations

import copy

import numpy as np

from ..activations import get_activation
from ..costs import get_cost
from ..gradcheck import numerical_gradient
from .calls import call_student
from .functions import result_problems
from .report import Feedback, finish
from .shapes import shape_problem

__all__ = ["check_output_error", "check_backward_error", "check_gradients", "output_error_problems",
           "backward_error_problems", "gradients_problems"]

_RTOL, _ATOL = 1e-5, 1e-7


def _close(got, candidate):
    try:
        candidate = np.asarray(candidate, dtype=float)
        return candidate.shape == np.shape(got) and np.allclose(got, candidate, rtol=_RTOL, atol=_ATOL)
    except (TypeError, ValueError):
        return False


def _first(got, want, candidates, name):
    """The problems with ``got``: none if it is ``want``, else the sentence of the first candidate
    (a wrong form) it matches, else the general description."""
    problems = result_problems(name, got, want, _RTOL, _ATOL)
    if not problems or not isinstance(got, np.ndarray) or got.shape != np.shape(want):
        return problems
    for candidate, sentence in candidates:
        try:
            value = candidate()
        except Exception:  # noqa: BLE001 - a wrong form that cannot be formed here
            continue
        if _close(got, value) and not _close(want, value):
            return [f"{name} {sentence}"]
    return problems


def output_error_problems(got, want, z, a, y, activation, cost, name="output_error"):
    """Sentences saying how BP1's ``got`` differs from ``want`` (the right delta^L), or []."""
    m = z.shape[1]
    candidates = [
        (lambda: cost.grad_a(a, y), "is grad_a C without the factor sigma'(z^L): BP1 multiplies "
                                    "it by activation.prime(z), element by element"),
        (lambda: activation.prime(z), "is sigma'(z^L) without the factor grad_a C: BP1 multiplies it "
                                      "by cost.grad_a(a, y)"),
        (lambda: (a - y) * activation.prime(z), "uses a - y, which is grad_a C for the quadratic cost "
                                                 "only: use cost.grad_a(a, y), so that every cost works"),
        (lambda: a - y, "is a - y, without sigma'(z^L) and without the cost's own gradient: use "
                        "cost.grad_a(a, y) * activation.prime(z)"),
        (lambda: cost.grad_a(a, y) * activation.prime(a), "takes sigma' at a instead of at z: "
                                                           "sigma'(z^L) is activation.prime(z)"),
        (lambda: -want, "has the wrong sign: grad_a C is the derivative of the cost, a - y for the "
                        "quadratic cost, not y - a"),
        (lambda: want / m, f"is divided by m = {m}: delta^L is one column per example, with no mean "
                           f"(the mean over the examples comes in BP3 and BP4)"),
    ]
    return _first(got, want, candidates, name)


def backward_error_problems(got, want, delta_next, w_next, z, activation, name="backward_error"):
    """Sentences saying how BP2's ``got`` differs from ``want`` (the right delta^l), or []."""
    candidates = [
        (lambda: w_next.T @ delta_next, "is (w^{l+1})^T delta^{l+1} without the factor sigma'(z^l): "
                                        "multiply by activation.prime(z), element by element"),
        (lambda: (w_next @ delta_next) * activation.prime(z),
         "uses w^{l+1} where BP2 has its transpose (w^{l+1})^T"),
        (lambda: (w_next.T @ delta_next) * activation.prime(w_next.T @ delta_next),
         "takes sigma' of the wrong quantity: sigma'(z^l) is activation.prime(z)"),
        (lambda: -want, "has the wrong sign"),
    ]
    return _first(got, want, candidates, name)


def gradients_problems(got, want, delta, a_prev, name="gradients"):
    """Sentences saying how the pair (nabla_b, nabla_w) ``got`` differs from ``want``, or []."""
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        return result_problems(name, got, want, _RTOL, _ATOL)
    m = delta.shape[1]
    nabla_b, nabla_w = got
    want_b, want_w = want
    if want_b.shape != want_w.shape and shape_problem("b", nabla_b, want_w.shape) is None \
            and shape_problem("w", nabla_w, want_b.shape) is None:
        return [f"{name} returned (nabla_w, nabla_b): the order is (nabla_b, nabla_w)"]
    sum_hint = "the cost is the mean over the m examples: divide the sum over the examples by m"
    if m > 1 and np.shape(nabla_b) == delta.shape:
        problems = [f"{name}[0] (nabla_b) keeps one column per example: BP3 averages delta over the "
                    "examples (axis=1, keepdims=True)"]
    else:
        problems = _first(nabla_b, want_b, [
            (lambda: want_b * m, f"is m = {m} times too large: {sum_hint}"),
            (lambda: want_b / m, f"is m = {m} times too small: divide by m only once"),
        ], f"{name}[0] (nabla_b)")
    problems += _first(nabla_w, want_w, [
        (lambda: want_w * m, f"is m = {m} times too large: {sum_hint}"),
        (lambda: want_w / m, f"is m = {m} times too small: divide by m only once"),
        (lambda: -want_w, "has the wrong sign"),
    ], f"{name}[1] (nabla_w)")
    if problems and shape_problem("nabla_w", nabla_w, want_w.shape) and np.shape(nabla_w) == want_w.T.shape:
        problems.append("nabla_w = delta^l (a^{l-1})^T: rows are the neurons of the layer, columns "
                        "those of the layer before")
    return problems


# ---------------------------------------------------------------- the checks in the notebook

def _measured_output_error(z, a, y, activation, cost):
    z = z.copy()
    return z.shape[1] * numerical_gradient(lambda: cost.fn(activation.fn(z), y), z)


def _measured_backward_error(delta_next, w_next, z, activation):
    z = z.copy()
    return numerical_gradient(lambda: np.sum(delta_next * (w_next @ activation.fn(z))), z)


def _measured_gradients(delta, a_prev):
    w = np.zeros((delta.shape[0], a_prev.shape[0]))
    b = np.zeros((delta.shape[0], 1))

    def mean_change():
        return np.sum(delta * (w @ a_prev + b)) / delta.shape[1]

    return numerical_gradient(mean_change, b), numerical_gradient(mean_change, w)


def _run_check(function, name, cases, measure, problems_of, title, show):
    calls = [call_student(function, copy.deepcopy(case), name) for case in cases]
    report = Feedback(f"{name} agrees with finite differences on {title}")
    failing = []
    for number, (case, call) in enumerate(zip(cases, calls), start=1):
        problems = [call.error] if call.error else \
            problems_of(call.value, measure(*copy.deepcopy(case)), *case)
        problems += [note for note in call.notes(name) if "changed its argument" in note]
        if problems:
            failing.append((number, problems))
    if failing:
        report.title = f"{name} is wrong on {len(failing)} of {len(cases)} batches"
        number, problems = failing[0]
        for problem in problems:
            report.problem(f"batch {number}: {problem}")
    return finish(report, show)


def _batch(rng, n, m):
    z = 1.5 * rng.standard_normal((n, m))
    return z, rng.uniform(0.05, 0.95, (n, m))


def check_output_error(output_error, *, show=True):
    """Check ``output_error(z, a, y, activation, cost)`` (BP1) on sigmoid and tanh neurons with the
    quadratic and cross-entropy costs, against finite differences of the cost."""
    rng = np.random.default_rng(1)
    cases = []
    for act, cost, n, m in (("sigmoid", "quadratic", 3, 5), ("sigmoid", "cross_entropy", 3, 5),
                            ("tanh", "quadratic", 4, 6)):
        activation = get_activation(act)
        z, y = _batch(rng, n, m)
        cases.append((z, activation.fn(z), y, activation, get_cost(cost)))
    return _run_check(output_error, "output_error", cases, _measured_output_error, output_error_problems,
                      "3 batches (sigmoid and tanh neurons, quadratic and cross-entropy costs)", show)


def check_backward_error(backward_error, *, show=True):
    """Check ``backward_error(delta_next, w_next, z, activation)`` (BP2) on sigmoid and tanh
    neurons against finite differences."""
    rng = np.random.default_rng(2)
    cases = [(rng.standard_normal((n_next, m)), rng.standard_normal((n_next, n)),
              1.5 * rng.standard_normal((n, m)), get_activation(act))
             for n_next, n, m, act in ((2, 4, 5, "sigmoid"), (3, 3, 4, "tanh"))]
    return _run_check(backward_error, "backward_error", cases, _measured_backward_error,
                      backward_error_problems, "2 batches (sigmoid and tanh neurons)", show)


def check_gradients(gradients, *, show=True):
    """Check ``gradients(delta, a_prev)`` (BP3, BP4) against finite differences."""
    rng = np.random.default_rng(3)
    cases = [(rng.standard_normal((n, m)), rng.uniform(0, 1, (n_prev, m)))
             for n, n_prev, m in ((3, 4, 5), (2, 3, 1))]
    return _run_check(gradients, "gradients", cases, _measured_gradients, gradients_problems,
                      "2 batches (one of a single example)", show)
