"""The results file of the ``reproduce`` command, the statistics over its runs, and its plot.

``reproduce.json`` keeps every run of every experiment (seed, epochs, our result with its details,
the run time) beside the book's figure::

    {"format": "nbhelpers-reproduce-2", "data": "mnist",
     "experiments": {"ch1-network": {"chapter": 1, ..., "book": 0.9542,
                                     "runs": [{"seed": 0, "epochs": 30, "result": 0.9531, ...}]}}}

It is read back to skip the runs already done. Each finished run is *merged* into the file as it is
on disk at that moment, under a lock, and the file is then replaced atomically, so two commands
writing to the same folder keep each other's runs. ``reproduce.png`` (:func:`plot_results`) is
drawn beside it when a command ends (or is interrupted). Files of the first format (one run per
experiment) are read as seed 0.

Used by: ``command`` and ``report`` in this package, and tests/test_reproduce.py.
"""

from __future__ import annotations

import contextlib
import io
import json
import math

import numpy as np

from ..atomic import atomic_write
from .experiments import _BOOK_GRADIENTS, EXPERIMENTS

RESULTS_FILE = "reproduce.json"
PLOT_FILE = "reproduce.png"
LOCK_FILE = ".reproduce.lock"
FORMAT = "nbhelpers-reproduce-2"
_OLD_FORMAT = "nbhelpers-reproduce-1"


def _refuse(path, why):
    raise ValueError(f"{path} is not a results file of this command ({why}); move it away or choose "
                     "another folder with --out")


def _check_run(path, name, run, book):
    """Refuse a run that lacks what the summary reads, naming it."""
    where = f"experiment {name!r}"
    if not isinstance(run, dict):
        _refuse(path, f"{where} holds {json.dumps(run)[:40]} where a run (an object) belongs")
    for key in ("seed", "epochs", "result"):
        if key not in run:
            _refuse(path, f"a run of {where} has no {key!r}")
    for key in ("seed", "epochs"):
        if isinstance(run[key], bool) or not isinstance(run[key], int) or run[key] < 0:
            _refuse(path, f"a run of {where} has {key} {run[key]!r}, not a whole number")
    result, shown = run["result"], json.dumps(run["result"])[:60]
    if isinstance(book, list):
        if not isinstance(result, list) or [len(r) if isinstance(r, list) else -1 for r in result] \
                != [len(r) for r in book]:
            _refuse(path, f"a run of {where} has result {shown}, not lists of gradient norms shaped "
                          "like the book's")
        values, what = [v for row in result for v in row], "gradient norms"
    else:
        values, what = [result], "an accuracy in [0, 1]"
    for value in values:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
                or value < 0 or (not isinstance(book, list) and value > 1):
            _refuse(path, f"a run of {where} has result {shown}, not {what}")


def _upgrade(entry):
    """An entry of the first format (one run, seed 0) in the current one."""
    run_keys = [k for k in entry if k not in ("chapter", "title", "measure", "book", "book_epochs")]
    run = {"seed": 0, **{k: entry[k] for k in run_keys}}
    return {k: entry[k] for k in entry if k not in run_keys} | {"runs": [run]}


def load_results(path):
    """The results in ``path`` (an empty set if there is no file); refuses anything malformed."""
    if not path.is_file():
        return {"format": FORMAT, "experiments": {}}
    try:
        results = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError) as err:
        raise ValueError(f"{path} cannot be read as a results file ({err}); move it away or choose "
                         "another folder with --out") from None
    if not isinstance(results, dict) or results.get("format") not in (FORMAT, _OLD_FORMAT) \
            or not isinstance(results.get("experiments"), dict):
        _refuse(path, f"format {FORMAT}")
    old = results["format"] == _OLD_FORMAT
    results["format"] = FORMAT
    for name, entry in results["experiments"].items():
        if not isinstance(entry, dict):
            _refuse(path, f"experiment {name!r} holds {json.dumps(entry)[:40]}, not an object")
        if old:
            entry = results["experiments"][name] = _upgrade(entry)
        if not isinstance(entry.get("runs"), list):
            _refuse(path, f"experiment {name!r} has no list of runs")
        book = EXPERIMENTS[name].book if name in EXPERIMENTS else entry.get("book")
        for run in entry["runs"]:
            _check_run(path, name, run, book)
    return results


@contextlib.contextmanager
def _locked(folder):
    """Hold an exclusive lock on ``folder``'s results while the block runs (where the OS has flock)."""
    try:
        import fcntl
    except ImportError:   # Windows: the merge still keeps the other command's runs, mostly
        yield
        return
    with open(folder / LOCK_FILE, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def record_run(folder, results, name, header, run):
    """Add ``run`` of experiment ``name`` to the file in ``folder`` and to ``results``.

    The file is read again under the lock and the run merged into what it holds then (replacing a
    run of the same seed and epochs), so runs written meanwhile by another command are kept.
    """
    with _locked(folder):
        current = load_results(folder / RESULTS_FILE)
        current.setdefault("data", results.get("data"))
        entry = current["experiments"].setdefault(name, {})
        entry.update(header)
        entry["runs"] = [r for r in entry.get("runs", [])
                         if (r["seed"], r["epochs"]) != (run["seed"], run["epochs"])] + [run]
        entry["runs"].sort(key=lambda r: (r["epochs"], r["seed"]))
        data = (json.dumps(current, indent=1) + "\n").encode("utf-8")
        atomic_write(folder / RESULTS_FILE, lambda f: f.write(data))
        results.clear()
        results.update(current)


def draw_plot(folder, results):
    """Draw ``results`` (as :func:`plot_results`) into ``folder/reproduce.png``, atomically."""
    figure = plot_results(results)
    if figure is not None:
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=110)
        atomic_write(folder / PLOT_FILE, lambda f: f.write(buffer.getvalue()))


