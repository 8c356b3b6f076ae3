"""Saving and loading networks as JSON or ``.npz`` (never pickle), checked before anything is built.

A saved network is its list of layers: each layer's kind (a key of ``nbhelpers.layers.LAYERS``), the
settings that rebuild it, and its arrays (``w``, ``b``, batch-norm averages...), plus the cost, dtype
and input shape. JSON writes each float with Python's shortest exact representation, so reading it
back gives the very same bits; ``.npz`` stores the arrays themselves (read with
``allow_pickle=False``). Writes are atomic (a temporary file renamed into place) and the file gets
the usual permissions of a new file (0666 less the umask).

Loading checks the whole file first: the header's layer settings give every array's shape, which
must match what the file holds (for ``.npz`` read from the array headers, without reading the data),
so a 200-byte file that claims a 20000 x 20000 layer is refused at once, without allocating it.
Missing or extra entries, wrong types, NaN or infinite numbers, truncated or empty files, absurd
nesting and compressed members that would expand beyond their stated size all give a ValueError
naming the file and the problem.

Also read: files of this package's first format (``sizes``, ``weights``, ``biases``) and the files the
book's own ``network2.save`` writes (keys ``sizes``, ``weights``, ``biases``, ``cost`` =
``"CrossEntropyCost"`` or ``"QuadraticCost"``).

Used by: ``Network.save``/``Network.load``, the book faces, the CLI, and notebooks 00 (start here)
and 03 (the MNIST network).
"""

from __future__ import annotations

import json
import math
import zipfile
from pathlib import Path

import numpy as np
from numpy.lib import format as npy_format

from ..atomic import atomic_write
from ..costs import COSTS
from ..layers import LAYERS
from ..validate import shape as check_shape

FORMAT = "nbhelpers.network"
VERSION = 2
#: Files larger than this are refused before being read.
MAX_FILE_BYTES = 2 * 2**30
#: At most this many numbers in all the arrays of one network.
MAX_NUMBERS = 200_000_000
MAX_LAYERS = 1000
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


def _check_savable(net):
    """Only the layers of ``LAYERS`` can be rebuilt from a file: refuse any other, by name."""
    for i, layer in enumerate(net.layers):
        if LAYERS.get(layer.kind) is not type(layer):
            raise ValueError(f"layers[{i}] ({type(layer).__name__}, kind {layer.kind!r}) cannot be "
                             f"saved: only the layers of nbhelpers.layers.LAYERS ({sorted(LAYERS)}) "
                             "can be rebuilt from a file")


def _kind(path):
    suffix = Path(path).suffix.lower()
    if suffix not in (".json", ".npz"):
        raise ValueError(f"path must end in .json or .npz, got {str(path)!r}")
    return suffix


def save_network(net, path):
    """Write ``net`` to ``path`` (``.json`` or ``.npz``) atomically."""
    kind = _kind(path)
    _check_savable(net)
    header = _header(net)
    if kind == ".json":
        for entry, layer in zip(header["layers"], net.layers):
            entry["arrays"] = {name: array.tolist() for name, array in layer.arrays().items()}
        data = json.dumps(header).encode("utf-8")
        atomic_write(path, lambda f: f.write(data))
    else:
        stored = {"header": np.array(json.dumps(header))}
        for i, layer in enumerate(net.layers):
            for name, array in layer.arrays().items():
                stored[f"layers.{i}.{name}"] = array
        atomic_write(path, lambda f: np.savez_compressed(f, **stored))


# ---------------------------------------------------------------------- loading

class _Bad(ValueError):
    """A problem found while checking a file (turned into a ValueError naming the file)."""


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
            raise _Bad("the file is empty")
        if size > MAX_FILE_BYTES:
            raise _Bad(f"the file is {size:,} bytes, more than a saved network of this course can be")
        header, reader = _read_json(path) if kind == ".json" else _read_npz(path)
        spec = _spec(header)
        arrays = _check_arrays(spec, reader)
    except _Bad as err:
        raise ValueError(f"{str(path)!r} is not a saved network: {err}") from None
    try:
        layers = []
        for (layer_kind, config), values in zip(spec["layers"], arrays):
            layer = LAYERS[layer_kind](**config)
            for name, value in values.items():
                setattr(layer, name, value.astype(spec["dtype"]))
            layers.append(layer)
        return cls.from_layers(layers, spec["cost"], spec["dtype"], spec["input_shape"])
    except (TypeError, ValueError) as err:
        raise ValueError(f"{str(path)!r} is not a saved network: {err}") from None


