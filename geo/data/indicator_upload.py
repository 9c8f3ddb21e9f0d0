"""A new Sozialatlas table uploaded in the Redaktion: read, recognise, check, compare, and write as ``sozialatlas.csv``.

The editor uploads a CSV, XLSX or ODS table with social indicators per district. This module

1. reads it into text (:func:`read_indicator_upload`; workbooks through :func:`geo.data.workbook.read_sheet`, which
   refuses hostile files before anything is parsed, CSV with the same decoding as the offer loader);
2. suggests which column is which (:func:`suggest_indicator_mapping`);
3. checks every row (:func:`check_indicator_upload`): district names matched to the app's districts
   (:func:`geo.data.district_names.match_district_names`, near misses only suggested, never applied), values and
   bands parsed (:func:`parse_indicator_value`: "31,8 %", "zwischen 10 und 20 %", "mehr als 45 %" …), dates
   normalised (:func:`parse_stichtag`), and the result compared with the indicators in use;
4. writes the checked rows as ``sozialatlas.csv`` text (:meth:`IndicatorCheck.csv_text`), which
   :func:`geo.data.indicators.read_indicators` reads back without rejecting a row (checked before it is offered);
5. sums the check up for the audit entry (:func:`summary_lines`).

A band stays a band: "mehr als 45 %" becomes ``untergrenze`` 45, exclusive, never a single number, and an
approximate figure ("ca. 30 %") is rejected rather than read as exact. Nothing here evaluates a formula.
"""
from __future__ import annotations

import csv
import datetime as dt
import difflib
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import NoReturn

import pandas as pd

from geo.data.csvtext import binary_kind, decode_csv_bytes, iter_records, sniff_delimiter
from geo.data.district_names import match_district_names, name_key
from geo.data.indicators import INDICATOR_COLUMNS, MAP_INDICATORS, Band, band_of_row, indicators_from_text
from geo.data.problems import DataFileError, Problem
from geo.data.workbook import is_workbook, read_sheet
from geo.formatting import format_number
from geo.i18n import catalogue, t
from geo.text import german_sort_key, search_key, slugify, strip_control_chars, unneutralise_formula

MAX_INDICATOR_FILE_BYTES = 16 * 1024 * 1024
"""Largest Sozialatlas upload (16 MiB): 19 districts × hundreds of indicators × several years fit many times over."""
MAX_INDICATOR_ROWS = 50_000
"""Most data rows of an upload (checking 20,000 rows takes about 5 s, a third of it the loader re-reading the result)."""

CITY_ID = "minden"
"""``stadtteil_id`` of city-wide rows (admitted by :func:`~geo.data.indicators.read_indicators` as well)."""
CITY_NAME = "Stadt Minden (gesamt)"
"""``stadtteil``/``gebiet`` of city-wide rows, as in the shipped ``sozialatlas.csv``."""
CITY_NAMES = ("Minden", "Stadt Minden", "Stadt Minden (gesamt)", "Stadt Minden gesamt", "Minden gesamt",
              "Minden (gesamt)", "Stadt Minden insgesamt", "Minden insgesamt", "gesamt", "insgesamt", "Gesamtstadt",
              "Stadt gesamt", "Stadt insgesamt", "Stadtgebiet", "gesamtes Stadtgebiet", CITY_ID)
"""District-column texts that mean the whole city (compared by :func:`~geo.data.district_names.name_key`).
"Summe" is deliberately not among them: a sum of the listed rows need not be the city."""
_CITY_KEYS = frozenset(name_key(n) for n in CITY_NAMES)

FIELD_LABELS = {
    "stadtteil_id": "Stadtteil-Kennung", "stadtteil": "Stadtteil", "gebiet": "Gebiet", "indikator": "Indikator",
    "einheit": "Einheit", "wert": "Wert", "untergrenze": "Untergrenze", "obergrenze": "Obergrenze",
    "untergrenze_inklusiv": "Untergrenze eingeschlossen", "obergrenze_inklusiv": "Obergrenze eingeschlossen",
    "angabe": "Angabe (Originaltext)", "stichtag": "Stichtag", "quelle": "Quelle", "methode": "Methode",
}
"""German names of the fields, for the mapping form and messages (keys: :data:`INDICATOR_COLUMNS`)."""
DEFAULTABLE_FIELDS = ("indikator", "einheit", "stichtag", "quelle", "methode")
"""Fields that can be given once for the whole upload (``defaults`` of :func:`check_indicator_upload`), e.g. a
sheet "Kinderarmut" with only Stadtteil and Anteil: indikator, einheit, stichtag and quelle for all its rows."""

CHANGE_COLUMNS = ("aenderung", "stadtteil_id", "stadtteil", "gebiet", "indikator", "alt", "neu", "geaendert",
                  "zeile")
REJECTED_COLUMNS = ("zeile", "grund", "rohdaten")
_CHANGE_ORDER = {"neu": 0, "geändert": 1, "entfällt": 2}


# --------------------------------------------------------------------------- reading the file


@dataclass
class IndicatorTable:
    """An uploaded table as text: header, data rows, and where each row is in the file.

    ``row_numbers[i]`` is the spreadsheet row (workbooks) or the file line on which the record starts (CSV) of
    ``rows[i]``. ``row_errors`` holds rows that cannot be used whatever the mapping (index into ``rows`` → German
    reason), e.g. a CSV record with more fields than the header. ``notices`` are German sentences for the editor.
    ``from_workbook``: numbers were written by :func:`geo.data.workbook.cell_text`, so a ``.`` is a decimal point.
    """

    filename: str
    sheet: str | None
    header: list[str]
    rows: list[list[str]]
    row_numbers: list[int]
    notices: list[str] = field(default_factory=list)
    row_errors: dict[int, str] = field(default_factory=dict)
    from_workbook: bool = False

    @property
    def source(self) -> str:
        """``"sozialatlas-2025.xlsx, Blatt „Kinderarmut“"`` or the CSV file name."""
        return f"{self.filename}, Blatt „{self.sheet}“" if self.sheet else self.filename


def read_indicator_upload(raw: bytes, filename: str, sheet: str | None = None) -> IndicatorTable:
    """Read an uploaded CSV, XLSX or ODS (by content, not by name) into an :class:`IndicatorTable`.

    Workbooks: one sheet (``sheet`` or the first visible one) via :func:`geo.data.workbook.read_sheet`, with its
    spreadsheet row numbers and notices (formulas, merged cells, other sheets …). CSV: UTF-8 (with or without BOM)
    or Windows-1252, ``;`` or ``,`` as delimiter; the header is the first non-blank record. Raises
    :class:`~geo.data.problems.DataFileError` (German, naming the file) for a file that is too large, empty, not a
    table, broken CSV, or a workbook :func:`~geo.data.workbook.read_sheet` refuses.
    """
    if len(raw) > MAX_INDICATOR_FILE_BYTES:
        _refuse(filename, f"Datei ist {len(raw) / 1024 / 1024:.0f} MiB groß; für den Sozialatlas liest die App höchstens "
                          f"{MAX_INDICATOR_FILE_BYTES // (1024 * 1024)} MiB. Bitte die richtige Datei wählen.")
    if not raw.strip():
        _refuse(filename, "Datei ist leer.")
    if is_workbook(raw, filename):
        sheet_table = read_sheet(raw, filename, sheet)
        if len(sheet_table.rows) > MAX_INDICATOR_ROWS:
            _refuse(filename, _too_many_rows(len(sheet_table.rows)))
        numbers = list(sheet_table.row_numbers) or [sheet_table.first_row + i for i in range(len(sheet_table.rows))]
        return IndicatorTable(filename, sheet_table.sheet, list(sheet_table.header), sheet_table.rows, numbers,
                              list(sheet_table.notices), from_workbook=True)
    kind = binary_kind(raw)
    if kind is not None:
        _refuse(filename, f"Datei ist keine Tabelle (CSV, XLSX oder ODS), sondern {kind}.")
    return _read_csv(raw, filename)


def _refuse(filename: str, message: str, line: int | None = None) -> NoReturn:
    raise DataFileError(Problem(filename, line, None, message))


def _too_many_rows(count: int) -> str:
    return (f"Die Tabelle hat {format_number(count, 0)} Datenzeilen; die App liest höchstens "
            f"{format_number(MAX_INDICATOR_ROWS, 0)}. Bitte die richtige Datei wählen.")


