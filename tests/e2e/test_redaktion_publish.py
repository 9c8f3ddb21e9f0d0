"""The city's own districts through the browser (Redaktion, tab "Stadtteile und Kennzahlen"): a reviewer uploads
the official Stadtbezirke as a GeoPackage in ETRS89/UTM 32N with the city's own column names, assigns the one name
the app cannot match by itself, sees the check, publishes with a source — and every public page stops calling the
boundaries schematic and names the source instead. Withdrawing brings the shipped ones back. An editor without the
role "Prüfung" sees the check but cannot publish. Screenshots: ``artifacts/screenshots/veroeffentlichen_*.png``.
"""
from __future__ import annotations

import re

import geopandas as gpd
import pytest

from geo.i18n import t
from geo.store.accounts import add_user
from geo.store.offer_store import Store

from .conftest import ROOT, choose_option, map_frame, snap, wait_for_app, wait_for_map, wait_until
from .conftest import log_in as log_in_as
from .test_browser import assert_clean

PASSWORDS = {"paula": "pruefen-ist-wichtig-1", "bernd": "redaktion-ist-wichtig-2"}
SOURCE = "Stadt Minden, Geodatenmanagement: Stadtbezirke (Testdatei), Stand 11.2026, dl-de/by-2-0"
NEAR_MISS = "Koenigstoor"


@pytest.fixture(scope="module")
def publish_server(server_factory, tmp_path_factory):
    folder = tmp_path_factory.mktemp("veroeffentlichen")
    users = folder / "benutzer.toml"
    add_user(users, "paula", PASSWORDS["paula"], "pruefung")
    add_user(users, "bernd", PASSWORDS["bernd"], "redaktion")
    url = f"sqlite:///{folder / 'qk.sqlite'}"
    server = server_factory({"QK_DATENBANK": url, "QK_BENUTZER": str(users),
                             "STREAMLIT_SERVER_FILE_WATCHER_TYPE": "none"}, name="e2e-veroeffentlichen")
    return server.base_url, url


def city_geopackage(path) -> bytes:
    """The shipped polygons as a city GIS would hand them out: EPSG:25832, column ``STB_NAME`` with the prefix
    "Stadtbezirk" and umlauts written out, one name misspelt ("Koenigstoor": only a suggestion, never matched)."""
    districts = gpd.read_file(ROOT / "data" / "stadtteile.geojson").to_crs("EPSG:25832")
    names = [f"Stadtbezirk {n.replace('ä', 'ae').replace('ö', 'oe').replace('ü', 'ue')}" for n in districts["name"]]
    names = [NEAR_MISS if n == "Stadtbezirk Koenigstor" else n for n in names]
    city = gpd.GeoDataFrame({"STB_NR": range(1, len(names) + 1), "STB_NAME": names},
                            geometry=list(districts.geometry), crs="EPSG:25832")
    city.to_file(path, layer="stadtbezirke", driver="GPKG")
    return path.read_bytes()


def log_in(page, base_url: str, name: str) -> None:
    """Log in as one of this module's editors (:data:`PASSWORDS`) and open the publishing tab."""
    log_in_as(page, base_url, name, PASSWORDS[name])
    page.get_by_role("tab", name=t("veroeffentlichen.tab"), exact=True).click()
    wait_for_app(page)


def panel(page):
    return page.get_by_role("tabpanel", name=t("veroeffentlichen.tab"), exact=True)


def upload(page, name: str, data: bytes) -> None:
    panel(page).locator('[data-testid="stFileUploader"] input[type=file]').set_input_files(
        {"name": name, "mimeType": "application/geopackage+sqlite3", "buffer": data})
    page.locator(f'[data-testid="stFileChipName"][title="{name}"]').wait_for(state="visible")
    wait_for_app(page)


def choose(page, label: str, option: str) -> None:
    caption = page.locator('[data-testid="stWidgetLabel"]', has_text=re.compile(rf"^{re.escape(label)}$"))
    box = panel(page).locator('[data-testid="stSelectbox"]').filter(has=caption).get_by_role("combobox")
    choose_option(page, box, option[:5], option)


def public_notice(page, base_url: str) -> str:
    """The text of the start page's notices and footer, as a resident sees it."""
    page.goto(base_url + "/")
    wait_for_app(page)
    page.locator(".qk-fusslinks").wait_for(state="attached")  # the footer is the page's last element
    return page.locator('[data-testid="stMain"]').inner_text()


