"""The PyTorch bridge: same weights, same outputs, same gradients, same training; and no PyTorch needed.

Tests that need PyTorch skip when it is not installed (``torch_bridge.install_command()``). The tests that
hide it run a fresh interpreter in which ``import torch`` fails, and check that the package and every
lesson's imports still work and that the bridge says how to install it.
"""

import ast
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from nbhelpers import Network
from nbhelpers.data import load_mnist, one_hot
from nbhelpers.layers import Activation, BatchNorm, Conv2D, Dense, Dropout, Flatten, Layer, MaxPool2D
from nbhelpers.lessons.torch_bridge import install_command

ROOT = Path(__file__).resolve().parent.parent
BRIDGE_FUNCTIONS = ("to_torch", "from_torch", "to_torch_batch", "from_torch_batch", "torch_cost")


def _run(code):
    """Run ``code`` in a fresh interpreter (from the project root); return its stdout."""
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_the_install_command_is_this_environments_pip_and_pytorchs_cpu_build(tmp_path):
    """A lesson runs in notebooks/: the command it prints must work from there, and install the
    CPU build (a plain `pip install torch` fetches a multi-GB CUDA build on Linux)."""
    pip = Path(sys.executable).with_name("pip")
    for cwd in (ROOT / "notebooks", tmp_path):
        command = install_command(cwd=cwd)
        quoted, rest = command[1:].split('" ', 1)
        assert command.startswith('"') and rest == "install torch --index-url https://download.pytorch.org/whl/cpu"
        if pip.exists():
            assert (cwd / quoted).resolve() == pip.resolve()
    if pip.exists() and (ROOT / ".venv") in pip.parents:
        assert install_command(cwd=ROOT / "notebooks").startswith('"../.venv/bin/pip" ')


def _lesson_imports():
    """The top-level import statements of every lesson's code cells, as source lines."""
    lines = []
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            if cell["cell_type"] != "code":
                continue
            source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            source = "\n".join(line for line in source.splitlines()
                               if not line.lstrip().startswith(("%", "!")))
            for node in ast.parse(source).body:
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    lines.append(ast.unparse(node))
    return sorted(set(lines))


# ----------------------------------------------------------------------------- without PyTorch

def test_importing_the_package_never_imports_torch():
    out = _run("""
        import importlib, pkgutil, sys
        import nbhelpers
        for info in pkgutil.walk_packages(nbhelpers.__path__, "nbhelpers."):
            if not info.name.endswith("__main__"):       # that one runs the command line
                importlib.import_module(info.name)
        import nbhelpers.lessons.torch_bridge
        print(sorted(name for name in sys.modules if name == "torch" or name.startswith("torch.")))
    """)
    assert out.strip() == "[]"


def test_without_torch_the_package_and_lessons_import_and_the_bridge_says_how_to_install():
    imports = _lesson_imports()
    assert any("nbhelpers" in line for line in imports)     # the scan found the lessons' imports
    out = _run(f"""
        import importlib, pkgutil, sys
        sys.modules["torch"] = None            # "import torch" now raises ImportError
        import numpy as np
        import nbhelpers
        for info in pkgutil.walk_packages(nbhelpers.__path__, "nbhelpers."):
            if not info.name.endswith("__main__"):       # that one runs the command line
                importlib.import_module(info.name)
        for line in {imports!r}:
            exec(line, {{}})
        from nbhelpers.lessons import torch_bridge
        assert torch_bridge.torch_available() is False
        net = nbhelpers.Network([4, 3, 2])
        calls = {{"to_torch": (net,), "from_torch": (None, net), "to_torch_batch": (np.zeros((4, 2)),),
                 "from_torch_batch": (None,), "torch_cost": ("quadratic",)}}
        for name, args in calls.items():
            try:
                getattr(torch_bridge, name)(*args)
            except ImportError as err:
                print(name, "|", err)
            else:
                print(name, "| no error")
    """)
    lines = out.strip().splitlines()
    assert len(lines) == len(BRIDGE_FUNCTIONS)
    for line, name in zip(lines, BRIDGE_FUNCTIONS):
        called, message = line.split(" | ")
        assert called == name
        assert message.startswith(f"{name} needs PyTorch")
        assert install_command(cwd=ROOT) in message        # run from ROOT, as _run does


# ----------------------------------------------------------------------------- with PyTorch

