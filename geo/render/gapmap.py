"""The gap map: grid cells coloured by distance to the nearest matching offer, as a layer of the app's map
and as a PNG for reports (matplotlib, no tile server).

Distance classes are relative to the chosen straight-line radius ``r``: up to
r/2, up to r, up to 2r (a gap), beyond 2r (a wide gap). The colours are a grey
scale (light = near, dark = far): lightness alone, so safe for every kind of
colour vision, and far from every Handlungsfeld colour, so no offer marker
can be mistaken for a class. Gaps are also named in the legend and in every
cell's tooltip, outlined, and a wide gap is hatched – never colour alone.
"""
from __future__ import annotations

import html
import io
import math

import folium
import geopandas as gpd
import numpy as np
import shapely

from geo.analysis.coverage import offer_xy
from geo.analysis.join import has_location
from geo.analysis.nearest import DETOUR_FACTOR
from geo.config import DISPLAY_CRS, HANDLUNGSFELDER, METRIC_CRS
from geo.formatting import format_number
from geo.i18n import t
from geo.render.mapbuild import HtmlControl, template_safe_html

GRID_PANE = "qk-grid"
CLASS_COLOURS = ("#f7f7f7", "#cccccc", "#969696", "#525252")
"""Near → far (ColorBrewer Greys); the last two classes are gaps. Not YlGn any more: its darkest green
(#005a32) was the colour of the "A" (Arbeitsmarktintegration) markers."""
GAP_EDGE = "#000000"
WIDE_GAP_HATCH = "#e0e0e0"
"""Hatch lines of a wide gap in the PNG: light on the dark grey."""
LETTER_MARKER_LIMIT = 2000
"""Up to this many offers, each is a circle with its Handlungsfeld letter; beyond, where the circles would
cover each other and the map, a small dot in the field's colour."""
RASTER_SUBDIVISION = 5
"""The PNG's raster has 5 × 5 pixels per grid cell, so that cells split by a district border show both pieces."""


def distance_classes(distances: np.ndarray, radius_m: float) -> np.ndarray:
    """Class 0–3 per distance: ≤ r/2, ≤ r, ≤ 2r, > 2r (also for ``inf`` = no offer at all)."""
    bounds = np.array([radius_m / 2, radius_m, 2 * radius_m])
    return np.searchsorted(bounds, np.asarray(distances, dtype=float), side="left")


def class_labels(radius_m: float, lang: str = "de") -> list[str]:
    """Legend texts of the four classes in estimated walking metres (straight line × ``DETOUR_FACTOR``),
    the unit of the page's slider: for an 800 m walk (radius 615 m) "bis 400 m", "400–800 m", …"""
    m = lambda x: format_number(round(x * DETOUR_FACTOR / 10) * 10, 0, lang)  # noqa: E731
    return [t("luecken.klasse_0", lang, a=m(radius_m / 2)), t("luecken.klasse_1", lang, a=m(radius_m / 2), b=m(radius_m)),
            t("luecken.klasse_2", lang, a=m(radius_m), b=m(2 * radius_m)), t("luecken.klasse_3", lang, a=m(2 * radius_m))]


