r"""Radial-basis-function networks: Gaussian hidden units around fixed centres, a linear output layer.

Hidden unit $i$ responds to how close the input $x$ is to its centre $c_i$,

$$\rho_i(x) = e^{-\beta \lVert x - c_i \rVert^2},$$

and the output is a weighted sum $y(x) = \sum_i a_i \rho_i(x)$ (**unnormalised**), or a weighted
average $y(x) = \sum_i a_i \rho_i(x) / \sum_j \rho_j(x)$ (**normalised**: the hidden activations
then add up to 1 for every input). The centres and the width $\beta$ are chosen first (the centres
usually from the data); after that the output is linear in the weights $a$, so

- ``fit_least_squares`` finds the weights that minimise the squared error in one step, with the
  pseudo-inverse of the hidden activations; and
- ``fit_gradient`` takes gradient-descent steps one training example at a time instead, in the
  order given (for a time series: in time order). ``rule="projection"`` scales each step by
  $1/\lVert\rho\rVert^2$, so that $\eta = 1$ makes the network fit the current example exactly;
  ``rule="lms"`` is the plain gradient step $a \to a + \eta\,(y - \hat y)\,\rho^T$.

Shapes follow the book: columns are examples. Inputs are (n_in, m) with centres (n_in, k), one
centre per column; a 1-D array of m numbers is read as m scalar inputs (n_in = 1). Targets are
(n_out, m) or, with one output, a 1-D array of m numbers; the weights are (n_out, k).

Used by: notebook 11 (beyond plain SGD).
"""

from __future__ import annotations

import numpy as np

from ..validate import boolean, fail, one_of, positive, whole


def _matrix(value, name, rows=None):
    """``value`` as a finite float (rows, m) matrix; a 1-D array is one row of m scalars."""
    allowed = "a non-empty 1-D array of numbers or an (n, m) matrix, one example per column"
    try:
        array = None if isinstance(value, (str, bytes)) else np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        array = None
    if array is None:
        fail(name, allowed, value)
    if array.ndim not in (1, 2) or array.size == 0:
        raise ValueError(f"{name} must be {allowed}, got an array of shape {array.shape}")
    if array.ndim == 1:
        array = array.reshape(1, -1)
    if rows is not None and array.shape[0] != rows:
        raise ValueError(f"{name} must have {rows} row(s), one example per column, got an array "
                         f"of shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return array


class RBFNetwork:
    """A radial-basis-function network; see the module docstring.

    Args:
        centres: (n_in, k) array, one centre per column (or k numbers for scalar inputs).
        beta: the width parameter (> 0) of every Gaussian, exp(-beta * |x - c|^2).
        normalized: True for normalised units (outputs are weighted averages of the weights).
        n_out: number of outputs (the weights start at zero, shape (n_out, k)).
    """

    def __init__(self, centres, beta, normalized=False, n_out=1):
        self.centres = _matrix(centres, "centres")
        self.beta = positive(beta, "beta")
        self.normalized = boolean(normalized, "normalized")
        self.weights = np.zeros((whole(n_out, "n_out", minimum=1), self.centres.shape[1]))

    @classmethod
    def from_data(cls, X, k, beta, normalized=False, n_out=1, rng=None):
        """A network whose ``k`` centres are ``k`` different training inputs (columns of ``X``)
        drawn at random with ``rng`` (a numpy Generator; default seed 0)."""
        X = _matrix(X, "X")
        k = whole(k, "k", minimum=1, maximum=X.shape[1])
        rng = rng if rng is not None else np.random.default_rng(0)
        columns = rng.choice(X.shape[1], size=k, replace=False)
        return cls(X[:, np.sort(columns)], beta, normalized, n_out)

    @property
    def n_in(self):
        return self.centres.shape[0]

    @property
    def k(self):
        """The number of hidden units (centres)."""
        return self.centres.shape[1]

    def hidden(self, X):
        """The hidden activations rho (k, m) for inputs X (n_in, m); normalised if the network is."""
        X = _matrix(X, "X", rows=self.n_in)
        logits = -self.beta * ((X[:, None, :] - self.centres[:, :, None]) ** 2).sum(axis=0)   # (k, m)
        if not self.normalized:
            return np.exp(logits)
        # rho_i / sum_j rho_j, computed as a softmax so that inputs far from every centre (where
        # each rho underflows to 0) still get the right answer: the nearest centre's unit wins
        rho = np.exp(logits - logits.max(axis=0, keepdims=True))
        return rho / rho.sum(axis=0, keepdims=True)

    def predict(self, X):
        """The outputs (n_out, m) for inputs X (n_in, m); a 1-D array of m scalar inputs into a
        one-output network gives a 1-D array of m outputs."""
        out = self.weights @ self.hidden(X)
        return out[0] if np.ndim(X) == 1 and out.shape[0] == 1 else out

    def _targets(self, Y, m):
        Y = _matrix(Y, "Y", rows=self.weights.shape[0])
        if Y.shape[1] != m:
            raise ValueError(f"Y must have one column of targets for each of the {m} inputs in "
                             f"X, got an array of shape {Y.shape}")
        return Y

    def rms_error(self, X, Y):
        """The root-mean-square error sqrt(mean((y - y_hat)^2)) over all outputs and examples."""
        G = self.hidden(X)
        Y = self._targets(Y, G.shape[1])
        return float(np.sqrt(np.mean((self.weights @ G - Y) ** 2)))

    def fit_least_squares(self, X, Y):
        """Set the weights to the least-squares solution a = Y G^+ (G the hidden activations of X,
        ^+ the pseudo-inverse), the minimum of the squared error over the training data. Returns self."""
        G = self.hidden(X)
        Y = self._targets(Y, G.shape[1])
        self.weights = Y @ np.linalg.pinv(G)
        return self

    def fit_gradient(self, X, Y, eta=0.5, epochs=1, rule="projection"):
        """Gradient descent on the squared error, one example at a time in the order given.

        For each example, with error e = y - a rho: ``rule="projection"`` steps
        a -> a + eta * e rho^T / |rho|^2; ``rule="lms"`` steps a -> a + eta * e rho^T.
        The weights continue from their current values (zero for a new network).

        Returns:
            the RMS training error after each epoch (a list of ``epochs`` numbers).
        """
        G = self.hidden(X)
        Y = self._targets(Y, G.shape[1])
        eta = positive(eta, "eta")
        epochs = whole(epochs, "epochs", minimum=1)
        one_of(rule, "rule", ("projection", "lms"))
        scale = 1.0 / np.sum(G * G, axis=0) if rule == "projection" else np.ones(G.shape[1])
        errors = []
        for _ in range(epochs):
            for t in range(G.shape[1]):
                rho = G[:, t]
                error = Y[:, t] - self.weights @ rho
                self.weights += (eta * scale[t]) * np.outer(error, rho)
            errors.append(float(np.sqrt(np.mean((self.weights @ G - Y) ** 2))))
        return errors

    def __repr__(self):
        kind = "normalised" if self.normalized else "unnormalised"
        return (f"RBFNetwork(k={self.k} {kind} Gaussians, beta={self.beta:g}, n_in={self.n_in}, "
                f"n_out={self.weights.shape[0]})")
