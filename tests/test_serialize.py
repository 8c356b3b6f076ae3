"""Saving and loading networks: exact round trips, atomic writes and clear errors."""

import json

import numpy as np
import pytest

from nbhelpers import Network


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


def test_bad_suffix_and_missing_file(tmp_path):
    net = Network([2, 2])
    with pytest.raises(ValueError, match=r"path must end in .json or .npz, got '.*net.pkl'"):
        net.save(tmp_path / "net.pkl")
    with pytest.raises(FileNotFoundError, match="no saved network"):
        Network.load(tmp_path / "absent.json")


def test_mismatched_file_is_explained(tmp_path):
    path = tmp_path / "net.json"
    Network([3, 2]).save(path)
    data = json.loads(path.read_text())
    data["sizes"] = [3, 4]
    path.write_text(json.dumps(data))
    with pytest.raises(ValueError, match=r"layer 0 has weights \(2, 3\) .* need \(4, 3\)"):
        Network.load(path)
    path.write_text(json.dumps({"hello": 1}))
    with pytest.raises(ValueError, match="not a saved network"):
        Network.load(path)
    path.write_text("{not json")
    with pytest.raises(ValueError, match="not a saved network"):
        Network.load(path)


def test_failed_write_leaves_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "net.json"
    Network([3, 2], seed=1).save(path)
    before = path.read_bytes()

    def broken_dumps(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(json, "dumps", broken_dumps)
    with pytest.raises(RuntimeError):
        Network([3, 2], seed=2).save(path)
    assert path.read_bytes() == before
    assert len(list(tmp_path.iterdir())) == 1
