"""The grading sandbox (assignments/nndl_grading/sandbox.py and launch.py), on its own.

A probe script runs in the sandbox the way a student's kernel does and reports what it could do:
read or change the instructor's files, reach the network, start processes, allocate without end
(in memory or in a file system held in memory). A real kernel, started by the kernel manager
nbgrader uses, tries to win back its socket folder and to read the instructor's environment.
It runs as the user running the tests and, when that is root (as in CI), once more as an ordinary
user (nobody), with the system's Python. A CPU-time limit kills a busy loop.
"""

import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "assignments"))
from nndl_grading import sandbox  # noqa: E402

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(shutil.which("bwrap") is None,
                                 reason="the grading sandbox needs bubblewrap: apt-get install bubblewrap")]

PROBE = r'''
import json, os, socket, subprocess, sys, threading
report = {}
def attempt(name, action):
    try:
        action()
        report[name] = "done"
    except PermissionError as error:     # a read-only file system, or a file of someone else's
        report[name] = "denied"
    except OSError as error:
        report[name] = "denied" if error.errno == 30 else type(error).__name__
    except BaseException as error:
        report[name] = type(error).__name__
attempt("read secret", lambda: open(sys.argv[1]).read())
attempt("list course", lambda: os.listdir(os.path.dirname(sys.argv[1])))
attempt("read hand-in", lambda: open("hand-in.ipynb").read())
attempt("change hand-in", lambda: open("hand-in.ipynb", "a").write("x"))
attempt("new file here", lambda: open("scratch.txt", "w").write("x"))
attempt("new file above", lambda: open(os.path.join(os.path.dirname(os.getcwd()), "x"), "w").write("x"))
attempt("new file in /tmp", lambda: open("/tmp/x", "w").write("x"))
attempt("temporary file", lambda: __import__("tempfile").mkstemp())
attempt("change package", lambda: open(os.path.join(sys.argv[2], "evil.py"), "w").write("x"))
attempt("network", lambda: socket.create_connection(("127.0.0.1", int(sys.argv[3])), timeout=2))
attempt("fork", os.fork)
attempt("spawn", lambda: subprocess.run(["true"]))
attempt("thread", lambda: [t.start() or t.join() for t in [threading.Thread(target=lambda: None)]])
attempt("memory", lambda: [bytearray(100_000_000) for _ in range(100)])
attempt("new file in /dev", lambda: open("/dev/scratch", "w").write("x"))
attempt("memory in /dev/shm", lambda: [open(f"/dev/shm/{i}", "wb").write(bytes(1 << 20)) for i in range(8)])
print(json.dumps(report))
'''

EXPECTED = {"read secret": "FileNotFoundError", "list course": "FileNotFoundError", "read hand-in": "done",
            "change hand-in": "denied", "new file here": "done", "new file above": "denied",
            "new file in /tmp": "denied", "temporary file": "done", "change package": "denied",
            "network": "ConnectionRefusedError", "fork": "denied", "spawn": "denied",
            "thread": "done", "memory": "MemoryError", "new file in /dev": "denied",
            "memory in /dev/shm": "OSError"}      # no space left: a file system of 1 MB


def _folder(path, mode=0o755):
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, mode)
    return path


def _run_probe(base, python, as_nobody=False):
    course, work, runtime, package = (_folder(base / n) for n in ("course", "work", "runtime", "package"))
    (course / "course-secret.txt").write_text("the secret\n")
    (work / "hand-in.ipynb").write_text("{}")
    if as_nobody:
        os.chown(runtime, 65534, 65534)
    program = runtime / "seccomp.bpf"
    program.write_bytes(sandbox.seccomp_program())
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    read_only = [str(package)] + ([] if as_nobody else sandbox._python_paths(python))
    argv = ["-c", PROBE, str(course / "course-secret.txt"), str(package), str(port)]
    command = sandbox.bwrap_arguments(workdir=str(work), runtime_dir=str(runtime), read_only=read_only,
                                      python=python, argv=argv, root=(os.geteuid() == 0 and not as_nobody))
    command = [sys.executable, str(sandbox.LAUNCHER), "--cpu", "60", "--memory", str(2 << 30),
               "--file-size", str(1 << 20), "--seccomp", str(program), "--", shutil.which("bwrap"),
               *command[1:]]
    if as_nobody:
        command = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/python3",
                   *command[1:]]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=runtime)
    finally:
        listener.close()
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1]), work


