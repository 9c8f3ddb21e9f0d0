"""Maßnahmen-Monitoring through the Redaktion and the public page (issue 24 §6, AppTest): status, responsible
body, progress note and date of a measure, audited with the version rule; offers linked in the offer editor."""
# ruff: noqa: F811  (the fixtures are imported from test_redaktion and then named as test arguments)
from __future__ import annotations

from datetime import date

import pytest
from test_redaktion import editor_env, html_blocks, logged_in, open_offer, run, save_form, store  # noqa: F401

pytestmark = pytest.mark.usefixtures("fresh_app_cache")

MEASURE = "ikon-6.2-1"


def measure_tab(at, measure_id: str = MEASURE):
    [choice] = [s for s in at.selectbox if s.label == "Maßnahme"]
    choice.set_value(measure_id).run()
    assert not at.exception, at.exception
    return at


def widget(widgets, label: str):
    [found] = [w for w in widgets if w.label == label]
    return found


def save_measure(at):
    [button] = [b for b in at.button if b.label == "Maßnahme speichern"]
    button.click().run()
    assert not at.exception, at.exception
    return at


def card(measure_id: str) -> str:
    at = run("app/pages/massnahmen.py")
    assert not at.exception, at.exception
    [found] = [h for h in html_blocks(at) if f'"qk-massnahme-id">{measure_id}<' in h]
    return found


def test_the_redaktion_sets_status_owner_note_and_date_and_the_public_page_shows_them(editor_env, store):
    at = measure_tab(logged_in("bernd"))
    widget(at.selectbox, "Stand").set_value("begonnen")
    widget(at.text_input, "Zuständige Stelle").set_value("Integrationsbüro der Stadt")
    widget(at.text_area, "Letzter Fortschritt (Notiz)").set_value("Auftakt mit 12 Vereinen")
    widget(at.date_input, "Datum des Fortschritts").set_value(date(2026, 11, 30))
    save_measure(at)
    assert any(s.value.startswith("Gespeichert.") for s in at.success), [s.value for s in at.success]
    record = store.measure_records()[MEASURE]
    assert {k: record[k] for k in ("status", "zustaendig", "fortschritt", "fortschritt_am", "version", "geaendert_von")} \
        == {"status": "begonnen", "zustaendig": "Integrationsbüro der Stadt", "fortschritt": "Auftakt mit 12 Vereinen",
            "fortschritt_am": "2026-11-30", "version": 1, "geaendert_von": "bernd"}
    history = store.history(f"massnahme:{MEASURE}")
    assert sorted(zip(history["feld"], history["alt"], history["neu"])) == [
        ("fortschritt", "", "Auftakt mit 12 Vereinen"), ("fortschritt_am", "", "2026-11-30"),
        ("status", "offen", "begonnen"), ("zustaendig", "", "Integrationsbüro der Stadt")]
    shown = card(MEASURE)
    assert "<dd>begonnen</dd>" in shown and "<dd>Integrationsbüro der Stadt</dd>" in shown
    assert '<time datetime="2026-11-30" dir="ltr">2026-11-30</time>: Auftakt mit 12 Vereinen' in shown
    # the public filters: by status and by responsible body
    page = run("app/pages/massnahmen.py")
    widget(page.multiselect, "Stand").set_value(["begonnen"]).run()
    cards = [h for h in html_blocks(page) if h.startswith('<article class="qk-angebot qk-massnahme"')]
    assert len(cards) == 1 and f">{MEASURE}<" in cards[0]
    widget(page.multiselect, "Stand").set_value([]).run()
    widget(page.text_input, "Zuständige Stelle enthält").set_value("integrationsbüro").run()
    assert len([h for h in html_blocks(page) if h.startswith('<article class="qk-angebot qk-massnahme"')]) == 1
    assert len(page.get("download_button")) == 2


def test_a_colleagues_save_in_between_is_a_conflict_with_both_values(editor_env, store):
    at = measure_tab(logged_in("anna"))  # anna opens the measure: never edited, version 0
    store.save_measure(MEASURE, {"zustaendig": "VHS"}, "bernd", 0)  # bernd saves from another session
    widget(at.text_input, "Zuständige Stelle").set_value("Stadtbibliothek")
    save_measure(at)
    assert store.measure_records()[MEASURE]["zustaendig"] == "VHS"
    [table] = [d.value for d in at.dataframe if "Ihr Wert" in d.value.columns]
    assert table[["Feld", "Ihr Wert", "Jetzt gespeichert", "Geändert von"]].values.tolist() == [
        ["Zuständige Stelle", "Stadtbibliothek", "VHS", "bernd"]]
    [keep] = [b for b in at.button if b.label == "Meine Werte trotzdem speichern"]
    keep.click().run()
    record = store.measure_records()[MEASURE]
    assert (record["zustaendig"], record["version"], record["geaendert_von"]) == ("Stadtbibliothek", 2, "anna")


def test_an_offer_is_linked_to_measures_in_the_offer_editor(editor_env, store):
    at = open_offer(logged_in("anna"), "familienfest-weser")
    links = widget(at.multiselect, "Maßnahmen, zu denen das Angebot gehört")
    assert links.value == [] and len(links.options) == 27
    links.set_value([MEASURE, "ikon-6.3-4"])
    save_form(at)
    stored = store.get("familienfest-weser")
    assert (stored["massnahmen"], stored["version"]) == (f"{MEASURE};ikon-6.3-4", 2)
    last = store.history("familienfest-weser").iloc[-1]
    assert (last["feld"], last["alt"], last["neu"]) == ("massnahmen", "", f"{MEASURE};ikon-6.3-4")
    assert f"<dd>{stored['name']}</dd>" in card(MEASURE) and f"<dd>{stored['name']}</dd>" in card("ikon-6.3-4")


def test_an_offer_linked_by_the_workshop_id_keeps_it_when_another_field_is_saved(editor_env, store):
    offer = store.get("familienfest-weser")
    store.save_changes("familienfest-weser", {"massnahmen": "ws1-zusammenleben-aktivierung-5"}, "bernd",
                       offer["version"])
    at = open_offer(logged_in("anna"), "familienfest-weser")
    assert widget(at.multiselect, "Maßnahmen, zu denen das Angebot gehört").value == [MEASURE]
    widget(at.text_input, "Kosten").set_value("kostenlos")
    save_form(at)
    stored = store.get("familienfest-weser")
    assert (stored["kosten"], stored["massnahmen"]) == ("kostenlos", "ws1-zusammenleben-aktivierung-5")
    assert f"<dd>{stored['name']}</dd>" in card(MEASURE)
