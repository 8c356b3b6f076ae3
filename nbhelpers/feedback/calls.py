"""Running a student's function: its result, or one sentence saying what it raised and where.

The sentence names the exception and the student's line it came from, without a traceback
through NumPy or this package.

Used by: ``check_function`` and ``check_backprop`` (and so the assignment notebooks).
"""

from __future__ import annotations

import os
import traceback

import numpy as np

__all__ = ["call_student"]


_HERE = os.path.abspath(__file__)


def _describe_exception(exc, function_name):
    """"raised ValueError: ... (line 7 of backprop: `delta = ...`)" without a full traceback."""
    message = traceback.format_exception_only(type(exc), exc)[-1].strip()
    frames = [
        frame for frame in traceback.extract_tb(exc.__traceback__)
        if os.path.abspath(frame.filename) != _HERE
        and f"{os.sep}numpy{os.sep}" not in frame.filename
    ]
    where = ""
    if frames:
        frame = frames[-1]
        code = f": `{frame.line.strip()}`" if frame.line else ""
        where = f" (line {frame.lineno} of {frame.name}{code})"
    return f"{function_name} raised {message}{where}"


def call_student(f, args, function_name):
    """(result, None) or (None, sentence describing the exception)."""
    try:
        with np.errstate(all="ignore"):
            return f(*args), None
    except Exception as exc:  # noqa: BLE001 - a student's function may fail in any way
        return None, _describe_exception(exc, function_name)
