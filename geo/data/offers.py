"""Loading and validating the offer table (``angebote.csv``).

Offer data is typed in by people, often in a spreadsheet. The loader accepts
what spreadsheets produce (BOM, semicolons, Windows-1252, decimal commas) and
never drops a row silently: every record ends up either in ``offers`` or in
``rejected`` together with a :class:`~geo.data.problems.Problem` naming file, line
and column.
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import geopandas as gpd
import opening_hours
import pandas as pd
from shapely.geometry import Point

from geo.config import DISPLAY_CRS, HANDLUNGSFELD_BY_NAME, MINDEN_BBOX
from geo.data.attributes import months_since
from geo.data.csvtext import binary_kind, decode_csv_bytes, iter_records, sniff_delimiter
from geo.data.outline import OUTLINE_PATH, lonlat_inside
from geo.data.problems import DataFileError, Problem
from geo.text import parse_decimal, strip_control_chars, unneutralise_formula

OFFER_COLUMNS: tuple[str, ...] = (
    "id", "name", "traeger", "handlungsfeld", "kategorie", "zielgruppen", "sprachen",
    "kosten", "adresse", "stadtteil", "lat", "lon", "lage_genauigkeit", "oeffnungszeiten",
    "barrierefrei", "website", "telefon", "beschreibung", "beschreibung_einfach",
    "zuletzt_geprueft", "quelle", "status", "stand_quelle", "hinweis", "massnahmen",
)
REQUIRED_COLUMNS: tuple[str, ...] = ("id", "name", "handlungsfeld", "lat", "lon", "lage_genauigkeit")
SILENT_OPTIONAL_COLUMNS: tuple[str, ...] = ("massnahmen",)
"""Optional columns whose absence is not worth a notice: ``massnahmen`` (``;``-separated ids from
``data/massnahmen.csv``) links an offer to measures of the Integrationskonzept; most files will not have it."""
LAGE_GENAUIGKEITEN = ("adresse", "strasse", "stadtteil", "unbekannt")
"""``unbekannt``: no source names the place; such offers have no coordinates and are listed, not mapped."""
UNLOCATED = "unbekannt"
BARRIEREFREI_WERTE = ("ja", "nein", "unbekannt")
STATUS_WERTE = ("aktiv", "unklar", "umgezogen", "beendet")
"""``aktiv``: a source from 2023 or later confirms the offer; ``unklar``: no recent confirmation (default);
``umgezogen``: a source says it moved (``adresse`` is the newest one); ``beendet``: a source says it ended."""
MAX_FIELD_CHARS = 10_000
_DATE = re.compile(r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$")
UNDATED = "undatiert"
"""``stand_quelle`` of an offer whose cited source states no date of its own.

