"""Issue 24 §2 "Dates that say what the source says": stand_quelle, zuletzt_geprueft and the retrieval-date rule.

``stand_quelle`` is the date the cited source itself states (the newest of the sources about the offer; the
Integrationskonzept's 2020 for offers it names) or ``undatiert``; the day a page was read is no Stand.
``zuletzt_geprueft`` is a confirmation by the provider – nobody has given one, so it is empty everywhere.
Expected values below were read by hand from shared/sources/minden_angebote_orte.csv (source_date, status_note)
and from the ``quelle`` text of each row.
"""
import csv
import re
from datetime import date, datetime
from pathlib import Path

import pytest
from conftest import HEADER, offer_line

from geo.data.offers import UNDATED, data_age, parse_offers, read_offers, retrieval_dates, stand_after_retrieval
from geo.store.offer_store import ValidationError, editor_problems, validate_offer

ROOT = Path(__file__).resolve().parents[2]
ANGEBOTE = ROOT / "data" / "angebote.csv"
TODAY = date(2026, 12, 7)

# The 16 offers that carried the retrieval day 2026-11-24 as their Stand, with the date their sources state.
WAS_RETRIEVAL_DAY = {
    "cafe-montag-rodenbeck": UNDATED,  # octobernews report without a date; the concept names cafés only in general
    "interkulturelle-frauengruppe-rodenbeck": UNDATED,
    "kiz-cafe-klee": "2020",  # the concept names "KIZ Café Klee"; the Café Toni article is undated
    "jugendhaus-geschwister-scholl": UNDATED,
    "stabsstelle-integrationsbeauftragte": "2020",
    "nachhilfe-tafel": "2020",  # concept §6.3: "wie z.B. die Tafel oder die Caritas"
    "migranten-fuer-migranten": UNDATED,
    "frauenberatungsstelle-minden": UNDATED,  # "Anfang April", year not in the excerpt
    "mindener-tafel": "2025-12",  # minden.de press release of December 2025: the Tafel supplied food
    "kinderschutzbund-minden": UNDATED,
    "sprachfoerdergruppe-ktg": UNDATED,
    "kita-marienkaefer": UNDATED,
    "alz-johanniskirchhof": UNDATED,  # "ab der zweiten Maiwoche", no year
    "skf-schuldnerberatung": UNDATED,
    "aktivitaetszentrum-am-goethepark": "2017",  # last dated event of its pages: the Sommerfest 2017
    "starthilfe-minden": UNDATED,
}


@pytest.fixture(scope="module")
def shipped():
    load = read_offers(ANGEBOTE)
    assert load.errors == [] and load.rejected.empty and load.notices == []
    return load.offers.set_index("id")


@pytest.fixture(scope="module")
def raw_rows() -> dict[str, dict[str, str]]:
    with ANGEBOTE.open(encoding="utf-8", newline="") as handle:
        return {row["id"]: row for row in csv.DictReader(handle)}


def load(*lines: str):
    return parse_offers("\n".join([HEADER, *lines]) + "\n", "test.csv")


# --- the shipped data ---------------------------------------------------------------------------------------

def test_no_retrieval_day_is_a_stand_any_more(shipped):
    assert not (shipped["stand_quelle"] == "2026-11-24").any()
    assert {i: shipped.loc[i, "stand_quelle"] for i in WAS_RETRIEVAL_DAY} == WAS_RETRIEVAL_DAY
    # the retrieval day stays in the citation, where it belongs
    for offer_id in ("alz-johanniskirchhof", "sprachfoerdergruppe-ktg", "kita-marienkaefer"):
        assert retrieval_dates(shipped.loc[offer_id, "quelle"]) == [date(2026, 11, 24)], offer_id
    assert "Stand laut Quelle: 2026-11-24" not in " ".join(shipped["quelle"])


def test_dated_stands_cite_the_source_that_states_them(shipped):
    tafel = shipped.loc["mindener-tafel"]
    assert "neues-gemeinschaftsprojekt-in-minden" in tafel["quelle"] and "Dezember 2025" in tafel["hinweis"]
    assert "veranstaltungen/sommerfest" in shipped.loc["aktivitaetszentrum-am-goethepark", "quelle"]
    assert "Sommerfest 2017" in shipped.loc["aktivitaetszentrum-am-goethepark", "hinweis"]
    # the Bauwagen release gives no year; the first action (August 2024) is now cited and is the Stand
    bauwagen = shipped.loc["berufsberatung-bauwagen"]
    assert bauwagen["stand_quelle"] == "2024-08" and "2024-145-berufsberatung-goes-bauwagen" in bauwagen["quelle"]
    assert shipped.loc["integrationsrat-minden", "stand_quelle"] == "2025-09"
    assert "42956" in shipped.loc["integrationsrat-minden", "quelle"]  # Neuwahl 14.09.2025


