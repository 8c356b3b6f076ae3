"""The one network engine: a fully connected feedforward network trained by mini-batch SGD.

Conventions (the book's, throughout):

- ``sizes = [784, 30, 10]`` lists the neurons in each layer, input layer first.
- ``weights[l]`` is (n_out, n_in) and ``biases[l]`` is (n_out, 1) for the l-th layer of weights, so
  a layer computes ``z = w @ a + b`` and ``a = activation.fn(z)``.
- Columns are examples: a batch of m inputs is an (n_in, m) matrix ``X`` and its targets are an
  (n_out, m) matrix ``Y``. One example is an (n_in, 1) column.
- Backpropagation runs on a whole mini-batch at once as matrix products; there is no Python loop
  over examples.

``nbhelpers.network`` (chapter 1) and ``nbhelpers.network2`` (chapter 3) are thin, book-compatible
faces over this class. Used by: every notebook that trains a network, the widgets and the CLI.
"""

from __future__ import annotations

import copy
import math
import signal
import threading
import time
import warnings

import numpy as np

from .activations import get_activation
from .costs import get_cost
from .history import History
from .initializers import get_initializer
from .schedules import make_schedule


class TrainingDiverged(RuntimeWarning):
    """Warned when the cost or the weights stop being finite numbers during training."""


class StopTraining(Exception):
    """Raise this from an epoch callback to end training cleanly after the current epoch."""


warnings.simplefilter("always", TrainingDiverged)

REGULARIZATIONS = ("l2", "l1")


def _check_positive_int(value, name, minimum=1):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be a whole number >= {minimum}, got {value!r}")
    return int(value)


def _check_number(value, name, low=0.0, low_inclusive=True):
    ok = isinstance(value, (int, float, np.floating, np.integer)) and not isinstance(value, bool)
    ok = ok and math.isfinite(value) and (value >= low if low_inclusive else value > low)
    if not ok:
        bound = f">= {low}" if low_inclusive else f"> {low}"
        raise ValueError(f"{name} must be a finite number {bound}, got {value!r}")
    return float(value)


