"""Saving and loading networks as JSON or ``.npz`` (never pickle), checked before anything is built.

A saved network is its list of layers: each layer's kind (a key of ``nbhelpers.layers.LAYERS``), the
settings that rebuild it, and its arrays (``w``, ``b``, batch-norm averages...), plus the cost,
dtype and input shape; and the optimiser state of its last run (``Network.optimizer_state``: a
velocity, Adam's averages and step counts), so that a run resumed from the file (``SGD(...,
resume=True)``) continues exactly (the state of an optimiser of one's own, outside ``OPTIMIZERS``,
is left out with a warning: no file could rebuild it). JSON writes each float with Python's shortest
exact representation, so reading it back gives the very same bits; ``.npz`` stores the arrays
themselves (read with ``allow_pickle=False``). Writes are atomic (a temporary file renamed into
place) and the file gets the usual permissions of a new file (0666 less the umask). What could not
be loaded again is refused before anything is written: NaN or infinite numbers (a diverged network),
more numbers than the loader takes, JSON larger than it reads.

Loading checks the whole file first: the header's layer settings give every array's shape, which
must match what the file holds (for ``.npz`` read from the array headers, without reading the data),
so a 200-byte file that claims a 20000 x 20000 layer is refused at once, without allocating it.
Missing or extra entries, wrong types, NaN or infinite numbers, truncated or empty files, absurd
nesting, numbers too long for Python, files larger than a network of this course could need or
than memory allows, and compressed members that would expand beyond their stated size (see
``engine.archive``, which reads the bytes) all give a ValueError naming the file and the problem.

Also read: files of this package's first format (``sizes``, ``weights``, ``biases``) and the files the
book's own ``network2.save`` writes (keys ``sizes``, ``weights``, ``biases``, ``cost`` =
``"CrossEntropyCost"`` or ``"QuadraticCost"``).

Used by: ``Network.save``/``Network.load``, the book faces, the CLI, and notebooks 00 (start here)
and 03 (the MNIST network).
"""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import numpy as np

from ..atomic import atomic_write
from ..costs import COSTS
from ..layers import LAYERS
from ..optimizers import OPTIMIZERS, check_state
from ..validate import shape as check_shape
from .archive import (
    MAX_FILE_BYTES,
    MAX_JSON_BYTES,
    MAX_NUMBERS,
    BadFile,
    JsonArrays,
    NpzArrays,
    check_memory,
    read_json,
    read_npz_header,
)

FORMAT = "nbhelpers.network"
VERSION = 2
MAX_LAYERS = 1000
#: Saved step counts (Adam's t) are whole numbers below this.
MAX_COUNT = 2**53
_BOOK_COSTS = {"QuadraticCost": "quadratic", "CrossEntropyCost": "cross_entropy"}


# ---------------------------------------------------------------------- saving

def _header(net):
    return {
        "format": FORMAT,
        "version": VERSION,
        "cost": net.cost.name,
        "dtype": net.dtype.name,
        "input_shape": list(net.input_shape),
        "layers": [{"kind": layer.kind, "config": layer.config()} for layer in net.layers],
    }


def _optimizer(net):
    """The optimiser state the network kept from its last run, as ``(header entry, arrays)``:
    every parameter's slots as arrays named ``"<param>.<slot>"`` of its layer (``"w.m"``), the
    counters as lists (one number per parameter); ``(None, {})`` when it kept none."""
    saved = net.optimizer_state
    if saved is None:
        return None, {}
    cls, state = OPTIMIZERS.get(saved["name"]), saved["state"]
    if cls is None:                   # an optimiser of one's own: no file could rebuild it
        if state:
            warnings.warn(f"the state of optimizer {saved['name']!r} (not one of "
                          f"{sorted(OPTIMIZERS)}) is not saved, only the network: after loading, "
                          "train without resume=True", UserWarning, stacklevel=4)   # Network.save's caller
        return None, {}
    entry, arrays = {"name": cls.name, "stepped": bool(state)}, {}
    if state:
        counters, k = {name: [] for name in cls.counters}, 0
        for i, layer in enumerate(net.layers):
            for p in layer.parameters():
                slots = state.get(k, {})
                for name in cls.slots:
                    arrays[i, f"{p.name}.{name}"] = slots.get(name, np.zeros_like(p.value))
                for name in cls.counters:
                    counters[name].append(int(slots.get(name, 0)))
                k += 1
        entry["counters"] = counters
    return entry, arrays


