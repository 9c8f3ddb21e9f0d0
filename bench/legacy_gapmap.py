"""The gap-map PNG as it was drawn before issue 24 §9 – one polygon patch per grid cell, one text per offer.

Only for ``bench/coverage_scale.py``, to measure today's method beside the raster in one run. Copied from
``geo/render/gapmap.py`` (``gap_map_png`` at commit 998b042) with its colours (ColorBrewer YlGn); not used by
the app.
"""
from __future__ import annotations

import io

import geopandas as gpd

from geo.analysis.join import has_location
from geo.config import HANDLUNGSFELDER, METRIC_CRS
from geo.i18n import t
from geo.render.gapmap import class_labels, distance_classes

CLASS_COLOURS = ("#f7fcb9", "#addd8e", "#41ab5d", "#005a32")
GAP_EDGE = "#000000"


def legacy_gap_map_png(grid: gpd.GeoDataFrame, districts: gpd.GeoDataFrame, offers: gpd.GeoDataFrame, radius_m: float,
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
