"""Import of Minden's boundary, Stadtteile and offers from OpenStreetMap (Overpass API).

``python -m geo import-osm`` runs :func:`run_import` on a machine with internet
access. Everything except :func:`fetch_overpass` is a pure function on the
parsed Overpass JSON, so the whole pipeline is tested offline with fixtures.

Coordinate reference systems:

* Overpass delivers WGS84 longitude/latitude in degrees (EPSG:4326); the
  output files are EPSG:4326 as well.
* Every area, clipping, Voronoi tessellation and point-in-polygon test is
  computed in ETRS89 / UTM 32N (EPSG:25832, metres).

Licence: the data is © OpenStreetMap-Mitwirkende under the Open Database
License (ODbL) 1.0. :func:`run_import` writes ``ATTRIBUTION.md`` with the date,
the endpoint and the exact queries next to the data.
"""
from __future__ import annotations

import csv
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely
from shapely.geometry import LineString, MultiPolygon, Point, Polygon

from geo.config import DISPLAY_CRS, METRIC_CRS
from geo.data.districts import DISTRICT_COLUMNS, polygonal_part
from geo.data.fileio import write_atomic
from geo.data.offers import OFFER_COLUMNS
from geo.exchange.http import USER_AGENT, HttpJsonError, request_json
from geo.text import neutralise_formula, slugify, strip_control_chars

DEFAULT_ENDPOINT = "https://overpass-api.de/api/interpreter"
MINDEN_GEMEINDESCHLUESSEL = "05770024"
"""Amtlicher Gemeindeschlüssel (AGS) of Minden, Kreis Minden-Lübbecke."""

OSM_LICENCE = (
    "Daten © OpenStreetMap-Mitwirkende, verfügbar unter der Open Database License (ODbL) 1.0, "
    "https://www.openstreetmap.org/copyright"
)
OSM_SCHEMATIC = "schematisch"
OSM_GEOMETRY = "osm"


ZUSAMMENLEBEN = "Zusammenleben und Teilhabe"
BILDUNG = "Bildung"
ARBEIT = "Arbeitsmarktintegration"
WOHNEN = "Wohnen"

HANDLUNGSFELD_MAPPING: dict[tuple[str, str], tuple[str, str]] = {
    # (OSM key, OSM value) -> (Handlungsfeld, Kategorie).
    # Order matters: the FIRST entry whose tag the element carries wins, so the
    # specific social_facility rules come before the generic amenity ones.
    # Value "*" matches any value. Tags holding lists ("a;b") match per item.
    # --- Wohnen
    ("social_facility:for", "homeless"): (WOHNEN, "Wohnungslosenhilfe"),
    ("social_facility", "assisted_living"): (WOHNEN, "Betreutes Wohnen"),
    ("social_facility", "group_home"): (WOHNEN, "Wohngruppe"),
    ("social_facility", "shelter"): (WOHNEN, "Notunterkunft"),
    # --- Arbeitsmarktintegration
    ("office", "employment_agency"): (ARBEIT, "Arbeitsvermittlung"),
    ("amenity", "jobcentre"): (ARBEIT, "Jobcenter"),
    ("social_facility:for", "unemployed"): (ARBEIT, "Beratung"),
    ("social_facility", "workshop"): (ARBEIT, "Werkstatt"),
    # --- Bildung
    ("amenity", "language_school"): (BILDUNG, "Sprachkurs"),
    ("amenity", "school"): (BILDUNG, "Schule"),
    ("amenity", "kindergarten"): (BILDUNG, "Kita"),
    ("amenity", "library"): (BILDUNG, "Bibliothek"),
    ("amenity", "college"): (BILDUNG, "Weiterbildung"),
    # --- Zusammenleben und Teilhabe
    ("amenity", "community_centre"): (ZUSAMMENLEBEN, "Begegnung"),
    ("amenity", "social_centre"): (ZUSAMMENLEBEN, "Begegnung"),
    ("garden:type", "community"): (ZUSAMMENLEBEN, "Gemeinschaftsgarten"),
    ("leisure", "sports_centre"): (ZUSAMMENLEBEN, "Sport"),
    ("amenity", "theatre"): (ZUSAMMENLEBEN, "Kultur"),
    ("amenity", "arts_centre"): (ZUSAMMENLEBEN, "Kultur"),
    ("office", "association"): (ZUSAMMENLEBEN, "Verein"),
    ("office", "ngo"): (ZUSAMMENLEBEN, "Verein"),
    ("amenity", "social_facility"): (ZUSAMMENLEBEN, "Beratung"),
    ("social_facility", "*"): (ZUSAMMENLEBEN, "Beratung"),
}
"""Documented OSM-tag → Handlungsfeld mapping; elements matching no entry are skipped and counted."""

