"""Running the book's experiments: the shared session and the training code behind each experiment.

:class:`Session` holds the data, the output folder and the expanded training data (made once).
Each ``_ch*`` function (or the function it returns) is an experiment's ``run(session, epochs)``:
it trains with the book's settings through the book faces (``network``, ``network2``,
``network3``) and returns a dict whose ``"result"`` compares with the book's figure. A training
run stopped by Ctrl-C raises :class:`Interrupted` (see :func:`_check`).

Used by: ``experiments`` (the runs of the book's experiments) and ``command`` (the session), in
this package; tests/test_reproduce.py (``_check``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

MINI_BATCH = 10
ENSEMBLE_SIZE = 5


class Interrupted(Exception):
    """Ctrl-C stopped a training run: what is finished is kept, the experiment is not recorded."""


class Session:
    """The data, the output folder and what the experiments share (the expanded training data)."""

    def __init__(self, data, out, progress=True):
        self.data, self.out, self.progress = data, Path(out), progress
        self._expanded = None

    def expanded(self):
        """The training data with four shifted copies of every image (made once, when first needed)."""
        if self._expanded is None:
            from ..lessons.augment import expand

            print(f"Expanding the training data: {self.data.train[0].shape[1]:,} images plus each "
                  "shifted one pixel up, down, left and right ...")
            self._expanded = expand(self.data.train)
        return self._expanded

    def member_path(self, seed, epochs):
        folder = self.out / "networks"
        folder.mkdir(exist_ok=True)
        return folder / f"ch6-dropout-seed{seed}-{epochs}epochs.npz"


def _check(history):
    """Raise Interrupted if Ctrl-C ended this training run."""
    if history.stopped == "interrupted":
        raise Interrupted()
    return history


def _curve(values):
    return [round(float(v), 6) for v in values]


# ---------------------------------------------------------------------- chapters 1, 3 and 5


def _ch1(hidden):
    """Chapter 1's network [784, hidden, 10]: quadratic cost, weights N(0, 1), eta 3.0."""

    def run(session, epochs, seed):
        from .. import network

        net = network.Network([784, hidden, 10], seed=seed)
        history = _check(net.SGD(session.data.train, epochs, MINI_BATCH, 3.0,
                                 test_data=session.data.test))
        return {"result": max(history.evaluation_accuracy),
                "final": history.evaluation_accuracy[-1],
                "test_accuracy": _curve(history.evaluation_accuracy)}

    return run


def _network2_run(sizes, training, epochs, eta, lmbda, evaluation, seed, large=True):
    from .. import network2

    net = network2.Network(sizes, cost=network2.CrossEntropyCost, seed=seed)
    if large:
        net.large_weight_initializer()
    net.SGD(training, epochs, MINI_BATCH, eta, lmbda=lmbda, evaluation_data=evaluation,
            monitor_evaluation_accuracy=True)
    return _check(net.history)


def _ch3(sizes, lmbda, split, first=None, peak=False):
    def run(session, epochs, seed):
        data = session.data
        training = data.train if first is None else (data.train[0][:, :first], data.train[1][:first])
        history = _network2_run(sizes, training, epochs, 0.5, lmbda, getattr(data, split), seed)
        accuracy = history.evaluation_accuracy
        return {"result": max(accuracy) if peak else accuracy[-1], "final": accuracy[-1],
                "best": max(accuracy), f"{split}_accuracy": _curve(accuracy)}

    return run


def _ch5_depth(hidden):
    """Chapter 5's accuracy of [784, 30 x hidden, 10]: network2's default weights, eta 0.1, lmbda 5."""

    def run(session, epochs, seed):
        data = session.data
        sizes = [784] + [30] * hidden + [10]
        history = _network2_run(sizes, data.train, epochs, 0.1, 5.0, data.validation, seed, large=False)
        accuracy = history.evaluation_accuracy
        return {"result": accuracy[-1], "final": accuracy[-1], "best": max(accuracy),
                "validation_accuracy": _curve(accuracy)}

    return run


