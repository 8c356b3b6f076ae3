"""The training loop and its callbacks: shuffling contract, gradient monitoring, divergence in all
its forms, stopping from outside, evaluation in chunks, and data given in the forms a user will."""

import threading
import tracemalloc

import numpy as np
import pytest

from nbhelpers import Network
from nbhelpers.engine.callbacks import Callback
from nbhelpers.layers import Conv2D, Dense, Flatten, MaxPool2D


def test_batches_follow_the_documented_shuffle(sample):
    """Each epoch: perm = rng.permutation(n); mini-batches perm[k:k+m], in order."""
    X, y = sample.train
    X, y = X[:, :50], y[:50]
    seen = []

    class Record(Callback):
        def on_batch_end(self, run):
            seen.append(run.x.copy())

    Network([784, 5, 10]).SGD((X, y), 2, 20, 0.1, callbacks=[Record()], seed=11, progress=False,
                               verbose=False)
    rng = np.random.default_rng(11)
    expected = []
    for _ in range(2):
        perm = rng.permutation(50)
        expected += [X[:, perm[k:k + 20]] for k in range(0, 50, 20)]
    assert len(seen) == len(expected) == 6
    assert all(np.array_equal(a, b) for a, b in zip(seen, expected))


def test_gradient_monitor_records_each_layer_per_epoch_and_per_batch(sample):
    net = Network([784, 30, 30, 30, 10])
    X, y = sample.train
    history = net.SGD((X[:, :1000], y[:1000]), 2, 10, 0.1, monitor_gradients="epoch", progress=False,
                      verbose=False)
    norms = np.array(history.gradient_norms)
    assert norms.shape == (3, 4)                      # before training, then after each epoch
    # the book's observation: the early hidden layers learn more slowly than the later ones
    assert norms[0, 0] < norms[0, 1] < norms[0, 2]
    # and the numbers are the lengths of dC/db on the first 1,000 training examples
    fresh = Network([784, 30, 30, 30, 10])
    nabla_b, _ = fresh.backprop_batch(X[:, :1000], np.eye(10)[:, y[:1000]])
    assert np.allclose(norms[0], [np.linalg.norm(b) for b in nabla_b])

    batch = Network([784, 30, 30, 10]).SGD((X[:, :100], y[:100]), 1, 10, 3.0, seed=4,
                                           monitor_gradients="batch", progress=False, verbose=False)
    assert np.array(batch.batch_gradient_norms).shape == (10, 3)
    # the first mini-batch's norms are raw gradients, even though SGD folds -eta into backprop
    first = Network([784, 30, 30, 10])
    order = np.random.default_rng(4).permutation(100)[:10]
    nabla_b, _ = first.backprop_batch(X[:, order], np.eye(10)[:, y[order]])
    assert np.allclose(batch.batch_gradient_norms[0], [np.linalg.norm(b) for b in nabla_b])


def test_bad_monitor_gradients_is_named():
    with pytest.raises(ValueError, match="monitor_gradients must be 'epoch', 'batch' or None, got 'step'"):
        Network([2, 2]).SGD((np.zeros((2, 4)), np.array([0, 1, 0, 1])), 1, 2, 1.0,
                            monitor_gradients="step", progress=False, verbose=False)


def test_exploding_cost_is_noticed_before_it_is_infinite():
    x = np.linspace(-1, 1, 60).reshape(1, -1)
    net = Network([1, 10, 1], activation="tanh", output_activation="linear", seed=2)
    history = net.SGD((x, 3 * x), 5, 60, 3.0, progress=False, verbose=False)
    assert history.stopped == "diverged"
    assert "the cost exploded" in history.message and "Try a smaller eta, e.g. 0.3" in history.message


def test_dead_outputs_are_reported():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5, 200))
    net = Network([5, 20, 3], activation="relu", output_activation="relu", init="he", seed=0)
    history = net.SGD((x, rng.random((3, 200))), 20, 10, 100.0, progress=False, verbose=False)
    assert history.stopped == "diverged"
    assert "outputs died" in history.message or "exploded" in history.message or "NaN" in history.message


