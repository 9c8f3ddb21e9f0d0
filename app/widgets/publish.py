"""Redaktion tab "Stadtteile und Kennzahlen": the city's own district polygons and Sozialatlas tables through the
browser — upload, check, publish, and withdraw again. The checks live in :mod:`geo.data.district_upload` and
:mod:`geo.data.indicator_upload`, the publications in the store (:meth:`geo.store.offer_store.Store.publish`);
this module only wires widgets to them.

Publishing and withdrawing need the role "Prüfung": the districts and figures change every public page.
"""
from __future__ import annotations

import streamlit as st

from app.cache import offers_changed
from app.state import tr
from app.widgets.page import local_date, plain_alert
from geo.analysis.district_change import assign_offers
from geo.data.district_upload import DistrictUpload, check_district_upload, known_districts, read_district_upload
from geo.data.district_upload import summary_lines as district_summary
from geo.data.indicator_upload import (
    FIELD_LABELS,
    check_indicator_upload,
    read_indicator_upload,
    suggest_indicator_mapping,
)
from geo.data.indicator_upload import summary_lines as indicator_summary
from geo.data.problems import DataFileError
from geo.data.workbook import is_workbook, sheet_names
from geo.dataset import Dataset
from geo.store.accounts import User
from geo.store.offer_store import PUBLICATION_KINDS, PublicationConflict, Store, ValidationError

NEW = "\x00neu"
"""Select-box value for "publish as a new district" (cannot clash with a district id)."""
SKIP = "\x00weg"
"""Select-box value for "do not take over" (indicator rows of a district that does not exist)."""
OUTCOME = "qk_veroeffentlichung_ergebnis"


def publications_panel(store: Store, user: User, data: Dataset) -> None:
    """The whole tab: what is in use (with withdraw), the upload with its check and the publish button."""
    st.write(tr("veroeffentlichen.text"))
    outcome = st.session_state.pop(OUTCOME, None)
    if outcome:
        (st.success if outcome[0] == "ok" else st.error)(outcome[1])
    for kind in PUBLICATION_KINDS:
        _in_use(store, user, kind)
    kind = st.radio(tr("veroeffentlichen.art"), PUBLICATION_KINDS, horizontal=True,
                    format_func=lambda k: tr(f"fusszeile.rolle_{k}"), key="qk-pub-art")
    if kind == "stadtteile":
        _districts_upload(store, user, data)
    else:
        _indicators_upload(store, user, data)
    with st.expander(tr("veroeffentlichen.verlauf")):
        listing = store.publications()
        st.dataframe(listing.drop(columns=["pruefung"]), hide_index=True, width="stretch")


def _in_use(store: Store, user: User, kind: str) -> None:
    active = store.active_publication(kind)
    role = tr(f"fusszeile.rolle_{kind}")
    if active is None:
        st.caption(tr("veroeffentlichen.mitgeliefert", rolle=role))
        return
    with st.container(border=True):
        st.text(tr("veroeffentlichen.aktiv", rolle=role, nr=active["nr"], datei=active["dateiname"],
                   von=active["von"], datum=local_date(active["am"])))
        st.text(tr("veroeffentlichen.quelle") + ": " + active["quelle"])
        if st.button(tr("veroeffentlichen.zuruecknehmen", nr=active["nr"]), key=f"qk-pub-undo-{kind}-{active['nr']}",
                     disabled=not user.reviews, help=None if user.reviews else tr("veroeffentlichen.nur_pruefung")):
            try:
                after = store.withdraw_publication(kind, user.name, active["nr"])
            except PublicationConflict as exc:
                st.session_state[OUTCOME] = ("fehler", str(exc))
            else:
                offers_changed()
                st.session_state[OUTCOME] = ("ok", tr("veroeffentlichen.zurueckgenommen", nr=active["nr"]) + " " + (
                    tr("veroeffentlichen.jetzt_nr", nr=after["nr"]) if after else tr("veroeffentlichen.jetzt_mitgeliefert")))
            st.rerun()


def _rejected_table(rejected) -> None:
    """Rows not taken over, with their row in the file and the reason (never dropped without a word)."""
    labels = {"name": tr("spalte.name"), **{c: tr(f"quellen.spalte_{c}") for c in ("zeile", "grund", "rohdaten")}}
    st.dataframe(rejected.rename(columns=labels),
                 hide_index=True, width="stretch")


def _problem_lines(messages: list[str], kind: str = "warning") -> None:
    for message in messages:
        plain_alert(message, kind)


# --------------------------------------------------------------------------- districts

@st.cache_data(show_spinner=False, max_entries=4)
def _read_districts(raw: bytes, filename: str, layer: str | None, known: tuple[tuple[str, str], ...]) -> DistrictUpload:
    return read_district_upload(raw, filename, layer, dict(known))


