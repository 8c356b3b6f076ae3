"""The convolutional layer of chapter 6: local receptive fields with shared weights and biases.

``Conv2D(in_channels, out_channels, kernel_size)`` slides ``out_channels`` filters of shape
(in_channels, kh, kw) over its input feature maps (C, H, W, m) (the example axis is last) and computes,
for every filter k and position (y, x), with no padding and stride 1 (a "valid" convolution),

    z[k, y, x] = b[k] + sum over c, i, j of w[k, c, i, j] * a[c, y + i, x + j],

then ``a' = activation(z)``, of shape (K, H - kh + 1, W - kw + 1, m). A 28x28 image and the book's
5x5 filters give 24x24 feature maps.

It is computed the way the book writes a fully connected layer, as one matrix product: ``im2col``
copies every 5x5 patch of every image into one column of a matrix ``cols`` (C*kh*kw rows), so that

    z = w.reshape(K, C*kh*kw) @ cols + b.

The backward pass is the same three products as a Dense layer's: nabla_b sums delta, nabla_w is
delta @ cols.T, and dC/d(cols) = w.T @ delta is folded back onto the image by ``col2im``, which adds
each patch's gradient where the patch came from. The only Python loops run over the kh*kw positions
inside a filter, never over examples or output pixels.

``w`` has shape (K, C, kh, kw), exactly PyTorch's ``nn.Conv2d.weight``, and ``b`` has shape (K, 1).

Used by: the engine's convolutional networks, ``network3`` (``ConvPoolLayer``), the benchmark, and
notebooks 10 (convolutional networks) and 12 (from numpy to PyTorch).
"""

from __future__ import annotations

import numpy as np

from ..activations import get_activation
from ..validate import fail, fits_in_memory, float_dtype, whole
from .base import Layer


def _pair(value, name):
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        value = (value, value)
    try:
        h, w = value
    except (TypeError, ValueError):
        fail(name, "a whole number >= 1 or a pair of them", value)
    return whole(h, name, minimum=1), whole(w, name, minimum=1)


def im2col(a, kh, kw):
    """Every kh x kw patch of feature maps ``a`` (C, H, W, m) as a column: (C*kh*kw, Ho*Wo*m).

    Row (c, i, j) holds a[c, y + i, x + j] for every output position (y, x) and example, in the
    order (y, x, example), so that ``w.reshape(K, -1) @ cols`` reshapes to (K, Ho, Wo, m).
    """
    C, H, W, m = a.shape
    Ho, Wo = H - kh + 1, W - kw + 1
    cols = np.empty((C, kh, kw, Ho, Wo, m), a.dtype)
    for i in range(kh):
        for j in range(kw):
            cols[:, i, j] = a[:, i:i + Ho, j:j + Wo, :]
    return cols.reshape(C * kh * kw, Ho * Wo * m)


def col2im(cols, shape, kh, kw):
    """The adjoint of ``im2col``: add each patch's column back where it came from; shape (C, H, W, m)."""
    C, H, W, m = shape
    Ho, Wo = H - kh + 1, W - kw + 1
    cols = cols.reshape(C, kh, kw, Ho, Wo, m)
    a = np.zeros(shape, cols.dtype)
    for i in range(kh):
        for j in range(kw):
            a[:, i:i + Ho, j:j + Wo, :] += cols[:, i, j]
    return a


class Conv2D(Layer):
    """A valid convolution with shared weights, then an activation; see the module docstring."""

    kind = "conv2d"
    params = ("w", "b")
    decay = ("w",)

    def __init__(self, in_channels, out_channels, kernel_size=5, activation="sigmoid",
                 dtype=np.float64):
        self.in_channels = whole(in_channels, "in_channels", minimum=1)
        self.out_channels = whole(out_channels, "out_channels", minimum=1)
        self.kernel_size = _pair(kernel_size, "kernel_size")
        self.activation = get_activation(activation)
        dtype = float_dtype(dtype)
        fits_in_memory(self.out_channels * (self.fan_in + 1), dtype.itemsize,
                       "in_channels, out_channels, kernel_size", "this Conv2D layer")
        self._allocate(dtype)
        self.cols = None

    @classmethod
    def array_shapes(cls, config):
        k = whole(config["out_channels"], "out_channels", minimum=1)
        c = whole(config["in_channels"], "in_channels", minimum=1)
        return {"w": (k, c, *_pair(config["kernel_size"], "kernel_size")), "b": (k, 1)}

    @property
    def fan_in(self):
        return self.in_channels * self.kernel_size[0] * self.kernel_size[1]

    @property
    def fan_out(self):
        return self.out_channels * self.kernel_size[0] * self.kernel_size[1]

    def output_shape(self, input_shape):
        kh, kw = self.kernel_size
        if len(input_shape) != 3 or input_shape[0] != self.in_channels \
                or input_shape[1] < kh or input_shape[2] < kw:
            raise ValueError(f"{self!r} needs feature maps of shape ({self.in_channels}, H, W, m) "
                             f"with H >= {kh} and W >= {kw}, but the layer below gives "
                             f"{tuple(input_shape)} per example")
        return (self.out_channels, input_shape[1] - kh + 1, input_shape[2] - kw + 1)

    def workspace(self, input_shape):
        """Numbers per example held by ``im2col``'s matrix (for sizing evaluation chunks)."""
        kh, kw = self.kernel_size
        _, ho, wo = self.output_shape(input_shape)
        return self.in_channels * kh * kw * ho * wo

    def forward(self, a, training=False):
        if a.ndim != 4 or a.shape[0] != self.in_channels:
            raise ValueError(f"{self!r} needs feature maps of shape ({self.in_channels}, H, W, m), "
                             f"got {a.shape}")
        kh, kw = self.kernel_size
        K = self.out_channels
        _, H, W, m = a.shape
        if H < kh or W < kw:
            raise ValueError(f"{self!r} needs feature maps of at least {kh}x{kw} (its kernel), got "
                             f"{H}x{W} (input shape {a.shape})")
        fits_in_memory((self.fan_in + 2 * K) * (H - kh + 1) * (W - kw + 1) * m, a.dtype.itemsize,
                       "a", f"{self!r} on {m} example{'s' if m != 1 else ''} of {H}x{W}",
                       copies=1, why="its patches, z and a'")
        cols = im2col(a, kh, kw)
        z = (self.w.reshape(K, -1) @ cols).reshape(K, H - kh + 1, W - kw + 1, m)
        z += self.b.reshape(K, 1, 1, 1)
        # kept for the backward pass (also in use: input gradients need it); evaluation works in
        # chunks, so this stays small
        self.cols = cols
        self.input_shape = a.shape
        self.z = z
        self.a = self.activation.fn(z)
        return self.a

    def backward_delta(self, delta, input_grad=True):
        """The backward pass from delta = dC/dz (``backward`` applies sigma' first, as for Dense)."""
        if self.cols is None:
            raise RuntimeError("Conv2D.backward needs a forward pass first")
        K = self.out_channels
        delta = delta.reshape(K, -1)
        np.add.reduce(delta, axis=1, keepdims=True, out=self.nabla_b)
        np.matmul(delta, self.cols.T, out=self.nabla_w.reshape(K, -1))
        if not input_grad:
            return None
        return col2im(self.w.reshape(K, -1).T @ delta, self.input_shape, *self.kernel_size)

    def config(self):
        return {"in_channels": self.in_channels, "out_channels": self.out_channels,
                "kernel_size": list(self.kernel_size), "activation": self.activation.name}
