"""Make the bundled ``data/fashion_sample.npz`` (5,000 Fashion-MNIST images) from the full data set.

A one-off script, kept so that the bundled file can be checked and regenerated. It is not
imported by any notebook; notebooks read its output with ``load_mnist("fashion_sample")``.

What it does:

1. reads the four Fashion-MNIST IDX files (``train-images-idx3-ubyte.gz`` ...) from a folder,
   by default ``/usr/share/datasets/fashion-mnist`` (Debian package ``dataset-fashion-mnist``),
   and refuses to go on unless each file's *decompressed* content has the pinned SHA-256 (so the
   upstream files and Debian's recompressed ones are both accepted);
2. picks, for every class and with a fixed seed, 400 training images from the first 50,000
   official training images, 50 validation images from the last 10,000 (the same split as
   ``load_mnist("fashion")``) and 50 test images from the 10,000 official test images;
   each split is then shuffled so that the classes are interleaved (4000 / 500 / 500 in all);
3. writes the npz exactly as ``convert_sample.py`` writes the MNIST sample (same keys, uint8,
   fixed zip timestamps, atomically) and prints its SHA-256 for ``data/README.md``.

Usage (from the repository root)::

    python data/convert_fashion_sample.py [folder with the four .gz files] [-o output.npz]
"""

from __future__ import annotations

import gzip
import hashlib
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from convert_sample import command_line, write_sample  # noqa: E402 - the sibling script, same format

from nbhelpers.data.idx import read_idx  # noqa: E402

DEFAULT_SOURCE = Path("/usr/share/datasets/fashion-mnist")
DEFAULT_OUTPUT = Path(__file__).resolve().parent / "fashion_sample.npz"

#: SHA-256 of each file's decompressed bytes (Fashion-MNIST as published by Zalando Research).
SOURCE_SHA256 = {
    "train-images-idx3-ubyte.gz": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    "train-labels-idx1-ubyte.gz": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    "t10k-images-idx3-ubyte.gz": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    "t10k-labels-idx1-ubyte.gz": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
}

SEED = 20170825  # fixed, so the choice never changes
PER_CLASS = {"train": 400, "validation": 50, "test": 50}
VALIDATION_SIZE = 10_000  # the last official training images form the validation pool
N_CLASSES = 10
N_PIXELS = 784


def read_verified(path: Path) -> np.ndarray:
    """Read one IDX file after checking the SHA-256 of its decompressed content."""
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    actual = hashlib.sha256(raw).hexdigest()
    expected = SOURCE_SHA256[path.name]
    if actual != expected:
        raise ValueError(f"{path}: decompressed content has SHA-256 {actual}, expected {expected}; "
                         "this is not the published Fashion-MNIST file")
    return read_idx(raw)


def read_source(folder: Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The three pools as (images (n, 784) uint8, labels (n,) uint8): train, validation, test."""
    arrays = {name: read_verified(folder / name) for name in SOURCE_SHA256}
    pools = {}
    for prefix in ("train", "t10k"):
        images = arrays[f"{prefix}-images-idx3-ubyte.gz"]
        labels = arrays[f"{prefix}-labels-idx1-ubyte.gz"]
        if images.ndim != 3 or images.shape[1:] != (28, 28) or len(labels) != len(images):
            raise ValueError(f"{folder}: {prefix} files have shapes {images.shape} and {labels.shape}")
        if labels.max() >= N_CLASSES:
            raise ValueError(f"{folder}: {prefix} labels must lie in 0..{N_CLASSES - 1}")
        pools[prefix] = (images.reshape(len(images), N_PIXELS).astype(np.uint8),
                         labels.astype(np.uint8))
    images, labels = pools["train"]
    cut = len(images) - VALIDATION_SIZE
    return {
        "train": (images[:cut], labels[:cut]),
        "validation": (images[cut:], labels[cut:]),
        "test": pools["t10k"],
    }


def pick(labels: np.ndarray, per_class: int, rng: np.random.Generator) -> np.ndarray:
    """Row indices: ``per_class`` random rows of every class, then shuffled together."""
    chosen = []
    for label in range(N_CLASSES):
        rows = np.flatnonzero(labels == label)
        if len(rows) < per_class:
            raise ValueError(f"class {label} has only {len(rows)} rows; {per_class} are needed")
        chosen.append(rng.choice(rows, size=per_class, replace=False))
    return rng.permutation(np.concatenate(chosen))


def convert(source: Path = DEFAULT_SOURCE, output: Path = DEFAULT_OUTPUT) -> str:
    """Make ``output`` from the Fashion-MNIST files in ``source``; return the file's SHA-256."""
    pools = read_source(Path(source))
    rng = np.random.default_rng(SEED)
    splits = {split: (images, labels, pick(labels, PER_CLASS[split], rng))
              for split, (images, labels) in pools.items()}
    return write_sample(Path(output), splits)


def main(argv: list[str] | None = None) -> int:
    return command_line(__doc__, convert, "folder with the four Fashion-MNIST .gz files",
                        DEFAULT_SOURCE, DEFAULT_OUTPUT, argv)


if __name__ == "__main__":
    sys.exit(main())
