"""Loading and checking Stadtteil polygons.

Accepts anything GDAL reads (GeoJSON, GeoPackage, Shapefile …) in any CRS, so
the city can drop in its official Stadtbezirke file: only the name column has
to be named. Output is always EPSG:4326 with the columns
``id, name, geometrie, quelle, geometry``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from geo.config import DISPLAY_CRS, METRIC_CRS
from geo.data.problems import DataFileError, Problem
from geo.formatting import format_number
from geo.i18n import t
from geo.text import slugify

DISTRICT_COLUMNS = ("id", "name", "geometrie", "quelle")
SCHEMATIC = "schematisch"
SLIVER_M = 0.5
"""Slits between neighbouring districts narrower than this (metres, EPSG:25832) are not boundaries of a gap."""


@dataclass
class DistrictsLoad:
    datei: str
    districts: gpd.GeoDataFrame
    rejected: pd.DataFrame
    problems: list[Problem] = field(default_factory=list)


def read_districts(path: str | Path, name_column: str = "name", id_column: str | None = "id") -> DistrictsLoad:
    """Read a district file in any vector format and CRS; see :func:`districts_from_frame`."""
    path = Path(path)
    if not path.exists():
        raise DataFileError(Problem(path.name, None, None, "Datei nicht gefunden."))
    try:
        frame = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises several types; the user needs the message
        raise DataFileError(Problem(path.name, None, None, f"Datei kann nicht als Geodaten gelesen werden ({exc}).")) from exc
    return districts_from_frame(frame, path.name, name_column, id_column)


def districts_from_frame(
    frame: gpd.GeoDataFrame, datei: str, name_column: str = "name", id_column: str | None = "id"
) -> DistrictsLoad:
    """Validate district features and normalise them to EPSG:4326.

    Rejects features without a name or without a (multi)polygon; repairs
    invalid polygons with :func:`shapely.make_valid` and says so. A missing
    CRS is taken as EPSG:4326 (the GeoJSON default) with a notice.
    """
    problems: list[Problem] = []
    if name_column not in frame.columns:
        cols = ", ".join(c for c in frame.columns if c != "geometry")
        raise DataFileError(Problem(datei, None, name_column, f"Namensspalte „{name_column}“ fehlt (vorhanden: {cols})."))
    if frame.crs is None:
        problems.append(Problem(datei, None, None, "Kein Koordinatenbezugssystem angegeben; EPSG:4326 angenommen.", "hinweis"))
        frame = frame.set_crs(DISPLAY_CRS)
    frame = frame.to_crs(DISPLAY_CRS)

    seen_ids: dict[str, int] = {}  # id → number of the feature that first used it
    rows, rejected = [], []
    for number, (_, feature) in enumerate(frame.iterrows(), start=1):
        name = str(feature[name_column]).strip() if pd.notna(feature[name_column]) else ""
        geom = feature.geometry
        reason = None
        if not name:
            reason = "Name fehlt."
        elif geom is None or geom.is_empty:
            reason = "Geometrie fehlt."
        elif geom.geom_type not in ("Polygon", "MultiPolygon"):
            reason = f"Geometrie ist {geom.geom_type}, erwartet Polygon oder MultiPolygon."
        if reason:
            problems.append(Problem(datei, number, name_column if not name else "geometry", reason))
            rejected.append({"zeile": number, "name": name, "grund": reason})
            continue
        if not geom.is_valid:
            problems.append(Problem(datei, number, "geometry", f"Polygon von „{name}“ ist ungültig ({shapely.is_valid_reason(geom)}) und wurde repariert.", "hinweis"))
            geom = polygonal_part(shapely.make_valid(geom))
        ident = str(feature[id_column]).strip() if id_column and id_column in frame.columns and pd.notna(feature[id_column]) else ""
        ident = ident or slugify(name)
        if ident in seen_ids:
            reason = f"id „{ident}“ kommt doppelt vor (zuerst in Objekt {seen_ids[ident]})."
            problems.append(Problem(datei, number, "id", reason))
            rejected.append({"zeile": number, "name": name, "grund": reason})
            continue
        seen_ids[ident] = number
        rows.append({
            "id": ident,
            "name": name,
            "geometrie": _text_or(feature.get("geometrie"), "importiert"),
            "quelle": _text_or(feature.get("quelle"), datei),
            "geometry": geom,
        })
    districts = gpd.GeoDataFrame(pd.DataFrame(rows, columns=[*DISTRICT_COLUMNS, "geometry"]), geometry="geometry", crs=DISPLAY_CRS)
    if districts.empty:
        raise DataFileError(Problem(datei, None, None, "Keine gültigen Stadtteil-Polygone gefunden."))
    problems.extend(partition_problems(districts, datei))
    return DistrictsLoad(datei, districts, pd.DataFrame(rejected, columns=["zeile", "name", "grund"]), problems)


def partition_problems(districts: gpd.GeoDataFrame, datei: str, tolerance_m2: float = 1.0) -> list[Problem]:
    """Notices for overlapping districts and for gaps inside the covered area (areas in m², EPSG:25832)."""
    metric = districts.to_crs(METRIC_CRS)
    problems = []
    geoms = list(metric.geometry)
    tree = shapely.STRtree(geoms)
    for i, j in zip(*tree.query(geoms, predicate="intersects")):
        if i < j:
            area = geoms[i].intersection(geoms[j]).area
            if area > tolerance_m2:
                problems.append(Problem(datei, None, "geometry", f"„{metric.name.iloc[i]}“ und „{metric.name.iloc[j]}“ überlappen sich ({format_number(area, 0)} m²).", "hinweis"))
    # Neighbours that share an edge but not its vertices no longer meet exactly after a change of CRS: hairline
    # slits would join an enclosed gap to the outside, and it would not count as one. Close slits narrower than
    # SLIVER_M first (out and back in; mitred, so corners stay where they are).
    union = shapely.union_all(geoms).buffer(SLIVER_M, join_style="mitre").buffer(-SLIVER_M, join_style="mitre")
    holes = sum(shapely.Polygon(r).area for p in getattr(union, "geoms", [union]) for r in p.interiors)
    if holes > tolerance_m2:
        problems.append(Problem(datei, None, "geometry", f"Zwischen den Stadtteilen liegen Lücken ({format_number(holes, 0)} m²).", "hinweis"))
    return problems


def is_schematic(districts: gpd.GeoDataFrame) -> bool:
    """True if any district geometry is marked ``geometrie: schematisch``."""
    return bool((districts["geometrie"] == SCHEMATIC).any())


def geometry_note(districts: gpd.GeoDataFrame, lang: str = "de") -> str:
    """One sentence on whose district boundaries these are: "schematic, not official" for the shipped ones,
    else the ``quelle`` of the file in use (e.g. the city's Stadtbezirke published in the Redaktion)."""
    if is_schematic(districts):
        return t("karte.hinweis_schematisch", lang)
    sources = "; ".join(dict.fromkeys(str(q).strip() for q in districts["quelle"] if str(q).strip()))
    return t("karte.grenzen_quelle", lang, quelle=sources or t("band.unbekannt", lang))


def polygonal_part(geom):
    """Only the (multi)polygon part of a geometry (``make_valid`` may add lines or points); empty if none."""
    if geom is None or geom.is_empty:
        return shapely.Polygon()
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def _text_or(value, default: str) -> str:
    return str(value).strip() if value is not None and pd.notna(value) and str(value).strip() else default
