"""geo.exchange.propose_locations: the geocode run on offers of the store (the Redaktion's "Adressen verorten").

The same loop as the command line (:func:`geo.exchange.geocode.geocode_offers`), offline: recorded Nominatim answers
(tests/fixtures/nominatim), the shared fake transport and a sleep that only records its calls.
"""
import csv
import json
from collections import defaultdict
from datetime import date
from pathlib import Path

import pytest
from conftest import FakeServer

import geo.exchange.geocode
from geo.exchange.geocode import (
    ERROR,
    LIMIT_REACHED,
    NO_RESULT,
    NO_STREET,
    OTHER_STREET,
    OUTSIDE,
    RUN_STOPPED,
    TOO_COARSE,
    app_cache_path,
    geocode_offers,
    plan_geocoding,
    propose_locations,
    read_cache,
)
from geo.exchange.http import HttpJsonError
from geo.store.offer_store import Store

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "nominatim"
URL = "https://nominatim.example/search"
DAY = date(2026, 11, 24)
HEADER = ["id", "name", "handlungsfeld", "adresse", "stadtteil", "lat", "lon", "lage_genauigkeit", "quelle"]


def answer(name: str):
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def offer(id_: str, adresse: str, lage: str = "unbekannt", version: int = 1, **extra) -> dict:
    """A store row (as :meth:`Store.all_offers` gives it: text columns and an integer version)."""
    return {"id": id_, "name": f"Name {id_}", "handlungsfeld": "Bildung", "adresse": adresse, "stadtteil": "",
            "lat": "", "lon": "", "lage_genauigkeit": lage, "quelle": "Test", "version": version, **extra}


def propose(tmp_path, server, rows, **kwargs):
    sleeps: list[float] = []
    progress: list[tuple[int, int]] = []
    kwargs.setdefault("today", DAY)
    proposals, report = propose_locations(rows, tmp_path / "cache.csv", URL, fetch=server, sleep=sleeps.append,
                                          progress=lambda sent, planned: progress.append((sent, planned)), **kwargs)
    return proposals, report, sleeps, progress


def mixed_server() -> FakeServer:
    return FakeServer({"Königstraße 13": answer("koenigstrasse_13"), "Hohenzollernring 36": answer("hohenzollernring"),
                       "Hermannstraße 21": answer("porta_westfalica"), "Gibtsnichtweg 1": answer("empty"),
                       "Sieben Bauern 20A": answer("bezirk_baerenkaempen"), "Königswall 13": answer("koenigstrasse_13")})


MIXED = [
    offer("caritas", "Königstraße 13, 32423 Minden", "stadtteil", version=4, lat="52.291389", lon="8.913056"),
    offer("tafel", "Hohenzollernring 36, Minden"),
    offer("ewerk", "Hermannstraße 21, Minden"),
    offer("leer", "Gibtsnichtweg 1, Minden"),
    offer("bz", "Sieben Bauern 20A, Minden", "stadtteil", lat="52.304722", lon="8.888333"),
    offer("wall", "Königswall 13, Minden"),
    offer("theater", "Tonhallenstraße 3, 32423 Minden", "adresse", lat="52.287222", lon="8.918611"),
    offer("ditib", "Kaiserstraße, Minden", "strasse", lat="52.289491", lon="8.922358"),
    offer("villa", "Strothmann-Villa am Bildungszentrum"),
    offer("ohne", ""),
]


def test_store_rows_get_exactly_the_decisions_of_the_command_line(tmp_path):
    """One loop for both: the same requests, pauses, cache, rejections and changed fields as ``geocode --apply``."""
    (tmp_path / "cli").mkdir()
    (tmp_path / "store").mkdir()
    offers_csv = tmp_path / "cli" / "angebote.csv"
    with offers_csv.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=HEADER, lineterminator="\n", extrasaction="ignore")
        writer.writeheader()
        writer.writerows(MIXED)
    cli_server, cli_sleeps = mixed_server(), []
    cli = geocode_offers(offers_csv, tmp_path / "cli" / "cache.csv", URL, fetch=cli_server, sleep=cli_sleeps.append,
                         today=DAY, apply_to=tmp_path / "cli" / "neu.csv")
    server = mixed_server()
    proposals, report, sleeps, _ = propose(tmp_path / "store", server, MIXED)

    assert server.calls == cli_server.calls and sleeps == cli_sleeps == [1.0] * 5
    assert (report.asked, report.cached, report.used, report.rejected, report.not_asked, report.not_better) == (
        cli.asked, cli.cached, cli.used, cli.rejected, cli.not_asked, cli.not_better)
    assert report.used == {"caritas": "adresse", "tafel": "strasse"}
    assert {i: k for i, (k, _) in report.rejected.items()} == {
        "ewerk": OUTSIDE, "leer": NO_RESULT, "bz": TOO_COARSE, "wall": OTHER_STREET}
    assert report.not_asked_kinds == {"villa": NO_STREET}
    assert (tmp_path / "store" / "cache.csv").read_bytes() == (tmp_path / "cli" / "cache.csv").read_bytes()
    applied = {r["id"]: r for r in csv.DictReader((tmp_path / "cli" / "neu.csv").open(encoding="utf-8"))}
    for p in proposals:
        assert p.changes == {c: applied[p.offer_id][c] for c in ("lat", "lon", "lage_genauigkeit", "quelle")}


