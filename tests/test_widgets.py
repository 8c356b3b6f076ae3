"""Tests for nbhelpers.widgets.TrainerPanel, driven without a browser.

Controls are moved by setting ``.value`` and buttons pressed with ``.click()``, exactly what the
front end does through the widget comm. Threaded tests never rely on sleeps for their verdict: a
gate makes the burst test deterministic and every wait has a generous timeout. The ``sample``
fixture (the bundled MNIST sample) comes from conftest.py.
"""

import threading
import time
import warnings

import ipywidgets as widgets
import numpy as np
import pytest

from nbhelpers.engine import Network
from nbhelpers.widgets import CONTROL_NAMES, TrainerPanel, controls, drawing

TIMEOUT = 30


def small(sample, **kwargs):
    kwargs.setdefault("train_size", 300)
    kwargs.setdefault("epochs", 3)
    return TrainerPanel(data=sample, **kwargs)


def wait_until(predicate, timeout=TIMEOUT):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.005)


# ---------------------------------------------------------------- construction and layout


def test_controls_are_the_right_widgets(sample):
    panel = small(sample)
    assert tuple(panel.controls) == CONTROL_NAMES
    c = panel.controls
    assert isinstance(c["eta"], widgets.FloatLogSlider)
    assert isinstance(c["lmbda"], widgets.FloatLogSlider)
    assert isinstance(c["hidden"], widgets.IntSlider)
    assert isinstance(c["epochs"], widgets.IntSlider)
    assert tuple(c["mini_batch_size"].options) == (1, 2, 5, 10, 20, 50, 100)
    assert tuple(c["cost"].options) == ("quadratic", "cross_entropy", "log_likelihood")
    assert tuple(c["regularization"].options) == ("l2", "l1")
    for name in ("eta", "lmbda", "hidden", "epochs"):
        assert c[name].continuous_update is False, f"{name} would retrain while dragging"
    assert c["eta"].min <= -2 and c["eta"].max >= 1  # 1e-2 .. 1e1
    assert isinstance(panel.widget, widgets.VBox)
    assert "application/vnd.jupyter.widget-view+json" in panel._repr_mimebundle_()
    assert panel.history is None and "Ready" in panel.status
    assert panel.training_data[0].shape == (784, 300)
    assert panel.validation_data[0].shape == (784, 500)


def test_constructor_values_reach_the_controls(sample):
    panel = small(sample, hidden=17, eta=0.25, lmbda=2.0, epochs=4, mini_batch_size=7,
                  cost="cross_entropy", regularization="l1", optimizer="nesterov")
    s = panel.settings
    assert s == {"eta": 0.25, "lmbda": 2.0, "hidden": 17, "epochs": 4, "mini_batch_size": 7,
                 "cost": "cross_entropy", "regularization": "l1", "optimizer": "nesterov"}
    assert 7 in panel.controls["mini_batch_size"].options
    assert panel.regularise.value is True


def test_eta_outside_the_default_range_widens_the_slider(sample):
    panel = small(sample, eta=500.0)
    assert panel.controls["eta"].value == pytest.approx(500.0)


def test_eta_slider_moves_by_sensible_amounts(sample):
    eta = small(sample).controls["eta"]
    # a log slider multiplies eta by the same factor per pixel: 10**((max - min) / track width).
    # Three decades over the ~350-pixel track of a 520-pixel slider: a factor ~1.02 per pixel,
    # ~3.3 per 60 pixels of drag (five decades on a ~200-pixel track gave ~28).
    assert eta.max - eta.min <= 3
    assert eta.step <= 0.02
    assert eta.readout, "the value must stay visible and editable (typed) in the box"
    assert 10 ** eta.min <= 0.05 and 10 ** eta.max >= 5  # the rates the lessons use
    track = int(eta.layout.width.removesuffix("px")) - 115 - 55  # description and readout
    assert 10 ** (60 * (eta.max - eta.min) / track) < 4


def test_typed_eta_is_the_one_trained_with(sample):
    panel = small(sample, threaded=False)
    panel.controls["eta"].value = 0.37  # what typing 0.37 in the box sends
    assert panel.history.eta[0] == pytest.approx(0.37)


