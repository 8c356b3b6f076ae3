"""The ``reproduce`` subcommand: its arguments, the choice of experiments, and the run of them.

:func:`add_parser` adds the subcommand to the CLI; :func:`run` loads the data and the results
file, runs each chosen experiment not yet done, records it and prints our result beside the book's.

Used by: nbhelpers/cli.py (``python -m nbhelpers reproduce``) and tests/test_reproduce.py.
"""

from __future__ import annotations

import argparse
import datetime
import sys
import time
from pathlib import Path

import numpy as np

from .experiments import CHAPTERS, EXPERIMENTS
from .report import elapsed, format_value, list_experiments, print_summary
from .results import PLOT_FILE, RESULTS_FILE, load_results, write_results
from .runs import Interrupted, Session


def add_parser(commands):
    """Add the ``reproduce`` subcommand to the CLI's subparsers ``commands``."""
    names = ", ".join([*CHAPTERS, *EXPERIMENTS])
    parser = commands.add_parser(
        "reproduce", help="run the book's headline experiments on full MNIST beside its figures",
        description="Run the book's headline experiments with its settings on full MNIST and "
                    "compare each result with the figure the book reports.")
    parser.add_argument("names", nargs="*", metavar="NAME",
                        help=f"experiments or chapters to run (default: all): {names}")
    parser.add_argument("--list", action="store_true", help="list the experiments and stop")
    parser.add_argument("--data", choices=("mnist", "sample"), default="mnist",
                        help="mnist (default: full MNIST, downloaded once) or sample (the bundled "
                             "4,000 / 500 / 500 digits)")
    parser.add_argument("--out", default=None, metavar="DIR",
                        help="folder for reproduce.json, reproduce.png and networks/ (default: "
                             "results, or results/sample with --data sample)")
    parser.add_argument("--epochs", type=_positive_int, default=None, metavar="N",
                        help="train N epochs instead of the book's (a quick trial)")
    parser.add_argument("--force", action="store_true",
                        help="run experiments again even if the results file has them")
    parser.set_defaults(subparser=parser)
    return parser


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {text}")
    return value


def _selected(parser, names):
    if not names or "all" in names:
        return list(EXPERIMENTS)
    chosen = []
    for name in names:
        key = name.lower()
        if key in CHAPTERS:
            chosen += CHAPTERS[key]
        elif key in EXPERIMENTS:
            chosen.append(key)
        else:
            parser.error(f"argument NAME: unknown experiment {name!r}; choose from all, "
                         + ", ".join([*CHAPTERS, *EXPERIMENTS]))
    return [name for name in EXPERIMENTS if name in chosen]   # book order, each once


def run(args):
    """Carry out ``python -m nbhelpers reproduce`` with parsed ``args``; returns the exit status."""
    from ..data import load_mnist

    if args.list:
        list_experiments()
        return 0
    names = _selected(args.subparser, args.names)
    out = Path(args.out if args.out is not None else
               "results" if args.data == "mnist" else "results/sample")
    if out.exists() and not out.is_dir():
        args.subparser.error(f"argument --out: {str(out)!r} is a file, not a folder")
    results = load_results(out / RESULTS_FILE)
    if results.setdefault("data", args.data) != args.data:
        raise ValueError(f"{out / RESULTS_FILE} holds results on {results['data']!r}, not "
                         f"{args.data!r}; choose another folder with --out")
    try:
        data = load_mnist(args.data, dtype=np.float32, download=False, progress=False)
    except FileNotFoundError as err:
        print("error: reproducing the book needs the full MNIST data, which is not here yet.\n"
              + str(err).replace(" and download=False", ""), file=sys.stderr)  # not an argument typed here
        return 1
    out.mkdir(parents=True, exist_ok=True)
    session = Session(data, out)
    print(f"{'Full MNIST' if args.data == 'mnist' else 'The bundled sample'}: "
          f"{data.train[0].shape[1]:,} training, {data.validation[0].shape[1]:,} "
          f"validation and {data.test[0].shape[1]:,} test images. Results go to {out}/.")
    for name in names:
        try:
            _run_experiment(session, results, name, args.epochs, args.force)
        except Interrupted:
            print(f"\nInterrupted during {name}. Finished experiments are saved in {out / RESULTS_FILE};"
                  " run the same command again to continue.", file=sys.stderr)
            return 130
    print_summary(results, names)
    print(f"\nWrote {out / RESULTS_FILE} and {out / PLOT_FILE}.")
    return 0


def _run_experiment(session, results, name, epochs, force):
    """Run experiment ``name`` for ``epochs`` (None: the book's), record it and write the results file.

    Skipped when the results already hold it with the same epochs, unless ``force``; a Ctrl-C
    raises :class:`Interrupted` before anything is recorded.
    """
    experiment = EXPERIMENTS[name]
    epochs = epochs or experiment.epochs
    done = results["experiments"]
    if name in done and done[name].get("epochs") == epochs and not force:
        print(f"\n{name}: already done ({format_value(done[name]['result'])}); --force runs it again")
        return
    print(f"\n=== {name} (chapter {experiment.chapter}): {experiment.title}\n    "
          f"{experiment.settings}; {epochs} epochs"
          + (f" (the book: {experiment.epochs})" if epochs != experiment.epochs else "")
          + f"\n    the book's figure: {format_value(experiment.book)} ({experiment.measure})")
    start = time.perf_counter()
    outcome = experiment.run(session, epochs)
    seconds = time.perf_counter() - start
    done[name] = {"chapter": experiment.chapter, "title": experiment.title,
                  "measure": experiment.measure, "book": experiment.book, "epochs": epochs,
                  "book_epochs": experiment.epochs, "seconds": round(seconds, 1),
                  "finished": datetime.datetime.now().isoformat(timespec="seconds"), **outcome}
    write_results(session.out, results)
    print(f"--- {name}: ours {format_value(outcome['result'])}, the book {format_value(experiment.book)} "
          f"({experiment.measure}; {elapsed(seconds)})")