class Network:
    """A feedforward network with the book's shapes; see the module docstring.

    Args:
        sizes: neurons per layer, e.g. ``[784, 30, 10]``; at least two layers.
        cost: a name from ``nbhelpers.costs.COSTS`` (``"quadratic"``, ``"cross_entropy"``,
            ``"log_likelihood"``) or a cost object.
        activation: the hidden layers' activation, a name from ``nbhelpers.activations.ACTIVATIONS``.
        output_activation: the output layer's; by default softmax for the log-likelihood cost and
            sigmoid otherwise.
        init: a name from ``nbhelpers.initializers.INITIALIZERS`` (``"default"`` is the book's
            chapter-3 N(0, 1/n_in); ``"large"`` the chapter-1 N(0, 1); ``"xavier"``; ``"he"``).
        seed: seed for the network's random generator (used to initialise and, unless SGD is given
            its own, to shuffle and drop out). Defaults to 0, so runs repeat exactly.
        rng: a ``numpy.random.Generator`` to use instead of ``seed``.
        dtype: ``np.float64`` (default; exact enough for gradient checks) or ``np.float32`` (faster).
    """

    def __init__(self, sizes, cost="quadratic", activation="sigmoid", output_activation=None,
                 init="default", seed=0, rng=None, dtype=np.float64):
        self.sizes = self._check_sizes(sizes)
        self.num_layers = len(self.sizes)
        self.cost = get_cost(cost)
        self.activation = get_activation(activation)
        if self.activation.name == "softmax" and self.num_layers > 2:
            raise ValueError("activation (for hidden layers) cannot be 'softmax'; use it as "
                             "output_activation")
        if output_activation is None:
            output_activation = "softmax" if self.cost.name == "log_likelihood" else "sigmoid"
        self.output_activation = get_activation(output_activation)
        self.cost.check_output(self.output_activation)
        self.dtype = np.dtype(dtype)
        if self.dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
            raise ValueError(f"dtype must be float64 or float32, got {dtype!r}")
        self.rng = rng if rng is not None else np.random.default_rng(seed)
        if not isinstance(self.rng, np.random.Generator):
            raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
        self.init = init
        self.initialize(init)
        self._stop_flag = threading.Event()

    # ------------------------------------------------------------------ set-up

    @staticmethod
    def _check_sizes(sizes):
        try:
            sizes = list(sizes)
        except TypeError:
            raise ValueError(f"sizes must be a list of layer sizes like [784, 30, 10], "
                             f"got {sizes!r}") from None
        if len(sizes) < 2:
            raise ValueError(f"sizes must list at least two layers (input and output), got {sizes!r}")
        for n in sizes:
            if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
                raise ValueError(f"sizes must contain whole numbers >= 1, got {sizes!r}")
        return [int(n) for n in sizes]

    def initialize(self, init="default"):
        """Draw fresh weights and biases with the initialiser called ``init``."""
        weights, biases = get_initializer(init)(self.sizes, self.rng, self.dtype)
        self.weights, self.biases = weights, biases
        self.init = init

    @property
    def activations(self):
        """The activation of each weight layer: hidden ones, then the output one."""
        return list(self._acts)

    @property
    def _acts(self):
        key = (self.activation, self.output_activation)
        if getattr(self, "_acts_key", None) != key:
            self._acts_key = key
            self._acts_list = [self.activation] * (self.num_layers - 2) + [self.output_activation]
        return self._acts_list

    def copy(self):
        """An independent copy (weights, biases and random state)."""
        twin = copy.copy(self)
        twin.weights = [w.copy() for w in self.weights]
        twin.biases = [b.copy() for b in self.biases]
        twin.rng = copy.deepcopy(self.rng)
        twin._stop_flag = threading.Event()
        return twin

    def __repr__(self):
        return (f"Network(sizes={self.sizes}, cost={self.cost.name!r}, "
                f"activation={self.activation.name!r}, "
                f"output_activation={self.output_activation.name!r}, dtype={self.dtype.name})")

    # ------------------------------------------------------------------ forward

    def _check_input(self, a, name="a"):
        a = np.asarray(a)
        if a.ndim == 1:
            a = a.reshape(-1, 1)
        if a.ndim != 2 or a.shape[0] != self.sizes[0]:
            raise ValueError(f"{name} must have shape ({self.sizes[0]}, m) with one column per "
                             f"example, got shape {a.shape}")
        if not np.issubdtype(a.dtype, np.number):
            raise ValueError(f"{name} must hold numbers, got dtype {a.dtype}")
        a = a.astype(self.dtype, copy=False)
        if not np.all(np.isfinite(a)):
            raise ValueError(f"{name} contains NaN or infinite values")
        return a

    def feedforward(self, a):
        """The network's output for input ``a``: (n_in, m) -> (n_out, m). A 1-D input is one column."""
        a = self._check_input(a)
        for w, b, act in zip(self.weights, self.biases, self._acts):
            a = act.fn(w @ a + b)
        return a

    def forward_pass(self, x, masks=None):
        """Every layer's weighted input and activation, for teaching and for backprop.

        Args:
            x: (n_in, m) inputs.
            masks: optional dropout masks, one (n_l, m) array (or None) per hidden layer, already
                scaled by 1/(1 - p); they multiply the hidden activations.
        Returns:
            ``(zs, outputs, activations)``: ``zs[l]`` and ``outputs[l]`` are layer l+1's z and
            activation(z), shape (n_{l+1}, m); ``activations`` is ``[x] + outputs`` with dropout
            masks applied, i.e. what each layer actually passes on.
        """
        a = x
        zs, outputs, activations = [], [], [x]
        last = self.num_layers - 2
        for l, (w, b, act) in enumerate(zip(self.weights, self.biases, self._acts)):
            z = w @ a
            z += b
            out = act.fn(z)
            zs.append(z)
            outputs.append(out)
            a = out * masks[l] if (masks is not None and l < last and masks[l] is not None) else out
            activations.append(a)
        return zs, outputs, activations

    # ------------------------------------------------------------------ backward

    def backprop_batch(self, x, y, masks=None):
        """Gradient of the mean cost over a mini-batch, by backpropagation as matrix products.

        Args:
            x: (n_in, m) inputs; y: (n_out, m) desired outputs; masks: see ``forward_pass``.
        Returns:
            ``(nabla_b, nabla_w)``, lists shaped like ``biases`` and ``weights``: the gradient of
            C = (1/m) sum_x C_x (the regularisation term is not included).
        """
        return self._backward(x, y, masks, 1.0 / x.shape[1])

    def _backward(self, x, y, masks, scale):
        """``scale`` times the summed per-example gradients (1/m gives the mean; -eta/m a step)."""
        zs, outputs, activations = self.forward_pass(x, masks)
        acts = self._acts
        # BP1: the output error; scaling it once makes every later sum already scaled
        delta = self.cost.delta(zs[-1], outputs[-1], y, acts[-1])
        delta *= scale
        L = self.num_layers - 1
        nabla_b, nabla_w = [None] * L, [None] * L
        nabla_b[-1] = np.add.reduce(delta, axis=1, keepdims=True)  # BP3
        nabla_w[-1] = delta @ activations[-2].T                  # BP4
        for l in range(2, self.num_layers):
            grad_a = self.weights[-l + 1].T @ delta              # BP2, first half
            if masks is not None and masks[-l + 1] is not None:
                grad_a *= masks[-l + 1]  # dropout: only kept neurons pass the error back
            delta = acts[-l].backward(zs[-l], outputs[-l], grad_a)  # BP2: times sigma'(z)
            nabla_b[-l] = np.add.reduce(delta, axis=1, keepdims=True)
            nabla_w[-l] = delta @ activations[-l - 1].T
        return nabla_b, nabla_w

    def backprop(self, x, y):
        """The book's per-example backprop: the gradient of C_x for one example.

        Args:
            x: (n_in, 1) input column; y: (n_out, 1) desired output.
        Returns:
            ``(nabla_b, nabla_w)``, lists shaped like ``biases`` and ``weights``.
        """
        x = self._check_input(x, "x")
        if x.shape[1] != 1:
            raise ValueError(f"x must be one example of shape ({self.sizes[0]}, 1), got {x.shape}; "
                             "use backprop_batch for a mini-batch")
        y = self._check_targets(y, 1, "y")
        return self.backprop_batch(x, y)

    def _check_targets(self, y, m, name):
        y = np.asarray(y, dtype=self.dtype)
        if y.ndim == 1:
            y = y.reshape(-1, 1)
        if y.shape != (self.sizes[-1], m):
            raise ValueError(f"{name} must have shape ({self.sizes[-1]}, {m}), got {y.shape}")
        if not np.all(np.isfinite(y)):
            raise ValueError(f"{name} contains NaN or infinite values")
        return y

    # ------------------------------------------------------------------ data

    def prepare(self, data, name="training_data"):
        """Turn data into matrices: ``(X (n_in, n), Y (n_out, n), labels (n,) or None)``.

        Accepts ``(X, y)`` with X (n_in, n) and y either int labels (n,) or targets (n_out, n), or
        the book's list of ``(x, y)`` pairs with x (n_in, 1) and y an (n_out, 1) column or an int.
        ``labels`` is None when the targets are not one-hot (a regression problem).
        """
        n_in, n_out = self.sizes[0], self.sizes[-1]
        if isinstance(data, tuple) and len(data) == 2 and isinstance(data[0], np.ndarray) \
                and data[0].ndim == 2:
            X, y = data
        else:
            try:
                pairs = list(data)
            except TypeError:
                raise ValueError(f"{name} must be a pair (X, y) of arrays or a list of (x, y) pairs, "
                                 f"got {type(data).__name__}") from None
            if not pairs:
                raise ValueError(f"{name} is empty")
            if not all(isinstance(p, (tuple, list)) and len(p) == 2 for p in pairs):
                raise ValueError(f"{name} must be a pair (X, y) of arrays or a list of (x, y) pairs")
            try:
                X = np.hstack([np.asarray(p[0]).reshape(-1, 1) for p in pairs])
            except ValueError as err:
                raise ValueError(f"{name}: the inputs x do not all have the same size ({err})") from None
            first = np.asarray(pairs[0][1])
            if first.ndim == 0:
                y = np.array([p[1] for p in pairs])
            else:
                y = np.hstack([np.asarray(p[1]).reshape(-1, 1) for p in pairs])
        X = np.asarray(X)
        if X.ndim != 2 or X.shape[0] != n_in:
            raise ValueError(f"{name}: inputs must have shape ({n_in}, n), one column per example, "
                             f"got {X.shape}")
        n = X.shape[1]
        if n == 0:
            raise ValueError(f"{name} is empty")
        X = self._check_input(X, f"{name} inputs")
        y = np.asarray(y)
        if y.ndim == 1 or (y.ndim == 2 and y.shape == (1, n) and n_out != 1):
            labels = y.reshape(-1)
            if labels.shape[0] != n:
                raise ValueError(f"{name}: {n} inputs but {labels.shape[0]} labels")
            if not np.issubdtype(labels.dtype, np.integer):
                if np.issubdtype(labels.dtype, np.floating) and np.all(labels == np.round(labels)):
                    labels = labels.astype(np.int64)
                else:
                    raise ValueError(f"{name}: labels must be whole numbers, got dtype {labels.dtype}")
            if labels.size and (labels.min() < 0 or labels.max() >= n_out):
                bad = labels[(labels < 0) | (labels >= n_out)][0]
                raise ValueError(f"{name}: labels must be in 0..{n_out - 1} (one per output neuron), "
                                 f"got {bad}")
            Y = np.zeros((n_out, n), dtype=self.dtype)
            Y[labels, np.arange(n)] = 1.0
            return X, Y, labels.astype(np.int64)
        if y.shape != (n_out, n):
            raise ValueError(f"{name}: targets must have shape ({n_out}, {n}) or be {n} int labels, "
                             f"got {y.shape}")
        Y = self._check_targets(y, n, f"{name} targets")
        one_hot = np.all((Y == 0) | (Y == 1)) and np.all(Y.sum(axis=0) == 1)
        labels = np.argmax(Y, axis=0) if one_hot else None
        return X, Y, labels

    # ------------------------------------------------------------------ evaluation

    def predict(self, x):
        """The index of the most active output neuron for each column of x: (n_in, m) -> (m,)."""
        return np.argmax(self.feedforward(x), axis=0)

    def evaluate(self, data):
        """The number of examples classified correctly (the book's ``evaluate``)."""
        X, _, labels = self.prepare(data, "data")
        if labels is None:
            raise ValueError("data must have class labels (one-hot targets) to count correct answers")
        return int(np.sum(self.predict(X) == labels))

    def accuracy(self, data):
        """The fraction of examples classified correctly, in [0, 1]."""
        X, _, labels = self.prepare(data, "data")
        return self._accuracy(X, labels)

    def _accuracy(self, X, labels):
        if labels is None:
            return float("nan")
        return float(np.mean(self.predict(X) == labels))

    def weight_penalty(self, lmbda, n, regularization="l2"):
        """The regularisation term: (lmbda/2n) sum w^2 for L2, (lmbda/n) sum |w| for L1."""
        if lmbda == 0:
            return 0.0
        if regularization == "l1":
            return float(lmbda / n * sum(np.abs(w).sum() for w in self.weights))
        return float(0.5 * lmbda / n * sum((w * w).sum() for w in self.weights))

    def total_cost(self, data, lmbda=0.0, regularization="l2", n=None):
        """The mean cost over ``data`` plus the regularisation term (with n = len(data) by default)."""
        X, Y, _ = self.prepare(data, "data")
        return self._total_cost(X, Y, lmbda, regularization, n or X.shape[1])

    def _total_cost(self, X, Y, lmbda, regularization, n):
        with np.errstate(over="ignore", invalid="ignore"):
            return self.cost.fn(self.feedforward(X), Y) + self.weight_penalty(lmbda, n, regularization)

    # ------------------------------------------------------------------ training

    def update_mini_batch(self, x, y, eta, lmbda=0.0, n=1, regularization="l2", dropout=0.0,
                          rng=None):
        """One gradient-descent step on the mini-batch ``x`` (n_in, m), ``y`` (n_out, m).

        w -> w - eta * (nabla_w + regularisation gradient), b -> b - eta * nabla_b, where the
        gradients are means over the mini-batch and the regularisation is scaled by the training-set
        size ``n`` (L2: (lmbda/n) w; L1: (lmbda/n) sign(w)); biases are not regularised.
        """
        masks = self._dropout_masks(x.shape[1], dropout, rng or self.rng) if dropout else None
        # the step -eta * nabla, computed directly: -eta/m scales the output error once
        step_b, step_w = self._backward(x, y, masks, -eta / x.shape[1])
        if lmbda:
            if regularization == "l2":
                shrink = 1.0 - eta * lmbda / n
                for w in self.weights:
                    w *= shrink
            else:
                decay = eta * lmbda / n
                for w in self.weights:
                    w -= decay * np.sign(w)
        for w, dw in zip(self.weights, step_w):
            w += dw
        for b, db in zip(self.biases, step_b):
            b += db

    def _dropout_masks(self, m, p, rng):
        """Inverted-dropout masks for the hidden layers: 0 with probability p, else 1/(1-p)."""
        keep = 1.0 - p
        return [(rng.random((n, m)) < keep).astype(self.dtype) / keep for n in self.sizes[1:-1]]

    def request_stop(self):
        """Ask a running ``SGD`` (e.g. in another thread) to stop after its current mini-batch."""
        self._stop_flag.set()

    def SGD(self, training_data, epochs, mini_batch_size, eta, lmbda=0.0, evaluation_data=None,
            monitor_evaluation_cost=None, monitor_evaluation_accuracy=None,
            monitor_training_cost=None, monitor_training_accuracy=None, *,
            regularization="l2", dropout=0.0, schedule=None, early_stopping=None,
            monitor_batch_cost=False, callback=None, stop=None, rng=None, seed=None,
            progress=True, verbose=True):
        """Train by mini-batch stochastic gradient descent and return the per-epoch ``History``.

        Args:
            training_data: ``(X, y)`` with X (n_in, n) and y labels (n,) or targets (n_out, n), or
                the book's list of ``(x, y)`` pairs.
            epochs: how many passes over the training data.
            mini_batch_size: examples per gradient step (the last mini-batch may be smaller).
            eta: the learning rate (> 0); the starting rate when a ``schedule`` is given.
            lmbda: regularisation strength (>= 0), scaled by the training-set size n as in the book.
            evaluation_data: optional held-out data in the same forms, for monitoring.
            monitor_*: what to record each epoch. ``None`` (the default) means: training cost and
                accuracy always, evaluation cost and accuracy when there is evaluation data.
            regularization: ``"l2"`` (weight decay) or ``"l1"``.
            dropout: probability in [0, 1) of dropping each hidden neuron during training.
            schedule: ``None``/``"constant"``, ``"step"``, ``"plateau"`` or a schedule object from
                ``nbhelpers.schedules``.
            early_stopping: stop when the evaluation accuracy has not improved for this many
                epochs, and restore the weights of the best epoch.
            monitor_batch_cost: also record every mini-batch's cost in ``history.batch_cost``.
            callback: called as ``callback(net, history)`` after each recorded epoch, including
                one cut short by ``stop`` or Ctrl-C (e.g. for a live plot); it may raise
                ``StopTraining`` to end training.
            stop: a function of no arguments, checked after every mini-batch; training ends
                cleanly when it returns True (widgets use it for their Stop button).
            rng, seed: the generator (or a seed for one) for shuffling and dropout; by default
                the network's own.
            progress: show a tqdm progress bar over epochs.
            verbose: print one line per epoch.

        Ctrl-C (a kernel interrupt) ends training after the current mini-batch and keeps what was
        learned. If the weights or cost stop being finite, training stops, the weights are put back
        as they were at the start of that epoch, and a warning suggests a smaller eta.
        """
        epochs = _check_positive_int(epochs, "epochs", minimum=0)
        mini_batch_size = _check_positive_int(mini_batch_size, "mini_batch_size")
        eta = _check_number(eta, "eta", 0.0, low_inclusive=False)
        lmbda = _check_number(lmbda, "lmbda")
        dropout = _check_number(dropout, "dropout")
        if dropout >= 1:
            raise ValueError(f"dropout must be a probability in [0, 1), got {dropout!r}")
        if regularization not in REGULARIZATIONS:
            raise ValueError(f"regularization must be one of {list(REGULARIZATIONS)}, "
                             f"got {regularization!r}")
        if early_stopping is not None:
            early_stopping = _check_positive_int(early_stopping, "early_stopping")
            if evaluation_data is None:
                raise ValueError("early_stopping needs evaluation_data (validation data) to watch")
        if rng is None:
            rng = np.random.default_rng(seed) if seed is not None else self.rng
        schedule = make_schedule(schedule, eta)

        X, Y, labels = self.prepare(training_data, "training_data")
        n = X.shape[1]
        XT, YT = np.ascontiguousarray(X.T), np.ascontiguousarray(Y.T)
        if evaluation_data is not None:
            EX, EY, elabels = self.prepare(evaluation_data, "evaluation_data")
        has_eval = evaluation_data is not None
        mon_tc = True if monitor_training_cost is None else bool(monitor_training_cost)
        mon_ta = (labels is not None) if monitor_training_accuracy is None \
            else bool(monitor_training_accuracy)
        mon_ec = has_eval if monitor_evaluation_cost is None else bool(monitor_evaluation_cost)
        mon_ea = (has_eval and elabels is not None) if monitor_evaluation_accuracy is None \
            else bool(monitor_evaluation_accuracy)
        if (mon_ec or mon_ea) and not has_eval:
            raise ValueError("monitor_evaluation_cost/accuracy need evaluation_data")

        history = History()
        log = _Logger(progress=progress, verbose=verbose, total=epochs)
        self._stop_flag.clear()
        interrupted = _InterruptFlag()
        best_acc, best_params, since_best = -math.inf, None, 0
        try:
            with interrupted, _one_blas_thread():
                for epoch in range(epochs):
                    eta_now = schedule.eta(epoch, history)
                    snapshot = self._params_copy()
                    start = time.perf_counter()
                    perm = rng.permutation(n)
                    halted = False
                    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                        update = self.update_mini_batch
                        requested = self._stop_flag.is_set
                        for k in range(0, n, mini_batch_size):
                            # Gathering rows of the (n, n_in) transposes copies whole examples
                            # at once; .T gives back the (n_in, m) columns of the mini-batch.
                            batch = perm[k:k + mini_batch_size]
                            xb, yb = XT[batch].T, YT[batch].T
                            if monitor_batch_cost:
                                history.batch_cost.append(
                                    self.cost.fn(self.feedforward(xb), yb))
                            update(xb, yb, eta_now, lmbda, n, regularization, dropout, rng)
                            if interrupted.flag or requested() or (stop is not None and stop()):
                                halted = True
                                break
                    seconds = time.perf_counter() - start
                    record = {}
                    if self._params_finite():
                        if mon_tc:
                            record["training_cost"] = self._total_cost(X, Y, lmbda, regularization, n)
                        if mon_ta:
                            record["training_accuracy"] = self._accuracy(X, labels)
                        if mon_ec:
                            record["evaluation_cost"] = self._total_cost(EX, EY, lmbda, regularization, n)
                        if mon_ea:
                            record["evaluation_accuracy"] = self._accuracy(EX, elabels)
                    if not self._params_finite() or not all(
                            math.isfinite(v) for k, v in record.items() if k.endswith("cost")):
                        self._params_restore(snapshot)
                        history.stopped = "diverged"
                        history.message = (
                            f"Training diverged in epoch {epoch}: the weights or cost became NaN or "
                            f"infinite with eta = {eta_now:g}. The weights were put back as they were "
                            f"at the start of that epoch. Try a smaller eta, e.g. {eta_now / 10:g}.")
                        warnings.warn(history.message, TrainingDiverged, stacklevel=2)
                        break
                    history.epoch.append(epoch)
                    history.eta.append(eta_now)
                    history.seconds.append(seconds)
                    for key, value in record.items():
                        getattr(history, key).append(value)
                    watched = history.monitored_accuracy()
                    if watched:
                        if watched[-1] > best_acc:
                            best_acc, since_best = watched[-1], 0
                            history.best_epoch = epoch
                            if early_stopping:
                                best_params = self._params_copy()
                        else:
                            since_best += 1
                    log.epoch(epoch, epochs, history)
                    if halted:
                        history.stopped = "interrupted" if interrupted.flag else "requested"
                        history.message = (f"Training stopped during epoch {epoch} on request; the "
                                           "network keeps what it learned so far.")
                    if callback is not None:
                        try:
                            callback(self, history)
                        except StopTraining:
                            history.stopped = "requested"
                    if history.stopped:
                        break
                    if early_stopping and since_best >= early_stopping:
                        history.stopped = "early_stopping"
                        history.message = (f"No improvement in {early_stopping} epochs: stopped after "
                                           f"epoch {epoch}, keeping the weights of epoch "
                                           f"{history.best_epoch}.")
                        break
                    if schedule.should_stop(history):
                        history.stopped = "schedule"
                        history.message = f"The schedule ended training after epoch {epoch}."
                        break
        finally:
            log.close()
        if history.stopped == "early_stopping" and best_params is not None:
            self._params_restore(best_params)
        if history.message and verbose:
            print(history.message)
        return history

    # ------------------------------------------------------------------ parameters

    def _params_copy(self):
        return [w.copy() for w in self.weights], [b.copy() for b in self.biases]

    def _params_restore(self, params):
        weights, biases = params
        for w, saved in zip(self.weights, weights):
            w[...] = saved
        for b, saved in zip(self.biases, biases):
            b[...] = saved

    def _params_finite(self):
        return all(np.isfinite(p).all() for p in self.weights + self.biases)

    def save(self, path):
        """Save to ``path``: ``.json`` (readable) or ``.npz`` (compact); see ``nbhelpers.serialize``."""
        from .serialize import save_network

        save_network(self, path)

    @classmethod
    def load(cls, path):
        """Load a network saved by ``save``; the round trip is exact."""
        from .serialize import load_network

        return load_network(path)


