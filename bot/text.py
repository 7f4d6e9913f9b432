"""Text normalisation shared by every parser: case-, accent- and punctuation-insensitive."""

from __future__ import annotations

import re
import unicodedata

_QUOTES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'", "–": "-", "—": "-"})
_SPACES = re.compile(r"\s+")
_WORD = re.compile(r"[a-z0-9&]+")


def fold(text: str) -> str:
    """Lowercase, strip accents, straighten quotes, collapse white space.

    Every character of the result maps to one of the input (no expansion), so offsets in
    the folded text are stable for the slicing the parsers do.
    """
    text = unicodedata.normalize("NFKD", text.translate(_QUOTES))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return _SPACES.sub(" ", text.casefold()).strip()


def words(folded: str) -> list[tuple[str, int, int]]:
    """The words of an already folded text with their offsets: (word, start, end)."""
    return [(m.group(), m.start(), m.end()) for m in _WORD.finditer(folded)]


def tokens(text: str) -> list[str]:
    """Folded words; apostrophes, hyphens, commas and other punctuation separate words."""
    return _WORD.findall(fold(text))


def key(text: str) -> str:
    """A matching key: folded words joined by one space ("Case-by-case" -> "case by case")."""
    return " ".join(tokens(text))
