"""Saving and loading networks: exact round trips, old and book formats, and every malformed file
refused with a message naming the file and the problem, before anything is built."""

import io
import json
import os
import time
import zipfile

import numpy as np
import pytest

from nbhelpers import Network, network2
from nbhelpers.layers import BatchNorm, Conv2D, Dense, Dropout, Flatten, MaxPool2D


def conv_net():
    net = Network([Conv2D(1, 3, 3), MaxPool2D(2), Flatten(), Dense(3 * 3 * 3, 8, "relu"), Dropout(0.2),
                   BatchNorm(8), Dense(8, 4, "softmax")], cost="log_likelihood", input_shape=(1, 8, 8),
                  seed=5)
    net.layers[5].running_mean[:] = np.arange(8).reshape(8, 1)
    return net


@pytest.mark.parametrize("suffix", [".json", ".npz"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_round_trip_is_exact(tmp_path, suffix, dtype):
    net = Network([5, 4, 3], cost="log_likelihood", activation="tanh", dtype=dtype, seed=7)
    path = tmp_path / f"net{suffix}"
    net.save(path)
    loaded = Network.load(path)
    assert loaded.sizes == net.sizes and loaded.cost.name == "log_likelihood"
    assert loaded.activation.name == "tanh" and loaded.output_activation.name == "softmax"
    for a, b in zip(loaded.weights + loaded.biases, net.weights + net.biases):
        assert a.dtype == b.dtype and np.array_equal(a, b)
    x = np.random.default_rng(0).standard_normal((5, 3))
    assert np.array_equal(loaded.feedforward(x), net.feedforward(x))
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary files left


@pytest.mark.parametrize("suffix", [".json", ".npz"])
def test_layer_networks_round_trip(tmp_path, suffix):
    net = conv_net()
    net.save(tmp_path / f"net{suffix}")
    loaded = Network.load(tmp_path / f"net{suffix}")
    assert [type(layer) for layer in loaded.layers] == [type(layer) for layer in net.layers]
    assert loaded.input_shape == (1, 8, 8) and loaded.layers[4].p == 0.2
    assert np.array_equal(loaded.layers[5].running_mean, net.layers[5].running_mean)
    x = np.random.default_rng(1).random((64, 5))
    assert np.array_equal(loaded.feedforward(x), net.feedforward(x))


def test_load_builds_the_class_it_is_called_on(tmp_path):
    net = network2.Network([3, 4, 2])
    net.save(tmp_path / "net.json")
    loaded = network2.load(tmp_path / "net.json")
    assert type(loaded) is network2.Network and loaded.history is None
    assert type(Network.load(tmp_path / "net.json")) is Network


def test_files_of_the_first_format_still_load(tmp_path):
    rng = np.random.default_rng(0)
    weights = [rng.standard_normal((4, 3)), rng.standard_normal((2, 4))]
    biases = [rng.standard_normal((4, 1)), rng.standard_normal((2, 1))]
    old = {"format": "nbhelpers.network", "version": 1, "sizes": [3, 4, 2], "cost": "cross_entropy",
           "activation": "tanh", "output_activation": "sigmoid", "dtype": "float64",
           "weights": [w.tolist() for w in weights], "biases": [b.tolist() for b in biases]}
    (tmp_path / "old.json").write_text(json.dumps(old))
    meta = {k: v for k, v in old.items() if k not in ("weights", "biases")}
    np.savez_compressed(tmp_path / "old.npz", meta=np.array(json.dumps(meta)), w0=weights[0], b0=biases[0],
                        w1=weights[1], b1=biases[1])
    for name in ("old.json", "old.npz"):
        net = Network.load(tmp_path / name)
        assert net.sizes == [3, 4, 2] and net.activation.name == "tanh"
        assert all(np.array_equal(a, b) for a, b in zip(net.weights + net.biases, weights + biases))


def test_files_written_by_the_books_network2_save_load(tmp_path):
    rng = np.random.default_rng(0)
    book = {"sizes": [3, 5, 2], "weights": [rng.standard_normal((5, 3)).tolist(),
                                            rng.standard_normal((2, 5)).tolist()],
            "biases": [rng.standard_normal((5, 1)).tolist(), rng.standard_normal((2, 1)).tolist()],
            "cost": "CrossEntropyCost"}
    (tmp_path / "book.json").write_text(json.dumps(book))
    net = network2.load(tmp_path / "book.json")
    assert type(net) is network2.Network and net.cost.name == "cross_entropy"
    assert np.array_equal(net.weights[1], np.array(book["weights"][1]))


def test_saved_files_get_the_usual_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        Network([2, 2]).save(tmp_path / "a.json")
        os.umask(0o077)
        Network([2, 2]).save(tmp_path / "b.npz")
    finally:
        os.umask(old)
    assert (tmp_path / "a.json").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "b.npz").stat().st_mode & 0o777 == 0o600


def test_bad_suffix_missing_file_and_missing_folder(tmp_path):
    net = Network([2, 2])
    with pytest.raises(ValueError, match=r"path must end in .json or .npz, got '.*net.pkl'"):
        net.save(tmp_path / "net.pkl")
    with pytest.raises(FileNotFoundError, match="no saved network"):
        Network.load(tmp_path / "absent.json")
    with pytest.raises(FileNotFoundError, match="the folder .* does not exist"):
        net.save(tmp_path / "no" / "such" / "net.json")
    assert not (tmp_path / "no").exists()


def _json(tmp_path, change):
    path = tmp_path / "net.json"
    Network([3, 2]).save(path)
    data = json.loads(path.read_text())
    result = change(data)
    path.write_text(result if isinstance(result, str) else json.dumps(data))
    return path


MALFORMED_JSON = {
    "missing key": (lambda d: d.pop("cost") and None, r"the header lacks \['cost'\]"),
    "extra key": (lambda d: d.update(pickle="yes"), r"unexpected entries \['pickle'\]"),
    "a list": (lambda d: "[1, 2, 3]", "expected a JSON object at the top, found a list"),
    "wrong type": (lambda d: d.update(layers="dense"), "'layers' should be a list"),
    "unknown layer": (lambda d: d["layers"][0].update(kind="gru"), "layer 0 has unknown kind 'gru'"),
    "bad settings": (lambda d: d["layers"][0]["config"].update(n_in=-3), "layer 0 .* unusable settings"),
    "wrong shape": (lambda d: d["layers"][0]["config"].update(n_in=4),
                    r"layer 0 'w' should have shape \(2, 4\), but level 1 has 3 entries"),
    "NaN weights": (lambda d: d["layers"][0]["arrays"]["w"][0].__setitem__(0, float("nan")),
                    "layer 0 'w' contains NaN or infinite"),
    "text weights": (lambda d: d["layers"][0]["arrays"]["w"][0].__setitem__(0, "1.0"),
                     "should be numbers nested 2 deep"),
    "missing array": (lambda d: d["layers"][0]["arrays"].pop("b"), r"arrays are missing: layer 0 'b'"),
    "bad cost": (lambda d: d.update(cost="hinge"), "'cost' should be one of"),
    "future version": (lambda d: d.update(version=9), "format version 9"),
    "not JSON": (lambda d: "{not json", "it is not valid JSON"),
    "deep nesting": (lambda d: "[" * 100_000 + "]" * 100_000, "nested too deeply|not valid JSON"),
    "empty": (lambda d: "", "the file is empty"),
}


@pytest.mark.parametrize("case", MALFORMED_JSON)
def test_malformed_json_files_are_refused_by_name(tmp_path, case):
    change, message = MALFORMED_JSON[case]
    path = _json(tmp_path, change)
    with pytest.raises(ValueError, match=f"'{path}' is not a saved network: .*({message})"):
        Network.load(path)


def _npz(tmp_path, **entries):
    path = tmp_path / "net.npz"
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return path


def _npy(array):
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def _header(**config):
    layer = {"kind": "dense", "config": {"n_in": 3, "n_out": 2, "activation": "sigmoid", **config}}
    return _npy(np.array(json.dumps({"format": "nbhelpers.network", "version": 2, "cost": "quadratic",
                                     "dtype": "float64", "input_shape": [layer["config"]["n_in"]],
                                     "layers": [layer]})))


def test_malformed_npz_files_are_refused_by_name(tmp_path):
    good = {"header.npy": _header(), "layers.0.w.npy": _npy(np.zeros((2, 3))),
            "layers.0.b.npy": _npy(np.zeros((2, 1)))}
    cases = [
        ({**good, "layers.0.w.npy": _npy(np.zeros((2, 4)))}, r"has shape \(2, 4\), but the header"),
        ({k: v for k, v in good.items() if k != "layers.0.b.npy"}, "arrays are missing"),
        ({**good, "extra.npy": _npy(np.zeros(3))}, "unexpected entries"),
        ({**good, "layers.0.w.npy": _npy(np.array([["a", "b", "c"]] * 2))}, "not numbers"),
        ({**good, "layers.0.w.npy": _npy(np.zeros((2, 3)))[:-8]}, "truncated"),
        ({**good, "header.npy": _npy(np.zeros(3))}, "should hold text"),
        ({"layers.0.w.npy": good["layers.0.w.npy"]}, "no header entry"),
        ({**good, "layers.0.w.npy": _npy(np.full((2, 3), np.inf))}, "NaN or infinite"),
    ]
    for entries, message in cases:
        path = _npz(tmp_path, **entries)
        with pytest.raises(ValueError, match=f"'{path}' is not a saved network: .*{message}"):
            Network.load(path)
    (tmp_path / "net.npz").write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(ValueError, match="not a readable .npz archive"):
        Network.load(tmp_path / "net.npz")


def test_a_tiny_file_claiming_a_huge_layer_is_refused_at_once(tmp_path):
    path = _npz(tmp_path, **{"header.npy": _header(n_in=10000, n_out=10000),
                             "layers.0.w.npy": _npy(np.zeros((2, 3))),
                             "layers.0.b.npy": _npy(np.zeros((2, 1)))})
    assert path.stat().st_size < 2000
    start = time.perf_counter()
    with pytest.raises(ValueError, match=r"shape \(2, 3\), but the header's layer settings need "
                                         r"\(10000, 10000\)"):
        Network.load(path)
    assert time.perf_counter() - start < 0.5
    json_path = tmp_path / "huge.json"
    json_path.write_text(json.dumps({"format": "nbhelpers.network", "version": 2, "cost": "quadratic",
                                     "dtype": "float64", "input_shape": [10000], "layers": [
                                         {"kind": "dense", "config": {"n_in": 10000, "n_out": 10000},
                                          "arrays": {"w": [[0.0]], "b": [[0.0]]}}]}))
    start = time.perf_counter()
    with pytest.raises(ValueError, match="should have shape"):
        Network.load(json_path)
    assert time.perf_counter() - start < 0.5


def test_a_zip_bomb_is_refused_before_it_expands(tmp_path):
    path = tmp_path / "net.npz"
    bomb = _npy(np.zeros((2, 3))) + b"\0" * 50_000_000        # 50 MB of zeros after the data
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("header.npy", _header())
        archive.writestr("layers.0.w.npy", bomb)
        archive.writestr("layers.0.b.npy", _npy(np.zeros((2, 1))))
    assert path.stat().st_size < 200_000
    with pytest.raises(ValueError, match=r"would expand to 50,000,\d+ bytes"):
        Network.load(path)


def test_a_claimed_layer_count_beyond_the_limit_is_refused(tmp_path):
    path = tmp_path / "net.json"
    path.write_text(json.dumps({"format": "nbhelpers.network", "version": 2, "cost": "quadratic",
                                "dtype": "float64", "input_shape": [100000], "layers": [
                                    {"kind": "dense", "config": {"n_in": 100000, "n_out": 100000}}]}))
    with pytest.raises(ValueError, match="more than the limit"):
        Network.load(path)
