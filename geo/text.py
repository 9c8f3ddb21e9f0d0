"""Small text helpers shared by loaders, importers and renderers."""
from __future__ import annotations

import math
import re
import unicodedata
from typing import TYPE_CHECKING, overload
from urllib.parse import urlsplit

if TYPE_CHECKING:
    import pandas as pd

_UNSAFE_URL_CHARS = re.compile(r"[\s\"'<>\\`\x00-\x1f\x7f]")
_PHONE_ALLOWED = re.compile(r"^[0-9 +()/\-–.]{5,40}$")
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


@overload
def neutralise_formula(value: str) -> str: ...
@overload
def neutralise_formula(value: object) -> object: ...
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


_SPECIAL_LETTER_MAP = {"ı": "i", "ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "æ": "ae", "œ": "oe"}
"""Letters that Unicode does not decompose into base letter + accent, but that people type as the base letter."""
_SPECIAL_LETTERS = str.maketrans(_SPECIAL_LETTER_MAP)
_SPECIAL_LETTER_RE = re.compile(f"[{''.join(_SPECIAL_LETTER_MAP)}]")
_COMBINING_MARKS = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
_UMLAUT_SPELLINGS = re.compile(r"(?<=[aou])e")
_SEARCH_DROP = re.compile(r"[\W_]+")


def search_key(text: object) -> str:
    """Fold text for tolerant search: what a resident may type and what the data says meet in one form.

    Steps, in this order:

    1. ``casefold`` (``"Straße"`` → ``"strasse"``, upper case → lower case);
    2. letters without a Unicode decomposition to their base letter: ``ı ø ł đ ð`` → ``i o l d d``,
       ``þ`` → ``th``, ``æ``/``œ`` → ``ae``/``oe`` (Turkish ``"Işık"`` = ``"Isik"``);
    3. NFKD and removal of the combining accents (``é`` → ``e``, ``ä`` → ``a``, ``ş`` → ``s``,
       ligatures such as ``ﬁ`` → ``fi``);
    4. the spelled-out umlauts: every ``e`` right after ``a``/``o``/``u`` is removed, so
       ``ae``/``oe``/``ue`` equal ``a``/``o``/``u`` (also in words that are no umlauts, e.g.
       ``"Feuer"`` → ``"feur"`` – harmless, because query and data are folded alike);
    5. removal of everything that is not a letter or digit of any script: spaces, hyphens,
       punctuation, symbols, ``_``. Arabic, Cyrillic, Greek … letters are kept, so a word in
       another script finds only offers containing it (and nothing if none does).

    So ``"Sprach-Café"``, ``"Sprach Café"`` and ``"Sprachcafé"`` all become ``"sprachcafe"``;
    ``"Bärenkämpen"`` and ``"BAERENKAEMPEN"`` both ``"barenkampen"``. Query and haystack must be
    folded the same way; query words are folded one by one (see :func:`geo.analysis.filters.filter_offers`).
    Known limit: step 4 runs per word before step 5, so a query ``"Kakaoeis"`` does not find data
    spelled ``"Kakao-Eis"`` (``"kakais"`` vs. ``"kakaoeis"``), while ``"Kakao-Eis"`` or ``"Kakao Eis"`` do.
    """
    folded = str(text).casefold().translate(_SPECIAL_LETTERS)
    folded = _COMBINING_MARKS.sub("", unicodedata.normalize("NFKD", folded))
    return _SEARCH_DROP.sub("", _UMLAUT_SPELLINGS.sub("", folded))


def search_keys(texts: pd.Series) -> pd.Series:
    """:func:`search_key` for a whole column with pandas' vectorised string methods (same result, no Python loop)."""
    # A regex with a callback, not Series.str.translate: translate costs a dict lookup per character
    # (88 ms for 10,000 offers), the regex only calls back for the rare letters it finds.
    folded = texts.astype(str).str.casefold()
    folded = folded.str.replace(_SPECIAL_LETTER_RE, lambda m: _SPECIAL_LETTER_MAP[m.group()], regex=True).str.normalize("NFKD")
    folded = folded.str.replace(_COMBINING_MARKS, "", regex=True)
    return folded.str.replace(_UMLAUT_SPELLINGS, "", regex=True).str.replace(_SEARCH_DROP, "", regex=True)


def german_sort_key(text: object) -> tuple[str, str]:
    """Sort key for German names (DIN 5007-1, "Wörterbuch"-order): letters with umlauts or accents
    count as their base letter (``ä`` = ``a``, ``é`` = ``e``), ``ß`` as ``ss``, case is ignored.

    ``"Königstor" < "Kutenhausen"`` and ``"Bärenkämpen" < "Bölhorst"``. Spaces and hyphens are
    kept (``"Rechtes Weserufer"`` sorts like the words it consists of). The original text is the
    second element and breaks ties, so the order is stable and total (``"Bar" < "Bär"``).
    Use as ``sorted(names, key=german_sort_key)`` or ``series.map(german_sort_key)`` in ``sort_values(key=...)``.
    """
    value = str(text)
    folded = unicodedata.normalize("NFKD", value.casefold().translate(_SPECIAL_LETTERS))
    return _COMBINING_MARKS.sub("", folded), value


def safe_http_url(value: object) -> str | None:
    """``value`` if it is an absolute http(s) URL with a host and no characters that could break out of an attribute.

    Anything else (``javascript:``, relative paths, ``=HYPERLINK(…)``, URLs with
    spaces or quotes) gives ``None``: the text is then shown, not linked.
    """
    text = str(value or "").strip()
    if not text or _UNSAFE_URL_CHARS.search(text):
        return None
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return text


def tel_href(value: object) -> str | None:
    """A ``tel:`` link for a German phone number written by people (``0571 837910``, ``0571/9726264``), else ``None``.

    Only the first number is used when a field holds several (``0571 829 08 16 (St. Marien); …``).
    """
    first = re.split(r"[;,(]| oder | / (?=\D)", str(value or ""))[0].strip()
    if not _PHONE_ALLOWED.match(first):
        return None
    digits = re.sub(r"[^0-9+]", "", first)
    if digits.startswith("+"):
        return f"tel:{digits}" if 8 <= len(digits) <= 16 else None
    if digits.startswith("0") and 6 <= len(digits) <= 15:
        return f"tel:+49{digits[1:]}"
    return None
