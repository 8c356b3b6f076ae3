"""Building a network: the book's list of sizes as Dense layers, or a list of layers, checked to fit.

``layers_from(sizes, cost, activation, output_activation, dtype)`` turns what ``Network(...)`` was
given into ``(sizes, layers)``; ``connect(layers, input_shape, dtype)`` works out every layer's
output shape, checks that each fits the one below and that the last gives one column per example
(a layer that ends in an activation, so that the cost can give its delta), and says how many
examples evaluation can take at once. ``LiveArrays`` is the book's ``weights``/``biases`` list.

Used by: the engine's ``Network`` (``nbhelpers.engine.network``), and so by every notebook that
builds a network.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..activations import get_activation
from ..initializers import get_initializer
from ..layers import Dense, Dropout, Layer
from ..validate import fail, fits_in_memory, shape
from ..validate import sizes as check_sizes

#: Evaluation (feedforward, accuracy, cost) works through large data sets in chunks using about
#: this many bytes at a time, so a convolutional network evaluates 10,000 images in little memory.
EVALUATION_BYTES = 64 * 2**20


def layers_from(sizes, cost, activation, output_activation, dtype):
    """``(sizes, layers)`` for ``Network(sizes, ...)``: the book's sizes build Dense layers; a list
    of layers is used as it is (``sizes`` is then None unless it is a plain chain of Dense layers)."""
    if isinstance(sizes, (str, bytes, dict)) or not hasattr(sizes, "__iter__"):
        fail("sizes", "a list of layer sizes like [784, 30, 10], or a list of layers", sizes)
    items = list(sizes)
    if items and all(isinstance(item, Layer) for item in items):
        if activation is not None or output_activation is not None:
            raise ValueError("activation and output_activation are for a network built from "
                             "sizes; give each layer its own activation instead")
        for layer in items:
            layer.cast(dtype)
        book = all(type(layer) is Dense for layer in items)
        return ([items[0].n_in] + [layer.n_out for layer in items] if book else None), items
    sizes = check_sizes(items, "sizes", extra=", or a list of layers")
    count = sum((n_in + 1) * n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))
    fits_in_memory(count, dtype.itemsize, "sizes", f"a network of sizes {sizes}")
    hidden = get_activation(activation if activation is not None else "sigmoid")
    if hidden.name == "softmax" and len(sizes) > 2:
        fail("activation", "an element-wise activation (softmax belongs in output_activation)",
             "softmax")
    if output_activation is None:
        output_activation = "softmax" if cost.name == "log_likelihood" else "sigmoid"
    layers = [Dense(n_in, n_out, hidden, dtype) for n_in, n_out in zip(sizes[:-2], sizes[1:-1])]
    layers.append(Dense(sizes[-2], sizes[-1], output_activation, dtype))
    return sizes, layers


def initialize(weighted, init, rng, dtype):
    """Draw the weights and biases of the ``weighted`` layers with the initialiser ``init``.

    Every layer's weights are drawn first, then every layer's biases, in layer order (the order
    of the book's code, so a [784, 30, 10] network starts from the same numbers). A layer's
    weights are the arrays in its ``decay``: ``w`` with the layer's ``fan_in`` and ``fan_out``,
    any other (a recurrent layer's ``u``) with fan-in and fan-out read from its own shape.
    """
    initializer = get_initializer(init)
    for layer in weighted:
        for name in layer.decay:
            shape = getattr(layer, name).shape
            fans = (layer.fan_in, layer.fan_out) if name == "w" else \
                (math.prod(shape[1:]), shape[0] * math.prod(shape[2:]))
            setattr(layer, name, initializer.weights(shape, *fans, rng).astype(dtype))
    for layer in weighted:
        layer.b = initializer.biases(layer.b.shape, rng).astype(dtype)


def summary(layers, shapes, cost):
    """A table of the layers: output shape per example and parameter count (``net.summary()``)."""
    lines = [f"{'layer':<44} {'output shape':<16} {'parameters':>10}",
             f"{'input':<44} {str(shapes[0]):<16} {'':>10}"]
    total = 0
    for layer, out in zip(layers, shapes[1:]):
        count = sum(p.value.size for p in layer.parameters())
        total += count
        lines.append(f"{repr(layer)[:44]:<44} {str(out):<16} {count:>10,}")
    lines.append(f"{'total':<44} {'':<16} {total:>10,}  (cost: {cost.name})")
    return "\n".join(lines)


def with_dropout(layers, dropouts, p):
    """``layers`` with a ``Dropout(p)`` after every hidden layer that ends in an activation: the
    chain a run with dropout passes through. ``dropouts`` (layer index -> Dropout) keeps the
    Dropout layers from run to run, so they are built once and only their rate is set."""
    chain, last = [], len(layers) - 1
    for i, layer in enumerate(layers):
        chain.append(layer)
        if i < last and layer.activation is not None:
            drop = dropouts.setdefault(i, Dropout(p))
            drop.p = p
            chain.append(drop)
    return chain


@dataclass
class Shapes:
    """What ``connect`` works out: one example's input shape and every layer's output shape
    (``shapes[0]`` is the input's), the input and output sizes, the evaluation chunk, the numbers
    one example takes in a training pass (what the layers keep for the backward pass, plus the
    widest step of it), and the smallest mini-batch every layer can train on."""

    input_shape: tuple
    shapes: list
    n_in: int
    n_out: int
    chunk: int
    training_numbers: int
    min_batch: int


def connect(layers, input_shape, dtype):
    """Check that ``layers`` fit together on inputs of ``input_shape``, and that one example's
    pass through them fits in memory; return their ``Shapes``."""
    if not layers:
        fail("sizes", "a non-empty list of layers", layers)
    for i, layer in enumerate(layers):
        if not isinstance(layer, Layer):
            fail(f"layers[{i}]", "a layer (a subclass of nbhelpers.layers.Layer)", layer)
    if input_shape is None:
        input_shape = layers[0].fixed_input_shape
        if input_shape is None:
            fail("input_shape", f"one example's shape, e.g. (1, 28, 28), when the first layer is "
                 f"{type(layers[0]).__name__}", input_shape)
    input_shape = shape(input_shape, "input_shape")
    shapes, widest, kept, min_batch = [input_shape], 0, 0, 1
    biggest, most = 0, -1                      # the layer that keeps the most
    for i, layer in enumerate(layers):
        try:
            out = tuple(layer.output_shape(shapes[-1]))
        except ValueError as err:
            raise ValueError(f"layers[{i}]: {err}") from None
        work = layer.workspace(shapes[-1])
        widest = max(widest, math.prod(shapes[-1]) + math.prod(out) + work)
        keeps = 2 * math.prod(out) + work      # kept for the backward pass (z and a, patches)
        if keeps > most:
            biggest, most = i, keeps
        kept += keeps
        min_batch = max(min_batch, layer.min_batch(shapes[-1]))
        shapes.append(out)
    if len(shapes[-1]) != 1 or layers[-1].activation is None:
        fail("layers", "a list ending in a layer with an activation (Dense, or Activation) that "
             "gives one column per example; put Flatten() and a Dense layer after feature maps",
             type(layers[-1]).__name__)
    itemsize = np.dtype(dtype).itemsize
    fits_in_memory(kept + widest, itemsize, f"layers[{biggest}]",
                   f"one example's pass through {layers[biggest]!r} and the rest", copies=1,
                   why="the outputs every layer keeps for the backward pass")
    chunk = max(1, EVALUATION_BYTES // (itemsize * 2 * widest))
    return Shapes(input_shape, shapes, math.prod(input_shape), shapes[-1][0], chunk,
                  kept + widest, min_batch)


class LiveArrays(list):
    """The book's ``weights`` or ``biases`` list, live: setting an item sets the layer's array."""

    def __init__(self, layers, name):
        super().__init__(layer.arrays()[name] for layer in layers)
        self._layers, self._name = layers, name

    def __setitem__(self, index, value):
        if isinstance(index, slice):
            raise TypeError(f"set {self._name} one layer at a time, e.g. net.{self._name}[0] = array")
        layer = self._layers[index]
        old = layer.arrays()[self._name]
        value = np.array(value, dtype=old.dtype)   # a copy: the network owns its arrays
        if value.shape != old.shape:
            raise ValueError(f"{self._name}[{index}] must have shape {old.shape}, got {value.shape}")
        setattr(layer, self._name, value)
        super().__setitem__(index, value)

    def assign(self, arrays, name):
        """Set every layer's array from the list ``arrays`` (``net.weights = [...]``)."""
        arrays = list(arrays)
        if len(arrays) != len(self):
            fail(name, f"a list of {len(self)} arrays (one per weighted layer)",
                 f"a list of {len(arrays)}")
        for i, array in enumerate(arrays):
            self[i] = array
