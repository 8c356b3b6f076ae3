"""A bridge to PyTorch: the same network, the same weights, in a framework.

PyTorch is optional (``install_command()`` says how to add its CPU build to this Python's
environment, as PyTorch documents it). Nothing else in this package imports it, and this
module imports it only when one of its functions is called, so ``import nbhelpers`` never needs it.
Without PyTorch every function here (except ``torch_available``) raises an ImportError that says how
to install it.

- ``to_torch(net)``: a ``torch.nn.Sequential`` computing what ``net`` computes, with copies of its
  weights. A ``Dense`` layer becomes ``nn.Linear`` (our ``w`` (n_out, n_in) *is* ``Linear.weight``;
  our ``b`` (n_out, 1) is ``Linear.bias`` flattened) followed by its activation; ``Conv2D`` becomes
  ``nn.Conv2d`` (our filters (K, C, kh, kw) are ``Conv2d.weight`` as they are: both compute a valid
  cross-correlation); ``MaxPool2D``, ``Flatten``, ``Dropout`` and ``BatchNorm`` become their torch
  namesakes. ``RNN`` and ``LSTM`` become ``nn.RNN`` and ``nn.LSTM`` (subclasses that take our
  layout, see ``recurrent_twin``): ``w`` is ``weight_ih_l0``, ``u`` is ``weight_hh_l0`` (the LSTM's
  four blocks in torch's order i, f, g, o), and our one bias ``b`` is torch's two added together
  (``bias_ih_l0`` = b, ``bias_hh_l0`` = 0; ``from_torch`` adds them).
- ``from_torch(model, like)``: a copy of the network ``like`` holding ``model``'s weights (the round
  trip ``from_torch(to_torch(net), net)`` gives back exactly the same numbers).
- ``to_torch_batch(x)`` / ``from_torch_batch(t)``: only the example axis moves. Ours is last,
  (n, m) or (C, H, W, m); torch's is first, (m, n) or (m, C, H, W).
- ``torch_cost(name)``: the book's costs written with torch's losses, as means over the mini-batch
  like ours, so ``loss.backward()`` gives the gradients our backpropagation gives.

Tensors are float64 by default, so our engine and torch agree to the last few digits. Two things
cannot agree step by step: dropout draws its masks from torch's own random numbers, and a network
built with the book's non-inverted dropout (``Dropout(p, inverted=False)``) has no torch twin.
The model starts in training mode, as every torch module does; ``model.eval()`` switches dropout
off and batch normalisation to its running averages, as our ``training=False`` does.

Used by: notebook 12 (from numpy to PyTorch) and ``tests/test_torch_bridge.py``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np

from ..costs import get_cost
from ..layers import LSTM, RNN, Activation, BatchNorm, Conv2D, Dense, Dropout, Flatten, MaxPool2D
from ..validate import fail, float_dtype, shape

#: PyTorch's own index of its CPU-only builds (a plain ``pip install torch`` on Linux fetches the
#: CUDA build: several GB)
CPU_INDEX = "https://download.pytorch.org/whl/cpu"


def install_command(cwd=None):
    """The command that installs PyTorch's CPU build into the environment of the running Python:
    its own pip, quoted, by a path relative to ``cwd`` (default: the current folder, which is
    ``notebooks/`` in a lesson) where that is shorter, e.g.
    ``"../.venv/bin/pip" install torch --index-url https://download.pytorch.org/whl/cpu``."""
    pip = Path(sys.executable).with_name("pip.exe" if os.name == "nt" else "pip")
    if not pip.exists():
        return f'"{sys.executable}" -m pip install torch --index-url {CPU_INDEX}'
    try:
        relative = os.path.relpath(pip, cwd or os.getcwd())
    except ValueError:                          # another drive, on Windows
        relative = str(pip)
    shown = relative if len(relative) < len(str(pip)) else str(pip)
    return f'"{shown}" install torch --index-url {CPU_INDEX}'

#: our activation names -> the torch.nn module that computes them (None: nothing to add)
ACTIVATION_MODULES = {"sigmoid": "Sigmoid", "tanh": "Tanh", "relu": "ReLU",
                      "leaky_relu": "LeakyReLU", "softmax": "Softmax", "linear": None}

SUPPORTED = "Dense, Activation, Conv2D, MaxPool2D, Flatten, Dropout (inverted), BatchNorm, RNN or LSTM"


