"""Official Stadtbezirke uploaded by an editor: read the file, check it against what the app knows, and write the
GeoJSON that is published.

The editors' area ("Redaktion") calls these functions in three steps:

1. :func:`read_district_upload` reads the uploaded bytes (GeoJSON, GeoPackage or a zipped Shapefile, any CRS)
   into a :class:`DistrictUpload` and suggests the name column;
2. :func:`check_district_upload` normalises the chosen layer through
   :func:`geo.data.districts.districts_from_frame`, matches the names to the known districts (the current
   polygons and the districts of the Sozialatlas), measures areas, coverage of the city outline and the offers
   that would change their Stadtteil, and says what blocks publishing (:attr:`DistrictCheck.blocking`);
3. :meth:`DistrictCheck.geojson_text` is the file to publish; :func:`summary_lines` the audit entry.

An uploaded file is untrusted. Before GDAL sees a byte: the size (:data:`MAX_UPLOAD_BYTES`), the kind by content
(ZIP, SQLite, JSON; the name only for the message), and for a ZIP the number of members, their unpacked size and
compression ratio as the archive declares them and their paths (nothing is written outside a fresh temporary
directory, which is removed afterwards). Every failure is a :class:`~geo.data.problems.DataFileError` with a German
sentence naming the file; GDAL's own reason is at most appended in parentheses.

Areas and distances are computed in EPSG:25832 (metres); everything returned for display and publishing is
EPSG:4326.
"""
from __future__ import annotations

import io
import json
import math
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry

from geo.config import DISPLAY_CRS, METRIC_CRS
from geo.data.csvtext import binary_kind
from geo.data.district_names import NameMatch, match_district_names
from geo.data.districts import DISTRICT_COLUMNS, districts_from_frame
from geo.data.outline import read_outline
from geo.data.problems import DataFileError, Problem
from geo.data.zipsafety import ZipLimits, ZipRefusal, check_archive, check_member_count
from geo.formatting import format_number
from geo.text import slugify

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
"""Largest uploaded file (bytes). Official Stadtbezirke of a city are a few MB even at survey precision."""
MAX_ZIP_MEMBERS = 50
"""Most members of an uploaded ZIP: a Shapefile has up to eight sidecar files; folders and a few more layers fit."""
MAX_UNPACKED_BYTES = 256 * 1024 * 1024
"""Largest sum of the unpacked sizes (bytes) of all members of an uploaded ZIP."""
MAX_COMPRESSION_RATIO = 200
"""Highest unpacked/packed ratio of one ZIP member; Shapefile parts pack 2–20-fold, a ZIP bomb 1000-fold."""
RATIO_CHECK_MIN_BYTES = 1024 * 1024
"""The ratio is only checked for members that unpack to more than this many bytes: a small .dbf of padded text
packs very well and is harmless (it counts towards :data:`MAX_UNPACKED_BYTES`)."""
MAX_FEATURES = 2_000
"""Most features in the chosen layer: a city has tens of districts; more is the wrong layer (e.g. parcels), and
the overlap check compares every pair of neighbours."""
COORDINATE_DECIMALS = 7
"""Decimal places of the published WGS84 coordinates: 1e-7° is about 1 cm, finer than any district boundary."""
CITY_ID = "minden"
"""The Sozialatlas id of city-wide values; it is no district."""
IMPORTED = "importiert"
"""``geometrie`` of every published uploaded polygon (as opposed to ``schematisch``)."""
AREA_TOLERANCE_M2 = 1_000.0
"""City area in no district, or district area outside the city, up to this (m², a small building plot) is no
finding: it is what rounding and a differently digitised border leave behind."""

_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")
_SQLITE_MAGIC = b"SQLite format 3\x00"
_SHP_MAGIC = b"\x00\x00\x27\x0a"
_SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")
_NAME_COLUMN_HINTS = ("name", "stadtbezirk", "bezirk", "stadtteil", "bezirksname", "stadtteilname", "ortsteil",
                      "bez_name", "stbz_name", "gen", "bezeichnung")
_EXPECTED = ("Erwartet: GeoJSON (.geojson), GeoPackage (.gpkg) oder ein Shapefile als ZIP "
             "(.zip mit .shp, .shx, .dbf und .prj).")

OfferAssigner = Callable[[gpd.GeoDataFrame, gpd.GeoDataFrame], gpd.GeoDataFrame]
"""``(offers, districts) → offers`` with the columns ``stadtteil_id`` and ``stadtteil_name`` set by point in polygon
(empty text outside every polygon and without location): :func:`geo.analysis.district_change.assign_offers`.
Passed in because the spatial join lives in ``geo.analysis``, above this layer."""


def _error(filename: str, message: str) -> DataFileError:
    return DataFileError(Problem(filename, None, None, message))


# --------------------------------------------------------------------------- reading the upload


@dataclass
class DistrictUpload:
    """One layer of an uploaded district file, as read (nothing checked or renamed yet).

    ``frame`` keeps the file's own CRS (the check transforms); ``layers`` are all layers of the file with
    polygon layers first, ``layer`` the one read. ``name_column``/``id_column`` are suggestions for the editor:
    the column whose values match the known district names best, and a column holding the app's district ids
    (e.g. a file the app exported), ``None`` if there is none.
    """

    filename: str
    format: str
    layer: str
    layers: list[str]
    frame: gpd.GeoDataFrame
    text_columns: list[str]
    name_column: str | None
    id_column: str | None
    notices: list[Problem] = field(default_factory=list)


@dataclass(frozen=True)
class _Layer:
    name: str
    path: Path
    gdal_layer: str | None
    geometry_type: str
    has_cpg: bool = True
    """False for a Shapefile without .cpg: GDAL then guesses the text encoding."""


