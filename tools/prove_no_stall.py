"""Run the widget lessons many times in a row, every way the course runs a notebook, and count stalls.

    python tools/prove_no_stall.py                       # every way, 20 runs of each widget lesson
    python tools/prove_no_stall.py --ways nbval --times 5 --lessons 05 08
    python tools/prove_no_stall.py --summary stall-runs.jsonl   # the table of an earlier log

The ways: ``coursebook`` (``make html``: nbclient with coursebook.kernel's client), ``nbgrader``
(nbgrader's Execute preprocessor with assignments/nbgrader_config.py, as autograding runs a
notebook), ``nbval`` (``make test``'s notebook checks, one pytest per run), ``jupyterlab`` (Run All
in JupyterLab in headless Chromium, as a learner does; needs Debian's chromium) and, as a control,
``uncured`` (nbclient with jupyter_client's own client, which can stall).

A stall is a reply read more than ``--stall`` seconds after the kernel sent it (measured from the
reply's own timestamp, for the nbclient and nbval ways), a cell that exceeds ``--limit`` seconds, or
(JupyterLab) a kernel idle for ``--stall`` seconds while cells wait. A cell that fails a check is
"failed", not a stall. For the cured ways the script also counts "picked up": replies that a send
had hidden, found by the cure (each one a stall the cure prevented). Every run is appended to
``--log`` as a JSON line; the table at the end gives runs, stalls, failures and times per lesson.

Run it on a busy machine, under ``nice``; it takes hours for every way. A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import contextvars
import json
import os
import re
import select
import signal
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
WAYS = ("coursebook", "nbgrader", "nbval", "jupyterlab", "uncured")
WIDGETS = re.compile(r"\binteract\b|TrainerPanel|\bexplore\(")
ONE_THREAD = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def widget_lessons(folder):
    """The lessons whose code shows interactive widgets (interact, explore, the trainer panel)."""
    import nbformat

    found = []
    for path in sorted(Path(folder).glob("[0-9][0-9]-*.ipynb")):
        cells = nbformat.read(path, as_version=4).cells
        if any(c.cell_type == "code" and WIDGETS.search(c.source) for c in cells):
            found.append(path)
    return found


# --- what the nbclient ways measure: how late each reply is read, and replies the cure picked up

class Probe:
    def __init__(self):
        self.late, self.picked_up, self.in_send = [], 0, contextvars.ContextVar("in_send", default=False)

    def reset(self):
        self.late, self.picked_up = [], 0


PROBE = Probe()


def _late_seconds(msg):
    sent = msg["header"]["date"]
    if isinstance(sent, str):
        sent = datetime.fromisoformat(sent.replace("Z", "+00:00"))
    return (datetime.now(timezone.utc) - sent).total_seconds()


def instrument_nbclient():
    """Record the lateness of every reply on a DEALER socket (shell, control) and, inside the
    cure's send, whether its look at the events found a reply nobody would have been woken for."""
    import zmq
    import zmq.asyncio
    from jupyter_client.channels import AsyncZMQSocketChannel

    from coursebook.kernel import Channel

    get_msg, cure_send, socket_get = AsyncZMQSocketChannel.get_msg, Channel.send, zmq.asyncio.Socket.get

    async def timed_get_msg(self, timeout=None):
        msg = await get_msg(self, timeout=timeout)
        if self.socket.type == zmq.DEALER:
            PROBE.late.append(_late_seconds(msg))
        return msg

    def flagged_send(self, msg):
        token = PROBE.in_send.set(True)
        try:
            cure_send(self, msg)
        finally:
            PROBE.in_send.reset(token)

    def watched_get(self, key):
        if key != zmq.EVENTS or not PROBE.in_send.get():
            return socket_get(self, key)
        waiting = bool(self._state & zmq.POLLIN)
        signalled = bool(select.select([self.FD], [], [], 0)[0])
        events = socket_get(self, key)
        if waiting and not signalled and events & zmq.POLLIN:
            PROBE.picked_up += 1
        return events

    AsyncZMQSocketChannel.get_msg = timed_get_msg
    Channel.send = flagged_send
    zmq.asyncio.Socket.get = watched_get


