"""Evaluating a network on many examples: outputs, cost and accuracy, in chunks of columns.

A data set is evaluated a chunk of examples at a time (``Network``'s ``chunk``, worked out from
the layers' sizes), so 10,000 images through a convolutional network take little memory.
``measure`` gets the cost and the accuracy of a data set from **one** forward pass: the training
loop calls it once per data set per epoch.

None of these silence numpy's floating-point warnings themselves: the ``Network`` methods that call
them do (a diverged network's NaN outputs are its answer), and during training the loop counts
those problems instead (``History.numerical_errors``).

Used by: the engine's ``Network`` (``feedforward``, ``accuracy``, ``total_cost``, ...) and its
training loop (``nbhelpers.engine.training``).
"""

from __future__ import annotations

import numpy as np


def chunks(net, X):
    """The column ranges ``(start, stop)`` evaluation takes at a time."""
    m, chunk = X.shape[1], net.chunk
    return [(k, min(k + chunk, m)) for k in range(0, m, chunk)]


def outputs(net, X):
    """The network's outputs (n_out, m) for inputs X (n_in, m), in chunks (no examples: none)."""
    if X.shape[1] == 0:
        return np.zeros((net.n_out, 0), net.dtype)
    if X.shape[1] <= net.chunk:
        return net.forward(X)
    return np.concatenate([net.forward(X[:, i:j]) for i, j in chunks(net, X)], axis=1)


def measure(net, X, Y, labels, penalty=None, cost=True, accuracy=True):
    """``(cost, accuracy)`` on prepared matrices from one forward pass through the data.

    cost: the mean cost plus ``penalty`` (an L2/L1 object from ``nbhelpers.regularization``, or
    None), as the book's ``total_cost`` computes it. accuracy: the fraction of columns whose most
    active output is the label (NaN when ``labels`` is None). Each is None when not asked for.
    """
    total, correct = 0.0, 0
    for i, j in chunks(net, X):
        a = net.forward(X[:, i:j])
        if cost:
            total += net.cost.fn(a, Y[:, i:j]) * (j - i)
        if accuracy and labels is not None:
            correct += int(np.count_nonzero(np.argmax(a, axis=0) == labels[i:j]))
    m = X.shape[1]
    decayed = [p.value for p in net.parameters() if p.decay]    # the weights weight decay acts on
    mean_cost = total / m + (penalty.penalty(decayed) if penalty is not None else 0.0) \
        if cost else None
    fraction = (correct / m if labels is not None else float("nan")) if accuracy else None
    return mean_cost, fraction
