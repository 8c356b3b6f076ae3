"""Build the course as a static web site: every lesson executed and rendered to HTML.

``make html`` (or ``python -m coursebook``) runs each notebook in ``notebooks/`` from top to bottom,
turns it into a page with Jupyter's own nbconvert, and writes an ``index.html`` listing the lessons
in book order. The site works opened from disk with no network: it carries its own MathJax. An
``interact`` widget whose controls take a few values each gets sliders that move on the page,
through pictures drawn at build time; any other widget is shown as a note saying it is live in
JupyterLab, followed by whatever it had drawn when the notebook ran.

Modules: ``lessons`` (finding the notebooks, their titles and chapters), ``execute`` (running a
notebook in a kernel, with clear errors), ``kernel`` (the kernel client that never leaves a reply
unread, which nbgrader's autograding uses too), ``frames`` (run in that kernel: the sliders'
pictures), ``sliders`` (those pictures as controls on the page), ``placeholders`` (every widget
becomes sliders or a note), ``site_folder`` (which folder may be replaced, and replacing it at once),
``build`` (pages and the index).
"""

from .build import build_site
from .lessons import Lesson, find_lessons

__all__ = ["build_site", "find_lessons", "Lesson"]
