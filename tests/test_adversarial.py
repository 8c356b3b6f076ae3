"""Tests for nbhelpers.lessons.adversarial: the input gradient (checked numerically) and adversarial
images."""

import numpy as np
import pytest

from nbhelpers import Network
from nbhelpers.gradcheck import numerical_gradient
from nbhelpers.layers import Conv2D, Dense, Dropout, Flatten, MaxPool2D
from nbhelpers.lessons.adversarial import adversarial, input_gradient


def small_conv_net():
    layers = [Conv2D(1, 3, 5, "relu"), MaxPool2D(2), Flatten(), Dropout(0.5),
              Dense(3 * 12 * 12, 10, "softmax")]
    return Network(layers, cost="log_likelihood", input_shape=(1, 28, 28), seed=2)


@pytest.mark.parametrize("make", [small_conv_net,
                                  lambda: Network([784, 12, 10], cost="cross_entropy", seed=1)])
def test_input_gradient_agrees_with_finite_differences(sample, make):
    net = make()
    X, labels = sample.test[0][:, :3].copy(), sample.test[1][:3]
    grad = input_gradient(net, X, labels)
    assert grad.shape == X.shape
    _, Y, _ = net.prepare((X, labels))
    rng = np.random.default_rng(0)
    for i in range(3):   # each column is the gradient of that example's own cost, dropout off
        x, y = X[:, i:i + 1], Y[:, i:i + 1]
        pixels = [(p, 0) for p in rng.choice(np.flatnonzero(x[:, 0] > 0.2), 15, replace=False)]
        numeric = numerical_gradient(lambda x=x, y=y: net.cost.fn(net.forward(x), y), x, 1e-6, pixels)
        rows = [p for p, _ in pixels]
        np.testing.assert_allclose(grad[rows, i], numeric[rows, 0], rtol=1e-4, atol=1e-9)


@pytest.fixture(scope="module")
def trained(sample):
    net = Network([784, 30, 10], cost="cross_entropy", seed=0)
    net.SGD(sample.train, 3, 10, 0.5, progress=False, verbose=False)
    return net


def test_small_changes_fool_a_trained_network(sample, trained):
    X, y = sample.test
    right = np.flatnonzero(trained.predict(X) == y)[:40]
    X, y = X[:, right], y[right]
    X_adv, fooled = adversarial(trained, X, y, epsilon=0.2, step=0.02)
    assert fooled.mean() >= 0.9
    assert np.abs(X_adv - X).max() <= 0.2 + 1e-12          # no pixel moved more than epsilon
    assert X_adv.min() >= 0.0 and X_adv.max() <= 1.0
    np.testing.assert_array_equal(trained.predict(X_adv) != y, fooled)
    # random changes of the same size change far fewer answers
    noise = np.clip(X + 0.2 * np.sign(np.random.default_rng(0).standard_normal(X.shape)), 0, 1)
    assert (trained.predict(noise) != y).mean() < 0.25


def test_a_tiny_budget_fools_fewer(sample, trained):
    X, y = sample.test[0][:, :40], sample.test[1][:40]
    _, small = adversarial(trained, X, y, epsilon=0.005, step=0.005)
    _, large = adversarial(trained, X, y, epsilon=0.2, step=0.02)
    assert small.sum() < large.sum()


def test_bad_arguments(sample, trained):
    X, y = sample.test[0][:, :2], sample.test[1][:2]
    with pytest.raises(ValueError, match="epsilon must be"):
        adversarial(trained, X, y, epsilon=0)
    with pytest.raises(ValueError, match="max_steps must be"):
        adversarial(trained, X, y, max_steps=0)
