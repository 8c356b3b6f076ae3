"""Widgets on a static page: sliders that move through precomputed frames, or a still picture.

A widget is a live object in the kernel; a saved notebook only holds a reference to it
(``application/vnd.jupyter.widget-view+json``) and its last state. On the site, a widget whose
frames were drawn at build time (``frames``) becomes controls that swap those frames
(``sliders``). Any other reference becomes a note that the widget is live in JupyterLab, followed
by the outputs its ``Output`` widgets captured while the notebook ran (the first plot of
``interact``, say), so the reader still sees a picture. Widgets that closed themselves (finished
progress bars) vanish, as they do in JupyterLab.
"""

from __future__ import annotations

import html

import nbformat

from .execute import CLOSED_WIDGETS, FRAMES_CELL
from .frames import png_name
from .sliders import NOTE_CLASS, start_index, widget_output

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
NOTE_TEXT = "Interactive widget: live in JupyterLab"


def note_output():
    """The display output that stands in for one widget."""
    text = (f'<div class="{NOTE_CLASS}"><strong>{html.escape(NOTE_TEXT)}</strong>. Open the notebook in '
            "JupyterLab to use its controls; below is what it showed when the page was built.</div>")
    return nbformat.v4.new_output("display_data", data={"text/html": text,
                                                          "text/plain": NOTE_TEXT})


def _widget_states(notebook):
    saved = notebook.metadata.get("widgets", {}).get(WIDGET_STATE, {})
    return {model_id: entry.get("state", {}) for model_id, entry in saved.get("state", {}).items()}


def _children(state):
    """The model ids a widget's state refers to (``"IPY_MODEL_<id>"``), in order."""
    found = []
    for value in state.values():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str) and item.startswith("IPY_MODEL_"):
                found.append(item[len("IPY_MODEL_"):])
    return found


def _captured_outputs(model_id, states, seen=None):
    """Every output captured by an ``Output`` widget inside ``model_id``, depth first."""
    seen = set() if seen is None else seen
    if model_id in seen or model_id not in states:
        return []
    seen.add(model_id)
    state = states[model_id]
    outputs = [nbformat.from_dict(o) for o in state.get("outputs", [])] \
        if state.get("_model_name") == "OutputModel" else []
    for child in _children(state):
        outputs += _captured_outputs(child, states, seen)
    return outputs


def _drawn_alike(entry, still):
    """Whether a precomputed widget's frame at its start values shows the pictures its cell drew
    when it ran (it does not when a later cell changed what the widget's function draws)."""
    start = entry["frames"][start_index(entry["controls"])]
    drawn = [png_name(o.data["image/png"]) for o in still if "image/png" in o.get("data", {})]
    return [o["png"] for o in start if "png" in o] == drawn


def replace_widgets(notebook, frames_folder="frames", why=None):
    """Replace every widget view in ``notebook`` (in place): a precomputed one by its controls and
    frames (pictures in ``frames_folder``, relative to the page), any other by a note and its
    captured outputs. A precomputed widget whose start frame differs from what its cell drew stays
    still too; ``why`` (a dict) gets the reason, under its model id.

    Returns (notes, moving): the numbers of still and of precomputed widgets. The saved widget
    state is removed afterwards, so the page loads no widget code.
    """
    states = _widget_states(notebook)
    closed = set(notebook.metadata.get(CLOSED_WIDGETS, ()))
    precomputed = notebook.metadata.get(FRAMES_CELL, {}).get("frames", {})
    notes = moving = 0
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        outputs = []
        for output in cell.get("outputs", []):
            view = output.get("data", {}).get(WIDGET_VIEW) if "data" in output else None
            if view is None:
                outputs.append(output)
                continue
            model_id = view.get("model_id", "")
            if model_id in closed:
                continue  # it closed itself: JupyterLab shows nothing here either
            still = _captured_outputs(model_id, states)
            if model_id in precomputed:
                if _drawn_alike(precomputed[model_id], still):
                    outputs.append(widget_output(precomputed[model_id], frames_folder))
                    moving += 1
                    continue
                if why is not None:
                    why[model_id] = ("its pictures drawn after the lesson differ from what its cell "
                                     "drew: a later cell changed what its function draws")
            outputs.append(note_output())
            outputs += still
            notes += 1
        cell.outputs = outputs
    for key in ("widgets", CLOSED_WIDGETS, FRAMES_CELL):
        notebook.metadata.pop(key, None)
    return notes, moving
