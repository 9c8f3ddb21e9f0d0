"""Streamlit glue shared by all pages: cached data, language, notices, footer.

Pages stay thin: they read widgets, call :mod:`geo`, and show results.
"""
from __future__ import annotations

import copy
import html
import json
from datetime import datetime

import streamlit as st

import folium
import geopandas as gpd

from geo.attributes import TIMEZONE, ZIELGRUPPEN
from geo.coverage import coverage_table, gap_grid, grid_cells, straight_line_radius
from geo.overview import latest_population
from geo.config import HANDLUNGSFELD_BY_NAME, HANDLUNGSFELDER, MAX_MAP_MARKERS, STATIC_DIR, Settings, load_settings
from geo.dataset import Dataset, load_dataset
from geo.legal import LEGAL_PAGES
from geo.filters import OfferFilter, apply_filter, language_options
from geo.gazetteer import read_gazetteer
from geo.location import Location, inside_minden, location_from_place, place_choices, resolve_place_text
from geo.urlstate import STATE_KEYS, ViewState, params_to_state, state_to_params
from geo.join import has_location
from geo.mapbuild import MapOptions, build_map
from geo.text import german_sort_key
from geo.i18n import DEFAULT_LANG, available_languages, html_lang, t, text_direction
from geo.problems import DataFileError


@st.cache_resource(show_spinner=False)
def settings() -> Settings:
    return load_settings()


@st.cache_resource(show_spinner=False)
def dataset() -> Dataset:
    """The loaded data, shared by all sessions (read-only)."""
    return load_dataset(settings())


LANG_STATE = "qk_lang"


def district_options(data: Dataset) -> dict[str, str]:
    """District id → name, in German alphabetical order (Königstor before Kutenhausen)."""
    pairs = sorted(zip(data.districts["id"], data.districts["name"]), key=lambda pair: german_sort_key(pair[1]))
    return dict(pairs)


@st.cache_resource(show_spinner=False)
def offer_store():
    """The offer store (``QK_DATENBANK``), one per process; ``None`` in file mode."""
    from geo.dataset import open_store

    return open_store(settings()) if settings().database_url else None


@st.cache_resource(show_spinner=False)
def throttle():
    """Failed-login counter shared by all sessions of this process."""
    from geo.auth import Throttle

    return Throttle()


def oidc_configured() -> bool:
    """True if ``.streamlit/secrets.toml`` configures Streamlit's OIDC login (``[auth]``)."""
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all: Streamlit raises its own FileNotFoundError subclass
        return False


def offers_changed() -> None:
    """After an edit: reload the offers and rebuild maps and coverage (for every visitor)."""
    dataset.clear()
    _built_map.clear()
    coverage_for.clear()
    poster_bytes.clear()


def suggestion_form(offer_id: str | None = None, key: str = "vorschlag") -> None:
    """"Angebot vorschlagen / Fehler melden": a short form without login; lands in the review queue.

    Only with a store (``QK_DATENBANK``); at most :data:`SUGGESTIONS_PER_SESSION` per session.
    """
    store = offer_store()
    if store is None:
        return
    with st.expander(tr("vorschlag.titel")):
        if st.session_state.get("qk_vorschlaege", 0) >= SUGGESTIONS_PER_SESSION:
            st.info(tr("vorschlag.genug"))
            return
        with st.form(key, clear_on_submit=True):
            kind = st.radio(tr("vorschlag.art"), ["fehler", "neu"] if offer_id else ["neu", "fehler"],
                            format_func=lambda k: tr(f"vorschlag.art_{k}"), horizontal=True)
            text = st.text_area(tr("vorschlag.text"), max_chars=2000)
            contact = st.text_input(tr("vorschlag.kontakt"), max_chars=300)
            st.caption(tr("vorschlag.datenschutz"))
            if st.form_submit_button(tr("vorschlag.senden")):
                from geo.store import ValidationError

                if not text.strip():
                    st.error(tr("vorschlag.leer"))
                elif refused := suggestion_refused():
                    st.warning(tr(refused))
                else:
                    try:
                        store.suggest(kind, text, offer_id, contact)
                    except ValidationError as exc:
                        st.error("; ".join(exc.reasons))
                    else:
                        st.success(tr("vorschlag.danke"))


