"""Redaktion: editors log in, verify ("Noch aktuell"), correct and add offers, import CSV files with a dry run,
and work through residents' suggestions. Nothing here is reachable without a login."""
from datetime import date, datetime

import pandas as pd
import streamlit as st

from app.cache import gazetteer, offer_store, offers_changed, oidc_configured, settings, throttle
from app.state import lang, tr
from app.widgets.geocoding import geocoding_panel
from app.widgets.page import dataset_or_stop, footer, plain_alert
from app.widgets.publish import publications_panel
from geo.analysis.location import place_choices
from geo.config import HANDLUNGSFELD_BY_NAME, HANDLUNGSFELDER
from geo.data.attributes import TIMEZONE, ZIELGRUPPEN, split_list, target_groups
from geo.data.measures import STATUS as MEASURE_STATUS
from geo.data.measures import measure_aliases, merge_measures, read_measures, record_key, with_records
from geo.data.offers import BARRIEREFREI_WERTE, LAGE_GENAUIGKEITEN, OFFER_COLUMNS, STATUS_WERTE
from geo.data.workbook import (
    WorkbookError,
    is_workbook,
    read_sheet,
    sheet_names,
    spreadsheet_row,
    suggest_mapping,
    table_to_offers_csv,
)
from geo.exchange.csv_export import spreadsheet_csv
from geo.i18n import catalogue
from geo.render.data_text import stand_text
from geo.store.accounts import LoginLocked, User, login, read_users_oidc
from geo.store.offer_store import ConflictError, StoreUnavailable, ValidationError, editor_problems

USER = "qk_redaktion_user"

data = dataset_or_stop()
st.title(tr("redaktion.titel"))
if not settings().database_url:
    st.info(tr("redaktion.ohne_datenbank"))
    footer()
    st.stop()

try:
    store = offer_store()
    store_problem = None
except StoreUnavailable as problem:
    store, store_problem = None, problem  # shown after login: the cause names files and servers

user = st.session_state.get(USER)
if user is None and oidc_configured():
    # Streamlit's own OIDC login (st.login, configured in .streamlit/secrets.toml [auth]); the role comes from
    # the [oidc] table of the users file (e-mail address → role). Unknown addresses get no edit rights.
    if not st.user.is_logged_in:
        st.button(tr("redaktion.anmelden"), on_click=st.login)
        footer()
        st.stop()
    role = read_users_oidc(settings().users_path).get(str(st.user.get("email", "")).lower())
    if role is None:
        st.error(tr("redaktion.oidc_unbekannt"))
        st.button(tr("redaktion.abmelden"), on_click=st.logout)
        footer()
        st.stop()
    user = User(str(st.user.get("email")), role)
if user is None:
    with st.form("login"):
        name = st.text_input(tr("redaktion.name"), autocomplete="username")
        password = st.text_input(tr("redaktion.passwort"), type="password", autocomplete="current-password")
        submitted = st.form_submit_button(tr("redaktion.anmelden"))
    if submitted:
        try:
            found = login(settings().users_path, name, password, throttle())
        except LoginLocked as exc:
            st.error(tr("redaktion.gesperrt", s=exc.seconds))
        else:
            if found is None:
                st.error(tr("redaktion.falsch"))
            else:
                st.session_state[USER] = found
                st.rerun()
    st.caption(tr("redaktion.login_hinweis"))
    footer()
    st.stop()

if store is None:
    plain_alert(tr("redaktion.datenbank_defekt", grund=str(store_problem)) + " " + getattr(store_problem, "restore", ""),
                "error")
    footer()
    st.stop()
col_who, col_out = st.columns([4, 1])
col_who.markdown(tr("redaktion.angemeldet", name=user.name, rolle=tr(f"redaktion.rolle_{user.role}")))
if col_out.button(tr("redaktion.abmelden")):
    if USER in st.session_state:
        del st.session_state[USER]
        st.rerun()
    st.logout()

# No bare strings below module level: Streamlit's "magic" would show them on the page.
OUTCOME = "qk_redaktion_ergebnis"  # per place on the page: the last save's result, shown after the rerun
BASE = "qk_redaktion_geoeffnet"  # the offer as this editor opened it, with the generation of its form


