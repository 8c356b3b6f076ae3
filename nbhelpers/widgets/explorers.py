"""The lessons' explorers: a plot redrawn by a function whenever its sliders move, safe in threads.

``explorer(function, **controls)`` is ``ipywidgets.interactive`` (the function's return value is
never shown under the plot) with two guards, because JupyterLab (4.4 and later, with ipykernel 7)
runs widget callbacks in a kernel *subshell*: a thread of their own, at the same time as the cells
of a "Run All" or a slow cell. Nothing in matplotlib is made for that:

- mathtext's parser is one shared object holding per-parse state (and pyparsing's packrat cache is
  global), so two threads laying out labels such as ``$10^{-8}$`` at once make one of them fail
  with a ``ParseException``. ``guard_mathtext()`` puts one lock around ``MathTextParser.parse``.
- pyplot's "current figure" and the inline backend's ``plt.show()`` are global: a callback's
  ``plt.tight_layout()`` could lay out the figure a cell is building, and its ``plt.show()`` shows
  and closes every open figure, a cell's half-drawn one included.

So an explorer's callback holds ``DRAWING``, a lock the kernel's main thread also holds from the
start to the end of every cell it executes (IPython's ``pre_execute``/``post_execute`` events): a
slider moved during a "Run All" redraws when the cells are done, as it did before subshells. The
lock is re-entrant, so a callback run by the main thread itself (the first draw, a check cell
that moves a slider) never waits for itself. The trainer panel's background thread draws on a
figure of its own and takes only the mathtext lock, so a cell may wait for it.

``sweep(widget)`` (or ``sweep()`` for every explorer made so far) redraws an explorer with every
control at each of its ends (and every option of a drop-down), puts the values back, and raises
``AssertionError`` naming each setting whose redraw raised. Lessons run it in a check
cell, so a lesson whose explorer fails anywhere on its sliders fails its test.

Used by: notebooks 01, 02, 05, 08, 09 and 11; ``widgets.drawing`` (the mathtext lock).
"""

from __future__ import annotations

import functools
import itertools
import threading
import traceback
import weakref

__all__ = ["explorer", "sweep", "guard_mathtext", "DRAWING"]

DRAWING = threading.RLock()          # held by explorer callbacks and by the main thread's cells
_MATHTEXT = threading.RLock()        # held while mathtext parses
_EXPLORERS = weakref.WeakValueDictionary()   # every explorer made, by creation number
_numbers = itertools.count()
_held_by_cell = threading.local()    # how many cells the main thread is inside (0 or 1)


def guard_mathtext():
    """Serialise matplotlib's mathtext parsing with one lock (idempotent); see the module docstring."""
    from matplotlib.mathtext import MathTextParser

    parse = MathTextParser.parse
    if getattr(parse, "_nbhelpers_guarded", False):
        return

    @functools.wraps(parse)
    def guarded(self, *args, **kwargs):
        with _MATHTEXT:
            return parse(self, *args, **kwargs)

    guarded._nbhelpers_guarded = True
    MathTextParser.parse = guarded


def _cell_starts(*_):
    DRAWING.acquire()
    _held_by_cell.depth = getattr(_held_by_cell, "depth", 0) + 1


def _cell_ends(*_):
    # post_execute may come without its pre_execute (the hooks were registered mid-cell)
    if getattr(_held_by_cell, "depth", 0) > 0:
        _held_by_cell.depth -= 1
        DRAWING.release()


