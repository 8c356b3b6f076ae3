"""The sandbox every hand-in's kernel runs in while it is graded: Debian's bubblewrap (``bwrap``).

``SandboxKernelManager`` is the kernel manager the course's ``nbgrader_config.py`` selects for
``nbgrader autograde``. Whatever kernel a notebook names, it starts the course's Python kernel
through ``launch.py`` (resource limits, then ``bwrap``) with:

- a read-only view of the system (``/usr`` and a few files of ``/etc``), of the Python that runs
  the grader (its installation and virtual environment), and of the course's ``nbhelpers/`` and
  ``data/`` folders; nothing else of the disk: not the course folder (``source/``,
  ``release/``, ``gradebook.db``, ``nbgrader_config.py``, ``course-secret.txt``, other students'
  hand-ins), not the grader, not anyone's home;
- a private writable folder, in memory and of bounded size, at the path of the hand-in's
  ``autograded/`` folder, holding read-only copies of that hand-in's files, and a private ``/tmp``;
- no network (a network namespace of its own), no other process to see (a PID namespace of its
  own), no new session's terminal, no capabilities, no way to gain privileges;
- no new processes: a seccomp filter refuses ``fork``, ``vfork`` and every ``clone`` that does not
  make a thread, so a fork bomb fails at its first fork (threads still work);
- a read-only ``/dev`` (with a ``/dev/shm`` of 1 MB): memory in a file system is not counted by
  the memory limit, so no file system the kernel can write to is without a bound;
- limits on CPU time (``cpu_seconds``: the kernel is killed when it has used them), on memory
  (``memory_bytes`` of address space: allocations beyond fail with ``MemoryError``), on the size
  of any file it writes and on open files.

The kernel talks to the grader over Unix sockets in a folder of its own (``/tmp/nndl-sandbox-*``);
``lock()`` takes away the kernel's right to write there once it has started (and the seccomp
filter its right to give that back to itself: ``chmod`` does nothing in the sandbox). The folder is
deleted with the kernel.

Grading without the sandbox happens only when the instructor asks for it
(``NNDL_GRADE_WITHOUT_SANDBOX=yes``), and each kernel started so logs a warning.

Used by: ``nbgrader_config.py`` (through ``configure``) and the tests.
"""

from __future__ import annotations

import os
import platform
import shutil
import stat
import struct
import sys
import tempfile
from pathlib import Path

from jupyter_client.kernelspec import KernelSpec
from jupyter_client.manager import AsyncKernelManager
from traitlets import Bool, Dict, Integer, List, Unicode

__all__ = ["SandboxKernelManager", "SandboxUnavailable", "seccomp_program", "bwrap_arguments", "lock_folder",
           "UNSANDBOXED"]

UNSANDBOXED = "NNDL_GRADE_WITHOUT_SANDBOX"
LAUNCHER = Path(__file__).with_name("launch.py")
_ETC = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "fonts", "alternatives")


class SandboxUnavailable(RuntimeError):
    """bubblewrap is missing or cannot start a sandbox here."""


# ---------------------------------------------------------------- no new processes (seccomp)

_LD, _JEQ, _JSET, _JGE, _RET = 0x20, 0x15, 0x45, 0x35, 0x06
_ALLOW, _KILL = 0x7FFF0000, 0x80000000
_EPERM, _ENOSYS = 1, 38
_CLONE_THREAD = 0x00010000
_ARCHES = {   # audit architecture, syscall numbers
    "x86_64": (0xC000003E, {"fork": 57, "vfork": 58, "clone": 56, "clone3": 435,
                            "chmod": 90, "fchmod": 91, "fchmodat": 268, "fchmodat2": 452}),
    "aarch64": (0xC00000B7, {"clone": 220, "clone3": 435, "fchmod": 52, "fchmodat": 53, "fchmodat2": 452}),
}


def _ins(code, k, jt=0, jf=0):
    return struct.pack("<HBBI", code, jt, jf, k)


