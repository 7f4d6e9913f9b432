"""Tests for bot.dates: chat date words (FR/EN/NL/DE) -> days and periods."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.dates import DateError, Period, normalize, parse_day, parse_period

TODAY = date(2022, 5, 15)  # a Sunday
MON, TUE, WED, THU, FRI, SAT, SUN = (date(2022, 5, 16 + i) for i in range(7))


def day_error(text: str, today: date = TODAY) -> DateError:
    with pytest.raises(DateError) as info:
        parse_day(text, today)
    return info.value


def period_error(text: str, today: date = TODAY) -> DateError:
    with pytest.raises(DateError) as info:
        parse_period(text, today)
    return info.value


# --------------------------------------------------------------------------- normalize


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Aujourd’hui", "aujourd'hui"),
        ("  Jusqu‘à   Nouvel\tOrdre \n", "jusqu'a nouvel ordre"),
        ("ÜBERMORGEN", "ubermorgen"),
        ("Nächsten Montag", "nachsten montag"),
        ("après-demain", "apres-demain"),
        ("16\u00a0mai", "16 mai"),
        ("", ""),
    ],
)
def test_normalize(text: str, expected: str) -> None:
    assert normalize(text) == expected


# --------------------------------------------------------------------------- relative words


@pytest.mark.parametrize(
    ("text", "offset"),
    [
        # today
        ("today", 0),
        ("Today", 0),
        ("aujourd'hui", 0),
        ("Aujourd’hui", 0),
        ("aujourdhui", 0),
        ("aujourd hui", 0),
        ("auj", 0),
        ("vandaag", 0),
        ("heute", 0),
        ("HEUTE", 0),
        ("  today  ", 0),
        ("today!", 0),
        # tomorrow
        ("tomorrow", 1),
        ("demain", 1),
        ("Demain", 1),
        ("morgen", 1),
        ("Morgen", 1),
        # after tomorrow
        ("after tomorrow", 2),
        ("day after tomorrow", 2),
        ("the day after tomorrow", 2),
        ("après-demain", 2),
        ("apres-demain", 2),
        ("apres demain", 2),
        ("Après demain", 2),
        ("apresdemain", 2),
        ("overmorgen", 2),
        ("übermorgen", 2),
        ("Übermorgen", 2),
        ("ubermorgen", 2),
        ("uebermorgen", 2),
        # yesterday (corrections)
        ("yesterday", -1),
        ("hier", -1),
        ("gisteren", -1),
        ("gestern", -1),
        ("avant-hier", -2),
        ("vorgestern", -2),
        # leading fillers
        ("for tomorrow", 1),
        ("pour demain", 1),
        ("voor morgen", 1),
        ("für morgen", 1),
        ("fur morgen", 1),
        # in N days / weeks
        ("in 3 days", 3),
        ("dans 3 jours", 3),
        ("over 3 dagen", 3),
        ("in 3 Tagen", 3),
        ("in 2 weeks", 14),
        ("dans 2 semaines", 14),
    ],
)
def test_relative_words(text: str, offset: int) -> None:
    assert parse_day(text, TODAY) == TODAY + timedelta(days=offset)


def test_relative_words_follow_today() -> None:
    assert parse_day("demain", date(2022, 12, 31)) == date(2023, 1, 1)
    assert parse_day("hier", date(2023, 1, 1)) == date(2022, 12, 31)
    assert parse_day("übermorgen", date(2024, 2, 28)) == date(2024, 3, 1)


def test_datetime_today_is_accepted() -> None:
    assert parse_day("demain", datetime(2022, 5, 15, 23, 59)) == MON


# --------------------------------------------------------------------------- weekdays


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("lundi", MON),
        ("Lundi", MON),
        ("monday", MON),
        ("Monday", MON),
        ("maandag", MON),
        ("Montag", MON),
        ("mardi", TUE),
        ("tuesday", TUE),
        ("dinsdag", TUE),
        ("Dienstag", TUE),
        ("mercredi", WED),
        ("woensdag", WED),
        ("Mittwoch", WED),
        ("jeudi", THU),
        ("thursday", THU),
        ("donderdag", THU),
        ("Donnerstag", THU),
        ("vendredi", FRI),
        ("friday", FRI),
        ("vrijdag", FRI),
        ("Freitag", FRI),
        ("samedi", SAT),
        ("saturday", SAT),
        ("zaterdag", SAT),
        ("Samstag", SAT),
        ("Sonnabend", SAT),
        # today is a Sunday: "sunday" alone is today
        ("dimanche", TODAY),
        ("sunday", TODAY),
        ("zondag", TODAY),
        ("Sonntag", TODAY),
        ("ce dimanche", TODAY),
        ("this sunday", TODAY),
        ("am Sonntag", TODAY),
        # abbreviations
        ("lun", MON),
        ("lun.", MON),
        ("mon", MON),
        ("Mon.", MON),
        ("tue", TUE),
        ("tues", TUE),
        ("mar", TUE),
        ("mer", WED),
        ("wed", WED),
        ("thu", THU),
        ("thurs", THU),
        ("ven", FRI),
        ("fri", FRI),
        ("sam", SAT),
        ("sat", SAT),
        ("dim", TODAY),
        ("sun", TODAY),
        # "next" forms: the next such day after today; "this" forms: from today on
        ("next monday", MON),
        ("Next Monday", MON),
        ("this monday", MON),
        ("coming monday", MON),
        ("on monday", MON),
        ("lundi prochain", MON),
        ("le lundi prochain", MON),
        ("ce lundi", MON),
        ("Ce Lundi", MON),
        ("volgende maandag", MON),
        ("komende maandag", MON),
        ("op maandag", MON),
        ("nächsten Montag", MON),
        ("naechsten montag", MON),
        ("nachsten montag", MON),
        ("am nächsten Montag", MON),
        ("kommenden Montag", MON),
        ("am Montag", MON),
        ("next sunday", SUN),
        ("dimanche prochain", SUN),
        ("volgende zondag", SUN),
        ("nächsten Sonntag", SUN),
        # previous such day (corrections)
        ("last friday", date(2022, 5, 13)),
        ("vendredi dernier", date(2022, 5, 13)),
        ("vorige vrijdag", date(2022, 5, 13)),
        ("letzten Freitag", date(2022, 5, 13)),
        ("last sunday", date(2022, 5, 8)),
    ],
)
def test_weekdays_from_today_on(text: str, expected: date) -> None:
    assert parse_day(text, TODAY) == expected


@pytest.mark.parametrize(
    "text", ["monday", "lundi", "maandag", "Montag", "ce lundi", "this monday", "op maandag"]
)
def test_weekday_typed_on_that_weekday_is_today(text: str) -> None:
    monday = date(2022, 5, 16)
    assert parse_day(text, monday) == monday


@pytest.mark.parametrize(
    "text",
    ["next monday", "lundi prochain", "volgende maandag", "nächsten Montag", "coming monday"],
)
def test_next_weekday_typed_on_that_weekday_is_a_week_later(text: str) -> None:
    assert parse_day(text, date(2022, 5, 16)) == date(2022, 5, 23)


# Tuesday 17 May 2022 at 08:15, the drill: "mardi" is that morning's Tuesday, not the 24th.
WEEK = [date(2022, 5, 16) + timedelta(days=i) for i in range(7)]
NAMES = {
    "fr": ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
    "en": ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"),
    "nl": ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"),
    "de": ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"),
}
NEXT = {"fr": "{} prochain", "en": "next {}", "nl": "volgende {}", "de": "nächsten {}"}


@pytest.mark.parametrize("lang", sorted(NAMES))
@pytest.mark.parametrize("today", WEEK, ids=lambda d: d.strftime("%a"))
def test_every_weekday_on_every_day_of_a_week(lang: str, today: date) -> None:
    for weekday, name in enumerate(NAMES[lang]):
        ahead = (weekday - today.weekday()) % 7
        assert parse_day(name, today) == today + timedelta(days=ahead), (name, today)
        nxt = NEXT[lang].format(name)
        assert parse_day(nxt, today) == today + timedelta(days=ahead or 7), (nxt, today)


def test_weekday_from_other_days() -> None:
    assert parse_day("tuesday", date(2022, 5, 16)) == date(2022, 5, 17)
    assert parse_day("mardi", date(2022, 5, 17)) == date(2022, 5, 17)
    assert parse_day("lundi", date(2022, 5, 17)) == date(2022, 5, 23)
    assert parse_day("vendredi", date(2022, 12, 31)) == date(2023, 1, 6)


@pytest.mark.parametrize("text", ["ma", "do", "so", "di", "mo", "sa", "zo"])
def test_two_letter_weekdays_alone_are_not_days(text: str) -> None:
    assert day_error(text).kind == "unknown"


# --------------------------------------------------------------------------- numeric dates


@pytest.mark.parametrize(
    "text",
    [
        "16/05",
        "16/5",
        "16-05",
        "16-5",
        "16.05",
        "16.05.",
        "16/05/2022",
        "16/05/22",
        "16.05.2022",
        "16-05-2022",
        "16/5/2022",
        "2022-05-16",
        "le 16/05",
        "on 16/05",
        "op 16/05",
        "am 16.05.",
        "pour le 16/05",
    ],
)
def test_numeric_dates(text: str) -> None:
    assert parse_day(text, TODAY) == date(2022, 5, 16)


def test_numeric_is_day_first() -> None:
    assert parse_day("05/06", TODAY) == date(2022, 6, 5)
    assert parse_day("12/01/2023", TODAY) == date(2023, 1, 12)
    assert parse_day("1.2.2022", TODAY) == date(2022, 2, 1)


def test_explicit_year_is_kept() -> None:
    assert parse_day("16/05/2020", TODAY) == date(2020, 5, 16)
    assert parse_day("16/05/30", TODAY) == date(2030, 5, 16)
    assert parse_day("16/05/99", TODAY) == date(1999, 5, 16)
    assert parse_day("16 mai 2025", TODAY) == date(2025, 5, 16)


# --------------------------------------------------------------------------- named months


@pytest.mark.parametrize(
    "text",
    [
        # French
        "16 mai",
        "16 Mai",
        "16 MAI",
        "16 mai 2022",
        "le 16 mai",
        "lundi 16 mai",
        "Lundi 16 mai 2022",
        "lundi, le 16 mai",
        "lun. 16 mai",
        "pour le 16 mai",
        "16/05 ",
        # English
        "16 May",
        "Monday 16 May",
        "Monday, 16 May 2022",
        "May 16",
        "May 16, 2022",
        "Monday, May 16, 2022",
        "May 16th",
        "16th May",
        "16th of May",
        "the 16th of May",
        "on the 16th of May",
        "for May 16",
        "Mon 16 May",
        # Dutch
        "16 mei",
        "16 mei 2022",
        "maandag 16 mei",
        "ma 16 mei",
        "op 16 mei",
        "voor 16 mei",
        # German
        "16. Mai",
        "16. Mai 2022",
        "am 16. Mai",
        "Montag, 16. Mai",
        "Montag, den 16. Mai",
        "Mo. 16. Mai",
        "Mo 16.05.",
        "für den 16. Mai",
    ],
)
def test_named_month_dates(text: str) -> None:
    assert parse_day(text, TODAY) == date(2022, 5, 16)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1er mai", date(2022, 5, 1)),
        ("1st May", date(2022, 5, 1)),
        ("2nd June", date(2022, 6, 2)),
        ("3rd of July", date(2022, 7, 3)),
        ("1e juni", date(2022, 6, 1)),
        ("1. Juni", date(2022, 6, 1)),
        ("16 sept", date(2022, 9, 16)),
        ("16 sept.", date(2022, 9, 16)),
        ("Sept. 16", date(2022, 9, 16)),
        ("16 septembre", date(2022, 9, 16)),
        ("16 jun", date(2022, 6, 16)),
        ("16 juin", date(2022, 6, 16)),
        ("16 juil.", date(2022, 7, 16)),
        ("16 août", date(2022, 8, 16)),
        ("16 aout", date(2022, 8, 16)),
        ("16 mrt", date(2022, 3, 16)),
        ("16 maart", date(2022, 3, 16)),
        ("16. März", date(2022, 3, 16)),
        ("16. Marz", date(2022, 3, 16)),
        ("16. Maerz", date(2022, 3, 16)),
        ("16 mars", date(2022, 3, 16)),
        ("Mar 16", date(2022, 3, 16)),
        ("16 févr.", date(2022, 2, 16)),
        ("16 fevrier", date(2022, 2, 16)),
        ("16 oct", date(2022, 10, 16)),
        ("16 okt", date(2022, 10, 16)),
        ("16. Okt.", date(2022, 10, 16)),
        ("16 décembre", date(2021, 12, 16)),
        ("16 dec", date(2021, 12, 16)),
        ("16. Dez.", date(2021, 12, 16)),
        ("16 janvier 2023", date(2023, 1, 16)),
        ("January 16, 2023", date(2023, 1, 16)),
        ("16 januari 2023", date(2023, 1, 16)),
        ("16. Januar 2023", date(2023, 1, 16)),
    ],
)
def test_month_names_and_abbreviations(text: str, expected: date) -> None:
    assert parse_day(text, TODAY) == expected


# --------------------------------------------------------------------------- nearest year


@pytest.mark.parametrize(
    ("today", "text", "expected"),
    [
        (date(2022, 5, 15), "16/05", date(2022, 5, 16)),
        (date(2022, 5, 15), "14/05", date(2022, 5, 14)),
        (date(2022, 12, 30), "02/01", date(2023, 1, 2)),
        (date(2022, 12, 30), "2 janvier", date(2023, 1, 2)),
        (date(2022, 12, 30), "Jan 2", date(2023, 1, 2)),
        (date(2022, 12, 30), "28/12", date(2022, 12, 28)),
        (date(2023, 1, 3), "30/12", date(2022, 12, 30)),
        (date(2023, 1, 3), "30 december", date(2022, 12, 30)),
        (date(2023, 1, 3), "30. Dezember", date(2022, 12, 30)),
        (date(2023, 1, 3), "05/01", date(2023, 1, 5)),
        (date(2022, 5, 15), "15/11", date(2021, 11, 15)),  # 181 days behind, 184 ahead
        (date(2022, 5, 15), "13/11", date(2022, 11, 13)),  # 183 days behind, 182 ahead
        (date(2023, 12, 20), "29/02", date(2024, 2, 29)),
    ],
)
def test_day_month_takes_the_nearest_year(today: date, text: str, expected: date) -> None:
    assert parse_day(text, today) == expected


def test_nearest_year_tie_goes_to_the_future() -> None:
    today = date(2024, 1, 1)  # 2 July is 183 days away in both directions (leap year)
    assert (date(2024, 7, 2) - today).days == (today - date(2023, 7, 2)).days == 183
    assert parse_day("2/7", today) == date(2024, 7, 2)
    assert parse_day("2 juillet", today) == date(2024, 7, 2)


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("31/02", "31/02"),
        ("31/04/2022", "31/04/2022"),
        ("30 février", "30 février"),
        ("29 februari 2022", "29 februari 2022"),
        ("29/02", "29/02"),  # no leap year next to 2022
        ("32/05", "32/05"),
        ("16/13", "16/13"),
        ("0/5", "0/5"),
        ("31. Juni", "31. Juni"),
    ],
)
def test_invalid_days(text: str, fragment: str) -> None:
    error = day_error(text)
    assert error.kind == "invalid"
    assert error.fragment == fragment
    assert error.suggestion is None


@pytest.mark.parametrize(
    ("text", "fragment", "suggestion", "weekday"),
    [
        ("mardi 16 mai 2022", "mardi 16 mai 2022", date(2022, 5, 16), 1),
        ("Mardi 16 mai", "Mardi 16 mai", date(2022, 5, 16), 1),
        ("Tuesday, May 16, 2022", "Tuesday, May 16, 2022", date(2022, 5, 16), 1),
        ("dinsdag 16 mei", "dinsdag 16 mei", date(2022, 5, 16), 1),
        ("di 16 mei", "di 16 mei", date(2022, 5, 16), 1),
        ("Sonntag, 16. Mai", "Sonntag, 16. Mai", date(2022, 5, 16), 6),
        ("vendredi 16/05", "vendredi 16/05", date(2022, 5, 16), 4),
        ("le mercredi 2022-05-16", "mercredi 2022-05-16", date(2022, 5, 16), 2),
    ],
)
def test_weekday_mismatch(text: str, fragment: str, suggestion: date, weekday: int) -> None:
    error = day_error(text)
    assert error.kind == "mismatch"
    assert error.fragment == fragment
    assert error.suggestion == suggestion
    assert error.weekday == weekday


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("next week", "next week"),
        ("Next Week", "Next Week"),
        ("sometime next week", "next week"),
        ("this week", "this week"),
        ("la semaine prochaine", "la semaine prochaine"),
        ("semaine prochaine", "semaine prochaine"),
        ("cette semaine", "cette semaine"),
        ("volgende week", "volgende week"),
        ("deze week", "deze week"),
        ("nächste Woche", "nächste Woche"),
        ("naechste Woche", "naechste Woche"),
        ("diese Woche", "diese Woche"),
        ("soon", "soon"),
        ("bientôt", "bientôt"),
        ("Bientot", "Bientot"),
        ("binnenkort", "binnenkort"),
        ("bald", "bald"),
        ("later", "later"),
        ("plus tard", "plus tard"),
        ("später", "später"),
        ("end of the month", "end of the month"),
        ("fin du mois", "fin du mois"),
        ("eind van de maand", "eind van de maand"),
        ("Ende des Monats", "Ende des Monats"),
        ("this month", "this month"),
        ("ce mois-ci", "ce mois-ci"),
        ("in a few days", "in a few days"),
        ("dans quelques jours", "dans quelques jours"),
        ("over een paar dagen", "over een paar dagen"),
        ("in ein paar Tagen", "in ein paar Tagen"),
        ("dès que possible", "dès que possible"),
        ("mai", "mai"),
        ("in June", "in June"),
        ("le 16", "16"),  # a day number alone: which month?
    ],
)
def test_vague_words(text: str, fragment: str) -> None:
    error = day_error(text)
    assert error.kind == "vague"
    assert error.fragment == fragment


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("blah", "blah"),
        ("", ""),
        ("   ", ""),
        ("  Kartoffel  ", "Kartoffel"),
        ("16 mai blah", "16 mai blah"),
        ("12345", "12345"),
        ("16/05/2022/1", "16/05/2022/1"),
        ("du 16 au 20 mai", "du 16 au 20 mai"),  # a period is not one day
    ],
)
def test_unknown_text(text: str, fragment: str) -> None:
    error = day_error(text)
    assert error.kind == "unknown"
    assert error.fragment == fragment


def test_date_error_is_a_value_error() -> None:
    error = DateError("vague", "soon")
    assert isinstance(error, ValueError)
    assert (error.kind, error.fragment, error.suggestion, error.weekday) == (
        "vague",
        "soon",
        None,
        None,
    )
    assert "soon" in str(error)


# --------------------------------------------------------------------------- periods


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "until further notice",
        "Until further notice",
        "till further notice",
        "UFN",
        "indefinitely",
        "jusqu'à nouvel ordre",
        "jusqu’à nouvel ordre",
        "jusqu'a nouvel ordre",
        "Jusqu'à nouvel avis",
        "jusqua nouvel ordre",
        "tot nader order",
        "tot nader bericht",
        "bis auf weiteres",
        "Bis auf Weiteres",
    ],
)
def test_until_further_notice(text: str) -> None:
    assert parse_period(text, TODAY) == Period(TODAY, None)


@pytest.mark.parametrize(
    ("text", "first"),
    [
        ("from monday", MON),
        ("from Monday on", MON),
        ("from monday onwards", MON),
        ("monday onwards", MON),
        ("starting monday", MON),
        ("starting from tomorrow", MON),
        ("as of 16/05", MON),
        ("from today", TODAY),
        ("from now on", TODAY),
        ("from 16 May", MON),
        ("à partir de lundi", MON),
        ("a partir de lundi", MON),
        ("à partir de demain", MON),
        ("à partir du 16 mai", MON),
        ("à partir d'aujourd'hui", TODAY),
        ("dès lundi", MON),
        ("des lundi", MON),
        ("dès le 16 mai", MON),
        ("depuis hier", TODAY - timedelta(days=1)),
        ("depuis le 16/05", MON),
        ("vanaf maandag", MON),
        ("vanaf 16 mei", MON),
        ("Vanaf morgen", MON),
        ("ab Montag", MON),
        ("ab morgen", MON),
        ("ab sofort", TODAY),
        ("ab dem 16. Mai", MON),
        ("ab 16.05.", MON),
        ("von Montag an", MON),
        ("from monday until further notice", MON),
        ("from 16/05 until further notice", MON),
        ("à partir de lundi jusqu'à nouvel ordre", MON),
        ("a partir de lundi jusqu'a nouvel ordre", MON),
        ("dès demain, jusqu'à nouvel ordre", MON),
        ("vanaf maandag tot nader order", MON),
        ("ab Montag bis auf Weiteres", MON),
        ("lundi jusqu'à nouvel ordre", MON),
    ],
)
def test_open_ended_periods(text: str, first: date) -> None:
    assert parse_period(text, TODAY) == Period(first, None)


@pytest.mark.parametrize(
    ("text", "last"),
    [
        ("until friday", FRI),
        ("Until Friday", FRI),
        ("till friday", FRI),
        ("through friday", FRI),
        ("until 20/05", FRI),
        ("until May 20", FRI),
        ("jusqu'au 20 mai", FRI),
        ("jusqu’au 20 mai", FRI),
        ("jusquau 20 mai", FRI),
        ("jusqu'au 20/05", FRI),
        ("jusqu'à vendredi", FRI),
        ("jusqu'a vendredi", FRI),
        ("jusque vendredi", FRI),
        ("jusqu'à demain", MON),
        ("jusqu'à aujourd'hui", TODAY),
        ("until today", TODAY),
        ("tot vrijdag", FRI),
        ("tot 20 mei", FRI),
        ("tot en met vrijdag", FRI),
        ("t/m vrijdag", FRI),
        ("bis Freitag", FRI),
        ("bis zum 20. Mai", FRI),
        ("bis 20.05.", FRI),
    ],
)
def test_until_periods(text: str, last: date) -> None:
    assert parse_period(text, TODAY) == Period(TODAY, last)


@pytest.mark.parametrize(
    "text",
    [
        "monday to friday",
        "from monday to friday",
        "from Monday until Friday",
        "from monday till friday",
        "monday through friday",
        "16/05 to 20/05",
        "16/05 - 20/05",
        "16/05-20/05",
        "16/05 – 20/05",
        "16/05–20/05",
        "16/05 → 20/05",
        "16/05 -> 20/05",
        "16.05. - 20.05.",
        "2022-05-16 - 2022-05-20",
        "16/05/2022 - 20/05/2022",
        "from 16 May to 20 May",
        "from the 16th to the 20th of May",
        "May 16-20",
        "16 to 20 May",
        "16-20/05",
        "16-20 mai",
        "between monday and friday",
        # French
        "du 16 au 20 mai",
        "Du 16 au 20 Mai",
        "du 16 mai au 20 mai",
        "du 16/05 au 20/05",
        "du lundi au vendredi",
        "de lundi à vendredi",
        "de lundi a vendredi",
        "lundi au vendredi",
        "du 16 mai jusqu'au 20 mai",
        "du 16 jusqu'au 20 mai",
        "à partir du 16 jusqu'au 20 mai",
        "du lundi 16 au vendredi 20 mai",
        "entre lundi et vendredi",
        # Dutch
        "van 16 tot 20 mei",
        "van 16 mei tot 20 mei",
        "van maandag tot vrijdag",
        "van maandag t/m vrijdag",
        "van 16 t/m 20 mei",
        "van 16 mei tot en met 20 mei",
        "maandag tot vrijdag",
        "16 mei tot 20 mei",
        "vanaf 16 mei t/m 20 mei",
        # German
        "von Montag bis Freitag",
        "von 16. bis 20. Mai",
        "vom 16. bis 20. Mai",
        "vom 16. bis zum 20. Mai",
        "Montag bis Freitag",
        "16. Mai bis 20. Mai",
        "16.05. bis 20.05.",
        "ab Montag bis Freitag",
    ],
)
def test_ranges(text: str) -> None:
    assert parse_period(text, TODAY) == Period(MON, FRI)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("demain", Period(MON, MON)),
        ("lundi", Period(MON, MON)),
        ("16/05", Period(MON, MON)),
        ("le 16 mai", Period(MON, MON)),
        ("am 16. Mai", Period(MON, MON)),
        ("op 16 mei", Period(MON, MON)),
        ("16-05", Period(MON, MON)),
        ("2022-05-16", Period(MON, MON)),
        ("après-demain", Period(TUE, TUE)),
        ("today", Period(TODAY, TODAY)),
    ],
)
def test_single_day_period(text: str, expected: Period) -> None:
    assert parse_period(text, TODAY) == expected


def test_ranges_in_the_past_are_allowed() -> None:
    assert parse_period("du 1 au 10 mai", TODAY) == Period(date(2022, 5, 1), date(2022, 5, 10))
    assert parse_period("from yesterday to today", TODAY) == Period(date(2022, 5, 14), TODAY)
    assert parse_period("hier", TODAY) == Period(date(2022, 5, 14), date(2022, 5, 14))


def test_range_with_weekday_end_rolls_to_after_the_start() -> None:
    # "friday to monday" = that friday and the monday after it
    assert parse_period("friday to monday", TODAY) == Period(FRI, date(2022, 5, 23))
    assert parse_period("du vendredi au lundi", TODAY) == Period(FRI, date(2022, 5, 23))
    # on a Wednesday, "lundi au vendredi" is next week's Monday..Friday
    wednesday = date(2022, 5, 18)
    assert parse_period("lundi au vendredi", wednesday) == Period(
        date(2022, 5, 23), date(2022, 5, 27)
    )


def test_range_year_handling() -> None:
    assert parse_period("du 28/12 au 3/01", date(2022, 12, 30)) == Period(
        date(2022, 12, 28), date(2023, 1, 3)
    )
    # both parts nearest on their own would be 2022-12-28 and 2022-01-03: wrap over New Year
    assert parse_period("28/12 - 03/01", date(2022, 6, 30)) == Period(
        date(2022, 12, 28), date(2023, 1, 3)
    )
    # a year given on one side applies to the other
    assert parse_period("16 mai - 20 mai 2023", TODAY) == Period(
        date(2023, 5, 16), date(2023, 5, 20)
    )
    assert parse_period("du 28/12/2022 au 03/01", TODAY) == Period(
        date(2022, 12, 28), date(2023, 1, 3)
    )
    assert parse_period("du 28/12 au 03/01/2023", TODAY) == Period(
        date(2022, 12, 28), date(2023, 1, 3)
    )
    assert parse_period("until 02/01", date(2022, 12, 30)) == Period(
        date(2022, 12, 30), date(2023, 1, 2)
    )
    assert parse_period("à partir du 30/12", date(2023, 1, 3)) == Period(date(2022, 12, 30), None)


@pytest.mark.parametrize(
    "text",
    [
        "du 20 au 16 mai",
        "20/05 - 16/05",
        "from friday to monday 16/05",
        "van 20 mei tot 16 mei",
        "vom 20. bis 16. Mai",
        "20/06 - 16/05",  # not silently stretched over a year
        "mardi 17 mai 2022 - lundi 16 mai 2022",
        "until yesterday",  # until a past day: the period would end before it starts
        "jusqu'au 10/05",
    ],
)
def test_reversed_periods(text: str) -> None:
    error = period_error(text)
    assert error.kind == "reversed"
    assert error.fragment == text
    assert error.suggestion is None


def test_period_errors_point_at_the_offending_part() -> None:
    error = period_error("du 16 au 31 février")
    assert (error.kind, error.fragment) == ("invalid", "31 février")

    error = period_error("du mardi 16 au vendredi 20 mai")
    assert (error.kind, error.fragment) == ("mismatch", "mardi 16")
    assert (error.suggestion, error.weekday) == (MON, 1)

    error = period_error("from next week")
    assert (error.kind, error.fragment) == ("vague", "next week")

    error = period_error("à partir de la semaine prochaine")
    assert (error.kind, error.fragment) == ("vague", "la semaine prochaine")

    error = period_error("bis nächste Woche")
    assert (error.kind, error.fragment) == ("vague", "nächste Woche")

    error = period_error("jusqu'à la fin du mois")
    assert (error.kind, error.fragment) == ("vague", "fin du mois")

    error = period_error("du 16 au 20")
    assert error.kind == "vague"

    error = period_error("from blah")
    assert (error.kind, error.fragment) == ("unknown", "blah")

    error = period_error("Kartoffelsalat")
    assert (error.kind, error.fragment) == ("unknown", "Kartoffelsalat")

    error = period_error("du 16 mai")  # a start with no end
    assert (error.kind, error.fragment) == ("unknown", "du 16 mai")


# --------------------------------------------------------------------------- Period


def test_period_covers() -> None:
    week = Period(MON, FRI)
    assert week.covers(MON) and week.covers(WED) and week.covers(FRI)
    assert not week.covers(TODAY) and not week.covers(SAT)
    open_ended = Period(MON, None)
    assert open_ended.covers(date(2099, 1, 1))
    assert not open_ended.covers(TODAY)


def test_period_overlaps() -> None:
    week = Period(MON, FRI)
    assert week.overlaps(Period(FRI, SUN))
    assert Period(FRI, SUN).overlaps(week)
    assert not week.overlaps(Period(SAT, SUN))
    assert not Period(SAT, SUN).overlaps(week)
    assert week.overlaps(Period(TODAY, None))
    assert Period(SAT, None).overlaps(Period(date(2030, 1, 1), None))
    assert not Period(SAT, None).overlaps(week)
    assert not week.overlaps(Period(SAT, None))


def test_period_is_frozen() -> None:
    period = Period(MON, FRI)
    with pytest.raises(AttributeError):
        period.first = TUE  # type: ignore[misc]


# --------------------------------------------------------------------------- properties

todays = st.dates(min_value=date(2001, 1, 1), max_value=date(2097, 12, 31))


@given(today=todays, offset=st.integers(min_value=-3 * 365, max_value=3 * 365))
def test_full_numeric_date_round_trips(today: date, offset: int) -> None:
    day = today + timedelta(days=offset)
    assert parse_day(day.strftime("%d/%m/%Y"), today) == day
    assert parse_day(day.isoformat(), today) == day


@given(today=todays, offset=st.integers(min_value=-150, max_value=150))
def test_day_month_round_trips_near_today(today: date, offset: int) -> None:
    day = today + timedelta(days=offset)
    assert parse_day(f"{day.day}/{day.month}", today) == day
    assert parse_day(f"{day.day:02d}.{day.month:02d}.", today) == day


@given(today=todays, weekday=st.integers(min_value=0, max_value=6))
def test_weekday_is_within_the_coming_seven_days(today: date, weekday: int) -> None:
    name = ("lundi", "tuesday", "woensdag", "Donnerstag", "vendredi", "saturday", "zondag")
    day = parse_day(name[weekday], today)
    assert day.weekday() == weekday
    assert 0 <= (day - today).days <= 6
    after = parse_day(f"next {name[weekday]}", today)
    assert after.weekday() == weekday
    assert 1 <= (after - today).days <= 7


@given(today=todays, start=st.integers(-100, 100), length=st.integers(0, 60))
def test_numeric_range_round_trips(today: date, start: int, length: int) -> None:
    first = today + timedelta(days=start)
    last = first + timedelta(days=length)
    text = f"{first:%d/%m/%Y} - {last:%d/%m/%Y}"
    assert parse_period(text, today) == Period(first, last)
    text = f"du {first.day}/{first.month} au {last.day}/{last.month}"
    assert parse_period(text, today) == Period(first, last)
