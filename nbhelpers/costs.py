"""Cost functions: small objects with ``fn(a, y)`` and ``delta(z, a, y, activation)``, looked up by name.

Shapes: ``a`` (the network's output), ``y`` (the desired output) and ``z`` (the output layer's
weighted input) are all (n_out, m), one column per example.

- ``fn(a, y)`` is the cost averaged over the m columns, a float. For a single column it is the
  book's per-example cost $C_x$.
- ``delta(z, a, y, activation)`` is the output error $\\delta^L = \\partial C_x/\\partial z^L$ for every
  column, shape (n_out, m). It defaults to the sigmoid output layer, so the book's
  ``cost.delta(z, a, y)`` works unchanged.

Used by: the engine (``nbhelpers.engine``), ``nbhelpers.network2``, and the notebooks on the MNIST
network (03), backpropagation (04), cross-entropy and softmax (05) and overfitting (06).
"""

from __future__ import annotations

import numpy as np

from .activations import Sigmoid, Softmax, get_activation
from .names import resolve

_SIGMOID = Sigmoid()


def _clip_open_unit(a):
    """Keep outputs strictly inside (0, 1) so that log(a) and log(1 - a) stay finite."""
    eps = np.finfo(a.dtype).eps if np.issubdtype(a.dtype, np.floating) else 1e-15
    return np.clip(a, eps, 1.0 - eps)


class Cost:
    """Base class: ``fn`` and ``grad_a`` (dC_x/da) define a cost; ``delta`` follows by the chain rule."""

    name = "cost"
    #: output activations this cost makes sense with (None: any)
    output_activations = None
    #: why only those, for the error message
    needs = ""

    def fn(self, a, y):
        raise NotImplementedError

    def grad_a(self, a, y):
        raise NotImplementedError

    def delta(self, z, a, y, activation=_SIGMOID):
        return get_activation(activation).backward(z, a, self.grad_a(a, y))

    def check_output(self, activation):
        """Raise ValueError unless ``activation`` can feed this cost."""
        allowed = self.output_activations
        if allowed is not None and activation.name not in allowed:
            raise ValueError(
                f"output_activation {activation.name!r} cannot be used with the {self.name} cost, "
                f"which {self.needs}; allowed: {sorted(allowed)}"
            )

    def __repr__(self):
        return f"<cost {self.name!r}>"


class QuadraticCost(Cost):
    r"""$C_x = \tfrac12 \|y - a\|^2$; so $\delta^L = (a - y) \odot \sigma'(z^L)$ for sigmoid outputs."""

    name = "quadratic"

    @staticmethod
    def fn(a, y):
        a = np.asarray(a)
        m = a.shape[1] if a.ndim == 2 else 1
        return float(0.5 * np.sum((a - y) ** 2) / m)

    @staticmethod
    def grad_a(a, y):
        return a - y

    @staticmethod
    def delta(z, a, y, activation=_SIGMOID):
        return get_activation(activation).backward(z, a, a - y)


class CrossEntropyCost(Cost):
    r"""$C_x = -\sum_j [y_j \ln a_j + (1-y_j)\ln(1-a_j)]$; with sigmoid outputs $\delta^L = a - y$.

    The $\sigma'(z)$ factor cancels, which is why this cost does not slow down when a sigmoid
    output neuron is badly wrong and saturated.
    """

    name = "cross_entropy"
    output_activations = ("sigmoid", "softmax")
    needs = "takes ln(a) and ln(1 - a), so needs outputs in (0, 1)"

    @staticmethod
    def fn(a, y):
        a = _clip_open_unit(np.asarray(a))
        m = a.shape[1] if a.ndim == 2 else 1
        return float(-np.sum(y * np.log(a) + (1.0 - y) * np.log(1.0 - a)) / m)

    @staticmethod
    def grad_a(a, y):
        a = _clip_open_unit(a)
        return (a - y) / (a * (1.0 - a))

    @staticmethod
    def delta(z, a, y, activation=_SIGMOID):
        activation = get_activation(activation)
        if isinstance(activation, Sigmoid):
            return a - y  # sigma'(z) cancels exactly
        return activation.backward(z, a, CrossEntropyCost.grad_a(a, y))


class LogLikelihoodCost(Cost):
    r"""$C_x = -\sum_j y_j \ln a_j$, i.e. $-\ln a_y$ for a one-hot $y$; with softmax $\delta^L = a - y$."""

    name = "log_likelihood"
    # with sigmoid outputs, -ln a_y rewards raising a_y and never penalises the other outputs, so a
    # network trained that way can end up saying "yes" to every class: refused, not silently allowed
    output_activations = ("softmax",)
    needs = "treats the outputs as probabilities that sum to 1, as softmax makes them"

    @staticmethod
    def fn(a, y):
        a = _clip_open_unit(np.asarray(a))
        m = a.shape[1] if a.ndim == 2 else 1
        return float(-np.sum(y * np.log(a)) / m)

    @staticmethod
    def grad_a(a, y):
        return -y / _clip_open_unit(a)

    @staticmethod
    def delta(z, a, y, activation=_SIGMOID):
        activation = get_activation(activation)
        if isinstance(activation, Softmax):
            # a * sum(y) - y, which is the book's a - y for one-hot targets
            return a * np.sum(y, axis=0, keepdims=True) - y
        return activation.backward(z, a, LogLikelihoodCost.grad_a(a, y))


COSTS = {
    "quadratic": QuadraticCost,
    "cross_entropy": CrossEntropyCost,
    "log_likelihood": LogLikelihoodCost,
}


def get_cost(name):
    """The cost called ``name`` (a key of ``COSTS``), or ``name`` itself if it is a cost object or class."""
    aliases = {"crossentropy": "cross_entropy", "mse": "quadratic", "loglikelihood": "log_likelihood",
               "nll": "log_likelihood"}
    return resolve(COSTS, name, "cost", Cost, aliases)