def _one_blas_thread():
    """Run BLAS on one thread while training.

    The products of mini-batch SGD are small (a mini-batch of 10 columns): handing them to several
    BLAS threads costs more than the arithmetic, and far more when other programs share the cores
    (measured here: 4-10x slower for [784, 100, 10] on two busy cores). One thread is never much
    slower and is often much faster, so training uses one.
    """
    global _BLAS_CONTROLLER
    if _BLAS_CONTROLLER is None:  # finding the BLAS libraries takes a while: do it once
        from threadpoolctl import ThreadpoolController

        _BLAS_CONTROLLER = ThreadpoolController()
    return _BLAS_CONTROLLER.limit(limits=1, user_api="blas")


_BLAS_CONTROLLER = None


class _InterruptFlag:
    """While active, Ctrl-C (SIGINT) sets ``flag`` instead of raising, so a step is never cut in half."""

    def __init__(self):
        self.flag = False
        self._previous = None

    def _handler(self, signum, frame):
        self.flag = True

    def __enter__(self):
        self.flag = False
        if threading.current_thread() is threading.main_thread():
            try:
                self._previous = signal.signal(signal.SIGINT, self._handler)
            except ValueError:  # not allowed here (e.g. some embedded interpreters)
                self._previous = None
        return self

    def __exit__(self, *exc):
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
            self._previous = None
        return False


class _Logger:
    """The optional progress bar and per-epoch lines of ``SGD``."""

    def __init__(self, progress, verbose, total):
        self.verbose = verbose
        self.bar = None
        if progress and total:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=total, unit="epoch", leave=False)

    def epoch(self, epoch, epochs, history):
        parts = []
        if history.training_cost:
            parts.append(f"training cost {history.training_cost[-1]:.4f}")
        if history.training_accuracy:
            parts.append(f"training accuracy {history.training_accuracy[-1]:.2%}")
        if history.evaluation_cost:
            parts.append(f"evaluation cost {history.evaluation_cost[-1]:.4f}")
        if history.evaluation_accuracy:
            parts.append(f"evaluation accuracy {history.evaluation_accuracy[-1]:.2%}")
        line = f"Epoch {epoch + 1}/{epochs}: " + ", ".join(parts)
        if self.bar is not None:
            self.bar.update(1)
            if history.evaluation_accuracy:
                self.bar.set_postfix(accuracy=f"{history.evaluation_accuracy[-1]:.2%}", refresh=False)
        if self.verbose:
            if self.bar is not None:
                self.bar.write(line)
            else:
                print(line)

    def close(self):
        if self.bar is not None:
            self.bar.close()
