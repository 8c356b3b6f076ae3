"""Saving and loading networks as JSON or ``.npz`` (never pickle), with an exact round trip.

Both formats hold the same things: the format tag and version, ``sizes``, the names of the cost and
activations, the dtype, and every ``weights[l]`` (n_out, n_in) and ``biases[l]`` (n_out, 1).
JSON writes each float with Python's shortest exact representation, so reading it back gives the
very same bits; ``.npz`` stores the arrays themselves (loaded with ``allow_pickle=False``).
Writes are atomic: a temporary file in the same folder is renamed into place.

Used by: ``Network.save``/``Network.load``, ``nbhelpers.network2``, the CLI, and the notebooks
00 (start here) and 03 (the MNIST network).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .atomic import atomic_write

FORMAT = "nbhelpers.network"
VERSION = 1


def _meta(net):
    return {
        "format": FORMAT,
        "version": VERSION,
        "sizes": list(net.sizes),
        "cost": net.cost.name,
        "activation": net.activation.name,
        "output_activation": net.output_activation.name,
        "dtype": net.dtype.name,
    }


def _kind(path):
    suffix = Path(path).suffix.lower()
    if suffix not in (".json", ".npz"):
        raise ValueError(f"path must end in .json or .npz, got {str(path)!r}")
    return suffix


def save_network(net, path):
    """Write ``net`` to ``path`` (``.json`` or ``.npz``) atomically."""
    kind = _kind(path)
    meta = _meta(net)
    if kind == ".json":
        meta["weights"] = [w.tolist() for w in net.weights]
        meta["biases"] = [b.tolist() for b in net.biases]
        data = json.dumps(meta).encode("utf-8")
        atomic_write(path, lambda f: f.write(data))
    else:
        arrays = {"meta": np.array(json.dumps(meta))}
        for l, (w, b) in enumerate(zip(net.weights, net.biases)):
            arrays[f"w{l}"], arrays[f"b{l}"] = w, b
        atomic_write(path, lambda f: np.savez_compressed(f, **arrays))


def load_network(path):
    """Read a network written by ``save_network``; raises ValueError if the file does not fit."""
    from .engine import Network

    kind = _kind(path)
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no saved network at {str(path)!r}")
    try:
        if kind == ".json":
            meta = json.loads(path.read_text(encoding="utf-8"))
            weights, biases = meta.pop("weights", None), meta.pop("biases", None)
        else:
            with np.load(path, allow_pickle=False) as archive:
                meta = json.loads(str(archive["meta"]))
                count = len(meta.get("sizes", [])) - 1
                weights = [archive[f"w{l}"] for l in range(count)]
                biases = [archive[f"b{l}"] for l in range(count)]
    except (ValueError, KeyError, OSError, json.JSONDecodeError) as err:
        raise ValueError(f"{str(path)!r} is not a saved network ({err})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ValueError(f"{str(path)!r} is not a saved network: expected format {FORMAT!r}, "
                         f"found {meta.get('format') if isinstance(meta, dict) else None!r}")
    if meta.get("version") != VERSION:
        raise ValueError(f"{str(path)!r} has format version {meta.get('version')!r}; "
                         f"this nbhelpers reads version {VERSION}")
    net = Network(meta["sizes"], cost=meta["cost"], activation=meta["activation"],
                  output_activation=meta["output_activation"], dtype=meta["dtype"])
    if weights is None or biases is None or len(weights) != len(net.weights) \
            or len(biases) != len(net.biases):
        raise ValueError(f"{str(path)!r}: the number of weight/bias layers does not match sizes "
                         f"{net.sizes}")
    for l, (w, b) in enumerate(zip(weights, biases)):
        w = np.asarray(w, dtype=net.dtype)
        b = np.asarray(b, dtype=net.dtype)
        if w.shape != net.weights[l].shape or b.shape != net.biases[l].shape:
            raise ValueError(f"{str(path)!r}: layer {l} has weights {w.shape} and biases {b.shape}, "
                             f"but sizes {net.sizes} need {net.weights[l].shape} and "
                             f"{net.biases[l].shape}")
        net.weights[l], net.biases[l] = w, b
    return net
