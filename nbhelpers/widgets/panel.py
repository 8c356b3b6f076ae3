"""An interactive trainer for JupyterLab: sliders for the hyper-parameters, live learning curves.

``TrainerPanel`` trains a ``[784, hidden, 10]`` network on (part of) a data set and draws the
training and validation cost and accuracy. Move a slider and it trains again with the new value.

Used by: notebooks 03 (the MNIST network), 05 (cross-entropy and softmax), 06 (regularisation)
and 07 (initialisation and hyper-parameters).

How it behaves:

- Sliders only report a value when released (``continuous_update=False``), so a drag is one
  retrain, not one per pixel.
- Training runs in a background thread, so the notebook stays responsive. A change while a run
  is going asks that run to stop (through ``Network.SGD``'s ``stop=`` function, checked after
  every mini-batch) and queues the newest settings only: a burst of changes trains once with the
  last values, never a backlog of stale runs. Every request gets a generation number and only the
  newest generation may draw.
- A progress bar and a status line follow the epochs (through ``SGD``'s ``callback=``); the Stop
  button ends the run, keeping what was learned so far.
- Any exception while training or drawing is shown in red in the panel rather than lost in a
  background thread.

For scripts, tests and notebook checks, ``panel.run()`` trains synchronously (no thread) with the
current values and returns the ``History``; ``TrainerPanel(..., threaded=False)`` makes every
change train synchronously inside the widget observer.

Example::

    panel = TrainerPanel(hidden=30, eta=3.0, controls=("eta", "lmbda", "hidden", "epochs"))
    panel            # shows it (last expression of a cell)
    history = panel.run()
"""

from __future__ import annotations

import base64
import html
import io
import math
import threading
import time

import numpy as np

from ..engine import Network
from ..engine.callbacks import StopTraining
from ..initializers import INITIALIZERS
from ..optimizers import OPTIMIZERS
from ..regularization import REGULARIZATIONS
from ..validate import boolean, fail, number, one_of, positive, whole

__all__ = ["TrainerPanel", "CONTROL_NAMES", "COST_NAMES", "MINI_BATCH_SIZES", "DEFAULT_TRAIN_SIZE"]

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


def _check_settings(hidden, eta, lmbda, epochs, mini_batch_size, cost, regularization, optimizer):
    """The starting values of the controls, checked, as a dict keyed by control name."""
    return {
        "hidden": whole(hidden, "hidden", minimum=1),
        "eta": positive(eta, "eta"),
        "lmbda": number(lmbda, "lmbda", low=0.0),
        "epochs": whole(epochs, "epochs", minimum=1),
        "mini_batch_size": whole(mini_batch_size, "mini_batch_size", minimum=1),
        "cost": one_of(cost, "cost", COST_NAMES),
        "regularization": one_of(regularization, "regularization", tuple(REGULARIZATIONS)),
        "optimizer": one_of(optimizer, "optimizer", tuple(OPTIMIZERS)),
    }


def _check_controls(controls):
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


def _check_data(data, train_size):
    """The training split cut to its first ``train_size`` examples, the validation split, and
    the number of classes: ``((X, y), (VX, vy), n_out)``. ``data`` None loads the MNIST sample."""
    if data is None:
        from ..data import load_mnist

        data = load_mnist()
    if not (hasattr(data, "train") and hasattr(data, "validation")):
        fail("data", "None or a data set with .train and .validation splits (as load_mnist "
              "returns)", type(data).__name__)
    X, y = _check_split(data.train, "data.train")
    VX, vy = _check_split(data.validation, "data.validation")
    if VX.shape[0] != X.shape[0]:
        fail("data.validation", f"inputs with {X.shape[0]} rows like data.train",
              f"shape {VX.shape}")
    n = X.shape[1]
    if train_size is None:
        train_size = min(DEFAULT_TRAIN_SIZE, n)
    elif train_size == "all":
        train_size = n
    else:
        train_size = whole(train_size, "train_size", minimum=1, maximum=n)
    classes = getattr(data, "classes", None)
    n_out = len(classes) if classes else int(max(y.max(), vy.max())) + 1
    return (X[:, :train_size], y[:train_size]), (VX, vy), n_out


