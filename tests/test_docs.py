"""docs/ARCHITECTURE.md stays true: every path and ``path::name`` it names exists."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "ARCHITECTURE.md"
REFERENCE = re.compile(r"`((?:bot|commands|adapters|storage|tests)/[\w/.]*?)(?:::([\w.]+))?`")


def names_in(path: Path) -> set[str]:
    """Top-level functions and classes, and ``Class.method``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            found.add(node.name)
        if isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                    found.add(f"{node.name}.{item.name}")
    return found


def test_the_architecture_page_names_only_what_exists() -> None:
    refs = REFERENCE.findall(PAGE.read_text(encoding="utf-8"))
    assert len(refs) > 50  # the page is read, not skipped
    missing = []
    for path, name in refs:
        target = ROOT / path
        if not target.exists():
            missing.append(path)
        elif name and name not in names_in(target):
            missing.append(f"{path}::{name}")
    assert missing == []


def test_every_core_package_is_on_the_page() -> None:
    text = PAGE.read_text(encoding="utf-8")
    packages = [p for p in (ROOT / "bot").iterdir() if (p / "__init__.py").exists()]
    assert packages
    for package in packages:
        assert f"`bot/{package.name}/`" in text, package.name
