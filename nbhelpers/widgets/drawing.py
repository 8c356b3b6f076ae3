"""What a trainer panel shows after a run: the learning curves (and weights) as a PNG, their
title, and the status line.

Drawn without pyplot (a ``matplotlib.figure.Figure`` of its own), with mathtext's parser under
``explorers.guard_mathtext``'s lock, so it is safe in the panel's background thread while cells draw.

Used by: ``widgets.panel`` (``TrainerPanel``), and so by notebooks 03, 05, 06 and 07.
"""

from __future__ import annotations

import base64
import io

from .controls import DPI, FIGURE_HEIGHT, FIGURE_WIDTH, FIGURE_WIDTH_WITH_WEIGHTS


def summary(history, s, seconds, described):
    """The status line after a run, e.g. "Done: 10 epochs in 0.3 s, validation accuracy ..."."""
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


def title(s):
    """The plot's title for the settings ``s``; it names a regulariser only when lmbda > 0."""
    regularised = (f"{s['regularization'].upper()} regularisation, λ = {s['lmbda']:.3g}"
                   if s["lmbda"] > 0 else "no regularisation")
    rule = "" if s["optimizer"] == "sgd" else f", {s['optimizer']}"
    return (f"η = {s['eta']:.3g}, hidden = {s['hidden']}, mini-batch = {s['mini_batch_size']}, "
            f"{s['cost'].replace('_', '-')} cost, {regularised}{rule}")


def render(history, s, net=None):
    """The learning curves (and, given ``net``, its weight histogram) as base64 PNG text,
    drawn without pyplot so that it is safe in a thread.

    The figure is drawn at the size it is shown (about 800 or 960 pixels wide), so that the
    notebook does not shrink it and its fonts stay readable."""
    from matplotlib.figure import Figure

    from ..plots import plot_history, plot_weights
    from .explorers import guard_mathtext

    guard_mathtext()

    width = FIGURE_WIDTH_WITH_WEIGHTS if net is not None else FIGURE_WIDTH
    fig = Figure(figsize=(width, FIGURE_HEIGHT), layout="constrained")
    axes = fig.subplots(1, 3 if net is not None else 2)
    if net is not None:
        plot_weights(net, ax=axes[2])
        axes = axes[:2]
    plot_history(history, axes=axes, evaluation_label="validation", title=title(s))
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI)
    return base64.b64encode(buffer.getvalue()).decode("ascii")
