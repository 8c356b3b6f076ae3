"""Interactive widgets for JupyterLab: the ``TrainerPanel`` of lessons 03, 05, 06 and 07, and the
explorers (a plot redrawn as its sliders move) of lessons 01, 02, 05, 08, 09 and 11.

``panel`` holds the panel (its controls, drawing and threads); ``explorers`` the explorers and the
locks that keep their drawing safe when JupyterLab runs their callbacks in a thread of their own.
"""

from .explorers import explorer, sweep
from .panel import CONTROL_NAMES, TrainerPanel

__all__ = ["TrainerPanel", "CONTROL_NAMES", "explorer", "sweep"]
