"""The package's layout keeps its tiers: each module imports only from its own tier or below.

The tiers are the ones mapped in ``nbhelpers/__init__.py`` and ``docs/architecture.md``, bottom
first. A module that reaches up (the engine importing a widget, data importing a book face) fails
here with the import named.
"""

import ast
from pathlib import Path

import nbhelpers

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "nbhelpers"

TIERS = [
    ("names", "validate", "atomic", "memory"),
    ("activations", "costs", "initializers", "regularization", "optimizers", "schedules"),
    ("layers",),
    ("engine",),
    ("gradcheck",),
    ("data",),
    ("network", "network2", "network3", "mnist_loader"),
    ("plots", "widgets"),
    ("lessons",),
    ("feedback", "reproduce", "cli", "__main__"),
]
TIER = {name: level for level, names in enumerate(TIERS) for name in names}


def _top(path):
    """The tier name of a module file: its first component under nbhelpers/."""
    return path.relative_to(PACKAGE).parts[0].removesuffix(".py")


def _imported(path):
    """The top-level nbhelpers names a module imports (relative or absolute), with line numbers."""
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    package = parts[:-1] if path.name != "__init__.py" else parts[:-1]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package[:len(package) - (node.level - 1)] if node.level > 1 else package
            target = (*base, *(node.module.split(".") if node.module else ()))
            names = [target[0]] if target else [alias.name for alias in node.names]
            for name in names:
                yield name, node.lineno
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("nbhelpers."):
            yield node.module.split(".")[1], node.lineno


def test_every_module_belongs_to_a_tier():
    tops = {_top(path) for path in PACKAGE.rglob("*.py")} - {"__init__"}
    assert tops <= set(TIER), f"modules in no tier: {sorted(tops - set(TIER))}"


def test_no_module_imports_from_a_tier_above_its_own():
    upward = []
    for path in PACKAGE.rglob("*.py"):
        if path == PACKAGE / "__init__.py":
            continue
        here = TIER[_top(path)]
        for name, line in _imported(path):
            if name in TIER and TIER[name] > here:
                upward.append(f"{path.relative_to(ROOT)}:{line} imports {name} "
                              f"(tier {TIER[name]}) from tier {here}")
    assert not upward, "\n".join(upward)


def test_the_package_docstring_maps_every_tier():
    doc = nbhelpers.__doc__
    for names in TIERS:
        for name in names:
            if name != "__main__":
                assert name in doc, f"{name} is missing from the map in nbhelpers/__init__.py"
    assert "docs/architecture.md" in doc and (ROOT / "docs" / "architecture.md").is_file()
