"""Training: the policy of a run (``fit``) beside the loop that carries it out (``train``).

``fit`` is what ``Network.SGD`` hands its arguments to. It checks them and decides the run: the
optimiser and its state (fresh, or resumed), the penalty, the schedule, what to monitor, which
callbacks watch it, whether its mini-batches fit in memory. ``train`` is the loop, and the only
place where these happen:

    on_train_begin
    for each epoch:            on_epoch_begin
        perm = rng.permutation(n)
        for each mini-batch perm[k:k+m]:
            gradient, (clip,) step,  on_batch_end  (only the callbacks that want every mini-batch)
        lost? (engine.guard) -> the weights of the epoch's start are put back, the run stops,
                      and the epoch is not recorded: no callback sees it (or: a warning noted)
        measure and record the epoch (one forward pass per data set gives cost and accuracy)
                               on_epoch_end  (reading the record; their order does not matter)
    on_train_end               (also after an error)

The shuffle is exactly ``perm = rng.permutation(n)`` each epoch, and the k-th mini-batch is the
examples ``perm[k*m:(k+1)*m]`` in that order, so a run can be repeated step by step elsewhere
(notebook 03 does it with the book's per-example code). BLAS runs on one thread: a small
mini-batch's products are faster on one core. numpy's floating-point problems are counted in
``History.numerical_errors``, not printed: a run that blows up ends with the guard's one message.
Used by: the engine (``Network.SGD``) and so by every notebook that trains a network.
"""

from __future__ import annotations

import contextlib
import time

import numpy as np

from ..optimizers import clip_gradients, get_optimizer
from ..regularization import get_regularization, make_penalty
from ..schedules import make_schedule
from ..validate import boolean, fail, fits_in_memory, generator, number, probability, whole
from . import callbacks as cb
from .evaluation import measure
from .guard import DivergenceGuard
from .history import History

#: why a run stops, most serious first: when two reasons come in the same epoch, the first wins
STOP_REASONS = ("diverged", "interrupted", "requested", "early_stopping", "schedule")
METRICS = ("training_cost", "training_accuracy", "evaluation_cost", "evaluation_accuracy")


class Run:
    """What the callbacks of one training run see (and the one way they stop it).

    Attributes:
        net, optimizer, history, epochs, mini_batch_size, rng: as given to ``train``.
        training, evaluation: ``Examples`` (X, Y, labels) (evaluation may be None).
        monitor: the metrics recorded each epoch, a dict name -> bool (``METRICS``).
        clip: the longest gradient a step may take (None: no clipping); see ``fit``.
        epoch: the current epoch (from 0).
        x, y, output: the last mini-batch's inputs, targets and the network's outputs for it.
        seconds: the wall-clock time of the last epoch's training.
        stop_reason: None while running; then why it ends (one of ``STOP_REASONS``).
    """

    def __init__(self, net, optimizer, training, evaluation, epochs, mini_batch_size, rng, monitor,
                 clip=None):
        self.net, self.optimizer, self.clip = net, optimizer, clip
        self.training, self.evaluation, self.monitor = training, evaluation, monitor
        self.epochs, self.mini_batch_size, self.rng = epochs, mini_batch_size, rng
        self.history = History()
        self.epoch = 0
        self.x = self.y = self.output = None
        self.seconds = 0.0
        self.stop_reason = None

    def request_stop(self, reason, message=""):
        """End the run after the current mini-batch. Of several requests the most serious reason
        (the first in ``STOP_REASONS``; a reason of a caller's own comes last) is kept, with its
        message, so which callback asks first does not matter."""
        if self.stop_reason is None or _rank(reason) < _rank(self.stop_reason):
            self.stop_reason = reason
            self.history.stopped = reason
            self.history.message = message

    def warn(self, text):
        """Note a sentence for people about the run in ``history.warnings`` (printed with the
        epoch's line when verbose); the run goes on."""
        self.history.warnings.append(text)

    def measure(self):
        """The monitored metrics of the network as it is now: one forward pass per data set."""
        metrics = {}
        for split, data in (("training", self.training), ("evaluation", self.evaluation)):
            cost, accuracy = self.monitor[f"{split}_cost"], self.monitor[f"{split}_accuracy"]
            if data is not None and (cost or accuracy):
                values = measure(self.net, *data, self.optimizer.penalty, cost, accuracy)
                metrics.update({f"{split}_cost": values[0]} if cost else {})
                metrics.update({f"{split}_accuracy": values[1]} if accuracy else {})
        return metrics


