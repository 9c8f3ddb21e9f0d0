"""What residents filter by, read from the free-text offer columns: target groups, languages, cost,
accessibility and opening hours.

Offer data is typed by people, so every reader here returns three states:
yes / no / unknown. "Unknown" is never "no": an offer without opening hours
is not closed, an offer without a stated target group is not closed to
anyone. The filters (:mod:`geo.analysis.filters`) keep unknown offers visible unless
the user asks for stated matches only.
"""
from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

import opening_hours
import pandas as pd

from geo.text import search_key

TIMEZONE = ZoneInfo("Europe/Berlin")

ZIELGRUPPEN: tuple[str, ...] = ("kinder", "jugendliche", "familien", "frauen", "neuzugewanderte", "senioren", "alle")
"""The fixed target-group vocabulary (catalogue keys ``zielgruppe.<key>``)."""

_ZIELGRUPPE_STEMS: dict[str, tuple[str, ...]] = {
    # word stems as people write them in the zielgruppen column; folded below like the data
    "kinder": ("Kind", "Schüler", "Grundschul"),
    "jugendliche": ("Jugend", "junge Erwachsene"),
    "familien": ("Famili", "Eltern", "Mütter", "Väter", "Alleinerziehend"),
    "frauen": ("Frau", "Mädchen"),
    "neuzugewanderte": ("Geflüchtet", "Flüchtling", "zugewandert", "Asyl", "Migrant", "eingewandert"),
    "senioren": ("Senior", "Ältere"),
}
_ZIELGRUPPE_WORDS = {key: tuple(search_key(s) for s in stems) for key, stems in _ZIELGRUPPE_STEMS.items()}
_FOR_EVERYONE = frozenset(search_key(s) for s in ("alle", "alle Menschen", "offen für alle", "jede und jeder"))
"""Whole items meaning "everyone" (a stem would also match "Alleinerziehende")."""

JA, NEIN, UNBEKANNT = "ja", "nein", "unbekannt"
_FREE = tuple(search_key(s) for s in ("kostenlos", "kostenfrei", "gratis", "Eintritt frei", "freier Eintritt",
                                        "ohne Kosten", "0 Euro"))


def cell_text(value: object) -> str:
    """A cell as text: ``None`` and NaN (empty cells in hand-built frames) are ``""``."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value)


def split_list(value: object) -> list[str]:
    """A ``;``-separated cell as a list of trimmed, non-empty items."""
    return [part.strip() for part in cell_text(value).split(";") if part.strip()]


def target_groups(value: object) -> frozenset[str]:
    """The vocabulary keys (:data:`ZIELGRUPPEN`) named in a ``zielgruppen`` cell.

    ``"Kinder;Familien"`` → ``{"kinder", "familien"}``; ``"junge Erwachsene"`` → ``{"jugendliche"}``.
    Items outside the vocabulary (``Männer``, ``Ehrenamtliche``) are kept in the
    cell for display but give no key; an empty cell gives the empty set (unknown).
    """
    keys = set()
    for item in split_list(value):
        folded = search_key(item)
        if folded in _FOR_EVERYONE:
            keys.add("alle")
        keys.update(key for key, stems in _ZIELGRUPPE_WORDS.items() if any(stem in folded for stem in stems))
    return frozenset(keys)


def offer_languages(value: object) -> tuple[str, ...]:
    """The languages in a ``sprachen`` cell, as written (``"Arabisch;Persisch"`` → ``("Arabisch", "Persisch")``)."""
    return tuple(split_list(value))


def is_free(value: object) -> str:
    """``ja`` if the ``kosten`` cell says free of charge, ``unbekannt`` if empty or ``unbekannt``, else ``nein``."""
    folded = search_key(cell_text(value))
    if not folded or folded == "unbekannt":
        return UNBEKANNT
    if folded.startswith(_FREE):
        return JA
    return NEIN


def is_accessible(value: object) -> str:
    """The ``barrierefrei`` cell as ``ja`` / ``nein`` / ``unbekannt``."""
    text = cell_text(value).strip().lower()
    return text if text in (JA, NEIN) else UNBEKANNT


@lru_cache(maxsize=4096)
def _parsed_hours(hours: str) -> opening_hours.OpeningHours | None:
    try:
        return opening_hours.OpeningHours(hours, timezone=TIMEZONE, country="DE")
    except Exception:  # the parser raises its own error types; an unparsable value is "unknown", not a crash
        return None


def open_state(hours: object, at: datetime) -> str:
    """``ja`` (open), ``nein`` (closed) or ``unbekannt`` for an ``oeffnungszeiten`` value in
    OpenStreetMap opening_hours syntax at the moment ``at`` (timezone-aware; naive means Europe/Berlin).

    Empty or unparsable hours and rules the syntax marks as unknown give
    ``unbekannt``. Public holidays: the parser knows Germany's nationwide ones
    (``PH``); NRW-only holidays such as Fronleichnam are not known to it.
    """
    text = cell_text(hours).strip()
    parsed = _parsed_hours(text) if text else None
    if parsed is None:
        return UNBEKANNT
    # the parser accepts ZoneInfo only (not datetime.timezone.utc): any aware time is converted first
    moment = at.astimezone(TIMEZONE) if at.tzinfo else at.replace(tzinfo=TIMEZONE)
    if parsed.is_open(moment):
        return JA
    if parsed.is_closed(moment):
        return NEIN
    return UNBEKANNT


def open_states(hours: pd.Series, at: datetime) -> pd.Series:
    """:func:`open_state` for every value of a column (same index); each distinct value is evaluated once."""
    states = {value: open_state(value, at) for value in hours.fillna("").astype(str).unique()}
    return hours.fillna("").astype(str).map(states)


def months_since(date_text: object, today: date) -> int | None:
    """Whole months from a ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` date to ``today`` (a date or datetime; only its
    year and month count); ``None`` if no date.

    A year alone counts from its December (the most favourable reading): "2020" is
    72 months old on 2026-12-01.
    """
    parts = cell_text(date_text).strip().split("-")
    try:
        year = int(parts[0])
        month = int(parts[1]) if len(parts) > 1 else 12
    except ValueError:
        return None
    if not 1 <= month <= 12:
        return None
    return (today.year - year) * 12 + (today.month - month)
