"""Feedback on a function: ``check_function`` compares a student's function with a reference.

A difference is described by its kind (an exception, a shape, NaN, a flipped sign, a constant
factor) or by its relative error and position, never by the reference's values.

Used by: the assignment notebooks in ``assignments/`` (through ``nbhelpers.feedback``).
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

__all__ = ["check_function"]


def _where(index, shape):
    if len(shape) == 0:
        return ""
    return f" (largest difference at index {tuple(int(i) for i in index)})"


def _value_problem(name, got, want, rtol, atol):
    """A sentence saying how the array ``got`` differs from ``want`` (same shape), or None.

    Only sizes of errors, factors and positions are reported, never ``want``'s values.
    """
    got = np.asarray(got, dtype=float)
    want = np.asarray(want, dtype=float)
    bad = ~np.isfinite(got) & np.isfinite(want)
    if bad.any():
        index = np.unravel_index(int(np.flatnonzero(bad)[0]), got.shape) if got.ndim else ()
        kind = "NaN" if np.isnan(got[index]) else "infinite"
        where = f" at index {tuple(int(i) for i in index)}" if got.ndim else ""
        return f"{name} is {kind}{where} (an overflow, a division by zero or log of 0?)"
    if np.allclose(got, want, rtol=rtol, atol=atol, equal_nan=True):
        return None
    diff = np.abs(got - want)
    diff = np.where(np.isfinite(diff), diff, 0.0)
    index = np.unravel_index(int(np.argmax(diff)), got.shape) if got.ndim else ()
    error = norm_relative_error(got, want)
    where = _where(index, got.shape)
    g, w = got.ravel(), want.ravel()
    gw, ww, gg = float(g @ w), float(w @ w), float(g @ g)
    if ww > 0 and gg > 0:
        cosine = gw / math.sqrt(ww * gg)
        if cosine < -1 + 1e-6:
            return f"{name} has the wrong sign: it is the right size but points the opposite way"
        if cosine > 1 - 1e-6 and abs(gw / ww - 1) > 0.01:
            return (f"{name} is {gw / ww:.3g} times what it should be (right direction, wrong "
                    f"size; relative error {error:.1e})")
    if gg == 0:
        return f"{name} is all zeros, which is not right here"
    return f"{name} is wrong: relative error {error:.1e}{where}"


def _describe_input(args):
    parts = []
    for arg in args:
        if isinstance(arg, np.ndarray):
            parts.append(f"an array of shape {arg.shape}")
        elif isinstance(arg, (int, float, np.integer, np.floating)) and not isinstance(arg, bool):
            parts.append(f"{arg:g}")
        else:
            parts.append(f"a {type(arg).__name__}")
    return ", ".join(parts)


def _compare_results(name, got, want, rtol, atol):
    """Problems (a list of sentences) comparing a result with the reference's result."""
    if isinstance(want, (tuple, list)):
        if not isinstance(got, (tuple, list)) or len(got) != len(want):
            what = "None" if got is None else (f"{len(got)} values" if isinstance(got, (tuple, list))
                                              else f"a {type(got).__name__}")
            return [f"{name} should return {len(want)} values; it returned {what}"]
        problems = []
        for i, (g, w) in enumerate(zip(got, want)):
            problems += _compare_results(f"{name}[{i}]", g, w, rtol, atol)
        return problems
    wrong_shape = shape_problem(name, got, tuple(np.shape(want)))
    if wrong_shape:
        return [wrong_shape]
    value_problem = _value_problem(name, got, want, rtol, atol)
    return [value_problem] if value_problem else []


def check_function(f, reference, inputs, *, name=None, rtol=1e-7, atol=1e-10, show=True):
    """Compare the student's ``f`` with a hidden ``reference`` on each of ``inputs``.

    ``inputs`` is a list; a tuple in it is unpacked as the arguments, anything else is the one
    argument. Both functions get their own copies. The reference may return a number, an array, or
    a tuple/list of them. The report gives the first input where ``f`` differs (and how many
    differ): an exception (with the line it came from), a wrong shape, NaN, a flipped sign, a
    constant factor, or the relative error and the index of the largest difference. It never
    prints the reference's values. ``name`` defaults to ``f.__name__``.
    """
    validate.function(f, "f", optional=False)
    validate.function(reference, "reference", optional=False)
    if isinstance(inputs, (str, bytes)) or not hasattr(inputs, "__iter__"):
        validate.fail("inputs", "a list of inputs (a tuple in it is unpacked as arguments)", inputs)
    inputs = list(inputs)
    if not inputs:
        validate.fail("inputs", "a non-empty list of inputs", inputs)
    rtol = validate.number(rtol, "rtol", low=0)
    atol = validate.number(atol, "atol", low=0)
    name = name if name is not None else getattr(f, "__name__", "f")
    validate.text(name, "name")
    report = Feedback(f"{name} agrees with the reference on {len(inputs)} input"
                      f"{'s' if len(inputs) > 1 else ''}")
    failures = []
    for number, item in enumerate(inputs, start=1):
        args = item if isinstance(item, tuple) else (item,)
        try:
            want = reference(*copy.deepcopy(args))
        except Exception as exc:
            raise ValueError(f"reference failed on input {number}: {exc!r}; check the inputs") from exc
        got, error = call_student(f, copy.deepcopy(args), name)
        problems = [error] if error else _compare_results(name, got, want, rtol, atol)
        if problems:
            failures.append((number, args, problems))
    if failures:
        number, args, problems = failures[0]
        report.title = f"{name} differs from the reference on {len(failures)} of {len(inputs)} inputs"
        for problem in problems:
            report.problem(f"input {number} ({_describe_input(args)}): {problem}")
        if len(failures) > 1:
            report.note("also differs on inputs " + ", ".join(str(n) for n, _, _ in failures[1:]))
    return finish(report, show)
