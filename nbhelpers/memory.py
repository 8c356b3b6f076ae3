"""How much memory this process may still take: the machine's, its limits' and its container's.

``available_memory()`` is the least of what is known of

- the memory the machine has available (``MemAvailable`` in ``/proc/meminfo``);
- the process's address-space limit (``ulimit -v``, ``RLIMIT_AS``) less what it already maps, and
  its data limit (``RLIMIT_DATA``) less its data: past these an allocation fails however much
  memory the machine has;
- the memory limit of its control group less what the group uses (``memory.max`` and
  ``memory.current``, or cgroup v1's ``memory.limit_in_bytes`` and ``memory.usage_in_bytes``):
  the limit of a container or of a JupyterHub pod, past which the kernel is killed.

It says which of them is the tightest (``Budget.source``), so a refusal can tell the user what
to change. Reading these takes a few file reads, so callers ask only about large allocations
(``validate.fits_in_memory``).

Used by: ``validate.fits_in_memory``, and so by the layers, the engine (network sizes, mini-batches,
evaluation) and loading saved networks.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

#: where the files are read (tests point these at folders of their own)
PROC = Path("/proc")
CGROUP_ROOT = Path("/sys/fs/cgroup")
#: a cgroup "limit" at least this large means no limit (cgroup v1 writes 2**63 rounded to pages)
NO_LIMIT = 2**60


class Budget(NamedTuple):
    """Bytes this process may still allocate, and what sets that figure, in words."""

    bytes: int
    source: str


def available_memory():
    """The tightest known ``Budget`` (see the module docstring), or None if nothing is known."""
    budgets = [budget for budget in (_machine(), *_rlimits(), _cgroup()) if budget is not None]
    return min(budgets, key=lambda budget: budget.bytes) if budgets else None


def _read(path):
    try:
        return Path(path).read_text()
    except (OSError, UnicodeDecodeError):
        return None


def _kib_field(text, key):
    """The value of ``key:`` in a /proc file whose sizes are in kB, in bytes (or None)."""
    for line in (text or "").splitlines():
        if line.startswith(key + ":"):
            try:
                return int(line.split()[1]) * 1024
            except (IndexError, ValueError):
                return None
    return None


def _machine():
    available = _kib_field(_read(PROC / "meminfo"), "MemAvailable")
    if available is None:
        try:
            available = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES")
        except (ValueError, OSError, AttributeError):
            return None
    return Budget(available, "this machine has {} of memory available")


def _rlimits():
    try:
        import resource
    except ImportError:   # not on this system (Windows)
        return []
    status = _read(PROC / "self" / "status")
    budgets = []
    for limit, field, words in (("RLIMIT_AS", "VmSize", "address-space limit (ulimit -v)"),
                                ("RLIMIT_DATA", "VmData", "data-size limit (ulimit -d)")):
        if not hasattr(resource, limit):
            continue
        soft, _ = resource.getrlimit(getattr(resource, limit))
        if soft == resource.RLIM_INFINITY or soft >= NO_LIMIT:
            continue
        used = _kib_field(status, field) or 0
        budgets.append(Budget(max(soft - used, 0),
                              f"this process's {words} of {size_in_words(soft)} leaves {{}}"))
    return budgets


def _cgroup():
    """The memory left under the process's cgroup limit (v2 or v1), or None if it has none."""
    for line in (_read(PROC / "self" / "cgroup") or "").splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        hierarchy, controllers, group = parts
        group = group.lstrip("/")
        if hierarchy == "0" and controllers == "":       # cgroup v2
            mount, limit_file, usage_file = CGROUP_ROOT, "memory.max", "memory.current"
        elif "memory" in controllers.split(","):            # cgroup v1
            mount = CGROUP_ROOT / "memory"
            limit_file, usage_file = "memory.limit_in_bytes", "memory.usage_in_bytes"
        else:
            continue
        # in a container the group's own folder is often the mount itself
        folder = next((f for f in (mount / group, mount) if (f / limit_file).is_file()), None)
        limit = None if folder is None else _number(_read(folder / limit_file))
        if limit is None or limit >= NO_LIMIT:
            continue
        usage = _number(_read(folder / usage_file)) or 0
        return Budget(max(limit - usage, 0),
                      f"the memory limit of this container of {size_in_words(limit)} leaves {{}}")
    return None


def _number(text):
    try:
        return int(text.strip())
    except (AttributeError, ValueError):
        return None            # missing, or "max" (no limit)


def size_in_words(n):
    """Bytes for people: ``"1.3 GB"``."""
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if n < 1024 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
