"""Reproduce the book's headline experiments on full MNIST, each beside the figure the book reports.

    python -m nbhelpers data download mnist           # once: the full data set (11 MB)
    python -m nbhelpers reproduce --list              # the experiments, the book's figures, run times
    python -m nbhelpers reproduce ch1 ch3             # whole chapters, or experiments by name
    python -m nbhelpers reproduce                     # everything, in book order (hours: see --list)
    python -m nbhelpers reproduce ch6-conv1 --epochs 2     # a quick trial with fewer epochs
    python -m nbhelpers reproduce ch1 ch3 --data sample    # the book's settings on the bundled sample

Each experiment runs the book's own commands through the course's book faces (``network``,
``network2``, ``network3``) with the book's settings, printing what the book's code prints, and
ends with our number beside the book's. After every experiment the results are written (atomically)
to ``results/reproduce.json`` and drawn in ``results/reproduce.png`` (``--out`` picks the folder);
the trained chapter-6 networks are saved in ``results/networks/``. An experiment already in the
JSON file with the same number of epochs is skipped (``--force`` runs it again), so a run stopped
with Ctrl-C carries on where it stopped when the same command is given again; the ensemble also
keeps each member it has finished. Without the full data the command says how to download it and
exits with status 1. ``--data sample`` runs the same experiments on the bundled 4,000 / 500 / 500
digits instead (results in ``results/sample/``), to see what the book's settings give on a small
data set without downloading anything.

Chapter-6 networks are trained in float32 (as the book's Theano code was on a GPU); the others in
the faces' default float64. Each network starts from seed 0 (the ensemble's members from seeds
0-4), so a run repeats exactly on the same machine; the book's figures came from its own random
draws (chapter 6: the best of three runs), so expect agreement to a few tenths of a per cent, not
to the digit.

Used by: the CLI (``python -m nbhelpers reproduce``), the README ("Reproducing the book") and
tests/test_reproduce.py.
"""

from __future__ import annotations

import argparse
import datetime
import io
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from .atomic import atomic_write

RESULTS_FILE = "reproduce.json"
PLOT_FILE = "reproduce.png"
FORMAT = "nbhelpers-reproduce-1"
MINI_BATCH = 10


class Interrupted(Exception):
    """Ctrl-C stopped a training run: what is finished is kept, the experiment is not recorded."""


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
        minutes: roughly how long the book's settings take here (one core of a recent CPU).
        run: ``run(session, epochs)`` -> dict with ``"result"`` (comparable with ``book``) and details.
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


# ---------------------------------------------------------------------- the runs


def _check(history):
    """Raise Interrupted if Ctrl-C ended this training run."""
    if history.stopped == "interrupted":
        raise Interrupted()
    return history


def _curve(values):
    return [round(float(v), 6) for v in values]


def _ch1(session, epochs):
    from . import network

    net = network.Network([784, 30, 10])
    history = _check(net.SGD(session.data.train, epochs, MINI_BATCH, 3.0, test_data=session.data.test))
    return {"result": max(history.evaluation_accuracy),
            "final": history.evaluation_accuracy[-1],
            "test_accuracy": _curve(history.evaluation_accuracy)}


def _network2_run(session, sizes, training, epochs, eta, lmbda, evaluation):
    from . import network2

    net = network2.Network(sizes, cost=network2.CrossEntropyCost)
    net.large_weight_initializer()
    net.SGD(training, epochs, MINI_BATCH, eta, lmbda=lmbda, evaluation_data=evaluation,
            monitor_evaluation_accuracy=True)
    return _check(net.history)


def _ch3(sizes, lmbda, split, first=None, peak=False):
    def run(session, epochs):
        data = session.data
        training = data.train if first is None else (data.train[0][:, :first], data.train[1][:first])
        history = _network2_run(session, sizes, training, epochs, 0.5, lmbda, getattr(data, split))
        accuracy = history.evaluation_accuracy
        return {"result": max(accuracy) if peak else accuracy[-1], "final": accuracy[-1],
                "best": max(accuracy), f"{split}_accuracy": _curve(accuracy)}

    return run


