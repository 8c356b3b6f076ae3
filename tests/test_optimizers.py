"""Optimisers: each rule against a hand-written reference over several steps, against torch.optim
when PyTorch is installed, the book's SGD rule exactly, and their use from SGD(...)."""

import numpy as np
import pytest

from nbhelpers import Network
from nbhelpers.optimizers import OPTIMIZERS, SGD, Adam, Momentum, get_optimizer
from nbhelpers.regularization import L1, L2

RNG = np.random.default_rng(3)
W0 = RNG.standard_normal((3, 4))
GRADS = [RNG.standard_normal((3, 4)) for _ in range(6)]


def reference(name, eta, w, grads, **s):
    """The update rules written out one at a time, independently of nbhelpers."""
    w = w.copy()
    v = np.zeros_like(w)
    m = np.zeros_like(w)
    for t, g in enumerate(grads, start=1):
        if name == "sgd":
            w = w - eta * g
        elif name == "momentum":
            v = s["mu"] * v - eta * g
            w = w + v
        elif name == "nesterov":
            v = s["mu"] * v - eta * g
            w = w + s["mu"] * v - eta * g
        elif name == "adagrad":
            v = v + g ** 2
            w = w - eta * g / (np.sqrt(v) + s["epsilon"])
        elif name == "rmsprop":
            v = s["rho"] * v + (1 - s["rho"]) * g ** 2
            w = w - eta * g / (np.sqrt(v) + s["epsilon"])
        elif name == "adam":
            m = s["beta1"] * m + (1 - s["beta1"]) * g
            v = s["beta2"] * v + (1 - s["beta2"]) * g ** 2
            w = w - eta * (m / (1 - s["beta1"] ** t)) / (np.sqrt(v / (1 - s["beta2"] ** t)) + s["epsilon"])
    return w


SETTINGS = {"sgd": {}, "momentum": {"mu": 0.8}, "nesterov": {"mu": 0.7},
            "adagrad": {"epsilon": 1e-10}, "rmsprop": {"rho": 0.95, "epsilon": 1e-8},
            "adam": {"beta1": 0.85, "beta2": 0.99, "epsilon": 1e-8}}


def test_the_table_lists_every_optimiser():
    assert set(OPTIMIZERS) == set(SETTINGS)


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_each_rule_matches_its_hand_written_reference(name):
    optimizer = get_optimizer(name, eta=0.05, **SETTINGS[name])
    w = W0.copy()
    for g in GRADS:
        optimizer.update("w", w, g)
    assert np.allclose(w, reference(name, 0.05, W0, GRADS, **SETTINGS[name]), rtol=1e-12, atol=1e-14)
    assert not np.allclose(w, W0)


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_step_on_a_network_equals_update_with_the_penalty_gradient(name):
    """step() adds (lmbda/n) w to weight gradients only, and keeps state per parameter."""
    net = Network([4, 3, 2], cost="cross_entropy", seed=1)
    twin = net.copy()
    x, y = RNG.standard_normal((4, 5)), np.eye(2)[:, RNG.integers(0, 2, 5)]
    optimizer = get_optimizer(name, eta=0.1, **SETTINGS[name])
    optimizer.penalty = L2(2.0, 50)
    by_hand = get_optimizer(name, eta=0.1, **SETTINGS[name])
    for _ in range(3):
        net.gradient(x, y)
        optimizer.step(net.parameters())
        twin.gradient(x, y)
        for key, p in enumerate(twin.parameters()):
            grad = p.grad + (2.0 / 50) * p.value if p.decay else p.grad
            by_hand.update(key, p.value, grad)
    for a, b in zip(net.weights + net.biases, twin.weights + twin.biases):
        assert np.allclose(a, b, rtol=1e-12, atol=1e-14)


def test_book_update_rule_holds_to_1e_12():
    """w -> (1 - eta lmbda / n) w - eta dC0/dw and b -> b - eta dC0/db, through the training path."""
    net = Network([4, 5, 3], seed=0)
    x, y = RNG.standard_normal((4, 6)), np.eye(3)[:, RNG.integers(0, 3, 6)]
    eta, lmbda, n = 0.7, 2.0, 50
    nabla_b, nabla_w = net.backprop_batch(x, y)
    before_w, before_b = [w.copy() for w in net.weights], [b.copy() for b in net.biases]
    net.update_mini_batch(x, y, eta, lmbda, n)
    for l in range(2):
        book_w = (1 - eta * lmbda / n) * before_w[l] - eta * nabla_w[l]
        assert np.max(np.abs(net.weights[l] - book_w)) < 1e-12
        assert np.max(np.abs(net.biases[l] - (before_b[l] - eta * nabla_b[l]))) < 1e-12


