"""The course's web site (``make html``): lessons executed and rendered, sliders that move.

The whole course takes minutes to execute, so the pipeline is proved on two real lessons (lesson 00:
plots and a training run whose progress bar closes itself; lesson 01: plots, folded solutions and a
slider widget, precomputed), while the index is checked against every notebook in ``notebooks/``.
Where the site may be written, partial builds, and failures that must end in a clear message are
proved on small notebooks made here. ``browser_tests/test_site_offline.py`` opens the pages in
Chromium with the network off.
"""

import hashlib
import json
import os
import re
import time
from pathlib import Path

import nbformat
import pytest

from coursebook import build_site, find_lessons
from coursebook.__main__ import main
from coursebook.build import _check_no_errors, exporter, index_html, render_page
from coursebook.execute import CLOSED_WIDGETS, LessonError, execute_notebook
from coursebook.placeholders import NOTE_CLASS, NOTE_TEXT, WIDGET_STATE, WIDGET_VIEW, replace_widgets
from coursebook.site_folder import MARKER, SiteFolderError
from coursebook.sliders import FRAMES_CLASS

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
BUILT = ("00-start-here", "01-perceptrons-and-sigmoid-neurons")
IMAGE = re.compile(r'<img [^>]*src="data:image/png;base64,')
NOTE = f'class="{NOTE_CLASS}"'


#: frames per widget in these tests (3 values for each of lesson 01's two sliders): enough to move
BUDGET = 9


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site") / "html"
    build_site(NOTEBOOKS, out, names=BUILT, budget=BUDGET, log=lambda line: None)
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
    assert by_name["13-recurrent-networks"].chapter == "6"


@pytest.mark.slow
def test_every_built_lesson_has_a_page_and_the_index_links_it(site):
    assert sorted(p.name for p in site.iterdir()) == sorted(
        [f"{s}.html" for s in BUILT] + ["index.html", "static", ".coursebook-site",
                                        "01-perceptrons-and-sigmoid-neurons_files"])
    index = (site / "index.html").read_text(encoding="utf-8")
    for stem in BUILT:
        assert f'href="{stem}.html"' in index
        page = _page(site, stem)
        assert 'href="index.html"' in page   # every page leads back to the contents
    # the lessons not built are listed too, with the command that builds them
    assert "python -m coursebook 02-gradient-descent" in index
    assert 'href="02-gradient-descent.html"' not in index


@pytest.mark.slow
def test_pages_hold_their_plots_and_rendered_markdown(site):
    for stem in BUILT:
        page = _page(site, stem)
        assert len(IMAGE.findall(page)) >= 2, f"{stem}: its plots are missing"
        # the site's own MathJax, and nothing else from the network
        assert re.search(r'<script defer(="")? src="static/mathjax/tex-svg-full.js">', page)
        assert not re.findall(r'<(?:script|link)[^>]+(?:src|href)="(?:https?:)?//', page)
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
    page = render_page(notebook, "t", exporter())
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


def _frames_data(block):
    text = re.search(r'<script [^>]*class="coursebook-frames-data"[^>]*>(.*?)</script>', block, re.S).group(1)
    return json.loads(text.replace("<\\/", "</"))


@pytest.mark.slow
def test_a_slider_widget_moves_through_frames_drawn_at_build_time(site):
    stem = "01-perceptrons-and-sigmoid-neurons"
    widget_cells = [c for c in _source(stem).cells
                    if c.cell_type == "code" and re.search(r"\b(interact(ive)?|explorer)\(", c.source)]
    page = _page(site, stem)
    assert page.count(f'class="{FRAMES_CLASS}"') == len(widget_cells) == 1
    assert page.count(NOTE) == 1                # the note says what the controls do here
    block = page[page.index(f'class="{FRAMES_CLASS}"'):]
    assert block.count('type="range"') == 2     # w and b
    data = _frames_data(block)
    assert [len(labels) for labels in data["labels"]] == [3, 3] and len(data["frames"]) == BUDGET
    assert data["labels"][0] == ["-10.00", "1.00", "10.00"]     # both ends and the start value
    pictures = [re.findall(r'src="([^"]+\.png)"', data["html"][i]) for i in data["frames"]]
    assert all(len(p) == 1 for p in pictures)
    files = [site / p[0] for p in pictures]
    assert all(f.is_file() for f in files)
    # every setting draws its own picture: w and b change the curve (or where it crosses 1/2)
    assert len({hashlib.sha256(f.read_bytes()).hexdigest() for f in files}) == BUDGET
    # the page shows the start values' picture until a slider moves (w = 1, b = 0: setting 1*3+1)
    start = re.search(r'<div class="coursebook-frame">(.*?)</div>', block, re.S).group(1)
    assert pictures[4][0] in start
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
    assert replace_widgets(notebook) == (1, 0)
    outputs = notebook.cells[0].outputs
    assert [o.output_type for o in outputs] == ["display_data", "display_data"]
    assert NOTE_TEXT in outputs[0].data["text/html"]
    assert outputs[1].data["image/png"] == "iVBORw0KGgo="
    assert "widgets" not in notebook.metadata   # the page loads no widget code


