"""Build the Folium map: Stadtteil polygons, optional choropleth, one offer layer per Handlungsfeld.

Everything the browser loads comes from the app's own ``static/`` folder
(see :mod:`geo.render.assets`); tiles only when a tile server is configured.
Offer text is passed as JSON data and turned into DOM text by
``static/qk/qk-map.js``; district text is HTML-escaped here.
"""
from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass

import folium
import geopandas as gpd
import pandas as pd
from branca.element import MacroElement
from folium.elements import JSCSSMixin
from folium.map import Layer
from folium.template import Template

from geo.analysis.join import has_location
from geo.config import HANDLUNGSFELDER, METRIC_CRS, Handlungsfeld, TileSettings
from geo.data.districts import geometry_note
from geo.data.indicators import MAP_INDICATORS, Band, bands_by_district, indicator_unit
from geo.i18n import t
from geo.render.assets import CLUSTER_JS, FRAME_ASSET_BASE, MAP_CSS, MAP_JS, asset_links
from geo.render.data_text import stand_text

LABEL_PANE = "qk-labels"
CHOROPLETH_COLOURS = ("#fee8c8", "#fdd49e", "#fdbb84", "#fc8d59", "#e34a33", "#b30000", "#7f0000")
NO_DATA_COLOUR = "#ffffff"
CLUSTER_RADIUS_PX = 40
"""Offers closer than this on screen (CSS pixels, at the zoom shown) form one cluster."""
OFFER_ROW_FIELDS = ("lat", "lon", "name", "traeger", "adresse", "stadtteil_name", "lage_genauigkeit",
                    "oeffnungszeiten", "website", "telefon", "beschreibung_einfach", "stand", "id")
"""Order of the values in one marker row; must match ``static/qk/qk-map.js``. ``stand`` is :func:`geo.render.data_text.stand_text`."""


@dataclass(frozen=True)
class MapOptions:
    indicator: str | None = None
    """One of :data:`geo.data.indicators.MAP_INDICATORS` for a choropleth, or ``None``."""
    indicator_source: str | None = None
    """Whose indicators are shown when they were published in the Redaktion; ``None``: the shipped Sozialatlas."""
    tiles: TileSettings | None = None
    lang: str = "de"
    asset_base: str = FRAME_ASSET_BASE
    """URL prefix of ``static/`` as seen from the page that shows the map."""
    focus_district: str | None = None
    """District id to zoom to; ``None`` shows the whole city."""
    locate: bool = False
    """A "my location" button (browser geolocation, reported to the app as a map click)."""


def build_map(
    districts: gpd.GeoDataFrame,
    offers: gpd.GeoDataFrame,
    indicators: pd.DataFrame | None = None,
    options: MapOptions = MapOptions(),
) -> folium.Map:
    """A :class:`folium.Map` (EPSG:4326 data) with districts, legend and one layer per Handlungsfeld.

    ``offers`` needs the offer columns plus ``stadtteil_name`` (from
    :func:`geo.analysis.join.assign_districts`); every Handlungsfeld gets a layer even
    when it has no offers, so the layer list is always complete.
    """
    lang = options.lang
    min_x, min_y, max_x, max_y = districts.total_bounds
    fmap = folium.Map(location=[(min_y + max_y) / 2, (min_x + max_x) / 2], zoom_start=12, tiles=None,
                      control_scale=True)
    # Without a tile layer Leaflet has no zoom range, and the cluster index needs one (static/qk/qk-cluster.js).
    fmap.options.update(maxZoom=19, minZoom=9, zoomSnap=0.25)
    fmap.default_js = asset_links(MAP_JS, options.asset_base)
    fmap.default_css = asset_links(MAP_CSS, options.asset_base)
    if options.tiles is not None and not options.tiles.consent:
        folium.TileLayer(options.tiles.url, attr=options.tiles.attribution, name=t("karte.hintergrund", lang),
                         max_zoom=19, control=False).add_to(fmap)
    elif options.tiles is not None:
        TileConsent(options.tiles, lang).add_to(fmap)

    bands = {}
    if options.indicator and indicators is not None:
        bands = bands_by_district(indicators, list(districts["id"]), options.indicator)
    colours = band_colours([b for b in bands.values() if b is not None])
    # separate statements: add_to() is typed to return a plain Element, though it returns the layer itself
    districts_layer = district_layer(districts, offers, indicators, bands, colours, lang)
    districts_layer.add_to(fmap)
    # Labels sit in their own pane below the markers, so they never cover a cluster count.
    folium.map.CustomPane(LABEL_PANE, z_index=450, pointer_events=False).add_to(fmap)
    district_labels(districts, lang).add_to(fmap)
    if options.indicator and indicators is not None:
        unit = indicator_unit(indicators, options.indicator)
        HtmlControl(legend_html(options.indicator, colours, unit, lang, options.indicator_source), "bottomright", "qk-control qk-legend",
                    summary=t("karte.legende", lang)).add_to(fmap)

    # The first view before the offers: they are clustered once, at the zoom they are first shown at (fitting
    # afterwards re-clustered every offer, and with 10,000 of them that held the first marker back).
    min_x, min_y, max_x, max_y = initial_bounds(districts, offers, options.focus_district)
    first_view = folium.map.FitBounds([[min_y, min_x], [max_y, max_x]], padding=(24, 24))
    # No zoom animation on load: clusters ignore clicks while animating, and the count of shown markers
    # would briefly include the old and the new cluster icons.
    first_view.options["animate"] = False
    first_view.add_to(fmap)

    cluster = OfferCluster(options.asset_base, lang)
    cluster.add_to(fmap)
    for hf in HANDLUNGSFELDER:
        offer_layer(offers[offers["handlungsfeld"] == hf.name], hf, cluster, lang).add_to(fmap)
    MapSetup(districts_layer, cluster, lang).add_to(fmap)
    if options.locate:
        LocateControl(lang).add_to(fmap)

    notes = [t("karte.hinweis_lage", lang)]
    n_unlocated = int((~has_location(offers)).sum())
    if n_unlocated:
        notes.append(t("karte.hinweis_ohne_ort", lang, n=n_unlocated))
    notes.insert(0, geometry_note(districts, lang))
    HtmlControl("".join(f"<p>{html.escape(n)}</p>" for n in notes), "bottomleft", "qk-control qk-note",
                summary=t("karte.hinweise", lang)).add_to(fmap)
    folium.LayerControl(collapsed=True, position="topright").add_to(fmap)
    return fmap


