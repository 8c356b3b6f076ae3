"""The course's web site (``make html``): lessons executed and rendered, widgets shown as notes.

The whole course takes minutes to execute, so the pipeline is proved on two real lessons (lesson 00:
plots and a training run whose progress bar closes itself; lesson 01: plots, folded solutions and a
slider widget), while the index is checked against every notebook in ``notebooks/``.
"""

import os
import re
from pathlib import Path

import nbformat
import pytest
from nbconvert import HTMLExporter

from coursebook import build_site, find_lessons
from coursebook.build import _check_no_errors, index_html, render_page
from coursebook.execute import CLOSED_WIDGETS, LessonError, execute_notebook
from coursebook.placeholders import NOTE_CLASS, NOTE_TEXT, WIDGET_STATE, WIDGET_VIEW, replace_widgets

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
BUILT = ("00-start-here", "01-perceptrons-and-sigmoid-neurons")
IMAGE = re.compile(r'<img [^>]*src="data:image/png;base64,')
NOTE = f'class="{NOTE_CLASS}"'


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site") / "html"
    build_site(NOTEBOOKS, out, names=BUILT, log=lambda line: None)
    return out


def _page(site, stem):
    return (site / f"{stem}.html").read_text(encoding="utf-8")


def _source(stem):
    return nbformat.read(NOTEBOOKS / f"{stem}.ipynb", as_version=4)


def test_every_notebook_is_a_lesson_in_book_order_and_in_the_index():
    lessons = find_lessons(NOTEBOOKS)
    on_disk = sorted(p.name for p in NOTEBOOKS.glob("*.ipynb"))
    assert sorted(lesson.path.name for lesson in lessons) == on_disk   # a new notebook joins by itself
    numbers = [lesson.number for lesson in lessons]
    assert numbers == sorted(numbers)
    index = index_html(lessons)
    positions = [index.index(f'href="{lesson.page}"') for lesson in lessons]
    assert positions == sorted(positions)
    for lesson in lessons:
        assert lesson.title and lesson.title in index
        assert not re.match(r"\d", lesson.title), "the lesson number is shown in its own column"
    by_name = {lesson.path.stem: lesson for lesson in lessons}
    assert by_name["00-start-here"].chapter == ""
    assert by_name["02-gradient-descent"].chapter == "1"
    assert by_name["05-cross-entropy-and-softmax"].chapter == "3"
    assert by_name["11-beyond-plain-sgd"].chapter == "3, 5 and 6"


@pytest.mark.slow
def test_every_built_lesson_has_a_page_and_the_index_links_it(site):
    assert sorted(p.name for p in site.iterdir()) == sorted([f"{s}.html" for s in BUILT] + ["index.html"])
    index = (site / "index.html").read_text(encoding="utf-8")
    for stem in BUILT:
        assert f'href="{stem}.html"' in index
        page = _page(site, stem)
        assert 'href="index.html"' in page   # every page leads back to the contents


@pytest.mark.slow
def test_pages_hold_their_plots_and_rendered_markdown(site):
    for stem in BUILT:
        page = _page(site, stem)
        assert len(IMAGE.findall(page)) >= 2, f"{stem}: its plots are missing"
        assert "MathJax" in page
        heading = _source(stem).cells[0].source.splitlines()[0].lstrip("# ")
        assert heading.split("·")[-1].strip() in page


STDERR = re.compile(r'data-mime-type="application/vnd.jupyter.stderr"[^>]*>(.*?)</div>', re.S)


def _errors_shown(page):
    """What a rendered page shows of errors: tracebacks anywhere in its body, error names on stderr."""
    body = page[page.index("<body"):]
    shown = [m.group(0) for m in re.finditer(r".{0,300}Traceback.{0,300}", body, re.S)]
    shown += [text for text in STDERR.findall(body) if re.search(r"\w+Error\b", text)]
    return shown


@pytest.mark.slow
def test_no_page_holds_an_error(site):
    for stem in BUILT:
        assert _errors_shown(_page(site, stem)) == [], f"{stem} shows an error"


def test_the_error_check_sees_an_error_output():
    error = nbformat.v4.new_output("error", ename="ValueError", evalue="bad eta", traceback=[
        "\x1b[31mValueError\x1b[39m   Traceback (most recent call last)", "ValueError: bad eta"])
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("f()", outputs=[error])])
    page = render_page(notebook, "t", HTMLExporter(template_name="lab"))
    assert _errors_shown(page)


@pytest.mark.slow
def test_folded_solutions_stay_folded(site):
    stem = "01-perceptrons-and-sigmoid-neurons"
    in_notebook = sum(c.source.count("<summary>Solution</summary>") for c in _source(stem).cells
                      if c.cell_type == "markdown")
    assert in_notebook >= 1
    page = _page(site, stem)
    assert len(re.findall(r"<details>\s*<summary>Solution</summary>", page)) == in_notebook
    assert "<details open" not in page


