"""Small objects that watch a training run: each does one job at fixed points of the loop.

The training loop (``nbhelpers.engine.training``) shuffles, batches, backpropagates and steps;
after each epoch it checks the run's health (``engine.guard.DivergenceGuard``, the one place a
diverged epoch is handled: it is put back and never recorded, and where warnings of a run going
wrong are noted), measures what the run monitors and records it in the ``History``. Then it
calls its callbacks, which see the run's state (a ``training.Run``: the network, optimiser,
history, epoch, the last mini-batch) and may end the run with ``run.request_stop(reason,
message)``, the one way to stop it, or by raising ``StopTraining``. They read the recorded epoch
and never each other, so their order does not matter.

================  ==========================================================================
``StopControl``   stops after the current mini-batch on Ctrl-C / kernel interrupt, or when a
                  ``stop`` function (or ``threading.Event``) says so (the widgets' Stop button)
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

import inspect
import signal
import sys
import threading

import numpy as np

from ..validate import fail, positive, whole

#: How many training examples the gradient monitor looks at.
GRADIENT_PROBE_SIZE = 1000


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

    ``stop`` is a function of no arguments returning True or False, or a ``threading.Event``.
    Ctrl-C is caught only while training (and only in the main thread), so a step is never cut in
    half: the epoch so far is measured and recorded, then the run ends. A second Ctrl-C does not
    wait for that: it raises ``KeyboardInterrupt`` at once (the network keeps its weights, which
    may then be those of the middle of the last step). ``announce``: say so on the first Ctrl-C.
    """

    def __init__(self, stop=None, announce=False):
        if isinstance(stop, threading.Event):
            stop = stop.is_set
        if stop is not None and not callable(stop):
            fail("stop", "a function of no arguments, a threading.Event or None", stop)
        if stop is not None and not _takes(stop, 0):
            fail("stop", "a function of no arguments (called after every mini-batch)",
                 f"{getattr(stop, '__name__', stop)}{inspect.signature(stop)}")
        self.stop = stop
        self.announce = announce
        self._previous = None

    @property
    def wants_batches(self):
        return self.stop is not None

    def on_train_begin(self, run):
        interrupted = []

        def on_sigint(signum, frame):
            # runs between two Python steps of the main thread: the loop sees it after this batch
            if interrupted:
                self._restore()
                raise KeyboardInterrupt("a second Ctrl-C: training stopped at once")
            interrupted.append(True)
            run.request_stop("interrupted", self.message(run))
            if self.announce:
                print("Ctrl-C: training stops after this mini-batch, once the epoch so far is "
                      "measured (Ctrl-C again to stop at once).", file=sys.stderr, flush=True)

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
        answer = self.stop()
        if not isinstance(answer, (bool, np.bool_)):
            fail("stop", "a function returning True or False", answer)
        if answer:
            run.request_stop("requested", self.message(run))

    def _restore(self):
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
            self._previous = None

    def on_train_end(self, run):
        self._restore()


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
    starting value" never trains an epoch at that rate). A rate that is not a finite number > 0
    (which would train uphill, or make every weight NaN) is refused with a ValueError naming the
    schedule, before any step is taken with it.
    """

    def __init__(self, schedule):
        self.schedule = schedule

    def _eta(self, epoch, history):
        schedule = self.schedule
        name = repr(schedule) if type(schedule).__repr__ is not object.__repr__ \
            else type(schedule).__name__
        return positive(schedule.eta(epoch, history),
                        f"the learning rate that schedule {name} gave for epoch {epoch} (eta)")

    def on_train_begin(self, run):
        run.optimizer.eta = self._eta(0, run.history)

    def on_epoch_end(self, run):
        if run.epoch + 1 >= run.epochs:
            return
        run.optimizer.eta = self._eta(run.epoch + 1, run.history)
        if self.schedule.should_stop(run.history):
            run.request_stop("schedule", f"The schedule ended training after epoch {run.epoch}: "
                                         f"eta had fallen to {run.optimizer.eta:g}.")


class ProgressLog(Callback):
    """A tqdm progress bar over epochs (``progress``), and with ``verbose`` one line per epoch,
    each warning as it is noted (``history.warnings``) and why the run stopped."""

    def __init__(self, progress=True, verbose=True):
        self.progress, self.verbose = progress, verbose
        self.bar = None
        self.shown = 0

    def on_train_begin(self, run):
        self.shown = 0
        self._warnings(run)
        if self.progress and run.epochs:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=run.epochs, unit="epoch", leave=False)

    def _say(self, line):
        if self.bar is not None:
            self.bar.write(line)
        else:
            print(line)

    def _warnings(self, run):
        if self.verbose:
            for line in run.history.warnings[self.shown:]:
                self._say(line)
        self.shown = len(run.history.warnings)

    def on_epoch_end(self, run):
        history = run.history
        if self.bar is not None:
            self.bar.update(1)
            if history.evaluation_accuracy:
                self.bar.set_postfix(accuracy=f"{history.evaluation_accuracy[-1]:.2%}", refresh=False)
        if self.verbose:
            self._say(history.describe(-1))
        self._warnings(run)

    def on_train_end(self, run):
        self._warnings(run)
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
        if not _takes(function, 2):
            fail("callback", "a function f(net, history) of two arguments (it is called after "
                 "every epoch with the network and its history)",
                 f"{getattr(function, '__name__', function)}{inspect.signature(function)}")
        self.function = function

    def on_epoch_end(self, run):
        try:
            self.function(run.net, run.history)
        except StopTraining:
            run.request_stop("requested", f"The callback ended training after epoch {run.epoch}.")


class StopTraining(Exception):
    """Raise this from a callback (the ``callback=`` function of ``SGD``, or any hook of a
    ``Callback`` object) to end training after the current mini-batch."""


def _takes(function, count):
    """Whether ``function`` can be called with ``count`` positional arguments (True when Python
    cannot tell, as for some built-in functions)."""
    try:
        inspect.signature(function).bind(*([None] * count))
    except TypeError:
        return False
    except ValueError:
        return True
    return True
