"""The catalog: fixed ids, names in four languages, typo-tolerant suggestions."""

from __future__ import annotations

import pytest

from bot.catalog import Catalog
from bot.config import ConfigError, parse_settings
from bot.model import Status

CAT = Catalog()


def test_canonical_ids_are_fixed() -> None:
    assert CAT.service_ids == (
        "consultations",
        "surgery",
        "radiology",
        "scintigraphy",
        "blood-sampling",
        "covid-centres",
        "emergency",
        "laboratory",
    )
    assert CAT.site_ids == ("arlon", "bastogne", "libramont", "marche", "virton")


@pytest.mark.parametrize(
    ("text", "service"),
    [
        ("radiologie", "radiology"),
        ("Radio", "radiology"),
        ("imagerie", "radiology"),
        ("RX", "radiology"),
        ("imaging", "radiology"),
        ("beeldvorming", "radiology"),
        ("prises de sang", "blood-sampling"),
        ("Centres de prélèvements", "blood-sampling"),
        ("prelevements", "blood-sampling"),
        ("blood tests", "blood-sampling"),
        ("bloedafname", "blood-sampling"),
        ("Blutabnahme", "blood-sampling"),
        ("opérations", "surgery"),
        ("interventions chirurgicales", "surgery"),
        ("bloc opératoire", "surgery"),
        ("operaties", "surgery"),
        ("Operationen", "surgery"),
        ("consultaties", "consultations"),
        ("Sprechstunden", "consultations"),
        ("scintigraphie", "scintigraphy"),
        ("urgences", "emergency"),
        ("spoed", "emergency"),
        ("labo", "laboratory"),
        ("centres covid", "covid-centres"),
        ("covid-centres", "covid-centres"),
    ],
)
def test_service_names(text: str, service: str) -> None:
    entry = CAT.match_service(text)
    assert entry is not None and entry.id == service


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("maintenu", Status.OPEN),
        ("ouvert", Status.OPEN),
        ("open", Status.OPEN),
        ("réduit", Status.REDUCED),
        ("beperkt", Status.REDUCED),
        ("au cas par cas", Status.CASE_BY_CASE),
        ("case by case", Status.CASE_BY_CASE),
        ("geval per geval", Status.CASE_BY_CASE),
        ("case-by-case", Status.CASE_BY_CASE),
        ("annulé", Status.CANCELLED),
        ("annulees", Status.CANCELLED),
        ("canceled", Status.CANCELLED),
        ("geannuleerd", Status.CANCELLED),
        ("abgesagt", Status.CANCELLED),
        ("fermé", Status.CLOSED),
        ("arrêté", Status.CLOSED),
        ("gesloten", Status.CLOSED),
        ("geschlossen", Status.CLOSED),
    ],
)
def test_status_words(text: str, status: Status) -> None:
    assert CAT.match_status(text) == status


def test_names_per_language() -> None:
    assert [CAT.service_name("blood-sampling", lang) for lang in ("fr", "en", "nl", "de")] == [
        "prises de sang",
        "blood sampling",
        "bloedafname",
        "Blutabnahme",
    ]
    assert CAT.site_name("arlon", "nl") == "Aarlen"
    assert CAT.site_name("all", "fr") == "tous les sites"
    assert CAT.status_name(Status.CASE_BY_CASE, "fr") == "au cas par cas"


def test_suggestions_for_typos() -> None:
    assert [e.id for e in CAT.suggest_services("radiolgie")][:1] == ["radiology"]
    assert [e.id for e in CAT.suggest_services("scintigrafy")][:1] == ["scintigraphy"]
    assert [e.id for e in CAT.suggest_sites("bastogn")][:1] == ["bastogne"]
    assert [e.id for e in CAT.suggest_statuses("anulé")][:1] == ["cancelled"]
    assert CAT.suggest_services("zzzz") == []


def test_config_extends_or_replaces() -> None:
    extended = parse_settings(
        '[[catalog.service]]\nid = "radiology"\naliases = ["rayons"]\n'
        '[[catalog.service]]\nid = "dialysis"\nnames = { fr = "dialyse", en = "dialysis" }\n'
    ).build_catalog()
    assert extended.match_service("rayons").id == "radiology"  # type: ignore[union-attr]
    assert extended.match_service("RX").id == "radiology"  # type: ignore[union-attr]
    assert extended.service_name("dialysis", "nl") == "dialysis"  # falls back to English
    assert len(extended.services) == 9
    replaced = parse_settings(
        '[catalog]\nmode = "replace"\n[[catalog.service]]\nid = "dialysis"\n'
        '[[catalog.site]]\nid = "hq"\n'
    ).build_catalog()
    assert replaced.service_ids == ("dialysis",) and replaced.site_ids == ("hq",)
    assert replaced.match_service("radiology") is None


def test_config_errors_name_the_key() -> None:
    with pytest.raises(ConfigError, match=r"catalog\.service\[0\]\.id: String should match"):
        parse_settings('[[catalog.service]]\nid = "Bad Id"\n')
    with pytest.raises(ConfigError, match=r"catalog\.site: Value error, 'all' is reserved"):
        parse_settings('[[catalog.site]]\nid = "all"\n')
    with pytest.raises(ConfigError, match=r"bot\.database: .*CRISISCELL_DB"):
        parse_settings('[bot]\ndatabase = "postgresql://u:secret@db/x"\n')
    with pytest.raises(ConfigError, match=r"bot\.colour: Extra inputs are not permitted"):
        parse_settings('[bot]\ncolour = "blue"\n')
    with pytest.raises(ConfigError, match="not valid TOML"):
        parse_settings("[bot\n")
