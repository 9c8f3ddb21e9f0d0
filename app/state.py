"""Session and URL state: the UI language, the view a link restores (filters, location, opened offer) and
the session keys the widgets share.

The view (filters, search text, location, opened offer) belongs to the session, not to a page: it follows the
resident to every page that uses it (:data:`VIEW_STATE`). :func:`restore_view_from_url` takes it from a shared
link on the session's first run and fills each page's widgets from it; :func:`write_view_to_url` mirrors it
into the URL, so every view can be bookmarked.
"""
from __future__ import annotations

from typing import Any
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

VIEW_STATE = "qk_view"
"""The resident's filter values by widget name (:data:`FILTER_WIDGETS`), in no particular UI language: the
session's own copy, which outlives the widgets.

Streamlit ties a widget's state to the page that drew it: the same key on another page is another widget and
starts empty, and the old page's state is dropped. So the view is kept here, every change of a filter widget is
copied here at once (:func:`filter_widget`), and every page fills its widgets from here before drawing them
(:func:`restore_view_from_url`). The location and the opened offer are plain session values anyway."""

_FLAG_ATTRS = (("kostenlos", "kostenlos"), ("barrierefrei", "barrierefrei"), ("offen", "jetzt_offen"),
               ("belegt", "nur_belegt"), ("beendete", "beendete"))


def widget_key(name: str) -> str:
    """Session-state key of a filter widget, per UI language: Streamlit keeps a multiselect's chosen options
    as their displayed labels, so after a language switch the old state would show German names. A new
    language starts with new keys, and :func:`restore_view_from_url` fills them from the session's view."""
    return f"f_{name}.{lang()}"


def _view_of(flt: OfferFilter, data: Dataset) -> dict[str, Any]:
    view: dict[str, Any] = {
        "hf": list(flt.handlungsfelder or [hf.name for hf in HANDLUNGSFELDER]),
        "zg": list(flt.zielgruppen),
        "sp": [s for s in flt.sprachen if s in language_options(data.offers)],
        "st": flt.stadtteil_ids[0] if flt.stadtteil_ids else "",
        "q": flt.text,
    }
    view.update({key: bool(getattr(flt, attr)) for key, attr in _FLAG_ATTRS})
    return view


def _default_view() -> dict[str, Any]:
    return {"hf": [hf.name for hf in HANDLUNGSFELDER], "zg": [], "sp": [], "st": "", "q": "",
            **{key: False for key, _ in _FLAG_ATTRS}}


def current_view() -> dict[str, Any]:
    """The session's filter values (a copy; see :data:`VIEW_STATE`)."""
    return dict(st.session_state.get(VIEW_STATE) or _default_view())


def view_filter(with_text: bool = True) -> OfferFilter:
    """The session's filter as an :class:`OfferFilter`, also on a page without the filter widgets (Drucken);
    ``with_text=False`` leaves out the search text (the map and the coverage page have no search box)."""
    view = current_view()
    district = str(view["st"] or "")
    return OfferFilter(
        handlungsfelder=tuple(view["hf"]) or None, stadtteil_ids=(district,) if district else None,
        zielgruppen=tuple(view["zg"]), sprachen=tuple(view["sp"]),
        text=str(view["q"] or "") if with_text else "",
        **{attr: bool(view[key]) for key, attr in _FLAG_ATTRS})


def _remember_filter(name: str, key: str) -> None:
    """``on_change`` of a filter widget: copy its new value into the session's view."""
    view = current_view()
    view[name] = st.session_state[key]
    st.session_state[VIEW_STATE] = view


def filter_widget(name: str) -> dict[str, Any]:
    """The keyword arguments that tie a filter widget to the session's view: ``st.checkbox(label,
    **filter_widget("kostenlos"))``."""
    key = widget_key(name)
    return {"key": key, "on_change": _remember_filter, "args": (name, key)}


def reset_filters() -> None:
    """Every filter back to "all offers" (the location, the opened offer and the language stay)."""
    view = _default_view()
    st.session_state[VIEW_STATE] = view
    for name in FILTER_WIDGETS:
        st.session_state[widget_key(name)] = view[name]


def restore_view_from_url(data: Dataset) -> None:
    """Fill the filter widgets from the session's view before a page draws them; on a session's first run
    the view, location and opened offer come from the link (``?hf=…&ort=…``).

    Only the first run reads the link: Streamlit drops the query parameters when the resident follows a
    sidebar link, and the session's view is the truth from then on; :func:`write_view_to_url` puts it back
    into every page's URL, so that the address bar can be bookmarked or shared on every page.
    """
    if not st.session_state.get(URL_LOADED_STATE):
        state = params_to_state({k: st.query_params.get(k) for k in STATE_KEYS}, set(data.districts["id"]),
                                set(data.offers["id"]))
        st.session_state[VIEW_STATE] = _view_of(state.filter, data)
        outside = state.location is not None and not inside_minden(state.location)
        st.session_state[LOCATION_STATE] = None if outside else state.location
        st.session_state[OUTSIDE_STATE] = outside
        st.session_state[OFFER_STATE] = state.offer_id
        st.session_state[URL_LOADED_STATE] = True
    view = current_view()
    # values the data no longer has (a district or language changed in the Redaktion meanwhile) are dropped
    if view["st"] and view["st"] not in set(data.districts["id"]):
        view["st"] = ""
    languages = set(language_options(data.offers))
    view["sp"] = [s for s in view["sp"] if s in languages]
    for name in FILTER_WIDGETS:
        value = view[name]
        st.session_state[widget_key(name)] = list(value) if isinstance(value, list) else value


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