def _read_json(path):
    try:
        header = json.loads(path.read_bytes().decode("utf-8"))
    except RecursionError:
        raise _Bad("its JSON is nested too deeply") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise _Bad(f"it is not valid JSON ({err})") from None
    if not isinstance(header, dict):
        raise _Bad(f"expected a JSON object at the top, found a {type(header).__name__}")
    return header, _JsonArrays(header)


def _read_npz(path):
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as err:
        raise _Bad(f"it is not a readable .npz archive ({err})") from None
    with archive:
        names = {info.filename: info for info in archive.infolist()}
        if "header.npy" in names:
            key = "header.npy"
        elif "meta.npy" in names:
            key = "meta.npy"           # this package's first format
        else:
            raise _Bad("the archive has no header entry")
        text = _npz_member(archive, names[key], max_numbers=2**20, want_text=True)
    try:
        header = json.loads(text)
    except RecursionError:
        raise _Bad("its header is nested too deeply") from None
    except json.JSONDecodeError as err:
        raise _Bad(f"its header is not valid JSON ({err})") from None
    if not isinstance(header, dict):
        raise _Bad(f"expected a JSON object as the header, found a {type(header).__name__}")
    return header, _NpzArrays(path, names)


def _npz_member(archive, info, max_numbers, want_text=False, expected_shape=None):
    """Read one .npy member after checking its header (shape, dtype, size) against expectations."""
    try:
        with archive.open(info) as handle:
            version = npy_format.read_magic(handle)
            read_header = npy_format.read_array_header_1_0 if version == (1, 0) \
                else npy_format.read_array_header_2_0
            shape, fortran, dtype = read_header(handle)
            count = math.prod(shape)
            if dtype.itemsize > 2**26:
                raise _Bad(f"entry {info.filename!r} claims items of {dtype.itemsize:,} bytes")
            if want_text:
                if dtype.kind != "U" or shape != ():
                    raise _Bad(f"entry {info.filename!r} should hold text")
            elif dtype.kind not in "fiu" or dtype.hasobject:
                raise _Bad(f"entry {info.filename!r} holds {dtype}, not numbers")
            if expected_shape is not None and tuple(shape) != tuple(expected_shape):
                raise _Bad(f"entry {info.filename!r} has shape {tuple(shape)}, but the header's "
                           f"layer settings need {tuple(expected_shape)}")
            if count > max_numbers:
                raise _Bad(f"entry {info.filename!r} claims {count:,} numbers")
            nbytes = count * dtype.itemsize
            if info.file_size > nbytes + 4096:   # the header itself is small
                raise _Bad(f"entry {info.filename!r} would expand to {info.file_size:,} bytes, "
                           f"far more than its {nbytes:,} bytes of data")
            data = handle.read(nbytes + 1)
            if len(data) != nbytes:
                raise _Bad(f"entry {info.filename!r} is truncated ({len(data):,} of {nbytes:,} bytes)")
            array = np.frombuffer(data, dtype=dtype)
            if want_text:
                return str(array[0]) if array.size else ""
            return array.reshape(shape, order="F" if fortran else "C")
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as err:
        if isinstance(err, _Bad):
            raise
        raise _Bad(f"entry {info.filename!r} cannot be read ({err})") from None


class _JsonArrays:
    """Arrays stored as nested lists in the JSON header, read by (layer index, name)."""

    def __init__(self, header):
        self.header = header

    def available(self, spec):
        return {(i, name) for i, entry in enumerate(spec["stored"]) for name in entry}

    def read(self, spec, index, name, expected_shape):
        value = spec["stored"][index][name]
        _check_nesting(value, expected_shape, f"layer {index} {name!r}")
        return np.array(value, dtype=np.float64)


