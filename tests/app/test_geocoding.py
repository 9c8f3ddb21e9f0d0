"""Redaktion tab "Adressen verorten" (AppTest): ask a geocoder, review the proposals, save the ticked ones.

The geocoder is a Nominatim stand-in on 127.0.0.1 (recorded answers of tests/fixtures/nominatim by the ``street``
parameter), reached through the app's real HTTP client; the store is a SQLite file in ``tmp_path`` seeded from a
small offers file. Another editor's edit between proposing and saving goes through a second connection to the store,
as another app process would make it.
"""
from __future__ import annotations

import csv
from pathlib import Path

import pytest
from conftest import EDITOR_PASSWORD as PASSWORD
from conftest import NominatimStandIn, log_in_app
from streamlit.testing.v1 import AppTest

from geo.exchange.geocode import REJECTION_LABELS, read_cache
from geo.i18n import t
from geo.store.offer_store import Store

ROOT = Path(__file__).resolve().parents[2]
UNTRUSTED = "SKF **fett** <b>Schuldnerberatung</b> [Link](https://example.org)"
OFFERS = [
    {"id": "caritas", "name": "Caritas Migrationsdienst", "adresse": "Königstraße 13, 32423 Minden",
     "lage_genauigkeit": "stadtteil", "lat": "52.291389", "lon": "8.913056"},
    {"id": "skf", "name": UNTRUSTED, "adresse": "Königstraße 13, 32423 Minden (Haus der Caritas)",
     "lage_genauigkeit": "unbekannt"},
    {"id": "tafel", "name": "Mindener Tafel", "adresse": "Hohenzollernring 36, Minden", "lage_genauigkeit": "unbekannt"},
    {"id": "ewerk", "name": "E-Werk", "adresse": "Hermannstraße 21, Minden", "lage_genauigkeit": "unbekannt"},
    {"id": "villa", "name": "Villa", "adresse": "Strothmann-Villa am Bildungszentrum", "lage_genauigkeit": "unbekannt"},
    {"id": "theater", "name": "Stadttheater", "adresse": "Tonhallenstraße 3, 32423 Minden",
     "lage_genauigkeit": "adresse", "lat": "52.287222", "lon": "8.918611"},
]
ANSWERS = {"Königstraße 13": "koenigstrasse_13", "Hohenzollernring 36": "hohenzollernring",
           "Hermannstraße 21": "porta_westfalica"}




def write_offers(path: Path, rows: list[dict]) -> None:
    with open(ROOT / "data" / "angebote.csv", encoding="utf-8", newline="") as f:
        header = next(csv.reader(f))
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=header)
        writer.writeheader()
        writer.writerows({**dict.fromkeys(header, ""), "handlungsfeld": "Bildung", "quelle": "Test",
                          "zuletzt_geprueft": "2026", **row} for row in rows)


pytestmark = pytest.mark.usefixtures("fresh_app_cache")


@pytest.fixture
def env(tmp_path, monkeypatch) -> Path:
    """A store of the six offers above, an editor anna, and a cache in ``tmp_path`` (never ``data/``)."""
    from geo.store.accounts import add_user

    users = tmp_path / "benutzer.toml"
    add_user(users, "anna", PASSWORD, "redaktion")
    write_offers(tmp_path / "angebote.csv", OFFERS)
    monkeypatch.setenv("QK_ANGEBOTE", str(tmp_path / "angebote.csv"))
    monkeypatch.setenv("QK_DATENBANK", f"sqlite:///{tmp_path / 'qk.sqlite'}")
    monkeypatch.setenv("QK_BENUTZER", str(users))
    monkeypatch.setenv("QK_GEOCODER_CACHE", str(tmp_path / "geocode_cache.csv"))
    monkeypatch.delenv("QK_GEOCODER_URL", raising=False)
    return tmp_path


@pytest.fixture
def geocoder(env, monkeypatch):
    server = NominatimStandIn(ANSWERS)
    monkeypatch.setenv("QK_GEOCODER_URL", server.url)
    yield server
    server.stop()


@pytest.fixture
def store(env):
    opened = Store.open(f"sqlite:///{env / 'qk.sqlite'}", seed_csv=env / "angebote.csv")
    yield opened
    opened.engine.dispose()


def logged_in() -> AppTest:
    at = log_in_app("anna", PASSWORD)
    assert "Adressen verorten" == t("verorten.tab") in [tab.label for tab in at.tabs]
    return at


def button(at: AppTest, label: str):
    [found] = [b for b in at.button if b.label == label]
    return found


def ask(at: AppTest, limit: int = 20) -> AppTest:
    [number] = [n for n in at.number_input if n.label == t("verorten.hoechstens")]
    assert number.value == 20
    number.set_value(limit)
    button(at, t("verorten.fragen")).click().run()
    assert not at.exception, at.exception
    return at


