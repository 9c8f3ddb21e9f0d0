"""Addresses of offers → coordinates with a Nominatim-compatible geocoder (off by default).

For a machine with internet: ``python -m geo geocode --url https://nominatim.openstreetmap.org/search``
(or ``QK_GEOCODER_URL``). Without a URL nothing is asked: the addresses would leave the machine.

Flow: offer row → :func:`query_for_address` (structured query) → one HTTP GET per
new query (:func:`fetch_nominatim`, at most one per second, the only network
access; injected as ``fetch`` so the tests run offline) → :func:`parse_response`
(first hit with its match level) → cache CSV (every answer with request URL,
date and licence; a re-run asks nothing twice) → :func:`usable` (inside the city
outline, house or street level) → with ``--apply`` :func:`apply_to_csv_text`
writes a copy of the offers file where only improved rows change.

The Redaktion asks with the same loop (:func:`propose_locations`): offers from
the store instead of a file, and every improvement comes back as a
:class:`LocationProposal` for the editor to review before it is saved.

Coordinates are WGS84 longitude/latitude in degrees (EPSG:4326), as Nominatim
returns them; the inside-Minden test runs on the outline in EPSG:4326
(:func:`geo.data.outline.lonlat_inside`). Licence of the answers: ODbL 1.0,
© OpenStreetMap-Mitwirkende.
"""
from __future__ import annotations

import csv
import io
import os
import re
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from geo.config import DATA_DIR, PROJECT_DIR
from geo.data.csvtext import binary_kind, decode_csv_bytes, iter_records, sniff_delimiter
from geo.data.fileio import write_atomic
from geo.data.outline import OUTLINE_PATH, lonlat_inside
from geo.exchange.http import USER_AGENT, HttpJsonError, request_json
from geo.text import neutralise_formula, search_key, strip_control_chars, unneutralise_formula

CACHE_COLUMNS = ("abfrage", "lat", "lon", "treffer", "osm_typ", "osm_id", "genauigkeit", "osm_strasse", "quelle",
                 "abgerufen", "lizenz")
"""Columns of the cache CSV: ``treffer`` is Nominatim's ``display_name``, ``genauigkeit`` the match level
(``adresse``/``strasse``/empty = coarser), ``osm_strasse`` the hit's ``address.road``, ``quelle`` the
request URL, ``abgerufen`` the ISO date. A row without ``lat`` is a cached "nothing found"."""
LICENCE = "ODbL, © OpenStreetMap-Mitwirkende"
MIN_INTERVAL_S = 1.0
"""Nominatim's usage policy: at most one request per second."""
MAX_FAILURES = 3
"""Consecutive failed requests after which no more are sent (server down, blocked, no internet)."""
ASKED_PRECISIONS = ("unbekannt", "stadtteil", "strasse")
"""Offers placed like this are geocoded; ``adresse`` is already as precise as a geocoder gets."""
_PRECISION_RANK = {"unbekannt": 0, "stadtteil": 1, "strasse": 2, "adresse": 3}
_HOUSE_KINDS = {"house", "building"}
_STREET_WORDS = re.compile(
    # Conservative on purpose: "tor", "horst", "garten" would also match district or facility names.
    r"(straße|strasse|str\.|weg|ring|wall|platz|allee|kirchhof|heide|kamp|damm|ufer|gasse|markt|bauern|graben|"
    r"pfad|steg|chaussee|brink|scharn)\b",
    re.IGNORECASE)
_HOUSE_NUMBER = re.compile(r"\s(\d+\s?[a-zA-Z]?(?:\s?[-–/]\s?\d+\s?[a-zA-Z]?)?)$")
_POSTCODE = re.compile(r"\b\d{5}\b")
_CITY_PART = re.compile(r"(\d{5}\s+)?Minden(\s*\(Westf(alen|\.)?\))?(\s+[-–].*)?", re.IGNORECASE)

# Why an offer gets no coordinate; keys are stable, the German labels are for the summary.
OUTSIDE, TOO_COARSE, OTHER_STREET = "ausserhalb", "zu_ungenau", "andere_strasse"
NO_RESULT, ERROR = "kein_treffer", "fehler"
REJECTION_LABELS = {
    OUTSIDE: "außerhalb Minden", TOO_COARSE: "zu ungenau (weder Hausnummer noch Straße)",
    OTHER_STREET: "Treffer in einer anderen Straße", NO_RESULT: "kein Treffer", ERROR: "HTTP-/Netzfehler",
}
# Why an offer was not asked about (:attr:`GeocodeReport.not_asked_kinds`).
NO_STREET, LIMIT_REACHED, RUN_STOPPED = "keine_strasse", "hoechstzahl", "abgebrochen"

