"""Reproduce the book's headline experiments on full MNIST, each beside the figure the book reports.

    python -m nbhelpers data download mnist           # once: the full data set (11 MB)
    python -m nbhelpers reproduce --list              # the experiments, the book's figures, run times
    python -m nbhelpers reproduce ch1 ch3             # whole chapters, or experiments by name
    python -m nbhelpers reproduce                     # everything, in book order (hours: see --list)
    python -m nbhelpers reproduce ch3 --seeds 5       # 5 runs each: mean, spread and range
    python -m nbhelpers reproduce ch1 --mnist-dir /shared/mnist   # the four files from a folder
    python -m nbhelpers reproduce ch6-conv1 --epochs 2     # a quick trial with fewer epochs
    python -m nbhelpers reproduce ch1 ch3 --data sample    # the book's settings on the bundled sample

Each experiment runs the book's own commands through the course's book faces (``network``,
``network2``, ``network3``) with the book's settings, printing what the book's code prints, and
ends with our number beside the book's. ``--seeds N`` runs each experiment from seeds 0 to N-1 and
reports the mean, the standard deviation and the range of our results, and whether the book's
figure lies inside that range. After every run the results are merged (atomically, under a lock,
so two commands may share a folder) into ``results/reproduce.json``, which keeps every run, and
drawn in ``results/reproduce.png`` (``--out`` picks the folder, checked for writing before anything
is trained); the dropout networks are saved in ``results/networks/``. A run already in the JSON
file (same seed, same number of epochs) is skipped (``--force`` runs it again), so a command
stopped with Ctrl-C carries on where it stopped when it is given again; the ensemble also keeps
each member it has finished. Full MNIST is read from ``--mnist-dir``, the folder named by
``NBHELPERS_MNIST_DIR``, or the download cache; without it the command says how to get it and
exits with status 1. ``--data sample`` runs the same experiments on the bundled 4,000 / 500 / 500
digits instead (results in ``results/sample/``), to see what the book's settings give on a small
data set without downloading anything.

Chapter-6 networks are trained in float32 (as the book's Theano code was); the others in the
faces' default float64. Seed k sets a network's random weights and the order of its mini-batches
(run k of the ensemble votes with the dropout networks of seeds 5k to 5k+4), so a run repeats
exactly on the same machine; the book's figures came from its own random draws (chapter 6: the
best of three runs), so expect agreement within the spread over seeds, not to the digit.

One module per concern: ``experiments`` (the book's experiments and figures), ``runs`` (the
session and the training behind each experiment), ``results`` (the JSON file and its plot),
``report`` (the printed tables) and ``command`` (the subcommand's arguments and its run). This
package only gathers the names other code uses.

Used by: the CLI (``python -m nbhelpers reproduce``), the README ("Reproducing the book") and
tests/test_reproduce.py.
"""

from .command import _selected, add_parser, run
from .experiments import CHAPTERS, EXPERIMENTS, Experiment
from .report import list_experiments, print_summary
from .results import FORMAT, PLOT_FILE, RESULTS_FILE, load_results, plot_results, runs_of, statistics
from .runs import ENSEMBLE_SIZE, MINI_BATCH, Interrupted, Session, _check

__all__ = [
    "EXPERIMENTS",
    "CHAPTERS",
    "ENSEMBLE_SIZE",
    "MINI_BATCH",
    "Experiment",
    "Interrupted",
    "Session",
    "RESULTS_FILE",
    "PLOT_FILE",
    "FORMAT",
    "plot_results",
    "load_results",
    "runs_of",
    "statistics",
    "add_parser",
    "run",
    "list_experiments",
    "print_summary",
    "_selected",
    "_check",
]
