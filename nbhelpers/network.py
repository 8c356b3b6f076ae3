"""The book's chapter-1 ``network.py``, as a face over the one engine.

A reader can paste the book's chapter-1 commands and they run under Python 3::

    from nbhelpers import mnist_loader, network
    training_data, validation_data, test_data = mnist_loader.load_data_wrapper()
    net = network.Network([784, 30, 10])
    net.SGD(training_data, 30, 10, 3.0, test_data=test_data)

The face offers the book's ``Network``: ``sizes``, ``num_layers``, ``weights``, ``biases``,
``feedforward``, ``SGD``, ``update_mini_batch``, ``backprop``, ``evaluate`` and
``cost_derivative``. As in the book: weights and biases start N(0, 1), the cost is quadratic,
every neuron is a sigmoid, each epoch prints "Epoch j: correct / total", and
``update_mini_batch(mini_batch, eta)`` takes a list of ``(x, y)`` pairs. Data may be lists or
one-shot iterators (Python 3's ``zip``), and each data set is turned into matrices once. Unlike the
book, a mini-batch is one matrix product, runs repeat exactly (``seed=0`` by default) and ``SGD``
returns the per-epoch ``History``.

The work is done by the engine it wraps, ``net.engine`` (an :class:`nbhelpers.engine.Network`);
anything the book's class does not have (``summary``, ``predict``, ``save``, ``layers``, ...) is
handed to it, so ``net.summary()`` works too.

Used by: the notebooks 00 (start here) and 03 (the MNIST network), ``reproduce`` and the benchmark.
"""

from __future__ import annotations

import numpy as np

from . import engine
from .activations import sigmoid, sigmoid_prime

__all__ = ["Network", "sigmoid", "sigmoid_prime"]


class Face:
    """What the book's faces share: the engine they wrap (``engine``), the book's attributes
    read from it, and every other attribute handed to it."""

    def __init__(self, net):
        self.engine = net

    @classmethod
    def _around(cls, net):
        """This face over an existing engine network ``net`` (e.g. one just loaded)."""
        face = cls.__new__(cls)
        Face.__init__(face, net)
        return face

    def __getattr__(self, name):
        # only called for names the face does not have: the engine's (never during copying)
        if name == "engine" or name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.engine, name)

    @property
    def sizes(self):
        return self.engine.sizes

    @property
    def num_layers(self):
        return self.engine.num_layers

    @property
    def weights(self):
        """The weight matrices, ``weights[l]`` of shape (n_{l+1}, n_l): a live list."""
        return self.engine.weights

    @weights.setter
    def weights(self, arrays):
        self.engine.weights = arrays

    @property
    def biases(self):
        """The bias columns, ``biases[l]`` of shape (n_{l+1}, 1): a live list."""
        return self.engine.biases

    @biases.setter
    def biases(self, arrays):
        self.engine.biases = arrays

    def feedforward(self, a):
        """The output for input ``a``: an (n_in, 1) column, or (n_in, m) for m examples."""
        return self.engine.feedforward(a)

    def backprop(self, x, y):
        """``(nabla_b, nabla_w)``, the gradient of the cost C_x of one example."""
        return self.engine.backprop(x, y)

    def _matrices(self, data, name):
        return None if data is None else self.engine.prepare(data, name)

    def __repr__(self):
        return f"<{type(self).__module__}.Network {self.sizes} over {self.engine!r}>"


class Network(Face):
    """The chapter-1 network: ``Network([784, 30, 10])``; see the module docstring."""

    def __init__(self, sizes, seed=0, rng=None):
        super().__init__(engine.Network(sizes, cost="quadratic", activation="sigmoid",
                                        output_activation="sigmoid", init="large", seed=seed,
                                        rng=rng))

    def SGD(self, training_data, epochs, mini_batch_size, eta, test_data=None, **options):
        """Train as the book does, printing "Epoch j: correct / total" (or "Epoch j complete").

        ``training_data`` is a list (or iterator) of ``(x, y)`` pairs, or ``(X, y)`` arrays;
        ``test_data``, if given, is evaluated after each epoch. Extra keyword options go to the
        engine's ``SGD``. Returns the ``History``.
        """
        training, test = self._matrices(training_data, "training_data"), \
            self._matrices(test_data, "test_data")
        n_test = None if test is None else test.X.shape[1]

        def report(net, history):
            j = history.epoch[-1]
            if n_test is None:
                print(f"Epoch {j} complete")
            else:
                print(f"Epoch {j}: {round(history.evaluation_accuracy[-1] * n_test)} / {n_test}")

        settings = dict(monitor_training_cost=False, monitor_training_accuracy=False,
                        monitor_evaluation_cost=False, monitor_evaluation_accuracy=n_test is not None,
                        progress=False, verbose=False, callback=report)
        settings.update(options)
        return self.engine.SGD(training, epochs, mini_batch_size, eta, evaluation_data=test,
                               **settings)

    def update_mini_batch(self, mini_batch, eta):
        """One step of gradient descent on ``mini_batch``, a list of ``(x, y)`` pairs."""
        X, Y, _ = self._matrices(mini_batch, "mini_batch")
        self.engine.update_mini_batch(X, Y, eta)

    def evaluate(self, test_data):
        """The number of test inputs for which the network's answer is right."""
        return self.engine.evaluate(test_data)

    def cost_derivative(self, output_activations, y):
        """dC_x/da for the quadratic cost: (a - y), shape (n_out, m)."""
        return np.asarray(output_activations) - y
