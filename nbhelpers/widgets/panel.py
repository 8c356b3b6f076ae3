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

The panel is the view: its controls are built and checked in ``widgets.controls``, the runs are
scheduled and trained by ``widgets.runner``, and the curves drawn by ``widgets.drawing``.

For scripts, tests and notebook checks, ``panel.run()`` trains synchronously (no thread) with the
current values and returns the ``History``; ``TrainerPanel(..., threaded=False)`` makes every
change train synchronously inside the widget observer.

Example::

    panel = TrainerPanel(hidden=30, eta=3.0, controls=("eta", "lmbda", "hidden", "epochs"))
    panel            # shows it (last expression of a cell)
    history = panel.run()
"""

from __future__ import annotations

import html
import time

from ..engine.callbacks import StopTraining
from ..validate import boolean, whole
from .controls import (
    CONTROL_NAMES,
    COST_NAMES,
    DEFAULT_TRAIN_SIZE,
    DESCRIPTION_WIDTH,
    DPI,
    FIGURE_HEIGHT,
    MINI_BATCH_SIZES,
    build_controls,
    check_controls,
    check_data,
    check_init,
    check_settings,
)
from .drawing import render, summary
from .runner import Runner, train_once

__all__ = ["TrainerPanel", "CONTROL_NAMES", "COST_NAMES", "MINI_BATCH_SIZES", "DEFAULT_TRAIN_SIZE"]


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
        initial = check_settings(hidden=hidden, eta=eta, lmbda=lmbda, epochs=epochs,
                                 mini_batch_size=mini_batch_size, cost=cost,
                                 regularization=regularization, optimizer=optimizer)
        self._shown = check_controls(controls)
        self.seed = whole(seed, "seed", minimum=0)
        self.threaded = boolean(threaded, "threaded")
        self.init = check_init(init)
        self.show_weights = boolean(show_weights, "show_weights")
        self.training_data, self.validation_data, self.n_out = check_data(data, train_size)
        self.n_in, self.train_size = self.training_data.X.shape

        self.history = None
        self.net = None
        self.last_exception = None
        self.runs_started = self.runs_completed = self.runs_superseded = 0
        self._runner = Runner(self._train, self._show_error)
        self._quiet = False                 # True while the panel itself sets a control

        self._all = build_controls(initial)
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
            f"training examples; validation on {self.validation_data.X.shape[1]}.")
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
        an exception as "Type: message", or the engine's advice after a divergence or a warning
        (outputs saturated, weights running away)."""
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
                self._runner.request()
            else:
                self._runner.run_here()
        except Exception as exc:  # shown, never lost in an observer
            self._show_error(exc)

    def stop(self):
        """Stop the current run after its current mini-batch and drop any queued settings.

        The stopped run keeps (and draws) what it learned so far; its ``history.stopped`` is
        ``"requested"``.
        """
        self._runner.stop()

    def wait(self, timeout=None):
        """Block until no background run is going or queued, or ``timeout`` seconds pass.

        Returns True when idle, False on timeout.
        """
        return self._runner.wait(timeout)

    @property
    def busy(self):
        """True while a background run is going or queued."""
        return self._runner.busy

    # ------------------------------------------------------------------ training

    def run(self):
        """Train synchronously (no thread) with the current settings and draw the curves.

        A background run, if any, is stopped first. Errors are shown in the panel and raised.

        Returns:
            the run's ``History`` (per-epoch lists: ``eta``, ``training_cost``,
            ``training_accuracy``, ``evaluation_cost``, ``evaluation_accuracy``, ...).
        """
        try:
            return self._runner.run_now()
        except Exception as exc:
            self._show_error(exc)
            raise

    def _train(self, generation, should_stop):
        """The runner's job: one run with the current settings, drawn if still current."""
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

        def on_epoch(net, history):
            if not self._runner.is_current(generation):
                raise StopTraining
            done = len(history)
            self.progress.value = done
            acc = history.evaluation_accuracy[-1] if history.evaluation_accuracy else float("nan")
            self._status.value = (f"Training {done}/{s['epochs']} epochs "
                                  f"(validation accuracy {acc:.1%}): {described}")

        start = time.perf_counter()
        net, history = train_once(s, self.training_data, self.validation_data, self.n_in,
                                  self.n_out, self.init, self.seed, should_stop, on_epoch)
        if not self._runner.is_current(generation):
            self.runs_superseded += 1
            return history
        png = render(history, s, net if self.show_weights else None)
        with self._runner.lock:  # only the newest generation may draw, never after a newer one
            if not self._runner.is_current(generation):
                self.runs_superseded += 1
                return history
            self.history, self.net = history, net
            self.runs_completed += 1
            self._plot.outputs = ({"output_type": "display_data", "metadata": {},
                                   "data": {"image/png": png,
                                            "text/plain": f"<learning curves: {described}>"}},)
        seconds = time.perf_counter() - start
        self.progress.value = len(history)
        self._status.value = summary(history, s, seconds, described)
        if history.stopped == "diverged":
            self.progress.bar_style = "danger"
            self._set_error(history.message)
        elif history.stopped or history.warnings:
            self.progress.bar_style = "warning"
            self._set_error(" ".join(history.warnings))    # e.g. outputs saturated: what to change
        else:
            self.progress.bar_style = "success"
        return history

    def _set_error(self, text):
        self._error_text = text
        self._error.value = (f'<span style="color:#b00020"><b>{html.escape(text)}</b></span>'
                             if text else "")

    def _show_error(self, exc):
        self.last_exception = exc
        self.progress.bar_style = "danger"
        self._status.value = "Error: the run did not finish (see the message below)."
        self._set_error(f"{type(exc).__name__}: {exc}")