def add_gap_layer(fmap: folium.Map, grid: gpd.GeoDataFrame, radius_m: float, names: dict[str, str],
                  lang: str = "de") -> folium.Map:
    """Add the grid (from :func:`geo.analysis.coverage.gap_grid`) under the districts and offers of a built map, with a legend."""
    folium.map.CustomPane(GRID_PANE, z_index=350, pointer_events=True).add_to(fmap)
    classes = distance_classes(grid["distanz_m"].to_numpy(), radius_m)
    labels = class_labels(radius_m, lang)
    frame = grid[["geometry"]].to_crs(DISPLAY_CRS)
    frame["klasse"] = classes
    frame["tooltip"] = [
        template_safe_html(html.escape(
            f"{names.get(d, d)}: " + (t("luecken.kein_angebot", lang) if not math.isfinite(dist) else
                                      t("luecken.zelle", lang, m=format_number(round(dist * DETOUR_FACTOR / 10) * 10, 0, lang),
                                        luftlinie=format_number(round(dist / 10) * 10, 0, lang)))
            + (f" – {t('luecken.luecke', lang)}" if cls >= 2 else "")))
        for d, dist, cls in zip(grid["stadtteil_id"], grid["distanz_m"], classes)]

    def style(feature):
        cls = feature["properties"]["klasse"]
        return {"fillColor": CLASS_COLOURS[cls], "fillOpacity": 0.7, "stroke": cls >= 2, "color": GAP_EDGE,
                "weight": 0.4, "dashArray": "2 2"}

    folium.GeoJson(frame.to_json(drop_id=True), name=t("luecken.ebene", lang), style_function=style,
                   tooltip=folium.GeoJsonTooltip(fields=["tooltip"], labels=False, sticky=True),
                   pane=GRID_PANE, control=True, overlay=True).add_to(fmap)
    rows = []
    for cls, label in enumerate(labels):
        rows.append(f'<div class="qk-legend-row"><span class="qk-swatch" style="background:{CLASS_COLOURS[cls]}"></span>'
                    f"{html.escape(label)}</div>")
    rows.append(f"<small>{html.escape(t('luecken.legende_hinweis', lang))}</small>")
    HtmlControl("".join(rows), "bottomright", "qk-control qk-legend", summary=t("luecken.legende", lang)).add_to(fmap)
    # The layer control lists the layers that exist when its script runs: it must come after the new layer.
    for name, child in list(fmap._children.items()):
        if isinstance(child, folium.LayerControl):
            del fmap._children[name]
            fmap.add_child(child, name=name)
    return fmap