def test_a_closed_widget_vanishes():
    notebook = _widget_notebook(closed=True)
    assert replace_widgets(notebook) == (0, 0)
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
    (out / MARKER).write_text("")
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



# ------------------------------------------------------------------ where the site may be written


def _lessons(folder, sources):
    """Small lessons in ``folder``: {"01-a": "code", ...}, each with a title and one code cell."""
    folder.mkdir(parents=True, exist_ok=True)
    for stem, code in sources.items():
        nbformat.write(nbformat.v4.new_notebook(cells=[
            nbformat.v4.new_markdown_cell(f"# {stem[:2]} · Lesson {stem[3:]}\n\nAbout $x^2$."),
            nbformat.v4.new_code_cell(code)]), folder / f"{stem}.ipynb")
    return folder


def _snapshot(folder):
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_out_refuses_what_the_builder_did_not_make_and_deletes_nothing(tmp_path, capsys):
    notebooks = _lessons(tmp_path / "course" / "notebooks", {"01-a": "print(1)"})
    checkout = tmp_path / "course"
    (checkout / ".git").mkdir()
    (checkout / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    thesis = tmp_path / "thesis"
    thesis.mkdir()
    (thesis / "chapter1.tex").write_text("years of work")
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes")
    link = tmp_path / "link"
    link.symlink_to(thesis)
    before = _snapshot(tmp_path)
    for out, says in [(thesis, "a folder the site builder did not make"),
                      (checkout, "a folder the site builder did not make"),
                      (notebooks, "a folder the site builder did not make"),
                      (notes, "is a file, not a folder"),
                      (link, "is a link, not a folder")]:
        assert main(["--notebooks", str(notebooks), "--out", str(out)]) == 1
        err = capsys.readouterr().err
        assert says in err and str(out) in err and "Traceback" not in err
        with pytest.raises(SiteFolderError):
            build_site(notebooks, out, log=lambda line: None)
    assert main(["--notebooks", str(notebooks), "--out", "."]) == 1    # the current folder
    assert "a folder the site builder did not make" in capsys.readouterr().err
    assert _snapshot(tmp_path) == before and notes.is_file() and link.is_symlink()
    assert not any(p.name.startswith((".html-", ".old-")) for p in tmp_path.rglob("*"))


@pytest.mark.slow
def test_out_may_be_new_empty_or_a_site_the_builder_made(tmp_path):
    notebooks = _lessons(tmp_path / "notebooks", {"01-a": "print('first')"})
    empty = tmp_path / "empty"
    empty.mkdir()
    new = tmp_path / "new" / "html"
    for out in (empty, new):
        build_site(notebooks, out, frames=False, log=lambda line: None)
        assert (out / MARKER).is_file() and (out / "01-a.html").is_file()
    (new / "01-a.html").write_text("stale")
    build_site(notebooks, new, frames=False, log=lambda line: None)     # marked: replaced whole
    assert "first" in (new / "01-a.html").read_text()
    # a site of the builder before it marked its folders: only its index and lesson pages
    old = tmp_path / "old"
    old.mkdir()
    (old / "index.html").write_text(index_html(find_lessons(notebooks)))
    (old / "01-a.html").write_text("an old page")
    build_site(notebooks, old, frames=False, log=lambda line: None)
    assert (old / MARKER).is_file()
    (old / MARKER).unlink()
    (old / "thesis.tex").write_text("mine")                  # no longer only the builder's pages
    with pytest.raises(SiteFolderError, match="did not make"):
        build_site(notebooks, old, frames=False, log=lambda line: None)


@pytest.mark.slow
def test_building_some_lessons_keeps_the_other_pages_and_lists_every_lesson(tmp_path):
    notebooks = _lessons(tmp_path / "notebooks", {"01-a": "print('a, first build')",
                                                   "02-b": "print('b, first build')",
                                                   "03-c": "print('c, first build')"})
    out = tmp_path / "html"
    build_site(notebooks, out, names=["01-a", "02-b"], frames=False, log=lambda line: None)
    index = (out / "index.html").read_text()
    assert 'href="01-a.html"' in index and 'href="02-b.html"' in index
    assert 'href="03-c.html"' not in index and "python -m coursebook 03-c" in index
    assert 'href="03-c.html"' not in (out / "02-b.html").read_text()    # no link to a missing page
    page_a = (out / "01-a.html").read_bytes()
    _lessons(notebooks, {"02-b": "print('b, second build')", "03-c": "print('c, second build')"})
    lines = []
    build_site(notebooks, out, names=["03-c"], frames=False, log=lines.append)
    assert (out / "01-a.html").read_bytes() == page_a                  # kept as it was
    assert "b, first build" in (out / "02-b.html").read_text()          # not rebuilt
    assert "c, second build" in (out / "03-c.html").read_text()
    index = (out / "index.html").read_text()
    assert all(f'href="{stem}.html"' in index for stem in ("01-a", "02-b", "03-c"))
    assert lines[-1].endswith("keeping 2 page(s) built before")
    # a lesson that is gone loses its page at the next build
    (notebooks / "01-a.ipynb").unlink()
    build_site(notebooks, out, names=["02-b"], frames=False, log=lambda line: None)
    assert not (out / "01-a.html").exists() and "01-a" not in (out / "index.html").read_text()
    assert (out / "03-c.html").is_file()


# ------------------------------------------------------------------ failures end in a clear message


@pytest.mark.parametrize("value", ["0", "-5", "nan", "soon"])
def test_timeout_must_be_a_limit(value, capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--timeout", value])
    assert stop.value.code == 2
    assert "--timeout must be a number above 0" in capsys.readouterr().err
    if value != "soon":
        with pytest.raises(ValueError, match="timeout: .* above 0"):
            build_site(timeout=float(value))


@pytest.mark.slow
@pytest.mark.parametrize("code, says", [
    ("import time\ntime.sleep(60)", "01-a.ipynb, cell 1: the cell was still running after 3.0 s"),
    ("import os\nos._exit(3)", "01-a.ipynb, cell 1: the kernel died while the cell ran"),
])
def test_a_hung_cell_or_a_dead_kernel_is_a_message_not_a_traceback(tmp_path, capsys, code, says):
    notebooks = _lessons(tmp_path / "notebooks", {"01-a": code})
    out = tmp_path / "html"
    started = time.monotonic()
    assert main(["--notebooks", str(notebooks), "--out", str(out), "--timeout", "3"]) == 1
    assert time.monotonic() - started < 30
    err = capsys.readouterr().err
    assert says in err and "Traceback" not in err and len(err.splitlines()) == 1
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["notebooks"]


def test_an_out_that_cannot_be_written_is_a_message(tmp_path, capsys, monkeypatch):
    notebooks = _lessons(tmp_path / "notebooks", {"01-a": "print(1)"})

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(tmp_path / "locked"))

    monkeypatch.setattr("coursebook.site_folder.tempfile.mkdtemp", refuse)
    assert main(["--notebooks", str(notebooks), "--out", str(tmp_path / "locked" / "html")]) == 1
    err = capsys.readouterr().err
    assert "cannot write there (Permission denied" in err and "Traceback" not in err


@pytest.mark.skipif(os.name == "nt" or os.geteuid() == 0, reason="root may write anywhere")
def test_a_read_only_parent_folder_is_a_message(tmp_path, capsys):
    notebooks = _lessons(tmp_path / "notebooks", {"01-a": "print(1)"})
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        assert main(["--notebooks", str(notebooks), "--out", str(locked / "html")]) == 1
    finally:
        locked.chmod(0o755)
    assert "cannot write there (Permission denied" in capsys.readouterr().err


def test_the_site_carries_mathjax_unchanged():
    shipped = Path(__file__).resolve().parents[1] / "coursebook" / "static" / "mathjax"
    digest = hashlib.sha256((shipped / "tex-svg-full.js").read_bytes()).hexdigest()
    assert digest == "a4354ff94fd868aea0cc6eaaa79a57fda0588646fc46ee3700a349ee0a11cbe6"
    assert digest in (shipped / "README.md").read_text()
    assert "Apache License" in (shipped / "LICENSE").read_text()


# ------------------------------------------------------------------ which values a slider offers


def test_a_widgets_controls_get_a_few_values_within_the_budget():
    import ipywidgets as widgets

    from coursebook.frames import NotPrecomputable, plan, sample, settings

    def interactive(**controls):
        return widgets.interactive(lambda **kw: None, **controls)

    # one slider of 101 values: up to the budget, both ends and the start value among them
    controls = plan(interactive(s=widgets.FloatSlider(value=0.3, min=0, max=1, step=0.01)), budget=25)
    assert len(controls[0]["labels"]) == 25
    assert controls[0]["labels"][0] == "0.00" and controls[0]["labels"][-1] == "1.00"
    assert controls[0]["labels"][controls[0]["start"]] == "0.30"
    # two sliders share the budget; a drop-down keeps every option; log sliders read as they show
    controls = plan(interactive(w=widgets.FloatLogSlider(value=8.0, base=10, min=0, max=3, step=0.05),
                                b=widgets.IntSlider(value=2, min=0, max=5),
                                cost=widgets.Dropdown(options=["quadratic", "cross_entropy"])), budget=40)
    counts = [len(c["labels"]) for c in controls]
    assert counts[2] == 2 and counts[0] * counts[1] * 2 <= 40 and min(counts[:2]) >= 3
    assert controls[0]["labels"][controls[0]["start"]] == "8"     # 10 ** 0.9, the start, kept
    assert len(settings([{**c, "values": c["labels"]} for c in controls])) == counts[0] * counts[1] * 2
    # too many controls for the budget, or a control that is not a choice: the still picture
    with pytest.raises(NotPrecomputable, match="5 sliders need more than 100 frames"):
        plan(interactive(**{f"h{i}": widgets.FloatSlider() for i in range(5)}), budget=100)
    with pytest.raises(NotPrecomputable, match="a Text control"):
        plan(interactive(name=widgets.Text("x")))
    assert sample(list(range(10)), 4, 3) == [0, 4, 9]


def test_the_frame_budget_must_be_a_number_of_pictures(capsys):
    for budget in (0, -3, 2.5, True):
        with pytest.raises(ValueError, match="budget: .* at least 1"):
            build_site(budget=budget)
    with pytest.raises(SystemExit):
        main(["--frames", "0"])
    assert "--frames must be a number above 0" in capsys.readouterr().err


@pytest.mark.slow
def test_a_widget_whose_function_a_later_cell_changed_stays_still(tmp_path):
    """The pictures are drawn after the lesson's last cell; if a later cell changed what the
    widget's function draws, its start picture would not be what its cell showed: it stays still."""
    widget = ("import matplotlib.pyplot as plt\nimport ipywidgets as widgets\nscale = 1.0\n"
              "def show(k=1):\n    plt.figure(figsize=(2, 1))\n    plt.plot([0, 1], [0, k * scale])\n"
              "    plt.show()\n"
              "widgets.interact(show, k=widgets.IntSlider(value=1, min=0, max=2));")
    notebooks = _lessons(tmp_path / "notebooks", {"01-a": widget, "02-b": widget})
    later = nbformat.read(notebooks / "02-b.ipynb", as_version=4)
    later.cells.append(nbformat.v4.new_code_cell("scale = 5.0"))
    nbformat.write(later, notebooks / "02-b.ipynb")
    out, lines = tmp_path / "html", []
    build_site(notebooks, out, budget=3, log=lines.append)
    assert "1 widget(s) with moving sliders, 0 shown still" in lines[0]
    assert "0 widget(s) with moving sliders, 1 shown still" in lines[1]
    assert "a later cell changed what its function draws" in lines[1]
    assert f'class="{FRAMES_CLASS}"' in (out / "01-a.html").read_text()
    assert NOTE_TEXT in (out / "02-b.html").read_text()
    assert len(list((out / "01-a_files").iterdir())) == 3 and not (out / "02-b_files").exists()
