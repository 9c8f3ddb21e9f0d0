"""Redaktion tab "Adressen verorten": offers without a precise location get coordinates from their address.

The same run as ``python -m geo geocode`` (:func:`geo.exchange.geocode.propose_locations`: one request per
second, every answer cached with request URL and date, only street- or house-level hits in the asked street
inside Minden), the same cache file, but nothing is written to an offer until the editor has reviewed the
proposals and saved the ticked ones — each with the offer's version at the time of the proposal, so that an
edit made in between is reported as a conflict instead of being overwritten.

Offer names, addresses and the geocoder's hit text are data: shown only in data frames, never as Markdown.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field, replace

import pandas as pd
import streamlit as st

from app.cache import offers_changed, settings
from app.state import tr
from app.widgets.page import plain_alert
from geo.exchange import geocode
from geo.exchange.geocode import GeocodeError, GeocodeReport, LocationProposal, plan_geocoding, public_url, read_cache
from geo.store.accounts import User
from geo.store.offer_store import ConflictError, Store, ValidationError

PROPOSALS = "qk_verorten"
"""Session state: the last run (:class:`Run`), kept across reruns until saved or discarded."""
SAVED = "qk_verorten_gespeichert"
"""Session state: the outcome of the last "Ausgewählte speichern" (:class:`SaveOutcome`)."""
DEFAULT_LIMIT = 20
MAX_LIMIT = 500


@dataclass
class Run:
    """One run of the geocoder for one editor: the proposals still open and what the run reported."""

    user: str
    proposals: list[LocationProposal]
    report: GeocodeReport
    names: dict[str, str]
    """Offer id → name at the time of the run (for the rows of the report)."""
    generation: int = 0
    """Part of the review table's key: a new table (fresh ticks) whenever the list of proposals changes."""


@dataclass
class SaveOutcome:
    saved: list[LocationProposal] = field(default_factory=list)
    conflicts: list[tuple[LocationProposal, ConflictError]] = field(default_factory=list)
    invalid: list[tuple[LocationProposal, str]] = field(default_factory=list)


class _Pace:
    """The time of this process's last request: one per second also across runs started right after another."""

    def __init__(self) -> None:
        self.running = threading.Lock()
        self.last = 0.0


@st.cache_resource(show_spinner=False)
def _pace() -> _Pace:
    return _Pace()


def _paced_fetch(url: str, params: dict) -> object:
    pace = _pace()
    wait = pace.last + geocode.MIN_INTERVAL_S - time.monotonic()
    if wait > 0:
        time.sleep(wait)
    try:
        return geocode.fetch_nominatim(url, params)
    finally:
        pace.last = time.monotonic()


def precision_label(precision: str) -> str:
    return tr(f"verorten.lage_{precision}") if precision in ("unbekannt", "stadtteil", "strasse", "adresse") else precision


def geocoding_panel(store: Store, user: User) -> None:
    """The tab: without a configured geocoder a notice how to configure it; with one the count of offers without a
    precise location, the run (limit, progress), the review table and the save with per-row outcomes."""
    st.write(tr("verorten.text"))
    url = settings().geocoder_url
    if not url:
        st.info(tr("verorten.aus"), icon=":material/info:")
        return
    offers = store.all_offers()
    offers = offers[offers["status"] != "beendet"]  # ended offers are off the map: no request for them
    rows = offers.to_dict("records")
    names = dict(zip(offers["id"], offers["name"]))
    try:
        cache_path = geocode.app_cache_path(settings().geocoder_cache)
        plan = plan_geocoding([(str(r["id"]), r) for r in rows], read_cache(cache_path))
    except (GeocodeError, OSError) as exc:
        plain_alert(tr("verorten.fehler", grund=str(exc)), "error")
        return
    st.write(tr("verorten.anzahl", n=len(plan.candidates), fragen=len(plan.to_ask), neu=len(plan.new_queries),
                ohne=len(plan.no_street)))
    st.caption(tr("verorten.datenschutz", server=public_url(url, {}), datei=str(cache_path)))
    col_limit, _ = st.columns([1, 2])
    limit = col_limit.number_input(tr("verorten.hoechstens"), min_value=1, max_value=MAX_LIMIT, value=DEFAULT_LIMIT,
                                   step=1, key="verorten-hoechstens")
    st.caption(tr("verorten.regel"))
    if st.button(tr("verorten.fragen"), type="primary", disabled=not plan.to_ask, key="verorten-fragen"):
        ask(rows, names, cache_path, url, int(limit), user)
    run = st.session_state.get(PROPOSALS)
    if run is not None and run.user == user.name:
        show_report(run)
        review(run, store, user)
    show_saved()


def ask(rows: list[dict], names: dict[str, str], cache_path, url: str, limit: int, user: User) -> None:
    """Run the geocoder over ``rows`` with a progress bar; the proposals go to the session state."""
    pace = _pace()
    if not pace.running.acquire(blocking=False):
        st.warning(tr("verorten.laeuft"))
        return
    bar = st.progress(0.0, text=tr("verorten.fortschritt", n=0, von=0))

    def progress(sent: int, planned: int) -> None:
        bar.progress(sent / planned if planned else 1.0, text=tr("verorten.fortschritt", n=sent, von=planned))

    try:
        proposals, report = geocode.propose_locations(rows, cache_path, url, fetch=_paced_fetch, limit=limit,
                                                      progress=progress)
    except (GeocodeError, OSError) as exc:
        plain_alert(tr("verorten.fehler", grund=str(exc)), "error")
        return
    finally:
        pace.running.release()
        bar.empty()
    previous = st.session_state.get(PROPOSALS)
    st.session_state[PROPOSALS] = Run(user.name, proposals, report, names,
                                      previous.generation + 1 if previous is not None else 0)
    st.session_state.pop(SAVED, None)