def _ch5(session, epochs):
    from . import network2

    X, y = session.data.train
    probe = (X[:, :1000], y[:1000])
    starts, curves = [], []
    for hidden in (2, 3, 4):
        sizes = [784] + [30] * hidden + [10]
        print(f"{sizes}: gradient descent on the first 1,000 training images, eta 0.1, lmbda 5")
        net = network2.Network(sizes)   # cross-entropy, weights N(0, 1/n_in): the chapter-5 setting
        net.SGD(probe, epochs, 1000, 0.1, lmbda=5.0, monitor_gradients="epoch", callback=None,
                progress=session.progress)
        norms = [row[:-1] for row in _check(net.history).gradient_norms]   # hidden layers only
        print("  speed of learning at the start, ||dC/db|| per hidden layer: "
              + ", ".join(f"{v:.3f}" for v in norms[0]))
        starts.append(_curve(norms[0]))
        curves.append([_curve(row) for row in norms])
    return {"result": starts, "gradient_norms": curves}


def _conv_layers(activation, fc=100, p_dropout=0.0, second=True):
    """The book's chapter-6 layers: conv-pool (20 maps), [conv-pool (40 maps)], fully connected."""
    from .network3 import ConvPoolLayer, FullyConnectedLayer, SoftmaxLayer

    layers = [ConvPoolLayer(image_shape=(MINI_BATCH, 1, 28, 28), filter_shape=(20, 1, 5, 5),
                            poolsize=(2, 2), activation_fn=activation)]
    if second:
        layers.append(ConvPoolLayer(image_shape=(MINI_BATCH, 20, 12, 12), filter_shape=(40, 20, 5, 5),
                                    poolsize=(2, 2), activation_fn=activation))
    n_in = 40 * 4 * 4 if second else 20 * 12 * 12
    layers.append(FullyConnectedLayer(n_in=n_in, n_out=fc, activation_fn=activation, p_dropout=p_dropout))
    if p_dropout:
        layers.append(FullyConnectedLayer(n_in=fc, n_out=fc, activation_fn=activation, p_dropout=p_dropout))
    layers.append(SoftmaxLayer(n_in=fc, n_out=10, p_dropout=p_dropout))
    return layers


def _book_net(kind, seed=0):
    from . import network3
    from .network3 import FullyConnectedLayer, ReLU, SoftmaxLayer, sigmoid

    if kind == "shallow":
        layers = [FullyConnectedLayer(n_in=784, n_out=100), SoftmaxLayer(n_in=100, n_out=10)]
    elif kind == "conv1":
        layers = _conv_layers(sigmoid, second=False)
    elif kind == "conv2":
        layers = _conv_layers(sigmoid)
    elif kind == "relu":
        layers = _conv_layers(ReLU)
    else:   # "dropout": two fully connected layers of 1,000, dropout 0.5
        layers = _conv_layers(ReLU, fc=1000, p_dropout=0.5)
    return network3.Network(layers, MINI_BATCH, seed=seed, dtype=np.float32)


def _train_book_net(session, kind, epochs, eta, lmbda, expanded, seed=0):
    """Train one chapter-6 network; returns (net, details) with the book's measure in details."""
    net = _book_net(kind, seed)
    data = session.data
    training = session.expanded() if expanded else data.train
    history = _check(net.SGD(training, epochs, MINI_BATCH, eta, data.validation, data.test,
                             lmbda=lmbda))
    # network3 keeps what the book prints: the test accuracy at the best validation epoch
    best_epoch = max(epoch for epoch, accuracy in zip(history.epoch, history.evaluation_accuracy)
                     if accuracy == net.best_validation_accuracy)    # ties: the later one, as the book
    return net, {"result": net.best_test_accuracy, "best_validation": net.best_validation_accuracy,
                 "best_epoch": best_epoch, "final_test": net.accuracy(data.test),
                 "validation_accuracy": _curve(history.evaluation_accuracy)}