PROTECTED_GROUPS = frozenset({"refugee", "abused", "woman", "women", "child", "juvenile", "migrant", "orphan"})
"""``social_facility:for`` values for which shelters and group homes are NOT imported (see :func:`exclusion_reason`)."""

ZIELGRUPPEN: dict[str, str] = {
    "migrant": "Zugewanderte", "refugee": "Geflüchtete", "senior": "Ältere", "juvenile": "Jugendliche",
    "child": "Kinder", "family": "Familien", "woman": "Frauen", "women": "Frauen", "homeless": "Wohnungslose",
    "unemployed": "Arbeitsuchende", "disabled": "Menschen mit Behinderung", "drug_addicted": "Suchtkranke",
    "mental_health": "Menschen mit psychischen Erkrankungen", "abused": "Gewaltbetroffene",
}
"""``social_facility:for`` values → ``zielgruppen`` (German, ``;``-separated as in ``angebote.csv``)."""

SPRACHEN: dict[str, str] = {
    "de": "Deutsch", "en": "Englisch", "tr": "Türkisch", "ar": "Arabisch", "ru": "Russisch", "uk": "Ukrainisch",
    "pl": "Polnisch", "fa": "Persisch", "prs": "Dari", "ps": "Paschtu", "ku": "Kurdisch", "ro": "Rumänisch",
    "bg": "Bulgarisch", "fr": "Französisch", "es": "Spanisch", "it": "Italienisch", "el": "Griechisch",
    "sq": "Albanisch", "ti": "Tigrinya", "so": "Somali",
}
"""``language:<code>=yes`` → ``sprachen``; unknown codes are kept as the code."""

BARRIEREFREI: dict[str, str] = {"yes": "ja", "limited": "ja", "designated": "ja", "no": "nein"}
KOSTEN: dict[str, str] = {"no": "kostenlos", "yes": "kostenpflichtig"}

DISTRICT_GROUP_ORDER: tuple[str, ...] = ("admin_level=9", "admin_level=10", "place")
"""District polygons come in families; the first family with at least one polygon inside the city is used."""

PLACE_NODE_TIERS: tuple[tuple[str, ...], ...] = (
    ("suburb", "village"),
    ("suburb", "village", "quarter"),
    ("suburb", "village", "quarter", "neighbourhood"),
)
"""Fallback: the first tier giving at least two place nodes inside the city is tessellated."""

MIN_INSIDE_SHARE = 0.5
"""A district polygon is kept if at least this share of its area (EPSG:25832) lies inside the city.

Overpass' ``(area.x)`` filter also returns neighbouring districts that merely
share a border way with the city; their clipped area is ~0."""


class OsmImportError(Exception):
    """The import cannot continue; ``str(error)`` is a German message meant for the user."""


@dataclass
class ImportReport:
    """Counts and files of one :func:`run_import` run."""

    districts: int
    districts_source: str
    """``"osm"`` (OSM polygons) or ``"schematisch"`` (Voronoi cells around place nodes)."""
    offers: int
    skipped_without_name: int
    outside_districts: int
    skipped_excluded: int = 0
    """Shelters / accommodation deliberately not published (see :func:`exclusion_reason`)."""
    skipped_unmapped: int = 0
    """Named elements matching no entry of :data:`HANDLUNGSFELD_MAPPING`."""
    stand: str = ""
    """Import date (ISO)."""
    datenstand: str = ""
    """``osm3s.timestamp_osm_base`` of the Overpass response, if given."""
    files: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- queries

