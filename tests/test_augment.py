"""Tests for nbhelpers.lessons.augment: one-pixel shifts (the book's expand_mnist) and the expanded data."""

import numpy as np
import pytest

from nbhelpers.lessons.augment import SHIFTS, expand, shift


def book_shift(X, rows, cols):
    # The book's way, one image at a time: np.roll, then blank the row or column that wrapped round.
    out = []
    for column in X.T:
        image = np.roll(column.reshape(28, 28), (rows, cols), axis=(0, 1))
        if rows:
            image[0 if rows > 0 else 27, :] = 0
        if cols:
            image[:, 0 if cols > 0 else 27] = 0
        out.append(image.ravel())
    return np.array(out).T


def test_one_lit_pixel_moves_where_it_should():
    X = np.zeros((784, 1))
    X[10 * 28 + 5, 0] = 1.0                      # row 10, column 5
    for name, (rows, cols) in SHIFTS.items():
        moved = shift(X, rows, cols).reshape(28, 28)
        assert moved[10 + rows, 5 + cols] == 1.0 and moved.sum() == 1.0, name


def test_pixels_pushed_over_the_edge_are_lost_and_nothing_wraps():
    X = np.zeros((784, 1))
    X[:28, 0] = 1.0                              # the whole top row lit
    assert shift(X, -1, 0).sum() == 0.0          # moved up: gone
    assert shift(X, 1, 0).reshape(28, 28)[1].sum() == 28 and shift(X, 1, 0).sum() == 28


@pytest.mark.parametrize("name", sorted(SHIFTS))
def test_matches_the_books_roll_and_blank(sample, name):
    X = sample.train[0][:, :50]
    np.testing.assert_array_equal(shift(X, *SHIFTS[name]), book_shift(X, *SHIFTS[name]))


def test_larger_and_diagonal_shifts_compose():
    X = np.random.default_rng(0).random((784, 3))
    np.testing.assert_array_equal(shift(X, 2, -3), shift(shift(X, 1, -1), 1, -2) * (shift(X, 2, -3) != 0))
    np.testing.assert_array_equal(shift(X, 0, 0), X)


def test_expand_gives_originals_then_four_shifted_copies(sample):
    X, y = sample.train[0][:, :40].astype(np.float32), sample.train[1][:40]
    X5, y5 = expand((X, y))
    assert X5.shape == (784, 200) and X5.dtype == np.float32
    np.testing.assert_array_equal(X5[:, :40], X)
    for k, name in enumerate(SHIFTS):
        np.testing.assert_array_equal(X5[:, 40 * (k + 1):40 * (k + 2)], shift(X, *SHIFTS[name]))
    np.testing.assert_array_equal(y5, np.tile(y, 5))
    X2, y2 = expand((X, y), shifts="left")
    assert X2.shape == (784, 80) and len(y2) == 80


@pytest.mark.parametrize("call, message", [
    (lambda: shift(np.zeros((783, 2)), 1, 0), "square images"),
    (lambda: shift(np.zeros((784, 2)), 28, 0), "rows must be a whole number"),
    (lambda: shift(np.zeros((784, 2)), 0, 1.5), "cols must be a whole number"),
    (lambda: shift(np.zeros(784), 1, 0), "one image per column"),
    (lambda: expand((np.zeros((784, 3)), np.zeros(2))), "labels y of shape"),
    (lambda: expand((np.zeros((784, 3)), np.zeros(3)), shifts=["up", "sideways"]), "shifts must be"),
    (lambda: expand(np.zeros((784, 3))), "data must be a pair"),
])
def test_bad_input_is_named(call, message):
    with pytest.raises(ValueError, match=message):
        call()
