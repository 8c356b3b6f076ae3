"""The layer contract: what every layer must define, what it may, and the defaults it inherits.

A layer maps a batch of inputs to a batch of outputs. **The example axis is always last**: a
fully connected layer sees (n, m) matrices (one column per example, as in the book) and a
convolutional layer sees (C, H, W, m) feature maps. ``shape`` arguments and ``output_shape`` leave
the example axis out: (n,) or (C, H, W).

A new layer is a subclass of :class:`Layer`. It **must** define

- ``forward(a, training=False)``: the output for the batch ``a``, keeping what ``backward`` will
  need. ``training`` switches the layers that behave differently while training (dropout drops
  neurons only then; batch normalisation uses the batch's statistics then).
- the backward pass, one of two ways:

  - a layer **without an activation** defines ``backward(grad, input_grad=True)``: given
    dC/d(output) of the last ``forward``, store the gradient of each parameter ``p`` in
    ``nabla_p`` and return dC/d(input) (or None when ``input_grad`` is False: the lowest layer
    with parameters is asked not to compute a gradient nobody needs);
  - a layer **with an activation** (``a' = activation(z)``, as Dense and Conv2D) sets
    ``self.activation``, keeps ``self.z`` and ``self.a`` in ``forward``, and defines
    ``backward_delta(delta, input_grad=True)``, the same pass starting from delta = dC/dz. The
    inherited ``backward`` applies the activation's derivative (BP2) and calls it; the network
    enters the output layer through ``backward_delta``, since the cost gives delta there (BP1).

Everything else has a default here, which a layer overrides when it needs to:

=================  =============  ==================================================================
attribute          default        meaning
=================  =============  ==================================================================
``kind``           ``"layer"``    its name in ``nbhelpers.layers.LAYERS`` (saving needs it there)
``params``         ``()``         names of its parameter arrays; ``p``'s gradient is ``nabla_p``
``decay``          ``()``         the params weight decay (L2/L1) applies to: weights, not biases
``buffers``        ``()``         arrays kept and saved but not learned (running averages)
``activation``     ``None``       its activation object, if it ends in one (see above)
``random``         ``False``      it draws random numbers: the network gives it ``rng``
``rng``            ``None``       the generator it draws from
``frozen``         ``False``      while True, training passes repeat exactly: random draws are
                                  reused and buffers left alone (gradient checks set it)
``fan_in``,        from ``w``     for a layer with ``w`` and ``b``, which the network's initialiser
``fan_out``                       draws: the inputs and outputs each weight connects, from ``w``'s
                                  shape (n_out, n_in, ...): prod(n_in, ...), n_out * prod(...)
                                  (the initialiser draws every array in ``decay``, each other
                                  weight array with fan-in and fan-out read from its own shape)
``fixed_input_``    ``None``       one example's input shape when the layer fixes it (Dense:
``shape``                         (n_in,)); a network whose first layer says none needs
                                  ``input_shape=``
``output_shape``   same shape     one example's output shape, given one example's input shape;
                                  raise ValueError when the input does not fit
``workspace``      ``0``          extra numbers per example its forward pass holds (sizing
                                  evaluation chunks, checking memory)
``time_gradient_  ``None``       for a layer with a time axis (recurrent layers): after a
norms()``                         backward pass, the length of dC/dh_t for each time step t, which
                                  the gradient monitor records
``min_batch``      ``1``          the fewest examples a training pass needs (batch statistics: 2)
``config``         ``{}``         the constructor arguments that rebuild it (saving, ``repr``)
``array_shapes``   ``{}``         the shape of every param and buffer for a ``config`` (checking a
                                  saved file before building anything)
=================  =============  ==================================================================

**What a gradient is.** After a backward pass, ``nabla_p`` holds dC/dp, the gradient of the
*mean* cost of the batch, C = (1/m) sum_x C_x. The network divides the output error by m before
it reaches the layers (BP1 for the mean cost), so a layer simply sums over the batch (BP3, BP4);
it never divides by m itself.

Provided for every layer: ``parameters()`` (the arrays as :class:`Parameter` handles for an
optimiser), ``arrays()`` (params and buffers by name), ``cast(dtype)``, and ``_allocate(dtype)``
(zero params, buffers and gradients shaped by ``array_shapes``).

Used by: every layer module in this package, the engine (``nbhelpers.engine``), the optimisers,
gradient checks and saving; and by notebooks 10 and 11, whose exercises write new layers.
"""

