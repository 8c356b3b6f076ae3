"""Plots: digit grids and learning curves draw what they are given, and refuse bad shapes."""

import numpy as np
import pytest

from nbhelpers import Network
from nbhelpers.plots import plot_history, plot_weights, show_digits


def test_show_digits_titles_mistakes_in_red(sample):
    X, y = sample.test
    predictions = y.copy()
    predictions[1] = (y[1] + 1) % 10
    fig = show_digits(X, labels=y, predictions=predictions, n=4, ncols=2)
    titles = [ax.title for ax in fig.axes[:4]]
    assert titles[0].get_text() == f"{y[0]}→{y[0]}"
    assert titles[1].get_color() == "red" and titles[0].get_color() == "black"
    assert len(fig.axes) == 4


def test_show_digits_rejects_wrong_shapes():
    with pytest.raises(ValueError, match=r"X must have shape \(784, m\)"):
        show_digits(np.zeros((28, 28)))


def test_plot_history_draws_every_monitored_curve(sample):
    X, y = sample.train
    history = Network([784, 10, 10]).SGD((X[:, :200], y[:200]), 3, 10, 1.0,
                                          evaluation_data=sample.validation, progress=False,
                                          verbose=False)
    fig = plot_history(history, evaluation_label="validation")
    cost_ax, acc_ax = fig.axes
    assert [line.get_label() for line in cost_ax.lines] == ["training", "validation"]
    assert np.allclose(acc_ax.lines[1].get_ydata(), np.array(history.evaluation_accuracy) * 100)
    assert list(cost_ax.lines[0].get_xdata()) == [0, 1, 2]


def test_flat_curves_get_plain_tick_labels():
    from nbhelpers.engine.history import History

    history = History(epoch=[0, 1, 2, 3], training_cost=[0.49999997, 0.49999998, 0.49999997, 0.5],
                      training_accuracy=[0.1] * 4)
    fig = plot_history(history)
    fig.canvas.draw()
    for ax in fig.axes:
        assert ax.yaxis.get_offset_text().get_text() == ""        # no "1e-9+4.9999997e-1"
        labels = [t.get_text() for t in ax.get_yticklabels()]
        assert all("e" not in label for label in labels), labels
        assert len(set(labels)) == len(labels) >= 3               # distinct, readable ticks
    cost_ax = fig.axes[0]
    assert "0.500" in [t.get_text() for t in cost_ax.get_yticklabels()]


def test_epochs_are_whole_numbers_from_0():
    from nbhelpers.engine.history import History

    history = History(epoch=[0, 1, 2], training_cost=[0.3, 0.2, 0.1])
    fig = plot_history(history)
    fig.canvas.draw()
    ticks = [t for t in fig.axes[0].get_xticks() if 0 <= t <= 2]
    assert ticks == [0, 1, 2]


def test_plot_weights_counts_every_weight_and_names_their_norm():
    net = Network([784, 30, 10], seed=0)
    weights = np.concatenate([w.ravel() for w in net.weights])
    fig = plot_weights(net)
    (ax,) = fig.axes
    counts = [patch.get_height() for patch in ax.patches]
    assert len(counts) == 120
    assert sum(counts) == np.sum(np.abs(weights) <= 1.5)  # every weight in the bins' range
    assert ax.get_yscale() == "log" and ax.get_xlabel() == "weight"
    assert ax.get_title() == f"Weights (norm {np.linalg.norm(weights):.1f})"
    wide = plot_weights(net, bins=np.linspace(-5, 5, 11))
    assert sum(patch.get_height() for patch in wide.axes[0].patches) == weights.size
