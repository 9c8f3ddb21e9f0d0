"""Schematic Stadtteil polygons that fill the real city outline, fit the documented areas and keep sourced places inside.

No official district boundaries can be obtained offline, so the shipped
``stadtteile.geojson`` is an honestly labelled approximation, built in
EPSG:25832 (metres) and written in EPSG:4326:

1. the area to fill is the real municipal outline (BKG VG250, ``data/minden_gemeinde.geojson``),
   cut into square cells (``CELL_M`` = 25 m; cells on the outline are clipped to it);
2. every district has **sites**: its generator point (``data/stadtteile_generatoren.csv``)
   and its **anchors** – the reference point and every sourced place whose
   district a source names (gazetteer places with address or street precision).
   A cell goes to the district with the smallest ``d² - w``, where *d* is the
   distance (m) to the district's nearest site and *w* its weight (m²): a power
   diagram with several sites per district;
3. constraints are part of the assignment, not patches afterwards:
   - every cell within ``MARGIN_M`` of an anchor belongs to that anchor's
     district (where two districts' anchors are closer than twice the margin,
     the nearer anchor decides);
   - a **border line** through sourced points on a documented border feature
     (the Weser between two bridges) may not be crossed: along the line, a
     district stated to lie on one bank gets no cell on the other;
   - a piece of a district cut off from its sites goes to the neighbour it
     borders most; a part narrower than ``2 × MARGIN_M`` (it vanishes under a
     morphological opening with a disk of radius ``MARGIN_M``) and reaching
     further than ``MARGIN_M`` goes to the best neighbour, unless the city
     outline itself is that narrow there;
4. the weights are iterated until every district has its target area (known
   areas from the sources; the rest shared by population);
5. the cell borders are smoothed as one coverage (no gaps, no overlaps) and
   clipped to the outline.

``build-schematic`` prints the report: areas, stated borders held, the margin
of every anchor, the narrowest part of every district, the border lines.
Every feature carries ``geometrie = "schematisch"``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import ndimage
from shapely.geometry import LineString, Point
from shapely.geometry.base import BaseGeometry

from geo.config import DISPLAY_CRS, METRIC_CRS
from geo.data.districts import SCHEMATIC

CELL_M = 25.0
"""Edge of a raster cell (metres)."""

MARGIN_M = 150.0
"""Goal: every anchor lies this far inside its district; also half the narrowest allowed part (metres)."""

FORCED_M = MARGIN_M + 2 * CELL_M
"""Radius of the cells fixed around an anchor (metres): the margin plus what cell steps and smoothing take off."""

SMOOTH_M = 60.0
"""Tolerance of the coverage simplification that smooths the 25 m cell steps (metres, about √ of the area removed)."""


@dataclass(frozen=True)
class Anchor:
    """A sourced point whose district a source names (EPSG:25832 metres)."""

    district: int
    x: float
    y: float
    label: str


@dataclass(frozen=True)
class BorderLine:
    """A documented border feature drawn through sourced points (EPSG:25832), with the districts on each side.

    ``points`` are in flow direction; ``left`` / ``right`` are district indices on
    the left / right bank (for the Weser, flowing north: west / east).
    """

    name: str
    points: tuple[tuple[float, float], ...]
    point_names: tuple[str, ...]
    left: frozenset[int]
    right: frozenset[int]


@dataclass
class Grid:
    """Square cells (EPSG:25832) covering the outline: centres, clipped areas (m²) and their place in the raster."""

    x0: float
    y0: float
    cell: float
    shape: tuple[int, int]
    rows: np.ndarray
    cols: np.ndarray
    centres: np.ndarray
    areas: np.ndarray

    def raster(self, values: np.ndarray, fill: int = -1) -> np.ndarray:
        """``values`` (one per cell) as a 2-D array, ``fill`` outside the outline."""
        out = np.full(self.shape, fill, dtype=values.dtype)
        out[self.rows, self.cols] = values
        return out


def read_reference_points(path: str | Path) -> gpd.GeoDataFrame:
    """Reference points (``id, name, lat, lon, koordinaten_genauigkeit, quelle``) as EPSG:4326 points."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    return gpd.GeoDataFrame(
        frame, geometry=gpd.points_from_xy(frame["lon"].astype(float), frame["lat"].astype(float)), crs=DISPLAY_CRS
    )


def read_border_lines(points_path: str | Path, sides_path: str | Path, names: list[str]) -> list[BorderLine]:
    """Border lines from ``linie, punkt, lat, lon, …`` (points in flow direction) and ``linie, stadtteil, seite``
    (``links`` / ``rechts``); districts not in ``names`` are ignored."""
    points = pd.read_csv(points_path, dtype=str, keep_default_na=False)
    sides = pd.read_csv(sides_path, dtype=str, keep_default_na=False)
    index = {name: i for i, name in enumerate(names)}
    lines = []
    for line, rows in points.groupby("linie", sort=False):
        metric = gpd.GeoSeries(gpd.points_from_xy(rows["lon"].astype(float), rows["lat"].astype(float)),
                               crs=DISPLAY_CRS).to_crs(METRIC_CRS)
        own = sides[(sides["linie"] == line) & sides["stadtteil"].isin(index)]
        lines.append(BorderLine(
            str(line), tuple((p.x, p.y) for p in metric), tuple(rows["punkt"]),
            frozenset(index[s] for s in own.loc[own["seite"] == "links", "stadtteil"]),
            frozenset(index[s] for s in own.loc[own["seite"] == "rechts", "stadtteil"])))
    return lines


