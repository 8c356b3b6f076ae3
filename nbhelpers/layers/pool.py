"""Max-pooling: each non-overlapping ph x pw window of a feature map is replaced by its largest value.

For feature maps (C, H, W, m), the output is (C, H // ph, W // pw, m); rows or columns left over
when H or W is not a multiple of the window are ignored, as in the book's code. Pooling has no
parameters. In the backward pass only the winner of each window passed its value on, so only it
receives the gradient (when several entries tie, the first in row order is the winner).

The windows are found with one reshape, (C, Ho, ph, Wo, pw, m), and the maximum is taken in two
stages, as two chains of ``np.maximum``: first across each row of a window (over the pw columns),
then down the window (over the ph row maxima), never with a loop over pixels or examples. The
backward pass undoes the two stages in reverse order with the same rule at each: the gradient goes
to the first row (from the top) holding the window's maximum, and in that row to the first column
(from the left) holding it, which is the first maximum in row order. Nothing but the input and the
row maxima is kept, so windows of any size work.

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
        self.out = None

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
        rows = windows[..., 0, :] if pw == 1 else np.maximum(windows[..., 0, :], windows[..., 1, :])
        for j in range(2, pw):                                # (C, Ho, ph, Wo, m): each row's max
            np.maximum(rows, windows[..., j, :], out=rows)
        out = rows[:, :, 0].copy() if ph == 1 else np.maximum(rows[:, :, 0], rows[:, :, 1])
        for i in range(2, ph):                                # (C, Ho, Wo, m): the window's max
            np.maximum(out, rows[:, :, i], out=out)
        self.windows, self.rows, self.out = windows, rows, out
        self.input_shape = a.shape
        return out

    @staticmethod
    def _route(grad, candidates, best, axis):
        """Send ``grad`` to the first of ``candidates`` (along ``axis``) that equals ``best``."""
        n = candidates.shape[axis]
        routed = np.empty(candidates.shape, grad.dtype)
        pick = [slice(None)] * candidates.ndim
        if n == 2:   # the book's 2x2: one comparison; the second wins only if strictly larger
            first, second = (tuple(pick[:axis] + [k] + pick[axis + 1:]) for k in (0, 1))
            np.multiply(grad, candidates[second] > candidates[first], out=routed[second])
            np.subtract(grad, routed[second], out=routed[first])
            return routed
        left = grad.copy()                     # what no earlier candidate has taken yet
        for k in range(n):
            pick[axis] = k
            if k < n - 1:
                np.multiply(left, candidates[tuple(pick)] == best, out=routed[tuple(pick)])
                left -= routed[tuple(pick)]
            else:
                routed[tuple(pick)] = left
        return routed

    def backward(self, grad, input_grad=True):
        if not input_grad:
            return None
        if self.out is None:
            raise RuntimeError("MaxPool2D.backward needs a forward pass first")
        # down the window: to the first row holding the maximum; then along that row
        grad_rows = self._route(grad, self.rows, self.out, 2)
        grad_windows = self._route(grad_rows, self.windows, self.rows, 4)
        C, Ho, ph, Wo, pw, m = grad_windows.shape
        if self.input_shape[1:3] == (Ho * ph, Wo * pw):
            return grad_windows.reshape(self.input_shape)
        grad_in = np.zeros(self.input_shape, grad.dtype)
        grad_in[:, :Ho * ph, :Wo * pw] = grad_windows.reshape(C, Ho * ph, Wo * pw, m)
        return grad_in

    def config(self):
        return {"pool_size": list(self.pool_size)}