SUGGESTIONS_PER_SESSION = 5
SUGGESTIONS_PER_MINUTE = 20
"""For all visitors together (a new session does not reset it): a flood of automated posts stops here."""


@st.cache_resource(show_spinner=False)
def _suggestion_times() -> list[float]:
    return []


def suggestion_refused() -> str | None:
    """The catalogue key of the reason a suggestion is refused now (per-session or per-minute limit), else
    ``None`` — and then this suggestion is counted."""
    import time

    if st.session_state.get("qk_vorschlaege", 0) >= SUGGESTIONS_PER_SESSION:
        return "vorschlag.genug"
    times = _suggestion_times()
    now_s = time.monotonic()
    times[:] = [x for x in times if now_s - x < 60]
    if len(times) >= SUGGESTIONS_PER_MINUTE:
        return "vorschlag.spaeter"
    times.append(now_s)
    st.session_state["qk_vorschlaege"] = st.session_state.get("qk_vorschlaege", 0) + 1
    return None


@st.cache_resource(show_spinner=False)
def gazetteer():
    """The offline place list (``data/gazetteer.csv``) for the location search, shared by all sessions."""
    return read_gazetteer()


def now() -> datetime:
    """The current time in Minden, to the minute (a cache key for "jetzt geöffnet")."""
    return datetime.now(TIMEZONE).replace(second=0, microsecond=0)


def filtered_offers(flt: OfferFilter) -> gpd.GeoDataFrame:
    """The offers matching a resident's filter now (see :func:`geo.filters.apply_filter`)."""
    return apply_filter(dataset().offers, flt, now() if flt.jetzt_offen else None)


@st.cache_resource(show_spinner=False)
def base_grid(cell_m: float):
    """The grid over the districts (EPSG:25832), built once; gap pages add distances to a copy."""
    return grid_cells(dataset().districts, cell_m)


@st.cache_data(show_spinner=False, max_entries=64)
def coverage_for(flt: OfferFilter, walk_m: float, cell_m: float, moment: datetime | None):
    """Coverage table and gap grid for one filter and walking distance (shared by all sessions).

    ``moment`` is set only with "jetzt geöffnet" (it changes the offers)."""
    data = dataset()
    offers = apply_filter(data.offers, flt, moment)
    radius = straight_line_radius(walk_m)
    table = coverage_table(data.districts, offers, radius, latest_population(data.indicators))
    grid = gap_grid(data.districts, offers, radius, cells=base_grid(cell_m))
    return table, grid


# --- the resident's filters and their URL -----------------------------------------------------------------

_FILTER_WIDGETS = ("hf", "zg", "sp", "st", "q", "kostenlos", "barrierefrei", "offen", "belegt", "beendete")


def _w(name: str) -> str:
    """Session-state key of a filter widget, per UI language: Streamlit keeps a multiselect's chosen options
    as their displayed labels, so after a language switch the old state would show German names. A new
    language starts with new keys, and :func:`restore_view_from_url` fills them from the URL."""
    return f"f_{name}.{lang()}"
LOCATION_STATE = "qk_location"
OFFER_STATE = "qk_offer"
_URL_LOADED = "qk_url_loaded"


