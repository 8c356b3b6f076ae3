"""The lessons of the course, in book order, with the title and chapter each one announces.

A lesson is any ``NN-name.ipynb`` in the notebooks folder, so a new lesson joins the site by being
saved there. Its title is the first heading of its first markdown cell; its chapter is the first
"chapter N" (or "chapters 3, 5 and 6") that cell mentions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

_NUMBERED = re.compile(r"^(\d+)-[\w.-]+\.ipynb$")
_HEADING = re.compile(r"^\s*#{1,6}\s+(.+?)\s*#*\s*$", re.M)
_NUMBER_PREFIX = re.compile(r"^\d+\s*[·.:-]\s*")  # "05 · " before a title
_CHAPTER = re.compile(r"\b[Cc]hapters? (\d+(?:(?:, | and )\d+)*)")


@dataclass(frozen=True)
class Lesson:
    """One notebook: where it is, its page's file name, its title and the book's chapter(s)."""

    path: Path
    number: int
    title: str  # the first heading, without the lesson number it may start with
    chapter: str  # "1", "3, 5 and 6", or "" when the lesson follows no chapter

    @property
    def page(self) -> str:
        return self.path.stem + ".html"


def find_lessons(folder) -> list[Lesson]:
    """Every numbered notebook in ``folder``, ordered by number (book order)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"notebooks folder {str(folder)!r} does not exist")
    paths = [p for p in folder.glob("*.ipynb") if _NUMBERED.match(p.name)]
    lessons = [read_lesson(p) for p in paths]
    return sorted(lessons, key=lambda lesson: (lesson.number, lesson.path.name))


def read_lesson(path) -> Lesson:
    """Title and chapter of the notebook at ``path``, read from its first markdown cell."""
    path = Path(path)
    match = _NUMBERED.match(path.name)
    if not match:
        raise ValueError(f"lesson file name should look like 'NN-name.ipynb', got {path.name!r}")
    notebook = nbformat.read(path, as_version=4)
    first = next((c.source for c in notebook.cells if c.cell_type == "markdown"), "")
    heading = _HEADING.search(first)
    if heading is None:
        raise ValueError(f"{path.name}: its first markdown cell should start with a '# Title' heading")
    chapter = _CHAPTER.search(first)
    return Lesson(path=path, number=int(match.group(1)), title=_NUMBER_PREFIX.sub("", heading.group(1)),
                  chapter=chapter.group(1) if chapter else "")
