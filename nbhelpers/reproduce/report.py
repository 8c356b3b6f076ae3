"""The tables the ``reproduce`` command prints: the list of experiments and the summary of results.

Also the small formatters the command uses in its own lines: a result (an accuracy as a per cent,
or chapter 5's gradient norms), a measured run time and a rough expected duration.

Used by: ``command`` in this package (``--list``, the line after each experiment, the summary).
"""

from __future__ import annotations

import sys

import numpy as np

from .experiments import _BOOK_GRADIENTS, _LIST, CHAPTERS, EXPERIMENTS
from .results import runs_of, statistics


def format_value(value):
    if isinstance(value, list):
        return " | ".join(", ".join(f"{v:.3f}" for v in row) for row in value)
    return "-" if value is None else f"{100 * value:.2f}%"


def elapsed(seconds):
    if seconds < 60:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.1f} min" if seconds < 7200 else f"{seconds / 3600:.1f} h"


def _duration(minutes):
    if minutes < 60:
        return f"~{max(1, round(minutes))} min"
    return f"~{minutes / 60:.0f} h" if minutes >= 120 else f"~{minutes / 60:.1f} h"


def list_experiments(out=None):
    """Print the table of experiments: name, what, the book's epochs and figure, rough time."""
    out = out or sys.stdout
    print(f"{'experiment':<15} {'ch.':>3}  {'what':<48} {'epochs':>6}  {'the book':>9}  time", file=out)
    for e in _LIST:
        figure = "see below" if isinstance(e.book, list) else format_value(e.book)
        print(f"{e.name:<15} {e.chapter:>3}  {e.title:<48} {e.epochs:>6}  {figure:>9}  "
              f"{_duration(e.minutes)}", file=out)
    print(f"\nch5-gradients: the book's {EXPERIMENTS['ch5-gradients'].measure}: "
          f"{format_value(_BOOK_GRADIENTS)} (2 | 3 | 4 hidden layers)", file=out)
    total = sum(e.minutes for e in _LIST)
    print(f"\nAll of them, one run each: {_duration(total)} on one core (chapter 6 is most of it; two "
          "commands sharing --out use two cores). "
          "Chapters: " + ", ".join(f"{c} = {' '.join(names)}" for c, names in CHAPTERS.items()),
          file=out)


def format_spread(stats):
    """``95.31% ± 0.12 (95.10-95.52%, 5 runs)`` for an accuracy; one run is just the figure."""
    if stats["n"] == 1:
        return f"{100 * stats['mean']:.2f}% (1 run)"
    return (f"{100 * stats['mean']:.2f}% ± {100 * stats['std']:.2f} "
            f"({100 * stats['min']:.2f}-{100 * stats['max']:.2f}%, {stats['n']} runs)")


def print_summary(results, names=None, epochs=None):
    """Print our results beside the book's for every finished experiment (of ``names``): the mean,
    standard deviation and range over the runs (with ``epochs`` epochs; by default the book's), and
    whether the book's figure lies inside the range of ours."""
    done = results["experiments"]
    print(f"\n{'experiment':<16} {'ours: mean ± sd (range, runs)':<40} {'the book':>8}  {'book is':<7} "
          f"{'epochs':>6} {'time/run':>9}  measure")
    for name in names or EXPERIMENTS:
        if name not in done:
            continue
        experiment = EXPERIMENTS[name]
        runs = runs_of(done[name], epochs or experiment.epochs)
        if not runs:
            continue
        stats = statistics(runs, experiment.book)
        seconds = elapsed(np.mean([run.get("seconds", 0.0) for run in runs]))
        if isinstance(experiment.book, list):
            print(f"{name:<16} {'':<40} {'':>8}  {'':<7} {runs[0]['epochs']:>6} {seconds:>9}  "
                  f"{experiment.measure}")
            print(f"{'':<16} ours ({stats['n']} run{'s' if stats['n'] > 1 else ''}): "
                  f"{format_value(stats['mean'])}\n{'':<16} the book:  {format_value(experiment.book)}")
            continue
        print(f"{name:<16} {format_spread(stats):<40} {format_value(experiment.book):>8}  "
              f"{stats['book_is']:<7} {runs[0]['epochs']:>6} {seconds:>9}  {experiment.measure}")


