"""Feedback for assignment notebooks: what is wrong in a student's code, and where, without the answer.

Each ``check_*`` function looks at something the student made (an array, a function, a list of
costs, a run of gradient descent, an accuracy), prints a short report and returns it as a
:class:`Feedback`. A report says *what* is wrong and *where* (which layer, which array, which
epoch, which input), how big the error is (a relative error, a factor) and what to look at next.
It never shows the values the right answer would have: only shapes, positions, sizes of errors
and hints. These checks are for learning; grading is done by the grader (see below).

Wrong student code never raises here: an exception inside the student's function, a wrong shape,
``None`` or NaN all become lines of the report. Only a mistake in *calling* a check (for example a
``threshold`` that is not a number, or a reference function that itself fails) raises a
``ValueError``/``TypeError`` naming the parameter.

The functions:

``check_shape(name, got, expected_shape, hint="")``
    "nabla_w[1] has shape (30, 10) but should be (10, 30): it is transposed. ..."
``check_function(f, reference, inputs, name=None, rtol=1e-7, atol=1e-10)``
    calls ``f`` and ``reference`` on each input; reports the first input where they differ
    (shape, NaN, complex or text results; for arrays a flipped sign, a factor of 2, the relative
    error and where the largest difference is; for a single number only that it is wrong).
``check_derivative(df, f, points)``
    a derivative against the slope of ``f`` measured numerically.
``check_output_error``, ``check_backward_error``, ``check_gradients``
    the parts of backpropagation (BP1, BP2, BP3 and BP4) against finite differences, naming the
    usual slips (a missing sigma'(z) or grad_a C, w where its transpose belongs, a factor of m).
``check_backprop(backprop, sizes=..., costs=None, activation="sigmoid", m=6, seed=0,
reduction="mean", tolerance=1e-5)``
    checks ``backprop(weights, biases, x, y, activation, cost) -> (nabla_b, nabla_w)`` (or the
    four-argument ``backprop(weights, biases, x, y)`` for sigmoid neurons and the quadratic cost)
    against finite differences on small random networks; names the layer and array (w or b) that
    disagrees and says by how much, and where in the backward pass to look.
``check_decreasing(costs, name="cost", first_epoch=0, strict=False)``
    NaN/inf, the first epoch where the cost rose, and whether it fell overall.
``check_gradient_descent(xs, f, grad=None, eta=None, minimum=None, tolerance=1e-6, converge=True)``
    for a 1-D run ``xs = [x0, x1, ...]`` minimising ``f``: whether each step follows
    x <- x - eta f'(x), and whether the run converged, crawled, oscillated or diverged
    (with ``converge=False`` the latter are notes, not problems).
``check_accuracy(accuracy, threshold, total=None, name="accuracy", n_classes=10)``
    a fraction (or a count out of ``total``, like the book's ``evaluate``) against a target.

Every check takes ``show=True``: print the report (in a notebook the returned object then does not
print it a second time). ``Feedback.ok`` is True when nothing is wrong; ``Feedback.problems``
lists what is. A student's function runs first, on its own copy of each input, with a time limit;
``sys.exit``, prints and arguments changed in place are reported, not obeyed.

These checks run inside the student's notebook, so they can be fooled there. Grading is done by
the grader (``assignments/nndl_grading``, never on a student's disk): a hidden test calls
``probe``, which hands the student's results to the grader, and the grader compares them, outside
the notebook, with what it computes itself. ``challenges`` draws the inputs of those tests,
``encode`` carries the results, ``tools`` notices a notebook that replaced the tools the checks
use, and ``course_split`` draws an assignment's training and validation images with the course's
seed.

One module per concern: ``report`` (the :class:`Feedback` object), ``shapes``, ``calls`` (running a
student's function), ``functions``, ``backprop``, ``parts``, ``training`` (costs, gradient descent
runs, accuracies), ``challenges``, ``encode``, ``probe``, ``tools`` and ``course``. This package
only gathers their public names.

Used by: the assignment notebooks in ``assignments/``, the grader, and ``tests/test_feedback.py``.
"""

from . import tools
from .backprop import check_backprop
from .course import course_split
from .functions import check_derivative, check_function
from .parts import check_backward_error, check_gradients, check_output_error
from .probe import probe
from .report import Feedback
from .shapes import check_shape
from .training import check_accuracy, check_decreasing, check_gradient_descent

__all__ = [
    "Feedback",
    "check_shape",
    "check_function",
    "check_derivative",
    "check_backprop",
    "check_output_error",
    "check_backward_error",
    "check_gradients",
    "check_decreasing",
    "check_gradient_descent",
    "check_accuracy",
    "course_split",
    "probe",
]

# what the checks rely on, as it is before any student's code runs (the notebook's first cell
# imports this package)
tools.snapshot()
