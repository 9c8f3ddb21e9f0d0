"""Stadtteilvergleich: chosen districts side by side with the city as reference — every Sozialatlas indicator
(value or band, date, source), population, offers per Handlungsfeld, per 1,000 inhabitants and minors, and the
coverage share from :mod:`geo.analysis.coverage` (not computed again here).
"""
from __future__ import annotations

import io
import math
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.analysis.coverage import UNASSIGNED_ID, coverage_table, per_thousand, straight_line_radius
from geo.analysis.join import has_location
from geo.analysis.overview import CITY_ID, latest_population
from geo.config import HANDLUNGSFELDER, METRIC_CRS
from geo.data.indicators import Band, combined_band, district_band, indicator_unit
from geo.formatting import format_number
from geo.i18n import catalogue, t

FOCUS_DISTRICTS = ("baerenkaempen", "rodenbeck", "rechtes-weserufer", "innenstadt", "koenigstor")
"""The districts of concentrated child poverty named in the Integrationskonzept (§3.2): the default selection."""
MIN_CHOSEN, MAX_CHOSEN = 2, 6
POPULATION = "einwohner"


def chosen_ids(requested: list[str], known: list[str]) -> list[str]:
    """The districts to compare: the requested known ids (at most :data:`MAX_CHOSEN`, order kept, no repeats);
    fewer than :data:`MIN_CHOSEN` known ones → the focus districts that exist."""
    ids = list(dict.fromkeys(i for i in requested if i in known))[:MAX_CHOSEN]
    if len(ids) >= MIN_CHOSEN:
        return ids
    return [i for i in FOCUS_DISTRICTS if i in known][:MAX_CHOSEN]


def requested_ids(requested: list[str], names: dict[str, str]) -> tuple[list[str], list[str]]:
    """The districts a link asks for (``?auswahl=rodenbeck,Bärenkämpen``): ids, or names in any spelling that
    :func:`geo.data.district_names.name_key` folds to a district's; and the entries that match none, as given —
    a planner must learn that "quatsch" was dropped, not be shown the defaults silently."""
    from geo.data.district_names import name_key

    by_key = {name_key(name): i for i, name in names.items()} | {name_key(i): i for i in names}
    found: list[str] = []
    unknown: list[str] = []
    for entry in (e.strip() for e in requested):
        if not entry:
            continue
        district = entry if entry in names else by_key.get(name_key(entry))
        (found if district else unknown).append(district or entry)
    return found, unknown


def indicator_keys(indicators: pd.DataFrame, ids: list[str]) -> list[str]:
    """Every indicator (except population) the data has for one of ``ids`` or the city, in file order."""
    rows = indicators[indicators["stadtteil_id"].isin([*ids, CITY_ID]) & (indicators["indikator"] != POPULATION)]
    return list(dict.fromkeys(rows["indikator"]))


def indicator_name(key: str, lang: str = "de") -> str:
    """The catalogue name of an indicator (``indikator.<key>``), the key itself for an indicator the catalogue lacks."""
    return catalogue(lang).get(f"indikator.{key}") or catalogue("de").get(f"indikator.{key}") or key


def _band_text(indicators: pd.DataFrame, area_id: str, key: str, lang: str) -> str:
    rows = indicators[(indicators["stadtteil_id"] == area_id) & (indicators["indikator"] == key)]
    if rows.empty:
        return t("band.keine_angabe", lang)
    band = combined_band(rows)
    dates = ", ".join(sorted({str(d) for d in rows["stichtag"] if str(d)}))
    unit = indicator_unit(indicators, key)
    label = band.label("" if unit == "Anzahl" else unit, lang)  # counts: the name says "(Anzahl)"
    return f"{label} ({dates})" if dates else label


def _sources(indicators: pd.DataFrame, area_ids: list[str], key: str) -> str:
    rows = indicators[indicators["stadtteil_id"].isin(area_ids) & (indicators["indikator"] == key)]
    return " | ".join(dict.fromkeys(str(q) for q in rows["quelle"] if str(q)))


