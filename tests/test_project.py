"""Project housekeeping: the conda file matches pyproject, and CI runs the README's command."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _requirement(text):
    name, _, version = re.match(r"([A-Za-z0-9_.\-]+)\s*(>=|==)?\s*(\S*)", text.strip()).groups()
    return name.lower().replace("_", "-"), version


def test_environment_yml_lists_the_same_dependencies_as_pyproject():
    pyproject = (ROOT / "pyproject.toml").read_text()
    lists = re.findall(r"^(?:dependencies|dev) = \[(.*?)\]", pyproject, re.S | re.M)
    assert len(lists) == 2, "pyproject.toml should have dependencies and a dev extra"
    wanted = dict(_requirement(r) for block in lists for r in re.findall(r'"([^"]+)"', block))
    conda, installs_local_package = {}, False
    text = (ROOT / "environment.yml").read_text()
    for line in text.split("dependencies:", 1)[1].splitlines():
        item = line.strip()
        if item == "- -e .":
            installs_local_package = True
        elif item.startswith("- ") and not item.startswith("- pip:"):
            name, version = _requirement(item[2:])
            if name not in ("python", "pip"):
                conda[name] = version
    assert conda == wanted
    assert installs_local_package


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    assert "make test" in readme and "make lab" in readme
    ci = [line for line in (ROOT / ".ci" / "run").read_text().splitlines()
          if line.strip() and not line.startswith("#")]
    # the README's test command, then the lessons under other BLAS kernels
    assert [line.strip() for line in ci[-2:]] == ["make test", "make test-portability"]


def test_every_module_says_which_notebooks_use_it():
    for module in (ROOT / "nbhelpers").rglob("*.py"):
        if module.name in ("__init__.py", "__main__.py"):
            continue
        doc = module.read_text().split('"""')[1]
        assert re.search(r"[Uu]sed by", doc), f"{module.name}: docstring should say who uses it"


def test_every_subpackage_is_installed():
    pyproject = (ROOT / "pyproject.toml").read_text()
    block = re.search(r"^packages = \[(.*?)\]", pyproject, re.M | re.S).group(1)
    listed = set(re.findall(r'"([\w.]+)"', block))
    found = {str(p.parent.relative_to(ROOT)).replace("/", ".")
             for package in ("nbhelpers", "coursebook")
             for p in (ROOT / package).rglob("__init__.py")}
    code = {name for name in listed if (ROOT / name.replace(".", "/") / "__init__.py").is_file()}
    assert found == code
    for name in listed - code:         # folders of data the code reads (the site's MathJax, say)
        folder = ROOT / name.replace(".", "/")
        assert folder.is_dir() and not list(folder.glob("*.py")), name
        assert re.search(rf'^"{re.escape(name)}" = \[', pyproject, re.M), f"{name}: no package-data"


def test_no_module_imports_in_a_cycle():
    """Each module's imports of sibling modules form no cycle (the engine, layers and serialize
    once imported each other)."""
    import ast

    graph = {}
    for path in (ROOT / "nbhelpers").rglob("*.py"):
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        targets = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                modules = [f"{base}.{node.module}"] if node.module else \
                    [f"{base}.{alias.name}" for alias in node.names]
                if node.col_offset == 0:   # imports at module level only (not inside functions)
                    targets.update(modules)
        graph[name] = targets

    def visit(node, stack):
        assert node not in stack, " -> ".join(stack + [node])
        for target in graph.get(node, ()):
            if target in graph and target != node:
                visit(target, stack + [node])

    for module in graph:
        visit(module, [])


def test_the_licence_is_declared_as_setuptools_wants_it():
    """A licence given as a table ({ text = "MIT" }) made every install print setuptools'
    deprecation box; an SPDX string needs setuptools 77 or newer to build."""
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert re.search(r'^license = "MIT"$', pyproject, re.M)
    minimum = re.search(r'requires = \["setuptools>=(\d+)', pyproject)
    assert minimum and int(minimum.group(1)) >= 77