``stand_quelle`` is the date the cited source itself states (article date, "Stand" line, date of an event it
reports; for several sources about the offer the newest), as ``JJJJ``, ``JJJJ-MM`` or ``JJJJ-MM-TT`` – or
``undatiert``. The day a page was read is not a Stand: it belongs in ``quelle`` as "abgerufen JJJJ-MM-TT".
``zuletzt_geprueft`` is different: the day the provider confirmed the offer (the Redaktion's "Noch aktuell"),
empty until someone has."""
_RETRIEVED = re.compile(r"[Aa]bgerufen(?:\s+am)?\s*:?\s*(?:(?P<iso>\d{4}-\d{2}-\d{2})\b|(?P<de>\d{1,2})\.\s?(?P<dm>\d{1,2})\.\s?(?P<dy>\d{4})\b)")
"""A retrieval date cited in ``quelle``: "abgerufen 2026-11-24", "abgerufen am 2026-11-24", "abgerufen am 24.11.2026"
(also "Abgerufen: …"). Other wordings ("Stand", "abgefragt am" of the geocoder) are not retrieval dates of the source."""

csv.field_size_limit(10 * 1024 * 1024)


@dataclass
class OffersLoad:
    """Result of loading an offer file.

    ``offers``: accepted rows, EPSG:4326 points, all :data:`OFFER_COLUMNS` as
    text except ``lat``/``lon`` (float), plus ``zeile`` (source line).
    ``rejected``: the raw rejected records with ``zeile`` and ``grund``.
    """

    datei: str
    offers: gpd.GeoDataFrame
    rejected: pd.DataFrame
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.schwere == "fehler"]

    @property
    def notices(self) -> list[Problem]:
        return [p for p in self.problems if p.schwere == "hinweis"]

    @property
    def file_errors(self) -> list[Problem]:
        """Errors about the whole file (empty, binary, no usable header): the app shows them prominently."""
        return [p for p in self.errors if p.zeile is None]

    @property
    def rejected_rows(self) -> int:
        """How many records were not taken over: one per rejected line, however many errors it has.

        A row with three faults is one rejected row and three :attr:`errors`, so a page must say
        e.g. "20 Zeilen abgelehnt (24 Fehlermeldungen)", not "24 Fehler". A binary file counts as
        one rejected record (it has no lines).
        """
        return len(self.rejected)

    def errors_by_line(self) -> dict[int | None, list[Problem]]:
        """The :attr:`errors` grouped by line, in file order; key ``None`` (whole file) first if present.

        Every rejected line appears as a key unless a file-level error covers the whole file
        (header-less or binary file: one message, not one per line).
        """
        grouped: dict[int | None, list[Problem]] = {}
        for problem in sorted(self.errors, key=lambda p: -1 if p.zeile is None else p.zeile):
            grouped.setdefault(problem.zeile, []).append(problem)
        return grouped


def read_offers(path: str | Path, outline_path: str | Path = OUTLINE_PATH) -> OffersLoad:
    """Load and validate an offer CSV file; raises :class:`DataFileError` only if unreadable.

    Coordinates must lie inside the municipal outline at ``outline_path``.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataFileError(Problem(path.name, None, None, f"Datei kann nicht gelesen werden ({exc.strerror or exc}).")) from exc
    return parse_offers(raw, path.name, outline_path)


def parse_offers(raw: bytes | str, datei: str = "angebote.csv", outline_path: str | Path = OUTLINE_PATH) -> OffersLoad:
    """Validate offer records from CSV bytes or text (no file access but the cached municipal outline).

    File-level faults (binary data, empty file, header without the required
    columns) give ONE error with ``zeile = None``; the records are still kept
    in ``rejected``. Row faults give one problem per fault with line and column.
    """
    problems: list[Problem] = []
    if isinstance(raw, bytes) and (kind := binary_kind(raw)):
        problems.append(Problem(datei, None, None, f"Datei ist keine CSV-Textdatei, sondern {kind}. Bitte als CSV (UTF-8) speichern."))
        return OffersLoad(datei, _empty_offers(), _rejected_frame([{"zeile": None, "grund": problems[0].meldung,
                                                                   "rohdaten": _short(repr(raw[:80]), 200)}]), problems)
    if isinstance(raw, bytes):
        decoded = decode_csv_bytes(raw)
        text = decoded.text
        if decoded.encoding != "utf-8":
            problems.append(Problem(datei, None, None, "Datei ist nicht UTF-8-kodiert; sie wurde als Windows-1252 gelesen. Bitte als UTF-8 speichern.", "hinweis"))
    else:
        text = raw.lstrip("\ufeff")
    if "\x00" in text:
        # Removed per field (strip_control_chars), not here: removing them first would join "\r\x00\n"
        # into one line break and shift every later line number.
        problems.append(Problem(datei, None, None, "Datei enthält Nullbytes; sie wurden entfernt.", "hinweis"))

    records = iter(iter_records(text, sniff_delimiter(text)))
    header_record = next(records, None)
    if header_record is None:
        problems.append(Problem(datei, None, None, "Datei ist leer; sie enthält keine Angebote."))
        return OffersLoad(datei, _empty_offers(), _rejected_frame([]), problems)
    if header_record.error:
        reason = f"Kopfzeile nicht lesbar: {header_record.error}. Keine Zeile wurde übernommen."
        problems.append(Problem(datei, None, None, reason))
        return OffersLoad(datei, _empty_offers(), _rejected_frame([{"zeile": header_record.line, "grund": reason,
                                                                   "rohdaten": _short(text, 500)}]), problems)

    header = [strip_control_chars(h).lower() for h in header_record.fields]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    unknown = [h for h in header if h not in OFFER_COLUMNS]
    missing_optional = [c for c in OFFER_COLUMNS
                        if c not in header and c not in REQUIRED_COLUMNS and c not in SILENT_OPTIONAL_COLUMNS]
    if unknown and not missing:  # without a header the "unknown columns" are data values: the file error says it all
        problems.append(Problem(datei, header_record.line, None, f"Unbekannte Spalten werden ignoriert: {', '.join(unknown)}.", "hinweis"))
    if missing_optional and not missing:
        problems.append(Problem(datei, header_record.line, None,
                                f"Spalten fehlen und bleiben leer: {', '.join(missing_optional)}.", "hinweis"))

    accepted: list[dict] = []
    rejected: list[dict] = []
    first_line_of_id: dict[str, int] = {}
    if missing:
        # One message for the file, not one per line; every record is still listed as rejected.
        no_header = len(missing) == len(REQUIRED_COLUMNS)
        reason = (f"Keine Kopfzeile mit den Pflichtspalten {', '.join(REQUIRED_COLUMNS)}; die erste Zeile lautet: "
                  f"„{_joined(header_record.fields, 120)}“." if no_header else
                  f"Pflichtspalte(n) fehlen in der Kopfzeile: {', '.join(missing)}.")
        problems.append(Problem(datei, None, None, reason + " Keine Zeile wurde übernommen."))
        lines = [header_record, *records] if no_header else list(records)
        for rec in lines:
            rejected.append({"zeile": rec.line, "grund": rec.error or reason, "rohdaten": _joined(rec.fields)})
            if rec.error:
                break
        return OffersLoad(datei, _empty_offers(), _rejected_frame(rejected), problems)

    for rec in records:
        if rec.error:
            problems.append(Problem(datei, rec.line, None, f"{rec.error}; der Rest der Datei ab hier konnte nicht gelesen werden."))
            rejected.append({"zeile": rec.line, "grund": rec.error, "rohdaten": ""})
            break
        raw_row = {"zeile": rec.line, "rohdaten": _joined(rec.fields)}
        if len(rec.fields) != len(header):
            reason = f"Zeile hat {len(rec.fields)} Felder, die Kopfzeile {len(header)} (Trennzeichen oder Anführungszeichen prüfen)."
            problems.append(Problem(datei, rec.line, None, reason))
            rejected.append({**raw_row, "grund": reason})
            continue
        values, changed = _cleaned_fields(header, rec.fields)
        row, row_problems = _validate_row(values, datei, rec.line)
        row_problems.extend(Problem(datei, rec.line, col, what, "hinweis") for col, what in changed)
        if row is not None and row["id"] in first_line_of_id:
            row_problems.append(Problem(datei, rec.line, "id", f"id „{row['id']}“ kommt doppelt vor (zuerst in Zeile {first_line_of_id[row['id']]})."))
            row = None
        problems.extend(row_problems)
        if row is None:
            reasons = "; ".join(p.meldung for p in row_problems if p.schwere == "fehler")
            rejected.append({**raw_row, "grund": reasons})
        else:
            first_line_of_id[row["id"]] = rec.line
            row["zeile"] = rec.line
            accepted.append(row)

    accepted = _reject_outside(accepted, rejected, problems, datei, outline_path)
    if not accepted and not rejected:
        problems.append(Problem(datei, None, None, "Datei enthält keine Angebote (nur die Kopfzeile)."))
    offers = _empty_offers() if not accepted else gpd.GeoDataFrame(
        pd.DataFrame(accepted, columns=[*OFFER_COLUMNS, "zeile"]),
        geometry=[None if r["lat"] is None else Point(r["lon"], r["lat"]) for r in accepted],
        crs=DISPLAY_CRS,
    )
    return OffersLoad(datei, offers, _rejected_frame(rejected), problems)


def _cleaned_fields(header: list[str], fields: list[str]) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """Known columns with control characters and a formula guard removed, plus what was removed where.

    Nothing is changed silently: each removal is reported as a notice.
    """
    values: dict[str, str] = {}
    changed: list[tuple[str, str]] = []
    for name, raw in zip(header, fields):
        if name not in OFFER_COLUMNS:
            continue
        stripped = strip_control_chars(raw)
        if stripped != raw.strip():
            changed.append((name, "Steuerzeichen (unsichtbare Zeichen) wurden entfernt."))
        value = unneutralise_formula(stripped)
        if value != stripped:
            changed.append((name, "Führendes Apostroph (Formelschutz einer Tabellenkalkulation) wurde entfernt."))
        values[name] = value
    return values, changed


def _reject_outside(accepted: list[dict], rejected: list[dict], problems: list[Problem], datei: str,
                    outline_path: str | Path) -> list[dict]:
    """Move rows whose point lies outside the municipal outline from ``accepted`` to ``rejected`` (one vectorised test)."""
    located = [r for r in accepted if r["lat"] is not None]
    if not located:
        return accepted
    inside = lonlat_inside([r["lon"] for r in located], [r["lat"] for r in located], outline_path)
    outside_ids = {id(r) for r, ok in zip(located, inside) if not ok}
    kept = []
    for row in accepted:
        if id(row) not in outside_ids:
            kept.append(row)
            continue
        reason = f"Koordinate ({row['lat']}, {row['lon']}) liegt außerhalb Minden (Stadtgrenze laut BKG VG250)."
        problems.append(Problem(datei, row["zeile"], "lat", reason))
        rejected.append({"zeile": row["zeile"], "grund": reason, "rohdaten": _short(f"{row['id']} | {row['name']}", 500)})
    return kept


def _validate_row(values: dict[str, str], datei: str, line: int) -> tuple[dict | None, list[Problem]]:
    """Check one record; return the cleaned row (or None if rejected) and its problems."""
    errors: list[Problem] = []
    notices: list[Problem] = []
    # text cells, except lat/lon, which become float degrees (WGS84) or None once checked
    row: dict[str, Any] = {c: values.get(c, "") for c in OFFER_COLUMNS}

    def err(col: str, msg: str) -> None:
        errors.append(Problem(datei, line, col, msg))

    def note(col: str, msg: str) -> None:
        notices.append(Problem(datei, line, col, msg, "hinweis"))

    for col, value in row.items():
        if len(value) > MAX_FIELD_CHARS:
            err(col, f"Feld ist {len(value)} Zeichen lang (höchstens {MAX_FIELD_CHARS}).")
    if not row["id"]:
        err("id", "id fehlt.")
    if not row["name"]:
        err("name", "Name fehlt.")

    hf = _match_handlungsfeld(row["handlungsfeld"])
    if hf is None:
        allowed = ", ".join(f"„{n}“" for n in HANDLUNGSFELD_BY_NAME)
        err("handlungsfeld", f"„{_short(row['handlungsfeld'])}“ ist kein Handlungsfeld (erlaubt: {allowed}).")
    else:
        row["handlungsfeld"] = hf

    precision = row["lage_genauigkeit"].lower()
    if precision not in LAGE_GENAUIGKEITEN:
        err("lage_genauigkeit", f"„{_short(row['lage_genauigkeit'])}“ ist ungültig (erlaubt: {', '.join(LAGE_GENAUIGKEITEN)}).")
    row["lage_genauigkeit"] = precision

    if precision == UNLOCATED:
        if row["lat"] or row["lon"]:
            note("lat", "Lage ist „unbekannt“; die angegebene Koordinate wird nicht verwendet.")
        row["lat"] = row["lon"] = None
    else:
        lat, lon = parse_decimal(row["lat"]), parse_decimal(row["lon"])
        if lat is None:
            err("lat", f"Breite „{_short(row['lat'])}“ ist keine Zahl." if row["lat"] else "Breite fehlt (oder Lage „unbekannt“ angeben).")
        if lon is None:
            err("lon", f"Länge „{_short(row['lon'])}“ ist keine Zahl." if row["lon"] else "Länge fehlt (oder Lage „unbekannt“ angeben).")
        if lat is not None and lon is not None:
            lon_min, lat_min, lon_max, lat_max = MINDEN_BBOX
            if not (lat_min <= lat <= lat_max and lon_min <= lon <= lon_max):
                hint = " Breite und Länge vertauscht?" if (lat_min <= lon <= lat_max and lon_min <= lat <= lon_max) else ""
                err("lat", f"Koordinate ({lat}, {lon}) liegt nicht in Minden.{hint}")
            row["lat"], row["lon"] = lat, lon

    row["barrierefrei"] = _from_vocabulary(row, "barrierefrei", BARRIEREFREI_WERTE, "unbekannt", note)

    if row["oeffnungszeiten"] and not opening_hours.validate(row["oeffnungszeiten"]):
        note("oeffnungszeiten", "Öffnungszeiten sind nicht im OpenStreetMap-Format (z. B. „Mo-Fr 09:00-12:00“); sie werden nur als Text gezeigt.")
    if row["zuletzt_geprueft"] and not _DATE.match(row["zuletzt_geprueft"]):
        note("zuletzt_geprueft", "Datum nicht im Format JJJJ, JJJJ-MM oder JJJJ-MM-TT.")
    if row["website"] and not re.match(r"^https?://", row["website"], re.IGNORECASE):
        note("website", "Webadresse beginnt nicht mit http:// oder https://; sie wird nicht verlinkt.")
    if not row["quelle"]:
        note("quelle", "Quelle fehlt.")
    row["status"] = _from_vocabulary(row, "status", STATUS_WERTE, "unklar", note)
    stand = row["stand_quelle"]
    if stand.casefold() == UNDATED:
        row["stand_quelle"] = UNDATED
    elif stand and not _DATE.match(stand):
        note("stand_quelle", f"Datum nicht im Format JJJJ, JJJJ-MM oder JJJJ-MM-TT und nicht „{UNDATED}“; als Text übernommen.")
    elif stand and (retrieved := retrieval_dates(row["quelle"])):
        if problem := _after_retrieval(stand, retrieved):
            err("stand_quelle", problem)
        elif stand in {d.isoformat() for d in retrieved}:
            note("stand_quelle", f"Stand laut Quelle „{stand}“ ist der Tag, an dem die Quelle abgerufen wurde. Nennt die "
                                 f"Quelle selbst kein Datum, bitte „{UNDATED}“ eintragen.")

    return (None if errors else row), errors + notices


def retrieval_dates(quelle: str) -> list[date]:
    """The retrieval dates cited in a ``quelle`` text (pattern :data:`_RETRIEVED`), in order; impossible dates skipped."""
    found: list[date] = []
    if not quelle or "bgerufen" not in quelle:  # cheap test first: most citations have no retrieval date
        return found
    for match in _RETRIEVED.finditer(quelle):
        try:
            found.append(date.fromisoformat(match["iso"]) if match["iso"]
                         else date(int(match["dy"]), int(match["dm"]), int(match["de"])))
        except ValueError:
            continue
    return found


def first_day(stand: str) -> date | None:
    """The earliest day a ``JJJJ``/``JJJJ-MM``/``JJJJ-MM-TT`` Stand can mean ("2026-11" → 2026-11-01); ``None``
    for ``undatiert``, other text or an impossible date."""
    if not _DATE.match(stand or ""):
        return None
    parts = [int(p) for p in stand.split("-")]
    try:
        return date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)
    except ValueError:
        return None


