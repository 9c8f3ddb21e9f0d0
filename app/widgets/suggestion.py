"""Residents' suggestions and error reports: the form, and the limits that stop a flood of posts."""
from __future__ import annotations

import streamlit as st

from app.cache import readable_store
from app.state import tr
from geo.store.offer_store import Store, ValidationError

SUGGESTIONS_PER_SESSION = 5
SUGGESTIONS_PER_MINUTE = 20
"""For all visitors and app processes together, counted in the store (a new session or a restart does not reset
it): a flood of automated posts stops here."""


def suggestion_refused(store: Store) -> str | None:
    """The catalogue key of the reason a suggestion is refused now (per-session or per-minute limit), else
    ``None`` — and then this suggestion is counted for the session."""
    if st.session_state.get("qk_vorschlaege", 0) >= SUGGESTIONS_PER_SESSION:
        return "vorschlag.genug"
    if store.suggestions_since(60) >= SUGGESTIONS_PER_MINUTE:
        return "vorschlag.spaeter"
    st.session_state["qk_vorschlaege"] = st.session_state.get("qk_vorschlaege", 0) + 1
    return None


def suggestion_form(offer_id: str | None = None, key: str = "vorschlag") -> None:
    """"Angebot vorschlagen / Fehler melden": a short form without login; lands in the review queue.

    Only with a store (``QK_DATENBANK``); at most :data:`SUGGESTIONS_PER_SESSION` per session.
    """
    store = readable_store()
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
                if not text.strip():
                    st.error(tr("vorschlag.leer"))
                elif refused := suggestion_refused(store):
                    st.warning(tr(refused))
                else:
                    try:
                        store.suggest(kind, text, offer_id, contact)
                    except ValidationError as exc:
                        st.error("; ".join(exc.reasons))
                    else:
                        st.success(tr("vorschlag.danke"))
