"""Learning-rate schedules: how eta changes from epoch to epoch.

A schedule is an object with ``eta(epoch, history)``, called before each epoch (epochs count from 0).
``history`` is the training run's :class:`~nbhelpers.history.History` so far. A schedule may also say
that training should end (``should_stop``), as the book's "stop when eta has fallen to 1/128 of its
starting value" rule does.

- ``Constant(eta)``: the same eta throughout.
- ``StepDecay(eta, factor=0.5, every=10)``: piecewise constant, eta * factor**(epoch // every).
- ``HalveOnPlateau(eta, patience=10, factor=0.5, min_fraction=1/128)``: multiply eta by factor
  whenever validation accuracy has not improved for ``patience`` epochs; stop below min_fraction.

Used by: the engine (``nbhelpers.engine``) and the notebook on hyper-parameters (07).
"""

from __future__ import annotations

import math

from .names import lookup


def _check_eta(eta):
    if not (isinstance(eta, (int, float)) and math.isfinite(eta) and eta > 0):
        raise ValueError(f"eta must be a finite number > 0, got {eta!r}")
    return float(eta)


class Constant:
    """eta stays at its starting value."""

    def __init__(self, eta):
        self.eta0 = _check_eta(eta)

    def eta(self, epoch, history):
        return self.eta0

    def should_stop(self, history):
        return False

    def __repr__(self):
        return f"Constant(eta={self.eta0})"


class StepDecay(Constant):
    """eta0 * factor ** (epoch // every): drop by ``factor`` every ``every`` epochs."""

    def __init__(self, eta, factor=0.5, every=10):
        super().__init__(eta)
        if not (0 < factor < 1):
            raise ValueError(f"factor must be between 0 and 1 (exclusive), got {factor!r}")
        if not (isinstance(every, int) and every >= 1):
            raise ValueError(f"every must be a whole number of epochs >= 1, got {every!r}")
        self.factor, self.every = float(factor), every

    def eta(self, epoch, history):
        return self.eta0 * self.factor ** (epoch // self.every)

    def __repr__(self):
        return f"StepDecay(eta={self.eta0}, factor={self.factor}, every={self.every})"


class HalveOnPlateau(Constant):
    """Multiply eta by ``factor`` when the monitored accuracy has not improved in ``patience`` epochs.

    The monitored accuracy is the evaluation accuracy if there is one, else the training accuracy.
    Training stops once eta falls below ``min_fraction * eta0`` (the book suggests 1/128).
    """

    def __init__(self, eta, patience=10, factor=0.5, min_fraction=1 / 128):
        super().__init__(eta)
        if not (isinstance(patience, int) and patience >= 1):
            raise ValueError(f"patience must be a whole number of epochs >= 1, got {patience!r}")
        if not (0 < factor < 1):
            raise ValueError(f"factor must be between 0 and 1 (exclusive), got {factor!r}")
        self.patience, self.factor, self.min_fraction = patience, float(factor), float(min_fraction)
        self._current = self.eta0
        self._best = -math.inf
        self._since = 0
        self._seen = 0

    def eta(self, epoch, history):
        if epoch == 0:
            self._current, self._best, self._since, self._seen = self.eta0, -math.inf, 0, 0
        scores = history.monitored_accuracy()
        for score in scores[self._seen:]:
            if score > self._best:
                self._best, self._since = score, 0
            else:
                self._since += 1
                if self._since >= self.patience:
                    self._current *= self.factor
                    self._since = 0
        self._seen = len(scores)
        return self._current

    def should_stop(self, history):
        return self._current < self.min_fraction * self.eta0

    def __repr__(self):
        return (f"HalveOnPlateau(eta={self.eta0}, patience={self.patience}, "
                f"factor={self.factor}, min_fraction={self.min_fraction})")


SCHEDULES = {"constant": Constant, "step": StepDecay, "plateau": HalveOnPlateau}


def make_schedule(schedule, eta):
    """A schedule object from None/a name (with starting ``eta``) or an existing schedule."""
    if schedule is None:
        return Constant(eta)
    if hasattr(schedule, "eta") and callable(schedule.eta):
        return schedule
    return lookup(SCHEDULES, schedule, "schedule", extra=" or a schedule object")(eta)
