"""A precomputed widget on the page: its controls as plain HTML, its frames swapped by a few lines of
JavaScript (``static/sliders.js``), with no kernel and no network.

Each widget becomes a ``<div class="coursebook-frames">`` holding a note (what the controls do
here), one ``<input type="range">`` per slider and one ``<select>`` per choice, an area that shows
the current frame, and the frames as JSON: the HTML of each different frame once (pictures are
files beside the page), and for every setting the number of its frame. Settings are in the order
of ``frames.settings``: the last control changes fastest, so positions (i, j, k) are setting
((i * n_j) + j) * n_k + k.
"""

from __future__ import annotations

import html
import json

import nbformat

#: The CSS class of a precomputed widget, for the script, the style and the tests.
FRAMES_CLASS = "coursebook-frames"
#: The note's class (the same look as the still widgets' note).
NOTE_CLASS = "coursebook-widget-note"
MOVING_TEXT = "Interactive widget, precomputed"


def _control(index, control):
    label = html.escape(control["label"])
    labels = control["labels"]
    start = control["start"]
    if control["kind"] == "choice":
        options = "".join(f'<option value="{i}"{" selected" if i == start else ""}>{html.escape(text)}'
                          "</option>" for i, text in enumerate(labels))
        field = f'<select data-control="{index}">{options}</select>'
        readout = ""
    else:
        field = (f'<input type="range" data-control="{index}" min="0" max="{len(labels) - 1}" '
                 f'step="1" value="{start}" aria-label="{label}">')
        readout = f'<output>{html.escape(labels[start])}</output>'
    return f'<label class="coursebook-control"><span>{label}</span> {field} {readout}</label>'


def frame_html(frame, folder):
    """The HTML of one frame: its pictures (files in ``folder``, relative to the page), texts and
    HTML outputs, in order."""
    parts = []
    for output in frame:
        if "png" in output:
            size = "".join(f' {k}="{int(output[k])}"' for k in ("width", "height") if k in output)
            parts.append(f'<img src="{html.escape(folder)}/{html.escape(output["png"])}"{size} alt="">')
        elif "text" in output:
            kind = " coursebook-stderr" if output.get("stderr") else ""
            parts.append(f'<pre class="coursebook-text{kind}">{html.escape(output["text"])}</pre>')
        else:
            parts.append(f'<div class="coursebook-html">{output["html"]}</div>')
    return "".join(parts)


def start_index(controls):
    """The frame number of the controls' start positions."""
    index = 0
    for control in controls:
        index = index * len(control["labels"]) + control["start"]
    return index


def widget_output(entry, folder):
    """The display output that replaces one precomputed widget on the page."""
    controls, frames = entry["controls"], entry["frames"]
    counts = " × ".join(str(len(c["labels"])) for c in controls)
    note = (f'<div class="{NOTE_CLASS}"><strong>{html.escape(MOVING_TEXT)}</strong>: its controls move '
            f"through {len(frames)} pictures ({counts} settings) drawn when this page was built. "
            "Open the notebook in JupyterLab to set any value.</div>")
    pages, shown = [], {}
    for frame in frames:
        page = frame_html(frame, folder)
        pages.append(shown.setdefault(page, len(shown)))
    data = json.dumps({"labels": [c["labels"] for c in controls], "html": list(shown),
                       "frames": pages}, separators=(",", ":")).replace("</", "<\\/")
    start = frame_html(frames[start_index(controls)], folder)
    fields = "".join(_control(i, control) for i, control in enumerate(controls))
    text = (f'<div class="{FRAMES_CLASS}">{note}'
            f'<div class="coursebook-controls">{fields}</div>'
            f'<div class="coursebook-frame">{start}</div>'
            f'<script type="application/json" class="coursebook-frames-data">{data}</script></div>')
    return nbformat.v4.new_output("display_data", data={"text/html": text, "text/plain": MOVING_TEXT})
