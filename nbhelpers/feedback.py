"""Feedback for assignment notebooks: what is wrong in a student's code, and where, without the answer.

Each ``check_*`` function looks at something the student made (an array, a function, a list of
costs, a run of gradient descent, an accuracy), prints a short report and returns it as a
:class:`Feedback`. A report says *what* is wrong and *where* (which layer, which array, which
epoch, which input), how big the error is (a relative error, a factor) and what to look at next.
It never shows the values the right answer would have: only shapes, positions, sizes of errors
and hints. Grading is done elsewhere (by hidden tests); these checks are for learning.

Wrong student code never raises here: an exception inside the student's function, a wrong shape,
``None`` or NaN all become lines of the report. Only a mistake in *calling* a check (for example a
``threshold`` that is not a number, or a reference function that itself fails) raises a
``ValueError``/``TypeError`` naming the parameter.

The functions:

``check_shape(name, got, expected_shape, hint="")``
    "nabla_w[1] has shape (30, 10) but should be (10, 30): it is transposed. ..."
``check_function(f, reference, inputs, name=None, rtol=1e-7, atol=1e-10)``
    calls ``f`` and ``reference`` on each input; reports the first input where they differ
    (shape, NaN, sign, a constant factor, the relative error and where the largest difference is).
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
lists what is.

Used by: the assignment notebooks in ``assignments/`` (and ``tests/test_feedback.py``).
"""

from __future__ import annotations

import copy
import inspect
import math
import os
import traceback

import numpy as np

from . import validate
from .activations import get_activation
from .costs import get_cost
from .gradcheck import norm_relative_error, numerical_gradient

__all__ = [
    "Feedback",
    "check_shape",
    "check_function",
    "check_backprop",
    "check_decreasing",
    "check_gradient_descent",
    "check_accuracy",
]


class Feedback:
    """A report: a title, what is wrong (``problems``) and what else is worth knowing (``notes``).

    ``ok`` is True when there are no problems. ``str(report)`` (and ``report.text``) is the
    printed form: a first line starting with "✓" or "✗", then one indented line per problem and
    per note.
    """

    def __init__(self, title):
        self.title = title
        self.problems: list[str] = []
        self.notes: list[str] = []
        self._shown = False

    @property
    def ok(self):
        return not self.problems

    def problem(self, text):
        self.problems.append(text)
        return self

    def note(self, text):
        self.notes.append(text)
        return self

    @property
    def text(self):
        if self.ok:
            head = f"✓ {self.title}"
        else:
            count = len(self.problems)
            head = f"✗ {self.title}: {count} problem{'s' if count > 1 else ''}"
        lines = [head] + [f"  ✗ {p}" for p in self.problems] + [f"  · {n}" for n in self.notes]
        return "\n".join(lines)

    def show(self):
        """Print the report (once more, if it was printed already) and return it."""
        print(self.text)
        self._shown = True
        return self

    def __str__(self):
        return self.text

    def __repr__(self):
        return self.text

    def _ipython_display_(self):
        # A check prints its report as it runs; as a cell's last expression it is not repeated.
        if not self._shown:
            self.show()


def _finish(report, show):
    validate.boolean(show, "show")
    if show:
        report.show()
    return report


# ------------------------------------------------------------------ shapes


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


def _not_an_array(name, got):
    """A sentence when ``got`` is not a NumPy array (or number), else None."""
    if got is None:
        return f"{name} is None: did the function forget to `return` it?"
    if isinstance(got, (list, tuple)):
        return (f"{name} is a Python {type(got).__name__}, not a NumPy array: build it with "
                f"np.array(...) or NumPy operations")
    if not isinstance(got, (np.ndarray, np.generic, int, float)) or isinstance(got, bool):
        return f"{name} is a {type(got).__name__}, not a NumPy array"
    return None


def _shape_problem(name, got, expected, hint=""):
    """A sentence saying how ``got``'s shape differs from ``expected``, or None if it fits."""
    wrong = _not_an_array(name, got)
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
    if not isinstance(name, str):
        validate.fail("name", "a string naming the array, e.g. 'nabla_w[1]'", name)
    expected = _expected_shape(expected_shape)
    if not isinstance(hint, str):
        validate.fail("hint", "a string", hint)
    report = Feedback(f"{name} has shape {_fmt_shape(expected)}")
    problem = _shape_problem(name, got, expected, hint)
    if problem:
        report.title = f"shape of {name}"
        report.problem(problem)
    return _finish(report, show)