def test_a_proposal_carries_what_the_editor_reviews_and_what_saving_writes(tmp_path):
    proposals, _, _, _ = propose(tmp_path, mixed_server(), MIXED)
    caritas, tafel = proposals  # in the order of the rows
    assert (caritas.offer_id, caritas.name, caritas.address, caritas.current_precision, caritas.precision) == (
        "caritas", "Name caritas", "Königstraße 13, 32423 Minden", "stadtteil", "adresse")
    assert (caritas.lat, caritas.lon, caritas.version, caritas.retrieved) == (52.2893, 8.9105, 4, "2026-11-24")
    assert caritas.hit.startswith("13, Königstraße") and caritas.query == "Königstraße 13, 32423 Minden"
    assert caritas.source.startswith("https://nominatim.example/search?street=K%C3%B6nigstra%C3%9Fe+13&city=Minden")
    assert caritas.note.startswith("Koordinate: Nominatim/OpenStreetMap (ODbL), abgefragt am 2026-11-24: "
                                   "Königstraße 13, 32423 Minden (Treffer OSM way 987654, Genauigkeit adresse, "
                                   "ersetzt Lage „stadtteil“")
    assert caritas.changes == {"lat": "52.289300", "lon": "8.910500", "lage_genauigkeit": "adresse",
                               "quelle": "Test; " + caritas.note}
    # only house-number hits are ticked for the editor; a street-level hit is left to their judgement
    assert (caritas.preselected, tafel.precision, tafel.preselected) == (True, "strasse", False)


def test_one_request_per_second_and_the_progress_of_the_requests(tmp_path):
    server = FakeServer(defaultdict(lambda: answer("empty")))
    rows = [offer(f"o{i}", f"Weg {i}, Minden") for i in range(4)] + [offer("dup", "Weg 1, Minden (Hinterhaus)")]
    _, report, sleeps, progress = propose(tmp_path, server, rows)
    assert len(server.calls) == 4 and sleeps == [1.0, 1.0, 1.0]  # the pause comes between requests, not before
    assert progress == [(0, 4), (1, 4), (2, 4), (3, 4), (4, 4)]
    assert report.cached == ["dup"]  # the same query a second time: answered from the cache, no request


def test_the_cache_holds_source_and_date_and_a_second_run_asks_nothing(tmp_path):
    proposals, report, _, _ = propose(tmp_path, mixed_server(), MIXED)
    cache = read_cache(tmp_path / "cache.csv")
    caritas = cache["Königstraße 13, 32423 Minden"]
    assert caritas.retrieved == "2026-11-24" and caritas.source == proposals[0].source
    assert {r["lizenz"] for r in csv.DictReader((tmp_path / "cache.csv").open(encoding="utf-8"))} == {
        "ODbL, © OpenStreetMap-Mitwirkende"}
    assert report.written == [tmp_path / "cache.csv"]
    before = (tmp_path / "cache.csv").read_bytes()

    again = FakeServer({})
    proposals2, report2, sleeps, progress = propose(tmp_path, again, MIXED, today=date(2027, 1, 5))
    assert again.calls == [] and sleeps == [] and progress == [(0, 0)] and report2.asked == []
    assert proposals2 == proposals  # the answer keeps the date it was retrieved on
    assert (tmp_path / "cache.csv").read_bytes() == before and report2.written == []


def test_only_street_or_house_hits_inside_the_city_that_improve_the_offer_are_proposed(tmp_path):
    server = FakeServer({"Königstraße 13": answer("koenigstrasse_13"), "Hohenzollernring 36": answer("hohenzollernring"),
                         "Hermannstraße 21": answer("porta_westfalica")})
    rows = [offer("haus", "Königstraße 13, Minden", "strasse"),  # street → house number: better
            offer("strasse", "Hohenzollernring 36, Minden", "strasse"),  # street hit for a street offer: not better
            offer("porta", "Hermannstraße 21, Minden"),  # house hit, but outside the outline
            offer("genau", "Königstraße 13, Minden", "adresse")]  # precise already: never asked
    proposals, report, _, _ = propose(tmp_path, server, rows)
    assert [(p.offer_id, p.precision) for p in proposals] == [("haus", "adresse")]
    assert report.not_better == {"strasse": "strasse"} and report.rejected["porta"][0] == OUTSIDE
    assert "genau" not in {**report.rejected, **report.not_asked, **report.not_better} and len(server.calls) == 3


