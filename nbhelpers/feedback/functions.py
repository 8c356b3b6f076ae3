"""Feedback on a function: ``check_function`` compares a student's function with a reference, and
``check_derivative`` a derivative with the slope of the function measured numerically.

A difference is described by its kind (an exception, a shape, NaN, complex or text results) and,
for arrays, by its relative error, its position, a flipped sign or a factor of 2; never by the
reference's values. A single number that is wrong is only called wrong: its relative error or the
factor it is off by would give the right number away.

The student's function runs first (``call_student``: time limit, ``sys.exit`` and prints
reported, arguments it changes named), on its own copy of each input; the reference runs only
afterwards.

Used by: the assignment notebooks in ``assignments/`` (through ``nbhelpers.feedback``) and the
grader's checks.
"""

from __future__ import annotations

import copy
import math

import numpy as np

from .. import validate
from ..gradcheck import norm_relative_error
from .calls import call_student
from .report import Feedback, finish
from .shapes import shape_problem

__all__ = ["check_function", "check_derivative", "value_problem", "result_problems", "slope"]


def _kind_problem(name, got, want):
    """A sentence when ``got`` holds something other than real numbers where ``want`` does."""
    array = np.asarray(got)
    if array.dtype.kind in "USa":
        return f"{name} holds text, not numbers"
    if array.dtype.kind == "O":
        return f"{name} holds Python objects, not numbers (a list of arrays? None?)"
    if array.dtype.kind == "c" and np.asarray(want).dtype.kind != "c" and np.any(array.imag != 0):
        return f"{name} holds complex numbers; the result should be real"
    if array.dtype.kind not in "biufc":
        return f"{name} does not hold numbers (its type is {array.dtype})"
    return None


def value_problem(name, got, want, rtol, atol):
    """A sentence saying how ``got`` differs from ``want`` (the same shape), or None.

    Only sizes of errors, a sign, a factor of 2 and positions are reported, never ``want``'s
    values; for a single number, not even those.
    """
    wrong_kind = _kind_problem(name, got, want)
    if wrong_kind:
        return wrong_kind
    complex_result = np.asarray(want).dtype.kind == "c"
    got = np.asarray(got)
    got = got.astype(complex) if complex_result else np.real(got).astype(float)
    want = np.asarray(want, dtype=complex if complex_result else float)
    bad = ~np.isfinite(got) & np.isfinite(want)
    if bad.any():
        index = np.unravel_index(int(np.flatnonzero(bad)[0]), got.shape) if got.ndim else ()
        kind = "NaN" if np.isnan(got[index]) else "infinite"
        where = f" at index {tuple(int(i) for i in index)}" if got.size > 1 else ""
        return f"{name} is {kind}{where} (an overflow, a division by zero or log of 0?)"
    if np.allclose(got, want, rtol=rtol, atol=atol, equal_nan=True):
        return None
    if got.size == 1:
        return f"{name} is wrong"
    if not np.any(got):
        return f"{name} is all zeros, which is not right here"
    diff = np.abs(got - want)
    diff = np.where(np.isfinite(diff), diff, 0.0)
    index = tuple(int(i) for i in np.unravel_index(int(np.argmax(diff)), got.shape))
    size = np.abs if complex_result else np.asarray
    error = norm_relative_error(size(got), size(want))
    if not complex_result:
        g, w = got.ravel(), want.ravel()
        gw, ww, gg = float(g @ w), float(w @ w), float(g @ g)
        cosine = gw / math.sqrt(ww * gg) if ww > 0 and gg > 0 else 0.0
        scale = gw / ww if ww > 0 else 0.0
        if cosine < -1 + 1e-9 and abs(scale + 1) < 1e-3:
            return f"{name} has the wrong sign: the right size, but every entry points the other way"
        if cosine < -1 + 1e-9:
            return f"{name} points the opposite way (and is not the right size either)"
        if cosine > 1 - 1e-9 and abs(scale - 2) < 2e-3:
            return f"{name} is twice what it should be (right direction; a factor of 2 too many?)"
        if cosine > 1 - 1e-9 and abs(scale - 0.5) < 1e-3:
            return f"{name} is half what it should be (right direction; a factor of 2 missing?)"
        if cosine > 1 - 1e-9 and abs(scale - 1) > 0.01:
            return f"{name} points the right way but has the wrong size (relative error {error:.1e})"
    return f"{name} is wrong: relative error {error:.1e} (largest difference at index {index})"


def result_problems(name, got, want, rtol, atol):
    """Problems (a list of sentences) comparing a result with the reference's result ``want``."""
    if isinstance(want, (tuple, list)):
        if not isinstance(got, (tuple, list)) or len(got) != len(want):
            what = "None" if got is None else (f"{len(got)} values" if isinstance(got, (tuple, list))
                                              else f"a {type(got).__name__}")
            return [f"{name} should return {len(want)} values; it returned {what}"]
        problems = []
        for i, (g, w) in enumerate(zip(got, want)):
            problems += result_problems(f"{name}[{i}]", g, w, rtol, atol)
        return problems
    if isinstance(got, (str, bytes)):
        return [f"{name} is text, not a number"]
    if isinstance(got, (complex, np.complexfloating)):
        got = np.asarray(got)
    wrong_shape = shape_problem(name, got, tuple(np.shape(want)))
    if wrong_shape:
        return [wrong_shape]
    problem = value_problem(name, got, want, rtol, atol)
    return [problem] if problem else []


