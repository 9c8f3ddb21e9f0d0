"""What is loaded or built once and shared by every session of this process: settings, the dataset, the
offer store, the gazetteer, built maps, coverage tables and posters.

``st.cache_resource`` for objects shared read-only, ``st.cache_data`` for values each caller may change.
:func:`offers_changed` empties the caches that depend on the offers after an edit.
"""
from __future__ import annotations

import copy
from datetime import date, datetime
from pathlib import Path

import folium
import geopandas as gpd
import sqlalchemy as sa
import streamlit as st

from app.widgets.mapframe import MapDocument, map_document
from geo.analysis.comparison import ChartValue, charts_png
from geo.analysis.coverage import coverage_table, gap_grid, grid_cells, straight_line_radius
from geo.analysis.filters import OfferFilter, apply_filter
from geo.analysis.join import has_location
from geo.analysis.location import Location
from geo.analysis.overview import latest_population
from geo.config import MAX_MAP_MARKERS, Settings, load_settings
from geo.data.attributes import TIMEZONE
from geo.data.gazetteer import read_gazetteer
from geo.dataset import Dataset, load_dataset, open_store
from geo.i18n import t
from geo.render.mapbuild import MapFocus, MapOptions, add_focus, build_map
from geo.store.accounts import StoreThrottle, Throttle
from geo.store.offer_store import Store, StoreUnavailable


@st.cache_resource(show_spinner=False)
def settings() -> Settings:
    return load_settings()


VERSION_CHECK_S = 5
"""How often a process asks the store whether anything changed: an edit saved through one app process is seen
by every other process within this many seconds, without a restart."""


@st.cache_data(ttl=VERSION_CHECK_S, show_spinner=False)
def data_version() -> str:
    """A token that changes when the offers change: the store's version (:meth:`Store.version_token`), or the
    offers file's modification time and size without a store. Every cache built from the offers is keyed by it."""
    if not settings().database_url:
        try:
            stat = Path(settings().angebote_path).stat()
        except OSError:
            return "datei:fehlt"
        return f"datei:{stat.st_mtime_ns}:{stat.st_size}"
    try:
        store = offer_store()
        return f"db:{store.version_token()}" if store is not None else "db:keine"
    except (StoreUnavailable, sa.exc.SQLAlchemyError) as exc:
        offer_store.clear()  # opened again next time: after a restore the app recovers without a restart
        return f"db:nicht-lesbar:{type(exc).__name__}"


def dataset() -> Dataset:
    """The loaded data of the current :func:`data_version`, shared by all sessions (read-only)."""
    return _dataset(data_version())


@st.cache_resource(show_spinner=False, max_entries=2)
def _dataset(version: str) -> Dataset:
    return load_dataset(settings(), readable_store())  # None: load_dataset finds out why and falls back


@st.cache_resource(show_spinner=False)
def offer_store() -> Store | None:
    """The offer store (``QK_DATENBANK``), one per process; ``None`` in file mode. Raises
    :class:`~geo.store.offer_store.StoreUnavailable` when the store exists but cannot be read."""
    return open_store(settings()) if settings().database_url else None


def readable_store() -> Store | None:
    """The offer store for public pages that use it on the side (suggestions, measure states): ``None`` without
    a store and while it cannot be read (every page then shows the notice of :func:`dataset`)."""
    try:
        return offer_store()
    except StoreUnavailable:
        return None


def throttle() -> StoreThrottle | Throttle:
    """Failed-login counts: in the store (a lock holds across restarts and processes), else per process."""
    store = readable_store()
    return StoreThrottle(store) if store is not None else _process_throttle()


@st.cache_resource(show_spinner=False)
def _process_throttle() -> Throttle:
    return Throttle()


def oidc_configured() -> bool:
    """True if ``.streamlit/secrets.toml`` configures Streamlit's OIDC login (``[auth]``)."""
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all: Streamlit raises its own FileNotFoundError subclass
        return False


@st.cache_resource(show_spinner=False)
def gazetteer():
    """The offline place list (``data/gazetteer.csv``) for the location search, shared by all sessions."""
    return read_gazetteer()


def now() -> datetime:
    """The current time in Minden, to the minute (a cache key for "jetzt geöffnet")."""
    return datetime.now(TIMEZONE).replace(second=0, microsecond=0)


def filtered_offers(flt: OfferFilter) -> gpd.GeoDataFrame:
    """The offers matching a resident's filter now (see :func:`geo.analysis.filters.apply_filter`)."""
    return apply_filter(dataset().offers, flt, now() if flt.jetzt_offen else None)


@st.cache_resource(show_spinner=False)
def base_grid(cell_m: float):
    """The grid over the districts (EPSG:25832), built once; gap pages add distances to a copy."""
    return grid_cells(dataset().districts, cell_m)


def coverage_for(flt: OfferFilter, walk_m: float, cell_m: float, moment: datetime | None):
    """Coverage table and gap grid for one filter and walking distance (shared by all sessions).

    ``moment`` is set only with "jetzt geöffnet" (it changes the offers)."""
    return _coverage_for(data_version(), flt, walk_m, cell_m, moment)


