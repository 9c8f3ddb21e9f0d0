"""Two editors in the browser on the Redaktion page: both open the same offer, anna saves first, bernd's save
meets the conflict (both values side by side, his typed text kept), he saves anyway, and a second save of his
still-open form keeps both of his changes (that second save once disappeared without a word)."""
from __future__ import annotations

import re

import pytest

from geo.i18n import t
from geo.store.accounts import add_user
from geo.store.offer_store import Store

from .conftest import choose_option, snap, wait_for_app, wait_until
from .conftest import log_in as log_in_as
from .test_browser import assert_clean

OFFER_ID = "stadtbibliothek-minden"
OFFER_NAME = "Stadtbibliothek Minden"
PASSWORDS = {"anna": "annas-langes-passwort-2026", "bernd": "bernds-langes-passwort-2026"}
DESKTOP = {"width": 1366, "height": 900}
HINWEIS = t("redaktion.feld_hinweis")
KOSTEN = t("redaktion.feld_kosten")
ALERT = '[data-testid="stMain"] .qk-alert'


@pytest.fixture
def editor_server(server_factory, tmp_path):
    """A server with its own SQLite store (seeded from the shipped offers on first use) and two editors."""
    users = tmp_path / "benutzer.toml"
    for name, password in PASSWORDS.items():
        add_user(users, name, password, "redaktion")
    url = f"sqlite:///{tmp_path / 'qk.sqlite'}"
    # No file watcher: a source file saved while the test runs (someone editing beside it) would otherwise put
    # Streamlit's "File change – Rerun" notice into the status widget, and the page would never count as settled.
    server = server_factory({"QK_DATENBANK": url, "QK_BENUTZER": str(users),
                             "STREAMLIT_SERVER_FILE_WATCHER_TYPE": "none"}, name="e2e-redaktion")
    return server.base_url, url


# --- steps ------------------------------------------------------------------------------------------------

def log_in(page, base_url: str, name: str) -> None:
    """Log in as one of this module's editors (:data:`PASSWORDS`)."""
    log_in_as(page, base_url, name, PASSWORDS[name])


def open_offer(page, offer_name: str) -> None:
    """Tab "Bearbeiten / neu", then the offer from the "Angebot" selectbox (a combobox: type, pick the option)."""
    page.get_by_role("tab", name=t("redaktion.tab_bearbeiten"), exact=True).click()
    label = page.locator('[data-testid="stWidgetLabel"]', has_text=re.compile(rf"^{t('redaktion.angebot_waehlen')}$"))
    box = page.locator('[data-testid="stMain"] [data-testid="stSelectbox"]').filter(has=label)
    choose_option(page, box, offer_name[:12], offer_name)
    wait_until(lambda: page.get_by_label(t("spalte.name"), exact=True).input_value() == offer_name,
               message=f"the form of {offer_name!r}")


def field(page, label: str):
    return page.locator('[data-testid="stForm"]').get_by_label(label, exact=True)


def save(page) -> None:
    page.locator('[data-testid="stForm"]').get_by_role("button", name=t("redaktion.speichern"), exact=True).click()
    wait_for_app(page)


def wait_for_success(page) -> None:
    message = t("redaktion.gespeichert")
    page.locator('[data-testid="stAlertContentSuccess"]', has_text=message).wait_for(state="visible")
    wait_for_app(page)


def grid_rows(page) -> list[list[str]]:
    """The data rows of the conflict table (cell texts, header row left out): the dataframe draws on a canvas,
    and glide-data-grid keeps the visible cells as an accessible table beside it."""
    rows = page.locator('[data-testid="stDataFrame"] table tbody tr')
    return [[c.strip() for c in row.locator("td").all_inner_texts()] for row in rows.all()]


