"""The README (for learners) and the guides in docs/ say what is true, and point only where they can.

The README keeps to the learner: the two commands, the lessons, the exercises, where to go next;
instructors and contributors have their own pages under ``docs/``. These tests read them all:

- every link to a file of the repository (and to a heading, ``page.md#heading``) leads somewhere,
  and no link holds a placeholder address (a Binder badge for ``OWNER/REPO`` would 404);
- the README names every lesson, and its synopsis of ``python -m nbhelpers`` names every option
  the command line has (``--optimizer`` was missing);
- installing PyTorch is always shown as PyTorch documents its CPU build;
- ``environment.yml`` says how to add each optional extra it leaves out, and so do the docs;
- the map of ``nbhelpers`` (``docs/architecture.md``, linked from the contributor guide) names
  every module;
- and, as for the lessons, nothing points to material a reader does not have.
"""

import argparse
import re
from pathlib import Path

import pytest
from test_lesson_text import FORBIDDEN

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^(```|~~~).*?^\1", re.S | re.M)
INDENTED_CODE = re.compile(r"(?:^(?: {4}|\t).*\n?)+", re.M)
LINK = re.compile(r"\]\(([^)\s]+)\)")
CPU_INDEX = "--index-url https://download.pytorch.org/whl/cpu"


def _ids(paths):
    return [str(p.relative_to(ROOT)) for p in paths]


def _prose(text):
    """The text without its code blocks (where example commands and placeholders may stand)."""
    return INDENTED_CODE.sub("", FENCE.sub("", text))


def _slug(heading):
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def _anchors(path):
    return {_slug(h) for h in re.findall(r"^#{1,6}\s+(.+?)\s*$", FENCE.sub("", path.read_text()), re.M)}


def test_the_guides_exist_and_the_readme_points_to_them():
    readme = (ROOT / "README.md").read_text()
    for page in ("docs/instructors.md", "docs/contributing.md", "docs/install.md", "docs/site.md"):
        assert (ROOT / page).is_file(), page
        assert f"]({page})" in readme, f"the README should link to {page}"
    assert "## For instructors" in readme and "## For contributors" in readme


@pytest.mark.parametrize("page", PAGES, ids=_ids(PAGES))
def test_links_lead_somewhere(page):
    problems = []
    for target in LINK.findall(_prose(page.read_text())):
        if re.search(r"\b(OWNER|REPO|USER|NAME)\b|<[^>]+>|example\.(org|com)", target):
            problems.append(f"{target}: a placeholder, not an address")
            continue
        if re.match(r"[a-z]+:", target):
            continue                                            # a web address: not checked here
        file, _, anchor = target.partition("#")
        where = (page.parent / file).resolve() if file else page
        if not where.exists():
            problems.append(f"{target}: no such file")
        elif anchor and where.suffix == ".md" and anchor not in _anchors(where):
            problems.append(f"{target}: no heading #{anchor} in {where.name}")
    assert not problems, f"{page.name}:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("page", PAGES, ids=_ids(PAGES))
def test_no_pointer_to_material_the_reader_does_not_have(page):
    text = _prose(page.read_text())
    found = [f"{m.group(0)!r} ({why})" for pattern, why in FORBIDDEN.items()
             for m in re.finditer(pattern, text, re.I)]
    assert not found, f"{page.name}: {found}"


def test_the_readme_names_every_lesson():
    readme = (ROOT / "README.md").read_text()
    missing = [p.stem for p in sorted((ROOT / "notebooks").glob("*.ipynb")) if f"`{p.stem}`" not in readme]
    assert not missing, f"the README's table of lessons lacks {missing}"


def _options(parser):
    """Every option string of ``parser`` and its subcommands, by command path."""
    found = {}

    def walk(p, path):
        for action in p._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    walk(sub, path + (name,))
            elif action.option_strings and action.dest != "help":
                found.setdefault(path, set()).update(o for o in action.option_strings if o.startswith("--"))

    walk(parser, ())
    return found


def test_the_readme_synopsis_names_every_option_of_the_command_line():
    from nbhelpers.cli import build_parser

    readme = (ROOT / "README.md").read_text()
    synopsis = readme.split("### The command line", 1)[1].split("\n### ", 1)[0]
    lines = {}
    for line in re.sub(r"\\\n\s*", " ", synopsis).splitlines():
        match = re.search(r"-m nbhelpers ((?:\w+ )*\w+)", line)
        if match:
            lines.setdefault(tuple(match.group(1).split()[:2]), line)
    options = _options(build_parser())
    assert options, "the parser has no options?"
    for path, names in options.items():
        line = next((text for key, text in lines.items() if key[:len(path)] == path), None)
        assert line is not None, f"the synopsis has no line for `{' '.join(path)}`"
        missing = sorted(name for name in names if not re.search(rf"{re.escape(name)}\b", line))
        assert not missing, f"`{' '.join(path)}` in the README's synopsis lacks {missing}"


def _torch_installs(text):
    """The commands in the code blocks of ``text`` that install PyTorch."""
    code = "\n".join(block.group(0) for block in FENCE.finditer(text))
    return [line.strip() for line in code.splitlines() if re.search(r"\bpip3? install\b.*\btorch\b", line)]


def test_pytorch_is_installed_as_pytorch_documents_its_cpu_build():
    import json

    lesson = json.loads((ROOT / "notebooks" / "12-from-numpy-to-pytorch.ipynb").read_text())
    lesson_text = "\n".join("".join(c["source"]) for c in lesson["cells"] if c["cell_type"] == "markdown")
    for name, text in [("README.md", (ROOT / "README.md").read_text()), ("lesson 12", lesson_text),
                       ("docs/install.md", (ROOT / "docs" / "install.md").read_text())]:
        commands = _torch_installs(text)
        assert commands, f"{name} should say how to install PyTorch"
        wrong = [line for line in commands if CPU_INDEX not in line]
        assert not wrong, f"{name}: PyTorch installed without its CPU index: {wrong}"
    readme = _prose((ROOT / "README.md").read_text())
    assert "[torch]" not in readme or "GPU" in readme


def _extras():
    pyproject = (ROOT / "pyproject.toml").read_text()
    block = pyproject.split("[project.optional-dependencies]", 1)[1].split("\n[", 1)[0]
    return [name for name in re.findall(r"^(\w+) = \[", block, re.M) if name != "dev"]


def test_every_optional_extra_is_explained_where_the_environment_is_made():
    environment = (ROOT / "environment.yml").read_text()
    install = (ROOT / "docs" / "install.md").read_text()
    extras = _extras()
    assert set(extras) >= {"torch", "classroom"}
    for extra in extras:
        comments = "\n".join(line for line in environment.splitlines() if line.lstrip().startswith("#"))
        assert re.search(rf"\b{extra}\b", comments), f"environment.yml does not say how to add {extra!r}"
        assert re.search(rf"\b{extra}\b", install), f"docs/install.md does not mention the extra {extra!r}"
    assert CPU_INDEX in environment


def test_the_architecture_page_maps_every_module():
    guide = (ROOT / "docs" / "contributing.md").read_text()
    assert "](architecture.md)" in guide, "the contributor guide should point to the package's map"
    section = (ROOT / "docs" / "architecture.md").read_text()
    named = set(re.findall(r"`([\w./]+)`", section))
    named |= {token.rsplit("/", 1)[-1] for token in named if not token.endswith("/")}   # engine/training
    missing = []
    for module in sorted((ROOT / "nbhelpers").rglob("*.py")):
        if module.name in ("__init__.py", "__main__.py"):
            continue
        folders = {f"{parent.name}/" for parent in module.relative_to(ROOT / "nbhelpers").parents
                   if parent.name}
        if module.stem not in named and not folders & named:
            missing.append(str(module.relative_to(ROOT)))
    assert not missing, f"docs/architecture.md's map of nbhelpers lacks {missing}"
