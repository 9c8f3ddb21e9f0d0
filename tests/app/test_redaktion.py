"""Nothing an editor saves is lost (issue section 0), through the Redaktion page and the public pages (AppTest).

Two editors are two AppTest sessions of the same process, as two browser tabs on one app server. ``st.cache_data``
and ``st.cache_resource`` belong to the process: clearing both is a restart of the app.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from conftest import EDITOR_PASSWORD as PASSWORD
from conftest import log_in_app, restart_app
from streamlit.testing.v1 import AppTest

from geo.store.offer_store import Store

ROOT = Path(__file__).resolve().parents[2]
PUBLIC_PAGES = ["streamlit_app.py", "app/pages/karte.py", "app/pages/angebote.py", "app/pages/luecken.py",
                "app/pages/stadtteile.py", "app/pages/massnahmen.py", "app/pages/drucken.py",
                "app/pages/datenquellen.py"]
SHIPPED_OFFERS = 78
"""Data lines of ``data/angebote.csv``."""


pytestmark = pytest.mark.usefixtures("fresh_app_cache")


@pytest.fixture
def editor_env(tmp_path, monkeypatch) -> Path:
    """A store in ``tmp_path`` and two editors, anna and bernd."""
    from geo.store.accounts import add_user

    users = tmp_path / "benutzer.toml"
    add_user(users, "anna", PASSWORD, "pruefung")
    add_user(users, "bernd", PASSWORD, "redaktion")
    monkeypatch.setenv("QK_DATENBANK", f"sqlite:///{tmp_path / 'qk.sqlite'}")
    monkeypatch.setenv("QK_BENUTZER", str(users))
    return tmp_path


@pytest.fixture
def store(editor_env):
    """The test store, seeded as the app seeds it, read and written by the test itself (another connection than
    the app's, as another process would have)."""
    opened = Store.open(f"sqlite:///{editor_env / 'qk.sqlite'}", seed_csv=ROOT / "data" / "angebote.csv")
    yield opened
    opened.engine.dispose()


def run(page: str, **params) -> AppTest:
    at = AppTest.from_file(str(ROOT / page), default_timeout=60)
    for key, value in params.items():
        at.query_params[key] = value
    return at.run()


def logged_in(name: str) -> AppTest:
    at = log_in_app(name, PASSWORD)
    assert len(at.tabs) == 8, [e.value for e in at.error]
    return at


def open_offer(at: AppTest, offer_id: str) -> AppTest:
    """Choose the offer in the "Bearbeiten" tab (its form shows the stored values)."""
    [choice] = [s for s in at.selectbox if s.label == "Angebot"]
    choice.set_value(offer_id).run()
    assert not at.exception, at.exception
    return at


def field(at: AppTest, label: str):
    """The form field with ``label`` (text area or text input)."""
    [widget] = [w for w in [*at.text_area, *at.text_input] if w.label == label]
    return widget


def save_form(at: AppTest) -> AppTest:
    [button] = [b for b in at.button if b.label == "Speichern" and b.proto.is_form_submitter]
    button.click().run()
    assert not at.exception, at.exception
    return at


def button(at: AppTest, label: str):
    [found] = [b for b in at.button if b.label == label]
    return found


def offer_table_rows(at: AppTest) -> int:
    """Data rows of the map page's offers table (plain HTML, ``app.widgets.page.html_table``)."""
    table = next(h for h in html_blocks(at) if 'class="qk-table-box"' in h)
    return table.count("<tr>") - 1  # the heading row


def html_blocks(at: AppTest) -> list[str]:
    return [e.proto.body for e in at.get("html")]


def conflict_table(at: AppTest):
    tables = [d.value for d in at.dataframe if "Ihr Wert" in d.value.columns]
    assert len(tables) == 1, [list(d.value.columns) for d in at.dataframe]
    return tables[0]


def shown_text(at: AppTest) -> str:
    """Everything the page sends to the browser (every element's message, data frames included)."""
    def walk(node):
        proto = getattr(node, "proto", None)
        if proto is not None:
            yield str(proto)
        for child in getattr(node, "children", {}).values():
            yield from walk(child)

    return "\n".join(walk(at._tree))


# --- two editors, one offer --------------------------------------------------------------------------------------

def test_second_editor_sees_a_conflict_with_both_values_and_can_keep_theirs(editor_env, store):
    """A saves "Hinweis von A", then B saves "Hinweis von B": B once got no message, their form was refilled with
    A's text and the store kept A's."""
    a, b = open_offer(logged_in("anna"), "hafenschule"), open_offer(logged_in("bernd"), "hafenschule")
    field(a, "Hinweis").set_value("Hinweis von A")
    save_form(a)
    assert any(s.value.startswith("Gespeichert") for s in a.success)
    assert (store.get("hafenschule")["hinweis"], store.get("hafenschule")["version"]) == ("Hinweis von A", 2)

    field(b, "Hinweis").set_value("Hinweis von B")
    save_form(b)
    alerts = [h for h in html_blocks(b) if "qk-alert-error" in h]
    assert len(alerts) == 1 and "Nicht gespeichert: anna hat dieses Angebot inzwischen geändert (jetzt Version 2)" \
        in alerts[0], alerts
    table = conflict_table(b)
    assert table[["Feld", "Ihr Wert", "Jetzt gespeichert", "Geändert von"]].to_dict("records") == [
        {"Feld": "Hinweis", "Ihr Wert": "Hinweis von B", "Jetzt gespeichert": "Hinweis von A", "Geändert von": "anna"}]
    assert field(b, "Hinweis").value == "Hinweis von B"  # B's entry is still in B's form, not replaced by A's
    assert (store.get("hafenschule")["hinweis"], store.get("hafenschule")["version"]) == ("Hinweis von A", 2)
    assert not b.success

    button(b, "Meine Werte trotzdem speichern").click().run()
    assert not b.exception, b.exception
    assert (store.get("hafenschule")["hinweis"], store.get("hafenschule")["version"]) == ("Hinweis von B", 3)
    assert any(s.value.startswith("Gespeichert") for s in b.success)
    assert not [d for d in b.dataframe if "Ihr Wert" in d.value.columns]
    assert field(b, "Hinweis").value == "Hinweis von B"
    changes = store.history("hafenschule")
    changes = changes[changes["vorgang"] == "bearbeitet"]
    assert list(zip(changes["feld"], changes["neu"], changes["von"])) == [
        ("hinweis", "Hinweis von A", "anna"), ("hinweis", "Hinweis von B", "bernd")]


def test_discarding_the_own_values_reloads_the_stored_offer(editor_env, store):
    a, b = open_offer(logged_in("anna"), "hafenschule"), open_offer(logged_in("bernd"), "hafenschule")
    field(a, "Hinweis").set_value("Hinweis von A")
    save_form(a)
    field(b, "Hinweis").set_value("Hinweis von B")
    save_form(b)
    button(b, "Meine Werte verwerfen und neu laden").click().run()
    assert not b.exception, b.exception
    assert field(b, "Hinweis").value == "Hinweis von A"
    assert not [d for d in b.dataframe if "Ihr Wert" in d.value.columns]
    assert (store.get("hafenschule")["hinweis"], store.get("hafenschule")["version"]) == ("Hinweis von A", 2)
    # the reloaded form saves on top of A's version without a conflict
    field(b, "Kosten").set_value("kostenlos")
    save_form(b)
    stored = store.get("hafenschule")
    assert (stored["hinweis"], stored["kosten"], stored["version"]) == ("Hinweis von A", "kostenlos", 3)


def test_ending_an_offer_from_an_outdated_view_is_a_conflict(editor_env, store):
    """B opened the offer, A saved, B clicks "Als beendet markieren": the offer was once ended without a word."""
    a, b = open_offer(logged_in("anna"), "hafenschule"), open_offer(logged_in("bernd"), "hafenschule")
    field(a, "Hinweis").set_value("Hinweis von A")
    save_form(a)
    button(b, "Als beendet markieren").click().run()
    assert not b.exception, b.exception
    assert any("Nicht gespeichert: anna hat dieses Angebot inzwischen geändert" in h for h in html_blocks(b))
    assert conflict_table(b)[["Feld", "Ihr Wert", "Jetzt gespeichert"]].to_dict("records") == [
        {"Feld": "Status", "Ihr Wert": "beendet", "Jetzt gespeichert": "unklar"}]
    stored = store.get("hafenschule")
    assert (stored["status"], stored["version"]) == ("unklar", 2)
    assert "bernd" not in set(store.history()["von"])


def test_restoring_an_offer_from_an_outdated_view_is_a_conflict(editor_env, store):
    store.end("hafenschule", "anna", 1)
    a, b = open_offer(logged_in("anna"), "hafenschule"), open_offer(logged_in("bernd"), "hafenschule")
    field(a, "Hinweis").set_value("Hinweis von A")
    save_form(a)
    button(b, "Wiederherstellen").click().run()
    assert not b.exception, b.exception
    assert conflict_table(b)[["Feld", "Ihr Wert", "Jetzt gespeichert", "Geändert von"]].to_dict("records") == [
        {"Feld": "Status", "Ihr Wert": "unklar", "Jetzt gespeichert": "beendet", "Geändert von": ""}]
    assert (store.get("hafenschule")["status"], store.get("hafenschule")["version"]) == ("beendet", 3)
    button(b, "Meine Werte trotzdem speichern").click().run()
    stored = store.get("hafenschule")
    assert (stored["status"], stored["hinweis"], stored["version"]) == ("unklar", "Hinweis von A", 4)


def test_still_current_from_an_outdated_list_is_a_conflict(editor_env, store):
    """"Noch aktuell" carries the version the editor saw in the list."""
    from datetime import date

    a, b = logged_in("anna"), logged_in("bernd")
    oldest = store.stale(date.today()).iloc[0]
    button_key = f"ok-{oldest['id']}"
    a.button(key=button_key).click().run()
    assert store.get(oldest["id"])["version"] == oldest["version"] + 1
    b.button(key=button_key).click().run()
    assert not b.exception, b.exception
    assert any("Nicht gespeichert: anna hat dieses Angebot" in h for h in html_blocks(b))
    assert store.get(oldest["id"])["version"] == oldest["version"] + 1
    assert "bernd" not in set(store.history()["von"])


# --- one editor -------------------------------------------------------------------------------------------------

def test_saving_only_kosten_leaves_the_target_groups_as_stored(editor_env, store):
    """The form shows "Familien" as the fixed group "Eltern und Familien": saving only Kosten once rewrote it."""
    assert store.get("familienfest-weser")["zielgruppen"] == "Familien"
    at = open_offer(logged_in("anna"), "familienfest-weser")
    field(at, "Kosten").set_value("kostenlos")
    save_form(at)
    stored = store.get("familienfest-weser")
    assert (stored["kosten"], stored["zielgruppen"], stored["version"]) == ("kostenlos", "Familien", 2)
    changes = store.history("familienfest-weser")
    changes = changes[changes["vorgang"] != "import"]
    assert list(zip(changes["feld"], changes["alt"], changes["neu"], changes["von"])) == [
        ("kosten", "unbekannt", "kostenlos", "anna")]


def test_saving_an_unchanged_form_writes_nothing(editor_env, store):
    at = open_offer(logged_in("anna"), "familienfest-weser")
    save_form(at)
    assert any(i.value == "Nichts geändert – es gibt nichts zu speichern." for i in at.info)
    assert store.get("familienfest-weser")["version"] == 1


def test_one_editor_saving_twice_keeps_both_changes(editor_env, store):
    """The form key once contained the version: the second change of the same editor disappeared."""
    at = open_offer(logged_in("anna"), "familienfest-weser")
    field(at, "Kosten").set_value("kostenlos")
    save_form(at)
    assert field(at, "Kosten").value == "kostenlos"
    field(at, "Hinweis").set_value("Termin 2027 steht fest.")
    save_form(at)
    assert not [h for h in html_blocks(at) if "qk-alert-error" in h]
    stored = store.get("familienfest-weser")
    assert (stored["kosten"], stored["hinweis"], stored["zielgruppen"], stored["version"]) == (
        "kostenlos", "Termin 2027 steht fest.", "Familien", 3)
    assert (field(at, "Kosten").value, field(at, "Hinweis").value) == ("kostenlos", "Termin 2027 steht fest.")


# --- a damaged store --------------------------------------------------------------------------------------------

def assert_nothing_technical(at: AppTest, database: Path) -> None:
    text = shown_text(at)
    assert "Angebotsdatenbank" in text  # the walk reached the notice: the check below is not vacuous
    for word in ("Traceback", "sqlalchemy", "OperationalError", "DatabaseError", str(database), database.name):
        assert word not in text, word


@pytest.mark.slow  # runs all eight public pages twice
def test_a_truncated_store_shows_the_last_good_copy_and_a_notice(editor_env, store):
    """`truncate -s 0` and a restart once replaced every edit by the 78 shipped offers; a malformed file showed a
    raw sqlalchemy traceback on every public page."""
    store.save_changes("hafenschule", {"hinweis": "Hinweis von A"}, "anna", 1)
    store.engine.dispose()
    first = run("app/pages/karte.py")  # reads the store and keeps the last good copy
    assert not first.exception, first.exception
    shown = offer_table_rows(first)
    assert (editor_env / "qk-letzter-stand.csv").is_file()
    database = editor_env / "qk.sqlite"
    with database.open("r+b") as handle:
        handle.truncate(0)
    restart_app()

    at = run("app/pages/karte.py")
    assert not at.exception, at.exception
    assert [w.value for w in at.warning if "Angebotsdatenbank" in w.value] and \
        at.warning[0].value.startswith("Die Angebotsdatenbank ist gerade nicht lesbar. Sie sehen den letzten "
                                       "gesicherten Stand vom ")
    assert offer_table_rows(at) == shown > 0
    assert_nothing_technical(at, database)
    detail = run("app/pages/karte.py", angebot="hafenschule")
    assert any("Hinweis von A" in h for h in html_blocks(detail))  # the edit is in the copy, not the shipped text
    assert database.stat().st_size == 0

    for page in PUBLIC_PAGES:
        at = run(page)
        assert not at.exception, (page, at.exception)
        assert any(w.value.startswith("Die Angebotsdatenbank ist gerade nicht lesbar") for w in at.warning), page
        assert_nothing_technical(at, database)

    editor = run("app/pages/redaktion.py")
    assert_nothing_technical(editor, database)  # the cause only after login
    editor = logged_in_without_tabs("anna")
    cause = [h for h in html_blocks(editor) if "qk-alert-error" in h]
    assert len(cause) == 1 and "Die Angebotsdatenbank kann nicht gelesen werden" in cause[0], html_blocks(editor)
    assert "die Datei ist leer (0 Bytes)" in cause[0] and str(database) in cause[0]
    assert "Wiederherstellen:" in cause[0]
    assert database.stat().st_size == 0


def logged_in_without_tabs(name: str) -> AppTest:
    at = log_in_app(name, PASSWORD)
    assert not at.tabs
    return at


def test_a_damaged_store_without_a_last_good_copy_shows_no_offers_and_says_so(editor_env):
    database = editor_env / "qk.sqlite"
    database.write_bytes(b"SQLite format 3\x00" + b"\x00" * 84)  # a header and nothing else
    at = run("app/pages/karte.py")
    assert not at.exception, at.exception
    assert [e.value for e in at.error] == ["Die Angebotsdatenbank ist gerade nicht lesbar; deshalb zeigt die Karte "
                                           "keine Angebote. Die Betreiber sind informiert."]
    assert_nothing_technical(at, database)
    assert database.read_bytes() == b"SQLite format 3\x00" + b"\x00" * 84


def test_a_store_damaged_while_the_app_runs_is_noticed_and_a_restored_one_is_used_again(editor_env, store):
    """No restart: the running process checks the store's version (here: the 5 s are over) and finds it broken;
    after the file is restored, the next check opens it again."""
    import app.cache

    first = run("app/pages/karte.py")
    assert not first.warning
    database = editor_env / "qk.sqlite"
    store.engine.dispose()
    good = database.read_bytes()
    with database.open("r+b") as handle:
        handle.truncate(0)
    app.cache.data_version.clear()  # the version check is due
    at = run("app/pages/karte.py")
    assert not at.exception, at.exception
    assert any(w.value.startswith("Die Angebotsdatenbank ist gerade nicht lesbar") for w in at.warning)
    assert_nothing_technical(at, database)
    assert database.stat().st_size == 0

    database.write_bytes(good)  # the operator restores the backup
    app.cache.data_version.clear()
    at = run("app/pages/karte.py")
    assert not at.exception, at.exception
    assert not [w for w in at.warning if "Angebotsdatenbank" in w.value]


# --- across restarts and processes ------------------------------------------------------------------------------

def test_an_edit_in_another_process_reaches_the_public_pages_at_the_next_version_check(editor_env, store):
    """Each process asks the store for its version every 5 s; the offers, maps and posters are keyed by it."""
    import app.cache

    first = run("app/pages/karte.py", angebot="hafenschule")
    assert not any("Hinweis von A" in h for h in html_blocks(first))
    store.save_changes("hafenschule", {"hinweis": "Hinweis von A"}, "anna", 1)  # through another process
    app.cache.data_version.clear()  # the 5 s are over (the dataset itself stays cached: no restart)
    at = run("app/pages/karte.py", angebot="hafenschule")
    assert not at.exception, at.exception
    assert any("Hinweis von A" in h for h in html_blocks(at))


def test_the_login_lock_survives_a_restart(editor_env):
    at = run("app/pages/redaktion.py")
    for _ in range(5):
        at.text_input[0].set_value("anna")
        at.text_input[1].set_value("falsches-passwort")
        at.button[0].click().run()
    assert [e.value for e in at.error] == ["Name oder Passwort stimmt nicht."]
    restart_app()
    again = run("app/pages/redaktion.py")
    again.text_input[0].set_value("anna")
    again.text_input[1].set_value(PASSWORD)
    again.button[0].click().run()
    assert not again.exception, again.exception
    assert len(again.error) == 1 and again.error[0].value.startswith("Zu viele Fehlversuche für diesen Namen.")
    assert not again.tabs


def test_the_suggestion_limit_counts_the_suggestions_of_other_processes(editor_env, store):
    """20 suggestions in the last minute, sent through another app process: this session's first one waits."""
    for i in range(20):
        store.suggest("neu", f"Vorschlag {i}")
    at = run("app/pages/karte.py")
    [area] = [a for a in at.text_area if a.label.startswith("Ihre Nachricht")]
    area.set_value("Noch ein Vorschlag")
    [b for b in at.button if b.label == "Senden"][0].click().run()
    assert not at.exception, at.exception
    assert any(w.value.startswith("Gerade kommen sehr viele Hinweise an.") for w in at.warning)
    assert len(store.suggestions()) == 20


def test_an_oversized_offer_file_is_not_imported_into_the_store(editor_env, monkeypatch):
    """With a database configured, an offers file over the limit was once imported on the first request."""
    import geo.dataset

    monkeypatch.setattr(geo.dataset, "MAX_OFFERS_FILE_BYTES", 1000)
    at = run("app/pages/karte.py")
    assert not at.exception, at.exception
    assert at.error[0].value.startswith("Die Daten können nicht geladen werden. angebote.csv: Datei ist")
    store = Store.open(f"sqlite:///{editor_env / 'qk.sqlite'}")
    assert (store.count(), len(store.history())) == (0, 0)
    store.engine.dispose()