def review_table(at: AppTest):
    [editor] = at.data_editor
    return editor


def tables(at: AppTest) -> list:
    return [d.value for d in at.dataframe]


def markdown_text(at: AppTest) -> str:
    """Every text that Streamlit renders as Markdown or HTML (where offer data must never go)."""
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [s.value for s in at.success]
    parts += [i.value for i in at.info] + [w.value for w in at.warning] + [e.value for e in at.error]
    parts += [e.label for e in at.expander] + [h.proto.body for h in at.get("html")]
    return "\n".join(parts)


def test_without_a_geocoder_the_tab_says_how_to_switch_it_on(env, store):
    at = logged_in()
    notice = [i.value for i in at.info if "QK_GEOCODER_URL" in i.value]
    assert len(notice) == 1 and "an diesen Server geschickt" in notice[0], [i.value for i in at.info]
    assert not [b for b in at.button if b.label == t("verorten.fragen")]
    assert not (env / "geocode_cache.csv").exists()


def report_script(lang: str) -> None:
    """A page showing the report of a run that asked the server for one address (AppTest.from_function)."""
    import streamlit as st

    from app.state import LANG_STATE
    from app.widgets.geocoding import Run, show_report
    from geo.exchange.geocode import GeocodeReport

    st.session_state[LANG_STATE] = lang
    show_report(Run("anna", [], GeocodeReport(asked=["a"], cached=["b"], used={"a": "adresse"}), {}))


@pytest.mark.parametrize(("lang", "expected"), [
    ("de", "Letzter Lauf: 1 Adresse beim Server nachgeschlagen; aus dem Zwischenspeicher: 1; Vorschläge: 1."),
    ("en", "Last run: 1 address looked up on the server; from the cache: 1; proposals: 1."),
    ("ru", "Последний запуск: 1 адрес запрошен у сервера; из кэша: 1; предложений по местоположению: 1.")])
def test_the_run_report_says_one_address_in_the_singular(lang, expected):
    """Issue 25: "1 Adressen beim Server nachgeschlagen" – the count chooses the plural form."""
    at = AppTest.from_function(report_script, args=(lang,), default_timeout=30).run()
    assert not at.exception, at.exception
    assert expected in [m.value for m in at.markdown]


def test_ask_review_and_save_the_ticked_proposals(env, store, geocoder):
    at = logged_in()
    intro = [m.value for m in at.markdown if m.value.startswith("5 Angebote mit Adresse haben keine genaue Lage")]
    assert intro and ("Davon nachschlagbar: 4; Adressen, die eine neue Anfrage brauchen: 3; Adressen ohne erkennbare "
                      "Straße: 1.") in intro[0], [m.value for m in at.markdown]
    ask(at)
    # one request per distinct address (skf shares caritas's), in the order of the offer ids, through the app's
    # HTTP client
    assert [r["street"] for r in geocoder.requests] == ["Königstraße 13", "Hermannstraße 21", "Hohenzollernring 36"]
    assert "Letzter Lauf: 3 Adressen beim Server nachgeschlagen; aus dem Zwischenspeicher: 1; Vorschläge: 3." in [
        m.value for m in at.markdown]
    cache = read_cache(env / "geocode_cache.csv")
    assert sorted(cache) == ["Hermannstraße 21, Minden", "Hohenzollernring 36, Minden", "Königstraße 13, 32423 Minden"]
    assert cache["Königstraße 13, 32423 Minden"].source.startswith(geocoder.url + "?street=K%C3%B6nigstra%C3%9Fe+13")

    table = review_table(at).value
    assert table[["Übernehmen", "Angebot", "Lage jetzt → Vorschlag"]].values.tolist() == [
        [True, "Caritas Migrationsdienst", "Stadtteil → Adresse"],
        [True, UNTRUSTED, "unbekannt → Adresse"],
        [False, "Mindener Tafel", "unbekannt → Straße"]]  # a street-level hit is not ticked for the editor
    assert table["Treffer des Geocoders"].iloc[0].startswith("13, Königstraße, Innenstadt, Minden")
    # the rejected and the not-asked offers are listed with their reasons
    [reasons] = [d for d in tables(at) if "Begründung" in d.columns]
    by_name = dict(zip(reasons["Angebot"], reasons["Ergebnis"]))
    assert by_name == {"E-Werk": REJECTION_LABELS["ausserhalb"],
                       "Villa": "nicht gefragt: keine Straße in der Adresse erkannt"}
    assert UNTRUSTED not in markdown_text(at) and "<b>Schuldnerberatung" not in markdown_text(at)

    button(at, "Ausgewählte speichern").click().run()
    assert not at.exception, at.exception
    assert any(s.value.startswith("2 Angebote gespeichert.") for s in at.success)
    [outcome] = [d for d in tables(at) if "Ergebnis" in d.columns and "Adresse" in d.columns]
    assert outcome[["Angebot", "Ergebnis"]].values.tolist() == [
        ["Caritas Migrationsdienst", "gespeichert (Lage: Adresse)"], [UNTRUSTED, "gespeichert (Lage: Adresse)"]]
    for offer_id in ("caritas", "skf"):
        saved = store.get(offer_id)
        assert (saved["lat"], saved["lon"], saved["lage_genauigkeit"], saved["version"]) == (
            "52.2893", "8.9105", "adresse", 2)
        assert "Koordinate: Nominatim/OpenStreetMap (ODbL), abgefragt am " in saved["quelle"]
        audit = store.history(offer_id)
        assert sorted(audit[audit["von"] == "anna"]["feld"]) == ["lage_genauigkeit", "lat", "lon", "quelle"]
    assert store.get("tafel")["lage_genauigkeit"] == "unbekannt"  # not ticked: not saved …
    assert review_table(at).value["Angebot"].tolist() == ["Mindener Tafel"]  # … and still open for review
    assert UNTRUSTED not in markdown_text(at)
    # the count above the button is that of the store after the save (caritas and skf are placed now)
    assert "3 Angebote mit Adresse haben keine genaue Lage" in "\n".join(m.value for m in at.markdown)


