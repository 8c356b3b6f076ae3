"""The trainer panel's controls: their names and ranges, checking a panel's arguments, and
building the sliders and drop-downs.

Every check goes through the package's one vocabulary: ``validate`` for numbers, the tables of
``costs``, ``regularization``, ``optimizers`` and ``initializers`` for names (so any spelling the
engine accepts works here too), and the engine's ``examples`` for the data.

Used by: ``widgets.panel`` (``TrainerPanel``), and so by notebooks 03, 05, 06 and 07.
"""

from __future__ import annotations

import math

import numpy as np

from ..costs import get_cost
from ..engine.examples import Examples, as_matrices
from ..initializers import get_initializer
from ..names import lookup
from ..optimizers import OPTIMIZERS
from ..regularization import REGULARIZATIONS, get_regularization
from ..validate import fail, number, one_of, positive, whole

#: The controls a panel can show, in display order.
CONTROL_NAMES = ("eta", "lmbda", "hidden", "epochs", "mini_batch_size", "cost", "regularization",
                 "optimizer")
#: The costs offered in the cost drop-down.
COST_NAMES = ("quadratic", "cross_entropy", "log_likelihood")
#: The sizes offered in the mini-batch drop-down (a constructor value outside the list is added).
MINI_BATCH_SIZES = (1, 2, 5, 10, 20, 50, 100)
#: Training examples used when ``train_size`` is None: enough to learn, small enough to redraw fast.
DEFAULT_TRAIN_SIZE = 1000

# Slider ranges; a constructor value outside a range widens it rather than being clipped.
# eta spans three decades, the rates that teach something on MNIST: on a log slider every pixel
# multiplies eta by the same factor, so more decades would make a short drag a huge jump. The
# exponent moves in steps of 0.01 (2.3% of eta), and any value in range can be typed in the box.
ETA_EXPONENTS = (-2, 1)      # 1e-2 .. 1e1
ETA_STEP = 0.01
LMBDA_EXPONENTS = (-2, 2)    # 1e-2 .. 1e2
HIDDEN_RANGE = (1, 100)
EPOCHS_RANGE = (1, 60)
#: lmbda shown on the slider when the panel starts with lmbda = 0 (regularise box unticked).
LMBDA_WHEN_OFF = 1.0
# The drawn curves, in inches at DPI dots per inch: 800 pixels wide, 960 with the weight histogram.
FIGURE_WIDTH, FIGURE_WIDTH_WITH_WEIGHTS, FIGURE_HEIGHT, DPI = 10, 12, 3.5, 80
# Every control's label column, and the sliders' full width (label, track and readout box).
DESCRIPTION_WIDTH, SLIDER_WIDTH = "115px", "520px"


# ------------------------------------------------------------------ checking the arguments


def check_settings(hidden, eta, lmbda, epochs, mini_batch_size, cost, regularization, optimizer):
    """The starting values of the controls, checked, as a dict keyed by control name. Names are
    spelled as freely as anywhere else in the package ("Cross-Entropy", "L2", "Adam")."""
    return {
        "hidden": whole(hidden, "hidden", minimum=1),
        "eta": positive(eta, "eta"),
        "lmbda": number(lmbda, "lmbda", low=0.0),
        "epochs": whole(epochs, "epochs", minimum=1),
        "mini_batch_size": whole(mini_batch_size, "mini_batch_size", minimum=1),
        "cost": one_of(get_cost(cost).name, "cost", COST_NAMES),
        "regularization": get_regularization(regularization).name,
        "optimizer": lookup(OPTIMIZERS, optimizer, "optimizer").name,
    }


def check_init(init):
    """The name of the initialiser ``init`` (any spelling of a key of ``INITIALIZERS``)."""
    return get_initializer(init).name


def check_controls(controls):
    """The names of the controls to show, checked, in ``CONTROL_NAMES`` order."""
    if controls is None:
        return CONTROL_NAMES
    if isinstance(controls, str):
        controls = (controls,)
    try:
        names = list(controls)
    except TypeError:
        fail("controls", f"None or a tuple of names from {list(CONTROL_NAMES)}", controls)
    unknown = [name for name in names if name not in CONTROL_NAMES]
    if unknown:
        fail("controls", f"names from {list(CONTROL_NAMES)}", unknown[0] if len(unknown) == 1
              else unknown)
    return tuple(name for name in CONTROL_NAMES if name in names)


