"""Reading a saved network's file within bounds: JSON text, or the members of a ``.npz`` archive.

``engine.serialize`` decides what a saved network is; this module reads the bytes, never more
than a network of this course could need, and never more than this process has memory for:

- a file over ``MAX_FILE_BYTES`` (``MAX_JSON_BYTES`` for JSON, the readable format: a network this
  large is saved as ``.npz``) is refused before it is read, and so is one whose parsing would
  not fit in the memory available (``validate.fits_in_memory``: the machine's, the process's
  limits', the container's); a JSON file must start with ``{``, checked on its first bytes;
- a ``.npz`` member is read only after its header (shape, type, size) has been checked against
  what the network's settings need, and after the whole network's numbers (at most
  ``MAX_NUMBERS`` in its own arrays) have been checked to fit in memory; a member that would
  expand beyond its stated size (a zip bomb) is refused before it expands;
- JSON that is invalid, too deeply nested, or holds a number too long for Python is refused too.

Every problem raises ``BadFile`` (a ValueError), which the loader turns into a message naming the
file. Used by: ``engine.serialize``.
"""

from __future__ import annotations

import json
import math
import zipfile

import numpy as np
from numpy.lib import format as npy_format

from ..validate import fits_in_memory

#: Files larger than this are refused before being read.
MAX_FILE_BYTES = 2 * 2**30
#: JSON files larger than this are refused before being read (and never written).
MAX_JSON_BYTES = 256 * 2**20
#: At most this many numbers in a network's own arrays (parameters and buffers): ten times the
#: largest network the book trains. Optimiser state (at most two arrays per parameter) comes on top.
MAX_NUMBERS = 20_000_000
#: Parsing JSON takes up to this many bytes of memory per byte of text (Python floats in lists).
JSON_BYTES_PER_BYTE = 10


class BadFile(ValueError):
    """A problem found while checking a file (turned into a ValueError naming the file)."""


def read_json(path, size):
    """The JSON object at ``path`` (``size`` bytes), read after checking the bounds."""
    if size > MAX_JSON_BYTES:
        raise BadFile(f"the file is {size:,} bytes, more than a network saved as JSON can be "
                      f"({MAX_JSON_BYTES:,}); a network this large is saved as .npz")
    try:
        fits_in_memory(size, JSON_BYTES_PER_BYTE, "path", f"reading this {size:,}-byte JSON file",
                       copies=1, why="the text and the numbers it is parsed into")
    except ValueError as err:
        raise BadFile(str(err)) from None
    with open(path, "rb") as handle:
        start = handle.read(65536).lstrip(b" \t\r\n\xef\xbb\xbf")
        if start.startswith(b"["):
            raise BadFile("expected a JSON object at the top, found a list")
        if not start.startswith(b"{"):
            raise BadFile(f"it is not valid JSON (a saved network starts with '{{', this file "
                          f"with {start[:20]!r})")
        data = start + handle.read()
    try:
        header = json.loads(data.decode("utf-8"))
    except RecursionError:
        raise BadFile("its JSON is nested too deeply") from None
    except (UnicodeDecodeError, ValueError) as err:   # also a number too long for Python
        raise BadFile(f"it is not valid JSON ({err})") from None
    if not isinstance(header, dict):
        raise BadFile(f"expected a JSON object at the top, found a {type(header).__name__}")
    return header


