"""The run's health check (``engine.guard``) and the rates a run may use: a lost run stops, a run
going wrong is warned about by name, and the lessons' deliberately slow starts stay silent.

Each case here went unreported before: saturated outputs, runaway weights, weight decay blowing
up while the weights were still finite, schedules training uphill or with NaN, batch
normalisation trained on one example."""


import numpy as np
import pytest

from nbhelpers import Network
from nbhelpers.engine.callbacks import Callback
from nbhelpers.layers import Activation, BatchNorm, Conv2D, Dense, Flatten, MaxPool2D

QUIET = dict(progress=False, verbose=False)


def test_outputs_saturated_at_the_wrong_end_are_warned_by_name(sample, capsys):
    """[784, 400, 10] with eta = 3: every output sinks to about 1e-6, the quadratic cost sits at
    0.5 and the accuracy at chance, and nothing said so."""
    net = Network([784, 400, 10])
    history = net.SGD(sample.train, 4, 10, 3.0, progress=False)
    assert history.stopped is None                       # a warning, not a stop
    assert len(history.warnings) == 1
    warning = history.warnings[0]
    assert warning.startswith("Warning (epoch 0): the output neurons are saturated at the wrong end")
    assert "Try a smaller eta, e.g. 0.3" in warning and 'cost="cross_entropy"' in warning
    printed = capsys.readouterr().out
    assert printed.count(warning) == 1                  # printed once, with the epoch's lines
    assert printed.index("Epoch 0:") < printed.index(warning) < printed.index("Epoch 1:")
    assert "1 warning" in repr(history)


@pytest.mark.parametrize("sizes,cost,activation,optimizer,eta", [
    ([784, 30, 10], "cross_entropy", "sigmoid", "rmsprop", 100.0),
    ([784, 30, 10], "log_likelihood", "tanh", "nesterov", 1e3),
    ([784, 30, 10], "log_likelihood", "sigmoid", "adam", 100.0),
])
def test_runaway_weights_are_warned_with_the_optimisers_usual_eta(sample, sizes, cost, activation,
                                                                  optimizer, eta):
    """These ended at 9-20% accuracy with weights in the thousands or millions, silently."""
    net = Network(sizes, cost=cost, activation=activation)
    history = net.SGD(sample.train, 2, 10, eta, optimizer=optimizer, **QUIET)
    runaway = [w for w in history.warnings if "the weights are running away" in w]
    assert history.stopped is None and len(runaway) == 1
    usual = {"rmsprop": 0.001, "nesterov": 0.1, "adam": 0.001}[optimizer]
    assert f"Try a smaller eta, e.g. {eta / 10:g} ({optimizer}'s usual eta is {usual:g})" in runaway[0]


def test_weight_decay_that_makes_the_weights_grow_stops_while_they_are_still_finite(sample):
    """lmbda = 1e6 on 400 examples: after one epoch the weights were 1e154 and the recorded cost
    inf, yet the run was not stopped (the guard's cost left out the regularisation term)."""
    X, y = sample.train
    net = Network([784, 30, 10])
    before = [w.copy() for w in net.weights]
    history = net.SGD((X[:, :400], y[:400]), 1, 10, 3.0, lmbda=1e6, **QUIET)
    assert history.stopped == "diverged" and len(history) == 0
    assert "lmbda = 1e+06" in history.message and "keep lmbda below 2n/eta = 267" in history.message
    assert all(np.array_equal(a, b) for a, b in zip(before, net.weights))   # epoch 0 undone


def test_a_diverged_epoch_puts_the_optimiser_state_back_too(sample):
    X, y = sample.train
    seen = []

    class Record(Callback):
        def on_epoch_end(self, run):
            seen.append({k: {s: v.copy() for s, v in slots.items()}
                         for k, slots in run.optimizer.state.items()})

        def on_batch_end(self, run):
            if run.epoch == 1:
                run.net.layers[0].w[0, 0] = np.nan

    net = Network([784, 10, 10], cost="cross_entropy")
    history = net.SGD((X[:, :100], y[:100]), 3, 10, 0.1, optimizer="momentum", callbacks=[Record()],
                      **QUIET)
    assert history.stopped == "diverged" and len(history) == 1
    kept = net.optimizer_state["state"]
    assert all(np.array_equal(kept[k]["v"], seen[0][k]["v"]) for k in kept)


HEALTHY = {
    # lesson 09: a deep sigmoid network's plateau (outputs near the mean, barely differing)
    "deep sigmoid plateau": (dict(sizes=[784, 30, 30, 30, 30, 10], cost="cross_entropy"),
                             dict(eta=0.1, epochs=6, n=1000)),
    # lesson 07: the chapter-1 N(0, 1) weights saturate many hidden neurons at first
    "large init, quadratic": (dict(sizes=[784, 30, 10], init="large"), dict(eta=3.0, epochs=5, n=1000)),
    "large init, L2": (dict(sizes=[784, 30, 10], cost="cross_entropy", init="large"),
                       dict(eta=0.5, epochs=5, n=1000, lmbda=5.0)),
    # overfitting a small set with confident outputs (lesson 06)
    "overfitting": (dict(sizes=[784, 30, 10], cost="cross_entropy"), dict(eta=0.5, epochs=40, n=100)),
    "book chapter 1": (dict(sizes=[784, 30, 10]), dict(eta=3.0, epochs=3, n=4000)),
    "relu and softmax": (dict(sizes=[784, 30, 10], cost="log_likelihood", activation="relu", init="he"),
                         dict(eta=0.1, epochs=3, n=2000)),
    "adam at its usual eta": (dict(sizes=[784, 30, 10], cost="cross_entropy"),
                              dict(eta=0.001, epochs=3, n=2000, optimizer="adam")),
}


