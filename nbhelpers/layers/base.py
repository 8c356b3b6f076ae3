"""What every layer has in common: ``forward``, ``backward`` and the parameters it owns.

A layer maps a batch of inputs to a batch of outputs. **The example axis is always last**: a
fully connected layer sees (n, m) matrices (one column per example, as in the book) and a
convolutional layer sees (C, H, W, m) feature maps. ``shape`` arguments and ``output_shape`` leave
the example axis out: (n,) or (C, H, W).

- ``forward(a, training=False)`` returns the layer's output and keeps what ``backward`` will need.
  ``training`` switches the behaviour of the layers that differ between training and use
  (dropout drops neurons only in training; batch normalisation uses the batch's statistics in
  training and its running averages otherwise).
- ``backward(grad, input_grad=True)`` takes dC/d(output) of the last ``forward`` and returns
  dC/d(input), after storing the gradient of each parameter ``p`` in ``nabla_p``. The first
  layer of a network is asked for ``input_grad=False`` and returns None: nobody needs dC/dx.
- ``params`` names the parameter arrays (``("w", "b")`` for a dense layer); the gradient of
  ``w`` lives in ``nabla_w``. ``decay`` names those that weight decay (L2/L1) applies to: weights,
  never biases. ``parameters()`` hands them to an optimiser as :class:`Parameter` objects.

Used by: every layer module in this package, the engine (``nbhelpers.engine``), the optimisers
and gradient checks; and so by every notebook that trains a network.
"""

from __future__ import annotations

import numpy as np


class Parameter:
    """A handle on one of a layer's parameter arrays and on its gradient.

    ``value`` is ``layer.<name>`` and ``grad`` is ``layer.nabla_<name>``, looked up each time, so a
    layer (or a notebook) may replace the array and optimisers still update the right one.
    ``decay`` says whether L2/L1 weight decay applies (True for weights, False for biases).
    """

    __slots__ = ("layer", "name", "decay")

    def __init__(self, layer, name, decay):
        self.layer, self.name, self.decay = layer, name, decay

    @property
    def value(self):
        return getattr(self.layer, self.name)

    @property
    def grad(self):
        return getattr(self.layer, "nabla_" + self.name)

    def __repr__(self):
        return f"<parameter {self.name} {self.value.shape} of {type(self.layer).__name__}>"


class Layer:
    """Base class; see the module docstring. Subclasses set ``kind`` (their name in ``LAYERS``)."""

    kind = "layer"
    params = ()
    decay = ()
    #: True for layers whose output depends on random draws (they get the run's ``rng``)
    random = False

    def forward(self, a, training=False):
        raise NotImplementedError

    def backward(self, grad, input_grad=True):
        raise NotImplementedError

    def output_shape(self, input_shape):
        """The shape of one example's output, given one example's input shape (tuples)."""
        return input_shape

    def parameters(self):
        """The layer's parameters as :class:`Parameter` handles, in ``params`` order."""
        return [Parameter(self, name, name in self.decay) for name in self.params]

    def config(self):
        """The constructor arguments that rebuild this layer (JSON-friendly), for saving."""
        return {}

    @classmethod
    def array_shapes(cls, config):
        """The shape of every parameter and buffer of a layer built from ``config``, without
        building it (so a saved file can be checked before anything is allocated)."""
        return {}

    def _allocate(self, dtype):
        """Zero parameters, buffers and gradients, shaped by ``array_shapes``."""
        for name, array_shape in self.array_shapes(self.config()).items():
            setattr(self, name, np.zeros(array_shape, dtype))
        for name in self.params:
            setattr(self, "nabla_" + name, np.zeros_like(getattr(self, name)))

    def cast(self, dtype):
        """Convert every parameter, gradient and buffer to ``dtype`` (np.float64 or np.float32)."""
        for name in (*self.params, *getattr(self, "buffers", ())):
            setattr(self, name, getattr(self, name).astype(dtype, copy=False))
        for name in self.params:
            grad = getattr(self, "nabla_" + name)
            if grad.dtype != dtype:
                setattr(self, "nabla_" + name, np.zeros_like(getattr(self, name)))

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.config().items())
        return f"{type(self).__name__}({args})"
