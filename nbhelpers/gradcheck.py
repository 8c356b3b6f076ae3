"""Gradient checking: backpropagation against numerical derivatives by central differences.

For each parameter p, dC/dp is estimated as (C(p + eps) - C(p - eps)) / (2 eps), whose error is
O(eps^2). The report compares it with backprop's values, layer by layer, by the relative error of
the whole gradient, ||g_bp - g_num|| / (||g_bp|| + ||g_num||). That is about 1e-8 when backprop is
right (in float64 with eps = 1e-5) and of order 1 when it is wrong. (Entry by entry, a gradient
that is itself tiny, say 1e-8, can show a large relative error from rounding alone; the norm does
not have that problem.)

Right at zero even the norm does: a gradient that is exactly 0 in truth (the bias of a layer
followed by batch normalisation, which subtracts any shift) comes out of central differences as
rounding noise, about ε·|C|/eps = 1e-11 per entry (ε = 2.2e-16, float64's precision), and out of
backprop as 1e-17, so their relative error is 1 though both are right. So each array's error is
measured against at least ``NOISE_FLOOR`` times that noise (times the square root of the entries
compared): a correct zero gradient then scores about 1e-8, while a wrong one still fails unless
it is wrong by less than a few dozen times the noise.

- ``gradcheck(net, x, y)`` checks every parameter of a whole network (any layers), in training
  mode with its randomness frozen (dropout keeps one mask, batch normalisation its statistics).
- ``check_layer(layer, x)`` checks one layer's backward pass on its own: for a random weighting g of
  its outputs, C = sum(g * layer.forward(x)), so dC/d(output) = g, and both the gradient it passes
  back (dC/dx) and its parameter gradients are compared with finite differences.

Used by: the tests, the assignments' feedback, and the notebooks on backpropagation (04),
cross-entropy and softmax (05), and the layers of chapter 6 and beyond (10, 11).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Errors are measured against at least this many times the rounding noise of central differences.
NOISE_FLOOR = 1e7
_ROUNDING = float(np.finfo(np.float64).eps)


@dataclass
class GradCheckReport:
    """The outcome of ``gradcheck`` or ``check_layer``.

    Attributes:
        max_relative_error: the worst relative error over all checked arrays.
        layers: one dict per checked layer: ``{"layer": name, <array name>: relative error, ...}``;
            for a network of Dense layers the names follow the book (layer 2 is the first layer
            with weights, since the input layer is layer 1).
        checked: how many numbers were compared.
    """

    max_relative_error: float
    layers: list
    checked: int

    def passed(self, tolerance=1e-6):
        """True when every relative error is at most ``tolerance``."""
        return self.max_relative_error <= tolerance

    def worst(self):
        """``(layer name, array name, relative error)`` of the worst array."""
        return max(((row["layer"], key, value) for row in self.layers for key, value in row.items()
                    if key != "layer"), key=lambda item: item[2])

    def __str__(self):
        lines = [f"checked {self.checked} numbers; worst relative error {self.max_relative_error:.2e}"]
        for row in self.layers:
            errors = ", ".join(f"{key} {value:.2e}" for key, value in row.items() if key != "layer")
            lines.append(f"  {row['layer']}: {errors}")
        return "\n".join(lines)


def relative_error(a, b):
    """Element-wise |a - b| / max(|a| + |b|, 1e-12); same shape as a and b."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), 1e-12)


def norm_relative_error(a, b, floor=1e-12):
    """||a - b|| / max(||a|| + ||b||, floor) over all entries: one number for a whole gradient."""
    a, b = np.asarray(a, dtype=float).ravel(), np.asarray(b, dtype=float).ravel()
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), floor))


def numerical_gradient(f, params, eps=1e-5, indices=None):
    """Central-difference gradient of the scalar function ``f()`` w.r.t. the array ``params``.

    ``params`` is changed in place and restored. ``indices`` (a list of index tuples) limits the
    check to some entries; the result has the shape of ``params`` (unchecked entries are NaN).
    """
    grad = np.full(params.shape, np.nan)
    for idx in (indices if indices is not None else np.ndindex(params.shape)):
        old = params[idx]
        params[idx] = old + eps
        up = f()
        params[idx] = old - eps
        down = f()
        params[idx] = old
        grad[idx] = (up - down) / (2 * eps)
    return grad


