"""Plots: digit grids and learning curves draw what they are given, and refuse bad shapes."""

import numpy as np
import pytest

from nbhelpers import Network
from nbhelpers.plots import plot_history, show_digits


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
