"""The one network engine: a stack of layers, its cost, and training by mini-batch gradient descent.

``Network([784, 30, 10], cost="cross_entropy")`` builds the book's fully connected network out of
``Dense`` layers; a convolutional network is a list of layers::

    Network([Conv2D(1, 20, 5), MaxPool2D(2), Flatten(), Dense(20 * 12 * 12, 100),
             Dense(100, 10, "softmax")], cost="log_likelihood", input_shape=(1, 28, 28))

Conventions (the book's, throughout): columns are examples, so a batch of m inputs is an (n_in, m)
matrix and the example axis is always last ((C, H, W, m) for feature maps); a dense layer's
``w`` is (n_out, n_in) and ``b`` is (n_out, 1), so ``z = w @ a + b``.

What this class does, and where the rest lives:

- forward and backward through the layers (``forward``, ``gradient``, the book's ``backprop``),
  evaluation in chunks (``feedforward``, ``accuracy``, ``total_cost``), its parameters as the
  book's ``weights``/``biases`` lists, snapshots, saving;
- ``SGD`` checks its arguments, picks an optimiser (``nbhelpers.optimizers``), a penalty
  (``nbhelpers.regularization``) and callbacks (``callbacks``), and hands them to the training
  loop (``training``); data are turned into matrices by ``examples`` (all three in this package).

``nbhelpers.network`` (chapter 1), ``network2`` (chapter 3) and ``network3`` (chapter 6) are thin,
book-compatible faces over this class. Used by: every notebook that trains a network, the widgets,
the CLI and the assignments.
"""

from __future__ import annotations

import contextlib
import copy
import math

import numpy as np

from ..activations import get_activation
from ..costs import get_cost
from ..initializers import get_initializer
from ..layers import Dense, Dropout, Layer
from ..optimizers import SGD as PlainSGD
from ..optimizers import get_optimizer
from ..regularization import get_regularization, make_penalty
from ..schedules import make_schedule
from ..validate import fail, fits_in_memory, float_dtype, number, probability, shape, whole
from . import callbacks as cb
from .examples import as_matrices, check_inputs, check_targets
from .serialize import load_network, save_network
from .training import train

#: Evaluation (feedforward, accuracy, cost) works through large data sets in chunks using about
#: this many bytes at a time, so a convolutional network evaluates 10,000 images in little memory.
EVALUATION_BYTES = 64 * 2**20


class _Arrays(list):
    """The book's ``weights`` or ``biases`` list, live: setting an item sets the layer's array."""

    def __init__(self, layers, name):
        super().__init__(getattr(layer, name) for layer in layers)
        self._layers, self._name = layers, name

    def __setitem__(self, index, value):
        if isinstance(index, slice):
            raise TypeError(f"set {self._name} one layer at a time, e.g. net.{self._name}[0] = array")
        layer = self._layers[index]
        old = getattr(layer, self._name)
        value = np.array(value, dtype=old.dtype)   # a copy: the network owns its arrays
        if value.shape != old.shape:
            raise ValueError(f"{self._name}[{index}] must have shape {old.shape}, got {value.shape}")
        setattr(layer, self._name, value)
        super().__setitem__(index, value)


def _what_to_monitor(training, evaluation, training_cost, training_accuracy, evaluation_cost,
                     evaluation_accuracy):
    """SGD's ``monitor_*`` flags, with None read as: training cost and accuracy always, evaluation
    cost and accuracy when there are evaluation data (accuracy only with class labels)."""
    has_labels = evaluation is not None and evaluation[2] is not None
    wanted = dict(
        training_cost=True if training_cost is None else bool(training_cost),
        training_accuracy=(training[2] is not None) if training_accuracy is None
        else bool(training_accuracy),
        evaluation_cost=(evaluation is not None) if evaluation_cost is None else bool(evaluation_cost),
        evaluation_accuracy=has_labels if evaluation_accuracy is None else bool(evaluation_accuracy))
    if (wanted["evaluation_cost"] or wanted["evaluation_accuracy"]) and evaluation is None:
        raise ValueError("monitor_evaluation_cost/accuracy need evaluation_data")
    if wanted["evaluation_accuracy"] and not has_labels:
        raise ValueError("monitor_evaluation_accuracy needs evaluation_data with class labels "
                         "(integer labels or one-hot targets)")
    return wanted