def torch_available():
    """True when PyTorch can be imported (without importing anything when it cannot)."""
    try:
        _torch("torch_available")
    except ImportError:
        return False
    return True


def _torch(caller):
    """The torch module, or an ImportError naming ``caller`` and the command that installs it."""
    try:
        import torch
    except (ImportError, OSError) as err:
        raise ImportError(f"{caller} needs PyTorch, which is not installed (or cannot be loaded: "
                          f"{err}); it is optional: install its CPU build with {install_command()}"
                          ) from err
    return torch


def _dtype(torch, dtype):
    if isinstance(dtype, torch.dtype):
        if dtype not in (torch.float64, torch.float32):
            fail("dtype", "torch.float64 or torch.float32 (or np.float64, np.float32)", dtype)
        return dtype
    return {np.dtype(np.float64): torch.float64, np.dtype(np.float32): torch.float32}[
        float_dtype(dtype)]


def _activation_module(nn, activation, where):
    name = activation.name
    if name not in ACTIVATION_MODULES:
        fail(f"{where}.activation", f"one of {sorted(ACTIVATION_MODULES)}", name)
    kind = ACTIVATION_MODULES[name]
    if kind is None:
        return []
    if name == "softmax":
        return [nn.Softmax(dim=1)]     # over each example's outputs: dim 1 of (m, n)
    if name == "leaky_relu":
        return [nn.LeakyReLU(activation.alpha)]
    return [getattr(nn, kind)()]


def _build(net, dtype, caller):
    """``(model, links)``: the torch twin of ``net`` with zero weights, and how its parameters and
    buffers correspond to ours: ``links`` holds (module index, torch name, our layer, our name);
    the torch name is a tuple of names when torch's arrays add up to our one (the RNN's biases)."""
    torch = _torch(caller)
    nn = torch.nn
    dtype = _dtype(torch, dtype)
    modules, links = [], []
    for i, (layer, in_shape) in enumerate(zip(net.layers, net.shapes)):
        where = f"net.layers[{i}]"
        here = len(modules)
        if type(layer) is Dense:
            modules.append(nn.Linear(layer.n_in, layer.n_out, dtype=dtype))
            links += [(here, "weight", layer, "w"), (here, "bias", layer, "b")]
            modules += _activation_module(nn, layer.activation, where)
        elif type(layer) is Conv2D:
            if layer.activation.name == "softmax":
                fail(f"{where}.activation", "an element-wise activation for a Conv2D layer", "softmax")
            modules.append(nn.Conv2d(layer.in_channels, layer.out_channels, layer.kernel_size,
                                     dtype=dtype))
            links += [(here, "weight", layer, "w"), (here, "bias", layer, "b")]
            modules += _activation_module(nn, layer.activation, where)
        elif type(layer) is Activation:
            modules += _activation_module(nn, layer.activation, where) or [nn.Identity()]
        elif type(layer) is MaxPool2D:
            modules.append(nn.MaxPool2d(layer.pool_size))
        elif type(layer) is Flatten:
            modules.append(nn.Flatten())
        elif type(layer) is Dropout and layer.inverted:
            modules.append(nn.Dropout(layer.p))
        elif type(layer) in (RNN, LSTM):
            twin = recurrent_twin(type(layer).__name__)
            modules.append(twin(layer.n_in, layer.n_hidden, layer.sequence, dtype=dtype))
            links += [(here, "weight_ih_l0", layer, "w"), (here, "weight_hh_l0", layer, "u"),
                      (here, ("bias_ih_l0", "bias_hh_l0"), layer, "b")]
        elif type(layer) is BatchNorm:
            # torch keeps (1 - momentum) of the new batch's statistics where we keep momentum of the old
            norm = nn.BatchNorm1d if len(in_shape) == 1 else nn.BatchNorm2d
            modules.append(norm(layer.n_features, eps=layer.epsilon, momentum=1.0 - layer.momentum,
                                dtype=dtype))
            links += [(here, "weight", layer, "gamma"), (here, "bias", layer, "beta"),
                      (here, "running_mean", layer, "running_mean"),
                      (here, "running_var", layer, "running_var")]
        else:
            fail(where, f"a layer PyTorch can copy ({SUPPORTED})", layer)
    return nn.Sequential(*modules), links


