"""nbhelpers: the shared helper package of the NNDL notebook companion.

One network engine (``engine.Network``) built from layers (``nbhelpers.layers``), trained by a
small loop (``training``) with optimisers, schedules and callbacks; its costs, activations and
initialisers; the book-compatible faces ``network``, ``network2``, ``network3`` and
``mnist_loader``; data loading; gradient checks; plots; widgets; and a CLI
(``python -m nbhelpers``). Every notebook imports it.
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