def stand_after_retrieval(stand: str, quelle: str) -> str | None:
    """Why ``stand`` cannot be the source's own date, or ``None``: a source cannot be newer than the day it was read.

    A Stand is too late when even its first day (:func:`first_day`) lies after the latest retrieval date cited in
    ``quelle``: "2026-12" after "abgerufen 2026-11-24" is rejected, "2026-11" is not (it may mean November 1st).
    With several sources and several retrieval dates only the latest counts, since the Stand may be that source's.
    """
    return _after_retrieval(stand, retrieval_dates(quelle))


def _after_retrieval(stand: str, retrieved: list[date]) -> str | None:
    start = first_day(stand)
    if start is None or not retrieved or start <= max(retrieved):
        return None
    return (f"Stand laut Quelle „{stand}“ liegt nach dem Abrufdatum {max(retrieved).isoformat()}, das die Spalte quelle "
            "nennt; eine Quelle kann nicht neuer sein als der Tag, an dem sie abgerufen wurde. Bitte das Datum "
            f"eintragen, das die Quelle selbst nennt, oder „{UNDATED}“.")


def stand_quelle_problem(stand: str, quelle: str = "") -> str | None:
    """What is wrong with a ``stand_quelle`` typed into a form, or ``None`` (empty, ``undatiert`` or a date that
    is not after a retrieval date cited in ``quelle``)."""
    stand = (stand or "").strip()
    if not stand or stand.casefold() == UNDATED:
        return None
    if not _DATE.match(stand):
        return f"stand_quelle „{stand}“: bitte JJJJ, JJJJ-MM oder JJJJ-MM-TT oder „{UNDATED}“."
    return stand_after_retrieval(stand, quelle)