def _check_split(split, name):
    """``split`` as arrays (X, y), checked: X (n_in, n) with one example per column, y (n,)."""
    try:
        X, y = split
    except (TypeError, ValueError):
        fail(name, "a pair (X, y) of arrays", type(split).__name__)
    X, y = np.asarray(X), np.asarray(y)
    if X.ndim != 2 or y.ndim != 1 or X.shape[1] != y.shape[0] or X.shape[1] == 0:
        fail(name, "(X, y) with X of shape (n_in, n) and integer labels y of shape (n,)",
              f"shapes {X.shape} and {y.shape}")
    return X, y


# ------------------------------------------------------------------ building the controls


def _exponents(value, default):
    """A (min, max) base-10 exponent range for a log slider that contains ``value``."""
    low, high = default
    if value > 0:
        exponent = math.log10(value)
        low, high = min(low, math.floor(exponent)), max(high, math.ceil(exponent))
    return low, high


def _build_controls(initial):
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


class TrainerPanel:
    """Sliders for eta, lmbda, hidden size, epochs, mini-batch size, cost, regulariser and optimiser.

    Args:
        data: a data set with ``.train`` and ``.validation`` splits, each ``(X, y)`` with X
            (n_in, n) float, one example per column, and y (n,) int labels, such as
            ``load_mnist()`` returns. None (default) loads the bundled MNIST sample.
        hidden: hidden neurons (int >= 1); the network is ``[n_in, hidden, n_classes]``.
        eta: learning rate (float > 0); its slider is logarithmic (1e-2 .. 1e1 by default).
        lmbda: regularisation strength (float >= 0). 0 leaves the "regularise" box unticked.
        epochs: epochs per run (int >= 1).
        mini_batch_size: examples per gradient step (int >= 1).
        cost: "quadratic", "cross_entropy" or "log_likelihood" (softmax output).
        regularization: "l2" or "l1".
        optimizer: the update rule, a name from ``nbhelpers.optimizers.OPTIMIZERS`` ("sgd", the
            book's, by default; "momentum", "nesterov", "adagrad", "rmsprop", "adam"), each with
            its usual settings; eta is the slider's.
        controls: the names of the controls to show, a tuple drawn from ``CONTROL_NAMES``
            (default: all). The others stay fixed at the values given here.
        train_size: how many training examples to use (the first ones, int >= 1), None for
            ``DEFAULT_TRAIN_SIZE`` (1000, or all if fewer), or "all".
        seed: seed (int >= 0) for the initial weights and the shuffling, so a setting always
            gives the same curves.
        threaded: train in a background thread when a control changes (default). False trains
            synchronously inside the change (handy in tests and scripts).
        init: the weight initialiser, a name from ``nbhelpers.initializers.INITIALIZERS``
            ("default" N(0, 1/n_in), "large" N(0, 1), "xavier", "he").
        show_weights: also draw a histogram of the trained network's weights (to watch L2 or L1
            shrink them as lmbda grows).

    Attributes:
        controls: dict name -> ipywidget for the controls shown (``FloatLogSlider`` for "eta"
            and "lmbda", ``IntSlider`` for "hidden" and "epochs", ``Dropdown`` for the rest).
        regularise: the ``Checkbox`` next to the lmbda slider; unticked means lmbda = 0.
            Moving the lmbda slider ticks it.
        train_button, stop_button: the ``Button`` widgets.
        progress: the ``IntProgress`` bar (value = epochs done in the current run).
        history: the ``History`` of the latest finished run (None before the first).
        net: the ``Network`` of the latest finished run.
        widget: the top-level ``ipywidgets.VBox``; displaying the panel displays it.
        runs_started, runs_completed, runs_superseded: counters (ints). A run is superseded when
            newer settings arrive before it finishes; it then neither draws nor sets ``history``.
        last_exception: the exception from the latest failed run, or None.
        status, error, settings, busy: read-only properties, see below.

    Methods: ``run()`` (synchronous training -> ``History``), ``stop()``, ``wait(timeout)``.
    """

    def __init__(self, data=None, hidden=30, eta=3.0, lmbda=0.0, epochs=10, mini_batch_size=10,
                 cost="quadratic", regularization="l2", controls=None, train_size=None, seed=0,
                 threaded=True, init="default", show_weights=False, optimizer="sgd"):
        initial = _check_settings(hidden=hidden, eta=eta, lmbda=lmbda, epochs=epochs,
                                  mini_batch_size=mini_batch_size, cost=cost,
                                  regularization=regularization, optimizer=optimizer)
        self._shown = _check_controls(controls)
        self.seed = whole(seed, "seed", minimum=0)
        self.threaded = boolean(threaded, "threaded")
        self.init = one_of(init, "init", tuple(INITIALIZERS))
        self.show_weights = boolean(show_weights, "show_weights")
        self.training_data, self.validation_data, self.n_out = _check_data(data, train_size)
        self.n_in, self.train_size = self.training_data[0].shape

        self.history = None
        self.net = None
        self.last_exception = None
        self.runs_started = self.runs_completed = self.runs_superseded = 0
        self._lock = threading.Lock()       # guards generation, pending, thread and drawing
        self._stop_event = threading.Event()
        self._generation = 0
        self._pending = False
        self._thread = None
        self._quiet = False                 # True while the panel itself sets a control

        self._all = _build_controls(initial)
        self.controls = {name: self._all[name] for name in self._shown}
        self._build_panel_widgets(initial)
        self._connect()
        self.widget = self._lay_out()

    # ------------------------------------------------------------------ building the panel

    def _build_panel_widgets(self, initial):
        """The widgets besides the controls: regularise box, buttons, progress, status, error, plot."""
        import ipywidgets as widgets

        style = {"description_width": DESCRIPTION_WIDTH}
        self.regularise = widgets.Checkbox(value=initial["lmbda"] > 0, description="regularise",
                                           indent=False, layout=widgets.Layout(width="100px"))
        self.train_button = widgets.Button(description="Train", icon="play",
                                           tooltip="train again with the current settings")
        self.stop_button = widgets.Button(description="Stop", icon="stop",
                                          tooltip="stop the current run, keeping what it learned")
        self.progress = widgets.IntProgress(value=0, min=0, max=initial["epochs"],
                                            description="epochs done", style=style)
        self._status = widgets.Label(value="Ready: move a control or press Train.")
        self._error = widgets.HTML(value="")
        self._error_text = ""
        # as tall as the drawn curves, so the panel keeps its height while it redraws
        self._plot = widgets.Output(layout=widgets.Layout(min_height=f"{round(FIGURE_HEIGHT * DPI)}px"))

    def _connect(self):
        """Every control, the regularise box and the buttons start (or stop) a run."""
        for name, control in self._all.items():
            control.observe(self._on_lmbda if name == "lmbda" else self._on_change, names="value")
        self.regularise.observe(self._on_change, names="value")
        self.train_button.on_click(lambda _button: self._on_change(None))
        self.stop_button.on_click(lambda _button: self.stop())

    def _lay_out(self):
        """The panel top to bottom: title, the shown controls, buttons, status, error, curves."""
        import ipywidgets as widgets

        rows = [widgets.HBox([self._all["lmbda"], self.regularise]) if name == "lmbda"
                else self._all[name] for name in self._shown]
        title = widgets.HTML(
            f"<b>Train a [{self.n_in}, hidden, {self.n_out}] network</b> on {self.train_size} "
            f"training examples; validation on {self.validation_data[0].shape[1]}.")
        buttons = widgets.HBox([self.train_button, self.stop_button, self.progress])
        return widgets.VBox([title, *rows, buttons, self._status, self._error, self._plot])

    # ------------------------------------------------------------------ settings and state

    @property
    def settings(self):
        """The current values as a dict: eta, lmbda (0 when "regularise" is off), hidden, epochs,
        mini_batch_size, cost, regularization, optimizer."""
        values = {name: control.value for name, control in self._all.items()}
        values["lmbda"] = float(values["lmbda"]) if self.regularise.value else 0.0
        values["eta"] = float(values["eta"])
        return values

    @property
    def status(self):
        """The status line as text (str), e.g. "Done: 10 epochs in 0.3 s, ..."."""
        return self._status.value

    @property
    def error(self):
        """The message in the panel's red error area as plain text (str; "" when there is none):
        an exception as "Type: message", or the engine's advice after a divergence."""
        return self._error_text

    # ------------------------------------------------------------------ display

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    def __repr__(self):
        shown = ", ".join(f"{name}={self._all[name].value!r}" for name in self._shown)
        return f"<TrainerPanel [{self.n_in}, hidden, {self.n_out}] {shown}; {self.status}>"

    # ------------------------------------------------------------------ events

    def _on_lmbda(self, change):
        # moving the lmbda slider means "I want regularisation": tick the box, then train once
        if not self.regularise.value and not self._quiet:
            self._quiet = True
            try:
                self.regularise.value = True
            finally:
                self._quiet = False
        self._on_change(change)

    def _on_change(self, change):
        if self._quiet:
            return
        try:
            if self.threaded:
                self._request()
            else:
                self._run_safely()
        except Exception as exc:  # shown, never lost in an observer
            self._show_error(exc)

    def _request(self):
        """Ask for a background run with the newest settings; a running one is told to stop."""
        with self._lock:
            self._generation += 1
            self._pending = True
            self._stop_event.clear()
            if self._thread is None:
                self._thread = threading.Thread(target=self._worker, name="TrainerPanel",
                                                daemon=True)
                self._thread.start()

    def _worker(self):
        while True:
            with self._lock:
                if not self._pending:
                    self._thread = None
                    return
                self._pending = False
                generation = self._generation
            self._run_safely(generation)

    def stop(self):
        """Stop the current run after its current mini-batch and drop any queued settings.

        The stopped run keeps (and draws) what it learned so far; its ``history.stopped`` is
        ``"requested"``.
        """
        with self._lock:
            self._pending = False
            self._stop_event.set()

    def wait(self, timeout=None):
        """Block until no background run is going or queued, or ``timeout`` seconds pass.

        Returns True when idle, False on timeout.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            with self._lock:
                thread = self._thread
            if thread is None:
                return True
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                return False
            thread.join(remaining)

    @property
    def busy(self):
        """True while a background run is going or queued."""
        with self._lock:
            return self._thread is not None

    # ------------------------------------------------------------------ training

    def run(self):
        """Train synchronously (no thread) with the current settings and draw the curves.

        A background run, if any, is stopped first. Errors are shown in the panel and raised.

        Returns:
            the run's ``History`` (per-epoch lists: ``eta``, ``training_cost``,
            ``training_accuracy``, ``evaluation_cost``, ``evaluation_accuracy``, ...).
        """
        with self._lock:
            self._generation += 1
            self._pending = False
            self._stop_event.clear()
            generation = self._generation
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join()
        try:
            return self._train(generation)
        except Exception as exc:
            self._show_error(exc)
            raise

    def _run_safely(self, generation=None):
        if generation is None:
            with self._lock:
                self._generation += 1
                self._stop_event.clear()
                generation = self._generation
        try:
            return self._train(generation)
        except Exception as exc:
            if self._is_current(generation):
                self._show_error(exc)
            return None

    def _is_current(self, generation):
        return generation == self._generation

    def _train(self, generation):
        s = self.settings
        self.runs_started += 1
        self.last_exception = None
        self._set_error("")
        self.progress.max = s["epochs"]
        self.progress.value = 0
        self.progress.bar_style = "info"
        described = (f"eta={s['eta']:.3g}, lmbda={s['lmbda']:.3g}, hidden={s['hidden']}, "
                     f"mini-batch {s['mini_batch_size']}, {s['cost']}"
                     + (f", {s['optimizer']}" if s["optimizer"] != "sgd" else ""))
        self._status.value = f"Training 0/{s['epochs']} epochs: {described}"

        def stop():
            return self._stop_event.is_set() or not self._is_current(generation)

        def callback(net, history):
            if not self._is_current(generation):
                raise StopTraining
            done = len(history)
            self.progress.value = done
            acc = history.evaluation_accuracy[-1] if history.evaluation_accuracy else float("nan")
            self._status.value = (f"Training {done}/{s['epochs']} epochs "
                                  f"(validation accuracy {acc:.1%}): {described}")

        start = time.perf_counter()
        net = Network([self.n_in, s["hidden"], self.n_out], cost=s["cost"], init=self.init,
                      seed=self.seed)
        history = net.SGD(self.training_data, s["epochs"], s["mini_batch_size"], s["eta"],
                          lmbda=s["lmbda"], evaluation_data=self.validation_data,
                          regularization=s["regularization"], optimizer=s["optimizer"],
                          callback=callback, stop=stop, progress=False, verbose=False)
        if not self._is_current(generation):
            self.runs_superseded += 1
            return history
        png = self._render(history, s, net if self.show_weights else None)
        with self._lock:  # only the newest generation may draw, and never after a newer one
            if not self._is_current(generation):
                self.runs_superseded += 1
                return history
            self.history, self.net = history, net
            self.runs_completed += 1
            self._plot.outputs = ({"output_type": "display_data", "metadata": {},
                                   "data": {"image/png": png,
                                            "text/plain": f"<learning curves: {described}>"}},)
        seconds = time.perf_counter() - start
        self.progress.value = len(history)
        self._status.value = self._summary(history, s, seconds, described)
        if history.stopped == "diverged":
            self.progress.bar_style = "danger"
            self._set_error(history.message)
        elif history.stopped:
            self.progress.bar_style = "warning"
        else:
            self.progress.bar_style = "success"
        return history

    @staticmethod
    def _summary(history, s, seconds, described):
        done = len(history)
        if history.stopped == "requested":
            head = f"Stopped after {done} of {s['epochs']} epochs"
        elif history.stopped == "diverged":
            head = f"Diverged after {done} of {s['epochs']} epochs"
        else:
            head = f"Done: {done} epochs"
        parts = [f"{head} in {seconds:.1f} s"]
        if history.evaluation_accuracy:
            parts.append(f"validation accuracy {history.evaluation_accuracy[-1]:.1%} "
                         f"(best {max(history.evaluation_accuracy):.1%})")
        return ", ".join(parts) + f". ({described})"

    @staticmethod
    def _title(s):
        """The plot's title for the settings ``s``; it names a regulariser only when lmbda > 0."""
        regularised = (f"{s['regularization'].upper()} regularisation, λ = {s['lmbda']:.3g}"
                       if s["lmbda"] > 0 else "no regularisation")
        rule = "" if s["optimizer"] == "sgd" else f", {s['optimizer']}"
        return (f"η = {s['eta']:.3g}, hidden = {s['hidden']}, mini-batch = {s['mini_batch_size']}, "
                f"{s['cost'].replace('_', '-')} cost, {regularised}{rule}")

    @classmethod
    def _render(cls, history, s, net=None):
        """The learning curves (and, given ``net``, its weight histogram) as base64 PNG text,
        drawn without pyplot so that it is safe in a thread.

        The figure is drawn at the size it is shown (about 800 or 960 pixels wide), so that the
        notebook does not shrink it and its fonts stay readable."""
        from matplotlib.figure import Figure

        from ..plots import plot_history, plot_weights

        width = FIGURE_WIDTH_WITH_WEIGHTS if net is not None else FIGURE_WIDTH
        fig = Figure(figsize=(width, FIGURE_HEIGHT), layout="constrained")
        axes = fig.subplots(1, 3 if net is not None else 2)
        if net is not None:
            plot_weights(net, ax=axes[2])
            axes = axes[:2]
        plot_history(history, axes=axes, evaluation_label="validation", title=cls._title(s))
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=DPI)
        return base64.b64encode(buffer.getvalue()).decode("ascii")

    def _set_error(self, text):
        self._error_text = text
        self._error.value = (f'<span style="color:#b00020"><b>{html.escape(text)}</b></span>'
                             if text else "")

    def _show_error(self, exc):
        self.last_exception = exc
        self.progress.bar_style = "danger"
        self._status.value = "Error: the run did not finish (see the message below)."
        self._set_error(f"{type(exc).__name__}: {exc}")
