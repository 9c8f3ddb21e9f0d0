"""Addresses of offers → coordinates with a Nominatim-compatible geocoder (off by default).

For a machine with internet: ``python -m geo geocode --url https://nominatim.openstreetmap.org/search``
(or ``QK_GEOCODER_URL``). Every answer goes into a cache CSV with the request URL,
the date and the licence, so a coordinate keeps its source and a re-run asks
nothing twice. Only results inside the city outline and at house-number or
street level are used; ``--apply`` writes a copy of the offers file with the
better locations. HTTP is injected (``fetch``) so that everything but
:func:`fetch_nominatim` runs offline in the tests.
"""
from __future__ import annotations

import csv
import re
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from .fileio import write_atomic
from .http import USER_AGENT, HttpJsonError, request_json
from .outline import OUTLINE_PATH, lonlat_inside
from .text import neutralise_formula, unneutralise_formula

CACHE_COLUMNS = ("abfrage", "lat", "lon", "treffer", "osm_typ", "osm_id", "genauigkeit", "quelle", "abgerufen", "lizenz")
LICENCE = "ODbL 1.0, © OpenStreetMap-Mitwirkende"
MIN_INTERVAL_S = 1.0
"""Nominatim's usage policy: at most one request per second."""
MAX_FAILURES = 3
"""Consecutive failed requests after which the run stops (server down, blocked, no internet)."""
_PRECISION_RANK = {"unbekannt": 0, "stadtteil": 1, "strasse": 2, "adresse": 3}
_HOUSE_TYPES = {"house", "building", "apartments", "residential_building", "place"}
_STREET_TYPES = {"road", "street", "pedestrian", "residential", "living_street", "footway", "square"}

Fetch = Callable[[str, dict], object]


@dataclass(frozen=True)
class AddressQuery:
    """A structured Nominatim query for one address in Minden."""

    street: str
    postalcode: str = ""

    @property
    def key(self) -> str:
        """The cache key: the query as a person would read it."""
        return ", ".join(x for x in (self.street, self.postalcode, "Minden") if x)

    def params(self) -> dict[str, str]:
        params = {"street": self.street, "city": "Minden", "countrycodes": "de", "format": "jsonv2",
                  "addressdetails": "1", "limit": "1"}
        if self.postalcode:
            params["postalcode"] = self.postalcode
        return params


@dataclass(frozen=True)
class GeocodeResult:
    query: str
    lat: float
    lon: float
    label: str
    osm_type: str
    osm_id: str
    precision: str | None
    """``adresse`` (house number matched), ``strasse`` (street matched) or ``None`` (coarser: not used)."""
    source: str
    retrieved: str


def query_for_address(address: str) -> AddressQuery | None:
    """The structured query for an offer's ``adresse`` text, or ``None`` if it names no street.

    Remarks in brackets and after ``;`` are dropped; the first part with a
    street-like word is the street, a five-digit number the postcode:
    ``"Königstraße 13, 32423 Minden"`` → street ``Königstraße 13``, postcode ``32423``.
    """
    text = re.sub(r"\([^)]*\)", "", address.split(";")[0])
    parts = [p.strip() for p in text.split(",") if p.strip()]
    postcode = next((m.group(0) for p in parts if (m := re.search(r"\b\d{5}\b", p))), "")
    street = next((p for p in parts if re.search(r"(straße|strasse|str\.|weg|ring|wall|platz|allee|kirchhof|heide|"
                                                  r"kamp|damm|ufer|gasse|hof|markt|bauern)\b", p, re.IGNORECASE)
                   and not re.fullmatch(r"\d{5}\s+\w+", p)), "")
    street = re.sub(r"^(an der Straße|am|an der)\s+", "", street, flags=re.IGNORECASE).strip()
    return AddressQuery(street, postcode) if street else None