def opened(offer_id: str) -> dict:
    """The offer as the editor opened it; re-read only on opening, after the editor's own save or on "Neu laden"
    — never because someone else saved (then the editor's save must meet the conflict check)."""
    base = st.session_state.get(BASE)
    if base is None or base["id"] != offer_id:
        base = {"id": offer_id, "offer": store.get(offer_id), "generation": 0}
        st.session_state[BASE] = base
    return base


def reopen(offer_id: str) -> None:
    """Read the stored offer again and start a fresh form (the old form's entries are dropped on purpose)."""
    generation = st.session_state[BASE]["generation"] + 1 if st.session_state.get(BASE) else 0
    st.session_state[BASE] = {"id": offer_id, "offer": store.get(offer_id), "generation": generation}


def apply_change(place: str, offer_id: str, changes: dict[str, str], version: int) -> None:
    """Save ``changes`` of the offer opened at ``version`` (button callback: runs before the page is drawn)."""
    try:
        store.save_changes(offer_id, changes, user.name, version)
    except ValidationError as exc:
        st.session_state[OUTCOME] = (place, "fehler", tr("redaktion.ungueltig") + " " + "; ".join(exc.reasons))
    except ConflictError as exc:
        st.session_state[OUTCOME] = (place, "konflikt", exc)
    else:
        offers_changed()
        if st.session_state.get(BASE, {}).get("id") == offer_id:
            reopen(offer_id)
        st.session_state[OUTCOME] = (place, "gespeichert", None)


def restore_offer(offer_id: str, version: int) -> None:
    apply_change("bearbeiten", offer_id, {"status": store.status_before_end(offer_id)}, version)


def show_outcome(place: str) -> None:
    """The result of the last save at ``place``: success, the reasons it was refused, or a conflict with both
    values per field and the choice to save anyway or to discard."""
    outcome = st.session_state.get(OUTCOME)
    if not outcome or outcome[0] != place:
        return
    _, kind, detail = outcome
    if kind == "gespeichert":
        st.success(tr("redaktion.gespeichert"))
        del st.session_state[OUTCOME]
    elif kind == "fehler":
        plain_alert(detail, "error")
        del st.session_state[OUTCOME]
    else:
        show_conflict(place, detail)


def field_label(column: str) -> str:
    """The label the form shows for an offer column (the conflict table names fields as the editor saw them)."""
    labels = catalogue("de")
    for key in (f"redaktion.feld_{column}", f"spalte.{column}"):
        if key in labels:
            return tr(key)
    return tr("filter.zielgruppe") if column == "zielgruppen" else column


def local_time(stamp: str) -> str:
    """An audit time stamp (ISO, UTC) as local date and time in Minden, e.g. ``06.12.2026 22:39``."""
    try:
        return f"{datetime.fromisoformat(stamp).astimezone(TIMEZONE):%d.%m.%Y %H:%M}"
    except ValueError:
        return stamp


def show_conflict(place: str, exc: ConflictError) -> None:
    """Nothing was saved: both sides side by side; the editor decides (never a silent overwrite or loss)."""
    who = ", ".join(sorted({row["von"] for row in exc.changes})) or "?"
    plain_alert(tr("redaktion.konflikt", version=exc.current["version"], von=who), "error")
    rows = [{**row, "feld": field_label(row["feld"]), "geaendert_am": local_time(row["geaendert_am"])}
            for row in exc.comparison()]
    table = pd.DataFrame(rows).rename(columns={
        "feld": tr("redaktion.feld"), "ihr_wert": tr("redaktion.ihr_wert"), "gespeichert": tr("redaktion.jetzt_gespeichert"),
        "geaendert_von": tr("redaktion.geaendert_von"), "geaendert_am": tr("redaktion.geaendert_am")})
    st.dataframe(table, hide_index=True)
    col_keep, col_drop = st.columns(2)
    col_keep.button(tr("redaktion.trotzdem_speichern"), key=f"konflikt-speichern-{place}", on_click=apply_change,
                    args=(place, exc.offer_id, exc.mine, int(exc.current["version"])))
    if col_drop.button(tr("redaktion.verwerfen"), key=f"konflikt-verwerfen-{place}"):
        del st.session_state[OUTCOME]
        reopen(exc.offer_id)
        st.rerun()


