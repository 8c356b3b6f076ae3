"""Checking arguments: the one place where "must be a whole number >= 1, got 'ten'" is written.

Every public function of the package checks what it is given with these helpers, so that a bad
argument always fails the same way: a ``ValueError`` (or ``TypeError`` for the wrong kind of object)
whose message names the parameter, says what is allowed, and shows what was given.

Used by: the engine, layers, activations, optimisers, schedules, data, widgets, the assignments'
feedback and the CLI (and so by every notebook that builds or trains a network).
"""

from __future__ import annotations

import math

import numpy as np

from .memory import available_memory, size_in_words


def fail(name, allowed, value):
    """Raise the package's standard ValueError: ``{name} must be {allowed}, got {value!r}``."""
    raise ValueError(f"{name} must be {allowed}, got {value!r}")


def whole(value, name, minimum=None, maximum=None):
    """``value`` as an ``int`` if it is a whole number (not a bool) within the bounds."""
    ok = isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))
    ok = ok and (minimum is None or value >= minimum) and (maximum is None or value <= maximum)
    if not ok:
        fail(name, "a whole number" + _bounds(minimum, maximum, True, True), value)
    return int(value)


def number(value, name, low=None, high=None, low_open=False, high_open=False):
    """``value`` as a finite ``float`` within the bounds (``*_open`` makes a bound strict)."""
    ok = isinstance(value, (int, float, np.integer, np.floating)) and \
        not isinstance(value, (bool, np.bool_))
    ok = ok and math.isfinite(value)
    ok = ok and (low is None or (value > low if low_open else value >= low))
    ok = ok and (high is None or (value < high if high_open else value <= high))
    if not ok:
        fail(name, "a finite number" + _bounds(low, high, not low_open, not high_open), value)
    return float(value)


def positive(value, name):
    """A finite number > 0 (learning rates, step sizes, time-outs)."""
    return number(value, name, low=0.0, low_open=True)


def probability(value, name):
    """A probability in [0, 1) (dropout rates: p = 1 would drop everything)."""
    ok = isinstance(value, (int, float, np.integer, np.floating)) and \
        not isinstance(value, (bool, np.bool_)) and math.isfinite(value) and 0 <= value < 1
    if not ok:
        fail(name, "a probability in [0, 1)", value)
    return float(value)


def numbers(values, name, ndim=1):
    """``values`` as a float array with ``ndim`` dimensions, at least one entry, all finite."""
    try:
        array = np.array(values, dtype=float)
    except (TypeError, ValueError):
        fail(name, "an array of numbers", values)
    if array.ndim != ndim or array.size == 0:
        fail(name, "a list of numbers" if ndim == 1 else f"a non-empty {ndim}-D array",
             f"an array of shape {array.shape}")
    if not np.all(np.isfinite(array)):
        fail(name, "finite numbers", values)
    return array


def generator(value, name="rng"):
    """``value`` if it is a ``numpy.random.Generator`` (a TypeError naming ``name`` otherwise)."""
    if not isinstance(value, np.random.Generator):
        raise TypeError(f"{name} must be a numpy.random.Generator, e.g. np.random.default_rng(0) "
                        f"(or give seed= instead), got {value!r}")
    return value


def boolean(value, name):
    """``value`` if it is True or False."""
    if not isinstance(value, (bool, np.bool_)):
        fail(name, "True or False", value)
    return bool(value)


def text(value, name, allowed="a string"):
    """``value`` if it is a ``str`` (names and hints shown in messages)."""
    if not isinstance(value, str):
        fail(name, allowed, value)
    return value


def one_of(value, name, options):
    """``value`` if it is one of ``options`` (compared with ==)."""
    if value not in options:
        fail(name, f"one of {list(options)}", value)
    return value


def function(value, name, optional=True):
    """``value`` if it can be called (or is None when ``optional``)."""
    if value is None and optional:
        return None
    if not callable(value):
        fail(name, "a function" + (" or None" if optional else ""), value)
    return value


def shape(value, name, length=None):
    """A tuple of whole numbers >= 1, e.g. a layer's (channels, height, width)."""
    try:
        items = tuple(value)
    except TypeError:
        fail(name, "a tuple of whole numbers >= 1", value)
    if (length is not None and len(items) != length) or not items or not all(
            isinstance(d, (int, np.integer)) and not isinstance(d, bool) and d >= 1 for d in items):
        count = f"{length} " if length is not None else ""
        fail(name, f"a tuple of {count}whole numbers >= 1", value)
    return tuple(int(d) for d in items)


def sizes(value, name, extra=""):
    """A network's layer sizes, input layer first: a list of at least two whole numbers >= 1."""
    try:
        items = list(value) if not isinstance(value, (str, bytes, dict)) else None
    except TypeError:
        items = None
    if items is None or len(items) < 2 or not all(
            isinstance(n, (int, np.integer)) and not isinstance(n, (bool, np.bool_)) and n >= 1
            for n in items):
        fail(name, f"a list of at least two whole numbers >= 1 (input layer first){extra}", value)
    return [int(n) for n in items]


def float_dtype(value, name="dtype"):
    """``np.float64`` or ``np.float32`` as a numpy dtype."""
    try:
        dtype = np.dtype(value)
    except TypeError:
        fail(name, "np.float64 or np.float32", value)
    if dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
        fail(name, "np.float64 or np.float32", value)
    return dtype


def _bounds(low, high, low_inclusive, high_inclusive):
    parts = []
    if low is not None:
        parts.append(f"{'>=' if low_inclusive else '>'} {low:g}")
    if high is not None:
        parts.append(f"{'<=' if high_inclusive else '<'} {high:g}")
    return (" " + " and ".join(parts)) if parts else ""


#: Allocations smaller than this are not checked (asking the system takes a few file reads).
SMALL_BYTES = 64 * 2**20


def fits_in_memory(count, itemsize, name, what, copies=2, why="with their gradients"):
    """Refuse (ValueError naming ``name``) ``count`` numbers of ``itemsize`` bytes, ``copies``
    times over, that cannot fit in the memory this process may still take.

    ``copies`` counts the arrays of that size that will exist (parameters and their gradients: 2,
    said by ``why``). The budget is ``memory.available_memory()``: the machine's available memory,
    the process's rlimits and its container's limit, whichever is tightest; the message names it.
    An absurd size is refused with what it would need instead of ending in a MemoryError.
    """
    needed = int(count) * itemsize * copies
    if needed < SMALL_BYTES:
        return
    budget = available_memory()
    if budget is not None and needed > budget.bytes:
        raise ValueError(f"{name}: {what} has {int(count):,} numbers, which need about "
                         f"{size_in_words(needed)} of memory{f' ({why})' if why else ''}; "
                         + budget.source.format(size_in_words(budget.bytes)))
