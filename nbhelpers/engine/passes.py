"""Passes through a network outside training: the book's backprop, every layer's z and a, dC/dx.

- ``backprop(net, x, y)`` is the book's per-example backprop, the gradient of one example's cost
  C_x, and ``backprop_batch(net, x, y)`` the same for the mean cost of a mini-batch, both as the
  book's lists ``(nabla_b, nabla_w)``;
- ``forward_pass(net, x)`` gives every layer's weighted input z and activation a, as the book's
  ``backprop`` computes them on the way forward (lessons 03 and 04 look inside);
- ``input_gradient(net, x, y)`` carries the backward pass one layer further than training needs,
  to the inputs (adversarial examples are made from it);
- ``update_mini_batch(net, x, y, eta, ...)`` is the book's one gradient-descent step on a
  mini-batch, outside any training run.

Each is a method of ``Network`` too (``net.backprop(x, y)``, ...), which calls the function here.

Used by: the engine's ``Network``, ``nbhelpers.lessons.adversarial``, and notebooks 03, 04, 05 and
10.
"""

from __future__ import annotations

import numpy as np

from ..optimizers import get_optimizer
from ..regularization import make_penalty
from ..validate import number, whole
from .examples import check_targets

#: numpy's floating-point warnings are not printed here: NaN outputs are the answer
QUIET = dict(over="ignore", invalid="ignore", divide="ignore")


def backprop_batch(net, x, y):
    """Gradient of the mean cost over a mini-batch, by backpropagation as matrix products.

    Args:
        x: (n_in, m) inputs; y: (n_out, m) desired outputs.
    Returns:
        ``(nabla_b, nabla_w)``, lists shaped like ``net.biases`` and ``net.weights``: the gradient
        of C = (1/m) sum_x C_x (the regularisation term is not included). Dropout and batch
        normalisation behave as in training.
    """
    x = net._check_input(x, "x")
    y = check_targets(y, net.n_out, x.shape[1], net.dtype, "y")
    net.bind_rng(net.rng)
    net.gradient(x, y, training=True)
    weighted = net._weighted()
    return [layer.nabla_b.copy() for layer in weighted], [layer.nabla_w.copy() for layer in weighted]


def backprop(net, x, y):
    """The book's per-example backprop: the gradient of C_x for one example.

    Args:
        x: (n_in, 1) input column; y: (n_out, 1) desired output (or an integer label).
    Returns:
        ``(nabla_b, nabla_w)``, lists shaped like ``net.biases`` and ``net.weights``.
    """
    x = net._check_input(x, "x")
    if x.shape[1] != 1:
        raise ValueError(f"x must be one example of shape ({net.n_in}, 1), got {x.shape}; "
                         "use backprop_batch for a mini-batch")
    if np.ndim(y) == 0:
        y = net.prepare((x, np.array([y])), "y").Y
    return backprop_batch(net, x, y)


def forward_pass(net, x):
    """Every layer's weighted input and activation, for teaching: ``(zs, outputs, activations)``.

    ``zs[l]`` and ``outputs[l]`` are the weighted input z and the output activation(z) of the l-th
    layer that ends in an activation, shape (n_{l+1}, m); ``activations`` is ``[x] + outputs``, as
    in the book's ``backprop``.
    """
    x = net._check_input(x, "x")
    with np.errstate(**QUIET):
        net.forward(x)
    layers = [layer for layer in net._chain if layer.activation is not None]
    zs, outputs = [layer.z for layer in layers], [layer.a for layer in layers]
    return zs, outputs, [x] + outputs


def input_gradient(net, x, y):
    """dC_x/dx for every example: the gradient of each example's own cost (not divided by m) with
    respect to its input, shaped like ``x`` ((n_in, m), or feature maps).

    It is the backward pass carried one layer further than training needs, through the first
    layer, for the network as it is used (dropout off, batch normalisation's running averages).
    The layers' ``nabla_*`` arrays are overwritten on the way.
    """
    shape = np.shape(x)
    x = net._check_input(x, "x")
    y = check_targets(y, net.n_out, x.shape[1], net.dtype, "y")
    with np.errstate(**QUIET):
        a = net.forward(x, training=False)
        out = net._chain[-1]
        grad = out.backward_delta(net.cost.delta(out.z, a, y, out.activation), True)
        for layer in reversed(net._chain[:-1]):
            grad = layer.backward(grad, True)
    return grad.reshape(shape)


def update_mini_batch(net, x, y, eta, lmbda=0.0, n=1, regularization="l2", dropout=0.0, rng=None):
    """One gradient-descent step of ``net`` on the mini-batch ``x`` (n_in, m), ``y`` (n_out, m).

    w -> w - eta * (nabla_w + regularisation gradient), b -> b - eta * nabla_b, where the
    gradients are means over the mini-batch and the regularisation is scaled by the training-set
    size ``n`` (L2: (lmbda/n) w, so w -> (1 - eta*lmbda/n) w - eta*nabla_w; L1: (lmbda/n) sign(w));
    biases are not regularised. Afterwards the layers' ``nabla_*`` hold this step's gradient.
    """
    x = net._check_input(x, "x")
    y = check_targets(y, net.n_out, x.shape[1], net.dtype, "y")
    optimizer = get_optimizer("sgd", eta)
    optimizer.penalty = make_penalty(regularization, number(lmbda, "lmbda", low=0.0),
                                     whole(n, "n", minimum=1))
    with net.dropout(dropout):
        net.bind_rng(rng or net.rng)
        net.gradient(x, y, training=True)
        optimizer.step(net.parameters())