@pytest.fixture(scope="module")
def torch():
    # torch_available() rather than importorskip: a torch that is present but fails to import
    # (ImportError rather than ModuleNotFoundError) must skip too, not error
    from nbhelpers.lessons.torch_bridge import torch_available

    if not torch_available():
        pytest.skip(f"PyTorch is not installed ({install_command()})")
    import torch
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield torch
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def bridge(torch):
    from nbhelpers.lessons import torch_bridge

    return torch_bridge


@pytest.fixture(scope="module")
def sample():
    return load_mnist("sample")


def _conv_net(seed=0, activation="relu"):
    return Network([Conv2D(1, 4, 5, activation), MaxPool2D(2), Flatten(), Dense(4 * 12 * 12, 20),
                    Dense(20, 10, "softmax")], cost="log_likelihood", input_shape=(1, 28, 28), seed=seed)


def _parameters(net):
    return [np.array(getattr(layer, name)) for layer in net.layers for name in
            (*layer.params, *getattr(layer, "buffers", ()))]


def _largest_difference(a, b):
    return max(float(np.max(np.abs(x - y))) for x, y in zip(_parameters(a), _parameters(b)))


def _nudged(net, seed=5):
    """A copy of ``net`` with every parameter and buffer moved a little (so a copy that drops one
    is caught), and batch norm's variances kept positive."""
    other = net.copy()
    rng = np.random.default_rng(seed)
    for layer in other.layers:
        for name in (*layer.params, *getattr(layer, "buffers", ())):
            value = getattr(layer, name)
            value += np.abs(rng.normal(0.0, 0.3, value.shape)) if name == "running_var" \
                else rng.normal(0.0, 0.3, value.shape)
    return other


NETWORKS = {
    "chapter 1": lambda: Network([784, 30, 10], init="large"),
    "tanh, relu, linear": lambda: Network([Dense(784, 20, "tanh"), Dense(20, 15, "relu"),
                                           Dense(15, 10, "linear")]),
    "leaky relu, softmax": lambda: Network([Dense(784, 20, "leaky_relu"), Dense(20, 10, "softmax")],
                                           cost="log_likelihood"),
    "conv": _conv_net,
    "conv sigmoid, dropout": lambda: Network([Conv2D(1, 3, 5, "sigmoid"), MaxPool2D(2), Flatten(),
                                              Dropout(0.3), Dense(3 * 12 * 12, 10, "softmax")],
                                             cost="log_likelihood", input_shape=(1, 28, 28)),
    "batch norm": lambda: Network([Conv2D(1, 3, 5, "linear"), BatchNorm(3), Activation("relu"),
                                   MaxPool2D(2), Flatten(), Dense(3 * 12 * 12, 16, "linear"),
                                   BatchNorm(16), Activation("sigmoid"), Dense(16, 10)],
                                  cost="cross_entropy", input_shape=(1, 28, 28)),
}


@pytest.mark.parametrize("name", NETWORKS)
def test_round_trip_is_exact(bridge, name):
    net = _nudged(NETWORKS[name]())
    back = bridge.from_torch(bridge.to_torch(net), like=NETWORKS[name]())
    assert all(np.array_equal(x, y) for x, y in zip(_parameters(back), _parameters(net)))
    assert back.dtype == net.dtype


def test_from_torch_copies_or_writes_in_place(bridge):
    net = Network([6, 4, 3])
    model = bridge.to_torch(_nudged(net))
    before = _parameters(net)
    copied = bridge.from_torch(model, net)
    assert copied is not net and all(np.array_equal(x, y) for x, y in zip(_parameters(net), before))
    same = bridge.from_torch(model, net, copy=False)
    assert same is net and np.array_equal(net.weights[0], copied.weights[0])
    assert not np.array_equal(net.weights[0], before[0])


@pytest.mark.parametrize("name", NETWORKS)
def test_forward_outputs_agree(bridge, torch, sample, name):
    net = _nudged(NETWORKS[name]())
    model = bridge.to_torch(net).eval()
    X = sample.train[0][:, :64]
    ours = net.feedforward(X)
    theirs = bridge.from_torch_batch(model(bridge.to_torch_batch(X, shape=net.input_shape)))
    assert theirs.shape == ours.shape == (10, 64)
    assert np.max(np.abs(theirs - ours)) < 1e-12
    assert np.max(np.abs(ours)) > 0.01      # not trivially zero


