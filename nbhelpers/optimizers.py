r"""Optimisers: how a gradient becomes a step, looked up by name in ``OPTIMIZERS``.

Every optimiser has a learning rate ``eta`` (schedules change it between epochs) and one method per
level of detail:

- ``update(key, w, grad)`` applies its rule to one parameter array ``w`` in place, given
  $\nabla = \partial C/\partial w$; ``key`` names the array so the optimiser can keep per-array state
  (a velocity, running averages). Each rule below is one short ``update``.
- ``step(parameters)`` updates a network's parameters (``Layer.parameters()`` handles) from the
  gradients dC/dp backpropagation stored; when weight decay is on (``penalty``), its gradient
  $\frac{\lambda}{n}w$ (L2) is added for weights, never for biases.

Plain SGD has one more, ``fused_step``, which the training loop uses instead of backpropagation
followed by ``step``: backpropagation is linear in the output error, so scaling that error by
$-\eta$ once makes every layer's ``nabla`` array come out as the step $-\eta\nabla$ itself, and the
update is one addition per weight instead of a multiplication and a subtraction. Measured on
[784, 30, 10] and [784, 100, 10] with mini-batches of 10, that is 15-20% faster per epoch, so it
is kept, but only there: after the fused steps of an epoch, ``unfuse`` turns the arrays back into
dC/dp before anything else (a callback, a monitor, a notebook) reads them.

``clip_gradients(parameters, max_length)`` shortens a gradient longer than ``max_length`` before
the step (gradient clipping, ``Network.SGD(..., clip=...)``), against exploding gradients.

| name | rule |
|---|---|
| ``sgd`` | $w \to w - \eta\nabla$ (with L2: the book's $w \to (1-\eta\lambda/n)w - \eta\nabla$) |
| ``momentum`` | $v \to \mu v - \eta\nabla$, $w \to w + v$ (the book's momentum; friction is $1-\mu$) |
| ``nesterov`` | the same velocity, with the gradient taken at the look-ahead point $w + \mu v$ |
| ``adagrad`` | $G \to G + \nabla^2$, $w \to w - \eta\nabla/(\sqrt{G} + \epsilon)$ |
| ``rmsprop`` | $E \to \rho E + (1-\rho)\nabla^2$, $w \to w - \eta\nabla/(\sqrt{E} + \epsilon)$ |
| ``adam`` | $m \to \beta_1 m + (1-\beta_1)\nabla$, $v \to \beta_2 v + (1-\beta_2)\nabla^2$, |
|  | $w \to w - \eta\,\hat m/(\sqrt{\hat v}+\epsilon)$, $\hat m = m/(1-\beta_1^t)$, |
|  | $\hat v = v/(1-\beta_2^t)$ (step t counts from 1) |

Squares, roots and divisions are element by element. Nesterov's look-ahead is computed without a
second gradient: keeping the parameters at the look-ahead point, the step becomes
$v \to \mu v - \eta\nabla$, $w \to w + \mu v - \eta\nabla$ (the form PyTorch uses too).

**State.** Momentum keeps a velocity per parameter, Adagrad and RMSprop a running sum or average
of squared gradients, Adam two averages and a step count (``slots`` and ``counters`` name them;
``check_state`` checks state from a file or an earlier run). Each training run starts with no
state, even with an optimiser object used before (on another network, or another architecture:
``Optimizer.start`` decides);
at its end the network keeps the state (``Network.optimizer_state``), ``save`` writes it, and
``SGD(..., resume=True)`` continues from it, so a run resumed from its file goes on exactly as if
it had never stopped.

Used by: the training loop (``Network.SGD(optimizer=...)``), the widgets, the CLI
(``--optimizer``), and notebooks 07 (momentum) and 11 (beyond plain SGD).
"""

from __future__ import annotations

import copy

import numpy as np

from .names import lookup
from .validate import number, positive