def restore_view_from_url(data: Dataset) -> None:
    """Put the view of a shared link (``?hf=…&ort=…``) into the widgets' state: on a session's first run,
    and again whenever Streamlit has dropped the widgets' state (after a visit to a page without them).

    Afterwards the widgets own the state and :func:`write_view_to_url` mirrors it back into the URL.
    """
    if st.session_state.get(_URL_LOADED) and all(_w(name) in st.session_state for name in _FILTER_WIDGETS):
        return
    state = params_to_state({k: st.query_params.get(k) for k in STATE_KEYS}, set(data.districts["id"]),
                            set(data.offers["id"]))
    flt = state.filter
    st.session_state[_w("hf")] = list(flt.handlungsfelder or [hf.name for hf in HANDLUNGSFELDER])
    st.session_state[_w("zg")] = list(flt.zielgruppen)
    st.session_state[_w("sp")] = [s for s in flt.sprachen if s in language_options(data.offers)]
    st.session_state[_w("st")] = flt.stadtteil_ids[0] if flt.stadtteil_ids else ""
    st.session_state[_w("q")] = flt.text
    for key, attr in (("kostenlos", "kostenlos"), ("barrierefrei", "barrierefrei"), ("offen", "jetzt_offen"),
                      ("belegt", "nur_belegt"), ("beendete", "beendete")):
        st.session_state[_w(key)] = getattr(flt, attr)
    outside = state.location is not None and not inside_minden(state.location)
    st.session_state[LOCATION_STATE] = None if outside else state.location
    st.session_state[_OUTSIDE] = outside
    st.session_state[OFFER_STATE] = state.offer_id
    st.session_state[_URL_LOADED] = True


def _reset_filters() -> None:
    """Every filter back to "all offers" (the location and the opened offer stay)."""
    defaults = {"hf": [hf.name for hf in HANDLUNGSFELDER], "zg": [], "sp": [], "st": "", "q": ""}
    for name in _FILTER_WIDGETS:
        st.session_state[_w(name)] = defaults.get(name, False)


def filter_sidebar(data: Dataset, with_text: bool = False) -> OfferFilter:
    """The resident's filters in the sidebar (the same on the map and the list page); returns the filter."""
    names = district_options(data)
    languages = language_options(data.offers)
    with st.sidebar:
        st.header(tr("filter.titel"))
        if with_text:
            st.text_input(tr("filter.suche"), key=_w("q"), placeholder=tr("liste.suche_beispiel"))
        st.multiselect(tr("filter.handlungsfeld"), [hf.name for hf in HANDLUNGSFELDER], key=_w("hf"),
                       format_func=lambda name: tr(f"handlungsfeld.{HANDLUNGSFELD_BY_NAME[name].key}"),
                       placeholder=tr("filter.alle"))
        st.multiselect(tr("filter.zielgruppe"), list(ZIELGRUPPEN), key=_w("zg"),
                       format_func=lambda key: tr(f"zielgruppe.{key}"), placeholder=tr("filter.alle"))
        st.multiselect(tr("filter.sprache"), languages, key=_w("sp"), help=tr("filter.sprache_hinweis"),
                       placeholder=tr("filter.alle"))
        st.checkbox(tr("filter.kostenlos"), key=_w("kostenlos"))
        st.checkbox(tr("filter.barrierefrei"), key=_w("barrierefrei"))
        st.checkbox(tr("filter.jetzt_offen"), key=_w("offen"))
        st.checkbox(tr("filter.nur_belegt"), key=_w("belegt"), help=tr("filter.nur_belegt_hilfe"))
        st.selectbox(tr("filter.stadtteil"), ["", *names], key=_w("st"),
                     format_func=lambda i: names.get(i, tr("filter.alle_stadtteile")))
        st.checkbox(tr("filter.beendete"), key=_w("beendete"))
        st.button(tr("filter.zuruecksetzen"), key="qk_filter_reset", on_click=_reset_filters)
    chosen = st.session_state[_w("hf")]
    district = st.session_state[_w("st")]
    return OfferFilter(
        # nothing chosen = all (the placeholder says "Alle"), never an empty map
        handlungsfelder=tuple(chosen) or None, stadtteil_ids=(district,) if district else None,
        zielgruppen=tuple(st.session_state[_w("zg")]), sprachen=tuple(st.session_state[_w("sp")]),
        kostenlos=st.session_state[_w("kostenlos")], barrierefrei=st.session_state[_w("barrierefrei")],
        jetzt_offen=st.session_state[_w("offen")], nur_belegt=st.session_state[_w("belegt")],
        text=st.session_state[_w("q")] if with_text else "", beendete=st.session_state[_w("beendete")])


