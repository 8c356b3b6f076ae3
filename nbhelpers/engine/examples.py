"""Training examples as matrices: what ``Network.SGD`` and friends accept, and how it is checked.

A data set can be given two ways:

- a pair ``(X, y)`` of arrays: ``X`` is (n_in, n) with one example per column (or (C, H, W, n)
  feature maps, example axis last), and ``y`` is either n integer class labels, shape (n,), or
  targets of shape (n_out, n);
- the book's list (or any iterable) of ``(x, y)`` pairs: ``x`` an (n_in, 1) column and ``y`` an
  (n_out, 1) column or an integer label, the same form for every pair.

``as_matrices`` turns either into ``Examples(X, Y, labels)``: inputs (n_in, n) in the network's
dtype, targets (n_out, n), and the class labels (n,) when the targets are one-hot (None for a
regression problem, whose targets are real numbers). Every problem gets a message that names the
data, says what was expected and shows what came; a list of pairs is converted in one pass, not
pair by pair.

Used by: the engine (``Network.SGD``, ``evaluate``, ``accuracy``, ``total_cost``), the book faces,
the widgets and the assignments' feedback; and so by every notebook that trains a network.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..validate import whole


class Examples(NamedTuple):
    """A data set as checked matrices: inputs ``X`` (n_in, n), targets ``Y`` (n_out, n), and the
    class ``labels`` (n,) when the targets are one-hot (None for real-valued targets).

    ``as_matrices`` gives it back unchanged when it already fits the network, so data prepared
    once (by a book face, or for several runs) are never converted again.
    """

    X: np.ndarray
    Y: np.ndarray
    labels: np.ndarray | None


class PairList(list):
    """The book's list of ``(x, y)`` pairs that also remembers the matrices its pairs are columns of.

    ``mnist_loader`` builds its lists this way: every ``x`` is a column of one matrix ``X`` (and
    every ``y`` of the targets), so the engine can train on ``X`` directly instead of stacking
    thousands of columns again. ``matrices`` is ``(X, y)``, or None once the list itself has been
    changed (an item set, added, removed, or the order changed): from then on it is converted like
    any other list. Changing an ``x`` in place changes ``X`` too, since it is a view of it. A slice
    keeps the matching columns.
    """

    def __init__(self, pairs, X, y):
        super().__init__(pairs)
        self.matrices = (X, y)

    def __getitem__(self, index):
        item = super().__getitem__(index)
        if isinstance(index, slice) and self.matrices is not None:
            X, y = self.matrices
            return PairList(item, X[:, index], y[..., index])
        return item


def _forgetting(name):
    method = getattr(list, name)

    def changed(self, *args, **kwargs):
        self.matrices = None
        return method(self, *args, **kwargs)

    changed.__name__ = name
    return changed


for _name in ("__setitem__", "__delitem__", "__iadd__", "__imul__", "append", "extend", "insert",
              "pop", "remove", "clear", "sort", "reverse"):
    setattr(PairList, _name, _forgetting(_name))


def one_hot(labels, n_classes=10, dtype=np.float64):
    """Turn integer labels of shape (n,) into an array of shape (n_classes, n) (float64 unless
    ``dtype`` says otherwise): the one place one-hot targets are made.

    Column ``i`` is all zeros except for a 1.0 in row ``labels[i]``. ``labels`` must be
    integers in 0..n_classes-1 (a Python list or a NumPy integer array).
    """
    n_classes = whole(n_classes, "n_classes", minimum=1)
    array = np.asarray(labels)
    if array.ndim != 1:
        raise ValueError(f"labels must be one-dimensional, shape (n,); got shape {array.shape}")
    if array.size and array.dtype.kind not in "iu":
        raise ValueError(
            f"labels must be integers in 0..{n_classes - 1}; got values of dtype {array.dtype}"
        )
    bad = (array < 0) | (array >= n_classes)
    if bad.any():
        raise ValueError(
            f"labels must be integers in 0..{n_classes - 1}; got {array[bad][0]} "
            f"at position {int(np.flatnonzero(bad)[0])}"
        )
    result = np.zeros((n_classes, array.size), dtype)
    result[array.astype(np.intp), np.arange(array.size)] = 1.0
    return result


def check_inputs(a, n_in, dtype, name="a"):
    """``a`` as an (n_in, m) array of ``dtype``; a 1-D array of n_in numbers is one column.

    Inputs with more axes, (..., m), are flattened to (n_in, m) when their sizes multiply to n_in.
    """
    a = np.asarray(a)
    if not np.issubdtype(a.dtype, np.number) or np.issubdtype(a.dtype, np.complexfloating):
        raise ValueError(f"{name} must hold real numbers, got dtype {a.dtype}")
    if a.ndim == 1:
        a = a.reshape(-1, 1)
    elif a.ndim > 2:
        a = a.reshape(-1, a.shape[-1])
    if a.shape[0] != n_in:
        raise ValueError(f"{name} must have shape ({n_in}, m), one column per example, "
                         f"got shape {np.shape(a)}")
    a = a.astype(dtype, copy=False)
    if not np.isfinite(np.add.reduce(a, axis=None)) and not np.isfinite(a).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    return a


def check_targets(y, n_out, m, dtype, name="y"):
    """``y`` as an (n_out, m) array of finite numbers; a 1-D array of n_out numbers is one column."""
    y = np.asarray(y, dtype=dtype)
    if y.ndim == 1 and m == 1:
        y = y.reshape(-1, 1)
    if y.shape != (n_out, m):
        raise ValueError(f"{name} must have shape ({n_out}, {m}), got {y.shape}")
    if not np.isfinite(y).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    return y


def as_matrices(data, n_in, n_out, dtype, name="training_data"):
    """``Examples(X, Y, labels)`` from ``(X, y)`` arrays or a list of ``(x, y)`` pairs (see the
    module docstring), or ``data`` itself if it is ``Examples`` that already fit."""
    if isinstance(data, Examples) and data.X.dtype == dtype == data.Y.dtype \
            and data.X.shape[0] == n_in and data.Y.shape[0] == n_out \
            and 0 < data.X.shape[1] == data.Y.shape[1] \
            and (data.labels is None or data.labels.shape == (data.X.shape[1],)):
        return data
    if isinstance(data, Examples):
        data = (data.X, data.Y)
    if isinstance(data, PairList) and data.matrices is not None:
        X, y = data.matrices
    elif isinstance(data, tuple) and len(data) == 2 and isinstance(data[0], np.ndarray) \
            and data[0].ndim >= 2:
        X, y = data
    else:
        X, y = _from_pairs(data, name)
    X = np.asarray(X)
    if X.ndim > 2:
        X = X.reshape(-1, X.shape[-1])
    if X.ndim != 2 or X.shape[0] != n_in:
        raise ValueError(f"{name}: inputs must have shape ({n_in}, n), one column per example, "
                         f"got {X.shape}")
    n = X.shape[1]
    if n == 0:
        raise ValueError(f"{name} is empty")
    X = check_inputs(X, n_in, dtype, f"{name} inputs")
    Y, labels = _targets(np.asarray(y), n, n_out, dtype, name)
    return Examples(X, Y, labels)


def _from_pairs(data, name):
    """Inputs (n_in, n) and targets from the book's list of (x, y) pairs, checked as one array each."""
    try:
        pairs = data if isinstance(data, list) else list(data)
    except TypeError:
        raise ValueError(f"{name} must be a pair (X, y) of arrays or a list of (x, y) pairs, "
                         f"got {type(data).__name__}") from None
    if not pairs:
        raise ValueError(f"{name} is empty")
    try:
        xs = [x for x, _ in pairs]
        ys = [y for _, y in pairs]
    except (TypeError, ValueError):
        bad = next(i for i, p in enumerate(pairs) if not (isinstance(p, (tuple, list)) and len(p) == 2))
        raise ValueError(f"{name} must be a list of (x, y) pairs; item {bad} is "
                         f"{type(pairs[bad]).__name__}") from None
    try:
        rows = np.array(xs)        # (n, n_in, 1) or (n, n_in): one example per row
    except ValueError:
        sizes = [np.size(x) for x in xs]
        bad = next(i for i, s in enumerate(sizes) if s != sizes[0])
        raise ValueError(f"{name}: the inputs x do not all have the same size: pair 0 has "
                         f"{sizes[0]} numbers, pair {bad} has {sizes[bad]}") from None
    X = rows.reshape(len(pairs), -1).T   # (n_in, n); its transpose is the contiguous rows
    first_is_label = np.ndim(ys[0]) == 0
    try:
        y = np.array(ys)
    except ValueError:
        y = None
    if y is None or y.dtype == object or (y.ndim == 1) != first_is_label:
        is_label = [np.ndim(v) == 0 for v in ys]
        bad = is_label.index(not first_is_label) if not all(is_label) and any(is_label) else \
            next(i for i, v in enumerate(ys) if np.shape(v) != np.shape(ys[0]))
        raise ValueError(f"{name}: pair 0 has {_describe(ys[0])} but pair {bad} has "
                         f"{_describe(ys[bad])}; give every pair the same form of y")
    if y.ndim > 1:
        y = y.reshape(len(pairs), -1).T     # columns (n_out, n)
    return X, y