def seccomp_program(machine=None):
    """The classic-BPF seccomp filter (bytes) that refuses new processes on this machine's
    architecture: ``fork``/``vfork`` and ``clone`` without CLONE_THREAD fail with EPERM, ``clone3``
    with ENOSYS (so the C library falls back to ``clone``, which makes threads); the ``chmod``
    calls change nothing and report success (a kernel owns its socket folder: it could otherwise
    give itself back the right to write there that ``lock`` took, while code that copies a file's
    mode still runs); system calls of another architecture (32-bit calls on x86-64) kill the
    process."""
    machine = machine or platform.machine()
    if machine not in _ARCHES:
        raise SandboxUnavailable(f"the sandbox knows the system calls of {sorted(_ARCHES)}, not {machine}")
    arch, numbers = _ARCHES[machine]
    program = [_ins(_LD, 4), _ins(_JEQ, arch, 1, 0), _ins(_RET, _KILL), _ins(_LD, 0)]
    if machine == "x86_64":     # the x32 ABI: the same architecture, numbers from 0x40000000
        program += [_ins(_JGE, 0x40000000, 0, 1), _ins(_RET, _KILL)]
    for name in ("fork", "vfork"):
        if name in numbers:
            program += [_ins(_JEQ, numbers[name], 0, 1), _ins(_RET, 0x00050000 | _EPERM)]
    for name in ("chmod", "fchmod", "fchmodat", "fchmodat2"):   # "done", and nothing is done
        if name in numbers:
            program += [_ins(_JEQ, numbers[name], 0, 1), _ins(_RET, 0x00050000)]
    program += [_ins(_JEQ, numbers["clone3"], 0, 1), _ins(_RET, 0x00050000 | _ENOSYS)]
    program += [_ins(_JEQ, numbers["clone"], 0, 4), _ins(_LD, 16),      # the low half of flags
                _ins(_JSET, _CLONE_THREAD, 0, 1), _ins(_RET, _ALLOW), _ins(_RET, 0x00050000 | _EPERM)]
    program += [_ins(_RET, _ALLOW)]
    return b"".join(program)


# ---------------------------------------------------------------- the bwrap command

def _system_binds():
    args = ["--ro-bind", "/usr", "/usr"]
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            args += ["--ro-bind", top, top]
    for name in _ETC:
        path = os.path.join("/etc", name)
        if os.path.exists(path):
            args += ["--ro-bind", path, path]
    return args


def _hand_in_files(folder, limit=200):
    """The regular files of a hand-in's folder (no links, no special files), at most ``limit``."""
    found = []
    for root, dirs, files in os.walk(folder, followlinks=False):
        dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(root, d))]
        for name in files:
            path = os.path.join(root, name)
            if stat.S_ISREG(os.lstat(path).st_mode):
                found.append(path)
            if len(found) >= limit:
                return found
    return found


def bwrap_arguments(*, workdir, runtime_dir, read_only, python, argv, workdir_bytes=256 << 20,
                    tmp_bytes=256 << 20, root=None, environment=None):
    """The ``bwrap`` command line (without the seccomp file descriptor, which ``launch.py`` adds as
    ``--seccomp {seccomp_fd}``) running ``argv`` with ``python`` in the sandbox."""
    root = os.geteuid() == 0 if root is None else root
    spaces = ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try"]
    if not root:   # as root, bwrap drops every capability of uid 0; a user namespace would give them back
        spaces = ["--unshare-user", *spaces, "--disable-userns"]
    home = "/tmp/home"
    args = ["bwrap", *spaces, "--die-with-parent", "--new-session", "--cap-drop", "ALL",
            "--seccomp", "{seccomp_fd}", *_system_binds(), "--proc", "/proc",
            # /dev as bwrap makes it is a tmpfs without bound, in memory the limits do not count:
            # read-only, with a small /dev/shm
            "--dev", "/dev", "--remount-ro", "/dev", "--size", str(1 << 20), "--tmpfs", "/dev/shm",
            "--size", str(1 << 20), "--tmpfs", "/tmp", "--dir", home]
    for path in read_only:
        if os.path.exists(path):
            args += ["--ro-bind", path, path]
    args += ["--bind", runtime_dir, runtime_dir, "--size", str(workdir_bytes), "--tmpfs", workdir]
    for path in _hand_in_files(workdir):
        args += ["--ro-bind", path, path]
    # Everything but the hand-in's folder, the home folder and the socket folder is read-only: the
    # sandbox's own root and /tmp (which hold the folders made above the bound ones) as well.
    args += ["--remount-ro", "/tmp", "--size", str(tmp_bytes), "--tmpfs", home, "--dir", f"{home}/tmp",
             "--remount-ro", "/", "--chdir", workdir, "--clearenv"]
    environment = {
        "HOME": home, "TMPDIR": f"{home}/tmp", "USER": "student", "LOGNAME": "student", "LANG": "C.UTF-8",
        "PATH": f"{os.path.dirname(python)}:/usr/bin:/bin", "IPYTHONDIR": f"{home}/.ipython",
        "MPLCONFIGDIR": f"{home}/.matplotlib", "PYTHONDONTWRITEBYTECODE": "1",
        "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1", "NBGRADER_EXECUTION": "autograde",
        **(environment or {}),
    }
    for key, value in environment.items():
        args += ["--setenv", key, value]
    return args + ["--", python, *argv]


def _python_paths(python):
    """The folders a virtual environment's Python needs: the environment and its base install."""
    import subprocess

    out = subprocess.run([python, "-c", "import sys; print(sys.prefix); print(sys.base_prefix)"],
                         capture_output=True, text=True, check=True, timeout=60).stdout.split("\n")
    return [p for p in dict.fromkeys(os.path.realpath(p) for p in out[:2] if p)]


