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
    The 70,000 images of the official MNIST files, downloaded once into the cache folder and
    split like the book: the first 50,000 training images for training, the last 10,000 for
    validation, the 10,000 official test images for testing.
``"fashion"``
    Fashion-MNIST (Zalando's clothing pictures, same format and split), read from the Debian
    package ``dataset-fashion-mnist`` when installed, otherwise from the cache or downloaded.

Images are returned with one example per COLUMN: ``X`` has shape (784, n), matching the
book's ``w @ a + b`` convention, with values in [0, 1]; labels ``y`` have shape (n,).
Every downloaded file is checked against a pinned checksum before use.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple, Tuple

import numpy as np

from ..engine.examples import one_hot
from ..names import lookup
from ..validate import float_dtype
from .download import download_file, file_digest
from .idx import read_idx

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
    "SYSTEM_DIRS",
    "SYSTEM_CHECKSUMS",
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

# The four files of each full data set, by role.
FILES = {
    "train_images": "train-images-idx3-ubyte.gz",
    "train_labels": "train-labels-idx1-ubyte.gz",
    "test_images": "t10k-images-idx3-ubyte.gz",
    "test_labels": "t10k-labels-idx1-ubyte.gz",
}

#: Base addresses tried in order; a file's URL is base + file name. Tests point these elsewhere.
MIRRORS = {
    "mnist": [
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
        "http://yann.lecun.com/exdb/mnist/",
    ],
    "fashion": [
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        "https://github.com/zalandoresearch/fashion-mnist/raw/master/data/fashion/",
    ],
}

#: Expected checksum of each file as published by its mirrors: 64 hex digits are a SHA-256,
#: 32 hex digits an MD5. (MNIST: SHA-256; Fashion-MNIST: the MD5 values its authors publish.)
CHECKSUMS = {
    "mnist": {
        "train-images-idx3-ubyte.gz":
            "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
        "train-labels-idx1-ubyte.gz":
            "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
        "t10k-images-idx3-ubyte.gz":
            "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
        "t10k-labels-idx1-ubyte.gz":
            "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
    },
    "fashion": {
        "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
        "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
        "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
        "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
    },
}

#: The size in bytes of each published file: a download is refused as soon as it exceeds it.
SIZES = {
    "mnist": {
        "train-images-idx3-ubyte.gz": 9912422,
        "train-labels-idx1-ubyte.gz": 28881,
        "t10k-images-idx3-ubyte.gz": 1648877,
        "t10k-labels-idx1-ubyte.gz": 4542,
    },
    "fashion": {
        "train-images-idx3-ubyte.gz": 26421880,
        "train-labels-idx1-ubyte.gz": 29515,
        "t10k-images-idx3-ubyte.gz": 4422102,
        "t10k-labels-idx1-ubyte.gz": 5148,
    },
}

#: SHA-256 of each bundled sample (also stated in data/README.md; a test keeps the two in step).
SAMPLE_SHA256 = {
    "sample": "e0dab7422d3eb4933ad5a81fd4d03cbd34a7c8f4018efa27dde9b2e258fb3cd3",
    "fashion_sample": "28a831e57e91426e4409fa8e5ad36ed5aee8eecfba1bf67c4aa2c02b9a3f4125",
}
#: The size in bytes of each bundled sample, checked before the file is read.
SAMPLE_SIZES = {"sample": 818802, "fashion_sample": 2188635}
#: The script that regenerates each bundled sample.
_SAMPLE_SCRIPTS = {"sample": "data/convert_sample.py", "fashion_sample": "data/convert_fashion_sample.py"}

#: Folders where an operating-system package may already provide the files.
SYSTEM_DIRS = {
    "mnist": [],
    "fashion": [Path("/usr/share/datasets/fashion-mnist")],
}

#: SHA-256 of the files as shipped by Debian's dataset-fashion-mnist 0.0~git20200523.55506a9-1,
#: which recompressed them (so they differ from the upstream .gz files byte for byte).
SYSTEM_CHECKSUMS = {
    "mnist": {},
    "fashion": {
        "train-images-idx3-ubyte.gz":
            "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7",
        "train-labels-idx1-ubyte.gz":
            "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056",
        "t10k-images-idx3-ubyte.gz":
            "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa",
        "t10k-labels-idx1-ubyte.gz":
            "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05",
    },
}

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
    X = images.T.astype(dtype, order="F")
    X /= 255
    return X, labels.astype(np.int64)


def _checksum_kwargs(hexdigest: str) -> dict:
    return {"sha256": hexdigest} if len(hexdigest) == 64 else {"md5": hexdigest}


def _matches(path: Path, hexdigest: str) -> bool:
    algorithm = "sha256" if len(hexdigest) == 64 else "md5"
    return file_digest(path, algorithm) == hexdigest.lower()


def _system_folder(name: str):
    """Return an OS-provided folder holding all four verified files of ``name``, or None."""
    for folder in SYSTEM_DIRS.get(name, []):
        folder = Path(folder)
        if not all((folder / f).is_file() for f in FILES.values()):
            continue
        accepted = [SYSTEM_CHECKSUMS.get(name, {}), CHECKSUMS[name]]
        if all(
            any(f in table and _matches(folder / f, table[f]) for table in accepted)
            for f in FILES.values()
        ):
            return folder
    return None


def _mirror_urls(name: str, filename: str) -> list:
    return [base.rstrip("/") + "/" + filename for base in MIRRORS[name]]


def download_dataset(name: str, *, progress: bool = True) -> Path:
    """Fetch the four IDX files of ``name`` ("mnist", alias "full", or "fashion") into the cache.

    Files already in ``CACHE_DIR/<name>/`` with the right checksum are kept. Each file is tried
    from every mirror in ``MIRRORS[name]`` in order and verified against ``CHECKSUMS[name]``.
    Returns the folder. Raises ``nbhelpers.data.download.DownloadError`` if a file cannot be fetched.
    """
    name = _canonical(name, "name", {"mnist": "mnist", "full": "mnist", "fashion": "fashion"})
    folder = _cache_dir() / name
    for filename in FILES.values():
        download_file(
            _mirror_urls(name, filename),
            folder / filename,
            progress=progress,
            max_bytes=SIZES[name][filename],
            **_checksum_kwargs(CHECKSUMS[name][filename]),
        )
    return folder


def _cached_folder(name: str, download: bool, progress: bool) -> Path:
    """Return a folder holding the four verified files of ``name``, downloading if allowed."""
    system = _system_folder(name)
    if system is not None:
        return system
    if download:
        return download_dataset(name, progress=progress)
    folder = _cache_dir() / name
    for filename in FILES.values():
        path = folder / filename
        expected = CHECKSUMS[name][filename]
        if not path.is_file():
            raise FileNotFoundError(
                f"{path} does not exist and download=False. Fetch the {name} files with\n"
                f"  python -m nbhelpers data download {name}\n"
                f"or download {filename} by hand from {_mirror_urls(name, filename)[0]} and "
                f"place it at {path}; or use load_mnist(\"sample\"), which needs no download."
            )
        if not _matches(path, expected):
            raise ValueError(
                f"{path} does not have the expected checksum {expected}; delete it and run "
                f"python -m nbhelpers data download {name}"
            )
    return folder


def _read_pair(folder: Path, images_file: str, labels_file: str):
    images = read_idx(folder / images_file)
    labels = read_idx(folder / labels_file)
    if images.ndim != 3 or images.shape[1:] != (IMAGE_SIDE, IMAGE_SIDE) or images.dtype != np.uint8:
        raise ValueError(
            f"{folder / images_file}: expected uint8 images of shape (n, 28, 28); "
            f"got {images.dtype} {images.shape}"
        )
    if labels.ndim != 1 or labels.shape[0] != images.shape[0]:
        raise ValueError(
            f"{folder / labels_file}: expected {images.shape[0]} labels; got shape {labels.shape}"
        )
    if labels.size and labels.max() > 9:
        raise ValueError(f"{folder / labels_file}: labels must be 0..9; found {labels.max()}")
    return images.reshape(len(images), N_PIXELS), labels


def _load_full(name: str, dtype: np.dtype, download: bool, progress: bool) -> Dataset:
    folder = _cached_folder(name, download, progress)
    train_images, train_labels = _read_pair(folder, FILES["train_images"], FILES["train_labels"])
    test_images, test_labels = _read_pair(folder, FILES["test_images"], FILES["test_labels"])
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
    source: str = "sample", *, dtype=np.float64, download: bool = True, progress: bool = True
) -> Dataset:
    """Load a data set as a :class:`Dataset` of (X, y) pairs with one example per column.

    ``source``: "sample" (bundled 4000/500/500 digits, offline), "mnist" or its alias "full"
    (official MNIST, 50000/10000/10000), "fashion" (Fashion-MNIST, 50000/10000/10000) or
    "fashion_sample" (bundled 4000/500/500 Fashion-MNIST images, offline); ``classes`` of the
    Fashion sets are the clothing names of ``FASHION_CLASSES``.
    ``dtype``: floating-point type of the images. Each split is ``(X, y)`` with ``X`` of shape
    (784, n), values in [0, 1], and ``y`` of shape (n,), dtype int64.
    ``download=False`` never touches the network and raises ``FileNotFoundError`` (with
    instructions) when the files are not already present. ``progress`` shows download bars.
    """
    name = _canonical(source, "source", _ALIASES)
    dtype = float_dtype(dtype)
    if name in SAMPLE_FILES:
        return _load_sample(name, dtype)
    return _load_full(name, dtype, download, progress)