def _read_csv(raw: bytes, filename: str) -> IndicatorTable:
    decoded = decode_csv_bytes(raw)
    delimiter = sniff_delimiter(decoded.text)
    header: list[str] | None = None
    rows: list[list[str]] = []
    numbers: list[int] = []
    errors: dict[int, str] = {}
    notices: list[str] = []
    for record in iter_records(decoded.text, delimiter):
        if record.error:
            _refuse(filename, f"{record.error}; ab hier ist die Datei nicht lesbar. Bitte in Excel oder LibreOffice "
                              "öffnen und neu als CSV speichern.", record.line)
        cells = [_clean(f) for f in record.fields]
        if header is None:
            header, notices = _unique_header(cells)
            continue
        if len(rows) >= MAX_INDICATOR_ROWS:
            _refuse(filename, _too_many_rows(len(rows) + 1))
        width = len(header)
        if len(cells) > width and any(cells[width:]):
            errors[len(rows)] = (f"Zeile hat {len(cells)} Felder, die Kopfzeile {width}: steht ein „{delimiter}“ "
                                 "ohne Anführungszeichen im Text (z. B. eine Dezimalzahl mit Komma)?")
        elif not any(cells):
            continue
        rows.append((cells + [""] * width)[:width])
        numbers.append(record.line)
    if header is None:
        _refuse(filename, "Datei enthält keine Zeilen.")
    if decoded.encoding == "cp1252":
        notices.append("Die Datei ist in Windows-1252 gespeichert (so speichert Excel „CSV (Trennzeichen-getrennt)“) "
                       "und wurde so gelesen.")
    filled = [h for h in header if not re.fullmatch(r"Spalte \d+", h)]
    if len(filled) == 1 and len(header) > 1:
        notices.append(f"Die erste Zeile hat nur einen Eintrag („{filled[0]}“) und wird als Kopfzeile gelesen. Ist das "
                       "eine Überschrift? Dann bitte diese Zeile löschen, damit die Spaltennamen in der ersten Zeile "
                       "stehen.")
    return IndicatorTable(filename, None, header, rows, numbers, notices, errors, from_workbook=False)


def _clean(value: str) -> str:
    if "\r" in value:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    return strip_control_chars(value)


def _unique_header(cells: list[str]) -> tuple[list[str], list[str]]:
    """Header texts made unique (the mapping is keyed by them): empty → "Spalte 3", repeated → "Wert (Spalte 5)"."""
    header: list[str] = []
    renamed: list[str] = []
    for number, text in enumerate(cells, start=1):
        name = " ".join(text.split()) or f"Spalte {number}"
        while name in header:
            name = f"{name} (Spalte {number})"
        if name != " ".join(text.split()):
            renamed.append(name)
        header.append(name)
    notices = []
    if renamed:
        notices.append("Spalten ohne oder mit doppelter Überschrift heißen hier "
                       f"{', '.join(f'„{n}“' for n in renamed)}.")
    return header, notices


# --------------------------------------------------------------------------- recognising the columns

_SYNONYMS: dict[str, tuple[str, ...]] = {
    # What German statistics tables call the columns; compared folded (geo.text.search_key), unit hints like
    # "(%)" or "in %" removed first. Our own column names are recognised before these.
    "stadtteil_id": ("Stadtteil-ID", "Stadtteil-Kennung", "Kennung", "Bezirks-ID"),
    "stadtteil": ("Stadtteil", "Stadtbezirk", "Bezirk", "Gebiet", "Ortsteil", "Quartier", "Sozialraum",
                  "Stadtteilname", "Name des Stadtteils", "Raum", "Raumeinheit", "Gebietseinheit"),
    "indikator": ("Indikator", "Indikatoren", "Merkmal", "Kennzahl", "Kennziffer", "Indikatorname", "Kenngröße"),
    "einheit": ("Einheit", "Maßeinheit", "Dimension"),
    "wert": ("Wert", "Werte", "Anteil", "Quote", "Prozent", "Prozentwert", "Anzahl", "Zahl", "Kennwert", "Rate"),
    "untergrenze": ("von", "Untergrenze", "untere Grenze", "min", "Minimum", "Wert von"),
    "obergrenze": ("bis", "Obergrenze", "obere Grenze", "max", "Maximum", "Wert bis"),
    "untergrenze_inklusiv": ("Untergrenze inklusiv", "Untergrenze eingeschlossen"),
    "obergrenze_inklusiv": ("Obergrenze inklusiv", "Obergrenze eingeschlossen"),
    "angabe": ("Angabe", "Originaltext", "Originalangabe", "Wortlaut", "Zitat", "Text"),
    "stichtag": ("Stichtag", "Stand", "Datum", "Jahr", "Bezugsjahr", "Berichtsjahr", "Zeitpunkt", "Datenstand",
                 "Stand der Daten"),
    "quelle": ("Quelle", "Quellen", "Quellenangabe", "Datenquelle", "Herkunft"),
    "methode": ("Methode", "Anmerkung", "Anmerkungen", "Hinweis", "Hinweise", "Bemerkung", "Bemerkungen", "Fußnote",
                "Fußnoten", "Erläuterung", "Erläuterungen", "Definition"),
}
_UNIT_HINT = re.compile(r"\(\s*(?:%|prozent)\s*\)|\[\s*(?:%|prozent)\s*\]|\bin\s*(?:%|prozent\b)|%", re.IGNORECASE)


def _header_key(header: str) -> str:
    return search_key(_UNIT_HINT.sub(" ", header))


def _synonym_keys() -> dict[str, set[str]]:
    keys = {column: {search_key(name) for name in names} for column, names in _SYNONYMS.items()}
    seen: dict[str, str] = {}
    for column, folded in keys.items():
        for key in folded:
            if seen.setdefault(key, column) != column:
                raise AssertionError(f"Synonym „{key}“ steht für {seen[key]} und {column}")
    return keys


_BY_FIELD = _synonym_keys()


def suggest_indicator_mapping(header: Sequence[str]) -> dict[str, str | None]:
    """Each field of ``sozialatlas.csv`` (:data:`INDICATOR_COLUMNS`) → the header that probably holds it, or ``None``.

    Our own column names first (a re-uploaded export maps completely), then German names ("Stadtbezirk",
    "Merkmal", "Anteil in %", "Stand", "Anmerkung" …); headers are folded (case, umlauts, spaces, unit hints).
    Every header is suggested for at most one field, left to right. A lone "Gebiet" column is the district column.
    """
    result: dict[str, str | None] = {column: None for column in INDICATOR_COLUMNS}
    taken: set[str] = set()
    for column in INDICATOR_COLUMNS:
        for h in header:
            if h not in taken and search_key(h) == search_key(column):
                result[column] = h
                taken.add(h)
                break
    for column in INDICATOR_COLUMNS:
        if result[column] is not None:
            continue
        for h in header:
            if h not in taken and _header_key(h) in _BY_FIELD.get(column, ()):
                result[column] = h
                taken.add(h)
                break
    if result["stadtteil"] is None and result["stadtteil_id"] is None and result["gebiet"] is not None:
        result["stadtteil"], result["gebiet"] = result["gebiet"], None
    return result


# --------------------------------------------------------------------------- values and bands

_N = r"[-+]?\d+(?:[.,]\d+)*(?:e[-+]?\d+)?"
_P = r"\s*(?:%|prozent|v\.\s?h\.)?"
_LOWER_EXCLUSIVE = ("mehr als", "über", "ueber", "größer als", "groesser als", ">")
_LOWER_INCLUSIVE = ("mindestens", "mind.", "wenigstens", "nicht weniger als", "ab", ">=", "≥")
_UPPER_EXCLUSIVE = ("weniger als", "unter", "kleiner als", "<")
_UPPER_INCLUSIVE = ("höchstens", "hoechstens", "maximal", "max.", "nicht mehr als", "<=", "≤", "bis zu", "bis")
# "=>" and "=<" are not read: a cell starting with "=" is a formula (refused with its own reason).


