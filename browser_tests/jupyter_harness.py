"""A Jupyter server for a test: isolated from the user's own Jupyter, and stopped without leftovers.

Used by ``test_trainer_in_jupyterlab.py`` (a lesson in headless Chromium) and ``test_make_lab.py``
(``make lab`` as the README tells a newcomer to run it).

- ``isolated_env(folder)``: the environment for a server whose config, data, runtime, settings and
  workspace folders all live under ``folder``, so a test neither reads nor changes the user's
  JupyterLab layout, settings or running servers. It also turns off JupyterLab's news and update
  checks, so nothing asks for the internet.
- ``start(command, folder, port, token)``: runs ``command`` in a new process group and waits until
  the server answers ``/api/status`` with that token.
- ``Server.stop()``: SIGTERM to the process group (the server then shuts its kernels down), SIGKILL
  if it has not gone after a while, and returns the processes that were still alive: any process
  whose command line names ``folder`` (kernels run in their own sessions, but their connection
  files live in our runtime folder) or that is still in the group. Those are killed, by pid.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

#: JupyterLab's own setting that would ask, on first start, whether to fetch news from the internet.
NO_NEWS = {"fetchNews": "false", "checkForUpdates": False}


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def isolated_env(folder, settings=None):
    """``os.environ`` with every Jupyter folder moved under ``folder`` (a Path) and the venv first on
    PATH (so kernels run this Python). ``settings``: {plugin id: dict} written as JupyterLab user
    settings, e.g. {"@jupyterlab/notebook-extension:tracker": {...}}."""
    folder = Path(folder)
    dirs = {name: folder / sub for name, sub in (
        ("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_DATA_DIR", "data"),
        ("JUPYTER_RUNTIME_DIR", "runtime"), ("JUPYTERLAB_SETTINGS_DIR", "settings"),
        ("JUPYTERLAB_WORKSPACES_DIR", "workspaces"), ("IPYTHONDIR", "ipython"))}
    for path in dirs.values():
        path.mkdir(parents=True, exist_ok=True)
    every = {"@jupyterlab/apputils-extension:notification": NO_NEWS, **(settings or {})}
    for plugin, values in every.items():
        package, name = plugin.split(":")
        target = dirs["JUPYTERLAB_SETTINGS_DIR"] / package / f"{name}.jupyterlab-settings"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(values))
    env = {key: value for key, value in os.environ.items() if not key.startswith("JUPYTER")}
    env.update({name: str(path) for name, path in dirs.items()})
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    env["JUPYTER_PLATFORM_DIRS"] = "1"
    return env


def lab_options(port, token, root=None):
    """The command-line options that make a JupyterLab server private to a test (add
    --allow-root when running as root: Jupyter refuses otherwise)."""
    options = ["--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
               "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}"]
    if root is not None:
        options.append(f"--ServerApp.root_dir={root}")
    return options


class Server:
    """A started server: ``url`` (http://127.0.0.1:port), ``token``, ``process``, ``log`` (Path)."""

    def __init__(self, process, url, token, folder, log):
        self.process, self.url, self.token, self.folder, self.log = process, url, token, folder, log

    def api(self, path, method="GET", body=None, timeout=10):
        """The JSON answer of the server's REST API at ``path`` (e.g. "/api/kernels")."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"{self.url}{path}", data=data, method=method,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            text = answer.read()
        return json.loads(text) if text else None

    def get(self, path, timeout=10):
        """(status, text) of a plain GET with the token."""
        request = urllib.request.Request(f"{self.url}{path}",
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return answer.status, answer.read().decode("utf-8", "replace")

    def log_tail(self, chars=3000):
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""

    def stop(self, grace=20):
        """Stop the server and everything it started; return the processes that had to be killed
        afterwards (list of (pid, command line)); empty when it shut down cleanly."""
        group = self.process.pid
        if self.process.poll() is None:
            _signal_group(group, signal.SIGTERM)
            try:
                self.process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                _signal_group(group, signal.SIGKILL)
                self.process.wait(timeout=10)
        deadline = time.monotonic() + 10  # kernels notice their parent went and exit by themselves
        while (left := leftovers(self.folder, group)) and time.monotonic() < deadline:
            time.sleep(0.2)
        for pid, _command in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        return left


def _signal_group(group, sig):
    try:
        os.killpg(group, sig)
    except ProcessLookupError:
        pass


def leftovers(folder, group):
    """Live processes (pid, command line) in process group ``group`` or whose command line names
    ``folder``."""
    found = []
    needle = str(folder).encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            command = (entry / "cmdline").read_bytes()
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # /proc/<pid>/stat: "pid (name) state ppid pgrp ..."; the name may hold spaces
        fields = stat.rsplit(")", 1)[1].split()
        state, pgrp = fields[0], int(fields[2])
        if state == "Z":
            continue
        if pgrp == group or needle in command:
            found.append((int(entry.name), command.replace(b"\0", b" ").decode(errors="replace")))
    return found


def start(command, folder, port, token, env, cwd, timeout=90):
    """Run ``command`` (a list) in its own process group, its output in ``folder``/server.log, and
    wait until the server on ``port`` answers with ``token``. Returns a ``Server``."""
    log = Path(folder) / "server.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(command, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    server = Server(process, f"http://127.0.0.1:{port}", token, Path(folder), log)
    deadline = time.monotonic() + timeout
    while True:
        try:
            server.api("/api/status", timeout=2)
            return server
        except (OSError, urllib.error.URLError) as exc:
            if process.poll() is not None or time.monotonic() > deadline:
                left = server.stop()
                raise RuntimeError(f"the server did not answer on port {port} ({exc}); "
                                   f"leftovers {left}; its log ends:\n{server.log_tail()}") from exc
            time.sleep(0.25)
