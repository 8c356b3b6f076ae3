"""The run's health check: after every epoch, is the run lost, or going wrong?

The training loop asks ``DivergenceGuard.diverged(run)`` after each epoch's mini-batches, before
the epoch is measured and recorded. It looks at the parameters and at the network's outputs for
the first ``PROBE_SIZE`` training examples (one forward pass of a few examples per epoch), and
has two answers, each naming the setting to change:

**Lost**: the run stops, the weights (and the optimiser's state) of the start of that epoch are
put back, and the epoch is not recorded (``history.stopped == "diverged"``, ``history.message``
says why). That is when

- a parameter, or the cost, or its regularisation term (as the history records it), is NaN or
  infinite;
- the cost is over ``EXPLOSION_FACTOR`` times what it was before training;
- the outputs, which differed from example to example (at the start, or after an earlier epoch:
  a softmax layer that starts at zero gives every example the same output at first), are now
  exactly the same for every example (dead ReLU outputs, saturated sigmoids).

**Going wrong**: a warning, recorded once per kind in ``history.warnings`` (and printed with the
epoch's line when ``verbose``); the run goes on, since a slow start is not a lost run. That is when

- *saturated*: for at least ``STUCK_FRACTION`` of the examples an output of a bounded activation
  (sigmoid, tanh, softmax) sits at the wrong end of its range, within ``SATURATION`` of the range
  of its bound, where the activation is flat: the network is confidently wrong, and with the
  quadratic cost it hardly learns (the chapter-3 slowdown at its worst);
- *runaway*: the largest parameter has grown to over ``RUNAWAY_FACTOR`` times the largest before
  training (or than 1, if that was smaller): steps that large throw the network about.

The lessons' deliberately slow starts fire none of these: a deep sigmoid network's plateau
(lessons 09 and 10) gives outputs near the targets' mean, not saturated at the wrong end, and the
N(0, 1) initialisation of lesson 07 saturates some hidden neurons, not the outputs. Measured over
every lesson's runs, the largest parameter grew at most 15-fold (lesson 08's 600-epoch fit).

Used by: the training loop (``engine.training``); tests and notebooks read what it records.
"""

from __future__ import annotations

import copy
import inspect
import math

import numpy as np

from .callbacks import Callback

#: How many training examples the checks look at.
PROBE_SIZE = 32
#: The run is lost once its cost is this many times its cost before training.
EXPLOSION_FACTOR = 1000.0
#: An output this close to a bound of its activation's range (as a fraction of the range) is
#: saturated: for a sigmoid, a < 1e-4 or a > 1 - 1e-4, where sigma'(z) < 1e-4.
SATURATION = 1e-4
#: Warn when at least this fraction of the examples checked has an output saturated at the wrong end.
STUCK_FRACTION = 0.5
#: Warn when the largest parameter has grown this many times over.
RUNAWAY_FACTOR = 100.0