# ------------------------------------------------------------------ exceptions


_HERE = os.path.abspath(__file__)


def _describe_exception(exc, function_name):
    """"raised ValueError: ... (line 7 of backprop: `delta = ...`)" without a full traceback."""
    message = traceback.format_exception_only(type(exc), exc)[-1].strip()
    frames = [
        frame for frame in traceback.extract_tb(exc.__traceback__)
        if os.path.abspath(frame.filename) != _HERE
        and f"{os.sep}numpy{os.sep}" not in frame.filename
    ]
    where = ""
    if frames:
        frame = frames[-1]
        code = f": `{frame.line.strip()}`" if frame.line else ""
        where = f" (line {frame.lineno} of {frame.name}{code})"
    return f"{function_name} raised {message}{where}"


def _call(f, args, function_name):
    """(result, None) or (None, sentence describing the exception)."""
    try:
        with np.errstate(all="ignore"):
            return f(*args), None
    except Exception as exc:  # noqa: BLE001 - a student's function may fail in any way
        return None, _describe_exception(exc, function_name)


# ------------------------------------------------------------------ comparing values


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
    shape_problem = _shape_problem(name, got, tuple(np.shape(want)))
    if shape_problem:
        return [shape_problem]
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
    if not isinstance(name, str):
        validate.fail("name", "a string", name)
    report = Feedback(f"{name} agrees with the reference on {len(inputs)} input"
                      f"{'s' if len(inputs) > 1 else ''}")
    failures = []
    for number, item in enumerate(inputs, start=1):
        args = item if isinstance(item, tuple) else (item,)
        try:
            want = reference(*copy.deepcopy(args))
        except Exception as exc:
            raise ValueError(f"reference failed on input {number}: {exc!r}; check the inputs") from exc
        got, error = _call(f, copy.deepcopy(args), name)
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
    return _finish(report, show)


# ------------------------------------------------------------------ backprop


_CALL_FULL = "backprop(weights, biases, x, y, activation, cost)"
_CALL_SHORT = "backprop(weights, biases, x, y)"


def _arity(f):
    """6 if ``f`` can be called with six positional arguments, 4 if with four, else None."""
    try:
        parameters = list(inspect.signature(f).parameters.values())
    except (TypeError, ValueError):
        return 6
    if any(p.kind is p.VAR_POSITIONAL for p in parameters):
        return 6
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    required = [p for p in positional if p.default is p.empty]
    for count in (6, 4):
        if len(required) <= count <= len(positional):
            return count
    return None


def _sizes_list(sizes):
    allowed = "a list of network sizes, each a list of at least two whole numbers >= 1"
    if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__iter__"):
        validate.fail("sizes", allowed, sizes)
    result = []
    for item in sizes:
        if isinstance(item, (str, bytes)) or not hasattr(item, "__iter__"):
            validate.fail("sizes", allowed, sizes)
        item = tuple(item)
        if len(item) < 2 or not all(isinstance(n, (int, np.integer)) and not isinstance(n, bool)
                                    and n >= 1 for n in item):
            validate.fail("sizes", allowed, sizes)
        result.append(tuple(int(n) for n in item))
    if not result:
        validate.fail("sizes", allowed, sizes)
    return result


def _array_label(kind, i):
    what = "weights" if kind == "w" else "biases"
    return f"nabla_{kind}[{i}] (the {what} of layer {i + 2})"


