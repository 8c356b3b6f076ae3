"""The book's chapter-6 ``network3.py``, as a face over the numpy engine (no Theano, no GPU).

The book's chapter-6 commands run with only the import changed::

    from nbhelpers import network3
    from nbhelpers.network3 import Network, ConvPoolLayer, FullyConnectedLayer, SoftmaxLayer, ReLU
    training_data, validation_data, test_data = network3.load_data_shared()
    mini_batch_size = 10
    net = Network([
        ConvPoolLayer(image_shape=(mini_batch_size, 1, 28, 28), filter_shape=(20, 1, 5, 5),
                      poolsize=(2, 2)),
        FullyConnectedLayer(n_in=20*12*12, n_out=100),
        SoftmaxLayer(n_in=100, n_out=10)], mini_batch_size)
    net.SGD(training_data, 60, mini_batch_size, 0.1, validation_data, test_data)

It prints what the book's code prints ("Training mini-batch number 0", "Epoch 0: validation accuracy
...", "This is the best validation accuracy to date.", "The corresponding test accuracy is ...",
and the summary at the end). Each book layer becomes engine layers: ``ConvPoolLayer`` is
``Conv2D`` + ``MaxPool2D`` + ``Activation`` (the book also pools before its activation),
``FullyConnectedLayer`` is [``Dropout``] + ``Dense``, ``SoftmaxLayer`` is [``Dropout``] + a softmax
``Dense``, with a ``Flatten`` wherever feature maps meet a fully connected layer. The weights start
as in the book: N(0, 1/n_out) for convolutional and fully connected layers (n_out counted after
pooling), biases N(0, 1), and zeros for the softmax layer. The cost is the log-likelihood.

What differs from the book's Theano code:

- it runs on the CPU with numpy, in float32 by default as the book's Theano code did
  (``floatX = float32``); ``Network(..., dtype=np.float64)`` for double precision;
- the data are the course's: ``load_data_shared()`` gives the bundled 4,000/500/500 sample,
  ``load_data_shared("mnist")`` the full set (downloaded once, or read from a folder you name with
  ``folder=`` or ``NBHELPERS_MNIST_DIR``), each split a pair ``(X, y)`` with one image per column,
  X (784, n) in float32; the book's pickled ``mnist.pkl.gz`` is not read (unpickling can run code);
- each epoch shuffles the training data (the book's code visits the mini-batches in the same order
  every epoch), and the last mini-batch may be smaller;
- dropout is the book's: kept activations pass unscaled in training, and in use every activation
  is multiplied by 1 - p (the book multiplies the weights instead, which is the same);
- ``lmbda`` means what it means in the book's ``network3``: the L2 term is
  0.5 * lmbda * sum(w^2) / num_training_batches, so it is passed to the engine as
  lmbda * mini_batch_size (the engine's lmbda is divided by the number of training examples, as in
  ``network2``);
- ``SGD`` returns the engine's ``History`` (the book's returns nothing) and keeps the best
  validation accuracy, its iteration and the test accuracy there as attributes of the network;
- what the book's Theano graph would only find out while training is checked when the network is
  built, in the terms of your own list of layers: each layer's declared input (``image_shape``,
  ``n_in``) against what the layer before it gives, every ``image_shape[0]`` and ``SGD``'s
  mini-batch size against ``Network(..., mini_batch_size)``, and no layer object used twice.

Used by: notebook 10 (convolutional networks), the ``reproduce`` command and the tests.
"""

from __future__ import annotations

import math

import numpy as np

from . import engine
from .activations import get_activation
from .data import load_mnist
from .engine.callbacks import Callback
from .layers import Activation, Conv2D, Dense, Dropout, Flatten, MaxPool2D
from .validate import fail, number, probability, shape, whole

__all__ = ["Network", "ConvPoolLayer", "FullyConnectedLayer", "SoftmaxLayer", "load_data_shared",
           "linear", "ReLU", "sigmoid", "tanh"]


# The book's activation functions, usable as numpy functions and understood by the layers below.
def linear(z):
    return z


def ReLU(z):  # noqa: N802 (the book's name)
    return np.maximum(0.0, z)


def sigmoid(z):
    return get_activation("sigmoid").fn(np.asarray(z, dtype=float))


def tanh(z):
    return np.tanh(z)


