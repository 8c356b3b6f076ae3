r"""Weight decay: the L2 and L1 penalties of chapter 3, looked up by name.

With n training examples and strength $\lambda$ (``lmbda``), the regularised cost is
$C = C_0 + \frac{\lambda}{2n}\sum_w w^2$ (L2) or $C = C_0 + \frac{\lambda}{n}\sum_w |w|$ (L1), summed
over the weights only: biases are not regularised (a large bias does not make a neuron sensitive
to its inputs, and allowing one sometimes helps). The gradient of the penalty is
$\frac{\lambda}{n} w$ (L2) or $\frac{\lambda}{n}\,\mathrm{sgn}(w)$ (L1), so a plain gradient step
becomes the book's update rules

$$w \to \Big(1 - \frac{\eta\lambda}{n}\Big) w - \eta \frac{\partial C_0}{\partial w} \quad\text{(L2)},
\qquad w \to w - \frac{\eta\lambda}{n}\mathrm{sgn}(w) - \eta\frac{\partial C_0}{\partial w}
\quad\text{(L1)}.$$

``penalty(weights)`` is the term added to the cost, ``gradient(w)`` its gradient (every optimiser
adds it to dC0/dw), and ``shrink(w, eta)`` the decay part of one plain gradient step, done in
place (the book's SGD uses it, so its update is exactly the rule above).

Used by: the engine (``Network.total_cost``), the optimisers, the widgets and the CLI; and so by
notebooks 06 (regularisation) and 07 onwards.
"""

from __future__ import annotations

import numpy as np

from .names import lookup
from .validate import number, whole


class Penalty:
    """Base class: a penalty of strength ``lmbda`` for a training set of ``n`` examples."""

    name = "penalty"

    def __init__(self, lmbda, n):
        self.lmbda = number(lmbda, "lmbda", low=0.0)
        self.n = whole(n, "n", minimum=1)
        self.rate = self.lmbda / self.n

    def __repr__(self):
        return f"{type(self).__name__}(lmbda={self.lmbda:g}, n={self.n})"


class L2(Penalty):
    """(lmbda / 2n) * sum of w^2: weight decay proper."""

    name = "l2"

    def penalty(self, weights):
        return 0.5 * self.rate * sum(float(np.vdot(w, w)) for w in weights)

    def gradient(self, w):
        return self.rate * w

    def shrink(self, w, eta):
        w *= 1.0 - eta * self.rate


class L1(Penalty):
    """(lmbda / n) * sum of |w|: pulls every weight towards 0 by the same amount."""

    name = "l1"

    def penalty(self, weights):
        return self.rate * sum(float(np.abs(w).sum()) for w in weights)

    def gradient(self, w):
        return self.rate * np.sign(w)

    def shrink(self, w, eta):
        w -= (eta * self.rate) * np.sign(w)


REGULARIZATIONS = {"l2": L2, "l1": L1}


def get_regularization(name):
    """The penalty class called ``name`` ("l2" or "l1")."""
    return lookup(REGULARIZATIONS, name, "regularization")


def make_penalty(regularization, lmbda, n):
    """The penalty object for a run, or None when ``lmbda`` is 0 (no regularisation)."""
    cls = get_regularization(regularization)
    return cls(lmbda, n) if lmbda else None
