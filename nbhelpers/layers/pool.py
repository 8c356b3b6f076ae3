"""Max-pooling: each non-overlapping ph x pw window of a feature map is replaced by its largest value.

For feature maps (C, H, W, m), the output is (C, H // ph, W // pw, m); rows or columns left over
when H or W is not a multiple of the window are ignored, as in the book's code. Pooling has no
parameters. In the backward pass only the winner of each window passed its value on, so only it
receives the gradient (when several entries tie, the first in row order is the winner).

The windows are found with one reshape, (C, Ho, ph, Wo, pw, m), and the maximum is taken with a
loop over the ph*pw positions inside a window (4 for the book's 2x2), never over pixels or examples.

Used by: the engine's convolutional networks, ``network3`` (``ConvPoolLayer``) and notebooks 10
(convolutional networks) and 12 (from numpy to PyTorch).
"""

from __future__ import annotations

import numpy as np

from .base import Layer
from .conv import _pair


class MaxPool2D(Layer):
    """Non-overlapping max-pooling over ``pool_size`` windows (2 means 2x2); see the module docstring."""

    kind = "maxpool2d"

    def __init__(self, pool_size=2):
        self.pool_size = _pair(pool_size, "pool_size")
        self.winner = None

    def output_shape(self, input_shape):
        ph, pw = self.pool_size
        if len(input_shape) != 3 or input_shape[1] < ph or input_shape[2] < pw:
            raise ValueError(f"{self!r} needs feature maps (C, H, W, m) with H >= {ph} and W >= {pw}, "
                             f"but the layer below gives {tuple(input_shape)} per example")
        return (input_shape[0], input_shape[1] // ph, input_shape[2] // pw)

    def _windows(self, a):
        ph, pw = self.pool_size
        C, H, W, m = a.shape
        Ho, Wo = H // ph, W // pw
        return a[:, :Ho * ph, :Wo * pw].reshape(C, Ho, ph, Wo, pw, m)

    def forward(self, a, training=False):
        if a.ndim != 4:
            raise ValueError(f"{self!r} needs feature maps of shape (C, H, W, m), got {a.shape}")
        ph, pw = self.pool_size
        windows = self._windows(a)
        out = windows[:, :, 0, :, 0, :].copy()
        winner = np.zeros(out.shape, np.uint8)        # which entry of each window won
        for k in range(1, ph * pw):
            candidate = windows[:, :, k // pw, :, k % pw, :]
            np.copyto(winner, k, where=candidate > out)   # strictly greater: the first max wins
            np.maximum(out, candidate, out=out)
        self.winner = winner
        self.input_shape = a.shape
        return out

    def backward(self, grad, input_grad=True):
        if not input_grad:
            return None
        if self.winner is None:
            raise RuntimeError("MaxPool2D.backward needs a forward pass first")
        ph, pw = self.pool_size
        grad_in = np.zeros(self.input_shape, grad.dtype)
        windows = self._windows(grad_in)  # a view: writing into it fills grad_in
        for k in range(ph * pw):
            np.multiply(grad, self.winner == k, out=windows[:, :, k // pw, :, k % pw, :])
        return grad_in

    def config(self):
        return {"pool_size": list(self.pool_size)}
