"""The recurrent layers (RNN, LSTM): backpropagation through time against finite differences and
(when PyTorch is installed) against torch.nn.RNN / nn.LSTM to 1e-10; truncation; training with the
engine's optimisers, callbacks, gradient monitor and clipping; saving; bad input."""

import json

import numpy as np
import pytest

from nbhelpers import Network, gradcheck
from nbhelpers.gradcheck import check_layer
from nbhelpers.layers import LSTM, RNN, Dense, get_layer
from nbhelpers.optimizers import clip_gradients

RNG = np.random.default_rng(7)
KINDS = {"rnn": RNN, "lstm": LSTM}


def randomised(layer, scale=0.6, rng=RNG):
    for name in layer.params:
        setattr(layer, name, scale * rng.standard_normal(getattr(layer, name).shape))
    return layer


def recurrent_net(kind, sequence_layer=True, seed=0, steps=6, n_in=3):
    """A stacked recurrent network: a layer returning every state, then one returning the last."""
    cls = KINDS[kind]
    layers = ([cls(n_in, 5, sequence=True)] if sequence_layer else []) + \
        [cls(5 if sequence_layer else n_in, 4), Dense(4, 3, "softmax")]
    return Network(layers, cost="log_likelihood", input_shape=(n_in, steps), seed=seed)


def first_symbol(steps, n, seed):
    """The memory task of lesson 13: a symbol (one of 2) at step 1, then noise; say the symbol."""
    rng = np.random.default_rng(seed)
    symbols = rng.integers(0, 2, n)
    x = np.zeros((4, steps, n))
    x[symbols, 0, np.arange(n)] = 1.0
    x[2:] = rng.choice([-1.0, 1.0], (2, steps, n))
    return x.reshape(4 * steps, n), symbols


# ----------------------------------------------------------------------------- gradients

@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("sequence", [False, True])
def test_backpropagation_through_time_matches_finite_differences(kind, sequence):
    layer = randomised(KINDS[kind](3, 4, sequence=sequence))
    report = check_layer(layer, RNG.standard_normal((3, 7, 5)))
    assert report.passed(1e-7), str(report)
    assert report.checked == 3 * 7 * 5 + sum(p.value.size for p in layer.parameters())


@pytest.mark.parametrize("kind", KINDS)
def test_a_stacked_recurrent_network_passes_gradcheck(kind):
    net = recurrent_net(kind)
    x, y = RNG.standard_normal((18, 6)), RNG.integers(0, 3, 6)
    report = gradcheck(net, x, net.prepare((x, y)).Y)
    assert report.passed(1e-7), str(report)


@pytest.mark.parametrize("kind", KINDS)
def test_gradcheck_catches_a_broken_recursion(kind, monkeypatch):
    # BPTT1 without the error carried back through u: only the last step's terms remain
    layer = randomised(KINDS[kind](3, 4))
    x = RNG.standard_normal((3, 5, 4))
    assert check_layer(layer, x).passed(1e-7)
    monkeypatch.setattr(KINDS[kind], "_cut", lambda self, t, steps: True)
    assert check_layer(layer, x).max_relative_error > 1e-2


def test_gradcheck_catches_a_broken_gate_derivative(monkeypatch):
    layer = randomised(LSTM(3, 4))
    x = RNG.standard_normal((3, 5, 4))
    original = layer.sigmoid.backward
    monkeypatch.setattr(layer.sigmoid, "backward", lambda z, a, g: g * a)   # sigma' = sigma: wrong
    assert check_layer(layer, x).max_relative_error > 1e-2
    monkeypatch.setattr(layer.sigmoid, "backward", original)
    assert check_layer(layer, x).passed(1e-7)


@pytest.mark.parametrize("kind", KINDS)
def test_truncated_bptt_keeps_the_last_k_steps_of_the_full_gradient(kind):
    steps, k = 9, 4
    x, g = RNG.standard_normal((3, steps, 5)), RNG.standard_normal((4, 5))
    full = randomised(KINDS[kind](3, 4), rng=np.random.default_rng(1))
    cut = randomised(KINDS[kind](3, 4, truncate=k), rng=np.random.default_rng(1))
    assert np.array_equal(full.forward(x), cut.forward(x))      # the forward pass is unchanged
    full.backward(g)
    cut.backward(g)
    last = slice(steps - k, steps)
    assert np.allclose(cut.dh[last], full.dh[last], rtol=1e-12, atol=0)
    assert not cut.dh[:steps - k].any() and full.dh[:steps - k].any()
    xs = np.moveaxis(x, 1, 0)
    expected_w = sum(full.delta[t] @ xs[t].T for t in range(steps - k, steps))
    expected_u = sum(full.delta[t] @ full.hs[t].T for t in range(steps - k, steps))
    assert np.allclose(cut.nabla_w, expected_w, rtol=1e-12, atol=1e-15)
    assert np.allclose(cut.nabla_u, expected_u, rtol=1e-12, atol=1e-15)
    longer = randomised(KINDS[kind](3, 4, truncate=steps), rng=np.random.default_rng(1))
    longer.forward(x)
    longer.backward(g)
    assert np.array_equal(longer.nabla_w, full.nabla_w)        # k >= T: full BPTT