def _check_savable(net, arrays):
    """Refuse, naming what, a network that could not be loaded again: a layer outside ``LAYERS``,
    NaN or infinite numbers, more numbers than ``MAX_NUMBERS``."""
    for i, layer in enumerate(net.layers):
        if LAYERS.get(layer.kind) is not type(layer):
            raise ValueError(f"layers[{i}] ({type(layer).__name__}, kind {layer.kind!r}) cannot be "
                             f"saved: only the layers of nbhelpers.layers.LAYERS ({sorted(LAYERS)}) "
                             "can be rebuilt from a file")
    for (i, name), array in arrays.items():
        if not np.isfinite(array).all():
            what = "the optimizer state " if "." in name else ""
            raise ValueError(f"layers[{i}] {what}{name!r} contains NaN or infinite numbers, which "
                             "no saved network may hold (did training diverge?); nothing was written")
    total = sum(array.size for (i, name), array in arrays.items() if "." not in name)
    if total > MAX_NUMBERS:
        raise ValueError(f"the network has {total:,} numbers, more than a saved network may hold "
                         f"({MAX_NUMBERS:,}); nothing was written")


def _kind(path):
    suffix = Path(path).suffix.lower()
    if suffix not in (".json", ".npz"):
        raise ValueError(f"path must end in .json or .npz, got {str(path)!r}")
    return suffix


def save_network(net, path):
    """Write ``net`` to ``path`` (``.json`` or ``.npz``) atomically, after checking that the file
    could be loaded again."""
    kind = _kind(path)
    header = _header(net)
    entry, state_arrays = _optimizer(net)
    arrays = {(i, name): array for i, layer in enumerate(net.layers)
              for name, array in layer.arrays().items()}
    arrays.update(state_arrays)
    _check_savable(net, arrays)
    if entry is not None:
        header["optimizer"] = entry
    if kind == ".json":
        for (i, name), array in arrays.items():
            header["layers"][i].setdefault("arrays", {})[name] = array.tolist()
        data = json.dumps(header).encode("utf-8")
        if len(data) > MAX_JSON_BYTES:
            raise ValueError(f"as JSON this network takes {len(data):,} bytes, more than a saved "
                             f"network in JSON may ({MAX_JSON_BYTES:,}); save it as .npz instead")
        atomic_write(path, lambda f: f.write(data))
    else:
        stored = {"header": np.array(json.dumps(header))}
        stored.update({f"layers.{i}.{name}": array for (i, name), array in arrays.items()})
        atomic_write(path, lambda f: np.savez_compressed(f, **stored))


# ---------------------------------------------------------------------- loading

def load_network(path, cls):
    """Read a network written by ``save_network`` (or the book's ``network2.save``) as a ``cls``
    (``nbhelpers.engine.Network`` or a subclass; ``Network.load(path)`` passes its own class).

    Raises FileNotFoundError if there is no file, and ValueError naming the file and the problem if
    it is not a saved network.
    """
    kind = _kind(path)
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no saved network at {str(path)!r}")
    try:
        size = path.stat().st_size
        if size == 0:
            raise BadFile("the file is empty")
        if size > MAX_FILE_BYTES:
            raise BadFile(f"the file is {size:,} bytes, more than a saved network of this course can be")
        if kind == ".json":
            header = read_json(path, size)
            reader = JsonArrays(header)
        else:
            header, members = read_npz_header(path)
            reader = NpzArrays(path, members)
        spec = _spec(header)
        arrays = _check_arrays(spec, reader)
    except BadFile as err:
        raise ValueError(f"{str(path)!r} is not a saved network: {err}") from None
    try:
        return _build(cls, spec, arrays)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{str(path)!r} is not a saved network: {err}") from None


def _build(cls, spec, arrays):
    """The network a checked file describes, with the optimiser state it kept, if any."""
    layers, state, k = [], {}, 0
    for (layer_kind, config), values in zip(spec["layers"], arrays):
        layer = LAYERS[layer_kind](**config)
        for name, value in values.items():
            if "." not in name:
                setattr(layer, name, value.astype(spec["dtype"], copy=False))
        for p in layer.parameters():
            slots = {slot: values[f"{p.name}.{slot}"].astype(spec["dtype"], copy=False)
                     for slot in spec["slots"]}
            slots.update({name: counts[k] for name, counts in spec["counters"].items()})
            if slots:
                state[k] = slots
            k += 1
        layers.append(layer)
    net = cls.from_layers(layers, spec["cost"], spec["dtype"], spec["input_shape"])
    if spec["optimizer"] is not None:
        shapes = [p.value.shape for p in net.parameters()]
        net.optimizer_state = {"name": spec["optimizer"],
                               "state": check_state(spec["optimizer"], state, shapes)}
    return net


