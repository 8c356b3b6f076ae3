"""Controlling a run from outside: Ctrl-C twice, callbacks and stop functions of the wrong kind,
StopTraining from a Callback object, the generator, and the optimiser's state (fresh for every
run unless resumed, kept by the network and by its file, so a resumed run continues exactly)."""

import os
import signal
import threading
import time

import numpy as np
import pytest

from nbhelpers import Network, StopTraining
from nbhelpers.engine.callbacks import Callback
from nbhelpers.optimizers import Adam, Momentum, Optimizer

QUIET = dict(progress=False, verbose=False)


def _small(sample, n=300):
    X, y = sample.train
    return X[:, :n], y[:n]


def test_a_second_ctrl_c_stops_at_once(sample, capsys):
    """With a callback that sleeps, two Ctrl-Cs still waited for it (18 s of 20); the first waits
    for the epoch's measuring and callbacks, a second must not."""
    handler_before = signal.getsignal(signal.SIGINT)
    presses = [threading.Timer(delay, os.kill, (os.getpid(), signal.SIGINT)) for delay in (0.3, 0.8)]

    def slow_plot(net, history):
        for timer in presses:
            if not timer.is_alive() and not timer.finished.is_set():
                timer.start()
        time.sleep(10)

    net = Network([784, 10, 10])
    start = time.perf_counter()
    with pytest.raises(KeyboardInterrupt):
        net.SGD(_small(sample), 3, 10, 1.0, callback=slow_plot, progress=False)
    assert time.perf_counter() - start < 5
    assert "Ctrl-C again to stop at once" in capsys.readouterr().err     # said at the first
    assert signal.getsignal(signal.SIGINT) is handler_before
    assert all(np.isfinite(w).all() for w in net.weights)


def test_a_callback_of_the_wrong_arity_is_refused_before_training(sample):
    net = Network([784, 10, 10])
    before = net.weights[0].copy()
    with pytest.raises(ValueError, match=r"callback must be a function f\(net, history\) of two "
                                         r"arguments .*got 'plot\(history\)'"):
        def plot(history):
            pass
        net.SGD(_small(sample), 1, 10, 1.0, callback=plot, **QUIET)
    with pytest.raises(ValueError, match=r"stop must be a function of no arguments .*got '"
                                         r"halt\(run\)"):
        def halt(run):
            return False
        net.SGD(_small(sample), 1, 10, 1.0, stop=halt, **QUIET)
    assert np.array_equal(net.weights[0], before)
    # methods, partials and functions with defaults are fine
    Network([784, 10, 10]).SGD(_small(sample, 20), 1, 10, 1.0, callback=lambda net, history, k=1: None,
                               stop=lambda *args: False, **QUIET)


def test_stop_must_answer_true_or_false(sample):
    net = Network([784, 10, 10])
    with pytest.raises(ValueError, match=r"stop must be a function returning True or False, got "
                                         r"array\(\[False,  True\]\)"):
        net.SGD(_small(sample), 1, 10, 1.0, stop=lambda: np.array([False, True]), **QUIET)
    with pytest.raises(ValueError, match="stop must be a function returning True or False, got None"):
        net.SGD(_small(sample), 1, 10, 1.0, stop=lambda: None, **QUIET)
    history = net.SGD(_small(sample), 2, 10, 1.0, stop=lambda: np.bool_(True), **QUIET)
    assert history.stopped == "requested"


@pytest.mark.parametrize("hook", ["on_train_begin", "on_epoch_begin", "on_batch_end", "on_epoch_end"])
def test_stop_training_from_a_callback_object_ends_the_run(sample, hook):
    """It propagated out of SGD; the callback= function could already raise it."""
    class Enough(Callback):
        pass

    def stop(self, run):
        if run.epoch == 1 or hook == "on_train_begin":
            raise StopTraining

    setattr(Enough, hook, stop)
    history = Network([784, 10, 10]).SGD(_small(sample), 4, 10, 1.0, callbacks=[Enough()], **QUIET)
    assert history.stopped == "requested"
    assert f"Enough ended training (StopTraining in {hook})" in history.message or \
        "A callback ended training (StopTraining in on_batch_end)" in history.message
    assert len(history) == {"on_train_begin": 0, "on_epoch_begin": 1, "on_batch_end": 2,
                            "on_epoch_end": 2}[hook]


def test_a_generator_that_is_not_one_is_refused_before_training(sample):
    net = Network([784, 10, 10])
    before = net.weights[0].copy()
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator, e.g. "
                                        r"np.random.default_rng\(0\) \(or give seed= instead\), got 'seed'"):
        net.SGD(_small(sample), 1, 10, 1.0, rng="seed", **QUIET)
    assert np.array_equal(net.weights[0], before)
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        Network([2, 2], rng=np.random.RandomState(0))


def _weights(net):
    return [p.value.copy() for p in net.parameters()]