@pytest.mark.parametrize("case", HEALTHY)
def test_healthy_runs_and_slow_starts_raise_nothing(sample, case):
    build, run = HEALTHY[case]
    X, y = sample.train
    n = run.pop("n")
    net = Network(**build)
    history = net.SGD((X[:, :n], y[:n]), run.pop("epochs"), 10, run.pop("eta"), **run, **QUIET)
    assert history.stopped is None and history.warnings == [], history.warnings


def test_a_conv_nets_slow_start_raises_nothing(sample):
    """Lesson 10's sigmoid conv net starts slowly at eta = 0.1."""
    X, y = sample.train
    net = Network([Conv2D(1, 4, 5), MaxPool2D(2), Flatten(), Dense(4 * 12 * 12, 30),
                   Dense(30, 10, "softmax")], cost="log_likelihood", input_shape=(1, 28, 28))
    history = net.SGD((X[:, :500], y[:500]), 2, 10, 0.1, **QUIET)
    assert history.stopped is None and history.warnings == []


class Rates:
    """A schedule of the user's own whose rates are given epoch by epoch."""

    def __init__(self, *etas):
        self.etas = etas

    def eta(self, epoch, history):
        return self.etas[min(epoch, len(self.etas) - 1)]

    def should_stop(self, history):
        return False


@pytest.mark.parametrize("etas,epoch,shown", [
    ((-0.5,), 0, "-0.5"), ((float("nan"),), 0, "nan"), ((0.0,), 0, "0.0"),
    ((1.0, 1.0, -1.0), 2, "-1.0"), ((1.0, float("inf")), 1, "inf"),
])
def test_a_schedules_rate_must_be_a_finite_number_above_zero(sample, etas, epoch, shown):
    """-0.5 trained uphill unflagged; NaN ended in "Try a smaller eta, e.g. nan"."""
    X, y = sample.train
    net = Network([784, 10, 10])
    trained = []

    class Trained(Callback):
        def on_epoch_begin(self, run):
            trained.append(run.optimizer.eta)

    with pytest.raises(ValueError, match=f"the learning rate that schedule Rates gave for epoch {epoch} "
                                         rf"\(eta\) must be a finite number > 0, got {shown}"):
        net.SGD((X[:, :50], y[:50]), 4, 10, 1.0, schedule=Rates(*etas), callbacks=[Trained()],
                **QUIET)
    assert trained == list(etas[:epoch])                   # no epoch trained at the bad rate
    assert all(np.isfinite(w).all() for w in net.weights)


def _batchnorm_net():
    return Network([Dense(784, 20, "linear"), BatchNorm(20), Activation("sigmoid"),
                    Dense(20, 10, "softmax")], cost="log_likelihood", init="he")


def test_batchnorm_refuses_a_mini_batch_of_one(sample):
    """With one example, x_hat is 0: gamma's gradient is always 0 and the running variance fell to
    5e-19; PyTorch refuses such a batch too."""
    X, y = sample.train
    net = _batchnorm_net()
    with pytest.raises(ValueError, match="mini_batch_size must be at least 2 for this network, got 1"):
        net.SGD((X[:, :50], y[:50]), 1, 1, 0.1, **QUIET)
    assert np.array_equal(net.layers[1].running_var, np.ones((20, 1)))   # nothing trained
    # one training example in all: every epoch left it out and trained on nothing, with only a note
    with pytest.raises(ValueError, match="training_data must hold at least 2 examples for this "
                                         "network, got 1"):
        net.SGD((X[:, :1], y[:1]), 2, 10, 0.1, **QUIET)
    with pytest.raises(ValueError, match="cannot train on a mini-batch of one example"):
        BatchNorm(3).forward(np.ones((3, 1)), training=True)
    with pytest.raises(ValueError, match="cannot train on a mini-batch of one example"):
        net.update_mini_batch(X[:, :1], np.eye(10)[:, y[:1]], 0.1)
    # a frozen look in training mode changes nothing, so it may show one example's x_hat (lesson 11)
    with net.frozen():
        assert np.allclose(net.forward(X[:, :1], training=True), net.forward(X[:, 1:2], training=True))
    # feature maps give a spread over positions even for one example, as in PyTorch
    maps = BatchNorm(2).forward(np.random.default_rng(0).standard_normal((2, 5, 5, 1)), training=True)
    assert np.isfinite(maps).all() and BatchNorm(2).min_batch((2, 5, 5)) == 1


def test_batchnorm_leaves_out_a_last_mini_batch_of_one_and_says_so(sample, capsys):
    """201 examples in mini-batches of 10 ran one degenerate batch of one every epoch."""
    X, y = sample.train
    sizes = []

    class Sizes(Callback):
        def on_batch_end(self, run):
            sizes.append(run.x.shape[1])

    net = _batchnorm_net()
    history = net.SGD((X[:, :201], y[:201]), 2, 10, 0.1, callbacks=[Sizes()], progress=False)
    assert sizes == [10] * 40                               # 20 mini-batches of 10 per epoch
    assert len(history.warnings) == 1 and "each epoch trains on 200 of the 201 examples" in \
        history.warnings[0]
    assert history.warnings[0] in capsys.readouterr().out
    assert net.layers[1].running_var.min() > 1e-3
    # a plain network trains on every example, the last mini-batch of one included
    sizes.clear()
    Network([784, 10, 10]).SGD((X[:, :201], y[:201]), 1, 10, 0.1, callbacks=[Sizes()], **QUIET)
    assert sizes == [10] * 20 + [1]