def _check_network(net, name):
    from ..engine import Network  # here, not at the top: the engine does not need this module

    if not isinstance(net, Network):
        fail(name, "an nbhelpers Network", type(net).__name__)


def to_torch(net, dtype=np.float64):
    """A ``torch.nn.Sequential`` that computes what ``net`` computes, holding copies of its weights.

    Args:
        net: an ``nbhelpers.engine.Network`` made of the layers listed in the module docstring.
        dtype: the tensors' type, ``np.float64`` (default: agrees with our engine to float
            precision) or ``np.float32`` (or the torch dtypes of the same names).
    The model takes batches with the example axis first: (m, n_in), or (m, C, H, W) for a network
    whose input is feature maps (``to_torch_batch(x, shape=net.input_shape)`` makes them).
    """
    _check_network(net, "net")
    torch = _torch("to_torch")
    model, links = _build(net, dtype, "to_torch")
    with torch.no_grad():
        for index, torch_names, layer, name in links:
            first, *rest = _names(torch_names)
            target = getattr(model[index], first)
            ours = getattr(layer, name)
            target.copy_(torch.from_numpy(np.ascontiguousarray(ours).reshape(target.shape)))
            for other in rest:
                getattr(model[index], other).zero_()
    return model


def _names(torch_names):
    return (torch_names,) if isinstance(torch_names, str) else torch_names


def from_torch(model, like, copy=True):
    """A network like ``like`` (same layers, cost and dtype) holding ``model``'s weights.

    ``model`` must have the structure ``to_torch(like)`` gives (the same modules in the same order,
    parameters of the same shapes); a model that differs raises a ValueError saying where. With
    ``copy=False`` the weights are written into ``like`` itself, which is returned.
    """
    _check_network(like, "like")
    torch = _torch("from_torch")
    if not isinstance(model, torch.nn.Sequential):
        fail("model", "a torch.nn.Sequential as to_torch makes", type(model).__name__)
    net = like.copy() if copy else like
    reference, links = _build(net, torch.float64, "from_torch")
    if len(model) != len(reference):
        fail("model", f"a Sequential of {len(reference)} modules, like to_torch(like): "
             f"{[type(m).__name__ for m in reference]}", [type(m).__name__ for m in model])
    for k, (theirs, ours) in enumerate(zip(model, reference)):
        if type(theirs) is not type(ours):
            fail(f"model[{k}]", f"a {type(ours).__name__}, as in to_torch(like)", theirs)
    for index, torch_names, layer, name in links:
        total = 0
        for torch_name in _names(torch_names):
            value = getattr(model[index], torch_name)
            wanted = tuple(getattr(reference[index], torch_name).shape)
            if value is None or tuple(value.shape) != wanted:
                fail(f"model[{index}].{torch_name}", f"a tensor of shape {wanted}, as in "
                     "to_torch(like)", None if value is None else f"shape {tuple(value.shape)}")
            total = total + value.detach().cpu().numpy()
        target = getattr(layer, name)
        target[...] = total.reshape(target.shape)
    return net


_TWINS = {}


def recurrent_twin(kind):
    """The torch class that stands for our ``"RNN"`` or ``"LSTM"`` layer: a subclass of ``nn.RNN``
    or ``nn.LSTM`` (so every torch tool treats it as one) that reads and writes our layout.

    ``twin(n_in, n_hidden, sequence, dtype=...)`` takes a batch of sequences with only the example
    axis moved, (m, n_in, T) (what ``to_torch_batch`` makes of our (n_in, T, m)), runs the torch
    layer on it (with ``batch_first``, h_0 = c_0 = 0), and returns the last state (m, n_hidden), or
    with ``sequence`` every state, (m, n_hidden, T). Torch always backpropagates through the whole
    sequence: a layer with ``truncate`` has a twin that computes the same outputs, not its gradient.
    """
    torch = _torch("recurrent_twin")
    base = {"RNN": torch.nn.RNN, "LSTM": torch.nn.LSTM}[kind]
    if kind not in _TWINS:
        class Twin(base):
            def __init__(self, n_in, n_hidden, sequence=False, dtype=None):
                super().__init__(n_in, n_hidden, batch_first=True, dtype=dtype)
                self.sequence = sequence

            def forward(self, x):
                states, _ = super().forward(x.transpose(1, 2))        # (m, T, n_hidden)
                return states.transpose(1, 2) if self.sequence else states[:, -1]

            def extra_repr(self):
                return super().extra_repr() + f", sequence={self.sequence}"

        Twin.__name__ = Twin.__qualname__ = f"Sequence{kind}"
        _TWINS[kind] = Twin
    return _TWINS[kind]