tab_check, tab_edit, tab_import, tab_queue, tab_measures, tab_history, tab_geocode, tab_publish = st.tabs(
    [tr("redaktion.tab_pruefen"), tr("redaktion.tab_bearbeiten"), tr("redaktion.tab_import"),
     tr("redaktion.tab_vorschlaege"), tr("redaktion.tab_massnahmen"), tr("redaktion.tab_verlauf"),
     tr("verorten.tab"), tr("veroeffentlichen.tab")])

with tab_check:
    st.write(tr("redaktion.pruefen_text"))
    stale = store.stale(date.today())
    st.caption(tr("redaktion.pruefen_anzahl", n=len(stale)))
    show_outcome("pruefen")
    for row in stale.head(50).itertuples():
        col_name, col_date, col_button = st.columns([4, 2, 2], vertical_alignment="center")
        col_name.text(row.name)
        col_date.text(stand_text(row._asdict(), lang()) or tr("detail.unbekannt"))
        # the version this editor saw goes with the click (a callback's args are those of the shown button)
        col_button.button(tr("redaktion.noch_aktuell"), key=f"ok-{row.id}", on_click=apply_change,
                          args=("pruefen", row.id, {"zuletzt_geprueft": date.today().isoformat()}, int(row.version)))


@st.cache_data(show_spinner=False)
def merged_measure_list() -> pd.DataFrame:
    """Each measure once (:func:`geo.data.measures.merge_measures`), read once per process."""
    return merge_measures(read_measures())


def offer_form(offer: dict, key: str) -> tuple[dict, dict | None]:
    """The edit form: the values its fields start with, and on submit the entered values (else ``None``).

    A field that the form shows differently from how it is stored (e.g. target groups from a fixed list) starts
    with its shown value, so that comparing both finds exactly the fields the editor changed.
    """
    with st.form(key):
        values = dict(offer)
        values["id"] = st.text_input("id", offer.get("id", ""), disabled=bool(offer.get("id")))
        values["name"] = st.text_input(tr("spalte.name"), offer.get("name", ""))
        values["traeger"] = st.text_input(tr("spalte.traeger"), offer.get("traeger", ""))
        names = [hf.name for hf in HANDLUNGSFELDER]
        values["handlungsfeld"] = st.selectbox(tr("spalte.handlungsfeld"), names,
                                               index=names.index(offer["handlungsfeld"]) if offer.get("handlungsfeld") in names else 0,
                                               format_func=lambda n: tr(f"handlungsfeld.{HANDLUNGSFELD_BY_NAME[n].key}"))
        chosen = sorted(target_groups(offer.get("zielgruppen", "")), key=ZIELGRUPPEN.index)
        groups = st.multiselect(tr("filter.zielgruppe"), list(ZIELGRUPPEN), default=chosen,
                                format_func=lambda k: tr(f"zielgruppe.{k}"), placeholder=tr("redaktion.waehlen"))
        others = st.text_input(tr("redaktion.weitere_zielgruppen"), "; ".join(
            g for g in str(offer.get("zielgruppen", "")).split(";") if g.strip() and not target_groups(g)))
        values["zielgruppen"] = compose_groups(groups, others)
        initial = {**offer, "zielgruppen": compose_groups(chosen, "; ".join(
            g for g in str(offer.get("zielgruppen", "")).split(";") if g.strip() and not target_groups(g)))}
        for column in ("sprachen", "kosten", "adresse", "stadtteil", "oeffnungszeiten", "website", "telefon",
                       "beschreibung", "beschreibung_einfach", "zuletzt_geprueft", "quelle", "stand_quelle", "hinweis",
                       "kategorie"):
            widget = st.text_area if column in ("beschreibung", "beschreibung_einfach", "quelle", "hinweis") else st.text_input
            values[column] = widget(tr(f"redaktion.feld_{column}"), offer.get(column, ""))
        # measures from the list (each measure once, under its concept id); an id the list does not know stays
        # choosable, so that saving another field never drops it
        merged = merged_measure_list()
        measure_titles = dict(zip(merged["id"], merged["titel"]))
        aliases = measure_aliases(merged)
        linked = list(dict.fromkeys(aliases.get(m, m) for m in split_list(offer.get("massnahmen", ""))))
        picked = st.multiselect(tr("massnahmen.red_angebot"), [*measure_titles, *(m for m in linked if m not in measure_titles)],
                                default=linked, placeholder=tr("redaktion.waehlen"),
                                format_func=lambda m: f"{m}: {measure_titles.get(m, '?')[:80]}")
        values["massnahmen"] = ";".join(picked)
        initial["massnahmen"] = ";".join(linked)
        places = place_choices(gazetteer())
        place = st.selectbox(tr("redaktion.ort_verzeichnis"), ["", *places], format_func=lambda i: places.get(i, "–"))
        col_lat, col_lon, col_precision = st.columns(3)
        values["lat"] = col_lat.text_input("lat (WGS84)", offer.get("lat", ""))
        values["lon"] = col_lon.text_input("lon (WGS84)", offer.get("lon", ""))
        values["lage_genauigkeit"] = col_precision.selectbox(
            tr("spalte.lage_genauigkeit"), list(LAGE_GENAUIGKEITEN),
            index=list(LAGE_GENAUIGKEITEN).index(offer.get("lage_genauigkeit") or "unbekannt"))
        col_status, col_access = st.columns(2)
        values["status"] = col_status.selectbox(tr("spalte.status"), list(STATUS_WERTE),
                                                index=list(STATUS_WERTE).index(offer.get("status") or "unklar"),
                                                format_func=lambda s: tr(f"status.{s}"))
        values["barrierefrei"] = col_access.selectbox(tr("spalte.barrierefrei"), list(BARRIEREFREI_WERTE),
                                                      index=list(BARRIEREFREI_WERTE).index(offer.get("barrierefrei") or "unbekannt"))
        # what the selectboxes show for an empty stored value counts as unchanged
        initial.update(lage_genauigkeit=offer.get("lage_genauigkeit") or "unbekannt",
                       status=offer.get("status") or "unklar", barrierefrei=offer.get("barrierefrei") or "unbekannt")
        if offer.get("handlungsfeld") not in names:
            initial["handlungsfeld"] = names[0]
        if st.form_submit_button(tr("redaktion.speichern"), type="primary"):
            if place:  # a place from the gazetteer sets coordinate and precision (its source stays in the gazetteer)
                entry = gazetteer().set_index("id").loc[place]
                values.update(lat=str(entry["lat"]), lon=str(entry["lon"]), lage_genauigkeit=entry["genauigkeit"])
                values["stadtteil"] = values["stadtteil"] or entry["stadtteil"]
            return initial, values
    return initial, None


