"""Radial-basis-function networks: the Gaussians, both ways of fitting, and named errors."""

import numpy as np
import pytest

from nbhelpers.lessons.rbf import RBFNetwork


def logistic_pairs(n, x0=0.3):
    x = np.empty(n + 1)
    x[0] = x0
    for t in range(n):
        x[t + 1] = 4 * x[t] * (1 - x[t])
    return x[:-1], x[1:]


def test_hidden_units_are_gaussians_of_the_distance_to_each_centre():
    centres = np.array([[0.0, 1.0], [0.0, 2.0]])          # two centres in 2-D: (0, 0) and (1, 2)
    net = RBFNetwork(centres, beta=0.5)
    X = np.array([[0.0, 1.0, 3.0], [0.0, 2.0, -1.0]])
    rho = net.hidden(X)
    expected = np.exp(-0.5 * np.array([[0, 5, 10], [5, 0, 13]]))
    assert rho.shape == (2, 3) and np.allclose(rho, expected)


def test_normalised_units_add_up_to_one_and_represent_a_constant_exactly():
    net = RBFNetwork([0.1, 0.5, 0.9], beta=6.0, normalized=True)
    x = np.linspace(-1, 2, 31)
    assert np.allclose(net.hidden(x).sum(axis=0), 1.0)
    net.weights[:] = 0.7
    assert np.allclose(net.predict(x), 0.7)
    net.weights[:] = [[1.0, 2.0, 3.0]]
    far = np.array([-100.0, 50.0])                    # far from every centre: the nearest one's weight
    assert np.allclose(net.predict(far), [1.0, 3.0])
    plain = RBFNetwork([0.1, 0.5, 0.9], beta=6.0)
    plain.weights[:] = 0.7
    assert plain.predict(np.array([5.0]))[0] < 1e-6      # unnormalised outputs die away from the centres


def test_least_squares_interpolates_when_every_training_point_is_a_centre():
    x, y = logistic_pairs(8)
    net = RBFNetwork(x, beta=20.0).fit_least_squares(x, y)
    assert np.allclose(net.predict(x), y, atol=1e-8)
    assert net.rms_error(x, y) < 1e-8


def test_least_squares_beats_any_other_weights_on_the_training_data():
    x, y = logistic_pairs(100)
    net = RBFNetwork.from_data(x, 5, beta=5.0, rng=np.random.default_rng(1)).fit_least_squares(x, y)
    best = net.rms_error(x, y)
    rng = np.random.default_rng(2)
    for _ in range(20):
        net.weights = net.weights + 0.01 * rng.standard_normal(net.weights.shape)
        assert net.rms_error(x, y) > best
    assert len(set(net.centres.ravel())) == 5                    # five different training inputs
    assert set(net.centres.ravel()) <= set(x)


def test_a_projection_step_with_eta_one_fits_the_current_example_exactly():
    net = RBFNetwork([0.2, 0.6], beta=3.0, normalized=False)
    net.fit_gradient([0.4], [0.9], eta=1.0, epochs=1)
    assert np.isclose(net.predict(np.array([0.4]))[0], 0.9)


@pytest.mark.parametrize("rule", ["projection", "lms"])
def test_gradient_descent_approaches_the_least_squares_error(rule):
    x, y = logistic_pairs(100)
    net = RBFNetwork.from_data(x, 5, beta=5.0, normalized=True)
    optimum = RBFNetwork(net.centres, 5.0, normalized=True).fit_least_squares(x, y).rms_error(x, y)
    errors = net.fit_gradient(x, y, eta=0.1 if rule == "projection" else 0.5, epochs=60, rule=rule)
    assert len(errors) == 60 and errors[-1] < errors[0]
    assert optimum <= errors[-1] < 3 * optimum + 0.03


def test_several_inputs_and_outputs():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(2, 40))
    Y = np.vstack([np.sin(X[0]), X[0] * X[1]])
    net = RBFNetwork.from_data(X, 40, beta=2.0, n_out=2).fit_least_squares(X, Y)
    assert net.predict(X).shape == (2, 40) and np.allclose(net.predict(X), Y, atol=1e-6)


@pytest.mark.parametrize("build,message", [
    (lambda: RBFNetwork("abc", 1.0), "centres must be a non-empty"),
    (lambda: RBFNetwork(np.zeros((1, 0)), 1.0), r"centres must be .* got an array of shape \(1, 0\)"),
    (lambda: RBFNetwork([[[0.0]]], 1.0), "centres must be .* shape"),
    (lambda: RBFNetwork([0.0, np.nan], 1.0), "centres contains NaN"),
    (lambda: RBFNetwork([0.0], 0.0), "beta must be a finite number > 0, got 0"),
    (lambda: RBFNetwork([0.0], 1.0, normalized="yes"), "normalized must be True or False"),
    (lambda: RBFNetwork([0.0], 1.0, n_out=0), "n_out must be a whole number >= 1"),
    (lambda: RBFNetwork.from_data([0.1, 0.2], 3, 1.0), "k must be a whole number >= 1 and <= 2"),
    (lambda: RBFNetwork([0.0, 1.0], 1.0).hidden(np.zeros((2, 3))), r"X must have 1 row\(s\)"),
    (lambda: RBFNetwork([0.0, 1.0], 1.0).fit_least_squares([0.1, 0.2], [1.0]),
     "Y must have one column of targets for each of the 2 inputs"),
    (lambda: RBFNetwork([0.0, 1.0], 1.0).fit_gradient([0.1], [1.0], eta=-1), "eta must be"),
    (lambda: RBFNetwork([0.0, 1.0], 1.0).fit_gradient([0.1], [1.0], epochs=0), "epochs must be"),
    (lambda: RBFNetwork([0.0, 1.0], 1.0).fit_gradient([0.1], [1.0], rule="newton"),
     r"rule must be one of \['projection', 'lms'\], got 'newton'"),
])
def test_bad_input_names_the_parameter(build, message):
    with pytest.raises(ValueError, match=message):
        build()
