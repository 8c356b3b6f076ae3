"""The engine: ``Network``, a stack of layers and a cost, and how it learns.

=================  =====================================================================
``network``        ``Network``: build from sizes or layers, forward and backward passes,
                   evaluation, the book's ``weights``/``biases``, ``SGD``, saving
``training``       the loop (shuffle, batch, backpropagate, step) and the ``Run`` it shares
``callbacks``      the small objects that watch a run (monitoring, early stopping, ...)
``history``        the per-epoch ``History`` a run returns
``examples``       data (arrays or the book's lists of pairs) as checked matrices
``serialize``      saving and loading networks (JSON or ``.npz``, never pickle)
=================  =====================================================================

The parts it is built from are looked up by name in the modules beside this package
(``nbhelpers.layers``, ``activations``, ``costs``, ``initializers``, ``regularization``,
``optimizers``, ``schedules``).
"""

from .callbacks import Callback, StopTraining
from .history import History
from .network import Network

__all__ = ["Network", "History", "Callback", "StopTraining"]
