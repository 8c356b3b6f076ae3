"""Expanding the training data by moving each digit a pixel: the book's ``expand_mnist.py``, vectorised.

A digit moved one pixel up, down, left or right is still the same digit, so each training image
gives four more. ``expand(training_data)`` returns the originals followed by the four shifted
copies (five times as many images, labels repeated to match); the book's chapter-6 experiments
train on exactly this, made from the 50,000 MNIST training images (250,000 images in all).

Images are columns, as everywhere in the course: ``X`` is (784, n), each column a 28x28 image
stored row by row. A shift moves the whole image; the row or column that moves in from outside
is blank (0) and the one pushed out is lost (the book's script uses ``np.roll`` and then blanks
the row or column that wrapped round: the same result).

Used by: notebook 10 (convolutional networks) and the ``reproduce`` command (chapter 6).
"""

from __future__ import annotations

import math

import numpy as np

from ..validate import fail, whole

#: The book's four one-pixel moves, as (rows down, columns right).
SHIFTS = {"up": (-1, 0), "down": (1, 0), "left": (0, -1), "right": (0, 1)}


def _side(n_pixels):
    side = math.isqrt(n_pixels)
    if side * side != n_pixels:
        fail("X", "square images, one per column (e.g. (784, n) for 28x28 digits)",
             f"an array with {n_pixels} rows")
    return side


def _images(X):
    X = np.asarray(X)
    if X.ndim != 2 or X.dtype.kind not in "fiu":
        fail("X", "a numeric (784, n) array with one image per column",
             f"an array of shape {X.shape} and dtype {X.dtype}")
    return X


def shift(X, rows, cols):
    """Move every image (a column of ``X``) ``rows`` pixels down and ``cols`` pixels right.

    Negative values move up or left. Pixels that come in from outside are 0. Returns a new array
    of the same shape and dtype as ``X`` ((784, n)); one slice assignment, no loop over images.
    """
    X = _images(X)
    side = _side(X.shape[0])
    rows = whole(rows, "rows", minimum=-(side - 1), maximum=side - 1)
    cols = whole(cols, "cols", minimum=-(side - 1), maximum=side - 1)
    images = X.reshape(side, side, -1)
    moved = np.zeros_like(images)
    # rows/cols that survive the move: destination slice <- source slice
    moved[max(rows, 0):side + min(rows, 0), max(cols, 0):side + min(cols, 0)] = \
        images[max(-rows, 0):side - max(rows, 0), max(-cols, 0):side - max(cols, 0)]
    return moved.reshape(X.shape)


def expand(data, shifts=("up", "down", "left", "right")):
    """The training data with shifted copies added: ``(X (784, 5n), y (5n,))`` for four shifts.

    Args:
        data: ``(X, y)`` with X (784, n), one image per column, and labels y (n,).
        shifts: names from ``SHIFTS`` (default: all four, as in the book).
    Returns:
        ``(X, y)``: the n originals first, then n images for each shift in the order given.
    """
    try:
        X, y = data
    except (TypeError, ValueError):
        fail("data", "a pair (X, y) with X (784, n) and labels y (n,)", type(data).__name__)
    X, y = _images(X), np.asarray(y)
    if y.shape != (X.shape[1],):
        fail("data", f"labels y of shape ({X.shape[1]},), one per column of X",
             f"labels of shape {y.shape}")
    if isinstance(shifts, str):
        shifts = (shifts,)
    for name in shifts:
        if name not in SHIFTS:
            fail("shifts", f"names from {list(SHIFTS)}", name)
    X_all = np.concatenate([X] + [shift(X, *SHIFTS[name]) for name in shifts], axis=1)
    return X_all, np.tile(y, len(shifts) + 1)
