"""Activation functions: small objects with ``fn(z)`` and ``prime(z)``, looked up by name.

Every array here is a matrix of weighted inputs ``z`` of shape (n, m): one column per example.
``fn`` and ``prime`` work element by element and return the same shape.

Softmax is the exception: each output depends on the whole column, so it has no element-wise
derivative. It only appears as an output layer, where the engine asks the activation for
``backward(z, a, grad_a)`` (the chain rule dC/dz given dC/da) instead of ``prime``.

Used by: the engine (``nbhelpers.engine``), and the notebooks on sigmoid neurons (01),
backpropagation (04), cross-entropy and softmax (05), initialisation (07) and vanishing gradients.
"""

from __future__ import annotations

import numpy as np

from .names import resolve
from .validate import number


class Activation:
    """Base class. Subclasses define ``fn`` and ``prime``; ``backward`` follows from them."""

    name = "activation"
    #: the range of the output, used to check that a cost can be paired with this activation
    output_range = (-np.inf, np.inf)

    def fn(self, z):
        raise NotImplementedError

    def prime(self, z):
        raise NotImplementedError

    def backward(self, z, a, grad_a):
        """dC/dz from dC/da for a layer with weighted input ``z`` and output ``a``, all (n, m)."""
        return grad_a * self.prime(z)

    def __repr__(self):
        return f"<activation {self.name!r}>"


class Sigmoid(Activation):
    r"""The logistic function $\sigma(z) = 1/(1+e^{-z})$, with $\sigma' = \sigma(1-\sigma)$."""

    name = "sigmoid"
    output_range = (0.0, 1.0)

    def fn(self, z):
        # 0.5 * (1 + tanh(z/2)) equals 1/(1+exp(-z)) but never overflows for large |z|;
        # computed in place in one new array, as training calls it for every layer and mini-batch.
        if not isinstance(z, np.ndarray) or z.ndim == 0:
            return 0.5 * (1.0 + np.tanh(0.5 * z))
        s = np.multiply(z, 0.5)
        np.tanh(s, out=s)
        s += 1.0
        s *= 0.5
        return s

    def prime(self, z):
        s = self.fn(z)
        return s * (1.0 - s)

    def backward(self, z, a, grad_a):
        # reuse the stored output, sigma'(z) = a (1 - a), in one new array
        out = np.subtract(1.0, a)
        out *= a
        out *= grad_a
        return out


class Tanh(Activation):
    r"""$\tanh(z) = 2\sigma(2z) - 1$, output in (-1, 1), with $\tanh' = 1 - \tanh^2$."""

    name = "tanh"
    output_range = (-1.0, 1.0)

    def fn(self, z):
        return np.tanh(z)

    def prime(self, z):
        return 1.0 - np.tanh(z) ** 2

    def backward(self, z, a, grad_a):
        return grad_a * (1.0 - a * a)


class ReLU(Activation):
    r"""The rectified linear unit $\max(0, z)$; its derivative is 1 for $z > 0$ and 0 otherwise."""

    name = "relu"
    output_range = (0.0, np.inf)

    def fn(self, z):
        return np.maximum(z, 0.0)

    def prime(self, z):
        return (z > 0).astype(z.dtype)


class LeakyReLU(Activation):
    r"""$z$ for $z > 0$ and $\alpha z$ otherwise (default $\alpha = 0.01$), so no unit is ever 'dead'."""

    name = "leaky_relu"

    def __init__(self, alpha=0.01):
        self.alpha = number(alpha, "alpha", low=0.0, high=1.0, high_open=True)

    def fn(self, z):
        return np.where(z > 0, z, self.alpha * z)

    def prime(self, z):
        return np.where(z > 0, 1.0, self.alpha).astype(z.dtype)


class Softmax(Activation):
    r"""$a_j = e^{z_j} / \sum_k e^{z_k}$ over each column: outputs are positive and sum to 1.

    Output layer only. ``prime`` is not defined because $\partial a_j/\partial z_k$ is a full
    matrix, $a_j(\delta_{jk} - a_k)$; ``backward`` applies that matrix to dC/da instead.
    """

    name = "softmax"
    output_range = (0.0, 1.0)

    def fn(self, z):
        shifted = z - z.max(axis=0, keepdims=True)  # same result, no overflow
        e = np.exp(shifted)
        return e / e.sum(axis=0, keepdims=True)

    def prime(self, z):
        raise TypeError(
            "softmax has no element-wise derivative (each a_j depends on every z_k); "
            "use backward(z, a, grad_a), or a cost's delta(), instead"
        )

    def backward(self, z, a, grad_a):
        # (J^T g)_k = sum_j a_j (delta_jk - a_k) g_j = a_k (g_k - sum_j a_j g_j)
        return a * (grad_a - np.sum(a * grad_a, axis=0, keepdims=True))


class Linear(Activation):
    r"""The identity $a = z$, for output layers that predict real numbers (regression)."""

    name = "linear"

    def fn(self, z):
        return z

    def prime(self, z):
        return np.ones_like(z)

    def backward(self, z, a, grad_a):
        return grad_a


ACTIVATIONS = {
    "sigmoid": Sigmoid,
    "tanh": Tanh,
    "relu": ReLU,
    "leaky_relu": LeakyReLU,
    "softmax": Softmax,
    "linear": Linear,
}


def get_activation(name):
    """The activation called ``name`` (a key of ``ACTIVATIONS``), or ``name`` itself if it is one."""
    return resolve(ACTIVATIONS, name, "activation", Activation,
                   aliases={"leakyrelu": "leaky_relu", "identity": "linear"})


# Module-level singletons for quick use in notebooks: activations.sigmoid(z), activations.sigmoid_prime(z)
_SIGMOID = Sigmoid()


def sigmoid(z):
    """The sigmoid function, element-wise on an array of any shape."""
    return _SIGMOID.fn(np.asarray(z, dtype=float))


def sigmoid_prime(z):
    """The derivative of the sigmoid, element-wise on an array of any shape."""
    return _SIGMOID.prime(np.asarray(z, dtype=float))
