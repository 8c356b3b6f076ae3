"""Plots shared by the lessons: digit grids, learning curves and weight histograms.

Every function draws with matplotlib and returns the Figure (so a notebook can save or tweak it).
Used by: notebooks 00 (start here), 03 (the MNIST network), 05-07 (chapter 3), and the widgets.
"""

from __future__ import annotations

import numpy as np
from matplotlib.ticker import MaxNLocator


def _plt():
    import matplotlib.pyplot as plt

    return plt


def show_digits(X, labels=None, predictions=None, n=20, ncols=10, classes=None, title=None,
                size=1.0):
    """A grid of images from the columns of ``X``.

    Args:
        X: (784, m) array, one 28x28 image per column (values 0..1 or 0..255).
        labels: optional (m,) true classes, written above each image.
        predictions: optional (m,) predicted classes; wrong ones are titled in red.
        n: how many images to show (the first n columns).
        ncols: images per row.
        classes: optional names for the classes (e.g. Fashion-MNIST's), indexed by label.
        title: optional title over the whole grid.
        size: inches per image.
    Returns:
        the matplotlib Figure.
    """
    X = np.asarray(X)
    if X.ndim == 1:
        X = X.reshape(-1, 1)
    if X.ndim != 2 or X.shape[0] != 784:
        raise ValueError(f"X must have shape (784, m) with one image per column, got {X.shape}")
    n = min(int(n), X.shape[1])
    if n < 1:
        raise ValueError(f"n must be at least 1 and X must have at least one column, got n={n}")
    ncols = max(1, min(int(ncols), n))
    nrows = -(-n // ncols)
    plt = _plt()
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * 1.15 * nrows),
                             squeeze=False)

    def name(k):
        return classes[k] if classes is not None else str(k)

    for i, ax in enumerate(axes.flat):
        ax.set_axis_off()
        if i >= n:
            continue
        ax.imshow(X[:, i].reshape(28, 28), cmap="gray_r", interpolation="nearest")
        if labels is not None and predictions is not None:
            ok = labels[i] == predictions[i]
            ax.set_title(f"{name(labels[i])}→{name(predictions[i])}", fontsize=8,
                         color="black" if ok else "red")
        elif labels is not None:
            ax.set_title(name(labels[i]), fontsize=8)
        elif predictions is not None:
            ax.set_title(name(predictions[i]), fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_history(history, title=None, axes=None, label=None, evaluation_label="evaluation"):
    """Learning curves from a ``History``: cost on the left, accuracy on the right.

    Args:
        history: the ``History`` returned by ``Network.SGD``.
        title: optional title over both panels.
        axes: optional pair of matplotlib Axes to draw into (to overlay several runs).
        label: optional prefix for the legend entries (e.g. "eta=0.5").
        evaluation_label: what to call the evaluation data in the legend, e.g. "validation"
            or "test", whichever was passed as ``evaluation_data``.
    Returns:
        the matplotlib Figure.
    """
    plt = _plt()
    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    else:
        fig = axes[0].figure
    prefix = f"{label}: " if label else ""
    cost_ax, acc_ax = axes
    for values, name, style in ((history.training_cost, "training", "-"),
                                (history.evaluation_cost, evaluation_label, "--")):
        if values:
            cost_ax.plot(history.epoch[:len(values)], values, style, label=prefix + name)
    for values, name, style in ((history.training_accuracy, "training", "-"),
                                (history.evaluation_accuracy, evaluation_label, "--")):
        if values:
            acc_ax.plot(history.epoch[:len(values)], np.asarray(values) * 100, style,
                        label=prefix + name)
    cost_ax.set(xlabel="epoch", ylabel="cost", title="Cost")
    acc_ax.set(xlabel="epoch", ylabel="accuracy (%)", title="Accuracy")
    for ax in axes:
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))   # epochs 0, 1, 2, ...
        _plain_y_axis(ax)
    if title:
        fig.suptitle(title)
    if fig.get_layout_engine() is None:
        fig.tight_layout()
    return fig


def plot_weights(net, ax=None, bins=None):
    """A histogram of all of a network's weights, on a log count axis, titled with their norm.

    Args:
        net: a trained ``Network`` (its ``weights`` list is used; biases are left out).
        ax: optional matplotlib Axes to draw into (e.g. beside ``plot_history``'s pair).
        bins: optional bin edges; by default 120 bins from -1.5 to 1.5, where the weights of a
            small MNIST network sit, so that L2 or L1 shrinking them shows as a narrowing peak.
    Returns:
        the matplotlib Figure.
    """
    if ax is None:
        fig, ax = _plt().subplots(figsize=(5, 3.6))
    else:
        fig = ax.figure
    weights = np.concatenate([w.ravel() for w in net.weights])
    ax.hist(weights, bins=np.linspace(-1.5, 1.5, 121) if bins is None else bins, color="C2")
    ax.set(xlabel="weight", ylabel="count", yscale="log",
           title=f"Weights (norm {np.linalg.norm(weights):.1f})")
    ax.grid(alpha=0.3)
    if fig.get_layout_engine() is None:
        fig.tight_layout()
    return fig


def _plain_y_axis(ax, min_relative_span=0.01):
    """Tick labels that read as numbers even when the curves are flat.

    A cost that barely moves (say 0.49999997 to 0.49999998) would otherwise get an axis labelled
    with an offset, like "1e-9+4.9999997e-1". Here the offset is turned off and the axis spans at
    least ``min_relative_span`` of its middle value, so the ticks read 0.4975, 0.5000, 0.5025.
    """
    ax.ticklabel_format(axis="y", useOffset=False)
    low, high = ax.get_ylim()
    middle = (low + high) / 2
    span = min_relative_span * abs(middle)
    if high - low < span:
        ax.set_ylim(middle - span / 2, middle + span / 2)