@pytest.mark.slow
def test_widgets_become_notes_followed_by_what_they_drew(site):
    stem = "01-perceptrons-and-sigmoid-neurons"
    widget_cells = [c for c in _source(stem).cells if c.cell_type == "code" and "interact(" in c.source]
    page = _page(site, stem)
    assert page.count(NOTE) == len(widget_cells) >= 1
    after_note = page[page.index(NOTE):]
    assert IMAGE.search(after_note[:3000]), "the slider's first plot should follow its note"
    for stem in BUILT:
        page = _page(site, stem)
        assert "widget-view+json" not in page and "Box(children" not in page
    # lesson 00 trains with a progress bar, which closes itself when done: no note for it
    assert _page(site, "00-start-here").count(NOTE) == 0


def _widget_notebook(closed=False):
    """A notebook with one slider box whose Output widget drew an image, as nbclient saves it."""
    view = nbformat.v4.new_output("display_data", data={
        WIDGET_VIEW: {"model_id": "box", "version_major": 2, "version_minor": 0},
        "text/plain": "VBox(children=(FloatSlider(value=1.0), Output()))"})
    image = {"output_type": "display_data", "data": {"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"},
             "metadata": {}}
    states = {"box": {"_model_name": "VBoxModel", "children": ["IPY_MODEL_slider", "IPY_MODEL_out"]},
              "slider": {"_model_name": "FloatSliderModel", "value": 1.0},
              "out": {"_model_name": "OutputModel", "outputs": [image]}}
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("interact(f)", outputs=[view])])
    notebook.metadata["widgets"] = {WIDGET_STATE: {"state": {k: {"state": v} for k, v in states.items()}}}
    notebook.metadata[CLOSED_WIDGETS] = ["box"] if closed else []
    return notebook


def test_a_widget_view_becomes_a_note_and_its_captured_plot():
    notebook = _widget_notebook()
    assert replace_widgets(notebook) == 1
    outputs = notebook.cells[0].outputs
    assert [o.output_type for o in outputs] == ["display_data", "display_data"]
    assert NOTE_TEXT in outputs[0].data["text/html"]
    assert outputs[1].data["image/png"] == "iVBORw0KGgo="
    assert "widgets" not in notebook.metadata   # the page loads no widget code


def test_a_closed_widget_vanishes():
    notebook = _widget_notebook(closed=True)
    assert replace_widgets(notebook) == 0
    assert notebook.cells[0].outputs == []


def test_an_error_captured_by_a_widget_stops_the_build():
    notebook = _widget_notebook()
    notebook.metadata["widgets"][WIDGET_STATE]["state"]["out"]["state"]["outputs"] = [
        {"output_type": "error", "ename": "ValueError", "evalue": "eta must be positive", "traceback": []}]
    replace_widgets(notebook)
    with pytest.raises(LessonError, match="ValueError: eta must be positive"):
        _check_no_errors(notebook, "x.ipynb")


def test_a_traceback_printed_to_stderr_stops_the_build():
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("run()", outputs=[
        nbformat.v4.new_output("stream", name="stderr",
                               text="Exception in thread Thread-3:\nTraceback (most recent call last):\n")])])
    with pytest.raises(LessonError, match="x.ipynb: cell 0 printed a traceback"):
        _check_no_errors(notebook, "x.ipynb")


@pytest.mark.slow
def test_a_failing_lesson_stops_the_build_and_keeps_the_old_site(tmp_path):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    nbformat.write(nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# 1 · Broken"), nbformat.v4.new_code_cell("1 / 0")]),
        notebooks / "01-broken.ipynb")
    out = tmp_path / "html"
    out.mkdir()
    (out / "index.html").write_text("the previous site")
    with pytest.raises(LessonError, match="01-broken.ipynb: a cell raised ZeroDivisionError: division by"):
        build_site(notebooks, out, log=lambda line: None)
    assert (out / "index.html").read_text() == "the previous site"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["html", "notebooks"]   # no half-built folder
    with pytest.raises(ValueError, match="names: \\['99-missing'\\] are not lessons"):
        build_site(notebooks, out, names=["99-missing"])


@pytest.mark.slow
@pytest.mark.skipif(os.name == "nt", reason="Windows has no IPC sockets for the kernel")
def test_lessons_run_in_a_kernel_reached_over_local_sockets(tmp_path):
    path = tmp_path / "transport.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "from ipykernel.kernelapp import IPKernelApp\nprint(IPKernelApp.instance().transport)")]), path)
    ran = execute_notebook(path, timeout=60)
    assert ran.cells[0].outputs[0]["text"] == "ipc\n"   # no TCP port, no warning about encryption