def build_overpass_queries(
    area_name: str = "Minden",
    admin_level_city: str = "8",
    gemeindeschluessel: str | None = MINDEN_GEMEINDESCHLUESSEL,
    timeout_s: int = 180,
) -> dict[str, str]:
    """Overpass QL for the four requests of the import (keys in request order).

    ``stadtgrenze``: the municipal boundary relation; ``stadtteile``: district
    polygons inside it; ``ortspunkte``: place nodes (fallback for Voronoi
    cells); ``angebote``: offer POIs. The city is selected by its amtlicher
    Gemeindeschlüssel (robust against renamed or duplicate names); with
    ``gemeindeschluessel=None`` the ``name`` tag is used instead. All results
    are WGS84 (EPSG:4326).
    """
    city = f'["boundary"="administrative"]["admin_level"="{_ql(admin_level_city)}"]'
    if gemeindeschluessel:
        city += f'["de:amtlicher_gemeindeschluessel"="{_ql(gemeindeschluessel)}"]'
    else:
        city += f'["name"="{_ql(area_name)}"]'
    head = f"[out:json][timeout:{int(timeout_s)}];\n"
    area = f"area{city}->.gemeinde;\n"
    amenities = ("community_centre|social_facility|library|language_school|school|kindergarten|social_centre|"
                 "theatre|arts_centre|college|jobcentre")
    return {
        "stadtgrenze": f"{head}// Stadtgrenze {area_name}\nrelation{city};\nout geom;",
        "stadtteile": (
            f"{head}{area}(\n"
            '  relation["boundary"="administrative"]["admin_level"~"^(9|10)$"](area.gemeinde);\n'
            '  relation["boundary"="place"](area.gemeinde);\n'
            '  relation["place"~"^(suburb|quarter|borough)$"](area.gemeinde);\n'
            '  way["place"~"^(suburb|quarter|borough)$"](area.gemeinde);\n'
            ");\nout geom;"
        ),
        "ortspunkte": (
            f'{head}{area}node["place"~"^(suburb|quarter|village|neighbourhood)$"](area.gemeinde);\nout body;'
        ),
        "angebote": (
            f"{head}{area}(\n"
            f'  nwr["amenity"~"^({amenities})$"](area.gemeinde);\n'
            '  nwr["office"~"^(employment_agency|association|ngo)$"](area.gemeinde);\n'
            '  nwr["social_facility"](area.gemeinde);\n'
            '  nwr["leisure"="sports_centre"](area.gemeinde);\n'
            '  nwr["leisure"="garden"]["garden:type"="community"](area.gemeinde);\n'
            ")->.angebote;\n"
            "node.angebote;\nout body;\n"
            "(way.angebote; relation.angebote;);\nout center tags;"
        ),
    }


def _ql(value: str) -> str:
    """Escape a value for a double-quoted Overpass QL string."""
    return str(value).replace("\\", "\\\\").replace('"', '\\"')


# --------------------------------------------------------------------------- network

def fetch_overpass(query: str, endpoint: str = DEFAULT_ENDPOINT, timeout_s: int = 180) -> dict:
    """POST ``query`` to an Overpass endpoint and return the parsed JSON.

    Raises :class:`OsmImportError` with a German message on any network,
    HTTP, JSON or Overpass runtime error.
    """
    body = urllib.parse.urlencode({"data": query}).encode("utf-8")
    request = urllib.request.Request(
        endpoint, data=body, method="POST",
        headers={"User-Agent": USER_AGENT, "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
                 "Accept": "application/json"},
    )
    try:
        data = request_json(request, f"Overpass-Server {endpoint}", timeout_s)
    except HttpJsonError as exc:
        raise OsmImportError(str(exc)) from exc
    check_overpass_response(data, endpoint)
    assert isinstance(data, dict)  # check_overpass_response raised otherwise
    return data


def check_overpass_response(data: object, endpoint: str = "Overpass") -> None:
    """Raise :class:`OsmImportError` if ``data`` is not a complete Overpass JSON result.

    Overpass reports query time-outs and memory limits with HTTP 200 and a
    ``remark``; the elements are then incomplete and must not be used.
    """
    if not isinstance(data, dict) or not isinstance(data.get("elements"), list):
        raise OsmImportError(f"Die Antwort von {endpoint} enthält keine OSM-Elemente.")
    remark = str(data.get("remark") or "")
    if "error" in remark.lower():
        raise OsmImportError(f"Der Overpass-Server {endpoint} meldet einen Fehler: {strip_control_chars(remark)[:300]}")


# --------------------------------------------------------------------------- geometry