@pytest.mark.parametrize("lmbda, regularization, says, never", [
    (0.0, "l2", "no regularisation", ("l2", "L2", "λ")),
    (0.0, "l1", "no regularisation", ("l1", "L1", "λ")),
    (5.0, "l2", "L2 regularisation, λ = 5", ("no regularisation",)),
    (0.25, "l1", "L1 regularisation, λ = 0.25", ("L2",)),
])
def test_plot_title_names_a_regulariser_only_when_lmbda_is_positive(lmbda, regularization, says,
                                                                     never):
    settings = {"eta": 3.0, "lmbda": lmbda, "hidden": 30, "epochs": 1, "mini_batch_size": 10,
                "cost": "cross_entropy", "regularization": regularization, "optimizer": "sgd"}
    title = drawing.title(settings)
    assert says in title and "η = 3" in title and "cross-entropy cost" in title
    assert not any(word in title for word in never), title


def test_subset_of_controls_keeps_the_others_fixed(sample):
    panel = small(sample, controls=("epochs", "eta"), hidden=12)
    assert tuple(panel.controls) == ("eta", "epochs")  # display order, not the order given
    assert panel.settings["hidden"] == 12
    assert small(sample, controls="eta").controls.keys() == {"eta"}
    assert small(sample, controls=()).controls == {}


def test_train_size_default_and_all(sample):
    assert TrainerPanel(data=sample).train_size == controls.DEFAULT_TRAIN_SIZE
    assert TrainerPanel(data=sample, train_size="all").train_size == sample.train[0].shape[1]


@pytest.mark.parametrize("kwargs, name", [
    ({"hidden": 0}, "hidden"),
    ({"hidden": 2.5}, "hidden"),
    ({"eta": 0}, "eta"),
    ({"eta": -1.0}, "eta"),
    ({"eta": float("nan")}, "eta"),
    ({"eta": "fast"}, "eta"),
    ({"lmbda": -0.1}, "lmbda"),
    ({"epochs": 0}, "epochs"),
    ({"epochs": True}, "epochs"),
    ({"mini_batch_size": 0}, "mini_batch_size"),
    ({"cost": "hinge"}, "cost"),
    ({"regularization": "l3"}, "regularization"),
    ({"train_size": 0}, "train_size"),
    ({"train_size": 10**6}, "train_size"),
    ({"seed": -1}, "seed"),
    ({"threaded": "yes"}, "threaded"),
    ({"controls": ("eta", "momentum")}, "controls"),
    ({"controls": 3}, "controls"),
    ({"init": "zeros"}, "init"),
    ({"show_weights": "yes"}, "show_weights"),
])
def test_bad_arguments_name_the_parameter(sample, kwargs, name):
    with pytest.raises(ValueError, match=rf"^{name} must be .*, got "):
        TrainerPanel(data=sample, **kwargs)


def test_unknown_control_lists_the_valid_names(sample):
    with pytest.raises(ValueError) as info:
        TrainerPanel(data=sample, controls=("eta", "momentum"))
    message = str(info.value)
    assert "'momentum'" in message
    for name in CONTROL_NAMES:
        assert name in message


def test_bad_data_is_rejected():
    with pytest.raises(ValueError, match="^data must be"):
        TrainerPanel(data=[1, 2, 3])


# ---------------------------------------------------------------- synchronous training


def test_run_uses_the_current_values(sample):
    panel = small(sample, threaded=False)
    panel._quiet = True  # move several controls without a retrain after each
    panel.controls["eta"].value = 2.0
    panel.controls["epochs"].value = 4
    panel.controls["hidden"].value = 20
    panel._quiet = False
    history = panel.run()
    assert history is panel.history
    assert history.eta == [pytest.approx(2.0)] * 4
    assert len(history) == 4
    assert panel.net.sizes == [784, 20, 10]
    assert history.training_accuracy[-1] > 0.3  # chance is 0.1
    assert len(history.evaluation_accuracy) == 4
    assert panel.status.startswith("Done: 4 epochs")
    assert "eta=2, " in panel.status and "hidden=20" in panel.status  # says what it trained
    assert panel.progress.value == 4 and panel.progress.max == 4
    assert panel.error == ""
    assert panel._plot.outputs[0]["data"]["image/png"]  # the curves were drawn


def test_same_settings_give_the_same_curves(sample):
    panel = small(sample)
    first, second = panel.run(), panel.run()
    assert first.evaluation_accuracy == second.evaluation_accuracy


