"""What runs a trainer panel's training, apart from what it looks like.

``train_once`` builds the ``[n_in, hidden, n_out]`` network for a panel's settings and trains it
through the engine (``stop`` and ``on_epoch`` are passed on as ``SGD``'s ``stop=`` and
``callback=``). ``Runner`` decides *when* a job runs, the part that is easy to get wrong:

- ``request()`` asks for a run in a background thread, so the notebook stays responsive. A
  request while a run is going asks that run to stop (its ``should_stop`` turns True) and queues
  the newest request only: a burst of changes runs once with the last values, never a backlog of
  stale runs. Every request gets a generation number; only the newest generation is current.
- ``run_now()`` runs synchronously in the caller (stopping any background run first) and raises
  what the job raises; ``run_here()`` runs synchronously but hands errors to ``on_error``
  (inside a widget observer, where an exception would be lost).
- ``stop()`` ends the current run after its mini-batch and drops anything queued; ``wait()``
  blocks until nothing runs or is queued; ``busy`` says whether something does.

A job is a function ``job(generation, should_stop)``; it asks ``runner.is_current(generation)``
before it draws, under ``runner.lock``, so a superseded run never draws over a newer one.

Used by: ``widgets.panel`` (``TrainerPanel``), and so by notebooks 03, 05, 06 and 07.
"""

from __future__ import annotations

import threading
import time

from ..engine import Network


def train_once(settings, training, validation, n_in, n_out, init, seed, stop, on_epoch):
    """Build the network a panel's ``settings`` describe and train it; returns ``(net, history)``.

    ``training``, ``validation``: the panel's checked ``Examples``. ``stop()`` is checked after
    every mini-batch; ``on_epoch(net, history)`` is called after every epoch (it may raise
    ``StopTraining``).
    """
    s = settings
    net = Network([n_in, s["hidden"], n_out], cost=s["cost"], init=init, seed=seed)
    history = net.SGD(training, s["epochs"], s["mini_batch_size"], s["eta"], lmbda=s["lmbda"],
                      evaluation_data=validation, regularization=s["regularization"],
                      optimizer=s["optimizer"], callback=on_epoch, stop=stop, progress=False,
                      verbose=False)
    return net, history


class Runner:
    """Runs ``job(generation, should_stop)`` one at a time, newest first; see the module docstring.

    ``on_error(exception)`` is called with what a background (or ``run_here``) job raised, if the
    job was still current.
    """

    def __init__(self, job, on_error):
        self._job, self._on_error = job, on_error
        self.lock = threading.Lock()       # guards generation, pending, thread (and drawing)
        self._stop_event = threading.Event()
        self._generation = 0
        self._pending = False
        self._thread = None

    def is_current(self, generation):
        """True while ``generation`` is the newest request."""
        return generation == self._generation

    def _should_stop(self, generation):
        return lambda: self._stop_event.is_set() or not self.is_current(generation)

    def _next(self, pending):
        """A new generation (the caller holds the lock)."""
        self._generation += 1
        self._pending = pending
        self._stop_event.clear()
        return self._generation

    def request(self):
        """Ask for a background run; a running one is told to stop."""
        with self.lock:
            self._next(pending=True)
            if self._thread is None:
                self._thread = threading.Thread(target=self._worker, name="TrainerPanel",
                                                daemon=True)
                self._thread.start()

    def _worker(self):
        while True:
            with self.lock:
                if not self._pending:
                    self._thread = None
                    return
                self._pending = False
                generation = self._generation
            self._safely(generation)

    def run_now(self):
        """Run synchronously now (after a background run, if any, has stopped); errors raise."""
        with self.lock:
            generation = self._next(pending=False)
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join()
        return self._job(generation, self._should_stop(generation))

    def run_here(self):
        """Run synchronously now; errors go to ``on_error`` (for widget observers)."""
        with self.lock:
            generation = self._next(pending=self._pending)
        return self._safely(generation)

    def _safely(self, generation):
        try:
            return self._job(generation, self._should_stop(generation))
        except Exception as exc:  # shown by the panel, never lost in a thread
            if self.is_current(generation):
                self._on_error(exc)
            return None

    def stop(self):
        """Stop the current run after its current mini-batch and drop any queued request."""
        with self.lock:
            self._pending = False
            self._stop_event.set()

    def wait(self, timeout=None):
        """Block until no background run is going or queued, or ``timeout`` seconds pass.

        Returns True when idle, False on timeout.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            with self.lock:
                thread = self._thread
            if thread is None:
                return True
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                return False
            thread.join(remaining)

    @property
    def busy(self):
        """True while a background run is going or queued."""
        with self.lock:
            return self._thread is not None
