"""Pages and index: execute each lesson, render it with nbconvert, write the site all at once.

The site is built in a fresh folder next to the target and only then moved into place, so a failed
or interrupted build leaves the previous site untouched and never a half-written one; only a
folder the builder made is ever replaced (``site_folder``). Building some lessons replaces just
their pages in an existing site and writes the index again. Every page works opened from disk
with no network: MathJax and the sliders' script are copied into the site's ``static/`` folder,
and each lesson's slider frames into ``<lesson>_files/`` beside its page.
"""

from __future__ import annotations

import html
import re
import shutil
import time
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter

from .execute import LessonError, execute_notebook
from .lessons import find_lessons
from .placeholders import replace_widgets
from .site_folder import check_target, replace_folder, start_staging

PACKAGE = Path(__file__).resolve().parent
#: What the builder copies into every site, under this name.
STATIC = "static"
MATHJAX = f"{STATIC}/mathjax/tex-svg-full.js"


def _nav(lessons, i, available):
    """Links to the contents and to the neighbouring lessons that have pages."""
    parts = ["[Contents](index.html)"]
    before = [lesson for lesson in lessons[:i] if lesson.page in available]
    after = [lesson for lesson in lessons[i + 1:] if lesson.page in available]
    if before:
        parts.append(f"← [{before[-1].title}]({before[-1].page})")
    if after:
        parts.append(f"[{after[0].title}]({after[0].page}) →")
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


def exporter(mathjax_url=None):
    """nbconvert's HTML exporter with the site's template (JupyterLab's look, nothing from the
    network); ``mathjax_url`` replaces the site's own copy of MathJax 3."""
    result = HTMLExporter(template_name="coursebook", extra_template_basedirs=[str(PACKAGE / "templates")])
    result.mathjax_url = mathjax_url or MATHJAX
    return result


# Inline math in markdown, outside code: nbconvert's markdown reads block syntax before it sees math,
# so a formula wrapped onto a line that starts with "+ " or "- " became a list (JupyterLab protects
# the math first). Put each inline formula on one line.
_CODE = re.compile(r"^```.*?^```|(`+)(?!`).+?(?<!`)\1(?!`)", re.S | re.M)
_INLINE_MATH = re.compile(r"(?<![\\$])\$(?!\$).+?(?<![\\$])\$", re.S)


def one_line_math(text):
    """``text`` (markdown) with the line breaks inside each ``$...$`` made spaces."""
    pieces, last = [], 0
    for code in _CODE.finditer(text):
        pieces.append(_INLINE_MATH.sub(lambda m: m.group(0).replace("\n", " "), text[last:code.start()]))
        pieces.append(code.group(0))
        last = code.end()
    pieces.append(_INLINE_MATH.sub(lambda m: m.group(0).replace("\n", " "), text[last:]))
    return "".join(pieces)


def render_page(notebook, title, html_exporter):
    """The HTML of an executed ``notebook`` whose widgets are already replaced."""
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            cell.source = one_line_math(cell.source)
    body, _ = html_exporter.from_notebook_node(
        notebook, resources={"metadata": {"name": title}, "static_url": STATIC})
    return body


def index_html(lessons, available=None):
    """The contents page: every lesson in book order, with its chapter, linked to its page (when
    ``available``, a set of page names, holds it: a site of some lessons lists the others too)."""
    def title(lesson):
        text = html.escape(lesson.title)
        if available is not None and lesson.page not in available:
            return f'{text} <small>(not built: python -m coursebook {html.escape(lesson.path.stem)})</small>'
        return f'<a href="{html.escape(lesson.page)}">{text}</a>'

    rows = "\n".join(
        f"<tr><td>{lesson.number:02d}</td><td>{title(lesson)}</td>"
        f"<td>{html.escape(lesson.chapter or '—')}</td></tr>" for lesson in lessons)
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
executed and rendered as they run. Where a lesson has sliders over a few values, they move here
too, through pictures drawn when the page was built; other widgets only move in JupyterLab, and
here each one shows what it drew.</p>
<table>
<thead><tr><th>#</th><th>Lesson</th><th>Book chapter</th></tr></thead>
<tbody>
{rows}
</tbody>
</table>
</body></html>
"""


def _select(lessons, names, notebooks):
    if not names:
        return lessons
    known = {n for lesson in lessons for n in (lesson.path.name, lesson.path.stem)}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValueError(f"names: {unknown} are not lessons in {str(notebooks)!r}; "
                         f"the lessons are {sorted(lesson.path.name for lesson in lessons)}")
    return [lesson for lesson in lessons if {lesson.path.name, lesson.path.stem} & set(names)]


def _files(lesson):
    """The folder beside a lesson's page that holds its slider frames."""
    return f"{lesson.path.stem}_files"