_ACTIVATION_NAMES = {linear: "linear", ReLU: "relu", sigmoid: "sigmoid", tanh: "tanh"}
_BOOK_NAMES = {"linear": "linear", "relu": "ReLU", "sigmoid": "sigmoid", "tanh": "tanh"}


class _BookLayer:
    """What the book's three layer classes share: a readable repr of their arguments."""

    _shown = ()

    def __repr__(self):
        args = []
        for name in self._shown:
            value = getattr(self, name)
            if name == "activation":    # shown as the book writes it: activation_fn=ReLU
                args.append(f"activation_fn={_BOOK_NAMES.get(value, repr(value))}")
            elif name != "p_dropout" or value:
                args.append(f"{name}={value!r}")
        return f"{type(self).__name__}({', '.join(args)})"


def _activation_name(activation_fn):
    if activation_fn in _ACTIVATION_NAMES:
        return _ACTIVATION_NAMES[activation_fn]
    if isinstance(activation_fn, str):
        return get_activation(activation_fn).name
    fail("activation_fn", "one of network3's sigmoid, tanh, ReLU, linear (or an activation name)",
         activation_fn)


def load_data_shared(filename="sample", folder=None):
    """``(training_data, validation_data, test_data)``, each a pair ``(X, y)``: X (784, n) float32,
    y (n,).

    ``filename``: ``"sample"`` (default: the bundled 4,000 / 500 / 500 digits), ``"mnist"`` (the
    full 50,000 / 10,000 / 10,000, downloaded once) or ``"fashion"``. ``folder``: a folder holding
    the four official files of the full set, gzipped or not (see ``nbhelpers.data.load_mnist``).
    """
    if isinstance(filename, str) and filename.endswith((".pkl", ".pkl.gz")):
        raise ValueError(f"filename: the book's pickled data files are not read here (unpickling can "
                         f"run code); use 'sample' or 'mnist', got {filename!r}")
    data = load_mnist(filename, folder=folder, dtype=np.float32)
    return data.train, data.validation, data.test


