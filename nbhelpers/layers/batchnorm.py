r"""Batch normalisation (Ioffe and Szegedy, 2015): each feature is standardised over the mini-batch.

For a batch of inputs (n, m) the statistics are taken per neuron over the m examples; for feature
maps (C, H, W, m) per channel over all positions and examples. With the batch mean $\mu$ and
variance $\sigma^2$ of a feature,

$$\hat x = \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}}, \qquad y = \gamma \hat x + \beta,$$

where the scale $\gamma$ and shift $\beta$ are learned (one each per feature, shape (n, 1)), so the
layer can still represent any mean and spread it needs.

Training and use differ. In training the batch's own $\mu$ and $\sigma^2$ are used, and running
averages of them are kept (``running = momentum * running + (1 - momentum) * batch``, the variance
with the unbiased N/(N-1) factor). In use (``training=False``), a single example has no batch, so the
running averages are used instead and the layer is a fixed affine map (whose backward pass is
just $\gamma/\sqrt{\sigma^2+\epsilon}$ times the incoming gradient).

Training needs more than one value per feature: a mini-batch of one example has no spread (its
$\hat x$ is 0, so $\gamma$ never learns, and the running variance collapses towards 0). Such a
batch is refused, as PyTorch refuses it (unless the layer is ``frozen``: a training-mode pass
that changes nothing, as lesson 11 takes to show that every $\hat x$ is then 0), and a run whose
last mini-batch would hold one example leaves that example out of the epoch and says so
(``engine.training``). Feature maps give many values per channel even for one example, so they
are not affected.

Backward pass, with N the count each statistic is taken over and sums over those N entries:

$$\frac{\partial C}{\partial\beta} = \sum g, \qquad \frac{\partial C}{\partial\gamma} = \sum g\hat x,
\qquad \frac{\partial C}{\partial x} = \frac{\gamma}{N\sqrt{\sigma^2+\epsilon}}
\Big(N g - \sum g - \hat x \sum g \hat x\Big),$$

where $g = \partial C/\partial y$. The last term is why batch normalisation is not just a rescaling:
every example's gradient depends on the whole batch through $\mu$ and $\sigma^2$.

Used by: the engine and notebook 11 (beyond plain SGD).
"""

from __future__ import annotations

import math

import numpy as np

from ..validate import float_dtype, number, whole
from .base import Layer


class BatchNorm(Layer):
    """Batch normalisation of ``n_features`` neurons or channels; see the module docstring."""

    kind = "batchnorm"
    params = ("gamma", "beta")
    decay = ()
    buffers = ("running_mean", "running_var")

    def __init__(self, n_features, momentum=0.9, epsilon=1e-5, dtype=np.float64):
        self.n_features = whole(n_features, "n_features", minimum=1)
        self.momentum = number(momentum, "momentum", low=0.0, high=1.0, high_open=True)
        self.epsilon = number(epsilon, "epsilon", low=0.0, low_open=True)
        dtype = float_dtype(dtype)
        self._allocate(dtype)
        self.gamma += 1.0
        self.running_var += 1.0

    @classmethod
    def array_shapes(cls, config):
        n = whole(config["n_features"], "n_features", minimum=1)
        return {name: (n, 1) for name in ("gamma", "beta", "running_mean", "running_var")}

    def output_shape(self, input_shape):
        if input_shape[0] != self.n_features or len(input_shape) not in (1, 3):
            raise ValueError(f"{self!r} needs inputs of shape ({self.n_features}, m) or "
                             f"({self.n_features}, H, W, m), but the layer below gives "
                             f"{tuple(input_shape)} per example")
        return input_shape

    def min_batch(self, input_shape):
        """Two examples for a layer of neurons (one example has no spread to normalise by: its
        x_hat is 0, so gamma never learns); one for feature maps, whose positions give the spread."""
        return 2 if math.prod(input_shape[1:]) == 1 else 1

    def _view(self, array, ndim):
        """A (n, 1) per-feature array shaped to broadcast against ndim-dimensional inputs."""
        return array.reshape((self.n_features,) + (1,) * (ndim - 1))

    def forward(self, a, training=False):
        if a.shape[0] != self.n_features or a.ndim not in (2, 4):
            raise ValueError(f"{self!r} needs inputs of shape ({self.n_features}, m) or "
                             f"({self.n_features}, H, W, m), got {a.shape}")
        axes = tuple(range(1, a.ndim))
        if training:
            count = a.size // self.n_features
            if count < 2 and not self.frozen:    # frozen: a look that changes nothing (lesson 11)
                raise ValueError(f"{self!r} cannot train on a mini-batch of one example: it "
                                 "normalises each neuron by its spread over the mini-batch, and "
                                 "one value has none (x_hat would be 0, gamma would never learn "
                                 "and the running variance would collapse); use mini-batches of "
                                 "at least 2")
            mean = a.mean(axis=axes, keepdims=True)
            var = a.var(axis=axes, keepdims=True)
            if not self.frozen:   # frozen (gradient checks): leave the running averages alone
                keep = self.momentum
                self.running_mean *= keep
                self.running_mean += (1 - keep) * mean.reshape(-1, 1)
                self.running_var *= keep
                self.running_var += (1 - keep) * var.reshape(-1, 1) * (count / max(count - 1, 1))
        else:
            mean = self._view(self.running_mean, a.ndim)
            var = self._view(self.running_var, a.ndim)
        self.batch_statistics = training   # whether backward must account for mean and var
        self.inv_std = 1.0 / np.sqrt(var + self.epsilon)
        self.x_hat = (a - mean) * self.inv_std
        return self._view(self.gamma, a.ndim) * self.x_hat + self._view(self.beta, a.ndim)

    def backward(self, grad, input_grad=True):
        axes = tuple(range(1, grad.ndim))
        x_hat = self.x_hat
        sum_g = grad.sum(axis=axes, keepdims=True)
        sum_g_xhat = (grad * x_hat).sum(axis=axes, keepdims=True)
        self.nabla_beta[...] = sum_g.reshape(-1, 1)
        self.nabla_gamma[...] = sum_g_xhat.reshape(-1, 1)
        if not input_grad:
            return None
        if not self.batch_statistics:   # in inference mean and var are constants: a plain scaling
            return self._view(self.gamma, grad.ndim) * self.inv_std * grad
        count = grad.size // self.n_features
        scale = self._view(self.gamma, grad.ndim) * self.inv_std / count
        return scale * (count * grad - sum_g - x_hat * sum_g_xhat)

    def config(self):
        return {"n_features": self.n_features, "momentum": self.momentum, "epsilon": self.epsilon}
