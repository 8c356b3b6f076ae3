"""Sliders that move on a static page: every picture an ``interact`` can draw, drawn at build time.

This module runs *inside the lesson's kernel*, after the lesson's last cell (``execute`` appends a
cell that calls :func:`precompute`). It finds every ``interact``/``interactive`` widget the lesson
made, and for those whose controls are sliders, drop-downs, toggles or check boxes it calls the
widget's own function once for each combination of a few values of each control, exactly as moving
the controls in JupyterLab would, and keeps what the function drew. A slider with more values than
the frame budget allows is sampled evenly, always keeping its start value and both ends. A lesson
author writes nothing extra: a plain ``widgets.interact(f, w=FloatSlider(...))`` is enough.

A widget keeps its still picture instead (and the page says why in the build log) when it has
another kind of control, a manual "Run" button, more controls than the budget can give two values
each, a function that fails or shows something other than pictures, text and HTML for some
setting, or when its frames take longer than ``seconds``.

The pictures go to ``folder`` as PNG files named by their content (a picture drawn by several
settings is stored once); :func:`precompute` returns a JSON-able manifest that ``sliders`` turns
into the page's controls.
"""

from __future__ import annotations

import base64
import hashlib
import math
import time
from pathlib import Path

#: The most frames one widget may have by default (its controls' value counts multiplied).
FRAME_BUDGET = 100
#: The most seconds the frames of one widget may take before it keeps its still picture.
WIDGET_SECONDS = 240.0
#: The fewest values a sampled slider gets (both ends and a middle).
MIN_VALUES = 3


class NotPrecomputable(Exception):
    """This widget keeps its still picture; the message says why."""


def slider_values(control):
    """Every value a slider can take, in order, with its readout: [(value, label), ...]."""
    import ipywidgets as w

    if isinstance(control, (w.IntSlider, w.FloatSlider, w.FloatLogSlider)):
        count = int(round((control.max - control.min) / control.step)) + 1
        if isinstance(control, w.IntSlider):
            values = list(range(control.min, control.max + 1, control.step))
        elif isinstance(control, w.FloatLogSlider):
            values = [float(control.base ** round(control.min + i * control.step, 10))
                      for i in range(count)]
        else:
            values = [round(control.min + i * control.step, 10) for i in range(count)]
        return [(value, _readout(value, control.readout_format)) for value in values]
    if isinstance(control, w.SelectionSlider):
        return list(zip(control._options_values, control._options_labels))
    raise NotPrecomputable(f"a {type(control).__name__} control")


def choice_values(control):
    """The values of a drop-down, radio buttons, toggle buttons or check box: [(value, label)]."""
    import ipywidgets as w

    if isinstance(control, (w.Dropdown, w.RadioButtons, w.ToggleButtons, w.Select)):
        return list(zip(control._options_values, control._options_labels))
    if isinstance(control, (w.Checkbox, w.ToggleButton)):
        return [(False, "off"), (True, "on")]
    return None


def _readout(value, fmt):
    try:
        return format(value, fmt.replace("~", ""))
    except (ValueError, TypeError):
        return str(value)


def sample(values, start, count):
    """Indices of ``count`` of ``values`` spread evenly: both ends, and the one at index ``start``
    in place of the sample nearest to it."""
    n = len(values)
    if count >= n:
        return list(range(n))
    picked = sorted({round(i * (n - 1) / (count - 1)) for i in range(count)})
    if start not in picked and len(picked) > 2:
        inner = min(range(1, len(picked) - 1), key=lambda i: abs(picked[i] - start))
        picked[inner] = start
    return sorted(set(picked))


def allot(sizes, fixed, budget):
    """How many values each slider gets: ``sizes`` are their full counts, ``fixed`` the product of
    the choices' counts. Every slider gets the same share, then the leftover goes one by one."""
    room = budget / fixed
    if not sizes:
        return []
    if room < MIN_VALUES ** len(sizes):
        raise NotPrecomputable(f"{len(sizes)} sliders need more than {budget} frames")
    counts = [min(size, max(MIN_VALUES, int(room ** (1 / len(sizes))))) for size in sizes]
    grew = True
    while grew:
        grew = False
        for i, size in enumerate(sizes):
            trial = counts[:i] + [counts[i] + 1] + counts[i + 1:]
            if counts[i] < size and math.prod(trial) <= room:
                counts, grew = trial, True
    return counts