def comparison_table(districts: gpd.GeoDataFrame, offers: gpd.GeoDataFrame, indicators: pd.DataFrame,
                     ids: list[str], walk_m: float, lang: str = "de") -> pd.DataFrame:
    """Rows = measures, columns = ``Kennzahl``, one column per district in ``ids`` (by name), the city, ``Quelle``.

    Cells are display text: a band stays a band ("über 45 %"), a missing figure
    is "keine Angabe"/"n/a", never 0. Offer counts use the offers' joined
    ``stadtteil_id``; the city column counts every offer (also those without a
    place). Coverage is :func:`geo.analysis.coverage.coverage_table` for a walk of ``walk_m``
    metres (its straight-line radius, EPSG:25832); the city value is the area-weighted share of all districts.
    """
    radius_m = straight_line_radius(walk_m)
    names = dict(zip(districts["id"], districts["name"]))
    population = latest_population(indicators)
    coverage = coverage_table(districts, offers, radius_m, population).set_index("stadtteil_id")
    area = districts.to_crs(METRIC_CRS).set_index("id").geometry.area
    na = t("luecken.na", lang)
    city = t("uebersicht.stadt_gesamt", lang)
    label_col, source_col = t("vergleich.kennzahl", lang), t("vergleich.quelle", lang)
    columns = [names[i] for i in ids]
    rows: list[dict] = []

    def add(label: str, values: list[str], city_value: str, source: str = "") -> None:
        rows.append({label_col: label, **dict(zip(columns, values)), city: city_value, source_col: source})

    def inhabitants(area_id: str) -> str:
        value, as_of = population.get(area_id, (None, ""))
        return f"{format_number(value, 0, lang)} ({as_of})" if value else na

    pop_rows = indicators[(indicators["indikator"] == POPULATION) & indicators["stadtteil_id"].isin([*ids, CITY_ID])]
    add(t("uebersicht.einwohner", lang), [inhabitants(i) for i in ids], inhabitants(CITY_ID),
        " | ".join(dict.fromkeys(str(q) for q in pop_rows["quelle"] if str(q))))
    for key in indicator_keys(indicators, ids):
        add(indicator_name(key, lang), [_band_text(indicators, i, key, lang) for i in ids],
            _band_text(indicators, CITY_ID, key, lang), _sources(indicators, [*ids, CITY_ID], key))

    assigned = offers["stadtteil_id"].fillna("").astype(str) if len(offers) else pd.Series(dtype=str)
    for hf in HANDLUNGSFELDER:
        in_field = offers["handlungsfeld"] == hf.name if len(offers) else pd.Series(dtype=bool)
        add(t("vergleich.angebote_hf", lang, handlungsfeld=t(f"handlungsfeld.{hf.key}", lang)),
            [str(int((in_field & (assigned == i)).sum())) for i in ids], str(int(in_field.sum())))
    add(t("luecken.spalte_angebote", lang), [str(int(coverage.loc[i, "angebote"])) for i in ids], str(len(offers)))

    def number(value: float) -> str:
        return format_number(value, 2, lang) if np.isfinite(value) else na

    # districts: the figure of the coverage table; the city: all offers, also those without a place
    add(t("luecken.spalte_je_1000", lang), [number(coverage.loc[i, "je_1000_einwohner"]) for i in ids],
        number(per_thousand(len(offers), population.get(CITY_ID, (math.nan, ""))[0])))
    add(t("luecken.spalte_je_1000_minderjaehrige", lang), [na for _ in ids], na, t("vergleich.keine_minderjaehrige", lang))
    shares = coverage["anteil_versorgt"].drop(UNASSIGNED_ID)
    city_share = float((shares * area.reindex(shares.index)).sum() / area.reindex(shares.index).sum())
    add(t("vergleich.versorgt", lang, gehweg=format_number(walk_m, 0, lang)),
        [format_number(100 * float(coverage.loc[i, "anteil_versorgt"]), 1, lang) + " %" for i in ids],
        format_number(100 * city_share, 1, lang) + " %")
    return pd.DataFrame(rows)


RECORD_COLUMNS = ("stadtteil_id", "stadtteil", "kennzahl", "bezeichnung", "wert", "untergrenze", "obergrenze",
                  "untergrenze_inklusiv", "obergrenze_inklusiv", "einheit", "stichtag", "quelle")