def parse_response(data: object, query: AddressQuery, source: str, retrieved: str) -> GeocodeResult | None:
    """The first hit of a jsonv2 answer with its match level, or ``None`` for an empty answer."""
    if not isinstance(data, list) or not data or not isinstance(data[0], dict):
        return None
    hit = data[0]
    try:
        lat, lon = float(hit["lat"]), float(hit["lon"])
    except (KeyError, TypeError, ValueError):
        return None
    address = hit.get("address") or {}
    kind = str(hit.get("addresstype") or hit.get("type") or "")
    if address.get("house_number") or kind in _HOUSE_TYPES:
        precision = "adresse"
    elif kind in _STREET_TYPES or hit.get("category") == "highway" or hit.get("class") == "highway":
        precision = "strasse"
    else:
        precision = None
    return GeocodeResult(query.key, lat, lon, str(hit.get("display_name", "")), str(hit.get("osm_type", "")),
                         str(hit.get("osm_id", "")), precision, source, retrieved)


def usable(result: GeocodeResult | None, outline_path: Path = OUTLINE_PATH) -> tuple[bool, str]:
    """Whether a result may place an offer, and if not, why (German)."""
    if result is None:
        return False, "kein Treffer"
    if result.precision is None:
        return False, "Treffer zu ungenau (weder Hausnummer noch Straße)"
    if not lonlat_inside([result.lon], [result.lat], outline_path)[0]:
        return False, f"Treffer ({result.lat:.5f}, {result.lon:.5f}) liegt außerhalb Minden"
    return True, ""


def request_url(base_url: str, query: AddressQuery) -> str:
    """The GET URL for ``query`` (no personal data: the address of a public offer only)."""
    return f"{base_url}?{urllib.parse.urlencode(query.params())}"


def fetch_nominatim(url: str, params: dict, timeout_s: float = 30) -> object:
    """HTTP GET against a Nominatim-compatible search endpoint (the only network access here)."""
    request = urllib.request.Request(f"{url}?{urllib.parse.urlencode(params)}",
                                     headers={"User-Agent": USER_AGENT, "Accept": "application/json"})
    return request_json(request, f"Geocoding-Server {url}", timeout_s)


def read_cache(path: Path) -> dict[str, GeocodeResult | None]:
    """Cached answers by query key (``None`` for a cached empty or coarse answer without coordinates)."""
    if not path.exists():
        return {}
    cache: dict[str, GeocodeResult | None] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            row = {k: unneutralise_formula(v or "") for k, v in row.items()}
            if not row["lat"]:
                cache[row["abfrage"]] = None
                continue
            cache[row["abfrage"]] = GeocodeResult(row["abfrage"], float(row["lat"]), float(row["lon"]), row["treffer"],
                                                  row["osm_typ"], row["osm_id"], row["genauigkeit"] or None,
                                                  row["quelle"], row["abgerufen"])
    return cache


def write_cache(path: Path, cache: dict[str, GeocodeResult | None], sources: dict[str, tuple[str, str]]) -> None:
    """Write all cached answers atomically; ``sources`` gives (URL, date) for keys without a hit."""
    def write(tmp: Path) -> None:
        with tmp.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(CACHE_COLUMNS)
            for key in sorted(cache):
                r = cache[key]
                if r is None:
                    url, day = sources.get(key, ("", ""))
                    values = [key, "", "", "", "", "", "", url, day, LICENCE]
                else:
                    values = [key, f"{r.lat:.7f}", f"{r.lon:.7f}", r.label, r.osm_type, r.osm_id, r.precision or "",
                              r.source, r.retrieved, LICENCE]
                writer.writerow([neutralise_formula(v) for v in values])
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, write)


def improved_row(row: dict[str, str], result: GeocodeResult) -> dict[str, str] | None:
    """``row`` with the geocoded location if that is more precise than the current one, else ``None``."""
    current = row.get("lage_genauigkeit", "unbekannt") or "unbekannt"
    if result.precision is None or _PRECISION_RANK[result.precision] <= _PRECISION_RANK.get(current, 0):
        return None
    note = (f"Koordinate: Nominatim/OpenStreetMap ({LICENCE}), abgefragt am {result.retrieved}: "
            f"„{result.query}“ → {result.label} ({result.source})")
    quelle = "; ".join(x for x in (row.get("quelle", ""), note) if x)
    return {**row, "lat": f"{result.lat:.6f}", "lon": f"{result.lon:.6f}", "lage_genauigkeit": result.precision,
            "quelle": quelle}


