"""Feedback on training: falling costs, runs of gradient descent, and accuracies.

``check_decreasing`` reads a list of per-epoch costs, ``check_gradient_descent`` a 1-D run
``xs = [x0, x1, ...]``, and ``check_accuracy`` a fraction or a count against a target.

Used by: the assignment notebooks in ``assignments/`` (through ``nbhelpers.feedback``).
"""

from __future__ import annotations

import math

import numpy as np

from .. import validate
from .calls import call_student
from .report import Feedback, finish
from .shapes import not_an_array

__all__ = ["check_decreasing", "check_gradient_descent", "check_accuracy"]


def _as_numbers(values, name, report):
    """A 1-D float array of ``values``, or None after adding a problem to ``report``."""
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        report.problem(f"{name} should be a list of numbers; got a {type(values).__name__}")
        return None
    if array.ndim == 0:
        report.problem(f"{name} should be a list of numbers; got a {type(values).__name__}")
        return None
    if array.ndim != 1:
        report.problem(f"{name} should be a flat list of numbers; got shape {array.shape}")
        return None
    return array


def check_decreasing(costs, *, name="cost", first_epoch=0, strict=False, show=True):
    """Check a list of per-epoch costs: finite, falling overall, and where it first rose.

    ``costs[k]`` belongs to epoch ``first_epoch + k`` (epochs count from 0, like the book's
    output). A NaN or infinite value is a problem (training blew up), as is a cost that did not
    fall from the first epoch to the last. With ``strict=True`` every rise is a problem; otherwise
    the first rise is reported as a note (stochastic gradient descent may go up a little).
    """
    validate.text(name, "name")
    first_epoch = validate.whole(first_epoch, "first_epoch", minimum=0)
    strict = validate.boolean(strict, "strict")
    report = Feedback(f"the {name} fell")
    values = _as_numbers(costs, name, report)
    if values is None:
        return finish(report, show)
    if len(values) < 2:
        report.problem(f"{name} has {len(values)} value{'s' if len(values) != 1 else ''}: at least "
                       f"two epochs are needed to see it fall")
        return finish(report, show)
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        k = int(bad[0])
        kind = "NaN" if np.isnan(values[k]) else "infinite"
        report.problem(f"the {name} is {kind} from epoch {first_epoch + k} on: training blew up "
                       f"(is eta too large? a log of 0 or a division by 0?)")
        values = values[:k]
        if len(values) < 2:
            return finish(report, show)
    rises = np.flatnonzero(np.diff(values) > 0) + 1
    if rises.size:
        k = int(rises[0])
        change = (values[k] - values[k - 1]) / max(abs(values[k - 1]), 1e-300)
        text = (f"the {name} rose at epoch {first_epoch + k} (by {change:.1%} from epoch "
                f"{first_epoch + k - 1}); it rose in {rises.size} of {len(values) - 1} epochs")
        if strict:
            report.problem(text)
        else:
            report.note(text)
        tail = 0
        for step in np.diff(values)[::-1]:
            if step <= 0:
                break
            tail += 1
        if tail >= 3:
            report.problem(f"the {name} rose in each of the last {tail} epochs: it is climbing, "
                           f"not settling (eta too large?)")
    first, last = values[0], values[-1]
    change = (last - first) / max(abs(first), 1e-300)
    span = f"from epoch {first_epoch} to epoch {first_epoch + len(values) - 1}"
    if last >= first:
        report.problem(f"the {name} did not fall overall: it is {change:+.1%} {span} (a sign error "
                       f"in the update, or eta far too large?)")
    elif abs(change) < 1e-3:
        report.problem(f"the {name} hardly moved ({change:+.2%} {span}): eta may be too small or "
                       f"the gradient zero")
    else:
        report.note(f"overall it fell by {-change:.1%} {span}")
    return finish(report, show)


