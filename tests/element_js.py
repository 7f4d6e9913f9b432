"""Drive ``tests/js/element.mjs``: a real Element user (matrix-js-sdk with its Rust crypto).

The harness is a Node script; its dependencies are pinned in ``tests/js/package-lock.json``
and installed with ``npm ci --prefix tests/js``. Each call starts one Node process (about
0.3 s of start-up, ~1 s for a whole conversation on a local Synapse) and returns the one
JSON line it prints.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from tests.conftest import skip_or_fail

JS_DIR = Path(__file__).resolve().parent / "js"
SCRIPT = JS_DIR / "element.mjs"
INSTALL = "npm ci --prefix tests/js"
# what the script imports: the SDK and its crypto (WASM)
MODULES = ("matrix-js-sdk", "@matrix-org/matrix-sdk-crypto-wasm")
MIN_NODE = 20


class ElementJSError(RuntimeError):
    """element.mjs failed: its JSON error (if any) and the tail of its stderr."""


def node_binary() -> str | None:
    return os.environ.get("CRISISCELL_NODE") or shutil.which("node")


def _node_major(node: str) -> int | None:
    try:
        out = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=10)
        return int(out.stdout.strip().lstrip("v").split(".")[0])
    except (OSError, ValueError, subprocess.TimeoutExpired):
        return None


def missing_reason() -> str | None:
    """Why the harness cannot run here, or None when it can."""
    node = node_binary()
    if node is None:
        return f"Node.js is not installed (need node >= {MIN_NODE}, then {INSTALL})"
    major = _node_major(node)
    if major is None or major < MIN_NODE:
        return f"{node} does not run as Node.js >= {MIN_NODE} (version: {major or 'unknown'})"
    missing = [m for m in MODULES if not (JS_DIR / "node_modules" / m / "package.json").exists()]
    if missing:
        return f"the Element harness's packages are not installed ({', '.join(missing)}): {INSTALL}"
    return None


def require_element_js() -> str:
    """The node binary; skips (fails under CRISISCELL_REQUIRE_ALL=1) when the harness is missing."""
    reason = missing_reason()
    if reason is not None:
        skip_or_fail(reason)
    node = node_binary()
    assert node is not None
    return node


def _tail(text: str, lines: int = 40) -> str:
    return "\n".join(text.splitlines()[-lines:])


async def run_element(*args: str, timeout: float = 120) -> dict[str, Any]:  # noqa: ASYNC109
    """Run ``node element.mjs ARGS…`` and return its JSON result.

    Raises ElementJSError when it exits non-zero, prints no JSON or prints an error.
    """
    node = node_binary()
    if node is None:
        raise ElementJSError(f"node not found ({INSTALL})")
    proc = await asyncio.create_subprocess_exec(
        node,
        str(SCRIPT),
        *args,
        cwd=JS_DIR,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout)
    except TimeoutError:
        proc.kill()
        out, err = await proc.communicate()
        raise ElementJSError(
            f"element.mjs {args[0] if args else ''} timed out after {timeout} s\n"
            f"--- stderr ---\n{_tail(err.decode(errors='replace'))}"
        ) from None
    finally:
        if proc.returncode is None:  # cancelled: do not leave Node behind
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
    stdout, stderr = out.decode(errors="replace"), err.decode(errors="replace")
    lines = [line for line in stdout.splitlines() if line.strip()]
    result: Any = None
    if lines:
        with contextlib.suppress(json.JSONDecodeError):
            result = json.loads(lines[-1])
    if proc.returncode != 0 or not isinstance(result, dict) or "error" in result:
        raise ElementJSError(
            f"element.mjs {args[0] if args else ''} exited {proc.returncode}: "
            f"{result if result is not None else stdout[-2000:]!r}\n"
            f"--- stderr ---\n{_tail(stderr)}"
        )
    return result
