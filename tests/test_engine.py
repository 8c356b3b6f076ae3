"""The network engine: shapes, gradients, training, regularisation, stopping and bad input."""

import os
import signal
import warnings

import numpy as np
import pytest

from nbhelpers import Network, StopTraining, gradcheck
from nbhelpers.activations import ACTIVATIONS
from nbhelpers.costs import COSTS
from nbhelpers.schedules import HalveOnPlateau, StepDecay

HIDDEN = ["sigmoid", "tanh", "relu", "leaky_relu"]
OUTPUTS = ["sigmoid", "softmax", "tanh", "relu", "leaky_relu", "linear"]
VALID = [(c, h, o) for c in COSTS for h in HIDDEN for o in OUTPUTS
         if COSTS[c].output_activations is None or o in COSTS[c].output_activations]
INVALID = [(c, o) for c in COSTS for o in OUTPUTS
           if COSTS[c].output_activations is not None and o not in COSTS[c].output_activations]


def test_shapes_follow_the_book():
    net = Network([784, 30, 10])
    assert [w.shape for w in net.weights] == [(30, 784), (10, 30)]
    assert [b.shape for b in net.biases] == [(30, 1), (10, 1)]
    assert net.feedforward(np.zeros((784, 7))).shape == (10, 7)
    assert net.feedforward(np.zeros(784)).shape == (10, 1)


def test_every_activation_is_in_the_table():
    assert set(HIDDEN) | {"softmax", "linear"} == set(ACTIVATIONS)


@pytest.mark.parametrize("cost,hidden,output", VALID)
def test_gradients_of_every_pairing_pass_gradcheck(cost, hidden, output, small_problem):
    x, y, _ = small_problem
    net = Network([4, 5, 4, 3], cost=cost, activation=hidden, output_activation=output, seed=3)
    report = gradcheck(net, x, y)
    assert report.checked == sum(w.size + b.size for w, b in zip(net.weights, net.biases))
    assert report.passed(1e-5), str(report)


def test_gradcheck_catches_a_wrong_gradient(small_problem, monkeypatch):
    x, y, _ = small_problem
    net = Network([4, 5, 3], cost="cross_entropy", seed=0)
    right = net.cost.delta
    monkeypatch.setattr(net.cost, "delta", lambda z, a, y, act: 1.5 * right(z, a, y, act))
    assert not gradcheck(net, x, y).passed(1e-3)


def test_gradcheck_names_the_layer_whose_sigma_prime_is_missing(small_problem, monkeypatch):
    from nbhelpers.activations import Sigmoid

    x, y, _ = small_problem
    net = Network([4, 5, 6, 3], cost="cross_entropy", seed=0)
    monkeypatch.setattr(Sigmoid, "backward", lambda self, z, a, grad_a: grad_a)
    report = gradcheck(net, x, y)
    assert not report.passed(1e-3)
    assert report.layers[-1]["weights"] < 1e-6           # cross-entropy: the output error is a - y
    assert report.worst()[0] in ("layer 2", "layer 3")


@pytest.mark.parametrize("cost,output", INVALID)
def test_pairings_that_make_no_sense_are_refused(cost, output):
    with pytest.raises(ValueError, match="output_activation .* allowed"):
        Network([3, 2], cost=cost, output_activation=output)


def test_log_likelihood_with_sigmoid_outputs_is_refused_with_the_reason():
    with pytest.raises(ValueError, match="probabilities that sum to 1"):
        Network([3, 2], cost="log_likelihood", output_activation="sigmoid")


def test_per_example_backprop_agrees_with_the_batch(small_problem):
    x, y, _ = small_problem
    net = Network([4, 5, 3], cost="log_likelihood", activation="tanh", seed=2)
    per_example = [net.backprop(x[:, [i]], y[:, [i]]) for i in range(x.shape[1])]
    nabla_b, nabla_w = net.backprop_batch(x, y)
    for l in range(2):
        assert np.allclose(np.mean([g[0][l] for g in per_example], axis=0), nabla_b[l])
        assert np.allclose(np.mean([g[1][l] for g in per_example], axis=0), nabla_w[l])


def test_dropout_gradient_matches_finite_differences(small_problem):
    from nbhelpers.layers import Dense, Dropout

    x, y, _ = small_problem
    net = Network([Dense(4, 6), Dropout(0.5), Dense(6, 3)], cost="cross_entropy", seed=1)
    report = gradcheck(net, x, y)
    assert report.passed(1e-6), str(report)
    mask = net.layers[1].mask
    assert set(np.unique(mask)) == {0.0, 2.0}   # kept outputs are scaled by 1/(1 - p)
    # and the mask really is used: where a hidden output was dropped, its outgoing weights get
    # no gradient from that example, so the gradient differs from the one without dropout
    with_dropout = net.layers[2].nabla_w.copy()
    plain = Network([Dense(4, 6), Dense(6, 3)], cost="cross_entropy", seed=1)
    plain.weights, plain.biases = net.weights, net.biases
    plain.gradient(x, y)
    assert not np.allclose(with_dropout, plain.layers[1].nabla_w)


