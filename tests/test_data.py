"""Tests for nbhelpers.data (bundled sample, errors, one_hot) and nbhelpers.mnist_loader."""

import hashlib
import re
from pathlib import Path

import numpy as np
import pytest

from nbhelpers import data, mnist_loader
from nbhelpers.idx import write_idx

REPO = Path(__file__).resolve().parent.parent
SIZES = {"train": 4000, "validation": 500, "test": 500}


@pytest.fixture(scope="module")
def sample():
    return data.load_mnist("sample")


def test_sample_shapes_dtypes_and_range(sample):
    assert sample.name == "sample"
    assert sample.classes == tuple("0123456789")
    for split, n in SIZES.items():
        X, y = getattr(sample, split)
        assert X.shape == (784, n)
        assert X.dtype == np.float64
        assert y.shape == (n,) and y.dtype == np.int64
        assert X.min() == 0.0 and X.max() == 1.0
        assert set(np.unique(y)) == set(range(10))


def test_sample_float32(sample):
    small = data.load_mnist("sample", dtype=np.float32)
    assert small.train[0].dtype == np.float32
    np.testing.assert_allclose(small.train[0], sample.train[0], atol=1e-7)


def test_sample_is_class_balanced(sample):
    for split, n in SIZES.items():
        counts = np.bincount(getattr(sample, split)[1], minlength=10)
        assert counts.tolist() == [n // 10] * 10, split


def test_no_image_shared_between_splits():
    with np.load(REPO / "data" / "mnist_sample.npz", allow_pickle=False) as npz:
        seen = {}
        for split in SIZES:
            images = npz[f"{split}_images"]
            assert images.dtype == np.uint8 and images.shape == (SIZES[split], 784)
            rows = {row.tobytes() for row in images}
            assert len(rows) == len(images), f"duplicate image inside {split}"
            for other, other_rows in seen.items():
                assert not rows & other_rows, f"{split} and {other} share an image"
            seen[split] = rows


def test_npz_checksum_matches_readme():
    readme = (REPO / "data" / "README.md").read_text(encoding="utf-8")
    match = re.search(r"`mnist_sample\.npz` SHA-256: `([0-9a-f]{64})`", readme)
    assert match, "data/README.md must record the SHA-256 of mnist_sample.npz"
    actual = hashlib.sha256((REPO / "data" / "mnist_sample.npz").read_bytes()).hexdigest()
    assert actual == match.group(1)


def test_load_twice_identical_and_independent(sample):
    again = data.load_mnist("sample")
    for split in SIZES:
        np.testing.assert_array_equal(getattr(again, split)[0], getattr(sample, split)[0])
        np.testing.assert_array_equal(getattr(again, split)[1], getattr(sample, split)[1])
    again.train[0][:, 0] = -1.0
    assert sample.train[0][:, 0].min() >= 0.0


def test_columns_are_examples(sample):
    X, y = sample.train
    image = X[:, 0].reshape(28, 28)
    # A digit has ink near the centre and an empty border.
    assert image[0].max() == 0 and image[:, 0].max() == 0
    assert image[8:20, 8:20].max() > 0.5


def test_unknown_source_message():
    with pytest.raises(ValueError) as info:
        data.load_mnist("cifar")
    message = str(info.value)
    assert "source" in message and "'cifar'" in message
    for allowed in ("'sample'", "'mnist'", "'full'", "'fashion'"):
        assert allowed in message


@pytest.mark.parametrize("dtype", [np.int32, "banana", np.uint8])
def test_bad_dtype(dtype):
    with pytest.raises(TypeError, match="dtype must be a floating-point type"):
        data.load_mnist("sample", dtype=dtype)


def test_missing_files_without_download(tmp_path, monkeypatch):
    monkeypatch.setenv("NBHELPERS_CACHE_DIR", str(tmp_path))
    monkeypatch.setitem(data.SYSTEM_DIRS, "fashion", [])
    for source in ("mnist", "fashion"):
        with pytest.raises(FileNotFoundError) as info:
            data.load_mnist(source, download=False)
        message = str(info.value)
        assert f"python -m nbhelpers data download {source}" in message
        assert str(tmp_path / source) in message
    assert list(tmp_path.iterdir()) == []  # nothing was downloaded or created


def test_wrong_checksum_in_cache_without_download(tmp_path, monkeypatch):
    monkeypatch.setenv("NBHELPERS_CACHE_DIR", str(tmp_path))
    (tmp_path / "mnist").mkdir()
    for filename in data.FILES.values():
        (tmp_path / "mnist" / filename).write_bytes(b"not mnist")
    with pytest.raises(ValueError, match="expected checksum"):
        data.load_mnist("mnist", download=False)


def test_missing_sample_file(tmp_path, monkeypatch):
    monkeypatch.setenv("NBHELPERS_DATA_DIR", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="convert_sample.py"):
        data.load_mnist("sample")


def test_fashion_from_system_folder(tmp_path, monkeypatch):
    rng = np.random.default_rng(2)
    system = tmp_path / "system"
    system.mkdir()
    counts = {"train_images": 30, "train_labels": 30, "test_images": 7, "test_labels": 7}
    checksums = {}
    for role, filename in data.FILES.items():
        shape = (counts[role], 28, 28) if role.endswith("images") else (counts[role],)
        body = write_idx(system / filename, rng.integers(0, 10, shape, dtype=np.uint8))
        checksums[filename] = hashlib.sha256(body.read_bytes()).hexdigest()
    monkeypatch.setitem(data.SYSTEM_DIRS, "fashion", [tmp_path / "absent", system])
    monkeypatch.setitem(data.SYSTEM_CHECKSUMS, "fashion", checksums)
    monkeypatch.setitem(data.MIRRORS, "fashion", [])  # any download attempt would fail
    monkeypatch.setenv("NBHELPERS_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(data, "VALIDATION_SIZE", 5)
    ds = data.load_mnist("fashion", download=False)
    assert ds.name == "fashion" and ds.classes[0] == "T-shirt/top" and len(ds.classes) == 10
    assert [getattr(ds, s)[0].shape[1] for s in ("train", "validation", "test")] == [25, 5, 7]
    assert not (tmp_path / "cache").exists()


def test_one_hot():
    result = data.one_hot([3, 0, 9])
    assert result.shape == (10, 3) and result.dtype == np.float64
    np.testing.assert_array_equal(result.argmax(axis=0), [3, 0, 9])
    np.testing.assert_array_equal(result.sum(axis=0), [1, 1, 1])
    assert data.one_hot(np.array([1], dtype=np.uint8), n_classes=2).tolist() == [[0.0], [1.0]]
    assert data.one_hot([]).shape == (10, 0)


@pytest.mark.parametrize(
    "labels, pattern",
    [
        ([1, 10], r"labels must be integers in 0\.\.9; got 10 at position 1"),
        ([-1], r"labels must be integers in 0\.\.9; got -1"),
        ([1.5], r"labels must be integers in 0\.\.9; got values of dtype float64"),
        ([[1]], r"labels must be one-dimensional"),
    ],
)
def test_one_hot_rejects_bad_labels(labels, pattern):
    with pytest.raises(ValueError, match=pattern):
        data.one_hot(labels)


def test_one_hot_rejects_bad_n_classes():
    with pytest.raises(ValueError, match="n_classes must be a positive integer; got 0"):
        data.one_hot([0], n_classes=0)


def test_dataset_repr_is_short(sample):
    text = repr(sample)
    assert "X(784, 4000)" in text and len(text) < 300


# ---------------------------------------------------------------- mnist_loader


def test_load_data_like_the_book():
    training, validation, test = mnist_loader.load_data()
    for (images, labels), n in zip((training, validation, test), SIZES.values()):
        assert images.shape == (n, 784) and images.dtype == np.float32
        assert labels.shape == (n,) and labels.dtype == np.int64
        assert 0.0 <= images.min() and images.max() <= 1.0


def test_load_data_wrapper_like_the_book():
    training, validation, test = mnist_loader.load_data_wrapper()
    assert isinstance(training, list) and isinstance(validation, list) and isinstance(test, list)
    assert (len(training), len(validation), len(test)) == (4000, 500, 500)
    x, y = training[0]
    assert x.shape == (784, 1) and x.dtype == np.float64
    assert y.shape == (10, 1) and y.sum() == 1.0
    x, label = test[0]
    assert x.shape == (784, 1) and isinstance(label, int) and 0 <= label <= 9
    # The one-hot vectors agree with the labels of load_data.
    book_labels = mnist_loader.load_data()[0][1]
    assert [int(np.argmax(y)) for _, y in training[:50]] == book_labels[:50].tolist()


def test_wrapper_returns_fresh_reusable_lists():
    first = mnist_loader.load_data_wrapper()[0]
    second = mnist_loader.load_data_wrapper()[0]
    assert first is not second
    assert len(list(first)) == len(list(first)) == 4000  # iterating twice works
    first[0][0][:] = 7.0
    assert second[0][0].max() <= 1.0


def test_vectorized_result():
    v = mnist_loader.vectorized_result(4)
    assert v.shape == (10, 1) and v[4, 0] == 1.0 and v.sum() == 1.0


def test_pinned_sample_checksum_matches_the_readme():
    readme = (REPO / "data" / "README.md").read_text()
    assert f"`mnist_sample.npz` SHA-256: `{data.SAMPLE_SHA256}`" in readme


def test_damaged_sample_says_how_to_restore_it(tmp_path, monkeypatch):
    damaged = bytearray((REPO / "data" / "mnist_sample.npz").read_bytes())
    damaged[len(damaged) // 2] ^= 0xFF
    (tmp_path / "mnist_sample.npz").write_bytes(bytes(damaged))
    monkeypatch.setenv("NBHELPERS_DATA_DIR", str(tmp_path))
    with pytest.raises(ValueError, match=r"is damaged .* `git checkout data/`"):
        data.load_mnist("sample")


def test_every_full_file_has_a_pinned_size():
    for name, files in data.CHECKSUMS.items():
        assert set(data.SIZES[name]) == set(files)
