"""Weight initialisers, looked up by name: how a network's weights and biases start.

Each initialiser draws a layer's weights from its shape and its fan-in n_in (the inputs each neuron
sees: n_in for a dense layer, C*kh*kw for a convolutional filter) and fan-out n_out:

- ``"large"``: the chapter-1 choice, every weight and bias from N(0, 1).
- ``"default"``: the chapter-3 choice, weights from N(0, 1/n_in) (standard deviation 1/sqrt(n_in)),
  biases from N(0, 1). It keeps z = sum_k w_jk a_k + b_j of order 1, so sigmoids start unsaturated.
- ``"xavier"`` (Glorot and Bengio 2010): weights uniform on +-sqrt(6/(n_in + n_out)), biases 0.
  Variance 2/(n_in + n_out) keeps both the forward signal and the backward gradient steady.
- ``"he"`` (He et al. 2015): weights from N(0, 2/n_in), biases 0; the factor 2 makes up for ReLU
  zeroing half of its inputs.

A network draws every layer's weights first, then every layer's biases, as the book's code does.
An initialiser can also be called on a list of sizes, ``default([784, 30, 10], rng)``, which
returns the book's ``(weights, biases)`` lists with ``weights[l]`` (n_{l+1}, n_l) and ``biases[l]``
(n_{l+1}, 1).

Used by: the engine (``nbhelpers.engine``) and the notebook on initialisation (07).
"""

from __future__ import annotations

import numpy as np

from .names import lookup


class Initializer:
    """Base class: ``weights(shape, fan_in, fan_out, rng)`` and ``biases(shape, rng)``."""

    name = "initializer"

    def weights(self, shape, fan_in, fan_out, rng):
        raise NotImplementedError

    def biases(self, shape, rng):
        return np.zeros(shape)

    def __call__(self, sizes, rng, dtype=np.float64):
        """The book's lists for a fully connected network of ``sizes``: ``(weights, biases)``."""
        layers = list(zip(sizes[:-1], sizes[1:]))
        weights = [self.weights((n_out, n_in), n_in, n_out, rng).astype(dtype) for n_in, n_out in layers]
        biases = [self.biases((n_out, 1), rng).astype(dtype) for _, n_out in layers]
        return weights, biases

    def __repr__(self):
        return f"<initializer {self.name!r}>"


class Large(Initializer):
    """Chapter 1: weights and biases all N(0, 1)."""

    name = "large"

    def weights(self, shape, fan_in, fan_out, rng):
        return rng.standard_normal(shape)

    def biases(self, shape, rng):
        return rng.standard_normal(shape)


class Default(Initializer):
    """Chapter 3: weights N(0, 1/n_in), biases N(0, 1)."""

    name = "default"

    def weights(self, shape, fan_in, fan_out, rng):
        return rng.standard_normal(shape) / np.sqrt(fan_in)

    def biases(self, shape, rng):
        return rng.standard_normal(shape)


class Xavier(Initializer):
    """Glorot uniform: weights U(-r, r) with r = sqrt(6 / (n_in + n_out)), biases 0."""

    name = "xavier"

    def weights(self, shape, fan_in, fan_out, rng):
        r = np.sqrt(6.0 / (fan_in + fan_out))
        return rng.uniform(-r, r, size=shape)


class He(Initializer):
    """He normal: weights N(0, 2/n_in), biases 0."""

    name = "he"

    def weights(self, shape, fan_in, fan_out, rng):
        return rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)


INITIALIZERS = {cls.name: cls for cls in (Large, Default, Xavier, He)}

large, default, xavier, he = Large(), Default(), Xavier(), He()


def get_initializer(name):
    """The initialiser called ``name`` (a key of ``INITIALIZERS``), or ``name`` if it is one."""
    if isinstance(name, Initializer):
        return name
    return lookup(INITIALIZERS, name, "init",
                  aliases={"glorot": "xavier", "scaled": "default", "normal": "large"})()