def compose_groups(groups: list[str], others: str) -> str:
    """The stored ``zielgruppen`` text of the form's fixed groups and free additions."""
    return ";".join([tr(f"zielgruppe.{k}") for k in groups] + [o.strip() for o in others.split(";") if o.strip()])


def save_new(values: dict) -> None:
    strict = editor_problems(values)
    if strict:
        plain_alert(tr("redaktion.ungueltig") + " " + " ".join(strict), "error")
        return
    try:
        store.save(values, user.name, None)
    except ValidationError as exc:
        plain_alert(tr("redaktion.ungueltig") + " " + "; ".join(exc.reasons), "error")
    except ConflictError as exc:
        plain_alert(tr("redaktion.id_vergeben", id=exc.offer_id), "error")
    else:
        offers_changed()
        st.session_state[OUTCOME] = ("bearbeiten", "gespeichert", None)
        st.session_state["qk_redaktion_neu"] = st.session_state.get("qk_redaktion_neu", 0) + 1  # an empty form
        st.rerun()


with tab_edit:
    offers = store.all_offers()
    labels = dict(zip(offers["id"], offers["name"]))
    chosen_id = st.selectbox(tr("redaktion.angebot_waehlen"), ["", *labels], format_func=lambda i: labels.get(i, tr("redaktion.neues_angebot")))
    outcome = st.session_state.get(OUTCOME)
    if outcome and outcome[1] == "konflikt" and outcome[2].offer_id != chosen_id and outcome[0] == "bearbeiten":
        del st.session_state[OUTCOME]  # the editor moved on to another offer: that conflict is no longer shown
    show_outcome("bearbeiten")
    if not chosen_id:
        _, entered = offer_form({c: "" for c in OFFER_COLUMNS}, f"form-neu-{st.session_state.get('qk_redaktion_neu', 0)}")
        if entered is not None:
            save_new(entered)
    else:
        base = opened(chosen_id)
        current = base["offer"]
        stored_version = int(offers.set_index("id").loc[chosen_id, "version"])
        if stored_version != current["version"]:
            st.info(tr("redaktion.inzwischen_geaendert", version=stored_version, geoeffnet=current["version"]))
            st.button(tr("redaktion.neu_laden"), key="neu-laden", on_click=reopen, args=(chosen_id,))
        # the form key changes only with this editor's own save or reload: a colleague's save must not swap
        # the form (and with it what this editor typed) for a new one
        initial, entered = offer_form(current, f"form-{chosen_id}-{base['generation']}")
        if entered is not None:
            changes = {k: v for k, v in entered.items() if k != "id" and str(v) != str(initial.get(k, ""))}
            strict = editor_problems(changes)
            if not changes:
                st.info(tr("redaktion.nichts_geaendert"))
            elif strict:
                plain_alert(tr("redaktion.ungueltig") + " " + " ".join(strict), "error")
            else:
                apply_change("bearbeiten", chosen_id, changes, int(current["version"]))
                st.rerun()
        col_end, col_restore = st.columns(2)
        if current["status"] != "beendet":
            col_end.button(tr("redaktion.beenden"), on_click=apply_change,
                           args=("bearbeiten", chosen_id, {"status": "beendet"}, int(current["version"])))
        else:
            col_restore.button(tr("redaktion.wiederherstellen"), on_click=restore_offer,
                               args=(chosen_id, int(current["version"])))

