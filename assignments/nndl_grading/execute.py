"""Running a hand-in for grading: nbgrader's ``Execute``, made to survive what students' code does.

``SandboxedExecute`` replaces ``Execute`` in ``nbgrader autograde``. Each notebook runs in a fresh
kernel in the sandbox (``SandboxKernelManager``, whatever kernel the notebook names), cell by cell:

- a cell that runs past the time limit (``timeout``) is interrupted; if the kernel does not answer
  within ``interrupt_grace`` seconds after that (a loop that catches the interrupt, a long C
  call), or if the kernel dies (its memory or CPU time used up, ``os._exit``), the cell gets an
  error saying so, a new kernel is started, the cells above it are run again (their outputs kept as
  they were) and grading goes on with the next cell. At most ``max_restarts`` times per notebook;
  after that, and once the notebook has used ``max_seconds`` in all, the remaining cells are not
  run and get an error saying why. So an endless loop or a bomb costs the cell it is in, and the
  cells that needed what it should have made, nothing else, and never another student's grade.
- a kernel that does not start (a busy machine) is tried ``startup_attempts`` times before the
  hand-in is given up (nbgrader then reports it, and it can be graded again alone: see
  docs/instructors.md).
- a cell's output beyond ``max_output_chars``, and a notebook's beyond ``max_notebook_chars``, is
  dropped, with one line saying so: 10 MB of prints, a thousand displays of big JSON or one
  display shown a thousand times and then updated cannot flood the grader or the feedback page.
  The grader's own results (the probe's output) are kept only in test cells, at most twice per
  cell (twice is enough for the verdict to see that the notebook interfered), each at most
  ``max_probe_chars`` long.
- of what a display shows, only plain text and PNG or JPEG images are kept (with their width and
  height): no HTML, JavaScript, Markdown, SVG or widget, which would run, or could, in the browser
  of the instructor who opens the Formgrader or a feedback page.

Used by: ``nbgrader_config.py`` (through ``configure``).
"""

from __future__ import annotations

import asyncio
import copy
import json
import re
import time
from queue import Empty

from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbclient.util import run_sync
from nbformat import NotebookNode
from nbgrader.preprocessors import Execute
from traitlets import Integer
from traitlets.utils.importstring import import_item

from .sandbox import SandboxKernelManager, SandboxUnavailable

__all__ = ["SandboxedExecute"]

_PROBE_MIME = "application/vnd.nndl.grader+json"


class _Stuck(Exception):
    """The kernel did not answer after a cell was interrupted."""


def _error(ename, evalue):
    return NotebookNode(output_type="error", ename=ename, evalue=evalue,
                        traceback=[f"{ename}: {evalue}"])


def _length(value):
    """The characters ``value`` takes in the notebook file (text as it is, anything else as JSON)."""
    if isinstance(value, str):
        return len(value)
    try:
        return len(json.dumps(value))
    except (TypeError, ValueError):
        return 0


def _size(msg):
    """The characters an output message adds to a notebook; at least 100 (an output's own room), so
    that the number of outputs a cell keeps is bounded too."""
    content = msg.get("content", {})
    if not isinstance(content, dict):
        return 100
    kind = msg.get("msg_type")
    if kind == "stream":
        size = _length(content.get("text", ""))
    elif kind == "error":
        size = sum(_length(content.get(key, "")) for key in ("ename", "evalue", "traceback"))
    else:
        data = content.get("data", {})
        size = sum(_length(v) for v in data.values()) if isinstance(data, dict) else 0
        size += _length(content.get("metadata", {}))
    return 100 + size


_SHOWN = {"text/plain", "image/png", "image/jpeg", _PROBE_MIME}
_BASE64 = re.compile(r"[A-Za-z0-9+/=\s]*\Z")


def _harmless(msg):
    """``msg`` with its display data cut down to plain text, images and the grader's results."""
    content = msg.get("content")
    if not isinstance(content, dict) or not isinstance(content.get("data"), dict):
        return msg
    data = {kind: value for kind, value in content["data"].items() if kind in _SHOWN
            and (kind == _PROBE_MIME or isinstance(value, str))
            and (not kind.startswith("image/") or _BASE64.match(value))}
    metadata = content.get("metadata") if isinstance(content.get("metadata"), dict) else {}
    metadata = {kind: {key: size for key, size in value.items() if key in ("width", "height")
                       and isinstance(size, (int, float)) and not isinstance(size, bool)}
                for kind, value in metadata.items() if kind in data and isinstance(value, dict)}
    return {**msg, "content": {**content, "data": data, "metadata": metadata}}