def test_a_street_level_proposal_is_saved_when_the_editor_ticks_it(env, store, geocoder):
    at = ask(logged_in())
    key = review_table(at).key
    assert key is not None
    at.session_state[key] = {"edited_rows": {0: {"Übernehmen": False}, 2: {"Übernehmen": True}},
                             "added_rows": [], "deleted_rows": []}
    at.run()
    button(at, "Ausgewählte speichern").click().run()
    assert not at.exception, at.exception
    assert (store.get("tafel")["lage_genauigkeit"], store.get("tafel")["lat"]) == ("strasse", "52.2851")
    assert store.get("caritas")["lage_genauigkeit"] == "stadtteil" and store.get("skf")["lage_genauigkeit"] == "adresse"
    assert review_table(at).value["Angebot"].tolist() == ["Caritas Migrationsdienst"]


def test_an_edit_made_after_the_proposal_is_reported_and_not_overwritten(env, store, geocoder):
    at = ask(logged_in())
    # bernd (another app process) edits caritas between the proposal and anna's save
    store.save_changes("caritas", {"hinweis": "Hinweis von Bernd", "lat": "52.2901"}, "bernd", 1)

    button(at, "Ausgewählte speichern").click().run()
    assert not at.exception, at.exception
    alerts = [h.proto.body for h in at.get("html") if "qk-alert-error" in h.proto.body]
    assert len(alerts) == 1 and "1 Angebot nicht gespeichert: Es wurde geändert" in alerts[0], alerts
    assert any(s.value.startswith("1 Angebot gespeichert.") for s in at.success)
    [outcome] = [d for d in tables(at) if "Ergebnis" in d.columns and "Adresse" in d.columns]
    assert outcome[["Angebot", "Ergebnis"]].values.tolist() == [
        [UNTRUSTED, "gespeichert (Lage: Adresse)"],
        ["Caritas Migrationsdienst", "nicht gespeichert: inzwischen von bernd geändert (jetzt Version 2)"]]
    caritas = store.get("caritas")
    assert (caritas["hinweis"], caritas["lat"], caritas["lage_genauigkeit"], caritas["version"]) == (
        "Hinweis von Bernd", "52.2901", "stadtteil", 2)
    assert "anna" not in set(store.history("caritas")["von"])
    assert store.get("skf")["lage_genauigkeit"] == "adresse"

    # asking again proposes caritas once more, on top of bernd's version, from the cache (no new request)
    requests = len(geocoder.requests)
    ask(at)
    assert len(geocoder.requests) == requests
    assert review_table(at).value["Angebot"].tolist() == ["Caritas Migrationsdienst", "Mindener Tafel"]
    button(at, "Ausgewählte speichern").click().run()
    caritas = store.get("caritas")
    assert (caritas["hinweis"], caritas["lat"], caritas["lage_genauigkeit"], caritas["version"]) == (
        "Hinweis von Bernd", "52.2893", "adresse", 3)


def test_the_limit_caps_the_requests_of_a_run(env, store, geocoder):
    at = ask(logged_in(), limit=1)
    assert [r["street"] for r in geocoder.requests] == ["Königstraße 13"]
    assert review_table(at).value["Angebot"].tolist() == ["Caritas Migrationsdienst", UNTRUSTED]
    [reasons] = [d for d in tables(at) if "Begründung" in d.columns]
    assert dict(zip(reasons["Angebot"], reasons["Ergebnis"]))["Mindener Tafel"] == (
        "nicht gefragt: Höchstzahl der Anfragen erreicht")
