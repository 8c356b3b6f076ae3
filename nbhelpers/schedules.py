"""Learning-rate schedules: how eta changes from epoch to epoch.

A schedule is an object with ``eta(epoch, history)``, which gives the learning rate of epoch
``epoch`` (counting from 0) from the run's :class:`~nbhelpers.engine.history.History` of the epochs before
it. It works with any optimiser (it sets the optimiser's ``eta``). A schedule may also say that
training should end (``should_stop``), as the book's "stop when eta has fallen to 1/128 of its
starting value" rule does: asked right after it lowered eta, so no epoch trains at that rate.

- ``Constant(eta)``: the same eta throughout.
- ``StepDecay(eta, factor=0.5, every=10)``: piecewise constant, eta * factor**(epoch // every).
- ``HalveOnPlateau(eta, patience=10, factor=0.5, min_fraction=1/128)``: multiply eta by factor
  whenever validation accuracy has not improved for ``patience`` epochs; stop once eta has fallen
  to ``min_fraction`` of its start.
- ``ExponentialDecay(eta, factor=0.9)``: eta * factor**epoch, a smooth cooling like the
  temperature of simulated annealing.
- ``CosineAnnealing(eta, epochs, eta_min=0)``: from eta down to eta_min along half a cosine over
  ``epochs`` epochs (then eta_min). By name (``schedule="cosine"``) it spans the run's epochs.

By name, ``make_schedule(name, eta, epochs)`` builds a schedule for a run: each class's
``for_run(eta, epochs)`` (the starting eta, and the run's length for those that need it).

Used by: the engine (``nbhelpers.engine``) and the notebooks on hyper-parameters (07) and on going
beyond plain SGD (11).
"""

from __future__ import annotations

import math

from .names import lookup
from .validate import fail, number, positive, whole


class Schedule:
    """Base class: ``eta(epoch, history)`` gives each epoch's rate; ``should_stop`` may end a run."""

    def eta(self, epoch, history):
        raise NotImplementedError

    def should_stop(self, history):
        return False

    @classmethod
    def for_run(cls, eta, epochs):
        """The schedule a name stands for, starting at ``eta``, for a run of ``epochs`` epochs."""
        return cls(eta)


class Constant(Schedule):
    """eta stays at its starting value."""

    def __init__(self, eta):
        self.eta0 = positive(eta, "eta")

    def eta(self, epoch, history):
        return self.eta0

    def __repr__(self):
        return f"Constant(eta={self.eta0})"


class StepDecay(Constant):
    """eta0 * factor ** (epoch // every): drop by ``factor`` every ``every`` epochs."""

    def __init__(self, eta, factor=0.5, every=10):
        super().__init__(eta)
        self.factor = number(factor, "factor", low=0.0, high=1.0, low_open=True, high_open=True)
        self.every = whole(every, "every", minimum=1)

    def eta(self, epoch, history):
        return self.eta0 * self.factor ** (epoch // self.every)

    def __repr__(self):
        return f"StepDecay(eta={self.eta0}, factor={self.factor}, every={self.every})"


class HalveOnPlateau(Constant):
    """Multiply eta by ``factor`` when the monitored accuracy has not improved in ``patience`` epochs.

    The monitored accuracy is the evaluation accuracy if there is one, else the training accuracy;
    the best epoch is the ``History``'s, and the patience counts again after each cut. Training
    stops as soon as eta has fallen to ``min_fraction * eta0`` (the book suggests 1/128), before
    any epoch is trained at that rate. ``eta`` is asked once per epoch, as the training loop does.
    """

    def __init__(self, eta, patience=10, factor=0.5, min_fraction=1 / 128):
        super().__init__(eta)
        self.patience = whole(patience, "patience", minimum=1)
        self.factor = number(factor, "factor", low=0.0, high=1.0, low_open=True, high_open=True)
        self.min_fraction = number(min_fraction, "min_fraction", low=0.0, high=1.0, low_open=True,
                                   high_open=True)
        self._current = self.eta0
        self._since_cut = 0

    def eta(self, epoch, history):
        if epoch == 0:
            self._current, self._since_cut = self.eta0, 0
            return self._current
        waited = history.epochs_since_best()
        if waited is None:          # nothing monitored: nothing to wait for
            return self._current
        self._since_cut += 1
        if min(waited, self._since_cut) >= self.patience:
            self._current *= self.factor
            self._since_cut = 0
        return self._current

    def should_stop(self, history):
        # eta is halved exactly, so eta0/128 is reached exactly; the tolerance covers other factors
        return self._current <= self.min_fraction * self.eta0 * (1 + 1e-9)

    def __repr__(self):
        return (f"HalveOnPlateau(eta={self.eta0}, patience={self.patience}, "
                f"factor={self.factor}, min_fraction={self.min_fraction})")


class ExponentialDecay(Constant):
    """eta0 * factor ** epoch: eta shrinks by the same fraction every epoch."""

    def __init__(self, eta, factor=0.9):
        super().__init__(eta)
        self.factor = number(factor, "factor", low=0.0, high=1.0, low_open=True, high_open=True)

    def eta(self, epoch, history):
        return self.eta0 * self.factor ** epoch

    def __repr__(self):
        return f"ExponentialDecay(eta={self.eta0}, factor={self.factor})"


class CosineAnnealing(Constant):
    """eta_min + (eta0 - eta_min) * (1 + cos(pi * epoch / epochs)) / 2, then eta_min after ``epochs``."""

    def __init__(self, eta, epochs, eta_min=0.0):
        super().__init__(eta)
        self.epochs = whole(epochs, "epochs", minimum=1)
        self.eta_min = number(eta_min, "eta_min", low=0.0, high=self.eta0, high_open=True)

    @classmethod
    def for_run(cls, eta, epochs):
        return cls(eta, max(epochs, 1))

    def eta(self, epoch, history):
        progress = min(epoch, self.epochs) / self.epochs
        return self.eta_min + 0.5 * (self.eta0 - self.eta_min) * (1.0 + math.cos(math.pi * progress))

    def __repr__(self):
        return f"CosineAnnealing(eta={self.eta0}, epochs={self.epochs}, eta_min={self.eta_min})"


SCHEDULES = {"constant": Constant, "step": StepDecay, "plateau": HalveOnPlateau,
             "exponential": ExponentialDecay, "cosine": CosineAnnealing}


def make_schedule(schedule, eta, epochs=1):
    """The schedule of a run: the one None (constant) or a name in ``SCHEDULES`` stands for,
    starting at ``eta``, for ``epochs`` epochs; or ``schedule`` itself, any object with
    ``eta(epoch, history)`` and ``should_stop(history)`` (a ``Schedule`` or a lesson's own)."""
    if schedule is None or isinstance(schedule, str):
        cls = lookup(SCHEDULES, "constant" if schedule is None else schedule, "schedule",
                     aliases={"cosine_annealing": "cosine"}, extra=" or a schedule object")
        return cls.for_run(eta, epochs)
    if not all(callable(getattr(schedule, method, None)) for method in ("eta", "should_stop")):
        fail("schedule", f"one of {sorted(SCHEDULES)} or an object with methods "
             "eta(epoch, history) and should_stop(history)", schedule)
    return schedule