def mapping_editor(header: list[str], suggested: dict[str, str | None]) -> dict[str, str | None]:
    """One choice per column of the spreadsheet: which field of the offers it fills (or none); preset with the
    mapping remembered from the last import and with recognised column names."""
    options = ["", *[c for c in OFFER_COLUMNS]]
    mapping: dict[str, str | None] = {}
    with st.expander(tr("redaktion.import_zuordnung"), expanded=True):
        st.caption(tr("redaktion.import_zuordnung_hilfe"))
        for i, column in enumerate(header):
            preset = suggested.get(column) or ""
            chosen = st.selectbox(column or f"({i + 1})", options, index=options.index(preset), key=f"zuordnung-{column or i + 1}",
                                  format_func=lambda c: field_label(c) if c else tr("redaktion.import_nicht_uebernehmen"))
            mapping[column] = chosen or None
    return mapping


def import_source(upload) -> tuple[bytes | str, dict[str, str | None] | None, object] | None:
    """What to import from an upload: the CSV itself, or a workbook's chosen sheet through the column mapping.
    Returns ``(csv, mapping or None, row_of)`` where ``row_of(csv_line)`` names the row in the uploaded file; or
    ``None`` after showing why the file cannot be read."""
    raw = upload.getvalue()
    if not is_workbook(raw, upload.name):
        return raw, None, lambda line: line
    try:
        sheets = sheet_names(raw, upload.name)
        sheet = st.selectbox(tr("redaktion.import_blatt"), sheets, key="import-blatt") if len(sheets) > 1 else sheets[0]
        table = read_sheet(raw, upload.name, sheet)
    except WorkbookError as exc:
        plain_alert(str(exc), "error")
        return None
    for notice in table.notices:
        st.info(notice, icon=":material/info:")
    mapping = mapping_editor(table.header, suggest_mapping(table.header, store.import_mapping()))
    try:
        stored = {row["id"]: row for row in store.all_offers().to_dict("records")}
        text = table_to_offers_csv(table, mapping, stored)
    except ValueError as exc:
        plain_alert(str(exc), "error")
        return None
    return text, mapping, lambda line: spreadsheet_row(table, line)