@dataclass(frozen=True)
class DataAge:
    """How old an offer's information is, for the warning "may be outdated" (:func:`data_age`)."""

    basis: str
    """``geprueft``: confirmed with the provider on ``datum`` (``zuletzt_geprueft``); ``quelle``: never confirmed,
    counted from the source's own date ``datum`` (``stand_quelle``); ``undatiert``: never confirmed and the source
    states no date – unknown age; ``unbekannt``: neither date given – unknown age."""
    datum: str
    monate: int | None
    """Whole months since ``datum`` (see :func:`geo.data.attributes.months_since`); ``None`` when unknown."""

    def outdated(self, months: int) -> bool:
        """True when the information may be outdated: older than ``months`` months, or of unknown age."""
        return self.monate is None or self.monate > months


def data_age(zuletzt_geprueft: object, stand_quelle: object, today: date) -> DataAge:
    """The age of an offer's information on ``today``: from the provider's confirmation if there is one, else
    from the source's own date; ``undatiert`` and a missing date are unknown ages (always worth a warning)."""
    checked = "" if zuletzt_geprueft is None else str(zuletzt_geprueft).strip()
    age = months_since(checked, today) if checked else None
    if age is not None:
        return DataAge("geprueft", checked, age)
    stand = "" if stand_quelle is None else str(stand_quelle).strip()
    if stand.casefold() == UNDATED:
        return DataAge(UNDATED, "", None)
    age = months_since(stand, today) if stand else None
    if age is not None:
        return DataAge("quelle", stand, age)
    return DataAge("unbekannt", "", None)