def _alternatives(words: Sequence[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_OP = r"(?P<op>{})\s*"
_EXACT_RE = re.compile(rf"(?P<a>{_N}){_P}")
_BETWEEN_RE = re.compile(rf"zwischen\s+(?P<a>{_N}){_P}\s+und\s+(?P<b>{_N}){_P}")
_RANGE_RE = re.compile(
    rf"(?:(?P<lop>{_alternatives((*_LOWER_EXCLUSIVE, *_LOWER_INCLUSIVE, 'von'))})\s*)?(?P<a>{_N}){_P}"
    rf"\s*(?:-|–|—|bis)\s*"
    # after "bis" only a comparison ("10 bis unter 20"); "bis"/"bis zu" are the last two of _UPPER_INCLUSIVE
    rf"(?:(?P<uop>{_alternatives((*_UPPER_EXCLUSIVE, *_UPPER_INCLUSIVE[:-2]))})\s*)?(?P<b>{_N}){_P}")
_ONE_SIDED = [(re.compile(_OP.format(_alternatives(words)) + rf"(?P<a>{_N}){_P}"), side, inclusive)
              for words, side, inclusive in ((_LOWER_EXCLUSIVE, "lower", False), (_LOWER_INCLUSIVE, "lower", True),
                                             (_UPPER_EXCLUSIVE, "upper", False), (_UPPER_INCLUSIVE, "upper", True))]
_APPROXIMATE = re.compile(r"^(ca\.?|circa|zirka|etwa|rund|ungefähr|ungefaehr|gut|knapp|fast|annähernd|~|≈)\s*\d")
_NOT_A_VALUE = {"-", "–", "—", ".", "x", "/", "…", "...", "*", "?", "k.a.", "k. a.", "n.v.", "n. v.", "n.a.",
                "keine angabe", "unbekannt", "#nv", "#n/a"}


@dataclass(frozen=True)
class ParsedValue:
    """What a value cell says: an exact value or a band (:class:`~geo.data.indicators.Band`).

    ``percent``: the text carried a ``%`` sign (or "Prozent"); ``note``: a German sentence for ``methode`` where
    reading the text involved a choice (both ends of "zwischen 10 und 20" counted as included).
    """

    band: Band
    percent: bool = False
    note: str = ""

    @property
    def is_band(self) -> bool:
        return self.band.value is None


def parse_indicator_value(text: str, unit: str = "", *, decimal_point: bool = False) -> ParsedValue:
    """Read a value cell: a number ("31,8", "31.8", "31,8 %") or a band in words or symbols.

    Bands: "zwischen 10 und 20 %" and "10–20 %"/"10 - 20"/"von 10 bis 20" (both ends included; the note says so),
    "mehr als"/"über"/">" (lower end excluded), "mindestens"/"ab"/"≥"/">=" (lower end included), "weniger als"/
    "unter"/"<" (upper end excluded), "höchstens"/"bis"/"≤"/"<=" (upper end included), and classes such as
    "10 bis unter 20". ``unit`` ("%" or "Anzahl") decides "1.234" (1,234 % but 1234 persons; without a unit it is
    refused as ambiguous); with ``decimal_point`` (numbers written by a workbook) a ``.`` is always a decimal point.
    Raises ``ValueError`` with a German reason for anything else, including approximate figures ("ca. 30 %") and
    the placeholders of official tables ("–", ".", "x"), which are never read as a number.
    """
    original = " ".join(str(text).split())
    if not original:
        raise ValueError("Kein Wert angegeben.")
    if original.startswith("="):
        raise ValueError(f"„{_short(original)}“ ist eine Formel, kein Wert. Die App rechnet keine Formeln aus; bitte den "
                         "Wert eintragen (in Excel: Kopieren, dann Inhalte einfügen → Werte).")
    s = original.lower().replace("\u2212", "-").replace("\u00a0", " ").replace("\u202f", " ")
    if s in _NOT_A_VALUE:
        raise ValueError(f"„{original}“ ist kein Wert (in amtlichen Tabellen heißt „–“ nichts vorhanden, „.“ unbekannt, "
                         "„x“ gesperrt). Eine Null bitte als 0 eintragen; ohne Angabe die Zeile weglassen.")
    if _APPROXIMATE.match(s):
        raise ValueError(f"„{original}“ ist eine ungefähre Angabe, kein genauer Wert. Bitte als Spanne eintragen "
                         "(z. B. „zwischen 25 und 35 %“) oder den genauen Wert.")
    percent = "%" in s or "prozent" in s or "v. h." in s or "v.h." in s
    effective_unit = "%" if percent else unit

    def number(token: str) -> float:
        return _number(token, effective_unit, decimal_point)

    if match := _EXACT_RE.fullmatch(s):
        return ParsedValue(Band(value=number(match["a"])), percent)
    if match := _BETWEEN_RE.fullmatch(s):
        low, high = sorted((number(match["a"]), number(match["b"])))
        note = (f"Spanne aus „{original}“: beide Grenzen ({_fmt(low)} und {_fmt(high)}) als eingeschlossen gelesen, "
                "der Text schließt sie nicht aus.")
        return ParsedValue(Band(lower=low, upper=high), percent, note)
    if match := _RANGE_RE.fullmatch(s):
        low, high = number(match["a"]), number(match["b"])
        lop, uop = match["lop"] or "", match["uop"] or ""
        lower_inclusive = lop not in _LOWER_EXCLUSIVE
        upper_inclusive = uop not in _UPPER_EXCLUSIVE
        note = ""
        if not (lop and lop != "von") and not uop:
            if low > high:
                low, high = high, low
            note = f"Spanne aus „{original}“: beide Grenzen ({_fmt(low)} und {_fmt(high)}) als eingeschlossen gelesen."
        _check_bounds(original, low, high, lower_inclusive, upper_inclusive)
        return ParsedValue(Band(lower=low, upper=high, lower_inclusive=lower_inclusive,
                                upper_inclusive=upper_inclusive), percent, note)
    for pattern, side, inclusive in _ONE_SIDED:
        if match := pattern.fullmatch(s):
            bound = number(match["a"])
            band = (Band(lower=bound, lower_inclusive=inclusive) if side == "lower"
                    else Band(upper=bound, upper_inclusive=inclusive))
            return ParsedValue(band, percent)
    raise ValueError(f"„{_short(original)}“ ist weder eine Zahl noch eine erkennbare Spanne (erkannt werden z. B. "
                     "„31,8 %“, „zwischen 10 und 20 %“, „10–20 %“, „mehr als 45 %“, „unter 10 %“, „höchstens 10 %“).")


def _check_bounds(original: str, low: float, high: float, lower_inclusive: bool, upper_inclusive: bool) -> None:
    if low > high or (low == high and not (lower_inclusive and upper_inclusive)):
        raise ValueError(f"„{original}“: die untere Grenze liegt nicht unter der oberen.")


def _number(token: str, unit: str, decimal_point: bool) -> float:
    """A number token in German or English notation; ``ValueError`` (German) if it is ambiguous."""
    sign = -1.0 if token.startswith("-") else 1.0
    s = token.lstrip("+-")
    if re.fullmatch(r"\d+", s):
        return sign * float(s)
    if decimal_point and re.fullmatch(r"\d+(\.\d+)?(e[-+]?\d+)?", s):
        return sign * float(s)
    if re.fullmatch(r"\d+,\d+", s):
        return sign * float(s.replace(",", "."))
    if re.fullmatch(r"\d{1,3}(\.\d{3})+,\d+", s) or re.fullmatch(r"\d{1,3}(\.\d{3}){2,}", s):
        return sign * float(s.replace(".", "").replace(",", "."))
    if re.fullmatch(r"\d{1,3}(,\d{3})+\.\d+", s) or re.fullmatch(r"\d{1,3}(,\d{3}){2,}", s):
        return sign * float(s.replace(",", ""))
    if re.fullmatch(r"\d+\.\d+", s):
        if not re.fullmatch(r"\d{1,3}\.\d{3}", s) or unit == "%":
            return sign * float(s)
        if unit == "Anzahl":
            return sign * float(s.replace(".", ""))
        raise ValueError(f"„{token}“ ist mehrdeutig ({s.replace('.', ',')} oder {s.replace('.', '')}?). Bitte die "
                         "Einheit angeben (% oder Anzahl) oder die Zahl ohne Tausenderpunkt schreiben.")
    raise ValueError(f"„{token}“ ist keine Zahl.")


def _fmt(value: float) -> str:
    """German number with as many decimals as it has (up to 6): ``31.8`` → ``"31,8"``, ``84158`` → ``"84.158"``."""
    decimals = len(f"{value:.6f}".rstrip("0").split(".")[1])
    return format_number(value, decimals)


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


_MONTHS = {"januar": 1, "jan": 1, "jänner": 1, "februar": 2, "feb": 2, "märz": 3, "maerz": 3, "mär": 3, "mrz": 3,
           "april": 4, "apr": 4, "mai": 5, "juni": 6, "jun": 6, "juli": 7, "jul": 7, "august": 8, "aug": 8,
           "september": 9, "sep": 9, "sept": 9, "oktober": 10, "okt": 10, "november": 11, "nov": 11,
           "dezember": 12, "dez": 12}
_EXCEL_EPOCH = dt.date(1899, 12, 30)
_EXCEL_SERIALS = (18264, 73050)
"""Excel day numbers read as dates: 1950-01-01 to 2099-12-31 (a five-digit number cannot be a year)."""


def parse_stichtag(text: str) -> tuple[str, str]:
    """A date as ``sozialatlas.csv`` stores it (``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY``) and a note ("" if none).

    Accepted: ``2018-01-01``, ``01.01.2018``/``1.1.2018`` (two-digit years as Excel reads them: 00–29 → 20xx,
    30–99 → 19xx, with a note), ``2018``, ``2020-02``, ``02/2020``, ``Februar 2020``, a leading "Stand:", a
    workbook date-time (``2018-01-01 13:30``, time dropped) and an Excel day number (``43101`` → ``2018-01-01``,
    with a note). ``ValueError`` (German) for anything else or an impossible date.
    """
    original = " ".join(str(text).split())
    s = re.sub(r"^(stand|stichtag|datenstand|zum|per|am)\s*:?\s*", "", original.lower()).rstrip(".")
    note = ""
    try:
        if match := re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ t]\d{1,2}:\d{2}(?::\d{2})?)?", s):
            return _date(int(match[1]), int(match[2]), int(match[3])), note
        if match := re.fullmatch(r"(\d{4})-(\d{1,2})", s):
            return _month(int(match[1]), int(match[2])), note
        if match := re.fullmatch(r"(\d{4})", s):
            return _year(int(match[1])), note
        if match := re.fullmatch(r"(\d{1,2})\.\s?(\d{1,2})\.\s?(\d{4}|\d{2})", s):
            year = int(match[3])
            if len(match[3]) == 2:
                year += 2000 if year <= 29 else 1900
                note = f"Zweistellige Jahreszahl „{original}“ als {year} gelesen."
            return _date(year, int(match[2]), int(match[1])), note
        if match := re.fullmatch(r"(\d{1,2})\s?[./]\s?(\d{4})", s):
            return _month(int(match[2]), int(match[1])), note
        if (match := re.fullmatch(r"([a-zäöü]+)\.?\s+(\d{4})", s)) and match[1] in _MONTHS:
            return _month(int(match[2]), _MONTHS[match[1]]), note
        if match := re.fullmatch(r"(\d{5})(?:\.0+)?", s):
            serial = int(match[1])
            if _EXCEL_SERIALS[0] <= serial <= _EXCEL_SERIALS[1]:
                day = _EXCEL_EPOCH + dt.timedelta(days=serial)
                return day.isoformat(), f"Excel-Datumszahl {serial} als {day:%d.%m.%Y} gelesen."
    except ValueError as exc:
        raise ValueError(f"„{original}“ ist kein gültiges Datum ({exc}).") from exc
    raise ValueError(f"„{_short(original)}“ ist kein erkennbares Datum (erkannt werden z. B. „01.01.2018“, "
                     "„2018-01-01“, „2020-02“, „2018“).")