def test_rudolf_winzer_haus_carries_june_2024_of_its_cited_source(shipped):
    row = shipped.loc["rudolf-winzer-haus"]
    assert row["stand_quelle"] == "2024-06"
    assert "schutzraum-auf-rollen-41476.html (Juni 2024" in row["quelle"]
    assert "undatiert, abgerufen 2026-11-24" in row["quelle"]  # the Corona-time donation page has no date


@pytest.mark.parametrize(("offer_id", "stand"), [
    ("lap-treffpunkt", "2012-01-20"),  # mindener-rundschau.de/2012/01/20/…
    ("qm-sprechstunde-zollern", "2018-10-02"),  # press release of 2018-10-02, exactly as the source row gives it
    ("stadtteiltreff-rodenbeck", "2015"),  # confirmation 2015 (huculvi), newer than octobernews 2014
    ("hafenschule", "2020"),  # the concept names it (§4.1.2), newer than owl-journal 2016-12
    ("streetball-friday", "2020"),  # only from the concept
    ("hope-ev", "2020"),  # "ca. 2019" was worked out from "vor drei Jahren" on an undated page
    ("kita-rodenbeck-haus-der-begegnung", UNDATED),  # "Artikel etwa 2018, undatiert" is a guess, not a date
    ("jugendhaus-juxbude", UNDATED),  # owl-journal and mt.de undated; the concept names youth centres in general
    ("agentur-fuer-arbeit", "2024-08"),  # no 2025 source was cited
    ("waermestube-st-nikolai", "2025"),  # skfminden.de 2025 is newer than the 2023-12 press archive
])
def test_hand_checked_stands(shipped, offer_id, stand):
    assert shipped.loc[offer_id, "stand_quelle"] == stand


