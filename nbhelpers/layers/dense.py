"""The fully connected layer of the book, and an activation on its own.

``Dense(n_in, n_out, activation)`` holds ``w`` (n_out, n_in) and ``b`` (n_out, 1) and computes, for a
batch ``a`` of shape (n_in, m) (one column per example),

    z = w @ a + b,        a' = activation(z).

Its backward pass is the book's four equations for one layer, on the whole mini-batch at once:
given dC/da' it forms delta = dC/dz (BP2's sigma'(z) factor, through the activation's ``backward``),
then ``nabla_b`` = the sum of delta's columns (BP3), ``nabla_w`` = delta @ a.T (BP4), and hands back
dC/da = w.T @ delta (the first half of BP2) to the layer below. The sums are over the mini-batch,
and they are gradients of the *mean* cost with no division here: the 1/m is applied once, to the
output error, before it reaches the layers (see ``Network.gradient``).

``Activation(name)`` applies an activation without weights; it is used after batch normalisation
and after max-pooling (the book's convolutional layer pools before its sigmoid).

Used by: the engine (every network built from ``sizes`` is a list of Dense layers), the book faces
``network``, ``network2`` and ``network3``, and notebooks 03-12.
"""

from __future__ import annotations

import numpy as np

from ..activations import get_activation
from ..validate import fits_in_memory, float_dtype, whole
from .base import Layer


class Dense(Layer):
    """A fully connected layer: ``z = w @ a + b``, ``a' = activation(z)``; see the module docstring."""

    kind = "dense"
    params = ("w", "b")
    decay = ("w",)

    def __init__(self, n_in, n_out, activation="sigmoid", dtype=np.float64):
        self.n_in = whole(n_in, "n_in", minimum=1)
        self.n_out = whole(n_out, "n_out", minimum=1)
        self.activation = get_activation(activation)
        dtype = float_dtype(dtype)
        fits_in_memory((self.n_in + 1) * self.n_out, dtype.itemsize, "n_in, n_out",
                       f"a Dense({self.n_in}, {self.n_out}) layer")
        self._allocate(dtype)

    @classmethod
    def array_shapes(cls, config):
        n_in, n_out = whole(config["n_in"], "n_in", minimum=1), whole(config["n_out"], "n_out", minimum=1)
        return {"w": (n_out, n_in), "b": (n_out, 1)}

    @property
    def fixed_input_shape(self):
        return (self.n_in,)

    def output_shape(self, input_shape):
        if tuple(input_shape) != (self.n_in,):
            raise ValueError(f"{self!r} needs inputs of shape ({self.n_in}, m), but the layer "
                             f"below gives {tuple(input_shape)} per example")
        return (self.n_out,)

    def forward(self, a, training=False):
        z = self.w @ a
        z += self.b
        self.a_in, self.z = a, z            # kept for the backward pass
        self.a = self.activation.fn(z)
        return self.a

    def backward_delta(self, delta, input_grad=True):
        """The backward pass from delta = dC/dz (``Layer.backward`` gets it from dC/da' by BP2).

        delta is already the error of the *mean* cost (the network divided the output error by
        m), so summing its columns gives dC/db, and delta @ a.T sums the examples' dC/dw.
        """
        np.add.reduce(delta, axis=1, keepdims=True, out=self.nabla_b)   # BP3, summed over the batch
        np.matmul(delta, self.a_in.T, out=self.nabla_w)                 # BP4, summed over the batch
        return self.w.T @ delta if input_grad else None                 # dC/da for the layer below

    def config(self):
        return {"n_in": self.n_in, "n_out": self.n_out, "activation": self.activation.name}


class Activation(Layer):
    """``a' = activation(a)`` element by element (softmax: over each column), no parameters."""

    kind = "activation"

    def __init__(self, activation):
        self.activation = get_activation(activation)

    def forward(self, a, training=False):
        self.z = a
        self.a = self.activation.fn(a)
        return self.a

    def backward_delta(self, delta, input_grad=True):
        return delta   # no weights: dC/dz is dC/d(input)

    def config(self):
        return {"activation": self.activation.name}