def _year(year: int) -> str:
    if not 1900 <= year <= 2100:
        raise ValueError(f"Jahr {year}")
    return f"{year:04d}"


def _month(year: int, month: int) -> str:
    if not 1 <= month <= 12:
        raise ValueError(f"Monat {month}")
    return f"{_year(year)}-{month:02d}"


def _date(year: int, month: int, day: int) -> str:
    _year(year)
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        raise ValueError(f"{day:02d}.{month:02d}.{year} gibt es nicht") from None


_TRUE = {"true", "wahr", "ja", "j", "1", "x", "inklusiv", "eingeschlossen", "einschließlich", "yes"}
_FALSE = {"false", "falsch", "nein", "n", "0", "exklusiv", "ausgeschlossen", "ausschließlich", "no"}


def _parse_flag(text: str) -> bool | None:
    """``True``/``False`` for "true"/"ja"/"eingeschlossen" …, ``None`` for an empty cell; ``ValueError`` else."""
    s = text.strip().lower()
    if not s:
        return None
    if s in _TRUE:
        return True
    if s in _FALSE:
        return False
    raise ValueError(f"„{_short(text)}“ ist weder ja noch nein (eingeschlossen: true/ja, ausgeschlossen: false/nein).")


def _normalise_unit(text: str) -> str:
    s = " ".join(text.split())
    folded = s.lower().replace(" ", "")
    if folded in ("%", "prozent", "in%", "anteilin%", "v.h.", "vh", "inprozent"):
        return "%"
    if folded in ("anzahl", "absolut", "abs.", "anzahlabsolut"):
        return "Anzahl"
    return s


def indicator_id(text: str) -> str:
    """The id of an indicator name: ``"Kinderarmut (%)"`` → ``"kinderarmut"``, ``"Ausländer Minderjährige"`` →
    ``"auslaender_minderjaehrige"`` (as the ids in ``sozialatlas.csv``)."""
    return slugify(_UNIT_HINT.sub(" ", text)).replace("-", "_")


def band_text(band: Band, unit: str = "%") -> str:
    """Like :meth:`Band.label` (German), but with every decimal the value has and excluded ends of a closed band
    named, so that two different bands never read alike: ``"25–45 % (Grenzen 25 und 45 ausgeschlossen)"``. No unit
    is shown for counts (``Anzahl``)."""
    suffix = f"\u202f{unit}" if unit and unit != "Anzahl" else ""
    if band.value is not None:
        return _fmt(band.value) + suffix
    if band.lower is not None and band.upper is not None:
        text = t("band.zwischen", "de", a=_fmt(band.lower), b=_fmt(band.upper)) + suffix
        excluded = [_fmt(b) for b, inclusive in ((band.lower, band.lower_inclusive), (band.upper, band.upper_inclusive))
                    if not inclusive]
        if len(excluded) == 2:
            text += f" (Grenzen {excluded[0]} und {excluded[1]} ausgeschlossen)"
        elif excluded:
            text += f" (Grenze {excluded[0]} ausgeschlossen)"
        return text
    if band.lower is not None:
        return t("band.mindestens" if band.lower_inclusive else "band.ueber", "de", a=_fmt(band.lower)) + suffix
    if band.upper is not None:
        return t("band.hoechstens" if band.upper_inclusive else "band.unter", "de", a=_fmt(band.upper)) + suffix
    return t("band.unbekannt", "de")


# --------------------------------------------------------------------------- the check


@dataclass(frozen=True)
class MatchedName:
    """A district name of the upload and the district (or the whole city) its rows are stored under.

    ``how``: ``"automatisch"`` (same name up to spelling), ``"Kennung"`` (the row's ``stadtteil_id`` is a known
    district id), ``"Gesamtstadt"`` (a city-wide name such as "Stadt Minden") or ``"Redaktion"`` (assigned by the
    editor).
    """

    name: str
    district_id: str
    district_name: str
    how: str
    rows: int


@dataclass(frozen=True)
class UnmatchedName:
    """A district name of the upload that matches no district: its rows are held back until it is assigned."""

    name: str
    suggestions: tuple[tuple[str, str], ...]
    """Near misses as (id, name), most similar first (may be empty)."""
    rows: tuple[int, ...]
    """Spreadsheet rows / file lines of its rows."""


@dataclass
class IndicatorCheck:
    """The result of :func:`check_indicator_upload`; publish :meth:`csv_text` only when ``blocking`` is empty.

    ``indicators``: the usable rows in :data:`INDICATOR_COLUMNS` (text, as ``sozialatlas.csv``) plus ``zeile``
    (row/line in the upload; empty for rows kept from the current data). ``rejected``: ``zeile``, ``grund``,
    ``rohdaten``. ``changes``: one row per difference to the current data (``aenderung`` neu/geändert/entfällt,
    old and new band as text, which fields changed). ``indikatoren``: indicator id → rows in the upload.
    """

    source: str
    indicators: pd.DataFrame
    rejected: pd.DataFrame
    changes: pd.DataFrame
    matched: list[MatchedName] = field(default_factory=list)
    unmatched: list[UnmatchedName] = field(default_factory=list)
    indikatoren: dict[str, int] = field(default_factory=dict)
    unchanged: int = 0
    kept: int = 0
    """Rows of other indicators kept from the current data (``keep_other_indicators``)."""
    assignments: dict[str, str | None] = field(default_factory=dict)
    """The editor's assignments that were applied (name → district id, or ``None`` for "nicht übernehmen")."""
    defaults: dict[str, str] = field(default_factory=dict)
    """Values given for the whole upload that were used."""
    blocking: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)

    @property
    def publishable(self) -> bool:
        return not self.blocking and not self.indicators.empty

    def count(self, change: str) -> int:
        """How many ``changes`` have ``aenderung == change`` (``"neu"``, ``"geändert"``, ``"entfällt"``)."""
        return int((self.changes["aenderung"] == change).sum()) if len(self.changes) else 0

    def csv_text(self) -> str:
        """The checked rows as ``sozialatlas.csv``: header row, quoting and ``\\r\\n`` line ends of Python's csv module,
        as the shipped file (re-uploading it gives the same text). Encode as UTF-8 without BOM.

        Text is written as it is, formulas included (``=…`` stays ``=…``): this file is read by the app's loader,
        never by a spreadsheet, and a protecting apostrophe would show up on the page. A download for
        spreadsheet programs must go through :func:`geo.exchange.csv_export.spreadsheet_csv`, which neutralises.
        ``ValueError`` while ``blocking`` is not empty.
        """
        if self.blocking:
            raise ValueError("Nicht veröffentlichbar: " + " ".join(self.blocking))
        return _csv_text(self.indicators)