@pytest.fixture
def base():
    path = Path(tempfile.mkdtemp(prefix="nndl-sandbox-test-"))
    os.chmod(path, 0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_the_sandbox_lets_a_kernel_do_its_work_and_nothing_else(base):
    report, work = _run_probe(base, sys.executable)
    assert report == EXPECTED
    assert sorted(p.name for p in work.iterdir()) == ["hand-in.ipynb"]    # its scratch file was private


@pytest.mark.skipif(os.geteuid() != 0 or not Path("/usr/bin/python3").exists() or not shutil.which("setpriv"),
                    reason="run as root with /usr/bin/python3 and setpriv to try it as an ordinary user")
def test_the_sandbox_works_the_same_for_an_ordinary_user(base):
    report, _ = _run_probe(base, "/usr/bin/python3", as_nobody=True)
    assert report == EXPECTED


def test_a_busy_loop_is_killed_by_the_cpu_limit(base):
    runtime, work = _folder(base / "runtime"), _folder(base / "work")
    program = runtime / "seccomp.bpf"
    program.write_bytes(sandbox.seccomp_program())
    command = sandbox.bwrap_arguments(workdir=str(work), runtime_dir=str(runtime),
                                      read_only=sandbox._python_paths(sys.executable), python=sys.executable,
                                      argv=["-c", "while True: pass"])
    command = [sys.executable, str(sandbox.LAUNCHER), "--cpu", "1", "--memory", str(2 << 30),
               "--file-size", str(1 << 20), "--seccomp", str(program), "--", shutil.which("bwrap"),
               *command[1:]]
    result = subprocess.run(command, capture_output=True, timeout=60)
    assert result.returncode != 0


def test_the_seccomp_filter_is_whole_instructions():
    program = sandbox.seccomp_program()
    assert len(program) % 8 == 0 and len(program) // 8 < 40
    with pytest.raises(sandbox.SandboxUnavailable, match="riscv"):
        sandbox.seccomp_program("riscv64")


def test_grading_without_the_sandbox_only_when_asked(base, monkeypatch):
    manager = sandbox.SandboxKernelManager()
    manager._runtime_dir, manager._workdir = str(base), str(base)
    manager.connection_file = str(base / "kernel.json")
    assert manager.format_kernel_cmd()[1] == str(sandbox.LAUNCHER)        # sandboxed by default
    monkeypatch.setenv(sandbox.UNSANDBOXED, "yes")
    assert manager.format_kernel_cmd()[:3] == [manager.python, "-m", "ipykernel_launcher"]
    monkeypatch.delenv(sandbox.UNSANDBOXED)
    monkeypatch.setenv("PATH", str(base))                                 # no bwrap to be found
    with pytest.raises(sandbox.SandboxUnavailable, match="apt-get install bubblewrap"):
        asyncio.run(manager._async_pre_start_kernel(cwd=str(base)))


KERNEL_ATTACKS = r'''
import glob, json, os, shutil
runtime = {runtime!r}
attempts = {{}}
def attempt(name, action):
    try:
        action()
        attempts[name] = "done"
    except OSError as error:
        attempts[name] = error.errno
attempt("take back the socket folder", lambda: os.chmod(runtime, 0o700))
attempt("new file there", lambda: open(os.path.join(runtime, "filler"), "wb").write(bytes(1000)))
attempt("grow a file there", lambda: open(os.path.join(runtime, "seccomp.bpf"), "ab").write(bytes(1000)))
attempt("copy a file with its mode", lambda: shutil.copy(os.path.join(runtime, "kernel.json"), "copy.json"))
secret = [path for path in glob.glob("/proc/*/environ") if b"{secret}" in open(path, "rb").read()]
print(json.dumps({{"attempts": attempts, "secret": secret, "environ": "{secret}" in str(os.environ)}}))
'''


def test_a_kernel_keeps_out_of_its_socket_folder_and_the_instructors_environment(base, monkeypatch):
    """The kernel owns the folder of its sockets, which the grader sees: once it has started it
    may neither write there nor give itself back that right (its files would fill the grader's
    disk, one at a time under the file-size limit). The instructor's environment (where the course
    secret may be) reaches no process of the sandbox."""
    import jupyter_client  # noqa: F401 - the kernel manager's own library

    secret = "the course secret, from the environment"
    monkeypatch.setenv("NNDL_COURSE_SECRET", secret)
    work = _folder(base / "work")
    (work / "hand-in.ipynb").write_text("{}")

    async def attack():
        manager = sandbox.SandboxKernelManager()
        await manager.start_kernel(cwd=str(work))
        client = manager.client()
        client.start_channels()
        printed = []
        try:
            await client.wait_for_ready(timeout=60)
            manager.lock()
            runtime = manager._runtime_dir
            before = sorted(os.listdir(runtime))
            await client.execute_interactive(
                KERNEL_ATTACKS.format(runtime=runtime, secret=secret), timeout=60,
                output_hook=lambda msg: printed.append(str(msg["content"].get("text") or
                                                           msg["content"].get("evalue") or "")))
            printed = [text for text in printed if text]
            assert printed, "the kernel printed nothing"
            return json.loads(printed[-1]), before, sorted(os.listdir(runtime)), runtime
        finally:
            client.stop_channels()
            await manager.shutdown_kernel(now=True)

    report, before, after, runtime = asyncio.run(attack())
    assert report["attempts"] == {"take back the socket folder": "done",     # (it does nothing)
                                  "new file there": 13, "grow a file there": 13,
                                  "copy a file with its mode": "done"}
    assert after == before
    assert report["secret"] == [] and not report["environ"]
    assert not os.path.exists(runtime)                                      # deleted with the kernel
