"""Interactive widgets for JupyterLab: the ``TrainerPanel`` of lessons 03, 05, 06 and 07.

``panel`` holds the panel (its controls, drawing and threads).
"""

from .panel import CONTROL_NAMES, TrainerPanel

__all__ = ["TrainerPanel", "CONTROL_NAMES"]
