"""The book's ``mnist_loader`` interface, for Python 3 and without pickle.

Used by all notebooks that follow the book's code closely (``network.py`` style), so that
``training_data, validation_data, test_data = load_data_wrapper()`` works as in Chapter 1.
The data come from :func:`nbhelpers.data.load_mnist`; ``source`` picks the bundled sample
(default, offline), the full MNIST set ("mnist") or Fashion-MNIST ("fashion"); the full sets are read
from the folder given as ``folder=`` (or named by ``NBHELPERS_MNIST_DIR``) when you have them.

Unlike the book's Python 2 code, every function returns real lists, never one-shot
iterators, so re-running a notebook cell (or iterating twice) works. The lists are
``nbhelpers.engine.examples.PairList``s: ordinary lists of ``(x, y)`` pairs that also remember the
matrix their ``x`` columns come from, so that the engine need not stack them again.
"""

from __future__ import annotations

import numpy as np

from .data import load_mnist, one_hot
from .engine.examples import PairList

__all__ = ["load_data", "load_data_wrapper", "vectorized_result"]


def load_data(source: str = "sample", folder=None):
    """Return ``(training_data, validation_data, test_data)`` like the book's ``load_data``.

    Each is a pair ``(images, labels)``: images of shape (n, 784), dtype float32, values in
    [0, 1], one example per ROW; labels of shape (n,), dtype int64. For the full MNIST set
    n is 50000, 10000 and 10000; for the bundled sample 4000, 500 and 500. ``folder``: where the
    four files of the full set are, if you have them (see ``nbhelpers.data.load_mnist``).
    """
    dataset = load_mnist(source, folder=folder, dtype=np.float32)
    # X is (784, n) and Fortran-ordered, so X.T is a C-ordered (n, 784) view: no copy needed.
    return tuple((X.T, y) for X, y in (dataset.train, dataset.validation, dataset.test))


def vectorized_result(j: int) -> np.ndarray:
    """Return a (10, 1) float64 array with 1.0 in row ``j`` and zeros elsewhere."""
    return one_hot([j]).reshape(10, 1)


def _columns(X: np.ndarray) -> list:
    """Split X of shape (d, n) into a list of n column views of shape (d, 1)."""
    return [X[:, i : i + 1] for i in range(X.shape[1])]


def load_data_wrapper(source: str = "sample", folder=None):
    """Return ``(training_data, validation_data, test_data)`` like the book's wrapper.

    ``training_data`` is a list of n pairs ``(x, y)``: x of shape (784, 1) float64 and y the
    (10, 1) one-hot vector of the digit. ``validation_data`` and ``test_data`` are lists of
    pairs ``(x, label)`` with x of shape (784, 1) and ``label`` a Python int. Every call builds
    new lists from a freshly loaded array, so changing one result never affects another.
    ``folder`` as for :func:`load_data`.
    """
    dataset = load_mnist(source, folder=folder, dtype=np.float64)
    X, y = dataset.train
    Y = one_hot(y, len(dataset.classes))
    training_data = PairList(zip(_columns(X), _columns(Y)), X, Y)
    validation_data, test_data = (
        PairList([(x, int(label)) for x, label in zip(_columns(Xs), ys)], Xs, ys)
        for Xs, ys in (dataset.validation, dataset.test))
    return training_data, validation_data, test_data
