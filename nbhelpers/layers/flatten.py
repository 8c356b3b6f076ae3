"""Flatten: feature maps (C, H, W, m) become columns (C*H*W, m) for a fully connected layer.

Because the example axis is last and arrays are stored row by row, this is a reshape that copies
nothing, and its backward pass is the reverse reshape.

Used by: the engine's convolutional networks, ``network3`` and notebooks 10 and 12.
"""

from __future__ import annotations

import math

from .base import Layer


class Flatten(Layer):
    """(C, H, W, m) -> (C*H*W, m); see the module docstring."""

    kind = "flatten"

    def output_shape(self, input_shape):
        return (math.prod(input_shape),)

    def forward(self, a, training=False):
        self.input_shape = a.shape
        return a.reshape(-1, a.shape[-1])

    def backward(self, grad, input_grad=True):
        return grad.reshape(self.input_shape) if input_grad else None
