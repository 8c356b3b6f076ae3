"""The headless Chromium the browser tests drive: Debian's, never one playwright downloads.

``playwright_or_skip(what)``, called at a test module's top, skips the module with one line saying
how to enable it when Chromium or playwright is missing, and returns ``playwright.sync_api``.
``launch(p)`` starts the browser with flags for a closed network (and for root, in containers).
"""

import os
import shutil

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ENABLE = "apt-get install chromium (Debian's browser; no download by playwright)"
# flags for a closed network, and for root in containers and CI machines
CHROMIUM_ARGS = ["--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
if os.geteuid() == 0:
    CHROMIUM_ARGS.append("--no-sandbox")


def playwright_or_skip(what):
    """``playwright.sync_api``, or skip the calling module (``what`` names its test)."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"no Chromium at {CHROMIUM}, so {what} is skipped; to run it: {ENABLE}",
                    allow_module_level=True)
    return pytest.importorskip("playwright.sync_api",
                               reason=f"{what} skipped: pip install -e '.[dev]' for playwright")


def launch(p):
    """Start Debian's headless Chromium through playwright's ``p``."""
    return p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
