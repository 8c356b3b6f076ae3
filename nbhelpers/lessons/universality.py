"""Networks whose weights are set by hand, as in the book's visual proof of universality (chapter 4).

Each builder returns an ordinary ``nbhelpers.Network``: nothing here is trained, the weights and
biases are chosen so that hidden neurons act as steps, pairs of steps as bumps, and bumps (or
towers, with two inputs) as a look-up table for a function. The book's conventions hold: a layer's
weights are (n_out, n_in), its biases (n_out, 1), and inputs are (n_in, m) with one column per
example.

- ``bump_network(heights, edges)``: one input, ``2N`` hidden neurons, one output. Pair ``i`` steps
  up at ``edges[i]`` and down at ``edges[i+1]``, so the output neuron's weighted input is
  ``heights[i]`` on that interval.
- ``tower_network(lows, highs)``: ``m`` inputs; the output is about 1 inside the box
  ``lows < x < highs`` and about 0 outside.
- ``tower_grid_network(heights, x_edges, y_edges)``: two inputs, two hidden layers; one tower per
  cell of the grid, weighted by ``heights[i, j]``.
- ``relu_interpolation_network(knots, values)``: ReLU hidden neurons whose sum is the
  straight-line interpolation of ``values`` at ``knots``.
- ``glue(networks)``: one network whose output neuron adds the weighted inputs of the parts.
- ``weighted_output(net, x)``: the output neuron's weighted input ``z`` = sum_j w_j a_j + b.

Used by: notebook 08 (a visual proof of universality).
"""

from __future__ import annotations

import numpy as np

from ..engine import Network
from ..names import lookup
from ..validate import number, numbers, positive

__all__ = ["STEP_LEVELS", "step_levels", "bump_network", "tower_network", "tower_grid_network",
           "relu_interpolation_network", "glue", "weighted_output"]

#: Activations whose output levels off at two different values, (as z -> -inf, as z -> +inf):
#: a neuron with a large weight is then a step between these two levels.
STEP_LEVELS = {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0)}


def step_levels(activation):
    """The two levels ``(low, high)`` that ``activation`` tends to as z -> -inf and z -> +inf."""
    name = getattr(activation, "name", activation)
    return lookup(STEP_LEVELS, name, "activation",
                  extra=" (an activation with two different finite limits, so a steep neuron is "
                        "a step)")


# ---------------------------------------------------------------------------------- checks


def _edges(values, name, count=None):
    edges = numbers(values, name)
    if edges.size < 2 or np.any(np.diff(edges) <= 0):
        raise ValueError(f"{name} must be at least two strictly increasing numbers, got {values!r}")
    if count is not None and edges.size != count:
        raise ValueError(f"{name} must have {count} entries (one more than the number of cells), "
                         f"got {edges.size}")
    return edges


# ---------------------------------------------------------------------------------- builders


def bump_network(heights, edges, w=1000.0, activation="sigmoid"):
    """A ``[1, 2N, 1]`` network whose output's weighted input is a row of N bumps.

    Hidden neuron ``2i`` steps up at ``edges[i]`` and neuron ``2i + 1`` at ``edges[i + 1]`` (weight
    ``w``, bias ``-w * edge``); their output weights are ``+heights[i]`` and ``-heights[i]``
    (divided by the gap between the activation's two levels), so together they add
    ``heights[i]`` on ``edges[i] < x < edges[i + 1]`` and about 0 elsewhere. The output bias is 0
    and the output neuron is a sigmoid, so ``net.feedforward(x)`` is ``sigmoid(bumps)``.

    Args:
        heights: N numbers, the height of each bump.
        edges: N + 1 strictly increasing step points.
        w: the input weight of every hidden neuron (> 0); larger means sharper steps.
        activation: the hidden neurons' activation, one of ``STEP_LEVELS`` ("sigmoid", "tanh").
    Returns:
        a ``Network([1, 2N, 1])`` with those weights and biases.
    """
    heights = numbers(heights, "heights")
    edges = _edges(edges, "edges", heights.size + 1)
    w = positive(w, "w")
    low, high = step_levels(activation)
    starts, ends = edges[:-1], edges[1:]
    net = Network([1, 2 * heights.size, 1], activation=activation)
    net.weights[0][:] = w
    net.biases[0][:, 0] = -w * np.column_stack([starts, ends]).ravel() + 0.0   # + 0.0: no -0.0
    net.weights[1][0] = np.column_stack([heights, -heights]).ravel() / (high - low)
    net.biases[1][:] = 0.0
    return net


