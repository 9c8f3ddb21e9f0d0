"""The package layout the README's "Aufbau" describes: every module imports, and no module imports upward.

A stale import path after a move fails here first, with the module's name, instead of somewhere in a page.
"""
from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

GROUND = {"geo.config", "geo.i18n", "geo.text", "geo.formatting"}
# What each part of geo/ may import from geo/, lowest first; geo.__main__ (the command line) may import anything.
ALLOWED = {
    "ground": {"ground"},
    "data": {"ground", "data"},
    "analysis": {"ground", "data", "analysis"},
    "store": {"ground", "data", "store"},
    "dataset": {"ground", "data", "analysis", "store", "dataset"},
    "render": {"ground", "data", "analysis", "dataset", "render"},
    "exchange": {"ground", "data", "analysis", "dataset", "render", "store", "exchange"},
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def part_of(module: str) -> str:
    """The layer of a ``geo`` module: ``ground``, ``dataset`` or the name of its sub-package."""
    if module in GROUND:
        return "ground"
    if module == "geo.dataset":
        return "dataset"
    return module.split(".")[1]


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, also inside functions (a lazy import is still a dependency)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    return found


SOURCES = sorted([*ROOT.glob("geo/**/*.py"), *ROOT.glob("app/**/*.py")])
GEO_MODULES = {module_name(p) for p in ROOT.glob("geo/**/*.py")}


@pytest.mark.parametrize("path", [p for p in SOURCES if "pages" not in p.parts], ids=module_name)
def test_every_module_imports(path):
    importlib.import_module(module_name(path))


@pytest.mark.parametrize("path", sorted(ROOT.glob("geo/**/*.py")), ids=module_name)
def test_geo_imports_only_its_own_layer_or_lower(path):
    me = module_name(path)
    if me in ("geo", "geo.__main__") or path.name == "__init__.py":
        return
    imports = imported_modules(path)
    assert not {m for m in imports if m.split(".")[0] in ("app", "streamlit")}, "geo/ must run without Streamlit"
    upward = {m for m in imports & GEO_MODULES if part_of(m) not in ALLOWED[part_of(me)]}
    assert not upward, f"{me} ({part_of(me)}) imports {sorted(upward)}"


def test_every_page_file_is_in_the_navigation():
    navigation = (ROOT / "streamlit_app.py").read_text(encoding="utf-8")
    pages = {p.relative_to(ROOT).as_posix() for p in ROOT.glob("app/pages/*.py")} - {"app/pages/rechtliches.py"}
    assert pages and all(f'"{page}"' in navigation for page in pages)
    assert not (ROOT / "pages").exists(), "a top-level pages/ folder would bypass st.navigation"