CACHE_PATH = DATA_DIR / "geocode_cache.csv"
"""The cache of ``python -m geo geocode`` (its ``--cache`` default); the Redaktion uses the same file."""
FALLBACK_CACHE_PATH = PROJECT_DIR / "var" / "geocode_cache.csv"
"""Where the app keeps answers when ``data/`` is read-only (the systemd unit allows writing only in ``var/``)."""

Fetch = Callable[[str, dict], object]
"""``fetch(base_url, params) -> parsed JSON``; raises :class:`geo.exchange.http.HttpJsonError`."""


class GeocodeError(Exception):
    """The run cannot start or finish; ``str(error)`` is a German message naming file and row."""


@dataclass(frozen=True)
class AddressQuery:
    """A structured Nominatim query for one address in Minden."""

    street: str
    """Street and house number as written in the offer (``"Königstraße 13"``)."""
    postalcode: str = ""

    @property
    def key(self) -> str:
        """The cache key: the query as a person reads it (``"Königstraße 13, 32423 Minden"``)."""
        return f"{self.street}, {self.postalcode + ' ' if self.postalcode else ''}Minden"

    @property
    def house_number(self) -> str:
        """The house number part of :attr:`street` (``"13"``, ``"20A"``), or ``""``."""
        match = _HOUSE_NUMBER.search(self.street)
        return match.group(1) if match else ""

    def params(self) -> dict[str, str]:
        """Request parameters of the structured search (street, postcode, city, country, jsonv2, one hit)."""
        params = {"street": self.street, "city": "Minden", "countrycodes": "de", "format": "jsonv2",
                  "addressdetails": "1", "limit": "1"}
        if self.postalcode:
            params["postalcode"] = self.postalcode
        return params


@dataclass(frozen=True)
class Hit:
    """The first result of an answer. ``lat``/``lon``: WGS84 degrees."""

    lat: float
    lon: float
    label: str
    """Nominatim's ``display_name``."""
    osm_type: str
    osm_id: str
    precision: str | None
    """``adresse`` (house number matched), ``strasse`` (street matched) or ``None`` (coarser: never used)."""
    road: str = ""
    """``address.road`` of the hit (checked against the street asked for)."""


@dataclass(frozen=True)
class Answer:
    """One cached answer: what was asked, where, when, and the hit (``None``: the server found nothing)."""

    query: str
    source: str
    """Request URL without credentials (see :func:`public_url`)."""
    retrieved: str
    """ISO date of the request."""
    hit: Hit | None


# --------------------------------------------------------------------------- pure: query, answer, decision

def query_for_address(address: str) -> AddressQuery | None:
    """The structured query for an offer's ``adresse`` text, or ``None`` if it names no street.

    Remarks in brackets and after ``;`` are dropped. The street is the first
    comma-separated part that starts with a capital letter and either ends in a
    house number or contains a street word; a five-digit number is the postcode.
    ``"Integrationsbüro, Lindenstraße 36, 32423 Minden"`` → ``Lindenstraße 36`` + ``32423``;
    ``"neben der Geschäftsstelle (Königstraße 13), Minden"`` → ``None`` (the offer is not at that address).
    """
    text = re.sub(r"\([^)]*\)", "", strip_control_chars(unneutralise_formula(address)).split(";")[0])
    text = re.sub(r"^an der Straße\s+", "", text.strip(), flags=re.IGNORECASE)
    parts = [" ".join(p.split()) for p in text.split(",") if p.strip()]
    postcode = next((m.group(0) for p in parts if (m := _POSTCODE.search(p))), "")
    for part in parts:
        if _CITY_PART.fullmatch(part) or not part[0].isupper():
            continue
        if _HOUSE_NUMBER.search(part) or _STREET_WORDS.search(part):
            street = re.sub(r"\bStr\.", "Straße", re.sub(r"str\.(?=\s|$)", "straße", part))
            return AddressQuery(street, postcode)
    return None