def test_one_step_is_the_book_update_rule(small_problem):
    x, y, _ = small_problem
    net = Network([4, 5, 3], seed=0)
    before = net.copy()
    eta, lmbda, n = 0.7, 2.0, 50
    nabla_b, nabla_w = before.backprop_batch(x, y)
    net.update_mini_batch(x, y, eta, lmbda, n)
    for l in range(2):
        expected_w = (1 - eta * lmbda / n) * before.weights[l] - eta * nabla_w[l]
        assert np.allclose(net.weights[l], expected_w)
        assert np.allclose(net.biases[l], before.biases[l] - eta * nabla_b[l])  # no decay on b


def test_l1_step_subtracts_the_sign(small_problem):
    x, y, _ = small_problem
    net = Network([4, 5, 3], seed=0)
    before = net.copy()
    nabla_b, nabla_w = before.backprop_batch(x, y)
    net.update_mini_batch(x, y, 0.5, 3.0, 10, regularization="l1")
    expected = before.weights[0] - 0.5 * 3.0 / 10 * np.sign(before.weights[0]) - 0.5 * nabla_w[0]
    assert np.allclose(net.weights[0], expected)


def _train(sample, **options):
    net = Network([784, 30, 10], cost=options.pop("cost", "cross_entropy"), seed=options.pop("seed", 0))
    settings = dict(progress=False, verbose=False)
    settings.update(options)
    history = net.SGD(sample.train, settings.pop("epochs", 3), 10, settings.pop("eta", 0.5),
                      evaluation_data=sample.validation, **settings)
    return net, history


def test_sgd_learns_the_sample(sample):
    net, history = _train(sample)
    assert len(history) == 3 and history.epoch == [0, 1, 2]
    assert history.evaluation_accuracy[-1] > 0.85
    assert history.training_cost[-1] < history.training_cost[0]
    assert net.accuracy(sample.test) > 0.85
    assert "evaluation accuracy" in history.summary()


def test_training_is_deterministic(sample):
    a, ha = _train(sample, epochs=1)
    b, hb = _train(sample, epochs=1)
    c, _ = _train(sample, epochs=1, seed=1)
    assert all(np.array_equal(x, y) for x, y in zip(a.weights, b.weights))
    assert ha.training_cost == hb.training_cost
    assert not np.array_equal(a.weights[0], c.weights[0])


def test_float32_mode_trains(sample):
    net = Network([784, 30, 10], cost="cross_entropy", dtype=np.float32)
    history = net.SGD(sample.train, 2, 10, 0.5, evaluation_data=sample.validation, progress=False,
                      verbose=False)
    assert net.weights[0].dtype == np.float32
    assert history.evaluation_accuracy[-1] > 0.85


def test_l2_shrinks_the_weights(sample):
    plain, _ = _train(sample, epochs=2)
    decayed, _ = _train(sample, epochs=2, lmbda=50.0)
    assert np.linalg.norm(decayed.weights[0]) < 0.8 * np.linalg.norm(plain.weights[0])


def test_book_list_of_pairs_is_accepted(sample):
    X, y = sample.train
    pairs = [(X[:, [i]], np.eye(10)[:, [y[i]]]) for i in range(200)]
    net = Network([784, 10, 10])
    history = net.SGD(pairs, 1, 10, 1.0, evaluation_data=[(X[:, [i]], int(y[i])) for i in range(50)],
                      progress=False, verbose=False)
    assert len(history.evaluation_accuracy) == 1
    assert net.evaluate([(X[:, [i]], int(y[i])) for i in range(50)]) == round(
        history.evaluation_accuracy[0] * 50)


def test_regression_targets_have_no_accuracy():
    x = np.linspace(-1, 1, 40).reshape(1, -1)
    net = Network([1, 8, 1], output_activation="linear")
    history = net.SGD((x, x ** 2), 20, 10, 0.1, progress=False, verbose=False)
    assert history.training_accuracy == [] and history.training_cost[-1] < history.training_cost[0]


def test_step_schedule_changes_eta(sample):
    _, history = _train(sample, epochs=5, schedule=StepDecay(0.5, factor=0.5, every=2))
    assert history.eta == [0.5, 0.5, 0.25, 0.25, 0.125]


def test_plateau_schedule_halves_and_stops():
    from nbhelpers.engine.history import History

    schedule, history = HalveOnPlateau(1.0, patience=2, min_fraction=0.25), History()
    etas = []
    for epoch, accuracy in enumerate([0.5, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6]):
        etas.append(schedule.eta(epoch, history))
        history.evaluation_accuracy.append(accuracy)
    assert etas == [1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.25]
    # eta has fallen to min_fraction (1/4) of its start: stop now, before an epoch at that rate
    assert schedule.should_stop(history)