def _sample(array, max_count, rng):
    if max_count is None or array.size <= max_count:
        return None
    flat = rng.choice(array.size, size=max_count, replace=False)
    return [np.unravel_index(i, array.shape) for i in flat]


def _compare(f, arrays, eps, max_count, rng):
    """Relative error of each (name, array, analytic gradient) against finite differences of f,
    measured against at least NOISE_FLOOR times their rounding noise (see the module docstring)."""
    row, worst, checked = {}, 0.0, 0
    noise = _ROUNDING * max(abs(float(f())), 1.0) / eps     # per entry
    for name, array, analytic in arrays:
        numeric = numerical_gradient(f, array, eps, _sample(array, max_count, rng))
        mask = ~np.isnan(numeric)
        floor = NOISE_FLOOR * noise * np.sqrt(mask.sum())
        error = norm_relative_error(analytic[mask], numeric[mask], floor) if mask.any() else 0.0
        row[name] = error
        worst = max(worst, error)
        checked += int(mask.sum())
    return row, worst, checked


def _layer_names(net):
    weighted = [layer for layer in net.layers if layer.params]
    book = net.sizes is not None
    names = {}
    for position, layer in enumerate(weighted):
        index = net.layers.index(layer)
        names[id(layer)] = f"layer {position + 2}" if book else f"layers[{index}] {type(layer).__name__}"
    return weighted, names


def gradcheck(net, x, y, eps=1e-5, max_per_layer=None, rng=None):
    """Compare the network's backpropagated gradient with central differences of the mean cost.

    Args:
        net: an ``nbhelpers.engine.Network`` (float64 recommended).
        x: (n_in, m) inputs; y: (n_out, m) targets.
        eps: the finite-difference step.
        max_per_layer: check at most this many randomly chosen entries of each array (all if None).
        rng: generator choosing those entries and any dropout mask (default seed 0).
    Returns:
        a ``GradCheckReport`` with one row per layer that has parameters: for a network of Dense
        layers the keys are ``"weights"`` and ``"biases"``; otherwise the parameter names.
    """
    rng = rng or np.random.default_rng(0)
    x = net._check_input(x, "x")
    y = np.asarray(y, dtype=net.dtype)
    weighted, names = _layer_names(net)
    with net.frozen():
        net.bind_rng(rng)
        net.gradient(x, y, training=True)
        analytic = {(id(layer), p.name): p.grad.copy() for layer in weighted for p in layer.parameters()}

        def cost():
            return net.cost.fn(net.forward(x, training=True), y)

        rows, worst, checked = [], 0.0, 0
        label = {"w": "weights", "b": "biases"} if net.sizes is not None else {}
        for layer in weighted:
            arrays = [(label.get(p.name, p.name), p.value, analytic[(id(layer), p.name)])
                      for p in layer.parameters()]
            row, layer_worst, count = _compare(cost, arrays, eps, max_per_layer, rng)
            rows.append({"layer": names[id(layer)], **row})
            worst, checked = max(worst, layer_worst), checked + count
    return GradCheckReport(max_relative_error=worst, layers=rows, checked=checked)


def check_layer(layer, x, eps=1e-5, max_count=None, rng=None, training=True):
    """Check one layer's backward pass (dC/dx and every parameter gradient) by finite differences.

    Args:
        layer: a layer from ``nbhelpers.layers`` (float64 recommended).
        x: an input batch of the layer's shape, example axis last.
        training: the mode to check (dropout is frozen to one mask).
    Returns:
        a ``GradCheckReport`` with one row: ``"input"`` and each parameter's relative error.
    """
    # a stream of its own (not seed 0), so that g is never a copy of an x drawn with the same seed
    rng = rng or np.random.default_rng(271828)
    x = np.array(x, dtype=float)
    if layer.random:
        layer.rng = rng
    layer.frozen = True
    try:
        out = layer.forward(x, training)
        g = rng.standard_normal(out.shape)
        grad_x = layer.backward(g, input_grad=True)
        arrays = [("input", x, grad_x)] + [(p.name, p.value, p.grad.copy())
                                           for p in layer.parameters()]

        def cost():
            return float(np.sum(g * layer.forward(x, training)))

        row, worst, checked = _compare(cost, arrays, eps, max_count, rng)
    finally:
        layer.frozen = False
    return GradCheckReport(max_relative_error=worst,
                           layers=[{"layer": type(layer).__name__, **row}], checked=checked)
