"""The build step that compiles the message catalogs into the package (setuptools'
``build_py``, named in pyproject.toml). In an editable install the compiled files are
written beside the ``.po`` files, where the running code looks for them."""

from __future__ import annotations

from pathlib import Path

from setuptools.command.build_py import build_py

from bot.locale import DOMAIN, LOCALE_DIR, compile_catalogs


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
