"""The one network engine: a stack of layers and its cost, the facade every lesson trains.

``Network([784, 30, 10], cost="cross_entropy")`` builds the book's fully connected network out of
``Dense`` layers; a convolutional network is a list of layers::

    Network([Conv2D(1, 20, 5), MaxPool2D(2), Flatten(), Dense(20 * 12 * 12, 100),
             Dense(100, 10, "softmax")], cost="log_likelihood", input_shape=(1, 28, 28))

Conventions (the book's, throughout): columns are examples, so a batch of m inputs is an (n_in, m)
matrix and the example axis is always last ((C, H, W, m) for feature maps); a dense layer's
``w`` is (n_out, n_in) and ``b`` is (n_out, 1), so ``z = w @ a + b``.

This class holds the layers and runs the passes through them: ``forward``, ``gradient`` (after
which every layer's ``nabla_p`` is dC/dp of the mean cost), the book's ``backprop`` and
``update_mini_batch``, its parameters as the book's ``weights``/``biases``, snapshots, saving. The
rest lives beside it in this package: building and checking the layers (``build``), evaluation in
chunks (``evaluation``), data as matrices (``examples``), and training: ``SGD`` hands its arguments
to ``training.fit``, where the policy of a run (what to monitor, which callbacks) sits beside the
loop.

``nbhelpers.network`` (chapter 1) and ``network2`` (chapter 3) are the book's faces over this
class, and ``network3`` (chapter 6) builds its layers. Used by: every notebook that trains a
network, the widgets, the CLI and the assignments.
"""

from __future__ import annotations

import contextlib
import copy

import numpy as np

from ..costs import get_cost
from ..regularization import make_penalty
from ..validate import float_dtype, generator, number, probability, whole
from . import evaluation, passes
from .build import LiveArrays, connect, initialize, layers_from, summary, with_dropout
from .examples import as_matrices, check_inputs
from .serialize import load_network, save_network
from .training import fit

_QUIET = passes.QUIET


