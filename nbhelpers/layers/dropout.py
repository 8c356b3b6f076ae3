"""Dropout: while training, each neuron's output is dropped (set to 0) with probability p.

The kept outputs are scaled by 1/(1 - p) ("inverted" dropout, the default), so a neuron's expected
output is the same in training and in use, and nothing needs rescaling afterwards; outside training
the layer passes its input through unchanged. The book's ``network3`` does it the other way round
(``inverted=False``): in training the kept outputs pass unscaled, and in use every output is
multiplied by 1 - p. The two compute the same functions, but not with the same weights: inverted
dropout's weights after the layer are (1 - p) times the book's, so with the same learning rate the
book's network moves its weights 1/(1 - p)^2 times more slowly (4 times for p = 1/2).

The mask of the last forward pass is kept, because the backward pass must send gradient only
through the neurons that were kept.

Used by: the engine (``Network.SGD(dropout=p)`` passes through one after every hidden layer for that
run; they are built once, kept outside ``net.layers``, and their rate set for each run),
``network3`` (its ``p_dropout``), and notebooks 06 (regularisation) and 10 (conv nets).
"""

from __future__ import annotations

import numpy as np

from ..validate import boolean, probability
from .base import Layer


class Dropout(Layer):
    """Drop each input with probability ``p`` in training; the identity otherwise.

    The random masks come from ``self.rng``, which the network sets to its run's generator. With
    ``frozen = True`` the last mask is reused (gradient checks need the same mask every time).
    """

    kind = "dropout"
    random = True

    def __init__(self, p, inverted=True):
        self.p = p
        self.inverted = boolean(inverted, "inverted")
        self.mask = None

    @property
    def p(self):
        """The probability of dropping each input; it may be set between runs."""
        return self._p

    @p.setter
    def p(self, value):
        self._p = probability(value, "p")

    def forward(self, a, training=False):
        keep = 1.0 - self.p
        if not training or self.p == 0:
            self.mask = None if self.inverted or self.p == 0 else np.asarray(keep, dtype=a.dtype)
            return a if self.mask is None else a * self.mask
        if not (self.frozen and self.mask is not None and self.mask.shape == a.shape):
            if self.rng is None:
                raise RuntimeError("Dropout needs a random generator: train through Network.SGD, "
                                   "or set layer.rng = np.random.default_rng(seed)")
            self.mask = (self.rng.random(a.shape) < keep).astype(a.dtype)
            if self.inverted:
                self.mask /= keep
        return a * self.mask

    def backward(self, grad, input_grad=True):
        return grad if self.mask is None else grad * self.mask

    def config(self):
        return {"p": self.p, "inverted": self.inverted}