def _ch6(kind, eta, lmbda=0.0, expanded=False):
    def run(session, epochs):
        net, details = _train_book_net(session, kind, epochs, eta, lmbda, expanded)
        if kind == "dropout":   # the ensemble's first member: keep it
            net.save(session.member_path(0, epochs))
        return details

    return run


ENSEMBLE_SIZE = 5


def _ensemble(session, epochs):
    from .engine import Network
    from .ensemble import vote

    nets, members = [], []
    for seed in range(ENSEMBLE_SIZE):
        path = session.member_path(seed, epochs)
        if path.is_file():
            net = Network.load(path)
            print(f"member {seed}: trained before, loaded from {path}")
        else:
            print(f"member {seed}: the dropout network from seed {seed}")
            net, _ = _train_book_net(session, "dropout", epochs, 0.03, 0.0, expanded=True, seed=seed)
            net.save(path)
        nets.append(net)
        members.append(net.accuracy(session.data.test))
    X, y = session.data.test
    predictions = vote(nets, X)
    wrong = np.flatnonzero(predictions != y)
    print(f"the ensemble misclassifies {len(wrong)} of {len(y):,} test images "
          f"(members alone: {', '.join(f'{a:.2%}' for a in members)})")
    return {"result": float(np.mean(predictions == y)), "members": members,
            "wrong": wrong.tolist(), "wrong_predictions": predictions[wrong].tolist()}


_BOOK_GRADIENTS = [[0.07, 0.31], [0.012, 0.060, 0.283], [0.003, 0.017, 0.070, 0.285]]

_LIST = [
    Experiment("ch1-network", 1, "[784, 30, 10], quadratic cost",
               "sigmoid, weights N(0, 1), eta 3.0, mini-batch 10", 30, 0.9542,
               "best test accuracy over the epochs", 1, _ch1),
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
    Experiment("ch6-shallow", 6, "fully connected [784, 100, 10] (network3)",
               "sigmoid, softmax output, eta 0.1, mini-batch 10", 60, 0.9780,
               "test accuracy at the best validation epoch", 2, _ch6("shallow", 0.1)),
    Experiment("ch6-conv1", 6, "one convolutional-pooling layer",
               "20 5x5 filters, 2x2 max-pooling, 100 sigmoid neurons, eta 0.1", 60, 0.9878,
               "test accuracy at the best validation epoch", 15, _ch6("conv1", 0.1)),
    Experiment("ch6-conv2", 6, "two convolutional-pooling layers",
               "20 then 40 5x5 filters, sigmoid, eta 0.1", 60, 0.9906,
               "test accuracy at the best validation epoch", 25, _ch6("conv2", 0.1)),
    Experiment("ch6-relu", 6, "two conv-pool layers, rectified linear units",
               "ReLU throughout, eta 0.03, lmbda 0.1", 60, 0.9923,
               "test accuracy at the best validation epoch", 20, _ch6("relu", 0.03, 0.1)),
    Experiment("ch6-expanded", 6, "the ReLU network on expanded data",
               "250,000 images: each digit also shifted one pixel up, down, left, right", 60, 0.9937,
               "test accuracy at the best validation epoch", 90, _ch6("relu", 0.03, 0.1, expanded=True)),
    Experiment("ch6-dropout", 6, "dropout on two fully connected layers of 1,000",
               "expanded data, ReLU, dropout 0.5, eta 0.03", 40, 0.9960,
               "test accuracy at the best validation epoch", 140, _ch6("dropout", 0.03, expanded=True)),
    Experiment("ch6-ensemble", 6, "an ensemble of 5 dropout networks voting",
               "5 copies of ch6-dropout from different random weights (reuses ch6-dropout's)", 40,
               0.9967, "test accuracy of the majority vote", 560, _ensemble),
]

EXPERIMENTS = {experiment.name: experiment for experiment in _LIST}
CHAPTERS = {f"ch{c}": [e.name for e in _LIST if e.chapter == c] for c in sorted({e.chapter for e in _LIST})}