def public_url() -> str:
    """The app's address for QR codes: the operator's setting, else the address this visitor opened."""
    if settings().public_url:
        return settings().public_url
    url = getattr(st.context, "url", None) or "http://localhost:8501"
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.netloc else "http://localhost:8501"


@st.cache_data(show_spinner=False, max_entries=32)
def poster_bytes(district_id: str, page_format: str, print_lang: str, base_url: str, day: str) -> bytes:
    """A district poster PDF, cached per district, format, language and day (all visitors share it)."""
    from datetime import date

    from geo.poster import poster_pdf

    return poster_pdf(dataset(), district_id, page_format, print_lang, base_url, date.fromisoformat(day))


def handout_bytes(location: Location, print_lang: str, base_url: str) -> bytes:
    from geo.poster import handout_pdf

    return handout_pdf(dataset(), location.rounded(), print_lang, base_url)


def plain_alert(text: str, kind: str = "warning") -> None:
    """A warning or error whose text contains data (offer names, values from a file, what a visitor typed):
    escaped HTML, never Markdown — Streamlit's alerts would render links and autolink any URL in it."""
    role = "alert" if kind == "error" else "status"
    st.html(f'<div class="qk-alert qk-alert-{kind}" role="{role}">{html.escape(text)}</div>')


def list_styles() -> None:
    """The stylesheet of offer cards and lists (``static/qk/qk-liste.css``) for a page that shows them."""
    st.html(f"<style>{(STATIC_DIR / 'qk' / 'qk-liste.css').read_text(encoding='utf-8')}</style>")


def png_img_html(png: bytes, alt: str) -> str:
    """A PNG as an ``<img>`` with alt text (``st.image`` writes none); ``alt`` is escaped."""
    import base64

    return (f'<img src="data:image/png;base64,{base64.b64encode(png).decode("ascii")}" alt="{html.escape(alt)}" '
            'style="max-width: 100%; height: auto;">')


def pdf_unavailable() -> str | None:
    """Why PDFs cannot be made here (WeasyPrint or Pango missing), or ``None``."""
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError) as exc:
        return str(exc).splitlines()[0]
    return None


def chosen_location() -> Location | None:
    return st.session_state.get(LOCATION_STATE)


def chosen_offer() -> str | None:
    return st.session_state.get(OFFER_STATE)


def set_location(location: Location | None) -> None:
    st.session_state[LOCATION_STATE] = location
    st.session_state[OFFER_STATE] = None


def set_offer(offer_id: str | None) -> None:
    st.session_state[OFFER_STATE] = offer_id


_PLACE = "f_ort"
_PLACE_PROBLEM = "qk_place_problem"
_CLEAR_PLACE = "qk_clear_place"
_LAST_CLICK = "qk_last_click"
_OUTSIDE = "qk_outside"


def _place_chosen() -> None:
    """Callback of the place search: a gazetteer entry, or free text resolved with the tolerant search."""
    value = st.session_state.get(_PLACE)
    st.session_state[_PLACE_PROBLEM] = None
    if not value:
        return
    places = gazetteer()
    location = location_from_place(places, value)
    if location is None:
        location, hits = resolve_place_text(places, str(value))
        if location is None:
            labels = place_choices(hits)
            st.session_state[_PLACE_PROBLEM] = (str(value), [(i, labels[i]) for i in hits["id"]])
            return
    set_location(location)


def _suggestion_chosen(place_id: str) -> None:
    st.session_state[_PLACE_PROBLEM] = None
    st.session_state[_CLEAR_PLACE] = True
    set_location(location_from_place(gazetteer(), place_id))