def read_district_upload(raw: bytes, filename: str, layer: str | None = None,
                         known: Mapping[str, str] | None = None) -> DistrictUpload:
    """Read an uploaded district file: GeoJSON, GeoPackage, or a ZIP with a Shapefile (or one GeoJSON/GeoPackage).

    The kind is recognised by content; the name only shapes the message when the content is none of them.
    ``layer`` picks a layer of a GeoPackage or one of several Shapefiles in a ZIP (default: the first polygon
    layer). ``known`` (district id → name, see :func:`known_districts`) lets the name column be suggested by
    its values. Any CRS is accepted and kept; a missing CRS is taken as EPSG:4326 only for GeoJSON (its
    standard); a Shapefile without .prj and a GeoPackage layer without CRS are refused.

    Raises :class:`DataFileError` naming the file for anything that cannot be read.
    """
    display = PurePosixPath(str(filename).replace("\\", "/")).name or "Datei"
    if not raw:
        raise _error(display, "Die Datei ist leer.")
    if len(raw) > MAX_UPLOAD_BYTES:
        raise _error(display, f"Die Datei ist {_mib(len(raw))} MiB groß, höchstens {_mib(MAX_UPLOAD_BYTES)} MiB "
                              "werden gelesen. Stadtbezirke sind meist wenige MB; ist es die richtige Datei?")
    notices: list[Problem] = []
    with tempfile.TemporaryDirectory(prefix="stadtbezirke-") as tmp:
        folder = Path(tmp)
        kind, layers = _layers(raw, display, folder, notices)
        chosen = _choose_layer(display, layers, layer)
        frame = _read_layer(display, kind, chosen, folder, notices)
    text_columns = [str(c) for c in frame.columns if c != frame.geometry.name]
    name_column = suggest_name_column(frame, known or {})
    return DistrictUpload(
        filename=display, format=kind, layer=chosen.name, layers=[entry.name for entry in layers], frame=frame,
        text_columns=text_columns, name_column=name_column,
        id_column=suggest_id_column(frame, known or {}, exclude=name_column), notices=notices,
    )


def _layers(raw: bytes, filename: str, folder: Path, notices: list[Problem],
            nested: bool = False) -> tuple[str, list[_Layer]]:
    """Write the upload into ``folder`` and list its layers in file order (``nested``: unpacked from a ZIP)."""
    if raw.startswith(_ZIP_MAGICS):
        if nested:
            raise _error(filename, "Die ZIP-Datei enthält wieder eine ZIP-Datei; bitte nur einmal packen.")
        return _zip_layers(raw, filename, folder, notices)
    if raw.startswith(_SQLITE_MAGIC):
        path = folder / "upload.gpkg"
        path.write_bytes(raw)
        return "GeoPackage", _gdal_layers(filename, path)
    if raw.startswith(_SHP_MAGIC):
        raise _error(filename, "Das ist nur der .shp-Teil eines Shapefiles; ohne .shx, .dbf und .prj fehlen Namen "
                               "und Koordinatensystem. Bitte alle Teile zusammen als ZIP-Datei hochladen.")
    text = raw[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"{"):
        path = folder / "upload.geojson"
        path.write_bytes(raw)
        return "GeoJSON", _gdal_layers(filename, path, name=PurePosixPath(filename).stem or "upload")
    raise _error(filename, _not_geodata(raw, filename))