with tab_import:
    st.write(tr("redaktion.import_text"))
    upload = st.file_uploader(tr("redaktion.import_datei"), type=["csv", "txt", "xlsx", "xlsm", "ods"])
    source = import_source(upload) if upload is not None else None
    if source is not None:
        raw, mapping, row_of = source
        report = store.import_csv(raw, user.name, apply=False, source=upload.name)
        st.markdown(tr("redaktion.import_bericht", n=report.rows_in, neu=len(report.added), geaendert=len(report.updated),
                       gleich=len(report.unchanged), abgelehnt=len(report.rejected)))
        row = tr("redaktion.import_zeile")
        rows = ([{row: row_of(report.lines[i]), "id": i, tr("redaktion.ergebnis"): tr("redaktion.wird_neu")}
                 for i in report.added]
                + [{row: row_of(report.lines[i]), "id": i, tr("redaktion.ergebnis"): tr("redaktion.wird_geaendert")}
                   for i in report.updated]
                + [{row: row_of(r.zeile), "id": "", tr("redaktion.ergebnis"): tr("redaktion.abgelehnt") + ": " + str(r.grund)}
                   for r in report.rejected.itertuples()])
        st.dataframe(pd.DataFrame(rows).sort_values(row) if rows else pd.DataFrame(), hide_index=True)
        if len(report.rejected):
            # the table cuts long reasons off: the first ones in full below it, all of them in the download
            for r in report.rejected.head(20).itertuples():
                plain_alert(f"{row} {row_of(r.zeile)}: {r.grund}")
            st.download_button(tr("redaktion.abgelehnte_laden"), report.rejected_csv(), file_name="abgelehnt.csv",
                               mime="text/csv")
        if st.button(tr("redaktion.import_ausfuehren"), type="primary", disabled=not (report.added or report.updated)):
            done = store.import_csv(raw, user.name, apply=True, source=upload.name)
            if mapping is not None:
                store.save_import_mapping(mapping)
            offers_changed()
            st.success(tr("redaktion.import_fertig", neu=len(done.added), geaendert=len(done.updated)))

with tab_queue:
    queue = store.suggestions("offen")
    st.caption(tr("redaktion.vorschlaege_anzahl", n=len(queue)))
    for row in queue.itertuples():
        with st.container(border=True):
            st.text(f"#{row.nr} · {row.art} · {row.am}" + (f" · {labels.get(row.angebot_id, row.angebot_id)}" if row.angebot_id else ""))
            st.text(row.text)  # residents' text: plain text, never Markdown or HTML
            if row.kontakt:
                st.text(tr("redaktion.kontakt") + ": " + row.kontakt)
            if user.reviews:
                col_ok, col_no = st.columns(2)
                if col_ok.button(tr("redaktion.uebernommen"), key=f"v-ok-{row.nr}"):
                    store.resolve_suggestion(row.nr, "uebernommen", user.name)
                    st.rerun()
                if col_no.button(tr("redaktion.abgelehnt_knopf"), key=f"v-no-{row.nr}"):
                    store.resolve_suggestion(row.nr, "abgelehnt", user.name)
                    st.rerun()
    if not user.reviews:
        st.caption(tr("redaktion.nur_pruefung"))

MEASURE_BASE = "qk_massnahme_geoeffnet"  # the measure as this editor opened it (id, record, generation)
MEASURE_OUTCOME = "qk_massnahme_ergebnis"
MEASURE_LABELS = {"status": "massnahmen.status", "zustaendig": "massnahmen.red_zustaendig",
                  "fortschritt": "massnahmen.red_fortschritt", "fortschritt_am": "massnahmen.red_fortschritt_am"}


def opened_measure(measure_id: str, row: pd.Series, reload: bool = False) -> dict:
    """The measure's state as the editor opened it (kept until their own save or "Neu laden", so that a
    colleague's save in between meets the version check instead of silently replacing the form)."""
    base = st.session_state.get(MEASURE_BASE)
    if reload or base is None or base["id"] != measure_id:
        generation = base["generation"] + 1 if base else 0
        base = {"id": measure_id, "generation": generation,
                "record": {k: row[k] for k in ("status", "zustaendig", "fortschritt", "fortschritt_am", "version")}}
        st.session_state[MEASURE_BASE] = base
    return base


def save_measure(key_id: str, changes: dict[str, str], version: int, source_state: str) -> None:
    try:
        store.save_measure(key_id, changes, user.name, version, source_state)
    except ValidationError as exc:
        st.session_state[MEASURE_OUTCOME] = ("fehler", tr("redaktion.ungueltig") + " " + "; ".join(exc.reasons))
    except ConflictError as exc:
        st.session_state[MEASURE_OUTCOME] = ("konflikt", exc)
    else:
        st.session_state[MEASURE_OUTCOME] = ("gespeichert", None)
        st.session_state.pop(MEASURE_BASE, None)


