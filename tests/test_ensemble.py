"""Tests for nbhelpers.lessons.ensemble.vote: majority vote, ties broken by the summed outputs."""

import numpy as np
import pytest

from nbhelpers import Network
from nbhelpers.lessons.ensemble import vote


class Fixed:
    """A stand-in network whose output is given."""

    def __init__(self, output):
        self.output = np.array(output, dtype=float)

    def feedforward(self, X):
        return self.output


def test_majority_wins_even_against_a_confident_minority():
    # three columns (examples), three classes
    a = Fixed([[0.9, 0.1, 0.2], [0.1, 0.8, 0.3], [0.0, 0.1, 0.5]])    # says 0, 1, 2
    b = Fixed([[0.6, 0.2, 0.1], [0.3, 0.7, 0.1], [0.1, 0.1, 0.8]])    # says 0, 1, 2
    c = Fixed([[0.0, 0.0, 0.0], [0.0, 0.0, 1.0], [1.0, 1.0, 0.0]])    # says 2, 2, 1, all confident
    np.testing.assert_array_equal(vote([a, b, c], None), [0, 1, 2])


def test_a_tie_goes_to_the_larger_summed_output():
    a = Fixed([[0.9], [0.1]])      # class 0, sure
    b = Fixed([[0.4], [0.6]])      # class 1, unsure
    assert vote([a, b], None).tolist() == [0]
    assert vote([Fixed([[0.45], [0.55]]), Fixed([[0.9], [0.1]])], None).tolist() == [0]
    assert vote([Fixed([[0.45], [0.55]]), Fixed([[0.51], [0.49]])], None).tolist() == [1]


def test_one_network_is_its_own_prediction(sample):
    net = Network([784, 10, 10], cost="cross_entropy", seed=3)
    X = sample.test[0][:, :50]
    np.testing.assert_array_equal(vote([net], X), net.predict(X))


def test_bad_input():
    with pytest.raises(ValueError, match="non-empty list"):
        vote([], None)
    with pytest.raises(ValueError, match="must all give outputs"):
        vote([Fixed([[1.0], [0.0]]), Fixed([[1.0], [0.0], [0.0]])], None)