def test_plateau_schedule_stops_training_when_eta_reaches_1_128(sample):
    X, y = sample.train
    net = Network([784, 10, 10], cost="cross_entropy")
    history = net.SGD((X[:, :200], y[:200]), 200, 10, 0.5, evaluation_data=sample.validation,
                      schedule=HalveOnPlateau(0.5, patience=1), progress=False, verbose=False)
    assert history.stopped == "schedule" and len(history) < 200
    assert min(history.eta) == 0.5 / 64          # never an epoch at 1/128 of the start
    assert "fallen to 0.00390625" in history.message


def test_early_stopping_keeps_the_best_weights(sample):
    X, y = sample.train
    net = Network([784, 30, 10], cost="cross_entropy")
    history = net.SGD((X[:, :300], y[:300]), 40, 10, 3.0, evaluation_data=sample.validation,
                      early_stopping=2, progress=False, verbose=False)
    assert history.stopped == "early_stopping" and len(history) < 40
    best = max(history.evaluation_accuracy)
    assert history.evaluation_accuracy[history.best_epoch] == best
    assert net.accuracy(sample.validation) == pytest.approx(best)


def test_divergence_stops_with_advice(capsys):
    x = np.linspace(-1, 1, 50).reshape(1, -1)
    net = Network([1, 20, 1], activation="relu", output_activation="linear", init="large")
    history = net.SGD((x, 100 * x), 50, 5, 50.0, progress=False, verbose=True)
    assert history.stopped == "diverged" and "smaller eta" in history.message
    assert all(np.isfinite(w).all() for w in net.weights)
    assert all(np.isfinite(c) for c in history.training_cost)
    assert "smaller eta" in capsys.readouterr().out   # printed when verbose


def test_ctrl_c_stops_after_the_current_mini_batch(sample):
    calls = []

    def press_ctrl_c():
        calls.append(1)
        if len(calls) == 50:
            os.kill(os.getpid(), signal.SIGINT)
        return False

    net = Network([784, 30, 10])
    handler_before = signal.getsignal(signal.SIGINT)   # SIG_IGN when the tests run in the background
    history = net.SGD(sample.train, 5, 10, 3.0, stop=press_ctrl_c, progress=False, verbose=False)
    assert history.stopped == "interrupted"
    assert len(calls) == 50 + 1 or len(calls) == 50  # the signal lands before the next check
    assert len(history) == 1  # the interrupted epoch is recorded, then training ends
    assert all(np.isfinite(w).all() for w in net.weights)
    assert signal.getsignal(signal.SIGINT) is handler_before   # training puts the old handler back


def test_stop_function_and_callback_end_training(sample):
    net = Network([784, 30, 10])
    seen = []
    history = net.SGD(sample.train, 5, 10, 3.0, stop=lambda: True, progress=False, verbose=False,
                      callback=lambda net, history: seen.append(len(history)))
    assert history.stopped == "requested" and len(history) == 1
    assert seen == [1]  # the shortened epoch still reaches the callback (a live plot draws it)

    def callback(net, history):
        if len(history) == 2:
            raise StopTraining

    history = net.SGD(sample.train, 5, 10, 3.0, callback=callback, progress=False, verbose=False)
    assert history.stopped == "requested" and len(history) == 2


def test_progress_bar_and_verbose_lines(sample, capsys):
    X, y = sample.train
    Network([784, 10, 10]).SGD((X[:, :100], y[:100]), 2, 10, 1.0, progress=True, verbose=True)
    out = capsys.readouterr()
    assert "Epoch 0: training cost" in out.out and "Epoch 1: training cost" in out.out
    assert "Epoch 2" not in out.out   # counted from 0, as the book prints them
    assert "epoch" in out.err  # tqdm writes its bar to stderr


@pytest.mark.parametrize("kwargs,message", [
    (dict(eta=0), "eta must be a finite number > 0"),
    (dict(eta=-1), "eta must be"),
    (dict(eta=float("nan")), "eta must be"),
    (dict(lmbda=-1), "lmbda must be"),
    (dict(epochs=1.5), "epochs must be a whole number"),
    (dict(mini_batch_size=0), "mini_batch_size must be"),
    (dict(dropout=1.0), "dropout must be a probability"),
    (dict(regularization="l3"), r"regularization must be one of \['l1', 'l2'\]"),
    (dict(schedule="cosine_decay"), "schedule must be one of"),
    (dict(early_stopping=3), "early_stopping needs evaluation_data"),
])
def test_bad_training_arguments_are_named(kwargs, message):
    x = np.zeros((2, 4))
    args = dict(epochs=1, mini_batch_size=2, eta=1.0)
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        Network([2, 2]).SGD((x, np.array([0, 1, 0, 1])), args.pop("epochs"), args.pop("mini_batch_size"),
                            args.pop("eta"), progress=False, verbose=False, **args)