def _csv_text(frame: pd.DataFrame) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)  # "\r\n" like the shipped file (written with the csv module's defaults)
    writer.writerow(INDICATOR_COLUMNS)
    for values in frame.loc[:, list(INDICATOR_COLUMNS)].itertuples(index=False):
        writer.writerow(values)
    return buffer.getvalue()


@dataclass
class _Row:
    index: int
    zeile: int
    cells: dict[str, str]
    name: str = ""
    by_id: str = ""
    reasons: list[str] = field(default_factory=list)


def check_indicator_upload(table: IndicatorTable, mapping: Mapping[str, str | None], districts: Mapping[str, str],
                           current: pd.DataFrame, assignments: Mapping[str, str | None] | None = None,
                           defaults: Mapping[str, str] | None = None,
                           keep_other_indicators: bool = False) -> IndicatorCheck:
    """Check an uploaded table against the app's districts and compare it with the indicators in use.

    ``mapping``: field of ``sozialatlas.csv`` → header of ``table`` (as from :func:`suggest_indicator_mapping`,
    changed by the editor). ``districts``: id → name of the app's districts. ``current``: the indicators in use
    (:data:`INDICATOR_COLUMNS`, as :func:`~geo.data.indicators.read_indicators` gives them). ``assignments``: a
    district name of the upload → district id (or :data:`CITY_ID`), or ``None`` for "nicht übernehmen"; applied
    before any automatic match. ``defaults``: values for :data:`DEFAULTABLE_FIELDS` used where a row's cell is
    empty or the field has no column (a sheet per indicator: indikator, einheit, stichtag, quelle).
    ``keep_other_indicators``: keep the current rows of every indicator the upload does not contain (publishing a
    single sheet then changes only its indicator); otherwise the upload replaces everything.

    District names are matched by :func:`~geo.data.district_names.match_district_names` (spelling only); a name
    that matches no district is listed in ``unmatched`` with suggestions and its rows are rejected until it is
    assigned. City-wide names ("Stadt Minden", "gesamt" …, :data:`CITY_NAMES`) become :data:`CITY_ID`.
    ``ValueError`` for a mapping to an unknown field or header, or a default for another field.
    """
    assignments = dict(assignments or {})
    defaults = {k: " ".join(str(v).split()) for k, v in (defaults or {}).items() if str(v).strip()}
    _validate(table, mapping, defaults)
    columns = {f: table.header.index(h) for f, h in mapping.items() if h}
    empty = IndicatorCheck(table.source, _indicator_frame([]), _rejected_frame([]), _change_frame([]))
    empty.notices = list(table.notices)
    missing = _missing_fields(columns, defaults)
    if missing:
        empty.blocking = missing
        return empty
    if not table.rows:
        empty.blocking = ["Die Tabelle hat keine Datenzeilen unter der Kopfzeile."]
        return empty

    notices = list(table.notices)
    rows, row_notices = _rows(table, columns)
    notices += row_notices + _cell_notices(rows, mapping)
    for field_name in ("stichtag", "quelle"):
        if field_name in columns and field_name not in defaults and not any(r.cells.get(field_name) for r in rows):
            empty.blocking.append(f"Die Spalte „{mapping[field_name]}“ ({FIELD_LABELS[field_name]}) ist in allen Zeilen "
                                  f"leer. Bitte in der Tabelle eintragen oder einen Wert für alle Zeilen vorgeben.")
    if empty.blocking:
        empty.notices = notices
        return empty

    current = _current_frame(current)
    resolver = _Resolver(districts, current, assignments)
    resolver.match(rows)
    unit_hint = _unit_hint(mapping.get("wert"))
    records: list[dict[str, object]] = []
    for row in rows:
        record = _record(row, table, resolver, defaults, unit_hint)
        if record is not None:
            records.append(record)
    records = _drop_duplicates(records, rows)
    rejected = [{"zeile": r.zeile, "grund": " ".join(r.reasons), "rohdaten": _raw(table, r.index)}
                for r in rows if r.reasons]

    uploaded = _indicator_frame(records)
    indikatoren = {str(k): int(v) for k, v in uploaded["indikator"].value_counts(sort=False).items()}
    kept_frame = _kept_rows(current, set(indikatoren), districts) if keep_other_indicators else _indicator_frame([])
    result = pd.concat([uploaded, kept_frame], ignore_index=True) if len(kept_frame) else uploaded
    changes, unchanged = _changes(result, current)
    unchanged -= len(kept_frame)  # kept rows are the current rows themselves
    if not ("einheit" in columns or "einheit" in defaults) and unit_hint and len(uploaded):
        notices.append(f"Einheit „{unit_hint}“ aus der Überschrift „{mapping.get('wert')}“ übernommen.")
    notices += _value_notices(uploaded, table)
    notices += _indicator_notices(uploaded, current, districts, keep_other_indicators)
    if resolver.unmatched:
        count = sum(len(u.rows) for u in resolver.unmatched_names())
        notices.append(f"{len(resolver.unmatched)} Stadtteil-{'Name ist' if len(resolver.unmatched) == 1 else 'Namen sind'} "
                       f"keinem Stadtteil zugeordnet; {'seine' if len(resolver.unmatched) == 1 else 'ihre'} "
                       f"{count} {'Zeile wird' if count == 1 else 'Zeilen werden'} erst übernommen, wenn "
                       "sie zugeordnet sind.")
    check = IndicatorCheck(
        source=table.source, indicators=result, rejected=_rejected_frame(rejected), changes=changes,
        matched=resolver.matched_names(), unmatched=resolver.unmatched_names(), indikatoren=indikatoren,
        unchanged=unchanged, kept=len(kept_frame), assignments=resolver.applied,
        defaults={k: v for k, v in defaults.items() if k in DEFAULTABLE_FIELDS}, notices=notices)
    if uploaded.empty:
        check.blocking.append(f"Keine Zeile ist verwendbar (alle {len(rejected)} abgewiesen; die Gründe stehen in der "
                              "Liste der abgewiesenen Zeilen)." if rejected else "Die Tabelle enthält keine Werte.")
    else:
        check.blocking += _loader_check(result, districts)
    return check


def _validate(table: IndicatorTable, mapping: Mapping[str, str | None], defaults: Mapping[str, str]) -> None:
    for column, header in mapping.items():
        if column not in INDICATOR_COLUMNS:
            raise ValueError(f"„{column}“ ist kein Feld des Sozialatlas (erlaubt: {', '.join(INDICATOR_COLUMNS)}).")
        if header and header not in table.header:
            raise ValueError(f"Spalte „{header}“ gibt es in {table.source} nicht.")
    for column in defaults:
        if column not in DEFAULTABLE_FIELDS:
            raise ValueError(f"Für „{column}“ gibt es keine Vorgabe für alle Zeilen (möglich: "
                             f"{', '.join(DEFAULTABLE_FIELDS)}).")


def _missing_fields(columns: Mapping[str, int], defaults: Mapping[str, str]) -> list[str]:
    missing = []
    if "stadtteil" not in columns and "stadtteil_id" not in columns:
        missing.append("Keine Spalte für den Stadtteil zugeordnet.")
    if "wert" not in columns and "untergrenze" not in columns and "obergrenze" not in columns:
        missing.append("Keine Spalte für den Wert zugeordnet (Wert, Anteil oder Grenzen von/bis).")
    for field_name in ("indikator", "stichtag", "quelle"):
        if field_name not in columns and field_name not in defaults:
            missing.append(f"Keine Spalte für {FIELD_LABELS[field_name]} zugeordnet und keine Vorgabe für alle Zeilen.")
    return missing