def _is_test(cell):
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return cell.get("cell_type") == "code" and bool(meta.get("grade")) and not meta.get("solution")


class SandboxedExecute(Execute):
    """nbgrader's ``Execute`` with restarts, retries and bounded output (see the module)."""

    startup_attempts = Integer(3, help="Tries to start a kernel before giving up a hand-in").tag(config=True)
    max_restarts = Integer(3, help="Kernels restarted per notebook after a cell killed or hung "
                                   "one").tag(config=True)
    interrupt_grace = Integer(5, help="Seconds a kernel has to answer after an interrupt").tag(config=True)
    max_seconds = Integer(900, help="Seconds one notebook may take in all").tag(config=True)
    max_output_chars = Integer(200_000, help="Characters of output kept per cell").tag(config=True)
    max_notebook_chars = Integer(5_000_000, help="Characters of output kept per notebook").tag(config=True)
    max_probe_chars = Integer(32_000_000, help="Characters of one result of the grader's probe (the "
                                               "largest it sends is about 22 million)").tag(config=True)

    def __init__(self, *args, **kwargs):
        # nbgrader's Execute names its kernel manager class itself, over the configuration's: name
        # ours, unless the configuration names another (SandboxedExecute.kernel_manager_class)
        parent = kwargs.get("parent")
        config = kwargs.get("config") or (parent.config if parent is not None else None)
        chosen = config.SandboxedExecute.get("kernel_manager_class") if config is not None else None
        kwargs.setdefault("kernel_manager_class", import_item(chosen) if isinstance(chosen, str)
                          else chosen or SandboxKernelManager)
        super().__init__(*args, **kwargs)

    def preprocess(self, nb, resources, km=None):
        NotebookClient.__init__(self, nb, km)
        self.reset_execution_trackers()
        self._check_assign_resources(resources)
        self.shutdown_kernel = "immediate"
        self._deadline = time.monotonic() + self.max_seconds
        self._used = {}
        skipped, start = {}, 0
        while start <= len(nb.cells):
            self._current = None
            try:
                self._start()
                self._replay(start, skipped)
                for index in range(start, len(nb.cells)):
                    if time.monotonic() > self._deadline:
                        self._skip_rest(nb, index, f"the notebook used up its {self.max_seconds} s "
                                                   "of grading time")
                        break
                    self._current, self._timed_out = index, False
                    self.preprocess_cell(nb.cells[index], resources, index)
                    if self._timed_out and not run_sync(self._responsive)():
                        raise _Stuck()
                break
            except (DeadKernelError, _Stuck, CellTimeoutError) as incident:
                if self._current is None:
                    raise
                index = self._current
                nb.cells[index].outputs = [self._incident_error(incident)]
                skipped[index] = True
                start = index + 1
                if len(skipped) > self.max_restarts:
                    self._skip_rest(nb, start, f"the kernel had to be restarted {len(skipped)} times")
                    break
                self.log.warning("Cell %d of %s stopped the kernel (%s); starting a new one and running "
                                 "the cells above again", index, self._where(), type(incident).__name__)
            finally:
                self._stop()
        self.set_widgets_metadata()
        return self.nb, self.resources

    def _where(self):
        meta = (self.resources or {}).get("nbgrader", {})
        return f"{meta.get('student', '?')}'s {meta.get('notebook', 'notebook')}"

    def _incident_error(self, incident):
        if isinstance(incident, DeadKernelError):
            return _error("KernelDied", "the kernel stopped while this cell ran (it used up its memory "
                                        "or CPU time, or the code ended the process); the grader started "
                                        "a new kernel, ran the cells above again and went on")
        return _error("CellTimeoutError", f"this cell ran past the time limit of {self.timeout} s and "
                                          "did not stop when interrupted; the grader started a new kernel, "
                                          "ran the cells above again and went on")

    def _skip_rest(self, nb, index, why):
        """Mark the code cells from ``index`` on as not run, saying ``why``."""
        for cell in nb.cells[index:]:
            if cell.cell_type == "code":
                cell.outputs = [_error("NotRun", f"not run: {why}")]
        self.log.warning("%s: cells from %d on not run: %s", self._where(), index, why)

    def _start(self):
        """A new kernel and client, tried ``startup_attempts`` times."""
        for attempt in range(1, self.startup_attempts + 1):
            self.km, self.kc = None, None
            try:
                self.km = self.create_kernel_manager()
                self.start_new_kernel()
                self.start_new_kernel_client()
                info = self.wait_for_reply(self.kc.kernel_info())
                self.nb.metadata["language_info"] = info["content"]["language_info"]
                if hasattr(self.km, "lock"):
                    self.km.lock()
                return
            except SandboxUnavailable:
                raise
            except Exception as error:  # noqa: BLE001 - a kernel that would not start, for any reason
                self._stop()
                if attempt == self.startup_attempts:
                    raise RuntimeError(f"the kernel for {self._where()} did not start in {attempt} tries "
                                       f"({error}); grade this hand-in again (docs/instructors.md)"
                                       ) from error
                self.log.warning("The kernel for %s did not start (%s); trying again", self._where(), error)
                time.sleep(2 * attempt)

    def _stop(self):
        if self.km is not None:
            try:
                self._cleanup_kernel()
            except Exception as error:  # noqa: BLE001 - a kernel already gone
                self.log.debug("cleaning up a kernel: %s", error)
        self.km, self.kc = None, None

    def _replay(self, start, skipped):
        """Run the code cells before ``start`` again in the new kernel (not those that stopped a
        kernel), keeping the outputs they had."""
        counted = dict(self._used)      # (outputs of a run again are thrown away: they count once)
        for index in range(start):
            cell = self.nb.cells[index]
            if cell.cell_type == "code" and index not in skipped:
                self._current = index
                self.execute_cell(copy.deepcopy(cell), index, store_history=True)
        self._used = counted

    async def _responsive(self):
        """Whether the kernel answers a request within ``interrupt_grace`` seconds."""
        msg_id = self.kc.kernel_info()
        deadline = time.monotonic() + self.interrupt_grace
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            try:
                msg = await asyncio.wait_for(self.kc.shell_channel.get_msg(timeout=remaining), remaining + 1)
            except (Empty, asyncio.TimeoutError):
                return False
            if msg.get("parent_header", {}).get("msg_id") == msg_id:
                return True

    async def _async_handle_timeout(self, timeout, cell=None):
        self._timed_out = True
        return await super()._async_handle_timeout(timeout, cell)

    def output(self, outs, msg, display_id, cell_index):
        msg = _harmless(msg)
        content = msg.get("content", {})
        if isinstance(content.get("data"), dict) and _PROBE_MIME in content["data"]:
            return self._probe_output(outs, msg, display_id, cell_index)
        used, total = self._used.get(cell_index, 0), sum(self._used.values())
        size = _size(msg)
        if used + size > self.max_output_chars or total + size > self.max_notebook_chars:
            if used <= self.max_output_chars:
                limit = (f"{self.max_output_chars:,} characters" if used + size > self.max_output_chars
                         else f"the notebook's {self.max_notebook_chars:,} characters")
                outs.append(NotebookNode(output_type="stream", name="stdout",
                                         text=f"\n[... the rest of this cell's output is cut: more than "
                                              f"{limit}]\n"))
                self._used[cell_index] = self.max_output_chars + 1
            return None
        self._used[cell_index] = used + size
        return super().output(outs, msg, display_id, cell_index)

    def _probe_output(self, outs, msg, display_id, cell_index):
        """Keep the grader's results where they count (see the module), and nowhere else."""
        cell = self.nb.cells[cell_index]
        kept = sum(1 for o in outs if isinstance(o.get("data"), dict) and _PROBE_MIME in o["data"])
        if not _is_test(cell) or kept >= 2 or _size(msg) > self.max_probe_chars:
            return None
        return super().output(outs, msg, None, cell_index)

    def _update_display_id(self, display_id, msg):
        """Update the outputs shown with ``display_id``, unless the update would make them more than
        a cell's worth of output in all (one display shown a thousand times, then updated with a
        megabyte, must not write a gigabyte)."""
        msg = _harmless(msg)
        shown = sum(len(indices) for indices in self._display_id_map.get(display_id, {}).values())
        if shown and _size(msg) * shown > self.max_output_chars:
            self.log.warning("%s: an update of a display shown %d times was too big; left out",
                             self._where(), shown)
            return None
        return super()._update_display_id(display_id, msg)
