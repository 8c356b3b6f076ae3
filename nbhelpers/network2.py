"""The book's chapter-3 ``network2.py``, as a face over the one engine.

The book's chapter-3 commands run under Python 3 with only the import changed::

    from nbhelpers import mnist_loader, network2
    training_data, validation_data, test_data = mnist_loader.load_data_wrapper()
    net = network2.Network([784, 30, 10], cost=network2.CrossEntropyCost)
    net.large_weight_initializer()
    net.SGD(training_data, 30, 10, 0.5, evaluation_data=test_data, lmbda=5.0,
            monitor_evaluation_accuracy=True)

The face offers the book's ``Network``: ``sizes``, ``num_layers``, ``weights``, ``biases``,
``cost``, ``default_weight_initializer``, ``large_weight_initializer``, ``feedforward``, ``SGD``,
``update_mini_batch``, ``backprop``, ``accuracy``, ``total_cost`` and ``save``, and the module's
``load`` and ``vectorized_result``. As in the book, ``SGD`` prints what it monitors and returns the
four lists ``(evaluation_cost, evaluation_accuracy, training_cost, training_accuracy)``, and
``accuracy`` counts correct answers (the engine's ``accuracy`` is a fraction: the face's meaning
wins here); the L2 term is (lmbda / 2n) sum w^2 with n the training-set size;
``early_stopping_n`` stops after that many epochs without improvement;
``update_mini_batch(mini_batch, eta, lmbda, n)`` takes a list of ``(x, y)`` pairs; ``save`` and
``load`` round-trip (``load`` gives back a ``network2.Network``, and also reads the JSON files the
book's own ``save`` writes). Data may be lists or one-shot iterators, each turned into matrices
once. The full per-epoch record is kept in ``net.history``.

The work is done by the engine it wraps, ``net.engine`` (an :class:`nbhelpers.engine.Network`);
anything the book's class does not have is handed to it (``net.summary()``, ``net.predict(X)``).

Used by: the notebooks 05 (cross-entropy), 06 (overfitting) and 07 (initialisation), and
``reproduce``.
"""

from __future__ import annotations

import numpy as np

from . import engine
from .activations import sigmoid, sigmoid_prime
from .costs import CrossEntropyCost, LogLikelihoodCost, QuadraticCost
from .data import one_hot
from .network import Face

__all__ = ["Network", "QuadraticCost", "CrossEntropyCost", "LogLikelihoodCost", "load",
           "vectorized_result", "sigmoid", "sigmoid_prime"]


class Network(Face):
    """The chapter-3 network: ``Network(sizes, cost=CrossEntropyCost)`` with N(0, 1/n_in) weights."""

    #: the ``History`` of the last ``SGD`` call
    history = None

    def __init__(self, sizes, cost=CrossEntropyCost, seed=0, rng=None, **options):
        super().__init__(engine.Network(sizes, cost=cost, init="default", seed=seed, rng=rng,
                                        **options))

    @property
    def cost(self):
        return self.engine.cost

    def default_weight_initializer(self):
        """Weights N(0, 1/n_in), biases N(0, 1)."""
        self.engine.initialize("default")

    def large_weight_initializer(self):
        """Weights and biases N(0, 1), as in chapter 1."""
        self.engine.initialize("large")

    def SGD(self, training_data, epochs, mini_batch_size, eta, lmbda=0.0, evaluation_data=None,
            monitor_evaluation_cost=False, monitor_evaluation_accuracy=False,
            monitor_training_cost=False, monitor_training_accuracy=False, early_stopping_n=0,
            **options):
        """Train as the book's ``network2`` does; returns the four monitoring lists.

        Accuracies in the returned lists are counts of correct answers, as in the book.
        Extra keyword options (``dropout``, ``schedule``, ``optimizer``, ``progress``, ...) go to the
        engine.
        """
        training = self._matrices(training_data, "training_data")
        evaluation = self._matrices(evaluation_data, "evaluation_data")
        n_train = training.X.shape[1]
        n_eval = None if evaluation is None else evaluation.X.shape[1]

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
        history = self.engine.SGD(
            training, epochs, mini_batch_size, eta, lmbda=lmbda, evaluation_data=evaluation,
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

    def update_mini_batch(self, mini_batch, eta, lmbda=0.0, n=1):
        """One step on ``mini_batch``, a list of ``(x, y)`` pairs, with L2 for a training set of n."""
        X, Y, _ = self._matrices(mini_batch, "mini_batch")
        self.engine.update_mini_batch(X, Y, eta, lmbda, n)

    def accuracy(self, data, convert=False):
        """The number of correct answers in ``data`` (the book's ``accuracy``; ``convert`` is
        accepted for compatibility: both label forms are understood)."""
        return self.engine.evaluate(data)

    def total_cost(self, data, lmbda, convert=False):
        """Mean cost over ``data`` plus the L2 term (lmbda / 2n) sum w^2 with n = len(data)."""
        return self.engine.total_cost(data, lmbda)

    def save(self, filename):
        """Save the network to ``filename`` (``.json``, as the book, or ``.npz``)."""
        self.engine.save(filename)


def load(filename):
    """Load a network saved with ``net.save(filename)`` (JSON or .npz), or by the book's ``save``."""
    return Network._around(engine.Network.load(filename))


def vectorized_result(j, n=10):
    """An (n, 1) column with 1.0 in row j and zeros elsewhere (a one-hot target)."""
    if not (isinstance(j, (int, np.integer)) and 0 <= j < n):
        raise ValueError(f"j must be a whole number in 0..{n - 1}, got {j!r}")
    return one_hot(np.array([j]), n)