def location_box() -> Location | None:
    """"Wo sind Sie?": search the offline place list (type, pick a suggestion); shows the chosen location.

    A map click or the browser's location (:func:`take_map_click`) sets it too.
    """
    if st.session_state.pop(_CLEAR_PLACE, False):
        st.session_state[_PLACE] = None
    choices = place_choices(gazetteer())
    st.selectbox(tr("standort.suche"), list(choices), key=_PLACE, index=None, placeholder=tr("standort.suche_platzhalter"),
                 format_func=lambda i: choices.get(i, i), accept_new_options=True, on_change=_place_chosen)
    st.caption(tr("standort.hilfe"))
    if st.session_state.pop(_OUTSIDE, False):
        st.warning(tr("standort.ausserhalb"), icon=":material/wrong_location:")
    problem = st.session_state.get(_PLACE_PROBLEM)
    if problem:
        text, suggestions = problem
        if suggestions:
            st.warning(tr("standort.vorschlaege"), icon=":material/search:")
            for place_id, label in suggestions:
                st.button(label, key=f"qk_vorschlag_{place_id}", on_click=_suggestion_chosen, args=(place_id,))
        else:
            plain_alert(tr("standort.unbekannt", text=text))
    location = chosen_location()
    if location is not None:
        if location.quelle == "ort":
            where = location.label
        else:
            r = location.rounded()
            where = tr("standort.gewaehlt_link" if location.quelle == "link" else "standort.gewaehlt_punkt",
                       lat=f"{r.lat:.3f}", lon=f"{r.lon:.3f}")
        col_text, col_button = st.columns([3, 1], vertical_alignment="center")
        # the label comes from project data (gazetteer), not from users; still no Markdown in it
        col_text.markdown(tr("standort.gewaehlt", ort=where.replace("*", "").replace("[", "(").replace("]", ")")))
        if col_button.button(tr("standort.entfernen"), key="qk_ort_weg"):
            set_location(None)
            st.session_state[_CLEAR_PLACE] = True
            st.rerun()
        if location.genauigkeit == "stadtteil":
            st.caption(tr("standort.ungenau"))
    return location


def take_map_click(result: dict | None) -> None:
    """A new click on the map (or the browser's location, sent as a click) becomes the location."""
    clicked = (result or {}).get("last_clicked")
    if not clicked or clicked == st.session_state.get(_LAST_CLICK):
        return
    st.session_state[_LAST_CLICK] = clicked
    location = Location(float(clicked["lat"]), float(clicked["lng"]), "karte")
    if not inside_minden(location):
        st.session_state[_PLACE_PROBLEM] = None
        st.session_state[_OUTSIDE] = True  # shown under the place search after the rerun
        st.rerun()
    set_location(location)
    st.session_state[_CLEAR_PLACE] = True
    st.rerun()


def write_view_to_url(flt: OfferFilter) -> None:
    """Mirror filters, location and opened offer into the URL (``lang`` and other keys are kept)."""
    wanted = state_to_params(ViewState(flt, chosen_location(), chosen_offer()))
    for key in STATE_KEYS:
        if key in wanted:
            if st.query_params.get(key) != wanted[key]:
                st.query_params[key] = wanted[key]
        elif key in st.query_params:
            del st.query_params[key]


def cached_map(flt: OfferFilter, indicator: str | None, focus_district: str | None, ui_lang: str,
               locate: bool = False) -> folium.Map:
    """The map for one filter state: built once for all sessions, handed out as a copy.

    A copy because ``st_folium`` renames the map's elements in place; a
    second render of the same object then carries both names and the map
    stays blank. Copying the built map costs a fraction of building it
    (marker data is one packed JSON string). With "jetzt geöffnet" the
    current minute is part of the cache key.
    """
    moment = now() if flt.jetzt_offen else None
    return copy.deepcopy(_built_map(flt, moment, indicator, focus_district, ui_lang, locate))


@st.cache_resource(show_spinner=False, max_entries=64)
def _built_map(flt: OfferFilter, moment: datetime | None, indicator: str | None, focus_district: str | None,
               ui_lang: str, locate: bool) -> folium.Map:
    """The built map for one filter state, shared by all sessions: a visit must not rebuild an unchanged map.

    Above :data:`~geo.config.MAX_MAP_MARKERS` located offers the map shows
    districts only (the page says so and the list holds every offer).
    """
    data = dataset()
    shown = apply_filter(data.offers, flt, moment)
    if int(has_location(shown).sum()) > MAX_MAP_MARKERS:
        shown = shown.iloc[0:0]
    return build_map(data.districts, shown, data.indicators, MapOptions(
        indicator=indicator, tiles=settings().tiles, lang=ui_lang, focus_district=focus_district, locate=locate))