def test_429_stops_asking_and_nothing_is_proposed_for_the_rest(tmp_path):
    busy = HttpJsonError("Der Geocoding-Server x antwortete mit HTTP 429 (zu viele Anfragen).", 429)
    server = FakeServer({"Königstraße 13": busy, "Hohenzollernring 36": answer("hohenzollernring")})
    rows = [offer("a", "Königstraße 13, Minden"), offer("b", "Hohenzollernring 36, Minden"),
            offer("c", "Hohenzollernring 36, Minden (2. Stock)")]
    proposals, report, sleeps, progress = propose(tmp_path, server, rows)
    assert proposals == [] and len(server.calls) == 1 and sleeps == []
    assert report.stopped.startswith("Der Server meldet zu viele Anfragen (HTTP 429)")
    assert report.rejected["a"][0] == ERROR
    assert report.not_asked_kinds == {"b": RUN_STOPPED, "c": RUN_STOPPED}
    assert progress == [(0, 2), (1, 2)]
    assert not (tmp_path / "cache.csv").exists()  # an error is no answer: nothing cached


def test_the_limit_caps_new_requests_and_names_the_rest(tmp_path):
    server = FakeServer(defaultdict(lambda: answer("empty")))
    rows = [offer(f"o{i}", f"Weg {i}, Minden") for i in range(5)]
    _, report, _, progress = propose(tmp_path, server, rows, limit=2)
    assert len(server.calls) == 2 and progress[0] == (0, 2) and progress[-1] == (2, 2)
    assert report.not_asked == {f"o{i}": "nicht angefragt: höchstens 2 Anfragen je Lauf" for i in (2, 3, 4)}
    assert set(report.not_asked_kinds.values()) == {LIMIT_REACHED}


def test_the_plan_counts_before_anything_is_asked(tmp_path):
    rows = [(r["id"], r) for r in MIXED]
    plan = plan_geocoding(rows, {})
    assert plan.candidates == ["caritas", "tafel", "ewerk", "leer", "bz", "wall", "ditib", "villa"]
    assert plan.to_ask == ["caritas", "tafel", "ewerk", "leer", "bz", "wall"]  # ditib: a street without number
    assert plan.no_street == ["villa"] and len(plan.new_queries) == 6
    propose(tmp_path, mixed_server(), MIXED)
    assert plan_geocoding(rows, read_cache(tmp_path / "cache.csv")).new_queries == []


def test_proposals_for_the_shipped_offers_save_through_the_store_with_an_audit_trail(tmp_path):
    store = Store.open(f"sqlite:///{tmp_path / 'qk.sqlite'}", seed_csv=ROOT / "data" / "angebote.csv")
    server = FakeServer(defaultdict(lambda: answer("empty"), {"Königstraße 13": answer("koenigstrasse_13")}))
    proposals, report, sleeps, _ = propose(tmp_path, server, store.all_offers().to_dict("records"))
    assert len(sleeps) == len(server.calls) - 1
    assert [p.offer_id for p in proposals] == ["caritas-integration-migration", "internationale-frauengruppe-caritas",
                                               "skf-schuldnerberatung"]  # one request, three offers at that address
    for p in proposals:
        store.save_changes(p.offer_id, p.changes, "anna", p.version)
    saved = store.get("skf-schuldnerberatung")
    assert (saved["lat"], saved["lon"], saved["lage_genauigkeit"]) == ("52.2893", "8.9105", "adresse")
    assert saved["quelle"].endswith(proposals[2].note)
    audit = store.history("skf-schuldnerberatung")
    assert sorted(audit[audit["von"] == "anna"]["feld"]) == ["lage_genauigkeit", "lat", "lon", "quelle"]
    store.engine.dispose()


def test_the_app_uses_the_command_lines_cache_unless_it_cannot_write_there(tmp_path, monkeypatch):
    shared, fallback = tmp_path / "data" / "geocode_cache.csv", tmp_path / "var" / "geocode_cache.csv"
    shared.parent.mkdir()
    assert geo.exchange.geocode.CACHE_PATH == ROOT / "data" / "geocode_cache.csv"  # `python -m geo geocode --cache`
    assert app_cache_path(None, shared, fallback) == shared
    assert app_cache_path(tmp_path / "eigen.csv", shared, fallback) == tmp_path / "eigen.csv"

    # data/ read-only (the systemd unit): the answers of the shared file are copied to var/ and used from there
    propose_locations([offer("a", "Königstraße 13, Minden")], shared, URL, today=DAY,
                      fetch=FakeServer({"Königstraße 13": answer("koenigstrasse_13")}), sleep=lambda s: None)
    real_access = geo.exchange.geocode.os.access
    monkeypatch.setattr(geo.exchange.geocode.os, "access",
                        lambda path, mode: False if Path(path) == shared.parent else real_access(path, mode))
    assert app_cache_path(None, shared, fallback) == fallback
    assert read_cache(fallback) == read_cache(shared)
    nothing = FakeServer({})
    proposals, _ = propose_locations([offer("a", "Königstraße 13, Minden")], fallback, URL, fetch=nothing)
    assert nothing.calls == [] and len(proposals) == 1


@pytest.mark.parametrize("version, expected", [(7, 7), ("3", 3), ("", None)])
def test_the_version_of_the_row_goes_with_the_proposal(tmp_path, version, expected):
    proposals, _, _, _ = propose(tmp_path, FakeServer({"Königstraße 13": answer("koenigstrasse_13")}),
                                 [offer("a", "Königstraße 13, Minden", version=version)])
    assert proposals[0].version == expected
