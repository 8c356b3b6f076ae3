"""Shared fixtures: the bundled sample (loaded once) and small random problems."""

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")


@pytest.fixture(scope="session")
def sample():
    from nbhelpers.data import load_mnist

    return load_mnist("sample")


@pytest.fixture
def small_problem():
    """A (4, 6) input batch with one-hot targets for 3 classes."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4, 6))
    labels = rng.integers(0, 3, 6)
    y = np.eye(3)[:, labels]
    return x, y, labels