def _gradient_problem(label, got, want, m, reduction, tolerance):
    """A sentence saying how a student's gradient differs from the numerical one, or None."""
    got = np.asarray(got, dtype=float)
    bad = ~np.isfinite(got)
    if bad.any():
        index = tuple(int(i) for i in np.unravel_index(int(np.flatnonzero(bad)[0]), got.shape))
        return f"{label} contains NaN or inf (first at index {index})"
    error = norm_relative_error(got, want)
    if error <= tolerance:
        return None
    g, w = got.ravel(), want.ravel()
    gw, ww, gg = float(g @ w), float(w @ w), float(g @ g)
    if gg == 0:
        return f"{label} is all zeros (relative error {error:.1e})"
    if ww > 0:
        cosine = gw / math.sqrt(ww * gg)
        scale = gw / ww
        if cosine < -1 + 1e-6:
            return (f"{label} has the wrong sign: right size, opposite direction (check the sign "
                    f"of (a - y) and of every term that follows from it)")
        if cosine > 1 - 1e-6:
            if m > 1 and math.isclose(scale, m, rel_tol=1e-4):
                return (f"{label} is m = {m} times too large: the cost is the mean over the m "
                        f"examples, so divide the sum over the examples by m")
            if m > 1 and math.isclose(scale, 1 / m, rel_tol=1e-4):
                hint = ("the cost is the sum over the examples, so do not divide by m"
                        if reduction == "sum" else "divide by m only once")
                return f"{label} is m = {m} times too small: {hint}"
            if abs(scale - 1) > 0.01:
                return f"{label} points the right way but is {scale:.3g} times the size it should be"
    diff = np.abs(got - want)
    index = tuple(int(i) for i in np.unravel_index(int(np.argmax(diff)), got.shape))
    return f"{label} is wrong: relative error {error:.1e} (largest difference at index {index})"


def _diagnosis(wrong, n_layers):
    """Where to look, from which arrays are wrong: ``wrong`` maps (kind, i) to a sentence."""
    top = max(i for _, i in wrong)
    l = top + 2
    later = "" if top == n_layers - 1 else (f"every layer after layer {l} is right, so ")
    if ("b", top) in wrong:
        if top == n_layers - 1:
            return (f"the output error delta^{l} is wrong (nabla_b of the output layer is delta^{l} "
                    f"averaged over the examples): check how it is computed from the cost, a - y "
                    f"and sigma'(z^{l})")
        return (f"{later}the error enters where delta^{l} is computed from delta^{l + 1}: "
                f"delta^{l} = ((w^{l + 1})^T delta^{l + 1}) * sigma'(z^{l})")
    return (f"nabla_b[{top}] is right, so delta^{l} is right: check nabla_w[{top}] = delta^{l} "
            f"(a^{l - 1})^T, with a^{l - 1} the activations going INTO layer {l}")


def _structure_problems(result, weights, biases):
    """Problems with the pair the student returned (type, lengths, order, shapes)."""
    n = len(weights)
    if result is None:
        return ["backprop returned None: did you forget `return nabla_b, nabla_w`?"]
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        what = f"{len(result)} values" if isinstance(result, (tuple, list)) else type(result).__name__
        return [f"backprop should return a pair (nabla_b, nabla_w); it returned {what}"]
    nabla_b, nabla_w = result
    for name, value in (("nabla_b", nabla_b), ("nabla_w", nabla_w)):
        if not isinstance(value, (list, tuple)):
            return [f"{name} should be a list with one array per layer after the input ({n}); "
                    f"it is a {type(value).__name__}"]
        if len(value) != n:
            return [f"{name} has {len(value)} entr{'y' if len(value) == 1 else 'ies'} but the "
                    f"network has {n} layers after the input, so it needs {n}"]

    def shapes_fit(arrays, targets):
        return all(isinstance(a, np.ndarray) and a.shape == t.shape for a, t in zip(arrays, targets))

    if (not shapes_fit(nabla_b, biases) and shapes_fit(nabla_b, weights)
            and shapes_fit(nabla_w, biases)):
        return ["backprop returned (nabla_w, nabla_b): the order is (nabla_b, nabla_w)"]
    problems = []
    m_hint = "one entry per neuron: average (or sum) delta over the examples, axis=1, keepdims=True"
    for i, (value, b) in enumerate(zip(nabla_b, biases)):
        hint = m_hint if np.ndim(value) == 2 and np.shape(value)[0] == b.shape[0] else \
            "b^l is a column (n_out, 1)"
        problem = _shape_problem(f"nabla_b[{i}]", value, b.shape, hint)
        if problem:
            problems.append(problem)
    for i, (value, w) in enumerate(zip(nabla_w, weights)):
        problem = _shape_problem(f"nabla_w[{i}]", value, w.shape,
                                 "w^l is (n_out, n_in): rows are the neurons of layer l, columns "
                                 "those of layer l-1, so nabla_w = delta^l (a^{l-1})^T")
        if problem:
            problems.append(problem)
    return problems


