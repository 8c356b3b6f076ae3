"""The book's experiments: what each one trains, with which settings, and the figure the book reports.

``EXPERIMENTS`` maps each name (``"ch6-conv1"``) to its :class:`Experiment`, in book order, and
``CHAPTERS`` maps ``"ch1"``, ``"ch3"``, ... to the names of that chapter's experiments. The
training behind each experiment is in ``runs``.

Used by: ``command``, ``report`` and ``results`` in this package, and tests/test_reproduce.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from .runs import _ch1, _ch3, _ch5, _ch5_depth, _ch6, _ensemble


@dataclass(frozen=True)
class Experiment:
    """One of the book's experiments.

    Attributes:
        name: how it is called on the command line, e.g. ``"ch6-conv1"``.
        chapter: the book's chapter.
        title: what is trained, in a few words.
        settings: the book's settings, in words.
        epochs: the book's number of epochs.
        book: the book's figure: an accuracy (a fraction) or, for chapter 5, lists of gradient norms.
        measure: what the figure is (ours is measured the same way).
        minutes: roughly how long one run of the book's settings takes on one core (the training loop
            uses one thread): measured on the project's machine, or for the chapter-6 runs not yet
            made at full size, estimated from the measured time per epoch (docs/reproduce.md).
        run: ``run(session, epochs, seed)`` -> dict with ``"result"`` (comparable with ``book``) and
            details; ``seed`` sets the random weights and the order of the mini-batches.
    """

    name: str
    chapter: int
    title: str
    settings: str
    epochs: int
    book: object
    measure: str
    minutes: float
    run: Callable


_BOOK_GRADIENTS = [[0.07, 0.31], [0.012, 0.060, 0.283], [0.003, 0.017, 0.070, 0.285]]

_LIST = [
    Experiment("ch1-network", 1, "[784, 30, 10], quadratic cost",
               "sigmoid, weights N(0, 1), eta 3.0, mini-batch 10", 30, 0.9542,
               "best test accuracy over the epochs", 1, _ch1(30)),
    Experiment("ch1-network100", 1, "[784, 100, 10], quadratic cost",
               "sigmoid, weights N(0, 1), eta 3.0, mini-batch 10", 30, 0.9659,
               "best test accuracy over the epochs", 2, _ch1(100)),
    Experiment("ch3-ce30", 3, "[784, 30, 10], cross-entropy, L2",
               "lmbda 5.0, eta 0.5, mini-batch 10, weights N(0, 1)", 30, 0.9649,
               "test accuracy after the last epoch", 1, _ch3([784, 30, 10], 5.0, "test")),
    Experiment("ch3-ce100", 3, "[784, 100, 10], cross-entropy, L2",
               "lmbda 5.0, eta 0.5, mini-batch 10, weights N(0, 1)", 30, 0.9792,
               "validation accuracy after the last epoch", 2, _ch3([784, 100, 10], 5.0, "validation")),
    Experiment("ch3-overfit", 3, "[784, 30, 10] on 1,000 images, no regularisation",
               "cross-entropy, eta 0.5, mini-batch 10, weights N(0, 1)", 400, 0.8227,
               "best test accuracy over the epochs", 2,
               _ch3([784, 30, 10], 0.0, "test", first=1000, peak=True)),
    Experiment("ch3-overfit-l2", 3, "[784, 30, 10] on 1,000 images, lmbda 0.1",
               "cross-entropy, eta 0.5, mini-batch 10, weights N(0, 1)", 400, 0.871,
               "best test accuracy over the epochs", 2,
               _ch3([784, 30, 10], 0.1, "test", first=1000, peak=True)),
    Experiment("ch5-gradients", 5, "speed of learning of each hidden layer",
               "[784, 30, ..., 30, 10] with 2, 3, 4 hidden layers; ||dC/db|| on 1,000 images; "
               "then full-batch descent, eta 0.1, lmbda 5", 500, _BOOK_GRADIENTS,
               "||dC/db|| of each hidden layer before training", 2, _ch5),
    Experiment("ch5-hidden1", 5, "[784, 30, 10]: 1 hidden layer",
               "cross-entropy, weights N(0, 1/n_in), eta 0.1, lmbda 5, mini-batch 10", 30, 0.9648,
               "validation accuracy after the last epoch", 2, _ch5_depth(1)),
    Experiment("ch5-hidden2", 5, "[784, 30, 30, 10]: 2 hidden layers",
               "cross-entropy, weights N(0, 1/n_in), eta 0.1, lmbda 5, mini-batch 10", 30, 0.969,
               "validation accuracy after the last epoch", 2, _ch5_depth(2)),
    Experiment("ch5-hidden3", 5, "[784, 30, 30, 30, 10]: 3 hidden layers",
               "cross-entropy, weights N(0, 1/n_in), eta 0.1, lmbda 5, mini-batch 10", 30, 0.9657,
               "validation accuracy after the last epoch", 3, _ch5_depth(3)),
    Experiment("ch5-hidden4", 5, "[784, 30, 30, 30, 30, 10]: 4 hidden layers",
               "cross-entropy, weights N(0, 1/n_in), eta 0.1, lmbda 5, mini-batch 10", 30, 0.9653,
               "validation accuracy after the last epoch", 3, _ch5_depth(4)),
    Experiment("ch6-shallow", 6, "fully connected [784, 100, 10] (network3)",
               "sigmoid, softmax output, eta 0.1, mini-batch 10", 60, 0.9780,
               "test accuracy at the best validation epoch", 2, _ch6("shallow", 0.1)),
    Experiment("ch6-conv1", 6, "one convolutional-pooling layer",
               "20 5x5 filters, 2x2 max-pooling, 100 sigmoid neurons, eta 0.1", 60, 0.9878,
               "test accuracy at the best validation epoch", 9, _ch6("conv1", 0.1)),
    Experiment("ch6-conv2", 6, "two convolutional-pooling layers",
               "20 then 40 5x5 filters, sigmoid, eta 0.1", 60, 0.9906,
               "test accuracy at the best validation epoch", 15, _ch6("conv2", 0.1)),
    Experiment("ch6-relu", 6, "two conv-pool layers, rectified linear units",
               "ReLU throughout, eta 0.03, lmbda 0.1", 60, 0.9923,
               "test accuracy at the best validation epoch", 16, _ch6("relu", 0.03, 0.1)),
    Experiment("ch6-expanded", 6, "the ReLU network on expanded data",
               "250,000 images: each digit also shifted one pixel up, down, left, right", 60, 0.9937,
               "test accuracy at the best validation epoch", 80, _ch6("relu", 0.03, 0.1, expanded=True)),
    Experiment("ch6-extra-fc", 6, "a second fully connected layer of 100",
               "expanded data, ReLU, eta 0.03, lmbda 0.1", 60, 0.9943,
               "test accuracy at the best validation epoch", 80,
               _ch6("extra-fc", 0.03, 0.1, expanded=True)),
    Experiment("ch6-extra-fc300", 6, "two fully connected layers of 300",
               "expanded data, ReLU, eta 0.03, lmbda 0.1", 60, 0.9946,
               "test accuracy at the best validation epoch", 105,
               _ch6("extra-fc300", 0.03, 0.1, expanded=True)),
    Experiment("ch6-dropout", 6, "dropout on two fully connected layers of 1,000",
               "expanded data, ReLU, dropout 0.5, eta 0.03", 40, 0.9960,
               "test accuracy at the best validation epoch", 155, _ch6("dropout", 0.03, expanded=True)),
    Experiment("ch6-ensemble", 6, "an ensemble of 5 dropout networks voting",
               "5 copies of ch6-dropout from different random weights (reuses ch6-dropout's)", 40,
               0.9967, "test accuracy of the majority vote", 620, _ensemble),
]

EXPERIMENTS = {experiment.name: experiment for experiment in _LIST}
CHAPTERS = {f"ch{c}": [e.name for e in _LIST if e.chapter == c] for c in sorted({e.chapter for e in _LIST})}