def check_gradient_descent(xs, f, *, grad=None, eta=None, minimum=None, tolerance=1e-6,
                           converge=True, show=True):
    """Check a 1-D run of gradient descent ``xs = [x0, x1, ...]`` on the function ``f``.

    With ``grad`` (f') and ``eta`` given, each step must follow x <- x - eta f'(x); the first step
    that does not is reported (moved uphill, did not move, or by what factor it is off). Then the
    run is classified: diverged (NaN/inf, or f ended higher than it started), oscillating (the
    steps alternate in sign), still moving at the end (the last step is larger than
    ``tolerance``), or converged. With ``minimum`` (where f's minimum lies) the end point must be
    within ``max(1e-3, 1000 * tolerance)`` of it.

    ``converge=False`` is for runs that are right even when they do not converge (comparing
    learning rates, say): then only a broken update rule (or a list that is not a run) is a
    problem, and how the run behaved is given as notes.
    """
    validate.function(f, "f", optional=False)
    validate.function(grad, "grad")
    if eta is not None:
        eta = validate.positive(eta, "eta")
    if (grad is None) != (eta is None):
        raise ValueError("grad and eta must be given together (to check the update rule) or not at "
                         f"all; got grad={grad!r}, eta={eta!r}")
    if minimum is not None:
        minimum = validate.number(minimum, "minimum")
    tolerance = validate.positive(tolerance, "tolerance")
    converge = validate.boolean(converge, "converge")
    report = Feedback("gradient descent converged" if converge else
                      "gradient descent follows x <- x - eta f'(x)" if grad is not None else
                      "gradient descent ran")
    flag = report.problem if converge else report.note
    values, diverged = _run_points(xs, report, flag)
    if values is None:
        return finish(report, show)
    steps = np.diff(values)
    if grad is not None:
        _check_update_rule(report, values, steps, grad, eta)
    wild = _check_behaviour(report, flag, f, values, steps, diverged, converge)
    last = abs(float(steps[-1]))
    if not wild and not (converge and report.problems):
        if last > tolerance:
            if converge:
                report.title = "gradient descent is still moving"
            flag(f"the last step still moved x by {last:.2g} (more than the tolerance "
                 f"{tolerance:g}): take more steps or a larger eta")
        else:
            report.note(f"{len(steps)} steps; the last moved x by {last:.1e}")
    if minimum is not None:
        distance = abs(values[-1] - minimum)
        allowed = max(1e-3, 1e3 * tolerance)
        if distance > allowed:
            flag(f"the run ended {distance:.2g} away from the minimum (allowed: {allowed:g})")
    return finish(report, show)


def _run_points(xs, report, flag):
    """The run's points as floats, cut before the first NaN or inf, and whether there was one;
    ``(None, ...)`` when there is no run left to check (reported)."""
    values = _as_numbers(xs, "xs", report)
    if values is None:
        return None, False
    if len(values) < 2:
        report.problem(f"xs has {len(values)} value{'s' if len(values) != 1 else ''}: it should be "
                       "the starting point followed by the point after each step")
        return None, False
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        k = int(bad[0])
        flag(f"x is {'NaN' if np.isnan(values[k]) else 'infinite'} at step {k}: the run diverged "
             f"(eta too large for this f)")
        values = values[:k]
        if len(values) < 2:
            return None, True
    return values, bool(bad.size)


def _check_update_rule(report, values, steps, grad, eta):
    """Report the first step that is not x <- x - eta f'(x), and how it is off. ``grad`` may be
    the student's own derivative: it runs with a time limit, and what it raises is reported."""
    for k, (x, step) in enumerate(zip(values[:-1], steps), start=1):
        call = call_student(grad, (float(x),), "the derivative", time_limit=5.0)
        try:
            expected = -eta * float(call.value) if call.ok else None
        except (TypeError, ValueError):
            expected = None
        if expected is None:
            report.problem(f"at step {k}: " + (call.error or f"the derivative returned a "
                                                               f"{type(call.value).__name__}, not a number"))
            return
        if math.isclose(step, expected, rel_tol=1e-6, abs_tol=1e-12):
            continue
        if step == 0:
            report.problem(f"step {k} did not move x (the update should be x <- x - eta f'(x))")
        elif expected != 0 and math.isclose(step, -expected, rel_tol=1e-6):
            report.problem(f"step {k} moved x uphill: the update should SUBTRACT eta f'(x)")
        elif expected != 0:
            report.problem(f"step {k} is {step / expected:.3g} times the step x <- x - eta f'(x) "
                           "would take")
        else:
            report.problem(f"step {k} moved x although f'(x) is 0 there")
        return


