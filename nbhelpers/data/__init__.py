"""Load the handwritten-digit data (and Fashion-MNIST) the way all notebooks need it.

Used by all notebooks, directly or through ``nbhelpers.mnist_loader``.

Four sources are offered by :func:`load_mnist`:

``"sample"`` (the default, works offline)
    5,000 real MNIST digits bundled in ``data/mnist_sample.npz``: 4,000 training,
    500 validation and 500 test images, exactly 10 % of each split per digit.
``"fashion_sample"`` (works offline)
    5,000 Fashion-MNIST images bundled in ``data/fashion_sample.npz``, split the same way
    (4,000 / 500 / 500, exactly 10 % of each split per class).
``"mnist"`` (alias ``"full"``)
    The 70,000 images of the official MNIST files, split like the book: the first 50,000
    training images for training, the last 10,000 for validation, the 10,000 official test
    images for testing. Read from a folder you name (``folder=``, or the environment variable
    ``NBHELPERS_MNIST_DIR``), gzipped or not, otherwise downloaded once into the cache folder.
``"fashion"``
    Fashion-MNIST (Zalando's clothing pictures, same format and split), read from a folder you
    name (``folder=`` or ``NBHELPERS_FASHION_DIR``), the Debian package ``dataset-fashion-mnist``
    when installed, otherwise from the cache or downloaded.

Images are returned with one example per COLUMN: ``X`` has shape (784, n), matching the
book's ``w @ a + b`` convention, with values in [0, 1]; labels ``y`` have shape (n,).
Every file of a full set is checked by the SHA-256 of its uncompressed contents before use
(``nbhelpers.data.full_data`` finds and checks the files), so any correct copy is accepted.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple, Tuple

import numpy as np

from ..engine.examples import one_hot
from ..names import lookup
from ..validate import float_dtype
from . import full_data
from .download import file_digest
from .full_data import (
    CHECKSUMS,
    CONTENT_SHA256,
    FILES,
    FOLDER_VARIABLES,
    MIRRORS,
    SIZES,
    SYSTEM_DIRS,
    find_folder,
    read_verified,
)

__all__ = [
    "DATA_DIR",
    "CACHE_DIR",
    "SAMPLE_FILE",
    "SAMPLE_FILES",
    "SAMPLE_SHA256",
    "SAMPLE_SIZES",
    "Dataset",
    "load_mnist",
    "download_dataset",
    "one_hot",
    "MIRRORS",
    "CHECKSUMS",
    "CONTENT_SHA256",
    "FOLDER_VARIABLES",
    "FILES",
    "SIZES",
    "SYSTEM_DIRS",
    "VALIDATION_SIZE",
    "DIGIT_CLASSES",
    "FASHION_CLASSES",
]

#: The repository's ``data/`` folder (override with the environment variable NBHELPERS_DATA_DIR).
DATA_DIR = Path(
    os.environ.get("NBHELPERS_DATA_DIR") or Path(__file__).resolve().parents[2] / "data"
)
#: Where downloads are kept (override with NBHELPERS_CACHE_DIR); git-ignored.
CACHE_DIR = Path(os.environ.get("NBHELPERS_CACHE_DIR") or DATA_DIR / "cache")
SAMPLE_FILE = "mnist_sample.npz"
#: The bundled samples, by source name.
SAMPLE_FILES = {"sample": SAMPLE_FILE, "fashion_sample": "fashion_sample.npz"}

#: How many of the 60,000 official training images are held back for validation (the last ones).
VALIDATION_SIZE = 10_000

IMAGE_SIDE = 28
N_PIXELS = IMAGE_SIDE * IMAGE_SIDE

DIGIT_CLASSES: Tuple[str, ...] = tuple(str(d) for d in range(10))
FASHION_CLASSES: Tuple[str, ...] = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)

#: SHA-256 of each bundled sample (also stated in data/README.md; a test keeps the two in step).
SAMPLE_SHA256 = {
    "sample": "e0dab7422d3eb4933ad5a81fd4d03cbd34a7c8f4018efa27dde9b2e258fb3cd3",
    "fashion_sample": "28a831e57e91426e4409fa8e5ad36ed5aee8eecfba1bf67c4aa2c02b9a3f4125",
}
#: The size in bytes of each bundled sample, checked before the file is read.
SAMPLE_SIZES = {"sample": 818802, "fashion_sample": 2188635}
#: The script that regenerates each bundled sample.
_SAMPLE_SCRIPTS = {"sample": "data/convert_sample.py", "fashion_sample": "data/convert_fashion_sample.py"}

_ALIASES = {"sample": "sample", "mnist": "mnist", "full": "mnist", "fashion": "fashion",
            "fashion_sample": "fashion_sample"}
_CLASSES = {"sample": DIGIT_CLASSES, "mnist": DIGIT_CLASSES, "fashion": FASHION_CLASSES,
            "fashion_sample": FASHION_CLASSES}
_ALLOWED = ", ".join(repr(s) for s in _ALIASES)


class Dataset(NamedTuple):
    """One data set, split three ways; each split is a pair ``(X, y)``.

    ``X`` has shape (784, n) with one example per column and values in [0, 1];
    ``y`` has shape (n,), dtype int64, holding class indices 0..9.
    ``name`` is "sample", "mnist", "fashion" or "fashion_sample"; ``classes[k]`` is the name of
    class ``k``.
    """

    train: Tuple[np.ndarray, np.ndarray]
    validation: Tuple[np.ndarray, np.ndarray]
    test: Tuple[np.ndarray, np.ndarray]
    name: str
    classes: Tuple[str, ...]

    def __repr__(self) -> str:
        parts = ", ".join(
            f"{field}=(X{getattr(self, field)[0].shape}, y{getattr(self, field)[1].shape})"
            for field in ("train", "validation", "test")
        )
        return f"Dataset(name={self.name!r}, {parts}, dtype={self.train[0].dtype})"


def _data_dir() -> Path:
    env = os.environ.get("NBHELPERS_DATA_DIR")
    return Path(env) if env else DATA_DIR


def _cache_dir() -> Path:
    env = os.environ.get("NBHELPERS_CACHE_DIR")
    return Path(env) if env else CACHE_DIR


def _canonical(name, parameter: str, allowed: dict) -> str:
    # one rule for names everywhere: case, '-' and ' ' do not matter ("Fashion-Sample")
    return lookup(allowed, name, parameter)


def _to_columns(images: np.ndarray, labels: np.ndarray, dtype: np.dtype):
    """uint8 images (n, 784) and labels (n,) -> X (784, n) in [0, 1], y (n,) int64.

    X is Fortran-ordered, so each example (column) is contiguous in memory.
    """
    X = images.astype(dtype).T      # (n, 784) converted, then viewed as columns: Fortran order
    X /= 255                        # (``images.T.astype(dtype, order="F")`` is 60 times slower)
    return X, labels.astype(np.int64)


def _read_pair(folder: Path, name: str, split: str):
    images = read_verified(folder, name, f"{split}_images")
    labels = read_verified(folder, name, f"{split}_labels")
    return images.reshape(len(images), N_PIXELS), labels


def _load_full(name: str, dtype: np.dtype, folder, download: bool, progress: bool) -> Dataset:
    folder = find_folder(name, folder, _cache_dir(), download, progress)
    train_images, train_labels = _read_pair(folder, name, "train")
    test_images, test_labels = _read_pair(folder, name, "test")
    n = len(train_images)
    if not 0 < VALIDATION_SIZE < n:
        raise ValueError(
            f"VALIDATION_SIZE must be between 1 and {n - 1} for {n} training images; "
            f"got {VALIDATION_SIZE}"
        )
    cut = n - VALIDATION_SIZE
    return Dataset(
        train=_to_columns(train_images[:cut], train_labels[:cut], dtype),
        validation=_to_columns(train_images[cut:], train_labels[cut:], dtype),
        test=_to_columns(test_images, test_labels, dtype),
        name=name,
        classes=_CLASSES[name],
    )


def download_dataset(name: str, *, progress: bool = True) -> Path:
    """Fetch the four IDX files of ``name`` ("mnist", alias "full", or "fashion") into the cache.

    Files already in ``CACHE_DIR/<name>/`` with the right checksum are kept. Each file is tried
    from every mirror in ``MIRRORS[name]`` in order and verified against ``CHECKSUMS[name]``.
    Returns the folder. Raises ``nbhelpers.data.download.DownloadError`` if a file cannot be fetched.
    """
    name = _canonical(name, "name", {"mnist": "mnist", "full": "mnist", "fashion": "fashion"})
    return full_data.download_dataset(name, _cache_dir(), progress=progress)


def _load_sample(name: str, dtype: np.dtype) -> Dataset:
    path = _data_dir() / SAMPLE_FILES[name]
    script = f"`python {_SAMPLE_SCRIPTS[name]}`"
    if not path.is_file():
        raise FileNotFoundError(
            f"the bundled sample {path} is missing; restore it with `git checkout data/` "
            f"or regenerate it with {script}"
        )
    expected = SAMPLE_SHA256[name]
    if path.stat().st_size != SAMPLE_SIZES[name] or file_digest(path) != expected:
        raise ValueError(
            f"the bundled sample {path} is damaged (its SHA-256 is not {expected}); restore it "
            f"with `git checkout data/` or regenerate it with {script}"
        )
    with np.load(path, allow_pickle=False) as npz:
        splits = {
            split: _to_columns(npz[f"{split}_images"], npz[f"{split}_labels"], dtype)
            for split in ("train", "validation", "test")
        }
    return Dataset(**splits, name=name, classes=_CLASSES[name])


def load_mnist(
    source: str = "sample", *, folder=None, dtype=np.float64, download: bool = True,
    progress: bool = True
) -> Dataset:
    """Load a data set as a :class:`Dataset` of (X, y) pairs with one example per column.

    ``source``: "sample" (bundled 4000/500/500 digits, offline), "mnist" or its alias "full"
    (official MNIST, 50000/10000/10000), "fashion" (Fashion-MNIST, 50000/10000/10000) or
    "fashion_sample" (bundled 4000/500/500 Fashion-MNIST images, offline); ``classes`` of the
    Fashion sets are the clothing names of ``FASHION_CLASSES``.
    ``folder``: for "mnist" and "fashion", a folder holding the four official IDX files (gzipped
    or not), e.g. on a shared drive; without it the environment variable ``NBHELPERS_MNIST_DIR``
    (``NBHELPERS_FASHION_DIR``) is used if set, else the download cache. Every file is checked
    by the SHA-256 of its contents; a wrong one is refused with a message naming it.
    ``dtype``: floating-point type of the images. Each split is ``(X, y)`` with ``X`` of shape
    (784, n), values in [0, 1], and ``y`` of shape (n,), dtype int64.
    ``download=False`` never touches the network and raises ``FileNotFoundError`` (with
    instructions) when the files are not already present. ``progress`` shows download bars.
    """
    name = _canonical(source, "source", _ALIASES)
    dtype = float_dtype(dtype)
    if name in SAMPLE_FILES:
        if folder is not None:
            raise ValueError(f"folder: only the full data sets 'mnist' and 'fashion' are read from a "
                             f"folder; the {name!r} data are bundled. Got folder={folder!r}")
        return _load_sample(name, dtype)
    if folder is not None and not isinstance(folder, (str, os.PathLike)):
        raise ValueError(f"folder must be a path (str or pathlib.Path) or None; got {folder!r}")
    return _load_full(name, dtype, folder, download, progress)
