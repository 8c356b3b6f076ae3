"""Run a notebook from top to bottom in a fresh kernel, as JupyterLab's *Run All* would.

The kernel is the Python running this code (the course's ``.venv``), started in the notebook's own
folder. A cell that raises stops the run with the notebook's name and the error. Widgets' states are
kept in the notebook's metadata, as JupyterLab keeps them, and so is the list of widgets that closed
themselves (a finished progress bar), which JupyterLab no longer shows.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
from traitlets.config import Config

from .kernel import use_in

#: Where the ids of closed widgets are kept, in ``notebook.metadata``.
CLOSED_WIDGETS = "closed_widgets"
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


class LessonError(RuntimeError):
    """A lesson failed to run: its name and the cell's error."""


class _Client(NotebookClient):
    """A notebook client that remembers which widget comms were closed."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.closed_comms = set()

    def handle_comm_msg(self, outs, msg, cell_index):
        if msg["msg_type"] == "comm_close":
            self.closed_comms.add(msg["content"]["comm_id"])
        super().handle_comm_msg(outs, msg, cell_index)


def _kernel_config(folder):
    """Talk to the kernel over local sockets (IPC) in ``folder`` where the system has them: nothing
    listens on a network port, and the kernel has no reason to warn that its messages travel
    unencrypted. The socket path must be absolute: the kernel runs in the lesson's folder. The
    kernel client is ``coursebook.kernel``'s, which never leaves a reply unread."""
    config = use_in(Config())
    if os.name != "nt":
        config.KernelManager.transport = "ipc"
        config.KernelManager.ip = str(Path(folder).resolve() / "kernel")
    return config


def execute_notebook(path, timeout=600):
    """Return the notebook at ``path`` with every cell run; raise ``LessonError`` if one fails.

    ``timeout`` is the most seconds one cell may take: a cell still running then has hung, and
    the error names it and shows its code; so does the error of a cell whose kernel died.
    """
    path = Path(path)
    notebook = nbformat.read(path, as_version=4)
    bin_dir = str(Path(sys.executable).parent)
    env = dict(os.environ, PATH=bin_dir + os.pathsep + os.environ.get("PATH", ""),
               MPLBACKEND="module://matplotlib_inline.backend_inline")
    sockets = tempfile.TemporaryDirectory(prefix="coursebook-")
    client = _Client(notebook, timeout=timeout, kernel_name="python3", allow_errors=False,
                     store_widget_state=True, config=_kernel_config(sockets.name),
                     resources={"metadata": {"path": str(path.parent)}})
    try:
        with sockets:
            client.execute(env=env)
    except CellExecutionError as error:
        details = _ANSI.sub("", str(error))
        raise LessonError(f"{path.name}: a cell raised {error.ename}: {error.evalue}\n{details}") from None
    except (CellTimeoutError, DeadKernelError) as error:   # the message shows the cell's code
        raise LessonError(f"{path.name}: code cell {client.code_cells_executed}: {error}") from None
    notebook.metadata[CLOSED_WIDGETS] = sorted(client.closed_comms)
    return notebook