def area_targets(names: list[str], facts: pd.DataFrame, total_km2: float) -> tuple[np.ndarray, np.ndarray]:
    """Target area (km²) per district in ``names`` order, and which of them a source gives.

    ``facts`` has ``name, area_km2, population``. Districts without a known area
    share ``total_km2`` minus the known areas in proportion to their population.
    """
    table = facts.set_index("name").reindex(names)
    known = table["area_km2"].notna().to_numpy()
    targets = table["area_km2"].to_numpy(dtype=float, copy=True)
    population = table["population"].to_numpy(dtype=float, copy=True)
    rest = total_km2 - targets[known].sum()
    targets[~known] = rest * population[~known] / population[~known].sum()
    return targets, known


def make_grid(outline: BaseGeometry, cell: float = CELL_M) -> Grid:
    """The cells of a ``cell``-metre raster that meet ``outline`` (EPSG:25832), with the area of each inside it (m²)."""
    minx, miny, maxx, maxy = outline.bounds
    x0, y0 = np.floor(minx / cell) * cell, np.floor(miny / cell) * cell
    ncols, nrows = int(np.ceil((maxx - x0) / cell)), int(np.ceil((maxy - y0) / cell))
    raster_rows, raster_cols = np.meshgrid(np.arange(nrows), np.arange(ncols), indexing="ij")
    rows, cols = raster_rows.ravel(), raster_cols.ravel()
    boxes = shapely.box(x0 + cols * cell, y0 + rows * cell, x0 + (cols + 1) * cell, y0 + (rows + 1) * cell)
    shapely.prepare(outline)
    hit = shapely.intersects(outline, boxes)
    inside = shapely.contains_properly(outline, boxes[hit])
    areas = np.full(int(hit.sum()), cell * cell)
    areas[~inside] = shapely.area(shapely.intersection(boxes[hit][~inside], outline))
    rows, cols = rows[hit], cols[hit]
    centres = np.column_stack([x0 + (cols + 0.5) * cell, y0 + (rows + 0.5) * cell])
    return Grid(x0, y0, cell, (nrows, ncols), rows, cols, centres, areas)