def boundary_from_overpass(data: dict) -> Polygon | MultiPolygon:
    """City outline (EPSG:4326) from an ``out geom`` response with the boundary relation.

    Outer and inner member ways are merged into rings separately; inner rings
    (enclaves of other municipalities) become holes. Several matching
    relations are united. The result is valid (:func:`shapely.make_valid`).
    """
    relations = [e for e in _elements(data) if e.get("type") == "relation"]
    if not relations:
        raise OsmImportError("Die Stadtgrenze wurde in der Overpass-Antwort nicht gefunden "
                             "(keine Relation mit dem Gemeindeschlüssel).")
    shapes = [relation_polygon(rel) for rel in relations]
    shapes = [s for s in shapes if not s.is_empty]
    if not shapes:
        raise OsmImportError("Die Stadtgrenze aus OpenStreetMap ist kein geschlossener Umriss.")
    return polygonal_part(shapely.make_valid(shapely.union_all(shapes)))


def relation_polygon(relation: dict) -> Polygon | MultiPolygon:
    """Polygon (EPSG:4326) of a multipolygon/boundary relation from its members' ``geometry``.

    Returns an empty polygon if the outer ways do not close.
    """
    outer: list[LineString] = []
    inner: list[LineString] = []
    for member in relation.get("members") or []:
        if member.get("type") != "way":
            continue
        line = _line(member.get("geometry"))
        if line is None:
            continue
        (inner if member.get("role") == "inner" else outer).append(line)
    shell = _rings_to_polygon(outer)
    if shell.is_empty:
        return shell
    holes = _rings_to_polygon(inner)
    return polygonal_part(shapely.make_valid(shell.difference(holes) if not holes.is_empty else shell))


def _way_polygon(way: dict) -> Polygon | MultiPolygon:
    line = _line(way.get("geometry"))
    return Polygon() if line is None else _rings_to_polygon([line])


def _line(geometry: object) -> LineString | None:
    """LineString (lon, lat) from an Overpass ``geometry`` list; ``None`` entries (clipped) are skipped."""
    if not isinstance(geometry, list):
        return None
    coords = [(float(p["lon"]), float(p["lat"])) for p in geometry if isinstance(p, dict) and "lat" in p and "lon" in p]
    return LineString(coords) if len(coords) >= 2 else None


def _rings_to_polygon(lines: list[LineString]) -> Polygon | MultiPolygon:
    """Join way segments into closed rings and polygonize them (nested rings → union)."""
    if not lines:
        return Polygon()
    merged = shapely.line_merge(shapely.union_all(lines))  # union nodes the lines; line_merge joins shared ends
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(merged)))
    if len(faces) == 0:
        return Polygon()
    return polygonal_part(shapely.make_valid(shapely.union_all(faces)))


def _to_metric(geom):
    return gpd.GeoSeries([geom], crs=DISPLAY_CRS).to_crs(METRIC_CRS).iloc[0]


# --------------------------------------------------------------------------- districts

def districts_from_overpass(
    district_data: dict, boundary: Polygon | MultiPolygon, today: date | None = None
) -> gpd.GeoDataFrame:
    """Stadtteile (EPSG:4326) with columns ``id, name, geometrie, quelle, geometry``.

    ``district_data`` is an Overpass response (or several merged) with
    district polygons and/or place nodes; ``boundary`` is the city outline in
    EPSG:4326. OSM district polygons (``geometrie = "osm"``) are clipped to
    the boundary. Without any, the place nodes inside the city are
    tessellated into Voronoi cells computed in EPSG:25832 and clipped to the
    boundary (``geometrie = "schematisch"``); the cells are valid, do not
    overlap and together cover the boundary.
    """
    today = today or date.today()
    boundary_m = _to_metric(boundary)
    elements = _elements(district_data)
    polygons = _district_polygons(elements, boundary_m)
    if polygons:
        rows = polygons
        source = OSM_GEOMETRY
    else:
        rows = _voronoi_districts(elements, boundary_m)
        source = OSM_SCHEMATIC
    seen: dict[str, int] = {}
    records, geoms = [], []
    for element, name, geom in sorted(rows, key=lambda r: (r[1].casefold(), r[0]["id"])):
        ident = _unique(slugify(name) or f"osm-{element['type']}-{element['id']}", seen)
        quelle = (f"© OpenStreetMap-Mitwirkende, ODbL 1.0, Overpass-Abfrage vom {today.isoformat()}; "
                  f"OSM {element['type']}/{element['id']}")
        if source == OSM_SCHEMATIC:
            quelle += " (schematisch: Voronoi-Zelle um den Ortspunkt, keine amtliche Grenze)"
        records.append({"id": ident, "name": name, "geometrie": source, "quelle": quelle})
        geoms.append(geom)
    frame = gpd.GeoDataFrame(pd.DataFrame(records, columns=list(DISTRICT_COLUMNS)), geometry=geoms, crs=METRIC_CRS)
    return frame.to_crs(DISPLAY_CRS)


