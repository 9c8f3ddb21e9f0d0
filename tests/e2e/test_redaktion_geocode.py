"""The whole journey of "Adressen verorten" in the browser: anna logs in, opens the tab, asks the geocoder, reviews
the proposals, saves the ticked ones and finds the offer placed at its address in the edit form.

The geocoder is a Nominatim stand-in on 127.0.0.1 (recorded answers of tests/fixtures/nominatim), asked by the app
server, never by the browser; its cache goes to ``tmp_path`` (``QK_GEOCODER_CACHE``), never to ``data/``.
"""
from __future__ import annotations

import csv
import re

import pytest
from conftest import NominatimStandIn

from geo.exchange.geocode import read_cache
from geo.i18n import t
from geo.store.accounts import add_user
from geo.store.offer_store import Store

from .conftest import ROOT, snap, wait_for_app, wait_until
from .test_browser import assert_clean
from .test_redaktion import PASSWORDS, log_in, open_offer

CARITAS = "Caritas Migrationsdienst"
UNTRUSTED = "SKF <b>Schuldnerberatung</b> **fett**"
OFFERS = [
    {"id": "caritas", "name": CARITAS, "adresse": "Königstraße 13, 32423 Minden", "lage_genauigkeit": "stadtteil",
     "lat": "52.291389", "lon": "8.913056"},
    {"id": "skf", "name": UNTRUSTED, "adresse": "Königstraße 13, 32423 Minden (Haus der Caritas)",
     "lage_genauigkeit": "unbekannt"},
    {"id": "tafel", "name": "Mindener Tafel", "adresse": "Hohenzollernring 36, Minden", "lage_genauigkeit": "unbekannt"},
    {"id": "ewerk", "name": "E-Werk", "adresse": "Hermannstraße 21, Minden", "lage_genauigkeit": "unbekannt"},
]
ANSWERS = {"Königstraße 13": "koenigstrasse_13", "Hohenzollernring 36": "hohenzollernring",
           "Hermannstraße 21": "porta_westfalica"}




def panel(page):
    return page.get_by_role("tabpanel", name=t("verorten.tab"), exact=True)


def grid_rows(page) -> list[list[str]]:
    """The data rows of the tab's tables (glide-data-grid keeps the visible cells as an accessible table)."""
    rows = panel(page).locator('[data-testid="stDataFrame"] table tbody tr')
    return [[c.strip() for c in row.locator("td").all_inner_texts()] for row in rows.all()]


@pytest.fixture
def geocoder():
    server = NominatimStandIn(ANSWERS)
    yield server
    server.stop()


@pytest.fixture
def geocode_server(server_factory, tmp_path, geocoder):
    """A server with its own store of the four offers above, the editor anna and the stand-in geocoder."""
    users = tmp_path / "benutzer.toml"
    add_user(users, "anna", PASSWORDS["anna"], "redaktion")
    offers = tmp_path / "angebote.csv"
    with open(ROOT / "data" / "angebote.csv", encoding="utf-8", newline="") as f:
        header = next(csv.reader(f))
    with open(offers, "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=header)
        writer.writeheader()
        writer.writerows({**dict.fromkeys(header, ""), "handlungsfeld": "Bildung", "quelle": "Test",
                          "zuletzt_geprueft": "2026", **row} for row in OFFERS)
    url = f"sqlite:///{tmp_path / 'qk.sqlite'}"
    server = server_factory({"QK_DATENBANK": url, "QK_BENUTZER": str(users), "QK_ANGEBOTE": str(offers),
                             "QK_GEOCODER_URL": geocoder.url, "QK_GEOCODER_CACHE": str(tmp_path / "cache.csv")},
                            name="e2e-verorten")
    return server.base_url, url, tmp_path / "cache.csv"


def test_ask_review_save_and_find_the_offer_at_its_address(page, geocode_server, geocoder):
    base_url, store_url, cache = geocode_server
    log_in(page, base_url, "anna")
    page.get_by_role("tab", name=t("verorten.tab"), exact=True).click()
    main = panel(page)
    main.get_by_text("4 Angebote mit Adresse haben keine genaue Lage").wait_for(state="visible")
    assert page.get_by_label(t("verorten.hoechstens"), exact=True).input_value() == "20"

    page.get_by_role("button", name=t("verorten.fragen"), exact=True).click()
    main.get_by_text("Letzter Lauf: 3 Adressen beim Server nachgeschlagen").wait_for(state="visible", timeout=60_000)
    wait_for_app(page)
    assert [r["street"] for r in geocoder.requests] == ["Königstraße 13", "Hermannstraße 21", "Hohenzollernring 36"]
    assert len(read_cache(cache)) == 3

    # the review table: one row per proposal, the house-number hits ticked
    wait_until(lambda: len(grid_rows(page)) >= 3, message="the rows of the review table")
    rows = grid_rows(page)
    assert [r[1:3] for r in rows[:3]] == [[CARITAS, "Königstraße 13, 32423 Minden"],
                                          [UNTRUSTED, "Königstraße 13, 32423 Minden (Haus der Caritas)"],
                                          ["Mindener Tafel", "Hohenzollernring 36, Minden"]], rows
    assert [r[3] for r in rows[:3]] == ["Stadtteil → Adresse", "unbekannt → Adresse", "unbekannt → Straße"], rows
    # the offer's name is text: no bold, no HTML element made from it
    assert main.locator("b", has_text="Schuldnerberatung").count() == 0
    assert main.locator("strong", has_text="fett").count() == 0
    table = main.locator('[data-testid="stDataFrame"]').last  # the review table (the reasons are in an expander)
    table.evaluate("e => e.scrollIntoView({block: 'center'})")
    page.wait_for_timeout(300)
    snap(page, "redaktion_verorten_vorschlaege")

    page.get_by_role("button", name=t("verorten.speichern"), exact=True).click()
    page.locator('[data-testid="stAlertContentSuccess"]', has_text="2 Angebote gespeichert.").wait_for(state="visible")
    wait_for_app(page)
    store = Store.open(store_url)
    assert (store.get("caritas")["lage_genauigkeit"], store.get("skf")["lage_genauigkeit"],
            store.get("tafel")["lage_genauigkeit"]) == ("adresse", "adresse", "unbekannt")
    # the outcome table: one "gespeichert" per saved offer (the grid draws its accessible rows lazily: wait)
    wait_until(lambda: sum(cell == "gespeichert (Lage: Adresse)" for r in grid_rows(page) for cell in r) == 2,
               timeout_s=15, message="two saved rows in the outcome table")
    page.locator('[data-testid="stAlertContentSuccess"]').evaluate("e => e.scrollIntoView({block: 'center'})")
    page.wait_for_timeout(300)
    snap(page, "redaktion_verorten_gespeichert")

    # the edit form shows the new location of the offer
    open_offer(page, CARITAS)
    assert page.locator('[data-testid="stForm"]').get_by_label("lat (WGS84)", exact=True).input_value() == "52.2893"
    label = page.locator('[data-testid="stWidgetLabel"]', has_text=re.compile(rf"^{t('spalte.lage_genauigkeit')}$"))
    precision = page.locator('[data-testid="stForm"] [data-testid="stSelectbox"]').filter(has=label)
    assert precision.get_by_role("combobox").input_value() == "adresse"
    store.engine.dispose()
    assert_clean(page, base_url)
