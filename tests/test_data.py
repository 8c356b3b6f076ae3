"""Tests for nbhelpers.data (bundled sample, errors, one_hot) and nbhelpers.mnist_loader."""

import gzip
import hashlib
import importlib.util
import re
from pathlib import Path

import numpy as np
import pytest

from nbhelpers import data, mnist_loader
from nbhelpers.data.idx import write_idx

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


@pytest.mark.parametrize("filename", ["mnist_sample.npz", "fashion_sample.npz"])
def test_no_image_shared_between_splits(filename):
    with np.load(REPO / "data" / filename, allow_pickle=False) as npz:
        assert sorted(npz.files) == sorted(f"{s}_{k}" for s in SIZES for k in ("images", "labels"))
        seen = {}
        for split in SIZES:
            images = npz[f"{split}_images"]
            assert images.dtype == np.uint8 and images.shape == (SIZES[split], 784)
            assert npz[f"{split}_labels"].dtype == np.uint8
            rows = {row.tobytes() for row in images}
            assert len(rows) == len(images), f"duplicate image inside {split}"
            for other, other_rows in seen.items():
                assert not rows & other_rows, f"{split} and {other} share an image"
            seen[split] = rows


@pytest.mark.parametrize("filename", ["mnist_sample.npz", "fashion_sample.npz"])
def test_npz_checksum_matches_readme(filename):
    readme = (REPO / "data" / "README.md").read_text(encoding="utf-8")
    match = re.search(rf"`{re.escape(filename)}` SHA-256: `([0-9a-f]{{64}})`", readme)
    assert match, f"data/README.md must record the SHA-256 of {filename}"
    actual = hashlib.sha256((REPO / "data" / filename).read_bytes()).hexdigest()
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


def test_source_names_are_spelled_as_freely_as_every_other_name():
    assert data.load_mnist("Fashion-Sample").name == "fashion_sample"
    assert data.load_mnist("SAMPLE").name == "sample"


def test_unknown_source_message():
    with pytest.raises(ValueError) as info:
        data.load_mnist("cifar")
    message = str(info.value)
    assert "source" in message and "'cifar'" in message
    for allowed in ("'sample'", "'mnist'", "'full'", "'fashion'", "'fashion_sample'"):
        assert allowed in message


@pytest.mark.parametrize("dtype", [np.int32, "banana", np.uint8])
def test_bad_dtype(dtype):
    with pytest.raises(ValueError, match="dtype must be np.float64 or np.float32"):
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
    with pytest.raises(ValueError, match="train-images-idx3-ubyte.gz is not the official mnist file "
                       "train-images-idx3-ubyte: the SHA-256 of its uncompressed contents is "):
        data.load_mnist("mnist", download=False)


def test_missing_sample_file(tmp_path, monkeypatch):
    monkeypatch.setenv("NBHELPERS_DATA_DIR", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="convert_sample.py"):
        data.load_mnist("sample")


def test_fashion_from_system_folder(tmp_path, monkeypatch, accept_files):
    rng = np.random.default_rng(2)
    system = tmp_path / "system"
    system.mkdir()
    counts = {"train_images": 30, "train_labels": 30, "test_images": 7, "test_labels": 7}
    for role, filename in data.FILES.items():
        shape = (counts[role], 28, 28) if role.endswith("images") else (counts[role],)
        write_idx(system / filename, rng.integers(0, 10, shape, dtype=np.uint8))
    monkeypatch.setitem(data.SYSTEM_DIRS, "fashion", [tmp_path / "absent", system])
    accept_files("fashion", system)
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
    with pytest.raises(ValueError, match="n_classes must be a whole number >= 1, got 0"):
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


