"""The inputs the grader tries a student's functions on, drawn from a seed, and the made-up
activations and costs it passes to them.

The same seed gives the same inputs in the notebook (where ``probe`` calls the student's functions)
and in the grader (which works out, on its own, what the answers should be). Each course sets its
own seeds, so the inputs of one course are not those of another. Nothing here knows an answer.

The made-up activations and costs are not the course's: a function that hands its work to
``nbhelpers`` (``Network.backprop_batch``, ``cost.delta``) or measures slopes numerically instead
of using ``activation.prime`` and ``cost.grad_a`` does not get through. ``PrimeOnly`` and
``GradOnly`` offer only what the equations BP1 and BP2 use.

Used by: ``probe`` (the hidden tests of the assignments) and the grader's checks in
``assignments/nndl_grading``.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "MadeUpActivation", "PrimeOnly", "MadeUpCost", "GradOnly", "derivative_points", "descent_cases",
    "descent_gradient", "output_error_cases", "backward_error_cases", "gradients_cases",
    "backprop_cases", "sgd_cases",
]


class MadeUpActivation:
    """sigma(z) = tanh(k z) + c z, with sigma'(z) = k (1 - tanh(k z)^2) + c."""

    name = "made-up"

    def __init__(self, k, c):
        self.k, self.c = float(k), float(c)

    def fn(self, z):
        return np.tanh(self.k * z) + self.c * z

    def prime(self, z):
        return self.k * (1.0 - np.tanh(self.k * z) ** 2) + self.c

    def __repr__(self):
        return "<a made-up activation>"


class PrimeOnly:
    """An activation known only by its derivative ``prime`` (all that BP1 and BP2 need)."""

    name = "made-up"

    def __init__(self, k, c):
        self._inner = MadeUpActivation(k, c)

    def prime(self, z):
        return self._inner.prime(z)

    def __repr__(self):
        return "<a made-up activation (prime only)>"


class MadeUpCost:
    """C_x = sum_j p_j (d_j^2 / 2 + q d_j^4 / 4) with d = a - y; ``fn`` is the mean over the
    examples (the columns), ``grad_a`` the gradient of C_x for every example."""

    name = "made-up"

    def __init__(self, p, q):
        self.p, self.q = np.asarray(p, dtype=float).reshape(-1, 1), float(q)

    def fn(self, a, y):
        d = a - y
        return float(np.sum(self.p * (d**2 / 2 + self.q * d**4 / 4)) / a.shape[1])

    def grad_a(self, a, y):
        d = a - y
        return self.p * (d + self.q * d**3)

    def __repr__(self):
        return "<a made-up cost>"


class GradOnly:
    """A cost known only by ``grad_a`` (all that BP1 needs)."""

    name = "made-up"

    def __init__(self, p, q):
        self._inner = MadeUpCost(p, q)

    def grad_a(self, a, y):
        return self._inner.grad_a(a, y)

    def __repr__(self):
        return "<a made-up cost (grad_a only)>"


def _rng(seed, salt):
    return np.random.default_rng([int(seed) % 2**63, salt])


def _activation(rng, cls):
    return cls(rng.uniform(0.5, 2.0), rng.uniform(0.05, 0.3))


def _cost(rng, n, cls):
    return cls(rng.uniform(0.5, 2.0, n), rng.uniform(0.2, 1.0))


# ---------------------------------------------------------------- 01: gradient descent

def derivative_points(seed):
    """Real numbers across the range where the assignment's function is interesting, two large
    ones (where a measured slope loses its digits) and two complex ones (where a complex-step
    slope does)."""
    rng = _rng(seed, 1)
    points = [float(x) for x in np.round(rng.uniform(-4.0, 12.0, 8), 3)]
    points += [float(rng.choice([-1, 1]) * rng.uniform(2e3, 5e3)), float(rng.uniform(2e5, 5e5))]
    points += [complex(*np.round(rng.uniform(-3, 3, 2), 2)) for _ in range(2)]
    return points