def comparison_records(districts: gpd.GeoDataFrame, offers: gpd.GeoDataFrame, indicators: pd.DataFrame,
                       ids: list[str], walk_m: float, lang: str = "de") -> pd.DataFrame:
    """The figures of :func:`comparison_table` as a long, machine-readable table (:data:`RECORD_COLUMNS`):
    one row per area (``ids`` in order, then the city, id ``stadt``) and measure.

    ``kennzahl`` is a stable key (``einwohner``, the indicator keys, ``angebote_<handlungsfeld>``, ``angebote``,
    ``angebote_je_1000_einwohner``, ``anteil_versorgt``), ``bezeichnung`` its name in ``lang``. An exact figure
    is in ``wert``; a band stays a band: ``untergrenze``/``obergrenze`` with open ends empty and the
    ``*_inklusiv`` flags as the source states them ("über 45 %" → untergrenze 45, not inclusive). No figure →
    an empty row (never 0). Counts and shares are computed as in :func:`comparison_table`.
    """
    radius_m = straight_line_radius(walk_m)
    names = {**dict(zip(districts["id"], districts["name"])), CITY_ID: t("uebersicht.stadt_gesamt", lang)}
    areas = [*ids, CITY_ID]
    population = latest_population(indicators)
    coverage = coverage_table(districts, offers, radius_m, population).set_index("stadtteil_id")
    area = districts.to_crs(METRIC_CRS).set_index("id").geometry.area
    computed = t("export.quelle_berechnet", lang)
    rows: list[dict] = []

    def add(area_id: str, key: str, label: str, value: float | None = None, unit: str = "", as_of: str = "",
            source: str = "", band: Band | None = None) -> None:
        exact = band.value if band is not None else value
        rows.append({"stadtteil_id": area_id, "stadtteil": names[area_id], "kennzahl": key, "bezeichnung": label,
                     "wert": exact,
                     "untergrenze": band.lower if band is not None and band.value is None else None,
                     "obergrenze": band.upper if band is not None and band.value is None else None,
                     "untergrenze_inklusiv": band.lower_inclusive if band is not None and band.value is None
                     and band.lower is not None else None,
                     "obergrenze_inklusiv": band.upper_inclusive if band is not None and band.value is None
                     and band.upper is not None else None,
                     "einheit": unit, "stichtag": as_of, "quelle": source})

    for key in [POPULATION, *indicator_keys(indicators, ids)]:
        label = t("uebersicht.einwohner", lang) if key == POPULATION else indicator_name(key, lang)
        unit = indicator_unit(indicators, key)
        for area_id in areas:
            found = indicators[(indicators["stadtteil_id"] == area_id) & (indicators["indikator"] == key)]
            if key == POPULATION:
                value, as_of = population.get(area_id, (None, ""))
                used = found[found["stichtag"].astype(str) == as_of] if as_of else found.iloc[0:0]
                add(area_id, key, label, value, unit or "Anzahl", as_of,
                    " | ".join(dict.fromkeys(str(q) for q in used["quelle"] if str(q))))
            elif found.empty:
                add(area_id, key, label, unit=unit)
            else:
                add(area_id, key, label, unit=unit, band=combined_band(found),
                    as_of=", ".join(sorted({str(d) for d in found["stichtag"] if str(d)})),
                    source=" | ".join(dict.fromkeys(str(q) for q in found["quelle"] if str(q))))

    assigned = offers["stadtteil_id"].fillna("").astype(str) if len(offers) else pd.Series(dtype=str)
    for hf in HANDLUNGSFELDER:
        in_field = offers["handlungsfeld"] == hf.name if len(offers) else pd.Series(dtype=bool)
        label = t("vergleich.angebote_hf", lang, handlungsfeld=t(f"handlungsfeld.{hf.key}", lang))
        for area_id in ids:
            add(area_id, f"angebote_{hf.key}", label, int((in_field & (assigned == area_id)).sum()), "Anzahl",
                source=computed)
        add(CITY_ID, f"angebote_{hf.key}", label, int(in_field.sum()), "Anzahl", source=computed)
    label = t("luecken.spalte_angebote", lang)
    for area_id in ids:
        add(area_id, "angebote", label, int(coverage.loc[area_id, "angebote"]), "Anzahl", source=computed)
    add(CITY_ID, "angebote", label, len(offers), "Anzahl", source=computed)
    label = t("luecken.spalte_je_1000", lang)
    for area_id in ids:
        value = float(coverage.loc[area_id, "je_1000_einwohner"])
        add(area_id, "angebote_je_1000_einwohner", label, round(value, 2) if np.isfinite(value) else None,
            "je 1.000 Einwohner", population.get(area_id, (None, ""))[1], computed)
    city_value = per_thousand(len(offers), population.get(CITY_ID, (math.nan, ""))[0])
    add(CITY_ID, "angebote_je_1000_einwohner", label, round(city_value, 2) if np.isfinite(city_value) else None,
        "je 1.000 Einwohner", population.get(CITY_ID, (None, ""))[1], computed)
    shares = coverage["anteil_versorgt"].drop(UNASSIGNED_ID)
    city_share = float((shares * area.reindex(shares.index)).sum() / area.reindex(shares.index).sum())
    label = t("vergleich.versorgt", lang, gehweg=format_number(walk_m, 0, lang))
    for area_id in ids:
        add(area_id, "anteil_versorgt", label, round(100 * float(coverage.loc[area_id, "anteil_versorgt"]), 1), "%",
            source=computed)
    add(CITY_ID, "anteil_versorgt", label, round(100 * city_share, 1), "%", source=computed)
    frame = pd.DataFrame(rows, columns=list(RECORD_COLUMNS))
    frame["wert"] = pd.to_numeric(frame["wert"]).astype("Float64")
    for column in ("untergrenze", "obergrenze"):
        frame[column] = pd.to_numeric(frame[column]).astype("Float64")
    for column in ("untergrenze_inklusiv", "obergrenze_inklusiv"):
        frame[column] = frame[column].astype("boolean")
    return frame


