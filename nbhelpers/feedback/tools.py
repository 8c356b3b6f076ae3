"""The tools the checks and the grader's probes rely on, and whether a notebook has replaced them.

When ``nbhelpers.feedback`` is imported (a notebook's first, locked cell does it) this module
records the NumPy functions, builtins, standard-library functions and feedback functions the checks
use. ``changed()`` names each one that is no longer the object recorded, or that no longer comes
from where it should (a NumPy function defined in a notebook cell, say), and other ways of steering
what a cell does: IPython input or AST transformers added by the notebook, a trace or profile
function, NumPy or ``builtins`` swapped in ``sys.modules``.

The grader gives no points for a test run after such a change, and says why. Its verdicts are
computed outside the notebook, so a change it does not see gains nothing either: this is a report,
not the protection.

Used by: ``probe`` (and so the hidden tests of the assignments).
"""

from __future__ import annotations

import builtins
import importlib
import sys
import types

import numpy as np

__all__ = ["changed", "snapshot"]

_BUILTINS = (
    "abs", "all", "any", "bool", "callable", "compile", "delattr", "dict", "enumerate", "eval",
    "exec", "filter", "float", "format", "getattr", "globals", "hasattr", "hash", "id", "int",
    "isinstance", "issubclass", "iter", "len", "list", "map", "max", "min", "next", "object", "open",
    "print", "range", "repr", "round", "set", "setattr", "sorted", "str", "sum", "super", "tuple",
    "type", "vars", "zip", "__import__", "BaseException", "Exception", "AssertionError",
)
_NUMPY = (
    "abs", "absolute", "all", "allclose", "any", "argmax", "array", "array_equal", "asarray", "copy",
    "dot", "einsum", "errstate", "exp", "eye", "float64", "imag", "isclose", "isfinite", "isnan",
    "log", "matmul", "max", "mean", "min", "ndarray", "ones", "real", "sqrt", "sum", "tanh", "zeros",
    "linalg.norm", "random.default_rng", "testing.assert_allclose",
)
_LIBRARY = (
    ("json", "dumps"), ("json", "loads"), ("base64", "b64encode"), ("copy", "deepcopy"),
    ("math", "isclose"), ("math", "isfinite"), ("math", "sqrt"), ("signal", "signal"),
    ("signal", "setitimer"), ("contextlib", "redirect_stdout"), ("time", "perf_counter"),
    ("IPython.display", "display"),
)
_FEEDBACK_MODULES = ("calls", "encode", "functions", "backprop", "parts", "shapes", "training",
                     "report", "challenges", "probe")

_SNAPSHOT: dict[str, object] = {}
_STATE: dict[str, object] = {}


def _lookup(module, path):
    value = module
    for part in path.split("."):
        value = getattr(value, part)
    return value


def _entries():
    """(name, getter) for every tool watched."""
    entries = [(f"builtins.{n}", (lambda n=n: getattr(builtins, n))) for n in _BUILTINS]
    entries += [(f"numpy.{p}", (lambda p=p: _lookup(sys.modules["numpy"], p))) for p in _NUMPY]
    entries += [(f"{m}.{n}", (lambda m=m, n=n: getattr(sys.modules[m], n))) for m, n in _LIBRARY]
    for short in _FEEDBACK_MODULES:
        name = f"nbhelpers.feedback.{short}"
        module = sys.modules.get(name)
        for attr in getattr(module, "__all__", ()):
            entries.append((f"{name}.{attr}", (lambda name=name, attr=attr:
                                                 getattr(sys.modules[name], attr))))
    package = sys.modules.get("nbhelpers.feedback")
    for attr in getattr(package, "__all__", ()):
        entries.append((f"nbhelpers.feedback.{attr}", (lambda attr=attr:
                                                         getattr(sys.modules["nbhelpers.feedback"], attr))))
    return entries


def _ipython():
    shell = sys.modules.get("IPython")
    try:
        return shell.get_ipython() if shell else None
    except Exception:  # noqa: BLE001 - no IPython, or a broken one
        return None


def _ipython_hooks(shell):
    if shell is None:
        return ()
    hooks = list(getattr(shell, "input_transformers_post", ())) + \
        list(getattr(shell, "input_transformers_cleanup", ())) + list(getattr(shell, "ast_transformers", ()))
    return tuple(id(h) for h in hooks)


def snapshot():
    """Record the tools as they are now (done once, when ``nbhelpers.feedback`` is imported)."""
    for module in ("json", "base64", "copy", "math", "signal", "contextlib", "time"):
        importlib.import_module(module)
    _SNAPSHOT.clear()
    for name, get in _entries():
        try:
            _SNAPSHOT[name] = get()
        except (AttributeError, KeyError):
            continue
    _STATE.update(numpy=sys.modules.get("numpy"), builtins=sys.modules.get("builtins"),
                  hooks=_ipython_hooks(_ipython()), count=len(_SNAPSHOT))


def _foreign(name, value):
    """True when ``value`` does not come from where the tool called ``name`` lives."""
    if name.startswith("builtins."):
        return isinstance(value, types.FunctionType)
    if name.startswith("numpy."):
        module = getattr(value, "__module__", None) or ""
        return isinstance(value, types.FunctionType) and not module.startswith("numpy")
    return False


def changed():
    """The names of the watched tools a notebook has changed since ``snapshot()`` (a list)."""
    if not _SNAPSHOT:
        return []
    found = []
    if len(_SNAPSHOT) != _STATE.get("count"):
        found.append("the grader's own record of its tools")
    for name, get in _entries():
        try:
            value = get()
        except (AttributeError, KeyError):
            found.append(name)
            continue
        if name in _SNAPSHOT and (value is not _SNAPSHOT[name] or _foreign(name, value)):
            found.append(name)
    if sys.modules.get("numpy") is not _STATE.get("numpy") or np is not _STATE.get("numpy"):
        found.append("the numpy module itself")
    if sys.modules.get("builtins") is not _STATE.get("builtins"):
        found.append("the builtins module itself")
    if _ipython_hooks(_ipython()) != _STATE.get("hooks"):
        found.append("IPython's input or AST transformers (code that rewrites cells before they run)")
    if sys.gettrace() is not None or sys.getprofile() is not None:
        found.append("a trace or profile function (sys.settrace / sys.setprofile)")
    return found