def _district_group(tags: dict) -> str | None:
    if tags.get("boundary") == "administrative" and tags.get("admin_level") in ("9", "10"):
        return f"admin_level={tags['admin_level']}"
    if tags.get("boundary") == "place" or tags.get("place") in ("suburb", "quarter", "borough"):
        return "place"
    return None


def _district_polygons(elements: list[dict], boundary_m) -> list[tuple[dict, str, object]]:
    """(element, name, clipped metric geometry) of the first usable district family."""
    groups: dict[str, list[tuple[dict, str, object]]] = {}
    for element in elements:
        if element.get("type") not in ("way", "relation"):
            continue
        tags = element.get("tags") or {}
        name = _clean(tags.get("name"))
        group = _district_group(tags)
        if not name or group is None:
            continue
        shape = relation_polygon(element) if element["type"] == "relation" else _way_polygon(element)
        if shape.is_empty:
            continue
        shape_m = _to_metric(shape)
        clipped = polygonal_part(shapely.make_valid(shape_m.intersection(boundary_m)))
        if clipped.is_empty or clipped.area < MIN_INSIDE_SHARE * shape_m.area:
            continue
        groups.setdefault(group, []).append((element, name, clipped))
    for group in DISTRICT_GROUP_ORDER:
        if groups.get(group):
            return groups[group]
    return []


def _voronoi_districts(elements: list[dict], boundary_m) -> list[tuple[dict, str, object]]:
    nodes = []
    for element in elements:
        tags = element.get("tags") or {}
        name = _clean(tags.get("name"))
        if element.get("type") != "node" or not name or "lat" not in element or "lon" not in element:
            continue
        nodes.append((element, name, tags.get("place")))
    if not nodes:
        raise OsmImportError("In OpenStreetMap wurden weder Stadtteilgrenzen noch Ortspunkte "
                             "(place=suburb/village …) innerhalb der Stadtgrenze gefunden.")
    points = gpd.GeoSeries([Point(float(e["lon"]), float(e["lat"])) for e, _, _ in nodes], crs=DISPLAY_CRS)
    points_m = list(points.to_crs(METRIC_CRS))
    chosen: list[tuple[dict, str, Point]] = []
    for tier in PLACE_NODE_TIERS:
        chosen, seen_xy = [], set()
        for (element, name, place), point in zip(nodes, points_m):
            key = (round(point.x, 1), round(point.y, 1))
            if place in tier and boundary_m.contains(point) and key not in seen_xy:
                seen_xy.add(key)
                chosen.append((element, name, point))
        if len(chosen) >= 2:
            break
    if not chosen:
        raise OsmImportError("Keiner der Ortspunkte aus OpenStreetMap liegt innerhalb der Stadtgrenze.")
    if len(chosen) == 1:
        return [(chosen[0][0], chosen[0][1], boundary_m)]
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.MultiPoint([p for _, _, p in chosen]),
                                                       extend_to=boundary_m))
    rows = []
    for element, name, point in chosen:
        cell = next(c for c in cells if c.contains(point))
        rows.append((element, name, polygonal_part(shapely.make_valid(cell.intersection(boundary_m)))))
    return rows


def _unique(ident: str, seen: dict[str, int]) -> str:
    if ident not in seen:
        seen[ident] = 1
        return ident
    seen[ident] += 1
    return _unique(f"{ident}-{seen[ident]}", seen)


# --------------------------------------------------------------------------- offers

def exclusion_reason(tags: dict) -> str | None:
    """Why an element must not be published as an offer, or ``None``.

    Shelters and group homes for refugees, victims of violence, women,
    children or young people (and shelters without a stated target group,
    which may be a Frauenhaus) are places where people live, some with
    confidential addresses – not offers. ``amenity=refugee_site`` likewise.
    Homeless shelters (``social_facility:for=homeless``) are kept (Wohnen).
    """
    if tags.get("amenity") == "refugee_site":
        return "Unterkunft für Geflüchtete"
    facility = tags.get("social_facility")
    groups = set(_split(tags.get("social_facility:for")))
    if facility in ("shelter", "group_home") and groups & PROTECTED_GROUPS:
        return "Schutz- oder Wohnunterkunft"
    if facility == "shelter" and "homeless" not in groups:
        return "Schutzunterkunft ohne Zielgruppe"
    return None