def _step_layer(edges_per_input, w):
    """First-layer weights and biases: one step neuron per edge, along that edge's own input."""
    m = len(edges_per_input)
    rows = [np.eye(m)[k] for k, edges in enumerate(edges_per_input) for _ in edges]
    points = np.concatenate(edges_per_input)
    return w * np.array(rows), (-w * points).reshape(-1, 1)


def tower_network(lows, highs, w=1000.0, h=10.0, bias=None):
    """A ``[m, 2m, 1]`` network whose output is about 1 inside a box and about 0 outside it.

    For each input ``k`` two hidden neurons step up at ``lows[k]`` and ``highs[k]``; with output
    weights ``+h`` and ``-h`` each pair adds ``h`` when ``lows[k] < x_k < highs[k]``. Inside the box
    the weighted input of the output neuron is ``m h + bias``, and at most ``(m - 1) h + bias``
    outside, so the default bias ``-(m - 1/2) h`` sits halfway and a large ``h`` makes the
    sigmoid output neuron a threshold: sigmoid(h/2) inside, at most sigmoid(-h/2) outside.

    Args:
        lows, highs: m numbers each, the box's corners (``lows[k] < highs[k]``).
        w: the input weight of every hidden neuron (> 0).
        h: the weight from each hidden neuron to the output (> 0).
        bias: the output neuron's bias; by default ``-(m - 1/2) h``.
    Returns:
        a ``Network([m, 2m, 1])``.
    """
    lows, highs = numbers(lows, "lows"), numbers(highs, "highs")
    if lows.shape != highs.shape or np.any(lows >= highs):
        raise ValueError(f"lows and highs must have the same length with lows < highs, "
                         f"got {lows.tolist()} and {highs.tolist()}")
    w, h = positive(w, "w"), positive(h, "h")
    m = lows.size
    bias = -(m - 0.5) * h if bias is None else number(bias, "bias")
    net = Network([m, 2 * m, 1])
    net.weights[0], net.biases[0] = _step_layer([[lo, hi] for lo, hi in zip(lows, highs)], w)
    net.weights[1] = np.tile([h, -h], m).reshape(1, -1)
    net.biases[1] = np.array([[bias]])
    return net


def tower_grid_network(heights, x_edges, y_edges, w=1000.0, h=10.0):
    """A two-input network with one tower per grid cell: sizes ``[2, nx+ny+2, nx*ny, 1]``.

    Layer 1 has a step neuron for each x edge (weights ``(w, 0)``) and each y edge (``(0, w)``).
    Layer 2 has one threshold neuron per cell ``(i, j)``: ``+h`` from the steps at ``x_edges[i]``
    and ``y_edges[j]``, ``-h`` from those at ``x_edges[i+1]`` and ``y_edges[j+1]``, bias ``-3h/2``
    (so it is about 1 on the cell and about 0 elsewhere). The output neuron weighs tower
    ``(i, j)`` by ``heights[i, j]`` with bias 0: its weighted input is the table of heights.

    Args:
        heights: (nx, ny) array; ``heights[i, j]`` belongs to the cell
            ``x_edges[i] < x < x_edges[i+1]``, ``y_edges[j] < y < y_edges[j+1]``.
        x_edges, y_edges: nx + 1 and ny + 1 strictly increasing numbers.
        w: the input weight of the step neurons (> 0); h: the weight into the tower neurons (> 0).
    Returns:
        a ``Network([2, nx + ny + 2, nx * ny, 1])``.
    """
    heights = numbers(heights, "heights", ndim=2)
    nx, ny = heights.shape
    x_edges = _edges(x_edges, "x_edges", nx + 1)
    y_edges = _edges(y_edges, "y_edges", ny + 1)
    w, h = positive(w, "w"), positive(h, "h")
    net = Network([2, nx + ny + 2, nx * ny, 1])
    net.weights[0], net.biases[0] = _step_layer([x_edges, y_edges], w)
    towers = np.zeros((nx * ny, nx + ny + 2))
    for i in range(nx):
        for j in range(ny):
            row = towers[i * ny + j]
            row[[i, nx + 1 + j]] = h
            row[[i + 1, nx + 2 + j]] = -h
    net.weights[1], net.biases[1] = towers, np.full((nx * ny, 1), -1.5 * h)
    net.weights[2], net.biases[2] = heights.reshape(1, -1), np.zeros((1, 1))
    return net