@dataclass(frozen=True)
class ChartValue:
    """One bar of a comparison chart: an exact value or a range (``low``–``high``); ``open_high`` when the
    source gives no upper bound (drawn to 100 % and labelled "über …")."""

    name: str
    low: float | None
    high: float | None
    label: str
    open_high: bool = False

    @property
    def is_band(self) -> bool:
        return self.low is not None and self.high is not None and self.low != self.high


def chart_values(indicators: pd.DataFrame, districts: gpd.GeoDataFrame, ids: list[str], key: str,
                 lang: str = "de") -> tuple[list[ChartValue], float | None]:
    """Values of one indicator for ``ids`` (in order) and the city's exact value (``None`` if the source has none).

    A band becomes a range, never one fake number: "über 45 %" → 45–100 with
    ``open_high``, "unter 10 %" → 0–10. Districts without a figure have ``None``.
    """
    names = dict(zip(districts["id"], districts["name"]))
    unit = indicator_unit(indicators, key)
    values = []
    for i in ids:
        band = district_band(indicators, i, key)
        values.append(_chart_value(names[i], band, unit, lang))
    city_band = district_band(indicators, CITY_ID, key)
    return values, (city_band.value if city_band is not None else None)


def _chart_value(name: str, band: Band | None, unit: str, lang: str) -> ChartValue:
    if band is None:
        return ChartValue(name, None, None, t("band.keine_angabe", lang))
    low, high = band.closed_range(0.0, 100.0)
    return ChartValue(name, low, high, band.label(unit, lang), open_high=band.value is None and band.upper is None)


def chart_frame(values: list[ChartValue]) -> pd.DataFrame:
    """The chart data as a table (for Altair and the tests): name, low, high, label, form (``wert``/``spanne``/``keine``)."""
    return pd.DataFrame([{"name": v.name, "low": v.low, "high": v.high, "label": v.label,
                          "form": "keine" if v.low is None else ("spanne" if v.is_band else "wert"),
                          "offen": v.open_high} for v in values])


def charts_png(series: list[tuple[str, list[ChartValue], float | None]], city_label: str, dpi: int = 150,
               note: str = "", unit_label: str = "%") -> bytes:
    """All comparison charts as one PNG (see :func:`charts_figure`)."""
    import matplotlib.pyplot as plt

    fig = charts_figure(series, city_label, dpi, note, unit_label)
    try:
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png")
        return buffer.getvalue()
    finally:
        plt.close(fig)