def test_batch_norm_in_training_mode_agrees_and_updates_the_same_averages(bridge, torch, sample):
    net = _nudged(NETWORKS["batch norm"]())
    model = bridge.to_torch(net).train()
    X = sample.train[0][:, :32]
    ours = net.forward(X.reshape(1, 28, 28, 32), training=True)
    theirs = bridge.from_torch_batch(model(bridge.to_torch_batch(X, shape=(1, 28, 28))))
    assert np.max(np.abs(theirs - ours)) < 1e-12
    assert _largest_difference(bridge.from_torch(model, net), net) < 1e-12


@pytest.mark.parametrize("name", ["chapter 1", "tanh, relu, linear", "leaky relu, softmax", "conv",
                                  "batch norm"])
def test_gradients_agree_with_backprop(bridge, torch, sample, name):
    net = _nudged(NETWORKS[name]())
    X, labels = sample.train[0][:, :20], sample.train[1][:20]
    Y = one_hot(labels)
    a = net.gradient(X, Y, training=True)
    model = bridge.to_torch(net)
    loss = bridge.torch_cost(net.cost)(model(bridge.to_torch_batch(X, shape=net.input_shape)),
                                       bridge.to_torch_batch(Y))
    model.zero_grad()
    loss.backward()
    assert abs(loss.item() - net.cost.fn(a, Y)) < 1e-12
    # torch lists a module's parameters as we list a layer's: weight (w, gamma) then bias (b, beta)
    pairs = list(zip(net.parameters(), model.parameters()))
    assert len(pairs) == len(net.parameters()) == len(list(model.parameters()))
    for ours, theirs in pairs:
        grad = theirs.grad.numpy()
        assert np.max(np.abs(ours.grad.reshape(grad.shape) - grad)) < 1e-12
        assert np.max(np.abs(grad)) > 0


def _train_torch(bridge, torch, model, X, Y, epochs, mini_batch_size, eta, cost, rng, shape=None):
    """Plain mini-batch SGD written the torch way, with our loop's batch order."""
    loss_of = bridge.torch_cost(cost)
    x, y = bridge.to_torch_batch(X, shape=shape), bridge.to_torch_batch(Y)
    n = X.shape[1]
    for _ in range(epochs):
        perm = torch.from_numpy(rng.permutation(n))
        for k in range(0, n, mini_batch_size):
            batch = perm[k:k + mini_batch_size]
            loss = loss_of(model(x[batch]), y[batch])
            model.zero_grad()
            loss.backward()
            with torch.no_grad():
                for p in model.parameters():
                    p -= eta * p.grad


def test_one_epoch_of_the_chapter_1_network_gives_the_same_weights(bridge, torch, sample):
    X, labels = sample.train
    net = Network([784, 30, 10], init="large", seed=3)
    start = net.copy()
    model = bridge.to_torch(net)
    net.SGD((X, labels), 1, 10, 3.0, rng=np.random.default_rng(7), progress=False, verbose=False)
    _train_torch(bridge, torch, model, X, one_hot(labels), 1, 10, 3.0, "quadratic",
                 np.random.default_rng(7))
    trained = bridge.from_torch(model, start)
    assert _largest_difference(trained, net) < 1e-10
    assert _largest_difference(start, net) > 0.1      # both really trained


def test_one_epoch_of_a_conv_net_gives_the_same_weights(bridge, torch, sample):
    X, labels = sample.train[0][:, :600], sample.train[1][:600]
    net = _conv_net(seed=4)
    start = net.copy()
    model = bridge.to_torch(net)
    net.SGD((X, labels), 1, 10, 0.1, rng=np.random.default_rng(8), progress=False, verbose=False)
    _train_torch(bridge, torch, model, X, one_hot(labels), 1, 10, 0.1, "log_likelihood",
                 np.random.default_rng(8), shape=(1, 28, 28))
    trained = bridge.from_torch(model, start)
    assert _largest_difference(trained, net) < 1e-10
    assert _largest_difference(start, net) > 0.01
    assert net.accuracy(sample.test) == trained.accuracy(sample.test)


