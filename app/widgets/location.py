"""„Wo sind Sie?“: the location box (offline place search with suggestions) and map clicks or the
browser's location as the resident's location."""
from __future__ import annotations

import streamlit as st

from app.cache import gazetteer
from app.state import OUTSIDE_STATE, chosen_location, set_location, tr
from app.widgets.page import plain_alert
from geo.analysis.location import Location, inside_minden, location_from_place, place_choices, resolve_place_text

_PLACE = "f_ort"
_PLACE_PROBLEM = "qk_place_problem"
_CLEAR_PLACE = "qk_clear_place"

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
    if st.session_state.pop(OUTSIDE_STATE, False):
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


def take_map_click(clicked: dict | None) -> None:
    """A tap on the map (or the browser's location, sent as a tap), ``{"lat": …, "lng": …}`` in the run it
    started, becomes the location."""
    if not clicked:
        return
    location = Location(float(clicked["lat"]), float(clicked["lng"]), "karte")
    if not inside_minden(location):
        st.session_state[_PLACE_PROBLEM] = None
        st.session_state[OUTSIDE_STATE] = True  # shown under the place search after the rerun
        st.rerun()
    set_location(location)
    st.session_state[_CLEAR_PLACE] = True
    st.rerun()