from __future__ import annotations

import math

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
    """Base class of every layer; the contract is in the module docstring."""

    kind = "layer"
    params = ()
    decay = ()
    buffers = ()
    activation = None
    random = False
    rng = None
    frozen = False

    # ------------------------------------------------------------------ must define

    def forward(self, a, training=False):
        raise NotImplementedError(f"{type(self).__name__} must define forward(a, training=False)")

    def backward(self, grad, input_grad=True):
        """dC/d(output) -> dC/d(input), storing ``nabla_p`` for every parameter ``p``.

        This default is for a layer with an activation: delta = dC/dz is the activation's
        derivative applied to ``grad`` (BP2), and ``backward_delta`` does the rest.
        """
        if self.activation is None:
            raise NotImplementedError(f"{type(self).__name__} must define backward(grad, "
                                      "input_grad=True), or set an activation and define "
                                      "backward_delta(delta, input_grad=True)")
        delta = self.activation.backward(self.z, self.a, grad)
        return self.backward_delta(delta, input_grad)

    def backward_delta(self, delta, input_grad=True):
        """The backward pass from delta = dC/dz, for a layer with an activation."""
        raise NotImplementedError(f"{type(self).__name__} has no activation, so it has no "
                                  "backward_delta; only a layer that ends in an activation can "
                                  "be the output layer")

    # ------------------------------------------------------------------ may define

    @property
    def fan_in(self):
        """Inputs per neuron, for initialisers: n_in times any further axes of ``w``."""
        return math.prod(self.w.shape[1:])

    @property
    def fan_out(self):
        """Outputs per input, for initialisers: n_out times ``w``'s axes after n_in."""
        return self.w.shape[0] * math.prod(self.w.shape[2:])

    @property
    def fixed_input_shape(self):
        """One example's input shape if the layer fixes it (a tuple), else None."""
        return None

    def output_shape(self, input_shape):
        """The shape of one example's output, given one example's input shape (tuples)."""
        return input_shape

    def workspace(self, input_shape):
        """Extra numbers per example held by the forward pass (for sizing evaluation chunks and
        checking that a mini-batch fits in memory)."""
        return 0

    def time_gradient_norms(self):
        """For a layer with a time axis: after a backward pass, ||dC/dh_t|| for t = 1, ..., T (a
        1-D array), which the gradient monitor records; None for a layer without one."""
        return None

    def min_batch(self, input_shape):
        """The fewest examples a training pass needs (batch normalisation: 2, since one value
        has no spread), given one example's input shape."""
        return 1

    def config(self):
        """The constructor arguments that rebuild this layer (JSON-friendly), for saving."""
        return {}

    @classmethod
    def array_shapes(cls, config):
        """The shape of every parameter and buffer of a layer built from ``config``, without
        building it (so a saved file can be checked before anything is allocated)."""
        return {}

    # ------------------------------------------------------------------ provided

    def parameters(self):
        """The layer's parameters as :class:`Parameter` handles, in ``params`` order."""
        return [Parameter(self, name, name in self.decay) for name in self.params]

    def arrays(self):
        """Every parameter and buffer by name: ``{"w": ..., "b": ..., "running_mean": ...}``."""
        return {name: getattr(self, name) for name in (*self.params, *self.buffers)}

    def _allocate(self, dtype):
        """Zero parameters, buffers and gradients, shaped by ``array_shapes``."""
        for name, array_shape in self.array_shapes(self.config()).items():
            setattr(self, name, np.zeros(array_shape, dtype))
        for name in self.params:
            setattr(self, "nabla_" + name, np.zeros_like(getattr(self, name)))

    def cast(self, dtype):
        """Convert every parameter, gradient and buffer to ``dtype`` (np.float64 or np.float32)."""
        for name, array in self.arrays().items():
            setattr(self, name, array.astype(dtype, copy=False))
        for p in self.parameters():
            if p.grad.dtype != dtype:
                setattr(self, "nabla_" + p.name, np.zeros_like(p.value))

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.config().items())
        return f"{type(self).__name__}({args})"
