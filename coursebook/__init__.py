"""Build the course as a static web site: every lesson executed and rendered to HTML.

``make html`` (or ``python -m coursebook``) runs each notebook in ``notebooks/`` from top to bottom,
turns it into a page with Jupyter's own nbconvert, and writes an ``index.html`` listing the lessons
in book order. Widgets cannot move on a static page: each is shown as a note saying it is live in
JupyterLab, followed by whatever it had drawn when the notebook ran.

Modules: ``lessons`` (finding the notebooks, their titles and chapters), ``execute`` (running a
notebook, remembering which widgets closed themselves), ``placeholders`` (widgets become notes),
``build`` (pages, the index, and writing the site all at once), ``kernel`` (the kernel client that
never leaves a reply unread, which nbgrader's autograding uses too).
"""

from .build import build_site
from .lessons import Lesson, find_lessons

__all__ = ["build_site", "find_lessons", "Lesson"]
