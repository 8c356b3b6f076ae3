"""The four IDX files of full MNIST and Fashion-MNIST: where they are found and how they are checked.

``load_mnist("mnist")`` (and ``"fashion"``) reads the four official files from the first of these
places that holds all four:

1. the folder given as ``folder=`` (``--mnist-dir`` on the command line);
2. the folder named by the environment variable ``NBHELPERS_MNIST_DIR`` (``NBHELPERS_FASHION_DIR``
   for Fashion-MNIST), e.g. a shared drive of a university or a JupyterHub;
3. a folder where an operating-system package installs them (Debian's ``dataset-fashion-mnist``);
4. the download cache (``data/cache/<name>/``), filled from the public mirrors when allowed.

A folder may hold the files gzipped (``train-images-idx3-ubyte.gz``) or not
(``train-images-idx3-ubyte``, or ``train-images.idx3-ubyte`` as some copies spell it). Whatever the
source, every file is checked by the SHA-256 of its *uncompressed* contents (``CONTENT_SHA256``),
so any correct copy is accepted however it was compressed, and anything else is refused with a
message naming the file. Downloads are also checked against the mirrors' own ``.gz`` checksums
(``CHECKSUMS``) before they are kept.

Used by: ``nbhelpers.data`` (``load_mnist``, ``download_dataset``), and so by ``mnist_loader``,
``network3.load_data_shared``, the CLI and ``reproduce``.
"""

from __future__ import annotations

import hashlib
import os
import zlib
from pathlib import Path

from .download import download_file
from .idx import read_idx

__all__ = ["FILES", "MIRRORS", "CHECKSUMS", "SIZES", "CONTENT_SHA256", "CONTENT_SIZES",
           "FOLDER_VARIABLES", "SYSTEM_DIRS", "download_dataset", "find_folder", "read_verified"]

# The four files of each full data set, by role, as the mirrors publish them (gzipped).
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

#: Checksum of each ``.gz`` file as its mirrors publish it: 64 hex digits are a SHA-256, 32 an MD5
#: (MNIST: SHA-256; Fashion-MNIST: the MD5 values its authors publish). Checked on download.
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

#: The size in bytes of each published ``.gz`` file: a download is refused as soon as it exceeds it.
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

#: SHA-256 of each file's uncompressed contents: any correct copy has it, gzipped or not.
#: MNIST: the official IDX files; Fashion-MNIST: the files of Debian's dataset-fashion-mnist
#: 0.0~git20200523.55506a9-1, whose contents are its authors' files.
CONTENT_SHA256 = {
    "mnist": {
        "train_images": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        "train_labels": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        "test_images": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        "test_labels": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    },
    "fashion": {
        "train_images": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        "train_labels": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        "test_images": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        "test_labels": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    },
}

#: The size of each file's uncompressed contents (the same for both data sets): nothing larger is
#: ever decompressed, so a wrong or hostile file cannot fill the memory.
CONTENT_SIZES = {"train_images": 47_040_016, "train_labels": 60_008,
                 "test_images": 7_840_016, "test_labels": 10_008}

#: The environment variable naming a folder that holds each data set's four files.
FOLDER_VARIABLES = {"mnist": "NBHELPERS_MNIST_DIR", "fashion": "NBHELPERS_FASHION_DIR"}

#: Folders where an operating-system package may already provide the files.
SYSTEM_DIRS = {
    "mnist": [],
    "fashion": [Path("/usr/share/datasets/fashion-mnist")],
}


def _spellings(role):
    """The names a file of ``role`` may have in a folder, gzipped first."""
    stem = FILES[role][:-len(".gz")]                       # train-images-idx3-ubyte
    dotted = stem.replace("-idx", ".idx")                  # train-images.idx3-ubyte
    return [stem + ".gz", stem, dotted + ".gz", dotted]


def _file_in(folder, role):
    """The file of ``role`` in ``folder`` (under any accepted spelling), or None."""
    for name in _spellings(role):
        if (folder / name).is_file():
            return folder / name
    return None


def _complete(folder):
    return all(_file_in(folder, role) is not None for role in FILES)


