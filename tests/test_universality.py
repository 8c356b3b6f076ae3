"""Hand-built networks of the universality lesson: bumps, towers, ReLU interpolation, gluing."""

import numpy as np
import pytest

from nbhelpers import Network
from nbhelpers.activations import sigmoid
from nbhelpers.lessons.universality import (
    bump_network,
    glue,
    relu_interpolation_network,
    step_levels,
    tower_grid_network,
    tower_network,
    weighted_output,
)

XS = np.linspace(0, 1, 2001)
X = XS.reshape(1, -1)


def _far_from(points, edges, delta=0.01):
    return np.min(np.abs(points[:, None] - np.asarray(edges)[None, :]), axis=1) >= delta


def test_bump_network_has_the_books_weights():
    net = bump_network([0.5, -2.0], [0.0, 0.25, 1.0], w=1000.0)
    assert net.sizes == [1, 4, 1]
    assert np.array_equal(net.weights[0].ravel(), [1000.0] * 4)
    assert np.array_equal(net.biases[0].ravel(), [-0.0, -250.0, -250.0, -1000.0])
    assert np.array_equal(net.weights[1].ravel(), [0.5, -0.5, -2.0, 2.0])
    assert np.array_equal(net.biases[1], [[0.0]])


def test_bump_network_weighted_output_is_the_table_of_heights():
    heights, edges = np.array([0.7, -1.2, 2.5, 0.0]), np.array([0.0, 0.1, 0.5, 0.6, 1.0])
    net = bump_network(heights, edges)
    table = weighted_output(net, X)[0]
    cell = np.searchsorted(edges, XS, side="right") - 1
    clear = _far_from(XS, edges)
    bound = 2 * np.abs(heights).sum() * sigmoid(-1000.0 * 0.01)
    assert np.abs(table[clear] - heights[cell[clear]]).max() <= bound
    assert np.allclose(net.feedforward(X), sigmoid(table))


def test_tanh_bump_with_weight_w_equals_sigmoid_bump_with_weight_2w():
    heights, edges = [1.0, -0.4, 0.3], [0.0, 0.3, 0.8, 1.0]
    tanh_net = bump_network(heights, edges, w=50.0, activation="tanh")
    sigmoid_net = bump_network(heights, edges, w=100.0)
    assert np.allclose(weighted_output(tanh_net, X), weighted_output(sigmoid_net, X), atol=1e-12)
    assert np.allclose(tanh_net.weights[1], sigmoid_net.weights[1] / 2)


def test_step_levels():
    assert step_levels("sigmoid") == (0.0, 1.0)
    assert step_levels("Tanh") == (-1.0, 1.0)


@pytest.mark.parametrize("kwargs,name", [
    (dict(heights=[], edges=[0.0]), "heights"),
    (dict(heights=[[1.0, 2.0]], edges=[0.0, 0.5, 1.0]), "heights"),
    (dict(heights=[1.0, np.nan], edges=[0.0, 0.5, 1.0]), "heights"),
    (dict(heights=["a"], edges=[0.0, 1.0]), "heights"),
    (dict(heights=[1.0, 2.0], edges=[0.0, 1.0]), "edges"),
    (dict(heights=[1.0, 2.0], edges=[0.0, 0.7, 0.5]), "edges"),
    (dict(heights=[1.0], edges=[0.0, 1.0], w=0.0), "w"),
    (dict(heights=[1.0], edges=[0.0, 1.0], w=np.inf), "w"),
    (dict(heights=[1.0], edges=[0.0, 1.0], w=True), "w"),
    (dict(heights=[1.0], edges=[0.0, 1.0], activation="relu"), "activation"),
])
def test_bump_network_rejects_bad_input_naming_the_parameter(kwargs, name):
    with pytest.raises(ValueError, match=rf"^{name} must"):
        bump_network(**kwargs)


def test_relu_is_refused_with_the_reason_and_the_valid_names():
    with pytest.raises(ValueError, match=r"\['sigmoid', 'tanh'\].*finite limits.*'relu'"):
        bump_network([1.0], [0.0, 1.0], activation="relu")


def test_tower_network_is_high_inside_and_low_outside_in_two_and_three_dimensions():
    rng = np.random.default_rng(0)
    for lows, highs in [([0.2, 0.4], [0.5, 0.9]), ([0.1, 0.3, 0.5], [0.6, 0.7, 0.9])]:
        lows, highs = np.array(lows), np.array(highs)
        net = tower_network(lows, highs, h=10.0)
        m = lows.size
        assert net.sizes == [m, 2 * m, 1]
        assert net.biases[1][0, 0] == -(m - 0.5) * 10.0
        points = rng.uniform(0, 1, size=(m, 5000))
        margin = np.minimum(points - lows[:, None], highs[:, None] - points)
        out = net.feedforward(points)[0]
        assert out[np.all(margin > 0.01, axis=0)].min() > 0.99
        assert out[np.any(margin < -0.01, axis=0)].max() < 0.01


def test_tower_network_bias_can_be_set():
    net = tower_network([0.0, 0.0], [0.5, 0.5], h=4.0, bias=-2.0)
    assert net.biases[1][0, 0] == -2.0
    assert net.feedforward(np.array([[0.25], [0.25]]))[0, 0] == pytest.approx(sigmoid(6.0), abs=1e-4)