def initial_bounds(districts: gpd.GeoDataFrame, offers: gpd.GeoDataFrame, focus_district: str | None) -> tuple:
    """Bounds (lon/lat, EPSG:4326) of the first view: the chosen district, else the located offers, else the city.

    Fitting to the offers rather than the city puts markers on the first
    screen of a phone, where the whole city would leave them as specks.
    """
    if focus_district is not None and focus_district in set(districts["id"]):
        return tuple(districts[districts["id"] == focus_district].total_bounds)
    located = offers[has_location(offers)] if len(offers) else offers
    if len(located):
        min_x, min_y, max_x, max_y = located.total_bounds
        if max_x - min_x > 1e-4 or max_y - min_y > 1e-4:
            return (min_x, min_y, max_x, max_y)
    return tuple(districts.total_bounds)


def district_layer(districts, offers, indicators, bands: dict[str, Band | None], colours: dict, lang: str) -> folium.GeoJson:
    """District polygons with an escaped tooltip (name, indicators, offer count)."""
    counts = offers.groupby("stadtteil_id").size() if "stadtteil_id" in offers.columns else pd.Series(dtype=int)
    tooltip_bands = {}
    if indicators is not None:
        tooltip_bands = {key: (bands_by_district(indicators, list(districts["id"]), key), indicator_unit(indicators, key))
                         for key in MAP_INDICATORS}
    frame = districts[["geometry"]].copy()
    frame["schematisch"] = districts["geometrie"] == "schematisch"
    frame["tooltip"] = [
        template_safe_html(district_tooltip_html(row, tooltip_bands, int(counts.get(row["id"], 0)), lang))
        for _, row in districts.iterrows()
    ]
    frame["fill"] = [colours.get(bands.get(i)) if bands.get(i) is not None else None for i in districts["id"]]
    choropleth = bool(bands)

    def style(feature):
        props = feature["properties"]
        fill = props["fill"]
        return {
            "color": "#333333",
            "weight": 1.5,
            "dashArray": "6 4" if props["schematisch"] else None,
            "fillColor": fill or (NO_DATA_COLOUR if choropleth else "#3b6e8f"),
            "fillOpacity": 0.65 if fill else (0.25 if choropleth else 0.06),
        }

    return folium.GeoJson(
        frame.to_json(drop_id=True),
        name=t("karte.ebene_stadtteile", lang),
        style_function=style,
        highlight_function=lambda _: {"weight": 3.5, "color": "#000000"},
        tooltip=folium.GeoJsonTooltip(fields=["tooltip"], labels=False, sticky=True),
        control=True,
        overlay=True,
    )