def test_the_time_gradient_is_the_product_of_the_jacobians():
    layer = randomised(RNN(2, 3))
    x = RNG.standard_normal((2, 6, 1))
    g = RNG.standard_normal((3, 1))
    layer.forward(x)
    layer.backward(g)
    dh = g[:, 0]
    for t in range(5, -1, -1):             # dC/dh_t = J_{t+1}^T dC/dh_{t+1}, J = diag(tanh') u
        assert np.allclose(layer.dh[t, :, 0], dh, rtol=1e-12, atol=1e-15)
        if t:
            dh = layer.u.T @ ((1 - layer.hs[t + 1, :, 0] ** 2) * dh)     # hs[t + 1] = h_t
    assert np.allclose(layer.time_gradient_norms(), np.linalg.norm(layer.dh[:, :, 0], axis=1))


# ----------------------------------------------------------------------------- with PyTorch

@pytest.fixture(scope="module")
def torch():
    from nbhelpers.lessons.torch_bridge import torch_available

    if not torch_available():
        pytest.skip("PyTorch is not installed (pip install -e .[torch])")
    import torch
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield torch
    torch.set_num_threads(threads)


@pytest.mark.parametrize("kind", KINDS)
def test_forward_and_gradients_equal_pytorch(torch, kind):
    from nbhelpers.lessons.torch_bridge import from_torch_batch, to_torch, to_torch_batch, torch_cost

    net = recurrent_net(kind, seed=3)
    for layer in net.layers[:2]:
        randomised(layer, 0.8)
    x, labels = RNG.standard_normal((18, 5)), RNG.integers(0, 3, 5)
    targets = net.prepare((x, labels)).Y
    out = net.gradient(x, targets)
    model = to_torch(net)
    assert isinstance(model[0], {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM}[kind])
    tx = to_torch_batch(x, shape=net.input_shape).requires_grad_(True)
    t_out = model(tx)
    torch_cost("log_likelihood")(t_out, torch.from_numpy(labels)).backward()
    assert np.allclose(from_torch_batch(t_out), out, rtol=0, atol=1e-10)
    for index in (0, 1):
        ours, theirs = net.layers[index], model[index]
        assert np.allclose(theirs.weight_ih_l0.grad.numpy(), ours.nabla_w, rtol=0, atol=1e-10)
        assert np.allclose(theirs.weight_hh_l0.grad.numpy(), ours.nabla_u, rtol=0, atol=1e-10)
        for bias in (theirs.bias_ih_l0, theirs.bias_hh_l0):
            assert np.allclose(bias.grad.numpy(), ours.nabla_b[:, 0], rtol=0, atol=1e-10)
    grad_x = net.input_gradient(x, targets) / x.shape[1]       # of the mean cost, as torch's
    assert np.allclose(from_torch_batch(tx.grad).reshape(grad_x.shape), grad_x, rtol=0, atol=1e-10)


@pytest.mark.parametrize("kind", KINDS)
def test_the_bridge_round_trip_and_torch_biases_add_up(torch, kind):
    from nbhelpers.lessons.torch_bridge import from_torch, to_torch

    net = recurrent_net(kind, seed=4)
    model = to_torch(net)
    assert not model[0].bias_hh_l0.detach().any()
    back = from_torch(model, net)
    for a, b in zip(net.parameters(), back.parameters()):
        assert np.array_equal(a.value, b.value)
    with torch.no_grad():
        model[0].bias_hh_l0.fill_(0.25)
    moved = from_torch(model, net)
    assert np.allclose(moved.layers[0].b[:, 0], model[0].bias_ih_l0.detach().numpy() + 0.25)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("sequence", [False, True])
