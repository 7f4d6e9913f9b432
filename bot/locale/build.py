"""The build step that compiles the message catalogs into the package (setuptools'
``build_py``, named in pyproject.toml). In an editable install the compiled files are
written beside the ``.po`` files, where the running code looks for them."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from setuptools.command.build_py import build_py


def _locale_module() -> ModuleType:
    """``bot/locale/__init__.py`` loaded by path: at build time the project is not yet
    importable (setuptools loads this file alone, in a fresh build environment)."""
    path = Path(__file__).resolve().parent / "__init__.py"
    spec = importlib.util.spec_from_file_location("_crisiscell_locale", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_locale = _locale_module()
DOMAIN, LOCALE_DIR, compile_catalogs = _locale.DOMAIN, _locale.LOCALE_DIR, _locale.compile_catalogs


class BuildPy(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            target = LOCALE_DIR
        else:
            target = Path(self.build_lib) / "bot" / "locale"
        for path in compile_catalogs(LOCALE_DIR, target):
            self.announce(f"compiled {path.name} for {path.parent.parent.name}", level=2)

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        outputs = list(super().get_outputs(include_bytecode))
        base = Path(self.build_lib) / "bot" / "locale"
        for po in LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po"):
            outputs.append(str(base / po.parent.relative_to(LOCALE_DIR) / f"{DOMAIN}.mo"))
        return outputs
