"""Feedback on backpropagation: ``check_backprop`` against finite differences.

The student's function gets small random networks; each gradient it returns is compared with
the numerical one, and the report names the array and layer that disagree, by how much, and
where in the backward pass to look.

Used by: the backpropagation assignment in ``assignments/`` (through ``nbhelpers.feedback``).
"""

from __future__ import annotations

import inspect
import math

import numpy as np

from .. import validate
from ..activations import get_activation
from ..costs import get_cost
from ..gradcheck import norm_relative_error, numerical_gradient
from .calls import call_student
from .report import Feedback, finish
from .shapes import shape_problem

__all__ = ["check_backprop", "gradient_problem", "structure_problems", "where_to_look", "array_label"]


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
        try:
            result.append(tuple(validate.sizes(item, "sizes")))   # the engine's own check
        except ValueError:
            validate.fail("sizes", allowed, sizes)
    if not result:
        validate.fail("sizes", allowed, sizes)
    return result


def array_label(kind, i):
    what = "weights" if kind == "w" else "biases"
    return f"nabla_{kind}[{i}] (the {what} of layer {i + 2})"


def gradient_problem(label, got, want, m, reduction, tolerance):
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
        if cosine < -1 + 1e-6 and abs(scale + 1) < 1e-3:
            return (f"{label} has the wrong sign: right size, opposite direction (check the sign "
                    f"of (a - y) and of every term that follows from it)")
        if cosine < -1 + 1e-6:
            return f"{label} points the opposite way, and is not the right size either"
        if cosine > 1 - 1e-6:
            if m > 1 and math.isclose(scale, m, rel_tol=1e-4):
                return (f"{label} is m = {m} times too large: the cost is the mean over the m "
                        f"examples, so divide the sum over the examples by m")
            if m > 1 and math.isclose(scale, 1 / m, rel_tol=1e-4):
                hint = ("the cost is the sum over the examples, so do not divide by m"
                        if reduction == "sum" else "divide by m only once")
                return f"{label} is m = {m} times too small: {hint}"
            if math.isclose(scale, 2, rel_tol=1e-4):
                return f"{label} is twice the size it should be (right direction; a factor of 2 too many?)"
            if math.isclose(scale, 0.5, rel_tol=1e-4):
                return f"{label} is half the size it should be (right direction; a factor of 2 missing?)"
            if abs(scale - 1) > 0.01:
                return f"{label} points the right way but has the wrong size (relative error {error:.1e})"
    diff = np.abs(got - want)
    index = tuple(int(i) for i in np.unravel_index(int(np.argmax(diff)), got.shape))
    return f"{label} is wrong: relative error {error:.1e} (largest difference at index {index})"


def where_to_look(wrong, n_layers):
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


def structure_problems(result, weights, biases):
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
        problem = shape_problem(f"nabla_b[{i}]", value, b.shape, hint)
        if problem:
            problems.append(problem)
    for i, (value, w) in enumerate(zip(nabla_w, weights)):
        problem = shape_problem(f"nabla_w[{i}]", value, w.shape,
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
    from .. import Network  # the engine is only needed here

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
    call = call_student(backprop, args, "backprop")
    if call.error:
        return [call.error], None
    result = call.value
    problems = structure_problems(result, weights, biases)
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
            problem = gradient_problem(array_label(kind, i), got, want, m, reduction, tolerance)
            if problem:
                wrong[(kind, i)] = problem
    if not wrong:
        return [], worst
    problems = [wrong[key] for key in sorted(wrong, key=lambda key: (-key[1], key[0] != "b"))]
    if len(wrong) == 2 * len(weights) and all(" times too " in p for p in problems):
        return problems, worst  # one shared factor: the message itself says where to look
    return problems + ["where to look: " + where_to_look(wrong, len(weights))], worst


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
        return finish(report, show)
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
        return finish(report, show)
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
    return finish(report, show)