def command_for(name, runs, data="mnist"):
    """The command line that makes ``runs`` of experiment ``name`` again (their seeds and epochs)."""
    words = ["python -m nbhelpers reproduce", name]
    seeds = sorted(run["seed"] for run in runs)
    if seeds != [0]:
        words.append(f"--seeds {seeds[-1] + 1}")      # seeds 0..N-1; a missing one is run too
    if runs[0]["epochs"] != EXPERIMENTS[name].epochs:
        words.append(f"--epochs {runs[0]['epochs']}")
    if data != "mnist":
        words.append(f"--data {data}")
    return " ".join(words)


def _times(runs):
    """``CPU / wall`` of a run: the mean CPU time of the process, and the fastest run's wall-clock time
    (the least disturbed by whatever else the machine was doing)."""
    cpu = [run["cpu_seconds"] for run in runs if "cpu_seconds" in run]
    wall = [run["seconds"] for run in runs if "seconds" in run]
    return (f"{elapsed(float(np.mean(cpu))) if cpu else '-'} / "
            f"{elapsed(float(min(wall))) if wall else '-'}")


def markdown_table(results, names=None, brief=False):
    """Our results beside the book's as a Markdown table (for docs/reproduce.md): one row per
    experiment with runs, its figures over the runs at the book's number of epochs (or the most
    common one), the time of a run and the command that makes the row again. ``brief`` keeps only
    the book's figure, our mean and spread, and the number of runs (for the README)."""
    if brief:
        return _brief_table(results, names)
    done = results["experiments"]
    data = results.get("data", "mnist")
    rows = ["| experiment | what | the book | ours: mean ± sd | range (runs) | the book's figure is "
            "| epochs | time per run: CPU / wall | command |",
            "|---|---|---|---|---|---|---|---|---|"]
    for name in names or EXPERIMENTS:
        experiment = EXPERIMENTS[name]
        runs = runs_of(done.get(name, {}))
        if not runs:
            continue
        stats = statistics(runs, experiment.book)
        end = f"| {runs[0]['epochs']} | {_times(runs)} | `{command_for(name, runs, data)}` |"
        if isinstance(experiment.book, list):
            ours = " / ".join(" ".join(f"{v:.3f}" for v in row) for row in stats["mean"])
            book = " / ".join(" ".join(f"{v:.3f}".rstrip("0") for v in row) for row in experiment.book)
            rows.append(f"| {name} | {experiment.title} | {book} | {ours} | ({stats['n']}) | - {end}")
            continue
        spread = f" ± {100 * stats['std']:.2f}" if stats["n"] > 1 else ""
        span = f"{100 * stats['min']:.2f}-{100 * stats['max']:.2f}%" if stats["n"] > 1 else "-"
        verdict = {"inside": "inside our range", "above": "above our range",
                   "below": "below our range"}[stats["book_is"]] if stats["n"] > 1 else \
            {"inside": "equal to ours", "above": "above ours", "below": "below ours"}[stats["book_is"]]
        rows.append(f"| {name} | {experiment.title} | {format_value(experiment.book)} "
                    f"| {100 * stats['mean']:.2f}%{spread} | {span} ({stats['n']}) | {verdict} {end}")
    return "\n".join(rows)


def _brief_table(results, names=None):
    rows = ["| experiment | the book | ours: mean ± sd (range, runs) |", "|---|---|---|"]
    for name in names or EXPERIMENTS:
        experiment = EXPERIMENTS[name]
        runs = runs_of(results["experiments"].get(name, {}))
        if not runs or isinstance(experiment.book, list):
            continue
        stats = statistics(runs, experiment.book)
        rows.append(f"| {name} | {format_value(experiment.book)} | {format_spread(stats)} |")
    return "\n".join(rows)
