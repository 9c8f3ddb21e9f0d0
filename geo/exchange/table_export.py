"""Table exports a planner can use: machine-readable CSV (numbers as numbers, ``.`` as decimal point, UTF-8 with
BOM), an XLSX workbook with the same tables plus a "Metadaten" sheet (title, filter, parameters, date, sources,
licence), and file names that carry the filter.

The CSV is the bare table (``pandas.read_csv`` reads it without options); what it was made from is in its file
name and, in full, on the workbook's metadata sheet. Text cells are neutralised against formula injection in both.
"""
from __future__ import annotations

import io
import math
import re
import unicodedata
from collections.abc import Iterable
from datetime import datetime

import numpy as np
import pandas as pd

from geo.analysis.coverage import UNASSIGNED_ID, GapScore
from geo.analysis.filters import OfferFilter
from geo.config import HANDLUNGSFELDER
from geo.exchange.csv_export import spreadsheet_csv
from geo.i18n import t
from geo.text import neutralise_formula

APP_NAME = "Quartierskarte Minden"
SHEET_NAME_MAX = 31
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def export_metadata(title: str, filter_description: str, parameters: dict[str, object], sources: Iterable[str],
                    licence: str, created: datetime, lang: str = "de") -> list[tuple[str, str]]:
    """The metadata rows of an export as ``(label, value)``: title, filter, each parameter (label as given),
    creation time (ISO 8601, minutes), one row per source, licence and the program. Labels in ``lang``."""
    rows = [(t("export.meta_titel", lang), title), (t("export.meta_filter", lang), filter_description)]
    rows += [(str(label), _text(value)) for label, value in parameters.items()]
    rows.append((t("export.meta_erstellt", lang), created.isoformat(timespec="minutes")))
    rows += [(t("export.meta_quelle", lang), source) for source in dict.fromkeys(sources) if source]
    rows.append((t("export.meta_lizenz", lang), licence))
    rows.append((t("export.meta_programm", lang), APP_NAME))
    return rows


def _text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def csv_bytes(table: pd.DataFrame) -> bytes:
    """The table as a machine-readable CSV: ``,``-separated, ``.`` as decimal point, empty where a number is
    unknown, UTF-8 with BOM, formulas neutralised (:func:`geo.exchange.csv_export.spreadsheet_csv`)."""
    return spreadsheet_csv(table)


def _cell_value(value: object) -> object:
    """What goes into a worksheet cell: numbers as numbers (``None`` for NaN/NA), everything else as text."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if not math.isfinite(value) else float(value)
    return neutralise_formula(str(value))


def sheet_name(name: str, taken: set[str]) -> str:
    """A valid, unique worksheet name: no ``[]:*?/\\``, at most 31 characters."""
    base = _SHEET_FORBIDDEN.sub("-", name).strip("'") or "Tabelle"
    candidate, n = base[:SHEET_NAME_MAX], 2
    while candidate.lower() in {s.lower() for s in taken}:
        suffix = f" ({n})"
        candidate, n = base[:SHEET_NAME_MAX - len(suffix)] + suffix, n + 1
    return candidate


def xlsx_bytes(sheets: dict[str, pd.DataFrame], metadata: list[tuple[str, str]], lang: str = "de") -> bytes:
    """An XLSX workbook (openpyxl): one sheet per table (bold, frozen header row; numbers stay numbers, text
    cells are plain strings with formulas neutralised), then a "Metadaten" sheet with ``metadata``."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    workbook = Workbook()
    workbook.remove(workbook.active)
    bold = Font(bold=True)
    taken: set[str] = set()
    for name, table in sheets.items():
        title = sheet_name(name, taken)
        taken.add(title)
        sheet = workbook.create_sheet(title)
        sheet.append([_cell_value(str(c)) for c in table.columns])
        for row in table.itertuples(index=False):
            sheet.append([_cell_value(v) for v in row])
        for cell in sheet[1]:
            cell.font = bold
        sheet.freeze_panes = "A2"
        for i, column in enumerate(table.columns, start=1):
            longest = max([len(str(column)), *(len(str(v)) for v in table[column].head(200))])
            sheet.column_dimensions[sheet.cell(1, i).column_letter].width = min(60, max(8, longest + 2))
        _force_text(sheet)
    meta = workbook.create_sheet(sheet_name(t("export.blatt_metadaten", lang), taken))
    for label, value in metadata:
        meta.append([_cell_value(label), _cell_value(value)])
    for cell in meta["A"]:
        cell.font = bold
    meta.column_dimensions["A"].width = 28
    meta.column_dimensions["B"].width = 100
    for cell in meta["B"]:
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    _force_text(meta)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _force_text(sheet) -> None:
    """openpyxl stores a string starting with "=" as a formula: every text cell is a plain string."""
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"


def slug(text: str) -> str:
    """A file-name part: lower case, umlauts as ae/oe/ue/ss, other accents dropped, anything else as ``-``."""
    text = text.lower().replace("ä", "ae").replace("ö", "oe").replace("ü", "ue").replace("ß", "ss")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


def export_file_name(base: str, filter_parts: Iterable[str], ext: str) -> str:
    """``base-part1-part2.ext`` with every part slugged and empty parts left out, e.g.
    ``quartierskarte-luecken-bildung-800m-2026-12-07.xlsx``; at most 150 characters before the extension."""
    parts = [p for p in (slug(str(part)) for part in [base, *filter_parts]) if p]
    return "-".join(parts)[:150].strip("-") + "." + ext.lstrip(".")


