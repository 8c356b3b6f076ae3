"""nbhelpers: the shared helper package of the NNDL notebook companion.

One network engine (``engine.Network``) with the book's conventions, its costs, activations,
initialisers and schedules; the book-compatible faces ``network``, ``network2`` and
``mnist_loader``; data loading; gradient checks; plots; widgets; and a CLI
(``python -m nbhelpers``). Every notebook imports it.
"""

from .activations import ACTIVATIONS, get_activation
from .costs import COSTS, get_cost
from .engine import Network, StopTraining, TrainingDiverged
from .gradcheck import gradcheck
from .history import History
from .initializers import INITIALIZERS

__version__ = "0.1.0"

__all__ = ["Network", "History", "StopTraining", "TrainingDiverged", "gradcheck", "ACTIVATIONS",
           "COSTS", "INITIALIZERS", "get_activation", "get_cost", "load_mnist", "one_hot"]


def __getattr__(name):
    # data loading is imported on first use, so "import nbhelpers" stays quick
    if name in ("load_mnist", "one_hot"):
        from . import data

        return getattr(data, name)
    raise AttributeError(f"module 'nbhelpers' has no attribute {name!r}")