def grid_raster(grid: gpd.GeoDataFrame, radius_m: float, subdivision: int = RASTER_SUBDIVISION
                ) -> tuple[np.ndarray, tuple[float, float, float, float]]:
    """The distance classes of a :func:`geo.analysis.coverage.gap_grid` as a regular array for ``imshow``:
    ``(classes, (xmin, xmax, ymin, ymax))`` in EPSG:25832, row 0 in the south, ``-1`` where there is no cell.

    Each cell is ``subdivision`` × ``subdivision`` pixels. A cell that lies in one
    district has one class; a cell split by a district border gets, per pixel,
    the class of the piece that holds the pixel's centre (pixels in none keep
    the class of the largest piece – the drawing is clipped to the city outline).
    """
    cell_m, x0, y0 = _grid_geometry(grid)
    if not len(grid):
        return np.full((0, 0), -1, dtype=np.int8), (x0, x0, y0, y0)
    col_row = grid["zelle"].str.split("_", expand=True).astype(np.int64).to_numpy()
    cols, rows = col_row[:, 0], col_row[:, 1]
    classes = distance_classes(grid["distanz_m"].to_numpy(), radius_m).astype(np.int8)
    u = subdivision
    nx, ny = int(cols.max()) + 1, int(rows.max()) + 1
    cells = np.full((ny, nx), -1, dtype=np.int8)
    areas = grid["flaeche_m2"].to_numpy() if "flaeche_m2" in grid else shapely.area(grid.geometry.to_numpy())
    by_area = np.argsort(areas, kind="stable")  # the largest piece of a cell is written last
    cells[rows[by_area], cols[by_area]] = classes[by_area]
    raster = np.repeat(np.repeat(cells, u, axis=0), u, axis=1)
    key = rows * nx + cols
    split = np.flatnonzero(np.bincount(key)[key] > 1)  # pieces of cells that a district border splits
    if len(split):
        pieces = grid.geometry.to_numpy()[split]
        shapely.prepare(pieces)
        offsets = (np.arange(u) + 0.5) / u * cell_m
        ox, oy = (a.ravel() for a in np.meshgrid(offsets, offsets))
        px = (x0 + cols[split] * cell_m)[:, None] + ox[None, :]
        py = (y0 + rows[split] * cell_m)[:, None] + oy[None, :]
        inside = shapely.intersects_xy(pieces[:, None], px, py)
        piece, pixel = np.nonzero(inside)
        raster[rows[split][piece] * u + pixel // u, cols[split][piece] * u + pixel % u] = classes[split][piece]
    extent = (x0, x0 + nx * cell_m, y0, y0 + ny * cell_m)
    return raster, extent


def _grid_geometry(grid: gpd.GeoDataFrame) -> tuple[float, float, float]:
    """Cell size and origin of a grid from :func:`geo.analysis.coverage.grid_cells` (its ``attrs``; without them,
    from the pieces: cells are aligned to multiples of the cell size)."""
    if {"zelle_m", "x0", "y0"} <= set(grid.attrs):
        return float(grid.attrs["zelle_m"]), float(grid.attrs["x0"]), float(grid.attrs["y0"])
    if not len(grid):
        return 1.0, 0.0, 0.0
    bounds = shapely.bounds(grid.geometry.to_numpy())
    cell_m = float(np.round(max((bounds[:, 2] - bounds[:, 0]).max(), (bounds[:, 3] - bounds[:, 1]).max()), 6))
    col_row = grid["zelle"].str.split("_", expand=True).astype(np.int64).to_numpy()
    centre = shapely.point_on_surface(grid.geometry.to_numpy())
    x0 = float(np.floor(shapely.get_x(centre[0]) / cell_m) - col_row[0, 0]) * cell_m
    y0 = float(np.floor(shapely.get_y(centre[0]) / cell_m) - col_row[0, 1]) * cell_m
    return cell_m, x0, y0


def _union(pieces: np.ndarray) -> shapely.Geometry:
    """Union of grid pieces: they tile the districts without overlap, so the fast coverage union applies; should
    it return an invalid geometry (pieces that do not meet exactly), the general union."""
    union = shapely.coverage_union_all(pieces)
    return union if union.is_valid else shapely.union_all(pieces)


def _outline_path(geometry: shapely.Geometry):
    """A matplotlib Path of a (multi)polygon with its holes, for patches and clip paths."""
    from matplotlib.path import Path

    rings = []
    for polygon in getattr(geometry, "geoms", [geometry]):
        if polygon.is_empty or polygon.geom_type != "Polygon":
            continue
        for ring in [polygon.exterior, *polygon.interiors]:
            coords = np.asarray(ring.coords)
            codes = np.full(len(coords), Path.LINETO, dtype=Path.code_type)
            codes[0], codes[-1] = Path.MOVETO, Path.CLOSEPOLY
            rings.append(Path(coords, codes))
    return Path.make_compound_path(*rings) if rings else Path(np.zeros((0, 2)))


def offer_symbol_marker(symbol: str) -> str:
    """The Handlungsfeld letter as a matplotlib marker (bold, upright): one marker path for all offers of a field."""
    return rf"$\mathbf{{{symbol}}}$"


def gap_map_png(grid: gpd.GeoDataFrame, districts: gpd.GeoDataFrame, offers: gpd.GeoDataFrame, radius_m: float,
                title: str, note: str, lang: str = "de", dpi: int = 150) -> bytes:
    """The gap map as a PNG (A4-ish landscape, drawn in EPSG:25832): grid classes, district outlines and names,
    offers as letters per Handlungsfeld (small dots beyond :data:`LETTER_MARKER_LIMIT`), legend beside the map, ``title`` and ``note`` (filters, data date,
    schematic notice).

    The grid is drawn as one raster image (:func:`grid_raster`) clipped to the
    city outline, gaps as one outline and wide gaps as one hatched area; the
    offers as one marker collection per Handlungsfeld – so the time does not
    grow with the number of cells, and hardly with the number of offers.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch, PathPatch

    metric = districts.to_crs(METRIC_CRS)
    city = shapely.union_all(metric.geometry.to_numpy())
    fig, ax = plt.subplots(figsize=(11.7, 8.3), dpi=dpi)
    fig.subplots_adjust(left=0.02, right=0.74, bottom=0.05, top=0.94)
    try:
        raster, extent = grid_raster(grid, radius_m)
        if raster.size:
            image = ax.imshow(np.ma.masked_less(raster, 0), cmap=ListedColormap(list(CLASS_COLOURS)), vmin=-0.5,
                              vmax=len(CLASS_COLOURS) - 0.5, extent=extent, origin="lower", interpolation="nearest",
                              zorder=1)
            image.set_clip_path(PathPatch(_outline_path(city), transform=ax.transData))
            classes = distance_classes(grid["distanz_m"].to_numpy(), radius_m)
            pieces = grid.geometry.to_numpy()
            if (classes == 3).any():
                ax.add_patch(PathPatch(_outline_path(_union(pieces[classes == 3])), facecolor="none",
                                       edgecolor="none", hatch="///", hatchcolor=WIDE_GAP_HATCH, linewidth=0,
                                       zorder=2))
            if (classes >= 2).any():
                ax.add_patch(PathPatch(_outline_path(_union(pieces[classes >= 2])), facecolor="none",
                                       edgecolor=GAP_EDGE, linewidth=0.6, zorder=3))
        metric.boundary.plot(ax=ax, color="#333333", linewidth=0.8, zorder=4)
        for name, point in zip(metric["name"], metric.representative_point()):
            ax.annotate(str(name), (point.x, point.y), ha="center", va="center", fontsize=7, color="#000000",
                        bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.7}, zorder=7)
        located = offers[has_location(offers)] if len(offers) else offers
        xy = offer_xy(located) if len(located) else np.empty((0, 2))
        fields = located["handlungsfeld"].to_numpy() if len(located) else np.empty(0, dtype=object)
        letters = len(xy) <= LETTER_MARKER_LIMIT
        for hf in HANDLUNGSFELDER:
            part = xy[fields == hf.name]
            if len(part) and letters:
                ax.scatter(part[:, 0], part[:, 1], s=60, c=hf.color, edgecolors="white", linewidths=0.8,
                           marker="o", zorder=5)
                ax.scatter(part[:, 0], part[:, 1], s=22, c="white", linewidths=0, marker=offer_symbol_marker(hf.symbol),
                           zorder=6)
            elif len(part):
                ax.scatter(part[:, 0], part[:, 1], s=3, c=hf.color, linewidths=0, marker="o", zorder=5)
        handles = [Patch(facecolor=c, edgecolor=GAP_EDGE if i >= 2 else "#999999",
                         hatch="///" if i == 3 else None, hatchcolor=WIDE_GAP_HATCH if i == 3 else None,
                         linewidth=0.6, label=label)
                   for i, (c, label) in enumerate(zip(CLASS_COLOURS, class_labels(radius_m, lang)))]
        handles += [Patch(facecolor=hf.color, label=f"{hf.symbol} = {t(f'handlungsfeld.{hf.key}', lang)}")
                    for hf in HANDLUNGSFELDER]
        # beside the map, never over it: inside the axes it covered the districts in the south-west
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0, fontsize=7,
                  framealpha=0.9, title=t("luecken.legende", lang), title_fontsize=8)
        ax.set_title(title, fontsize=11)
        fig.text(0.01, 0.01, note, fontsize=6.5, wrap=True, va="bottom")
        ax.set_axis_off()
        ax.set_aspect("equal")
        ax.set_anchor("NE")  # the map against the legend at its right
        xmin, ymin, xmax, ymax = city.bounds if not city.is_empty else (0.0, 0.0, 1.0, 1.0)
        margin = 0.02 * max(xmax - xmin, ymax - ymin)
        ax.set_xlim(xmin - margin, xmax + margin)
        ax.set_ylim(ymin - margin, ymax + margin)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", bbox_inches="tight")
        return buffer.getvalue()
    finally:
        plt.close(fig)