class _NpzArrays:
    """Arrays stored as .npy entries of the archive, each read after checking its header."""

    def __init__(self, path, names):
        self.path, self.names = path, names

    def available(self, spec):
        found, unknown = set(), []
        for entry in self.names:
            if entry in ("header.npy", "meta.npy"):
                continue
            key = spec["npz_names"].get(entry)
            if key is None:
                unknown.append(entry)
            else:
                found.add(key)
        if unknown:
            raise _Bad(f"it holds unexpected entries {sorted(unknown)[:5]}")
        return found

    def read(self, spec, index, name, expected_shape):
        entry = next(k for k, v in spec["npz_names"].items() if v == (index, name))
        with zipfile.ZipFile(self.path) as archive:
            return _npz_member(archive, self.names[entry], MAX_NUMBERS, expected_shape=expected_shape)


def _check_nesting(value, expected_shape, what):
    """Check that nested lists have exactly the expected shape, level by level, before converting."""
    def walk(item, depth):
        if depth == len(expected_shape):
            if isinstance(item, list) or isinstance(item, bool) or not isinstance(item, (int, float)):
                raise _Bad(f"{what} should be numbers nested {len(expected_shape)} deep with shape "
                           f"{tuple(expected_shape)}")
            return
        if not isinstance(item, list) or len(item) != expected_shape[depth]:
            found = len(item) if isinstance(item, list) else type(item).__name__
            raise _Bad(f"{what} should have shape {tuple(expected_shape)}, but level {depth} has "
                       f"{found} entries")
        for sub in item:
            walk(sub, depth + 1)
    walk(value, 0)


def _spec(header):
    """The layers, cost, dtype and input shape a header describes, in this package's current terms."""
    if "format" not in header and {"sizes", "weights", "biases", "cost"} <= set(header):
        return _from_book(header)
    if header.get("format") != FORMAT:
        raise _Bad(f"expected format {FORMAT!r}, found {header.get('format')!r}")
    if header.get("version") == 1:
        return _from_version_1(header)
    if header.get("version") != VERSION:
        raise _Bad(f"it has format version {header.get('version')!r}; this nbhelpers reads "
                   f"versions 1 and {VERSION}")
    allowed = {"format", "version", "cost", "dtype", "input_shape", "layers"}
    _exact_keys(header, allowed, "the header")
    entries = header["layers"]
    if not isinstance(entries, list) or not 1 <= len(entries) <= MAX_LAYERS:
        raise _Bad(f"'layers' should be a list of 1 to {MAX_LAYERS} layers")
    layers, stored = [], []
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise _Bad(f"layer {i} should be an object, found {type(entry).__name__}")
        _exact_keys(entry, {"kind", "config"} | ({"arrays"} if "arrays" in entry else set()),
                    f"layer {i}")
        if entry["kind"] not in LAYERS:
            raise _Bad(f"layer {i} has unknown kind {entry['kind']!r}; known: {sorted(LAYERS)}")
        if not isinstance(entry["config"], dict):
            raise _Bad(f"layer {i}'s config should be an object")
        layers.append((entry["kind"], entry["config"]))
        stored.append(entry.get("arrays", {}) if isinstance(entry.get("arrays", {}), dict) else None)
        if stored[-1] is None:
            raise _Bad(f"layer {i}'s arrays should be an object")
    return _finish(header, layers, stored, lambda i, name: f"layers.{i}.{name}.npy")


def _from_version_1(header):
    allowed = {"format", "version", "sizes", "cost", "activation", "output_activation", "dtype",
               "weights", "biases"}
    _exact_keys(header, allowed - ({"weights", "biases"} - set(header)), "the header")
    sizes = _sizes(header)
    for key in ("activation", "output_activation"):
        if not isinstance(header[key], str):
            raise _Bad(f"{key!r} should be a name, found {header[key]!r}")
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
        raise _Bad(f"'cost' should be one of {sorted(_BOOK_COSTS)}, found {header['cost']!r}")
    layers = [("dense", {"n_in": a, "n_out": b, "activation": "sigmoid"})
              for a, b in zip(sizes[:-1], sizes[1:])]
    spec_header = {"cost": _BOOK_COSTS[header["cost"]], "dtype": "float64", "input_shape": [sizes[0]]}
    return _finish(spec_header, layers, _book_arrays(header, len(layers)), None)