def test_weight_decay_blowing_up_names_lmbda(sample):
    X, y = sample.train
    net = Network([784, 10, 10], cost="cross_entropy")
    # eta * lmbda / n = 1 * 500 / 100 = 5 > 2: every step multiplies the weights by -4
    history = net.SGD((X[:, :100], y[:100]), 5, 10, 1.0, lmbda=500.0, progress=False, verbose=False)
    assert history.stopped == "diverged"
    assert "lmbda = 500" in history.message and "keep lmbda below 2n/eta = 200" in history.message


def test_stop_can_be_an_event(sample):
    event = threading.Event()
    event.set()
    history = Network([784, 10, 10]).SGD(sample.train, 3, 10, 1.0, stop=event, progress=False,
                                         verbose=False)
    assert history.stopped == "requested" and len(history) == 1


@pytest.mark.parametrize("kwargs,message", [
    (dict(callback="plot"), "callback must be a function f\\(net, history\\) or None, got 'plot'"),
    (dict(stop=True), "stop must be a function of no arguments, a threading.Event or None, got True"),
    (dict(callbacks=["x"]), "callbacks must be a list of nbhelpers.engine.callbacks.Callback objects"),
    (dict(optimizer="lbfgs"), "optimizer must be one of"),
])
def test_bad_hooks_are_refused_before_training(kwargs, message, sample):
    net = Network([784, 10, 10])
    before = net.weights[0].copy()
    with pytest.raises(ValueError, match=message):
        net.SGD(sample.train, 1, 10, 1.0, progress=False, verbose=False, **kwargs)
    assert np.array_equal(before, net.weights[0])


def test_early_stopping_needs_labels_and_says_so():
    x = np.linspace(-1, 1, 20).reshape(1, -1)
    net = Network([1, 4, 1], output_activation="linear")
    with pytest.raises(ValueError, match="early_stopping watches the accuracy .* no class labels"):
        net.SGD((x, x), 2, 5, 0.1, evaluation_data=(x, x), early_stopping=2, progress=False,
                verbose=False)


def test_one_output_regression_takes_1d_float_targets():
    x = np.linspace(-1, 1, 40).reshape(1, -1)
    net = Network([1, 8, 1], output_activation="linear")
    history = net.SGD((x, (x ** 2).ravel()), 30, 10, 0.1, progress=False, verbose=False)
    assert history.training_accuracy == [] and history.training_cost[-1] < history.training_cost[0]


def test_mixed_label_forms_are_explained(sample):
    X, y = sample.train
    pairs = [(X[:, [i]], np.eye(10)[:, [y[i]]]) for i in range(20)]
    pairs[7] = (X[:, [7]], int(y[7]))
    with pytest.raises(ValueError, match=r"pair 0 has a target column of shape \(10, 1\) but pair 7 has "
                                         r"an integer label"):
        Network([784, 10, 10]).SGD(pairs, 1, 10, 1.0, progress=False, verbose=False)
    with pytest.raises(ValueError, match="labels must be whole numbers .* for real-valued targets"):
        Network([784, 10, 10]).SGD((X[:, :4], np.array([0.5, 1, 2, 3])), 1, 2, 1.0, progress=False,
                                   verbose=False)


def test_iterators_are_accepted(sample):
    X, y = sample.train
    pairs = zip([X[:, [i]] for i in range(30)], [int(label) for label in y[:30]])
    history = Network([784, 10, 10]).SGD(pairs, 1, 10, 1.0, progress=False, verbose=False)
    assert len(history) == 1


