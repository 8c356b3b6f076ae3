"""The engine: ``Network``, a stack of layers and a cost, and how it learns.

=================  =====================================================================
``network``        ``Network``: build from sizes or layers, forward and backward passes,
                   evaluation, the book's ``weights``/``biases``, ``SGD``, saving
``training``       the run's policy (``fit``) beside the loop (shuffle, batch, backpropagate,
                   step) and the ``Run`` it shares
``guard``          the run's health check after every epoch: lost (stop) or going wrong (warn)
``callbacks``      the small objects that watch a run (monitoring, early stopping, ...)
``history``        the per-epoch ``History`` a run returns
``examples``       data (arrays or the book's lists of pairs) as checked matrices
``serialize``      saving and loading networks (JSON or ``.npz``, never pickle), with the
                   optimiser's state; ``archive`` reads their files within bounds
=================  =====================================================================

The parts it is built from are looked up by name in the modules beside this package
(``nbhelpers.layers``, ``activations``, ``costs``, ``initializers``, ``regularization``,
``optimizers``, ``schedules``).
"""

from .callbacks import Callback, StopTraining
from .history import History
from .network import Network

__all__ = ["Network", "History", "Callback", "StopTraining"]
