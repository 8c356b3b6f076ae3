"""Atomic file writes: a file is either the complete new version or the old one, never half-written.

Used by: ``nbhelpers.serialize`` (saved networks), ``nbhelpers.idx`` (IDX files) and
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
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path