def _hold_during_cells():
    """Register the cell hooks once per IPython session (nothing outside IPython)."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with ipywidgets
        return
    shell = get_ipython()
    if shell is None or getattr(shell, "_nbhelpers_drawing_hooks", False):
        return
    shell.events.register("pre_execute", _cell_starts)
    shell.events.register("post_execute", _cell_ends)
    shell._nbhelpers_drawing_hooks = True
    if threading.current_thread() is threading.main_thread():
        _cell_starts()    # this cell too: its post_execute will release it


def _explorer_class():
    import ipywidgets as widgets
    from IPython import get_ipython
    from IPython.display import clear_output
    from ipywidgets.widgets.interaction import show_inline_matplotlib_plots

    class Explorer(widgets.interactive):
        """``ipywidgets.interactive`` whose redraws hold ``DRAWING``, never show the function's
        return value, and remember their errors."""

        def __init__(self, function, **controls):
            self.errors = []            # (kwargs, traceback text) of every redraw that raised
            super().__init__(function, **controls)

        def update(self, *args):
            # interactive.update, holding DRAWING and recording what goes wrong anywhere in it
            with DRAWING:
                self.kwargs = {}
                try:
                    show_inline_matplotlib_plots()
                    with self.out:   # in IPython the Output shows an exception and swallows it
                        try:
                            if self.clear_output:
                                clear_output(wait=True)
                            for control in self.kwargs_widgets:
                                self.kwargs[control._kwarg] = control.get_interact_value()
                            self.f(**self.kwargs)          # what it returns is never shown
                            show_inline_matplotlib_plots()
                        except Exception as exc:
                            self._record(exc)
                            raise
                except Exception as exc:   # outside the Output, or outside IPython
                    self._record(exc)
                    shell = get_ipython()
                    if shell is None:
                        self.log.warning("Exception in explorer callback: %s", exc, exc_info=True)
                    else:
                        shell.showtraceback()

        def _record(self, exc):
            if not getattr(exc, "_nbhelpers_recorded", False):
                exc._nbhelpers_recorded = True
                self.errors.append((dict(self.kwargs), traceback.format_exc()))

    return Explorer


@functools.lru_cache(maxsize=None)
def _explorer_type():
    return _explorer_class()


def explorer(function, **controls):
    """An interactive plot: ``function(**values)`` draws, and is called again when a control moves.

    Args:
        function: draws (pyplot and ``plt.show()`` are fine); what it returns is ignored.
        **controls: one ipywidgets control (or abbreviation, as for ``interact``) per argument.

    Returns:
        the widget (an ``ipywidgets.interactive``): the last expression of a cell shows it; its
        ``kwargs`` are the current values and its ``errors`` the failed redraws.
    """
    guard_mathtext()
    _hold_during_cells()
    widget = _explorer_type()(function, **controls)
    _EXPLORERS[next(_numbers)] = widget
    return widget


def _settings(control):
    """The values a sweep tries for one control: both ends of a slider, every option of a list."""
    options = getattr(control, "options", None)
    if options is not None:
        labels = getattr(control, "_options_values", None) or [
            option[1] if isinstance(option, tuple) else option for option in options]
        return list(labels)
    if hasattr(control, "min") and hasattr(control, "max"):
        if type(control).__name__ == "FloatLogSlider":
            return [control.base ** control.min, control.base ** control.max]
        return [control.min, control.max]
    if isinstance(control.value, bool):
        return [False, True]
    return []


def sweep(widget=None):
    """Redraw an explorer (None: every explorer made so far) at every end of every control.

    Every control takes each of its sweep values (both ends of a slider, every option of a list)
    in at least one redraw: redraw k puts each control at its k-th value (round again when it has
    fewer), so an explorer needs as many redraws as its longest list, not their sum. Afterwards
    every control is put back. The redraws go to an output area that is not shown, so the plot
    on show stays as it was.

    Returns:
        the number of redraws.

    Raises:
        AssertionError: naming every setting whose redraw raised, with its traceback.
    """
    import ipywidgets as widgets

    targets = list(_EXPLORERS.values()) if widget is None else [widget]
    if widget is not None and not hasattr(widget, "errors"):
        raise TypeError(f"widget: expected an explorer made by nbhelpers.widgets.explorer, "
                        f"got {type(widget).__name__}")
    failures, redraws = [], 0
    for target in targets:
        controls = [c for c in target.kwargs_widgets if _settings(c)]
        start = {control: control.value for control in target.kwargs_widgets}
        seen, shown = len(target.errors), target.out
        target.out = widgets.Output()     # an output area nobody sees: the plot on show stays
        for control in controls:          # set them all, then redraw once
            control.unobserve(target.update, names="value")
        try:
            for k in range(max((len(_settings(c)) for c in controls), default=0)):
                for control in controls:
                    values = _settings(control)
                    control.value = values[k % len(values)]
                target.update()
                redraws += 1
        finally:
            for control, value in start.items():
                control.value = value
            for control in controls:
                control.observe(target.update, names="value")
            target.out.close()
            target.out = shown      # still showing the plot of these values: no redraw needed
            target.kwargs = {c._kwarg: c.get_interact_value() for c in target.kwargs_widgets}
        for kwargs, text in target.errors[seen:]:
            failures.append(f"{target.f.__name__}({kwargs}) raised:\n{text}")
    if failures:
        raise AssertionError(f"{len(failures)} redraw(s) failed:\n" + "\n".join(failures))
    return redraws