def test_unthreaded_change_retrains_once_in_the_observer(sample):
    panel = small(sample, threaded=False)
    panel.controls["eta"].value = 0.5
    assert panel.runs_started == 1 and panel.runs_completed == 1
    assert panel.history.eta[0] == pytest.approx(0.5)
    panel.controls["epochs"].value = 2
    assert len(panel.history) == 2
    panel.controls["cost"].value = "log_likelihood"
    assert panel.net.cost.name == "log_likelihood"
    panel.controls["mini_batch_size"].value = 50
    assert panel.runs_completed == 4
    panel.train_button.click()
    assert panel.runs_completed == 5


def test_lmbda_slider_ticks_regularise_and_the_box_turns_it_off(sample):
    panel = small(sample, threaded=False, lmbda=0.0)
    assert panel.regularise.value is False and panel.settings["lmbda"] == 0.0
    panel.controls["lmbda"].value = 5.0
    assert panel.regularise.value is True
    assert panel.runs_started == 1  # moving the slider and ticking the box is one retrain
    lmbda_on = panel.history
    panel.regularise.value = False
    assert panel.settings["lmbda"] == 0.0 and panel.runs_started == 2
    # the reported cost includes the weight penalty only when regularising
    assert lmbda_on.training_cost[0] > panel.history.training_cost[0]


# ---------------------------------------------------------------- background training


def test_threaded_change_trains_in_the_background(sample):
    panel = small(sample)
    panel.controls["eta"].value = 1.5
    assert panel.wait(TIMEOUT)
    assert not panel.busy
    assert panel.history.eta == [pytest.approx(1.5)] * 3
    assert panel.status.startswith("Done")


def test_a_burst_of_changes_trains_only_the_last_setting(sample, monkeypatch):
    gate = threading.Event()
    real_sgd = Network.SGD

    def gated_sgd(self, *args, **kwargs):
        assert gate.wait(TIMEOUT)  # hold the first run until the whole burst has arrived
        return real_sgd(self, *args, **kwargs)

    monkeypatch.setattr(Network, "SGD", gated_sgd)
    panel = small(sample, epochs=5)
    values = [0.1, 0.2, 0.4, 0.8, 1.6]
    for eta in values:
        panel.controls["eta"].value = eta
    gate.set()
    assert panel.wait(TIMEOUT)
    assert panel.history.eta == [pytest.approx(values[-1])] * 5
    assert panel.runs_completed == 1 < len(values)
    assert panel.runs_started <= 2  # the one held at the gate (then abandoned) and the last
    assert panel.runs_superseded == panel.runs_started - 1


def test_stop_button_stops_a_long_run(sample):
    panel = small(sample, epochs=500, mini_batch_size=1)
    panel.train_button.click()
    wait_until(lambda: panel.progress.value >= 1)
    panel.stop_button.click()
    assert panel.wait(TIMEOUT)
    history = panel.history
    assert history.stopped == "requested"
    assert len(history) < 500
    assert panel.status.startswith("Stopped after")
    assert panel.progress.bar_style == "warning"


def test_run_waits_for_a_background_run_and_replaces_it(sample):
    panel = small(sample, epochs=500, mini_batch_size=1)
    panel.train_button.click()
    wait_until(lambda: panel.progress.value >= 1)
    panel._quiet = True
    panel.controls["epochs"].value = 2
    panel._quiet = False
    history = panel.run()
    assert not panel.busy
    assert len(history) == 2 and panel.history is history


# ---------------------------------------------------------------- errors are shown


class Boom(RuntimeError):
    pass


def test_error_in_background_training_is_shown(sample, monkeypatch):
    def broken_sgd(self, *args, **kwargs):
        raise Boom("the engine exploded (test)")

    monkeypatch.setattr(Network, "SGD", broken_sgd)
    panel = small(sample)
    panel.controls["eta"].value = 1.0
    assert panel.wait(TIMEOUT)
    assert panel.error == "Boom: the engine exploded (test)"
    assert "the engine exploded (test)" in panel._error.value
    assert "color" in panel._error.value  # shown in red
    assert panel.status.startswith("Error")
    assert isinstance(panel.last_exception, Boom)
    assert panel.history is None


def test_error_in_the_epoch_callback_or_drawing_is_shown(sample, monkeypatch):
    import nbhelpers.plots

    def broken_plot(*args, **kwargs):
        raise ValueError("cannot draw (test)")

    monkeypatch.setattr(nbhelpers.plots, "plot_history", broken_plot)
    panel = small(sample, threaded=False)
    panel.controls["epochs"].value = 2  # the observer must not raise
    assert panel.error == "ValueError: cannot draw (test)"
    with pytest.raises(ValueError, match="cannot draw"):
        panel.run()  # run() shows the error and raises it too
    assert "cannot draw (test)" in panel._error.value