class Optimizer:
    """Base class: subclasses define ``update``; see the module docstring.

    Attributes:
        eta: the learning rate (> 0).
        penalty: an L2/L1 penalty from ``nbhelpers.regularization`` or None; set for each run.
        state: per-array state, ``state[key]`` a dict of arrays; ``reset()`` forgets it.
    """

    name = "optimizer"
    #: whether the training loop may use ``fused_step`` (plain SGD only; see the module docstring)
    fused = False
    #: whether each step is divided by a running size of the gradient (so it is about eta in size)
    adaptive = False
    #: the arrays it keeps per parameter (each shaped like the parameter) and the whole numbers
    slots = ()
    counters = ()

    def __init__(self, eta=0.1):
        self.eta = positive(eta, "eta")
        self.penalty = None
        self.state = {}

    def update(self, key, w, grad):
        raise NotImplementedError

    def step(self, parameters):
        """Update every parameter in place from its stored gradient dC/dp, plus the penalty's
        gradient for weights."""
        penalty = self.penalty
        for key, p in enumerate(parameters):
            grad = p.grad
            if penalty is not None and p.decay:
                grad = grad + penalty.gradient(p.value)
            self.update(key, p.value, grad)

    def slot(self, key, name, like):
        """The state array ``name`` of parameter ``key``, created as zeros shaped like ``like``."""
        slots = self.state.setdefault(key, {})
        if name not in slots or slots[name].shape != like.shape:
            slots[name] = np.zeros_like(like)
        return slots[name]

    def reset(self):
        """Forget all state (velocities, running averages, step counts): a fresh dict, so state
        handed over to a network (``Network.optimizer_state``) stays as it was."""
        self.state = {}

    def start(self, saved, shapes, resume=False):
        """Decide the state a training run starts from (the one place it is decided): none (the
        default, whatever this object did before), or with ``resume`` a copy of ``saved``, the
        state a network kept from its last run or its file (``{"name": ..., "state": ...}`` or
        None), checked to fit parameters of ``shapes``."""
        if not resume:
            self.reset()
            return
        if saved is None or (not saved["state"] and saved["name"] != self.name):
            if self.slots or self.counters or self.name not in OPTIMIZERS:   # (one's own: may keep some)
                raise ValueError(f"resume=True continues the {self.name} optimiser from the state "
                                 "this network kept at the end of its last run (or from the file it "
                                 "was loaded from), and it has none: train it once without "
                                 "resume=True")
            self.reset()
            return
        if saved["name"] != self.name:
            raise ValueError(f"resume=True: this network's last run used optimizer "
                             f"{saved['name']!r}, whose state {self.name!r} cannot continue; "
                             f"give optimizer={saved['name']!r}, or leave resume out to start afresh")
        self.state = copy.deepcopy(check_state(type(self), saved["state"], shapes))

    def settings(self):
        """The hyper-parameters other than eta, as a dict (for saving and printing)."""
        return {}

    def __repr__(self):
        extra = "".join(f", {k}={v:g}" for k, v in self.settings().items())
        return f"{type(self).__name__}(eta={self.eta:g}{extra})"


class SGD(Optimizer):
    """Plain gradient descent, the book's rule: w -> w - eta * grad."""

    name = "sgd"

    @property
    def fused(self):
        # a subclass with a rule of its own must go through step
        return type(self).update is SGD.update and type(self).step is SGD.step

    def update(self, key, w, grad):
        w -= self.eta * grad

    def step(self, parameters):
        # the book's order: shrink the weights by the decay, then take the step down dC0/dw
        eta, penalty = self.eta, self.penalty
        for p in parameters:
            w = p.value
            if penalty is not None and p.decay:
                penalty.shrink(w, eta)
            w -= eta * p.grad

    def fused_step(self, net, x, y, parameters):
        """Backpropagate the mini-batch ``x``, ``y`` and take the step, in one: the layers' arrays
        come out as the steps -eta * dC/dp and are added to the parameters. Until ``unfuse``,
        those arrays hold steps, not gradients. Returns the network's output for ``x``."""
        eta, penalty = self.eta, self.penalty
        output = net._backpropagate(x, y, True, -eta)
        for p in parameters:
            w = p.value
            if penalty is not None and p.decay:
                penalty.shrink(w, eta)
            w += p.grad
        return output

    def unfuse(self, parameters):
        """Turn the arrays the fused steps left (-eta * dC/dp) back into the gradients dC/dp."""
        for p in parameters:
            grad = p.grad
            grad /= -self.eta