def _districts_upload(store: Store, user: User, data: Dataset) -> None:
    st.write(tr("veroeffentlichen.stadtteile_text"))
    upload = st.file_uploader(tr("veroeffentlichen.stadtteile_datei"), type=["gpkg", "zip", "geojson", "json"],
                              key="qk-pub-stadtteile")
    if upload is None:
        return
    known = known_districts(data.districts, data.indicators)
    raw = upload.getvalue()
    try:
        first = _read_districts(raw, upload.name, None, tuple(known.items()))
        layer = first.layer
        if len(first.layers) > 1:
            layer = st.selectbox(tr("veroeffentlichen.ebene"), first.layers, index=first.layers.index(first.layer))
        read = first if layer == first.layer else _read_districts(raw, upload.name, layer, tuple(known.items()))
    except DataFileError as exc:
        plain_alert(str(exc), "error")
        return
    _problem_lines([str(p) for p in read.notices])
    columns = read.text_columns
    if not columns:
        plain_alert(tr("veroeffentlichen.keine_spalten", datei=read.filename), "error")
        return
    col_name, col_id = st.columns(2)
    name_column = col_name.selectbox(tr("veroeffentlichen.namensspalte"), columns,
                                     index=columns.index(read.name_column) if read.name_column in columns else 0)
    id_choices = [None, *[c for c in columns if c != name_column]]
    id_column = col_id.selectbox(tr("veroeffentlichen.idspalte"), id_choices,
                                 index=id_choices.index(read.id_column) if read.id_column in id_choices else 0,
                                 format_func=lambda c: tr("veroeffentlichen.keine_idspalte") if c is None else c)
    source = st.text_input(tr("veroeffentlichen.quelle_eingabe"), key="qk-pub-quelle-stadtteile",
                           placeholder=tr("veroeffentlichen.quelle_beispiel_stadtteile"))
    # One check per run: the editor's choices for names without automatic match are the select boxes' values of the
    # last run (a name gets a box only when it has no match, so every such key is an unmatched name); a name
    # without a box yet is a new district, as its box will show ("neu anlegen" first).
    prefix = f"qk-pub-zu-{read.filename}-"
    assignments = {key.removeprefix(prefix): None if value == NEW else value
                   for key, value in st.session_state.items()
                   if isinstance(key, str) and key.startswith(prefix) and (value == NEW or value in known)}
    check = check_district_upload(read, name_column, data.districts, data.indicators, data.offers,
                                  assignments=assignments, id_column=id_column, quelle=source,
                                  assign_offers=assign_offers, undecided_new=True)
    if check.unmatched:
        st.markdown("**" + tr("veroeffentlichen.zuordnen") + "**")
        for match in check.unmatched:
            options = [NEW, *[i for i, _ in match.suggestions], *[i for i in known if i not in dict(match.suggestions)]]
            st.selectbox(tr("veroeffentlichen.zuordnen_name", name=match.name), options,
                         format_func=lambda i: tr("veroeffentlichen.neu_anlegen") if i == NEW else known[i],
                         key=f"{prefix}{match.name}")
    summary = district_summary(check)
    for line in summary:
        st.text(line)
    _problem_lines(check.blocking, "error")
    _problem_lines([str(p) for p in check.notices])
    if len(check.rejected):
        _rejected_table(check.rejected)
    st.markdown("**" + tr("veroeffentlichen.flaechen") + "**")
    areas = check.areas.rename(columns={
        "id": tr("herkunft.stadtteil_id"), "name": tr("herkunft.stadtteil"),
        "flaeche_bisher_km2": tr("veroeffentlichen.sp_flaeche_bisher"),
        "flaeche_neu_km2": tr("veroeffentlichen.sp_flaeche_neu"),
        "aenderung_prozent": tr("veroeffentlichen.sp_aenderung_prozent")})
    st.dataframe(areas, hide_index=True, width="stretch", column_config={
        tr("veroeffentlichen.sp_flaeche_bisher"): st.column_config.NumberColumn(format="%.2f"),
        tr("veroeffentlichen.sp_flaeche_neu"): st.column_config.NumberColumn(format="%.2f"),
        tr("veroeffentlichen.sp_aenderung_prozent"): st.column_config.NumberColumn(format="%+.1f")})
    st.markdown("**" + tr("veroeffentlichen.angebote_wechseln", n=len(check.offer_changes)) + "**")
    if len(check.offer_changes):
        moved = check.offer_changes[["name", "stadtteil_bisher", "stadtteil_neu"]]
        st.dataframe(moved.rename(columns={"name": tr("spalte.name"), "stadtteil_bisher": tr("veroeffentlichen.sp_stadtteil_bisher"),
                                           "stadtteil_neu": tr("veroeffentlichen.sp_stadtteil_neu")}),
                     hide_index=True, width="stretch")
    _publish_button(store, user, "stadtteile", read.filename, check.publishable,
                    lambda: check.geojson_text(), source, summary)


# --------------------------------------------------------------------------- indicators

