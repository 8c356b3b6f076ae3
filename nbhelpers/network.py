"""The book's chapter-1 ``network.py``, as a thin face over the one engine.

A reader can paste the book's chapter-1 commands and they run under Python 3::

    from nbhelpers import mnist_loader, network
    training_data, validation_data, test_data = mnist_loader.load_data_wrapper()
    net = network.Network([784, 30, 10])
    net.SGD(training_data, 30, 10, 3.0, test_data=test_data)

As in the book: weights and biases start N(0, 1), the cost is quadratic, every neuron is a sigmoid,
each epoch prints "Epoch j: correct / total", and ``update_mini_batch(mini_batch, eta)`` takes a
list of ``(x, y)`` pairs. Data may be lists or one-shot iterators (Python 3's ``zip``). Unlike the
book, a mini-batch is one matrix product, runs repeat exactly (``seed=0`` by default) and ``SGD``
returns the per-epoch ``History``. All the work is done by :class:`nbhelpers.engine.Network`.

Used by: the notebooks 00 (start here) and 03 (the MNIST network), and the benchmark.
"""

from __future__ import annotations

import numpy as np

from . import engine
from .activations import sigmoid, sigmoid_prime
from .engine.examples import as_list

__all__ = ["Network", "sigmoid", "sigmoid_prime"]


class Network(engine.Network):
    """The chapter-1 network: ``Network([784, 30, 10])``; see the module docstring."""

    def __init__(self, sizes, seed=0, rng=None):
        super().__init__(sizes, cost="quadratic", activation="sigmoid", output_activation="sigmoid",
                         init="large", seed=seed, rng=rng)

    def SGD(self, training_data, epochs, mini_batch_size, eta, test_data=None, **options):
        """Train as the book does, printing "Epoch j: correct / total" (or "Epoch j complete").

        ``training_data`` is a list (or iterator) of ``(x, y)`` pairs, or ``(X, y)`` arrays;
        ``test_data``, if given, is evaluated after each epoch. Extra keyword options go to the
        engine's ``SGD``. Returns the ``History``.
        """
        if test_data is not None:   # turned into matrices once, here
            X, _, labels = self.prepare(as_list(test_data), "test_data")
            test_data, n_test = (X, labels), X.shape[1]
        else:
            n_test = None

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
        return super().SGD(as_list(training_data), epochs, mini_batch_size, eta,
                           evaluation_data=test_data, **settings)

    def update_mini_batch(self, mini_batch, eta, *args, **options):
        """One step of gradient descent on ``mini_batch``, a list of ``(x, y)`` pairs (the book's form).

        ``update_mini_batch(x, y, eta, ...)`` with matrices works too, as in the engine.
        """
        if isinstance(mini_batch, np.ndarray):
            return super().update_mini_batch(mini_batch, eta, *args, **options)
        X, Y, _ = self.prepare(as_list(mini_batch), "mini_batch")
        return super().update_mini_batch(X, Y, eta)

    def cost_derivative(self, output_activations, y):
        """dC_x/da for the quadratic cost: (a - y), shape (n_out, m)."""
        return output_activations - y