def test_every_stand_is_a_date_or_undatiert_and_never_after_its_retrieval(shipped):
    stands = shipped["stand_quelle"]
    assert stands.map(lambda v: v == UNDATED or bool(re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", v))).all()
    assert stands.value_counts().loc[["2020", UNDATED]].to_dict() == {"2020": 32, UNDATED: 14}
    assert all(stand_after_retrieval(s, q) is None for s, q in zip(stands, shipped["quelle"]))


def test_nobody_confirmed_an_offer_so_none_is_checked(shipped, raw_rows):
    assert (shipped["zuletzt_geprueft"] == "").all()
    assert all(row["zuletzt_geprueft"] == "" for row in raw_rows.values())


def test_the_outdated_warning_counts_from_the_source_when_nothing_was_checked(shipped):
    """LAP-Treffpunkt (source 2012) had no warning because it counted as checked in 2026-11."""
    def age(offer_id):
        row = shipped.loc[offer_id]
        return data_age(row["zuletzt_geprueft"], row["stand_quelle"], TODAY)

    lap = age("lap-treffpunkt")
    assert (lap.basis, lap.datum, lap.monate, lap.outdated(12)) == ("quelle", "2012-01-20", 179, True)
    alz = age("alz-johanniskirchhof")
    assert (alz.basis, alz.monate, alz.outdated(12)) == (UNDATED, None, True)
    night = age("notuebernachtung-frauen-winter")  # 2025-12: 12 months on 2026-12-07, not more
    assert (night.basis, night.monate, night.outdated(12)) == ("quelle", 12, False)
    outdated = [i for i in shipped.index if age(i).outdated(12)]
    # only the sources of December 2025 (or a year alone, counted from its December) are not yet 12 months old
    assert sorted(set(shipped.index) - set(outdated)) == [
        "internationale-frauengruppe-caritas", "mindener-tafel", "notuebernachtung-frauen-winter", "rucksack",
        "waermestube-st-nikolai"]


def test_sources_doc_lists_each_changed_stand_as_the_file_has_it(shipped):
    text = (ROOT / "data" / "SOURCES.md").read_text(encoding="utf-8")
    section = text.split("### Datumsangaben berichtigt", 1)[1].split("\n### ", 1)[0]
    listed = {m[0]: (m[1], m[2]) for m in re.findall(r"^\| `([a-z0-9-]+)` \| ([^|]+) \| ([^|]+) \|", section, re.M)}
    assert len(listed) == 53
    assert {i: new.strip() for i, (_, new) in listed.items()} == {i: shipped.loc[i, "stand_quelle"] for i in listed}
    assert listed["rudolf-winzer-haus"] == ("2021", "2024-06")
    assert set(WAS_RETRIEVAL_DAY) <= set(listed)


# --- the loader rule ----------------------------------------------------------------------------------------

def test_a_stand_after_the_cited_retrieval_date_is_rejected_with_file_line_and_reason():
    result = load(offer_line("gut", "Gut", 52.29, 8.91, stand_quelle="2026-11", quelle="Seite (abgerufen 2026-11-24)"),
                  offer_line("spaet", "Spät", 52.29, 8.91, stand_quelle="2026-12", quelle="Seite (abgerufen 2026-11-24)"))
    assert list(result.offers["id"]) == ["gut"]  # "2026-11" may mean November 1st: not after the 24th
    [error] = result.errors
    assert (error.datei, error.zeile, error.spalte) == ("test.csv", 3, "stand_quelle")
    assert error.meldung.startswith("Stand laut Quelle „2026-12“ liegt nach dem Abrufdatum 2026-11-24")
    assert str(error).startswith("test.csv, Zeile 3, Spalte „stand_quelle“: Stand laut Quelle „2026-12“")
    # reported, not dropped: the row is listed with its reason and its raw text
    assert list(result.rejected["zeile"]) == [3] and result.rejected["grund"].iloc[0] == error.meldung
    assert result.rejected["rohdaten"].iloc[0].startswith("spaet | Spät")


@pytest.mark.parametrize(("stand", "quelle", "rejected"), [
    ("2026-11-25", "abgerufen am 2026-11-24", True),
    ("2027", "Meldung (undatiert; abgerufen am 24.11.2026)", True),  # German date format
    ("2026-11-24", "abgerufen am 24.11.2026", False),  # the same day is possible (and earns a notice)
    ("2025", "alt: abgerufen 2020-01-05; neu: Abgerufen: 2026-11-24", False),  # the latest retrieval counts
    ("2026-12", "Koordinate: Nominatim/OpenStreetMap (ODbL) abgefragt am 2026-11-24", False),  # geocoder, no source
    ("2026-12", "Pressemitteilung vom 24.11.2026", False),  # not a retrieval date
    ("2026-12", "abgerufen 2026-02-30", False),  # impossible date: no retrieval date
])
def test_retrieval_date_patterns(stand, quelle, rejected):
    result = load(offer_line("x", "X", 52.29, 8.91, stand_quelle=stand, quelle=quelle))
    assert (len(result.rejected) == 1) is rejected, [str(p) for p in result.problems]


def test_stand_equal_to_the_retrieval_day_is_accepted_with_a_notice():
    result = load(offer_line("x", "X", 52.29, 8.91, stand_quelle="2026-11-24", quelle="Seite (abgerufen 2026-11-24)"))
    assert result.errors == [] and len(result.offers) == 1
    [notice] = result.notices
    assert notice.spalte == "stand_quelle" and "„undatiert“" in notice.meldung


def test_undatiert_is_accepted_and_other_text_is_kept_with_a_notice():
    result = load(offer_line("a", "A", 52.29, 8.91, stand_quelle="undatiert", quelle="Seite (abgerufen 2026-11-24)"),
                  offer_line("b", "B", 52.29, 8.91, stand_quelle="Undatiert"),
                  offer_line("c", "C", 52.29, 8.91, stand_quelle="ca. 2019"))
    assert result.errors == []
    assert list(result.offers["stand_quelle"]) == [UNDATED, UNDATED, "ca. 2019"]
    assert [(p.zeile, p.spalte) for p in result.notices] == [(4, "stand_quelle")]
    assert "nicht „undatiert“" in result.notices[0].meldung


def test_retrieval_dates_are_read_in_order():
    assert retrieval_dates("A (abgerufen 2026-11-24); B (abgerufen am 3.2.2025); C (Abgerufen: 2019-05-01)") == [
        date(2026, 11, 24), date(2025, 2, 3), date(2019, 5, 1)]
    assert retrieval_dates("") == [] and retrieval_dates("Stand 2026-11-24") == []


def test_data_age_prefers_the_providers_confirmation():
    now = datetime(2026, 12, 7, 10, 0)
    assert data_age("2026-11", "2012", now).basis == "geprueft"
    assert not data_age("2026-11", "2012", now).outdated(12)
    old = data_age("2024-06-30", UNDATED, now)
    assert (old.basis, old.datum, old.monate, old.outdated(12)) == ("geprueft", "2024-06-30", 30, True)
    assert data_age("", "", now) == data_age(None, None, now)
    assert (data_age("", "", now).basis, data_age("", "", now).outdated(12)) == ("unbekannt", True)
    assert data_age("", "ca. 2019", now).basis == "unbekannt"  # text is not a date


# --- the Redaktion's form applies the same rule -------------------------------------------------------------

def test_editor_form_accepts_undatiert_and_refuses_a_stand_after_the_retrieval():
    assert editor_problems({"stand_quelle": "undatiert"}) == []
    assert editor_problems({"stand_quelle": "2024-06", "quelle": "abgerufen 2026-11-24"}) == []
    [problem] = editor_problems({"stand_quelle": "2027", "quelle": "Seite (abgerufen 2026-11-24)"})
    assert "nach dem Abrufdatum 2026-11-24" in problem
    [problem] = editor_problems({"stand_quelle": "ca. 2019"})
    assert "„undatiert“" in problem
    with pytest.raises(ValidationError) as caught:
        validate_offer({"id": "x", "name": "X", "handlungsfeld": "Bildung", "lat": "52.29", "lon": "8.91",
                        "lage_genauigkeit": "adresse", "stand_quelle": "2027", "quelle": "abgerufen 2026-11-24"})
    assert any("nach dem Abrufdatum" in reason for reason in caught.value.reasons)