def _not_geodata(raw: bytes, filename: str) -> str:
    text = raw[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    kind = binary_kind(raw)
    if kind and not kind.startswith("eine ZIP"):
        what = f" (es ist {kind})"
    elif text.startswith(b"<"):
        what = " (es ist XML, z. B. KML oder GML; bitte als GeoJSON oder GeoPackage exportieren)"
    elif kind is None:
        what = " (es ist Text, aber kein GeoJSON: es beginnt nicht mit „{“)"
    else:
        what = ""
    return f"Die Datei ist keine Geodaten-Datei, die die App lesen kann{what}. {_EXPECTED}"


def _gdal_layers(filename: str, path: Path, name: str | None = None, folder: Path | None = None) -> list[_Layer]:
    try:
        listed = pyogrio.list_layers(path)
    except Exception as exc:  # pyogrio raises several types; the editor needs a sentence, GDAL's reason at most
        reason = _gdal_reason(exc, folder or path.parent)
        raise _error(filename, f"Die Datei kann nicht als Geodaten gelesen werden ({reason}). {_EXPECTED}") from exc
    layers = [_Layer(name if name and len(listed) == 1 else str(layer_name), path, str(layer_name), str(geom_type))
              for layer_name, geom_type in listed]
    if not layers:
        raise _error(filename, "Die Datei enthält keine Ebene mit Geodaten.")
    return layers


def _is_polygonal(geometry_type: str) -> bool:
    return "polygon" in geometry_type.lower()


def _choose_layer(filename: str, layers: list[_Layer], layer: str | None) -> _Layer:
    if layer is None:
        return next((entry for entry in layers if _is_polygonal(entry.geometry_type)), layers[0])
    for entry in layers:
        if entry.name == layer:
            return entry
    names = ", ".join(f"„{entry.name}“" for entry in layers)
    raise _error(filename, f"Die Ebene „{layer}“ gibt es in der Datei nicht (vorhanden: {names}).")


def _read_layer(filename: str, kind: str, chosen: _Layer, folder: Path, notices: list[Problem]) -> gpd.GeoDataFrame:
    where = f"Die Ebene „{chosen.name}“" if kind != "GeoJSON" else "Die Datei"
    try:
        count = int(pyogrio.read_info(chosen.path, layer=chosen.gdal_layer)["features"])
    except Exception as exc:  # see _gdal_layers
        raise _error(filename, f"{where} kann nicht gelesen werden ({_gdal_reason(exc, folder)}).") from exc
    if count > MAX_FEATURES:
        raise _error(filename, f"{where} hat {format_number(count, 0)} Objekte; Stadtbezirke sind höchstens "
                               f"{format_number(MAX_FEATURES, 0)}. Ist es die richtige Ebene?")
    try:
        frame = pyogrio.read_dataframe(chosen.path, layer=chosen.gdal_layer)
    except Exception as exc:  # see _gdal_layers
        raise _error(filename, f"{where} kann nicht gelesen werden ({_gdal_reason(exc, folder)}).") from exc
    if not isinstance(frame, gpd.GeoDataFrame):
        raise _error(filename, f"{where} enthält keine Geometrien, nur eine Tabelle.")
    if len(frame) > MAX_FEATURES:
        raise _error(filename, f"{where} hat mehr als {format_number(MAX_FEATURES, 0)} Objekte; Stadtbezirke sind "
                               "weniger. Ist es die richtige Ebene?")
    if frame.empty:
        raise _error(filename, f"{where} enthält keine Objekte.")
    if not chosen.has_cpg and _utf8_read_as_latin1(frame):
        # A UTF-8 .dbf without .cpg is read as ISO-8859-1 by GDAL: "BÃ¤renkÃ¤mpen". Read again as UTF-8.
        frame = pyogrio.read_dataframe(chosen.path, layer=chosen.gdal_layer, encoding="UTF-8")
        notices.append(Problem(filename, None, None, "Die .cpg-Datei fehlt; die Texte wurden als UTF-8 gelesen, "
                                                     "weil die Umlaute nur so richtig aussehen.", "hinweis"))
    if frame.crs is None:
        if kind.startswith("Shapefile"):
            raise _error(filename, f"Die .prj-Datei zu „{PurePosixPath(chosen.name).name}.shp“ enthält kein "
                                   "lesbares Koordinatensystem. Bitte das Shapefile mit Koordinatensystem "
                                   "(z. B. EPSG:25832) neu speichern.")
        if kind != "GeoJSON":
            raise _error(filename, f"{where} hat kein Koordinatenbezugssystem. Bitte mit Koordinatensystem "
                                   "(z. B. EPSG:25832) speichern.")
        frame = frame.set_crs(DISPLAY_CRS)
        notices.append(Problem(filename, None, None, "Kein Koordinatenbezugssystem angegeben; EPSG:4326 "
                                                     "(Länge/Breite, GeoJSON-Standard) angenommen.", "hinweis"))
    bounds = frame.geometry.total_bounds
    if frame.crs.is_geographic and np.isfinite(bounds).all():
        west, south, east, north = (float(b) for b in bounds)
        if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
            raise _error(filename, f"Die Koordinaten (z. B. {format_number(float(east), 0)}) sind keine Längen- und "
                                   f"Breitengrade, obwohl {frame.crs.to_string()} angegeben ist; vermutlich sind sie "
                                   "in Metern (z. B. EPSG:25832). Bitte die Datei mit dem richtigen "
                                   "Koordinatensystem speichern.")
    return frame


def _utf8_read_as_latin1(frame: gpd.GeoDataFrame) -> bool:
    """True if some text only makes sense as UTF-8 bytes that were decoded as ISO-8859-1 (and none contradicts)."""
    found = False
    for column in frame.columns:
        if column == frame.geometry.name or not _is_text(frame[column]):
            continue
        for value in frame[column].dropna():
            if not isinstance(value, str) or value.isascii():
                continue
            try:
                repaired = value.encode("latin-1").decode("utf-8")
            except (UnicodeEncodeError, UnicodeDecodeError):
                return False
            found = found or repaired != value
    return found


# --------------------------------------------------------------------------- ZIP containers


def _zip_layers(raw: bytes, filename: str, folder: Path, notices: list[Problem]) -> tuple[str, list[_Layer]]:
    """Check the container, unpack the useful members into ``folder`` and list the layers.

    Shapefiles are the reason for ZIPs; a ZIP without one but with exactly one GeoPackage or GeoJSON (as
    download portals deliver them) is read as that file.
    """
    limits = ZipLimits(MAX_ZIP_MEMBERS, MAX_UNPACKED_BYTES, MAX_COMPRESSION_RATIO, RATIO_CHECK_MIN_BYTES)
    try:
        # zipfile parses the whole central directory on opening; a cheap count of its entries comes first.
        check_member_count(raw, limits)
        try:
            archive = zipfile.ZipFile(io.BytesIO(raw))
            infos = archive.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as exc:
            raise _error(filename, f"Die ZIP-Datei ist beschädigt und kann nicht geöffnet werden ({exc}).") from exc
        # refuse hostile or absurd archives by what they declare, before anything is unpacked
        check_archive(infos, limits, paths=True)
    except ZipRefusal as refusal:
        raise _error(filename, _refusal_message(refusal)) from None
    members = [info for info in infos if not info.is_dir() and not _is_clutter(info.filename)]
    shapefiles = sorted((info for info in members if info.filename.lower().endswith(".shp")),
                        key=lambda info: info.filename)
    if shapefiles:
        by_name = {info.filename.lower(): info for info in members}
        layers = []
        for shp in shapefiles:
            stem = shp.filename[:-4]
            parts = {suffix: by_name.get(stem.lower() + suffix) for suffix in _SHAPEFILE_PARTS}
            layers.append(_shapefile_layer(archive, filename, folder, stem, parts))
        return "Shapefile (ZIP)", layers
    others = [info for info in members if info.filename.lower().endswith((".gpkg", ".geojson", ".json"))]
    if len(others) == 1:
        if others[0].file_size > MAX_UPLOAD_BYTES:
            raise _error(filename, f"„{others[0].filename}“ ist entpackt {_mib(others[0].file_size)} MiB groß, "
                                   f"höchstens {_mib(MAX_UPLOAD_BYTES)} MiB werden gelesen.")
        inner = _unpack(archive, others[0], filename, folder / "inner").read_bytes()
        inner_name = PurePosixPath(others[0].filename).name
        kind, layers = _layers(inner, filename, folder, notices, nested=True)
        if kind == "GeoJSON" and len(layers) == 1:
            layers = [_Layer(PurePosixPath(inner_name).stem, layers[0].path, layers[0].gdal_layer,
                             layers[0].geometry_type)]
        return f"{kind} (ZIP)", layers
    listed = ", ".join(info.filename for info in members[:10]) or "nichts"
    raise _error(filename, f"Die ZIP-Datei enthält kein Shapefile (.shp) und nicht genau eine GeoPackage- oder "
                           f"GeoJSON-Datei (enthalten: {listed}). {_EXPECTED}")


def _refusal_message(refusal: ZipRefusal) -> str:
    if refusal.reason == "members":
        return _too_many_members(refusal.count)
    if refusal.reason == "unpacked":
        return (f"Die ZIP-Datei wird entpackt {_mib(refusal.total)} MiB groß (höchstens {_mib(MAX_UNPACKED_BYTES)} "
                "MiB); sie wird aus Sicherheitsgründen nicht gelesen.")
    if refusal.reason == "path":
        return (f"Der Eintrag „{refusal.name}“ der ZIP-Datei zeigt aus dem Ordner heraus (absoluter Pfad oder „..“); "
                "die Datei wird aus Sicherheitsgründen nicht gelesen.")
    if refusal.reason == "duplicate":
        return f"Der Eintrag „{refusal.name}“ kommt in der ZIP-Datei doppelt vor; die Datei wird nicht gelesen."
    if refusal.reason == "ratio":
        return (f"Der Eintrag „{refusal.name}“ ist {refusal.ratio:.0f}-fach gepackt (höchstens "
                f"{MAX_COMPRESSION_RATIO}-fach); die Datei wird aus Sicherheitsgründen nicht gelesen.")
    return "Die ZIP-Datei ist mit einem Passwort geschützt; bitte ohne Passwort packen."


def _too_many_members(count: int) -> str:
    return (f"Die ZIP-Datei hat {format_number(count, 0)} Einträge, höchstens {MAX_ZIP_MEMBERS} werden gelesen (ein "
            "Shapefile sind 4 bis 8 Dateien). Bitte nur die Dateien der Stadtbezirke packen.")


def _is_clutter(name: str) -> bool:
    """Files that archivers on macOS add next to the real ones (``__MACOSX/…``, ``._x.shp``)."""
    path = PurePosixPath(name)
    return path.parts[0] == "__MACOSX" or path.name.startswith("._") or path.name == ".DS_Store"


def _unpack(archive: zipfile.ZipFile, info: zipfile.ZipInfo, filename: str, folder: Path) -> Path:
    """Copy one member below ``folder``, stopping at its declared size (it cannot claim less and deliver more)."""
    target = folder / PurePosixPath(info.filename.replace("\\", "/"))
    if not target.resolve().is_relative_to(folder.resolve()):
        raise _error(filename, f"Der Eintrag „{info.filename}“ der ZIP-Datei zeigt aus dem Ordner heraus; die "
                               "Datei wird aus Sicherheitsgründen nicht gelesen.")
    target.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    try:
        with archive.open(info) as source, target.open("wb") as sink:
            while chunk := source.read(1024 * 1024):
                written += len(chunk)
                if written > info.file_size:
                    raise _error(filename, f"Der Eintrag „{info.filename}“ ist größer als angegeben; die Datei "
                                           "wird aus Sicherheitsgründen nicht gelesen.")
                sink.write(chunk)
    except (zipfile.BadZipFile, RuntimeError, NotImplementedError, OSError, EOFError) as exc:
        raise _error(filename, f"Der Eintrag „{info.filename}“ der ZIP-Datei kann nicht entpackt werden "
                               f"({exc}).") from exc
    return target


def _shapefile_layer(archive: zipfile.ZipFile, filename: str, folder: Path, stem: str,
                     parts: Mapping[str, zipfile.ZipInfo | None]) -> _Layer:
    name = PurePosixPath(stem).name
    missing = [suffix for suffix in (".shx", ".dbf") if parts[suffix] is None]
    if missing:
        raise _error(filename, f"Zum Shapefile „{name}.shp“ fehlt {' und '.join(name + s for s in missing)}; ein "
                               "Shapefile besteht aus .shp, .shx, .dbf und .prj. Bitte alle Teile zusammen packen.")
    if parts[".prj"] is None:
        raise _error(filename, f"Die .prj-Datei fehlt: zum Shapefile „{name}.shp“ gehört „{name}.prj“ mit dem "
                               "Koordinatensystem. Die Koordinaten eines Shapefiles sind fast nie Länge/Breite, "
                               "ohne .prj lägen die Stadtbezirke an der falschen Stelle. Bitte die .prj-Datei mit "
                               "in die ZIP-Datei packen.")
    written = {suffix: _unpack(archive, info, filename, folder / "zip")
               for suffix, info in parts.items() if info is not None}
    # GDAL looks for the sidecars by the .shp's name; members may differ in case ("X.SHP", "x.dbf").
    folder_of, base = written[".shp"].parent, written[".shp"].name[:-4]
    for suffix, path in written.items():
        if path != folder_of / (base + suffix):
            path.rename(folder_of / (base + suffix))
    shp = folder_of / (base + ".shp")
    try:
        geom_type = str(pyogrio.read_info(shp)["geometry_type"])
    except Exception as exc:  # see _gdal_layers
        raise _error(filename, f"Das Shapefile „{name}.shp“ kann nicht gelesen werden "
                               f"({_gdal_reason(exc, folder)}).") from exc
    return _Layer(stem, shp, None, geom_type, has_cpg=parts[".cpg"] is not None)


def _gdal_reason(exc: BaseException, folder: Path) -> str:
    """GDAL's message, first line, without the temporary folder's path (it means nothing to the editor)."""
    text = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    for prefix in (str(folder.resolve()), str(folder)):
        text = text.replace(prefix + "/", "").replace(prefix, "")
    return text[:200]


def _mib(size: int) -> str:
    return format_number(size / 1024 / 1024, 0 if size >= 10 * 1024 * 1024 else 1)


# --------------------------------------------------------------------------- suggestions


def known_districts(current_districts: pd.DataFrame, indicators: pd.DataFrame | None = None) -> dict[str, str]:
    """District id → name of every district the app knows: the current polygons, then the Sozialatlas districts
    that have none (their ``stadtteil`` as name). The city-wide id ``minden`` is left out."""
    known = {str(i): str(n) for i, n in zip(current_districts["id"], current_districts["name"])}
    for district_id, name in _indicator_districts(indicators).items():
        known.setdefault(district_id, name)
    return known


def _indicator_districts(indicators: pd.DataFrame | None) -> dict[str, str]:
    if indicators is None or indicators.empty or "stadtteil_id" not in indicators.columns:
        return {}
    names = indicators["stadtteil"] if "stadtteil" in indicators.columns else indicators["stadtteil_id"]
    result: dict[str, str] = {}
    for district_id, name in zip(indicators["stadtteil_id"], names):
        if pd.notna(district_id) and str(district_id).strip() and str(district_id) != CITY_ID:
            result.setdefault(str(district_id).strip(), str(name).strip() if pd.notna(name) else str(district_id))
    return result


def _is_text(series: pd.Series) -> bool:
    return bool(pd.api.types.is_string_dtype(series) or series.dtype == object)


def _column_values(frame: pd.DataFrame, column: str) -> list[str]:
    return [str(v).strip() for v in frame[column] if v is not None and pd.notna(v) and str(v).strip()]


def suggest_name_column(frame: gpd.GeoDataFrame, known: Mapping[str, str]) -> str | None:
    """The column whose values match most ``known`` districts (exact key, see
    :func:`~geo.data.district_names.match_district_names`); without any match, a column called like a name
    (``name``, ``NAME``, ``Stadtbezirk`` …), else the first text column, else ``None``."""
    columns = [str(c) for c in frame.columns if c != frame.geometry.name]
    best, best_rank = None, (0, False, False)
    if known:
        for column in columns:
            values = sorted(set(_column_values(frame, column)))
            hits = sum(match.matched for match in match_district_names(values, known))
            # A column of the app's ids matches as well as the names ("baerenkaempen"); names win a tie.
            rank = (hits, not all(value == slugify(value) for value in values), column.lower() in _NAME_COLUMN_HINTS)
            if hits and rank > best_rank:
                best, best_rank = column, rank
    if best is not None:
        return best
    lowered = {column.lower(): column for column in columns}
    for hint in _NAME_COLUMN_HINTS:
        if hint in lowered:
            return lowered[hint]
    for column in columns:
        if any(part in column.lower() for part in ("name", "bezirk", "stadtteil")):
            return column
    texts = [c for c in columns if _is_text(frame[c]) and _column_values(frame, c)]
    return texts[0] if texts else None


def suggest_id_column(frame: gpd.GeoDataFrame, known: Mapping[str, str], exclude: str | None = None) -> str | None:
    """A column with unique values of which at least one is a ``known`` district id verbatim (a file with the
    app's own ids); ``None`` if there is none. An official number column ("01", "02") is no id of the app."""
    columns = [str(c) for c in frame.columns if c != frame.geometry.name and c != exclude]
    best, best_hits = None, 0
    for column in columns:
        values = _column_values(frame, column)
        if len(values) != len(frame) or len(set(values)) != len(values):
            continue
        hits = sum(value in known for value in values)
        if hits > best_hits:
            best, best_hits = column, hits
    return best


# --------------------------------------------------------------------------- the check


@dataclass
class DistrictCheck:
    """What publishing the upload would change, and whether it may be published (:attr:`publishable`).

    ``districts`` is the GeoDataFrame to publish (EPSG:4326, columns ``id, name, geometrie, quelle, geometry``,
    coordinates rounded to :data:`COORDINATE_DECIMALS` places). Name matching: ``matched`` upload name → known
    id (automatic or by the editor's assignment); ``unmatched`` every name without automatic match, with
    suggestions (also after the editor decided, so the choice can be shown again); ``new_names`` the names
    published as new districts; ``missing`` known districts (id, name) absent from the upload,
    ``missing_with_indicators`` those of them with Sozialatlas values; ``duplicate_targets`` id → the upload
    names that would all become it (blocking).

    Areas are m² (``*_m2``) measured in EPSG:25832: ``outline_area_m2`` of the city outline,
    ``uncovered_m2`` of it in no district, ``outside_m2`` of the districts outside it. ``areas`` has one row per
    district (``id, name, flaeche_bisher_km2, flaeche_neu_km2, aenderung_prozent``; NaN where a side is
    missing). ``offer_changes`` lists the offers whose district changes (``id, name, stadtteil_id_bisher,
    stadtteil_bisher, stadtteil_id_neu, stadtteil_neu``; empty text for "in keinem Stadtteil");
    ``offers_outside`` counts located offers in no new district.

    ``blocking`` are German sentences; publishing is refused while there is one. ``notices`` are the rest,
    ``rejected`` the features not taken over (``zeile, name, grund``).
    """

    filename: str
    layer: str
    name_column: str
    id_column: str | None
    quelle: str
    known: dict[str, str]
    districts: gpd.GeoDataFrame
    matched: dict[str, str]
    unmatched: list[NameMatch]
    new_names: list[str]
    missing: list[tuple[str, str]]
    missing_with_indicators: list[tuple[str, str]]
    duplicate_targets: dict[str, list[str]]
    rejected: pd.DataFrame
    areas: pd.DataFrame
    offer_changes: pd.DataFrame
    offers_outside: int
    outline_area_m2: float
    uncovered_m2: float
    outside_m2: float
    blocking: list[str] = field(default_factory=list)
    notices: list[Problem] = field(default_factory=list)

    @property
    def publishable(self) -> bool:
        return not self.blocking

    @property
    def uncovered_percent(self) -> float:
        """Share of the city outline in no district, in % (0–100)."""
        return 100 * self.uncovered_m2 / self.outline_area_m2 if self.outline_area_m2 else 0.0

    @property
    def outside_percent(self) -> float:
        """Share of the districts' area outside the city outline, in % (0–100)."""
        total = float(self.districts.to_crs(METRIC_CRS).union_all().area) if not self.districts.empty else 0.0
        return 100 * self.outside_m2 / total if total else 0.0

    def geojson_text(self) -> str:
        """The districts to publish as GeoJSON text (see :func:`districts_geojson`)."""
        return districts_geojson(self.districts)


def check_district_upload(
    upload: DistrictUpload,
    name_column: str,
    current_districts: gpd.GeoDataFrame,
    indicators: pd.DataFrame | None,
    offers: gpd.GeoDataFrame | None,
    outline: BaseGeometry | None = None,
    assignments: Mapping[str, str | None] | None = None,
    id_column: str | None = None,
    quelle: str = "",
    *,
    assign_offers: OfferAssigner,
    keep_known_names: bool = True,
    undecided_new: bool = False,
) -> DistrictCheck:
    """Check an upload against the app's districts, Sozialatlas and offers.

    ``current_districts``: the app's districts (EPSG:4326, ``id, name, …``); ``indicators``: the Sozialatlas
    table (``stadtteil_id, stadtteil, …``; ``minden`` is the whole city); ``offers``: EPSG:4326 with ``id, name``
    (empty or missing geometry = no location); ``outline``: the city outline in EPSG:25832 (default
    :func:`geo.data.outline.read_outline`). ``assignments``: the editor's decisions, upload name → known id, or
    ``None`` for "a new district"; they win over automatic matches. ``id_column``: a column with the app's ids,
    used when a name does not match. ``quelle``: where the geometries come from, required to publish.
    ``assign_offers``: the point-in-polygon join (:data:`OfferAssigner`). With ``keep_known_names`` a matched
    district keeps the app's name (the Sozialatlas and offer lists use it); else the upload's spelling is published.
    With ``undecided_new`` a name without automatic match and without a decision in ``assignments`` is a new
    district (what the Redaktion's choice shows until the editor picks another), not matched by ``id_column``.

    Raises :class:`DataFileError` only if ``name_column`` is not a column of the upload.
    """
    filename, quelle = upload.filename, (quelle or "").strip()
    known = known_districts(current_districts, indicators)
    indicator_ids = set(_indicator_districts(indicators))
    blocking: list[str] = []
    notices: list[Problem] = list(upload.notices)
    try:
        load = districts_from_frame(upload.frame, filename, name_column, id_column)
    except DataFileError as exc:
        if name_column not in upload.frame.columns:
            raise
        blocking.append(f"{exc.problem.meldung} {_geometry_summary(upload.frame)}")
        return _empty_check(upload, name_column, id_column, quelle, known, indicator_ids, current_districts,
                            blocking, notices)
    notices.extend(p for p in load.problems if p.schwere == "hinweis")
    rejected = load.rejected.copy()

    # districts_from_frame keeps accepted features in file order, so their feature numbers are the ones it did
    # not reject (unknown, should that ever not add up).
    refused = set(rejected["zeile"])
    numbers: list[int | None] = [n for n in range(1, len(upload.frame) + 1) if n not in refused]
    if len(numbers) != len(load.districts):
        numbers = [None] * len(load.districts)
    # Rounded first: what is matched, counted and measured is exactly what will be published.
    valid = load.districts.assign(geometry=[_on_grid(geom) for geom in load.districts.geometry], zeile=numbers)
    for number, name in zip(valid.loc[valid.geometry.is_empty, "zeile"], valid.loc[valid.geometry.is_empty, "name"]):
        rejected.loc[len(rejected)] = [number, name, "Polygon ist kleiner als 1 cm."]
    valid = valid[~valid.geometry.is_empty]
    upload_names = list(valid["name"])
    upload_ids = list(valid["id"]) if id_column else [None] * len(upload_names)
    matches = match_district_names(upload_names, known)
    by_id_matches = {i: m for i, m in zip(upload_ids, match_district_names([i or "" for i in upload_ids], known))
                     if i} if id_column else {}
    decisions = dict(assignments or {})
    final_ids: list[str] = []
    final_names: list[str] = []
    matched: dict[str, str] = {}
    unmatched: list[NameMatch] = []
    new_names: list[str] = []
    for number, name, upload_id, match in zip(valid["zeile"], upload_names, upload_ids, matches):
        if not match.matched:
            unmatched.append(match)
        target: str | None
        if name in decisions:
            target = decisions[name]
            if target is not None and target not in known:
                blocking.append(f"„{name}“ ist dem Stadtteil-Schlüssel „{target}“ zugeordnet, den es nicht gibt. "
                                "Bitte neu zuordnen.")
                target = None
        elif match.matched:
            target = match.district_id
        elif undecided_new:
            target = None
        elif upload_id and by_id_matches.get(upload_id) and by_id_matches[upload_id].matched:
            target = by_id_matches[upload_id].district_id
        else:
            target = None
        if target is not None:
            matched[name] = target
            final_ids.append(target)
            final_names.append(known[target] if keep_known_names else name)
        else:
            new_names.append(name)
            final_ids.append(_new_id(name, number, known))
            final_names.append(name)

    duplicate_targets: dict[str, list[str]] = {}
    for ident, name in zip(final_ids, upload_names):
        duplicate_targets.setdefault(ident, []).append(name)
    duplicate_targets = {k: v for k, v in duplicate_targets.items() if len(v) > 1}
    for ident, names in duplicate_targets.items():
        blocking.append(f"{_join_names(names)} würden {'beide' if len(names) == 2 else 'alle'} dem Stadtteil "
                        f"„{known.get(ident, ident)}“ zugeordnet; jeder Stadtteil darf nur einmal vorkommen. Bitte "
                        "die Zuordnung ändern oder die Polygone in der Datei zusammenfassen.")
    if known and not matched:
        blocking.append(f"Kein Stadtbezirk der Datei passt zu einem bekannten Stadtteil; Sozialatlas-Werte und "
                        f"Angebote ließen sich keinem bisherigen Stadtteil mehr zuordnen. Ist „{name_column}“ die "
                        "richtige Namensspalte?")
    if not quelle:
        blocking.append("Bitte die Quelle der Stadtbezirke angeben (z. B. „Stadt Minden, Stadtbezirke, Stand "
                        "2024“): jede Geometrie braucht eine Quelle.")

    if not rejected.empty:
        notices.append(Problem(filename, None, None, f"{_count(len(rejected), 'Objekt wird', 'Objekte werden')} "
                                                     "nicht übernommen (siehe Liste).", "hinweis"))
    districts = gpd.GeoDataFrame(
        {"id": final_ids, "name": final_names, "geometrie": [IMPORTED] * len(final_ids),
         "quelle": [quelle] * len(final_ids)},
        geometry=list(valid.geometry), crs=DISPLAY_CRS,
    )[[*DISTRICT_COLUMNS, "geometry"]]
    if districts.empty:
        blocking.append("Die Datei enthält kein gültiges Stadtteil-Polygon.")

    present = set(final_ids)
    missing = [(i, n) for i, n in known.items() if i not in present]
    missing_with_indicators = [(i, n) for i, n in missing if i in indicator_ids]
    for district_id, district_name in missing:
        if district_id in indicator_ids:
            text = (f"„{district_name}“ fehlt in der Datei: seine Sozialatlas-Werte würden auf der Karte keinem "
                    "Polygon mehr zugeordnet und nicht mehr gezeigt.")
        else:
            text = f"„{district_name}“ fehlt in der Datei und wäre nach dem Veröffentlichen kein Stadtteil mehr."
        notices.append(Problem(filename, None, None, text, "hinweis"))
    for name in new_names:
        notices.append(Problem(filename, None, name_column, f"„{name}“ passt zu keinem bekannten Stadtteil und würde "
                                                            "neu angelegt (ohne Sozialatlas-Werte).", "hinweis"))

    if outline is None:
        outline = read_outline()
    outline_area, uncovered, outside = _coverage(districts, outline)
    if not districts.empty and outline_area and outline_area - uncovered <= AREA_TOLERANCE_M2:
        blocking.append("Die Polygone liegen nicht im Stadtgebiet von Minden. Ist das Koordinatensystem der Datei "
                        "richtig angegeben?")
    else:
        notices.extend(_coverage_notices(filename, outline_area, uncovered, outside, _metric_area(districts)))

    offer_changes, offers_outside = offer_district_changes(offers, current_districts, districts, assign_offers)
    if offers_outside:
        notices.append(Problem(filename, None, None, f"{_count(offers_outside, 'Angebot läge', 'Angebote lägen')} "
                                                     "danach in keinem Stadtteil.", "hinweis"))
    return DistrictCheck(
        filename=filename, layer=upload.layer, name_column=name_column, id_column=id_column, quelle=quelle,
        known=known, districts=districts, matched=matched, unmatched=unmatched, new_names=new_names, missing=missing,
        missing_with_indicators=missing_with_indicators, duplicate_targets=duplicate_targets,
        rejected=rejected.reset_index(drop=True), areas=area_comparison(current_districts, districts),
        offer_changes=offer_changes, offers_outside=offers_outside, outline_area_m2=outline_area,
        uncovered_m2=uncovered, outside_m2=outside, blocking=blocking, notices=notices,
    )


def _empty_check(upload: DistrictUpload, name_column: str, id_column: str | None, quelle: str,
                 known: dict[str, str], indicator_ids: set[str], current: gpd.GeoDataFrame, blocking: list[str],
                 notices: list[Problem]) -> DistrictCheck:
    empty = gpd.GeoDataFrame({c: pd.Series(dtype=object) for c in DISTRICT_COLUMNS},
                             geometry=gpd.GeoSeries([], crs=DISPLAY_CRS), crs=DISPLAY_CRS)
    return DistrictCheck(
        filename=upload.filename, layer=upload.layer, name_column=name_column, id_column=id_column, quelle=quelle,
        known=known, districts=empty, matched={}, unmatched=[], new_names=[], missing=list(known.items()),
        missing_with_indicators=[(i, n) for i, n in known.items() if i in indicator_ids], duplicate_targets={},
        rejected=pd.DataFrame(columns=["zeile", "name", "grund"]), areas=area_comparison(current, empty),
        offer_changes=_changes_frame([]), offers_outside=0, outline_area_m2=0.0, uncovered_m2=0.0, outside_m2=0.0,
        blocking=blocking, notices=notices,
    )


def _geometry_summary(frame: gpd.GeoDataFrame) -> str:
    """Why no polygon came through, as a count of what the layer holds instead (the wrong layer, mostly)."""
    kinds = frame.geometry.geom_type.fillna("keine Geometrie").value_counts()
    parts = ", ".join(f"{count} × {kind}" for kind, count in kinds.items())
    return f"Die Ebene enthält: {parts}." if parts else ""


def _new_id(name: str, number: int | None, known: Mapping[str, str]) -> str:
    """The slug of the name; never a known id (a "new" district must not inherit a known one's indicators)."""
    ident = slugify(name) or f"stadtbezirk-{number or len(known) + 1}"
    return f"{ident}-neu" if ident in known else ident


def _on_grid(geom: BaseGeometry) -> BaseGeometry:
    """2-D, valid, on the grid of :data:`COORDINATE_DECIMALS`, each coordinate the double nearest to its decimal,
    so the GeoJSON text (``repr`` of the floats) reads back to exactly this geometry."""
    # set_precision keeps the polygon valid on the grid (plain rounding may make it touch itself); the rounding
    # after it removes the float noise of grid * step. set_precision may start rings elsewhere, so it runs once
    # here and the GeoJSON writer only rounds (idempotent).
    return _rounded(shapely.set_precision(shapely.force_2d(geom), 10.0 ** -COORDINATE_DECIMALS))


def _rounded(geom: BaseGeometry) -> BaseGeometry:
    return shapely.transform(shapely.force_2d(geom), lambda coords: np.round(coords, COORDINATE_DECIMALS))


def districts_geojson(districts: gpd.GeoDataFrame) -> str:
    """GeoJSON FeatureCollection (RFC 7946, EPSG:4326) with the properties ``id, name, geometrie, quelle``.

    Coordinates are rounded to :data:`COORDINATE_DECIMALS` places; :func:`geo.data.districts.read_districts`
    reads the text back to the same districts if they are on that grid already (as
    :attr:`DistrictCheck.districts` are).
    """
    frame = districts.to_crs(DISPLAY_CRS)
    features = []
    for row, geom in zip(frame[list(DISTRICT_COLUMNS)].itertuples(index=False), frame.geometry):
        properties = {column: ("" if pd.isna(value) else str(value)) for column, value in zip(DISTRICT_COLUMNS, row)}
        features.append({"type": "Feature", "properties": properties, "geometry": mapping(_rounded(geom))})
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False, allow_nan=False)