def parse_response(data: object) -> Hit | None:
    """The first hit of a Nominatim ``jsonv2`` answer with its match level; ``None`` for an empty list.

    Match level: house number in ``address`` or ``addresstype``/``type``
    ``house``/``building`` → ``adresse``; ``addresstype`` ``road`` or category
    ``highway`` → ``strasse``; anything else (district, town, postcode) → ``None``.
    Raises :class:`ValueError` for an answer that is no result list (e.g. an
    ``{"error": …}`` object): such an answer must not be cached as "not found".
    """
    if not isinstance(data, list):
        message = data.get("error") if isinstance(data, dict) else None
        raise ValueError(f"Antwort ist keine Trefferliste{f' ({message})' if message else ''}")
    if not data:
        return None
    hit = data[0]
    try:
        lat, lon = float(hit["lat"]), float(hit["lon"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError("erster Treffer ohne gültige Koordinate") from exc
    address = hit.get("address") if isinstance(hit.get("address"), dict) else {}
    kinds = {str(hit.get("addresstype") or ""), str(hit.get("type") or "")}
    category = str(hit.get("category") or hit.get("class") or "")  # jsonv2 says category, json says class
    if address.get("house_number") or kinds & _HOUSE_KINDS:
        precision = "adresse"
    elif "road" in kinds or category == "highway":
        precision = "strasse"
    else:
        precision = None
    return Hit(lat, lon, _clean(hit.get("display_name")), _clean(hit.get("osm_type")), _clean(hit.get("osm_id")),
               precision, _clean(address.get("road")))


def match_level(query: AddressQuery, hit: Hit) -> tuple[str | None, str]:
    """The level at which ``hit`` answers ``query`` and, if ``None``, the rejection kind.

    A house-level hit counts as ``adresse`` only if the query has a house number
    (otherwise the offer is somewhere on the street, not at that building).
    A hit whose ``road`` is another street than the one asked for is rejected.
    """
    if hit.precision is None:
        return None, TOO_COARSE
    if hit.road and not _same_street(query.street, hit.road):
        return None, OTHER_STREET
    if hit.precision == "adresse" and not query.house_number:
        return "strasse", ""
    return hit.precision, ""


def usable(answer: Answer | None, query: AddressQuery,
           outline_path: Path = OUTLINE_PATH) -> tuple[str | None, str, str]:
    """``(precision, kind, reason)``: the level to use, or ``None`` with the rejection kind and a German reason."""
    if answer is None or answer.hit is None:
        return None, NO_RESULT, "kein Treffer"
    hit = answer.hit
    precision, kind = match_level(query, hit)
    if precision is None:
        detail = f" ({hit.road})" if kind == OTHER_STREET else f" ({hit.label})" if hit.label else ""
        return None, kind, REJECTION_LABELS[kind] + detail
    if not lonlat_inside([hit.lon], [hit.lat], outline_path)[0]:
        return None, OUTSIDE, f"Treffer ({hit.lat:.5f}, {hit.lon:.5f}) liegt außerhalb Minden: {hit.label}"
    return precision, "", ""


def improves(current: str, precision: str) -> bool:
    """Whether a location of ``precision`` is more precise than the current ``lage_genauigkeit`` (never downgrade)."""
    return _PRECISION_RANK[precision] > _PRECISION_RANK.get((current or "unbekannt").strip().lower(), 99)


def quelle_note(answer: Answer, precision: str, previous: str) -> str:
    """The text appended to ``quelle`` of an improved offer: licence, date, query, OSM object, request URL."""
    hit = answer.hit
    assert hit is not None
    osm = f"OSM {hit.osm_type} {hit.osm_id}".replace("  ", " ") if hit.osm_id else "OSM"
    # Only characters Windows-1252 can hold, so a cp1252 offers file keeps its encoding.
    return (f"Koordinate: Nominatim/OpenStreetMap (ODbL), abgefragt am {answer.retrieved}: {answer.query} "
            f"(Treffer {osm}, Genauigkeit {precision}, ersetzt Lage „{previous or 'unbekannt'}“, "
            f"Abfrage {answer.source})")


def improved_fields(row: dict[str, str], answer: Answer, precision: str) -> dict[str, str] | None:
    """The changed fields (``lat, lon, lage_genauigkeit, quelle``) for an offer row, or ``None`` to leave it alone."""
    current = row.get("lage_genauigkeit", "")
    if answer.hit is None or not improves(current, precision):
        return None
    note = quelle_note(answer, precision, current.strip().lower())
    quelle = "; ".join(x for x in (row.get("quelle", "").strip(), note) if x)
    return {"lat": f"{answer.hit.lat:.6f}", "lon": f"{answer.hit.lon:.6f}", "lage_genauigkeit": precision,
            "quelle": quelle}


def apply_to_csv_text(text: str, updates: dict[int, dict[str, str]], datei: str = "angebote.csv") -> str:
    """The offers CSV ``text`` with ``updates`` (line where a record starts → column → new value) applied.

    Records without an update and without a spreadsheet formula are copied
    byte for byte (quoting, delimiter, line breaks, blank lines). Changed
    records are written with the file's delimiter and line break, and every
    cell that a spreadsheet would run as a formula gets a leading ``'``
    (:func:`geo.text.neutralise_formula`, undone by the offers loader).
    """
    delimiter = sniff_delimiter(text)
    lines = io.StringIO(text, newline="").readlines()
    records = list(iter_records(text, delimiter))
    if not records or records[0].error:
        raise GeocodeError(f"{datei}: Datei ist leer oder hat keine Kopfzeile.")
    header = [strip_control_chars(h).lower() for h in records[0].fields]
    missing = [c for c in ("id", "lat", "lon", "lage_genauigkeit", "quelle") if c not in header]
    if missing:
        raise GeocodeError(f"{datei}: Spalten fehlen: {', '.join(missing)}.")
    out: list[str] = []
    done = 0  # lines[:done] are written
    for index, record in enumerate(records):
        if record.error:
            raise GeocodeError(f"{datei}, Zeile {record.line}: {record.error}; nichts geschrieben.")
        end = _record_end(lines, record.line, records[index + 1].line - 1 if index + 1 < len(records) else len(lines))
        out.extend(lines[done:record.line - 1])  # blank lines before the record
        raw = "".join(lines[record.line - 1:end])
        done = end
        fields = list(record.fields)
        change = updates.get(record.line) if index > 0 else None
        if change:
            fields += [""] * (len(header) - len(fields))
            for column, value in change.items():
                fields[header.index(column)] = value
        if change or any(neutralise_formula(f) != f for f in fields):
            ending = raw[len(raw.rstrip("\r\n")):]
            buffer = io.StringIO()
            csv.writer(buffer, delimiter=delimiter, lineterminator=ending or "\n").writerow(
                [neutralise_formula(f) for f in fields])
            raw = buffer.getvalue() if ending else buffer.getvalue()[:-1]
        out.append(raw)
    out.extend(lines[done:])
    return "".join(out)


def _record_end(lines: list[str], start: int, limit: int) -> int:
    """Last line (1-based) of the record starting at ``start``: ``limit`` without the blank lines before it.

    A record never ends in a blank line (that would be a blank record, which
    :func:`geo.data.csvtext.iter_records` skips), so those belong to the gap.
    """
    end = limit
    while end > start and not strip_control_chars(lines[end - 1]):
        end -= 1
    return end


def public_url(base_url: str, params: dict[str, str]) -> str:
    """The request URL as it is recorded: scheme, host and path of ``base_url`` plus ``params``.

    User name, password and the base URL's own query (API keys, e-mail
    addresses that some services want) are left out, so the cache and
    ``quelle`` hold no personal data or secrets.
    """
    parts = urllib.parse.urlsplit(base_url)
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    return urllib.parse.urlunsplit((parts.scheme, host, parts.path, urllib.parse.urlencode(params), ""))


# --------------------------------------------------------------------------- network (edge)

def fetch_nominatim(url: str, params: dict, timeout_s: float = 30) -> object:
    """HTTP GET ``params`` against a Nominatim-compatible search URL (the only network access of this module).

    Parameters already in ``url`` (e.g. ``email=`` or an API key) are kept.
    Raises :class:`geo.exchange.http.HttpJsonError` with a German message.
    """
    separator = "&" if urllib.parse.urlsplit(url).query else "?"
    request = urllib.request.Request(f"{url}{separator}{urllib.parse.urlencode(params)}",
                                     headers={"User-Agent": USER_AGENT, "Accept": "application/json"})
    return request_json(request, f"Geocoding-Server {public_url(url, {})}", timeout_s)


# --------------------------------------------------------------------------- cache

def read_cache(path: Path) -> dict[str, Answer]:
    """Cached answers by query key; an absent file is an empty cache. Raises :class:`GeocodeError` for a broken row."""
    if not path.exists():
        return {}
    cache: dict[str, Answer] = {}
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in CACHE_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise GeocodeError(f"{path}: Spalten fehlen: {', '.join(missing)}. Datei löschen oder reparieren.")
        for row in reader:
            row = {k: unneutralise_formula(v or "") for k, v in row.items() if k}
            hit = None
            if row["lat"] or row["lon"]:
                try:
                    lat, lon = float(row["lat"]), float(row["lon"])
                except ValueError as exc:
                    raise GeocodeError(f"{path}, Zeile {reader.line_num}: lat/lon „{row['lat']}, {row['lon']}“ "
                                       "ist keine Zahl.") from exc
                hit = Hit(lat, lon, row["treffer"], row["osm_typ"], row["osm_id"], row["genauigkeit"] or None,
                          row["osm_strasse"])
            cache[row["abfrage"]] = Answer(row["abfrage"], row["quelle"], row["abgerufen"], hit)
    return cache


def write_cache(path: Path, cache: dict[str, Answer]) -> None:
    """Write all answers (sorted by query) atomically: temporary file, then rename over ``path``."""
    def write(tmp: Path) -> None:
        with tmp.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(CACHE_COLUMNS)
            for key in sorted(cache):
                a, h = cache[key], cache[key].hit
                values = [a.query, "", "", "", "", "", "", "", a.source, a.retrieved, LICENCE] if h is None else [
                    a.query, f"{h.lat:.7f}", f"{h.lon:.7f}", h.label, h.osm_type, h.osm_id, h.precision or "", h.road,
                    a.source, a.retrieved, LICENCE]
                writer.writerow([neutralise_formula(v) for v in values])
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, write)


# --------------------------------------------------------------------------- run

@dataclass
class GeocodeReport:
    """What one run did, by offer id."""

    asked: list[str] = field(default_factory=list)
    """Offers whose query was sent in this run (and answered)."""
    cached: list[str] = field(default_factory=list)
    used: dict[str, str] = field(default_factory=dict)
    """offer id → precision taken (more precise than before)."""
    not_better: dict[str, str] = field(default_factory=dict)
    """offer id → current precision: usable hit, but not more precise than the location the offer has."""
    rejected: dict[str, tuple[str, str]] = field(default_factory=dict)
    """offer id → (kind, German reason); kinds: :data:`REJECTION_LABELS`."""
    not_asked: dict[str, str] = field(default_factory=dict)
    """offer id → why no query was sent (no street in the address, ``--limit``, run stopped)."""
    not_asked_kinds: dict[str, str] = field(default_factory=dict)
    """offer id → :data:`NO_STREET`, :data:`LIMIT_REACHED` or :data:`RUN_STOPPED` (the reason of :attr:`not_asked`)."""
    stopped: str = ""
    """Why requests stopped early (429, repeated failures), else empty."""
    written: list[Path] = field(default_factory=list)

    @property
    def failed(self) -> list[str]:
        """Offers whose request failed (HTTP or network error, invalid answer)."""
        return [offer_id for offer_id, (kind, _) in self.rejected.items() if kind == ERROR]

    @property
    def nothing_answered(self) -> bool:
        """Requests were sent and not one was answered (server down, blocked, no internet): the run failed."""
        return bool(self.failed) and not self.asked


def plan_row(row: Mapping[str, str]) -> tuple[str, AddressQuery | None]:
    """What a run does with one offer row: ``("fragen", query)``, ``("keine_strasse", None)`` (no street in the
    address: reported as not asked) or ``("auslassen", …)`` — already placed at an address, no address, or placed
    on its street with an address that has no house number (a geocoder cannot give more: the request is saved)."""
    current = _current_precision(row)
    if not str(row.get("adresse", "") or "").strip() or current not in ASKED_PRECISIONS:
        return "auslassen", None
    query = query_for_address(str(row["adresse"]))
    if query is None:
        return NO_STREET, None
    if current == "strasse" and not query.house_number:
        return "auslassen", query
    return "fragen", query


def lacks_precise_location(row: Mapping[str, str]) -> bool:
    """An offer with an address that is placed only by district, by street or not at all (the geocoder's work)."""
    return bool(str(row.get("adresse", "") or "").strip()) and _current_precision(row) in ASKED_PRECISIONS


@dataclass(frozen=True)
class GeocodePlan:
    """What a run over some offers would do before it asks anything (shown to the editor beforehand)."""

    candidates: list[str]
    """Offers that lack a precise location and have an address (:func:`lacks_precise_location`)."""
    to_ask: list[str]
    """Candidates whose query will be looked up (cache or server)."""
    new_queries: list[str]
    """Distinct queries of :attr:`to_ask` not in the cache yet: one request each (a run sends at most its limit)."""
    no_street: list[str]
    """Candidates whose address names no street: never sent."""


def plan_geocoding(rows: Iterable[tuple[str, Mapping[str, str]]], cache: Mapping[str, Answer]) -> GeocodePlan:
    """The :class:`GeocodePlan` for ``(offer id, row)`` pairs and the answers cached so far."""
    candidates: list[str] = []
    to_ask: list[str] = []
    no_street: list[str] = []
    new: dict[str, None] = {}  # insertion-ordered set of query keys
    for offer_id, row in rows:
        if lacks_precise_location(row):
            candidates.append(offer_id)
        action, query = plan_row(row)
        if action == NO_STREET:
            no_street.append(offer_id)
        elif action == "fragen" and query is not None:
            to_ask.append(offer_id)
            if query.key not in cache:
                new[query.key] = None
    return GeocodePlan(candidates, to_ask, list(new), no_street)


@dataclass(frozen=True)
class _Improvement:
    """One row the run would improve: its position in the input, the answer, the level and the changed fields."""

    index: int
    answer: Answer
    precision: str
    changes: dict[str, str]


def _geocode_rows(rows: Sequence[tuple[str, dict[str, str]]], cache_path: Path, url: str, fetch: Fetch | None,
                  sleep: Callable[[float], None] | None, today: date | None, limit: int | None, outline_path: Path,
                  limit_reason: str, progress: Callable[[int, int], None] | None = None,
                  ) -> tuple[GeocodeReport, list[_Improvement]]:
    """The one loop of every run (command line and Redaktion): rows ``(offer id, row)`` → report and improvements.

    At most one request per second (:data:`MIN_INTERVAL_S`), none twice (the cache at ``cache_path`` is rewritten
    atomically after every new answer), at most ``limit`` new requests, stop after HTTP 429 or
    :data:`MAX_FAILURES` failures in a row; only street- or house-level hits in the asked street inside the city
    (:func:`usable`) that are more precise than the offer's location (:func:`improved_fields`) count.
    ``progress(sent, planned)`` is called before the first and after every request.
    """
    fetch = fetch or fetch_nominatim
    sleep = sleep or time.sleep
    retrieved = (today or date.today()).isoformat()
    cache = read_cache(cache_path)
    planned = len(plan_geocoding(rows, cache).new_queries)
    planned = min(planned, limit) if limit is not None else planned
    report = GeocodeReport()
    improvements: list[_Improvement] = []
    failures, requests = 0, 0
    if progress is not None:
        progress(0, planned)
    for index, (offer_id, row) in enumerate(rows):
        action, query = plan_row(row)
        if action == NO_STREET:
            report.not_asked[offer_id] = "keine Straße in der Adresse erkannt"
            report.not_asked_kinds[offer_id] = NO_STREET
            continue
        if action != "fragen" or query is None:
            continue
        if query.key in cache:
            report.cached.append(offer_id)
        elif report.stopped:
            report.not_asked[offer_id] = "nicht angefragt: Lauf abgebrochen"
            report.not_asked_kinds[offer_id] = RUN_STOPPED
            continue
        elif limit is not None and requests >= limit:
            report.not_asked[offer_id] = limit_reason
            report.not_asked_kinds[offer_id] = LIMIT_REACHED
            continue
        else:
            if requests:
                sleep(MIN_INTERVAL_S)  # usage policy: at most one request per second
            requests += 1
            source = public_url(url, query.params())
            try:
                hit = parse_response(fetch(url, query.params()))
            except (HttpJsonError, ValueError) as exc:
                failures += 1
                message = (str(exc) if isinstance(exc, HttpJsonError)
                           else f"Ungültige Antwort von {public_url(url, {})}: {exc}.")
                report.rejected[offer_id] = (ERROR, message)
                if getattr(exc, "status", None) == 429:
                    report.stopped = "Der Server meldet zu viele Anfragen (HTTP 429); keine weiteren Anfragen."
                elif failures >= MAX_FAILURES:
                    report.stopped = f"{MAX_FAILURES} Fehler in Folge; keine weiteren Anfragen."
                continue
            finally:
                if progress is not None:
                    progress(min(requests, planned), planned)
            failures = 0
            report.asked.append(offer_id)
            cache[query.key] = Answer(query.key, source, retrieved, hit)
            write_cache(cache_path, cache)
        answer = cache[query.key]
        precision, kind, reason = usable(answer, query, outline_path)
        if precision is None:
            report.rejected[offer_id] = (kind, reason)
        elif change := improved_fields(row, answer, precision):
            report.used[offer_id] = precision
            improvements.append(_Improvement(index, answer, precision, change))
        else:
            report.not_better[offer_id] = _current_precision(row)
    if report.asked:
        report.written.append(cache_path)
    return report, improvements


def geocode_offers(offers_path: Path, cache_path: Path, url: str, fetch: Fetch | None = None,
                   sleep: Callable[[float], None] | None = None, today: date | None = None, limit: int | None = None,
                   apply_to: Path | None = None, outline_path: Path = OUTLINE_PATH) -> GeocodeReport:
    """Geocode the addresses of offers placed less precisely than an address; cache every answer.

    ``fetch`` (default :func:`fetch_nominatim`) and ``sleep`` (default
    :func:`time.sleep`) are injected for offline tests. The cache is rewritten
    atomically after every new answer, so an interrupted run loses nothing. With
    ``apply_to``, a copy of the offers file with the improved rows is written
    there. Raises :class:`GeocodeError` for unreadable input.
    """
    raw, text, rows = _read_offers(offers_path)
    if apply_to is not None:
        apply_to_csv_text(text.text, {}, offers_path.name)  # missing columns are reported before any request
    report, improvements = _geocode_rows([(row.get("id") or f"Zeile {line}", row) for line, row in rows], cache_path,
                                         url, fetch, sleep, today, limit, outline_path,
                                         limit_reason=f"nicht angefragt: --limit {limit} erreicht")
    if apply_to is not None:
        updates = {rows[i.index][0]: i.changes for i in improvements}
        result = apply_to_csv_text(text.text, updates, offers_path.name)
        data = _encode_like(result, raw, text.encoding)
        write_atomic(apply_to, lambda tmp: tmp.write_bytes(data))
        report.written.append(apply_to)
    return report


@dataclass(frozen=True)
class LocationProposal:
    """A better location for one offer of the store, for the editor to accept or not (nothing is saved yet)."""

    offer_id: str
    name: str
    address: str
    current_precision: str
    """``lage_genauigkeit`` of the offer now (``unbekannt``, ``stadtteil`` or ``strasse``)."""
    precision: str
    """Proposed ``lage_genauigkeit``: ``adresse`` (house number matched) or ``strasse``."""
    lat: float
    lon: float
    """The hit in WGS84 degrees (EPSG:4326), inside the city outline."""
    changes: dict[str, str]
    """What saving writes (:func:`improved_fields`): ``lat``, ``lon``, ``lage_genauigkeit`` and ``quelle`` (the
    offer's source with :attr:`note` appended)."""
    note: str
    """The text appended to ``quelle`` (:func:`quelle_note`): licence, date, query, OSM object, request URL."""
    hit: str
    """The geocoder's ``display_name`` of the hit (``treffer`` in the cache); untrusted text."""
    query: str
    source: str
    """Request URL without credentials."""
    retrieved: str
    """ISO date of the answer (an earlier date when it came from the cache)."""
    version: int | None
    """The offer's store version the proposal was made for (``expected_version`` when saving); ``None`` if the row
    had none."""

    @property
    def preselected(self) -> bool:
        """Ticked for saving without the editor's choice: only house-number hits (a street-level hit places the offer
        somewhere on its street and is left to the editor)."""
        return self.precision == "adresse"


def propose_locations(rows: Iterable[Mapping[str, object]], cache_path: Path, url: str, fetch: Fetch | None = None,
                      sleep: Callable[[float], None] | None = None, today: date | None = None,
                      limit: int | None = None, outline_path: Path = OUTLINE_PATH,
                      progress: Callable[[int, int], None] | None = None,
                      ) -> tuple[list[LocationProposal], GeocodeReport]:
    """The run of :func:`geocode_offers` on offer rows (e.g. :meth:`geo.store.offer_store.Store.all_offers` records,
    with ``version``): the same rules, the same cache, but instead of a file the improvements come back as
    :class:`LocationProposal` objects, in the order of ``rows``. ``progress(sent, planned)`` reports the requests.
    Raises :class:`GeocodeError` for a broken cache and :class:`OSError` when the cache cannot be written.
    """
    items = []
    for number, row in enumerate(rows, start=1):
        clean = {str(k): strip_control_chars("" if v is None else str(v)) for k, v in row.items()}
        items.append((clean.get("id") or f"Zeile {number}", clean))
    report, improvements = _geocode_rows(items, cache_path, url, fetch, sleep, today, limit, outline_path,
                                         limit_reason=f"nicht angefragt: höchstens {limit} Anfragen je Lauf",
                                         progress=progress)
    proposals = []
    for found in improvements:
        offer_id, row = items[found.index]
        hit = found.answer.hit
        assert hit is not None  # improved_fields returns changes only for a hit
        current = _current_precision(row)
        version = row.get("version", "")
        proposals.append(LocationProposal(
            offer_id, row.get("name", ""), row.get("adresse", ""), current, found.precision, hit.lat, hit.lon,
            found.changes, quelle_note(found.answer, found.precision, current), hit.label, found.answer.query,
            found.answer.source, found.answer.retrieved, int(version) if version.isdigit() else None))
    return proposals, report


def app_cache_path(configured: Path | None = None, shared: Path | None = None, fallback: Path | None = None) -> Path:
    """The cache file the app reads and writes.

    ``configured`` (``Settings.geocoder_cache``, ``QK_GEOCODER_CACHE``) if set; else ``shared`` (default
    :data:`CACHE_PATH`, the command line's ``--cache`` default, so both share their answers) when its folder is
    writable; else ``fallback`` (default :data:`FALLBACK_CACHE_PATH`: the systemd unit lets the app write only in
    ``var/``), first filled with the shared file's answers that it lacks, so a read-only ``data/`` still saves
    requests.
    """
    if configured is not None:
        return Path(configured)
    shared = shared if shared is not None else CACHE_PATH
    fallback = fallback if fallback is not None else FALLBACK_CACHE_PATH
    if os.access(shared.parent, os.W_OK):
        return shared
    if shared.exists():
        own, theirs = read_cache(fallback), read_cache(shared)
        if set(theirs) - set(own):
            write_cache(fallback, {**theirs, **own})
    return fallback


def _current_precision(row: Mapping[str, str]) -> str:
    return str(row.get("lage_genauigkeit", "") or "").strip().lower() or "unbekannt"


def _read_offers(path: Path):
    """``(raw bytes, decoded text, [(line, row dict)])``; cells un-neutralised for reading only."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise GeocodeError(f"{path}: Datei kann nicht gelesen werden ({exc.strerror or exc}).") from exc
    if kind := binary_kind(raw):
        raise GeocodeError(f"{path}: keine CSV-Textdatei, sondern {kind}.")
    decoded = decode_csv_bytes(raw)
    records = list(iter_records(decoded.text, sniff_delimiter(decoded.text)))
    if not records or records[0].error:
        raise GeocodeError(f"{path}: Datei ist leer oder hat keine Kopfzeile.")
    header = [strip_control_chars(h).lower() for h in records[0].fields]
    if "adresse" not in header or "lage_genauigkeit" not in header:
        raise GeocodeError(f"{path}: Spalten „adresse“ und „lage_genauigkeit“ werden gebraucht.")
    rows = []
    for record in records[1:]:
        if record.error:
            raise GeocodeError(f"{path}, Zeile {record.line}: {record.error}.")
        rows.append((record.line, {h: unneutralise_formula(strip_control_chars(v))
                                   for h, v in zip(header, record.fields)}))
    return raw, decoded, rows


def _encode_like(text: str, raw: bytes, encoding: str) -> bytes:
    """``text`` in the input's encoding (UTF-8 with BOM if it had one; Windows-1252 if it can hold every character)."""
    if encoding == "utf-8":
        return ("\ufeff" if raw.startswith(b"\xef\xbb\xbf") else "").encode("utf-8") + text.encode("utf-8")
    try:
        return text.encode(encoding)
    except UnicodeEncodeError:
        return text.encode("utf-8")


def _same_street(asked: str, found: str) -> bool:
    """Whether ``found`` (``address.road``) names the street of ``asked`` (``"Königstraße 13"``), spelling-tolerant."""
    name = search_key(_HOUSE_NUMBER.sub("", asked))
    road = search_key(found)
    return bool(name) and bool(road) and (name in road or road in name)


def _clean(value: object) -> str:
    return "" if value is None else " ".join(strip_control_chars(str(value)).split())


def format_report(report: GeocodeReport, url: str = "") -> str:
    """German summary with the offer ids of every group."""
    def ids(values) -> str:
        return ", ".join(sorted(values)) if values else "–"

    by_level = {level: [i for i, p in report.used.items() if p == level] for level in ("adresse", "strasse")}
    head = "Geocodierung" + (f" über {public_url(url, {})}" if url else "")
    lines = [f"{head}: angefragt {len(report.asked)}, aus dem Cache {len(report.cached)}, "
             f"übernommen {len(report.used)}, nicht übernommen {len(report.rejected)}.",
             f"  angefragt: {ids(report.asked)}",
             f"  aus dem Cache: {ids(report.cached)}",
             f"  übernommen mit Hausnummer (adresse): {ids(by_level['adresse'])}",
             f"  übernommen nur Straße (strasse): {ids(by_level['strasse'])}"]
    if report.not_better:
        lines.append(f"  Treffer nicht genauer als die vorhandene Lage: {ids(report.not_better)}")
    for kind, label in REJECTION_LABELS.items():
        group = {i: why for i, (k, why) in report.rejected.items() if k == kind}
        if group:
            lines.append(f"  nicht übernommen – {label}: {len(group)}")
            lines += [f"    {i}: {why}" for i, why in sorted(group.items())]
    if report.not_asked:
        lines.append(f"  nicht angefragt: {len(report.not_asked)}")
        lines += [f"    {i}: {why}" for i, why in sorted(report.not_asked.items())]
    if report.nothing_answered:
        lines.append(f"Keine Anfrage erfolgreich ({len(report.failed)} fehlgeschlagen, siehe HTTP-/Netzfehler).")
    if report.stopped:
        lines.append(f"Abgebrochen: {report.stopped}")
    if report.written:
        lines.append("Geschrieben: " + ", ".join(str(p) for p in report.written))
    lines.append("Geocodierte Koordinaten: Nominatim/OpenStreetMap, Daten © OpenStreetMap-Mitwirkende, ODbL 1.0.")
    return "\n".join(lines)
