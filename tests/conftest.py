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


@pytest.fixture(autouse=True)
def _no_data_folders_from_the_environment(monkeypatch):
    """A folder of full MNIST named in the environment would change what the tests load."""
    monkeypatch.delenv("NBHELPERS_MNIST_DIR", raising=False)
    monkeypatch.delenv("NBHELPERS_FASHION_DIR", raising=False)


@pytest.fixture
def accept_files(monkeypatch):
    """``accept_files(name, folder)`` makes the loader take the four IDX files in ``folder`` as the
    official ``name`` ("mnist" or "fashion") files: their content checksums are pinned instead."""
    import gzip
    import hashlib

    from nbhelpers.data import full_data

    def accept(name, folder):
        digests = {}
        for role, filename in full_data.FILES.items():
            path = folder / filename
            body = path.read_bytes() if path.is_file() else (folder / filename[:-3]).read_bytes()
            if body[:2] == b"\x1f\x8b":
                body = gzip.decompress(body)
            digests[role] = hashlib.sha256(body).hexdigest()
        monkeypatch.setitem(full_data.CONTENT_SHA256, name, digests)

    return accept