def _describe_input(args):
    parts = []
    for arg in args:
        if isinstance(arg, np.ndarray):
            parts.append(f"an array of shape {arg.shape}")
        elif isinstance(arg, (int, float, complex, np.integer, np.floating)) and not isinstance(arg, bool):
            parts.append(f"{arg:g}")
        else:
            parts.append(f"a {type(arg).__name__}")
    return ", ".join(parts)


def _inputs_list(inputs):
    if isinstance(inputs, (str, bytes)) or not hasattr(inputs, "__iter__"):
        validate.fail("inputs", "a list of inputs (a tuple in it is unpacked as arguments)", inputs)
    inputs = [item if isinstance(item, tuple) else (item,) for item in inputs]
    if not inputs:
        validate.fail("inputs", "a non-empty list of inputs", inputs)
    return inputs


def _compare(name, calls, reference, inputs, rtol, atol):
    """Failures [(input number, args, problems)] and notes, once the student's calls are done."""
    failures, notes = [], []
    for number, (args, call) in enumerate(zip(inputs, calls), start=1):
        try:
            want = reference(*copy.deepcopy(args))
        except Exception as exc:
            raise ValueError(f"reference failed on input {number}: {exc!r}; check the inputs") from exc
        problems = [call.error] if call.error else result_problems(name, call.value, want, rtol, atol)
        if problems:
            failures.append((number, args, problems))
        for note in call.notes(name):
            if note not in notes:
                notes.append(note)
    return failures, notes


def _report(report, name, failures, notes, calls, count, what="the reference"):
    if failures:
        number, args, problems = failures[0]
        report.title = f"{name} differs from {what} on {len(failures)} of {count} inputs"
        for problem in problems:
            report.problem(f"input {number} ({_describe_input(args)}): {problem}")
        if len(failures) > 1:
            report.note("also differs on inputs " + ", ".join(str(n) for n, _, _ in failures[1:]))
    for note in notes:
        report.note(note)
    printed = next((c.printed for c in calls if c.printed), "")
    if printed:
        lines = [line[:100] + (" ..." if len(line) > 100 else "")
                 for line in printed.rstrip("\n").splitlines()]
        report.note(f"{name} printed: " + " | ".join(lines[:4]) + (" | ..." if len(lines) > 4 else ""))
    return report


def check_function(f, reference, inputs, *, name=None, rtol=1e-7, atol=1e-10, time_limit=10.0,
                   show=True):
    """Compare the student's ``f`` with a hidden ``reference`` on each of ``inputs``.

    ``inputs`` is a list; a tuple in it is unpacked as the arguments, anything else is the one
    argument. Both functions get their own copies; ``f`` runs first, with ``time_limit`` seconds per
    input. The reference may return a number, an array, or a tuple/list of them. The report gives
    the first input where ``f`` differs (and how many differ): an exception (with the line it came
    from), a wrong shape, NaN, complex or text results, and for arrays a flipped sign, a factor of
    2, or the relative error and the index of the largest difference. It never prints the
    reference's values. ``name`` defaults to ``f.__name__``.
    """
    validate.function(f, "f", optional=False)
    validate.function(reference, "reference", optional=False)
    inputs = _inputs_list(inputs)
    rtol = validate.number(rtol, "rtol", low=0)
    atol = validate.number(atol, "atol", low=0)
    time_limit = validate.positive(time_limit, "time_limit")
    name = name if name is not None else getattr(f, "__name__", "f")
    validate.text(name, "name")
    calls = [call_student(f, copy.deepcopy(args), name, time_limit=time_limit) for args in inputs]
    failures, notes = _compare(name, calls, reference, inputs, rtol, atol)
    report = Feedback(f"{name} agrees with the reference on {len(inputs)} input"
                      f"{'s' if len(inputs) > 1 else ''}")
    return finish(_report(report, name, failures, notes, calls, len(inputs)), show)


def slope(f, x):
    """f'(x) measured from ``f`` alone by central differences with one Richardson step (exact for
    polynomials up to degree 4, up to rounding); ``x`` a number or an array."""
    x = np.asarray(x, dtype=float)
    h = 1e-3 * np.maximum(1.0, np.abs(x))

    def central(step):
        return (f(x + step) - f(x - step)) / (2 * step)

    return (4 * central(h / 2) - central(h)) / 3


def check_derivative(df, f, points, *, name=None, rtol=1e-6, atol=1e-9, show=True):
    """Check ``df`` against the slope of ``f`` measured numerically at each of ``points`` (numbers),
    and at all of them at once as a NumPy array. The report says where ``df`` differs, never the
    slope there."""
    validate.function(df, "df", optional=False)
    validate.function(f, "f", optional=False)
    points = [validate.number(p, "points") for p in points]
    if not points:
        validate.fail("points", "a non-empty list of numbers", points)
    name = name if name is not None else getattr(df, "__name__", "df")
    inputs = [(p,) for p in points] + [(np.array(points),)]
    calls = [call_student(df, copy.deepcopy(args), name) for args in inputs]
    failures, notes = _compare(name, calls, lambda x: slope(f, x), inputs, rtol, atol)
    report = Feedback(f"{name} agrees with the slope of f at {len(points)} points and on an array "
                      "of them")
    return finish(_report(report, name, failures, notes, calls, len(inputs), "the slope of f"), show)
