"""Session and URL state: the UI language, the view a link restores (filters, location, opened offer) and
the session keys the widgets share.

Streamlit keeps widget state per session; :func:`restore_view_from_url` fills it from a shared link and
:func:`write_view_to_url` mirrors it back, so every view can be bookmarked.
"""
from __future__ import annotations

from urllib.parse import urlsplit

import streamlit as st

from app.cache import settings
from geo.analysis.filters import OfferFilter, language_options
from geo.analysis.location import Location, inside_minden
from geo.config import HANDLUNGSFELDER
from geo.dataset import Dataset
from geo.i18n import DEFAULT_LANG, available_languages, t
from geo.render.urlstate import STATE_KEYS, ViewState, params_to_state, state_to_params

LANG_STATE = "qk_lang"


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


def tr(key: str, **values: object) -> str:
    return t(key, lang(), **values)


LOCATION_STATE = "qk_location"
"""The chosen location (:class:`~geo.analysis.location.Location`) or ``None``."""

OFFER_STATE = "qk_offer"


URL_LOADED_STATE = "qk_url_loaded"


FILTER_WIDGETS = ("hf", "zg", "sp", "st", "q", "kostenlos", "barrierefrei", "offen", "belegt", "beendete")


def widget_key(name: str) -> str:
    """Session-state key of a filter widget, per UI language: Streamlit keeps a multiselect's chosen options
    as their displayed labels, so after a language switch the old state would show German names. A new
    language starts with new keys, and :func:`restore_view_from_url` fills them from the URL."""
    return f"f_{name}.{lang()}"


def restore_view_from_url(data: Dataset) -> None:
    """Put the view of a shared link (``?hf=…&ort=…``) into the widgets' state: on a session's first run,
    and again whenever Streamlit has dropped the widgets' state (after a visit to a page without them).

    Afterwards the widgets own the state and :func:`write_view_to_url` mirrors it back into the URL.
    """
    if st.session_state.get(URL_LOADED_STATE) and all(widget_key(name) in st.session_state for name in FILTER_WIDGETS):
        return
    state = params_to_state({k: st.query_params.get(k) for k in STATE_KEYS}, set(data.districts["id"]),
                            set(data.offers["id"]))
    flt = state.filter
    st.session_state[widget_key("hf")] = list(flt.handlungsfelder or [hf.name for hf in HANDLUNGSFELDER])
    st.session_state[widget_key("zg")] = list(flt.zielgruppen)
    st.session_state[widget_key("sp")] = [s for s in flt.sprachen if s in language_options(data.offers)]
    st.session_state[widget_key("st")] = flt.stadtteil_ids[0] if flt.stadtteil_ids else ""
    st.session_state[widget_key("q")] = flt.text
    for key, attr in (("kostenlos", "kostenlos"), ("barrierefrei", "barrierefrei"), ("offen", "jetzt_offen"),
                      ("belegt", "nur_belegt"), ("beendete", "beendete")):
        st.session_state[widget_key(key)] = getattr(flt, attr)
    outside = state.location is not None and not inside_minden(state.location)
    st.session_state[LOCATION_STATE] = None if outside else state.location
    st.session_state[OUTSIDE_STATE] = outside
    st.session_state[OFFER_STATE] = state.offer_id
    st.session_state[URL_LOADED_STATE] = True


def write_view_to_url(flt: OfferFilter) -> None:
    """Mirror filters, location and opened offer into the URL (``lang`` and other keys are kept)."""
    wanted = state_to_params(ViewState(flt, chosen_location(), chosen_offer()))
    for key in STATE_KEYS:
        if key in wanted:
            if st.query_params.get(key) != wanted[key]:
                st.query_params[key] = wanted[key]
        elif key in st.query_params:
            del st.query_params[key]


def chosen_location() -> Location | None:
    return st.session_state.get(LOCATION_STATE)


def chosen_offer() -> str | None:
    return st.session_state.get(OFFER_STATE)


def set_location(location: Location | None) -> None:
    st.session_state[LOCATION_STATE] = location
    st.session_state[OFFER_STATE] = None


def set_offer(offer_id: str | None) -> None:
    st.session_state[OFFER_STATE] = offer_id


OUTSIDE_STATE = "qk_outside"
"""Set when a link or click pointed outside Minden; the location box shows the message once."""

def public_url() -> str:
    """The app's address for QR codes: the operator's setting, else the address this visitor opened."""
    if settings().public_url:
        return settings().public_url
    url = getattr(st.context, "url", None) or "http://localhost:8501"
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.netloc else "http://localhost:8501"
