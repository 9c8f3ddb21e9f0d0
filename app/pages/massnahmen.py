"""Maßnahmen-Monitoring: the measures of the Integrationskonzept by Handlungsfeld and Fristigkeit, with linked offers."""
import pandas as pd
import streamlit as st

from app.cache import readable_store
from app.state import lang, tr
from app.widgets.page import dataset_or_stop, footer, list_styles, plain_alert
from geo.config import HANDLUNGSFELD_BY_NAME
from geo.data.measures import (
    FRISTIGKEITEN,
    MEASURE_FIELDS,
    filter_measures,
    horizon_key,
    offers_by_measure,
    read_measures,
)
from geo.data.problems import DataFileError
from geo.render.offer_view import measure_card_html

data = dataset_or_stop()
ui_lang = lang()


@st.cache_data(show_spinner=False)
def measures() -> pd.DataFrame:
    return read_measures()


def field_label(name: str) -> str:
    hf = HANDLUNGSFELD_BY_NAME.get(name)
    return tr(f"handlungsfeld.{hf.key}") if hf else tr("massnahmen.querschnitt")


list_styles()
st.title(tr("massnahmen.titel"))
st.write(tr("massnahmen.einleitung"))
try:
    table = measures()
except DataFileError as exc:
    st.error(tr("app.datenfehler", meldung=str(exc.problem)))
    st.stop()

col_field, col_horizon = st.columns(2)
fields = col_field.multiselect(tr("massnahmen.handlungsfeld"), list(MEASURE_FIELDS), key="m_hf",
                               format_func=field_label, placeholder=tr("filter.alle"))
horizons = col_horizon.multiselect(tr("massnahmen.fristigkeit"), list(FRISTIGKEITEN), key="m_frist",
                                   format_func=lambda f: tr(horizon_key(f)),
                                   placeholder=tr("filter.alle"))
store = readable_store()
if store is not None:  # the Redaktion's status, where it set one; the file keeps the source's "offen"
    states = store.measure_states()
    table = table.assign(status=[states.get(i, s) for i, s in zip(table["id"], table["status"])])
shown = filter_measures(table, fields, horizons)
linked, problems = offers_by_measure(data.offers, set(table["id"]))
names = dict(zip(data.offers["id"], data.offers["name"]))
st.markdown(tr("massnahmen.anzahl", n=len(shown), gesamt=len(table),
               verknuepft=sum(1 for i in shown["id"] if linked.get(i))))
if not linked:
    st.info(tr("massnahmen.keine_verknuepfung"), icon=":material/link_off:")
for problem in problems:
    plain_alert(str(problem))

summary = pd.crosstab(shown["handlungsfeld"].map(field_label), shown["fristigkeit"]).reindex(
    columns=[f for f in FRISTIGKEITEN if f in set(shown["fristigkeit"])])
summary.columns = [tr(horizon_key(f)) for f in summary.columns]
summary.index.name = tr("massnahmen.handlungsfeld")
st.dataframe(summary, width="stretch")

for row in shown.itertuples(index=False):
    with st.container(border=True):
        st.html(measure_card_html(row._asdict(), field_label(row.handlungsfeld),
                                  [names.get(i, i) for i in linked.get(row.id, [])], ui_lang))
st.caption(tr("massnahmen.quelle_hinweis"))
footer()