def _check_behaviour(report, flag, f, values, steps, diverged, converge):
    """Report a run whose f rose or whose steps alternate in sign; return whether it ran away."""
    with np.errstate(all="ignore"):
        fs = np.array([float(f(x)) for x in values])
    rose = not np.isfinite(fs).all() or fs[-1] > fs[0]
    if rose:
        k = int(np.flatnonzero(~(np.diff(fs) <= 0))[0]) + 1 if (np.diff(fs) > 0).any() else len(fs) - 1
        if converge:
            report.title = "gradient descent diverged"
        flag(f"f ended higher than it started; it first rose at step {k} (eta too large, "
             "or a step in the wrong direction)")
    alternating = len(steps) >= 3 and np.all(steps[1:] * steps[:-1] < 0)
    growing = len(steps) >= 3 and abs(steps[-1]) > abs(steps[0])
    if alternating and growing:
        flag("x jumps from one side of the minimum to the other with ever larger steps: "
             "eta is too large for this f")
    elif alternating:
        report.note("x overshoots the minimum at every step (the steps alternate in sign): eta is "
                    "large for this f, though the run still closes in")
    return diverged or rose or (alternating and growing)


def check_accuracy(accuracy, threshold, *, total=None, name="accuracy", n_classes=10, show=True):
    """Check that an accuracy reaches ``threshold`` (a fraction in (0, 1]).

    ``accuracy`` is a fraction in [0, 1], or a count of correct answers out of ``total`` (like the
    book's ``evaluate``). An accuracy near chance (1 / ``n_classes``) gets a hint that the network
    is not learning at all.
    """
    threshold = validate.number(threshold, "threshold", low=0, high=1, low_open=True)
    if total is not None:
        total = validate.whole(total, "total", minimum=1)
    n_classes = validate.whole(n_classes, "n_classes", minimum=2)
    validate.text(name, "name")
    report = Feedback(f"{name} reaches {threshold:.1%}")
    if isinstance(accuracy, (bool, np.bool_)) or not isinstance(
            accuracy, (int, float, np.integer, np.floating)):
        report.problem(not_an_array(name, accuracy) if accuracy is None else
                       f"{name} should be a number; got a {type(accuracy).__name__}")
        return finish(report, show)
    if not math.isfinite(accuracy):
        report.problem(f"{name} is {accuracy}: the network's outputs are probably NaN")
        return finish(report, show)
    if total is not None:
        if accuracy < 0 or accuracy > total or accuracy != int(accuracy):
            report.problem(f"{name} should be a count of correct answers between 0 and {total}; "
                           f"got {accuracy:g}")
            return finish(report, show)
        fraction = accuracy / total
    else:
        if accuracy > 1:
            report.problem(f"{name} is {accuracy:g}, more than 1: if it counts correct answers "
                           f"(like the book's evaluate), divide by the number of examples")
            return finish(report, show)
        if accuracy < 0:
            report.problem(f"{name} is {accuracy:g}; an accuracy lies between 0 and 1")
            return finish(report, show)
        fraction = float(accuracy)
    if fraction >= threshold:
        report.title = f"{name} {fraction:.1%} reaches the {threshold:.1%} asked for"
        return finish(report, show)
    short = f"{name} {fraction:.1%} is below the {threshold:.1%} asked for"
    if fraction <= 1.5 / n_classes:
        report.problem(f"{short}; that is about chance ({1 / n_classes:.0%} for {n_classes} classes): "
                       f"the network is not learning (check the gradient, the sign of the update, "
                       f"and that labels match their images)")
    else:
        report.problem(f"{short} ({(threshold - fraction) * 100:.1f} points short): train longer, "
                       f"tune eta, or check the cost")
    return finish(report, show)