def district_labels(districts: gpd.GeoDataFrame, lang: str) -> folium.FeatureGroup:
    """District names as map labels at a point inside each polygon (decorative: the names are also in every list)."""
    group = folium.FeatureGroup(name=t("karte.ebene_namen", lang), control=True)
    points = districts.to_crs(METRIC_CRS).representative_point().to_crs(districts.crs)
    for name, point in zip(districts["name"], points):
        folium.Marker(
            [point.y, point.x],
            icon=folium.DivIcon(html=template_safe_html(f'<span class="qk-label" aria-hidden="true">{html.escape(str(name))}</span>'),
                                icon_size=(120, 18), icon_anchor=(60, 9), class_name="qk-label-icon"),
            interactive=False, keyboard=False, pane=LABEL_PANE,
        ).add_to(group)
    return group


def district_tooltip_html(row: pd.Series, indicator_bands: dict[str, tuple[dict, str]], n_offers: int, lang: str) -> str:
    """Tooltip HTML for one district; every data value is escaped.

    ``indicator_bands`` maps an indicator key to ``({district id: Band or None}, unit)``.
    """
    lines = [f"<strong>{html.escape(str(row['name']))}</strong>"]
    for key, (bands, unit) in indicator_bands.items():
        band = bands.get(row["id"])
        label = band.label(unit, lang) if band else t("band.keine_angabe", lang)
        lines.append(f"{html.escape(t('indikator.' + key, lang))}: {html.escape(label)}")
        if band is not None and band.parts:
            lines.append(f"<small>{html.escape('; '.join(band.parts))}</small>")
    lines.append(html.escape(t("karte.anzahl_angebote", lang, n=n_offers)))
    if row["geometrie"] == "schematisch":
        lines.append(f"<em>{html.escape(t('karte.grenze_schematisch', lang))}</em>")
    return "<br>".join(lines)


def band_colours(bands: list[Band]) -> dict[Band, str]:
    """A colour per distinct band, light to dark in band order."""
    distinct = sorted({b for b in bands}, key=lambda b: b.sort_key)
    if not distinct:
        return {}
    step = (len(CHOROPLETH_COLOURS) - 1) / max(len(distinct) - 1, 1)
    return {b: CHOROPLETH_COLOURS[round(i * step)] for i, b in enumerate(distinct)}


def legend_html(indicator: str, colours: dict[Band, str], unit: str, lang: str, source: str | None = None) -> str:
    """The choropleth legend; ``source``: whose indicators these are when not the shipped Sozialatlas figures."""
    rows = [f"<h2>{html.escape(t('indikator.' + indicator, lang))}</h2>"]
    for band, colour in sorted(colours.items(), key=lambda item: item[0].sort_key, reverse=True):
        rows.append(f'<div class="qk-legend-row"><span class="qk-swatch" style="background:{colour}"></span>'
                    f"{html.escape(band.label(unit, lang))}</div>")
    rows.append(f'<div class="qk-legend-row"><span class="qk-swatch" style="background:{NO_DATA_COLOUR}"></span>'
                f"{html.escape(t('band.keine_angabe', lang))}</div>")
    note = t("indikator.quelle_veroeffentlicht", lang, quelle=source) if source else t("indikator.quelle_kurz", lang)
    rows.append(f"<small>{html.escape(note)}</small>")
    return "".join(rows)


def offer_rows(offers: gpd.GeoDataFrame, lang: str = "de") -> list[list]:
    """Marker data rows (see :data:`OFFER_ROW_FIELDS`) of the located offers; raw text, escaped by the browser code."""
    located = offers[has_location(offers)]
    frame = located.reindex(columns=list(OFFER_ROW_FIELDS)).copy()
    frame["stand"] = [stand_text(row, lang) for _, row in located.iterrows()] if len(located) else []
    text_cols = [c for c in OFFER_ROW_FIELDS if c not in ("lat", "lon")]
    frame[text_cols] = frame[text_cols].fillna("").astype(str)
    return [[float(r[0]), float(r[1]), *r[2:]] for r in frame.itertuples(index=False, name=None)]


class OfferCluster(JSCSSMixin, Layer):
    """The one cluster layer that all Handlungsfeld layers share, so that offers at the same place cluster (and
    spread on click) together instead of hiding each other. Not in the layer list.

    ``QK.offerClusters`` in ``static/qk/qk-cluster.js`` (on a Supercluster index). It joins the map in ``QK.setup``
    (:class:`MapSetup`), once every offer layer has given it its offers: the index is then built once."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        QK.clusterLabel = {{ this.label_json }};
        var {{ this.get_name() }} = QK.offerClusters({{ this.options|tojavascript }});
        {% endmacro %}
    """)

    def __init__(self, asset_base: str, lang: str = "de"):
        # show=False: folium would add it to the map at once (see the class docstring for when it is added)
        super().__init__(name="offer_cluster", overlay=True, control=False, show=False)
        self._name = "OfferCluster"
        self.label_json = script_json(t("karte.cluster_label", lang))
        self.options = {"radius": CLUSTER_RADIUS_PX}
        self.default_js = asset_links(CLUSTER_JS, asset_base)