COVERAGE_COLUMNS = ("stadtteil_id", "stadtteil", "angebote", "davon_ungefaehre_lage", "einwohner",
                    "einwohner_stichtag", "angebote_je_1000_einwohner", "angebote_je_1000_minderjaehrige",
                    "anteil_versorgt_prozent", "gehweg_m", "bedarf_kennzahl", "bedarf_wert", "bedarf_untergrenze",
                    "bedarf_obergrenze", "bedarf_angabe", "luecke_untergrenze", "luecke_obergrenze", "rang")


def coverage_records(table: pd.DataFrame, scores: list[GapScore], approximate: dict[str, int], walk_m: float,
                     need_key: str, need_labels: dict[str, str]) -> pd.DataFrame:
    """The coverage table with the gap score and rank, machine-readable (:data:`COVERAGE_COLUMNS`).

    One row per district in ranking order (:func:`geo.analysis.coverage.gap_scores`), then the "nicht
    zugeordnet" row (id ``""``). Numbers are numbers, empty where unknown (never 0). ``bedarf_*`` is the need
    indicator in percent as the source gives it: ``bedarf_wert`` for an exact figure, otherwise the band's
    bounds (an open end stays empty); ``luecke_*`` is the score ``need × (1 − anteil_versorgt)`` in percent
    points, a range where the need is a band (open ends closed by 0 % and 100 %, as in the ranking); ``rang``
    1 = largest gap, empty for a district without a need figure (it is not ranked).
    """
    rows_by_id = {r.stadtteil_id: r for r in table.itertuples()}
    out = []
    rank = 0
    for score in scores:
        row = rows_by_id[score.stadtteil_id]
        band = score.need
        ranked = not math.isnan(score.need_low)
        rank += ranked
        out.append({**_coverage_row(row, approximate, walk_m),
                    "bedarf_kennzahl": need_key,
                    "bedarf_wert": band.value if band is not None else None,
                    "bedarf_untergrenze": band.lower if band is not None and band.value is None else None,
                    "bedarf_obergrenze": band.upper if band is not None and band.value is None else None,
                    "bedarf_angabe": need_labels.get(score.stadtteil_id, ""),
                    "luecke_untergrenze": round(100 * score.low, 2) if ranked else None,
                    "luecke_obergrenze": round(100 * score.high, 2) if ranked else None,
                    "rang": rank if ranked else None})
    for row in table[table["stadtteil_id"] == UNASSIGNED_ID].itertuples():
        out.append({**_coverage_row(row, approximate, walk_m), "davon_ungefaehre_lage": None,
                    "anteil_versorgt_prozent": None, "bedarf_kennzahl": need_key})
    frame = pd.DataFrame(out).reindex(columns=list(COVERAGE_COLUMNS))
    for column in ("angebote", "davon_ungefaehre_lage", "einwohner", "gehweg_m", "rang"):
        frame[column] = pd.to_numeric(frame[column]).round().astype("Int64")
    for column in ("angebote_je_1000_einwohner", "angebote_je_1000_minderjaehrige", "anteil_versorgt_prozent",
                   "bedarf_wert", "bedarf_untergrenze", "bedarf_obergrenze", "luecke_untergrenze",
                   "luecke_obergrenze"):
        frame[column] = pd.to_numeric(frame[column]).astype("Float64")
    return frame


def _coverage_row(row, approximate: dict[str, int], walk_m: float) -> dict:
    def number(value: float, digits: int) -> float | None:
        return None if value is None or not math.isfinite(value) else round(float(value), digits)

    return {"stadtteil_id": row.stadtteil_id, "stadtteil": row.name, "angebote": int(row.angebote),
            "davon_ungefaehre_lage": approximate.get(row.stadtteil_id, 0),
            "einwohner": number(row.einwohner, 0), "einwohner_stichtag": row.einwohner_stichtag,
            "angebote_je_1000_einwohner": number(row.je_1000_einwohner, 2),
            "angebote_je_1000_minderjaehrige": number(row.je_1000_minderjaehrige, 2),
            "anteil_versorgt_prozent": number(100 * row.anteil_versorgt, 1), "gehweg_m": walk_m}


def filter_name_parts(flt: OfferFilter) -> list[str]:
    """What a filter chooses, as file-name parts: the Handlungsfelder (keys, e.g. ``bildung``; ``alle`` when
    none is chosen or all are), then districts, target groups, languages and the yes/no criteria, ``suche``
    for a text search. "Alle Angebote" and "Bildung" thus never share a file name."""
    chosen = flt.handlungsfelder or ()
    every = {hf.name for hf in HANDLUNGSFELDER}
    parts = ([hf.key for hf in HANDLUNGSFELDER if hf.name in chosen] if chosen and set(chosen) != every
             else ["alle"])
    parts += list(flt.stadtteil_ids or ())
    parts += list(flt.zielgruppen) + list(flt.sprachen)
    parts += [flag for flag in ("kostenlos", "barrierefrei") if getattr(flt, flag)]
    if flt.jetzt_offen:
        parts.append("jetzt-offen")
    if flt.text.strip():
        parts.append("suche")
    return parts
