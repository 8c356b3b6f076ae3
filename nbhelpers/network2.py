"""The book's chapter-3 ``network2.py``, as a thin face over the one engine.

The book's chapter-3 commands run under Python 3 with only the import changed::

    from nbhelpers import mnist_loader, network2
    training_data, validation_data, test_data = mnist_loader.load_data_wrapper()
    net = network2.Network([784, 30, 10], cost=network2.CrossEntropyCost)
    net.large_weight_initializer()
    net.SGD(training_data, 30, 10, 0.5, evaluation_data=test_data, lmbda=5.0,
            monitor_evaluation_accuracy=True)

As in the book, ``SGD`` prints what it monitors and returns the four lists
``(evaluation_cost, evaluation_accuracy, training_cost, training_accuracy)`` with accuracies as counts
of correct answers; the L2 term is (lmbda / 2n) sum w^2 with n the training-set size;
``early_stopping_n`` stops after that many epochs without improvement;
``update_mini_batch(mini_batch, eta, lmbda, n)`` takes a list of ``(x, y)`` pairs; ``save`` and
``load`` round-trip (``load`` gives back a ``network2.Network``, and also reads the JSON files the
book's own ``save`` writes). Data may be lists or one-shot iterators. The full per-epoch record is
kept in ``net.history``. All the work is done by :class:`nbhelpers.engine.Network`.

Used by: the notebooks 05 (cross-entropy), 06 (overfitting) and 07 (initialisation).
"""

from __future__ import annotations

import numpy as np

from . import engine
from .activations import sigmoid, sigmoid_prime
from .costs import CrossEntropyCost, LogLikelihoodCost, QuadraticCost
from .engine.examples import as_list

__all__ = ["Network", "QuadraticCost", "CrossEntropyCost", "LogLikelihoodCost", "load",
           "vectorized_result", "sigmoid", "sigmoid_prime"]


class Network(engine.Network):
    """The chapter-3 network: ``Network(sizes, cost=CrossEntropyCost)`` with N(0, 1/n_in) weights."""

    #: the ``History`` of the last ``SGD`` call
    history = None

    def __init__(self, sizes, cost=CrossEntropyCost, seed=0, rng=None, **options):
        super().__init__(sizes, cost=cost, init="default", seed=seed, rng=rng, **options)

    def default_weight_initializer(self):
        """Weights N(0, 1/n_in), biases N(0, 1)."""
        self.initialize("default")

    def large_weight_initializer(self):
        """Weights and biases N(0, 1), as in chapter 1."""
        self.initialize("large")

    def SGD(self, training_data, epochs, mini_batch_size, eta, lmbda=0.0, evaluation_data=None,
            monitor_evaluation_cost=False, monitor_evaluation_accuracy=False,
            monitor_training_cost=False, monitor_training_accuracy=False, early_stopping_n=0,
            **options):
        """Train as the book's ``network2`` does; returns the four monitoring lists.

        Accuracies in the returned lists are counts of correct answers, as in the book.
        Extra keyword options (``dropout``, ``schedule``, ``optimizer``, ``progress``, ...) go to the
        engine.
        """
        training_data, evaluation_data = as_list(training_data), as_list(evaluation_data)
        n_train = self.prepare(training_data, "training_data")[0].shape[1]
        n_eval = None if evaluation_data is None else \
            self.prepare(evaluation_data, "evaluation_data")[0].shape[1]

        def report(net, history):
            print(f"Epoch {history.epoch[-1]} training complete")
            if monitor_training_cost:
                print(f"Cost on training data: {history.training_cost[-1]}")
            if monitor_training_accuracy:
                print(f"Accuracy on training data: "
                      f"{round(history.training_accuracy[-1] * n_train)} / {n_train}")
            if monitor_evaluation_cost:
                print(f"Cost on evaluation data: {history.evaluation_cost[-1]}")
            if monitor_evaluation_accuracy:
                print(f"Accuracy on evaluation data: "
                      f"{round(history.evaluation_accuracy[-1] * n_eval)} / {n_eval}")

        settings = dict(progress=False, verbose=False, callback=report,
                        early_stopping=early_stopping_n or None)
        settings.update(options)
        history = super().SGD(
            training_data, epochs, mini_batch_size, eta, lmbda=lmbda,
            evaluation_data=evaluation_data,
            monitor_evaluation_cost=monitor_evaluation_cost,
            monitor_evaluation_accuracy=monitor_evaluation_accuracy or bool(early_stopping_n),
            monitor_training_cost=monitor_training_cost,
            monitor_training_accuracy=monitor_training_accuracy, **settings)
        self.history = history
        evaluation_accuracy = [round(a * n_eval) for a in history.evaluation_accuracy] \
            if monitor_evaluation_accuracy else []
        training_accuracy = [round(a * n_train) for a in history.training_accuracy]
        return (list(history.evaluation_cost), evaluation_accuracy,
                list(history.training_cost), training_accuracy)

    def update_mini_batch(self, mini_batch, eta, lmbda=0.0, n=1, *args, **options):
        """One step on ``mini_batch``, a list of ``(x, y)`` pairs, with L2 for a training set of n.

        ``update_mini_batch(x, y, eta, lmbda, n, ...)`` with matrices works too, as in the engine.
        """
        if isinstance(mini_batch, np.ndarray):
            return super().update_mini_batch(mini_batch, eta, lmbda, n, *args, **options)
        X, Y, _ = self.prepare(as_list(mini_batch), "mini_batch")
        return super().update_mini_batch(X, Y, eta, lmbda, n, *args, **options)

    def accuracy(self, data, convert=False):
        """The number of correct answers in ``data`` (the book's ``accuracy``; ``convert`` is
        accepted for compatibility: both label forms are understood)."""
        return self.evaluate(as_list(data))

    def total_cost(self, data, lmbda, convert=False):
        """Mean cost over ``data`` plus the L2 term (lmbda / 2n) sum w^2 with n = len(data)."""
        return super().total_cost(as_list(data), lmbda)


def load(filename):
    """Load a network saved with ``net.save(filename)`` (JSON or .npz), or by the book's ``save``."""
    return Network.load(filename)


def vectorized_result(j, n=10):
    """An (n, 1) column with 1.0 in row j and zeros elsewhere (a one-hot target)."""
    if not (isinstance(j, (int, np.integer)) and 0 <= j < n):
        raise ValueError(f"j must be a whole number in 0..{n - 1}, got {j!r}")
    e = np.zeros((n, 1))
    e[j] = 1.0
    return e