class Momentum(Optimizer):
    """The book's momentum: v -> mu v - eta grad, w -> w + v (mu = 0 is plain SGD)."""

    name = "momentum"
    slots = ("v",)

    def __init__(self, eta=0.1, mu=0.9):
        super().__init__(eta)
        self.mu = number(mu, "mu", low=0.0, high=1.0, high_open=True)

    def update(self, key, w, grad):
        v = self.slot(key, "v", w)
        v *= self.mu
        v -= self.eta * grad
        w += v

    def settings(self):
        return {"mu": self.mu}


class Nesterov(Momentum):
    """Nesterov momentum: the gradient is taken where momentum is about to carry w."""

    name = "nesterov"

    def update(self, key, w, grad):
        v = self.slot(key, "v", w)
        v *= self.mu
        v -= self.eta * grad
        w += self.mu * v - self.eta * grad


class Adagrad(Optimizer):
    """Adagrad: each weight's step is divided by the root of its summed squared gradients."""

    name = "adagrad"
    adaptive = True
    slots = ("G",)

    def __init__(self, eta=0.1, epsilon=1e-10):
        super().__init__(eta)
        self.epsilon = positive(epsilon, "epsilon")

    def update(self, key, w, grad):
        G = self.slot(key, "G", w)
        G += grad * grad
        w -= self.eta * grad / (np.sqrt(G) + self.epsilon)

    def settings(self):
        return {"epsilon": self.epsilon}


class RMSprop(Optimizer):
    """RMSprop: like Adagrad, but with a running average of squared gradients that forgets."""

    name = "rmsprop"
    adaptive = True
    slots = ("E",)

    def __init__(self, eta=0.001, rho=0.9, epsilon=1e-8):
        super().__init__(eta)
        self.rho = number(rho, "rho", low=0.0, high=1.0, high_open=True)
        self.epsilon = positive(epsilon, "epsilon")

    def update(self, key, w, grad):
        E = self.slot(key, "E", w)
        E *= self.rho
        E += (1.0 - self.rho) * grad * grad
        w -= self.eta * grad / (np.sqrt(E) + self.epsilon)

    def settings(self):
        return {"rho": self.rho, "epsilon": self.epsilon}


class Adam(Optimizer):
    """Adam: momentum on the gradient and RMSprop's scaling, both corrected for starting at 0."""

    name = "adam"
    adaptive = True
    slots = ("m", "v")
    counters = ("t",)

    def __init__(self, eta=0.001, beta1=0.9, beta2=0.999, epsilon=1e-8):
        super().__init__(eta)
        self.beta1 = number(beta1, "beta1", low=0.0, high=1.0, high_open=True)
        self.beta2 = number(beta2, "beta2", low=0.0, high=1.0, high_open=True)
        self.epsilon = positive(epsilon, "epsilon")

    def update(self, key, w, grad):
        m, v = self.slot(key, "m", w), self.slot(key, "v", w)
        slots = self.state[key]
        t = slots["t"] = slots.get("t", 0) + 1
        m *= self.beta1
        m += (1.0 - self.beta1) * grad
        v *= self.beta2
        v += (1.0 - self.beta2) * grad * grad
        m_hat = m / (1.0 - self.beta1 ** t)
        v_hat = v / (1.0 - self.beta2 ** t)
        w -= self.eta * m_hat / (np.sqrt(v_hat) + self.epsilon)

    def settings(self):
        return {"beta1": self.beta1, "beta2": self.beta2, "epsilon": self.epsilon}


OPTIMIZERS = {cls.name: cls for cls in (SGD, Momentum, Nesterov, Adagrad, RMSprop, Adam)}