def _stale(out, lessons):
    """Pages (and frame folders) of the old site whose lesson is gone from the notebooks folder."""
    current = {lesson.page for lesson in lessons} | {_files(lesson) for lesson in lessons}
    return {p.name for p in out.iterdir()
            if p.name[:1].isdigit() and (p.suffix == ".html" or p.name.endswith("_files"))
            and p.name not in current}


def _check_limits(timeout, budget):
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
        raise ValueError(f"timeout: the most seconds one cell may take must be a number above 0, "
                         f"got {timeout!r}")
    if budget is not None and (isinstance(budget, bool) or not isinstance(budget, int) or budget < 1):
        raise ValueError(f"budget: the most pictures for one widget must be a whole number of at "
                         f"least 1, got {budget!r}")


def _write_lesson(lesson, lessons, i, available, staging, timeout, frames, budget, html_exporter):
    """Execute one lesson and write its page (and its frames) into ``staging``; return a log line."""
    start = time.monotonic()
    folder = staging / _files(lesson)
    notebook = execute_notebook(lesson.path, timeout=timeout, frames=folder if frames else None,
                                budget=budget)
    still = dict(notebook.metadata.get("coursebook_frames", {}).get("still", {}))
    notes, moving = replace_widgets(notebook, frames_folder=_files(lesson), why=still)
    _check_no_errors(notebook, lesson.path.name)
    notebook.cells.insert(0, _nav(lessons, i, available))
    notebook.cells.append(_nav(lessons, i, available))
    page = render_page(notebook, lesson.title, html_exporter)
    (staging / lesson.page).write_text(page, encoding="utf-8")
    if folder.exists():
        for picture in folder.iterdir():
            if picture.name not in page:     # drawn for a widget that stayed still
                picture.unlink()
        if not any(folder.iterdir()):
            folder.rmdir()
    why = "".join(f"\n  still: {reason}" for reason in still.values()) if notes else ""
    return (f"{lesson.page}: {time.monotonic() - start:.1f} s, {moving} widget(s) with moving "
            f"sliders, {notes} shown still{why}")


def build_site(notebooks="notebooks", out="build/html", names=None, timeout=600, mathjax_url=None,
               frames=True, budget=None, log=print):
    """Execute the lessons in ``notebooks`` and write their pages and ``index.html`` to ``out``.

    ``names`` picks lessons by file name (``"05-cross-entropy-and-softmax.ipynb"``) or stem; the
    default is every lesson. With ``names`` and a site already in ``out``, only those pages are
    replaced and the index written again. ``timeout`` bounds each cell, in seconds (a number
    above 0). ``mathjax_url`` replaces the site's own MathJax 3 (a CDN's, say). ``frames``: draw
    the frames of the lessons' sliders (at most ``budget`` per widget). Returns the built lessons.

    ``out`` must be a new or empty folder, or a site this builder made; anything else is refused
    before a lesson runs (``site_folder.SiteFolderError``).
    """
    _check_limits(timeout, budget)
    lessons = find_lessons(notebooks)
    chosen = _select(lessons, names, notebooks)
    out = Path(out).absolute()
    has_site = check_target(out)
    keep = has_site and bool(names)
    rewritten = {STATIC, "index.html"} | {lesson.page for lesson in chosen} | \
        {_files(lesson) for lesson in chosen}
    drop = rewritten | (_stale(out, lessons) if keep else set())
    staging = start_staging(out, keep_from=out if keep else None, drop=drop)
    try:
        shutil.copytree(PACKAGE / "static", staging / STATIC)
        available = {p.name for p in staging.glob("*.html")} | {lesson.page for lesson in chosen}
        html_exporter = exporter(mathjax_url)
        for lesson in chosen:
            log(_write_lesson(lesson, lessons, lessons.index(lesson), available, staging, timeout,
                              frames, budget, html_exporter))
        (staging / "index.html").write_text(index_html(lessons, available), encoding="utf-8")
        replace_folder(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    kept = len(available) - len(chosen)
    log(f"wrote {len(chosen)} page(s) and index.html to {out}"
        + (f", keeping {kept} page(s) built before" if kept else ""))
    return chosen