def classify(tags: dict) -> tuple[str, str] | None:
    """(Handlungsfeld, Kategorie) by the first matching entry of :data:`HANDLUNGSFELD_MAPPING`."""
    for (key, value), target in HANDLUNGSFELD_MAPPING.items():
        if key in tags and (value == "*" or value in _split(tags[key])):
            return target
    return None


@dataclass
class OfferStats:
    skipped_without_name: int = 0
    skipped_excluded: int = 0
    skipped_unmapped: int = 0
    outside_districts: int = 0


def offers_from_overpass(
    poi_data: dict, districts: gpd.GeoDataFrame, today: date | None = None, stats: OfferStats | None = None
) -> pd.DataFrame:
    """Offers with exactly :data:`OFFER_COLUMNS` (in that order), sorted by name.

    ``lat``/``lon`` are WGS84 floats (NaN if OSM gave no position); all other
    columns are text. Values are OSM tags with control characters removed and
    whitespace collapsed – NOT HTML-escaped (that happens when rendering).
    ``lage_genauigkeit`` is ``"adresse"`` for every element with a position:
    a node, or the centre of a way/relation, is where the mapper put the
    place. ``stadtteil`` is the name of the district polygon containing the
    point (tested in EPSG:25832), empty if none does. Pass ``stats`` to
    receive the skip and outside counts.
    """
    today = today or date.today()
    stats = stats if stats is not None else OfferStats()
    rows: list[dict] = []
    for element in _elements(poi_data):
        kind = element.get("type")
        if kind not in ("node", "way", "relation"):
            continue
        tags = {str(k): str(v) for k, v in (element.get("tags") or {}).items()}
        name = _clean(tags.get("name"))
        if not name:
            stats.skipped_without_name += 1
            continue
        if exclusion_reason(tags):
            stats.skipped_excluded += 1
            continue
        target = classify(tags)
        if target is None:
            stats.skipped_unmapped += 1
            continue
        lat, lon = _position(element)
        rows.append({
            "id": f"osm-{kind}-{element.get('id')}",
            "name": name,
            "traeger": _clean(tags.get("operator")),
            "handlungsfeld": target[0],
            "kategorie": target[1],
            "zielgruppen": ";".join(_target_groups(tags)),
            "sprachen": ";".join(_languages(tags)),
            "kosten": KOSTEN.get(tags.get("fee", "").strip().lower(), "unbekannt"),
            "adresse": _address(tags),
            "stadtteil": "",
            "lat": lat,
            "lon": lon,
            "lage_genauigkeit": "adresse" if lat is not None else "unbekannt",
            "oeffnungszeiten": _clean(tags.get("opening_hours")),
            "barrierefrei": BARRIEREFREI.get(tags.get("wheelchair", "").strip().lower(), "unbekannt"),
            "website": _website(tags),
            "telefon": _clean(tags.get("phone") or tags.get("contact:phone")),
            "beschreibung": _clean(tags.get("description:de") or tags.get("description")),
            "beschreibung_einfach": "",
            # nobody confirmed it with the provider; OSM's own check_date, if mapped, is the source's date
            "zuletzt_geprueft": "",
            "stand_quelle": _clean(tags.get("check_date")) or "undatiert",
            "quelle": f"OpenStreetMap {kind}/{element.get('id')}, ODbL 1.0, abgerufen {today.isoformat()}",
        })
    frame = pd.DataFrame(rows, columns=list(OFFER_COLUMNS))
    frame["lat"] = pd.to_numeric(frame["lat"], errors="coerce").astype(float)
    frame["lon"] = pd.to_numeric(frame["lon"], errors="coerce").astype(float)
    frame["stadtteil"] = _district_names(frame, districts)
    located = frame["lat"].notna()
    stats.outside_districts = int((located & (frame["stadtteil"] == "")).sum())
    frame = frame.sort_values(["name", "id"], key=lambda s: s.str.casefold()).reset_index(drop=True)
    return frame[list(OFFER_COLUMNS)]