def test_pinned_sample_checksums_and_sizes_match_the_readme_and_files():
    readme = (REPO / "data" / "README.md").read_text()
    assert set(data.SAMPLE_SHA256) == set(data.SAMPLE_FILES) == set(data.SAMPLE_SIZES)
    for name, filename in data.SAMPLE_FILES.items():
        assert f"`{filename}` SHA-256: `{data.SAMPLE_SHA256[name]}`" in readme
        path = REPO / "data" / filename
        assert path.stat().st_size == data.SAMPLE_SIZES[name]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == data.SAMPLE_SHA256[name]


@pytest.mark.parametrize("name, script", [("sample", "convert_sample.py"),
                                          ("fashion_sample", "convert_fashion_sample.py")])
def test_damaged_sample_says_how_to_restore_it(name, script, tmp_path, monkeypatch):
    filename = data.SAMPLE_FILES[name]
    damaged = bytearray((REPO / "data" / filename).read_bytes())
    damaged[len(damaged) // 2] ^= 0xFF
    (tmp_path / filename).write_bytes(bytes(damaged))
    monkeypatch.setenv("NBHELPERS_DATA_DIR", str(tmp_path))
    pattern = rf"is damaged .* `git checkout data/` .*`python data/{re.escape(script)}`"
    with pytest.raises(ValueError, match=pattern):
        data.load_mnist(name)
    (tmp_path / filename).write_bytes(bytes(damaged[:-1]))  # a truncated file
    with pytest.raises(ValueError, match="is damaged"):
        data.load_mnist(name)
    (tmp_path / filename).unlink()
    with pytest.raises(FileNotFoundError, match=re.escape(script)):
        data.load_mnist(name)


def test_every_full_file_has_a_pinned_size():
    for name, files in data.CHECKSUMS.items():
        assert set(data.SIZES[name]) == set(files)


# ---------------------------------------------------------------- the Fashion-MNIST sample

FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")


@pytest.fixture(scope="module")
def fashion():
    return data.load_mnist("fashion_sample")


def _converter():
    spec = importlib.util.spec_from_file_location(
        "convert_fashion_sample", REPO / "data" / "convert_fashion_sample.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_fashion_sample_shapes_classes_and_balance(fashion):
    assert fashion.name == "fashion_sample"
    assert fashion.classes == data.FASHION_CLASSES
    assert fashion.classes[0] == "T-shirt/top" and fashion.classes[9] == "Ankle boot"
    for split, n in SIZES.items():
        X, y = getattr(fashion, split)
        assert X.shape == (784, n) and X.dtype == np.float64
        assert y.shape == (n,) and y.dtype == np.int64
        assert X.min() == 0.0 and X.max() == 1.0
        assert np.bincount(y, minlength=10).tolist() == [n // 10] * 10, split


def test_fashion_sample_is_not_the_digits(fashion, sample):
    assert not np.array_equal(fashion.train[0][:, :50], sample.train[0][:, :50])
    # Clothes fill far more of the picture than pen strokes do.
    assert (fashion.train[0] > 0).mean() > 1.5 * (sample.train[0] > 0).mean()


def test_fashion_sample_readme_gives_licence_and_provenance():
    readme = (REPO / "data" / "README.md").read_text(encoding="utf-8")
    section = readme.split("## The Fashion-MNIST sample", 1)[1].split("\n## ", 1)[0]
    for needed in ("Zalando SE", "MIT licence", "dataset-fashion-mnist", "convert_fashion_sample.py",
                   "4,000 / 500 / 500", "SEED = 20170825"):
        assert needed in section, needed
    converter = _converter()
    assert f"`SEED = {converter.SEED}`" in section
    for filename, digest in converter.SOURCE_SHA256.items():
        assert f"`{filename[:-3]}` | `{digest}`" in section


def test_fashion_sample_found_in_errors_and_loader():
    with pytest.raises(ValueError, match="'fashion_sample'"):
        data.load_mnist("fashion-mnist")
    training, validation, test = mnist_loader.load_data("fashion_sample")
    assert training[0].shape == (4000, 784) and test[0].shape == (500, 784)


def _fake_fashion(folder, rng, n_train=4_600, n_test=600):
    """Four small Fashion-MNIST-like IDX files; returns their decompressed checksums."""
    folder.mkdir()
    arrays = {
        "train-images-idx3-ubyte.gz": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte.gz": (np.arange(n_train) % 10).astype(np.uint8),
        "t10k-images-idx3-ubyte.gz": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte.gz": (np.arange(n_test) % 10).astype(np.uint8),
    }
    digests = {}
    for filename, array in arrays.items():
        path = write_idx(folder / filename, array)
        digests[filename] = hashlib.sha256(gzip.decompress(path.read_bytes())).hexdigest()
    return arrays, digests


def test_converter_draws_each_split_from_its_own_pool(tmp_path, monkeypatch):
    converter = _converter()
    arrays, digests = _fake_fashion(tmp_path / "src", np.random.default_rng(5))
    monkeypatch.setattr(converter, "SOURCE_SHA256", digests)
    monkeypatch.setattr(converter, "VALIDATION_SIZE", 600)  # pools of 4,000 / 600 / 600
    first = converter.convert(tmp_path / "src", tmp_path / "a.npz")
    again = converter.convert(tmp_path / "src", tmp_path / "b.npz")
    assert first == again and (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()
    train = arrays["train-images-idx3-ubyte.gz"].reshape(-1, 784)
    cut = len(train) - converter.VALIDATION_SIZE
    pools = {"train": train[:cut], "validation": train[cut:],
             "test": arrays["t10k-images-idx3-ubyte.gz"].reshape(-1, 784)}
    with np.load(tmp_path / "a.npz", allow_pickle=False) as npz:
        for split, pool in pools.items():
            rows = {row.tobytes() for row in pool}
            images, labels = npz[f"{split}_images"], npz[f"{split}_labels"]
            assert all(row.tobytes() in rows for row in images), split
            assert np.bincount(labels, minlength=10).tolist() == [SIZES[split] // 10] * 10
            assert len({row.tobytes() for row in images}) == len(images)
            assert labels[:10].tolist() != sorted(labels[:10].tolist())  # classes interleaved


def test_converter_refuses_other_files(tmp_path, monkeypatch):
    converter = _converter()
    _fake_fashion(tmp_path / "src", np.random.default_rng(6), n_train=100, n_test=60)
    with pytest.raises(ValueError, match="not the published Fashion-MNIST file"):
        converter.convert(tmp_path / "src", tmp_path / "out.npz")
    assert not (tmp_path / "out.npz").exists()


@pytest.mark.slow
@pytest.mark.skipif(not FASHION_DIR.is_dir(), reason="needs the Debian package dataset-fashion-mnist")
def test_converter_reproduces_the_bundled_file_byte_for_byte(tmp_path):
    digest = _converter().convert(FASHION_DIR, tmp_path / "fashion_sample.npz")
    assert digest == data.SAMPLE_SHA256["fashion_sample"]
    assert (tmp_path / "fashion_sample.npz").read_bytes() == \
        (REPO / "data" / "fashion_sample.npz").read_bytes()


@pytest.mark.skipif(not FASHION_DIR.is_dir(), reason="needs the Debian package dataset-fashion-mnist")
def test_full_fashion_from_the_debian_package(tmp_path, monkeypatch):
    monkeypatch.setenv("NBHELPERS_CACHE_DIR", str(tmp_path))
    monkeypatch.setitem(data.MIRRORS, "fashion", [])  # never downloads
    full = data.load_mnist("fashion", dtype=np.float32, download=False)
    assert full.name == "fashion" and full.classes == data.FASHION_CLASSES
    assert [getattr(full, s)[0].shape[1] for s in SIZES] == [50_000, 10_000, 10_000]
    # every sample image comes from the matching split of the full set
    sample = data.load_mnist("fashion_sample", dtype=np.float32)
    for split in SIZES:
        full_rows = {col.tobytes() for col in getattr(full, split)[0].T}
        assert all(col.tobytes() in full_rows for col in getattr(sample, split)[0].T[:50]), split
