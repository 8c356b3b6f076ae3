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
    "deep nesting": (lambda d: '{"a": ' + "[" * 100_000 + "]" * 100_000 + "}",
                     "nested too deeply|not valid JSON"),
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
    path = _npz(tmp_path, **{"header.npy": _header(n_in=4000, n_out=4000),
                             "layers.0.w.npy": _npy(np.zeros((2, 3))),
                             "layers.0.b.npy": _npy(np.zeros((2, 1)))})
    assert path.stat().st_size < 2000
    start = time.perf_counter()
    with pytest.raises(ValueError, match=r"shape \(2, 3\), but the header's layer settings need "
                                         r"\(4000, 4000\)"):
        Network.load(path)
    assert time.perf_counter() - start < 0.5
    json_path = tmp_path / "huge.json"
    json_path.write_text(json.dumps({"format": "nbhelpers.network", "version": 2, "cost": "quadratic",
                                     "dtype": "float64", "input_shape": [4000], "layers": [
                                         {"kind": "dense", "config": {"n_in": 4000, "n_out": 4000},
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


# ---------------------------------------------------------------------- what load would refuse,
# save refuses; bounds before reading; the optimiser's state


@pytest.mark.parametrize("suffix", [".json", ".npz"])
def test_a_network_with_nan_weights_is_refused_at_save(tmp_path, suffix):
    """save() wrote NaN weights that load() then refused: the network was lost with its file."""
    path = tmp_path / f"net{suffix}"
    Network([3, 2]).save(path)
    before = path.read_bytes()
    net = Network([3, 4, 2])
    net.weights[1][0, 0] = np.nan
    with pytest.raises(ValueError, match=r"layers\[1\] 'w' contains NaN or infinite numbers, which no "
                                         r"saved network may hold \(did training diverge\?\); nothing "
                                         "was written"):
        net.save(path)
    assert path.read_bytes() == before and os.listdir(tmp_path) == [path.name]


def test_save_refuses_what_load_would_refuse(tmp_path, monkeypatch):
    from nbhelpers.engine import serialize

    monkeypatch.setattr(serialize, "MAX_JSON_BYTES", 10_000)
    with pytest.raises(ValueError, match=r"as JSON this network takes [\d,]+ bytes, more than a saved "
                                         r"network in JSON may \(10,000\); save it as .npz instead"):
        Network([784, 30, 10]).save(tmp_path / "net.json")
    monkeypatch.setattr(serialize, "MAX_NUMBERS", 1000)
    with pytest.raises(ValueError, match=r"the network has 23,860 numbers, more than a saved network "
                                         r"may hold \(1,000\)"):
        Network([784, 30, 10]).save(tmp_path / "net.npz")
    assert os.listdir(tmp_path) == []


def _zeros_member(archive, name, shape):
    """A .npy member of zeros written in pieces (the archive deflates them to almost nothing)."""
    from numpy.lib import format as npy_format

    with archive.open(name, "w", force_zip64=True) as member:
        npy_format.write_array_header_1_0(member, {"descr": "<f8", "fortran_order": False,
                                                   "shape": shape})
        left, piece = 8 * int(np.prod(shape)), bytes(2**22)
        while left:
            member.write(piece[:min(left, len(piece))])
            left -= min(left, len(piece))


def test_a_zip_bomb_of_zeros_is_refused_from_its_header(tmp_path):
    """A 1.1 MB .npz of 12000x12000 zeros loaded after 15-27 s at 3.3 GB; its numbers were below
    the old limit of 200 million, far above what a network of this course could need."""
    import tracemalloc

    path = tmp_path / "bomb.npz"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("header.npy", _header(n_in=4500, n_out=4500))
        _zeros_member(archive, "layers.0.w.npy", (4500, 4500))
        archive.writestr("layers.0.b.npy", _npy(np.zeros((4500, 1))))
    assert path.stat().st_size < 1_000_000
    tracemalloc.start()
    start = time.perf_counter()
    with pytest.raises(ValueError, match=r"its layers would hold 20,254,500 numbers, more than the "
                                         r"limit of 20,000,000"):
        Network.load(path)
    assert time.perf_counter() - start < 0.5
    assert tracemalloc.get_traced_memory()[1] < 10 * 2**20
    tracemalloc.stop()


def test_a_file_that_cannot_fit_in_memory_is_refused_before_it_is_read(tmp_path, monkeypatch):
    from nbhelpers import memory, validate

    Network([784, 300, 10]).save(tmp_path / "net.npz")
    Network([784, 300, 10]).save(tmp_path / "net.json")
    monkeypatch.setattr(validate, "SMALL_BYTES", 0)
    monkeypatch.setattr(validate, "available_memory", lambda: memory.Budget(2**20, "a test allows {}"))
    with pytest.raises(ValueError, match=r"net.npz' is not a saved network: path: the saved network "
                                         r"has 238,510 numbers, which need about 3.6 MB of memory "
                                         r"\(read, then made into the network's arrays\); a test "
                                         r"allows 1.0 MB"):
        Network.load(tmp_path / "net.npz")
    with pytest.raises(ValueError, match=r"net.json' is not a saved network: path: reading this "
                                         r"[\d,]+-byte JSON file .* a test allows 1.0 MB"):
        Network.load(tmp_path / "net.json")


def test_a_huge_sparse_json_file_is_refused_before_it_is_read(tmp_path):
    """A 1 GB sparse .json peaked at 2.1 GB before "not valid JSON"."""
    import tracemalloc

    huge, nul = tmp_path / "huge.json", tmp_path / "nul.json"
    with open(huge, "wb") as f:
        f.truncate(2**30)             # a GB of holes: no disk space
    with open(nul, "wb") as f:
        f.truncate(200 * 2**20)       # within the size limit, but not JSON from its first byte
    tracemalloc.start()
    start = time.perf_counter()
    with pytest.raises(ValueError, match=r"huge.json' is not a saved network: the file is "
                                         r"1,073,741,824 bytes, more than a network saved as JSON "
                                         r"can be \(268,435,456\); a network this large is saved as .npz"):
        Network.load(huge)
    with pytest.raises(ValueError, match=r"nul.json' is not a saved network: it is not valid JSON \(a "
                                         r"saved network starts with '\{', this file with b'\\x00"):
        Network.load(nul)
    assert time.perf_counter() - start < 0.5
    assert tracemalloc.get_traced_memory()[1] < 2**20
    tracemalloc.stop()


@pytest.mark.parametrize("case,change,message", [
    ("kind a list", lambda d: d["layers"][0].update(kind=["dense"]), r"layer 0 has unknown kind \['dense'\]"),
    ("kind a dict", lambda d: d["layers"][0].update(kind={"a": 1}), "layer 0 has unknown kind"),
    ("5000 digits", lambda d: json.dumps(d).replace('"n_in": 3', '"n_in": ' + "9" * 5000),
     "it is not valid JSON .*Exceeds the limit"),
    ("5000-digit weight", lambda d: json.dumps(d).replace("[[", "[[" + "1" * 5000 + ".0, ", 1),
     "it is not valid JSON|should have shape|too large"),
    ("4000-digit weight", lambda d: d["layers"][0]["arrays"]["w"][0].__setitem__(0, 10**4000),
     "holds a number too large for a float"),
    ("4000-digit size", lambda d: d["layers"][0]["config"].update(n_in=10**4000),
     "would hold .* numbers, more than the limit|unusable settings"),
    ("a product of 4400 digits", lambda d: d["layers"][0]["config"].update(n_in=10**4000,
                                                                          n_out=10**400),
     "would hold more than 10\\*\\*30 numbers"),
])
def test_strange_json_values_are_refused_naming_the_file(tmp_path, case, change, message):
    """`"kind": [...]` raised a TypeError and a 5000-digit number a ValueError without the file's name."""
    path = _json(tmp_path, change)
    with pytest.raises(ValueError, match=f"'{path}' is not a saved network: .*({message})"):
        Network.load(path)


@pytest.mark.parametrize("suffix", [".json", ".npz"])
def test_the_optimiser_state_is_saved_and_checked_on_loading(tmp_path, suffix, sample):
    X, y = sample.train
    net = Network([784, 10, 10], cost="cross_entropy")
    net.SGD((X[:, :50], y[:50]), 1, 10, 0.001, optimizer="adam", progress=False, verbose=False)
    path = tmp_path / f"net{suffix}"
    net.save(path)
    back = Network.load(path)
    assert back.optimizer_state["name"] == "adam"
    for k, slots in net.optimizer_state["state"].items():
        assert back.optimizer_state["state"][k]["t"] == slots["t"] == 5
        assert np.array_equal(back.optimizer_state["state"][k]["m"], slots["m"])
    if suffix == ".npz":
        return
    data = json.loads(path.read_text())
    cases = [
        (lambda d: d["layers"][0]["arrays"]["w.m"].pop(), r"layer 0 'w.m' should have shape \(10, 784\)"),
        (lambda d: d["layers"][1]["arrays"]["b.v"][0].__setitem__(0, float("nan")),
         "layer 1 'b.v' contains NaN"),
        (lambda d: d["layers"][1]["arrays"].pop("b.v"), r"arrays are missing: layer 1 'b.v'"),
        (lambda d: d["optimizer"]["counters"]["t"].append(5), "counters should be"),
        (lambda d: d["optimizer"]["counters"]["t"].__setitem__(0, -1), "counters should be"),
        (lambda d: d["optimizer"].update(name="lbfgs"), "'optimizer' should name one of"),
        (lambda d: d["optimizer"].update(stepped="yes"), "'optimizer' should name one of"),
        (lambda d: d["optimizer"].update(extra=1), r"'optimizer' has unexpected entries \['extra'\]"),
    ]
    for change, message in cases:
        tampered = json.loads(json.dumps(data))
        change(tampered)
        path.write_text(json.dumps(tampered))
        with pytest.raises(ValueError, match=f"is not a saved network: .*{message}"):
            Network.load(path)
