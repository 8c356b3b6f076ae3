"""Small objects that watch a training run: each does one job at fixed points of the loop.

The training loop (``nbhelpers.engine.training``) shuffles, batches, backpropagates and steps;
after each epoch it checks for divergence (``DivergenceGuard``, the one place a diverged epoch is
handled: it is put back and never recorded), measures what the run monitors and records it in the
``History``. Then it calls its callbacks, which see the run's state (a ``training.Run``: the
network, optimiser, history, epoch, the last mini-batch) and may end the run with
``run.request_stop(reason, message)``, the one way to stop it. They read the recorded epoch and
never each other, so their order does not matter.

================  ==========================================================================
``StopControl``   stops after the current mini-batch on Ctrl-C / kernel interrupt, or when a
                  ``stop`` function (or ``threading.Event``) says so (the widgets' Stop button)
``DivergenceGuard`` the loop's own check (not a callback): a run whose weights or cost stop
                  being finite, whose cost explodes, or whose outputs all die is stopped and the
                  weights of the start of that epoch put back
``BatchCost``     records the cost of every mini-batch
``GradientMonitor`` records the length of each layer's gradient dC/db (chapter 5's speed of
                  learning), per epoch on a fixed set of examples, or per mini-batch; and
                  for a recurrent layer the length of dC/dh_t at every time step
``EarlyStopping`` stops when the monitored accuracy has not improved for ``patience`` epochs,
                  and keeps the weights of the best epoch
``ScheduleEta``   sets the optimiser's eta for each epoch from a schedule, and stops when the
                  schedule says so
``ProgressLog``   a tqdm progress bar and a line per epoch ("Epoch 0: ...")
``EpochFunction`` calls a function ``f(net, history)`` after every epoch (for live plots)
================  ==========================================================================

A callback that reads the layers' gradients after every mini-batch says so with
``reads_gradients = True`` (the loop then never leaves steps in those arrays; see
``optimizers.SGD.fused_step``). Epochs are numbered from 0, as the book prints them, everywhere:
log lines, ``history.epoch``, plots and messages.

Used by: the engine (``training.fit`` builds the list from its arguments), the widgets, and
notebooks 09 (gradient monitoring) and 11 (optimisers).
"""

from __future__ import annotations

import math
import signal
import threading

import numpy as np

from ..validate import fail, whole

#: How many training examples the divergence guard and the gradient monitor look at.
PROBE_SIZE = 32
GRADIENT_PROBE_SIZE = 1000
#: The guard calls a run diverged once its cost is this many times its starting value.
EXPLOSION_FACTOR = 1000.0


class Callback:
    """Base class: every hook does nothing; override the ones you need."""

    #: True for a callback whose ``on_batch_end`` reads the layers' ``nabla_*`` gradients
    reads_gradients = False

    @property
    def wants_batches(self):
        """Whether ``on_batch_end`` does anything (the loop skips it for speed otherwise)."""
        return type(self).on_batch_end is not Callback.on_batch_end

    def on_train_begin(self, run):
        pass

    def on_epoch_begin(self, run):
        pass

    def on_batch_end(self, run):
        pass

    def on_epoch_end(self, run):
        pass

    def on_train_end(self, run):
        pass


class StopControl(Callback):
    """Stop after the current mini-batch on Ctrl-C, or when ``stop()`` is True (or ``stop`` is set).

    ``stop`` is a function of no arguments or a ``threading.Event``. Ctrl-C is caught only while
    training (and only in the main thread), so a step is never cut in half.
    """

    def __init__(self, stop=None):
        if isinstance(stop, threading.Event):
            stop = stop.is_set
        if stop is not None and not callable(stop):
            fail("stop", "a function of no arguments, a threading.Event or None", stop)
        self.stop = stop
        self._previous = None

    @property
    def wants_batches(self):
        return self.stop is not None

    def on_train_begin(self, run):
        def on_sigint(signum, frame):
            # runs between two Python steps of the main thread: the loop sees it after this batch
            run.request_stop("interrupted", self.message(run))

        if threading.current_thread() is threading.main_thread():
            try:
                self._previous = signal.signal(signal.SIGINT, on_sigint)
            except ValueError:  # not allowed here (e.g. some embedded interpreters)
                self._previous = None

    @staticmethod
    def message(run):
        return (f"Training stopped during epoch {run.epoch} on request; the network keeps what it "
                "learned so far.")

    def on_batch_end(self, run):
        if self.stop():
            run.request_stop("requested", self.message(run))

    def on_train_end(self, run):
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
            self._previous = None