def _metric_area(districts: gpd.GeoDataFrame) -> float:
    return float(districts.to_crs(METRIC_CRS).union_all().area) if not districts.empty else 0.0


def _coverage(districts: gpd.GeoDataFrame, outline: BaseGeometry) -> tuple[float, float, float]:
    """(outline area, outline area in no district, district area outside the outline), m² in EPSG:25832."""
    if districts.empty or outline is None or outline.is_empty:
        return (float(outline.area) if outline is not None else 0.0), 0.0, 0.0
    union = shapely.make_valid(districts.to_crs(METRIC_CRS).union_all())
    return float(outline.area), float(outline.difference(union).area), float(union.difference(outline).area)


def _coverage_notices(filename: str, outline_area: float, uncovered: float, outside: float,
                      district_area: float) -> list[Problem]:
    notices = []
    if outline_area and uncovered > AREA_TOLERANCE_M2:
        notices.append(Problem(filename, None, "geometry",
                               f"{format_number(100 * uncovered / outline_area, 1)} % des Stadtgebiets liegen in "
                               f"keinem Stadtbezirk ({_area_text(uncovered)}). Der Stadtumriss (BKG VG250) ist "
                               "vereinfacht; kleine Abweichungen am Rand sind normal.", "hinweis"))
    if district_area and outside > AREA_TOLERANCE_M2:
        notices.append(Problem(filename, None, "geometry",
                               f"{format_number(100 * outside / district_area, 1)} % der Stadtbezirksfläche liegen "
                               f"außerhalb des Stadtgebiets ({_area_text(outside)}).", "hinweis"))
    return notices