def relu_interpolation_network(knots, values):
    """A ``[1, N, 1]`` ReLU network (linear output) that joins the points (knots, values) by lines.

    Hidden neuron ``k`` is ``relu(x - knots[k])``; its output weight is the change of slope at
    ``knots[k]``, and the output bias is ``values[0]``. On ``knots[0] <= x <= knots[-1]`` the output
    is exactly the piecewise-linear interpolation (``np.interp``).

    Args:
        knots: N + 1 strictly increasing numbers; values: N + 1 numbers.
    Returns:
        a ``Network([1, N, 1], activation="relu", output_activation="linear")``.
    """
    knots = _edges(knots, "knots")
    values = numbers(values, "values")
    if values.shape != knots.shape:
        raise ValueError(f"values must have one entry per knot ({knots.size}), got {values.size}")
    slopes = np.diff(values) / np.diff(knots)
    net = Network([1, knots.size - 1, 1], activation="relu", output_activation="linear")
    net.weights[0][:] = 1.0
    net.biases[0][:, 0] = -knots[:-1]
    net.weights[1][0] = np.diff(slopes, prepend=0.0)
    net.biases[1][:] = values[0]
    return net


def glue(networks):
    """One network that runs ``networks`` side by side and adds their output neurons' weighted inputs.

    The parts must have the same number of layers, inputs and outputs, and the same activations.
    Their hidden layers are placed next to each other (the first layer's weights stacked, later
    ones block-diagonal, so the parts never mix) and the output layer sees all of them: the glued
    output neuron's weighted input is the sum of the parts' weighted inputs (biases add too).

    Args:
        networks: a list of at least one ``Network``.
    Returns:
        a new ``Network``; the parts are not changed.
    """
    networks = list(networks) if not isinstance(networks, Network) else [networks]
    if not networks or not all(isinstance(net, Network) for net in networks):
        raise ValueError(f"networks must be a non-empty list of Network objects, got {networks!r}")
    first = networks[0]
    for net in networks[1:]:
        same_shape = (net.num_layers == first.num_layers and net.sizes[0] == first.sizes[0]
                      and net.sizes[-1] == first.sizes[-1])
        same_acts = [a.name for a in net.activations] == [a.name for a in first.activations]
        if not (same_shape and same_acts):
            raise ValueError(f"networks must share depth, input size, output size and activations; "
                             f"got {first!r} (sizes {first.sizes}) and {net!r} (sizes {net.sizes})")
    layers = first.num_layers - 1
    sizes = [first.sizes[0]] + [sum(net.sizes[l] for net in networks)
                                for l in range(1, first.num_layers - 1)] + [first.sizes[-1]]
    glued = Network(sizes, cost=first.cost, activation=first.activation,
                    output_activation=first.output_activation)
    for l in range(layers):
        ws, bs = [net.weights[l] for net in networks], [net.biases[l] for net in networks]
        if l == layers - 1:   # the output layer: add what every part sends it
            glued.weights[l] = np.hstack(ws) if layers > 1 else np.sum(ws, axis=0)
            glued.biases[l] = np.sum(bs, axis=0)
        elif l == 0:          # every part reads the same inputs
            glued.weights[l], glued.biases[l] = np.vstack(ws), np.vstack(bs)
        else:                 # a part's neurons only feed the same part
            block = np.zeros((sum(w.shape[0] for w in ws), sum(w.shape[1] for w in ws)))
            r = c = 0
            for w in ws:
                block[r:r + w.shape[0], c:c + w.shape[1]] = w
                r, c = r + w.shape[0], c + w.shape[1]
            glued.weights[l], glued.biases[l] = block, np.vstack(bs)
    return glued


def weighted_output(net, x):
    """The output layer's weighted input ``z = w a + b`` for inputs ``x`` (n_in, m): (n_out, m).

    For the networks built here this is the sum of bumps (or towers) before the output sigmoid;
    ``net.feedforward(x)`` is its sigmoid.
    """
    if not isinstance(net, Network):
        raise ValueError(f"net must be a Network, got {type(net).__name__}")
    x = np.asarray(x, dtype=float)
    if x.ndim != 2 or x.shape[0] != net.sizes[0]:
        raise ValueError(f"x must have shape ({net.sizes[0]}, m) with one column per example, "
                         f"got shape {x.shape}")
    zs, _, _ = net.forward_pass(x)
    return zs[-1]
