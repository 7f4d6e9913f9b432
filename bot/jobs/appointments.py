"""Appointments in: reading the export IT can still produce, row by row.

Personal health data: a phone number is normalized (E.164, default region BE) and
classified, and never appears in a message, a log line or an exception; rejected rows
are reported by line number and reason only.
"""

from __future__ import annotations

import csv
import re
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from pathlib import Path

import phonenumbers

from bot.catalog import Catalog
from bot.model import Lang, as_lang

COLUMNS = ("appointment_id", "start", "site", "service", "phone", "language")
MOBILE_TYPES = frozenset(
    {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}
)


class MappingError(ValueError):
    """The mapping file cannot be used (the message names the key)."""


@dataclass(frozen=True)
class Appointment:
    id: str
    start: datetime  # zone-aware
    day: date  # the local day
    site: str
    service: str
    phone: str | None  # E.164 (a landline too: the call list needs it); None if invalid
    phone_kind: str  # mobile | landline | invalid | missing
    language: Lang


@dataclass(frozen=True)
class Rejected:
    line: int
    reason: str


@dataclass
class ImportMapping:
    """Column names and the hospital's own labels for services and sites."""

    columns: dict[str, str] = field(default_factory=lambda: {c: c for c in COLUMNS})
    services: dict[str, str] = field(default_factory=dict)
    sites: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path | None, catalog: Catalog) -> ImportMapping:
        m = cls()
        if path is None:
            return m
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as e:
            raise MappingError(f"{path}: cannot read the mapping: {e}") from e
        for key, value in (data.get("columns") or {}).items():
            if key not in COLUMNS:
                raise MappingError(
                    f"{path}: columns.{key}: unknown column; known: " + ", ".join(COLUMNS)
                )
            m.columns[key] = str(value)
        for table, known, target in (
            ("services", catalog.service_ids, m.services),
            ("sites", catalog.site_ids, m.sites),
        ):
            for label, ident in (data.get(table) or {}).items():
                if ident not in known:
                    raise MappingError(f"{path}: {table}.{label}: unknown id {ident!r}")
                target[_norm(label)] = ident
        return m


def _norm(label: str) -> str:
    return " ".join(label.casefold().split())


_PHONE_LIKE = re.compile(r"\d[\d\s./()-]{5,}")


_PHONE_IN_TEXT = re.compile(r"(?<![\w+])(?:\+|00|0)[1-9](?:[\s./-]?\d){7,13}(?!\d)")


def redact_phones(text: str) -> str:
    """``text`` with anything written like a phone number (+32..., 0032..., 0470 ...) masked:
    the last line of defence for log lines and error messages."""
    return _PHONE_IN_TEXT.sub("[number]", text)


def looks_like_phone(value: str) -> bool:
    return bool(_PHONE_LIKE.search(value))


def shown(value: str) -> str:
    """A cell value safe to print: anything that may be a phone number is withheld."""
    return (
        "(a value that looks like a phone number)" if looks_like_phone(value) else repr(value[:40])
    )


def parse_start(text: str, tz: tzinfo) -> datetime:
    value = _parse_start(text, tz)
    if not 2000 <= value.year <= 2100:
        raise ValueError("year out of range")
    return value


def _parse_start(text: str, tz: tzinfo) -> datetime:
    text = text.strip()
    for fmt in ("%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%d-%m-%Y %H:%M"):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=tz)
        except ValueError:
            pass
    value = datetime.fromisoformat(text)  # ValueError when it is not a date at all
    return value.replace(tzinfo=tz) if value.tzinfo is None else value.astimezone(tz)


def classify_phone(raw: str, region: str = "BE") -> tuple[str | None, str]:
    """(E.164 number or None, kind) -- kind: mobile, landline, invalid, missing.

    Only a ``mobile`` number receives SMS; a landline is kept for the list of patients
    to phone instead.
    """
    raw = raw.strip()
    if not raw:
        return None, "missing"
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None, "invalid"
    if not phonenumbers.is_valid_number(number):
        return None, "invalid"
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if phonenumbers.number_type(number) in MOBILE_TYPES:
        return e164, "mobile"
    return e164, "landline"


def read_rows(
    lines: Iterable[str],
    *,
    mapping: ImportMapping,
    catalog: Catalog,
    tz: tzinfo,
    default_lang: Lang,
    region: str = "BE",
    delimiter: str = ",",
) -> Iterator[Appointment | Rejected]:
    """Each data row as an Appointment, or Rejected with its line number and reason."""
    reader = csv.DictReader(lines, delimiter=delimiter)
    header = reader.fieldnames or []
    missing = [c for c in COLUMNS if c != "language" and mapping.columns[c] not in header]
    if missing:
        yield Rejected(
            1,
            "missing column(s): "
            + ", ".join(f"{c} (looked for {mapping.columns[c]!r})" for c in missing),
        )
        return
    for row in reader:
        line = reader.line_num
        yield _row(
            row,
            line,
            mapping=mapping,
            catalog=catalog,
            tz=tz,
            default_lang=default_lang,
            region=region,
        )


def delimiter_of(header_line: str) -> str:
    """Exports from spreadsheet software in Belgium often use ';'."""
    return ";" if header_line.count(";") > header_line.count(",") else ","


def _row(
    row: Mapping[str, str | None],
    line: int,
    *,
    mapping: ImportMapping,
    catalog: Catalog,
    tz: tzinfo,
    default_lang: Lang,
    region: str,
) -> Appointment | Rejected:
    def get(column: str) -> str:
        return (row.get(mapping.columns[column]) or "").strip()

    ident = get("appointment_id")
    if not ident:
        return Rejected(line, "no appointment id")
    try:
        start = parse_start(get("start"), tz)
    except ValueError:
        return Rejected(line, f"start is not a date and time: {shown(get('start'))}")
    service = mapping.services.get(_norm(get("service")))
    if service is None:
        entry = catalog.match_service(get("service"))
        service = entry.id if entry else None
    if service is None:
        return Rejected(
            line, f"unknown service {shown(get('service'))} (map it in the mapping file)"
        )
    site = mapping.sites.get(_norm(get("site")))
    if site is None:
        entry = catalog.match_site(get("site"))
        site = entry.id if entry and entry.id in catalog.site_ids else None
    if site is None:
        return Rejected(line, f"unknown site {shown(get('site'))} (map it in the mapping file)")
    phone, kind = classify_phone(get("phone"), region)
    language = as_lang(get("language")[:2].lower()) or default_lang
    return Appointment(ident, start, start.date(), site, service, phone, kind, language)