def _from_vocabulary(row: dict, column: str, allowed: tuple[str, ...], default: str, note) -> str:
    """The value of ``column`` if it is in ``allowed`` (case-insensitive), else ``default`` with a notice; empty → default."""
    value = row[column].lower() or default
    if value not in allowed:
        note(column, f"„{_short(value)}“ ist ungültig ({', '.join(allowed)}); als „{default}“ übernommen.")
        return default
    return value


def _match_handlungsfeld(value: str) -> str | None:
    wanted = " ".join(value.split()).casefold()
    for name in HANDLUNGSFELD_BY_NAME:
        if name.casefold() == wanted:
            return name
    return None


def _short(value: str, limit: int = 60) -> str:
    return value if len(value) <= limit else value[:limit] + "…"


def _joined(fields: list[str], limit: int = 500) -> str:
    return _short(" | ".join(fields), limit)


def _empty_offers() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        pd.DataFrame(columns=[*OFFER_COLUMNS, "zeile"]), geometry=gpd.GeoSeries([], crs=DISPLAY_CRS), crs=DISPLAY_CRS
    )


def _rejected_frame(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["zeile", "grund", "rohdaten"])


MAX_OFFERS_FILE_BYTES = 64 * 1024 * 1024
"""Largest offer file the app reads (64 MiB, about 150,000 offers of the shipped kind).

The loader validates row by row in Python and keeps everything in memory; a
1,000,000-row file took 68 s and 4 GiB per process. A city of Minden's size
has a few thousand offers at most, so a larger file is almost certainly a
mistake (wrong export) or needs the database store instead.
"""


def check_file_size(path: str | Path, limit: int) -> None:
    """Raise :class:`DataFileError` if ``path`` is larger than ``limit`` bytes (checked before reading)."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError:
        return  # the loader reports a missing or unreadable file with its own message
    if size > limit:
        raise DataFileError(Problem(path.name, None, None,
                                    f"Datei ist {size / 1024 / 1024:.0f} MiB groß; die App liest höchstens "
                                    f"{limit / 1024 / 1024:.0f} MiB (etwa 150.000 Angebote). Bitte die richtige "
                                    "Datei wählen oder die Angebote aufteilen."))