@pytest.mark.slow
def test_conv_net_evaluates_10000_images_in_little_memory():
    net = Network([Conv2D(1, 20, 5), MaxPool2D(2), Flatten(), Dense(20 * 12 * 12, 100),
                   Dense(100, 10, "softmax")], cost="log_likelihood", input_shape=(1, 28, 28))
    x = np.random.default_rng(0).random((784, 10_000))
    tracemalloc.start()
    try:
        out = net.feedforward(x)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert out.shape == (10, 10_000)
    assert peak < 500 * 2**20, f"peak {peak / 2**20:.0f} MB"
    # all at once would have needed the 10,000 images' patches: 14,400 numbers each
    assert 10_000 * 14_400 * 8 > 1000 * 2**20


def test_train_conv_net_learns_the_sample(sample):
    X, y = sample.train
    net = Network([Conv2D(1, 8, 5, "relu"), MaxPool2D(2), Flatten(), Dense(8 * 12 * 12, 30, "relu"),
                   Dense(30, 10, "softmax")], cost="log_likelihood", input_shape=(1, 28, 28))
    history = net.SGD((X[:, :1000], y[:1000]), 2, 10, 0.1, evaluation_data=sample.validation,
                      progress=False, verbose=False)
    assert history.evaluation_accuracy[-1] > 0.7


def test_gradient_monitor_leaves_the_run_alone(sample):
    """Measuring gradients must not change what is learned: same weights with and without it,
    even with dropout (random masks) and batch normalisation (running averages)."""
    from nbhelpers.layers import Activation, BatchNorm, Dropout

    X, y = sample.train

    def make():
        return Network([Dense(784, 20, "linear"), BatchNorm(20), Activation("sigmoid"), Dropout(0.3),
                        Dense(20, 10)], cost="cross_entropy")

    plain, watched = make(), make()
    plain.SGD((X[:, :300], y[:300]), 2, 10, 0.5, seed=3, progress=False, verbose=False)
    history = watched.SGD((X[:, :300], y[:300]), 2, 10, 0.5, seed=3, monitor_gradients="epoch",
                          progress=False, verbose=False)
    assert all(np.array_equal(a, b) for a, b in zip(plain.weights, watched.weights))
    assert np.array_equal(plain.layers[1].running_mean, watched.layers[1].running_mean)
    # measured in training mode: batch normalisation uses the batch's statistics, so the first
    # layer's bias, which it subtracts away, gets no gradient at all
    assert history.gradient_norms[0][0] < 1e-12 < history.gradient_norms[0][1]


def test_outputs_that_start_alike_and_later_die_are_reported(sample):
    """A softmax layer that starts at zero gives every example the same output; once training has
    made them differ, losing that again is a death the guard reports."""
    X, y = sample.train

    class KillHiddenLayer(Callback):
        def on_batch_end(self, run):
            if run.epoch == 1:
                run.net.layers[0].w[...] = 0.0
                run.net.layers[0].b[...] = -1.0      # every ReLU off: one output for all examples

    net = Network([Dense(784, 20, "relu"), Dense(20, 10, "softmax")], cost="log_likelihood", init="he")
    net.layers[1].w[...] = 0.0
    net.layers[1].b[...] = 0.0
    history = net.SGD((X[:, :200], y[:200]), 3, 10, 0.1, callbacks=[KillHiddenLayer()],
                      progress=False, verbose=False)
    assert history.stopped == "diverged" and "outputs died" in history.message
    assert len(history) == 1 and np.abs(net.layers[0].w).max() > 0   # epoch 1 undone


def test_dropout_never_changes_the_layers_a_checkpoint_saves(sample, tmp_path):
    """SGD(dropout=p) drops neurons during the run without adding layers to the network: a
    checkpoint saved by a callback, and summary() during the run, show the network's own layers."""
    X, y = sample.train
    net = Network([784, 20, 10], cost="cross_entropy")
    seen = []

    def checkpoint(net, history):
        path = tmp_path / f"epoch-{history.epoch[-1]}.npz"
        net.save(path)
        seen.append((Network.load(path), net.summary()))

    net.SGD((X[:, :300], y[:300]), 2, 10, 0.5, dropout=0.5, callback=checkpoint, progress=False,
            verbose=False)
    assert len(seen) == 2
    for loaded, summary in seen:
        assert [type(layer) for layer in loaded.layers] == [Dense, Dense]
        assert "Dropout" not in summary and summary.count("Dense(") == 2
    assert [type(layer) for layer in net.layers] == [Dense, Dense]
    assert np.array_equal(seen[-1][0].feedforward(X[:, :20]), net.feedforward(X[:, :20]))
    # and dropout did act: the same run without it ends elsewhere
    plain = Network([784, 20, 10], cost="cross_entropy")
    plain.SGD((X[:, :300], y[:300]), 2, 10, 0.5, progress=False, verbose=False)
    assert not np.allclose(plain.weights[0], net.weights[0])


