"""Run a notebook from top to bottom in a fresh kernel, as JupyterLab's *Run All* would.

The kernel is the Python running this code (the course's ``.venv``), started in the notebook's own
folder. A cell that raises, runs longer than the timeout, or kills its kernel stops the run with a
``LessonError`` naming the notebook, the cell and what to do. Widgets' states are kept in the
notebook's metadata, as JupyterLab keeps them, and so is the list of widgets that closed themselves
(a finished progress bar), which JupyterLab no longer shows. With ``frames``, one more cell runs at
the end, in the same kernel, and draws the pictures of the lesson's sliders (see ``frames``).
"""

from __future__ import annotations

import json
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
#: BLAS runs on one thread, as in ``make test``, unless these are set: a lesson's numbers (and the
#: margins its checks assert) are then those the tests saw.
ONE_THREAD = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
#: Marks the cell ``execute_notebook`` appends to draw the sliders' frames.
FRAMES_CELL = "coursebook_frames"


class LessonError(RuntimeError):
    """A lesson failed to run: its name and the cell's error."""


class _Client(NotebookClient):
    """A notebook client that remembers which widget comms were closed and which cell is running."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.closed_comms = set()
        self.running = None   # the index of the cell being run, for error messages

    async def async_execute_cell(self, cell, cell_index, *args, **kwargs):
        self.running = cell_index
        return await super().async_execute_cell(cell, cell_index, *args, **kwargs)

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


def _frames_cell(folder, budget, seconds):
    source = ("from IPython.display import display as _display\n"
              "from coursebook.frames import precompute as _precompute\n"
              f"_display({{'application/json': _precompute({str(folder)!r}, budget={budget!r}, "
              f"seconds={seconds!r})}}, raw=True)")
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata[FRAMES_CELL] = True
    return cell


def _frames_manifest(notebook):
    """Take the frames cell off the end of ``notebook``; return the manifest it displayed."""
    cell = notebook.cells.pop()
    assert cell.metadata.get(FRAMES_CELL), "the frames cell should be the last"
    for output in cell.outputs:
        if output.output_type == "display_data" and "application/json" in output.data:
            manifest = output.data["application/json"]
            return json.loads(manifest) if isinstance(manifest, str) else manifest
    raise LessonError(f"the frames cell displayed nothing: {cell.outputs}")


def _explain(error, path, cell_index, timeout):
    """A ``LessonError`` saying what went wrong in a way the reader can act on."""
    where = f"{path.name}, cell {cell_index}" if cell_index is not None else path.name
    if isinstance(error, CellTimeoutError):
        return LessonError(f"{where}: the cell was still running after {timeout} s, the limit for one "
                           "cell, and was stopped (it may wait for input or loop forever; if it is "
                           "just slow, give it longer with --timeout SECONDS)")
    return LessonError(f"{where}: the kernel died while the cell ran (out of memory, a crash in "
                       "compiled code, or a call to exit); run the lesson in JupyterLab to see where")


def execute_notebook(path, timeout=600, frames=None, budget=None):
    """Return the notebook at ``path`` with every cell run; raise ``LessonError`` if one fails.

    ``timeout`` is the most seconds one cell may take. With ``frames`` (a folder), the sliders'
    frames are drawn there and their manifest (see ``frames.precompute``) is kept in the
    notebook's metadata under ``FRAMES_CELL``; ``budget`` caps the frames of one widget.
    """
    path = Path(path)
    notebook = nbformat.read(path, as_version=4)
    if frames is not None:
        from .frames import FRAME_BUDGET

        # the frames stop in time for the cell's own limit: the widgets left over stay still
        notebook.cells.append(_frames_cell(Path(frames).resolve(), budget or FRAME_BUDGET,
                                           round(0.8 * timeout, 1)))
    bin_dir = str(Path(sys.executable).parent)
    env = dict(os.environ, PATH=bin_dir + os.pathsep + os.environ.get("PATH", ""),
               MPLBACKEND="module://matplotlib_inline.backend_inline")
    for name in ONE_THREAD:   # as `make test` runs the lessons, so the pages show what it checked
        env.setdefault(name, "1")
    client = None
    try:
        with tempfile.TemporaryDirectory(prefix="coursebook-") as sockets:
            client = _Client(notebook, timeout=timeout, kernel_name="python3", allow_errors=False,
                             store_widget_state=True, config=_kernel_config(sockets),
                             resources={"metadata": {"path": str(path.parent)}})
            client.execute(env=env)
    except CellExecutionError as error:
        details = _ANSI.sub("", str(error))
        raise LessonError(f"{path.name}: a cell raised {error.ename}: {error.evalue}\n{details}") from None
    except (CellTimeoutError, DeadKernelError) as error:
        raise _explain(error, path, client.running if client else None, timeout) from None
    notebook.metadata[CLOSED_WIDGETS] = sorted(client.closed_comms)
    if frames is not None:
        notebook.metadata[FRAMES_CELL] = _frames_manifest(notebook)
    return notebook
