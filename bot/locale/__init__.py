"""The message catalogs: every sentence the bot shows, in gettext form.

``<lang>/LC_MESSAGES/crisiscell.po`` holds the texts of one language (fr, en, nl, de),
keyed by a stable message id ("decision.recorded.title"); English is a translation like
the others, so a wording changes in the ``.po`` alone. The ``.po`` files are compiled to
``.mo`` when the package is built (``bot/locale/build.py``) or by
``pybabel compile -d bot/locale -D crisiscell`` after an edit (docs/MESSAGES.md).

The template ``crisiscell.pot`` is extracted from the code with
``pybabel extract -F bot/locale/babel.cfg``, whose extractor is :func:`extract`: it reads
the message ids the code uses — ``t(lang, "id")``, ``ctx.t("id")``, ``tn(lang, "id", n)``,
``ctx.tn("id", n)`` and the markers ``N_("id")`` / ``Nn_("id")`` for ids chosen at run
time.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

DOMAIN = "crisiscell"
LOCALE_DIR = Path(__file__).resolve().parent
PLURAL_SUFFIX = " (plural)"  # the msgid_plural of a message id; never shown


def po_path(directory: Path, lang: str) -> Path:
    return directory / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def mo_path(directory: Path, lang: str) -> Path:
    return directory / lang / "LC_MESSAGES" / f"{DOMAIN}.mo"


# position of the message id among the positional arguments, per call form
_SINGULAR = {("t", False): 1, ("t", True): 0, ("N_", False): 0}
_PLURAL = {("tn", False): 1, ("tn", True): 0, ("Nn_", False): 0}


def message_ids(source: str) -> Iterator[tuple[int, str, bool]]:
    """(line, message id, is plural) for every message id the Python ``source`` uses."""
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name):
            form = (func.id, False)
        elif isinstance(func, ast.Attribute):
            form = (func.attr, True)
        else:
            continue
        for table, plural in ((_SINGULAR, False), (_PLURAL, True)):
            pos = table.get(form)
            if pos is None or len(node.args) <= pos:
                continue
            arg = node.args[pos]
            choices = [arg.body, arg.orelse] if isinstance(arg, ast.IfExp) else [arg]
            for c in choices:  # t(lang, "a" if x else "b") names both
                if isinstance(c, ast.Constant) and isinstance(c.value, str):
                    yield node.lineno, c.value, plural


_TEMPLATE_CALL = re.compile(r"""\b(tn?)\(\s*["']([^"']+)["']""")


def template_message_ids(source: str) -> Iterator[tuple[int, str, bool]]:
    """The same, for a Jinja template (``t("id", ...)``, ``tn("id", n, ...)``)."""
    for m in _TEMPLATE_CALL.finditer(source):
        yield source.count("\n", 0, m.start()) + 1, m[2], m[1] == "tn"


def extract(
    fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: Any
) -> Iterator[tuple[int, str, str | tuple[str, str], list[str]]]:
    """A Babel extraction method (see ``babel.cfg``)."""
    source = fileobj.read().decode(options.get("encoding", "utf-8"))
    found = template_message_ids if options.get("template") else message_ids
    for line, msgid, plural in found(source):
        if plural:
            yield line, "ngettext", (msgid, msgid + PLURAL_SUFFIX), []
        else:
            yield line, "gettext", msgid, []


def compile_catalogs(source: Path, target: Path) -> list[Path]:
    """Compile every ``<lang>/LC_MESSAGES/crisiscell.po`` under ``source`` into ``.mo``
    files under ``target`` (fuzzy entries left out, as ``pybabel compile`` does)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    written = []
    for po in sorted(source.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        lang = po.parent.parent.name
        with po.open("rb") as f:
            catalog = read_po(f, locale=lang, domain=DOMAIN)
        out = mo_path(target, lang)
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("wb") as f:
            write_mo(f, catalog)
        written.append(out)
    return written