class DivergenceGuard(Callback):
    """The loop's check for a run that has blown up; it puts back the weights of the start of
    the bad epoch.

    After every epoch the loop asks ``diverged(run)``, which looks at the parameters and at the
    cost and outputs on the first ``PROBE_SIZE`` training examples. The run has diverged if a
    parameter or the cost is NaN or infinite, if the cost is over ``EXPLOSION_FACTOR`` times what
    it was before training, or if the outputs, which differed from example to example before (at
    the start, or after an earlier epoch: a softmax layer that starts at zero gives every example
    the same output at first), have become the same for every example (dead ReLU outputs,
    saturated sigmoids). The message suggests a smaller eta and, when the L2 decay factor
    1 - eta*lmbda/n is below -1 (so the weights grow whatever the data say), names lmbda.
    """

    def on_train_begin(self, run):
        X, Y, _ = run.training
        self.x, self.y = X[:, :PROBE_SIZE], Y[:, :PROBE_SIZE]
        self.start_cost, outputs = self._probe(run)
        self.alive = self._varies(outputs)

    def _varies(self, outputs):
        return self.x.shape[1] > 1 and bool(np.ptp(outputs, axis=1).max() > 0)

    def _probe(self, run):
        outputs = run.net.forward(self.x)
        return run.net.cost.fn(outputs, self.y), outputs

    def on_epoch_begin(self, run):
        self.snapshot = run.net.snapshot()

    def problem(self, run):
        """What went wrong in the epoch just trained, in words, or None."""
        if not all(np.isfinite(p.value).all() for p in run.net.parameters()):
            return "the weights became NaN or infinite"
        cost, outputs = self._probe(run)
        if not math.isfinite(cost):
            return "the cost became NaN or infinite"
        if math.isfinite(self.start_cost) and cost > EXPLOSION_FACTOR * max(self.start_cost, 1e-3):
            return f"the cost exploded (from {self.start_cost:.3g} before training to {cost:.3g})"
        if self.alive and not self._varies(outputs):
            return "the outputs died (every example now gets exactly the same output)"
        self.alive = self.alive or self._varies(outputs)
        return None

    def diverged(self, run):
        """True if the epoch just trained diverged: then the weights of its start are back and
        the run is stopped with a message saying what to change."""
        problem = self.problem(run)
        if problem is None:
            return False
        run.net.restore(self.snapshot)
        eta = run.optimizer.eta
        message = (f"Training diverged in epoch {run.epoch}: {problem} with eta = {eta:g}. The weights "
                   f"were put back as they were at the start of epoch {run.epoch}. Try a smaller eta, "
                   f"e.g. {eta / 10:g}.")
        penalty = run.optimizer.penalty
        if penalty is not None and penalty.name == "l2" and eta * penalty.rate > 2:
            message += (f" Note also lmbda = {penalty.lmbda:g}: eta*lmbda/n = {eta * penalty.rate:.3g} "
                        f"> 2, so weight decay alone multiplies the weights by "
                        f"{1 - eta * penalty.rate:.3g} each step and they grow without bound; keep "
                        f"lmbda below 2n/eta = {2 * penalty.n / eta:.3g}.")
        run.request_stop("diverged", message)
        return True


class BatchCost(Callback):
    """Record the cost of every mini-batch (before its step) in ``history.batch_cost``."""

    def on_batch_end(self, run):
        run.history.batch_cost.append(run.net.cost.fn(run.output, run.y))


