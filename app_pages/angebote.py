"""Angebote: every offer as an accessible list with search — the map's content without the map."""
import streamlit as st

from geo.config import HANDLUNGSFELD_BY_NAME, HANDLUNGSFELDER
from geo.filters import filter_offers
from ui import dataset_or_stop, escape_md, footer, schematic_notice, tr

PAGE_SIZE = 25
data = dataset_or_stop()
names = dict(zip(data.districts["id"], data.districts["name"]))

st.title(tr("liste.titel"))
st.write(tr("liste.einleitung"))
schematic_notice(data)

col_text, col_field, col_district = st.columns([2, 2, 2])
text = col_text.text_input(tr("liste.suche"), placeholder=tr("liste.suche_beispiel"))
field = col_field.selectbox(tr("filter.handlungsfeld"), ["", *[hf.name for hf in HANDLUNGSFELDER]],
                            format_func=lambda n: tr(f"handlungsfeld.{HANDLUNGSFELD_BY_NAME[n].key}") if n else tr("filter.alle_handlungsfelder"))
district = col_district.selectbox(tr("filter.stadtteil"), ["", *sorted(names, key=names.get)],
                                  format_func=lambda i: names.get(i, tr("filter.alle_stadtteile")))

shown = filter_offers(data.offers, [field] if field else None, [district] if district else None, text)
shown = shown.sort_values("name", key=lambda s: s.str.casefold())
st.markdown(tr("liste.anzahl", n=len(shown)))

pages = max(1, -(-len(shown) // PAGE_SIZE))
page = st.number_input(tr("liste.seite", n=pages), min_value=1, max_value=pages, value=1) if pages > 1 else 1
for _, offer in shown.iloc[(page - 1) * PAGE_SIZE: page * PAGE_SIZE].iterrows():
    hf = HANDLUNGSFELD_BY_NAME[offer["handlungsfeld"]]
    with st.container(border=True):
        st.markdown(f"### {escape_md(offer['name'])}")
        st.markdown(f"**{escape_md(tr(f'handlungsfeld.{hf.key}'))}** · {escape_md(offer['kategorie'])}")
        if offer["lage_genauigkeit"] != "adresse":
            st.caption(tr(f"popup.genau_{offer['lage_genauigkeit']}"))
        details = [
            ("popup.traeger", offer["traeger"]), ("popup.adresse", offer["adresse"]),
            ("popup.stadtteil", offer["stadtteil_name"] or offer["stadtteil"]), ("popup.zeiten", offer["oeffnungszeiten"]),
            ("liste.zielgruppen", offer["zielgruppen"]), ("liste.sprachen", offer["sprachen"]),
            ("liste.kosten", offer["kosten"]), ("liste.barrierefrei", offer["barrierefrei"]),
            ("popup.telefon", offer["telefon"]), ("popup.website", offer["website"]),
        ]
        st.markdown("  \n".join(f"**{escape_md(tr(k))}:** {escape_md(v)}" for k, v in details if v))
        if offer["beschreibung_einfach"]:
            st.markdown(f"**{escape_md(tr('popup.info'))}:** {escape_md(offer['beschreibung_einfach'])}")
        if offer["beschreibung"]:
            st.markdown(escape_md(offer["beschreibung"]))
        st.caption(tr("liste.stand_quelle", stand=offer["zuletzt_geprueft"] or "–", quelle=offer["quelle"] or "–"))
footer()
