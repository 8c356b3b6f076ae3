"""Weight initialisers, looked up by name: each returns fresh ``(weights, biases)`` for a list of sizes.

Shapes: for ``sizes = [n_0, n_1, ..., n_L]``, ``weights[l]`` is (n_{l+1}, n_l) and ``biases[l]`` is
(n_{l+1}, 1), so that layer l computes ``z = w @ a + b``.

- ``"large"``: the chapter-1 choice, every weight and bias from N(0, 1).
- ``"default"``: the chapter-3 choice, weights from N(0, 1/n_in) (standard deviation 1/sqrt(n_in)),
  biases from N(0, 1). It keeps z = sum_k w_jk a_k + b_j of order 1, so sigmoids start unsaturated.
- ``"xavier"`` (Glorot and Bengio 2010): weights uniform on +-sqrt(6/(n_in + n_out)), biases 0.
  Variance 2/(n_in + n_out) keeps both the forward signal and the backward gradient steady.
- ``"he"`` (He et al. 2015): weights from N(0, 2/n_in), biases 0; the factor 2 makes up for ReLU
  zeroing half of its inputs.

Used by: the engine (``nbhelpers.engine``) and the notebook on initialisation (07).
"""

from __future__ import annotations

import numpy as np

from .names import lookup


def _layers(sizes):
    return list(zip(sizes[:-1], sizes[1:]))


def large(sizes, rng, dtype=np.float64):
    """Chapter 1: weights and biases all N(0, 1)."""
    weights = [rng.standard_normal((n_out, n_in)) for n_in, n_out in _layers(sizes)]
    biases = [rng.standard_normal((n_out, 1)) for _, n_out in _layers(sizes)]
    return _cast(weights, biases, dtype)


def default(sizes, rng, dtype=np.float64):
    """Chapter 3: weights N(0, 1/n_in), biases N(0, 1)."""
    weights = [rng.standard_normal((n_out, n_in)) / np.sqrt(n_in) for n_in, n_out in _layers(sizes)]
    biases = [rng.standard_normal((n_out, 1)) for _, n_out in _layers(sizes)]
    return _cast(weights, biases, dtype)


def xavier(sizes, rng, dtype=np.float64):
    """Glorot uniform: weights U(-r, r) with r = sqrt(6 / (n_in + n_out)), biases 0."""
    weights = []
    for n_in, n_out in _layers(sizes):
        r = np.sqrt(6.0 / (n_in + n_out))
        weights.append(rng.uniform(-r, r, size=(n_out, n_in)))
    biases = [np.zeros((n_out, 1)) for _, n_out in _layers(sizes)]
    return _cast(weights, biases, dtype)


def he(sizes, rng, dtype=np.float64):
    """He normal: weights N(0, 2/n_in), biases 0."""
    weights = [rng.standard_normal((n_out, n_in)) * np.sqrt(2.0 / n_in) for n_in, n_out in _layers(sizes)]
    biases = [np.zeros((n_out, 1)) for _, n_out in _layers(sizes)]
    return _cast(weights, biases, dtype)


def _cast(weights, biases, dtype):
    return [w.astype(dtype) for w in weights], [b.astype(dtype) for b in biases]


INITIALIZERS = {"large": large, "default": default, "xavier": xavier, "he": he}


def get_initializer(name):
    """The initialiser called ``name`` (a key of ``INITIALIZERS``), or ``name`` if it is callable."""
    if callable(name):
        return name
    return lookup(INITIALIZERS, name, "init",
                  aliases={"glorot": "xavier", "scaled": "default", "normal": "large"})
