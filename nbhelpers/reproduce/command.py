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

from ..atomic import check_writable
from .experiments import CHAPTERS, EXPERIMENTS
from .report import elapsed, format_value, list_experiments, markdown_table, print_summary
from .results import PLOT_FILE, RESULTS_FILE, draw_plot, load_results, record_run
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
    parser.add_argument("--table", nargs="?", const="full", choices=("full", "brief"), default=None,
                        help="print the results in --out as a Markdown table and stop (brief: the "
                             "book's figure and ours only)")
    parser.add_argument("--data", choices=("mnist", "sample"), default="mnist",
                        help="mnist (default: full MNIST, downloaded once) or sample (the bundled "
                             "4,000 / 500 / 500 digits)")
    parser.add_argument("--out", default=None, metavar="DIR",
                        help="folder for reproduce.json, reproduce.png and networks/ (default: "
                             "results, or results/sample with --data sample)")
    parser.add_argument("--mnist-dir", default=None, metavar="DIR",
                        help="a folder holding the four MNIST files, gzipped or not (default: the "
                             "environment variable NBHELPERS_MNIST_DIR, else the download cache)")
    parser.add_argument("--epochs", type=_positive_int, default=None, metavar="N",
                        help="train N epochs instead of the book's (a quick trial)")
    parser.add_argument("--seeds", type=_positive_int, default=1, metavar="N",
                        help="run each experiment N times, from seeds 0 to N-1, and report the mean, "
                             "spread and range of the results (default: 1)")
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
    if args.table:
        print(markdown_table(load_results(out / RESULTS_FILE), names if args.names else None,
                           brief=args.table == "brief"))
        return 0
    if args.mnist_dir is not None and args.data != "mnist":
        args.subparser.error(f"argument --mnist-dir: only full MNIST is read from a folder, not "
                             f"--data {args.data}")
    results = load_results(out / RESULTS_FILE)
    if results.setdefault("data", args.data) != args.data:
        raise ValueError(f"{out / RESULTS_FILE} holds results on {results['data']!r}, not "
                         f"{args.data!r}; choose another folder with --out")
    try:
        data = load_mnist(args.data, folder=args.mnist_dir, dtype=np.float32, download=False,
                          progress=False)
    except FileNotFoundError as err:
        # download=False is an argument of load_mnist the user never typed here
        message = str(err).replace(" and download=False", "")
        print(f"error: argument --mnist-dir: {message}" if args.mnist_dir is not None else
              f"error: reproducing the book needs the full MNIST data, which is not here yet.\n{message}",
              file=sys.stderr)
        return 1
    _prepare_output(out, names)
    session = Session(data, out)
    print(f"{'Full MNIST' if args.data == 'mnist' else 'The bundled sample'}: "
          f"{data.train[0].shape[1]:,} training, {data.validation[0].shape[1]:,} "
          f"validation and {data.test[0].shape[1]:,} test images. Results go to {out}/.")
    for name in names:
        for seed in range(args.seeds):
            try:
                _run_experiment(session, results, name, args.epochs, seed, args.force)
            except Interrupted:
                draw_plot(out, results)
                print(f"\nInterrupted during {name} (seed {seed}). Finished runs are saved in "
                      f"{out / RESULTS_FILE}; run the same command again to continue.", file=sys.stderr)
                return 130
    draw_plot(out, results)
    print_summary(results, names, args.epochs)
    print(f"\nWrote {out / RESULTS_FILE} and {out / PLOT_FILE}.")
    return 0


def _prepare_output(out, names):
    """Create the output folders and make sure files can be written there, before any training."""
    folders = [out] + ([out / "networks"] if {"ch6-dropout", "ch6-ensemble"} & set(names) else [])
    for folder in folders:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise PermissionError(f"argument --out: cannot create the folder {str(folder)!r} "
                                  f"({err.strerror or err})") from None
        check_writable(folder / RESULTS_FILE, "argument --out")


def _run_experiment(session, results, name, epochs, seed, force):
    """Run experiment ``name`` from ``seed`` for ``epochs`` (None: the book's) and record the run.

    Skipped when the results already hold that seed with the same epochs, unless ``force``; a
    Ctrl-C raises :class:`Interrupted` before anything is recorded.
    """
    experiment = EXPERIMENTS[name]
    epochs = epochs or experiment.epochs
    entry = results["experiments"].get(name, {})
    done = [run for run in entry.get("runs", []) if (run["seed"], run["epochs"]) == (seed, epochs)]
    if done and not force:
        print(f"\n{name}, seed {seed}: already done ({format_value(done[0]['result'])}); "
              "--force runs it again")
        return
    print(f"\n=== {name} (chapter {experiment.chapter}), seed {seed}: {experiment.title}\n    "
          f"{experiment.settings}; {epochs} epochs"
          + (f" (the book: {experiment.epochs})" if epochs != experiment.epochs else "")
          + f"\n    the book's figure: {format_value(experiment.book)} ({experiment.measure})")
    start, cpu = time.perf_counter(), time.process_time()
    outcome = experiment.run(session, epochs, seed)
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu
    header = {"chapter": experiment.chapter, "title": experiment.title, "measure": experiment.measure,
              "book": experiment.book, "book_epochs": experiment.epochs}
    run = {"seed": seed, "epochs": epochs, "seconds": round(seconds, 1),
           "cpu_seconds": round(cpu_seconds, 1),
           "finished": datetime.datetime.now().isoformat(timespec="seconds"), **outcome}
    record_run(session.out, results, name, header, run)
    print(f"--- {name}, seed {seed}: ours {format_value(outcome['result'])}, the book "
          f"{format_value(experiment.book)} ({experiment.measure}; {elapsed(seconds)}, "
          f"{elapsed(cpu_seconds)} of CPU time)")
