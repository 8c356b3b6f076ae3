"""Layers, the parts a network is built from, looked up by name in ``LAYERS``.

Every layer has ``forward(a, training=False)`` and ``backward(grad, input_grad=True)`` and owns its
parameters and their gradients (``w`` and ``nabla_w``, ...); see ``layers.base``. The example axis
is always last: columns (n, m) for fully connected layers, feature maps (C, H, W, m) for
convolutional ones, (n, T, m) sequences for recurrent ones.

=============  ======================================================================
``dense``      ``Dense(n_in, n_out, activation)``: z = w @ a + b, the book's layer
``activation`` ``Activation(name)``: an activation with no weights
``dropout``    ``Dropout(p)``: drops inputs with probability p while training
``flatten``    ``Flatten()``: (C, H, W, m) feature maps to (C*H*W, m) columns
``conv2d``     ``Conv2D(in_channels, out_channels, kernel_size, activation)``
``maxpool2d``  ``MaxPool2D(pool_size)``: non-overlapping max-pooling
``batchnorm``  ``BatchNorm(n_features)``: batch normalisation
``rnn``        ``RNN(n_in, n_hidden)``: h_t = tanh(w x_t + u h_{t-1} + b) over (n_in, T, m)
``lstm``       ``LSTM(n_in, n_hidden)``: long short-term memory over (n_in, T, m)
=============  ======================================================================

Used by: the engine, ``serialize`` (which stores each layer by its name here), ``network3``, and
notebooks 09-13.
"""

from ..names import lookup
from .base import Layer, Parameter
from .batchnorm import BatchNorm
from .conv import Conv2D, col2im, im2col
from .dense import Activation, Dense
from .dropout import Dropout
from .flatten import Flatten
from .pool import MaxPool2D
from .recurrent import LSTM, RNN

LAYERS = {cls.kind: cls for cls in (Dense, Activation, Dropout, Flatten, Conv2D, MaxPool2D, BatchNorm,
                                     RNN, LSTM)}

__all__ = ["LAYERS", "Layer", "Parameter", "Dense", "Activation", "Dropout", "Flatten", "Conv2D",
           "MaxPool2D", "BatchNorm", "RNN", "LSTM", "get_layer", "im2col", "col2im"]


def get_layer(name):
    """The layer class called ``name`` (a key of ``LAYERS``, e.g. ``"conv2d"``)."""
    return lookup(LAYERS, name, "layer", aliases={"conv": "conv2d", "maxpool": "maxpool2d",
                                                  "fully_connected": "dense",
                                                  "recurrent": "rnn"})