def charts_figure(series: list[tuple[str, list[ChartValue], float | None]], city_label: str, dpi: int = 150,
                  note: str = "", unit_label: str = "%"):
    """The comparison charts (matplotlib figure; the caller closes it): a bar per exact value, a range bar with
    end ticks per band (an open end drawn to 100 % with an arrow), a dashed line for the city's value where
    known, "keine Angabe" inside the plot area; ``unit_label`` under each x axis and ``note`` (source, date,
    unit) wrapped at the foot of the figure."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    foot = 0.3 + 0.14 * math.ceil(len(note) / 100) if note else 0.0  # inches for the wrapped note
    height = 2.9 * max(len(series), 1)
    fig, axes = plt.subplots(len(series), 1, figsize=(8.3, height + foot), dpi=dpi, squeeze=False)
    for ax, (title, values, city) in zip(axes[:, 0], series):
        ys = np.arange(len(values))
        for y, v in zip(ys, values):
            if v.low is None:
                ax.text(1, y, v.label, va="center", fontsize=8, color="#444444")
            elif not v.is_band:
                ax.barh(y, v.low, color="#1F5BA6", height=0.6)
                ax.text(v.low, y, f" {v.label}", va="center", fontsize=8)
            else:
                assert v.high is not None  # is_band: both ends are known
                ax.barh(y, v.high - v.low, left=v.low, color="#1F5BA6", alpha=0.35, height=0.6,
                        hatch="//", edgecolor="#1F5BA6")
                ax.errorbar([(v.low + v.high) / 2], [y], xerr=[[(v.high - v.low) / 2], [(v.high - v.low) / 2]],
                            fmt="none", ecolor="#0b2f5e", capsize=5, linewidth=1.2)
                ax.text(v.high, y, f" {v.label}" + (" →" if v.open_high else ""), va="center", fontsize=8)
        if city is not None:
            ax.axvline(city, color="#8a1c1c", linestyle="--", linewidth=1.2)
            ax.text(city, -0.6, f" {city_label}", color="#8a1c1c", fontsize=8, va="bottom")
        ax.set_yticks(ys, [v.name for v in values], fontsize=8)
        # every row keeps its band of the axis, also when no bar widens it: labels never sit on the x axis
        ax.set_ylim(len(values) - 0.4, -0.75 if city is not None else -0.6)
        ax.set_xlim(0, max([100.0] + [v.high or 0 for v in values]) * 1.15 if any(
            v.high and v.high > 100 for v in values) else 115)
        ax.set_xlabel(unit_label, fontsize=8, loc="right")
        ax.set_title(title, fontsize=9, loc="left")
        ax.spines[["top", "right"]].set_visible(False)
    if note:
        fig.text(0.01, 0.01, note, fontsize=7, color="#333333", ha="left", va="bottom", wrap=True)
    fig.tight_layout(rect=(0, foot / (height + foot), 1, 1))
    return fig


def small_multiples_png(districts: gpd.GeoDataFrame, offers: gpd.GeoDataFrame, ids: list[str], lang: str = "de",
                        dpi: int = 130) -> bytes:
    """One compact map per chosen district (EPSG:25832): its outline, its neighbours in grey, its located offers
    as letters in the Handlungsfeld colours, and a legend — a static image (no tile server)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    metric = districts.to_crs(METRIC_CRS)
    located = offers[has_location(offers)].to_crs(METRIC_CRS) if len(offers) else offers
    cols = min(3, len(ids))
    rows_n = math.ceil(len(ids) / cols)
    fig, axes = plt.subplots(rows_n, cols, figsize=(3.3 * cols, 3.4 * rows_n + 0.5), dpi=dpi, squeeze=False)
    try:
        for ax in axes.ravel():
            ax.set_axis_off()
        for ax, district_id in zip(axes.ravel(), ids):
            shape = metric[metric["id"] == district_id]
            xmin, ymin, xmax, ymax = shape.total_bounds
            pad = 0.08 * max(xmax - xmin, ymax - ymin)
            metric.plot(ax=ax, color="#f2f2f2", edgecolor="#9a9a9a", linewidth=0.5)
            shape.plot(ax=ax, color="#dbe7f3", edgecolor="#1b1b1b", linewidth=1.2)
            inside = located[located["stadtteil_id"] == district_id] if len(located) else located
            for hf in HANDLUNGSFELDER:
                part = inside[inside["handlungsfeld"] == hf.name] if len(inside) else inside
                if len(part):
                    ax.scatter(part.geometry.x, part.geometry.y, s=90, c=hf.color, edgecolors="white", zorder=5)
                    for x, y in zip(part.geometry.x, part.geometry.y):
                        ax.text(x, y, hf.symbol, color="white", fontsize=7, ha="center", va="center", zorder=6,
                                fontweight="bold")
            ax.set_xlim(xmin - pad, xmax + pad)
            ax.set_ylim(ymin - pad, ymax + pad)
            ax.set_aspect("equal")
            ax.set_title(f"{shape['name'].iloc[0]} ({t('vergleich.angebote_karte', lang, n=len(inside))})", fontsize=9)
        fig.legend(handles=[Patch(facecolor=hf.color, label=f"{hf.symbol} = {t(f'handlungsfeld.{hf.key}', lang)}")
                            for hf in HANDLUNGSFELDER], loc="lower center", ncol=2, fontsize=8, frameon=False)
        fig.tight_layout(rect=(0, 0.08, 1, 1))
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png")
        return buffer.getvalue()
    finally:
        plt.close(fig)