def test_error_clears_on_the_next_good_run(sample, monkeypatch):
    panel = small(sample, threaded=False)
    with monkeypatch.context() as patch:
        patch.setattr(Network, "SGD", lambda *a, **k: 1 / 0)
        panel.controls["eta"].value = 1.0
        assert panel.error.startswith("ZeroDivisionError")
    panel.controls["eta"].value = 2.0
    assert panel.error == "" and panel._error.value == ""
    assert panel.status.startswith("Done")


def test_divergence_message_is_shown_in_the_panel(sample, monkeypatch):
    real_sgd = Network.SGD

    def diverging_sgd(self, *args, **kwargs):
        # what the engine does on a divergence: stop, and explain in history.message
        history = real_sgd(self, *args, **kwargs)
        history.stopped = "diverged"
        history.message = "Training diverged in epoch 1. Try a smaller eta, e.g. 0.1."
        return history

    monkeypatch.setattr(Network, "SGD", diverging_sgd)
    panel = small(sample, threaded=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        panel.run()
    assert panel.error == "Training diverged in epoch 1. Try a smaller eta, e.g. 0.1."
    assert panel.status.startswith("Diverged")
    assert panel.progress.bar_style == "danger"
    assert not caught   # shown in the panel, never as a warning a background thread prints anywhere


def test_a_warning_of_the_engine_is_shown_in_the_panel(sample):
    """A run whose outputs saturate at the wrong end goes on, but the panel says what to change."""
    panel = small(sample, threaded=False, eta=100.0)
    panel.run()
    assert "Warning (epoch 0): the output neurons are saturated" in panel.error
    assert panel.progress.bar_style == "warning" and panel.status.startswith("Done")


def test_init_choice_reaches_the_network(sample):
    large = small(sample, init="large", threaded=False)
    scaled = small(sample, init="default", threaded=False)
    large.run()
    scaled.run()
    # N(0, 1) weights on 784 inputs are ~sqrt(784) = 28 times the N(0, 1/784) ones at the start;
    # after 3 short epochs the large ones are still far bigger
    assert np.linalg.norm(large.net.weights[0]) > 5 * np.linalg.norm(scaled.net.weights[0])


def test_weight_histogram_is_drawn_beside_the_curves(sample):
    import base64

    plain = small(sample, threaded=False)
    with_weights = small(sample, threaded=False, show_weights=True)
    plain.run()
    with_weights.run()

    def size(panel):
        png = base64.b64decode(panel._plot.outputs[0]["data"]["image/png"])
        return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")  # PNG header

    (plain_width, plain_height), (width, height) = size(plain), size(with_weights)
    assert width > 1.15 * plain_width
    # drawn at the size a notebook shows it (not shrunk to fit, which makes the fonts tiny) ...
    assert width <= 1000
    # ... and exactly as tall as the area kept for it, so there is no blank gap below
    assert height == plain_height == int(with_weights._plot.layout.min_height.removesuffix("px"))


def test_optimizer_choice_reaches_the_training(sample):
    plain = small(sample, threaded=False, eta=0.01)
    adam = small(sample, threaded=False, eta=0.01, optimizer="adam")
    assert "optimizer" in adam.controls and adam.settings["optimizer"] == "adam"
    h_plain, h_adam = plain.run(), adam.run()
    # at this small eta plain SGD hardly moves, Adam's scaled steps do
    assert h_adam.training_cost[-1] < h_plain.training_cost[-1]
    assert "adam" in adam.status and "adam" not in plain.status
    adam.controls["optimizer"].value = "momentum"
    assert adam.history is not None and "momentum" in adam.status
    with pytest.raises(ValueError, match=r"optimizer must be one of \[.*'sgd'\], got 'lbfgs'"):
        small(sample, optimizer="lbfgs")


def test_names_are_spelled_as_freely_as_in_the_engine(sample):
    panel = TrainerPanel(data=sample, cost="Cross-Entropy", regularization="L1", optimizer="Adam",
                         init="Glorot", threaded=False)
    assert panel.settings["cost"] == "cross_entropy" and panel.settings["regularization"] == "l1"
    assert panel.settings["optimizer"] == "adam" and panel.init == "xavier"