@pytest.mark.parametrize("kwargs,name", [
    (dict(lows=[0.0, 0.5], highs=[1.0, 0.4]), "lows and highs"),
    (dict(lows=[0.0], highs=[1.0, 1.0]), "lows and highs"),
    (dict(lows=[], highs=[]), "lows"),
    (dict(lows=[0.0], highs=[1.0], w=-1.0), "w"),
    (dict(lows=[0.0], highs=[1.0], h=0), "h"),
    (dict(lows=[0.0], highs=[1.0], bias="low"), "bias"),
    (dict(lows=[0.0], highs=[1.0], bias=np.nan), "bias"),
    (dict(lows=[0.0], highs=[1.0], bias=True), "bias"),
])
def test_tower_network_rejects_bad_input_naming_the_parameter(kwargs, name):
    with pytest.raises(ValueError, match=rf"^{name} must"):
        tower_network(**kwargs)


def test_tower_grid_network_weighted_output_is_the_table_of_heights():
    heights = np.array([[1.0, -2.0, 0.5], [0.0, 3.0, -1.0]])
    x_edges, y_edges = [0.0, 0.5, 1.0], [0.0, 0.2, 0.6, 1.0]
    net = tower_grid_network(heights, x_edges, y_edges)
    assert net.sizes == [2, 7, 6, 1]
    centres = np.array([[0.25, 0.25, 0.25, 0.75, 0.75, 0.75], [0.1, 0.4, 0.8, 0.1, 0.4, 0.8]])
    h_tower = sigmoid(5.0)                      # each tower neuron is sigmoid(h/2) on its own cell
    assert np.allclose(weighted_output(net, centres)[0], heights.ravel() * h_tower, atol=0.05)
    assert np.allclose(net.feedforward(centres)[0], sigmoid(weighted_output(net, centres)[0]))


def test_tower_grid_network_rejects_bad_input_naming_the_parameter():
    with pytest.raises(ValueError, match=r"^heights must"):
        tower_grid_network([1.0, 2.0], [0.0, 1.0], [0.0, 1.0])
    with pytest.raises(ValueError, match=r"^x_edges must have 3 entries"):
        tower_grid_network(np.ones((2, 1)), [0.0, 1.0], [0.0, 1.0])
    with pytest.raises(ValueError, match=r"^y_edges must be at least two strictly increasing"):
        tower_grid_network(np.ones((1, 1)), [0.0, 1.0], [1.0, 0.0])


def test_relu_interpolation_joins_the_points_by_straight_lines():
    knots = np.array([0.0, 0.1, 0.45, 0.5, 1.0])
    values = np.array([0.3, -1.0, 2.0, 2.0, 0.5])
    net = relu_interpolation_network(knots, values)
    assert net.sizes == [1, 4, 1] and net.activation.name == "relu"
    assert np.allclose(net.feedforward(X)[0], np.interp(XS, knots, values), atol=1e-12)


def test_relu_interpolation_rejects_bad_input_naming_the_parameter():
    with pytest.raises(ValueError, match=r"^values must have one entry per knot"):
        relu_interpolation_network([0.0, 0.5, 1.0], [1.0, 2.0])
    with pytest.raises(ValueError, match=r"^knots must be at least two"):
        relu_interpolation_network([0.0], [1.0])


def test_glue_adds_the_weighted_outputs_of_one_hidden_layer_networks():
    a = bump_network([1.0, 2.0], [0.0, 0.3, 0.6])
    b = bump_network([-0.5], [0.2, 0.9])
    b.biases[1][:] = 0.25
    glued = glue([a, b])
    assert glued.sizes == [1, 6, 1] and glued.biases[1][0, 0] == 0.25
    assert np.allclose(weighted_output(glued, X), weighted_output(a, X) + weighted_output(b, X))


def test_glue_keeps_deeper_parts_apart():
    a = tower_grid_network(np.array([[1.0, -1.0]]), [0.0, 1.0], [0.0, 0.5, 1.0])
    b = tower_grid_network(np.array([[2.0], [0.5]]), [0.0, 0.4, 1.0], [0.0, 1.0])
    glued = glue([a, b])
    assert glued.sizes == [2, a.sizes[1] + b.sizes[1], a.sizes[2] + b.sizes[2], 1]
    points = np.random.default_rng(1).uniform(0, 1, size=(2, 50))
    parts = weighted_output(a, points) + weighted_output(b, points)
    assert np.allclose(weighted_output(glued, points), parts)


def test_glue_without_hidden_layers_adds_the_weights():
    a, b = Network([3, 2], seed=1), Network([3, 2], seed=2)
    x = np.random.default_rng(0).normal(size=(3, 4))
    assert np.allclose(weighted_output(glue([a, b]), x), weighted_output(a, x) + weighted_output(b, x))


def test_glue_leaves_the_parts_unchanged():
    a = bump_network([1.0], [0.0, 1.0])
    before = [w.copy() for w in a.weights]
    glue([a, a])
    assert all(np.array_equal(w, v) for w, v in zip(a.weights, before))


def test_glue_rejects_networks_that_do_not_fit_together():
    with pytest.raises(ValueError, match=r"^networks must be a non-empty list"):
        glue([])
    with pytest.raises(ValueError, match=r"^networks must be a non-empty list"):
        glue([bump_network([1.0], [0.0, 1.0]), "net"])
    with pytest.raises(ValueError, match=r"^networks must share depth"):
        glue([Network([1, 2, 1]), Network([1, 2, 2, 1])])
    with pytest.raises(ValueError, match=r"^networks must share .* activations"):
        glue([Network([1, 2, 1]), Network([1, 2, 1], activation="tanh")])


def test_weighted_output_rejects_bad_input_naming_the_parameter():
    net = Network([2, 3, 1])
    with pytest.raises(ValueError, match=r"^x must have shape \(2, m\)"):
        weighted_output(net, np.zeros(2))
    with pytest.raises(ValueError, match=r"^net must be a Network"):
        weighted_output("net", np.zeros((2, 1)))