@st.cache_data(show_spinner=False, max_entries=64)
def _coverage_for(version: str, flt: OfferFilter, walk_m: float, cell_m: float, moment: datetime | None):
    data = _dataset(version)
    offers = apply_filter(data.offers, flt, moment)
    radius = straight_line_radius(walk_m)
    table = coverage_table(data.districts, offers, radius, latest_population(data.indicators))
    grid = gap_grid(data.districts, offers, radius, cells=base_grid(cell_m))
    return table, grid


def cached_map(flt: OfferFilter, indicator: str | None, focus_district: str | None, ui_lang: str,
               locate: bool = False) -> folium.Map:
    """The map for one filter state: built once for all sessions, handed out as a copy.

    A copy because rendering renames the map's elements in place; a
    second render of the same object then carries both names and the map
    stays blank. Copying the built map costs a fraction of building it
    (marker data is one packed JSON string). With "jetzt geöffnet" the
    current minute is part of the cache key.
    """
    moment = now() if flt.jetzt_offen else None
    return copy.deepcopy(_built_map(data_version(), flt, moment, indicator, focus_district, ui_lang, locate))


def cached_map_frame(flt: OfferFilter, indicator: str | None, focus_district: str | None, ui_lang: str,
                     locate: bool = False, focus: MapFocus | None = None) -> MapDocument:
    """The map as a finished document (:func:`app.widgets.mapframe.map_document`) for one filter state and focus,
    built once for all sessions: a visit sends a cached map without rendering it again (a second with 10,000
    offers)."""
    moment = now() if flt.jetzt_offen else None
    return _map_frame(data_version(), flt, moment, indicator, focus_district, ui_lang, locate, focus)


@st.cache_resource(show_spinner=False, max_entries=32)
def _map_frame(version: str, flt: OfferFilter, moment: datetime | None, indicator: str | None,
               focus_district: str | None, ui_lang: str, locate: bool, focus: MapFocus | None) -> MapDocument:
    fmap = copy.deepcopy(_built_map(version, flt, moment, indicator, focus_district, ui_lang, locate))
    if focus is not None:
        add_focus(fmap, focus)
    return map_document(fmap, t("karte.kartenbereich", ui_lang))


@st.cache_resource(show_spinner=False, max_entries=64)
def _built_map(version: str, flt: OfferFilter, moment: datetime | None, indicator: str | None,
               focus_district: str | None, ui_lang: str, locate: bool) -> folium.Map:
    """The built map for one filter state, shared by all sessions: a visit must not rebuild an unchanged map.

    Above :data:`~geo.config.MAX_MAP_MARKERS` located offers the map shows
    districts only (the page says so and the list holds every offer).
    """
    data = _dataset(version)
    shown = apply_filter(data.offers, flt, moment)
    if int(has_location(shown).sum()) > MAX_MAP_MARKERS:
        shown = shown.iloc[0:0]
    return build_map(data.districts, shown, data.indicators, MapOptions(
        indicator=indicator, indicator_source=data.published_source("sozialatlas"), tiles=settings().tiles, lang=ui_lang,
        focus_district=focus_district, locate=locate))


def poster_bytes(district_id: str, page_format: str, print_lang: str, base_url: str | None, day: str) -> bytes:
    """A district poster PDF, cached per district, format, language and day (all visitors share it).
    ``base_url``: the public address for the QR code; ``None`` or a local address prints none."""
    return _poster_bytes(data_version(), district_id, page_format, print_lang, base_url, day)


@st.cache_data(show_spinner=False, max_entries=32)
def _poster_bytes(version: str, district_id: str, page_format: str, print_lang: str, base_url: str | None,
                  day: str) -> bytes:
    from geo.render.poster import poster_pdf

    return poster_pdf(_dataset(version), district_id, page_format, print_lang, base_url, date.fromisoformat(day))


@st.cache_data(show_spinner=False, max_entries=64)
def chart_png(title: str, values: tuple[ChartValue, ...], city: float | None, city_label: str, unit_label: str) -> bytes:
    """One comparison chart as a static PNG (:func:`geo.analysis.comparison.charts_png`), shared by all sessions:
    drawing it costs a quarter of a second and the same selection is printed again and again."""
    return charts_png([(title, list(values), city)], city_label, unit_label=unit_label)


def handout_bytes(location: Location, print_lang: str, base_url: str | None, flt: OfferFilter | None = None) -> bytes:
    """The handout for the location (rounded as in a link) and the resident's filter, made when she clicks.
    ``base_url``: as for :func:`poster_bytes` (a local address: a handout without QR code, never a refusal)."""
    from geo.render.poster import handout_pdf

    return handout_pdf(dataset(), location.rounded(), print_lang, base_url, flt=flt,
                       now=now() if flt is not None and flt.jetzt_offen else None)


def offers_changed() -> None:
    """After an edit: look at the store's version now instead of within :data:`VERSION_CHECK_S` (maps, coverage
    and posters are keyed by it; other processes notice on their next check)."""
    data_version.clear()
