"""The message catalogs: complete in fr, nl, de and en, in step with the code, and the
only place a sentence is written."""

from __future__ import annotations

import ast
import string
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po

from bot import i18n
from bot.i18n import CatalogsMissing, load_catalogs, t, tn
from bot.locale import (
    DOMAIN,
    LOCALE_DIR,
    message_ids,
    po_path,
    template_message_ids,
)
from bot.model import LANGS
from bot.roles import KNOWN_ROLES
from commands import all_commands

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "commands", "adapters", "storage")
# The vocabulary people type (service, site, status words, stop words) is read, not
# shown: it lives in the catalog data, not in the message catalogs.
VOCABULARY = {"bot/catalog.py", "commands/reading.py"}


def sources() -> Iterator[Path]:
    for package in PACKAGES:
        yield from sorted((ROOT / package).rglob("*.py"))


def used_ids() -> dict[str, bool]:
    """Message id -> plural, for every id the code uses."""
    out: dict[str, bool] = {}
    templates = sorted((ROOT / "adapters" / "templates").glob("*.html"))
    for path in [*sources(), *templates]:
        read = template_message_ids if path.suffix == ".html" else message_ids
        for _line, msgid, plural in read(path.read_text("utf-8")):
            assert out.get(msgid, plural) == plural, f"{msgid} used both ways ({path})"
            out[msgid] = plural
    return out


def catalog(lang: str) -> Catalog:
    with po_path(LOCALE_DIR, lang).open("rb") as f:
        return read_po(f, locale=lang, domain=DOMAIN)


def forms(message: Message) -> list[str]:
    text = message.string
    return list(text) if isinstance(text, tuple | list) else [text or ""]


def fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


USED = used_ids()


@pytest.mark.parametrize("lang", LANGS)
def test_every_message_has_its_translation(lang: str) -> None:
    cat = catalog(lang)
    missing, fuzzy, wrong_kind = [], [], []
    for msgid, plural in USED.items():
        m = cat.get(msgid)
        if m is None or not all(forms(m)):
            missing.append(msgid)
            continue
        if m.fuzzy:
            fuzzy.append(msgid)
        if m.pluralizable != plural:
            wrong_kind.append(msgid)
    assert missing == [], f"{lang}: no translation"
    assert fuzzy == [], f"{lang}: fuzzy (unchecked) translations"
    assert wrong_kind == [], f"{lang}: plural in the code but not in the catalog, or back"


@pytest.mark.parametrize("lang", LANGS)
def test_catalogs_are_in_step_with_the_code(lang: str) -> None:
    """No message the code no longer uses; the template lists exactly the code's ids."""
    ids = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog(lang) if m.id}
    assert sorted(ids - set(USED)) == [], "obsolete: remove them (pybabel update)"
    with (LOCALE_DIR / f"{DOMAIN}.pot").open("rb") as f:
        template = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(f) if m.id}
    assert template == set(USED), "re-extract the template (docs/MESSAGES.md)"


def test_placeholders_are_the_sources() -> None:
    """Every translation names exactly the values the English text names (a plural's
    form for one may leave the count out)."""
    english = catalog("en")
    wrong = []
    for lang in LANGS:
        cat = catalog(lang)
        for msgid, plural in USED.items():
            source = set().union(*(fields(x) for x in forms(english[msgid])))
            texts = forms(cat[msgid])
            found = set().union(*(fields(x) for x in texts))
            ok = found == source and all(fields(x) <= source for x in texts)
            if not plural:
                ok = ok and fields(texts[0]) == source
            if not ok:
                wrong.append((lang, msgid, sorted(found ^ source)))
    assert wrong == []


@pytest.mark.parametrize(
    ("lang", "header"),
    [
        ("fr", "nplurals=2; plural=(n > 1);"),
        ("en", "nplurals=2; plural=(n != 1);"),
        ("nl", "nplurals=2; plural=(n != 1);"),
        ("de", "nplurals=2; plural=(n != 1);"),
    ],
)
def test_plural_rules(lang: str, header: str) -> None:
    text = po_path(LOCALE_DIR, lang).read_text("utf-8")
    assert f'"Plural-Forms: {header}\\n"' in text


def test_counts_take_their_plural_form() -> None:
    assert tn("en", "decision.recorded.title", 1, n=1) == "Decision recorded"
    assert tn("en", "decision.recorded.title", 3, n=3) == "3 decisions recorded"
    assert tn("fr", "decision.recorded.title", 2, n=2) == "2 décisions enregistrées"
    assert tn("nl", "marks.unmarked", 1, n=1).startswith("1 ")
    one, many = tn("fr", "history.bad_page", 1, pages=1), tn("fr", "history.bad_page", 2, pages=2)
    assert "(s)" not in one + many and one != many.replace("2", "1")


def test_no_sentence_written_outside_the_catalogs() -> None:
    """A table of texts per language in the code is a message the catalogs miss."""
    offenders = []
    for path in sources():
        rel = str(path.relative_to(ROOT))
        if rel in VOCABULARY:
            continue
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if not isinstance(node, ast.Dict):
                continue
            keys = {k.value for k in node.keys if isinstance(k, ast.Constant)}
            texts = [v for v in node.values if isinstance(v, ast.Constant | ast.JoinedStr)]
            if len(keys & set(LANGS)) >= 2 and texts:
                offenders.append(f"{rel}:{node.lineno}")
    assert offenders == []


def test_every_command_declares_role_usage_and_a_name_in_every_language() -> None:
    seen: dict[str, str] = {}
    for cmd in all_commands():
        assert cmd.roles and cmd.roles <= KNOWN_ROLES, cmd.name
        assert set(cmd.names) == set(LANGS), cmd.name
        for lang in LANGS:
            assert cmd.names[lang], (cmd.name, lang)
            usage = cmd.usage_in(lang)
            assert usage.startswith(f"/{cmd.name_in(lang)}"), (cmd.name, lang, usage)
            assert cmd.summary_in(lang) and cmd.examples_in(lang), (cmd.name, lang)
        for word in cmd.all_names():
            assert seen.setdefault(word, cmd.name) == cmd.name, f"/{word} calls two commands"


def test_a_missing_compiled_catalog_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(CatalogsMissing, match="fr, en, nl, de"):
        load_catalogs(tmp_path)


def test_the_shell_refuses_to_start_without_its_catalogs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from adapters.cli import main

    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    monkeypatch.setattr(i18n, "_catalogs", {})
    assert main(["shell", "--db", str(tmp_path / "x.sqlite3")]) == 2
    err = capsys.readouterr().err
    assert "compiled message catalogs" in err and "pybabel compile" in err
    assert not (tmp_path / "x.sqlite3").exists()


def test_ids_chosen_at_run_time_are_marked() -> None:
    """Families read through a variable (job states, outcomes…) are each in the code."""
    for family in ("job.state.", "job.kind.", "marks.outcome.", "export.reason.", "export.h."):
        assert any(i.startswith(family) for i in USED), family
    assert t("de", "help.title") == "Befehle"