def plan(widget, budget=FRAME_BUDGET):
    """The controls of an ``interactive`` with the values the page will offer: a list of dicts
    (``name``, ``label``, ``kind`` "slider" or "choice", ``values``, ``labels``, ``start``)."""
    from ipywidgets.widgets.interaction import fixed

    if getattr(widget, "manual", False):
        raise NotPrecomputable("it has a manual Run button")
    controls, fixed_count, sliders = [], 1, []
    for control in widget.kwargs_widgets:
        name = control._kwarg
        if isinstance(control, fixed):
            continue
        options = choice_values(control)
        kind = "choice" if options is not None else "slider"
        if options is None:
            options = slider_values(control)
        current = control.get_interact_value()
        values = [value for value, _ in options]
        start = next((i for i, value in enumerate(values) if _same(value, current)), None)
        if start is None:
            values.append(current)
            options.append((current, _readout(current, getattr(control, "readout_format", ""))))
            order = sorted(range(len(values)), key=lambda i: values[i]) if kind == "slider" \
                else range(len(values))
            options = [options[i] for i in order]
            values = [value for value, _ in options]
            start = next(i for i, value in enumerate(values) if _same(value, current))
        label = getattr(control, "description", "") or name
        controls.append({"name": name, "label": label, "kind": kind, "options": options,
                         "start": start})
        if kind == "choice":
            fixed_count *= len(options)
        else:
            sliders.append(len(controls) - 1)
    if not controls:
        raise NotPrecomputable("it has no controls")
    if fixed_count > budget:
        raise NotPrecomputable(f"its choices alone give {fixed_count} frames (budget {budget})")
    counts = allot([len(controls[i]["options"]) for i in sliders], fixed_count, budget)
    for i, count in zip(sliders, counts):
        control = controls[i]
        keep = sample(control["options"], control["start"], count)
        control["start"] = keep.index(control["start"])
        control["options"] = [control["options"][k] for k in keep]
    for control in controls:
        options = control.pop("options")
        control["values"] = [value for value, _ in options]
        control["labels"] = [label for _, label in options]
    return controls


def _same(a, b):
    if isinstance(a, float) or isinstance(b, float):
        try:
            return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
        except TypeError:
            return False
    return a == b


def settings(controls):
    """Every combination of the controls' values, the last control changing fastest."""
    combos = [{}]
    for control in controls:
        combos = [dict(combo, **{control["name"]: value}) for combo in combos
                  for value in control["values"]]
    return combos


def draw(widget, changes, folder):
    """Call the widget's function with ``changes`` over its current settings, as moving its
    controls would; return the outputs as a list of {"png": file} / {"text": s} / {"html": s}."""
    from IPython.display import display
    from IPython.utils.capture import capture_output
    from ipywidgets.widgets.interaction import show_inline_matplotlib_plots

    kwargs = {control._kwarg: control.get_interact_value() for control in widget.kwargs_widgets}
    kwargs.update(changes)
    show_inline_matplotlib_plots()
    with capture_output() as captured:
        result = widget.f(**kwargs)
        show_inline_matplotlib_plots()
        if getattr(widget, "auto_display", False) and result is not None:
            display(result)
    outputs = []
    if captured.stdout:
        outputs.append({"text": captured.stdout})
    if captured.stderr:
        if "Traceback" in captured.stderr:
            raise NotPrecomputable(f"it printed a traceback for {changes}")
        outputs.append({"text": captured.stderr, "stderr": True})
    for output in captured.outputs:
        outputs.append(_output(output.data, output.metadata or {}, folder, changes))
    return outputs


def png_name(png):
    """The file name of a picture: its content's hash (bytes, or base64 text as notebooks hold it)."""
    png = png if isinstance(png, bytes) else base64.b64decode(png)
    return hashlib.sha256(png).hexdigest()[:20] + ".png"


def _output(data, metadata, folder, changes):
    if "image/png" in data:
        png = data["image/png"]
        png = png if isinstance(png, bytes) else base64.b64decode(png)
        name = png_name(png)
        path = Path(folder) / name
        if not path.exists():
            path.write_bytes(png)
        size = metadata.get("image/png", {}) if isinstance(metadata.get("image/png"), dict) else {}
        return {"png": name, **{k: size[k] for k in ("width", "height") if k in size}}
    if "text/html" in data:
        return {"html": data["text/html"]}
    if set(data) == {"text/plain"}:
        return {"text": data["text/plain"] + "\n"}
    raise NotPrecomputable(f"it shows {sorted(data)} for {changes}")


def frames_of(widget, folder, budget=FRAME_BUDGET, seconds=WIDGET_SECONDS):
    """The manifest entry of one widget: its controls and every frame, in ``settings`` order;
    ``NotPrecomputable`` if that takes more than ``seconds``."""
    controls = plan(widget, budget)
    start = time.monotonic()
    frames = []
    for changes in settings(controls):
        try:
            frames.append(draw(widget, changes, folder))
        except NotPrecomputable:
            raise
        except Exception as error:  # the function fails for this setting: the page keeps its still
            raise NotPrecomputable(f"it raised {type(error).__name__} for {changes}") from None
        if time.monotonic() - start > seconds:
            raise NotPrecomputable(f"its frames took over {seconds:.0f} s")
    for control in controls:
        del control["values"]           # the page needs the readouts only
    return {"controls": controls, "frames": frames, "seconds": round(time.monotonic() - start, 1)}


def precompute(folder, budget=FRAME_BUDGET, seconds=None):
    """Frames of every ``interactive`` widget alive in this kernel, written to ``folder``; all of
    them within ``seconds`` (after that, the rest keep their still pictures).

    Returns {"frames": {model_id: entry}, "still": {model_id: reason}}.
    """
    from ipywidgets.widgets import widget as widget_module
    from ipywidgets.widgets.interaction import interactive

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    deadline = None if seconds is None else time.monotonic() + seconds
    done, kept = {}, {}
    for model_id, widget in list(widget_module._instances.items()):  # every live widget
        if not isinstance(widget, interactive):
            continue
        left = WIDGET_SECONDS if deadline is None else min(WIDGET_SECONDS, deadline - time.monotonic())
        try:
            if left <= 0:
                raise NotPrecomputable("the build's time for frames ran out")
            done[model_id] = frames_of(widget, folder, budget, left)
        except NotPrecomputable as reason:
            kept[model_id] = str(reason)
    return {"frames": done, "still": kept}
