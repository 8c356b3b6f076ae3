"""The tables the ``reproduce`` command prints: the list of experiments and the summary of results.

Also the small formatters the command uses in its own lines: a result (an accuracy as a per cent,
or chapter 5's gradient norms), a measured run time and a rough expected duration.

Used by: ``command`` in this package (``--list``, the line after each experiment, the summary).
"""

from __future__ import annotations

import sys

from .experiments import _BOOK_GRADIENTS, _LIST, CHAPTERS, EXPERIMENTS


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
        figure = format_value(e.book) if e.chapter != 5 else "see below"
        print(f"{e.name:<15} {e.chapter:>3}  {e.title:<48} {e.epochs:>6}  {figure:>9}  "
              f"{_duration(e.minutes)}", file=out)
    print(f"\nch5-gradients: the book's {EXPERIMENTS['ch5-gradients'].measure}: "
          f"{format_value(_BOOK_GRADIENTS)} (2 | 3 | 4 hidden layers)", file=out)
    total = sum(e.minutes for e in _LIST)
    print(f"\nAll of them: {_duration(total)} on one core (chapter 6 is most of it). "
          "Chapters: " + ", ".join(f"{c} = {' '.join(names)}" for c, names in CHAPTERS.items()),
          file=out)


def print_summary(results, names=None):
    """Print our result beside the book's for every finished experiment (of ``names``)."""
    done = results["experiments"]
    print(f"\n{'experiment':<15} {'ours':>8} {'the book':>9}  {'epochs':>6}  {'time':>8}  measure")
    for name in names or EXPERIMENTS:
        if name not in done:
            continue
        entry = done[name]
        ours, book = entry["result"], entry["book"]
        if isinstance(book, list):
            print(f"{name:<15} {'':>8} {'':>9}  {entry['epochs']:>6}  "
                  f"{elapsed(entry['seconds']):>8}  {entry['measure']}")
            print(f"{'':<15} ours:     {format_value(ours)}\n{'':<15} the book: {format_value(book)}")
            continue
        print(f"{name:<15} {format_value(ours):>8} {format_value(book):>9}  {entry['epochs']:>6}  "
              f"{elapsed(entry['seconds']):>8}  {entry['measure']}")