with tab_measures:
    merged_measures = merged_measure_list()
    records = store.measure_records()
    monitoring = with_records(merged_measures, records).set_index("id", drop=False)
    measure_titles = dict(zip(monitoring["id"], monitoring["titel"]))
    measure_id = st.selectbox(tr("redaktion.massnahme"), list(measure_titles), key="m-wahl",
                              format_func=lambda i: f"{i}: {measure_titles[i][:90]}")
    row = monitoring.loc[measure_id]
    key_id = record_key(measure_id, row["weitere_id"], records)
    source_state = str(row["status"]) if key_id not in records else "offen"
    base = opened_measure(measure_id, row)
    mine = base["record"]
    outcome = st.session_state.pop(MEASURE_OUTCOME, None)
    if outcome and outcome[0] == "gespeichert":
        st.success(tr("redaktion.gespeichert"))
    elif outcome and outcome[0] == "fehler":
        plain_alert(outcome[1], "error")
    elif outcome:
        exc = outcome[1]
        who = ", ".join(sorted({r["von"] for r in exc.changes})) or "?"
        plain_alert(tr("massnahmen.red_konflikt", version=exc.current["version"], von=who), "error")
        st.dataframe(pd.DataFrame([{tr("redaktion.feld"): tr(MEASURE_LABELS[r["feld"]]), tr("redaktion.ihr_wert"): r["ihr_wert"],
                                    tr("redaktion.jetzt_gespeichert"): r["gespeichert"],
                                    tr("redaktion.geaendert_von"): r["geaendert_von"],
                                    tr("redaktion.geaendert_am"): local_time(r["geaendert_am"])}
                                   for r in exc.comparison()]), hide_index=True)
        col_keep, col_drop = st.columns(2)
        col_keep.button(tr("redaktion.trotzdem_speichern"), key="m-konflikt-speichern", on_click=save_measure,
                        args=(key_id, exc.mine, int(exc.current["version"]), source_state))
        col_drop.button(tr("redaktion.verwerfen"), key="m-konflikt-verwerfen", on_click=opened_measure,
                        args=(measure_id, row, True))
    if int(row["version"]) != int(mine["version"]):
        st.info(tr("massnahmen.red_inzwischen", version=int(row["version"]), geoeffnet=int(mine["version"])))
        st.button(tr("redaktion.neu_laden"), key="m-neu-laden", on_click=opened_measure, args=(measure_id, row, True))
    elif row["geaendert_am"]:
        st.caption(tr("massnahmen.red_zuletzt", von=records[key_id]["geaendert_von"],
                      am=local_time(str(row["geaendert_am"])), version=int(row["version"])))
    with st.form(f"m-form-{measure_id}-{base['generation']}"):
        entered = {"status": st.selectbox(tr("massnahmen.status"), list(MEASURE_STATUS),
                                          index=list(MEASURE_STATUS).index(mine["status"]),
                                          format_func=lambda s: tr(f"massnahmen.status_{s}")),
                   "zustaendig": st.text_input(tr("massnahmen.red_zustaendig"), mine["zustaendig"]),
                   "fortschritt": st.text_area(tr("massnahmen.red_fortschritt"), mine["fortschritt"])}
        day = st.date_input(tr("massnahmen.red_fortschritt_am"),
                            date.fromisoformat(mine["fortschritt_am"]) if mine["fortschritt_am"] else None,
                            format="DD.MM.YYYY")
        entered["fortschritt_am"] = day.isoformat() if isinstance(day, date) else ""
        if st.form_submit_button(tr("massnahmen.red_speichern"), type="primary"):
            changes = {k: v for k, v in entered.items() if v != str(mine[k] or "")}
            if not changes:
                st.info(tr("redaktion.nichts_geaendert"))
            else:
                save_measure(key_id, changes, int(mine["version"]), source_state)
                st.rerun()
    history = store.history(f"massnahme:{key_id}")
    if len(history):
        st.dataframe(history.iloc[::-1][["am", "von", "feld", "alt", "neu"]], hide_index=True, width="stretch")

with tab_history:
    history = store.history()
    st.dataframe(history.tail(500).iloc[::-1], hide_index=True, width="stretch")
    st.download_button(tr("redaktion.verlauf_laden"), spreadsheet_csv(history), file_name="aenderungen.csv",
                       mime="text/csv")

with tab_geocode:
    geocoding_panel(store, user)

with tab_publish:
    publications_panel(store, user, data)
footer()