@dataclass
class GeocodeReport:
    asked: list[str] = field(default_factory=list)
    cached: list[str] = field(default_factory=list)
    used: dict[str, str] = field(default_factory=dict)
    """offer id → precision of the location taken."""
    rejected: dict[str, str] = field(default_factory=dict)
    """offer id → reason."""
    errors: list[str] = field(default_factory=list)


def geocode_offers(offers_path: Path, cache_path: Path, url: str, fetch: Fetch = fetch_nominatim,
                   sleep: Callable[[float], None] = time.sleep, today: date | None = None, limit: int | None = None,
                   apply_to: Path | None = None, outline_path: Path = OUTLINE_PATH) -> GeocodeReport:
    """Geocode the addresses of offers that are placed less precisely than an address; update the cache.

    With ``apply_to``, also write a copy of the offers file with the improved
    locations there (never downgrading one; rows without a usable result stay as they were).
    """
    retrieved = (today or date.today()).isoformat()
    with offers_path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        header = list(reader.fieldnames or [])
        rows = [{k: unneutralise_formula(v or "") for k, v in r.items()} for r in reader]
    cache = read_cache(cache_path)
    sources: dict[str, tuple[str, str]] = {}
    report = GeocodeReport()
    results: dict[str, GeocodeResult | None] = {}
    failures = 0
    asked_before = False
    for row in rows:
        if _PRECISION_RANK.get(row.get("lage_genauigkeit", ""), 0) >= _PRECISION_RANK["adresse"]:
            continue
        query = query_for_address(row.get("adresse", ""))
        if query is None:
            continue
        if query.key in cache:
            report.cached.append(row["id"])
        elif limit is not None and len(report.asked) >= limit:
            continue
        else:
            if asked_before:
                sleep(MIN_INTERVAL_S)
            asked_before = True
            source = request_url(url, query)
            try:
                data = fetch(url, query.params())
                failures = 0
            except HttpJsonError as exc:
                report.errors.append(f"{row['id']}: {exc}")
                failures += 1
                if failures >= MAX_FAILURES:
                    report.errors.append(f"Abbruch nach {MAX_FAILURES} Fehlern in Folge.")
                    break
                continue
            report.asked.append(row["id"])
            cache[query.key] = parse_response(data, query, source, retrieved)
            sources[query.key] = (source, retrieved)
        result = cache[query.key]
        ok, reason = usable(result, outline_path)
        if ok:
            report.used[row["id"]] = result.precision
            results[row["id"]] = result
        else:
            report.rejected[row["id"]] = reason
    if report.asked:
        write_cache(cache_path, cache, sources)
    if apply_to is not None:
        updated = [improved_row(r, results[r["id"]]) or r if r["id"] in results else r for r in rows]
        _write_offers(apply_to, header, updated)
    return report


def _write_offers(path: Path, header: list[str], rows: list[dict[str, str]]) -> None:
    def write(tmp: Path) -> None:
        with tmp.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=header, lineterminator="\n", extrasaction="ignore")
            writer.writeheader()
            for row in rows:
                writer.writerow({k: neutralise_formula(row.get(k, "")) for k in header})
    write_atomic(path, write)


def format_report(report: GeocodeReport) -> str:
    lines = [f"Angefragt: {len(report.asked)}, aus dem Cache: {len(report.cached)}, "
             f"übernommen: {len(report.used)} ({sum(v == 'adresse' for v in report.used.values())} mit Hausnummer, "
             f"{sum(v == 'strasse' for v in report.used.values())} nur Straße), nicht übernommen: {len(report.rejected)}."]
    lines += [f"  nicht übernommen – {oid}: {why}" for oid, why in sorted(report.rejected.items())]
    lines += [f"  Fehler – {e}" for e in report.errors]
    return "\n".join(lines)