def _rank(reason):
    return STOP_REASONS.index(reason) if reason in STOP_REASONS else len(STOP_REASONS)


def train(net, training, epochs, mini_batch_size, optimizer, callbacks=(), rng=None,
          evaluation=None, monitor=None, guard=None, clip=None):
    """Mini-batch stochastic gradient descent; returns the run's ``History``.

    Args:
        net: an ``nbhelpers.engine.Network``.
        training: ``Examples`` from ``Network.prepare``; evaluation likewise, or None.
        epochs, mini_batch_size: whole numbers (checked by the caller).
        optimizer: an ``nbhelpers.optimizers.Optimizer`` (its penalty set for this run).
        callbacks: ``nbhelpers.engine.callbacks.Callback`` objects; any hook may raise
            ``StopTraining`` to end the run after the current mini-batch.
        rng: the ``numpy.random.Generator`` for shuffling and dropout.
        monitor: the metrics to record each epoch, a dict name -> bool (default: none).
        guard: an ``engine.guard.DivergenceGuard`` (or None: no health check).
        clip: shorten every mini-batch's gradient to at most this length (None: never).

    A last mini-batch smaller than the network can train on (one example, with batch
    normalisation) is left out of every epoch, with a note in ``history.warnings``.
    """
    monitor = {name: bool((monitor or {}).get(name)) for name in METRICS}
    run = Run(net, optimizer, training, evaluation, epochs, mini_batch_size, rng, monitor, clip)
    n = training.X.shape[1]
    used = _examples_used(run, n, mini_batch_size, net.min_batch)
    watchers = ([guard] if guard is not None else []) + list(callbacks)
    parameters = net.parameters()
    net.bind_rng(rng)
    batch_hooks = [callback for callback in callbacks if callback.wants_batches]
    fused = optimizer.fused and clip is None and not any(callback.reads_gradients
                                                         for callback in batch_hooks)
    rows = np.ascontiguousarray(training.X.T), np.ascontiguousarray(training.Y.T)
    try:
        with one_blas_thread(), counting_floating_point_errors(run.history.numerical_errors):
            _notify(run, watchers, "on_train_begin")
            for epoch in range(epochs):
                if run.stop_reason is not None:
                    break
                run.epoch = epoch
                _notify(run, watchers, "on_epoch_begin")
                if run.stop_reason is not None:
                    break
                start = time.perf_counter()
                clipped = _one_epoch(run, rows, parameters, batch_hooks, fused, used)
                run.seconds = time.perf_counter() - start
                if fused:
                    optimizer.unfuse(parameters)    # the layers hold gradients again
                if guard is not None and guard.diverged(run):
                    break
                run.history.record(epoch, optimizer.eta, run.seconds, run.measure())
                if clip is not None:
                    run.history.clipped_steps.append(clipped)
                _notify(run, callbacks, "on_epoch_end")
    finally:
        _notify(run, watchers, "on_train_end")
    return run.history


def _examples_used(run, n, m, min_batch):
    """How many of the n shuffled examples make mini-batches: all, unless the last mini-batch
    would be smaller than the network can train on (then it is left out, and a note says so)."""
    left = n % m
    if not 0 < left < min_batch:
        return n
    run.warn(f"Note: the last mini-batch of each epoch would hold {left} example"
             f"{'s' if left != 1 else ''} ({n} examples in mini-batches of {m}), too few for batch "
             f"normalisation, which needs {min_batch}; it is left out, so each epoch trains on "
             f"{n - left} of the {n} examples (a different {left} each epoch, as PyTorch's "
             "drop_last does every epoch).")
    return n - left


