"""The layer contract (``nbhelpers.layers.base``): a learner's layer works by subclassing ``Layer``.

The layers below are written as lesson 10 asks a learner to write one: a subclass of ``Layer``
that declares its parameters and defines ``forward`` and the backward pass (``backward_delta`` for
a layer that ends in an activation, ``backward`` for one that does not), and nothing else. The
engine must check them, train them (with every optimiser, dropout and weight decay), and explain
why it cannot save them.
"""

import ast
from pathlib import Path

import numpy as np
import pytest

from nbhelpers import Network
from nbhelpers.activations import get_activation
from nbhelpers.gradcheck import check_layer, gradcheck
from nbhelpers.layers import Layer

ROOT = Path(__file__).resolve().parents[1]


class Affine(Layer):
    """A fully connected layer of the learner's own: z = w @ a + b, a' = activation(z)."""

    params = ("w", "b")
    decay = ("w",)

    def __init__(self, n_in, n_out, activation="sigmoid"):
        self.activation = get_activation(activation)
        self.w, self.b = np.zeros((n_out, n_in)), np.zeros((n_out, 1))
        self.nabla_w, self.nabla_b = np.zeros_like(self.w), np.zeros_like(self.b)

    @property
    def fixed_input_shape(self):       # optional: the network then needs no input_shape
        return (self.w.shape[1],)

    def output_shape(self, input_shape):
        return (self.w.shape[0],)

    def forward(self, a, training=False):
        self.a_in = a
        self.z = self.w @ a + self.b
        self.a = self.activation.fn(self.z)
        return self.a

    def backward_delta(self, delta, input_grad=True):
        self.nabla_w[...] = delta @ self.a_in.T
        self.nabla_b[...] = delta.sum(axis=1, keepdims=True)
        return self.w.T @ delta if input_grad else None


class Gain(Layer):
    """A learned gain per neuron, no activation: a' = s * a."""

    params = ("s",)

    def __init__(self, n):
        self.s, self.nabla_s = np.ones((n, 1)), np.zeros((n, 1))

    def forward(self, a, training=False):
        self.a_in = a
        return self.s * a

    def backward(self, grad, input_grad=True):
        self.nabla_s[...] = (grad * self.a_in).sum(axis=1, keepdims=True)
        return self.s * grad if input_grad else None


class Noise(Layer):
    """Gaussian noise added while training: it draws random numbers, so it declares ``random``
    and reuses its draw while ``frozen``."""

    random = True

    def __init__(self, sigma):
        self.sigma, self.noise = sigma, None

    def forward(self, a, training=False):
        if not training:
            return a
        if not (self.frozen and self.noise is not None and self.noise.shape == a.shape):
            self.noise = self.sigma * self.rng.standard_normal(a.shape)
        return a + self.noise

    def backward(self, grad, input_grad=True):
        return grad


def _net(n_in=4, hidden=6, n_out=3, seed=0):
    return Network([Affine(n_in, hidden, "tanh"), Noise(0.3), Gain(hidden),
                    Affine(hidden, n_out, "sigmoid")], cost="cross_entropy", seed=seed)


def test_a_learners_layers_pass_the_gradient_checks():
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((4, 5)), rng.random((3, 5))
    net = _net()
    assert net.layers[0].w.std() > 0             # drawn by the network's initialiser
    assert gradcheck(net, x, y).passed(1e-6)
    affine = Affine(4, 3, "tanh")
    affine.w[...], affine.b[...] = rng.standard_normal((3, 4)), rng.standard_normal((3, 1))
    for layer in (affine, Gain(4), Noise(0.3)):
        assert check_layer(layer, x).passed(1e-6), type(layer).__name__


@pytest.mark.parametrize("options", [dict(optimizer="sgd", lmbda=1.0, dropout=0.2),
                                     dict(optimizer="momentum", eta=0.05), dict(optimizer="adam", eta=0.01)])
def test_a_learners_layers_train(sample, options):
    X, y = sample.train
    options = {"eta": 0.5, **options}
    net = Network([Affine(784, 30), Noise(0.05), Gain(30), Affine(30, 10)], cost="cross_entropy")
    history = net.SGD((X[:, :1000], y[:1000]), 4, 10, options.pop("eta"),
                      evaluation_data=sample.validation, progress=False, verbose=False, **options)
    assert history.stopped is None and history.numerical_errors == {}
    assert history.training_cost[-1] < history.training_cost[0]
    assert history.evaluation_accuracy[-1] > 0.75
    assert not np.allclose(net.layers[2].s, 1.0)      # the gain learned too
    # in use the noise is off: the same input always gives the same output
    assert np.array_equal(net.feedforward(X[:, :5]), net.feedforward(X[:, :5]))


def test_a_learners_layer_is_refused_where_it_breaks_the_contract(tmp_path):
    with pytest.raises(ValueError, match="ending in a layer with an activation"):
        Network([Affine(4, 3), Gain(3)])
    with pytest.raises(ValueError, match=r"layers\[0\] \(Affine, kind 'layer'\) cannot be saved"):
        _net().save(tmp_path / "net.json")
    assert not (tmp_path / "net.json").exists()

    class Forgetful(Layer):      # neither backward nor an activation: says what is missing
        def forward(self, a, training=False):
            return a

    with pytest.raises(NotImplementedError, match="must define backward"):
        Forgetful().backward(np.zeros((2, 1)))


def test_nothing_probes_a_layer_for_optional_attributes():
    """The contract is declared in layers/base.py: the rest of the package never asks a layer
    whether it has something (hasattr, or getattr with a default)."""
    offenders = []
    for path in (ROOT / "nbhelpers").rglob("*.py"):
        if path.parent.name == "feedback":      # graded student code, not layers
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and (
                    node.func.id == "hasattr" or (node.func.id == "getattr" and len(node.args) == 3)):
                subject = ast.unparse(node.args[0])
                if "layer" in subject or subject in ("last", "first", "self"):
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(node)}")
    assert not offenders, "\n".join(offenders)
