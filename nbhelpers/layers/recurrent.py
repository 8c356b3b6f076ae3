r"""Recurrent layers: a vanilla ``RNN`` (tanh) and an ``LSTM``, with backpropagation through time.

A batch of sequences has the shape (n_in, T, m): n_in numbers at each of T time steps, for m
examples (**the example axis is last**, as everywhere; the time axis comes just before it). A
network whose first layer is recurrent is told one example's shape, e.g. 28 steps of 28 pixels::

    Network([LSTM(28, 64), Dense(64, 10, "softmax")], cost="log_likelihood", input_shape=(28, 28))

and takes its inputs as (28, 28, m) arrays or as (784, m) columns, read as x[i, t] = column[i*T + t].
A recurrent layer returns its last state h_T, (n_hidden, m), which a Dense layer can read, or with
``sequence=True`` every state, (n_hidden, T, m), which another recurrent layer can read.

**The vanilla RNN.** One layer of tanh neurons whose input at step t is the data x_t *and* the
layer's own output of the step before (h_0 = 0)::

    z_t = w x_t + u h_{t-1} + b,        h_t = tanh(z_t),        t = 1, ..., T.

``w`` (n_hidden, n_in), ``u`` (n_hidden, n_hidden) and ``b`` (n_hidden, 1) are the same at every
step. Unrolled in time it is a T-layer network whose layers share their weights, so its gradient is
chapter 2's backpropagation run through the unrolled network, **backpropagation through time**
(BPTT). With delta_t = dC/dz_t, and dC/dh_t^above the error the layers above send to h_t (only to
h_T unless ``sequence``):

    (BPTT1)  dC/dh_t = dC/dh_t^above + u^T delta_{t+1}   (the last term absent for t = T)
    (BPTT2)  delta_t = dC/dh_t * tanh'(z_t)              (* element by element: BP2)
    (BPTT3)  dC/db = sum_t delta_t                       (BP3, summed over the shared copies)
    (BPTT4)  dC/dw = sum_t delta_t x_t^T,  dC/du = sum_t delta_t h_{t-1}^T   (BP4, likewise)

and dC/dx_t = w^T delta_t for the layer below. Only BPTT1-2 must run step by step, backwards; the
sums of BPTT3-4 and dC/dx are one matrix product each over all steps and examples at once.

**The LSTM** (long short-term memory) keeps a second state, the cell c_t, which it changes only by
gating. Four blocks of n_hidden rows each, in the order (input i, forget f, candidate g, output o),
the order PyTorch uses::

    z_t = w x_t + u h_{t-1} + b                  (4 n_hidden rows: z^i, z^f, z^g, z^o)
    i = sigmoid(z^i),  f = sigmoid(z^f),  g = tanh(z^g),  o = sigmoid(z^o)
    c_t = f * c_{t-1} + i * g,        h_t = o * tanh(c_t)          (c_0 = h_0 = 0)

Its backward pass has a second carried error, dC/dc_t:

    (LSTM1)  dC/dh_t = dC/dh_t^above + u^T delta_{t+1}
    (LSTM2)  dC/dc_t = dC/dc_{t+1} * f_{t+1} + dC/dh_t * o_t * tanh'(c_t)
    (LSTM3)  dC/do = dC/dh_t * tanh(c_t),  dC/di = dC/dc_t * g,  dC/dg = dC/dc_t * i,
             dC/df = dC/dc_t * c_{t-1}
    (LSTM4)  delta_t = (dC/di * sigmoid'(z^i), dC/df * sigmoid'(z^f), dC/dg * tanh'(z^g),
                        dC/do * sigmoid'(z^o))

then BPTT3-4 as for the RNN. Along the cell the error is multiplied by f at each step, not by
u^T tanh'(z): a forget gate near 1 carries it back undiminished.

**Truncated BPTT.** With ``truncate=k`` the backward pass treats the state handed from one block of
k steps to the next as a constant (as ``h.detach()`` does in PyTorch): the error stops there. The
blocks end at the last step, so for a layer that returns h_T the gradient reaches back exactly k
steps. The forward pass is unchanged.

After each backward pass a layer keeps ``dh`` (T, n_hidden, m), every dC/dh_t, and ``delta``,
every delta_t; ``time_gradient_norms()`` gives the length of each dC/dh_t, which the engine's
gradient monitor records (``history.time_gradient_norms``). The nonlinearities are the engine's own
activation objects (``nbhelpers.activations``), their derivatives their ``backward`` methods.

Used by: the engine (``Network``), ``serialize`` (kinds ``"rnn"`` and ``"lstm"``),
``lessons.torch_bridge`` (``nn.RNN`` and ``nn.LSTM``), and notebook 13 (recurrent networks).
"""

from __future__ import annotations

import numpy as np

from ..activations import get_activation
from ..validate import boolean, fail, fits_in_memory, float_dtype, whole
from .base import Layer