def test_two_editors_conflict_then_save_anyway_and_save_again(open_context, editor_server):
    base_url, store_url = editor_server
    anna, bernd = open_context("anna"), open_context("bernd")
    log_in(anna, base_url, "anna")
    log_in(bernd, base_url, "bernd")
    open_offer(anna, OFFER_NAME)
    open_offer(bernd, OFFER_NAME)
    store = Store.open(store_url)
    original = store.get(OFFER_ID)
    assert original is not None and original["hinweis"] != "Hinweis von Anna"
    assert field(bernd, HINWEIS).input_value() == original["hinweis"]

    # anna saves first
    field(anna, HINWEIS).fill("Hinweis von Anna")
    save(anna)
    wait_for_success(anna)
    assert store.get(OFFER_ID)["hinweis"] == "Hinweis von Anna"

    # bernd, in the form he opened before anna's save: nothing saved, the conflict with both values
    field(bernd, HINWEIS).fill("Hinweis von Bernd")
    save(bernd)
    conflict = bernd.locator(ALERT, has_text="Nicht gespeichert:")
    conflict.wait_for(state="visible")
    wait_for_app(bernd)
    text = conflict.inner_text()
    assert text.startswith("Nicht gespeichert: anna hat dieses Angebot inzwischen geändert"), text
    assert bernd.locator('[data-testid="stAlertContentSuccess"]').count() == 0
    wait_until(lambda: grid_rows(bernd), message="the conflict table's rows")
    rows = grid_rows(bernd)
    # the page scrolls inside Streamlit's main area (a full-page screenshot is just the viewport): bring the
    # message and the table below it into view
    conflict.evaluate("e => e.scrollIntoView({block: 'center'})")
    bernd.wait_for_timeout(300)
    snap(bernd, "redaktion_konflikt_bernd")
    assert [HINWEIS, "Hinweis von Bernd", "Hinweis von Anna", "anna"] == rows[0][:4], rows
    assert len(rows) == 1, rows  # only the field bernd changed
    # module-level strings of a page script would be shown by Streamlit's "magic" (seen: two English lines)
    assert bernd.get_by_text("Per place on the page").count() == 0
    assert field(bernd, HINWEIS).input_value() == "Hinweis von Bernd", "bernd's typed text replaced"
    assert store.get(OFFER_ID)["hinweis"] == "Hinweis von Anna", "the conflicting save wrote anyway"

    # bernd decides: his values anyway
    bernd.get_by_role("button", name=t("redaktion.trotzdem_speichern"), exact=True).click()
    wait_for_app(bernd)
    wait_for_success(bernd)
    assert bernd.locator(ALERT, has_text="Nicht gespeichert:").count() == 0
    assert store.get(OFFER_ID)["hinweis"] == "Hinweis von Bernd"
    assert field(bernd, HINWEIS).input_value() == "Hinweis von Bernd"  # the form reopened on the stored offer
    edits = store.history(OFFER_ID)
    edits = edits[edits["feld"] == "hinweis"]
    assert [(r.von, r.neu) for r in edits.itertuples()][-2:] == [("anna", "Hinweis von Anna"),
                                                                 ("bernd", "Hinweis von Bernd")]
    assert list(edits["alt"])[-1] == "Hinweis von Anna"  # the trail says whose value bernd overwrote

    # bernd saves the same (reopened) form again with another field: both of his changes stay
    costs = "kostenlos (e2e)" if original["kosten"] != "kostenlos (e2e)" else "kostenpflichtig (e2e)"
    field(bernd, KOSTEN).fill(costs)
    save(bernd)
    # the success message of the previous save is still on the page until this run replaces it: wait for the
    # store first, then for the settled page
    wait_until(lambda: store.get(OFFER_ID)["kosten"] == costs, message="bernd's second save in the store")
    wait_for_app(bernd)
    wait_for_success(bernd)
    assert bernd.locator(ALERT).count() == 0, bernd.locator(ALERT).all_inner_texts()
    stored = store.get(OFFER_ID)
    assert (stored["hinweis"], stored["kosten"]) == ("Hinweis von Bernd", costs)
    assert stored["version"] == original["version"] + 3
    last = store.history(OFFER_ID).iloc[-1]
    assert (last["feld"], last["von"], last["neu"]) == ("kosten", "bernd", costs)
    assert field(bernd, KOSTEN).input_value() == costs and field(bernd, HINWEIS).input_value() == "Hinweis von Bernd"

    for page in (anna, bernd):
        assert_clean(page, base_url)
