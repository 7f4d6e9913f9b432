"""The package as a hospital installs it: a wheel built from the sources carries the
compiled message catalogs, and the installed bot answers in German from them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def _sources(target: Path) -> None:
    """The project's files as a fresh checkout has them (no compiled catalogs)."""
    ignore = shutil.ignore_patterns("__pycache__", "*.mo", "*.egg-info", "node_modules")
    for name in ("bot", "commands", "adapters", "storage"):
        shutil.copytree(ROOT / name, target / name, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, target / name)


def run(
    *cmd: str, stdin: str = "", cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cmd, input=stdin, cwd=cwd, env=env, capture_output=True, text=True, timeout=300,
        check=False,
    )  # fmt: skip


def test_the_wheel_carries_the_catalogs_and_answers_in_german(tmp_path: Path) -> None:
    src, dist, site, work = (tmp_path / d for d in ("src", "dist", "site", "work"))
    _sources(src)
    work.mkdir()
    build = run(
        sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
        "-w", str(dist), str(src),
    )  # fmt: skip
    assert build.returncode == 0, build.stderr
    (wheel,) = dist.glob("crisiscell-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "bot/data/crisiscell.example.toml" in names
    for lang in ("fr", "nl", "de", "en"):
        assert f"bot/locale/{lang}/LC_MESSAGES/crisiscell.mo" in names, lang

    install = run(
        sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site),
        str(wheel),
    )  # fmt: skip
    assert install.returncode == 0, install.stderr
    env = {**os.environ, "PYTHONPATH": str(site), "HOME": str(work)}
    env.pop("CRISISCELL_DB", None)
    which = run(sys.executable, "-c", "import bot; print(bot.__file__)", cwd=work, env=env)
    assert which.stdout.startswith(str(site)), "the installed copy, not the checkout"

    def shell(stdin: str) -> subprocess.CompletedProcess[str]:
        db = str(work / "d.sqlite3")
        return run(
            sys.executable,
            "-m",
            "adapters.cli",
            "shell",
            "--db",
            db,
            stdin=stdin,
            cwd=work,
            env=env,
        )

    german = shell("/hilfe\n")
    assert german.returncode == 0, german.stderr
    assert "Befehle" in german.stdout and "/entscheidung" in german.stdout

    # without its compiled catalogs the installed bot refuses to start
    for mo in (site / "bot" / "locale").glob("*/LC_MESSAGES/crisiscell.mo"):
        mo.unlink()
    broken = shell("/help\n")
    assert broken.returncode == 2
    assert "compiled message catalogs" in broken.stderr and broken.stdout == ""
