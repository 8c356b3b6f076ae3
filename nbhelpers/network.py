"""The book's chapter-1 ``network.py``, as a thin face over the one engine.

A reader can paste the book's chapter-1 commands and they run under Python 3::

    from nbhelpers import mnist_loader, network
    training_data, validation_data, test_data = mnist_loader.load_data_wrapper()
    net = network.Network([784, 30, 10])
    net.SGD(training_data, 30, 10, 3.0, test_data=test_data)

As in the book: weights and biases start N(0, 1), the cost is quadratic, every neuron is a sigmoid,
and each epoch prints "Epoch j: correct / total". Unlike the book, a mini-batch is one matrix
product, runs repeat exactly (``seed=0`` by default) and ``SGD`` returns the per-epoch
``History``. All the work is done by :class:`nbhelpers.engine.Network`.

Used by: the notebooks 00 (start here) and 03 (the MNIST network).
"""

from __future__ import annotations

from . import engine
from .activations import sigmoid, sigmoid_prime

__all__ = ["Network", "sigmoid", "sigmoid_prime"]


class Network(engine.Network):
    """The chapter-1 network: ``Network([784, 30, 10])``; see the module docstring."""

    def __init__(self, sizes, seed=0, rng=None):
        super().__init__(sizes, cost="quadratic", activation="sigmoid", output_activation="sigmoid",
                         init="large", seed=seed, rng=rng)

    def SGD(self, training_data, epochs, mini_batch_size, eta, test_data=None, **options):
        """Train as the book does, printing "Epoch j: correct / total" (or "Epoch j complete").

        ``training_data`` is a list of ``(x, y)`` pairs (or ``(X, y)`` arrays); ``test_data``, if
        given, is evaluated after each epoch. Extra keyword options go to the engine's ``SGD``.
        Returns the ``History``.
        """
        n_test = None if test_data is None else len(self.prepare(test_data, "test_data")[2])

        def report(net, history):
            j = history.epoch[-1]
            if n_test is None:
                print(f"Epoch {j} complete")
            else:
                correct = round(history.evaluation_accuracy[-1] * n_test)
                print(f"Epoch {j}: {correct} / {n_test}")

        settings = dict(monitor_training_cost=False, monitor_training_accuracy=False,
                        monitor_evaluation_cost=False, monitor_evaluation_accuracy=n_test is not None,
                        progress=False, verbose=False, callback=report)
        settings.update(options)
        return super().SGD(training_data, epochs, mini_batch_size, eta, evaluation_data=test_data,
                           **settings)

    def cost_derivative(self, output_activations, y):
        """dC_x/da for the quadratic cost: (a - y), shape (n_out, m)."""
        return output_activations - y