def _notify(run, callbacks, hook):
    """Call ``hook`` of every callback; one that raises ``StopTraining`` ends the run."""
    for callback in callbacks:
        try:
            getattr(callback, hook)(run)
        except cb.StopTraining:
            run.request_stop("requested", f"{type(callback).__name__} ended training "
                                          f"(StopTraining in {hook}) in epoch {run.epoch}.")


def _one_epoch(run, rows, parameters, batch_hooks, fused, used):
    """Shuffle, then one gradient step per mini-batch of the first ``used`` shuffled examples,
    until the epoch ends or a stop is asked. Returns how many steps had their gradient clipped."""
    net, optimizer, m, clip = run.net, run.optimizer, run.mini_batch_size, run.clip
    rows_x, rows_y = rows      # one example per row: gathering a mini-batch copies whole rows
    gradient, step = net.gradient, optimizer.step
    fused_step = optimizer.fused_step if fused else None
    perm = run.rng.permutation(rows_x.shape[0])
    clipped = 0
    try:
        for k in range(0, used, m):
            batch = perm[k:k + m]
            run.x, run.y = x, y = rows_x[batch].T, rows_y[batch].T   # (n_in, m), (n_out, m)
            if fused:
                run.output = fused_step(net, x, y, parameters)
            else:
                run.output = gradient(x, y, True)
                if clip is not None:
                    clipped += clip_gradients(parameters, clip)
                step(parameters)
            for callback in batch_hooks:
                callback.on_batch_end(run)
            if run.stop_reason is not None:
                break
    except cb.StopTraining:
        run.request_stop("requested", f"A callback ended training (StopTraining in on_batch_end) "
                                      f"in epoch {run.epoch}.")
    return clipped