# ---------------------------------------------------------------------- the session


class Session:
    """The data, the output folder and what the experiments share (the expanded training data)."""

    def __init__(self, data, out, progress=True):
        self.data, self.out, self.progress = data, Path(out), progress
        self._expanded = None

    def expanded(self):
        """The training data with four shifted copies of every image (made once, when first needed)."""
        if self._expanded is None:
            from .augment import expand

            print(f"Expanding the training data: {self.data.train[0].shape[1]:,} images plus each "
                  "shifted one pixel up, down, left and right ...")
            self._expanded = expand(self.data.train)
        return self._expanded

    def member_path(self, seed, epochs):
        folder = self.out / "networks"
        folder.mkdir(exist_ok=True)
        return folder / f"ch6-dropout-seed{seed}-{epochs}epochs.npz"


def _format(value):
    if isinstance(value, list):
        return " | ".join(", ".join(f"{v:.3f}" for v in row) for row in value)
    return "-" if value is None else f"{100 * value:.2f}%"


def _elapsed(seconds):
    if seconds < 60:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.1f} min" if seconds < 7200 else f"{seconds / 3600:.1f} h"


def _duration(minutes):
    if minutes < 60:
        return f"~{max(1, round(minutes))} min"
    return f"~{minutes / 60:.0f} h" if minutes >= 120 else f"~{minutes / 60:.1f} h"


def list_experiments(out=None):
    """Print the table of experiments: name, what, the book's epochs and figure, rough time."""
    out = out or sys.stdout
    print(f"{'experiment':<15} {'ch.':>3}  {'what':<48} {'epochs':>6}  {'the book':>9}  time", file=out)
    for e in _LIST:
        figure = _format(e.book) if e.chapter != 5 else "see below"
        print(f"{e.name:<15} {e.chapter:>3}  {e.title:<48} {e.epochs:>6}  {figure:>9}  "
              f"{_duration(e.minutes)}", file=out)
    print(f"\nch5-gradients: the book's {EXPERIMENTS['ch5-gradients'].measure}: "
          f"{_format(_BOOK_GRADIENTS)} (2 | 3 | 4 hidden layers)", file=out)
    total = sum(e.minutes for e in _LIST)
    print(f"\nAll of them: {_duration(total)} on one core (chapter 6 is most of it). "
          "Chapters: " + ", ".join(f"{c} = {' '.join(names)}" for c, names in CHAPTERS.items()),
          file=out)


# ---------------------------------------------------------------------- results file and plot


def _load_results(path):
    if not path.is_file():
        return {"format": FORMAT, "experiments": {}}
    try:
        results = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise ValueError(f"{path} cannot be read as a results file ({err}); move it away or choose "
                         "another folder with --out") from None
    if not isinstance(results, dict) or results.get("format") != FORMAT \
            or not isinstance(results.get("experiments"), dict):
        raise ValueError(f"{path} is not a results file of this command (format {FORMAT}); move it "
                         "away or choose another folder with --out")
    return results


def _write_results(folder, results):
    data = (json.dumps(results, indent=1) + "\n").encode("utf-8")
    atomic_write(folder / RESULTS_FILE, lambda f: f.write(data))
    figure = plot_results(results)
    if figure is not None:
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=110)
        atomic_write(folder / PLOT_FILE, lambda f: f.write(buffer.getvalue()))


