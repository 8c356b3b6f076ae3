"""nbhelpers: the one package every notebook of the NNDL companion imports.

A map of the tiers, from the bottom up (each imports only from the tiers above it in this list;
``docs/architecture.md`` says more)::

    names, validate, atomic,  the vocabulary every edge speaks: names looked up in tables,
    memory                    arguments checked, files written atomically, memory measured
    activations, costs,       the engine's parts, each a table of small objects looked up by
    initializers,             name ("Cross-Entropy" finds cross_entropy); lessons import them
    regularization,           by these paths
    optimizers, schedules
    layers/                   the layers, and the contract a new layer follows (layers/base.py)
    engine/                   Network and how it learns: network (the facade), build,
                              evaluation, passes, examples, training (the run's policy beside
                              the loop), guard, callbacks, history, serialize, archive
    gradcheck                 backpropagation checked against finite differences
    data/                     the data and its files: load_mnist, idx, download
    network, network2,        the book's faces: the book's programs, by the book's names, over
    network3, mnist_loader    the engine
    plots, widgets/           what a lesson shows: plots, and the trainer panel (its controls,
                              its runner, its drawing)
    lessons/                  helpers of single lessons (universality, rbf, surfaces, augment,
                              ensemble, adversarial, torch_bridge)
    feedback/, reproduce/,    the course's tools: the assignments' checks, the book's headline
    cli                       experiments, the command line (python -m nbhelpers)

The names most lessons need are here at the top: ``Network``, ``History``, ``StopTraining``,
``gradcheck``, the tables and their ``get_*`` functions, and (loaded on first use)
``load_mnist`` and ``one_hot``.
"""

from .activations import ACTIVATIONS, get_activation
from .costs import COSTS, get_cost
from .engine import Network
from .engine.callbacks import StopTraining
from .engine.history import History
from .gradcheck import gradcheck
from .initializers import INITIALIZERS
from .optimizers import OPTIMIZERS, get_optimizer

__version__ = "0.2.0"

__all__ = ["Network", "History", "StopTraining", "gradcheck", "ACTIVATIONS", "COSTS", "INITIALIZERS",
           "OPTIMIZERS", "get_activation", "get_cost", "get_optimizer", "load_mnist", "one_hot"]


def __getattr__(name):
    # data loading is imported on first use, so "import nbhelpers" stays quick
    if name in ("load_mnist", "one_hot"):
        from . import data

        return getattr(data, name)
    raise AttributeError(f"module 'nbhelpers' has no attribute {name!r}")