def _rows(table: IndicatorTable, columns: Mapping[str, int]) -> tuple[list[_Row], list[str]]:
    """One :class:`_Row` per data row with any mapped cell filled (cells stripped; the apostrophe our spreadsheet
    downloads put before ``=``, ``+``, ``-``, ``@`` removed), and a notice if apostrophes were removed."""
    rows = []
    unprotected = 0
    for index, cells in enumerate(table.rows):
        stripped = {f: cells[j].strip() if j < len(cells) else "" for f, j in columns.items()}
        values = {f: unneutralise_formula(v) for f, v in stripped.items()}
        unprotected += sum(values[f] != stripped[f] for f in values)
        error = table.row_errors.get(index)
        if not any(values.values()) and error is None:
            continue
        row = _Row(index, table.row_numbers[index], values)
        if error is not None:
            row.reasons.append(error)
        rows.append(row)
    notices = []
    if unprotected:
        notices.append(f"{unprotected} Zelle{'' if unprotected == 1 else 'n'} begann{'' if unprotected == 1 else 'en'} "
                       "mit einem Apostroph vor =, +, - oder @ (Formelschutz eines Tabellen-Downloads); das "
                       "Apostroph wurde entfernt.")
    return rows, notices


def _cell_notices(rows: list[_Row], mapping: Mapping[str, str | None]) -> list[str]:
    notices = []
    formulas = [(r.zeile, f) for r in rows for f, v in r.cells.items()
                if v.startswith("=") and f not in ("wert", "untergrenze", "obergrenze")]
    if formulas:
        zeile, column = formulas[0]
        notices.append(f"{len(formulas)} Textzelle{'' if len(formulas) == 1 else 'n'} beginn{'t' if len(formulas) == 1 else 'en'} "
                       f"mit „=“ (z. B. Zeile {zeile}, Spalte „{mapping[column]}“): "
                       "sie werden als Text übernommen und nie berechnet.")
    return notices


def _unit_hint(header: str | None) -> str:
    """"%" for a value column called "Anteil in %" or "Wert (%)", "Anzahl" for one called "Anzahl"."""
    if not header:
        return ""
    if "%" in header or "prozent" in header.lower():
        return "%"
    return "Anzahl" if search_key(header) == "anzahl" else ""


class _Resolver:
    """District names of the upload → district ids: the editor's assignments, city-wide names, spelling matches."""

    def __init__(self, districts: Mapping[str, str], current: pd.DataFrame, assignments: Mapping[str, str | None]):
        self.districts = dict(districts)
        self.assignments = assignments
        self.by_name: dict[str, tuple[str | None, str]] = {}
        """name → (district id or None, how: automatisch/Kennung/Gesamtstadt/Redaktion/ausgeschlossen/ungültig/offen)."""
        self.suggestions: dict[str, tuple[tuple[str, str], ...]] = {}
        self.unmatched: list[str] = []
        self.applied: dict[str, str | None] = {}
        self.rows_by_name: dict[str, list[int]] = {}
        self.current_areas: dict[str, list[str]] = {}
        for district_id, area in zip(current["stadtteil_id"], current["gebiet"]):
            if area and area not in self.current_areas.setdefault(district_id, []):
                self.current_areas[district_id].append(area)

    def name_of(self, district_id: str) -> str:
        return CITY_NAME if district_id == CITY_ID else self.districts.get(district_id, district_id)

    def known(self, district_id: str) -> bool:
        return district_id in self.districts or district_id == CITY_ID

    def match(self, rows: list[_Row]) -> None:
        """Resolve every district name of ``rows`` once (rows with a known district id are resolved by it)."""
        names: list[str] = []
        for row in rows:
            if row.reasons or _only_one_entry(row):
                continue
            by_id = row.cells.get("stadtteil_id", "")
            row.name = row.cells.get("stadtteil", "") or by_id
            if not row.name:
                continue
            self.rows_by_name.setdefault(row.name, []).append(row.zeile)
            if by_id and self.known(by_id) and row.name not in self.assignments:
                row.by_id = by_id
                self.by_name.setdefault(row.name, (by_id, "Kennung"))
            elif row.name not in names:
                names.append(row.name)
        names = [n for n in names if n not in self.by_name]
        matches = {m.name: m for m in match_district_names(names, self.districts)}
        for name in names:
            if name in self.assignments:
                target = self.assignments[name]
                self.applied[name] = target
                if target is None:
                    self.by_name[name] = (None, "ausgeschlossen")
                    continue
                if self.known(target):
                    self.by_name[name] = (target, "Redaktion")
                    continue
                self.by_name[name] = (None, "ungültig")
            elif name_key(name) in _CITY_KEYS:
                self.by_name[name] = (CITY_ID, "Gesamtstadt")
                continue
            elif matches[name].district_id is not None:
                self.by_name[name] = (matches[name].district_id, "automatisch")
                continue
            else:
                self.by_name[name] = (None, "offen")
            self.suggestions[name] = matches[name].suggestions
            self.unmatched.append(name)

    def resolve(self, row: _Row) -> tuple[str | None, str]:
        """(district id, reason if none) of one row."""
        if row.by_id:
            return row.by_id, ""
        if not row.name:
            return None, "Kein Stadtteil angegeben."
        district_id, how = self.by_name[row.name]
        if how == "ausgeschlossen":
            return None, f"Stadtteil „{row.name}“: laut Zuordnung der Redaktion nicht übernommen."
        if how == "ungültig":
            return None, (f"Stadtteil „{row.name}“ ist „{self.assignments[row.name]}“ zugeordnet; diesen Stadtteil "
                          "gibt es nicht (mehr). Bitte neu zuordnen.")
        if district_id is None:
            suggestions = self.suggestions.get(row.name, ())
            offered = ", ".join(name for _, name in suggestions) if suggestions else "keine"
            return None, f"Stadtteil „{row.name}“ nicht zugeordnet (Vorschläge: {offered})."
        return district_id, ""

    def area(self, row: _Row, district_id: str) -> str:
        """``gebiet`` of a row: its own Gebiet column; else the name as the current data spell it; else the district
        name when the upload's name is the district's (spelling, or city-wide); else the upload's name (a part of
        the district assigned by the editor, e.g. "Aminghausen" of Leteln-Aminghausen)."""
        own = row.cells.get("gebiet", "")
        text = own or row.name
        key = name_key(text)
        for area in self.current_areas.get(district_id, []):
            if name_key(area) == key or name_key(re.sub(r"\s*\([^)]*\)", "", area)) == key:
                return area
        if own:
            return own
        how = self.by_name.get(row.name, (None, "automatisch"))[1] if row.name else "automatisch"
        district_name = self.name_of(district_id)
        if how != "Redaktion" or not row.name:
            return district_name
        similarity = difflib.SequenceMatcher(None, key, name_key(district_name)).ratio()
        return district_name if similarity >= 0.85 else row.name

    def matched_names(self) -> list[MatchedName]:
        result = []
        for name, (district_id, how) in self.by_name.items():
            if district_id is None:
                continue
            result.append(MatchedName(name, district_id, self.name_of(district_id), how,
                                      len(self.rows_by_name.get(name, []))))
        return result

    def unmatched_names(self) -> list[UnmatchedName]:
        return [UnmatchedName(name, self.suggestions.get(name, ()), tuple(self.rows_by_name.get(name, [])))
                for name in self.unmatched]


def _only_one_entry(row: _Row) -> bool:
    """A row with a single filled cell and no value: a title, subtotal label or footnote ("Quelle: …")."""
    filled = [f for f, v in row.cells.items() if v]
    return len(filled) == 1 and filled[0] not in ("wert", "untergrenze", "obergrenze")


