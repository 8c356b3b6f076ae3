"""Atomic file writes: a file is either the complete new version or the old one, never half-written.

The new file gets the permissions any new file would (0666 less the umask), not the 0600 of a
temporary file, and ``atomic_write`` never creates folders: a missing folder is an error.

A temporary file is named ``.<name>.<pid>.<random><suffix>`` beside its target, so one left behind
by a process that was killed (SIGKILL, a power cut) can be recognised: the next write of the same
file removes such leftovers whose process no longer runs (:func:`remove_stale`). ``downloads``
does the same for its ``.part`` files. :func:`check_writable` creates (and removes) such a
temporary file, to find out before hours of training that the result could not be written.

Used by: ``nbhelpers.engine.serialize`` (saved networks), ``nbhelpers.data.idx`` (IDX files),
``nbhelpers.data.download`` (temporary names), the CLI and ``reproduce`` (checks before training), and
``data/convert_sample.py`` (the bundled sample); hence by notebooks 00 and 03 when they save networks.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

#: A leftover temporary file without a process number (older versions) is removed after this long.
STALE_SECONDS = 3600


def temporary(path, suffix=".tmp"):
    """Create an empty temporary file beside ``path``; returns (open descriptor, its Path)."""
    path = Path(path)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=suffix, dir=path.parent)
    return fd, Path(name)


def _alive(pid):
    try:
        os.kill(pid, 0)
    except PermissionError:      # someone else's process
        return True
    except (OSError, OverflowError, ValueError):
        return False
    return True


def remove_stale(path, suffix=".tmp"):
    """Remove the temporary files of ``path`` left by processes that no longer run; returns them."""
    path = Path(path)
    prefix = f".{path.name}."
    removed = []
    try:
        candidates = [p for p in path.parent.iterdir()
                      if p.name.startswith(prefix) and p.name.endswith(suffix)]
    except OSError:
        return removed
    for candidate in candidates:
        middle = candidate.name[len(prefix):-len(suffix)]
        owner = middle.split(".", 1)[0]
        try:
            if owner.isdigit() and "." in middle:
                stale = int(owner) != os.getpid() and not _alive(int(owner))
            else:
                stale = time.time() - candidate.stat().st_mtime > STALE_SECONDS
            if stale and candidate.is_file():
                candidate.unlink()
                removed.append(candidate)
        except OSError:
            continue
    return removed


def check_writable(path, what):
    """Raise ``OSError`` naming ``what`` unless a file could be written at ``path`` atomically.

    Creates the temporary file the write would create (and removes it), so every reason a write
    could fail (permissions, a read-only or special file system, a missing folder) shows up now.
    """
    path = Path(path)
    if not path.parent.is_dir():
        raise FileNotFoundError(f"{what}: the folder {str(path.parent)!r} does not exist")
    if path.is_dir():
        raise IsADirectoryError(f"{what}: {str(path)!r} is a folder, not a file name")
    try:
        fd, tmp = temporary(path)
    except OSError as err:
        raise PermissionError(f"{what}: nothing can be written in {str(path.parent)!r} "
                              f"({err.strerror or err})") from None
    os.close(fd)
    tmp.unlink()


def atomic_write(path, write):
    """Call ``write(binary_file)`` on a temporary file beside ``path``, then rename it into place.

    If ``write`` raises (or the process is interrupted), the temporary file is removed and whatever
    was at ``path`` before is left untouched. Leftovers of killed writers are removed first.
    Returns ``path`` as a ``Path``.
    """
    path = Path(path)
    if not path.parent.is_dir():
        raise FileNotFoundError(f"cannot write {str(path)!r}: the folder {str(path.parent)!r} does "
                                "not exist")
    remove_stale(path)
    fd, tmp = temporary(path)
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fchmod(handle.fileno(), 0o666 & ~current_umask())
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        if tmp.exists():
            tmp.unlink()
        raise
    return path


def current_umask():
    """The process's umask, read without changing it where the system allows (Linux /proc)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)  # elsewhere: set and put back at once
    os.umask(mask)
    return mask