def test_the_fused_sgd_step_is_the_books_step_and_leaves_gradients_behind():
    """Plain SGD's fast form (backpropagating -eta times the error) takes exactly the step of
    gradient-then-step, with weight decay, and after unfuse the layers hold dC/dp again."""
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal((4, 6)), rng.random((3, 6))
    fused, plain = Network([4, 5, 3], seed=1), Network([4, 5, 3], seed=1)
    optimizer = SGD(0.7)
    optimizer.penalty = L2(2.0, 10)
    optimizer.fused_step(fused, x, y, fused.parameters())
    plain.gradient(x, y)
    gradients = [p.grad.copy() for p in plain.parameters()]
    optimizer.step(plain.parameters())
    assert all(np.allclose(a.value, b.value) for a, b in zip(fused.parameters(), plain.parameters()))
    assert not np.allclose(fused.parameters()[0].grad, gradients[0])   # steps, until...
    optimizer.unfuse(fused.parameters())
    assert all(np.allclose(p.grad, g) for p, g in zip(fused.parameters(), gradients))


def test_l1_step_subtracts_the_sign():
    w = np.array([[0.5, -0.25, 0.0]])
    L1(3.0, 10).shrink(w, 0.5)
    assert np.allclose(w, [[0.5 - 0.15, -0.25 + 0.15, 0.0]])


@pytest.mark.parametrize("name", ["momentum", "nesterov", "adagrad", "rmsprop", "adam"])
def test_every_optimiser_trains_the_sample(name, sample):
    X, y = sample.train
    eta = {"momentum": 0.1, "nesterov": 0.1, "adagrad": 0.05, "rmsprop": 0.01, "adam": 0.01}[name]
    net = Network([784, 30, 10], cost="cross_entropy")
    history = net.SGD((X[:, :1000], y[:1000]), 2, 10, eta, evaluation_data=sample.validation,
                      optimizer=name, progress=False, verbose=False)
    assert history.evaluation_accuracy[-1] > 0.8, (name, history.evaluation_accuracy)


def test_schedules_set_the_rate_of_any_optimiser(sample):
    from nbhelpers.schedules import StepDecay

    X, y = sample.train
    optimizer = Adam()
    Network([784, 10, 10]).SGD((X[:, :100], y[:100]), 3, 10, 0.01, optimizer=optimizer,
                               schedule=StepDecay(0.01, factor=0.5, every=1), progress=False,
                               verbose=False)
    assert optimizer.eta == pytest.approx(0.0025)


@pytest.mark.parametrize("call,message", [
    (lambda: get_optimizer("lbfgs"), r"optimizer must be one of \['adagrad', 'adam', 'momentum', "
                                     r"'nesterov', 'rmsprop', 'sgd'\] or an Optimizer object, got 'lbfgs'"),
    (lambda: get_optimizer("adam", beta3=0.5), "optimizer 'adam' does not take these settings"),
    (lambda: Momentum(mu=1.0), r"mu must be a finite number >= 0 and < 1, got 1.0"),
    (lambda: SGD(eta=0), "eta must be a finite number > 0, got 0"),
    (lambda: get_optimizer(Adam(), mu=0.9), "can only be given with an optimizer name"),
])
def test_bad_optimiser_arguments_are_named(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_names_are_looked_up_like_costs():
    assert isinstance(get_optimizer("Adam"), Adam)
    optimizer = Momentum(mu=0.5)
    assert get_optimizer(optimizer, eta=0.3) is optimizer and optimizer.eta == 0.3


TORCH = {"sgd": ("SGD", {}), "momentum": ("SGD", {"momentum": 0.8}),
         "nesterov": ("SGD", {"momentum": 0.7, "nesterov": True}),
         "adagrad": ("Adagrad", {"eps": 1e-10}), "rmsprop": ("RMSprop", {"alpha": 0.95, "eps": 1e-8}),
         "adam": ("Adam", {"betas": (0.85, 0.99), "eps": 1e-8})}


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_each_rule_matches_torch_optim(name):
    torch = pytest.importorskip("torch")
    optimizer = get_optimizer(name, eta=0.05, **SETTINGS[name])
    w = W0.copy()
    tw = torch.tensor(W0, requires_grad=True)
    cls, kwargs = TORCH[name]
    t_opt = getattr(torch.optim, cls)([tw], lr=0.05, **kwargs)
    for g in GRADS:
        optimizer.update("w", w, g)
        tw.grad = torch.tensor(g)
        t_opt.step()
    # momentum in PyTorch keeps b = mu b + g and steps -lr b: the same as v = mu v - eta g
    assert np.allclose(w, tw.detach().numpy(), rtol=1e-10, atol=1e-12)
