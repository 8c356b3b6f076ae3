"""Every layer: forward against a plain reference, backward against finite differences, and (when
PyTorch is installed) both against PyTorch; plus shapes, modes and bad input."""

import numpy as np
import pytest

from nbhelpers import Network, gradcheck
from nbhelpers.gradcheck import check_layer
from nbhelpers.layers import (
    LAYERS,
    Activation,
    BatchNorm,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    MaxPool2D,
    get_layer,
)

RNG = np.random.default_rng(42)


def randomised(layer, rng=RNG):
    """The layer with every parameter drawn at random (so no gradient is trivially zero)."""
    for name in layer.params:
        setattr(layer, name, rng.standard_normal(getattr(layer, name).shape))
    return layer


CASES = {
    "dense sigmoid": (lambda: randomised(Dense(4, 3)), (4, 6)),
    "dense relu": (lambda: randomised(Dense(5, 2, "relu")), (5, 7)),
    "activation tanh": (lambda: Activation("tanh"), (3, 4)),
    "activation softmax": (lambda: Activation("softmax"), (4, 3)),
    "dropout": (lambda: Dropout(0.4), (6, 5)),
    "flatten": (lambda: Flatten(), (2, 3, 3, 4)),
    "conv 1 channel": (lambda: randomised(Conv2D(1, 3, 3)), (1, 6, 6, 2)),
    "conv 2 channels, 2x3 kernel": (lambda: randomised(Conv2D(2, 3, (2, 3), "tanh")), (2, 5, 6, 3)),
    "maxpool 2x2": (lambda: MaxPool2D(2), (2, 6, 6, 3)),
    "maxpool 3x2, ragged edge": (lambda: MaxPool2D((3, 2)), (2, 7, 5, 2)),
    "batchnorm dense": (lambda: randomised(BatchNorm(3)), (3, 8)),
    "batchnorm maps": (lambda: randomised(BatchNorm(2)), (2, 3, 3, 4)),
}


@pytest.mark.parametrize("case", CASES)
def test_every_layer_backward_matches_finite_differences(case):
    make, shape = CASES[case]
    report = check_layer(make(), RNG.standard_normal(shape))
    assert report.passed(1e-7), str(report)
    assert report.checked >= int(np.prod(shape))


def test_batchnorm_inference_mode_is_also_checked():
    layer = randomised(BatchNorm(3))
    layer.running_mean[:] = RNG.standard_normal((3, 1))
    layer.running_var[:] = RNG.random((3, 1)) + 0.5
    assert check_layer(layer, RNG.standard_normal((3, 5)), training=False).passed(1e-7)


def test_layer_check_catches_a_wrong_backward(monkeypatch):
    layer = randomised(Conv2D(1, 2, 3))
    real = Conv2D.backward_delta
    monkeypatch.setattr(Conv2D, "backward_delta",
                        lambda self, delta, input_grad=True: real(self, 2 * delta, input_grad))
    assert not check_layer(layer, RNG.standard_normal((1, 5, 5, 2))).passed(1e-3)


def test_conv_matches_a_plain_loop():
    layer = randomised(Conv2D(2, 3, (3, 2)))
    a = RNG.standard_normal((2, 6, 5, 4))
    z = layer.forward(a)
    K, C, kh, kw = layer.w.shape
    expected = np.zeros((K, 4, 4, 4))
    for k in range(K):
        for y in range(4):
            for x in range(4):
                patch = a[:, y:y + kh, x:x + kw, :]                 # (C, kh, kw, m)
                pre = np.einsum("cij,cijm->m", layer.w[k], patch) + layer.b[k, 0]
                expected[k, y, x] = 1 / (1 + np.exp(-pre))
    assert z.shape == (3, 4, 4, 4)
    assert np.allclose(z, expected, atol=1e-12)


def test_maxpool_picks_the_maximum_and_routes_the_gradient_to_one_winner():
    a = np.array([[1.0, 3.0], [3.0, 0.0]]).reshape(1, 2, 2, 1)      # a tie between two 3s
    pool = MaxPool2D(2)
    out = pool.forward(a, training=True)
    assert out.ravel().tolist() == [3.0]
    grad = pool.backward(np.ones((1, 1, 1, 1))).ravel().tolist()
    assert grad == [0.0, 1.0, 0.0, 0.0]       # the first maximum in row order wins, only it
    big = RNG.standard_normal((3, 8, 8, 5))
    pooled = MaxPool2D(2).forward(big)
    assert np.array_equal(pooled, big.reshape(3, 4, 2, 4, 2, 5).max(axis=(2, 4)))