class _BoundCost:
    """A cost whose ``delta(z, a, y)`` is for the run's activation (the book's call, any neuron)."""

    def __init__(self, cost, activation):
        self._cost, self._activation = cost, activation
        self.name = cost.name

    def fn(self, a, y):
        return self._cost.fn(a, y)

    def delta(self, z, a, y, activation=None):
        return self._cost.delta(z, a, y, activation or self._activation)

    def __getattr__(self, name):  # anything else (grad_a, ...) is the cost's own
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._cost, name)

    def __repr__(self):
        return f"<cost {self.name!r} for {self._activation.name} neurons>"


def _one_case(backprop, arity, sizes, cost, activation, m, reduction, tolerance, rng):
    """Problems found on one random network (a list of sentences) and its worst relative error."""
    from .engine import Network  # the engine is only needed here

    net = Network(list(sizes), cost=cost, activation=activation, output_activation=activation,
                  seed=0)
    weights = [rng.standard_normal(layer.w.shape) for layer in net.layers]
    biases = [rng.standard_normal(layer.b.shape) for layer in net.layers]
    for layer, w, b in zip(net.layers, weights, biases):
        layer.w[...] = w
        layer.b[...] = b
    x = rng.standard_normal((sizes[0], m))
    y = rng.uniform(0.05, 0.95, (sizes[-1], m))
    args = [[w.copy() for w in weights], [b.copy() for b in biases], x.copy(), y.copy()]
    if arity == 6:
        args += [get_activation(activation), _BoundCost(get_cost(cost), get_activation(activation))]
    result, error = _call(backprop, args, "backprop")
    if error:
        return [error], None
    problems = _structure_problems(result, weights, biases)
    for i, (w, b) in enumerate(zip(weights, biases)):
        if not (np.array_equal(args[0][i], w) and np.array_equal(args[1][i], b)):
            problems.append(f"backprop changed weights[{i}] or biases[{i}] in place; it should "
                            "only read them")
            break
    if not (np.array_equal(args[2], x) and np.array_equal(args[3], y)):
        problems.append("backprop changed x or y in place; it should only read them")
    if problems:
        return problems, None
    nabla_b, nabla_w = result
    factor = m if reduction == "sum" else 1.0

    def total_cost():
        return factor * net.cost.fn(net.forward(x), y)

    wrong, worst = {}, 0.0
    for i, layer in enumerate(net.layers):
        for kind, got in (("w", nabla_w[i]), ("b", nabla_b[i])):
            want = numerical_gradient(total_cost, getattr(layer, kind))
            worst = max(worst, norm_relative_error(got, want))
            problem = _gradient_problem(_array_label(kind, i), got, want, m, reduction, tolerance)
            if problem:
                wrong[(kind, i)] = problem
    if not wrong:
        return [], worst
    problems = [wrong[key] for key in sorted(wrong, key=lambda key: (-key[1], key[0] != "b"))]
    if len(wrong) == 2 * len(weights) and all(" times too " in p for p in problems):
        return problems, worst  # one shared factor: the message itself says where to look
    return problems + ["where to look: " + _diagnosis(wrong, len(weights))], worst


