"""The site's folder: only one the builder made is ever replaced, and never half-written.

A site is built in a fresh folder beside its target and moved into place when it is complete, so a
failed or interrupted build leaves the previous site as it was. The builder marks every folder it
makes with a file, ``MARKER``; a target that exists must carry it (or be an empty folder, or a site
of an older builder: only ``index.html`` and lesson pages), or the build stops before anything runs
and names the folder. So ``--out .`` or ``--out notebooks`` or ``--out notes.txt`` deletes nothing.

Rebuilding some lessons starts the new folder as a copy of the old site (hard links where the
system has them) without those lessons' pages and frames, so every other page stays as it was.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

MARKER = ".coursebook-site"
MARKER_TEXT = ("This folder was written by `python -m coursebook` (make html). The next build replaces\n"
               "it whole: keep nothing of your own here.\n")
_OLD_PAGE = re.compile(r"^(index|\d+-[\w.-]+)\.html$")
_OLD_TITLE = "the notebook companion</title>"


class SiteFolderError(ValueError):
    """The target of ``--out`` is not a folder the builder may replace."""


def _made_by_an_older_builder(folder):
    """A site written before the marker existed: nothing but its index and lesson pages."""
    names = [p.name for p in folder.iterdir()]
    index = folder / "index.html"
    return (index.is_file() and all(_OLD_PAGE.match(name) for name in names)
            and _OLD_TITLE in index.read_text(encoding="utf-8", errors="replace"))


def check_target(out):
    """Refuse ``out`` (a Path) unless the builder may write the site there; return whether a site
    of the builder is already there (one whose pages a partial build keeps)."""
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        kind = "a link" if out.is_symlink() else "a file"
        raise SiteFolderError(f"--out {str(out)!r} is {kind}, not a folder; the site is a folder of "
                              "pages: choose a new folder's name (default: build/html)")
    if not out.exists():
        return False
    if (out / MARKER).is_file():
        return True
    if not any(out.iterdir()):
        return False
    if _made_by_an_older_builder(out):
        return True
    raise SiteFolderError(
        f"--out {str(out)!r} is a folder the site builder did not make (it has no {MARKER} file), "
        "and building there would replace everything in it. Choose a new or empty folder "
        "(default: build/html), or move that folder's contents away first.")


def start_staging(out, keep_from=None, drop=()):
    """A new folder beside ``out`` to build the site in. With ``keep_from`` (the existing site),
    it starts as a copy of that site less the entries named in ``drop``."""
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".html-", dir=out.parent))
    except OSError as error:
        raise SiteFolderError(f"--out {str(out)!r}: cannot write there ({error.strerror or error}: "
                              f"{error.filename or out.parent}); choose a folder you can write to") from None
    try:
        if keep_from is not None:
            for entry in keep_from.iterdir():
                if entry.name in drop or entry.name == MARKER:
                    continue
                if entry.is_dir():
                    shutil.copytree(entry, staging / entry.name, copy_function=_link_or_copy)
                else:
                    _link_or_copy(entry, staging / entry.name)
        (staging / MARKER).write_text(MARKER_TEXT, encoding="utf-8")
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return staging


def _link_or_copy(source, target):
    """A hard link (a page is never changed in place, only replaced), or a copy where links fail."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)
    return target


def replace_folder(new, target):
    """Move the finished folder ``new`` to ``target``, then delete the old site."""
    new.chmod(0o755)
    old = None
    try:
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=".old-", dir=target.parent))
            target.rename(old / "site")
        new.rename(target)
    except OSError as error:
        if old is not None and (old / "site").exists() and not target.exists():
            (old / "site").rename(target)          # put the previous site back
            shutil.rmtree(old, ignore_errors=True)
        raise SiteFolderError(f"--out {str(target)!r}: cannot replace the site there "
                              f"({error.strerror or error}); choose a folder you can write to") from None
    if old is not None:
        shutil.rmtree(old)