def _ch5(session, epochs, seed):
    from .. import network2

    X, y = session.data.train
    probe = (X[:, :1000], y[:1000])
    starts, curves = [], []
    for hidden in (2, 3, 4):
        sizes = [784] + [30] * hidden + [10]
        print(f"{sizes}: gradient descent on the first 1,000 training images, eta 0.1, lmbda 5")
        net = network2.Network(sizes, seed=seed)   # cross-entropy, weights N(0, 1/n_in): chapter 5's
        net.SGD(probe, epochs, 1000, 0.1, lmbda=5.0, monitor_gradients="epoch", callback=None,
                progress=session.progress)
        norms = [row[:-1] for row in _check(net.history).gradient_norms]   # hidden layers only
        print("  speed of learning at the start, ||dC/db|| per hidden layer: "
              + ", ".join(f"{v:.3f}" for v in norms[0]))
        starts.append(_curve(norms[0]))
        curves.append([_curve(row) for row in norms])
    return {"result": starts, "gradient_norms": curves}


# ---------------------------------------------------------------------- chapter 6


def _conv_layers(activation, fc=100, extra=False, p_dropout=0.0, second=True):
    """The book's chapter-6 layers: conv-pool (20 maps), [conv-pool (40 maps)], one fully connected
    layer of ``fc`` neurons [and a second one of ``fc`` (``extra``)], softmax."""
    from ..network3 import ConvPoolLayer, FullyConnectedLayer, SoftmaxLayer

    layers = [ConvPoolLayer(image_shape=(MINI_BATCH, 1, 28, 28), filter_shape=(20, 1, 5, 5),
                            poolsize=(2, 2), activation_fn=activation)]
    if second:
        layers.append(ConvPoolLayer(image_shape=(MINI_BATCH, 20, 12, 12), filter_shape=(40, 20, 5, 5),
                                    poolsize=(2, 2), activation_fn=activation))
    n_in = 40 * 4 * 4 if second else 20 * 12 * 12
    layers.append(FullyConnectedLayer(n_in=n_in, n_out=fc, activation_fn=activation, p_dropout=p_dropout))
    if extra:
        layers.append(FullyConnectedLayer(n_in=fc, n_out=fc, activation_fn=activation, p_dropout=p_dropout))
    layers.append(SoftmaxLayer(n_in=fc, n_out=10, p_dropout=p_dropout))
    return layers


def _book_net(kind, seed=0):
    from .. import network3
    from ..network3 import FullyConnectedLayer, ReLU, SoftmaxLayer, sigmoid

    if kind == "shallow":
        layers = [FullyConnectedLayer(n_in=784, n_out=100), SoftmaxLayer(n_in=100, n_out=10)]
    elif kind == "conv1":
        layers = _conv_layers(sigmoid, second=False)
    elif kind == "conv2":
        layers = _conv_layers(sigmoid)
    elif kind == "relu":
        layers = _conv_layers(ReLU)
    elif kind == "extra-fc":       # a second fully connected layer of 100
        layers = _conv_layers(ReLU, extra=True)
    elif kind == "extra-fc300":    # two fully connected layers of 300
        layers = _conv_layers(ReLU, fc=300, extra=True)
    else:   # "dropout": two fully connected layers of 1,000, dropout 0.5
        layers = _conv_layers(ReLU, fc=1000, extra=True, p_dropout=0.5)
    return network3.Network(layers, MINI_BATCH, seed=seed, dtype=np.float32)


def _train_book_net(session, kind, epochs, eta, lmbda, expanded, seed):
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
    def run(session, epochs, seed):
        net, details = _train_book_net(session, kind, epochs, eta, lmbda, expanded, seed)
        if kind == "dropout":   # a member of the ensembles: keep it
            net.save(session.member_path(seed, epochs))
        return details

    return run


def _ensemble(session, epochs, seed):
    """Run ``seed`` of the ensemble: the dropout networks of seeds 5*seed ... 5*seed + 4 voting."""
    from ..engine import Network
    from ..lessons.ensemble import vote

    nets, members = [], []
    for member in range(ENSEMBLE_SIZE * seed, ENSEMBLE_SIZE * (seed + 1)):
        path = session.member_path(member, epochs)
        if path.is_file():
            net = Network.load(path)
            print(f"member {member}: trained before, loaded from {path}")
        else:
            print(f"member {member}: the dropout network from seed {member}")
            net, _ = _train_book_net(session, "dropout", epochs, 0.03, 0.0, expanded=True, seed=member)
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