def test_truncated_bptt_equals_pytorch_with_the_state_detached(torch, kind, sequence):
    steps, k, m = 10, 3, 4
    layer = randomised(KINDS[kind](3, 4, sequence=sequence, truncate=k))
    x = RNG.standard_normal((3, steps, m))
    out = layer.forward(x)
    g = RNG.standard_normal(out.shape)
    layer.backward(g)
    twin = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM}[kind](3, 4, batch_first=True,
                                                            dtype=torch.float64)
    with torch.no_grad():
        twin.weight_ih_l0.copy_(torch.from_numpy(layer.w))
        twin.weight_hh_l0.copy_(torch.from_numpy(layer.u))
        twin.bias_ih_l0.copy_(torch.from_numpy(layer.b[:, 0]))
        twin.bias_hh_l0.zero_()
    tx = torch.from_numpy(np.ascontiguousarray(np.moveaxis(x, (2, 1, 0), (0, 1, 2))))  # (m, T, n)
    state, outputs, start = None, [], steps % k          # blocks of k steps ending at the last
    for lo, hi in ([(0, start)] if start else []) + [(s, s + k) for s in range(start, steps, k)]:
        if state is not None:
            state = tuple(s.detach() for s in state) if kind == "lstm" else state.detach()
        piece, state = twin(tx[:, lo:hi], state)
        outputs.append(piece)
    states = torch.cat(outputs, dim=1)                    # (m, T, n_hidden)
    result = states.transpose(1, 2) if sequence else states[:, -1]
    result.backward(torch.from_numpy(np.ascontiguousarray(np.moveaxis(g, -1, 0))))
    assert np.allclose(np.moveaxis(result.detach().numpy(), 0, -1), out, atol=1e-10)
    assert np.allclose(twin.weight_ih_l0.grad.numpy(), layer.nabla_w, rtol=0, atol=1e-10)
    assert np.allclose(twin.weight_hh_l0.grad.numpy(), layer.nabla_u, rtol=0, atol=1e-10)
    assert np.allclose(twin.bias_ih_l0.grad.numpy(), layer.nabla_b[:, 0], rtol=0, atol=1e-10)


# ----------------------------------------------------------------------------- in the engine

@pytest.mark.parametrize("kind", KINDS)
def test_a_recurrent_network_learns_the_memory_task_with_the_engines_tools(kind):
    x, y = first_symbol(6, 600, seed=0)
    vx, vy = first_symbol(6, 200, seed=1)
    net = Network([KINDS[kind](4, 8), Dense(8, 2, "softmax")], cost="log_likelihood",
                  input_shape=(4, 6), seed=0)
    seen = []
    history = net.SGD((x, y), 12, 20, 0.02, evaluation_data=(vx, vy), optimizer="adam",
                      monitor_gradients="epoch", callback=lambda n, h: seen.append(len(h)),
                      progress=False, verbose=False)
    assert history.evaluation_accuracy[-1] > 0.95 and seen == list(range(1, 13))
    assert len(history.time_gradient_norms) == 13            # before training, then every epoch
    assert [len(steps) for steps in history.time_gradient_norms[0]] == [6]
    net.gradient(x[:, :1000], net.prepare((x, y)).Y[:, :1000])   # the monitor's probe: all 600
    assert np.allclose(history.time_gradient_norms[-1][0], net.layers[0].time_gradient_norms())


def test_batch_monitoring_and_gradient_clipping():
    x, y = first_symbol(5, 200, seed=2)
    net = Network([RNN(4, 6), Dense(6, 2, "softmax")], cost="log_likelihood", input_shape=(4, 5))
    history = net.SGD((x, y), 2, 20, 0.1, clip=1e-3, monitor_gradients="batch",
                      progress=False, verbose=False)
    assert history.clipped_steps == [10, 10]                   # every gradient is longer than that
    lengths = [np.sqrt(sum(n ** 2 for n in norms)) for norms in history.batch_gradient_norms]
    assert len(history.batch_time_gradient_norms) == 20 and max(lengths) <= 1e-3 * (1 + 1e-9)
    plain = Network([RNN(4, 6), Dense(6, 2, "softmax")], cost="log_likelihood", input_shape=(4, 5))
    assert plain.SGD((x, y), 1, 20, 0.1, progress=False, verbose=False).clipped_steps == []


def test_clip_gradients_shortens_only_long_gradients_and_keeps_their_direction():
    net = recurrent_net("rnn")
    x, y = RNG.standard_normal((18, 4)), RNG.integers(0, 3, 4)
    net.gradient(x, net.prepare((x, y)).Y)
    before = [p.grad.copy() for p in net.parameters()]
    length = np.sqrt(sum(np.sum(g ** 2) for g in before))
    assert not clip_gradients(net.parameters(), 2 * length)
    assert all(np.array_equal(p.grad, g) for p, g in zip(net.parameters(), before))
    assert clip_gradients(net.parameters(), length / 4)
    for p, g in zip(net.parameters(), before):
        assert np.allclose(p.grad, g / 4, rtol=1e-12)
    for bad in (0, -1.0, float("nan"), "5", True):
        with pytest.raises(ValueError, match="clip must be a finite number > 0"):
            net.SGD((x, y), 1, 2, 0.1, clip=bad, progress=False, verbose=False)