def check_state(optimizer, state, shapes):
    """``state`` if it is what ``optimizer`` (a name in ``OPTIMIZERS``, or a class) keeps for
    parameters of ``shapes`` (a list, in ``Network.parameters()`` order): a dict parameter index ->
    {slot: array shaped like that parameter, with finite numbers; counter: whole number >= 0}. A
    class that declares no ``slots`` or ``counters`` (an optimiser of one's own) may name them as it
    likes. A ValueError says what is wrong, so state from a file or an earlier run is never used
    half-fitting."""
    cls = optimizer if isinstance(optimizer, type) else lookup(OPTIMIZERS, optimizer, "optimizer")
    declared = bool(cls.slots or cls.counters)
    if not isinstance(state, dict):
        raise ValueError(f"the optimizer state should map parameters to their state, found "
                         f"{type(state).__name__}")
    for key, slots in state.items():
        if isinstance(key, bool) or not isinstance(key, int) or not 0 <= key < len(shapes):
            raise ValueError(f"the optimizer state names parameter {key!r}, but the network has "
                             f"{len(shapes)} (0 to {len(shapes) - 1})")
        unknown = set(slots) - set(cls.slots) - set(cls.counters) if isinstance(slots, dict) else None
        if unknown is None or (unknown and declared):
            raise ValueError(f"the optimizer state of parameter {key} should hold "
                             f"{sorted(cls.slots + cls.counters)} for {cls.name!r}, found "
                             f"{sorted(slots) if isinstance(slots, dict) else slots!r}")
        for slot, value in slots.items():
            if slot in cls.counters or (not declared and not isinstance(value, np.ndarray)):
                if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
                    raise ValueError(f"the optimizer state's {slot!r} of parameter {key} should be "
                                     f"a whole number >= 0, found {value!r}")
            elif not (isinstance(value, np.ndarray) and value.shape == tuple(shapes[key])):
                found = value.shape if isinstance(value, np.ndarray) else type(value).__name__
                raise ValueError(f"the optimizer state's {slot!r} of parameter {key} should have "
                                 f"shape {tuple(shapes[key])}, found {found}")
            elif not np.isfinite(value).all():
                raise ValueError(f"the optimizer state's {slot!r} of parameter {key} contains "
                                 "NaN or infinite numbers")
    return state


def get_optimizer(optimizer, eta=None, **settings):
    """An optimiser from a name in ``OPTIMIZERS`` (with ``eta`` and other settings), or the object itself.

    ``get_optimizer("momentum", eta=0.5, mu=0.8)``; an ``Optimizer`` object is returned as it is
    (its ``eta`` replaced when ``eta`` is given).
    """
    if isinstance(optimizer, Optimizer):
        if settings:
            raise ValueError(f"settings {sorted(settings)} can only be given with an optimizer name, "
                             f"not with the object {optimizer!r}")
        if eta is not None:
            optimizer.eta = positive(eta, "eta")
        return optimizer
    cls = lookup(OPTIMIZERS, optimizer, "optimizer", extra=" or an Optimizer object")
    if eta is not None:
        settings["eta"] = eta
    try:
        return cls(**settings)
    except TypeError as err:
        raise ValueError(f"optimizer {cls.name!r} does not take these settings: {err}") from None


def clip_gradients(parameters, max_length):
    r"""Gradient clipping: if the gradient of all ``parameters`` together is longer than
    ``max_length``, shorten it to that length in place (its direction kept). Returns True when it
    did.

    The length is $\lVert\nabla C\rVert = \sqrt{\sum_p \sum (\partial C/\partial p)^2}$ over every
    array at once (the cost without the weight-decay term). A step then never exceeds
    $\eta \cdot$ ``max_length``, however steep the cost surface is where the mini-batch landed:
    the usual answer to the exploding gradients of recurrent networks. ``Network.SGD(...,
    clip=5.0)`` applies it to every mini-batch.
    """
    length = np.sqrt(sum(float(np.vdot(p.grad, p.grad)) for p in parameters))
    if not length > max_length:          # also when the length is NaN: nothing to rescue
        return False
    scale = max_length / length
    for p in parameters:
        p.grad[...] *= scale
    return True
