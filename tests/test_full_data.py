"""Full MNIST from a folder the user names (folder=, NBHELPERS_MNIST_DIR), gzipped or not, checked by the
SHA-256 of the uncompressed contents; on small stand-in files written here, so it runs anywhere."""

import gzip
import hashlib

import numpy as np
import pytest

from nbhelpers import data, mnist_loader, network3
from nbhelpers.data import full_data
from nbhelpers.data.idx import write_idx

RNG = np.random.default_rng(5)


@pytest.fixture
def folder(tmp_path, monkeypatch):
    """Four small stand-in files (gzipped) in a folder, pinned as the official contents."""
    shared = tmp_path / "shared"
    shared.mkdir()
    counts = {"train": 40, "test": 12}
    for role, filename in full_data.FILES.items():
        split = role.split("_")[0]
        array = RNG.integers(0, 256, (counts[split], 28, 28), dtype=np.uint8) if role.endswith("images") \
            else RNG.integers(0, 10, counts[split], dtype=np.uint8)
        write_idx(shared / filename, array)
    digests = {role: hashlib.sha256(gzip.decompress((shared / name).read_bytes())).hexdigest()
               for role, name in full_data.FILES.items()}
    monkeypatch.setitem(full_data.CONTENT_SHA256, "mnist", digests)
    monkeypatch.setattr(data, "VALIDATION_SIZE", 10)
    monkeypatch.setenv("NBHELPERS_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setitem(full_data.MIRRORS, "mnist", [])       # any download attempt would fail
    return shared


def uncompressed(folder, target, spelling=lambda name: name):
    target.mkdir()
    for name in full_data.FILES.values():
        (target / spelling(name[:-3])).write_bytes(gzip.decompress((folder / name).read_bytes()))
    return target


def test_a_folder_given_as_an_argument(folder, tmp_path):
    ds = data.load_mnist("mnist", folder=folder, download=False)
    assert [getattr(ds, s)[0].shape[1] for s in ("train", "validation", "test")] == [30, 10, 12]
    assert not (tmp_path / "cache").exists()                # nothing downloaded or cached


@pytest.mark.parametrize("spelling", [lambda name: name, lambda name: name.replace("-idx", ".idx")])
def test_uncompressed_copies_under_either_spelling_are_the_same_data(folder, tmp_path, spelling):
    plain = uncompressed(folder, tmp_path / "plain", spelling)
    a, b = data.load_mnist("mnist", folder=folder), data.load_mnist("mnist", folder=plain)
    for split in ("train", "validation", "test"):
        assert np.array_equal(getattr(a, split)[0], getattr(b, split)[0])
        assert np.array_equal(getattr(a, split)[1], getattr(b, split)[1])


def test_the_environment_variable_and_every_loader(folder, monkeypatch):
    monkeypatch.setenv("NBHELPERS_MNIST_DIR", str(folder))
    assert data.load_mnist("mnist", download=False).train[0].shape == (784, 30)
    training, validation, test = network3.load_data_shared("mnist")
    assert training[0].dtype == np.float32 and test[0].shape == (784, 12)
    assert network3.load_data_shared("mnist", folder=folder)[1][0].shape == (784, 10)
    assert len(mnist_loader.load_data_wrapper("mnist")[0]) == 30
    assert mnist_loader.load_data("mnist", folder=folder)[0][0].shape == (30, 784)


def test_folder_wins_over_the_environment_variable(folder, tmp_path, monkeypatch):
    monkeypatch.setenv("NBHELPERS_MNIST_DIR", str(tmp_path / "nowhere"))
    assert data.load_mnist("mnist", folder=folder).test[0].shape == (784, 12)
    with pytest.raises(FileNotFoundError, match="the environment variable NBHELPERS_MNIST_DIR: "
                                                f"'{tmp_path / 'nowhere'}' is not a folder"):
        data.load_mnist("mnist")


def test_a_folder_missing_a_file_says_which(folder):
    (folder / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(FileNotFoundError, match="lacks 1 of the four mnist files: "
                                                "t10k-labels-idx1-ubyte.gz or t10k-labels-idx1-ubyte"):
        data.load_mnist("mnist", folder=folder)


def test_a_wrong_copy_is_refused_naming_the_file(folder, tmp_path):
    plain = uncompressed(folder, tmp_path / "plain")
    image = plain / "train-images-idx3-ubyte"
    content = bytearray(image.read_bytes())
    content[5000] ^= 1                                       # one pixel, one bit
    image.write_bytes(bytes(content))
    with pytest.raises(ValueError, match=f"{image} is not the official mnist file "
                                         "train-images-idx3-ubyte: the SHA-256 of its uncompressed"):
        data.load_mnist("mnist", folder=plain)


def test_a_gzip_bomb_is_refused_before_it_fills_the_memory(folder):
    bomb = gzip.compress(b"\0" * (full_data.CONTENT_SIZES["train_labels"] + 10_000_000), mtime=0)
    (folder / "train-labels-idx1-ubyte.gz").write_bytes(bomb)
    with pytest.raises(ValueError, match="decompresses to more than the 60,008 bytes of the official"):
        data.load_mnist("mnist", folder=folder)
    (folder / "train-labels-idx1-ubyte.gz").write_bytes(b"\x1f\x8b not really gzip")
    with pytest.raises(ValueError, match="is not a valid gzip file"):
        data.load_mnist("mnist", folder=folder)


def test_a_folder_is_only_for_the_full_sets(folder):
    with pytest.raises(ValueError, match="folder: only the full data sets 'mnist' and 'fashion'"):
        data.load_mnist("sample", folder=folder)
    with pytest.raises(ValueError, match="folder must be a path"):
        data.load_mnist("mnist", folder=3)


def test_the_pinned_contents_are_the_ones_the_data_readme_states():
    """The four MNIST hashes are those of ../shared/data/README.md and of the official files."""
    assert full_data.CONTENT_SHA256["mnist"] == {
        "train_images": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        "train_labels": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        "test_images": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        "test_labels": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    }
    for name in ("mnist", "fashion"):
        assert set(full_data.CONTENT_SHA256[name]) == set(full_data.FILES) == set(full_data.CONTENT_SIZES)
