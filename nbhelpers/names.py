"""Looking things up by name: the one rule behind ``get_activation``, ``get_cost``,
``get_initializer`` and ``make_schedule``.

A name matches a table key ignoring case, with '-' or ' ' read as '_' ("Cross-Entropy" finds
"cross_entropy"), or through a table's aliases; an unknown name raises a ValueError that names the
parameter and lists every valid key. Used by: every table (``activations``, ``costs``,
``initializers``, ``regularization``, ``optimizers``, ``schedules``, ``layers``), ``data``'s names
of data sets, the widgets and the CLI; and so by every notebook that names a cost or an activation.
"""

from __future__ import annotations


def normalize(name):
    """The table key that ``name`` spells: lower case, with '-' and ' ' read as '_'."""
    return str(name).lower().replace("-", "_").replace(" ", "_")


def lookup(table, name, parameter, aliases=None, extra=""):
    """``table[key]`` for the key that ``name`` spells; ``parameter`` is used in the error.

    Args:
        table: dict from canonical names to values.
        name: what the user wrote (any object; it is turned into text).
        parameter: the argument's name for the error message, e.g. "cost".
        aliases: optional dict of other spellings to canonical names.
        extra: optional words added after the list of names in the error (e.g. "or an object").
    """
    key = normalize(name)
    key = (aliases or {}).get(key, key)
    if key not in table:
        raise ValueError(f"{parameter} must be one of {sorted(table)}{extra}, got {name!r}")
    return table[key]


def resolve(table, name, parameter, base, aliases=None):
    """An instance for ``name``: ``name`` itself if it is already a ``base``, a new one if it is a
    subclass of ``base``, else ``lookup(table, name, ...)()`` (so the error lists every valid name)."""
    if isinstance(name, base):
        return name
    if isinstance(name, type) and issubclass(name, base):
        return name()
    return lookup(table, name, parameter, aliases)()