def check_backprop(backprop, *, sizes=((3, 4, 2), (2, 5, 3, 4)), costs=None, activation="sigmoid",
                   m=6, seed=0, reduction="mean", tolerance=1e-5, show=True):
    """Check a student's backpropagation against finite differences on small random networks.

    The student's function is called as ``backprop(weights, biases, x, y, activation, cost)``
    and must return ``(nabla_b, nabla_w)``:

    - ``weights[i]`` has shape (n_out, n_in) and ``biases[i]`` (n_out, 1): the book's ``w^l`` and
      ``b^l`` for l = i + 2 (layer 1 is the input layer);
    - ``x`` is (n_in, m), one example per column, and ``y`` (n_out, m);
    - ``activation`` is the neurons' activation, an object with ``fn(z)`` and ``prime(z)`` (the
      same for every layer, as in the book); ``cost`` an object with ``fn(a, y)`` (the mean cost)
      and ``delta(z, a, y)`` (the output error delta^L, shape (n_out, m), for these neurons);
    - ``nabla_b[i]``, ``nabla_w[i]`` have the shapes of ``biases[i]``, ``weights[i]`` and hold the
      gradient of the cost averaged over the m examples (``reduction="mean"``; or of their sum
      with ``reduction="sum"``).

    A function with four parameters, ``backprop(weights, biases, x, y)``, is called that way and
    checked for sigmoid neurons and the quadratic cost only.

    ``sizes`` lists the networks tried; ``costs`` the costs tried on each (default: quadratic and
    cross-entropy, or quadratic alone for a four-parameter function). Weights, biases and x are
    standard normal, y uniform in (0.05, 0.95), all drawn from ``seed``. The report names the
    first network where something is wrong and, for it, which array (``nabla_w[i]`` or
    ``nabla_b[i]``, with the book's layer number) disagrees and by how much, the layer where the
    error enters the backward pass, wrong shapes, and exceptions (with the line they came from);
    then on which other networks it is wrong or right. Gradient values are never printed.
    """
    validate.function(backprop, "backprop", optional=False)
    sizes = _sizes_list(sizes)
    activation_name = get_activation(activation).name
    m = validate.whole(m, "m", minimum=2)
    seed = validate.whole(seed, "seed", minimum=0)
    validate.one_of(reduction, "reduction", ("mean", "sum"))
    tolerance = validate.positive(tolerance, "tolerance")
    arity = _arity(backprop)
    if costs is None:
        costs = ("quadratic", "cross_entropy") if arity != 4 else ("quadratic",)
    if isinstance(costs, str) or not hasattr(costs, "__iter__"):
        validate.fail("costs", "a list of cost names such as ['quadratic', 'cross_entropy']", costs)
    costs = [get_cost(cost).name for cost in costs]
    if not costs:
        validate.fail("costs", "a non-empty list of cost names", costs)
    if arity == 4 and (costs != ["quadratic"] or activation_name != "sigmoid"):
        validate.fail("costs", f"['quadratic'] with activation 'sigmoid' for a function "
                      f"{_CALL_SHORT} that is not given the cost and activation", costs)
    report = Feedback("backprop agrees with finite differences")
    if arity is None:
        report.problem(f"backprop cannot be called as {_CALL_FULL} (or {_CALL_SHORT}): it takes the "
                       f"parameters ({', '.join(inspect.signature(backprop).parameters)})")
        return _finish(report, show)
    rng = np.random.default_rng(seed)
    results = []
    for size in sizes:
        for cost in costs:
            # draw every case's numbers even after a failure, so each case is the same every time
            problems, worst = _one_case(backprop, arity, size, cost, activation_name, m, reduction,
                                        tolerance, rng)
            results.append((f"sizes {size} with the {cost} cost", problems, worst))
    failing = [r for r in results if r[1]]
    if not failing:
        worst = max(r[2] for r in results)
        report.title = (f"backprop agrees with finite differences on {len(results)} networks "
                        f"(worst relative error {worst:.1e})")
        return _finish(report, show)
    label, problems, _ = failing[0]
    report.title = f"backprop is wrong on {len(failing)} of {len(results)} networks"
    report.note(f"first wrong: {label}, m = {m} examples")
    for problem in problems:
        report.problem(problem)
    if len(failing) > 1:
        report.note("also wrong: " + "; ".join(r[0] for r in failing[1:]))
    right = [r[0] for r in results if not r[1]]
    if right:
        report.note("right: " + "; ".join(right))
    return _finish(report, show)