def descent_cases(seed):
    """(a, c, x0, eta, steps) cases: gradient descent on (a/2)(x - c)^2 + sin(x), whose gradient is
    a (x - c) + cos(x); the last case takes no step at all."""
    rng = _rng(seed, 2)
    cases = []
    for steps in (7, 12, 0):
        a, c = float(rng.uniform(1.0, 3.0)), float(np.round(rng.uniform(-5, 5), 2))
        x0, eta = float(np.round(rng.uniform(-8, 8), 2)), float(np.round(rng.uniform(0.05, 0.3), 3))
        cases.append((a, c, x0, eta, steps))
    return cases


def descent_gradient(a, c):
    """The derivative of (a/2)(x - c)^2 + sin(x), for numbers and arrays."""
    return lambda x: a * (x - c) + np.cos(x)


# ---------------------------------------------------------------- 02: backpropagation

def output_error_cases(seed):
    """(z, a, y, activation, cost) with a made-up activation (prime only) and cost (grad_a only)."""
    rng = _rng(seed, 3)
    cases = []
    for n, m in ((3, 5), (6, 9), (1, 4)):
        z = 1.5 * rng.standard_normal((n, m))
        a, y = rng.uniform(0.05, 0.95, (n, m)), rng.uniform(0.05, 0.95, (n, m))
        cases.append((z, a, y, _activation(rng, PrimeOnly), _cost(rng, n, GradOnly)))
    return cases


def backward_error_cases(seed):
    """(delta_next, w_next, z, activation) with a made-up activation (prime only)."""
    rng = _rng(seed, 4)
    return [(rng.standard_normal((n_next, m)), rng.standard_normal((n_next, n)),
             1.5 * rng.standard_normal((n, m)), _activation(rng, PrimeOnly))
            for n_next, n, m in ((2, 4, 5), (3, 7, 1), (6, 2, 8), (1, 1, 3))]


def gradients_cases(seed):
    """(delta, a_prev) of several shapes, one of a single example."""
    rng = _rng(seed, 5)
    return [(rng.standard_normal((n, m)), rng.uniform(0.0, 1.0, (n_prev, m)))
            for n, n_prev, m in ((3, 4, 5), (1, 6, 1), (5, 2, 7), (4, 4, 12))]


def backprop_cases(seed):
    """(weights, biases, x, y, activation, cost) for small networks of several shapes, with a
    made-up activation and cost (each with ``fn``, and ``prime`` or ``grad_a``)."""
    rng = _rng(seed, 6)
    cases = []
    for sizes, m in (((3, 4, 2), 6), ((2, 5, 3, 4), 6), ((5, 3), 4), ((4, 6, 5, 2), 1)):
        weights = [rng.standard_normal((n_out, n_in)) for n_in, n_out in zip(sizes, sizes[1:])]
        biases = [rng.standard_normal((n_out, 1)) for n_out in sizes[1:]]
        x, y = rng.standard_normal((sizes[0], m)), rng.uniform(-0.5, 0.5, (sizes[-1], m))
        cases.append((weights, biases, x, y, _activation(rng, MadeUpActivation),
                      _cost(rng, sizes[-1], MadeUpCost)))
    return cases


def sgd_cases(seed):
    """(weights, biases, x, y, eta, nabla_b, nabla_w): one step of gradient descent, where the
    grader's stand-in for ``backprop`` returns (nabla_b, nabla_w) whatever it is given."""
    rng = _rng(seed, 7)
    cases = []
    for sizes in ((4, 3), (3, 5, 2)):
        pairs = list(zip(sizes, sizes[1:]))
        weights = [rng.standard_normal((n_out, n_in)) for n_in, n_out in pairs]
        biases = [rng.standard_normal((n_out, 1)) for _, n_out in pairs]
        nabla_w = [rng.standard_normal(w.shape) for w in weights]
        nabla_b = [rng.standard_normal(b.shape) for b in biases]
        x, y = rng.standard_normal((sizes[0], 6)), rng.uniform(0.1, 0.9, (sizes[-1], 6))
        cases.append((weights, biases, x, y, float(np.round(rng.uniform(0.1, 1.0), 3)), nabla_b, nabla_w))
    return cases
