"""Start a sandboxed kernel: set its resource limits, open its seccomp filter, then become ``bwrap``.

    python launch.py --cpu SECONDS --memory BYTES --file-size BYTES --seccomp FILE [--quiet] -- bwrap ARGS...

The limits (``setrlimit``) hold for everything the sandbox runs: CPU seconds (the kernel is killed
when it has used them), address space (allocations beyond it fail), the size of a file it writes,
and 256 open files. The seccomp filter is opened as an inheritable file descriptor, whose number
replaces ``{seccomp_fd}`` in the command. ``--quiet`` sends the kernel's standard output (where it
prints how to connect to it, at every start) to /dev/null; its errors still reach the grader's log.
The standard library only: this runs before anything
else, outside the sandbox, started by ``SandboxKernelManager``.
"""

import argparse
import os
import resource
import sys


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cpu", type=int, required=True)
    parser.add_argument("--memory", type=int, required=True)
    parser.add_argument("--file-size", type=int, required=True)
    parser.add_argument("--seccomp", required=True)
    parser.add_argument("--quiet", action="store_true")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command to run")
    resource.setrlimit(resource.RLIMIT_CPU, (args.cpu, args.cpu + 5))
    resource.setrlimit(resource.RLIMIT_AS, (args.memory, args.memory))
    resource.setrlimit(resource.RLIMIT_FSIZE, (args.file_size, args.file_size))
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(256, hard), min(256, hard)))
    fd = os.open(args.seccomp, os.O_RDONLY)
    os.set_inheritable(fd, True)
    command = [part.replace("{seccomp_fd}", str(fd)) for part in command]
    if args.quiet:
        os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
    os.execv(command[0], command)


if __name__ == "__main__":
    sys.exit(main())
