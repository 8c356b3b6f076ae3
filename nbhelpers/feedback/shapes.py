"""Feedback on shapes: ``check_shape``, and the sentences that say how a shape is wrong.

``shape_problem`` recognises the usual slips (a transposed matrix, a 1-D array where a column was
wanted, a missing ``return``, a Python list instead of an array); the function, backprop and
accuracy checks reuse it.

Used by: the assignment notebooks in ``assignments/`` (through ``nbhelpers.feedback``).
"""

from __future__ import annotations

import math

import numpy as np

from .. import validate
from .report import Feedback, finish

__all__ = ["check_shape", "shape_problem", "not_an_array"]


def _expected_shape(expected_shape, parameter="expected_shape"):
    allowed = "a tuple of whole numbers >= 0 (None for an axis of any size)"
    try:
        items = tuple(expected_shape)
    except TypeError:
        validate.fail(parameter, allowed, expected_shape)
    for d in items:
        if d is not None and (isinstance(d, (bool, np.bool_)) or not isinstance(d, (int, np.integer))
                              or d < 0):
            validate.fail(parameter, allowed, expected_shape)
    return tuple(None if d is None else int(d) for d in items)


def _fmt_shape(shape):
    return "(" + ", ".join("any" if d is None else str(d) for d in shape) + (",)" if len(shape) == 1
                                                                               else ")")


def _fits(shape, expected):
    return len(shape) == len(expected) and all(e is None or s == e for s, e in zip(shape, expected))


def not_an_array(name, got):
    """A sentence when ``got`` is not a NumPy array (or number), else None."""
    if got is None:
        return f"{name} is None: did the function forget to `return` it?"
    if isinstance(got, (list, tuple)):
        return (f"{name} is a Python {type(got).__name__}, not a NumPy array: build it with "
                f"np.array(...) or NumPy operations")
    if not isinstance(got, (np.ndarray, np.generic, int, float)) or isinstance(got, bool):
        return f"{name} is a {type(got).__name__}, not a NumPy array"
    return None


def shape_problem(name, got, expected, hint=""):
    """A sentence saying how ``got``'s shape differs from ``expected``, or None if it fits."""
    wrong = not_an_array(name, got)
    if wrong:
        return wrong
    shape = tuple(np.shape(got))
    if _fits(shape, expected):
        return None
    start = f"{name} has shape {_fmt_shape(shape)} but should be {_fmt_shape(expected)}"
    known = None not in expected
    if len(shape) == 2 and len(expected) == 2 and _fits(shape[::-1], expected):
        why = "it is transposed (rows and columns swapped)"
    elif len(shape) == 1 and len(expected) == 2 and expected[1] == 1 and _fits(shape + (1,), expected):
        why = ("it is 1-D; keep it a column with keepdims=True (e.g. np.sum(..., axis=1, "
               "keepdims=True)) or .reshape(-1, 1)")
    elif len(expected) == 1 and len(shape) == 2 and 1 in shape and _fits((max(shape),), expected):
        why = "it is 2-D; flatten it with .ravel()"
    elif len(shape) != len(expected):
        why = f"it has {len(shape)} dimension{'s' if len(shape) != 1 else ''} instead of {len(expected)}"
    elif known and math.prod(shape) == math.prod(expected):
        why = "it has the right number of entries, arranged the wrong way"
    else:
        axes = [i for i, (s, e) in enumerate(zip(shape, expected)) if e is not None and s != e]
        why = "; ".join(f"axis {i} has size {shape[i]} instead of {expected[i]}" for i in axes)
    return f"{start}: {why}" + (f". {hint}" if hint else "")


def check_shape(name, got, expected_shape, *, hint="", show=True):
    """Check that the array ``got`` (called ``name`` in the report) has ``expected_shape``.

    ``expected_shape`` is a tuple; ``None`` in it accepts any size on that axis. ``hint`` is
    added to the message when the shape is wrong (e.g. "w^l is (n_out, n_in)"). The report names
    the axis that differs and recognises a transposed matrix, a 1-D array where a column was
    wanted, and a result that is ``None`` or a Python list.
    """
    validate.text(name, "name", "a string naming the array, e.g. 'nabla_w[1]'")
    expected = _expected_shape(expected_shape)
    validate.text(hint, "hint")
    report = Feedback(f"{name} has shape {_fmt_shape(expected)}")
    problem = shape_problem(name, got, expected, hint)
    if problem:
        report.title = f"shape of {name}"
        report.problem(problem)
    return finish(report, show)