def test_reviewer_publishes_the_city_districts_and_withdraws_them(page, publish_server, tmp_path):
    base_url, db_url = publish_server
    data = city_geopackage(tmp_path / "stadtbezirke.gpkg")
    if True:
        before = public_notice(page, base_url)
        assert t("app.hinweis_schematisch") in before

        log_in(page, base_url, "paula")
        upload(page, "stadtbezirke.gpkg", data)
        snap(page, "veroeffentlichen_hochgeladen")
        text = panel(page).inner_text()
        # the name column was recognised by its values, 18 names matched despite prefix and spelling
        assert "STB_NAME" in text and t("veroeffentlichen.zuordnen_name", name=NEAR_MISS) in text
        choose(page, t("veroeffentlichen.zuordnen_name", name=NEAR_MISS), "Königstor")
        go = panel(page).get_by_role("button", name=t("veroeffentlichen.veroeffentlichen"), exact=True)
        assert go.is_disabled()  # no source yet: every geometry needs one
        panel(page).get_by_label(t("veroeffentlichen.quelle_eingabe"), exact=True).fill(SOURCE)
        panel(page).get_by_label(t("veroeffentlichen.quelle_eingabe"), exact=True).press("Enter")
        wait_for_app(page)
        wait_until(lambda: go.is_enabled(), timeout_s=10, message="publish button enabled once checked")
        snap(page, "veroeffentlichen_pruefung")
        assert_clean(page, base_url)
        go.click()
        wait_for_app(page)
        page.get_by_text(t("veroeffentlichen.fertig", nr=1, rolle=t("fusszeile.rolle_stadtteile"))).wait_for()

        store = Store.open(db_url)
        try:
            active = store.active_publication("stadtteile")
            assert active["von"] == "paula" and active["quelle"] == SOURCE and active["dateiname"] == "stadtbezirke.gpkg"
            assert "Königstor" in active["inhalt"] and NEAR_MISS not in active["inhalt"]
        finally:
            store.engine.dispose()

        after = public_notice(page, base_url)
        assert t("app.hinweis_schematisch") not in after
        wait_for_map(page)
        note = map_frame(page).locator(".qk-note").inner_text()
        assert t("karte.grenzen_quelle", quelle=SOURCE) in note and t("karte.hinweis_schematisch") not in note
        assert t("fusszeile.veroeffentlicht", rolle=t("fusszeile.rolle_stadtteile"), quelle=SOURCE) in after
        snap(page, "veroeffentlichen_karte")

        log_in(page, base_url, "paula")
        panel(page).get_by_role("button", name=t("veroeffentlichen.zuruecknehmen", nr=1), exact=True).click()
        wait_for_app(page)
        page.get_by_text(t("veroeffentlichen.zurueckgenommen", nr=1), exact=False).wait_for()
        assert t("app.hinweis_schematisch") in public_notice(page, base_url)
        assert_clean(page, base_url)


def test_an_editor_without_the_review_role_sees_the_check_but_cannot_publish(page, publish_server, tmp_path):
    base_url, _ = publish_server
    if True:
        log_in(page, base_url, "bernd")
        upload(page, "stadtbezirke.gpkg", city_geopackage(tmp_path / "stadtbezirke.gpkg"))
        panel(page).get_by_label(t("veroeffentlichen.quelle_eingabe"), exact=True).fill(SOURCE)
        panel(page).get_by_label(t("veroeffentlichen.quelle_eingabe"), exact=True).press("Enter")
        wait_for_app(page)
        assert t("veroeffentlichen.nur_pruefung") in panel(page).inner_text()
        assert panel(page).get_by_role("button", name=t("veroeffentlichen.veroeffentlichen"), exact=True).is_disabled()


def sozialatlas_workbook() -> bytes:
    """A Sozialatlas sheet as an office would keep it: German headers, a percentage with comma, a band in words,
    one district misspelt."""
    import io

    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Kinderarmut"
    for row in (["Stadtteil", "Kennzahl", "Anteil", "Stand", "Quelle"],
                ["Bärenkämpen", "kinderarmut", "38,5 %", "31.12.2025", INDICATOR_SOURCE],
                [NEAR_MISS, "kinderarmut", "mehr als 45 %", "31.12.2025", INDICATOR_SOURCE]):
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


INDICATOR_SOURCE = "Stadt Minden, Jugendhilfeplanung: Sozialatlas (Testdatei), Stand 31.12.2025"


def test_reviewer_publishes_a_sozialatlas_workbook_and_the_comparison_shows_it(page, publish_server):
    from geo.config import load_settings
    from geo.data.indicators import district_band
    from geo.dataset import load_dataset

    base_url, db_url = publish_server
    log_in(page, base_url, "paula")
    indicators_upload = panel(page).get_by_text(t("veroeffentlichen.kennzahlen_datei"), exact=True)

    def switched() -> bool:  # a click during a rerun can be lost: click again until the indicator upload shows
        if not indicators_upload.is_visible():
            panel(page).get_by_text(t("fusszeile.rolle_sozialatlas"), exact=True).click()
            wait_for_app(page)
        return indicators_upload.is_visible()

    wait_until(switched, timeout_s=30, interval_s=1, message="the indicator upload after choosing 'Kennzahlen'")
    panel(page).locator('[data-testid="stFileUploader"] input[type=file]').set_input_files(
        {"name": "sozialatlas-2026.xlsx", "buffer": sozialatlas_workbook(),
         "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"})
    page.locator('[data-testid="stFileChipName"][title="sozialatlas-2026.xlsx"]').wait_for(state="visible")
    wait_for_app(page)
    choose(page, t("veroeffentlichen.zuordnen_name", name=NEAR_MISS), "Königstor")
    snap(page, "veroeffentlichen_kennzahlen")
    go = panel(page).get_by_role("button", name=t("veroeffentlichen.veroeffentlichen"), exact=True)
    wait_until(lambda: go.is_enabled(), timeout_s=10, message="publish button enabled once checked")
    go.click()
    wait_for_app(page)
    snap(page, "veroeffentlichen_kennzahlen_fertig")
    done = t("veroeffentlichen.fertig", nr=0, rolle=t("fusszeile.rolle_sozialatlas")).split("0")
    page.get_by_text(re.compile(re.escape(done[0]) + r"\d+" + re.escape(done[1]))).wait_for()

    settings = load_settings({"QK_DATENBANK": db_url})
    indicators = load_dataset(settings).indicators
    assert district_band(indicators, "baerenkaempen", "kinderarmut").value == 38.5
    band = district_band(indicators, "koenigstor", "kinderarmut")
    assert (band.lower, band.lower_inclusive, band.upper) == (45, False, None)  # a band stays a band
    page.goto(base_url + "/stadtteile")
    wait_for_app(page)
    assert "38,5" in page.locator('[data-testid="stMain"]').inner_text()
    assert_clean(page, base_url)