def _record(row: _Row, table: IndicatorTable, resolver: _Resolver, defaults: Mapping[str, str],
            unit_hint: str) -> dict[str, object] | None:
    """The ``sozialatlas.csv`` row of one upload row, or ``None`` with the reasons added to ``row``."""
    if row.reasons:
        return None
    cells = row.cells
    if _only_one_entry(row):
        text = next(v for v in cells.values() if v)
        row.reasons.append(f"Zeile enthält nur „{_short(text)}“ und keinen Wert (Überschrift, Zwischenzeile oder "
                           "Fußnote?).")
        return None
    reasons = row.reasons
    district_id, reason = resolver.resolve(row)
    if reason:
        reasons.append(reason)

    def text_of(name: str) -> str:
        return _one_line(cells.get(name, "") or defaults.get(name, ""))

    indicator_text = text_of("indikator")
    indicator = indicator_id(indicator_text)
    if not indicator:
        reasons.append("Kein Indikator angegeben." if not indicator_text
                       else f"„{_short(indicator_text)}“ ist kein brauchbarer Indikatorname.")
    unit = _normalise_unit(text_of("einheit")) or unit_hint
    band, percent, note, band_words = _value(cells, unit, table.from_workbook, reasons)
    if percent and unit and unit != "%":
        reasons.append(f"Einheit „{unit}“, aber der Wert hat ein %-Zeichen.")
    elif percent:
        unit = "%"
    stichtag, date_note = "", ""
    stichtag_text = text_of("stichtag")
    if not stichtag_text:
        reasons.append("Kein Stichtag angegeben.")
    else:
        try:
            stichtag, date_note = parse_stichtag(stichtag_text)
        except ValueError as exc:
            reasons.append(f"Stichtag: {exc}")
    quelle = text_of("quelle")
    if not quelle:
        reasons.append("Keine Quelle angegeben.")
    if reasons or band is None or district_id is None:
        return None
    angabe = _one_line(cells.get("angabe", "")) or band_words
    methode = " ".join(p for p in (text_of("methode"), note, date_note) if p)
    return {
        "stadtteil_id": district_id, "stadtteil": resolver.name_of(district_id),
        "gebiet": resolver.area(row, district_id), "indikator": indicator, "einheit": unit,
        "wert": _num_text(band.value), "untergrenze": _num_text(band.lower), "obergrenze": _num_text(band.upper),
        "untergrenze_inklusiv": _flag_text(band.lower, band.lower_inclusive),
        "obergrenze_inklusiv": _flag_text(band.upper, band.upper_inclusive),
        "angabe": angabe, "stichtag": stichtag, "quelle": quelle, "methode": methode, "zeile": row.zeile,
    }


def _value(cells: Mapping[str, str], unit: str, decimal_point: bool,
           reasons: list[str]) -> tuple[Band | None, bool, str, str]:
    """(band, had a % sign, note for methode, original text of a band) from the value cells; reasons added."""
    wert, low_text, high_text = (cells.get(c, "") for c in ("wert", "untergrenze", "obergrenze"))
    if wert and (low_text or high_text):
        reasons.append(f"Wert („{_short(wert)}“) und Grenzen zugleich angegeben; bitte nur eines.")
        return None, False, "", ""
    if wert:
        try:
            parsed = parse_indicator_value(wert, unit, decimal_point=decimal_point)
        except ValueError as exc:
            reasons.append(f"Wert: {exc}")
            return None, False, "", ""
        return parsed.band, parsed.percent, parsed.note, _one_line(wert) if parsed.is_band else ""
    if not (low_text or high_text):
        reasons.append("Kein Wert angegeben (weder Wert noch Grenzen).")
        return None, False, "", ""
    bounds: list[float | None] = []
    flags: list[bool] = []
    percent = False
    errors: list[str] = []
    for column, text, flag_column in (("Untergrenze", low_text, "untergrenze_inklusiv"),
                                      ("Obergrenze", high_text, "obergrenze_inklusiv")):
        bound: float | None = None
        if text:
            try:
                parsed = parse_indicator_value(text, unit, decimal_point=decimal_point)
                if parsed.is_band:
                    raise ValueError(f"„{_short(text)}“ ist keine einzelne Zahl.")
                bound, percent = parsed.band.value, percent or parsed.percent
            except ValueError as exc:
                errors.append(f"{column}: {exc}")
        bounds.append(bound)
        try:
            flag = _parse_flag(cells.get(flag_column, ""))
        except ValueError as exc:
            errors.append(f"{FIELD_LABELS[flag_column]}: {exc}")
            flag = None
        flags.append(True if flag is None else flag)
    if errors:
        reasons.extend(errors)
        return None, False, "", ""
    low, high = bounds
    if low is not None and high is not None:
        try:
            _check_bounds(f"{low_text} bis {high_text}", low, high, flags[0], flags[1])
        except ValueError as exc:
            reasons.append(str(exc))
            return None, False, "", ""
    return Band(lower=low, upper=high, lower_inclusive=flags[0], upper_inclusive=flags[1]), percent, "", ""


def _one_line(text: str) -> str:
    """Line breaks in a cell are layout: one line per record keeps the file readable and its line numbers right."""
    return re.sub(r"\s*\n\s*", " ", text).strip() if "\n" in text else text.strip()


def _num_text(value: float | None) -> str:
    if value is None:
        return ""
    if value == 0:
        return "0"
    if value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    return format(value, ".15g")


def _flag_text(bound: float | None, inclusive: bool) -> str:
    return "" if bound is None else ("true" if inclusive else "false")


def _drop_duplicates(records: list[dict[str, object]], rows: list[_Row]) -> list[dict[str, object]]:
    """One row per area, indicator and date: exact repeats after the first are rejected as repeats, conflicting
    rows all (which one is right cannot be told)."""
    by_line = {r.zeile: r for r in rows}
    groups: dict[tuple, list[dict[str, object]]] = {}
    for record in records:
        groups.setdefault(tuple(record[c] for c in ("stadtteil_id", "gebiet", "indikator", "stichtag")), []).append(record)
    dropped: set[int] = set()
    for group in groups.values():
        if len(group) < 2:
            continue
        first = group[0]
        same = all(_band_of(r) == _band_of(first) and r["einheit"] == first["einheit"] for r in group[1:])
        where = f"{first['gebiet']}, {first['indikator']}, {first['stichtag']}"
        for record in group if not same else group[1:]:
            others = ", ".join(str(r["zeile"]) for r in group if r is not record)
            reason = (f"Doppelt ({where}): gleicher Wert wie Zeile {first['zeile']}." if same else
                      f"Widersprüchlich ({where}): andere Angabe in Zeile {others}; welche gilt, ist nicht zu "
                      "entscheiden.")
            by_line[int(str(record["zeile"]))].reasons.append(reason)
            dropped.add(id(record))
    return [r for r in records if id(r) not in dropped]


def _band_of(record: Mapping[str, object]) -> Band:
    """:func:`~geo.data.indicators.band_of_row` of a row as a dict (a Series per row costs 0.2 ms; 20,000 rows)."""
    return band_of_row(record)  # it only looks up the five band columns, as a dict does


def _raw(table: IndicatorTable, index: int) -> str:
    return _short(" | ".join(c for c in table.rows[index] if c), 300)


def _indicator_frame(records: list[dict[str, object]]) -> pd.DataFrame:
    frame = pd.DataFrame(records, columns=[*INDICATOR_COLUMNS, "zeile"])
    frame["zeile"] = frame["zeile"].astype("Int64")
    return frame


def _rejected_frame(records: list[dict[str, object]]) -> pd.DataFrame:
    frame = pd.DataFrame(records, columns=list(REJECTED_COLUMNS))
    frame["zeile"] = frame["zeile"].astype("Int64")
    return frame.sort_values("zeile", kind="stable").reset_index(drop=True)


def _change_frame(records: list[dict[str, object]]) -> pd.DataFrame:
    frame = pd.DataFrame(records, columns=list(CHANGE_COLUMNS))
    frame["zeile"] = frame["zeile"].astype("Int64")
    return frame


def _current_frame(current: pd.DataFrame | None) -> pd.DataFrame:
    if current is None or current.empty:
        return pd.DataFrame(columns=list(INDICATOR_COLUMNS), dtype=str)
    return current.reindex(columns=list(INDICATOR_COLUMNS)).fillna("").astype(str).reset_index(drop=True)


def _kept_rows(current: pd.DataFrame, uploaded: set[str], districts: Mapping[str, str]) -> pd.DataFrame:
    keep = current[~current["indikator"].isin(uploaded)
                   & current["stadtteil_id"].isin({*districts, CITY_ID})].copy()
    keep["zeile"] = pd.array([None] * len(keep), dtype="Int64")
    return keep.reset_index(drop=True)


# --------------------------------------------------------------------------- comparing with the current data


