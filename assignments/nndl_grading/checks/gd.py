"""The grader's checks of ``01-gradient-descent``: the derivative, gradient descent, the runs and
the answers, each compared with what follows from the course's function.

Used by: ``verdicts`` (through ``checks.find``).
"""

from __future__ import annotations

import numpy as np

from nbhelpers.feedback import challenges
from nbhelpers.feedback.training import check_gradient_descent

from . import Feedback, describe, is_number

__all__ = ["df", "gradient_descent", "runs", "answers"]


def _exact_slope(params, x):
    """f'(x) of the course's function, and the size of its terms (the scale of rounding)."""
    B, C, E = params["B"], params["C"], params["E"]
    value = x**3 + 3 * B * x**2 + 2 * C * x + E
    scale = abs(x) ** 3 + abs(3 * B) * abs(x) ** 2 + abs(2 * C * x) + abs(E)
    return value, scale


def _close(got, want, scale, rtol=1e-12):
    return abs(got - want) <= rtol * scale + 1e-300


def _number(value):
    return isinstance(value, (int, float, complex, np.number)) and not isinstance(value, bool)


def df(results, ctx):
    report = Feedback("df is exactly f' at every point tried, numbers and an array")
    points = challenges.derivative_points(ctx.seed)
    outcomes = results.get("points") or []
    wrong, inexact = [], []
    for x, outcome in zip(points, outcomes):
        if outcome.get("error"):
            report.problem(f"at x = {x}: {outcome['error']}")
            return report
        value = outcome.get("value")
        if isinstance(value, np.ndarray) and value.size == 1:
            value = value.reshape(()).item()
        if not _number(value):
            report.problem(f"df({x}) returned {describe(value)}, not a number")
            return report
        want, scale = _exact_slope(ctx.params, x)
        if not _close(value, want, scale):
            (inexact if abs(value - want) <= 1e-5 * scale else wrong).append(x)
    if len(outcomes) != len(points):
        report.problem("the test's results are incomplete")
    if wrong:
        more = f" (and {len(wrong) - 1} more points)" if len(wrong) > 1 else ""
        report.problem(f"df is wrong at x = {wrong[0]}{more}")
    elif inexact:
        report.problem(f"df is close to f' but not exact at x = {inexact[0]}: differentiate f term by "
                       "term; a slope measured numerically loses digits at large x, and a complex-step "
                       "slope is wrong at complex x (the grader tries both)")
    array = results.get("array") or {}
    real = np.array([p for p in points if isinstance(p, float)])
    if not report.problems:
        if array.get("error"):
            report.problem(f"on an array of points: {array['error']}")
        else:
            value = array.get("value")
            want, scale = _exact_slope(ctx.params, real)
            if not isinstance(value, np.ndarray) or value.shape != real.shape:
                report.problem(f"on an array of {real.size} points df returned {describe(value)}; it "
                               f"should return an array of {real.size} slopes")
            elif not np.all(np.abs(value - want) <= 1e-12 * scale):
                report.problem("df is right on single numbers but wrong on an array of them")
    return report


def _expected_run(a, c, x0, eta, steps):
    grad = challenges.descent_gradient(a, c)
    xs = [x0]
    for _ in range(steps):
        xs.append(xs[-1] - eta * grad(xs[-1]))
    return np.array(xs), grad


def gradient_descent(results, ctx):
    report = Feedback("gradient_descent follows x <- x - eta grad(x) for other functions, rates, starts "
                      "and numbers of steps")
    cases = challenges.descent_cases(ctx.seed)
    for (a, c, x0, eta, steps), outcome in zip(cases, results or []):
        call = f"gradient_descent(grad, {x0:g}, {eta:g}, {steps})"
        if outcome.get("error"):
            report.problem(f"{call}: {outcome['error']}")
            return report
        got = outcome.get("value")
        want, grad = _expected_run(a, c, x0, eta, steps)
        if not isinstance(got, np.ndarray):
            report.problem(f"{call} returned {describe(got)}; it should return a NumPy array")
            return report
        if got.shape != want.shape:
            report.problem(f"{call} returned an array of shape {got.shape}; it should hold x0 and the "
                           f"point after each of the {steps} steps, shape {want.shape}")
            return report
        if not np.allclose(got, want, rtol=1e-10, atol=1e-12):
            if not np.isclose(got[0], x0):
                report.problem(f"{call}: the first point should be x0")
                return report
            def f(x, a=a, c=c):
                return a * (x - c) ** 2 / 2 + np.sin(x)

            rule = check_gradient_descent(got, f, grad=grad, eta=eta, converge=False, show=False)
            broken = [p for p in rule.problems + rule.notes if p.startswith("step")]
            report.problem(f"{call}: " + (broken[0] if broken else "the points do not follow the rule"))
            return report
    if len(results or []) != len(cases):
        report.problem("the test's results are incomplete")
    return report


