"""User-facing text in FR, EN, NL and DE, and localized dates (Babel).

The sentences live in the gettext catalogs under ``bot/locale`` (one ``.po`` per
language, compiled to ``.mo`` at build time): the code names a message by its id and
gives its values; ``tn`` picks the plural form for a count. A missing compiled catalog is
an error at start (:func:`require_catalogs`), never a silent fall back to English.

Every reply repeats absolute dates ("lundi 16 mai 2022") so that a misread date word is
visible to the person who typed it.
"""

from __future__ import annotations

import gettext
from datetime import date, datetime, tzinfo
from pathlib import Path
from typing import Any

from babel.dates import format_date, format_datetime, get_day_names

from bot.locale import DOMAIN, LOCALE_DIR, PLURAL_SUFFIX, mo_path, po_path
from bot.model import LANGS, Lang


class CatalogsMissing(RuntimeError):
    """The compiled message catalogs are not where the package expects them."""


class _Missing(gettext.NullTranslations):
    """The fallback of every catalog: an id it lacks is an error, not shown as is."""

    def __init__(self, lang: str) -> None:
        super().__init__()
        self.lang = lang

    def gettext(self, message: str) -> str:
        raise KeyError(f"no message {message!r} in the {self.lang} catalog")

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        raise KeyError(f"no plural message {msgid1!r} in the {self.lang} catalog")


_catalogs: dict[str, gettext.GNUTranslations] = {}


def load_catalogs(directory: Path | None = None) -> dict[str, gettext.GNUTranslations]:
    """The compiled catalog of every language, or :class:`CatalogsMissing` naming the
    ones that are not there."""
    directory = directory or LOCALE_DIR
    missing = [lang for lang in LANGS if not mo_path(directory, lang).is_file()]
    if missing:
        raise CatalogsMissing(
            f"the compiled message catalogs for {', '.join(missing)} are missing from "
            f"{directory} (reinstall the package, or run: pybabel compile -d {directory} "
            f"-D {DOMAIN})"
        )
    out: dict[str, gettext.GNUTranslations] = {}
    for lang in LANGS:
        with mo_path(directory, lang).open("rb") as f:
            out[lang] = gettext.GNUTranslations(f)
        out[lang].add_fallback(_Missing(lang))
    return out


def require_catalogs() -> None:
    """Load the catalogs now (at start), so a broken install fails before serving."""
    if not _catalogs:
        _catalogs.update(load_catalogs())


def stale_catalogs(directory: Path | None = None) -> list[str]:
    """Languages whose ``.po`` was edited after it was compiled (a source checkout)."""
    directory = directory or LOCALE_DIR
    out: list[str] = []
    for lang in LANGS:
        po, mo = po_path(directory, lang), mo_path(directory, lang)
        if po.is_file() and mo.is_file() and po.stat().st_mtime > mo.stat().st_mtime:
            out.append(lang)
    return out


def _catalog(lang: Lang) -> gettext.GNUTranslations:
    if not _catalogs:
        require_catalogs()
    return _catalogs[lang]


def t(lang: Lang, msgid: str, /, **kw: Any) -> str:
    """The text of ``msgid`` in ``lang``, with its named values filled in."""
    template = _catalog(lang).gettext(msgid)
    return template.format(**kw) if kw else template


def tn(lang: Lang, msgid: str, count: int, /, **kw: Any) -> str:
    """The form of ``msgid`` for ``count`` (the language's plural rule); the count is
    among the values under its own name."""
    template = _catalog(lang).ngettext(msgid, msgid + PLURAL_SUFFIX, count)
    return template.format(**kw) if kw else template


def N_(msgid: str) -> str:
    """Marks a message id used through a variable, so extraction finds it."""
    return msgid


def Nn_(msgid: str) -> str:
    """Marks a plural message id used through a variable."""
    return msgid


def fmt_day(d: date, lang: Lang) -> str:
    return str(format_date(d, t(lang, "format.day"), locale=lang))


def fmt_time(dt: datetime, lang: Lang, tz: tzinfo) -> str:
    return str(format_datetime(dt.astimezone(tz), t(lang, "format.time"), locale=lang))


def weekday_name(weekday: int, lang: Lang) -> str:
    """0 = Monday."""
    return str(get_day_names("wide", locale=lang)[weekday])


def fmt_period(first: date, last: date | None, lang: Lang) -> str:
    if last is None:
        return t(lang, "period.from", day=fmt_day(first, lang))
    if first == last:
        return t(lang, "period.on", day=fmt_day(first, lang))
    return t(lang, "period.range", first=fmt_day(first, lang), last=fmt_day(last, lang))


def join_list(items: list[str], lang: Lang) -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {t(lang, 'and')} {items[-1]}"