@pytest.mark.parametrize("cost", ["quadratic", "cross_entropy", "log_likelihood"])
def test_costs_are_the_books(bridge, torch, cost):
    rng = np.random.default_rng(1)
    a = rng.random((10, 6)) * 0.9 + 0.05
    a /= a.sum(axis=0)
    labels = rng.integers(0, 10, 6)
    y = one_hot(labels)
    ours = Network([3, 10], cost=cost, output_activation="softmax").cost.fn(a, y)
    loss = bridge.torch_cost(cost)
    assert abs(loss(bridge.to_torch_batch(a), bridge.to_torch_batch(y)).item() - ours) < 1e-12
    if cost == "log_likelihood":
        assert abs(loss(bridge.to_torch_batch(a), bridge.to_torch_batch(labels)).item() - ours) < 1e-12


def test_batches_move_only_the_example_axis(bridge, torch):
    x = np.arange(2 * 3 * 4 * 5, dtype=float).reshape(2, 3, 4, 5)     # (C, H, W, m)
    t = bridge.to_torch_batch(x)
    assert tuple(t.shape) == (5, 2, 3, 4) and t.dtype == torch.float64
    assert t[4, 1, 2, 3].item() == x[1, 2, 3, 4]
    assert np.array_equal(bridge.from_torch_batch(t), x)
    columns = x.reshape(-1, 5)
    t = bridge.to_torch_batch(columns, shape=(2, 3, 4))
    assert np.array_equal(bridge.from_torch_batch(t), x)
    assert bridge.to_torch_batch(columns, dtype=np.float32).dtype == torch.float32
    labels = bridge.to_torch_batch(np.array([3, 1, 4]))
    assert labels.dtype == torch.int64 and labels.tolist() == [3, 1, 4]
    t[0, 0, 0, 0] = -1.0
    assert x[0, 0, 0, 0] == 0.0      # a copy, not a view


def test_float32_models(bridge, torch, sample):
    net = Network([784, 30, 10])
    model = bridge.to_torch(net, dtype=np.float32)
    assert all(p.dtype == torch.float32 for p in model.parameters())
    X = sample.train[0][:, :10]
    out = bridge.from_torch_batch(model(bridge.to_torch_batch(X, dtype=torch.float32)))
    assert np.max(np.abs(out - net.feedforward(X))) < 1e-5


class _Custom(Layer):
    kind = "custom"

    def forward(self, a, training=False):
        return a


def test_clear_errors(bridge, torch):
    with pytest.raises(ValueError, match=r"net\.layers\[1\] must be a layer PyTorch can copy .*Dense.*"
                                         r"got Dropout\(p=0\.5, inverted=False\)"):
        bridge.to_torch(Network([Dense(4, 3), Dropout(0.5, inverted=False), Dense(3, 2)]))
    with pytest.raises(ValueError, match=r"net\.layers\[1\] must be a layer PyTorch can copy"):
        bridge.to_torch(Network([Dense(4, 3), _Custom(), Dense(3, 2)]))
    with pytest.raises(ValueError, match="net must be an nbhelpers Network, got 'Sequential'"):
        bridge.to_torch(torch.nn.Sequential())
    with pytest.raises(ValueError, match="dtype must be"):
        bridge.to_torch(Network([4, 2]), dtype=torch.int32)
    net = Network([4, 3, 2])
    other = bridge.to_torch(Network([4, 5, 2]))
    with pytest.raises(ValueError, match=r"model\[0\]\.weight must be a tensor of shape \(3, 4\).*"
                                         r"got 'shape \(5, 4\)'"):
        bridge.from_torch(other, net)
    with pytest.raises(ValueError, match=r"model\[1\] must be a Sigmoid"):
        bridge.from_torch(bridge.to_torch(Network([4, 3, 2], activation="tanh")), net)
    with pytest.raises(ValueError, match="model must be a Sequential of 4 modules"):
        bridge.from_torch(torch.nn.Sequential(torch.nn.Linear(4, 2)), net)
    with pytest.raises(ValueError, match="model must be a torch.nn.Sequential"):
        bridge.from_torch(torch.nn.Linear(4, 2), net)
    with pytest.raises(ValueError,
                       match=r"x must be columns of 784 numbers.*got 'an array of shape \(10, 3\)'"):
        bridge.to_torch_batch(np.zeros((10, 3)), shape=(1, 28, 28))
    with pytest.raises(ValueError, match="x must be a batch with the example axis last"):
        bridge.to_torch_batch(np.zeros(3))
    with pytest.raises(ValueError, match="t must be a torch.Tensor, got 'ndarray'"):
        bridge.from_torch_batch(np.zeros(3))
    with pytest.raises(ValueError, match="cost must be one of"):
        bridge.torch_cost("hinge")