# ------------------------------------------------------------------ training curves


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
    if not isinstance(name, str):
        validate.fail("name", "a string", name)
    first_epoch = validate.whole(first_epoch, "first_epoch", minimum=0)
    strict = validate.boolean(strict, "strict")
    report = Feedback(f"the {name} fell")
    values = _as_numbers(costs, name, report)
    if values is None:
        return _finish(report, show)
    if len(values) < 2:
        report.problem(f"{name} has {len(values)} value{'s' if len(values) != 1 else ''}: at least "
                       f"two epochs are needed to see it fall")
        return _finish(report, show)
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        k = int(bad[0])
        kind = "NaN" if np.isnan(values[k]) else "infinite"
        report.problem(f"the {name} is {kind} from epoch {first_epoch + k} on: training blew up "
                       f"(is eta too large? a log of 0 or a division by 0?)")
        values = values[:k]
        if len(values) < 2:
            return _finish(report, show)
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
    return _finish(report, show)


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
    values = _as_numbers(xs, "xs", report)
    if values is None:
        return _finish(report, show)
    if len(values) < 2:
        report.problem(f"xs has {len(values)} value{'s' if len(values) != 1 else ''}: it should be "
                       "the starting point followed by the point after each step")
        return _finish(report, show)
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        k = int(bad[0])
        flag(f"x is {'NaN' if np.isnan(values[k]) else 'infinite'} at step {k}: the run diverged "
             f"(eta too large for this f)")
        values = values[:k]
        if len(values) < 2:
            return _finish(report, show)
    steps = np.diff(values)
    if grad is not None:
        for k, (x, step) in enumerate(zip(values[:-1], steps), start=1):
            expected = -eta * float(grad(x))
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
            break
    with np.errstate(all="ignore"):
        fs = np.array([float(f(x)) for x in values])
    wild = bool(bad.size) or not np.isfinite(fs).all() or fs[-1] > fs[0]  # the run ran away
    if not np.isfinite(fs).all() or fs[-1] > fs[0]:
        k = int(np.flatnonzero(~(np.diff(fs) <= 0))[0]) + 1 if (np.diff(fs) > 0).any() else len(fs) - 1
        if converge:
            report.title = "gradient descent diverged"
        flag(f"f ended higher than it started; it first rose at step {k} (eta too large, "
                       "or a step in the wrong direction)")
    alternating = len(steps) >= 3 and np.all(steps[1:] * steps[:-1] < 0)
    growing = len(steps) >= 3 and abs(steps[-1]) > abs(steps[0])
    if alternating and growing:
        wild = True
        flag("x jumps from one side of the minimum to the other with ever larger steps: "
                       "eta is too large for this f")
    elif alternating:
        report.note("x overshoots the minimum at every step (the steps alternate in sign): eta is "
                    "large for this f, though the run still closes in")
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
    return _finish(report, show)


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
    if not isinstance(name, str):
        validate.fail("name", "a string", name)
    report = Feedback(f"{name} reaches {threshold:.1%}")
    if isinstance(accuracy, (bool, np.bool_)) or not isinstance(
            accuracy, (int, float, np.integer, np.floating)):
        report.problem(_not_an_array(name, accuracy) if accuracy is None else
                       f"{name} should be a number; got a {type(accuracy).__name__}")
        return _finish(report, show)
    if not math.isfinite(accuracy):
        report.problem(f"{name} is {accuracy}: the network's outputs are probably NaN")
        return _finish(report, show)
    if total is not None:
        if accuracy < 0 or accuracy > total or accuracy != int(accuracy):
            report.problem(f"{name} should be a count of correct answers between 0 and {total}; "
                           f"got {accuracy:g}")
            return _finish(report, show)
        fraction = accuracy / total
    else:
        if accuracy > 1:
            report.problem(f"{name} is {accuracy:g}, more than 1: if it counts correct answers "
                           f"(like the book's evaluate), divide by the number of examples")
            return _finish(report, show)
        if accuracy < 0:
            report.problem(f"{name} is {accuracy:g}; an accuracy lies between 0 and 1")
            return _finish(report, show)
        fraction = float(accuracy)
    if fraction >= threshold:
        report.title = f"{name} {fraction:.1%} reaches the {threshold:.1%} asked for"
        return _finish(report, show)
    short = f"{name} {fraction:.1%} is below the {threshold:.1%} asked for"
    if fraction <= 1.5 / n_classes:
        report.problem(f"{short}; that is about chance ({1 / n_classes:.0%} for {n_classes} classes): "
                       f"the network is not learning (check the gradient, the sign of the update, "
                       f"and that labels match their images)")
    else:
        report.problem(f"{short} ({(threshold - fraction) * 100:.1f} points short): train longer, "
                       f"tune eta, or check the cost")
    return _finish(report, show)