def _district_names(frame: pd.DataFrame, districts: gpd.GeoDataFrame) -> list[str]:
    """Name of the district containing each offer point (EPSG:25832), ``""`` if none."""
    names = [""] * len(frame)
    located = frame["lat"].notna().to_numpy()
    if not located.any() or districts is None or districts.empty:
        return names
    points = gpd.GeoDataFrame(
        {"_row": range(len(frame))},
        geometry=[Point(lon, lat) if ok else None for lat, lon, ok in zip(frame["lat"], frame["lon"], located)],
        crs=DISPLAY_CRS,
    )[located].to_crs(METRIC_CRS)
    polys = districts[["name", "geometry"]].to_crs(METRIC_CRS).rename(columns={"name": "_district"})
    joined = gpd.sjoin(points, polys, how="inner", predicate="intersects").sort_index()
    for row, district in joined.drop_duplicates("_row")[["_row", "_district"]].itertuples(index=False):
        names[int(row)] = str(district)
    return names


def _position(element: dict) -> tuple[float | None, float | None]:
    """WGS84 (lat, lon): node position, else ``center``, else centroid of ``geometry``/``bounds``."""
    if "lat" in element and "lon" in element:
        return float(element["lat"]), float(element["lon"])
    center = element.get("center")
    if isinstance(center, dict) and "lat" in center and "lon" in center:
        return float(center["lat"]), float(center["lon"])
    line = _line(element.get("geometry"))
    if line is not None:
        c = line.centroid
        return c.y, c.x
    bounds = element.get("bounds")
    if isinstance(bounds, dict) and {"minlat", "maxlat", "minlon", "maxlon"} <= bounds.keys():
        return (bounds["minlat"] + bounds["maxlat"]) / 2, (bounds["minlon"] + bounds["maxlon"]) / 2
    return None, None


def _address(tags: dict) -> str:
    """``"Straße Nr, PLZ Ort"`` from ``addr:*``; missing parts are left out."""
    street = " ".join(p for p in (_clean(tags.get("addr:street")), _clean(tags.get("addr:housenumber"))) if p)
    town = " ".join(p for p in (_clean(tags.get("addr:postcode")), _clean(tags.get("addr:city"))) if p)
    return ", ".join(p for p in (street, town) if p)


def _website(tags: dict) -> str:
    """First http(s) address of ``website``/``contact:website``; ``www.…`` gains ``https://``; others dropped."""
    for key in ("website", "contact:website", "url"):
        for value in _split(tags.get(key)):
            if value.lower().startswith(("http://", "https://")):
                return value
            if value.lower().startswith("www."):
                return "https://" + value
    return ""


def _target_groups(tags: dict) -> list[str]:
    return list(dict.fromkeys(ZIELGRUPPEN.get(g, g) for g in _split(tags.get("social_facility:for"))))


def _languages(tags: dict) -> list[str]:
    codes = [k.split(":", 1)[1] for k, v in tags.items()
             if k.startswith("language:") and v.strip().lower() in ("yes", "main")]
    return list(dict.fromkeys(SPRACHEN.get(code, _clean(code)) for code in sorted(codes)))


def _split(value: object) -> list[str]:
    """OSM multi-values ``"a;b"`` → cleaned items."""
    if value is None:
        return []
    return [item for item in (_clean(part) for part in str(value).split(";")) if item]


def _clean(value: object) -> str:
    """Text without control characters and with collapsed whitespace (no HTML escaping)."""
    if value is None:
        return ""
    return " ".join(strip_control_chars(str(value)).split())


def _elements(data: dict | None) -> list[dict]:
    if not data:
        return []
    return [e for e in data.get("elements") or [] if isinstance(e, dict)]


# --------------------------------------------------------------------------- run

