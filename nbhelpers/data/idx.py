"""Read and write IDX files, the simple binary format MNIST and Fashion-MNIST are published in.

Used by ``nbhelpers.data`` (and so, indirectly, by all notebooks that load the full data sets)
and by the tests, which write small IDX fixtures with :func:`write_idx`.

An IDX file is a 4-byte magic number ``00 00 <type code> <number of dimensions>``, then one
big-endian uint32 per dimension, then the values in C (row-major) order, big-endian.
Files may be gzip-compressed; :func:`read_idx` recognises that from the content.
"""

from __future__ import annotations

import gzip
import math
import os
import zlib
from pathlib import Path
from typing import Union

import numpy as np

from ..atomic import atomic_write

__all__ = ["read_idx", "write_idx", "IDX_TYPES"]

# IDX type code -> big-endian NumPy dtype of the stored values.
IDX_TYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_CODE_OF_KIND = {(dt.kind, dt.itemsize): code for code, dt in IDX_TYPES.items()}
_GZIP_MAGIC = b"\x1f\x8b"

Source = Union[str, os.PathLike, bytes, bytearray, memoryview]


def _read_source(source: Source) -> tuple[bytes, str]:
    """Return the (decompressed) bytes of ``source`` and a name to use in error messages."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        raw, name = bytes(source), "<bytes>"
    elif isinstance(source, (str, os.PathLike)):
        name = os.fspath(source)
        with open(name, "rb") as fh:
            raw = fh.read()
    else:
        raise TypeError(
            "source must be a path (str or os.PathLike) or bytes; "
            f"got {type(source).__name__}"
        )
    if raw[:2] == _GZIP_MAGIC:
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise ValueError(
                f"{name}: not a valid gzip stream (truncated or corrupt): {exc}"
            ) from exc
    return raw, name


def read_idx(source: Source) -> np.ndarray:
    """Read an IDX file into a NumPy array.

    ``source`` is a path (``str`` or ``os.PathLike``; gzip-compressed or not) or the file's
    bytes. Returns a new, writable array in native byte order whose shape is the one stored in
    the file, e.g. (60000, 28, 28) uint8 for MNIST training images or (60000,) uint8 for
    labels. Raises ``ValueError`` naming the file and the problem if the magic number, type
    code or dimensions are invalid or if the payload is shorter or longer than the header says.
    """
    data, name = _read_source(source)
    if len(data) < 4:
        raise ValueError(f"{name}: too short for an IDX header ({len(data)} bytes, truncated?)")
    if data[0] != 0 or data[1] != 0:
        raise ValueError(
            f"{name}: bad magic number {data[:4].hex()}; an IDX file starts with two zero bytes"
        )
    code, ndim = data[2], data[3]
    if code not in IDX_TYPES:
        known = ", ".join(f"0x{c:02X}" for c in IDX_TYPES)
        raise ValueError(f"{name}: unknown IDX type code 0x{code:02X}; known codes are {known}")
    if ndim == 0:
        raise ValueError(f"{name}: IDX header declares 0 dimensions; at least 1 is needed")
    header_size = 4 + 4 * ndim
    if len(data) < header_size:
        raise ValueError(
            f"{name}: header declares {ndim} dimensions but the file ends after "
            f"{len(data)} bytes (truncated)"
        )
    shape = tuple(int(d) for d in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    dtype = IDX_TYPES[code]
    expected = math.prod(shape) * dtype.itemsize   # Python integers: no overflow, however absurd
    actual = len(data) - header_size
    if actual < expected:
        raise ValueError(
            f"{name}: truncated: dimensions {shape} need {expected} bytes of data, "
            f"only {actual} present"
        )
    if actual > expected:
        raise ValueError(
            f"{name}: {actual - expected} unexpected bytes after the data "
            f"(dimensions {shape} need {expected} bytes)"
        )
    values = np.frombuffer(data, dtype=dtype, offset=header_size)
    return values.astype(dtype.newbyteorder("="), copy=True).reshape(shape)


def write_idx(path: Union[str, os.PathLike], array, compress: bool | None = None) -> Path:
    """Write ``array`` (any shape with 1 to 255 dimensions) to ``path`` as an IDX file.

    Supported dtypes: uint8, int8, int16, int32, float32, float64. ``compress=None`` gzips
    when ``path`` ends in ``.gz``; ``True``/``False`` force it. The file is written to a
    temporary file in the same folder and then moved into place, so ``path`` never holds a
    partial file. The gzip header carries no timestamp, so equal arrays give equal bytes.
    Returns ``path`` as a ``Path``.
    """
    path = Path(path)
    array = np.asarray(array)
    code = _CODE_OF_KIND.get((array.dtype.kind, array.dtype.itemsize))
    if code is None:
        allowed = "uint8, int8, int16, int32, float32, float64"
        raise ValueError(f"array dtype must be one of {allowed}; got {array.dtype}")
    if not 1 <= array.ndim <= 255:
        raise ValueError(f"array must have 1 to 255 dimensions; got {array.ndim}")
    if any(d >= 2**32 for d in array.shape):
        raise ValueError(f"array dimensions must each be below 2**32; got shape {array.shape}")
    if compress is None:
        compress = path.name.endswith(".gz")
    header = bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes()
    payload = header + np.ascontiguousarray(array, dtype=IDX_TYPES[code]).tobytes()
    if compress:
        payload = gzip.compress(payload, mtime=0)

    atomic_write(path, lambda handle: handle.write(payload))
    return path