def _sizes(header):
    sizes = header.get("sizes")
    if not (isinstance(sizes, list) and 2 <= len(sizes) <= MAX_LAYERS
            and all(isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in sizes)):
        raise _Bad(f"'sizes' should be a list of at least two whole numbers >= 1, found {sizes!r}")
    return sizes


def _book_arrays(header, count):
    if "weights" not in header:
        return [{} for _ in range(count)]   # an .npz of the first format keeps them as entries
    weights, biases = header["weights"], header["biases"]
    if not (isinstance(weights, list) and isinstance(biases, list)
            and len(weights) == len(biases) == count):
        raise _Bad(f"'weights' and 'biases' should be lists of {count} layers each")
    return [{"w": w, "b": b} for w, b in zip(weights, biases)]


def _exact_keys(mapping, allowed, what):
    missing, extra = set(allowed) - set(mapping), set(mapping) - set(allowed)
    if missing:
        raise _Bad(f"{what} lacks {sorted(missing)}")
    if extra:
        raise _Bad(f"{what} has unexpected entries {sorted(extra)}")


def _finish(header, layers, stored, npz_key):
    cost = header.get("cost")
    if cost not in COSTS:
        raise _Bad(f"'cost' should be one of {sorted(COSTS)}, found {cost!r}")
    if header.get("dtype") not in ("float64", "float32"):
        raise _Bad(f"'dtype' should be 'float64' or 'float32', found {header.get('dtype')!r}")
    try:
        input_shape = check_shape(header.get("input_shape"), "input_shape")
    except ValueError as err:
        raise _Bad(str(err)) from None
    shapes, total = [], 0
    for i, (kind, config) in enumerate(layers):
        try:
            expected = LAYERS[kind].array_shapes(config)
        except (KeyError, TypeError, ValueError) as err:
            raise _Bad(f"layer {i} ({kind}) has unusable settings {config!r} ({err!r})") from None
        total += sum(math.prod(s) for s in expected.values())
        shapes.append(expected)
    if total > MAX_NUMBERS:
        raise _Bad(f"its layers would hold {total:,} numbers, more than the limit of {MAX_NUMBERS:,}")
    npz_names = {} if npz_key is None else {
        npz_key(i, name): (i, name) for i, expected in enumerate(shapes) for name in expected}
    return {"cost": cost, "dtype": np.dtype(header["dtype"]), "input_shape": input_shape,
            "layers": layers, "shapes": shapes, "stored": stored, "npz_names": npz_names}


def _check_arrays(spec, reader):
    """Every expected array, read and checked (shape, finite), in layer order; nothing extra."""
    expected = {(i, name) for i, shapes in enumerate(spec["shapes"]) for name in shapes}
    present = reader.available(spec)
    missing, extra = expected - present, present - expected
    if missing:
        raise _Bad("arrays are missing: " + ", ".join(f"layer {i} {n!r}" for i, n in sorted(missing)[:5]))
    if extra:
        raise _Bad("it holds unexpected arrays: " + ", ".join(f"layer {i} {n!r}"
                                                              for i, n in sorted(extra)[:5]))
    arrays = []
    for i, shapes in enumerate(spec["shapes"]):
        values = {}
        for name, shape in shapes.items():
            value = reader.read(spec, i, name, shape)
            if value.shape != tuple(shape):
                raise _Bad(f"layer {i} {name!r} has shape {value.shape}, but its settings need "
                           f"{tuple(shape)}")
            if not np.isfinite(value).all():
                raise _Bad(f"layer {i} {name!r} contains NaN or infinite numbers")
            values[name] = value
        arrays.append(values)
    return arrays