def _describe(y):
    return "an integer label" if np.ndim(y) == 0 else f"a target column of shape {np.shape(y)}"


def _targets(y, n, n_out, dtype, name):
    """(Y, labels) from labels (n,) or targets (n_out, n)."""
    regression = n_out == 1 and y.ndim == 1
    if y.ndim == 1 and not regression or (y.ndim == 2 and y.shape == (1, n) and n_out != 1):
        labels = y.reshape(-1)
        if labels.shape[0] != n:
            raise ValueError(f"{name}: {n} inputs but {labels.shape[0]} labels")
        if not np.issubdtype(labels.dtype, np.integer):
            if np.issubdtype(labels.dtype, np.floating) and np.all(labels == np.round(labels)):
                labels = labels.astype(np.int64)
            else:
                raise ValueError(f"{name}: labels must be whole numbers (class indices), got dtype "
                                 f"{labels.dtype}; for real-valued targets give an ({n_out}, {n}) "
                                 "array")
        if labels.size and (labels.min() < 0 or labels.max() >= n_out):
            bad = labels[(labels < 0) | (labels >= n_out)][0]
            raise ValueError(f"{name}: labels must be in 0..{n_out - 1} (one per output neuron), "
                             f"got {bad}")
        return one_hot(labels, n_out, dtype), labels.astype(np.int64)
    if regression:
        y = y.reshape(1, -1)
    if y.shape != (n_out, n):
        raise ValueError(f"{name}: targets must have shape ({n_out}, {n}) or be {n} integer labels, "
                         f"got {y.shape}")
    Y = check_targets(y, n_out, n, dtype, f"{name} targets")
    is_one_hot = n_out > 1 and bool(np.all((Y == 0) | (Y == 1))) and bool(np.all(Y.sum(axis=0) == 1))
    labels = np.argmax(Y, axis=0) if is_one_hot else None
    return Y, labels
