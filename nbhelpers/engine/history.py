"""The per-epoch record of a training run, which plots and widgets read.

Used by: the training loop and its callbacks, ``nbhelpers.plots``, ``nbhelpers.widgets`` and every
notebook that trains a network.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(repr=False)
class History:
    """What happened in each epoch of ``Network.SGD``.

    Every per-epoch list has one entry per completed epoch, except that a quantity which was not
    monitored stays an empty list (as in the book's ``network2``). Accuracies are fractions in
    [0, 1]; costs include the regularisation term, as the book's ``total_cost`` does.

    Attributes:
        epoch: epoch numbers, counting from 0 as the book does ("Epoch 0").
        eta: the learning rate used in each epoch (schedules change it).
        training_cost, training_accuracy, evaluation_cost, evaluation_accuracy: monitored values.
        seconds: wall-clock time of each epoch's training (not counting monitoring).
        batch_cost: the cost of every mini-batch, in order, if ``monitor_batch_cost`` was on.
        gradient_norms: with ``monitor_gradients="epoch"``, the length of dC/db for each layer
            (input side first), before training and then after every epoch.
        batch_gradient_norms: with ``monitor_gradients="batch"``, the same for every mini-batch.
        time_gradient_norms, batch_time_gradient_norms: likewise, for a network with recurrent
            layers: the length of dC/dh_t at every time step t, one list of T numbers per such
            layer (input side first) in each entry.
        clipped_steps: with gradient clipping (``clip``), how many mini-batches of each epoch had
            their gradient shortened.
        stopped: why training ended early (``"early_stopping"``, ``"schedule"``, ``"diverged"``,
            ``"interrupted"``, ``"requested"``) or ``None`` if it ran every epoch.
        best_epoch: the epoch with the best monitored accuracy so far (the first of equals;
            ``None`` if none was monitored).
        message: a sentence for people, such as the advice printed after a divergence.
        warnings: sentences for people about a run going wrong that was not stopped (outputs
            saturated at the wrong end, weights running away) or about how it was run (a
            mini-batch left out), each once, in order: "Warning (epoch 2): ...".
        numerical_errors: how often numpy met each kind of floating-point problem during the run
            (e.g. ``{"overflow": 12}``; empty for a healthy run). They are counted, not printed.
    """

    epoch: list = field(default_factory=list)
    eta: list = field(default_factory=list)
    training_cost: list = field(default_factory=list)
    training_accuracy: list = field(default_factory=list)
    evaluation_cost: list = field(default_factory=list)
    evaluation_accuracy: list = field(default_factory=list)
    seconds: list = field(default_factory=list)
    batch_cost: list = field(default_factory=list)
    gradient_norms: list = field(default_factory=list)
    batch_gradient_norms: list = field(default_factory=list)
    time_gradient_norms: list = field(default_factory=list)
    batch_time_gradient_norms: list = field(default_factory=list)
    clipped_steps: list = field(default_factory=list)
    stopped: str | None = None
    best_epoch: int | None = None
    message: str = ""
    warnings: list = field(default_factory=list)
    numerical_errors: dict = field(default_factory=dict)

    def __len__(self):
        return len(self.epoch)

    def record(self, epoch, eta, seconds, metrics):
        """Add one epoch: its number, eta, training time, and the measured ``metrics`` (a dict
        with some of training_cost, training_accuracy, evaluation_cost, evaluation_accuracy).
        ``best_epoch`` follows."""
        self.epoch.append(epoch)
        self.eta.append(eta)
        self.seconds.append(seconds)
        for key, value in metrics.items():
            getattr(self, key).append(value)
        best = self._best_index()
        self.best_epoch = None if best is None else self.epoch[best]

    def monitored_accuracy(self):
        """The accuracy early stopping and schedules watch: evaluation if monitored, else training."""
        return self.evaluation_accuracy or self.training_accuracy

    def _best_index(self):
        """The index of the best monitored accuracy so far (the first of equals), or None: the
        one place "best so far" is decided."""
        watched = self.monitored_accuracy()
        return max(range(len(watched)), key=watched.__getitem__) if watched else None

    def epochs_since_best(self):
        """Epochs recorded after the best one (0 when the last was the best; None if no accuracy
        is monitored): what early stopping's and the plateau schedule's patience count."""
        best = self._best_index()
        return None if best is None else len(self.monitored_accuracy()) - 1 - best

    def as_dict(self):
        """A plain dict of lists (JSON-friendly)."""
        return asdict(self)

    def describe(self, i=-1):
        """One epoch as a line, e.g. "Epoch 0: training cost 0.4172, ..." (numbered as in the book)."""
        parts = []
        for key, label in (("training_cost", "training cost"),
                           ("training_accuracy", "training accuracy"),
                           ("evaluation_cost", "evaluation cost"),
                           ("evaluation_accuracy", "evaluation accuracy")):
            values = getattr(self, key)
            if values:
                value = values[i]
                parts.append(f"{label} {value:.2%}" if key.endswith("accuracy") else f"{label} {value:.4f}")
        return f"Epoch {self.epoch[i]}: " + (", ".join(parts) or "complete")

    def __repr__(self):
        return f"<History: {self.summary()}>"

    def summary(self):
        """One line for people: epochs run, last accuracies and why training stopped."""
        parts = [f"{len(self)} epoch{'s' if len(self) != 1 else ''}"]
        if self.training_accuracy:
            parts.append(f"training accuracy {self.training_accuracy[-1]:.2%}")
        if self.evaluation_accuracy:
            parts.append(f"evaluation accuracy {self.evaluation_accuracy[-1]:.2%}")
            best = max(self.evaluation_accuracy)
            parts.append(f"best {best:.2%} at epoch {self.epoch[self.evaluation_accuracy.index(best)]}")
        if self.stopped:
            parts.append(f"stopped: {self.stopped}")
        if self.warnings:
            parts.append(f"{len(self.warnings)} warning{'s' if len(self.warnings) != 1 else ''} "
                         "(see .warnings)")
        return ", ".join(parts)