def test_the_initialiser_draws_the_recurrent_weights_and_weight_decay_counts_them():
    net = Network([RNN(3, 50), Dense(50, 2, "softmax")], cost="log_likelihood", input_shape=(3, 4))
    u = net.layers[0].u
    assert abs(u.std() * np.sqrt(50) - 1) < 0.1                 # "default": N(0, 1/n_in), n_in = 50
    lstm = Network([LSTM(3, 20), Dense(20, 2, "softmax")], cost="log_likelihood",
                   input_shape=(3, 4), init="xavier").layers[0]
    assert abs(np.abs(lstm.u).max() - np.sqrt(6 / 100)) < 0.01   # fan-in 20, fan-out 80
    x, y = RNG.standard_normal((12, 5)), RNG.integers(0, 2, 5)
    plain = net.total_cost((x, y))
    weights = sum(float(np.sum(p.value ** 2)) for p in net.parameters() if p.decay)
    assert np.isclose(net.total_cost((x, y), lmbda=2.0) - plain, 0.5 * 2.0 / 5 * weights)


def test_lstm_split_gives_views_of_the_four_blocks():
    lstm = LSTM(2, 3)
    i, f, g, o = lstm.split(lstm.b)
    f[...] = 1.0
    assert lstm.b[3:6].tolist() == [[1.0]] * 3 and not lstm.b[:3].any() and not lstm.b[6:].any()
    assert [block.shape for block in lstm.split(lstm.w)] == [(3, 2)] * 4


@pytest.mark.parametrize("suffix", [".json", ".npz"])
@pytest.mark.parametrize("kind", KINDS)
def test_recurrent_networks_save_and_load_exactly(tmp_path, suffix, kind):
    net = Network([KINDS[kind](3, 5, sequence=True, truncate=2), KINDS[kind](5, 4), Dense(4, 3, "softmax")],
                  cost="log_likelihood", input_shape=(3, 6), seed=2, dtype=np.float32)
    net.save(tmp_path / f"net{suffix}")
    loaded = Network.load(tmp_path / f"net{suffix}")
    assert [layer.config() for layer in loaded.layers] == [layer.config() for layer in net.layers]
    assert loaded.input_shape == (3, 6) and loaded.dtype == np.float32
    for a, b in zip(loaded.parameters(), net.parameters()):
        assert a.value.dtype == b.value.dtype and np.array_equal(a.value, b.value)
    x = RNG.standard_normal((18, 5))
    assert np.array_equal(loaded.feedforward(x), net.feedforward(x))


@pytest.mark.parametrize("change,message", [
    (lambda c: c.update(sequence="yes"), "sequence must be True or False"),
    (lambda c: c.update(truncate=0), "truncate must be a whole number >= 1"),
    (lambda c: c.update(n_hidden=10**9), "n_in, n_hidden|more than the limit"),
    (lambda c: c.update(cells=3), "unexpected keyword|cells"),
])
def test_a_saved_recurrent_layer_with_bad_settings_is_refused(tmp_path, change, message):
    net = Network([LSTM(3, 4), Dense(4, 2, "softmax")], cost="log_likelihood", input_shape=(3, 5))
    path = tmp_path / "net.json"
    net.save(path)
    saved = json.loads(path.read_text())
    change(saved["layers"][0]["config"])
    path.write_text(json.dumps(saved))
    with pytest.raises(ValueError, match=message):
        Network.load(path)


@pytest.mark.parametrize("make,message", [
    (lambda: RNN(0, 3), "n_in must be a whole number >= 1, got 0"),
    (lambda: LSTM(3, 2.5), "n_hidden must be a whole number >= 1"),
    (lambda: RNN(3, 2, truncate=-1), "truncate must be a whole number >= 1"),
    (lambda: LSTM(3, 2, sequence=1), "sequence must be True or False, got 1"),
    (lambda: RNN(100_000, 100_000), "n_in, n_hidden: a RNN.* need about"),
    (lambda: Network([RNN(3, 4), Dense(4, 2)]), "input_shape must be one example's shape"),
    (lambda: Network([RNN(3, 4), Dense(4, 2)], input_shape=(4, 5)),
     r"needs sequences of shape \(3, T, m\), but it is given \(4, 5\)"),
    (lambda: Network([RNN(3, 4, sequence=True), Dense(4, 2)], input_shape=(3, 5)),
     r"Dense.* needs inputs of shape \(4, m\), but the layer below gives \(4, 5\)"),
    (lambda: RNN(3, 4).forward(np.zeros((3, 4))), r"a must be a batch of sequences of shape \(3, T, m\)"),
])
def test_bad_recurrent_arguments_are_named(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_recurrent_layers_are_found_by_name():
    assert get_layer("LSTM") is LSTM and get_layer("rnn") is RNN and get_layer("recurrent") is RNN
