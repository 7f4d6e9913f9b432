"""Bad input never crashes: any text gives a request or a usage answer."""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.catalog import Catalog
from bot.errors import UsageError
from commands.parsing import parse_decide, parse_filter

CAT = Catalog()
WORDS = [
    "radiology",
    "radiologie",
    "prises",
    "de",
    "sang",
    "at",
    "à",
    "arlon",
    "bastogne",
    "open",
    "cancelled",
    "annulé",
    "case",
    "by",
    "cas",
    "par",
    "monday",
    "lundi",
    "16/05",
    "du",
    "au",
    "20",
    "mai",
    "until",
    "further",
    "notice",
    "jusqu'à",
    "nouvel",
    "ordre",
    ":",
    ",",
    "and",
    "et",
    "next",
    "week",
    "31/02",
    "from",
    "to",
    "-",
    "→",
    "tous",
    "les",
    "sites",
    "xyz",
    "é",
]
TEXT = st.one_of(
    st.lists(st.sampled_from(WORDS), max_size=12).map(" ".join),
    st.text(max_size=60),
)


@settings(max_examples=400, deadline=None)
@given(TEXT)
def test_decide_parser_answers_or_asks(text: str) -> None:
    try:
        req = parse_decide(text, catalog=CAT, today=date(2022, 5, 15), lang="en")
    except UsageError as e:
        assert e.problems and all(isinstance(p, str) and p for p in e.problems)
    else:
        assert req.services and req.sites
        assert req.period.last is None or req.period.first <= req.period.last


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_filter_parser_answers_or_asks(text: str) -> None:
    try:
        f = parse_filter(text, catalog=CAT, lang="fr")
    except UsageError as e:
        assert e.problems
    else:
        assert set(f.services) <= set(CAT.service_ids)
