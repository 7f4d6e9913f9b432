"""The question corpus (tests/commands/questions_corpus.jsonl) read by the question reader.

The corpus was written before the reader, by someone else; bench/corpus_accuracy.py
prints the figures and the misses. Here: the issue's own examples must all be read
right, and the whole corpus at least as well as the floor below (measured: 278/281).
"""

from __future__ import annotations

from typing import Any

import pytest

from bench.corpus_accuracy import CORPUS as CORPUS_FILE
from bench.corpus_accuracy import compare, load
from bot.catalog import Catalog

CORPUS = load(CORPUS_FILE)
HELD_OUT = CORPUS_FILE.parents[2] / "bench" / "questions_heldout.jsonl"
FLOOR = 0.97
ISSUE_EXAMPLES = {
    "is radiology open tomorrow?",
    "are consultations cancelled on Monday at Arlon?",
    "what's open today?",
    "what is cancelled on 16 May?",
    "la radiologie est-elle ouverte demain ?",
    "est-ce que les prises de sang sont maintenues lundi ?",
    "les consultations à Arlon, c'est annulé mercredi ?",
    "qu'est-ce qui est fermé aujourd'hui ?",
    "y a-t-il des opérations après-demain à Bastogne ?",
    "is radiologie morgen open?",
    "gaan de consultaties maandag door?",
    "wat is er vandaag gesloten?",
    "ist die Radiologie morgen geöffnet?",
    "radiology and scintigraphy tomorrow?",
}


def test_corpus_is_large_and_multilingual() -> None:
    assert len(CORPUS) >= 250
    langs = {c["lang"] for c in CORPUS}
    assert langs == {"fr", "en", "nl", "de"}
    assert {c["q"] for c in CORPUS} >= ISSUE_EXAMPLES


@pytest.mark.parametrize(
    "case", [c for c in CORPUS if c["q"] in ISSUE_EXAMPLES], ids=lambda c: c["q"]
)
def test_issue_examples_are_read_right(case: dict[str, Any]) -> None:
    assert compare(case, Catalog()) == []


def test_corpus_accuracy_floor() -> None:
    catalog = Catalog()
    misses = [(c["q"], compare(c, catalog)) for c in CORPUS]
    misses = [m for m in misses if m[1]]
    accuracy = 1 - len(misses) / len(CORPUS)
    assert accuracy >= FLOOR, misses


def test_held_out_accuracy_floor() -> None:
    """bench/questions_heldout.jsonl was written after the reader, by someone who had not
    seen it, and the reader was not tuned on it (measured: 91/100). Do not tune on it:
    add failing phrasings to the main corpus, then write a new held-out set."""
    catalog = Catalog()
    cases = load(HELD_OUT)
    misses = [c["q"] for c in cases if compare(c, catalog)]
    assert len(cases) >= 100
    assert 1 - len(misses) / len(cases) >= 0.88, misses
