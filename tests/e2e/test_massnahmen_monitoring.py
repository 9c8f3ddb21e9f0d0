"""The Redaktion's measure monitoring in the browser (issue 24 §6): log in, set status, responsible body, progress
note and date of a measure, link an offer to it in the offer editor, then see all of it on the public Maßnahmen
page and in its CSV and Excel downloads. Before: every measure was "offen", listed twice, without owner, note,
date, export, and the offer editor had a free text field of ids."""
# ruff: noqa: F811  (the server fixture is imported from test_redaktion and then named as a test argument)
from __future__ import annotations

import io
import re

import pandas as pd
from openpyxl import load_workbook

from geo.data.measures import merge_measures, read_measures
from geo.i18n import t
from geo.store.offer_store import Store

from .conftest import choose_option, snap, wait_for_app, wait_until
from .test_browser import assert_clean
from .test_exports import download
from .test_redaktion import OFFER_ID, OFFER_NAME, editor_server, log_in, open_offer, save, wait_for_success  # noqa: F401

MEASURE = "ikon-6.2-1"
OWNER = "Integrationsbüro der Stadt Minden"
NOTE = "Auftakttreffen mit 12 Vereinen"


def panel(page):
    """The visible tab panel of the Redaktion page."""
    return page.locator('[data-testid="stMain"] [role="tabpanel"]:visible')


def pick(page, scope, label: str, typed: str, option: str) -> None:
    """A selectbox or multiselect (a combobox): click it, type, choose the option."""
    widget_label = scope.page.locator('[data-testid="stWidgetLabel"]', has_text=re.compile(rf"^{re.escape(label)}$"))
    box = scope.locator('[data-testid="stSelectbox"], [data-testid="stMultiSelect"]').filter(has=widget_label)
    multiselect = box.get_attribute("data-testid") == "stMultiSelect"
    choose_option(page, box, typed, option)
    if multiselect:
        page.keyboard.press("Escape")  # a multiselect's list stays open (over the form's buttons)


def test_redaktion_sets_a_measures_state_links_an_offer_and_the_public_page_and_export_show_it(open_context,
                                                                                               editor_server):
    base_url, store_url = editor_server
    page = open_context("anna")
    log_in(page, base_url, "anna")
    store = Store.open(store_url)

    # the measures tab: choose the measure, set status, responsible body, note and date
    page.get_by_role("tab", name=t("redaktion.tab_massnahmen"), exact=True).click()
    tab = panel(page)
    merged = merge_measures(read_measures())
    titles = dict(zip(merged["id"], merged["titel"]))
    pick(page, tab, t("redaktion.massnahme"), MEASURE, f"{MEASURE}: {titles[MEASURE][:90]}")
    form = tab.locator('[data-testid="stForm"]')
    pick(page, form, t("massnahmen.status"), "begonnen", t("massnahmen.status_begonnen"))
    form.get_by_label(t("massnahmen.red_zustaendig"), exact=True).fill(OWNER)
    form.get_by_label(t("massnahmen.red_fortschritt"), exact=True).fill(NOTE)
    day = form.get_by_label(t("massnahmen.red_fortschritt_am"), exact=True)
    day.get_by_role("spinbutton").first.click()  # a date field of segments (day, month, year): type the digits
    page.keyboard.type("30112026", delay=40)
    form.get_by_role("button", name=t("massnahmen.red_speichern"), exact=True).click()
    wait_for_app(page)
    wait_for_success(page)
    record = store.measure_records()[MEASURE]
    assert (record["status"], record["zustaendig"], record["fortschritt"], record["fortschritt_am"], record["version"]) \
        == ("begonnen", OWNER, NOTE, "2026-11-30", 1)
    snap(page, "massnahmen_redaktion_gespeichert")

    # the offer editor: link the offer to the measure
    open_offer(page, OFFER_NAME)
    offer_form = panel(page).locator('[data-testid="stForm"]')
    pick(page, offer_form, t("massnahmen.red_angebot"), MEASURE, f"{MEASURE}: {titles[MEASURE][:80]}")
    save(page)
    wait_until(lambda: store.get(OFFER_ID)["massnahmen"] == MEASURE, message="the offer's measures in the store")
    wait_for_success(page)

    # the public page: the measure's card with state, owner, note, date and the linked offer
    page.goto(base_url + "/massnahmen")
    wait_for_app(page)
    card = page.locator("article.qk-massnahme", has=page.locator(".qk-massnahme-id", has_text=re.compile(
        rf"^{re.escape(MEASURE)}$")))
    card.wait_for(state="visible")
    text = card.inner_text()
    for expected in ("begonnen", OWNER, f"2026-11-30: {NOTE}", OFFER_NAME, "ws1-zusammenleben-aktivierung-5"):
        assert expected in text, (expected, text)
    # all cards, once the page has drawn them (on a busy machine they arrive in more than one batch)
    wait_until(lambda: page.locator("article.qk-massnahme").count() == 27, message="27 measure cards")
    card.scroll_into_view_if_needed()
    snap(page, "massnahmen_oeffentlich_karte")

    # the downloads: one row per measure with its state and the offer
    name, blob = download(page, t("massnahmen.download_csv"))
    assert name.startswith("quartierskarte-massnahmen-") and name.endswith(".csv")
    table = pd.read_csv(io.BytesIO(blob), dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert len(table) == 27
    row = table.set_index("id").loc[MEASURE]
    assert (row["status"], row["zustaendig"], row["fortschritt"], row["fortschritt_am"], row["angebote"]) == \
        ("begonnen", OWNER, NOTE, "2026-11-30", OFFER_NAME)
    name, blob = download(page, t("export.download_xlsx"))
    book = load_workbook(io.BytesIO(blob))
    sheet = book[book.sheetnames[0]]
    header = [c.value for c in sheet[1]]
    rows = {r[0]: dict(zip(header, r)) for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert len(rows) == 27 and rows[MEASURE]["zustaendig"] == OWNER and rows[MEASURE]["angebote"] == OFFER_NAME
    meta = {r[0].value: r[1].value for r in book[book.sheetnames[-1]].iter_rows()}
    assert meta["Titel"] == t("massnahmen.export_titel") and meta["Filter"] == t("massnahmen.alle")
    assert_clean(page, base_url)