@pytest.mark.parametrize("pool_size,shape", [
    ((2, 2), (3, 8, 8, 5)), ((3, 2), (2, 7, 5, 4)), ((2, 3), (2, 6, 7, 3)), ((1, 3), (2, 4, 6, 2)),
    ((3, 1), (2, 6, 4, 2)), ((24, 24), (2, 24, 24, 3)), ((17, 16), (1, 17, 33, 2)),
])
def test_maxpool_routes_each_window_to_its_first_maximum_in_row_order(pool_size, shape):
    """Against a plain reference (np.argmax of each window, read row by row), on inputs full of
    ties; windows of more than 256 entries included (a global 24x24 pool)."""
    a = RNG.integers(0, 3, shape).astype(float)          # values 0, 1, 2: ties everywhere
    ph, pw = pool_size
    C, H, W, m = shape
    pool = MaxPool2D(pool_size)
    out = pool.forward(a, training=True)
    grad = RNG.standard_normal(out.shape)
    got = pool.backward(grad)
    expected = np.zeros(shape)
    for c, y, x, k in np.ndindex(out.shape):
        window = a[c, y * ph:(y + 1) * ph, x * pw:(x + 1) * pw, k]
        assert out[c, y, x, k] == window.max()
        i, j = divmod(int(np.argmax(window)), pw)       # the first maximum in row order
        expected[c, y * ph + i, x * pw + j, k] = grad[c, y, x, k]
    assert np.array_equal(got, expected)


def test_dropout_drops_about_p_and_keeps_the_mean_in_training_only():
    layer = Dropout(0.3)
    layer.rng = np.random.default_rng(0)
    a = np.ones((200, 500))
    out = layer.forward(a, training=True)
    assert abs(np.mean(out == 0) - 0.3) < 0.01
    assert abs(out.mean() - 1.0) < 0.02           # inverted dropout keeps the expected output
    assert np.array_equal(layer.forward(a, training=False), a)


def test_dropout_without_a_generator_says_how_to_give_one():
    with pytest.raises(RuntimeError, match="random generator"):
        Dropout(0.5).forward(np.ones((2, 2)), training=True)


def test_batchnorm_normalises_in_training_and_uses_running_averages_in_inference():
    layer = BatchNorm(4, momentum=0.0)       # momentum 0: the running averages are the last batch's
    a = RNG.normal(5.0, 3.0, (4, 1000))
    out = layer.forward(a, training=True)
    assert np.allclose(out.mean(axis=1), 0, atol=1e-12) and np.allclose(out.std(axis=1), 1, atol=1e-3)
    assert np.allclose(layer.running_mean.ravel(), a.mean(axis=1))
    assert np.allclose(layer.running_var.ravel(), a.var(axis=1, ddof=1))
    one = layer.forward(a[:, :1], training=False)   # one example still works in inference
    assert np.allclose(one, out[:, :1], atol=1e-2)
    with pytest.raises(ValueError, match=r"BatchNorm\(n_features=4.* got \(3, 2\)"):
        layer.forward(np.zeros((3, 2)))


def test_frozen_batchnorm_leaves_its_running_averages_alone():
    net = Network([Dense(3, 4, "linear"), BatchNorm(4), Activation("sigmoid"), Dense(4, 2)],
                  cost="cross_entropy")
    before = net.layers[1].running_mean.copy()
    x, y = RNG.standard_normal((3, 6)), np.eye(2)[:, RNG.integers(0, 2, 6)]
    report = gradcheck(net, x, y)
    first, *rest = report.layers
    assert first["w"] < 1e-6 and all(error < 1e-6 for row in rest for key, error in row.items()
                                     if key != "layer"), str(report)
    # batch normalisation subtracts the batch mean, so the bias before it cannot matter at all
    assert np.abs(net.layers[0].nabla_b).max() < 1e-12
    assert np.array_equal(net.layers[1].running_mean, before)


def test_layers_are_looked_up_by_name():
    assert set(LAYERS) == {"dense", "activation", "dropout", "flatten", "conv2d", "maxpool2d", "batchnorm",
                           "rnn", "lstm"}
    assert get_layer("Conv2D") is Conv2D and get_layer("maxpool") is MaxPool2D
    with pytest.raises(ValueError, match=r"layer must be one of \['activation', 'batchnorm'"):
        get_layer("gru")


