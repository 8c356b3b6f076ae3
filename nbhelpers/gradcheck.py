"""Gradient checking: backpropagation against numerical derivatives by central differences.

For each parameter p, dC/dp is estimated as (C(p + eps) - C(p - eps)) / (2 eps), whose error is
O(eps^2). The report compares it with backprop's values, layer by layer, by the relative error of
the whole gradient, ||g_bp - g_num|| / (||g_bp|| + ||g_num||). That is about 1e-8 when backprop is
right (in float64 with eps = 1e-5) and of order 1 when it is wrong. (Entry by entry, a gradient
that is itself tiny, say 1e-8, can show a large relative error from rounding alone; the norm does
not have that problem.)

Used by: the tests, and the notebooks on backpropagation (04), cross-entropy and softmax (05).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class GradCheckReport:
    """The outcome of ``gradcheck``.

    Attributes:
        max_relative_error: the worst relative error over all checked parameters.
        layers: one dict per weight layer (``layers[0]`` is the book's l = 2) with the relative
            errors of its ``"weights"`` and ``"biases"``.
        checked: how many parameters were compared.
    """

    max_relative_error: float
    layers: list
    checked: int

    def passed(self, tolerance=1e-6):
        """True when every relative error is at most ``tolerance``."""
        return self.max_relative_error <= tolerance

    def __str__(self):
        lines = [f"checked {self.checked} parameters; worst relative error "
                 f"{self.max_relative_error:.2e}"]
        for l, row in enumerate(self.layers):
            # numbered as in the book: w^l and b^l feed layer l, and the input layer is layer 1
            lines.append(f"  layer {l + 2}: w {row['weights']:.2e}, b {row['biases']:.2e}")
        return "\n".join(lines)


def relative_error(a, b):
    """Element-wise |a - b| / max(|a| + |b|, 1e-12); same shape as a and b."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), 1e-12)


def norm_relative_error(a, b):
    """||a - b|| / max(||a|| + ||b||, 1e-12) over all entries: one number for a whole gradient."""
    a, b = np.asarray(a, dtype=float).ravel(), np.asarray(b, dtype=float).ravel()
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-12))


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


def gradcheck(net, x, y, eps=1e-5, max_per_layer=None, rng=None):
    """Compare ``net.backprop_batch(x, y)`` with central differences of the mean cost.

    Args:
        net: an ``nbhelpers.engine.Network`` (float64 recommended).
        x: (n_in, m) inputs; y: (n_out, m) targets.
        eps: the finite-difference step.
        max_per_layer: check at most this many randomly chosen weights per layer (all if None).
        rng: generator choosing those weights (default seed 0).
    Returns:
        a ``GradCheckReport``.
    """
    x = np.asarray(x, dtype=net.dtype)
    y = np.asarray(y, dtype=net.dtype)
    nabla_b, nabla_w = net.backprop_batch(x, y)
    rng = rng or np.random.default_rng(0)

    def cost():
        return net.cost.fn(net.feedforward(x), y)

    worst, layers, checked = 0.0, [], 0
    for l in range(len(net.weights)):
        row = {}
        for kind, params, grads in (("weights", net.weights[l], nabla_w[l]),
                                    ("biases", net.biases[l], nabla_b[l])):
            indices = None
            if max_per_layer is not None and params.size > max_per_layer:
                flat = rng.choice(params.size, size=max_per_layer, replace=False)
                indices = [np.unravel_index(i, params.shape) for i in flat]
            numeric = numerical_gradient(cost, params, eps, indices)
            mask = ~np.isnan(numeric)
            err = norm_relative_error(grads[mask], numeric[mask]) if mask.any() else 0.0
            row[kind] = err
            worst = max(worst, err)
            checked += int(mask.sum())
        layers.append(row)
    return GradCheckReport(max_relative_error=worst, layers=layers, checked=checked)