def _as_run(values):
    try:
        run = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        return None
    return run if run.ndim == 1 else None


def _follows(run, eta, slopes):
    """Whether each step of ``run`` is x <- x - eta df(x) with the student's own df."""
    values = []
    for outcome in slopes or []:
        value = outcome.get("value")
        if outcome.get("error") or not is_number(value):
            return False
        values.append(float(value))
    if len(values) != len(run) - 1:
        return False
    return bool(np.allclose(run[1:], run[:-1] - eta * np.array(values), rtol=1e-9, atol=1e-12))


def runs(results, ctx):
    p = ctx.params
    etas, x0, steps = p["etas"], p["x0"], p["steps"]
    report = Feedback(f"runs holds a run of {steps} steps from X0 for each rate, made with your "
                      "derivative")
    for name, value, want in (("X0", results.get("x0"), x0), ("STEPS", results.get("steps"), steps)):
        if not (is_number(value) and float(value) == want):
            report.problem(f"{name} is not the number the setup cell gives it: the notebook changed it")
    given = results.get("etas")
    if not (isinstance(given, (list, tuple)) and [float(e) for e in given if is_number(e)] == list(etas)):
        report.problem("ETAS is not what the setup cell gives: the notebook changed it")
    table = results.get("runs")
    if not isinstance(table, dict):
        report.problem(f"runs should be a dictionary keyed by the rates; it is {describe(table)}")
        return report
    if report.problems:
        return report
    keys = sorted(float(k) for k in table if is_number(k))
    if keys != sorted(etas) or len(table) != len(etas):
        report.problem(f"runs should have exactly the keys {tuple(etas)}; it has {len(table)} keys"
                       + ("" if keys == [] else f", among them {tuple(keys)}"))
        return report
    for eta in etas:
        key = next(k for k in table if is_number(k) and float(k) == eta)
        run = _as_run(table[key])
        if run is None or run.shape != (steps + 1,):
            report.problem(f"runs[{eta:g}] should be {steps + 1} numbers (X0 and the point after each "
                           f"step); it is {describe(table[key])}")
            continue
        if run[0] != x0:
            report.problem(f"runs[{eta:g}] should start at X0")
            continue
        own = (results.get("own") or {}).get(key) or {}
        same_as_own = isinstance(own.get("value"), np.ndarray) and own["value"].shape == run.shape \
            and np.allclose(own["value"], run, rtol=1e-12, atol=0, equal_nan=True)
        if not (same_as_own or _follows(run, eta, (results.get("slopes") or {}).get(key))):
            report.problem(f"runs[{eta:g}] is neither gradient_descent(df, X0, {eta:g}, STEPS) nor a run "
                           "whose every step is x <- x - eta df(x)")
    return report


def answers(results, ctx):
    p = ctx.params
    report = Feedback("local_minimum and best_eta are right")
    minimum, best = results.get("local_minimum"), results.get("best_eta")
    if not is_number(minimum):
        report.problem(f"local_minimum should be a number; it is {describe(minimum)}")
    elif abs(float(minimum) - p["roots"][0]) >= 1e-4:
        report.problem("local_minimum is not where gradient descent from X0 ends (to four decimal places)")
    needed = p["needed"]
    fastest = min(needed, key=needed.get)
    if not is_number(best) or float(best) not in p["etas"]:
        report.problem(f"best_eta should be one of {tuple(p['etas'])}; it is {describe(best)}")
    elif float(best) != fastest:
        report.problem("best_eta is not the rate that gets to the minimum in the fewest steps")
    return report