def _user_folder(folder, name, what):
    """A folder the user named: it must exist and hold all four files, else a clear error."""
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise FileNotFoundError(f"{what}: {str(folder)!r} is not a folder; it should hold the four "
                                f"{name} files ({', '.join(_spellings(r)[0] for r in FILES)})")
    missing = [role for role in FILES if _file_in(folder, role) is None]
    if missing:
        listed = "; ".join(" or ".join(_spellings(role)) for role in missing)
        raise FileNotFoundError(f"{what}: the folder {str(folder)!r} lacks {len(missing)} of the four "
                                f"{name} files: {listed}")
    return folder


def _mirror_urls(name, filename):
    return [base.rstrip("/") + "/" + filename for base in MIRRORS[name]]


def download_dataset(name, cache, *, progress=True):
    """Fetch the four files of ``name`` ("mnist" or "fashion") into ``cache/name``; returns that folder.

    Files already there with the mirrors' checksum are kept; each file is tried from every mirror
    in ``MIRRORS[name]`` in order and verified against ``CHECKSUMS[name]``.
    Raises ``nbhelpers.data.download.DownloadError`` if a file cannot be fetched.
    """
    folder = Path(cache) / name
    for filename in FILES.values():
        expected = CHECKSUMS[name][filename]
        checksum = {"sha256": expected} if len(expected) == 64 else {"md5": expected}
        download_file(_mirror_urls(name, filename), folder / filename, progress=progress,
                      max_bytes=SIZES[name][filename], **checksum)
    return folder


def find_folder(name, folder, cache, download=True, progress=True):
    """The folder to read the four files of ``name`` from (see the module docstring for the order).

    ``folder`` is the user's (or None); ``cache`` the download cache (files go to ``cache/name``).

    Raises ``FileNotFoundError`` (with instructions) when ``folder`` or the environment variable
    names an unusable folder, or when nothing holds the files and ``download`` is False.
    """
    if folder is not None:
        return _user_folder(folder, name, "folder")
    variable = FOLDER_VARIABLES[name]
    if os.environ.get(variable):
        return _user_folder(os.environ[variable], name, f"the environment variable {variable}")
    for system in SYSTEM_DIRS.get(name, []):
        if _complete(Path(system)):
            return Path(system)
    if download:
        return download_dataset(name, cache, progress=progress)
    cache = Path(cache) / name
    if _complete(cache):
        return cache
    first = FILES["train_images"]
    raise FileNotFoundError(
        f"the {name} files are not in {cache} and download=False. Fetch them with\n"
        f"  python -m nbhelpers data download {name}\n"
        f"or, if you have them already (gzipped or not), name their folder: load_mnist({name!r}, "
        f"folder=...), the environment variable {variable}, or --mnist-dir on the command line; "
        f"or download {first} and the three others by hand from {_mirror_urls(name, first)[0]} "
        f"into {cache}; or use load_mnist(\"sample\"), which needs no download.")


def _contents(path, limit):
    """The (decompressed) bytes of ``path``, refusing anything over ``limit`` bytes."""
    with open(path, "rb") as handle:
        raw = handle.read(limit + 1)
        if raw[:2] != b"\x1f\x8b":
            if len(raw) > limit:
                raise ValueError(f"{path} is larger than the {limit:,} bytes of the official file")
            return raw
        raw += handle.read()
    inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)   # gzip framing
    try:
        data = inflate.decompress(raw, limit + 1)
    except zlib.error as err:
        raise ValueError(f"{path} is not a valid gzip file (truncated or damaged: {err})") from None
    if len(data) > limit:
        raise ValueError(f"{path} decompresses to more than the {limit:,} bytes of the official file")
    return data


def read_verified(folder, name, role):
    """Read the file of ``role`` from ``folder`` after checking its contents; returns the array."""
    path = _file_in(Path(folder), role)
    if path is None:
        raise FileNotFoundError(f"{folder} has no {' or '.join(_spellings(role))}")
    data = _contents(path, CONTENT_SIZES[role])
    actual, expected = hashlib.sha256(data).hexdigest(), CONTENT_SHA256[name][role]
    if actual != expected:
        raise ValueError(
            f"{path} is not the official {name} file {_spellings(role)[1]}: the SHA-256 of its "
            f"uncompressed contents is {actual}, expected {expected}. Replace it with a correct copy "
            f"(python -m nbhelpers data download {name} fetches one into the cache).")
    return read_idx(data)
