"""Running a student's function: its result, or one sentence saying what went wrong, and where.

``call_student`` runs ``f(*args)`` the way every check and the grader's probes do:

- an exception becomes a sentence naming it and the student's line it came from, without a
  traceback through NumPy or this package;
- ``sys.exit()`` (or ``exit()``) is reported, not obeyed: the notebook carries on;
- a time limit (10 s by default) stops a function that never returns (an endless loop) with
  :class:`TimeLimit`; it works in the main thread, where notebook cells run, between Python
  statements (one long NumPy operation finishes first);
- what the function prints is kept, up to a few thousand characters, and counted beyond that, so
  10 MB of prints neither flood the notebook nor slow the check;
- an argument the function changed in place (an array, or a list of them) is named.

Ctrl-C (``KeyboardInterrupt``) is never caught: it stops the check as it stops any cell.

Used by: ``check_function``, ``check_backprop``, the checks of ``parts`` and the grader's probes
(``probe``), and so the assignment notebooks.
"""

from __future__ import annotations

import contextlib
import copy
import io
import os
import signal
import threading
import traceback

import numpy as np

__all__ = ["Call", "TimeLimit", "call_student", "same_value"]

_HERE = os.path.dirname(os.path.abspath(__file__))


class TimeLimit(BaseException):
    """Raised inside a student's function that ran past its time limit.

    A ``BaseException``, like ``KeyboardInterrupt``, so that ``except Exception`` in the student's
    code does not swallow it.
    """


class _Bounded(io.TextIOBase):
    """A text stream that keeps the first ``limit`` characters written to it and counts the rest."""

    def __init__(self, limit):
        self.limit, self.kept, self.count = limit, [], 0

    def writable(self):
        return True

    def write(self, text):
        text = str(text)
        room = self.limit - min(self.count, self.limit)
        if room > 0:
            self.kept.append(text[:room])
        self.count += len(text)
        return len(text)

    def getvalue(self):
        return "".join(self.kept)


class Call:
    """What happened when a student's function ran: ``value`` (its result) or ``error`` (a
    sentence), ``printed`` (the start of what it printed) and ``printed_chars`` (how much in all),
    ``changed`` (the positions of the arguments it changed in place) and ``seconds``."""

    def __init__(self, value=None, error=None, printed="", printed_chars=0, changed=(), seconds=0.0):
        self.value, self.error = value, error
        self.printed, self.printed_chars = printed, printed_chars
        self.changed, self.seconds = list(changed), seconds

    @property
    def ok(self):
        return self.error is None

    def notes(self, function_name):
        """Sentences about what else the call did (printed a lot, changed its arguments)."""
        notes = []
        if self.printed_chars > len(self.printed):
            notes.append(f"{function_name} printed {_size(self.printed_chars)} of text; only the start "
                         f"is kept (remove the prints from inside loops)")
        for index in self.changed:
            notes.append(f"{function_name} changed its argument {index + 1} in place; it should only "
                         f"read its arguments")
        return notes


def _size(chars):
    if chars >= 1_000_000:
        return f"{chars / 1e6:.1f} MB"
    if chars >= 1_000:
        return f"{chars / 1e3:.0f} kB"
    return f"{chars} characters"


def _describe_exception(exc, function_name):
    """"raised ValueError: ... (line 7 of backprop: `delta = ...`)" without a full traceback."""
    message = traceback.format_exception_only(type(exc), exc)[-1].strip()
    if len(message) > 300:
        message = message[:300] + " ..."
    frames = [
        frame for frame in traceback.extract_tb(exc.__traceback__)
        if not os.path.abspath(frame.filename).startswith(_HERE + os.sep)
        and f"{os.sep}numpy{os.sep}" not in frame.filename
    ]
    where = ""
    if frames:
        frame = frames[-1]
        code = f": `{frame.line.strip()[:120]}`" if frame.line else ""
        where = f" (line {frame.lineno} of {frame.name}{code})"
    return f"{function_name} raised {message}{where}"


@contextlib.contextmanager
def _time_limit(seconds):
    """Raise :class:`TimeLimit` in the main thread after ``seconds`` (no limit elsewhere)."""
    if not seconds or threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum, frame):
        raise TimeLimit()

    previous = signal.signal(signal.SIGALRM, stop)
    old_timer = signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if old_timer[0] > 0:
            signal.setitimer(signal.ITIMER_REAL, *old_timer)


def same_value(a, b):
    """True when ``a`` and ``b`` hold the same numbers (arrays, numbers, lists and tuples of them);
    other objects count as the same."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape == b.shape
                and a.dtype == b.dtype and np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b))
    if isinstance(a, (int, float, complex, np.generic)) and isinstance(b, (int, float, complex, np.generic)):
        return a == b or (a != a and b != b)
    return True


def call_student(f, args, function_name, *, time_limit=10.0, print_limit=4000):
    """Run ``f(*args)``; return a :class:`Call` (its result or a sentence saying what went wrong).

    ``args`` are passed as they are (copy them first if the caller needs them afterwards); a copy
    taken here tells which of them the function changed.
    """
    import time

    before = [copy.deepcopy(a) if isinstance(a, (np.ndarray, list, tuple)) else None for a in args]
    out = _Bounded(print_limit)
    start = time.perf_counter()
    value, error = None, None
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out), \
                np.errstate(all="ignore"), _time_limit(time_limit):
            value = f(*args)
    except TimeLimit:
        error = (f"{function_name} did not finish within {time_limit:g} s (an endless loop, or far "
                 f"more work than needed?)")
    except SystemExit as exc:
        code = "" if exc.code is None else f" with {exc.code!r}"
        error = (f"{function_name} called sys.exit(){code} (or exit()): a function should return "
                 f"its result, not stop the program; the check carried on")
    except Exception as exc:  # noqa: BLE001 - a student's function may fail in any way
        error = _describe_exception(exc, function_name)
    seconds = time.perf_counter() - start
    changed = [i for i, (old, new) in enumerate(zip(before, args))
               if old is not None and not same_value(old, new)]
    return Call(value, error, out.getvalue(), out.count, changed, seconds)
