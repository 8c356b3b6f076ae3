"""The report every feedback check returns: a title, the problems found and some notes.

A check builds a :class:`Feedback`, adds a sentence per problem (what is wrong, where, by how
much) and per note, then hands it to :func:`finish`, which prints it unless ``show=False``.

Used by: every check in ``nbhelpers.feedback`` (and so the assignment notebooks in ``assignments/``).
"""

from __future__ import annotations

from .. import validate

__all__ = ["Feedback", "finish"]


class Feedback:
    """A report: a title, what is wrong (``problems``) and what else is worth knowing (``notes``).

    ``ok`` is True when there are no problems. ``str(report)`` (and ``report.text``) is the
    printed form: a first line starting with "✓" or "✗", then one indented line per problem and
    per note.
    """

    def __init__(self, title):
        self.title = title
        self.problems: list[str] = []
        self.notes: list[str] = []
        self._shown = False

    @property
    def ok(self):
        return not self.problems

    def problem(self, text):
        self.problems.append(text)
        return self

    def note(self, text):
        self.notes.append(text)
        return self

    @property
    def text(self):
        if self.ok:
            head = f"✓ {self.title}"
        else:
            count = len(self.problems)
            head = f"✗ {self.title}: {count} problem{'s' if count > 1 else ''}"
        lines = [head] + [f"  ✗ {p}" for p in self.problems] + [f"  · {n}" for n in self.notes]
        return "\n".join(lines)

    def show(self):
        """Print the report (once more, if it was printed already) and return it."""
        print(self.text)
        self._shown = True
        return self

    def __str__(self):
        return self.text

    def __repr__(self):
        return self.text

    def _ipython_display_(self):
        # A check prints its report as it runs; as a cell's last expression it is not repeated.
        if not self._shown:
            self.show()


def finish(report, show):
    validate.boolean(show, "show")
    if show:
        report.show()
    return report