class ConvPoolLayer(_BookLayer):
    """The book's convolution + max-pooling layer.

    Args:
        filter_shape: (number of filters, input feature maps, filter height, filter width).
        image_shape: (mini-batch size, input feature maps, image height, image width).
        poolsize: the max-pooling window (y, x).
        activation_fn: ``sigmoid`` (default), ``tanh``, ``ReLU`` or ``linear`` from this module.
    """

    _shown = ("filter_shape", "image_shape", "poolsize", "activation")

    def __init__(self, filter_shape, image_shape, poolsize=(2, 2), activation_fn=sigmoid):
        self.filter_shape = shape(filter_shape, "filter_shape", length=4)
        self.image_shape = shape(image_shape, "image_shape", length=4)
        self.poolsize = shape(poolsize, "poolsize", length=2)
        if self.filter_shape[1] != self.image_shape[1]:
            fail("filter_shape", f"filters over {self.image_shape[1]} input feature maps (image_shape[1])",
                 filter_shape)
        self.activation = _activation_name(activation_fn)

    def output_shape(self):
        """(feature maps, height, width) of one image after the convolution and the pooling."""
        k, _, kh, kw = self.filter_shape
        _, _, h, w = self.image_shape
        return (k, (h - kh + 1) // self.poolsize[0], (w - kw + 1) // self.poolsize[1])

    def build(self, rng, dtype):
        k, c, kh, kw = self.filter_shape
        conv = Conv2D(c, k, (kh, kw), activation="linear", dtype=dtype)
        n_out = k * kh * kw / math.prod(self.poolsize)
        conv.w = rng.normal(0.0, np.sqrt(1.0 / n_out), conv.w.shape).astype(dtype)
        conv.b = rng.normal(0.0, 1.0, conv.b.shape).astype(dtype)
        return [conv, MaxPool2D(self.poolsize), Activation(self.activation)]


class FullyConnectedLayer(_BookLayer):
    """The book's fully connected layer, with dropout ``p_dropout`` on its input while training."""

    _shown = ("n_in", "n_out", "activation", "p_dropout")

    def __init__(self, n_in, n_out, activation_fn=sigmoid, p_dropout=0.0):
        self.n_in = whole(n_in, "n_in", minimum=1)
        self.n_out = whole(n_out, "n_out", minimum=1)
        self.activation = _activation_name(activation_fn)
        self.p_dropout = probability(p_dropout, "p_dropout")

    def build(self, rng, dtype):
        dense = Dense(self.n_in, self.n_out, self.activation, dtype)
        dense.w = rng.normal(0.0, np.sqrt(1.0 / self.n_out), dense.w.shape).astype(dtype)
        dense.b = rng.normal(0.0, 1.0, dense.b.shape).astype(dtype)
        return ([Dropout(self.p_dropout, inverted=False)] if self.p_dropout else []) + [dense]


class SoftmaxLayer(FullyConnectedLayer):
    """The book's softmax output layer (weights and biases start at zero)."""

    _shown = ("n_in", "n_out", "p_dropout")

    def __init__(self, n_in, n_out, p_dropout=0.0):
        super().__init__(n_in, n_out, activation_fn="softmax", p_dropout=p_dropout)

    def build(self, rng, dtype):
        return ([Dropout(self.p_dropout, inverted=False)] if self.p_dropout else []) + \
            [Dense(self.n_in, self.n_out, "softmax", dtype)]


class _BookLog(Callback):
    """Prints what the book's ``network3.SGD`` prints, and remembers the best epoch."""

    def __init__(self, net, test, n_batches):
        self.net, self.test, self.n_batches = net, test, n_batches
        self.best_accuracy, self.best_iteration, self.test_accuracy = 0.0, 0, None
        self.iteration = 0

    def on_batch_end(self, run):
        if self.iteration % 1000 == 0:
            print(f"Training mini-batch number {self.iteration}")
        self.iteration += 1

    def on_epoch_end(self, run):
        if run.stop_reason == "diverged" or not run.history.evaluation_accuracy:
            return
        accuracy = run.history.evaluation_accuracy[-1]
        print(f"Epoch {run.epoch}: validation accuracy {accuracy:.2%}")
        if accuracy >= self.best_accuracy:
            print("This is the best validation accuracy to date.")
            self.best_accuracy, self.best_iteration = accuracy, self.iteration - 1
            if self.test is not None:
                self.test_accuracy = self.net.accuracy_of(self.test[0], self.test[2])
                print(f"The corresponding test accuracy is {self.test_accuracy:.2%}")

    def on_train_end(self, run):
        self.net.best_validation_accuracy = self.best_accuracy
        self.net.best_iteration = self.best_iteration
        self.net.best_test_accuracy = self.test_accuracy
        print("Finished training network.")
        print(f"Best validation accuracy of {self.best_accuracy:.2%} obtained at iteration "
              f"{self.best_iteration}")
        if self.test_accuracy is not None:
            print(f"Corresponding test accuracy of {self.test_accuracy:.2%}")


class Network(engine.Network):
    """The book's ``Network(layers, mini_batch_size)`` of ``ConvPoolLayer``, ``FullyConnectedLayer``
    and ``SoftmaxLayer`` objects; see the module docstring.

    After ``SGD``: ``best_validation_accuracy``, ``best_iteration`` and ``best_test_accuracy`` (the
    test accuracy at the best validation epoch, None without test data), as the book prints them.
    """

    best_validation_accuracy = best_iteration = best_test_accuracy = None

    def __init__(self, layers, mini_batch_size, seed=0, dtype=np.float32):
        self.mini_batch_size = whole(mini_batch_size, "mini_batch_size", minimum=1)
        if not isinstance(layers, (list, tuple)) or not layers or not all(
                isinstance(layer, (ConvPoolLayer, FullyConnectedLayer)) for layer in layers):
            fail("layers", "a list of ConvPoolLayer, FullyConnectedLayer and SoftmaxLayer objects",
                 layers)
        self.book_layers = list(layers)
        if not isinstance(self.book_layers[-1], SoftmaxLayer):
            fail("layers", "a list ending in a SoftmaxLayer", type(self.book_layers[-1]).__name__)
        _check_layers(self.book_layers, self.mini_batch_size)
        rng = np.random.default_rng(whole(seed, "seed", minimum=0))
        built, maps = [], isinstance(self.book_layers[0], ConvPoolLayer)
        for layer in self.book_layers:
            if maps and not isinstance(layer, ConvPoolLayer):
                built.append(Flatten())
                maps = False
            built += layer.build(rng, np.dtype(dtype))
        first = self.book_layers[0]
        input_shape = first.image_shape[1:] if isinstance(first, ConvPoolLayer) else (first.n_in,)
        super().__init__(built, cost="log_likelihood", init=None, rng=rng, dtype=dtype,
                         input_shape=input_shape)

    def SGD(self, training_data, epochs, mini_batch_size, eta, validation_data, test_data=None,
            lmbda=0.0, **options):
        """Train as the book's ``network3`` does (printing the same lines); returns the ``History``.

        ``training_data``, ``validation_data``, ``test_data``: ``(X, y)`` pairs as
        ``load_data_shared`` gives them. Extra keyword options go to the engine's ``SGD``.
        """
        mini_batch_size = whole(mini_batch_size, "mini_batch_size", minimum=1)
        if mini_batch_size != self.mini_batch_size:
            fail("mini_batch_size", f"{self.mini_batch_size}, the size this network was built for "
                 f"(Network(layers, {self.mini_batch_size}))", mini_batch_size)
        lmbda = number(lmbda, "lmbda", low=0.0)
        if validation_data is None:
            fail("validation_data", "a pair (X, y) of validation images and labels", None)
        X, Y, labels = self.prepare(validation_data, "validation_data")
        validation_data = (X, Y if labels is None else labels)
        test = None if test_data is None else self.prepare(test_data, "test_data")
        n = self.prepare(training_data, "training_data")[0].shape[1]
        log = _BookLog(self, test, max(1, n // mini_batch_size))
        settings = dict(monitor_training_cost=False, monitor_training_accuracy=False,
                        monitor_evaluation_cost=False, monitor_evaluation_accuracy=True,
                        progress=False, verbose=False, callbacks=[log])
        settings.update(options)
        return super().SGD(training_data, epochs, mini_batch_size, eta,
                           lmbda=lmbda * mini_batch_size, evaluation_data=validation_data, **settings)


def _check_layers(layers, mini_batch_size):
    """Each layer's declared input against what the layer before it gives; no layer twice."""
    seen = {}
    for i, layer in enumerate(layers):
        if id(layer) in seen:
            fail(f"layers[{i}]", f"a layer of its own: it is the same {type(layer).__name__} object "
                 f"as layers[{seen[id(layer)]}] (create one for each place in the network)", layer)
        seen[id(layer)] = i
    given = None     # what the layer before gives one image: (maps, height, width) or (neurons,)
    for i, layer in enumerate(layers):
        name = type(layer).__name__
        if isinstance(layer, ConvPoolLayer):
            if layer.image_shape[0] != mini_batch_size:
                fail(f"layers[{i}].image_shape", f"{(mini_batch_size, *layer.image_shape[1:])}: its "
                     f"first entry is the mini-batch size, {mini_batch_size} as given to Network",
                     layer.image_shape)
            if given is not None and tuple(layer.image_shape[1:]) != given:
                what = f"{given[0]} feature maps of {given[1]}x{given[2]}" if len(given) == 3 \
                    else f"{given[0]} neurons, not feature maps"
                fail(f"layers[{i}].image_shape", f"(mini-batch, {', '.join(map(str, given))}) to match "
                     f"layers[{i - 1}], which gives {what}", layer.image_shape)
            _, _, h, w = layer.image_shape
            if h < layer.filter_shape[2] or w < layer.filter_shape[3] or min(layer.output_shape()) < 1:
                fail(f"layers[{i}]", f"a ConvPoolLayer whose {layer.filter_shape[2]}x"
                     f"{layer.filter_shape[3]} filters and {layer.poolsize} pooling fit its "
                     f"{h}x{w} input", f"image_shape={layer.image_shape}")
            given = layer.output_shape()
        else:
            if given is not None and layer.n_in != math.prod(given):
                where = f"{given[0]} feature maps of {given[1]}x{given[2]}" if len(given) == 3 \
                    else f"{given[0]} neurons"
                fail(f"layers[{i}].n_in", f"{math.prod(given)}: layers[{i - 1}] gives {where}"
                     + (f" = {'*'.join(map(str, given))}" if len(given) == 3 else ""), layer.n_in)
            given = (layer.n_out,)
        if name == "SoftmaxLayer" and i != len(layers) - 1:
            fail(f"layers[{i}]", "a FullyConnectedLayer or ConvPoolLayer (a SoftmaxLayer can only "
                 "be the last layer)", name)