def squared_site_distances(grid: Grid, generators: np.ndarray, anchors: list[Anchor],
                           previous: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """(districts × cells) squared distance (m²) from each cell centre to the district's nearest site.

    ``previous`` = (generators, distances) of an earlier call: only districts whose generator moved are recomputed.
    """
    sites: list[list[tuple[float, float]]] = [[(float(g[0]), float(g[1]))] for g in generators]
    for a in anchors:
        sites[a.district].append((a.x, a.y))
    out = np.empty((len(sites), len(grid.centres)))
    for k, own in enumerate(sites):
        if previous is not None and np.array_equal(previous[0][k], generators[k]):
            out[k] = previous[1][k]
            continue
        pts = np.asarray(own)
        best = np.full(len(grid.centres), np.inf)
        for p in pts:
            np.minimum(best, ((grid.centres - p) ** 2).sum(axis=1), out=best)
        out[k] = best
    return out


def forced_cells(grid: Grid, anchors: list[Anchor], margin: float = FORCED_M) -> np.ndarray:
    """District index per cell that must belong to an anchor's district (-1: free): cells within ``margin`` of an
    anchor, the nearest anchor deciding where districts' anchors compete."""
    forced = np.full(len(grid.centres), -1)
    nearest = np.full(len(grid.centres), np.inf)
    for a in anchors:
        d = np.hypot(grid.centres[:, 0] - a.x, grid.centres[:, 1] - a.y)
        take = (d <= margin) & (d < nearest)
        forced[take], nearest[take] = a.district, d[take]
    return forced


def forbidden_cells(grid: Grid, lines: list[BorderLine], n: int) -> np.ndarray:
    """(districts × cells) True where a border line forbids the district: the other bank, within the stretch
    of the line (cells whose projection falls on one of its segments)."""
    forbidden = np.zeros((n, len(grid.centres)), dtype=bool)
    for line in lines:
        for (ax, ay), (bx, by) in zip(line.points[:-1], line.points[1:]):
            dx, dy = bx - ax, by - ay
            rel = grid.centres - (ax, ay)
            t = (rel[:, 0] * dx + rel[:, 1] * dy) / (dx * dx + dy * dy)
            stretch = (t >= 0) & (t <= 1)
            left = (dx * rel[:, 1] - dy * rel[:, 0]) > 0
            for k in line.left:
                forbidden[k] |= stretch & ~left
            for k in line.right:
                forbidden[k] |= stretch & left
    return forbidden


def _disk(radius_cells: int) -> np.ndarray:
    r = np.arange(-radius_cells, radius_cells + 1)
    return (r[:, None] ** 2 + r[None, :] ** 2) <= radius_cells ** 2


@dataclass
class Assignment:
    """Cells per district (index per cell) and what the constraints changed."""

    labels: np.ndarray
    detached_cells: int = 0
    narrow_cells: int = 0


def assign(grid: Grid, dist2: np.ndarray, weights: np.ndarray, forced: np.ndarray, forbidden: np.ndarray,
           outline_core: np.ndarray, margin: float = MARGIN_M, repair: bool = True) -> Assignment:
    """District per cell: the smallest ``d² - w`` among allowed districts, anchors' cells fixed, detached pieces and
    narrow parts (with ``repair``) given to the best neighbour.

    ``outline_core`` (raster, bool) marks where the outline itself is at least
    ``2 × margin`` wide; narrower places of the outline are not the fit's doing.
    """
    cost = dist2 - weights[:, None]
    cost[forbidden] = np.inf
    labels = np.argmin(cost, axis=0)
    fixed = forced >= 0
    labels[fixed] = forced[fixed]
    result = Assignment(labels)
    if not repair:
        return result
    radius = margin / grid.cell
    fixed_raster = grid.raster(fixed.astype(np.int8), fill=0).astype(bool)
    for _ in range(6):
        raster = grid.raster(labels)
        moved = np.zeros(grid.shape, dtype=bool)
        for k in range(len(weights)):
            detached, narrow = _misplaced(raster == k, fixed_raster, outline_core, radius)
            moved |= detached | narrow
            result.detached_cells += int(detached.sum())
            result.narrow_cells += int(narrow.sum())
        if not moved.any():
            break
        labels = _give_to_neighbours(grid, labels, moved[grid.rows, grid.cols], cost)
    result.labels = labels
    return result


def _misplaced(mask: np.ndarray, fixed: np.ndarray, outline_core: np.ndarray,
               radius: float) -> tuple[np.ndarray, np.ndarray]:
    """Cells of one district (raster ``mask``) that are cut off from its anchors, and cells of parts narrower than
    ``2 × radius`` cells reaching further than ``radius`` cells. Works on the district's bounding box."""
    detached = np.zeros(mask.shape, dtype=bool)
    narrow = np.zeros(mask.shape, dtype=bool)
    if not mask.any():
        return detached, narrow
    pad = int(np.ceil(radius)) + 2
    ys, xs = np.nonzero(mask)
    window = (slice(max(ys.min() - pad, 0), ys.max() + pad + 1), slice(max(xs.min() - pad, 0), xs.max() + pad + 1))
    m, f, core = mask[window], fixed[window] & mask[window], outline_core[window]
    parts, count = ndimage.label(m)
    if count > 1:
        anchored = np.bincount(parts[f], minlength=count + 1) if f.any() else np.zeros(count + 1)
        sizes = np.bincount(parts[m], minlength=count + 1)
        keep = int(np.argmax(anchored)) if anchored.max() > 0 else int(np.argmax(sizes[1:]) + 1)
        detached[window] = m & (parts != keep) & ~f
    # opening by a disk of ``radius`` through distance transforms: erode = farther than radius from outside,
    # dilate back = within radius of the eroded core
    eroded = ndimage.distance_transform_edt(np.pad(m, 1))[1:-1, 1:-1] > radius
    if eroded.any():
        from_core = ndimage.distance_transform_edt(~eroded)
        opened = from_core <= radius
        # reaching further than radius beyond the opened shape, less two cells: the polygons measured afterwards
        # (narrowest_part_m) are smoothed and cut by border lines, which can add a few metres
        narrow[window] = m & ~opened & core & ~f & (from_core > 2 * radius - 2) & ~detached[window]
    return detached, narrow


def _give_to_neighbours(grid: Grid, labels: np.ndarray, moved: np.ndarray, cost: np.ndarray) -> np.ndarray:
    """Reassign the ``moved`` cells to the cheapest district among those of their 8 neighbouring unmoved cells,
    growing inwards from the edge of the moved region."""
    labels = labels.copy()
    raster = grid.raster(labels)
    pending = grid.raster(moved.astype(np.int8), fill=0).astype(bool)
    index = grid.raster(np.arange(len(labels)))
    for _ in range(400):
        if not pending.any():
            break
        changed = False
        ys, xs = np.nonzero(pending)
        for y, x in zip(ys, xs):
            window = slice(max(y - 1, 0), y + 2), slice(max(x - 1, 0), x + 2)
            around = raster[window][~pending[window] & (raster[window] >= 0)]
            candidates = set(around.tolist()) - {raster[y, x]}
            if not candidates:
                continue
            i = index[y, x]
            best = min(candidates, key=lambda k: cost[k, i])
            if not np.isfinite(cost[best, i]):
                continue
            raster[y, x] = best
            labels[i] = best
            pending[y, x] = False
            changed = True
        if not changed:
            break
    return labels


def fit_assignment(grid: Grid, dist2: np.ndarray, targets_m2: np.ndarray, forced: np.ndarray, forbidden: np.ndarray,
                   outline_core: np.ndarray, max_iter: int = 300, tolerance: float = 0.003) -> tuple[np.ndarray, Assignment]:
    """Weights (m²) and the assignment whose district areas meet ``targets_m2`` within ``tolerance`` (relative), or
    the best seen (``update_weights`` each round; the slow repairs only once the areas are close)."""
    n = len(targets_m2)
    weights = np.zeros(n)

    def step(weights: np.ndarray, repair: bool) -> tuple[float, np.ndarray, Assignment]:
        result = assign(grid, dist2, weights, forced, forbidden, outline_core, repair=repair)
        areas = np.bincount(result.labels, weights=grid.areas, minlength=n)
        return (float(np.max(np.abs(targets_m2 - areas) / targets_m2)),
                update_weights(grid, weights, result.labels, dist2, areas, targets_m2), result)

    for _ in range(max_iter):
        worst, weights, _ = step(weights, repair=False)
        if worst < 0.01:
            break
    best: tuple[float, np.ndarray, Assignment] | None = None
    for _ in range(max_iter // 4):
        worst, new_weights, result = step(weights, repair=True)
        if best is None or worst < best[0]:
            best = (worst, weights, result)
        if worst < tolerance:
            break
        weights = new_weights
    assert best is not None
    return best[1], best[2]


def update_weights(grid: Grid, weights: np.ndarray, labels: np.ndarray, dist2: np.ndarray, areas_m2: np.ndarray,
                   targets_m2: np.ndarray, relax: float = 0.6) -> np.ndarray:
    """One damped Newton step towards the target areas (weights and areas in m²).

    Raising ``w_k`` by δ moves district *k*'s free border outwards by about
    ``δ / (2 d)``, *d* being the distance to its nearest site there, so
    ``dA/dw`` is the sum over its border cells of ``cell / (2 d)``.
    """
    raster = grid.raster(labels)
    border = np.zeros(grid.shape, dtype=bool)
    for dy, dx in ((0, 1), (1, 0)):
        a = raster[: raster.shape[0] - dy, : raster.shape[1] - dx]
        b = raster[dy:, dx:]
        differ = (a != b) & (a >= 0) & (b >= 0)
        border[: raster.shape[0] - dy, : raster.shape[1] - dx] |= differ
        border[dy:, dx:] |= differ
    idx = np.nonzero(border[grid.rows, grid.cols])[0]
    d = np.sqrt(np.maximum(dist2[labels[idx], idx], grid.cell ** 2))
    slope = np.bincount(labels[idx], weights=grid.cell / (2 * d), minlength=len(weights))
    return weights + relax * (targets_m2 - areas_m2) / np.maximum(slope, 1e-6)


def outline_core_mask(grid: Grid, margin: float = MARGIN_M) -> np.ndarray:
    """Raster (bool): cells where the outline itself is at least ``2 × margin`` wide (kept by an opening)."""
    inside = grid.raster(np.ones(len(grid.centres), dtype=np.int8), fill=0).astype(bool)
    return ndimage.binary_opening(inside, structure=_disk(int(round(margin / grid.cell))))


def cells_to_polygons(grid: Grid, labels: np.ndarray, outline: BaseGeometry, n: int,
                      smooth: float = SMOOTH_M) -> list[BaseGeometry]:
    """One polygon per district (EPSG:25832): the union of its cells, smoothed as a coverage, clipped to ``outline``."""
    x0 = grid.x0 + grid.cols * grid.cell
    y0 = grid.y0 + grid.rows * grid.cell
    boxes = shapely.box(x0, y0, x0 + grid.cell, y0 + grid.cell)
    merged = [shapely.union_all(boxes[labels == k]) for k in range(n)]
    if smooth > 0:
        merged = list(shapely.coverage_simplify(np.array(merged, dtype=object), smooth, simplify_boundary=False))
    shapes = [shapely.make_valid(shapely.intersection(m, outline)) for m in merged]
    return [_polygonal(s) for s in shapes]


def _polygonal(geom: BaseGeometry) -> BaseGeometry:
    """Only the polygonal parts of ``geom`` (an intersection can leave lines or points on a shared edge)."""
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in getattr(geom, "geoms", []) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts)


def anchor_margins(frame: gpd.GeoDataFrame, anchors: list[Anchor]) -> pd.DataFrame:
    """Per anchor: its district, whether it lies inside, and the distance (m) to the nearest other district."""
    shapes = list(frame.geometry)
    names = list(frame["name"])
    rows = []
    for a in anchors:
        point = Point(a.x, a.y)
        others = shapely.union_all([s for j, s in enumerate(shapes) if j != a.district])
        rows.append({"stadtteil": names[a.district], "ort": a.label, "innen": shapes[a.district].contains(point),
                     "abstand_m": float(others.distance(point))})
    return pd.DataFrame(rows)


def narrowest_part_m(shape: BaseGeometry, outline: BaseGeometry, reach_m: float = MARGIN_M, step: float = 25.0,
                     limit: float = 600.0) -> float:
    """Width (m) of the narrowest part of ``shape`` that reaches further than ``reach_m``, in ``step`` steps up to
    ``limit``.

    A part narrower than ``2 r`` vanishes when ``shape`` is opened with a disk of
    radius ``r``; it counts when it reaches further than ``reach_m`` beyond the
    opened shape – a strip does, the tip of a corner does not. Pieces at the
    city outline are left out: there a district border meets the outline at
    whatever angle the outline has. The same rule as the fit's repair, measured
    on the final polygons.
    """
    edge = outline.boundary.buffer(1.0)
    r = step
    while 2 * r <= limit:
        opened = shape.buffer(-r).buffer(r)
        rest = _polygonal(shape.difference(opened))
        for piece in getattr(rest, "geoms", [rest]):
            if piece.is_empty or piece.area < 1 or piece.intersects(edge):
                continue
            tips = shapely.points(shapely.get_coordinates(piece))
            reach = float(shapely.distance(tips, opened).max()) if not opened.is_empty else np.inf
            if reach > reach_m:
                return 2 * (r - step)
        r += step
    return limit


def _half_bands(a: tuple[float, float], b: tuple[float, float], reach: float = 1e5) -> tuple[BaseGeometry, BaseGeometry]:
    """The areas left and right of the segment ``a → b`` between the perpendiculars through its ends (metres)."""
    d = np.array([b[0] - a[0], b[1] - a[1]])
    n = np.array([-d[1], d[0]]) / np.linalg.norm(d) * reach
    left = shapely.Polygon([a, b, (b[0] + n[0], b[1] + n[1]), (a[0] + n[0], a[1] + n[1])])
    right = shapely.Polygon([a, b, (b[0] - n[0], b[1] - n[1]), (a[0] - n[0], a[1] - n[1])])
    return left, right


def honour_lines(shapes: list[BaseGeometry], lines: list[BorderLine]) -> list[BaseGeometry]:
    """Cut what a district has on the wrong bank of a border line (the cell steps leave slivers up to half a cell)
    and give each piece to the district on the right bank that borders it most."""
    shapes = list(shapes)
    for line in lines:
        for a, b in zip(line.points[:-1], line.points[1:]):
            left, right = _half_bands(a, b)
            for wrong_side, own in ((right, line.left), (left, line.right)):
                for k in sorted(own):
                    wrong = _polygonal(shapes[k].intersection(wrong_side))
                    if wrong.is_empty:
                        continue
                    shapes[k] = _polygonal(shapes[k].difference(wrong))
                    for piece in getattr(wrong, "geoms", [wrong]):
                        takers = [j for j in range(len(shapes)) if j != k and j not in own]
                        j = max(takers, key=lambda j: shapes[j].intersection(piece.buffer(0.5)).area)
                        shapes[j] = _polygonal(shapes[j].union(piece))
    return shapes


def line_respected(frame: gpd.GeoDataFrame, line: BorderLine, tolerance_m2: float = 20.0) -> pd.DataFrame:
    """Per district with a side: its area (m²) on the wrong bank within the stretch of the line."""
    shapes = list(frame.geometry)
    names = list(frame["name"])
    rows = []
    for a, b in zip(line.points[:-1], line.points[1:]):
        left, right = _half_bands(a, b)
        rows += [{"stadtteil": names[k], "seite": "links", "falsche_seite_m2": shapes[k].intersection(right).area}
                 for k in sorted(line.left)]
        rows += [{"stadtteil": names[k], "seite": "rechts", "falsche_seite_m2": shapes[k].intersection(left).area}
                 for k in sorted(line.right)]
    out = pd.DataFrame(rows).groupby(["stadtteil", "seite"], as_index=False, sort=False)["falsche_seite_m2"].sum()
    # the written file rounds to 1e-7° (about 1 cm): along 1.6 km of line that leaves up to ~16 m² of slivers
    out["gehalten"] = out["falsche_seite_m2"] < tolerance_m2
    return out


def landmark_share(frame: gpd.GeoDataFrame, anchors: list[Anchor], minimum: int = 3) -> pd.DataFrame:
    """Per district with at least ``minimum`` anchors: the share of the rectangle they span that is drawn as that district."""
    rows = []
    for k, name in enumerate(frame["name"]):
        own = [(a.x, a.y) for a in anchors if a.district == k]
        if len(own) < minimum:
            continue
        xs, ys = zip(*own)
        rect = shapely.box(min(xs), min(ys), max(xs), max(ys))
        if rect.area > 0:
            rows.append({"stadtteil": name, "anteil": frame.geometry.iloc[k].intersection(rect).area / rect.area})
    return pd.DataFrame(rows, columns=["stadtteil", "anteil"])


@dataclass
class SchematicReport:
    """What ``build-schematic`` prints: areas, borders held, anchor margins, narrowest parts, border lines."""

    areas: pd.DataFrame
    borders: pd.DataFrame
    margins: pd.DataFrame = field(default_factory=pd.DataFrame)
    lines_held: pd.DataFrame = field(default_factory=pd.DataFrame)
    landmarks: pd.DataFrame = field(default_factory=pd.DataFrame)
    gap_m2: float = 0.0
    overlap_m2: float = 0.0
    detached_cells: int = 0
    narrow_cells: int = 0
    margin_goal_m: float = MARGIN_M

    def lines(self) -> list[str]:
        known = self.areas[self.areas["flaeche_bekannt"]]
        err = known["fehler_prozent"].abs()
        out = [f"{'Stadtbezirk':<20}{'Ziel km²':>10}{'erreicht':>10}{'Fehler':>9}{'schmalste Stelle':>18}  Quelle der Zielfläche"]
        for r in self.areas.itertuples():
            width = f"{'≥ ' if r.schmalste_m >= 600 else ''}{r.schmalste_m:.0f} m"
            out.append(f"{r.name:<20}{r.ziel_km2:>10.2f}{r.flaeche_km2:>10.2f}{r.fehler_prozent:>8.1f}%{width:>18}  "
                       f"{'Quelle' if r.flaeche_bekannt else 'Rest nach Einwohnern verteilt'}")
        out.append(f"Bekannte Flächen: Median-Fehler {err.median():.1f} %, größter {err.max():.1f} % "
                   f"({known.loc[err.idxmax(), 'name']}); alle innerhalb ±10 %: {'ja' if err.max() <= 10 else 'nein'}")
        out.append(f"Schmalste Stelle aller Bezirke (Ausläufer, die über {self.margin_goal_m:.0f} m hinausreichen): "
                   f"{self.areas['schmalste_m'].min():.0f} m ({self.areas.loc[self.areas['schmalste_m'].idxmin(), 'name']})"
                   f"{' oder mehr' if self.areas['schmalste_m'].min() >= 600 else ''}; Ziel ≥ {2 * self.margin_goal_m:.0f} m")
        if len(self.borders):
            held = int(self.borders["grenzt"].sum())
            out.append(f"Genannte Grenzen: {held} von {len(self.borders)} gehalten ({held / len(self.borders):.0%})")
            for r in self.borders[~self.borders["grenzt"]].itertuples():
                out.append(f"  nicht gehalten: {r.stadtteil} – {r.neighbour}")
        if len(self.margins):
            inside = int(self.margins["innen"].sum())
            out.append(f"Bezugspunkte und belegte Orte in der eigenen Fläche: {inside} von {len(self.margins)}")
            worst = self.margins.sort_values("abstand_m").iloc[0]
            below = self.margins[self.margins["abstand_m"] < self.margin_goal_m - 1]
            out.append(f"Abstand zur nächsten fremden Fläche: kleinster {worst.abstand_m:.0f} m ({worst.ort}, "
                       f"{worst.stadtteil}); Ziel ≥ {self.margin_goal_m:.0f} m, darunter: {len(below)}")
            for r in below.sort_values("abstand_m").itertuples():
                out.append(f"  {r.abstand_m:>5.0f} m  {r.ort} ({r.stadtteil}){' – ' + r.grund if r.grund else ''}")
        for r in self.lines_held.itertuples():
            out.append(f"Grenzlinie {r.linie}: {r.stadtteil} ({r.seite}) "
                       f"{'hält sie' if r.gehalten else f'liegt mit {r.falsche_seite_m2:.0f} m² auf der anderen Seite'}")
        for r in self.landmarks.itertuples():
            out.append(f"Rechteck der belegten Orte von {r.stadtteil}: {r.anteil:.0%} als {r.stadtteil} gezeichnet")
        out.append(f"Abgetrennte Splitter umverteilt: {self.detached_cells} Zellen; zu schmale Ausläufer umverteilt: "
                   f"{self.narrow_cells} Zellen (je {CELL_M:.0f} × {CELL_M:.0f} m)")
        out.append(f"Lücken zum Stadtumriss {self.gap_m2:.1f} m², Überlappungen {self.overlap_m2:.1f} m²")
        return out


def collect_anchors(points: gpd.GeoDataFrame, places: gpd.GeoDataFrame | None = None) -> list[Anchor]:
    """The reference points and the sourced places with a named district (``stadtteil``), as EPSG:25832 anchors."""
    index = {name: i for i, name in enumerate(points["name"])}
    anchors = [Anchor(i, p.x, p.y, f"Bezugspunkt {name}")
               for i, (name, p) in enumerate(zip(points["name"], points.to_crs(METRIC_CRS).geometry))]
    if places is not None and len(places):
        seen = {(round(a.x, 1), round(a.y, 1), a.district) for a in anchors}
        for p in places.to_crs(METRIC_CRS).itertuples():
            if p.stadtteil in index:
                key = (round(p.geometry.x, 1), round(p.geometry.y, 1), index[p.stadtteil])
                if key not in seen:
                    seen.add(key)
                    anchors.append(Anchor(index[p.stadtteil], p.geometry.x, p.geometry.y, str(p.name)))
    return anchors


def margin_limits(anchors: list[Anchor], lines: list[BorderLine], names: list[str],
                  margin: float = MARGIN_M) -> dict[str, str]:
    """Why an anchor cannot reach ``margin``: another district's anchor or a border line closer than allowed."""
    reasons: dict[str, str] = {}
    for a in anchors:
        p = Point(a.x, a.y)
        for b in anchors:
            # two anchors closer than twice the margin plus a cell each share what lies between them
            if b.district != a.district and p.distance(Point(b.x, b.y)) < 2 * (margin + CELL_M):
                reasons[a.label] = (f"{b.label} ({names[b.district]}) liegt {p.distance(Point(b.x, b.y)):.0f} m "
                                    f"entfernt, möglich ist höchstens die Hälfte abzüglich der Zellstufen")
        for line in lines:
            if a.district in line.left | line.right:
                distance = LineString(line.points).distance(p)
                if distance < margin:
                    reasons[a.label] = f"die belegte Linie {line.name} liegt {distance:.0f} m entfernt"
    return reasons


def prepare(points: gpd.GeoDataFrame, outline: BaseGeometry, places: gpd.GeoDataFrame | None,
            lines: list[BorderLine], cell: float = CELL_M) -> tuple[Grid, list[Anchor], np.ndarray, np.ndarray]:
    """Grid, anchors, cells fixed by anchors and cells forbidden by border lines (a line wins over an anchor)."""
    n = len(points)
    anchors = collect_anchors(points, places)
    grid = make_grid(outline, cell)
    forced = forced_cells(grid, anchors)
    forbidden = forbidden_cells(grid, lines, n)
    forced[(forced >= 0) & forbidden[np.maximum(forced, 0), np.arange(len(forced))]] = -1
    return grid, anchors, forced, forbidden


def find_generators(points: gpd.GeoDataFrame, generators: np.ndarray, outline: BaseGeometry, targets_km2: np.ndarray,
                    relations: pd.DataFrame, places: gpd.GeoDataFrame | None = None,
                    lines: list[BorderLine] | None = None, steps: int = 300) -> tuple[np.ndarray, list[str]]:
    """``search_generators`` on the shipped inputs: new generator sites (EPSG:25832) and the search log."""
    names = list(points["name"])
    pairs = [(names.index(a), names.index(b)) for a, b in zip(relations["stadtteil"], relations["neighbour"])
             if a in names and b in names]
    # a 50 m raster is fine enough to tell which districts touch, and four times faster
    grid, anchors, forced, forbidden = prepare(points, outline, places, lines or [], cell=2 * CELL_M)
    return search_generators(grid, generators, anchors, targets_km2 * 1e6, forced, forbidden, pairs, steps)


def schematic_districts(points: gpd.GeoDataFrame, generators: np.ndarray, outline: BaseGeometry,
                        targets_km2: np.ndarray, known: np.ndarray, relations: pd.DataFrame | None = None,
                        places: gpd.GeoDataFrame | None = None, lines: list[BorderLine] | None = None,
                        cell: float = CELL_M) -> tuple[gpd.GeoDataFrame, SchematicReport]:
    """Districts (EPSG:4326) and the report; ``generators`` are EPSG:25832 sites in ``points`` order.

    ``places`` (optional; columns ``stadtteil`` and point geometry) are sourced
    places whose district is known; ``lines`` are documented border lines.
    """
    lines = lines or []
    names = list(points["name"])
    n = len(names)
    grid, anchors, forced, forbidden = prepare(points, outline, places, lines, cell)
    dist2 = squared_site_distances(grid, generators, anchors)
    core = outline_core_mask(grid)
    _, result = fit_assignment(grid, dist2, targets_km2 * 1e6, forced, forbidden, core)
    shapes = honour_lines(cells_to_polygons(grid, result.labels, outline, n), lines)
    frame = gpd.GeoDataFrame(
        {"id": points["id"].to_numpy(), "name": points["name"].to_numpy(), "geometrie": SCHEMATIC,
         "quelle": "Schematisch: gewichtete Zuordnung zu Generatorpunkten und belegten Orten im Stadtumriss BKG "
                   "VG250, Flächen an die Quellen angepasst, belegte Orte mit Abstand im eigenen Bezirk, Weser "
                   "zwischen zwei belegten Brückenpunkten als Grenze (data/SOURCES.md); keine amtlichen Grenzen."},
        geometry=shapes, crs=METRIC_CRS)
    achieved = frame.area.to_numpy() / 1e6
    areas = pd.DataFrame({"name": frame["name"], "ziel_km2": targets_km2, "flaeche_km2": achieved,
                          "fehler_prozent": (achieved - targets_km2) / targets_km2 * 100, "flaeche_bekannt": known,
                          "schmalste_m": [narrowest_part_m(s, outline) for s in shapes]})
    margins = anchor_margins(frame, anchors)
    reasons = margin_limits(anchors, lines, names)
    margins["grund"] = [reasons.get(label, "") for label in margins["ort"]]
    held = [line_respected(frame, line).assign(linie=line.name) for line in lines]
    union = shapely.union_all(list(frame.geometry))
    report = SchematicReport(
        areas, neighbour_agreement(frame, relations) if relations is not None else pd.DataFrame(columns=["grenzt"]),
        margins, pd.concat(held, ignore_index=True) if held else pd.DataFrame(), landmark_share(frame, anchors),
        gap_m2=float(outline.symmetric_difference(union).area), overlap_m2=float(frame.area.sum() - union.area),
        detached_cells=result.detached_cells, narrow_cells=result.narrow_cells)
    return frame.to_crs(DISPLAY_CRS), report


def search_generators(grid: Grid, generators: np.ndarray, anchors: list[Anchor], targets_m2: np.ndarray,
                      forced: np.ndarray, forbidden: np.ndarray, pairs: list[tuple[int, int]], steps: int = 300,
                      seed: int = 20261207) -> tuple[np.ndarray, list[str]]:
    """Generator sites (EPSG:25832) found by a seeded local search, and a log line per accepted move.

    Score = stated borders not held + 3 × districts with a piece over 5 ha cut
    off from their anchors or with less than 90 % of the rectangle their
    sourced places span + 10 × the km² of all cut-off pieces + 10 × the share
    of those rectangles drawn as another district (+10 if an area misses its
    target by more than 5 %), on the assignment
    without repairs (fast). Each step moves one site – at random, or a site of a
    district with cut-off anchors towards them – and keeps the move if the score
    does not get worse.
    """
    rng = np.random.default_rng(seed)
    n = len(generators)
    own = [np.array([(a.x, a.y) for a in anchors if a.district == k]) for k in range(n)]

    cache: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    anchored = [grid.raster((forced == k).astype(np.int8), fill=0) > 0 for k in range(n)]  # fixed for the whole search
    # the rectangle spanned by a district's sourced places (three or more) should be drawn as that district
    spans = []
    for pts in own:
        if len(pts) >= 3:
            (x0, y0), (x1, y1) = pts.min(axis=0), pts.max(axis=0)
            c = grid.centres
            spans.append((c[:, 0] >= x0) & (c[:, 0] <= x1) & (c[:, 1] >= y0) & (c[:, 1] <= y1))
        else:
            spans.append(np.zeros(len(grid.centres), dtype=bool))

    def evaluate(sites: np.ndarray, weights: np.ndarray) -> tuple[float, np.ndarray, list[int], np.ndarray]:
        dist2 = squared_site_distances(grid, sites, anchors, cache.get("last"))
        for _ in range(60):
            result = assign(grid, dist2, weights, forced, forbidden, np.zeros(grid.shape, dtype=bool), repair=False)
            areas = np.bincount(result.labels, weights=grid.areas, minlength=n)
            error = targets_m2 - areas
            if np.max(np.abs(error) / targets_m2) < 0.01:
                break
            weights = update_weights(grid, weights, result.labels, dist2, areas, targets_m2)
        worst = float(np.max(np.abs(error) / targets_m2))
        raster = grid.raster(result.labels)
        loose = np.array([_loose_cells(raster == k, anchored[k]) for k in range(n)]) * grid.cell ** 2 / 1e6
        held = np.array([float(np.mean(result.labels[rect] == k)) if rect.any() else 1.0 for k, rect in enumerate(spans)])
        stray = [k for k in range(n) if loose[k] > 0.05 or held[k] < 0.9]
        missing = sum(not _touch(raster, a, b) for a, b in pairs)
        score = (missing + 3 * len(stray) + 10 * float(loose.sum()) + 10 * float((1 - held).sum())
                 + (10 if worst > 0.05 else 0))
        return score, weights, stray, dist2

    sites = np.asarray(generators, dtype=float).copy()
    current, weights, stray, dist2 = evaluate(sites, np.zeros(n))
    cache["last"] = (sites, dist2)
    log = [f"Start: Punktzahl {current:.2f}"]
    for i in range(steps):
        if current == 0:
            break
        trial = sites.copy()
        if stray and rng.random() < 0.6:
            k = stray[rng.integers(len(stray))]
            trial[k] += rng.uniform(0.2, 0.8) * (own[k].mean(axis=0) - trial[k])
        else:
            trial[rng.integers(n)] += rng.normal(0, 400, 2)
        score, trial_weights, trial_stray, trial_dist2 = evaluate(trial, weights.copy())
        if score <= current:
            if score < current:
                log.append(f"Schritt {i}: Punktzahl {score:.2f}")
            sites, weights, current, stray = trial, trial_weights, score, trial_stray
            cache["last"] = (sites, trial_dist2)
    return sites, log


def _loose_cells(mask: np.ndarray, forced: np.ndarray) -> int:
    """Cells of a district outside its main piece: the piece holding most of its anchors' cells (or the largest)."""
    parts, count = ndimage.label(mask)
    if count < 2:
        return 0
    sizes = np.bincount(parts[mask], minlength=count + 1)
    held = np.bincount(parts[forced & mask], minlength=count + 1) if (forced & mask).any() else sizes
    return int(sizes.sum() - sizes[int(np.argmax(held))])


def _touch(raster: np.ndarray, a: int, b: int) -> bool:
    """Do districts ``a`` and ``b`` share a cell edge in ``raster``?"""
    for x, y in ((raster[:, :-1], raster[:, 1:]), (raster[:-1, :], raster[1:, :])):
        if (((x == a) & (y == b)) | ((x == b) & (y == a))).any():
            return True
    return False


def write_generators(path: str | Path, points: gpd.GeoDataFrame, sites: np.ndarray) -> None:
    """Store generator sites (rounded to 1 m) with their distance to the reference point."""
    refs = np.array([[p.x, p.y] for p in points.to_crs(METRIC_CRS).geometry])
    pd.DataFrame({"id": points["id"], "name": points["name"], "x_epsg25832": np.round(sites[:, 0]).astype(int),
                  "y_epsg25832": np.round(sites[:, 1]).astype(int),
                  "abstand_bezugspunkt_m": np.round(np.linalg.norm(sites - refs, axis=1)).astype(int)}
                 ).to_csv(path, index=False, lineterminator="\n")


def read_generators(path: str | Path, ids: list[str]) -> np.ndarray:
    """Generator sites (EPSG:25832 metres) in the order of ``ids``."""
    table = pd.read_csv(path, dtype={"id": str}).set_index("id").reindex(ids)
    if table[["x_epsg25832", "y_epsg25832"]].isna().any().any():
        raise ValueError(f"{Path(path).name}: Generatorpunkte fehlen für {', '.join(table.index[table['x_epsg25832'].isna()])}")
    return table[["x_epsg25832", "y_epsg25832"]].to_numpy(dtype=float)


def write_schematic_geojson(districts: gpd.GeoDataFrame, out_path: str | Path) -> None:
    """Write the districts as RFC 7946 GeoJSON with 7 decimals (about 1 cm: coarser rounding opened
    square-metre overlaps between neighbours)."""
    districts = districts.copy()
    districts["geometry"] = districts.geometry.set_precision(1e-7)
    districts.to_file(out_path, driver="GeoJSON", RFC7946="YES", COORDINATE_PRECISION=7)


def stated_neighbours(path: str | Path) -> pd.DataFrame:
    """Neighbour relations stated by sources (``stadtteil, neighbour, source_url``), one row per stated pair.

    Bracketed remarks after a name are dropped; rows marked ``position only``
    (relative position, not a shared border) are left out.
    """
    frame = pd.read_csv(path, comment="#", dtype=str, keep_default_na=False)
    frame = frame[~frame["neighbour"].str.contains("position only", regex=False)].copy()
    frame["neighbour"] = frame["neighbour"].str.replace(r"\s*\[.*\]$", "", regex=True).str.strip()
    return frame[["stadtteil", "neighbour", "source_url"]].reset_index(drop=True)


def neighbour_agreement(districts: gpd.GeoDataFrame, relations: pd.DataFrame, tolerance_m: float = 1.0) -> pd.DataFrame:
    """For each stated pair of districts (both present by name): do their polygons share a border?

    Adds a boolean column ``grenzt`` (touch within ``tolerance_m`` metres, EPSG:25832);
    pairs with a name not in ``districts`` (e.g. neighbouring towns) are dropped.
    """
    shapes = dict(zip(districts["name"], districts.to_crs(METRIC_CRS).geometry))
    pairs = relations[relations["stadtteil"].isin(shapes) & relations["neighbour"].isin(shapes)].copy()
    pairs["grenzt"] = [shapes[a].buffer(tolerance_m).intersects(shapes[b]) for a, b in zip(pairs["stadtteil"], pairs["neighbour"])]
    return pairs.reset_index(drop=True)
