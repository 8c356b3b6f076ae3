"""The grader's side of the hidden tests: what a student's results should be, and whether they are.

Each hidden test of an assignment calls ``feedback.probe("module/test", ...)`` in the notebook; the
grader (``verdicts``) decodes what the probe sent and calls the function ``test`` of the module
``module`` here (``gd`` for 01-gradient-descent, ``bp`` for 02-backpropagation, ``nets`` for
03-fashion-mnist and 04-exploration) with it and a :class:`Context`. The function works out on its
own, from the course's numbers, what the results should be (exact derivatives, runs of gradient
descent, finite differences, networks trained again from the same seed on the same images) and
returns a ``Feedback`` report: the test earns its points when the report has no problems.

Nothing here is ever on a student's disk or in reach of a student's code (``make student-tree``
leaves the grader out; the sandbox does not show it).
"""

from __future__ import annotations

import importlib
import math

import numpy as np

from nbhelpers.feedback.report import Feedback

__all__ = ["Context", "find", "Feedback", "is_number", "describe"]


class Context:
    """What a check needs besides the results: the assignment, the course's numbers
    (``params``), the seed of the test's inputs, and a cache shared by every hand-in graded in the
    same run (networks trained again, data loaded)."""

    cache: dict = {}

    def __init__(self, assignment, params, seed, log=None):
        self.assignment, self.params, self.seed, self.log = assignment, params, seed, log


def find(test):
    """The check function for the probe ``test`` ("module/test"), or None."""
    module, _, name = test.partition("/")
    if module not in ("gd", "bp", "nets"):
        return None
    return getattr(importlib.import_module(f"{__name__}.{module}"), name.replace("/", "_"), None)


def is_number(value):
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool) \
        and math.isfinite(float(value))


def describe(value):
    """A few words for what a student's value is, never its value."""
    if value is None:
        return "None"
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    if isinstance(value, (list, tuple, dict)):
        return f"a {type(value).__name__} of {len(value)} entries"
    return f"a {type(value).__name__}" if not hasattr(value, "type") else f"a {value.type}"