class Network:
    """A feedforward network: layers and a cost; see the module docstring.

    Args:
        sizes: neurons per layer, e.g. ``[784, 30, 10]`` (input layer first; at least two), which
            builds Dense layers; or a list of layers from ``nbhelpers.layers``.
        cost: a name from ``nbhelpers.costs.COSTS`` (``"quadratic"``, ``"cross_entropy"``,
            ``"log_likelihood"``) or a cost object.
        activation: the hidden layers' activation, a name from ``nbhelpers.activations.ACTIVATIONS``
            (default sigmoid). Only with ``sizes``: layers carry their own.
        output_activation: the output layer's (default: softmax for the log-likelihood cost,
            sigmoid otherwise). Only with ``sizes``.
        init: a name from ``nbhelpers.initializers.INITIALIZERS`` (``"default"`` is the book's
            chapter-3 N(0, 1/n_in); ``"large"`` the chapter-1 N(0, 1); ``"xavier"``; ``"he"``), or
            None to keep the layers' own values.
        seed: seed for the network's random generator (used to initialise and, unless SGD is given
            its own, to shuffle and drop out). Defaults to 0, so runs repeat exactly.
        rng: a ``numpy.random.Generator`` to use instead of ``seed``.
        dtype: ``np.float64`` (default; exact enough for gradient checks) or ``np.float32`` (faster).
        input_shape: one example's input shape when the first layer does not say it, e.g.
            ``(1, 28, 28)`` for a convolutional first layer; inputs may then be given as (784, m)
            columns or (1, 28, 28, m) feature maps.
    """

    def __init__(self, sizes, cost="quadratic", activation=None, output_activation=None,
                 init="default", seed=0, rng=None, dtype=np.float64, input_shape=None):
        self.dtype = float_dtype(dtype)
        self.rng = generator(rng) if rng is not None else \
            np.random.default_rng(whole(seed, "seed", minimum=0))
        self.cost = get_cost(cost)
        self.sizes, self.layers = layers_from(sizes, self.cost, activation, output_activation,
                                              self.dtype)
        shapes = connect(self.layers, input_shape, self.dtype)
        self.input_shape, self.shapes, self.chunk = shapes.input_shape, shapes.shapes, shapes.chunk
        self.n_in, self.n_out = shapes.n_in, shapes.n_out
        self.training_numbers, self.min_batch = shapes.training_numbers, shapes.min_batch
        #: the optimiser's state after the last run (a velocity, Adam's averages), which
        #: ``save`` keeps and ``SGD(..., resume=True)`` continues from; None before any run
        self.optimizer_state = None
        self.cost.check_output(self.layers[-1].activation)
        self._parameters = None
        self._dropouts = {}            # built once by dropout(): hidden layer index -> Dropout
        self._pass_through(self.layers)
        if init is not None:
            self.initialize(init)
        self.init = init

    def _pass_through(self, chain):
        """Make the forward and backward passes go through ``chain`` (the layers, with dropout
        during a run that asks for it). Backward passes stop at the first layer with parameters."""
        self._chain = chain
        self._first = next((i for i, layer in enumerate(chain) if layer.params), 0)

    # ------------------------------------------------------------------ parameters

    def initialize(self, init="default"):
        """Draw fresh weights and biases with the initialiser called ``init`` (in the book's order:
        every weighted layer's weights, then every layer's biases)."""
        initialize(self._weighted(), init, self.rng, self.dtype)
        self.init = init

    def _weighted(self):
        return [layer for layer in self.layers if "w" in layer.params and "b" in layer.params]

    @property
    def weights(self):
        """Every weighted layer's ``w`` ((n_out, n_in) for Dense), input side first: a live list."""
        return LiveArrays(self._weighted(), "w")

    @weights.setter
    def weights(self, arrays):
        self.weights.assign(arrays, "weights")

    @property
    def biases(self):
        """Every weighted layer's ``b`` ((n_out, 1)), input side first: a live list."""
        return LiveArrays(self._weighted(), "b")

    @biases.setter
    def biases(self, arrays):
        self.biases.assign(arrays, "biases")

    @property
    def num_layers(self):
        """Layers of neurons, counting the input layer (the book's ``num_layers``)."""
        return len(self._weighted()) + 1

    @property
    def activations(self):
        """The activation of each weighted layer, input side first."""
        return [layer.activation for layer in self._weighted()]

    @property
    def activation(self):
        """The hidden layers' activation (the output layer's for a one-layer network)."""
        return self.activations[0]

    @property
    def output_activation(self):
        return self.layers[-1].activation

    def parameters(self):
        """Every layer's parameters as ``Parameter`` handles (value, grad, decay), input side first."""
        if self._parameters is None:
            self._parameters = [p for layer in self.layers for p in layer.parameters()]
        return self._parameters

    def snapshot(self):
        """Copies of every parameter and buffer (e.g. batch-norm averages), for ``restore``."""
        return [(array, array.copy()) for layer in self.layers for array in layer.arrays().values()]

    def restore(self, snapshot):
        """Put back what ``snapshot()`` copied (into the same arrays, so references stay valid)."""
        for array, saved in snapshot:
            array[...] = saved

    def bind_rng(self, rng):
        """Give ``rng`` to every layer that draws random numbers (dropout)."""
        for layer in self._chain:
            if layer.random:
                layer.rng = rng

    @contextlib.contextmanager
    def frozen(self):
        """Within this block, training-mode passes repeat themselves exactly: dropout reuses its
        last mask and batch normalisation leaves its running averages alone (gradient checks)."""
        chain = self._chain
        for layer in chain:
            layer.frozen = True
        try:
            yield self
        finally:
            for layer in chain:
                layer.frozen = False

    @contextlib.contextmanager
    def dropout(self, p):
        """Within this block, training passes drop each hidden neuron with probability ``p``.

        A ``Dropout`` follows every hidden layer that ends in an activation. The Dropout layers
        are built the first time and kept; each block only sets their rate. ``layers``, which is
        what ``save``, ``summary`` and ``parameters`` see, never changes. ``p = 0``: no dropout.
        """
        p = probability(p, "dropout")
        if not p:
            yield self
            return
        self._pass_through(with_dropout(self.layers, self._dropouts, p))
        try:
            yield self
        finally:
            self._pass_through(self.layers)

    def copy(self):
        """An independent copy (layers, parameters, buffers and random state)."""
        return copy.deepcopy(self)

    def __repr__(self):
        if self.sizes is not None:
            return (f"{type(self).__name__}(sizes={self.sizes}, cost={self.cost.name!r}, "
                    f"activation={self.activation.name!r}, "
                    f"output_activation={self.output_activation.name!r}, dtype={self.dtype.name})")
        return (f"{type(self).__name__}([{', '.join(map(repr, self.layers))}], "
                f"cost={self.cost.name!r}, input_shape={self.input_shape}, dtype={self.dtype.name})")

    def summary(self):
        """A table of the layers: output shape per example and parameter count."""
        return summary(self.layers, self.shapes, self.cost)

    # ------------------------------------------------------------------ forward and backward

    def forward(self, a, training=False):
        """The output for a batch ``a`` (n_in, m), layer by layer; each layer keeps what backward needs.

        ``training=True`` switches dropout and batch normalisation to their training behaviour.
        """
        if len(self.input_shape) > 1 and a.ndim == 2:
            a = a.reshape(*self.input_shape, a.shape[1])
        for layer in self._chain:
            a = layer.forward(a, training)
        return a

    def gradient(self, x, y, training=True):
        """Backpropagate the mean cost of the batch ``x`` (n_in, m), ``y`` (n_out, m); afterwards
        each layer's ``nabla_w``, ``nabla_b`` (...) hold dC/dw, dC/db for C = (1/m) sum_x C_x
        (without the regularisation term). Returns the output."""
        return self._backpropagate(x, y, training, 1.0)

    def _backpropagate(self, x, y, training, scale):
        """``gradient``, with every gradient multiplied by ``scale``: backpropagation is linear in
        the output error, so scaling the error once scales them all. Only the fused plain-SGD step
        (``optimizers.SGD.fused_step``) asks for a scale other than 1."""
        a = self.forward(x, training)
        chain, first = self._chain, self._first
        last = len(chain) - 1
        out = chain[last]
        delta = self.cost.delta(out.z, a, y, out.activation)   # BP1
        delta *= scale / y.shape[-1]                            # ... of the mean cost
        grad = out.backward_delta(delta, last > first)
        for i in range(last - 1, first - 1, -1):
            grad = chain[i].backward(grad, i > first)
        return a

    def input_gradient(self, x, y):
        """dC_x/dx for every example, shaped like ``x``; see ``passes.input_gradient``."""
        return passes.input_gradient(self, x, y)

    def forward_pass(self, x):
        """Every layer's ``(zs, outputs, activations)``, for teaching; see ``passes.forward_pass``."""
        return passes.forward_pass(self, x)

    def backprop_batch(self, x, y):
        """``(nabla_b, nabla_w)`` of the mean cost over a mini-batch; see ``passes.backprop_batch``."""
        return passes.backprop_batch(self, x, y)

    def backprop(self, x, y):
        """The book's per-example ``(nabla_b, nabla_w)`` of C_x; see ``passes.backprop``."""
        return passes.backprop(self, x, y)

    # ------------------------------------------------------------------ data and evaluation

    def prepare(self, data, name="training_data"):
        """Data as checked matrices, ``Examples(X (n_in, n), Y (n_out, n), labels (n,) or None)``,
        from ``(X, y)`` arrays or the book's list of ``(x, y)`` pairs; see ``engine.examples``."""
        return as_matrices(data, self.n_in, self.n_out, self.dtype, name)

    def _check_input(self, a, name="a"):
        return check_inputs(a, self.n_in, self.dtype, name)

    def feedforward(self, a):
        """The network's output for input ``a``: (n_in, m) -> (n_out, m), evaluated in chunks of
        columns (a 1-D input is one column)."""
        with np.errstate(**_QUIET):
            return evaluation.outputs(self, self._check_input(a))

    def predict(self, x):
        """The index of the most active output neuron for each column of x: (n_in, m) -> (m,)."""
        return np.argmax(self.feedforward(x), axis=0)

    def evaluate(self, data):
        """The number of examples classified correctly (the book's ``evaluate``)."""
        X, _, labels = self.prepare(data, "data")
        if labels is None:
            raise ValueError("data must have class labels (or one-hot targets) to count correct answers")
        return round(self.accuracy_of(X, labels) * X.shape[1])

    def accuracy(self, data):
        """The fraction of examples classified correctly, in [0, 1]."""
        X, _, labels = self.prepare(data, "data")
        return self.accuracy_of(X, labels)

    def accuracy_of(self, X, labels):
        """Accuracy on prepared matrices (NaN when there are no class labels)."""
        with np.errstate(**_QUIET):
            return evaluation.measure(self, X, None, labels, cost=False)[1]

    def total_cost(self, data, lmbda=0.0, regularization="l2", n=None):
        """The mean cost over ``data`` plus the regularisation term (with n = len(data) by default)."""
        X, Y, _ = self.prepare(data, "data")
        penalty = make_penalty(regularization, number(lmbda, "lmbda", low=0.0),
                               X.shape[1] if n is None else whole(n, "n", minimum=1))
        return self.cost_of(X, Y, penalty)

    def cost_of(self, X, Y, penalty=None):
        """Mean cost on prepared matrices, in chunks, plus ``penalty`` (an L2/L1 object or None)."""
        with np.errstate(**_QUIET):
            return evaluation.measure(self, X, Y, None, penalty, accuracy=False)[0]

    # ------------------------------------------------------------------ training

    def update_mini_batch(self, x, y, eta, lmbda=0.0, n=1, regularization="l2", dropout=0.0,
                          rng=None):
        """One gradient-descent step on the mini-batch ``x`` (n_in, m), ``y`` (n_out, m), with L2
        or L1 for a training set of ``n``; see ``passes.update_mini_batch``."""
        return passes.update_mini_batch(self, x, y, eta, lmbda, n, regularization, dropout, rng)

    def SGD(self, training_data, epochs, mini_batch_size, eta, lmbda=0.0, evaluation_data=None,
            monitor_evaluation_cost=None, monitor_evaluation_accuracy=None,
            monitor_training_cost=None, monitor_training_accuracy=None, **options):
        """Train by mini-batch gradient descent and return the per-epoch ``History``: the book's
        arguments, then keyword options (``optimizer``, ``dropout``, ``schedule``, ``early_stopping``,
        ``callback``, ``stop``, ``verbose``, ...), all described in ``engine.training.fit``."""
        return fit(self, training_data, epochs, mini_batch_size, eta, lmbda, evaluation_data,
                   monitor_evaluation_cost, monitor_evaluation_accuracy, monitor_training_cost,
                   monitor_training_accuracy, **options)

    # ------------------------------------------------------------------ saving

    def save(self, path):
        """Save to ``path``: ``.json`` (readable) or ``.npz`` (compact); see ``engine.serialize``."""
        save_network(self, path)

    @classmethod
    def load(cls, path):
        """Load a network saved by ``save`` (or by the book's ``network2.save``) as this class;
        the file is checked completely first (a ValueError names it and the problem)."""
        return load_network(path, cls)

    @classmethod
    def from_layers(cls, layers, cost, dtype=np.float64, input_shape=None):
        """A network of this class made of ``layers`` as they are (no initialisation)."""
        net = cls.__new__(cls)
        Network.__init__(net, layers, cost=cost, init=None, dtype=dtype, input_shape=input_shape)
        return net