def _spec(header):
    """The layers, cost, dtype and input shape a header describes, in this package's current terms."""
    if "format" not in header and {"sizes", "weights", "biases", "cost"} <= set(header):
        return _from_book(header)
    if header.get("format") != FORMAT:
        raise BadFile(f"expected format {FORMAT!r}, found {header.get('format')!r}")
    if header.get("version") == 1:
        return _from_version_1(header)
    if header.get("version") != VERSION:
        raise BadFile(f"it has format version {header.get('version')!r:.100}; this nbhelpers "
                      f"reads versions 1 and {VERSION}")
    allowed = {"format", "version", "cost", "dtype", "input_shape", "layers"}
    _exact_keys(header, allowed | ({"optimizer"} & set(header)), "the header")
    entries = header["layers"]
    if not isinstance(entries, list) or not 1 <= len(entries) <= MAX_LAYERS:
        raise BadFile(f"'layers' should be a list of 1 to {MAX_LAYERS} layers")
    layers, stored = [], []
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise BadFile(f"layer {i} should be an object, found {type(entry).__name__}")
        _exact_keys(entry, {"kind", "config"} | ({"arrays"} if "arrays" in entry else set()),
                    f"layer {i}")
        if not isinstance(entry["kind"], str) or entry["kind"] not in LAYERS:
            raise BadFile(f"layer {i} has unknown kind {entry['kind']!r}; known: {sorted(LAYERS)}")
        if not isinstance(entry["config"], dict):
            raise BadFile(f"layer {i}'s config should be an object")
        layers.append((entry["kind"], entry["config"]))
        stored.append(entry.get("arrays", {}) if isinstance(entry.get("arrays", {}), dict) else None)
        if stored[-1] is None:
            raise BadFile(f"layer {i}'s arrays should be an object")
    return _finish(header, layers, stored, lambda i, name: f"layers.{i}.{name}.npy",
                   header.get("optimizer"))


def _optimizer_spec(entry, count):
    """``(name, slots, counters)`` of a header's ``"optimizer"`` entry, for ``count`` parameters."""
    if entry is None:
        return None, (), {}
    if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) \
            or entry["name"] not in OPTIMIZERS or not isinstance(entry.get("stepped"), bool):
        raise BadFile(f"'optimizer' should name one of {sorted(OPTIMIZERS)} and say whether it "
                      f"stepped, found {entry!r:.200}")
    cls = OPTIMIZERS[entry["name"]]
    if not entry["stepped"]:
        _exact_keys(entry, {"name", "stepped"}, "'optimizer'")
        return cls.name, (), {}
    _exact_keys(entry, {"name", "stepped", "counters"}, "'optimizer'")
    counters = entry["counters"]
    if not isinstance(counters, dict) or set(counters) != set(cls.counters) or not all(
            isinstance(v, list) and len(v) == count and all(
                isinstance(n, int) and not isinstance(n, bool) and 0 <= n < MAX_COUNT for n in v)
            for v in counters.values()):
        raise BadFile(f"the optimizer's counters should be {sorted(cls.counters)}, each a list of "
                      f"{count} whole numbers >= 0 (one per parameter)")
    return cls.name, cls.slots, counters


def _from_version_1(header):
    allowed = {"format", "version", "sizes", "cost", "activation", "output_activation", "dtype",
               "weights", "biases"}
    _exact_keys(header, allowed - ({"weights", "biases"} - set(header)), "the header")
    sizes = _sizes(header)
    for key in ("activation", "output_activation"):
        if not isinstance(header[key], str):
            raise BadFile(f"{key!r} should be a name, found {header[key]!r}")
    layers = [("dense", {"n_in": a, "n_out": b, "activation": header["activation"]})
              for a, b in zip(sizes[:-2], sizes[1:-1])]
    layers.append(("dense", {"n_in": sizes[-2], "n_out": sizes[-1],
                             "activation": header["output_activation"]}))
    stored = _book_arrays(header, len(layers))
    spec_header = {"cost": header["cost"], "dtype": header["dtype"], "input_shape": [sizes[0]]}
    return _finish(spec_header, layers, stored, lambda i, name: f"{name}{i}.npy")