# ---------------------------------------------------------------------- statistics over runs


def runs_of(entry, epochs=None):
    """The runs of ``entry`` with ``epochs`` epochs; by default those of the book's number of epochs,
    or if there are none, of the number of epochs with the most runs."""
    runs = entry.get("runs", [])
    if epochs is None:
        counts = {}
        for run in runs:
            counts[run["epochs"]] = counts.get(run["epochs"], 0) + 1
        if not counts:
            return []
        epochs = entry.get("book_epochs") if entry.get("book_epochs") in counts else \
            max(counts, key=lambda e: (counts[e], e))
    return [run for run in runs if run["epochs"] == epochs]


def statistics(runs, book):
    """Mean, standard deviation (n - 1), lowest and highest result of ``runs``, and where the book's
    figure lies: "inside" the range of our results, or "above"/"below" it. For chapter 5's lists of
    gradient norms each is a list of lists, element by element."""
    n = len(runs)
    if isinstance(book, list):
        rows = [np.array([run["result"][i] for run in runs], dtype=float) for i in range(len(book))]
        return {"n": n, "seeds": [run["seed"] for run in runs],
                "mean": [r.mean(axis=0).tolist() for r in rows],
                "std": [(r.std(axis=0, ddof=1) if n > 1 else 0 * r[0]).tolist() for r in rows],
                "min": [r.min(axis=0).tolist() for r in rows],
                "max": [r.max(axis=0).tolist() for r in rows]}
    values = np.array([run["result"] for run in runs], dtype=float)
    low, high = float(values.min()), float(values.max())
    cpu = [run["cpu_seconds"] for run in runs if "cpu_seconds" in run]
    return {"n": n, "seeds": [run["seed"] for run in runs], "mean": float(values.mean()),
            "std": float(values.std(ddof=1)) if n > 1 else 0.0, "min": low, "max": high,
            "book_is": "inside" if low - 1e-9 <= book <= high + 1e-9 else
                       ("above" if book > high else "below"),
            "seconds": float(np.mean([run.get("seconds", 0.0) for run in runs])),
            "cpu_seconds": float(np.mean(cpu)) if cpu else None}


# ---------------------------------------------------------------------- the plot


def plot_results(results):
    """A matplotlib Figure of our results beside the book's, or None if nothing is done yet.

    Left: every accuracy experiment, as our accuracy minus the book's figure: each run a dot, the
    mean a diamond, the range a line (the book's figure is the line at 0). Right: chapter 5's speed
    of learning per hidden layer (our mean filled, the book's open), log scale.
    """
    from matplotlib.figure import Figure

    done = {name: entry for name, entry in results["experiments"].items() if runs_of(entry)}
    accuracy = [name for name in EXPERIMENTS if name in done and name != "ch5-gradients"]
    gradients = done.get("ch5-gradients")
    panels = int(bool(accuracy)) + int(gradients is not None)
    if not panels:
        return None
    figure = Figure(figsize=(6.5 * panels + 1.5 * bool(accuracy), 0.42 * max(len(accuracy), 6) + 1.6))
    axes = figure.subplots(1, panels, squeeze=False,
                           width_ratios=[1.3, 1][:panels] if panels == 2 else None)[0]
    if accuracy:
        _plot_accuracy(axes[0], done, accuracy)
    if gradients is not None:
        _plot_gradients(axes[-1], statistics(runs_of(gradients), _BOOK_GRADIENTS)["mean"])
    source = {"mnist": "full MNIST", "sample": "the bundled 4,000-image sample"}.get(results.get("data"))
    if source:
        figure.suptitle(f"The book's experiments reproduced on {source}")
    figure.tight_layout()
    return figure


def _plot_accuracy(ax, done, names):
    """Each run's accuracy minus the book's figure (percentage points) as a dot, the mean of the runs
    as a diamond and their range as a line, one row per experiment; the book's figure is the line at 0."""
    rows = np.arange(len(names))[::-1]
    labels = []
    for row, name in zip(rows, names):
        book = EXPERIMENTS[name].book
        runs = runs_of(done[name])
        gaps = [100 * (run["result"] - book) for run in runs]
        ax.plot(gaps, [row] * len(gaps), "o", color="C0", markersize=4, alpha=0.7,
                label="ours: each run" if row == rows[0] else None)
        ax.plot([min(gaps), max(gaps)], [row, row], "-", color="C0", linewidth=1.2)
        ax.plot([np.mean(gaps)], [row], "D", color="C1", markersize=6,
                label="ours: mean of the runs" if row == rows[0] else None)
        labels.append(f"{name}: the book {100 * book:.2f}% ({len(runs)} run{'s' if len(runs) > 1 else ''}, "
                      f"{runs[0]['epochs']} ep.)")
    ax.axvline(0.0, color="k", linewidth=2, label="the book's figure")
    ax.set(yticks=rows, yticklabels=labels, xlabel="our accuracy minus the book's (percentage points)")
    # the legend between the title and the dots, where it covers neither the dots nor the x label
    ax.set_title("Accuracy: ours beside the book's", pad=24)
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=3, fontsize=8, frameon=False)
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