@pytest.mark.parametrize("data,message", [
    ((np.zeros((3, 4)), np.array([0, 1, 0, 1])), r"inputs must have shape \(2, n\)"),
    ((np.full((2, 4), np.nan), np.array([0, 1, 0, 1])), "NaN or infinite"),
    ((np.zeros((2, 4)), np.array([0, 1, 2, 1])), r"labels must be in 0..1 .* got 2"),
    ((np.zeros((2, 4)), np.array([0, 1, 0])), "4 inputs but 3 labels"),
    ((np.zeros((2, 4)), np.zeros((3, 4))), r"targets must have shape \(2, 4\)"),
    ("not data", "training_data must be"),
])
def test_bad_training_data_is_explained(data, message):
    with pytest.raises(ValueError, match=message):
        Network([2, 2]).SGD(data, 1, 2, 1.0, progress=False, verbose=False)


@pytest.mark.parametrize("kwargs,message", [
    (dict(sizes=[784]), "at least two whole numbers"),
    (dict(sizes=[784, 0, 10]), "whole numbers >= 1"),
    (dict(sizes=5), "list of layer sizes"),
    (dict(cost="hinge"), r"cost must be one of \['cross_entropy', 'log_likelihood', 'quadratic'\]"),
    (dict(activation="swish"), "activation must be one of .*'sigmoid'"),
    (dict(init="zeros"), r"init must be one of \['default', 'he', 'large', 'xavier'\]"),
    (dict(dtype=np.int32), "dtype must be np.float64 or np.float32"),
])
def test_bad_network_arguments_are_named(kwargs, message):
    args = dict(sizes=[3, 2])
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        Network(**args)


def test_feedforward_rejects_wrong_shapes():
    net = Network([3, 2])
    with pytest.raises(ValueError, match=r"a must have shape \(3, m\), .* got shape \(4, 2\)"):
        net.feedforward(np.zeros((4, 2)))
    with pytest.raises(ValueError, match="x must be one example"):
        net.backprop(np.zeros((3, 2)), np.zeros((2, 1)))


def test_a_normal_run_meets_no_floating_point_problem_and_warns_of_nothing(sample):
    """Training counts numpy's floating-point problems instead of printing them, so "no warning"
    alone proves nothing: the count must be empty too. The next test shows the count sees them."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for cost in ("quadratic", "cross_entropy", "log_likelihood"):
            _, history = _train(sample, epochs=1, cost=cost, monitor_gradients="batch")
            assert history.stopped is None and history.numerical_errors == {}, cost


def test_floating_point_problems_are_counted_and_end_in_one_message(capsys):
    x = np.linspace(-1, 1, 50).reshape(1, -1)
    net = Network([1, 20, 1], cost="quadratic", activation="relu", output_activation="linear")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        history = net.SGD((x, 1e150 * x), 3, 10, 1e10, progress=False, verbose=True)
    assert history.stopped == "diverged"
    assert history.numerical_errors.get("overflow", 0) > 0
    assert capsys.readouterr().out.count("Training diverged") == 1
    assert np.isfinite(net.feedforward(x)).all()      # the weights of the epoch's start are back


def test_training_uses_one_blas_thread(sample):
    from threadpoolctl import threadpool_info

    def blas_threads():
        return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]

    before = blas_threads()
    seen = []
    X, y = sample.train
    Network([784, 10, 10]).SGD((X[:, :100], y[:100]), 1, 10, 1.0, progress=False, verbose=False,
                               callback=lambda net, history: seen.append(blas_threads()))
    assert all(n == 1 for n in seen[0])
    assert blas_threads() == before  # put back afterwards


def test_sigmoid_takes_scalars_and_arrays_without_overflow():
    from nbhelpers.activations import sigmoid, sigmoid_prime

    assert sigmoid(0.0) == 0.5 and sigmoid_prime(0.0) == 0.25
    assert np.allclose(sigmoid(np.array([-2.0, 2.0])), 1 / (1 + np.exp([2.0, -2.0])))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert sigmoid(np.array([-1e4, 1e4])).tolist() == [0.0, 1.0]


def test_leaky_relu_checks_alpha_like_every_other_number():
    from nbhelpers.activations import LeakyReLU

    assert LeakyReLU(0.2).alpha == 0.2
    for bad in (1.0, -0.1, float("nan"), "0.1", True):
        with pytest.raises(ValueError, match=r"^alpha must be a finite number >= 0 and < 1, got "):
            LeakyReLU(bad)
