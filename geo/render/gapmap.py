"""The gap map: grid cells coloured by distance to the nearest matching offer, as a layer of the app's map
and as a PNG for reports (matplotlib, no tile server).

Distance classes are relative to the chosen straight-line radius ``r``: up to
r/2, up to r, up to 2r (a gap), beyond 2r (a wide gap). The colours are a
colour-blind-safe sequential scale (light = near, dark = far); gaps are also
named in the legend and in every cell's tooltip, never by colour alone.
"""
from __future__ import annotations

import html
import io
import math

import folium
import geopandas as gpd
import numpy as np

from geo.analysis.join import has_location
from geo.analysis.nearest import DETOUR_FACTOR
from geo.config import DISPLAY_CRS, HANDLUNGSFELDER, METRIC_CRS
from geo.formatting import format_number
from geo.i18n import t
from geo.render.mapbuild import HtmlControl, template_safe_html

GRID_PANE = "qk-grid"
CLASS_COLOURS = ("#f7fcb9", "#addd8e", "#41ab5d", "#005a32")
"""Near → far (ColorBrewer YlGn, colour-blind safe); the last two classes are gaps."""
GAP_EDGE = "#000000"


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


def gap_map_png(grid: gpd.GeoDataFrame, districts: gpd.GeoDataFrame, offers: gpd.GeoDataFrame, radius_m: float,
                title: str, note: str, lang: str = "de", dpi: int = 150) -> bytes:
    """The gap map as a PNG (A4-ish landscape, drawn in EPSG:25832): grid classes, district outlines and names,
    offers as letters per Handlungsfeld, legend, ``title`` and ``note`` (filters, data date, schematic notice)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    classes = distance_classes(grid["distanz_m"].to_numpy(), radius_m)
    fig, ax = plt.subplots(figsize=(11.7, 8.3), dpi=dpi)
    try:
        for cls, colour in enumerate(CLASS_COLOURS):
            part = grid[classes == cls]
            if len(part):
                part.plot(ax=ax, color=colour, linewidth=0.3 if cls >= 2 else 0,
                          edgecolor=GAP_EDGE if cls >= 2 else "none", hatch="///" if cls == 3 else None)
        metric = districts.to_crs(METRIC_CRS)
        metric.boundary.plot(ax=ax, color="#333333", linewidth=0.8)
        for name, point in zip(metric["name"], metric.representative_point()):
            ax.annotate(str(name), (point.x, point.y), ha="center", va="center", fontsize=7, color="#000000",
                        bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.7})
        located = offers[has_location(offers)].to_crs(METRIC_CRS) if len(offers) else offers
        for hf in HANDLUNGSFELDER:
            part = located[located["handlungsfeld"] == hf.name] if len(located) else located
            if len(part):
                ax.scatter(part.geometry.x, part.geometry.y, s=60, c=hf.color, edgecolors="white", linewidths=0.8,
                           marker="o", zorder=5)
                for x, y in zip(part.geometry.x, part.geometry.y):
                    ax.text(x, y, hf.symbol, color="white", fontsize=6, ha="center", va="center", zorder=6,
                            fontweight="bold")
        handles = [Patch(facecolor=c, edgecolor=GAP_EDGE if i >= 2 else "none", hatch="///" if i == 3 else None,
                         label=label) for i, (c, label) in enumerate(zip(CLASS_COLOURS, class_labels(radius_m, lang)))]
        handles += [Patch(facecolor=hf.color, label=f"{hf.symbol} = {t(f'handlungsfeld.{hf.key}', lang)}")
                    for hf in HANDLUNGSFELDER]
        ax.legend(handles=handles, loc="lower left", fontsize=7, framealpha=0.9, title=t("luecken.legende", lang),
                  title_fontsize=8)
        ax.set_title(title, fontsize=11)
        fig.text(0.01, 0.01, note, fontsize=6.5, wrap=True, va="bottom")
        ax.set_axis_off()
        ax.set_aspect("equal")
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", bbox_inches="tight")
        return buffer.getvalue()
    finally:
        plt.close(fig)