def run_coursebook(path, limit):
    from coursebook.execute import LessonError, execute_notebook

    try:
        execute_notebook(path, timeout=limit)
        return "ok", ""
    except LessonError as error:
        timed_out = "timed out" in str(error)
        return ("stall" if timed_out else "failed"), str(error).splitlines()[0][:200]


def run_nbclient(path, limit, cured):
    """nbgrader's way (cured=True) or plain nbclient (the control)."""
    import nbformat
    from traitlets.config import Config

    notebook = nbformat.read(path, as_version=4)
    resources = {"metadata": {"path": str(path.parent)}}
    if cured:
        from nbgrader.preprocessors import Execute

        config_file = REPO / "assignments" / "nbgrader_config.py"
        namespace = {"get_config": Config, "__file__": str(config_file)}
        exec(compile(config_file.read_text(), str(config_file), "exec"), namespace)
        config = namespace["c"]
        config.Execute.timeout = limit
        Execute(config=config).preprocess(notebook, resources)
    else:
        from nbclient import NotebookClient

        NotebookClient(notebook, timeout=limit, allow_errors=True, kernel_name="python3",
                       resources=resources).execute()
    errors = [f"{o.ename}: {o.evalue}"[:200] for c in notebook.cells if c.cell_type == "code"
              for o in c.get("outputs", []) if o.output_type == "error"]
    if any("Timeout" in e for e in errors):
        return "stall", errors[0]
    return ("failed", errors[0]) if errors else ("ok", "")


# --- nbval: one pytest per run, in a child process that times nbval's shell replies

NBVAL_CHILD = """
import json, sys, time
sys.path.insert(0, {tools!r})
import prove_no_stall as p
import nbval.kernel, pytest
late = []
get_message = nbval.kernel.RunningKernel.get_message
def timed(self, stream, timeout=None):
    msg = get_message(self, stream, timeout=timeout)
    if stream == "shell":
        late.append(p._late_seconds(msg))
    return msg
nbval.kernel.RunningKernel.get_message = timed
code = pytest.main(["-q", "-p", "no:cacheprovider", "--nbval-lax", "--nbval-cell-timeout={limit}",
                    {path!r}])
print("NBVAL-RESULT " + json.dumps({{"code": int(code), "late": late}}))
"""


def run_nbval(path, limit):
    child = NBVAL_CHILD.format(tools=str(REPO / "tools"), limit=limit, path=str(path))
    env = {**os.environ, **ONE_THREAD, "MPLBACKEND": "Agg"}
    done = subprocess.run([sys.executable, "-c", child], cwd=REPO, env=env, capture_output=True,
                          text=True, stdin=subprocess.DEVNULL)
    line = next((x for x in done.stdout.splitlines() if x.startswith("NBVAL-RESULT ")), None)
    if line is None:
        return "failed", (done.stdout + done.stderr)[-300:], []
    result = json.loads(line.split(" ", 1)[1])
    if result["code"] == 0:
        return "ok", "", result["late"]
    timed_out = "Timeout of" in done.stdout
    failure = next((x for x in done.stdout.splitlines() if x.startswith("FAILED")), done.stdout[-200:])
    return ("stall" if timed_out else "failed"), failure[:200], result["late"]


# --- JupyterLab in headless Chromium: Run All, and watch for an idle kernel with cells waiting

