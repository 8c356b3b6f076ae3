"""Run a notebook from top to bottom in a fresh kernel, as JupyterLab's *Run All* would.

The kernel is the Python running this code (the course's ``.venv``), started in the notebook's own
folder. A cell that raises stops the run with the notebook's name and the error. Widgets' states are
kept in the notebook's metadata, as JupyterLab keeps them, and so is the list of widgets that closed
themselves (a finished progress bar), which JupyterLab no longer shows.
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
import tempfile
from pathlib import Path

import nbformat
from jupyter_core.utils import ensure_async
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from traitlets.config import Config

#: Where the ids of closed widgets are kept, in ``notebook.metadata``.
CLOSED_WIDGETS = "closed_widgets"
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


class LessonError(RuntimeError):
    """A lesson failed to run: its name and the cell's error."""


class _Client(NotebookClient):
    """A notebook client that also remembers which widget comms were closed.

    It also nudges the kernel while it waits for a reply. Under load, ipykernel 7.0-7.3 could leave
    a request unread on its shell socket (ipykernel issue 1554, fixed in 7.4, which the course
    requires): the kernel sat idle while the client waited for the cell's reply until its timeout.
    Any later message on that socket woke it, so a ``kernel_info`` request every few seconds kept a
    run from stalling. The nudge costs nothing (its replies carry other ids and are passed over) and
    stays as a guard: a site build runs every lesson, and one such stall would cost its whole timeout.
    """

    nudge_seconds = 5.0

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.closed_comms = set()

    async def _nudge(self):
        while True:
            await asyncio.sleep(self.nudge_seconds)
            await ensure_async(self.kc.kernel_info())

    async def _async_poll_for_reply(self, *args, **kwargs):
        nudging = asyncio.ensure_future(self._nudge())
        try:
            return await super()._async_poll_for_reply(*args, **kwargs)
        finally:
            nudging.cancel()

    def handle_comm_msg(self, outs, msg, cell_index):
        if msg["msg_type"] == "comm_close":
            self.closed_comms.add(msg["content"]["comm_id"])
        super().handle_comm_msg(outs, msg, cell_index)


def _kernel_config(folder):
    """Talk to the kernel over local sockets (IPC) in ``folder`` where the system has them: nothing
    listens on a network port, and the kernel has no reason to warn that its messages travel
    unencrypted. The socket path must be absolute: the kernel runs in the lesson's folder."""
    config = Config()
    if os.name != "nt":
        config.KernelManager.transport = "ipc"
        config.KernelManager.ip = str(Path(folder).resolve() / "kernel")
    return config


def execute_notebook(path, timeout=600):
    """Return the notebook at ``path`` with every cell run; raise ``LessonError`` if one fails.

    ``timeout`` is the most seconds one cell may take.
    """
    path = Path(path)
    notebook = nbformat.read(path, as_version=4)
    bin_dir = str(Path(sys.executable).parent)
    env = dict(os.environ, PATH=bin_dir + os.pathsep + os.environ.get("PATH", ""),
               MPLBACKEND="module://matplotlib_inline.backend_inline")
    try:
        with tempfile.TemporaryDirectory(prefix="coursebook-") as sockets:
            client = _Client(notebook, timeout=timeout, kernel_name="python3", allow_errors=False,
                             store_widget_state=True, config=_kernel_config(sockets),
                             resources={"metadata": {"path": str(path.parent)}})
            client.execute(env=env)
    except CellExecutionError as error:
        details = _ANSI.sub("", str(error))
        raise LessonError(f"{path.name}: a cell raised {error.ename}: {error.evalue}\n{details}") from None
    notebook.metadata[CLOSED_WIDGETS] = sorted(client.closed_comms)
    return notebook
