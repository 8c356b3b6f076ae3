"""The command line: train a network headless, or fetch the full data sets.

    .venv/bin/python -m nbhelpers train --sizes 784 30 10 --epochs 30 --mini-batch-size 10 --eta 3.0
    .venv/bin/python -m nbhelpers train --cost cross-entropy --lmbda 5 --eta 0.5 --data mnist --save net.json
    .venv/bin/python -m nbhelpers data download mnist

``train`` prints one line per epoch (cost and accuracy, epochs counted from 0 as in the book) under
a progress bar and ends with the test accuracy. Every argument is checked before any work is done
(including that ``--save`` can be written, and that the network fits in memory); a bad one stops
the program with a message that names it, says what is allowed and what was given, and exit
status 2.

Used by: the README and notebook 00 (start here); not needed inside the notebooks.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

from .activations import ACTIVATIONS
from .costs import COSTS
from .initializers import INITIALIZERS
from .names import normalize
from .optimizers import OPTIMIZERS
from .regularization import REGULARIZATIONS
from .reproduce import add_parser as add_reproduce_parser
from .schedules import SCHEDULES
from .validate import number, whole

DATA_CHOICES = ("sample", "fashion_sample", "mnist", "fashion")


def _number(kind, minimum=None, strict=False, maximum=None):
    """An argparse type: a finite int/float with bounds, checked by ``validate`` (whose message,
    naming the bound, argparse prefixes with the option)."""

    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {'a whole number' if kind is int else 'a number'}, "
                                             f"got {text!r}") from None
        try:
            if kind is int:
                return whole(value, "value", minimum=minimum, maximum=maximum)
            return number(value, "value", low=minimum, high=maximum, low_open=strict, high_open=True)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    return parse


def _name(table, what):
    """An argparse type accepting names from ``table`` with '-' or '_' (cross-entropy = cross_entropy)."""

    def parse(text):
        key = normalize(text)
        if key not in table:
            allowed = ", ".join(k.replace("_", "-") for k in sorted(table))
            raise argparse.ArgumentTypeError(f"unknown {what} {text!r}; choose from {allowed}")
        return key

    return parse


def build_parser():
    parser = argparse.ArgumentParser(
        prog="python -m nbhelpers",
        description="Companion tools for Neural Networks and Deep Learning: train a network, "
                    "or download the full data sets.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    train = commands.add_parser("train", help="train a network and print per-epoch accuracy",
                                description="Train a fully connected network by mini-batch SGD.")
    train.add_argument("--sizes", type=_number(int, 1), nargs="+", default=[784, 30, 10],
                       metavar="N", help="neurons per layer, input first (default: 784 30 10)")
    train.add_argument("--epochs", type=_number(int, 1), default=30, help="default: 30")
    train.add_argument("--mini-batch-size", type=_number(int, 1), default=10, help="default: 10")
    train.add_argument("--eta", type=_number(float, 0, strict=True), default=3.0,
                       help="learning rate, > 0 (default: 3.0)")
    train.add_argument("--lmbda", type=_number(float, 0), default=0.0,
                       help="regularisation strength, >= 0 (default: 0)")
    train.add_argument("--regularization", type=_name(REGULARIZATIONS, "regularization"),
                       default="l2", help="l2 (default) or l1")
    train.add_argument("--optimizer", type=_name(OPTIMIZERS, "optimizer"), default="sgd",
                       help="sgd (default, the book's rule), momentum, nesterov, adagrad, rmsprop "
                            "or adam (each with its usual settings; eta is --eta)")
    train.add_argument("--cost", type=_name(COSTS, "cost"), default="quadratic",
                       help="quadratic (default), cross-entropy or log-likelihood")
    train.add_argument("--activation", type=_name(ACTIVATIONS, "activation"), default="sigmoid",
                       help="hidden-layer activation (default: sigmoid)")
    train.add_argument("--init", type=_name(INITIALIZERS, "initializer"), default="default",
                       help="default (N(0,1/n_in)), large (N(0,1)), xavier or he")
    train.add_argument("--dropout", type=_number(float, 0, maximum=1), default=0.0,
                       help="probability of dropping a hidden neuron, in [0, 1) (default: 0)")
    train.add_argument("--schedule", type=_name(SCHEDULES, "schedule"), default="constant",
                       help="constant (default), step, plateau or exponential")
    train.add_argument("--early-stopping", type=_number(int, 1), default=None, metavar="N",
                       help="stop after N epochs without a better validation accuracy")
    train.add_argument("--data", type=_name({k: 0 for k in DATA_CHOICES}, "data set"),
                       default="sample", help="sample (bundled digits, default), fashion-sample (bundled "
                            "Fashion-MNIST), mnist or fashion")
    train.add_argument("--seed", type=_number(int, 0), default=0, help="random seed (default: 0)")
    train.add_argument("--float32", action="store_true", help="compute in float32 (faster)")
    train.add_argument("--save", metavar="PATH", help="save the trained network (.json or .npz)")
    train.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    train.add_argument("--quiet", action="store_true", help="print only the final result")
    train.set_defaults(subparser=train)

    data = commands.add_parser("data", help="manage the data sets")
    data_commands = data.add_subparsers(dest="data_command", metavar="ACTION")
    data_commands.required = True
    download = data_commands.add_parser("download", help="download and verify a full data set")
    download.add_argument("name", nargs="?", default="mnist",
                          type=_name({"mnist": 0, "fashion": 0}, "data set"),
                          help="mnist (default) or fashion")
    download.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    add_reproduce_parser(commands)
    return parser


def _train(args):
    from .data import load_mnist
    from .engine import Network

    parser = args.subparser
    if args.save:
        _check_save_path(parser, args.save)
    if len(args.sizes) < 2:
        parser.error(f"argument --sizes: give at least two layers (input and output), got {args.sizes}")
    if args.sizes[0] != 784 or args.sizes[-1] != 10:
        parser.error(f"argument --sizes: the data has 784 inputs and 10 classes, so the first size "
                     f"must be 784 and the last 10, got {' '.join(map(str, args.sizes))}")
    try:
        net = Network(args.sizes, cost=args.cost, activation=args.activation, init=args.init,
                      seed=args.seed, dtype=np.float32 if args.float32 else np.float64)
    except ValueError as err:   # e.g. "sizes: ... needs 15 GB of memory ..."
        text = str(err)
        parser.error(f"argument --{text}" if text.startswith("sizes") else text)
    dtype = np.float32 if args.float32 else np.float64
    data = load_mnist(args.data, dtype=dtype, progress=not args.no_progress)
    if not args.quiet:
        print(f"Training {net} on {args.data}: {data.train[0].shape[1]} training, "
              f"{data.validation[0].shape[1]} validation, {data.test[0].shape[1]} test images")
    history = net.SGD(data.train, args.epochs, args.mini_batch_size, args.eta, lmbda=args.lmbda,
                      evaluation_data=data.validation, regularization=args.regularization,
                      dropout=args.dropout, schedule=args.schedule, optimizer=args.optimizer,
                      early_stopping=args.early_stopping, progress=not args.no_progress,
                      verbose=not args.quiet)
    test_accuracy = net.accuracy(data.test)
    print(f"Test accuracy: {test_accuracy:.2%} after {len(history)} epochs"
          + (f" ({history.stopped})" if history.stopped else ""))
    if args.save:
        net.save(args.save)
        print(f"Saved the network to {args.save}")
    return 1 if history.stopped == "diverged" else 0


def _check_save_path(parser, save):
    """Refuse a --save path that could not be written, before minutes of training: the temporary
    file the save will write is created (and removed) now."""
    from .atomic import check_writable

    path = Path(save)
    if path.suffix.lower() not in (".json", ".npz"):
        parser.error(f"argument --save: the file name must end in .json or .npz, got {save!r}")
    if path.exists() and not path.is_dir() and not os.access(path, os.W_OK):
        parser.error(f"argument --save: {save!r} cannot be written (permission denied)")
    try:
        check_writable(path, "argument --save")
    except OSError as err:
        parser.error(f"{err} (create the folder or choose another), got {save!r}"
                     if isinstance(err, FileNotFoundError) else f"{err}, got {save!r}")


def main(argv=None):
    """Run the command line with ``argv`` (default: sys.argv[1:]); returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "train":
            return _train(args)
        if args.command == "reproduce":
            from .reproduce import run

            return run(args)
        from .data import download_dataset

        folder = download_dataset(args.name, progress=not args.no_progress)
        print(f"{args.name}: all four files are in {folder} and match their checksums")
        return 0
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return 130
    except BrokenPipeError:   # the reader went away (`... --table | head`): nothing is wrong here
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())   # no second error at exit
        return 141            # as a program stopped by SIGPIPE
    except (OSError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
