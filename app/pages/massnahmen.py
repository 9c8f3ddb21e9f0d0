"""Maßnahmen-Monitoring: each measure of the Integrationskonzept once, with the Redaktion's status, responsible body
and last progress note, its source references and the linked offers; filters and a CSV/XLSX export."""
import pandas as pd
import streamlit as st

from app.cache import now, readable_store
from app.state import lang, tr
from app.widgets.page import dataset_or_stop, footer, list_styles, plain_alert, print_table
from geo.config import HANDLUNGSFELD_BY_NAME
from geo.data.measures import (
    FRISTIGKEITEN,
    MEASURE_FIELDS,
    STATUS,
    export_table,
    filter_measures,
    filter_monitoring,
    horizon_key,
    measure_aliases,
    merge_measures,
    offers_by_measure,
    read_measures,
    with_records,
)
from geo.data.problems import DataFileError
from geo.exchange.table_export import csv_bytes, export_file_name, export_metadata, xlsx_bytes
from geo.render.offer_view import measure_card_html

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

data = dataset_or_stop()
ui_lang = lang()


@st.cache_data(show_spinner=False)
def measures() -> pd.DataFrame:
    return merge_measures(read_measures())


def field_label(name: str) -> str:
    hf = HANDLUNGSFELD_BY_NAME.get(name)
    return tr(f"handlungsfeld.{hf.key}") if hf else tr("massnahmen.querschnitt")


list_styles()
st.title(tr("massnahmen.titel"))
st.write(tr("massnahmen.einleitung"))
try:
    merged = measures()
except DataFileError as exc:
    st.error(tr("app.datenfehler", meldung=str(exc.problem)))
    st.stop()
store = readable_store()
table = with_records(merged, store.measure_records() if store is not None else {})

col_field, col_horizon = st.columns(2)
fields = col_field.multiselect(tr("massnahmen.handlungsfeld"), list(MEASURE_FIELDS), key="m_hf",
                               format_func=field_label, placeholder=tr("filter.alle"))
horizons = col_horizon.multiselect(tr("massnahmen.fristigkeit"), list(FRISTIGKEITEN), key="m_frist",
                                   format_func=lambda f: tr(horizon_key(f)),
                                   placeholder=tr("filter.alle"))
col_status, col_owner = st.columns(2)
statuses = col_status.multiselect(tr("massnahmen.status"), list(STATUS), key="m_stand",
                                  format_func=lambda s: tr(f"massnahmen.status_{s}"), placeholder=tr("filter.alle"))
owner = col_owner.text_input(tr("massnahmen.filter_zustaendig"), key="m_zustaendig")
shown = filter_monitoring(filter_measures(table, fields, horizons), statuses, owner)
linked, problems = offers_by_measure(data.offers, measure_aliases(merged))
names = dict(zip(data.offers["id"], data.offers["name"]))
st.markdown(tr("massnahmen.anzahl", n=len(shown), gesamt=len(table),
               verknuepft=sum(1 for i in shown["id"] if linked.get(i))))
counts = shown["status"].value_counts()
st.caption(tr("massnahmen.stand_anzahl", **{s: int(counts.get(s, 0)) for s in STATUS}))
if not linked:
    st.info(tr("massnahmen.keine_verknuepfung"), icon=":material/link_off:")
for problem in problems:
    plain_alert(str(problem))

summary = pd.crosstab(shown["handlungsfeld"].map(field_label), shown["status"]).reindex(
    columns=[s for s in STATUS if s in set(shown["status"])])
summary.columns = [tr(f"massnahmen.status_{s}") for s in summary.columns]
summary.index.name = tr("massnahmen.handlungsfeld")
st.dataframe(summary, width="stretch")
print_table(summary.reset_index())  # the grid prints only what is scrolled into view

export = export_table(shown, linked, names)
filter_parts = [f"{tr('massnahmen.handlungsfeld')}: {', '.join(field_label(f) for f in fields)}" if fields else "",
                f"{tr('massnahmen.fristigkeit')}: {', '.join(tr(horizon_key(h)) for h in horizons)}" if horizons else "",
                f"{tr('massnahmen.status')}: {', '.join(tr(f'massnahmen.status_{s}') for s in statuses)}" if statuses else "",
                f"{tr('massnahmen.filter_zustaendig')}: {owner.strip()}" if owner.strip() else ""]
filter_description = "; ".join(p for p in filter_parts if p) or tr("massnahmen.alle")
name_parts = [*fields, *horizons, *statuses, owner, now().date().isoformat()]
col_csv, col_xlsx = st.columns(2)
col_csv.download_button(tr("massnahmen.download_csv"), csv_bytes(export),
                        file_name=export_file_name("quartierskarte-massnahmen", name_parts, "csv"),
                        mime="text/csv", on_click="ignore", key="m_csv")


def workbook() -> bytes:
    metadata = export_metadata(tr("massnahmen.export_titel"), filter_description,
                               {tr("export.meta_sprache"): ui_lang},
                               [tr("massnahmen.export_quelle_dokumente"), tr("massnahmen.export_quelle_redaktion")],
                               tr("massnahmen.export_lizenz"), now(), ui_lang)
    return xlsx_bytes({tr("massnahmen.export_blatt"): export}, metadata, ui_lang)


col_xlsx.download_button(tr("export.download_xlsx"), workbook,
                         file_name=export_file_name("quartierskarte-massnahmen", name_parts, "xlsx"), mime=XLSX_MIME,
                         on_click="ignore", key="m_xlsx")

for row in shown.itertuples(index=False):
    with st.container(border=True):
        st.html(measure_card_html(row._asdict(), field_label(row.handlungsfeld),
                                  [names.get(i, i) for i in linked.get(row.id, [])], ui_lang))
st.caption(tr("massnahmen.quelle_hinweis"))
footer()
