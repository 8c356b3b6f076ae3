"""The real full MNIST, where this machine has it: the official files load and pass their checks, and
the book's chapter-1 network learns from them. Skipped, with one line saying why, where there is no copy.

The copy is looked for in NBHELPERS_TEST_MNIST_DIR (set it empty to leave these tests out), then in
NBHELPERS_MNIST_DIR, then in ../shared/data/mnist beside the checkout (where CI keeps it).
"""

import gzip
import json
import os
from pathlib import Path

import numpy as np
import pytest

from nbhelpers import cli, data

REPO = Path(__file__).resolve().parent.parent


def _full_mnist():
    if "NBHELPERS_TEST_MNIST_DIR" in os.environ:
        chosen = os.environ["NBHELPERS_TEST_MNIST_DIR"]
        return Path(chosen) if chosen else None
    return Path(os.environ.get("NBHELPERS_MNIST_DIR") or REPO.parent / "shared" / "data" / "mnist")


FULL = _full_mnist()
if FULL is None or not FULL.is_dir():
    pytest.skip(f"no full MNIST at {FULL or '(none: NBHELPERS_TEST_MNIST_DIR is empty)'}; the full-size "
                "tests are left out", allow_module_level=True)
pytestmark = pytest.mark.slow


def test_the_official_files_load_with_the_published_figures(tmp_path):
    full = data.load_mnist("mnist", folder=FULL, dtype=np.float32, download=False)
    assert [getattr(full, s)[0].shape[1] for s in ("train", "validation", "test")] == [50_000, 10_000, 10_000]
    labels = np.concatenate([full.train[1], full.validation[1]])
    assert np.bincount(labels).tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    assert np.bincount(full.test[1]).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    pixels = np.concatenate([full.train[0], full.validation[0]], axis=1)
    assert round(float(pixels.mean()), 4) == 0.1307 and round(float(pixels.std()), 4) == 0.3081
    # the same files uncompressed are the same data: checked by their contents, not their bytes
    plain = tmp_path / "plain"
    plain.mkdir()
    for path in FULL.iterdir():
        body = path.read_bytes()
        (plain / path.name.removesuffix(".gz")).write_bytes(gzip.decompress(body) if path.suffix == ".gz"
                                                           else body)
    again = data.load_mnist("mnist", folder=plain, dtype=np.float32, download=False)
    assert np.array_equal(again.test[0], full.test[0]) and np.array_equal(again.train[1], full.train[1])


def test_one_epoch_of_the_books_chapter_1_network_at_full_size(tmp_path, capsys):
    out = tmp_path / "results"
    assert cli.main(["reproduce", "ch1-network", "--epochs", "1", "--mnist-dir", str(FULL),
                     "--out", str(out)]) == 0
    assert "Full MNIST: 50,000 training, 10,000 validation and 10,000 test images" in capsys.readouterr().out
    [run] = json.loads((out / "reproduce.json").read_text())["experiments"]["ch1-network"]["runs"]
    assert run["result"] > 0.90