def _from_book(header):
    _exact_keys(header, {"sizes", "weights", "biases", "cost"}, "the header")
    sizes = _sizes(header)
    if header["cost"] not in _BOOK_COSTS:
        raise BadFile(f"'cost' should be one of {sorted(_BOOK_COSTS)}, found {header['cost']!r}")
    layers = [("dense", {"n_in": a, "n_out": b, "activation": "sigmoid"})
              for a, b in zip(sizes[:-1], sizes[1:])]
    spec_header = {"cost": _BOOK_COSTS[header["cost"]], "dtype": "float64", "input_shape": [sizes[0]]}
    return _finish(spec_header, layers, _book_arrays(header, len(layers)), None)


def _sizes(header):
    sizes = header.get("sizes")
    if not (isinstance(sizes, list) and 2 <= len(sizes) <= MAX_LAYERS
            and all(isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in sizes)):
        raise BadFile(f"'sizes' should be a list of at least two whole numbers >= 1, found {sizes!r}")
    return sizes


def _book_arrays(header, count):
    if "weights" not in header:
        return [{} for _ in range(count)]   # an .npz of the first format keeps them as entries
    weights, biases = header["weights"], header["biases"]
    if not (isinstance(weights, list) and isinstance(biases, list)
            and len(weights) == len(biases) == count):
        raise BadFile(f"'weights' and 'biases' should be lists of {count} layers each")
    return [{"w": w, "b": b} for w, b in zip(weights, biases)]


def _exact_keys(mapping, allowed, what):
    missing, extra = set(allowed) - set(mapping), set(mapping) - set(allowed)
    if missing:
        raise BadFile(f"{what} lacks {sorted(missing)}")
    if extra:
        raise BadFile(f"{what} has unexpected entries {sorted(extra)}")


def _finish(header, layers, stored, npz_key, optimizer=None):
    cost = header.get("cost")
    if cost not in COSTS:
        raise BadFile(f"'cost' should be one of {sorted(COSTS)}, found {cost!r}")
    if header.get("dtype") not in ("float64", "float32"):
        raise BadFile(f"'dtype' should be 'float64' or 'float32', found {header.get('dtype')!r}")
    try:
        input_shape = check_shape(header.get("input_shape"), "input_shape")
    except ValueError as err:
        raise BadFile(str(err)) from None
    shapes, total = [], 0
    for i, (kind, config) in enumerate(layers):
        try:
            expected = LAYERS[kind].array_shapes(config)
        except (KeyError, TypeError, ValueError) as err:
            raise BadFile(f"layer {i} ({kind}) has unusable settings {config!r:.300} "
                          f"({err!r:.300})") from None
        total += sum(math.prod(s) for s in expected.values())
        shapes.append(expected)
    if total > MAX_NUMBERS:
        count = f"{total:,}" if total < 10**30 else "more than 10**30"
        raise BadFile(f"its layers would hold {count} numbers, more than the limit of {MAX_NUMBERS:,}")
    params = [(i, name) for i, (kind, _) in enumerate(layers) for name in LAYERS[kind].params]
    name, slots, counters = _optimizer_spec(optimizer, len(params))
    for i, param in params:            # the optimiser's arrays, shaped like their parameters
        shapes[i].update({f"{param}.{slot}": shapes[i][param] for slot in slots})
    check_memory(sum(math.prod(s) for expected in shapes for s in expected.values()))
    npz_names = {} if npz_key is None else {
        npz_key(i, name): (i, name) for i, expected in enumerate(shapes) for name in expected}
    return {"cost": cost, "dtype": np.dtype(header["dtype"]), "input_shape": input_shape,
            "layers": layers, "shapes": shapes, "stored": stored, "npz_names": npz_names,
            "optimizer": name, "slots": slots, "counters": counters}


def _check_arrays(spec, reader):
    """Every expected array, read and checked (shape, finite), in layer order; nothing extra."""
    expected = {(i, name) for i, shapes in enumerate(spec["shapes"]) for name in shapes}
    present = reader.available(spec)
    missing, extra = expected - present, present - expected
    if missing:
        raise BadFile("arrays are missing: " + ", ".join(f"layer {i} {n!r}" for i, n in sorted(missing)[:5]))
    if extra:
        raise BadFile("it holds unexpected arrays: " + ", ".join(f"layer {i} {n!r}"
                                                                 for i, n in sorted(extra)[:5]))
    arrays = []
    for i, shapes in enumerate(spec["shapes"]):
        values = {}
        for name, shape in shapes.items():
            value = reader.read(spec, i, name, shape)
            if value.shape != tuple(shape):
                raise BadFile(f"layer {i} {name!r} has shape {value.shape}, but its settings need "
                              f"{tuple(shape)}")
            if not np.isfinite(value).all():
                raise BadFile(f"layer {i} {name!r} contains NaN or infinite numbers")
            values[name] = value
        arrays.append(values)
    return arrays