MAP_CONTROL_TEXTS = {"map": "kartenbereich", "zoomIn": "zoom_rein", "zoomOut": "zoom_raus", "layers": "ebenen",
                     "closePopup": "popup_schliessen"}
"""Names of the map region and of Leaflet's controls (``QK.texts`` in ``static/qk/qk-map.js``) → ``karte.*`` keys."""


class MapSetup(MacroElement):
    """Runs ``QK.setup`` once the map, districts and cluster exist: UI language on the frame and its controls,
    pinch-zoom allowed, district shapes out of the tab order, focus kept on the map when clusters open,
    Escape closes popups."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        QK.setup({{ this._parent.get_name() }}, {{ this.districts.get_name() }}, {{ this.cluster.get_name() }},
                 {{ this.config_json }});
        {% endmacro %}
    """)

    def __init__(self, districts: folium.GeoJson, cluster: OfferCluster, lang: str):
        super().__init__()
        self._name = "MapSetup"
        self.districts = districts
        self.cluster = cluster
        self.config_json = script_json({"lang": lang, "texts": {
            name: t(f"karte.{key}", lang) for name, key in MAP_CONTROL_TEXTS.items()}})


class TileConsent(MacroElement):
    """A third-party tile server, loaded only after the visitor agrees (``QK.tileConsent``): until then no
    request goes to that host. The consent is kept in the tab's sessionStorage (per tile host)."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        QK.tileConsent({{ this._parent.get_name() }}, {{ this.config_json }});
        {% endmacro %}
    """)

    def __init__(self, tiles: TileSettings, lang: str):
        super().__init__()
        self._name = "TileConsent"
        self.config_json = script_json({
            "url": tiles.url, "attribution": tiles.attribution, "host": tiles.host,
            "button": t("karte.tiles_laden", lang), "text": t("karte.tiles_hinweis", lang, host=tiles.host)})


class LocateControl(MacroElement):
    """The "my location" button (``QK.locateControl``); nothing is sent anywhere but to the app itself."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        QK.locateControl({{ this._parent.get_name() }}, {{ this.config_json }});
        {% endmacro %}
    """)

    def __init__(self, lang: str):
        super().__init__()
        self._name = "LocateControl"
        self.config_json = script_json({key: t(f"standort.{key}", lang) for key in ("label", "searching", "failed")})


@dataclass(frozen=True)
class MapFocus:
    """What the resident chose: a location (EPSG:4326) and an offer to open, and the view that shows them."""

    location: tuple[float, float] | None = None
    """``(lat, lon)``."""
    location_label: str = ""
    offer_id: str | None = None
    bounds: tuple[tuple[float, float], tuple[float, float]] | None = None
    """``((south, west), (north, east))``; ``None`` keeps the built map's first view."""


class FocusView(MacroElement):
    """Runs ``QK.focus`` after the offer layers exist: location ring, fitted view, chosen offer opened."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        QK.focus({{ this._parent.get_name() }}, {{ this.cluster.get_name() }}, {{ this.config_json }});
        {% endmacro %}
    """)

    def __init__(self, cluster: OfferCluster, focus: MapFocus):
        super().__init__()
        self._name = "FocusView"
        self.cluster = cluster
        self.config_json = script_json({
            "location": list(focus.location) if focus.location else None, "locationLabel": focus.location_label,
            "offerId": focus.offer_id, "bounds": [list(p) for p in focus.bounds] if focus.bounds else None})


def add_focus(fmap: folium.Map, focus: MapFocus) -> folium.Map:
    """Add ``focus`` to a map from :func:`build_map` (call it on a copy: a cached map must stay unchanged)."""
    cluster = next(child for child in fmap._children.values() if isinstance(child, OfferCluster))
    FocusView(cluster, focus).add_to(fmap)
    return fmap


def focus_bounds(points: list[tuple[float, float]]) -> tuple[tuple[float, float], tuple[float, float]] | None:
    """Bounds ``((south, west), (north, east))`` around ``(lat, lon)`` points, ``None`` for none."""
    if not points:
        return None
    lats, lons = [p[0] for p in points], [p[1] for p in points]
    return (min(lats), min(lons)), (max(lats), max(lons))