def check_data(data, train_size):
    """The training split cut to its first ``train_size`` examples and the validation split, as
    the engine's checked ``Examples``, and the number of classes: ``(training, validation, n_out)``.
    ``data`` None loads the MNIST sample."""
    if data is None:
        from ..data import load_mnist

        data = load_mnist()
    if not (hasattr(data, "train") and hasattr(data, "validation")):
        fail("data", "None or a data set with .train and .validation splits (as load_mnist "
             "returns)", type(data).__name__)
    splits = {"data.train": data.train, "data.validation": data.validation}
    for name, split in splits.items():
        if not (isinstance(split, tuple) and len(split) == 2 and np.ndim(split[1]) == 1):
            fail(name, "a pair (X, y): X of shape (n_in, n), one example per column, and "
                 "integer labels y of shape (n,)", type(split).__name__)
    classes = getattr(data, "classes", None)
    try:
        n_out = len(classes) if classes else int(max(np.max(y) for _, y in splits.values())) + 1
    except (TypeError, ValueError):
        fail("data", "splits with integer labels", "labels that are not numbers")
    n_in = np.shape(data.train[0])[0]
    training, validation = (as_matrices(split, n_in, n_out, np.float64, name)
                            for name, split in splits.items())
    n = training.X.shape[1]
    if train_size is None:
        train_size = min(DEFAULT_TRAIN_SIZE, n)
    elif train_size == "all":
        train_size = n
    else:
        train_size = whole(train_size, "train_size", minimum=1, maximum=n)
    return Examples(*(array[..., :train_size] for array in training)), validation, n_out


# ------------------------------------------------------------------ building the controls


def _exponents(value, default):
    """A (min, max) base-10 exponent range for a log slider that contains ``value``."""
    low, high = default
    if value > 0:
        exponent = math.log10(value)
        low, high = min(low, math.floor(exponent)), max(high, math.ceil(exponent))
    return low, high


def build_controls(initial):
    """Every control in ``CONTROL_NAMES`` order, set to the checked ``initial`` values; a value
    outside a slider's range or the mini-batch list widens it."""
    import ipywidgets as widgets

    style = {"description_width": DESCRIPTION_WIDTH}
    wide = widgets.Layout(width=SLIDER_WIDTH)
    eta, lmbda, hidden = initial["eta"], initial["lmbda"], initial["hidden"]
    epochs, mini_batch_size = initial["epochs"], initial["mini_batch_size"]
    eta_range = _exponents(eta, ETA_EXPONENTS)
    lmbda_shown = lmbda if lmbda > 0 else LMBDA_WHEN_OFF
    lmbda_range = _exponents(lmbda_shown, LMBDA_EXPONENTS)
    return {
        "eta": widgets.FloatLogSlider(
            value=eta, base=10, min=eta_range[0], max=eta_range[1], step=ETA_STEP,
            description="η (eta)", readout_format=".3g", continuous_update=False,
            style=style, layout=wide),
        "lmbda": widgets.FloatLogSlider(
            value=lmbda_shown, base=10, min=lmbda_range[0], max=lmbda_range[1], step=0.05,
            description="λ (lmbda)", readout_format=".3g", continuous_update=False,
            style=style, layout=wide),
        "hidden": widgets.IntSlider(
            value=hidden, min=HIDDEN_RANGE[0], max=max(HIDDEN_RANGE[1], hidden),
            description="hidden neurons", continuous_update=False, style=style, layout=wide),
        "epochs": widgets.IntSlider(
            value=epochs, min=EPOCHS_RANGE[0], max=max(EPOCHS_RANGE[1], epochs),
            description="epochs", continuous_update=False, style=style, layout=wide),
        "mini_batch_size": widgets.Dropdown(
            options=sorted(set(MINI_BATCH_SIZES) | {mini_batch_size}), value=mini_batch_size,
            description="mini-batch size", style=style),
        "cost": widgets.Dropdown(options=COST_NAMES, value=initial["cost"], description="cost",
                                 style=style),
        "regularization": widgets.Dropdown(options=tuple(REGULARIZATIONS),
                                           value=initial["regularization"],
                                           description="regulariser", style=style),
        "optimizer": widgets.Dropdown(options=tuple(OPTIMIZERS), value=initial["optimizer"],
                                      description="optimiser", style=style),
    }
