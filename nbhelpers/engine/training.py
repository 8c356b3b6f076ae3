"""The training loop: shuffle, cut into mini-batches, backpropagate, step. Nothing else.

Everything else a run does (recording costs and accuracies, the progress bar, early stopping,
schedules, noticing divergence, gradient monitoring, stopping on request) is a callback from
``nbhelpers.engine.callbacks``, called at fixed points::

    on_train_begin
    for each epoch:            on_epoch_begin
        perm = rng.permutation(n)
        for each mini-batch perm[k:k+m]:
            gradient, step,    on_batch_end  (only the callbacks that want every mini-batch)
                               on_epoch_end
    on_train_end               (also after an error)

The shuffle is exactly ``perm = rng.permutation(n)`` each epoch, and the k-th mini-batch is the
examples ``perm[k*m:(k+1)*m]`` in that order, so a run can be repeated step by step elsewhere (notebook
03 does it with the book's per-example code). Training computes BLAS on one thread: the products of
a small mini-batch are faster on one core than split across two.

Used by: the engine (``Network.SGD``) and so by every notebook that trains a network.
"""

from __future__ import annotations

import time

import numpy as np

from .history import History


class Run:
    """What the callbacks of one training run see (and the one way they stop it).

    Attributes:
        net, optimizer, history, epochs, mini_batch_size, rng: as given to ``train``.
        training, evaluation: ``(X, Y, labels)`` matrices (evaluation may be None).
        epoch: the current epoch (from 0).
        x, y, output: the last mini-batch's inputs, targets and the network's outputs for it.
        gradient_scale: the layers' ``nabla`` arrays hold this times the mini-batch's gradient
            (the optimiser's choice: -eta for plain SGD, else 1).
        seconds: the wall-clock time of the last epoch's training.
        stop_reason: None while running; then why it ended ("interrupted", "requested",
            "diverged", "early_stopping", "schedule").
    """

    def __init__(self, net, optimizer, training, evaluation, epochs, mini_batch_size, rng):
        self.net, self.optimizer = net, optimizer
        self.training, self.evaluation = training, evaluation
        self.epochs, self.mini_batch_size, self.rng = epochs, mini_batch_size, rng
        self.history = History()
        self.epoch = 0
        self.x = self.y = self.output = None
        self.gradient_scale = 1.0
        self.seconds = 0.0
        self.stop_reason = None

    def request_stop(self, reason, message=""):
        """End the run after the current mini-batch (the first request's reason is kept)."""
        if self.stop_reason is None:
            self.stop_reason = reason
            self.history.stopped = reason
            self.history.message = message


def train(net, training, epochs, mini_batch_size, optimizer, callbacks=(), rng=None,
          evaluation=None):
    """Mini-batch stochastic gradient descent; returns the run's ``History``.

    Args:
        net: an ``nbhelpers.engine.Network``.
        training: ``(X, Y, labels)`` from ``Network.prepare``; evaluation likewise, or None.
        epochs, mini_batch_size: whole numbers (checked by the caller).
        optimizer: an ``nbhelpers.optimizers.Optimizer``.
        callbacks: ``nbhelpers.engine.callbacks.Callback`` objects, called in this order.
        rng: the ``numpy.random.Generator`` for shuffling and dropout.
    """
    X, Y, _ = training
    n = X.shape[1]
    # one example per row, so that gathering a mini-batch copies whole examples at once
    rows_x, rows_y = np.ascontiguousarray(X.T), np.ascontiguousarray(Y.T)
    run = Run(net, optimizer, training, evaluation, epochs, mini_batch_size, rng)
    parameters = net.parameters()
    net.bind_rng(rng)
    batch_hooks = [cb for cb in callbacks if cb.wants_batches]
    gradient, step = net.gradient, optimizer.step
    try:
        with one_blas_thread(), np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            for callback in callbacks:
                callback.on_train_begin(run)
            for epoch in range(epochs):
                run.epoch = epoch
                for callback in callbacks:
                    callback.on_epoch_begin(run)
                start = time.perf_counter()
                perm = rng.permutation(n)
                for k in range(0, n, mini_batch_size):
                    batch = perm[k:k + mini_batch_size]
                    run.x, run.y = rows_x[batch].T, rows_y[batch].T   # (n_in, m), (n_out, m)
                    run.gradient_scale = scale = optimizer.gradient_scale
                    run.output = gradient(run.x, run.y, True, scale)
                    step(parameters, scale)
                    for callback in batch_hooks:
                        callback.on_batch_end(run)
                    if run.stop_reason is not None:
                        break
                run.seconds = time.perf_counter() - start
                for callback in callbacks:
                    callback.on_epoch_end(run)
                if run.stop_reason is not None:
                    break
    finally:
        for callback in callbacks:
            callback.on_train_end(run)
    return run.history


_BLAS = None


def one_blas_thread():
    """A context in which BLAS runs on one thread (see the module docstring).

    Measured on two cores: [784, 100, 10] trained 4-10x slower with two BLAS threads when other
    programs shared the cores, and never much faster when they did not.
    """
    global _BLAS
    if _BLAS is None:  # finding the BLAS libraries takes a while: do it once
        from threadpoolctl import ThreadpoolController

        _BLAS = ThreadpoolController()
    return _BLAS.limit(limits=1, user_api="blas")