def test_each_epoch_measures_each_data_set_in_one_forward_pass(sample, monkeypatch):
    X, y = sample.train
    train, held_out = (X[:, :400], y[:400]), (sample.validation[0][:, :300], sample.validation[1][:300])
    net = Network([784, 20, 10], cost="cross_entropy")
    widths = []
    real = Network.forward
    monkeypatch.setattr(Network, "forward", lambda self, a, training=False:
                        widths.append(a.shape[-1]) or real(self, a, training))
    history = net.SGD(train, 3, 10, 0.5, evaluation_data=held_out, progress=False, verbose=False)
    assert len(history.training_cost) == len(history.evaluation_accuracy) == 3
    assert widths.count(400) == 3 and widths.count(300) == 3   # cost and accuracy: one pass each


def test_callbacks_do_not_depend_on_their_order(sample):
    """Early stopping, a plateau schedule and a user's function see the same recorded epochs
    whichever comes first, so the runs are identical."""
    from nbhelpers.engine import callbacks as cb
    from nbhelpers.engine.guard import DivergenceGuard
    from nbhelpers.engine.training import train
    from nbhelpers.optimizers import SGD
    from nbhelpers.schedules import HalveOnPlateau

    X, y = sample.train
    histories = []
    for reverse in (False, True):
        net = Network([784, 20, 10], cost="cross_entropy")
        seen = []
        watchers = [cb.EarlyStopping(3), cb.ScheduleEta(HalveOnPlateau(2.0, patience=1)),
                    cb.EpochFunction(lambda net, history, seen=seen: seen.append(history.best_epoch))]
        training = net.prepare((X[:, :300], y[:300]))
        evaluation = net.prepare(sample.validation)
        history = train(net, training, 30, 10, SGD(2.0), watchers[::-1] if reverse else watchers,
                        np.random.default_rng(0), evaluation, {"evaluation_accuracy": True},
                        DivergenceGuard())
        record = history.as_dict()
        del record["seconds"]
        histories.append((record, seen, net.accuracy(sample.validation)))
    assert histories[0] == histories[1]
    assert histories[0][0]["stopped"] in ("early_stopping", "schedule")


def test_after_each_epoch_the_layers_hold_gradients_not_steps(sample):
    """Plain SGD's fused step leaves -eta * dC/dp in the layers' arrays; by the time a callback
    (or anyone) looks at the end of an epoch they are dC/dp of the epoch's last mini-batch."""
    X, y = sample.train
    net = Network([784, 20, 10], cost="cross_entropy")
    checked = []

    class LastBatch(Callback):
        def on_train_begin(self, run):
            self.before = run.net.copy()

        def on_batch_end(self, run):
            self.x, self.y, self.start = run.x.copy(), run.y.copy(), self.before
            self.before = run.net.copy()          # the weights the next step starts from

        def on_epoch_end(self, run):
            self.start.gradient(self.x, self.y)
            checked.append(all(np.allclose(p.grad, q.grad, rtol=1e-10, atol=1e-14) for p, q in
                               zip(run.net.parameters(), self.start.parameters())))

    net.SGD((X[:, :205], y[:205]), 2, 10, 3.0, lmbda=2.0, callbacks=[LastBatch()], progress=False,
            verbose=False)
    assert checked == [True, True]