def read_npz_header(path):
    """``(header, members)``: the JSON header of a ``.npz`` archive and its members by name."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as err:
        raise BadFile(f"it is not a readable .npz archive ({err})") from None
    with archive:
        names = {info.filename: info for info in archive.infolist()}
        if "header.npy" in names:
            key = "header.npy"
        elif "meta.npy" in names:
            key = "meta.npy"           # this package's first format
        else:
            raise BadFile("the archive has no header entry")
        text = npz_member(archive, names[key], max_numbers=2**20, want_text=True)
    try:
        header = json.loads(text)
    except RecursionError:
        raise BadFile("its header is nested too deeply") from None
    except ValueError as err:
        raise BadFile(f"its header is not valid JSON ({err})") from None
    if not isinstance(header, dict):
        raise BadFile(f"expected a JSON object as the header, found a {type(header).__name__}")
    return header, names


def check_memory(total):
    """Refuse a network of ``total`` numbers that could not be read into memory (two copies in
    float64: the bytes read, and the arrays of the network's own dtype)."""
    try:
        fits_in_memory(total, 8, "path", "the saved network", copies=2,
                       why="read, then made into the network's arrays")
    except ValueError as err:
        raise BadFile(str(err)) from None


def npz_member(archive, info, max_numbers, want_text=False, expected_shape=None):
    """Read one .npy member after checking its header (shape, dtype, size) against expectations."""
    try:
        with archive.open(info) as handle:
            version = npy_format.read_magic(handle)
            read_header = npy_format.read_array_header_1_0 if version == (1, 0) \
                else npy_format.read_array_header_2_0
            shape, fortran, dtype = read_header(handle)
            count = math.prod(shape)
            if dtype.itemsize > 2**26:
                raise BadFile(f"entry {info.filename!r} claims items of {dtype.itemsize:,} bytes")
            if want_text:
                if dtype.kind != "U" or shape != ():
                    raise BadFile(f"entry {info.filename!r} should hold text")
            elif dtype.kind not in "fiu" or dtype.hasobject:
                raise BadFile(f"entry {info.filename!r} holds {dtype}, not numbers")
            if expected_shape is not None and tuple(shape) != tuple(expected_shape):
                raise BadFile(f"entry {info.filename!r} has shape {tuple(shape)}, but the header's "
                              f"layer settings need {tuple(expected_shape)}")
            if count > max_numbers:
                raise BadFile(f"entry {info.filename!r} claims {count:,} numbers")
            nbytes = count * dtype.itemsize
            if info.file_size > nbytes + 4096:   # the header itself is small
                raise BadFile(f"entry {info.filename!r} would expand to {info.file_size:,} bytes, "
                              f"far more than its {nbytes:,} bytes of data")
            data = bytearray(nbytes)             # read in place: no second copy
            view, got = memoryview(data), 0
            while got < nbytes:
                chunk = handle.readinto(view[got:])
                if not chunk:
                    break
                got += chunk
            if got != nbytes or handle.read(1):
                raise BadFile(f"entry {info.filename!r} is truncated ({got:,} of {nbytes:,} bytes)"
                              if got != nbytes else f"entry {info.filename!r} holds more than its "
                              f"{nbytes:,} bytes of data")
            array = np.frombuffer(data, dtype=dtype)
            if want_text:
                return str(array[0]) if array.size else ""
            return array.reshape(shape, order="F" if fortran else "C")
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as err:
        if isinstance(err, BadFile):
            raise
        raise BadFile(f"entry {info.filename!r} cannot be read ({err})") from None


class JsonArrays:
    """Arrays stored as nested lists in the JSON header, read by (layer index, name)."""

    def __init__(self, header):
        self.header = header

    def available(self, spec):
        return {(i, name) for i, entry in enumerate(spec["stored"]) for name in entry}

    def read(self, spec, index, name, expected_shape):
        value = spec["stored"][index][name]
        check_nesting(value, expected_shape, f"layer {index} {name!r}")
        try:
            return np.array(value, dtype=np.float64)
        except OverflowError:
            raise BadFile(f"layer {index} {name!r} holds a number too large for a float") from None


class NpzArrays:
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
            raise BadFile(f"it holds unexpected entries {sorted(unknown)[:5]}")
        return found

    def read(self, spec, index, name, expected_shape):
        entry = next(k for k, v in spec["npz_names"].items() if v == (index, name))
        with zipfile.ZipFile(self.path) as archive:
            return npz_member(archive, self.names[entry], math.prod(expected_shape),
                              expected_shape=expected_shape)


def check_nesting(value, expected_shape, what):
    """Check that nested lists have exactly the expected shape, level by level, before converting."""
    def walk(item, depth):
        if depth == len(expected_shape):
            if isinstance(item, list) or isinstance(item, bool) or not isinstance(item, (int, float)):
                raise BadFile(f"{what} should be numbers nested {len(expected_shape)} deep with "
                              f"shape {tuple(expected_shape)}")
            return
        if not isinstance(item, list) or len(item) != expected_shape[depth]:
            found = len(item) if isinstance(item, list) else type(item).__name__
            raise BadFile(f"{what} should have shape {tuple(expected_shape)}, but level {depth} has "
                          f"{found} entries")
        for sub in item:
            walk(sub, depth + 1)
    walk(value, 0)