def fit(net, training_data, epochs, mini_batch_size, eta, lmbda=0.0, evaluation_data=None,
        monitor_evaluation_cost=None, monitor_evaluation_accuracy=None,
        monitor_training_cost=None, monitor_training_accuracy=None, *,
        optimizer="sgd", regularization="l2", dropout=0.0, schedule=None, early_stopping=None,
        monitor_batch_cost=False, monitor_gradients=None, clip=None, callback=None, callbacks=(),
        stop=None, rng=None, seed=None, resume=False, progress=True, verbose=True):
    """Train ``net`` by mini-batch gradient descent and return the per-epoch ``History``.

    Args:
        training_data: ``(X, y)`` with X (n_in, n) and y labels (n,) or targets (n_out, n), or
            the book's list of ``(x, y)`` pairs.
        epochs: how many passes over the training data.
        mini_batch_size: examples per gradient step (the last mini-batch may be smaller).
        eta: the learning rate (> 0) of the optimiser; the starting rate with a ``schedule``.
        lmbda: regularisation strength (>= 0), scaled by the training-set size n as in the book.
        evaluation_data: optional held-out data in the same forms, for monitoring.
        monitor_*: what to record each epoch. ``None`` (the default) means: training cost and
            accuracy always, evaluation cost and accuracy when there is evaluation data.
        optimizer: ``"sgd"`` (the book's rule), ``"momentum"``, ``"nesterov"``, ``"adagrad"``,
            ``"rmsprop"``, ``"adam"``, or an optimiser object from ``nbhelpers.optimizers``.
        regularization: ``"l2"`` (weight decay) or ``"l1"``.
        dropout: probability in [0, 1) of dropping each hidden neuron during training.
        schedule: ``None``/``"constant"``, ``"step"``, ``"plateau"``, ``"exponential"``,
            ``"cosine"`` or a schedule object (``nbhelpers.schedules``) giving etas > 0.
        early_stopping: stop when the evaluation accuracy has not improved for this many
            epochs, and restore the weights of the best epoch.
        monitor_batch_cost: also record every mini-batch's cost in ``history.batch_cost``.
        monitor_gradients: ``"epoch"`` or ``"batch"``: record each layer's ||dC/db|| (and a
            recurrent layer's ||dC/dh_t|| per time step) in ``history``'s gradient norms.
        clip: shorten a mini-batch gradient longer than ``clip`` (all parameters together) to
            that length (``optimizers.clip_gradients``), counted in ``history.clipped_steps``.
        callback: called as ``callback(net, history)`` after each recorded epoch, including
            one cut short (e.g. for a live plot); it may raise ``StopTraining``.
        callbacks: more ``nbhelpers.engine.callbacks.Callback`` objects (any of their hooks may
            raise ``StopTraining``).
        stop: a function of no arguments returning True or False, or a ``threading.Event``,
            checked after every mini-batch: True ends training cleanly (the Stop button).
        rng, seed: the generator (or a seed for one) for shuffling and dropout; by default
            the network's own.
        resume: continue from the optimiser state this network kept from its last run or its
            file (``net.optimizer_state``); by default every run starts the optimiser afresh.
        progress: show a tqdm progress bar over epochs.
        verbose: print one line per epoch, warnings, and why training stopped early.

    Each epoch steps through ``perm[k:k + mini_batch_size]`` of ``perm = rng.permutation(n)`` (with
    batch normalisation a last mini-batch of one is left out, noted in ``history.warnings``).
    Ctrl-C ends training after the current mini-batch, keeping what was learned; a second one
    stops at once. After each epoch ``engine.guard`` stops a lost run (its epoch undone,
    ``history.message`` saying what to change) and warns of one going wrong (``history.warnings``).
    """
    epochs = whole(epochs, "epochs", minimum=0)
    mini_batch_size = whole(mini_batch_size, "mini_batch_size", minimum=1)
    eta = number(eta, "eta", low=0.0, low_open=True)
    lmbda = number(lmbda, "lmbda", low=0.0)
    dropout = probability(dropout, "dropout")
    clip = None if clip is None else number(clip, "clip", low=0.0, low_open=True)
    resume = boolean(resume, "resume")
    get_regularization(regularization)
    _check_batch(net, mini_batch_size)
    optimizer = get_optimizer(optimizer, eta)
    schedule = make_schedule(schedule, eta, epochs)
    rng = _generator(net, rng, seed)
    watchers = _callbacks(stop, callback, callbacks, monitor_batch_cost, monitor_gradients, schedule,
                          progress, verbose)    # built, and so checked, before any work is done

    training = net.prepare(training_data, "training_data")
    evaluation = None if evaluation_data is None else net.prepare(evaluation_data, "evaluation_data")
    monitor = _what_to_monitor(training, evaluation, monitor_training_cost, monitor_training_accuracy,
                               monitor_evaluation_cost, monitor_evaluation_accuracy)
    if early_stopping is not None:
        watchers.append(cb.EarlyStopping(_check_early_stopping(early_stopping, evaluation)))
    _check_batch(net, mini_batch_size, training)
    optimizer.start(net.optimizer_state, [p.value.shape for p in net.parameters()], resume)
    optimizer.penalty = make_penalty(regularization, lmbda, training.X.shape[1])
    try:
        with net.dropout(dropout):
            return train(net, training, epochs, mini_batch_size, optimizer, watchers, rng,
                         evaluation, monitor, guard=DivergenceGuard(), clip=clip)
    finally:   # the network keeps the optimiser's state, for save and resume=True
        net.optimizer_state = {"name": optimizer.name, "state": optimizer.state}


def _generator(net, rng, seed):
    """The run's generator: ``rng``, else a new one from ``seed``, else the network's own."""
    if rng is None:
        rng = np.random.default_rng(whole(seed, "seed", minimum=0)) if seed is not None else net.rng
    return generator(rng, "rng")


