"""Pages and index: execute each lesson, render it with nbconvert, write the site all at once.

The site is built in a fresh folder next to the target and only then moved into place, so a failed
or interrupted build leaves the previous site untouched and never a half-written one.
"""

from __future__ import annotations

import html
import shutil
import tempfile
import time
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter

from .execute import LessonError, execute_notebook
from .lessons import find_lessons
from .placeholders import NOTE_CLASS, replace_widgets

STYLE = f"""<style>
.{NOTE_CLASS} {{ border-left: 4px solid #1976d2; background: #e3f2fd; padding: 0.6em 1em;
  margin: 0.4em 0; font-family: sans-serif; }}
.coursebook-nav {{ font-family: sans-serif; margin: 0.5em 0; }}
</style>
"""


def _nav(lessons, i):
    parts = ["[Contents](index.html)"]
    if i > 0:
        parts.append(f"← [{lessons[i - 1].title}]({lessons[i - 1].page})")
    if i + 1 < len(lessons):
        parts.append(f"[{lessons[i + 1].title}]({lessons[i + 1].page}) →")
    return nbformat.v4.new_markdown_cell(
        '<div class="coursebook-nav">\n\n' + " · ".join(parts) + "\n\n</div>")


def _check_no_errors(notebook, name):
    """Refuse a page that would show an error: an error output, or a traceback printed to stderr
    (an exception in a background thread, say)."""
    for index, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                raise LessonError(f"{name}: an output is an error ({output.ename}: {output.evalue})")
            if output.output_type == "stream" and "Traceback (most recent call last)" in output.text:
                raise LessonError(f"{name}: cell {index} printed a traceback:\n{output.text}")


def render_page(notebook, title, exporter):
    """The HTML of an executed ``notebook`` whose widgets are already replaced."""
    body, _ = exporter.from_notebook_node(notebook, resources={"metadata": {"name": title}})
    return body.replace("</head>", STYLE + "</head>", 1)


def index_html(lessons):
    """The contents page: every lesson in book order, with its chapter, linked to its page."""
    rows = "\n".join(
        f'<tr><td>{lesson.number:02d}</td><td><a href="{html.escape(lesson.page)}">'
        f"{html.escape(lesson.title)}</a></td><td>{html.escape(lesson.chapter or '—')}</td></tr>"
        for lesson in lessons)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Neural Networks and Deep Learning — the notebook companion</title>
<style>
body {{ font-family: sans-serif; max-width: 50em; margin: 2em auto; padding: 0 1em; line-height: 1.5; }}
table {{ border-collapse: collapse; width: 100%; }}
td, th {{ text-align: left; padding: 0.3em 0.6em; border-bottom: 1px solid #ddd; }}
</style></head>
<body>
<h1>Neural Networks and Deep Learning — the notebook companion</h1>
<p>Lessons that follow Michael Nielsen's free book
<a href="http://neuralnetworksanddeeplearning.com/"><em>Neural Networks and Deep Learning</em></a>,
executed and rendered as they run. Sliders and other widgets only move in JupyterLab: here each one
shows what it drew when the page was built.</p>
<table>
<thead><tr><th>#</th><th>Lesson</th><th>Book chapter</th></tr></thead>
<tbody>
{rows}
</tbody>
</table>
</body></html>
"""


def _replace_folder(new, target):
    """Move the finished folder ``new`` to ``target``, then delete the old site."""
    old = None
    if target.exists():
        old = Path(tempfile.mkdtemp(prefix=".old-", dir=target.parent))
        target.rename(old / "site")
    new.rename(target)
    if old is not None:
        shutil.rmtree(old)


def build_site(notebooks="notebooks", out="build/html", names=None, timeout=600, mathjax_url=None,
               log=print):
    """Execute the lessons in ``notebooks`` and write their pages and ``index.html`` to ``out``.

    ``names`` picks lessons by file name (``"05-cross-entropy-and-softmax.ipynb"``) or stem; the
    default is every lesson. ``timeout`` bounds each cell, in seconds. ``mathjax_url`` replaces
    the MathJax the pages load (by default nbconvert's, from a CDN). Returns the built lessons.
    """
    lessons = find_lessons(notebooks)
    if names:
        known = {n for lesson in lessons for n in (lesson.path.name, lesson.path.stem)}
        unknown = [n for n in names if n not in known]
        if unknown:
            raise ValueError(f"names: {unknown} are not lessons in {str(notebooks)!r}; "
                             f"the lessons are {sorted(lesson.path.name for lesson in lessons)}")
        lessons = [lesson for lesson in lessons if {lesson.path.name, lesson.path.stem} & set(names)]
    exporter = HTMLExporter(template_name="lab")
    if mathjax_url:
        exporter.mathjax_url = mathjax_url
    out = Path(out).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".html-", dir=out.parent))
    try:
        for i, lesson in enumerate(lessons):
            start = time.monotonic()
            notebook = execute_notebook(lesson.path, timeout=timeout)
            notes = replace_widgets(notebook)
            _check_no_errors(notebook, lesson.path.name)
            notebook.cells.insert(0, _nav(lessons, i))
            notebook.cells.append(_nav(lessons, i))
            (staging / lesson.page).write_text(render_page(notebook, lesson.title, exporter),
                                               encoding="utf-8")
            log(f"{lesson.page}: {time.monotonic() - start:.1f} s, {notes} widget(s) shown as notes")
        (staging / "index.html").write_text(index_html(lessons), encoding="utf-8")
        staging.chmod(0o755)
        _replace_folder(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    log(f"wrote {len(lessons)} pages and index.html to {out}")
    return lessons