def _check_early_stopping(early_stopping, evaluation):
    """SGD's ``early_stopping`` patience, checked against the evaluation data it must watch."""
    early_stopping = whole(early_stopping, "early_stopping", minimum=1)
    if evaluation is None:
        raise ValueError("early_stopping needs evaluation_data (validation data) to watch")
    if evaluation[2] is None:
        raise ValueError("early_stopping watches the accuracy on evaluation_data, which has "
                         "no class labels (its targets are not one-hot); it cannot be used "
                         "for a regression problem")
    return early_stopping


class Network:
    """A feedforward network: layers, a cost, and mini-batch SGD; see the module docstring.

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
        self.rng = rng if rng is not None else np.random.default_rng(whole(seed, "seed", minimum=0))
        if not isinstance(self.rng, np.random.Generator):
            raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
        self.cost = get_cost(cost)
        items = self._as_list(sizes)
        if all(isinstance(item, Layer) for item in items):
            if activation is not None or output_activation is not None:
                raise ValueError("activation and output_activation are for a network built from "
                                 "sizes; give each layer its own activation instead")
            layers = items
            for layer in layers:
                layer.cast(self.dtype)
            # a plain chain of Dense layers is the book's network: it has sizes too
            self.sizes = [layers[0].n_in] + [layer.n_out for layer in layers] \
                if all(type(layer) is Dense for layer in layers) else None
        else:
            self.sizes = self._check_sizes(items)
            hidden = get_activation(activation if activation is not None else "sigmoid")
            if output_activation is None:
                output_activation = "softmax" if self.cost.name == "log_likelihood" else "sigmoid"
            layers = [Dense(n_in, n_out, hidden, self.dtype)
                      for n_in, n_out in zip(self.sizes[:-2], self.sizes[1:-1])]
            layers.append(Dense(self.sizes[-2], self.sizes[-1], output_activation, self.dtype))
            if hidden.name == "softmax" and len(layers) > 1:
                fail("activation", "an element-wise activation (softmax belongs in "
                     "output_activation)", "softmax")
        self.layers = layers
        self._connect(input_shape)
        self.cost.check_output(self.layers[-1].activation)
        if init is not None:
            self.initialize(init)
        self.init = init

    # ------------------------------------------------------------------ set-up

    @staticmethod
    def _as_list(sizes):
        if isinstance(sizes, (str, bytes, dict)) or not hasattr(sizes, "__iter__"):
            fail("sizes", "a list of layer sizes like [784, 30, 10], or a list of layers", sizes)
        return list(sizes)

    def _check_sizes(self, sizes):
        if len(sizes) < 2 or not all(isinstance(n, (int, np.integer)) and not isinstance(n, bool)
                                     and n >= 1 for n in sizes):
            fail("sizes", "a list of at least two whole numbers >= 1 (input layer first), or a list "
                 "of layers", sizes)
        sizes = [int(n) for n in sizes]
        count = sum((n_in + 1) * n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))
        fits_in_memory(count, self.dtype.itemsize, "sizes", f"a network of sizes {sizes}")
        return sizes

    def _connect(self, input_shape):
        """Check that the layers fit together; work out shapes, the output layer and chunk sizes."""
        if not self.layers:
            fail("sizes", "a non-empty list of layers", self.layers)
        first = self.layers[0]
        if input_shape is None:
            if not isinstance(first, Dense):
                fail("input_shape", f"one example's shape, e.g. (1, 28, 28), when the first layer is "
                     f"{type(first).__name__}", input_shape)
            input_shape = (first.n_in,)
        self.input_shape = shape(input_shape, "input_shape")
        self.n_in = math.prod(self.input_shape)
        shapes, widest = [self.input_shape], 0
        for i, layer in enumerate(self.layers):
            try:
                out = layer.output_shape(shapes[-1])
            except ValueError as err:
                raise ValueError(f"layers[{i}]: {err}") from None
            work = layer.workspace(shapes[-1]) if hasattr(layer, "workspace") else 0
            widest = max(widest, math.prod(shapes[-1]) + math.prod(out) + work)
            shapes.append(out)
        last = self.layers[-1]
        if len(shapes[-1]) != 1 or not hasattr(last, "backward_delta"):
            fail("layers", "a list ending in a Dense (or Activation) layer that gives one column per "
                 "example; put Flatten() and a Dense layer after feature maps", type(last).__name__)
        self.n_out = shapes[-1][0]
        self.shapes = shapes
        self._chunk = max(1, EVALUATION_BYTES // (self.dtype.itemsize * 2 * widest))
        # backward passes stop at the first layer with parameters: nothing below needs a gradient
        self._first = next((i for i, layer in enumerate(self.layers) if layer.params), 0)
        self._parameters = None

    def initialize(self, init="default"):
        """Draw fresh weights and biases with the initialiser called ``init``.

        Every weighted layer's weights are drawn first, then every layer's biases, in layer order
        (the order of the book's code, so a [784, 30, 10] network starts from the same numbers).
        """
        initializer = get_initializer(init)
        weighted = self._weighted()
        for layer in weighted:
            layer.w = initializer.weights(layer.w.shape, layer.fan_in, layer.fan_out,
                                          self.rng).astype(self.dtype)
        for layer in weighted:
            layer.b = initializer.biases(layer.b.shape, self.rng).astype(self.dtype)
        self.init = init

    def _weighted(self):
        return [layer for layer in self.layers if "w" in layer.params and "b" in layer.params]

    @property
    def weights(self):
        """Every weighted layer's ``w`` ((n_out, n_in) for Dense), input side first: a live list."""
        return _Arrays(self._weighted(), "w")

    @weights.setter
    def weights(self, arrays):
        self._set_all("weights", arrays)

    @property
    def biases(self):
        """Every weighted layer's ``b`` ((n_out, 1)), input side first: a live list."""
        return _Arrays(self._weighted(), "b")

    @biases.setter
    def biases(self, arrays):
        self._set_all("biases", arrays)

    def _set_all(self, name, arrays):
        arrays = list(arrays)
        target = getattr(self, name)
        if len(arrays) != len(target):
            fail(name, f"a list of {len(target)} arrays (one per weighted layer)",
                 f"a list of {len(arrays)}")
        for i, array in enumerate(arrays):
            target[i] = array

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
        return [(layer, name, getattr(layer, name).copy()) for layer in self.layers
                for name in (*layer.params, *getattr(layer, "buffers", ()))]

    def restore(self, snapshot):
        """Put back what ``snapshot()`` copied (into the same arrays, so references stay valid)."""
        for layer, name, saved in snapshot:
            getattr(layer, name)[...] = saved

    def bind_rng(self, rng):
        """Give ``rng`` to every layer that draws random numbers (dropout)."""
        for layer in self.layers:
            if layer.random:
                layer.rng = rng

    @contextlib.contextmanager
    def frozen(self):
        """Within this block, training-mode passes repeat themselves exactly: dropout reuses its
        last mask and batch normalisation leaves its running averages alone (gradient checks)."""
        changed = [layer for layer in self.layers if hasattr(layer, "frozen")]
        for layer in changed:
            layer.frozen = True
        try:
            yield self
        finally:
            for layer in changed:
                layer.frozen = False

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
        lines = [f"{'layer':<44} {'output shape':<16} {'parameters':>10}",
                 f"{'input':<44} {str(self.input_shape):<16} {'':>10}"]
        total = 0
        for layer, out in zip(self.layers, self.shapes[1:]):
            count = sum(getattr(layer, name).size for name in layer.params)
            total += count
            lines.append(f"{repr(layer)[:44]:<44} {str(out):<16} {count:>10,}")
        lines.append(f"{'total':<44} {'':<16} {total:>10,}  (cost: {self.cost.name})")
        return "\n".join(lines)

    # ------------------------------------------------------------------ forward and backward

    def forward(self, a, training=False):
        """The output for a batch ``a`` (n_in, m), layer by layer; each layer keeps what backward needs.

        ``training=True`` switches dropout and batch normalisation to their training behaviour.
        """
        if len(self.input_shape) > 1 and a.ndim == 2:
            a = a.reshape(*self.input_shape, a.shape[1])
        for layer in self.layers:
            a = layer.forward(a, training)
        return a

    def feedforward(self, a):
        """The network's output for input ``a``: (n_in, m) -> (n_out, m). A 1-D input is one column.

        Large inputs are evaluated in chunks of columns, so memory stays small.
        """
        return self._output(self._check_input(a))

    def _check_input(self, a, name="a"):
        return check_inputs(a, self.n_in, self.dtype, name)

    def _output(self, X):
        m, chunk = X.shape[1], self._chunk
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            if m <= chunk:
                return self.forward(X)
            return np.concatenate([self.forward(X[:, k:k + chunk]) for k in range(0, m, chunk)],
                                  axis=1)

    def forward_pass(self, x):
        """Every layer's weighted input and activation, for teaching: ``(zs, outputs, activations)``.

        ``zs[l]`` and ``outputs[l]`` are the l-th weighted layer's z and activation(z), shape
        (n_{l+1}, m); ``activations`` is ``[x] + outputs`` (what each layer receives, then the
        network's output), as in the book's ``backprop``.
        """
        x = self._check_input(x, "x")
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            output = self.forward(x)
        layers = [layer for layer in self.layers if hasattr(layer, "z")]
        zs = [layer.z for layer in layers]
        outputs = [layer.a for layer in layers]
        activations = [getattr(layer, "a_in", None) for layer in layers] + [output]
        activations[0] = x
        return zs, outputs, activations

    def gradient(self, x, y, training=True, scale=1.0):
        """Backpropagate the mean cost of the batch ``x`` (n_in, m), ``y`` (n_out, m).

        Afterwards each layer's ``nabla_w``, ``nabla_b`` (...) hold dC/dw, dC/db for
        C = (1/m) sum_x C_x (without the regularisation term), times ``scale``: backpropagation is
        linear in the output error, so scaling it once scales every gradient (plain SGD asks for
        -eta and gets its steps directly; see ``nbhelpers.optimizers``). Returns the output.
        """
        a = self.forward(x, training)
        layers, first = self.layers, self._first
        last = len(layers) - 1
        delta = self.cost.delta(layers[last].z, a, y, layers[last].activation)   # BP1
        delta *= scale / y.shape[-1]
        grad = layers[last].backward_delta(delta, last > first)
        for i in range(last - 1, first - 1, -1):
            grad = layers[i].backward(grad, i > first)
        return a

    def input_gradient(self, x, y):
        """dC_x/dx for every example: the gradient of each example's own cost (not divided by m)
        with respect to its input, shaped like ``x`` ((n_in, m), or feature maps).

        It is the backward pass carried one layer further than training needs, through the first
        layer, for the network as it is used (dropout off, batch normalisation's running
        averages). Adversarial examples are made from it. The layers' ``nabla_*`` arrays are
        overwritten on the way.
        """
        shape = np.shape(x)
        x = self._check_input(x, "x")
        y = check_targets(y, self.n_out, x.shape[1], self.dtype, "y")
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            a = self.forward(x, training=False)
            last = self.layers[-1]
            grad = last.backward_delta(self.cost.delta(last.z, a, y, last.activation), True)
            for layer in reversed(self.layers[:-1]):
                grad = layer.backward(grad, True)
        return grad.reshape(shape)

    def backprop_batch(self, x, y):
        """Gradient of the mean cost over a mini-batch, by backpropagation as matrix products.

        Args:
            x: (n_in, m) inputs; y: (n_out, m) desired outputs.
        Returns:
            ``(nabla_b, nabla_w)``, lists shaped like ``biases`` and ``weights``: the gradient of
            C = (1/m) sum_x C_x (the regularisation term is not included). Dropout and batch
            normalisation behave as in training.
        """
        x = self._check_input(x, "x")
        y = check_targets(y, self.n_out, x.shape[1], self.dtype, "y")
        self.bind_rng(self.rng)
        self.gradient(x, y, training=True)
        weighted = self._weighted()
        return [layer.nabla_b.copy() for layer in weighted], [layer.nabla_w.copy() for layer in weighted]

    def backprop(self, x, y):
        """The book's per-example backprop: the gradient of C_x for one example.

        Args:
            x: (n_in, 1) input column; y: (n_out, 1) desired output (or an integer label).
        Returns:
            ``(nabla_b, nabla_w)``, lists shaped like ``biases`` and ``weights``.
        """
        x = self._check_input(x, "x")
        if x.shape[1] != 1:
            raise ValueError(f"x must be one example of shape ({self.n_in}, 1), got {x.shape}; "
                             "use backprop_batch for a mini-batch")
        if np.ndim(y) == 0:
            _, y, _ = self.prepare((x, np.array([y])), "y")
        return self.backprop_batch(x, y)

    # ------------------------------------------------------------------ data and evaluation

    def prepare(self, data, name="training_data"):
        """Turn data into matrices: ``(X (n_in, n), Y (n_out, n), labels (n,) or None)``.

        Accepts ``(X, y)`` with X (n_in, n) and y either int labels (n,) or targets (n_out, n), or
        the book's list of ``(x, y)`` pairs; see ``nbhelpers.engine.examples``.
        """
        return as_matrices(data, self.n_in, self.n_out, self.dtype, name)

    def predict(self, x):
        """The index of the most active output neuron for each column of x: (n_in, m) -> (m,)."""
        return np.argmax(self.feedforward(x), axis=0)

    def evaluate(self, data):
        """The number of examples classified correctly (the book's ``evaluate``)."""
        X, _, labels = self.prepare(data, "data")
        if labels is None:
            raise ValueError("data must have class labels (or one-hot targets) to count correct answers")
        return int(np.sum(np.argmax(self._output(X), axis=0) == labels))

    def accuracy(self, data):
        """The fraction of examples classified correctly, in [0, 1]."""
        X, _, labels = self.prepare(data, "data")
        return self.accuracy_of(X, labels)

    def accuracy_of(self, X, labels):
        """Accuracy on prepared matrices (NaN when there are no class labels)."""
        if labels is None:
            return float("nan")
        return float(np.mean(np.argmax(self._output(X), axis=0) == labels))

    def weight_penalty(self, lmbda, n, regularization="l2"):
        """The regularisation term: (lmbda/2n) sum w^2 for L2, (lmbda/n) sum |w| for L1."""
        penalty = make_penalty(regularization, number(lmbda, "lmbda", low=0.0), whole(n, "n", minimum=1))
        return penalty.penalty(self.weights) if penalty is not None else 0.0

    def total_cost(self, data, lmbda=0.0, regularization="l2", n=None):
        """The mean cost over ``data`` plus the regularisation term (with n = len(data) by default)."""
        X, Y, _ = self.prepare(data, "data")
        penalty = make_penalty(regularization, number(lmbda, "lmbda", low=0.0),
                               X.shape[1] if n is None else whole(n, "n", minimum=1))
        return self.cost_of(X, Y, penalty)

    def cost_of(self, X, Y, penalty=None):
        """Mean cost on prepared matrices, in chunks, plus ``penalty`` (an L2/L1 object or None)."""
        m, chunk = X.shape[1], self._chunk
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            cost = sum(self.cost.fn(self.forward(X[:, k:k + chunk]), Y[:, k:k + chunk])
                       * min(chunk, m - k) for k in range(0, m, chunk)) / m
        return cost + (penalty.penalty(self.weights) if penalty is not None else 0.0)

    # ------------------------------------------------------------------ training

    def update_mini_batch(self, x, y, eta, lmbda=0.0, n=1, regularization="l2", dropout=0.0,
                          rng=None):
        """One gradient-descent step on the mini-batch ``x`` (n_in, m), ``y`` (n_out, m).

        w -> w - eta * (nabla_w + regularisation gradient), b -> b - eta * nabla_b, where the
        gradients are means over the mini-batch and the regularisation is scaled by the training-set
        size ``n`` (L2: (lmbda/n) w, so w -> (1 - eta*lmbda/n) w - eta*nabla_w; L1: (lmbda/n) sign(w));
        biases are not regularised.
        """
        x = self._check_input(x, "x")
        y = check_targets(y, self.n_out, x.shape[1], self.dtype, "y")
        optimizer = PlainSGD(eta)
        optimizer.penalty = make_penalty(regularization, number(lmbda, "lmbda", low=0.0),
                                         whole(n, "n", minimum=1))
        with self._dropout(probability(dropout, "dropout")):
            self.bind_rng(rng or self.rng)
            scale = optimizer.gradient_scale
            self.gradient(x, y, True, scale)
            optimizer.step(self.parameters(), scale)

    @contextlib.contextmanager
    def _dropout(self, p):
        """While active, a Dropout(p) layer follows every hidden layer (none when p is 0)."""
        if not p:
            yield
            return
        saved = self.layers
        layers = []
        for layer in saved[:-1]:
            layers.append(layer)
            if hasattr(layer, "activation"):
                layers.append(Dropout(p))
        self.layers = layers + [saved[-1]]
        self._parameters = None
        try:
            yield
        finally:
            self.layers = saved
            self._parameters = None

    def SGD(self, training_data, epochs, mini_batch_size, eta, lmbda=0.0, evaluation_data=None,
            monitor_evaluation_cost=None, monitor_evaluation_accuracy=None,
            monitor_training_cost=None, monitor_training_accuracy=None, *,
            optimizer="sgd", regularization="l2", dropout=0.0, schedule=None, early_stopping=None,
            monitor_batch_cost=False, monitor_gradients=None, callback=None, callbacks=(),
            stop=None, rng=None, seed=None, progress=True, verbose=True):
        """Train by mini-batch gradient descent and return the per-epoch ``History``.

        Args:
            training_data: ``(X, y)`` with X (n_in, n) and y labels (n,) or targets (n_out, n), or
                the book's list of ``(x, y)`` pairs.
            epochs: how many passes over the training data.
            mini_batch_size: examples per gradient step (the last mini-batch may be smaller).
            eta: the learning rate (> 0) of the optimiser; the starting rate with a ``schedule``.
            lmbda: regularisation strength (>= 0), scaled by the training-set size n as in the book.
            evaluation_data: optional held-out data in the same forms, for monitoring.
            monitor_*: what to record each epoch. ``None`` (the default) means: training cost and
                accuracy always, evaluation cost and accuracy when there is evaluation data.
            optimizer: ``"sgd"`` (the book's rule), ``"momentum"``, ``"nesterov"``, ``"adagrad"``,
                ``"rmsprop"``, ``"adam"``, or an optimiser object from ``nbhelpers.optimizers``.
            regularization: ``"l2"`` (weight decay) or ``"l1"``.
            dropout: probability in [0, 1) of dropping each hidden neuron during training.
            schedule: ``None``/``"constant"``, ``"step"``, ``"plateau"`` or a schedule object from
                ``nbhelpers.schedules``.
            early_stopping: stop when the evaluation accuracy has not improved for this many
                epochs, and restore the weights of the best epoch.
            monitor_batch_cost: also record every mini-batch's cost in ``history.batch_cost``.
            monitor_gradients: ``"epoch"`` or ``"batch"``: record the length of each layer's
                gradient dC/db in ``history.gradient_norms`` / ``history.batch_gradient_norms``.
            callback: called as ``callback(net, history)`` after each recorded epoch, including
                one cut short (e.g. for a live plot); it may raise ``StopTraining``.
            callbacks: more ``nbhelpers.engine.callbacks.Callback`` objects, called after the built-in ones.
            stop: a function of no arguments (or a ``threading.Event``), checked after every
                mini-batch; training ends cleanly when it returns True (the widgets' Stop button).
            rng, seed: the generator (or a seed for one) for shuffling and dropout; by default
                the network's own.
            progress: show a tqdm progress bar over epochs.
            verbose: print one line per epoch, and why training stopped early.

        Each epoch shuffles with ``perm = rng.permutation(n)`` and steps through the mini-batches
        ``perm[k:k + mini_batch_size]`` in order. Ctrl-C (a kernel interrupt) ends training after
        the current mini-batch and keeps what was learned. A run that diverges (weights or cost not
        finite, the cost exploding, or every output the same) stops, the weights are put back as
        they were at the start of that epoch, and ``history.message`` says what to change.
        """
        epochs = whole(epochs, "epochs", minimum=0)
        mini_batch_size = whole(mini_batch_size, "mini_batch_size", minimum=1)
        eta = number(eta, "eta", low=0.0, low_open=True)
        lmbda = number(lmbda, "lmbda", low=0.0)
        dropout = probability(dropout, "dropout")
        get_regularization(regularization)
        optimizer = get_optimizer(optimizer, eta)
        schedule = make_schedule(schedule, eta)
        if rng is None:
            rng = np.random.default_rng(whole(seed, "seed", minimum=0)) if seed is not None else self.rng
        # built (and so checked) before any work is done
        steps = [cb.StopControl(stop)]
        user = [cb.EpochFunction(callback)] if callback is not None else []
        extra = list(callbacks)
        for item in extra:
            if not isinstance(item, cb.Callback):
                fail("callbacks", "a list of nbhelpers.engine.callbacks.Callback objects", item)

        training = self.prepare(training_data, "training_data")
        evaluation = None if evaluation_data is None else self.prepare(evaluation_data, "evaluation_data")
        wanted = _what_to_monitor(training, evaluation, monitor_training_cost, monitor_training_accuracy,
                                  monitor_evaluation_cost, monitor_evaluation_accuracy)
        if early_stopping is not None:
            early_stopping = _check_early_stopping(early_stopping, evaluation)
        optimizer.penalty = make_penalty(regularization, lmbda, training[0].shape[1])

        steps += [cb.DivergenceGuard(), cb.Monitor(**wanted)]
        if monitor_batch_cost:
            steps.append(cb.BatchCost())
        if monitor_gradients is not None:
            steps.append(cb.GradientMonitor(monitor_gradients))
        if early_stopping is not None:
            steps.append(cb.EarlyStopping(early_stopping))
        steps += [cb.ScheduleEta(schedule), cb.ProgressLog(progress, verbose), *user, *extra]
        with self._dropout(dropout):
            return train(self, training, epochs, mini_batch_size, optimizer, steps, rng, evaluation)

    # ------------------------------------------------------------------ saving

    def save(self, path):
        """Save to ``path``: ``.json`` (readable) or ``.npz`` (compact); see ``engine.serialize``."""
        save_network(self, path)

    @classmethod
    def load(cls, path):
        """Load a network saved by ``save`` (or by the book's ``network2.save``) as this class.

        The file is checked completely before anything is built; a file that does not fit raises
        a ValueError naming it and the problem.
        """
        return load_network(path, cls)

    @classmethod
    def from_layers(cls, layers, cost, dtype=np.float64, input_shape=None):
        """A network of this class made of ``layers`` as they are (no initialisation)."""
        net = cls.__new__(cls)
        Network.__init__(net, layers, cost=cost, init=None, dtype=dtype, input_shape=input_shape)
        return net