def show_report(run: Run) -> None:
    """What the run did: counts, why it stopped, and every offer without a proposal with its reason."""
    report = run.report
    st.write(tr("verorten.lauf", n=len(report.asked), cache=len(report.cached), vorschlaege=len(report.used)))
    if report.nothing_answered:
        plain_alert(tr("verorten.nichts_beantwortet"), "error")
    if report.stopped:
        plain_alert(tr("verorten.abgebrochen") + " " + report.stopped, "warning")
    rows = [{"id": i, "kind": kind, "why": why} for i, (kind, why) in report.rejected.items()]
    rows += [{"id": i, "kind": report.not_asked_kinds.get(i, ""), "why": ""} for i in report.not_asked]
    rows += [{"id": i, "kind": "nicht_genauer", "why": ""} for i in report.not_better]
    if not rows:
        return
    with st.expander(tr("verorten.ohne_vorschlag", n=len(rows))):
        table = pd.DataFrame([{tr("verorten.spalte_angebot"): run.names.get(r["id"], r["id"]),
                               tr("verorten.spalte_ergebnis"): tr(f"verorten.grund_{r['kind']}") if r["kind"] else "",
                               tr("verorten.spalte_grund"): r["why"]} for r in rows])
        st.dataframe(table, hide_index=True, width="stretch")


def review(run: Run, store: Store, user: User) -> None:
    """The proposals with a tick each (preset for house-number hits) and "Ausgewählte speichern"."""
    st.subheader(tr("verorten.vorschlaege"))
    if not run.proposals:
        st.caption(tr("verorten.keine_vorschlaege"))
        return
    st.caption(tr("verorten.vorschlaege_hilfe"))
    tick = tr("verorten.spalte_uebernehmen")
    table = pd.DataFrame([{
        tick: p.preselected,
        tr("verorten.spalte_angebot"): p.name,
        tr("verorten.spalte_adresse"): p.address,
        tr("verorten.spalte_lage"): f"{precision_label(p.current_precision)} → {precision_label(p.precision)}",
        tr("verorten.spalte_treffer"): p.hit,
        tr("verorten.spalte_koordinate"): f"{p.lat:.5f}, {p.lon:.5f}",
        tr("verorten.spalte_datum"): p.retrieved,
    } for p in run.proposals])
    edited = st.data_editor(table, hide_index=True, width="stretch", key=f"verorten-auswahl-{run.generation}",
                            disabled=[c for c in table.columns if c != tick],
                            column_config={tick: st.column_config.CheckboxColumn(tick)})
    chosen = [p for p, ticked in zip(run.proposals, edited[tick]) if bool(ticked)]
    col_save, col_drop = st.columns(2)
    if col_save.button(tr("verorten.speichern"), type="primary", disabled=not chosen,
                       key="verorten-speichern"):
        outcome = save(chosen, store, user)
        done = {p.offer_id for p in chosen}  # saved, conflicting and invalid ones leave the list: each is reported
        st.session_state[PROPOSALS] = replace(run, proposals=[p for p in run.proposals if p.offer_id not in done],
                                              generation=run.generation + 1)
        st.session_state[SAVED] = outcome
        st.rerun()
    if col_drop.button(tr("verorten.verwerfen"), key="verorten-verwerfen"):
        del st.session_state[PROPOSALS]
        st.rerun()


def save(chosen: list[LocationProposal], store: Store, user: User) -> SaveOutcome:
    """Save each chosen proposal on top of the version it was made for; a conflict or refusal stays with its row."""
    outcome = SaveOutcome()
    for proposal in chosen:
        if proposal.version is None:
            outcome.invalid.append((proposal, tr("verorten.ohne_version")))
            continue
        try:
            store.save_changes(proposal.offer_id, proposal.changes, user.name, proposal.version)
        except ConflictError as exc:
            outcome.conflicts.append((proposal, exc))
        except ValidationError as exc:
            outcome.invalid.append((proposal, "; ".join(exc.reasons)))
        else:
            outcome.saved.append(proposal)
    if outcome.saved:
        offers_changed()
    return outcome


def show_saved() -> None:
    """The outcome of the last save, one row per chosen offer (nothing is left out)."""
    outcome: SaveOutcome | None = st.session_state.get(SAVED)
    if outcome is None:
        return
    if outcome.saved:
        st.success(tr("verorten.gespeichert", n=len(outcome.saved)))
    if outcome.conflicts:
        plain_alert(tr("verorten.konflikte", n=len(outcome.conflicts)), "error")
    if outcome.invalid:
        plain_alert(tr("verorten.ungueltig", n=len(outcome.invalid)), "error")
    result = tr("verorten.spalte_ergebnis")
    rows = [{"p": p, result: tr("verorten.ergebnis_gespeichert", lage=precision_label(p.precision))}
            for p in outcome.saved]
    for p, exc in outcome.conflicts:
        who = ", ".join(sorted({str(c["von"]) for c in exc.changes})) or "?"
        rows.append({"p": p, result: tr("verorten.ergebnis_konflikt", von=who, version=exc.current["version"])})
    rows += [{"p": p, result: tr("verorten.ergebnis_ungueltig", grund=why)} for p, why in outcome.invalid]
    table = pd.DataFrame([{tr("verorten.spalte_angebot"): r["p"].name, tr("verorten.spalte_adresse"): r["p"].address,
                           result: r[result]} for r in rows])
    st.dataframe(table, hide_index=True, width="stretch")
