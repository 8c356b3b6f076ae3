"""Tests for nbhelpers.widgets.explorers: the lessons' interactive plots, and their thread safety.

JupyterLab runs widget callbacks in a kernel subshell, a thread of their own, while cells run in
the main thread; these tests make the same situation with plain threads.
"""

import json
import pathlib
import re
import threading
import time

import ipywidgets as widgets
import numpy as np
import pytest

import nbhelpers.widgets.explorers as explorer_module
from nbhelpers.widgets import explorer, sweep

NOTEBOOKS = pathlib.Path(__file__).resolve().parent.parent / "notebooks"


@pytest.mark.slow
def test_concurrent_log_axes_draw_without_parse_errors():
    # Three threads lay out log-scale tick labels ($10^{-8}$ ...) at once, each at font sizes of
    # its own so that mathtext's cache cannot hide the parsing. Unguarded, nearly every draw fails
    # with a ParseException (measured: 118 of 120, and all 18 draws of this test).
    from matplotlib.figure import Figure

    explorer_module.guard_mathtext()
    errors, start = [], threading.Barrier(3)

    def draw(thread):
        start.wait()
        for i in range(6):
            try:
                fig = Figure(figsize=(4, 3))
                ax = fig.subplots()
                ax.semilogy(np.geomspace(1e-12, 1, 20))
                ax.tick_params(labelsize=5 + thread + 3 * i + np.random.default_rng(i).random())
                fig.tight_layout()
            except Exception as exc:  # collected: a thread's exception would be lost
                errors.append(f"{type(exc).__name__}: {exc}"[:200])

    threads = [threading.Thread(target=draw, args=(k,)) for k in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors[:3]


def test_guard_is_installed_once():
    from matplotlib.mathtext import MathTextParser

    explorer_module.guard_mathtext()
    guarded = MathTextParser.parse
    explorer_module.guard_mathtext()
    assert MathTextParser.parse is guarded and guarded._nbhelpers_guarded


def test_a_callback_from_another_thread_waits_for_the_running_cell():
    calls = []
    slider = widgets.IntSlider(value=0, min=0, max=5)
    w = explorer(lambda x: calls.append((x, threading.current_thread().name)), x=slider)
    assert calls == [(0, threading.current_thread().name)]      # drawn once, at once
    explorer_module._cell_starts()                # the main thread starts executing a cell
    try:
        mover = threading.Thread(target=setattr, args=(slider, "value", 3), name="subshell")
        mover.start()
        time.sleep(0.3)
        assert len(calls) == 1, "the callback drew while a cell was running"
    finally:
        explorer_module._cell_ends()              # the cell ends: the callback may draw now
    mover.join(timeout=30)
    assert calls[-1] == (3, "subshell") and w.kwargs == {"x": 3}


def test_cell_end_without_its_start_is_harmless():
    explorer_module._cell_ends()                  # hooks registered in the middle of a cell
    assert explorer_module.DRAWING.acquire(blocking=False)
    explorer_module.DRAWING.release()


def test_the_return_value_is_never_shown():
    # interact() displays what the function returns under its plot (array([...]) in a lesson)
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output

    shell = InteractiveShell.instance()
    try:
        with capture_output() as shown:
            result = shell.run_cell(
                "import ipywidgets as widgets, numpy as np\n"
                "from nbhelpers.widgets import explorer\n"
                "def draw(n):\n"
                "    print('drawn', n)\n"
                "    return np.arange(n)\n"
                "w = explorer(draw, n=widgets.IntSlider(value=3, min=1, max=5))\n"
                "w.kwargs_widgets[0].value = 5\n", silent=True)
        assert result.success
        printed = shown.stdout.replace("\x1b[2K", " ").split()      # clear_output's escape code
        assert printed == ["drawn", "3", "drawn", "5"]                 # it drew, twice
        assert not shown.outputs and "array" not in shown.stdout
    finally:
        explorer_module._cell_ends()
        InteractiveShell.clear_instance()


def test_sweep_tries_every_end_and_option_and_puts_the_values_back():
    # and it redraws only after moving all of them, and only as often as the longest list
    seen = []
    w = explorer(lambda a, b, name: seen.append((a, b, name)),
                 a=widgets.IntSlider(value=2, min=0, max=9),
                 b=widgets.FloatLogSlider(value=0.01, base=10, min=-4, max=0),
                 name=widgets.Dropdown(options=["x", "y", "z"], value="y"))
    seen.clear()
    shown = w.out
    assert sweep(w) == 3                       # the longest list: each redraw moves every control
    assert w.out is shown and w.children[-1] is shown      # the plot on show was left alone
    assert len(seen) == 3 and {s[0] for s in seen} == {0, 9}
    assert min(s[1] for s in seen) == pytest.approx(1e-4) and max(s[1] for s in seen) == 1
    assert {s[2] for s in seen} == {"x", "y", "z"}
    assert w.kwargs == {"a": 2, "b": pytest.approx(0.01), "name": "y"}


def test_sweep_fails_naming_the_setting_that_raised():
    def draw(eta):
        if eta > 0.5:
            raise ValueError("diverged at the top of the slider")

    w = explorer(draw, eta=widgets.FloatSlider(value=0.1, min=0.0, max=1.0))
    with pytest.raises(AssertionError, match=r"draw\(\{'eta': 1\.0\}\) raised(.|\n)*diverged"):
        sweep(w)
    assert w.kwargs == {"eta": 0.1}


def test_sweep_catches_a_raise_inside_ipython():
    # in IPython the Output widget shows an exception and swallows it: sweep must still see it
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    try:
        result = shell.run_cell(
            "import ipywidgets as widgets\n"
            "from nbhelpers.widgets import explorer, sweep\n"
            "def draw(h):\n"
            "    assert h < 30, 'raised at the top of the slider'\n"
            "w = explorer(draw, h=widgets.FloatSlider(value=1.0, min=0.5, max=30.0))\n"
            "sweep(w)\n", silent=True)
        assert isinstance(result.error_in_exec, AssertionError)
        assert "raised at the top of the slider" in str(result.error_in_exec)
        assert len(shell.user_ns["w"].errors) == 1
    finally:
        explorer_module._cell_ends()
        InteractiveShell.clear_instance()
    free = []
    probe = threading.Thread(target=lambda: free.append(explorer_module.DRAWING.acquire(timeout=5)))
    probe.start()
    probe.join()
    assert free == [True], "the cell hooks left DRAWING held"


def test_sweep_rejects_a_plain_interactive():
    with pytest.raises(TypeError, match="widget: expected an explorer"):
        sweep(widgets.interactive(lambda x: None, x=widgets.IntSlider()))


def lesson_cells():
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        cells = json.loads(path.read_text())["cells"]
        yield path.name, ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]


def test_every_lesson_widget_is_an_explorer_swept_by_a_check():
    # interact() shows a function's return value under its plot, and a bare interactive() is
    # not swept: every lesson's interactive plot is an explorer, and a check cell after the last
    # one sweeps them all, so an explorer that raises anywhere on its sliders fails the lesson.
    with_explorers = []
    for name, sources in lesson_cells():
        for source in sources:
            assert not re.search(r"\binteract(ive)?\(|@interact", source), \
                f"{name}: use nbhelpers.widgets.explorer, not ipywidgets' interact/interactive"
        made = [i for i, s in enumerate(sources) if re.search(r"\bexplorer\(", s)]
        if made:
            with_explorers.append(name)
            swept = [i for i, s in enumerate(sources) if s.startswith("# CHECK") and "sweep()" in s]
            assert swept and swept[-1] > made[-1], f"{name}: no check cell sweeps its explorers"
    assert len(with_explorers) >= 6, with_explorers
