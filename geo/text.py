"""Small text helpers shared by loaders, importers and renderers."""
from __future__ import annotations

import math
import re
import unicodedata
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "ae", "Ö": "oe", "Ü": "ue"})


def strip_control_chars(value: str) -> str:
    """Remove control characters (keeps tab and newlines) and surrounding whitespace."""
    return _CONTROL.sub("", value).strip()


def slugify(name: str) -> str:
    """ASCII id from a German name: ``"Bärenkämpen"`` → ``"baerenkaempen"``."""
    text = name.translate(_UMLAUTS)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
"""Cell starts that spreadsheet programs evaluate as formulas (OWASP: CSV injection)."""


def neutralise_formula(value: object) -> object:
    """Prefix text that a spreadsheet would run as a formula with ``'``; other values unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def unneutralise_formula(value: str) -> str:
    """Undo :func:`neutralise_formula` when reading a file that an export wrote."""
    return value[1:] if value.startswith("'") and value[1:].startswith(FORMULA_PREFIXES) else value


def parse_decimal(text: object) -> float | None:
    """A finite number from user text, accepting a decimal comma (``"52,29"``); ``None`` otherwise."""
    try:
        number = float(str(text).strip().replace(",", "."))
    except ValueError:
        return None
    return number if math.isfinite(number) else None


_SEARCH_DROP = re.compile(r"[^0-9a-z]+")
_UMLAUT_SPELLINGS = re.compile(r"(?<=[aou])e")


def search_key(text: object) -> str:
    """Fold text for tolerant search: what a resident may type and what the data says meet in one form.

    Steps: casefold; ``ß`` → ``ss``; accents and umlauts to their base letter
    (``é`` → ``e``, ``ä`` → ``a``); the spelled-out umlauts ``ae``/``oe``/``ue``
    to ``a``/``o``/``u``; everything that is not a letter or digit removed
    (hyphens, spaces, punctuation). So ``"Sprach-Café"`` and ``"Sprachcafé"``
    both become ``"sprachcafe"``, ``"Bärenkämpen"`` and ``"Baerenkaempen"``
    both ``"barenkampen"``. Query and haystack must be folded the same way.
    """
    folded = str(text).casefold().replace("ß", "ss")
    folded = unicodedata.normalize("NFKD", folded).encode("ascii", "ignore").decode("ascii")
    return _SEARCH_DROP.sub("", _UMLAUT_SPELLINGS.sub("", folded))


def search_keys(texts: "pd.Series") -> "pd.Series":
    """:func:`search_key` for a whole column, with pandas' vectorised string methods (same result)."""
    folded = texts.astype(str).str.casefold().str.replace("ß", "ss", regex=False).str.normalize("NFKD")
    folded = folded.str.encode("ascii", "ignore").str.decode("ascii")
    return folded.str.replace(_UMLAUT_SPELLINGS, "", regex=True).str.replace(_SEARCH_DROP, "", regex=True)


_DIN_5007_1 = str.maketrans({"ä": "a", "ö": "o", "ü": "u", "ß": "ss"})


def german_sort_key(text: object) -> tuple[str, str]:
    """Sort key for German names (DIN 5007-1): umlauts as their base letter, ß as ss, case-insensitive.

    ``"Königstor" < "Kutenhausen"`` and ``"Bärenkämpen" < "Bölhorst"``; the
    original text breaks ties so the order is stable and total.
    """
    value = str(text)
    return value.casefold().translate(_DIN_5007_1), value
