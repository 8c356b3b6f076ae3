"""Reproduce the book's headline experiments on full MNIST, each beside the figure the book reports.

    python -m nbhelpers data download mnist           # once: the full data set (11 MB)
    python -m nbhelpers reproduce --list              # the experiments, the book's figures, run times
    python -m nbhelpers reproduce ch1 ch3             # whole chapters, or experiments by name
    python -m nbhelpers reproduce                     # everything, in book order (hours: see --list)
    python -m nbhelpers reproduce ch6-conv1 --epochs 2     # a quick trial with fewer epochs
    python -m nbhelpers reproduce ch1 ch3 --data sample    # the book's settings on the bundled sample

Each experiment runs the book's own commands through the course's book faces (``network``,
``network2``, ``network3``) with the book's settings, printing what the book's code prints, and
ends with our number beside the book's. After every experiment the results are written (atomically)
to ``results/reproduce.json`` and drawn in ``results/reproduce.png`` (``--out`` picks the folder);
the trained chapter-6 networks are saved in ``results/networks/``. An experiment already in the
JSON file with the same number of epochs is skipped (``--force`` runs it again), so a run stopped
with Ctrl-C carries on where it stopped when the same command is given again; the ensemble also
keeps each member it has finished. Without the full data the command says how to download it and
exits with status 1. ``--data sample`` runs the same experiments on the bundled 4,000 / 500 / 500
digits instead (results in ``results/sample/``), to see what the book's settings give on a small
data set without downloading anything.

Chapter-6 networks are trained in float32 (as the book's Theano code was on a GPU); the others in
the faces' default float64. Each network starts from seed 0 (the ensemble's members from seeds
0-4), so a run repeats exactly on the same machine; the book's figures came from its own random
draws (chapter 6: the best of three runs), so expect agreement to a few tenths of a per cent, not
to the digit.

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
from .results import FORMAT, PLOT_FILE, RESULTS_FILE, plot_results
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
    "add_parser",
    "run",
    "list_experiments",
    "print_summary",
    "_selected",
    "_check",
]
