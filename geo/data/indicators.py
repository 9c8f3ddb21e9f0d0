"""Sozialatlas indicators per Stadtteil, stored as exact values or as bands.

The source often gives only a band ("mehr als 45 %", "zwischen 10 und 20 %").
A :class:`Band` keeps exactly what is known: an exact ``wert`` or lower and
upper bounds, each open or closed. Bands are never turned into a single number.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from geo.data.problems import DataFileError, Problem, read_text_table
from geo.formatting import format_number
from geo.i18n import t
from geo.text import parse_decimal

INDICATOR_COLUMNS = (
    "stadtteil_id", "stadtteil", "gebiet", "indikator", "einheit", "wert", "untergrenze", "obergrenze",
    "untergrenze_inklusiv", "obergrenze_inklusiv", "angabe", "stichtag", "quelle", "methode",
)
MAP_INDICATORS = ("kinderarmut", "auslaender_minderjaehrige")
"""Indicators offered for the choropleth (shares in %)."""


@dataclass(frozen=True)
class Band:
    """A value or range of a share in percent (or a count).

    ``lower``/``upper`` are ``None`` when open; ``value`` is set only for an
    exact figure. ``parts`` names sub-areas when the band combines several
    source rows (e.g. the Ortsteile Leteln and Aminghausen).
    """

    value: float | None = None
    lower: float | None = None
    upper: float | None = None
    lower_inclusive: bool = True
    upper_inclusive: bool = True
    parts: tuple[str, ...] = field(default=())

    @property
    def sort_key(self) -> tuple[float, float]:
        """Order bands from low to high: by lower end, then upper end."""
        if self.value is not None:
            return (self.value, self.value)
        low = self.lower if self.lower is not None else 0.0
        high = self.upper if self.upper is not None else math.inf
        return (low, high)

    def closed_range(self, low_end: float = 0.0, high_end: float = 100.0) -> tuple[float, float]:
        """``(low, high)``: the exact value twice, or the bounds with open ends closed by ``low_end``/``high_end``
        (for a share in percent: "über 45 %" → 45–100, "unter 10 %" → 0–10). For charts and ranges only; the
        band itself stays what the source says."""
        if self.value is not None:
            return self.value, self.value
        return (self.lower if self.lower is not None else low_end, self.upper if self.upper is not None else high_end)

    def label(self, unit: str = "%", lang: str = "de") -> str:
        """Human-readable band: ``"50,8 %"``, ``"über 45 %"``, ``"10–20 %"``, ``"unter 10 %"``."""
        suffix = f"\u202f{unit}" if unit else ""
        fmt = lambda x: format_number(x, 1, lang)  # noqa: E731
        if self.value is not None:
            return f"{fmt(self.value)}{suffix}"
        if self.lower is not None and self.upper is not None:
            return t("band.zwischen", lang, a=fmt(self.lower), b=fmt(self.upper)) + suffix
        if self.lower is not None:
            key = "band.mindestens" if self.lower_inclusive else "band.ueber"
            return t(key, lang, a=fmt(self.lower)) + suffix
        if self.upper is not None:
            key = "band.hoechstens" if self.upper_inclusive else "band.unter"
            return t(key, lang, a=fmt(self.upper)) + suffix
        return t("band.unbekannt", lang)


@dataclass
class IndicatorsLoad:
    datei: str
    indicators: pd.DataFrame
    rejected: pd.DataFrame
    problems: list[Problem]


def read_indicators(path: str | Path, known_district_ids: set[str] | None = None) -> IndicatorsLoad:
    """Load ``sozialatlas.csv``; rows with unusable numbers or unknown districts are rejected and reported.

    ``known_district_ids`` (if given) also admits the city-wide id ``minden``.
    """
    path = Path(path)
    return indicators_from_frame(read_text_table(path, INDICATOR_COLUMNS), path.name, known_district_ids)


def indicators_from_text(text: str, datei: str, known_district_ids: set[str] | None = None) -> IndicatorsLoad:
    """:func:`read_indicators` for CSV text already in memory (a table checked in the Redaktion)."""
    import io

    frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    missing = [c for c in INDICATOR_COLUMNS if c not in frame.columns]
    if missing:
        raise DataFileError(Problem(datei, 1, None, f"Spalten fehlen: {', '.join(missing)}."))
    return indicators_from_frame(frame, datei, known_district_ids)


def indicators_from_frame(frame: pd.DataFrame, datei: str, known_district_ids: set[str] | None = None) -> IndicatorsLoad:
    """The rules of :func:`read_indicators` on a table of text cells (line numbers count a header line)."""
    problems: list[Problem] = []
    keep, rejected = [], []
    allowed = None if known_district_ids is None else set(known_district_ids) | {"minden"}
    for index, row in frame.iterrows():
        line = index + 2
        reasons = []
        for col in ("wert", "untergrenze", "obergrenze"):
            if row[col].strip() and parse_decimal(row[col]) is None:
                reasons.append((col, f"„{row[col]}“ ist keine Zahl."))
        if not any(row[c].strip() for c in ("wert", "untergrenze", "obergrenze")):
            reasons.append(("wert", "Weder Wert noch Grenzen angegeben."))
        if allowed is not None and row["stadtteil_id"] not in allowed:
            reasons.append(("stadtteil_id", f"Stadtteil „{row['stadtteil_id']}“ gibt es in der Geometriedatei nicht."))
        if reasons:
            problems.extend(Problem(datei, line, col, msg) for col, msg in reasons)
            rejected.append({"zeile": line, "grund": "; ".join(m for _, m in reasons)})
        else:
            keep.append(index)
    return IndicatorsLoad(datei, frame.loc[keep].reset_index(drop=True), pd.DataFrame(rejected, columns=["zeile", "grund"]), problems)


def band_of_row(row: pd.Series) -> Band:
    """The :class:`Band` stored in one indicator row."""
    return Band(
        value=parse_decimal(row["wert"]),
        lower=parse_decimal(row["untergrenze"]),
        upper=parse_decimal(row["obergrenze"]),
        lower_inclusive=_flag(row["untergrenze_inklusiv"]),
        upper_inclusive=_flag(row["obergrenze_inklusiv"]),
    )


def district_band(indicators: pd.DataFrame, stadtteil_id: str, indikator: str) -> Band | None:
    """The band of one indicator for one district, or ``None`` if the source says nothing.

    Several rows (sub-areas) are combined into the smallest band containing
    all of them, with the sub-areas listed in ``parts``.
    """
    rows = indicators[(indicators["stadtteil_id"] == stadtteil_id) & (indicators["indikator"] == indikator)]
    return None if rows.empty else combined_band(rows)


def combined_band(rows: pd.DataFrame) -> Band:
    """The smallest band containing the bands of all ``rows`` (one indicator, one district)."""
    bands = [band_of_row(r) for _, r in rows.iterrows()]
    if len(bands) == 1:
        return bands[0]
    lows = [b.value if b.value is not None else b.lower for b in bands]
    highs = [b.value if b.value is not None else b.upper for b in bands]
    known_lows = [x for x in lows if x is not None]
    known_highs = [x for x in highs if x is not None]
    lower = min(known_lows) if len(known_lows) == len(lows) else None
    upper = max(known_highs) if len(known_highs) == len(highs) else None
    parts = tuple(f"{r['gebiet']}: {b.label(r['einheit'])}" for (_, r), b in zip(rows.iterrows(), bands))
    return Band(None, lower, upper, True, True, parts)


def bands_by_district(indicators: pd.DataFrame, district_ids: list[str], indikator: str) -> dict[str, Band | None]:
    """``{stadtteil_id: Band or None}`` for every district id given."""
    rows = indicators[indicators["indikator"] == indikator]
    groups = dict(iter(rows.groupby("stadtteil_id", sort=False)))
    return {d: combined_band(groups[d]) if d in groups else None for d in district_ids}


def indicator_unit(indicators: pd.DataFrame, indikator: str) -> str:
    units = indicators.loc[indicators["indikator"] == indikator, "einheit"]
    return units.iloc[0] if not units.empty else ""


def _flag(text: str) -> bool:
    return str(text).strip().lower() not in ("false", "nein", "0", "no")