class GradientMonitor(Callback):
    """Record how fast each layer learns: the length of dC/db for every layer with biases.

    ``every="epoch"``: before training and after each epoch, the gradient of the mean cost over
    ``data`` (default: the first ``GRADIENT_PROBE_SIZE`` training examples, as the book does) goes
    into ``history.gradient_norms`` (the first entry is before training; then one per epoch).
    ``every="batch"``: the length of each mini-batch's gradient goes into
    ``history.batch_gradient_norms``. Each entry is a list with one number per layer, input side first.

    Layers with a time axis (recurrent layers) also have their error measured at every time step:
    ||dC/dh_t|| for t = 1, ..., T goes into ``history.time_gradient_norms`` (or
    ``batch_time_gradient_norms``), each entry a list with one list of T numbers per such layer.
    """

    def __init__(self, every="epoch", data=None):
        if every not in ("epoch", "batch"):
            fail("monitor_gradients", "'epoch', 'batch' or None", every)
        self.every = every
        self.data = data
        self.reads_gradients = every == "batch"

    def _layers(self, net):
        return [layer for layer in net.layers if "b" in layer.params]

    def _norms(self, net):
        return [float(np.linalg.norm(layer.nabla_b)) for layer in self._layers(net)]

    @staticmethod
    def _time_norms(net):
        """||dC/dh_t|| per time step for every layer with a time axis (an empty list if none)."""
        found = (layer.time_gradient_norms() for layer in net.layers)
        return [norms.tolist() for norms in found if norms is not None]

    @staticmethod
    def _record(records, time_records, net, norms):
        records.append(norms)
        steps = GradientMonitor._time_norms(net)
        if steps:
            time_records.append(steps)

    def _measure(self, run):
        """The gradient of the training cost (training mode: batch statistics for batch
        normalisation), without side effects: running averages frozen, and dropout drawing from a
        generator of its own so that the run's random numbers are left alone."""
        X, Y = self.data if self.data is not None else run.training[:2]
        if self.data is None:
            X, Y = X[:, :GRADIENT_PROBE_SIZE], Y[:, :GRADIENT_PROBE_SIZE]
        net = run.net
        with net.frozen():
            net.bind_rng(np.random.default_rng(0))
            net.gradient(X, Y, training=True)
            net.bind_rng(run.rng)
        history = run.history
        self._record(history.gradient_norms, history.time_gradient_norms, net, self._norms(net))

    def on_train_begin(self, run):
        if self.data is not None:
            X, Y, _ = run.net.prepare(self.data, "monitor_gradients data")
            self.data = (X, Y)
        if self.every == "epoch":
            self._measure(run)

    @property
    def wants_batches(self):
        return self.every == "batch"

    def on_batch_end(self, run):
        history = run.history
        self._record(history.batch_gradient_norms, history.batch_time_gradient_norms, run.net,
                     self._norms(run.net))

    def on_epoch_end(self, run):
        if self.every == "epoch":
            self._measure(run)


class EarlyStopping(Callback):
    """Stop when the monitored accuracy has not improved for ``patience`` epochs; keep the best weights."""

    def __init__(self, patience):
        self.patience = whole(patience, "early_stopping", minimum=1)
        self.best = None

    def on_epoch_end(self, run):
        history = run.history
        waited = history.epochs_since_best()
        if waited == 0:
            self.best = run.net.snapshot()
        elif waited is not None and waited >= self.patience:
            run.request_stop("early_stopping",
                             f"No improvement in {self.patience} epochs: stopped after epoch "
                             f"{run.epoch}, keeping the weights of epoch {history.best_epoch}.")

    def on_train_end(self, run):
        if run.stop_reason == "early_stopping" and self.best is not None:
            run.net.restore(self.best)


class ScheduleEta(Callback):
    """Set the optimiser's eta before each epoch from ``schedule.eta(epoch, history)``.

    After each epoch the schedule gives the next epoch's eta; if ``schedule.should_stop(history)``
    is then True, the run ends at once (the book's "stop when eta has fallen to 1/128 of its
    starting value" never trains an epoch at that rate).
    """

    def __init__(self, schedule):
        self.schedule = schedule

    def on_train_begin(self, run):
        run.optimizer.eta = self.schedule.eta(0, run.history)

    def on_epoch_end(self, run):
        if run.epoch + 1 >= run.epochs:
            return
        run.optimizer.eta = self.schedule.eta(run.epoch + 1, run.history)
        if self.schedule.should_stop(run.history):
            run.request_stop("schedule", f"The schedule ended training after epoch {run.epoch}: "
                                         f"eta had fallen to {run.optimizer.eta:g}.")


class ProgressLog(Callback):
    """A tqdm progress bar over epochs (``progress``) and one line per epoch (``verbose``)."""

    def __init__(self, progress=True, verbose=True):
        self.progress, self.verbose = progress, verbose
        self.bar = None

    def on_train_begin(self, run):
        if self.progress and run.epochs:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=run.epochs, unit="epoch", leave=False)

    def on_epoch_end(self, run):
        history = run.history
        if self.bar is not None:
            self.bar.update(1)
            if history.evaluation_accuracy:
                self.bar.set_postfix(accuracy=f"{history.evaluation_accuracy[-1]:.2%}", refresh=False)
        if self.verbose:
            line = history.describe(-1)
            if self.bar is not None:
                self.bar.write(line)
            else:
                print(line)

    def on_train_end(self, run):
        if self.bar is not None:
            self.bar.close()
            self.bar = None
        if self.verbose and run.history.message:
            print(run.history.message)


class EpochFunction(Callback):
    """Call ``function(net, history)`` after every recorded epoch, including one cut short.

    The function may raise ``StopTraining`` to end the run after this epoch.
    """

    def __init__(self, function):
        if not callable(function):
            fail("callback", "a function f(net, history) or None", function)
        self.function = function

    def on_epoch_end(self, run):
        try:
            self.function(run.net, run.history)
        except StopTraining:
            run.request_stop("requested", f"The callback ended training after epoch {run.epoch}.")


class StopTraining(Exception):
    """Raise this from an ``EpochFunction`` (the ``callback=`` of ``SGD``) to end training."""