class DivergenceGuard(Callback):
    """The loop's check of a run's health after every epoch; see the module docstring."""

    def on_train_begin(self, run):
        X, Y, _ = run.training
        self.x, self.y = X[:, :PROBE_SIZE], Y[:, :PROBE_SIZE]
        self.start_cost, outputs = self._probe(run)
        self.alive = self._varies(outputs)
        start = largest(run.net.parameters())
        self.start_scale = max(start, 1.0) if math.isfinite(start) else 1.0
        self.warned = set()

    def _varies(self, outputs):
        return self.x.shape[1] > 1 and bool(np.ptp(outputs, axis=1).max() > 0)

    def _probe(self, run):
        """The cost and the outputs on the examples checked (the cost without the regularisation
        term, which ``problem`` checks on its own)."""
        outputs = run.net.forward(self.x)
        return run.net.cost.fn(outputs, self.y), outputs

    def on_epoch_begin(self, run):
        self.snapshot = run.net.snapshot(), copy.deepcopy(run.optimizer.state)

    def problem(self, run):
        """Why the epoch just trained lost the run, in words, or None (then warnings are noted)."""
        scale = largest(run.net.parameters())
        if not math.isfinite(scale):
            return "the weights became NaN or infinite"
        cost, outputs = self._probe(run)
        if not math.isfinite(cost):
            return "the cost became NaN or infinite"
        penalty = run.optimizer.penalty
        if penalty is not None and not math.isfinite(penalty.penalty(run.net.weights)):
            return "the cost's regularisation term became infinite (the weights are enormous)"
        if math.isfinite(self.start_cost) and cost > EXPLOSION_FACTOR * max(self.start_cost, 1e-3):
            return f"the cost exploded (from {self.start_cost:.3g} before training to {cost:.3g})"
        if self.alive and not self._varies(outputs):
            return "the outputs died (every example now gets exactly the same output)"
        self.alive = self.alive or self._varies(outputs)
        self._note(run, "saturated", self._saturated(run, outputs))
        self._note(run, "runaway", self._runaway(run, scale))
        return None

    def diverged(self, run):
        """True if the epoch just trained lost the run: then the weights of its start are back
        and the run is stopped with a message saying what to change."""
        problem = self.problem(run)
        if problem is None:
            return False
        run.net.restore(self.snapshot[0])
        run.optimizer.state = self.snapshot[1]      # its velocities and averages too
        eta = run.optimizer.eta
        message = (f"Training diverged in epoch {run.epoch}: {problem} with eta = {eta:g}. The weights "
                   f"were put back as they were at the start of epoch {run.epoch}. Try a smaller eta, "
                   f"e.g. {eta / 10:g}.")
        run.request_stop("diverged", message + _decay_note(run.optimizer))
        return True

    def _note(self, run, kind, text):
        if text and kind not in self.warned:
            self.warned.add(kind)
            run.warn(f"Warning (epoch {run.epoch}): {text}")

    def _saturated(self, run, outputs):
        """The warning for outputs saturated at the wrong end, or None."""
        activation = run.net.layers[-1].activation
        low, high = activation.output_range
        if not (math.isfinite(low) and math.isfinite(high)):
            return None
        width = high - low
        saturated = (outputs - low < SATURATION * width) | (high - outputs < SATURATION * width)
        stuck = saturated & (np.abs(outputs - self.y) > width / 2)
        fraction = float(stuck.any(axis=0).mean())
        if fraction < STUCK_FRACTION:
            return None
        row, column = np.unravel_index(np.argmax(stuck), stuck.shape)
        eta = run.optimizer.eta
        text = (f"the output neurons are saturated at the wrong end of their range for "
                f"{fraction:.0%} of the examples checked (e.g. an output of "
                f"{outputs[row, column]:.2g} where the target is {self.y[row, column]:g}), where "
                f"the {activation.name} is flat")
        if run.net.cost.name == "quadratic":
            return (text + ", so the quadratic cost learns almost nothing from them. Try a smaller "
                    f"eta, e.g. {eta / 10:g}, or cost=\"cross_entropy\", which keeps learning when "
                    "an output saturates (chapter 3).")
        return (text + ": the network is confidently wrong. Try a smaller eta, e.g. "
                f"{eta / 10:g}.")

    def _runaway(self, run, scale):
        """The warning for weights that have grown out of all proportion, or None."""
        if scale <= RUNAWAY_FACTOR * self.start_scale:
            return None
        optimizer = run.optimizer
        eta = optimizer.eta
        text = (f"the weights are running away: the largest is now {scale:.3g}, "
                f"{scale / self.start_scale:.0f} times the largest before training, so neurons "
                "saturate and each step throws the network about instead of descending. Try a "
                f"smaller eta, e.g. {eta / 10:g}")
        usual = _default_eta(optimizer)
        if usual is not None and eta > 10 * usual:
            text += f" ({optimizer.name}'s usual eta is {usual:g})"
        return text + "." + _decay_note(optimizer)


def largest(parameters):
    """The largest magnitude among the parameters' values (inf if any is NaN or infinite)."""
    scale = 0.0
    for p in parameters:
        value = p.value
        if value.size:
            high, low = float(value.max()), float(value.min())
            if not (math.isfinite(high) and math.isfinite(low)):
                return math.inf
            scale = max(scale, high, -low)
    return scale


def _default_eta(optimizer):
    """The eta an optimiser's class starts with (Adam's 0.001), or None."""
    try:
        default = inspect.signature(type(optimizer).__init__).parameters["eta"].default
    except (KeyError, TypeError, ValueError):
        return None
    return default if isinstance(default, (int, float)) else None


def _decay_note(optimizer):
    """When L2 weight decay alone makes the weights grow (1 - eta*lmbda/n < -1: steps of eta times
    the gradient, not an adaptive optimiser's), a sentence naming lmbda; else ""."""
    penalty, eta = optimizer.penalty, optimizer.eta
    if penalty is None or penalty.name != "l2" or eta * penalty.rate <= 2 or optimizer.adaptive:
        return ""
    return (f" Note also lmbda = {penalty.lmbda:g}: eta*lmbda/n = {eta * penalty.rate:.3g} > 2, so "
            f"weight decay alone multiplies the weights by {1 - eta * penalty.rate:.3g} each step "
            f"and they grow without bound; keep lmbda below 2n/eta = {2 * penalty.n / eta:.3g}.")