def run_import(
    out_dir: Path,
    endpoint: str = DEFAULT_ENDPOINT,
    fetch: Callable[..., dict] = fetch_overpass,
    today: date | None = None,
) -> ImportReport:
    """Fetch all four queries, build districts and offers, then write the three files.

    Writes ``stadtteile.geojson`` (EPSG:4326, RFC 7946, 6 decimals),
    ``angebote.csv`` (UTF-8, all :data:`OFFER_COLUMNS`) and ``ATTRIBUTION.md``
    into ``out_dir``. ``fetch(query, endpoint)`` is injectable for tests.
    Nothing is written unless every request and every step succeeded.
    """
    today = today or date.today()
    queries = build_overpass_queries()
    responses: dict[str, dict] = {}
    for key, query in queries.items():
        data = fetch(query, endpoint)
        check_overpass_response(data, endpoint)
        responses[key] = data

    boundary = boundary_from_overpass(responses["stadtgrenze"])
    district_data = merge_responses([responses["stadtteile"], responses["ortspunkte"]])
    districts = districts_from_overpass(district_data, boundary, today)
    stats = OfferStats()
    offers = offers_from_overpass(responses["angebote"], districts, today, stats)

    source = OSM_SCHEMATIC if (districts["geometrie"] == OSM_SCHEMATIC).any() else OSM_GEOMETRY
    datenstand = str((responses["angebote"].get("osm3s") or {}).get("timestamp_osm_base", ""))
    warnings = []
    if source == OSM_SCHEMATIC:
        warnings.append("In OpenStreetMap gibt es keine Stadtteilgrenzen für Minden; die Stadtteile sind schematisch "
                        "(Voronoi-Zellen um die Ortspunkte), keine amtlichen Grenzen.")
    else:
        covered = shapely.union_all(list(districts.to_crs(METRIC_CRS).geometry)).area / _to_metric(boundary).area
        if covered < 0.99:
            warnings.append(f"Die Stadtteile aus OpenStreetMap decken nur {covered:.0%} der Stadtfläche ab.")

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / "stadtteile.geojson", out_dir / "angebote.csv", out_dir / "ATTRIBUTION.md"]
    write_atomic(paths[0], lambda p: _write_geojson(districts, p))
    write_atomic(paths[1], lambda p: _write_offers_csv(offers, p))
    write_atomic(paths[2], lambda p: p.write_text(
        attribution_text(today, endpoint, queries, datenstand), encoding="utf-8"))
    return ImportReport(
        districts=len(districts), districts_source=source, offers=len(offers),
        skipped_without_name=stats.skipped_without_name, outside_districts=stats.outside_districts,
        skipped_excluded=stats.skipped_excluded, skipped_unmapped=stats.skipped_unmapped,
        stand=today.isoformat(), datenstand=datenstand, files=paths, warnings=warnings,
    )


def attribution_text(today: date, endpoint: str, queries: dict[str, str], datenstand: str = "") -> str:
    """Contents of ``ATTRIBUTION.md`` (licence, date, endpoint, exact queries)."""
    lines = [
        "# OpenStreetMap-Import",
        "",
        OSM_LICENCE,
        "",
        f"- Abgerufen am: {today.isoformat()}",
        f"- Overpass-Endpunkt: {endpoint}",
    ]
    if datenstand:
        lines.append(f"- Datenstand laut Overpass: {datenstand}")
    lines += [
        "- Dateien: `stadtteile.geojson` (EPSG:4326), `angebote.csv` (UTF-8)",
        "",
        ("Wer diese Dateien oder daraus abgeleitete Datenbanken weitergibt, muss sie ebenfalls unter der ODbL 1.0 "
         "anbieten und OpenStreetMap als Quelle nennen."),
        "",
        "## Abfragen",
    ]
    for key, query in queries.items():
        lines += ["", f"### {key}", "", "```", query, "```"]
    return "\n".join(lines) + "\n"


def _write_geojson(districts: gpd.GeoDataFrame, path: Path) -> None:
    frame = districts.copy()
    frame["geometry"] = frame.geometry.set_precision(1e-6)
    frame.to_file(path, driver="GeoJSON", RFC7946="YES", COORDINATE_PRECISION=6)


def _write_offers_csv(offers: pd.DataFrame, path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(OFFER_COLUMNS)
        for record in offers[list(OFFER_COLUMNS)].itertuples(index=False):
            writer.writerow([_csv_value(v) for v in record])


def _csv_value(value: object) -> str:
    """Text for the CSV; OSM text that a spreadsheet would run as a formula gets a leading ``'``
    (geo.data.offers removes it again on load)."""
    if isinstance(value, float):
        return "" if pd.isna(value) else repr(round(value, 7))
    return "" if value is None else neutralise_formula(str(value))


def merge_responses(responses: Iterable[dict]) -> dict:
    """One Overpass-like dict with the elements of several responses (in order)."""
    return {"elements": [e for r in responses for e in _elements(r)]}
