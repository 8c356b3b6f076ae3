"""Values as JSON, and back: how what a student's code returned travels from the notebook to the grader.

``encode`` turns a value into plain JSON data, each node tagged with its kind: numbers (NaN and
infinities included, complex numbers as two parts), short strings, NumPy arrays of numbers (their
bytes in base64, with dtype and shape), lists, tuples and dicts of these, and for anything else only
its type (long text only by its length and first characters). Sizes are bounded: an array of more
than ``MAX_NUMBERS`` numbers, or nesting deeper than ``MAX_DEPTH``, is sent as a note, not as data.

``decode`` reads such data back, and trusts none of it: every node is checked (known tags, dtypes
and shapes that match the bytes, bounded sizes) and anything else raises ``ValueError``. Long text
and other objects come back as :class:`Opaque` markers; nothing is ever run as code.

Used by: ``probe`` in the notebook (encode) and the grader (decode).
"""

from __future__ import annotations

import base64
import math
from fractions import Fraction

import numpy as np

__all__ = ["encode", "decode", "Opaque", "MAX_NUMBERS"]

MAX_NUMBERS = 2_000_000
MAX_DEPTH = 8
MAX_ITEMS = 10_000
MAX_TEXT = 2000
_DTYPES = {"float64": np.float64, "complex128": np.complex128, "int64": np.int64, "bool": np.bool_}


class Opaque:
    """Something that is not a number, an array or a container of them: its ``type`` (a name), and
    for text its length and first characters (``text``)."""

    def __init__(self, type_name, text=None, length=None):
        self.type, self.text, self.length = str(type_name)[:80], text, length

    def __repr__(self):
        return f"<{self.type}>" if self.text is None else f"<{self.type} of length {self.length}>"

    def __eq__(self, other):
        return isinstance(other, Opaque) and (self.type, self.text) == (other.type, other.text)

    __hash__ = None


def _number(x):
    if isinstance(x, (bool, np.bool_)):
        return {"t": "bool", "v": bool(x)}
    if isinstance(x, (int, np.integer)):
        x = int(x)
        return {"t": "int", "v": x} if abs(x) < 2**53 else {"t": "float", "v": _float(float(x))}
    if isinstance(x, Fraction):
        return {"t": "float", "v": _float(float(x))}
    if isinstance(x, (complex, np.complexfloating)):
        return {"t": "complex", "re": _float(x.real), "im": _float(x.imag)}
    return {"t": "float", "v": _float(float(x))}


def _float(x):
    return x if math.isfinite(x) else repr(x)       # "nan", "inf", "-inf"


def _array(a):
    kind = a.dtype.kind
    if kind not in "biufc":
        return {"t": "other", "type": f"ndarray of {a.dtype}"[:80], "shape": list(a.shape)}
    if a.size > MAX_NUMBERS:
        return {"t": "big", "shape": list(a.shape), "dtype": str(a.dtype)}
    target = {"b": "bool", "i": "int64", "u": "int64", "f": "float64", "c": "complex128"}[kind]
    data = np.ascontiguousarray(a, dtype=_DTYPES[target])
    return {"t": "array", "dtype": target, "shape": list(a.shape),
            "b64": base64.b64encode(data.tobytes()).decode("ascii")}


def encode(value, depth=0):
    """Plain JSON data for ``value`` (see the module's docstring)."""
    if depth > MAX_DEPTH:
        return {"t": "deep"}
    if value is None:
        return {"t": "none"}
    if isinstance(value, (bool, int, float, complex, Fraction, np.generic)) and \
            np.asarray(value).dtype.kind in "biufc":
        return _number(value)
    if isinstance(value, np.ndarray):
        return _array(value)
    if isinstance(value, str):
        if len(value) <= MAX_TEXT:
            return {"t": "str", "v": value}
        return {"t": "text", "len": len(value), "head": value[:60]}
    if isinstance(value, (list, tuple)):
        items = [encode(v, depth + 1) for v in list(value)[:MAX_ITEMS]]
        return {"t": type(value).__name__ if type(value) in (list, tuple) else "list",
                "items": items, "len": len(value)}
    if isinstance(value, dict):
        pairs = [[encode(k, depth + 1), encode(v, depth + 1)] for k, v in list(value.items())[:MAX_ITEMS]]
        return {"t": "dict", "items": pairs, "len": len(value)}
    return {"t": "other", "type": type(value).__name__}


def _check(condition, what):
    if not condition:
        raise ValueError(f"malformed data from the notebook: {what}")


def _decode_float(v):
    if isinstance(v, str):
        _check(v in ("nan", "inf", "-inf"), f"number {v[:20]!r}")
        return float(v)
    _check(isinstance(v, (int, float)) and not isinstance(v, bool), "a number that is not a number")
    return float(v)


def _decode_array(node, budget):
    dtype = _DTYPES.get(node.get("dtype"))
    shape = node.get("shape")
    _check(dtype is not None, "array dtype")
    _check(isinstance(shape, list) and len(shape) <= 32 and
           all(isinstance(n, int) and not isinstance(n, bool) and 0 <= n <= MAX_NUMBERS for n in shape),
           "array shape")
    count = math.prod(shape)
    _check(count <= MAX_NUMBERS and count <= budget[0], "array size")
    budget[0] -= count
    data = node.get("b64")
    _check(isinstance(data, str) and len(data) <= 4 * (count * 16 // 3 + 4), "array data")
    raw = base64.b64decode(data, validate=True)
    _check(len(raw) == count * np.dtype(dtype).itemsize, "array data length")
    return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()


def decode(node, depth=0, budget=None):
    """The value ``node`` (from ``encode``) stands for; ``ValueError`` if it is malformed."""
    budget = budget if budget is not None else [4 * MAX_NUMBERS]
    _check(depth <= MAX_DEPTH + 1 and isinstance(node, dict), "a node that is not a tagged object")
    tag = node.get("t")
    if tag == "none":
        return None
    if tag == "bool":
        _check(isinstance(node.get("v"), bool), "bool")
        return node["v"]
    if tag == "int":
        _check(isinstance(node.get("v"), int) and not isinstance(node.get("v"), bool), "int")
        return node["v"]
    if tag == "float":
        return _decode_float(node.get("v"))
    if tag == "complex":
        return complex(_decode_float(node.get("re")), _decode_float(node.get("im")))
    if tag == "array":
        return _decode_array(node, budget)
    if tag in ("list", "tuple"):
        items = node.get("items")
        _check(isinstance(items, list) and len(items) <= MAX_ITEMS, "list")
        values = [decode(item, depth + 1, budget) for item in items]
        return values if tag == "list" else tuple(values)
    if tag == "dict":
        items = node.get("items")
        _check(isinstance(items, list) and len(items) <= MAX_ITEMS, "dict")
        result = {}
        for pair in items:
            _check(isinstance(pair, list) and len(pair) == 2, "dict entry")
            key = decode(pair[0], depth + 1, budget)
            _check(isinstance(key, (int, float, complex, str, tuple)), "dict key")
            result[key] = decode(pair[1], depth + 1, budget)
        return result
    if tag == "str":
        _check(isinstance(node.get("v"), str) and len(node["v"]) <= MAX_TEXT, "str")
        return node["v"]
    if tag == "text":
        head, length = node.get("head"), node.get("len")
        _check(isinstance(head, str) and isinstance(length, int), "text")
        return Opaque("str", head[:60], length)
    if tag in ("other", "big", "deep"):
        return Opaque(str(node.get("type", tag)))
    raise ValueError(f"malformed data from the notebook: unknown tag {str(tag)[:20]!r}")