class Lab:
    """One JupyterLab server on a copy of the lessons, and one browser, for every run."""

    SHOWN = ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook"   # the notebook in front
    PROMPTS = (f"() => [...document.querySelectorAll('{SHOWN} .jp-CodeCell')]"
               ".map(c => c.querySelector('.jp-InputPrompt').textContent.trim())")
    ERRORS = (f"() => [...document.querySelectorAll('{SHOWN} .jp-OutputArea-output')]"
              ".some(o => o.textContent.includes('Traceback (most recent call last)'))")

    def __init__(self, folder):
        import secrets
        import shutil

        import nbformat
        from playwright.sync_api import sync_playwright

        sys.path.insert(0, str(REPO / "browser_tests"))
        from jupyter_harness import free_port, isolated_env, lab_options, start

        root = Path(folder) / "lessons"
        shutil.copytree(REPO / "notebooks", root, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        for path in root.glob("*.ipynb"):   # as stored: no outputs
            notebook = nbformat.read(path, as_version=4)
            for cell in notebook.cells:
                if cell.cell_type == "code":
                    cell.outputs, cell.execution_count = [], None
            nbformat.write(notebook, path)
        port, token = free_port(), secrets.token_hex(16)
        options = lab_options(port, token, root) + (["--allow-root"] if os.geteuid() == 0 else [])
        env = isolated_env(folder, {"@jupyterlab/docmanager-extension:plugin": {"autosave": False}})
        env.update(ONE_THREAD)
        self.server = start(["jupyter", "lab", *options], folder, port, token, env, cwd=root)
        self.playwright = sync_playwright().start()
        args = ["--disable-gpu", "--no-first-run", "--disable-background-networking"]
        if os.geteuid() == 0:
            args.append("--no-sandbox")
        self.browser = self.playwright.chromium.launch(executable_path="/usr/bin/chromium", args=args)

    def _kernel(self, name):
        sessions = [s for s in self.server.api("/api/sessions") if s["path"] == name]
        return self.server.api(f"/api/kernels/{sessions[0]['kernel']['id']}") if sessions else None

    def run(self, path, limit, stall):
        page = self.browser.new_page(viewport={"width": 1400, "height": 1000})
        try:
            # ?reset: a workspace holding this lesson alone (not the ones opened before)
            page.goto(f"{self.server.url}/lab/tree/{path.name}?reset&token={self.server.token}")
            page.wait_for_selector(f"{self.SHOWN} .jp-CodeCell", timeout=120_000)
            deadline = time.monotonic() + 120
            while not ((k := self._kernel(path.name)) and k["execution_state"] == "idle"
                       and k["connections"] >= 1):
                if time.monotonic() > deadline:
                    return "failed", "the kernel did not start"
                time.sleep(0.5)
            page.locator(".lm-MenuBar-itemLabel", has_text=re.compile("^Run$")).click()
            page.locator(".lm-Menu-itemLabel", has_text=re.compile("^Run All Cells$")).click()
            return self._watch(page, path.name, limit, stall)
        finally:
            page.close()
            for session in self.server.api("/api/sessions"):
                self.server.api(f"/api/sessions/{session['id']}", method="DELETE")

    def _watch(self, page, name, limit, stall):
        start, idle_since, last = time.monotonic(), None, None
        while True:
            prompts = page.evaluate(self.PROMPTS)
            if all(re.fullmatch(r"\[\d+\]:", p) for p in prompts):
                return "ok", ""
            if page.evaluate(self.ERRORS):
                return "failed", f"an error output; prompts {prompts}"
            busy = self._kernel(name)["execution_state"] != "idle"
            if prompts != last or busy:
                idle_since, last = (None if busy else time.monotonic()), prompts
            elif idle_since and time.monotonic() - idle_since > stall:
                waiting = [i for i, p in enumerate(prompts) if p != f"[{i + 1}]:"]
                return "stall", f"kernel idle {stall} s with code cells {waiting[:3]} waiting"
            if time.monotonic() - start > limit * len(prompts):
                return "stall", "Run All exceeded its time"
            time.sleep(0.5)

    def close(self):
        self.browser.close()
        self.playwright.stop()
        self.server.stop()


# --- the loop and the table

def run_way(way, lessons, times, limit, stall, log, lab_folder):
    lab = Lab(lab_folder) if way == "jupyterlab" else None
    try:
        for path in lessons:
            for i in range(times):
                PROBE.reset()
                start = time.monotonic()
                late = None
                if way == "coursebook":
                    status, detail = run_coursebook(path, limit)
                elif way in ("nbgrader", "uncured"):
                    status, detail = run_nbclient(path, limit, cured=way == "nbgrader")
                elif way == "nbval":
                    status, detail, late = run_nbval(path, limit)
                else:
                    status, detail = lab.run(path, limit, stall)
                late = PROBE.late if late is None else late
                worst = max(late, default=0.0)
                if status == "ok" and worst > stall:
                    status, detail = "stall", f"a reply read {worst:.1f} s after the kernel sent it"
                record = {"way": way, "lesson": path.name, "run": i + 1, "status": status,
                          "seconds": round(time.monotonic() - start, 1), "replies": len(late),
                          "latest_reply": round(worst, 3), "picked_up": PROBE.picked_up,
                          "detail": detail, "load": round(os.getloadavg()[0], 1),
                          "when": datetime.now().isoformat(timespec="seconds")}
                with open(log, "a") as out:
                    out.write(json.dumps(record) + "\n")
                print(f"{way:10} {path.name[:36]:36} {i + 1:2} {status:6} {record['seconds']:6.1f} s"
                      f"  latest reply {worst:6.3f} s  picked up {PROBE.picked_up}  load {record['load']}"
                      f"  {detail[:80]}", flush=True)
    finally:
        if lab:
            lab.close()


def summary(log):
    rows = {}
    for line in Path(log).read_text().splitlines():
        r = json.loads(line)
        row = rows.setdefault((r["way"], r["lesson"]), {"runs": 0, "ok": 0, "stall": 0, "failed": 0,
                                                         "seconds": [], "late": 0.0, "picked": 0,
                                                         "load": []})
        row["runs"] += 1
        row[r["status"]] += 1
        row["seconds"].append(r["seconds"])
        row["late"] = max(row["late"], r["latest_reply"])
        row["picked"] += r["picked_up"]
        row["load"].append(r["load"])
    lines = [f"{'way':11}{'lesson':38}{'runs':>5}{'ok':>5}{'stall':>6}{'fail':>5}"
             f"{'median s':>10}{'max s':>8}{'latest reply s':>16}{'picked up':>10}{'load':>10}"]
    for (way, lesson), row in sorted(rows.items()):
        seconds, load = sorted(row["seconds"]), row["load"]
        lines.append(f"{way:11}{lesson[:37]:38}{row['runs']:5}{row['ok']:5}{row['stall']:6}"
                     f"{row['failed']:5}{seconds[len(seconds) // 2]:10.1f}{seconds[-1]:8.1f}"
                     f"{row['late']:16.3f}{row['picked']:10}{min(load):5.1f}-{max(load):<4.1f}")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ways", default=",".join(w for w in WAYS if w != "uncured"),
                        help=f"comma-separated, from {', '.join(WAYS)}")
    parser.add_argument("--lessons", nargs="*", help="lesson numbers or names (default: the widget lessons)")
    parser.add_argument("--times", type=int, default=20, help="runs of each lesson, in a row")
    parser.add_argument("--limit", type=int, default=120, help="seconds a cell may take")
    parser.add_argument("--stall", type=float, default=5.0, help="seconds a reply may go unread")
    parser.add_argument("--log", default="stall-runs.jsonl", help="where every run is recorded")
    parser.add_argument("--summary", metavar="LOG", help="print the table of LOG and stop")
    args = parser.parse_args(argv)
    if args.summary:
        print(summary(args.summary))
        return 0
    ways = [w.strip() for w in args.ways.split(",") if w.strip()]
    unknown = [w for w in ways if w not in WAYS]
    if unknown:
        parser.error(f"--ways: {unknown} are not ways; the ways are {', '.join(WAYS)}")
    lessons = widget_lessons(REPO / "notebooks")
    if args.lessons:
        lessons = [p for p in sorted((REPO / "notebooks").glob("*.ipynb"))
                   if any(p.name.startswith(x) or p.stem == x for x in args.lessons)]
    if not lessons:
        parser.error(f"--lessons: none of {args.lessons} is a lesson in notebooks/")
    os.environ.update(ONE_THREAD)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("stopped"))   # so that JupyterLab is stopped
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    sys.path.insert(0, str(REPO))
    instrument_nbclient()
    print(f"{len(lessons)} lessons: {', '.join(p.name[:2] for p in lessons)}; ways: {', '.join(ways)}")
    import tempfile

    with tempfile.TemporaryDirectory(prefix="stall-proof-") as folder:
        for way in ways:
            run_way(way, lessons, args.times, args.limit, args.stall, args.log, folder)
    print(summary(args.log))
    return 0


if __name__ == "__main__":
    sys.exit(main())