def lang() -> str:
    """Current UI language: ``?lang=`` in the URL, else the one chosen earlier in this session, else German.

    Streamlit drops query parameters when the user switches pages in the
    sidebar, so the session remembers the language.
    """
    code = st.query_params.get("lang")
    if code in available_languages():
        st.session_state[LANG_STATE] = code
        return code
    return st.session_state.get(LANG_STATE, DEFAULT_LANG)


def keep_language() -> None:
    """Put the session's language back into the URL (so links stay shareable) and into ``<html lang dir>``.

    Streamlit's page template says ``lang="en"`` whatever the content; screen
    readers pick the voice from it (WCAG 3.1.1). Arabic and Persian flip the
    whole page to right-to-left.
    """
    code = lang()
    if code != DEFAULT_LANG and st.query_params.get("lang") != code:
        st.query_params["lang"] = code
    script = (f"document.documentElement.lang = {json.dumps(html_lang(code))};"
              f"document.documentElement.dir = {json.dumps(text_direction(code))};")
    st.html(f"<script>{script}</script>", unsafe_allow_javascript=True)
    st.html(f"<style>{(STATIC_DIR / 'qk' / 'qk-app.css').read_text(encoding='utf-8')}</style>")
    if text_direction(code) == "rtl":
        st.html(f"<style>{(STATIC_DIR / 'qk' / 'qk-rtl.css').read_text(encoding='utf-8')}</style>")


def tr(key: str, **values: object) -> str:
    return t(key, lang(), **values)


def language_picker() -> None:
    languages = available_languages()
    codes = list(languages)
    choice = st.sidebar.selectbox(tr("app.sprache"), codes, index=codes.index(lang()), format_func=languages.get)
    if choice != lang():
        st.session_state[LANG_STATE] = choice
        if choice == DEFAULT_LANG:
            st.query_params.pop("lang", None)
        else:
            st.query_params["lang"] = choice
        st.rerun()


def dataset_or_stop() -> Dataset:
    """The dataset, or a clear German message naming the broken file (no traceback)."""
    try:
        return dataset()
    except DataFileError as exc:
        st.error(tr("app.datenfehler", meldung=str(exc.problem)))
        st.stop()


def schematic_notice(data: Dataset) -> None:
    if data.schematic:
        st.info(tr("app.hinweis_schematisch"), icon=":material/info:")


def data_problem_notice(data: Dataset) -> None:
    """A short line for users, full details on the Datenquellen page.

    A file-level error (empty, binary, header missing) is an error, not a
    footnote: the map would otherwise just look empty.
    """
    for problem in data.problems:
        if problem.schwere == "fehler" and problem.zeile is None:
            st.error(tr("app.dateifehler", meldung=str(problem)))
    n_rejected = sum(len(r) for r in data.rejected.values())
    if n_rejected:
        st.warning(tr("app.abgelehnte_zeilen", n=n_rejected))


def footer() -> None:
    """Credits for the data actually loaded: the shipped sources, or the operator's own files by name."""
    data = dataset()
    parts = []
    for loaded in data.files:
        if loaded.shipped:
            key = "stadtteile_schematisch" if loaded.role == "stadtteile" and data.schematic else loaded.role
            parts.append(tr(f"fusszeile.{key}"))
        else:
            parts.append(tr("fusszeile.eigene_datei", rolle=tr(f"fusszeile.rolle_{loaded.role}"), datei=loaded.path.name))
    st.divider()
    st.caption(" · ".join([tr("app.titel"), *parts, tr("fusszeile.schluss")]))
    suffix = "" if lang() == DEFAULT_LANG else f"?lang={lang()}"
    links = "".join(f'<a href="{name}{suffix}" target="_self">{html.escape(tr(f"rechtliches.{name}"))}</a>'
                    for name in LEGAL_PAGES)
    st.html(f'<nav class="qk-fusslinks" aria-label="{html.escape(tr("rechtliches.navigation"))}">{links}</nav>')
