"""How well questions are read: the test corpus against the reader, field by field.

    python -m bench.corpus_accuracy [--show-misses] [--corpus FILE]

A question counts as read right when language, intent, services, sites, date, asked
status and (for ask-backs) the reason all match its expected reading.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.catalog import Catalog
from commands.reading import read_question

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "commands" / "questions_corpus.jsonl"
DEFAULT_NOW = "2022-05-15T09:12"
FIELDS = ("lang", "intent", "services", "sites", "date", "asked", "why")


def load(path: Path = CORPUS) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def got_for(case: dict[str, Any], catalog: Catalog) -> dict[str, Any]:
    now = datetime.fromisoformat(case.get("now", DEFAULT_NOW)).replace(
        tzinfo=ZoneInfo("Europe/Brussels")
    )
    reading = read_question(case["q"], catalog=catalog, today=now.date(), fallback="fr")
    got = reading.to_json()
    if got["intent"] != "ask-back":
        got["why"] = None
    return got


def expected(case: dict[str, Any]) -> dict[str, Any]:
    exp = {k: case.get(k) for k in FIELDS}
    exp["why"] = case.get("why") if case["intent"] == "ask-back" else None
    return exp


def compare(case: dict[str, Any], catalog: Catalog) -> list[str]:
    got, exp = got_for(case, catalog), expected(case)
    wrong = []
    for f in FIELDS:
        if f == "date" and exp["intent"] == "ask-back":
            continue  # the day does not matter when the bot asks back
        a, b = got.get(f), exp.get(f)
        if f in ("services", "sites"):
            a, b = list(a or []), list(b or [])
        if a != b:
            wrong.append(f)
    return wrong


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show-misses", action="store_true")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    args = parser.parse_args()
    catalog = Catalog()
    cases = load(args.corpus)
    per_field: Counter[str] = Counter()
    per_lang: Counter[str] = Counter()
    right_lang: Counter[str] = Counter()
    misses = []
    for case in cases:
        wrong = compare(case, catalog)
        per_lang[case["lang"]] += 1
        per_field.update(wrong)
        if wrong:
            misses.append((case, wrong))
        else:
            right_lang[case["lang"]] += 1
    ok = len(cases) - len(misses)
    print(f"corpus: {len(cases)} questions; read right: {ok} ({100 * ok / len(cases):.1f}%)")
    for lang in sorted(per_lang):
        print(
            f"  {lang}: {right_lang[lang]}/{per_lang[lang]} "
            f"({100 * right_lang[lang] / per_lang[lang]:.1f}%)"
        )
    for f in FIELDS:
        print(f"  field {f:<9} wrong in {per_field[f]}")
    if args.show_misses:
        for case, wrong in misses:
            got = got_for(case, catalog)
            detail = "; ".join(
                f"{f}: got {got.get(f)!r}, want {expected(case).get(f)!r}" for f in wrong
            )
            print(f"- {case['q']!r}: {detail}")


if __name__ == "__main__":
    main()