def plot_results(results):
    """A matplotlib Figure of our results beside the book's, or None if nothing is done yet.

    Left: every accuracy experiment (ours as a bar, the book's figure as a black mark). Right:
    chapter 5's speed of learning per hidden layer (ours filled, the book's open), log scale.
    """
    from matplotlib.figure import Figure

    done = results["experiments"]
    accuracy = [name for name in EXPERIMENTS if name in done and EXPERIMENTS[name].chapter != 5]
    gradients = done.get("ch5-gradients")
    panels = int(bool(accuracy)) + int(gradients is not None)
    if not panels:
        return None
    figure = Figure(figsize=(6.5 * panels, 0.45 * max(len(accuracy), 6) + 1.5))
    axes = figure.subplots(1, panels, squeeze=False)[0]
    if accuracy:
        ax = axes[0]
        rows = np.arange(len(accuracy))[::-1]
        ours = [100 * (done[name]["result"] or 0.0) for name in accuracy]
        book = [100 * EXPERIMENTS[name].book for name in accuracy]
        ax.barh(rows, ours, color="C0", label="ours")
        ax.plot(book, rows, "k|", markersize=16, markeredgewidth=2.5, label="the book")
        low = max(0.0, min(ours + book) - 2.0)
        for row, value in zip(rows, ours):
            ax.text(max(value, low) - 0.1, row, f"{value:.2f}", ha="right", va="center", fontsize=8,
                    color="white")
        labels = [f"{name} ({done[name]['epochs']} ep.)" for name in accuracy]
        ax.set(yticks=rows, yticklabels=labels, xlabel="accuracy (%)", xlim=(low, 100.0),
               title="Accuracy: ours and the book's")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncols=2, fontsize=8)
        ax.grid(axis="x", alpha=0.3)
    if gradients is not None:
        ax = axes[-1]
        for k, (ours, book) in enumerate(zip(gradients["result"], _BOOK_GRADIENTS)):
            layers = np.arange(1, len(book) + 1)
            ax.plot(layers, ours, "o-", color=f"C{k}", label=f"{len(book)} hidden layers: ours")
            ax.plot(layers, book, "o--", color=f"C{k}", markerfacecolor="white",
                    label=f"{len(book)} hidden layers: the book")
        ax.set(yscale="log", xlabel="hidden layer (input side first)", ylabel="||dC/db||",
               xticks=[1, 2, 3, 4], title="Chapter 5: speed of learning at the start")
        ax.legend(fontsize=7)
        ax.grid(alpha=0.3)
    source = {"mnist": "full MNIST", "sample": "the bundled 4,000-image sample"}.get(results.get("data"))
    if source:
        figure.suptitle(f"The book's experiments reproduced on {source}")
    figure.tight_layout()
    return figure


# ---------------------------------------------------------------------- the command


def add_parser(commands):
    """Add the ``reproduce`` subcommand to the CLI's subparsers ``commands``."""
    names = ", ".join([*CHAPTERS, *EXPERIMENTS])
    parser = commands.add_parser(
        "reproduce", help="run the book's headline experiments on full MNIST beside its figures",
        description="Run the book's headline experiments with its settings on full MNIST and "
                    "compare each result with the figure the book reports.")
    parser.add_argument("names", nargs="*", metavar="NAME",
                        help=f"experiments or chapters to run (default: all): {names}")
    parser.add_argument("--list", action="store_true", help="list the experiments and stop")
    parser.add_argument("--data", choices=("mnist", "sample"), default="mnist",
                        help="mnist (default: full MNIST, downloaded once) or sample (the bundled "
                             "4,000 / 500 / 500 digits)")
    parser.add_argument("--out", default=None, metavar="DIR",
                        help="folder for reproduce.json, reproduce.png and networks/ (default: "
                             "results, or results/sample with --data sample)")
    parser.add_argument("--epochs", type=_positive_int, default=None, metavar="N",
                        help="train N epochs instead of the book's (a quick trial)")
    parser.add_argument("--force", action="store_true",
                        help="run experiments again even if the results file has them")
    parser.set_defaults(subparser=parser)
    return parser


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {text}")
    return value


def _selected(parser, names):
    if not names or "all" in names:
        return list(EXPERIMENTS)
    chosen = []
    for name in names:
        key = name.lower()
        if key in CHAPTERS:
            chosen += CHAPTERS[key]
        elif key in EXPERIMENTS:
            chosen.append(key)
        else:
            parser.error(f"argument NAME: unknown experiment {name!r}; choose from all, "
                         + ", ".join([*CHAPTERS, *EXPERIMENTS]))
    return [name for name in EXPERIMENTS if name in chosen]   # book order, each once