def lock_folder(folder):
    """Make ``folder`` and its regular files read-only (its sockets stay as they are)."""
    for entry in os.scandir(folder):
        if entry.is_file(follow_symlinks=False):
            os.chmod(entry.path, 0o400)
    os.chmod(folder, 0o500)


# ---------------------------------------------------------------- the kernel manager

class SandboxKernelManager(AsyncKernelManager):
    """Starts the course's Python kernel in the sandbox (see the module)."""

    enabled = Bool(True, help="Run kernels in the sandbox (False only through "
                              f"${UNSANDBOXED}=yes)").tag(config=True)
    python = Unicode(os.path.abspath(sys.executable),
                     help="The Python (with ipykernel and nbhelpers) the kernels run").tag(config=True)
    read_only = List(Unicode(), help="More folders the kernel may read (the course's nbhelpers/ "
                                     "and data/)").tag(config=True)
    environment = Dict(help="More environment variables for the kernel").tag(config=True)
    cpu_seconds = Integer(600, help="CPU seconds a kernel may use in all").tag(config=True)
    memory_bytes = Integer(4 << 30, help="Address space of the kernel, in bytes").tag(config=True)
    file_bytes = Integer(64 << 20, help="Largest file the kernel may write, in bytes").tag(config=True)
    workdir_bytes = Integer(256 << 20, help="Room in the kernel's private folder, in bytes").tag(config=True)

    _runtime_dir = None
    _workdir = None
    _python_paths_cache: dict[str, list] = {}

    @property
    def kernel_spec(self):
        return KernelSpec(argv=[self.python, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                          display_name="Python 3 (grading sandbox)", language="python",
                          interrupt_mode="message", metadata={})

    def _sandbox_wanted(self):
        if os.environ.get(UNSANDBOXED, "").lower() in ("1", "yes", "true"):
            return False
        return self.enabled

    async def _async_pre_start_kernel(self, **kw):
        self._workdir = os.path.realpath(kw.get("cwd") or os.getcwd())
        self._runtime_dir = tempfile.mkdtemp(prefix="nndl-sandbox-")
        self.transport = "ipc"
        self.ip = os.path.join(self._runtime_dir, "kernel")
        self.connection_file = os.path.join(self._runtime_dir, "kernel.json")
        if self._sandbox_wanted():
            if shutil.which("bwrap") is None:
                raise SandboxUnavailable(
                    "bubblewrap (bwrap) is not installed: apt-get install bubblewrap. Grading without "
                    f"the sandbox runs students' code with your rights; if you must, set {UNSANDBOXED}=yes")
            kw["cwd"] = self._runtime_dir
        else:
            self.log.warning("GRADING WITHOUT THE SANDBOX (%s): this hand-in's code runs with your "
                             "rights and sees all your files", UNSANDBOXED)
        kw["env"] = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"} \
            if self._sandbox_wanted() else kw.get("env")
        return await super()._async_pre_start_kernel(**kw)

    def format_kernel_cmd(self, extra_arguments=None):
        self.python = os.path.abspath(self.python)
        argv = ["-m", "ipykernel_launcher", "-f", self.connection_file,
                "--HistoryManager.hist_file=:memory:"]
        if not self._sandbox_wanted():
            return [self.python, *argv]
        if self.python not in self._python_paths_cache:
            self._python_paths_cache[self.python] = _python_paths(self.python)
        read_only = [*self._python_paths_cache[self.python], *self.read_only]
        program = os.path.join(self._runtime_dir, "seccomp.bpf")
        with open(program, "wb") as handle:
            handle.write(seccomp_program())
        bwrap = bwrap_arguments(workdir=self._workdir, runtime_dir=self._runtime_dir,
                                read_only=read_only, python=self.python, argv=argv,
                                workdir_bytes=self.workdir_bytes, environment=dict(self.environment))
        bwrap[0] = shutil.which("bwrap")
        return [sys.executable, str(LAUNCHER), "--cpu", str(self.cpu_seconds), "--memory",
                str(self.memory_bytes), "--file-size", str(self.file_bytes), "--seccomp", program,
                "--quiet", "--", *bwrap]

    def lock(self):
        """Take away the kernel's right to make files in its socket folder and to write to the
        files there (once it has started); its seccomp filter keeps it from giving them back."""
        if self._runtime_dir and self._sandbox_wanted():
            lock_folder(self._runtime_dir)

    async def _async_cleanup_resources(self, restart=False):
        await super()._async_cleanup_resources(restart=restart)
        if self._runtime_dir and not restart:
            if os.path.isdir(self._runtime_dir):
                os.chmod(self._runtime_dir, 0o700)
            shutil.rmtree(self._runtime_dir, ignore_errors=True)
            self._runtime_dir = None
