"""Offer values in the reader's language: fixed vocabularies through the catalogues, free text as entered.

Offer data is German. What comes from a fixed list – Handlungsfeld, category,
target groups, languages, cost "kostenlos"/"unbekannt", barrier-free yes/no,
location precision, status – is shown in the user's language. What people
wrote freely (names, addresses, descriptions, notes, an item outside the lists
such as "Ehrenamtliche") stays as entered; in HTML it is marked as German
with its own direction (``<span lang="de" dir="ltr">``, WCAG 3.1.2), so that a
German sentence inside an Arabic page keeps its full stop at its end.
"""
from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, lru_cache

from babel import Locale

from geo.config import HANDLUNGSFELD_BY_NAME
from geo.data.attributes import cell_text, split_list
from geo.i18n import DEFAULT_LANG, catalogue, html_lang, t, text_direction
from geo.text import search_key, slugify

DATA_LANG = "de"
"""The language of the offer data (``lang`` of free text)."""

LIST_COLUMNS = ("zielgruppen", "sprachen")
"""Columns holding ``;``-separated lists; each item is translated on its own."""

_FREE_OF_CHARGE = frozenset(search_key(s) for s in ("kostenlos", "kostenfrei", "gratis", "umsonst"))
_UNKNOWN = frozenset(search_key(s) for s in ("unbekannt", "keine Angabe", "k. A."))
_PRECISIONS = ("adresse", "strasse", "stadtteil", "unbekannt")
_STATUSES = ("aktiv", "unklar", "umgezogen", "beendet")


@dataclass(frozen=True)
class Piece:
    """One shown value: ``translated`` text in the UI language, or data text as entered (German)."""

    text: str
    translated: bool


def _own(key: str, lang: str) -> str | None:
    """The catalogue text of ``key`` in ``lang`` (German as fallback), or ``None`` if German lacks it too."""
    return catalogue(lang).get(key) or catalogue(DEFAULT_LANG).get(key)


@cache
def _language_codes() -> dict[str, str]:
    """German language name (folded) → language code, from CLDR via Babel (``Arabisch`` → ``ar``)."""
    codes: dict[str, str] = {}
    for code, name in sorted(Locale("de").languages.items(), key=lambda item: (len(item[0]), item[0])):
        codes.setdefault(search_key(name), code)
    codes.setdefault(search_key("Farsi"), "fa")
    return codes


def language_name(name: str, lang: str) -> str | None:
    """A language named in German data (``"Arabisch"``) in ``lang`` (``"العربية"``), or ``None`` if unknown."""
    code = _language_codes().get(search_key(name))
    if code is None:
        return None
    if html_lang(lang) == DATA_LANG:
        return name
    return _locale(lang).languages.get(code)


@cache
def _locale(lang: str) -> Locale:
    return Locale.parse(html_lang(lang).replace("-", "_"))


@lru_cache(maxsize=8192)
def _item(column: str, value: str, lang: str) -> Piece:
    folded = search_key(value)
    found: str | None = None
    if column == "handlungsfeld":
        hf = HANDLUNGSFELD_BY_NAME.get(value)
        found = t(f"handlungsfeld.{hf.key}", lang) if hf else None
    elif column == "kategorie":
        found = _own(f"kategorie_name.{slugify(value)}", lang)
    elif column == "zielgruppen":
        found = _own(f"zielgruppe_wert.{slugify(value)}", lang)
    elif column == "sprachen":
        found = language_name(value, lang)
    elif column == "kosten":
        found = (t("wert.kostenlos", lang) if folded in _FREE_OF_CHARGE
                 else t("detail.unbekannt", lang) if folded in _UNKNOWN else None)
    elif column == "barrierefrei":
        found = (t(f"wert.{folded}", lang) if folded in ("ja", "nein")
                 else t("detail.unbekannt", lang) if folded in _UNKNOWN else None)
    elif column == "lage_genauigkeit":
        found = t(f"verorten.lage_{folded}", lang) if folded in _PRECISIONS else None
    elif column == "status":
        found = t(f"status.{folded}", lang) if folded in _STATUSES else None
    elif column == "stand_quelle":
        found = t("stand.undatiert", lang) if folded == "undatiert" else None
    return Piece(found, True) if found else Piece(value, False)


def value_pieces(column: str, value: object, lang: str) -> list[Piece]:
    """The cell ``value`` of ``column`` as shown in ``lang``: one piece, or one per item of a list column.

    ``value_pieces("zielgruppen", "Kinder;Ehrenamtliche", "en")`` →
    ``[Piece("children", True), Piece("Ehrenamtliche", False)]``. Columns without
    a vocabulary give the text as entered.
    """
    text = cell_text(value).strip()
    if not text:
        return []
    items = split_list(text) if column in LIST_COLUMNS else [text]
    return [_item(column, item, lang) for item in items]


def separator(lang: str) -> str:
    """Between the items of a list value: ``", "`` (Arabic and Persian ``"، "``)."""
    return t("wert.trenner", lang)


def display_value(column: str, value: object, lang: str) -> str:
    """:func:`value_pieces` as plain text (for tables and CSV)."""
    return separator(lang).join(piece.text for piece in value_pieces(column, value, lang))


def data_html(value: object, lang: str) -> str:
    """Data text as entered, escaped; marked German and left-to-right unless the page is German."""
    escaped = html.escape(cell_text(value), quote=True)
    if html_lang(lang) == DATA_LANG or not escaped:
        return escaped
    return f'<span lang="{DATA_LANG}" dir="ltr">{escaped}</span>'


def ltr_attr(lang: str) -> str:
    """`` dir="ltr"`` for an element holding a phone number, date or web address in a right-to-left page, else ``""``."""
    return ' dir="ltr"' if text_direction(lang) == "rtl" else ""


def ltr_html(value: object, lang: str) -> str:
    """Phone numbers, dates, web addresses, opening-hours rules: escaped, and isolated left-to-right in a
    right-to-left page (in an Arabic line, "0571 9726264" would otherwise show its two groups swapped)."""
    escaped = html.escape(cell_text(value), quote=True)
    return f"<span{ltr_attr(lang)}>{escaped}</span>" if escaped and ltr_attr(lang) else escaped


def value_html(column: str, value: object, lang: str) -> str:
    """:func:`value_pieces` as escaped HTML: translated pieces plain, data pieces marked by :func:`data_html`."""
    return html.escape(separator(lang)).join(
        html.escape(piece.text) if piece.translated else data_html(piece.text, lang)
        for piece in value_pieces(column, value, lang))


def t_html(key: str, lang: str, **values_html: str) -> str:
    """The catalogue text of ``key``, escaped, with placeholders filled by ready (escaped) HTML – so that data
    inside a sentence can carry its own language mark."""
    marks = {name: f"\x00{name}\x00" for name in values_html}
    text = html.escape(t(key, lang, **marks))
    for name, value in values_html.items():
        text = text.replace(f"\x00{name}\x00", value)
    return text


def stand_text(row: Mapping[str, object], lang: str = "de") -> str:
    """How current an offer's data is, in words: confirmed with the provider on a date, else the date its source
    states ("laut Quelle"), "undatiert" translated, or empty when the data says nothing."""
    checked = str(row.get("zuletzt_geprueft", "") or "").strip()
    if checked:
        return t("popup.stand_geprueft", lang, datum=checked)
    stated = str(row.get("stand_quelle", "") or "").strip()
    if stated.lower() == "undatiert":
        return t("stand.undatiert", lang)
    return t("popup.stand_quelle", lang, datum=stated) if stated else ""