class OfferLayer(Layer):
    """The offers of one Handlungsfeld as a toggleable group of an :class:`OfferCluster`.

    Offer data travels as JSON made safe by :func:`script_json`; ``QK.marker`` in ``static/qk/qk-map.js`` turns
    an offer into a marker and DOM text when it is first shown.
    """

    _template = Template("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = (function () {
            var packed = {{ this.data_json }};
            return {{ this.cluster.get_name() }}.group(packed, {{ this.config_json }});
        })();
        {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {% endmacro %}
    """)

    def __init__(self, data: list[list], config: dict, cluster: OfferCluster, name: str):
        super().__init__(name=name, overlay=True, control=True, show=True)
        self._name = "OfferLayer"
        self.data = data
        self.data_json = script_json(pack_rows(data))
        self.config_json = script_json(config)
        self.cluster = cluster


def pack_rows(rows: list[list]) -> dict[str, list]:
    """Compact marker data: ``{"s": strings, "r": rows}`` with each text cell an index into ``s``.

    Repeated texts (Träger, Stadtteil, dates, descriptions) are stored once;
    coordinates are rounded to 6 decimals (about 0.1 m), which is far below
    the precision of any source.
    """
    strings: list[str] = []
    index: dict[str, int] = {}
    packed = []
    for row in rows:
        cells: list = [round(row[0], 6), round(row[1], 6)]
        for value in row[2:]:
            position = index.get(value)
            if position is None:
                position = index[value] = len(strings)
                strings.append(value)
            cells.append(position)
        packed.append(cells)
    return {"s": strings, "r": packed}


def offer_layer(offers: gpd.GeoDataFrame, hf: Handlungsfeld, cluster: OfferCluster, lang: str) -> OfferLayer:
    """One toggleable layer for the located offers of one Handlungsfeld."""
    name = t(f"handlungsfeld.{hf.key}", lang)
    config = {
        "key": hf.key, "name": name, "color": hf.color, "symbol": hf.symbol,
        "lang": lang, "labels": {k: t(f"popup.{k}", lang) for k in (
            "traeger", "adresse", "stadtteil", "zeiten", "website", "telefon", "info", "stand",
            "ungefaehr", "genau_strasse", "genau_stadtteil")},
    }
    rows = offer_rows(offers, lang)
    label = (f'<span class="qk-layer-symbol" style="background:{hf.color}" aria-hidden="true">{hf.symbol}</span>'
             f"{html.escape(name)} ({len(rows)})")
    return OfferLayer(rows, config, cluster, label)


class HtmlControl(MacroElement):
    """A static Leaflet control showing trusted HTML (legend, notes)."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.control({position: {{ this.position|tojson }}});
        {{ this.get_name() }}.onAdd = function (map) {
            var div = L.DomUtil.create("div", {{ this.css_class|tojson }});
            div.innerHTML = {{ this.html_json }};
            // Collapsed on small maps (phones): open, it would cover a third of the map.
            var details = div.querySelector("details");
            if (details) { details.open = map.getSize().x >= 700; }
            L.DomEvent.disableClickPropagation(div);
            return div;
        };
        {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {% endmacro %}
    """)

    def __init__(self, html_content: str, position: str = "bottomright", css_class: str = "qk-control",
                 summary: str | None = None):
        """``summary``: show the content as a ``<details>`` block with this (escaped) heading, open on wide maps only."""
        super().__init__()
        self._name = "HtmlControl"
        if summary is not None:
            html_content = f"<details><summary>{html.escape(summary)}</summary>{html_content}</details>"
        self.html_json = script_json(html_content)
        self.position = position
        self.css_class = css_class


_SCRIPT_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "'": "\\u0027"}
_TEMPLATE_OPENERS = re.compile(r"\{(?=[{%#])")


def script_json(value: object) -> str:
    """JSON for a ``<script>`` that folium will parse once more as a Jinja template.

    folium renders each element's script and then wraps the *result* in a new
    template, so ``{{``, ``{%`` or ``{#`` in data would be read as template
    syntax. JSON itself never puts ``{`` before ``{``, ``%`` or ``#`` (keys are
    quoted), so every such brace is inside a string and becomes ``\\u007b``.
    ``<``, ``>``, ``&``, ``'`` are escaped so that no ``</script>`` ends the block.
    """
    text = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    for char, escaped in _SCRIPT_ESCAPES.items():
        text = text.replace(char, escaped)
    return _TEMPLATE_OPENERS.sub(r"\\u007b", text)


def template_safe_html(markup: str) -> str:
    """HTML with ``{`` as a character reference, for strings that folium embeds in templates."""
    return markup.replace("{", "&#123;")