def test_an_optimiser_object_starts_afresh_on_every_run(sample):
    """Adam's m, v and t carried over to a fresh network (weights off by 0.19), even to one of
    another architecture."""
    data = _small(sample)
    shared = Adam(0.01)
    Network([784, 30, 10]).SGD(data, 1, 10, 0.01, optimizer=shared, **QUIET)
    Network([784, 50, 20, 10]).SGD(data, 1, 10, 0.01, optimizer=shared, **QUIET)   # another shape
    reused = Network([784, 30, 10])
    reused.SGD(data, 1, 10, 0.01, optimizer=shared, **QUIET)
    fresh = Network([784, 30, 10])
    fresh.SGD(data, 1, 10, 0.01, optimizer=Adam(0.01), **QUIET)
    assert all(np.array_equal(a, b) for a, b in zip(_weights(reused), _weights(fresh)))


@pytest.mark.parametrize("optimizer", ["momentum", "nesterov", "adagrad", "rmsprop", "adam", "sgd"])
@pytest.mark.parametrize("suffix", [".json", ".npz", None])
def test_a_resumed_run_continues_exactly(sample, tmp_path, optimizer, suffix):
    """Momentum and Adam state were not saved, so a run resumed from a file differed (by 1.67)."""
    data = _small(sample)
    eta = 0.001 if optimizer in ("rmsprop", "adam") else 0.1
    whole = Network([784, 20, 10], cost="cross_entropy")
    whole.SGD(data, 4, 10, eta, optimizer=optimizer, rng=np.random.default_rng(5), **QUIET)
    first = Network([784, 20, 10], cost="cross_entropy")
    rng = np.random.default_rng(5)
    first.SGD(data, 2, 10, eta, optimizer=optimizer, rng=rng, **QUIET)
    if suffix is not None:
        first.save(tmp_path / f"net{suffix}")
        first = Network.load(tmp_path / f"net{suffix}")
    again = first.copy()
    first.SGD(data, 2, 10, eta, optimizer=optimizer, rng=rng, resume=True, **QUIET)
    assert all(np.array_equal(a, b) for a, b in zip(_weights(whole), _weights(first)))
    if optimizer != "sgd":        # without resume the optimiser starts afresh: a different run
        again.SGD(data, 2, 10, eta, optimizer=optimizer, rng=np.random.default_rng(5), **QUIET)
        assert not all(np.array_equal(a, b) for a, b in zip(_weights(whole), _weights(again)))


def test_resume_needs_state_of_the_same_optimiser(sample):
    data = _small(sample, 50)
    net = Network([784, 10, 10])
    with pytest.raises(ValueError, match="resume=True continues the momentum optimiser from the "
                                         "state this network kept .* and it has none"):
        net.SGD(data, 1, 10, 0.1, optimizer="momentum", resume=True, **QUIET)
    net.SGD(data, 1, 10, 0.1, optimizer=Momentum(0.1), **QUIET)
    with pytest.raises(ValueError, match="this network's last run used optimizer 'momentum', whose "
                                         "state 'adam' cannot continue"):
        net.SGD(data, 1, 10, 0.1, optimizer="adam", resume=True, **QUIET)
    with pytest.raises(ValueError, match="resume must be True or False, got 'yes'"):
        net.SGD(data, 1, 10, 0.1, resume="yes", **QUIET)
    net.SGD(data, 1, 10, 0.1, optimizer="momentum", resume=True, **QUIET)   # the same: fine


class HeavyBall(Optimizer):
    """An optimiser of the learner's own, outside ``OPTIMIZERS``: momentum under another name."""

    name = "heavy_ball"

    def update(self, key, w, grad):
        v = self.slot(key, "velocity", w)
        v *= 0.9
        v -= self.eta * grad
        w += v


def test_an_optimiser_of_ones_own_trains_resumes_and_saves(sample, tmp_path):
    """A network trained with an optimiser outside OPTIMIZERS could not be saved (KeyError
    'heavy_ball'), and resume=True refused its state as an unknown optimizer's."""
    data = _small(sample, 100)
    whole = Network([784, 10, 10], cost="cross_entropy")
    whole.SGD(data, 2, 10, 0.1, optimizer=HeavyBall(0.1), rng=np.random.default_rng(1), **QUIET)
    split, rng = Network([784, 10, 10], cost="cross_entropy"), np.random.default_rng(1)
    split.SGD(data, 1, 10, 0.1, optimizer=HeavyBall(0.1), rng=rng, **QUIET)
    split.SGD(data, 1, 10, 0.1, optimizer=HeavyBall(0.1), rng=rng, resume=True, **QUIET)
    assert all(np.array_equal(a, b) for a, b in zip(_weights(whole), _weights(split)))
    with pytest.warns(UserWarning, match="the state of optimizer 'heavy_ball' .* is not saved"):
        split.save(tmp_path / "net.npz")
    loaded = Network.load(tmp_path / "net.npz")
    assert loaded.optimizer_state is None
    assert all(np.array_equal(a, b) for a, b in zip(_weights(loaded), _weights(split)))
    with pytest.raises(ValueError, match="resume=True continues the heavy_ball optimiser .* it has "
                                         "none"):
        loaded.SGD(data, 1, 10, 0.1, optimizer=HeavyBall(0.1), resume=True, **QUIET)