def _indicators_upload(store: Store, user: User, data: Dataset) -> None:
    st.write(tr("veroeffentlichen.kennzahlen_text"))
    upload = st.file_uploader(tr("veroeffentlichen.kennzahlen_datei"), type=["csv", "txt", "xlsx", "ods"],
                              key="qk-pub-sozialatlas")
    if upload is None:
        return
    raw = upload.getvalue()
    try:
        sheet = None
        if is_workbook(raw, upload.name):
            sheets = sheet_names(raw, upload.name)
            sheet = st.selectbox(tr("redaktion.import_blatt"), sheets) if len(sheets) > 1 else None
        table = read_indicator_upload(raw, upload.name, sheet)
    except DataFileError as exc:
        plain_alert(str(exc), "error")
        return
    _problem_lines(table.notices)
    suggested = suggest_indicator_mapping(table.header)
    mapping: dict[str, str | None] = {}
    with st.expander(tr("veroeffentlichen.spalten"), expanded=not all(suggested.get(f) for f in ("stadtteil", "indikator"))):
        choices = [None, *table.header]
        for name in FIELD_LABELS:
            mapping[name] = st.selectbox(tr(f"herkunft.{name}"), choices, index=choices.index(suggested.get(name)),
                                         format_func=lambda c: tr("redaktion.import_nicht_uebernehmen") if c is None else c,
                                         key=f"qk-pub-spalte-{name}")
    source = st.text_input(tr("veroeffentlichen.quelle_eingabe"), key="qk-pub-quelle-sozialatlas",
                           placeholder=tr("veroeffentlichen.quelle_beispiel_kennzahlen"))
    keep = st.checkbox(tr("veroeffentlichen.andere_behalten"), value=True, key="qk-pub-behalten")
    districts = dict(zip(data.districts["id"], data.districts["name"]))
    defaults = {"quelle": source} if source.strip() else {}
    check = check_indicator_upload(table, mapping, districts, data.indicators, defaults=defaults,
                                   keep_other_indicators=keep)
    if check.unmatched:
        st.markdown("**" + tr("veroeffentlichen.zuordnen") + "**")
        assignments: dict[str, str | None] = {}
        for entry in check.unmatched:
            suggestions = [i for i, _ in entry.suggestions]
            options = [SKIP, *suggestions, *[i for i in districts if i not in suggestions]]
            choice = st.selectbox(tr("veroeffentlichen.zuordnen_name", name=entry.name), options,
                                  format_func=lambda i: tr("veroeffentlichen.nicht_uebernehmen") if i == SKIP else districts[i],
                                  key=f"qk-pub-kz-{upload.name}-{entry.name}")
            if choice != SKIP:
                assignments[entry.name] = choice
        if assignments:
            check = check_indicator_upload(table, mapping, districts, data.indicators, assignments=assignments,
                                           defaults=defaults, keep_other_indicators=keep)
    summary = indicator_summary(check)
    for line in summary:
        st.text(line)
    _problem_lines(check.blocking, "error")
    _problem_lines(check.notices)
    if len(check.changes):
        st.markdown("**" + tr("veroeffentlichen.aenderungen") + "**")
        changes = check.changes[["aenderung", "stadtteil", "gebiet", "indikator", "alt", "neu", "geaendert", "zeile"]]
        st.dataframe(changes.rename(columns={
            "aenderung": tr("veroeffentlichen.sp_aenderung"), "stadtteil": tr("herkunft.stadtteil"),
            "gebiet": tr("herkunft.gebiet"), "indikator": tr("herkunft.indikator"), "alt": tr("veroeffentlichen.sp_alt"),
            "neu": tr("veroeffentlichen.sp_neu"), "geaendert": tr("veroeffentlichen.sp_geaendert"),
            "zeile": tr("quellen.spalte_zeile")}), hide_index=True, width="stretch")
    if len(check.rejected):
        st.markdown("**" + tr("veroeffentlichen.abgewiesen", n=len(check.rejected)) + "**")
        _rejected_table(check.rejected)
    # the rows name their source; the field above is needed only where they do not (it then fills them)
    uploaded = check.indicators[check.indicators["zeile"].astype(str).str.strip() != ""]
    source = source.strip() or "; ".join(dict.fromkeys(q.strip() for q in uploaded["quelle"] if q.strip()))
    _publish_button(store, user, "sozialatlas", upload.name, check.publishable and bool(source), check.csv_text,
                    source, summary)


def _publish_button(store: Store, user: User, kind: str, filename: str, publishable: bool, content, source: str,
                    summary: list[str]) -> None:
    if not user.reviews:
        st.caption(tr("veroeffentlichen.nur_pruefung"))
    if st.button(tr("veroeffentlichen.veroeffentlichen"), type="primary", key=f"qk-pub-go-{kind}",
                 disabled=not (publishable and user.reviews)):
        try:
            number = store.publish(kind, filename, content(), source, "\n".join(summary), user.name)
        except (ValidationError, ValueError) as exc:
            st.session_state[OUTCOME] = ("fehler", str(exc))
        else:
            offers_changed()
            st.session_state[OUTCOME] = ("ok", tr("veroeffentlichen.fertig", nr=number,
                                                  rolle=tr(f"fusszeile.rolle_{kind}")))
        st.rerun()