def run(args):
    """Carry out ``python -m nbhelpers reproduce`` with parsed ``args``; returns the exit status."""
    from .data import load_mnist

    if args.list:
        list_experiments()
        return 0
    names = _selected(args.subparser, args.names)
    out = Path(args.out if args.out is not None else
               "results" if args.data == "mnist" else "results/sample")
    if out.exists() and not out.is_dir():
        args.subparser.error(f"argument --out: {str(out)!r} is a file, not a folder")
    results = _load_results(out / RESULTS_FILE)
    if results.setdefault("data", args.data) != args.data:
        raise ValueError(f"{out / RESULTS_FILE} holds results on {results['data']!r}, not "
                         f"{args.data!r}; choose another folder with --out")
    try:
        data = load_mnist(args.data, dtype=np.float32, download=False, progress=False)
    except FileNotFoundError as err:
        print(f"error: reproducing the book needs the full MNIST data, which is not here yet.\n{err}",
              file=sys.stderr)
        return 1
    out.mkdir(parents=True, exist_ok=True)
    session = Session(data, out)
    print(f"{'Full MNIST' if args.data == 'mnist' else 'The bundled sample'}: "
          f"{data.train[0].shape[1]:,} training, {data.validation[0].shape[1]:,} "
          f"validation and {data.test[0].shape[1]:,} test images. Results go to {out}/.")
    done = results["experiments"]
    for name in names:
        experiment = EXPERIMENTS[name]
        epochs = args.epochs or experiment.epochs
        if name in done and done[name].get("epochs") == epochs and not args.force:
            print(f"\n{name}: already done ({_format(done[name]['result'])}); --force runs it again")
            continue
        print(f"\n=== {name} (chapter {experiment.chapter}): {experiment.title}\n    "
              f"{experiment.settings}; {epochs} epochs"
              + (f" (the book: {experiment.epochs})" if epochs != experiment.epochs else "")
              + f"\n    the book's figure: {_format(experiment.book)} ({experiment.measure})")
        start = time.perf_counter()
        try:
            outcome = experiment.run(session, epochs)
        except Interrupted:
            print(f"\nInterrupted during {name}. Finished experiments are saved in {out / RESULTS_FILE};"
                  " run the same command again to continue.", file=sys.stderr)
            return 130
        seconds = time.perf_counter() - start
        done[name] = {"chapter": experiment.chapter, "title": experiment.title,
                      "measure": experiment.measure, "book": experiment.book, "epochs": epochs,
                      "book_epochs": experiment.epochs, "seconds": round(seconds, 1),
                      "finished": datetime.datetime.now().isoformat(timespec="seconds"), **outcome}
        _write_results(out, results)
        print(f"--- {name}: ours {_format(outcome['result'])}, the book {_format(experiment.book)} "
              f"({experiment.measure}; {_elapsed(seconds)})")
    print_summary(results, names)
    print(f"\nWrote {out / RESULTS_FILE} and {out / PLOT_FILE}.")
    return 0


def print_summary(results, names=None):
    """Print our result beside the book's for every finished experiment (of ``names``)."""
    done = results["experiments"]
    print(f"\n{'experiment':<15} {'ours':>8} {'the book':>9}  {'epochs':>6}  {'time':>8}  measure")
    for name in names or EXPERIMENTS:
        if name not in done:
            continue
        entry = done[name]
        ours, book = entry["result"], entry["book"]
        if isinstance(book, list):
            print(f"{name:<15} {'':>8} {'':>9}  {entry['epochs']:>6}  "
                  f"{_elapsed(entry['seconds']):>8}  {entry['measure']}")
            print(f"{'':<15} ours:     {_format(ours)}\n{'':<15} the book: {_format(book)}")
            continue
        print(f"{name:<15} {_format(ours):>8} {_format(book):>9}  {entry['epochs']:>6}  "
              f"{_elapsed(entry['seconds']):>8}  {entry['measure']}")
