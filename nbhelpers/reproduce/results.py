"""The results file of the ``reproduce`` command and its plot.

``reproduce.json`` holds every finished experiment (our result, the book's, the curves and run
times); it is read back to skip what is done and rewritten atomically after each experiment, with
``reproduce.png`` (:func:`plot_results`) beside it.

Used by: ``command`` in this package, and tests/test_reproduce.py (the file names).
"""

from __future__ import annotations

import io
import json

import numpy as np

from ..atomic import atomic_write
from .experiments import _BOOK_GRADIENTS, EXPERIMENTS

RESULTS_FILE = "reproduce.json"
PLOT_FILE = "reproduce.png"
FORMAT = "nbhelpers-reproduce-1"


def load_results(path):
    if not path.is_file():
        return {"format": FORMAT, "experiments": {}}
    try:
        results = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise ValueError(f"{path} cannot be read as a results file ({err}); move it away or choose "
                         "another folder with --out") from None
    if not isinstance(results, dict) or results.get("format") != FORMAT \
            or not isinstance(results.get("experiments"), dict):
        raise ValueError(f"{path} is not a results file of this command (format {FORMAT}); move it "
                         "away or choose another folder with --out")
    return results


def write_results(folder, results):
    data = (json.dumps(results, indent=1) + "\n").encode("utf-8")
    atomic_write(folder / RESULTS_FILE, lambda f: f.write(data))
    figure = plot_results(results)
    if figure is not None:
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=110)
        atomic_write(folder / PLOT_FILE, lambda f: f.write(buffer.getvalue()))


def plot_results(results):
    """A matplotlib Figure of our results beside the book's, or None if nothing is done yet.

    Left: every accuracy experiment (ours as a bar, the book's figure as a black mark). Right:
    chapter 5's speed of learning per hidden layer (ours filled, the book's open), log scale.
    """
    from matplotlib.figure import Figure

    done = results["experiments"]
    accuracy = [name for name in EXPERIMENTS if name in done and EXPERIMENTS[name].chapter != 5]
    gradients = done.get("ch5-gradients")
    panels = int(bool(accuracy)) + int(gradients is not None)
    if not panels:
        return None
    figure = Figure(figsize=(6.5 * panels, 0.45 * max(len(accuracy), 6) + 1.5))
    axes = figure.subplots(1, panels, squeeze=False)[0]
    if accuracy:
        _plot_accuracy(axes[0], done, accuracy)
    if gradients is not None:
        _plot_gradients(axes[-1], gradients["result"])
    source = {"mnist": "full MNIST", "sample": "the bundled 4,000-image sample"}.get(results.get("data"))
    if source:
        figure.suptitle(f"The book's experiments reproduced on {source}")
    figure.tight_layout()
    return figure


def _plot_accuracy(ax, done, names):
    """Our accuracy of each experiment in ``names`` as a bar, the book's as a black mark."""
    rows = np.arange(len(names))[::-1]
    ours = [100 * (done[name]["result"] or 0.0) for name in names]
    book = [100 * EXPERIMENTS[name].book for name in names]
    ax.barh(rows, ours, color="C0", label="ours")
    ax.plot(book, rows, "k|", markersize=16, markeredgewidth=2.5, label="the book")
    low = max(0.0, min(ours + book) - 2.0)
    for row, value in zip(rows, ours):
        # inside the bar, at its base, where the bar is long enough to hold it; else after its end
        inside = value - low >= 0.1 * (100.0 - low)
        ax.text(low + 0.01 * (100.0 - low) if inside else max(value, low) + 0.01 * (100.0 - low), row,
                f"{value:.2f}", ha="left", va="center", fontsize=8, color="white" if inside else "black")
    labels = [f"{name} ({done[name]['epochs']} ep.)" for name in names]
    ax.set(yticks=rows, yticklabels=labels, xlabel="accuracy (%)", xlim=(low, 100.0))
    # the legend between the title and the bars, where it can cover neither the bars nor the x label
    ax.set_title("Accuracy: ours and the book's", pad=24)
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=2, fontsize=8, frameon=False)
    ax.grid(axis="x", alpha=0.3)


def _plot_gradients(ax, starts):
    """Chapter 5's ||dC/db|| per hidden layer at the start: ``starts`` (ours) filled, the book's open."""
    for k, (ours, book) in enumerate(zip(starts, _BOOK_GRADIENTS)):
        layers = np.arange(1, len(book) + 1)
        ax.plot(layers, ours, "o-", color=f"C{k}", label=f"{len(book)} hidden layers: ours")
        ax.plot(layers, book, "o--", color=f"C{k}", markerfacecolor="white",
                label=f"{len(book)} hidden layers: the book")
    ax.set(yscale="log", xlabel="hidden layer (input side first)", ylabel="||dC/db||",
           xticks=[1, 2, 3, 4], title="Chapter 5: speed of learning at the start")
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
