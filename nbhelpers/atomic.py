"""Atomic file writes: a file is either the complete new version or the old one, never half-written.

The new file gets the permissions any new file would (0666 less the umask), not the 0600 of a
temporary file, and ``atomic_write`` never creates folders: a missing folder is an error.

Used by: ``nbhelpers.engine.serialize`` (saved networks), ``nbhelpers.data.idx`` (IDX files) and
``data/convert_sample.py`` (the bundled sample); hence by notebooks 00 and 03 when they save networks.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def atomic_write(path, write):
    """Call ``write(binary_file)`` on a temporary file beside ``path``, then rename it into place.

    If ``write`` raises (or the process is interrupted), the temporary file is removed and whatever
    was at ``path`` before is left untouched. Returns ``path`` as a ``Path``.
    """
    path = Path(path)
    if not path.parent.is_dir():
        raise FileNotFoundError(f"cannot write {str(path)!r}: the folder {str(path.parent)!r} does "
                                "not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fchmod(handle.fileno(), 0o666 & ~current_umask())
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
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