def to_torch_batch(x, dtype=np.float64, shape=None):
    """Our batch (example axis last) as a torch tensor with the example axis first.

    ``x`` (n, m) -> (m, n); feature maps (C, H, W, m) -> (m, C, H, W). With ``shape`` (one example's
    shape, e.g. ``net.input_shape`` = (1, 28, 28)), columns (784, m) are first made feature maps
    (1, 28, 28, m). Integer labels (n,) have no example axis to move: they become a torch.int64
    tensor (what ``nn.NLLLoss`` wants). The tensor owns a copy of the numbers.
    """
    torch = _torch("to_torch_batch")
    x = np.asarray(x)
    if x.ndim == 1:
        if x.dtype.kind not in "iu":
            fail("x", "a batch with the example axis last ((n, m) or (C, H, W, m)), or integer "
                 "labels (n,)", f"a 1-D array of {x.dtype}")
        return torch.from_numpy(x.astype(np.int64))
    if shape is not None:
        example = _shape(shape)
        if x.ndim != 2 or x.shape[0] != int(np.prod(example)):
            fail("x", f"columns of {int(np.prod(example))} numbers, (n, m), to reshape to {example}",
                 f"an array of shape {x.shape}")
        x = x.reshape(*example, x.shape[1])
    moved = np.moveaxis(x, -1, 0).astype(_numpy_dtype(dtype), copy=True, order="C")
    return torch.from_numpy(moved)


def from_torch_batch(t):
    """A torch batch (example axis first) as our numpy array (example axis last); a copy."""
    torch = _torch("from_torch_batch")
    if not isinstance(t, torch.Tensor):
        fail("t", "a torch.Tensor", type(t).__name__)
    array = t.detach().cpu().numpy()
    if array.ndim == 1:
        return array.copy()
    return np.ascontiguousarray(np.moveaxis(array, 0, -1))


def _shape(value):
    return shape(value, "shape")


def _numpy_dtype(dtype):
    name = str(dtype).replace("torch.", "")
    return float_dtype(name if name in ("float32", "float64") else dtype)


def torch_cost(cost):
    r"""The book's cost ``cost`` (a name, or a cost object) as a function ``loss(a, y)`` of torch
    tensors: ``a`` the network's output (m, n_out) and ``y`` the targets (m, n_out), averaged over
    the m examples as our engine averages:

    - ``quadratic``: $\frac{1}{2m}\sum_x \|y - a\|^2$, i.e. ``0.5 * mse_loss(a, y, reduction="sum") / m``;
    - ``cross_entropy``: $-\frac1m\sum_x\sum_j [y_j\ln a_j + (1-y_j)\ln(1-a_j)]$, i.e.
      ``binary_cross_entropy(a, y, reduction="sum") / m`` (torch's "binary" cross-entropy);
    - ``log_likelihood``: $-\frac1m\sum_x \ln a_y$ for softmax outputs, i.e.
      ``nll_loss(log(a), labels, reduction="sum") / m`` when ``y`` is labels (m,), and
      $-\frac1m\sum_x\sum_j y_j\ln a_j$ when it is targets (m, n_out) (the same for one-hot targets).
      Torch's ``CrossEntropyLoss`` is this cost applied to the weighted inputs z (it includes the
      softmax), not the book's cross-entropy.
    """
    torch = _torch("torch_cost")
    functional = torch.nn.functional
    name = get_cost(cost).name

    def quadratic(a, y):
        return 0.5 * functional.mse_loss(a, y, reduction="sum") / a.shape[0]

    def cross_entropy(a, y):
        return functional.binary_cross_entropy(a, y, reduction="sum") / a.shape[0]

    def log_likelihood(a, y):
        if y.ndim == 1:
            return functional.nll_loss(torch.log(a), y, reduction="sum") / a.shape[0]
        return -(y * torch.log(a)).sum() / a.shape[0]

    losses = {"quadratic": quadratic, "cross_entropy": cross_entropy, "log_likelihood": log_likelihood}
    if name not in losses:
        fail("cost", f"one of {sorted(losses)}", name)
    return losses[name]