def _area_text(m2: float) -> str:
    """``"350.000 m² = 0,35 km²"``: m² for the hand check, km² to grasp the size."""
    return f"{format_number(m2, 0)} m² = {format_number(m2 / 1e6, 2)} km²"


def area_comparison(current: gpd.GeoDataFrame, new: gpd.GeoDataFrame) -> pd.DataFrame:
    """Area per district before and after, in km² (EPSG:25832), and the change in % of the current area.

    Rows: every new district in file order (current area NaN if it is new), then current districts that the
    upload lacks (new area NaN). ``name`` is the new name where there is one.
    """
    def areas(frame: gpd.GeoDataFrame) -> dict[str, tuple[str, float]]:
        if frame.empty:
            return {}
        metric = frame.to_crs(METRIC_CRS)
        return {str(i): (str(n), float(a) / 1e6) for i, n, a in zip(metric["id"], metric["name"], metric.area)}

    before, after = areas(current), areas(new)
    rows = []
    for district_id, (name, area) in after.items():
        old = before.get(district_id, (name, math.nan))[1]
        rows.append((district_id, name, old, area))
    rows += [(i, name, area, math.nan) for i, (name, area) in before.items() if i not in after]
    table = pd.DataFrame(rows, columns=["id", "name", "flaeche_bisher_km2", "flaeche_neu_km2"])
    old_area = table["flaeche_bisher_km2"].astype(float)
    table["aenderung_prozent"] = (table["flaeche_neu_km2"].astype(float) - old_area) / old_area.where(old_area > 0) * 100
    return table