def _changes(new_frame: pd.DataFrame, old_frame: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Differences per (stadtteil_id, gebiet, indikator) and the number of unchanged rows; rows of one key are
    paired by stichtag first, and a single leftover old and new row are paired as a change of date."""
    new: list[dict[str, object]] = new_frame.to_dict("records")
    old: list[dict[str, object]] = old_frame.to_dict("records")

    def groups(records: list[dict[str, object]]) -> dict[tuple[object, ...], list[int]]:
        out: dict[tuple[object, ...], list[int]] = {}
        for i, r in enumerate(records):
            out.setdefault((r["stadtteil_id"], r["gebiet"], r["indikator"]), []).append(i)
        return out

    new_groups, old_groups = groups(new), groups(old)
    records: list[dict[str, object]] = []
    unchanged = 0
    for key in [*new_groups, *(k for k in old_groups if k not in new_groups)]:
        news, olds = list(new_groups.get(key, [])), list(old_groups.get(key, []))
        pairs = []
        for n in list(news):
            match = next((o for o in olds if old[o]["stichtag"] == new[n]["stichtag"]), None)
            if match is not None:
                pairs.append((old[match], new[n]))
                news.remove(n)
                olds.remove(match)
        if len(news) == 1 and len(olds) == 1:
            pairs.append((old[olds.pop()], new[news.pop()]))
        for before, after in pairs:
            changed = _changed_fields(before, after)
            if changed:
                records.append(_change("geändert", after, before, after, changed))
            else:
                unchanged += 1
        records += [_change("neu", new[n], None, new[n], "") for n in news]
        records += [_change("entfällt", old[o], old[o], None, "") for o in olds]
    records.sort(key=lambda r: (_CHANGE_ORDER[str(r["aenderung"])], str(r["indikator"]),
                                german_sort_key(r["stadtteil"]), german_sort_key(r["gebiet"])))
    return _change_frame(records), unchanged


_COMPARED = (("einheit", "Einheit"), ("stichtag", "Stichtag"), ("angabe", "Angabe"), ("quelle", "Quelle"),
             ("methode", "Methode"))


def _changed_fields(old: Mapping[str, object], new: Mapping[str, object]) -> str:
    changed = ["Wert"] if _band_of(old) != _band_of(new) else []
    changed += [label for column, label in _COMPARED if str(old[column]).strip() != str(new[column]).strip()]
    return ", ".join(changed)


def _change(kind: str, row: Mapping[str, object], old: Mapping[str, object] | None, new: Mapping[str, object] | None,
            changed: str) -> dict[str, object]:
    zeile = new.get("zeile") if new is not None else None
    return {"aenderung": kind, "stadtteil_id": row["stadtteil_id"], "stadtteil": row["stadtteil"],
            "gebiet": row["gebiet"], "indikator": row["indikator"],
            "alt": _describe(old) if old is not None else "", "neu": _describe(new) if new is not None else "",
            "geaendert": changed, "zeile": None if zeile is None or pd.isna(zeile) else int(str(zeile))}


def _describe(row: Mapping[str, object]) -> str:
    """``"50,8 % (2018-01-01)"``: the band as text and the date."""
    text = band_text(_band_of(row), str(row["einheit"]))
    return f"{text} ({row['stichtag']})" if row["stichtag"] else text


# --------------------------------------------------------------------------- notices


def _value_notices(frame: pd.DataFrame, table: IndicatorTable) -> list[str]:
    notices: list[str] = []
    if frame.empty:
        return notices
    percent = frame[frame["einheit"] == "%"]
    numbers = percent[["wert", "untergrenze", "obergrenze"]].apply(pd.to_numeric, errors="coerce")
    outside = percent[((numbers < 0) | (numbers > 100)).any(axis=1)]
    if len(outside):
        notices.append(f"{len(outside)} Anteil{'' if len(outside) == 1 else 'e'} in % außerhalb von 0–100 (z. B. Zeile "
                       f"{outside['zeile'].iloc[0]}). Bitte prüfen, ob das eine Veränderungsrate ist oder ein Fehler.")
    if table.from_workbook:
        for indicator, rows in percent.groupby("indikator", sort=False):
            values = pd.concat([pd.to_numeric(rows[c], errors="coerce")
                                for c in ("wert", "untergrenze", "obergrenze")]).dropna()
            if len(values) and values.between(0, 1).all() and (values > 0).any():
                notices.append(f"Alle Werte von „{indicator}“ liegen zwischen 0 und 1. Sind die Zellen als Prozent "
                               "formatiert? Excel speichert 31,8 % als 0,318; bitte prüfen und gegebenenfalls die "
                               "Zahlen mit 100 malnehmen.")
    unknown_unit = sorted(set(frame.loc[frame["einheit"] == "", "indikator"]))
    if unknown_unit:
        notices.append(f"Ohne Einheit: {', '.join(unknown_unit)}. Bitte „%“ oder „Anzahl“ angeben, wenn bekannt.")
    return notices


def _indicator_notices(uploaded: pd.DataFrame, current: pd.DataFrame, districts: Mapping[str, str],
                       keep_other: bool) -> list[str]:
    notices = []
    new_ids = list(dict.fromkeys(uploaded["indikator"]))
    old_ids = list(dict.fromkeys(current["indikator"]))
    fresh = [i for i in new_ids if i not in old_ids]
    if fresh and old_ids:
        notices.append(f"Neue Indikatoren (bisher nicht in den Daten): {', '.join(fresh)}.")
    unlabelled = [i for i in fresh if not catalogue("de").get(f"indikator.{i}")]
    if unlabelled:
        notices.append(f"Ohne Bezeichnung im Sprachkatalog (locales/de.toml, Abschnitt [indikator]): "
                       f"{', '.join(unlabelled)}; die App zeigt dort die Kennung.")
    gone = [i for i in old_ids if i not in new_ids]
    if gone and not keep_other:
        notices.append(f"Nicht in der neuen Tabelle: {', '.join(gone)}. Ihre Werte entfallen beim Veröffentlichen. "
                       "Soll nur ein Teil ersetzt werden, bitte „andere Indikatoren behalten“ wählen.")
    for indicator in MAP_INDICATORS:
        if indicator in old_ids and indicator not in new_ids and not keep_other:
            notices.append(f"Die Karte färbt die Stadtteile nach „{indicator}“; ohne diese Werte bleibt sie dafür "
                           "leer.")
    for indicator, rows in uploaded[uploaded["stadtteil_id"] != CITY_ID].groupby("indikator", sort=False):
        covered = set(rows["stadtteil_id"])
        missing = [districts[d] for d in districts if d not in covered]
        if missing and len(covered) >= len(districts) / 2:
            notices.append(f"„{indicator}“ fehlt für {len(missing)} Stadtteil{'' if len(missing) == 1 else 'e'}: "
                           f"{', '.join(sorted(missing, key=german_sort_key))}.")
    return notices


def _loader_check(frame: pd.DataFrame, districts: Mapping[str, str]) -> list[str]:
    """Read the text to be published with the app's own loader: every row must come back (a safety net; a
    failure here is a bug in this module, not in the upload)."""
    try:
        load = indicators_from_text(_csv_text(frame), "sozialatlas.csv", set(districts))
    except DataFileError as exc:
        return [f"Interner Fehler: die erzeugte Datei ist nicht lesbar ({exc})."]
    if len(load.rejected) or len(load.indicators) != len(frame):
        reasons = "; ".join(str(p) for p in load.problems[:3])
        return [f"Interner Fehler: die App würde {len(load.rejected)} der erzeugten Zeilen abweisen ({reasons})."]
    return []


# --------------------------------------------------------------------------- audit entry


def summary_lines(check: IndicatorCheck) -> list[str]:
    """German lines for the audit entry of a publication, most important first, e.g.
    ``"42 Werte aus sozialatlas-2025.xlsx, Blatt „Kinderarmut“: 12 neu, 5 geändert, 3 entfallen, 22 unverändert;
    1 Zeile abgewiesen"``."""
    uploaded = len(check.indicators) - check.kept
    gone = check.count("entfällt")
    parts = [f"{check.count('neu')} neu", f"{check.count('geändert')} geändert",
             f"{gone} {'entfällt' if gone == 1 else 'entfallen'}"]
    if check.unchanged:
        parts.append(f"{check.unchanged} unverändert")
    first = f"{uploaded} {'Wert' if uploaded == 1 else 'Werte'} aus {check.source}: {', '.join(parts)}"
    if len(check.rejected):
        first += f"; {len(check.rejected)} {'Zeile' if len(check.rejected) == 1 else 'Zeilen'} abgewiesen"
    lines = [first]
    if check.indikatoren:
        lines.append("Indikatoren: " + ", ".join(f"{k} ({v})" for k, v in check.indikatoren.items()))
    if check.kept:
        lines.append(f"{check.kept} Werte anderer Indikatoren aus dem bisherigen Stand behalten.")
    if check.assignments:
        names = {m.district_id: m.district_name for m in check.matched}
        lines.append("Zuordnungen der Redaktion: " + "; ".join(
            f"„{name}“ → {names.get(target, target) if target else 'nicht übernommen'}"
            for name, target in check.assignments.items()))
    if check.defaults:
        lines.append("Für alle Zeilen vorgegeben: " + "; ".join(
            f"{FIELD_LABELS[k]} „{_short(v, 80)}“" for k, v in check.defaults.items()))
    if check.unmatched:
        lines.append("Nicht zugeordnet (nicht übernommen): " + ", ".join(f"„{u.name}“" for u in check.unmatched))
    return lines
