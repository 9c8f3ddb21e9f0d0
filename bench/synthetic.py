"""SYNTHETISCHE Angebote für Messungen – keine echten Daten.

Jede Zeile heißt „Angebot <n>“, trägt ``quelle = "SYNTHETISCH (bench/synthetic.py) – kein echtes Angebot"``
und liegt an einem zufälligen Punkt in der Vereinigung der Stadtteil-Polygone.
Die Punkte werden in EPSG:25832 (Meter, flächentreu genug für eine
Gleichverteilung) per Verwerfungsverfahren im umschließenden Rechteck gezogen
und in EPSG:4326 zurückgegeben – mit allen Spalten von
:data:`geo.data.offers.OFFER_COLUMNS` plus ``zeile``, so wie :func:`geo.data.offers.read_offers` sie liefert.
"""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.config import DISPLAY_CRS, HANDLUNGSFELDER, METRIC_CRS
from geo.data.offers import OFFER_COLUMNS

SYNTHETIC_SOURCE = "SYNTHETISCH (bench/synthetic.py) – kein echtes Angebot"

_KATEGORIEN = ("Beratung", "Begegnung", "Sprachkurs", "Lernhilfe", "Qualifizierung", "Wohnberatung")
_ZIELGRUPPEN = ("Familien", "Jugendliche", "Frauen", "Neuzugewanderte", "alle")
_SPRACHEN = ("deutsch", "deutsch, englisch", "deutsch, arabisch", "deutsch, türkisch", "deutsch, russisch")
_KOSTEN = ("kostenlos", "unbekannt", "geringer Beitrag")
_STRASSEN = ("Marienstraße", "Bäckerstraße", "Portastraße", "Ringstraße", "Kuhlenstraße", "Stiftsallee")
_ZEITEN = ("Mo-Fr 09:00-12:00", "Di,Do 14:00-17:00", "Mo 10:00-12:00", "")
_BARRIEREFREI = ("ja", "nein", "unbekannt")


def sample_points_metric(
    polygon, n: int, rng: np.random.Generator, batch_factor: float = 1.3
) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points uniformly in ``polygon`` (projected coordinates), by rejection in its bounding box.

    Vectorised: candidates are drawn in batches with numpy and tested with
    :func:`shapely.contains_xy` (the polygon is prepared once).
    """
    min_x, min_y, max_x, max_y = polygon.bounds
    acceptance = polygon.area / ((max_x - min_x) * (max_y - min_y))
    shapely.prepare(polygon)
    xs, ys, have = [], [], 0
    while have < n:
        m = max(int((n - have) / acceptance * batch_factor), 64)
        x = rng.uniform(min_x, max_x, m)
        y = rng.uniform(min_y, max_y, m)
        inside = shapely.contains_xy(polygon, x, y)
        xs.append(x[inside])
        ys.append(y[inside])
        have += int(inside.sum())
    return np.concatenate(xs)[:n], np.concatenate(ys)[:n]


def synthetic_offers(districts: gpd.GeoDataFrame, n: int, seed: int = 0) -> gpd.GeoDataFrame:
    """``n`` SYNTHETIC offers, uniform inside the union of ``districts``; EPSG:4326, reproducible per ``seed``.

    ``stadtteil`` is the name of the district that contains the point (first in
    file order), as a careful editor would type it, so that the spatial join
    reports no mismatches.
    """
    rng = np.random.default_rng(seed)
    metric = districts.to_crs(METRIC_CRS)
    x, y = sample_points_metric(shapely.union_all(metric.geometry.values), n, rng)
    points = gpd.GeoSeries(shapely.points(x, y), crs=METRIC_CRS)

    tree = shapely.STRtree(metric.geometry.values)
    pt_idx, poly_idx = tree.query(points.values, predicate="intersects")
    first_poly = np.full(n, -1)
    order = np.lexsort((poly_idx, pt_idx))  # per point, lowest district index first
    pt_sorted, poly_sorted = pt_idx[order], poly_idx[order]
    firsts = np.r_[True, pt_sorted[1:] != pt_sorted[:-1]] if len(pt_sorted) else np.array([], dtype=bool)
    first_poly[pt_sorted[firsts]] = poly_sorted[firsts]
    district_names = np.append(metric["name"].astype(str).to_numpy(), "")  # index -1 → ""
    stadtteil = district_names[first_poly]

    geometry = points.to_crs(DISPLAY_CRS)
    lon = shapely.get_x(geometry.values)
    lat = shapely.get_y(geometry.values)
    numbers = np.arange(1, n + 1)
    hf_names = [hf.name for hf in HANDLUNGSFELDER]

    def pick(options: tuple[str, ...]) -> np.ndarray:
        return np.asarray(options, dtype=object)[rng.integers(0, len(options), n)]

    def numbered(template: str, values: np.ndarray) -> list[str]:
        return [template.format(v) for v in values.tolist()]

    house = rng.integers(1, 120, n)
    phone = rng.integers(100000, 999999, n)
    columns = {
        "id": numbered("synth-{}", numbers),
        "name": numbered("Angebot {}", numbers),
        "traeger": numbered("Träger {}", rng.integers(1, 200, n)),
        "handlungsfeld": [hf_names[i % len(hf_names)] for i in range(n)],
        "kategorie": pick(_KATEGORIEN),
        "zielgruppen": pick(_ZIELGRUPPEN),
        "sprachen": pick(_SPRACHEN),
        "kosten": pick(_KOSTEN),
        "adresse": [f"{s} {h}, 32423 Minden" for s, h in zip(pick(_STRASSEN).tolist(), house.tolist())],
        "stadtteil": stadtteil,
        "lat": lat,
        "lon": lon,
        "lage_genauigkeit": np.full(n, "adresse", dtype=object),
        "oeffnungszeiten": pick(_ZEITEN),
        "barrierefrei": pick(_BARRIEREFREI),
        "website": numbered("https://example.org/angebot-{}", numbers),
        "telefon": numbered("0571 {}", phone),
        "beschreibung": numbered("Synthetisches Angebot {} für Messungen.", numbers),
        "beschreibung_einfach": np.full(n, "Ein Test-Angebot. Es ist nicht echt.", dtype=object),
        "zuletzt_geprueft": np.full(n, "2026-11", dtype=object),
        "quelle": np.full(n, SYNTHETIC_SOURCE, dtype=object),
        "zeile": numbers + 1,  # line 1 is the header, as in a CSV file
    }
    frame = pd.DataFrame(columns, columns=[*OFFER_COLUMNS, "zeile"])
    text_cols = [c for c in OFFER_COLUMNS if c not in ("lat", "lon")]
    frame[text_cols] = frame[text_cols].astype(str)
    frame["zeile"] = frame["zeile"].astype("int64")
    return gpd.GeoDataFrame(frame, geometry=geometry.values, crs=DISPLAY_CRS)