def offer_district_changes(offers: gpd.GeoDataFrame | None, current: gpd.GeoDataFrame, new: gpd.GeoDataFrame,
                           assign_offers: OfferAssigner) -> tuple[pd.DataFrame, int]:
    """Offers whose Stadtteil differs between the ``current`` and the ``new`` polygons, and the number of
    located offers that lie in no new polygon.

    Both sides go through the same join (``assign_offers``), so only the polygons differ, not the rules.
    """
    if offers is None or offers.empty:
        return _changes_frame([]), 0
    located = offers.geometry.notna() & ~offers.geometry.is_empty
    before = assign_offers(offers, current) if not current.empty else _unassigned(offers)
    after = assign_offers(offers, new) if not new.empty else _unassigned(offers)
    old_ids, new_ids = before["stadtteil_id"].fillna("").astype(str), after["stadtteil_id"].fillna("").astype(str)
    changed = (old_ids != new_ids) & located
    rows = [(o_id, name, old_id, old_name, new_id, new_name) for o_id, name, old_id, old_name, new_id, new_name, flag
            in zip(offers["id"], offers["name"], old_ids, before["stadtteil_name"].fillna(""), new_ids,
                   after["stadtteil_name"].fillna(""), changed) if flag]
    return _changes_frame(rows), int((located & (new_ids == "")).sum())