def _check_batch(net, mini_batch_size, training=None):
    """Refuse mini-batches too small for the network (batch normalisation needs two examples),
    or, given the training data, too large for memory (with the copy of the data the loop makes)."""
    if mini_batch_size < net.min_batch:
        raise ValueError(f"mini_batch_size must be at least {net.min_batch} for this network, got "
                         f"{mini_batch_size}: batch normalisation normalises each neuron by its "
                         "spread over the mini-batch, and one example has none")
    if training is not None and training.X.shape[1] < net.min_batch:
        raise ValueError(f"training_data must hold at least {net.min_batch} examples for this "
                         f"network, got {training.X.shape[1]}: batch normalisation normalises each "
                         "neuron by its spread over a mini-batch, and one example has none")
    if training is not None:
        fits_in_memory(net.training_numbers * mini_batch_size + training.X.size + training.Y.size,
                       np.dtype(net.dtype).itemsize, "mini_batch_size",
                       f"training with mini-batches of {mini_batch_size}", copies=1,
                       why="every layer's outputs for the backward pass, and the training data")


def _callbacks(stop, callback, callbacks, batch_cost, gradients, schedule, progress, verbose):
    """The callbacks a run's arguments ask for, the caller's own last."""
    watchers = [cb.StopControl(stop, announce=verbose), cb.ScheduleEta(schedule),
                cb.ProgressLog(progress, verbose)]
    if batch_cost:
        watchers.append(cb.BatchCost())
    if gradients is not None:
        watchers.append(cb.GradientMonitor(gradients))
    if callback is not None:
        watchers.append(cb.EpochFunction(callback))
    if isinstance(callbacks, cb.Callback):
        callbacks = [callbacks]
    for item in callbacks:
        if not isinstance(item, cb.Callback):
            fail("callbacks", "a list of nbhelpers.engine.callbacks.Callback objects", item)
    return watchers + list(callbacks)


def _what_to_monitor(training, evaluation, training_cost, training_accuracy, evaluation_cost,
                     evaluation_accuracy):
    """``fit``'s ``monitor_*`` flags, with None read as: training cost and accuracy always,
    evaluation cost and accuracy when there are evaluation data (accuracy only with class labels)."""
    has_labels = evaluation is not None and evaluation.labels is not None
    wanted = dict(
        training_cost=True if training_cost is None else bool(training_cost),
        training_accuracy=(training.labels is not None) if training_accuracy is None
        else bool(training_accuracy),
        evaluation_cost=(evaluation is not None) if evaluation_cost is None else bool(evaluation_cost),
        evaluation_accuracy=has_labels if evaluation_accuracy is None else bool(evaluation_accuracy))
    if (wanted["evaluation_cost"] or wanted["evaluation_accuracy"]) and evaluation is None:
        raise ValueError("monitor_evaluation_cost/accuracy need evaluation_data")
    if wanted["evaluation_accuracy"] and not has_labels:
        raise ValueError("monitor_evaluation_accuracy needs evaluation_data with class labels "
                         "(integer labels or one-hot targets)")
    return wanted


def _check_early_stopping(early_stopping, evaluation):
    """``fit``'s ``early_stopping`` patience, checked against the evaluation data it must watch."""
    early_stopping = whole(early_stopping, "early_stopping", minimum=1)
    if evaluation is None:
        raise ValueError("early_stopping needs evaluation_data (validation data) to watch")
    if evaluation.labels is None:
        raise ValueError("early_stopping watches the accuracy on evaluation_data, which has "
                         "no class labels (its targets are not one-hot); it cannot be used "
                         "for a regression problem")
    return early_stopping


@contextlib.contextmanager
def counting_floating_point_errors(counts):
    """Within this block numpy's floating-point problems (overflow, invalid value, division by
    zero) are counted into the dict ``counts`` by kind instead of printed as warnings."""
    def count(kind, flag):
        counts[kind] = counts.get(kind, 0) + 1

    with np.errstate(over="call", invalid="call", divide="call", call=count):
        yield


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