@pytest.mark.parametrize("make,message", [
    (lambda: Dense(0, 3), "n_in must be a whole number >= 1, got 0"),
    (lambda: Dense(3, 2, "swish"), "activation must be one of"),
    (lambda: Conv2D(1, 2, 0), "kernel_size must be a whole number >= 1"),
    (lambda: Conv2D(1, 2, (5, 5, 5)), "kernel_size must be a whole number >= 1 or a pair"),
    (lambda: MaxPool2D("2"), "pool_size must be a whole number >= 1 or a pair"),
    (lambda: Dropout(1.0), r"p must be a probability in \[0, 1\), got 1.0"),
    (lambda: BatchNorm(3, momentum=1.5), "momentum must be"),
    (lambda: Dense(100_000, 10_000_000), "n_in, n_out: a Dense.* need about .* this machine has"),
])
def test_bad_layer_arguments_are_named(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_a_network_of_layers_checks_that_they_fit_together():
    with pytest.raises(ValueError, match=r"layers\[3\]: Dense\(n_in=100.* gives \(2880,\)"):
        Network([Conv2D(1, 20, 5), MaxPool2D(2), Flatten(), Dense(100, 10)], input_shape=(1, 28, 28))
    with pytest.raises(ValueError, match="input_shape must be one example's shape"):
        Network([Conv2D(1, 20, 5), Flatten(), Dense(20 * 24 * 24, 10)])
    with pytest.raises(ValueError, match="layers must be a list ending in a layer with an activation"):
        Network([Conv2D(1, 2, 5), MaxPool2D(2)], input_shape=(1, 28, 28))
    with pytest.raises(ValueError, match="activation and output_activation are for a network built"):
        Network([Dense(3, 2)], activation="relu")


def test_conv_network_takes_columns_or_feature_maps_and_evaluates_in_chunks(monkeypatch):
    import nbhelpers.engine.build as build

    net = Network([Conv2D(1, 4, 5), MaxPool2D(2), Flatten(), Dense(4 * 12 * 12, 10, "softmax")],
                  cost="log_likelihood", input_shape=(1, 28, 28))
    x = RNG.random((784, 7))
    columns = net.feedforward(x)
    maps = net.feedforward(x.reshape(1, 28, 28, 7))
    assert columns.shape == (10, 7) and np.allclose(columns, maps)
    monkeypatch.setattr(build, "EVALUATION_BYTES", 100_000)   # force small chunks
    chunked = Network.from_layers(net.layers, "log_likelihood", input_shape=(1, 28, 28))
    assert chunked.chunk < 7
    assert np.allclose(chunked.feedforward(x), columns)


def _torch():
    return pytest.importorskip("torch")


@pytest.mark.slow
def test_conv_pool_and_batchnorm_agree_with_pytorch():
    torch = _torch()
    conv = randomised(Conv2D(2, 3, (3, 2), activation="linear"))
    pool, norm = MaxPool2D(2), randomised(BatchNorm(3))
    a = RNG.standard_normal((2, 8, 7, 4))
    ours = norm.forward(pool.forward(conv.forward(a, True), True), True)
    g = RNG.standard_normal(ours.shape)
    grad_a = conv.backward(pool.backward(norm.backward(g)))

    t_conv = torch.nn.Conv2d(2, 3, (3, 2), dtype=torch.float64)
    t_norm = torch.nn.BatchNorm2d(3, momentum=0.1, eps=1e-5, dtype=torch.float64)
    with torch.no_grad():
        t_conv.weight.copy_(torch.from_numpy(conv.w))          # (out, in, kh, kw) in both
        t_conv.bias.copy_(torch.from_numpy(conv.b.ravel()))
        t_norm.weight.copy_(torch.from_numpy(norm.gamma.ravel()))
        t_norm.bias.copy_(torch.from_numpy(norm.beta.ravel()))
    x = torch.from_numpy(np.moveaxis(a, -1, 0).copy()).requires_grad_(True)   # example axis first
    out = t_norm(torch.nn.functional.max_pool2d(t_conv(x), 2))
    out.backward(torch.from_numpy(np.moveaxis(g, -1, 0).copy()))
    assert np.allclose(np.moveaxis(out.detach().numpy(), 0, -1), ours, atol=1e-10)
    assert np.allclose(np.moveaxis(x.grad.numpy(), 0, -1), grad_a, atol=1e-10)
    assert np.allclose(t_conv.weight.grad.numpy(), conv.nabla_w, atol=1e-10)
    assert np.allclose(t_conv.bias.grad.numpy(), conv.nabla_b.ravel(), atol=1e-10)
    assert np.allclose(t_norm.weight.grad.numpy(), norm.nabla_gamma.ravel(), atol=1e-10)
    assert np.allclose(t_norm.running_var.numpy(), norm.running_var.ravel(), atol=1e-12)


def test_the_books_dropout_scales_in_use_instead_of_in_training():
    layer = Dropout(0.5, inverted=False)
    layer.rng = np.random.default_rng(0)
    a = np.ones((100, 50))
    trained = layer.forward(a, training=True)
    assert set(np.unique(trained)) == {0.0, 1.0}                 # kept outputs pass unscaled
    assert np.array_equal(layer.forward(a, training=False), 0.5 * a)   # scaled by 1 - p in use
    assert check_layer(Dropout(0.5, inverted=False), RNG.standard_normal((4, 6))).passed(1e-7)
    assert check_layer(Dropout(0.5, inverted=False), RNG.standard_normal((4, 6)),
                       training=False).passed(1e-7)


def test_input_gradient_of_a_conv_net_matches_finite_differences():
    from nbhelpers.gradcheck import numerical_gradient

    net = Network([Conv2D(1, 2, 3), MaxPool2D(2), Flatten(), Dropout(0.5), Dense(2 * 3 * 3, 3, "softmax")],
                  cost="log_likelihood", input_shape=(1, 8, 8))
    x = RNG.random((64, 2))
    y = np.eye(3)[:, [0, 2]]
    grad = net.input_gradient(x, y)
    column = x[:, :1].copy()      # example 0's own cost, as the network is used (dropout off)
    numeric = numerical_gradient(lambda: net.cost.fn(net.feedforward(column), y[:, :1]), column)
    assert grad.shape == x.shape
    assert np.allclose(grad[:, :1], numeric, atol=1e-8)


def test_gradcheck_passes_a_correct_gradient_that_is_zero_in_truth():
    """Dense -> BatchNorm: batch normalisation subtracts any shift, so the Dense bias's gradient is
    exactly 0; backprop gave 1e-17 and central differences 1e-11, a relative error of 1."""
    rng = np.random.default_rng(1)
    x, labels = rng.standard_normal((4, 5)), rng.integers(0, 2, 5)
    net = Network([Dense(4, 3, "linear"), BatchNorm(3), Activation("sigmoid"), Dense(3, 2)],
                  cost="cross_entropy", seed=0)
    report = gradcheck(net, x, np.eye(2)[:, labels])
    assert report.passed() and report.layers[0]["b"] < 1e-7, report


def test_gradcheck_still_fails_a_small_gradient_that_is_wrong(monkeypatch):
    """The floor near zero must not hide a real error, even a small one."""
    rng = np.random.default_rng(1)
    x, labels = rng.standard_normal((4, 5)), rng.integers(0, 2, 5)
    for offset in (1e-6, 1e-8):
        net = Network([Dense(4, 3, "linear"), BatchNorm(3), Activation("sigmoid"), Dense(3, 2)],
                      cost="cross_entropy", seed=0)
        backward = net.layers[0].backward_delta

        def wrong(delta, input_grad=True, backward=backward, layer=net.layers[0], offset=offset):
            result = backward(delta, input_grad)
            layer.nabla_b += offset               # a bias gradient a little off
            return result

        monkeypatch.setattr(net.layers[0], "backward_delta", wrong)
        report = gradcheck(net, x, np.eye(2)[:, labels])
        assert not report.passed() and report.worst()[:2] == ("layers[0] Dense", "b"), report


def test_a_convolution_says_when_the_image_is_smaller_than_its_kernel():
    """numpy's "negative dimensions are not allowed" came out instead."""
    with pytest.raises(ValueError, match=r"Conv2D\(in_channels=1, out_channels=2, kernel_size=\[5, 5\].*"
                                         r"needs feature maps of at least 5x5 \(its kernel\), got 3x4"):
        Conv2D(1, 2, 5).forward(np.zeros((1, 3, 4, 2)))


def test_a_conv_net_gives_no_outputs_for_no_examples():
    """feedforward on zero examples failed inside a reshape."""
    net = Network([Conv2D(1, 2, 5), MaxPool2D(2), Flatten(), Dense(2 * 12 * 12, 10)],
                  input_shape=(1, 28, 28))
    assert net.feedforward(np.zeros((784, 0))).shape == (10, 0)
    assert net.predict(np.zeros((784, 0))).shape == (0,)
    assert Network([4, 3, 2]).feedforward(np.zeros((4, 0))).shape == (2, 0)


@pytest.mark.parametrize("sizes", [[], [784], [784, 0, 10], "784,30,10", None])
def test_an_empty_or_short_network_is_refused_by_name(sizes):
    """Network([]) raised an IndexError."""
    with pytest.raises(ValueError, match=r"^sizes must be a list of (at least two whole numbers >= 1|"
                                         r"layer sizes like \[784, 30, 10\]).*, got "):
        Network(sizes)