def _unassigned(offers: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return offers.assign(stadtteil_id="", stadtteil_name="")


def _changes_frame(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["id", "name", "stadtteil_id_bisher", "stadtteil_bisher", "stadtteil_id_neu",
                                       "stadtteil_neu"])


# --------------------------------------------------------------------------- texts


def _count(number: int, singular: str, plural: str) -> str:
    return f"{format_number(number, 0)} {singular if number == 1 else plural}"


def _join_names(names: Iterable[str]) -> str:
    quoted = [f"„{name}“" for name in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " und " + quoted[-1]


def summary_lines(check: DistrictCheck) -> list[str]:
    """German lines for the audit entry of a publication, the first one the gist:
    ``"19 Stadtbezirke, 17 zugeordnet, 2 neu, 3 Angebote wechseln den Stadtteil"``."""
    total = len(check.districts)
    assigned = sum(1 for i in check.districts["id"] if i in check.known)
    lines = [f"{_count(total, 'Stadtbezirk', 'Stadtbezirke')}, {format_number(assigned, 0)} zugeordnet, "
             f"{format_number(total - assigned, 0)} neu, "
             f"{_count(len(check.offer_changes), 'Angebot wechselt', 'Angebote wechseln')} den Stadtteil",
             f"Datei: {check.filename}, Ebene „{check.layer}“, Namensspalte „{check.name_column}“",
             f"Quelle: {check.quelle or '–'}"]
    if check.missing:
        lines.append(f"Fehlen: {', '.join(name for _, name in check.missing)}")
    if check.offers_outside:
        lines.append(f"{_count(check.offers_outside, 'Angebot liegt', 'Angebote liegen')} in keinem Stadtteil")
    if not check.rejected.empty:
        lines.append(f"Nicht übernommen: {_count(len(check.rejected), 'Objekt', 'Objekte')}")
    if check.outline_area_m2:
        lines.append(f"Stadtgebiet ohne Stadtbezirk: {format_number(check.uncovered_percent, 1)} %, "
                     f"außerhalb des Stadtgebiets: {format_number(check.outside_percent, 1)} %")
    return lines