class Recurrent(Layer):
    """What ``RNN`` and ``LSTM`` share: settings, shapes, the time axis, BPTT3-4 and truncation.

    Args:
        n_in: numbers per time step of the input.
        n_hidden: the size of the state h_t (the layer's neurons).
        sequence: return every state (n_hidden, T, m) instead of the last (n_hidden, m).
        truncate: None (full BPTT) or k >= 1: the error is carried back at most k steps.
        dtype: np.float64 (default) or np.float32.
    """

    params = ("w", "u", "b")
    decay = ("w", "u")
    #: blocks of n_hidden rows in w, u and b (the LSTM has four: its gates and candidate)
    blocks = 1

    def __init__(self, n_in, n_hidden, sequence=False, truncate=None, dtype=np.float64):
        self.n_in = whole(n_in, "n_in", minimum=1)
        self.n_hidden = whole(n_hidden, "n_hidden", minimum=1)
        self.sequence = boolean(sequence, "sequence")
        self.truncate = None if truncate is None else whole(truncate, "truncate", minimum=1)
        dtype = float_dtype(dtype)
        rows = self.blocks * self.n_hidden
        fits_in_memory(rows * (self.n_in + self.n_hidden + 1), dtype.itemsize, "n_in, n_hidden",
                       f"a {type(self).__name__}({self.n_in}, {self.n_hidden}) layer")
        self.tanh = get_activation("tanh")
        self.dh = self.delta = None
        self._allocate(dtype)

    @classmethod
    def array_shapes(cls, config):
        n_in = whole(config["n_in"], "n_in", minimum=1)
        rows = cls.blocks * whole(config["n_hidden"], "n_hidden", minimum=1)
        return {"w": (rows, n_in), "u": (rows, rows // cls.blocks), "b": (rows, 1)}

    def config(self):
        return {"n_in": self.n_in, "n_hidden": self.n_hidden, "sequence": self.sequence,
                "truncate": self.truncate}

    def output_shape(self, input_shape):
        if len(input_shape) != 2 or input_shape[0] != self.n_in:
            raise ValueError(f"{self!r} needs sequences of shape ({self.n_in}, T, m), but it is given "
                             f"{tuple(input_shape)} per example (say input_shape=({self.n_in}, T) "
                             "to the network)")
        steps = input_shape[1]
        return (self.n_hidden, steps) if self.sequence else (self.n_hidden,)

    def workspace(self, input_shape):
        # per example: the states (and the LSTM's cells), weighted inputs and their activations
        steps = input_shape[1] if len(input_shape) == 2 else 1
        return (2 * self.blocks + 3) * self.n_hidden * (steps + 1)

    def time_gradient_norms(self):
        """||dC/dh_t|| for t = 1, ..., T after the last backward pass (length over the neurons and
        the examples of the batch); None before any."""
        if self.dh is None:
            return None
        return np.sqrt(np.einsum("thm,thm->t", self.dh, self.dh))

    # ------------------------------------------------------------------ shared by the passes

    def _inputs(self, a):
        """The time-major input (T, n_in, m) and every step's w x_t + b at once (T, rows, m)."""
        a = np.asarray(a)
        if a.ndim != 3 or a.shape[0] != self.n_in or a.shape[1] < 1:
            fail("a", f"a batch of sequences of shape ({self.n_in}, T, m) with T >= 1",
                 f"an array of shape {a.shape}")
        xs = np.moveaxis(a, 1, 0)
        wx = np.matmul(self.w, xs)
        wx += self.b
        return xs, wx

    def _output(self, hs):
        """What the layer returns from its states hs (T + 1, n_hidden, m), hs[0] = h_0."""
        return np.moveaxis(hs[1:], 0, 1) if self.sequence else hs[-1]

    def _errors_from_above(self, grad):
        """dC/dh_t^above for every step, (T, n_hidden, m): only h_T's unless ``sequence``."""
        steps = self.hs.shape[0] - 1
        if self.sequence:
            return np.moveaxis(grad, 1, 0)
        above = np.zeros_like(self.hs[1:])
        above[steps - 1] = grad
        return above

    def _cut(self, t, steps):
        """True where truncated BPTT stops the error between step t - 1 and step t (t from 0)."""
        return self.truncate is not None and (steps - t) % self.truncate == 0

    def _parameter_gradients(self, delta, input_grad):
        """BPTT3-4 over every step and example at once; returns dC/dx (n_in, T, m) or None."""
        self.delta = delta
        both = ([0, 2], [0, 2])                                        # sum over t and examples
        np.sum(delta, axis=(0, 2), out=self.nabla_b[:, 0])            # BPTT3
        self.nabla_w[...] = np.tensordot(delta, self.xs, axes=both)   # BPTT4: sum delta_t x_t^T
        self.nabla_u[...] = np.tensordot(delta, self.hs[:-1], axes=both)   # sum delta_t h_{t-1}^T
        if not input_grad:
            return None
        return np.moveaxis(np.matmul(self.w.T, delta), 0, 1)          # dC/dx_t = w^T delta_t


class RNN(Recurrent):
    """A vanilla recurrent layer, h_t = tanh(w x_t + u h_{t-1} + b); see the module docstring."""

    kind = "rnn"
    blocks = 1

    def forward(self, a, training=False):
        xs, wx = self._inputs(a)
        steps, _, m = wx.shape
        hs = np.zeros((steps + 1, self.n_hidden, m), wx.dtype)
        zs = wx
        for t in range(steps):
            zs[t] += self.u @ hs[t]                   # z_t = w x_t + b + u h_{t-1}
            hs[t + 1] = self.tanh.fn(zs[t])
        self.xs, self.zs, self.hs = xs, zs, hs
        return self._output(hs)

    def backward(self, grad, input_grad=True):
        """BPTT1-2 step by step, backwards in time; then BPTT3-4 (module docstring)."""
        above = self._errors_from_above(grad)
        steps = above.shape[0]
        dh, delta = np.empty_like(above), np.empty_like(above)
        carried = np.zeros_like(above[0])             # u^T delta_{t+1}: nothing after the last step
        for t in range(steps - 1, -1, -1):
            dh[t] = above[t] + carried                                        # BPTT1
            delta[t] = self.tanh.backward(self.zs[t], self.hs[t + 1], dh[t])  # BPTT2
            if self._cut(t, steps):
                carried = np.zeros_like(carried)
            else:
                carried = self.u.T @ delta[t]
        self.dh = dh
        return self._parameter_gradients(delta, input_grad)


class LSTM(Recurrent):
    """A long short-term memory layer (gates i, f, o and candidate g); see the module docstring."""

    kind = "lstm"
    blocks = 4

    def __init__(self, n_in, n_hidden, sequence=False, truncate=None, dtype=np.float64):
        super().__init__(n_in, n_hidden, sequence, truncate, dtype)
        self.sigmoid = get_activation("sigmoid")

    def split(self, array):
        """The four blocks (i, f, g, o) of an array with 4 n_hidden rows (``w``, ``u``, ``b``, their
        gradients, one step's ``zs`` or ``acts``), as views: ``lstm.split(lstm.b)[1][...] = 1.0``
        starts every forget gate's bias at 1."""
        n = self.n_hidden
        return array[:n], array[n:2 * n], array[2 * n:3 * n], array[3 * n:]

    def forward(self, a, training=False):
        xs, wx = self._inputs(a)
        steps, _, m = wx.shape
        n = self.n_hidden
        hs = np.zeros((steps + 1, n, m), wx.dtype)
        cs = np.zeros_like(hs)
        zs, acts, tanh_c = wx, np.empty_like(wx), np.empty_like(hs[1:])
        for t in range(steps):
            zs[t] += self.u @ hs[t]
            acts[t] = self.sigmoid.fn(zs[t])            # the gates i, f, o ...
            acts[t, 2 * n:3 * n] = self.tanh.fn(zs[t, 2 * n:3 * n])   # ... and the candidate g
            i, f, g, o = self.split(acts[t])
            cs[t + 1] = f * cs[t] + i * g
            tanh_c[t] = self.tanh.fn(cs[t + 1])
            hs[t + 1] = o * tanh_c[t]
        self.xs, self.zs, self.acts, self.hs, self.cs, self.tanh_c = xs, zs, acts, hs, cs, tanh_c
        return self._output(hs)

    def backward(self, grad, input_grad=True):
        """LSTM1-4 step by step, backwards in time; then BPTT3-4 (module docstring)."""
        above = self._errors_from_above(grad)
        steps = above.shape[0]
        dh, delta = np.empty_like(above), np.empty_like(self.zs)
        carried_h = np.zeros_like(above[0])          # u^T delta_{t+1}
        carried_c = np.zeros_like(above[0])          # dC/dc_{t+1} * f_{t+1}
        sigmoid, tanh = self.sigmoid, self.tanh
        for t in range(steps - 1, -1, -1):
            i, f, g, o = self.split(self.acts[t])
            z_i, z_f, z_g, z_o = self.split(self.zs[t])
            d_i, d_f, d_g, d_o = self.split(delta[t])
            dh[t] = above[t] + carried_h                                           # LSTM1
            dc = carried_c + tanh.backward(self.cs[t + 1], self.tanh_c[t], dh[t] * o)  # LSTM2
            d_i[...] = sigmoid.backward(z_i, i, dc * g)                    # LSTM3 and LSTM4
            d_f[...] = sigmoid.backward(z_f, f, dc * self.cs[t])
            d_g[...] = tanh.backward(z_g, g, dc * i)
            d_o[...] = sigmoid.backward(z_o, o, dh[t] * self.tanh_c[t])
            if self._cut(t, steps):
                carried_h, carried_c = np.zeros_like(carried_h), np.zeros_like(carried_c)
            else:
                carried_h, carried_c = self.u.T @ delta[t], dc * f
        self.dh = dh
        return self._parameter_gradients(delta, input_grad)
