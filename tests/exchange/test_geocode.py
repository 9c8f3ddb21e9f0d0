"""geo.exchange.geocode offline: recorded Nominatim answers (jsonv2, tests/fixtures/nominatim), a fake transport and a fake sleep."""
import csv
import json
import urllib.request
from datetime import date
from pathlib import Path

import pytest
from conftest import FakeServer

import geo.exchange.geocode
from geo.__main__ import main
from geo.data.offers import parse_offers
from geo.data.outline import read_outline
from geo.exchange.geocode import (
    ERROR,
    NO_RESULT,
    OTHER_STREET,
    OUTSIDE,
    TOO_COARSE,
    AddressQuery,
    Answer,
    Hit,
    apply_to_csv_text,
    fetch_nominatim,
    geocode_offers,
    improved_fields,
    parse_response,
    public_url,
    query_for_address,
    read_cache,
    usable,
)
from geo.exchange.http import HttpJsonError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "nominatim"
URL = "https://nominatim.example/search"
HEADER = ["id", "name", "handlungsfeld", "adresse", "stadtteil", "lat", "lon", "lage_genauigkeit", "quelle"]
DAY = date(2026, 11, 24)


def answer(name: str):
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def write_offers(path: Path, rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=HEADER, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: row.get(k, "") for k in HEADER})


def offer(id_: str, adresse: str, lage: str = "unbekannt", **extra) -> dict:
    return {"id": id_, "name": id_, "handlungsfeld": "Bildung", "adresse": adresse, "lage_genauigkeit": lage,
            "quelle": "Test", **extra}


def run(tmp_path, server, rows=None, **kwargs):
    offers = tmp_path / "angebote.csv"
    if rows is not None:
        write_offers(offers, rows)
    sleeps: list[float] = kwargs.pop("sleeps", [])
    report = geocode_offers(offers, tmp_path / "cache.csv", URL, fetch=server, sleep=sleeps.append, today=DAY, **kwargs)
    return report, sleeps


# --------------------------------------------------------------------------- pure functions

@pytest.mark.parametrize("address, expected", [
    ("Königstraße 13, 32423 Minden", AddressQuery("Königstraße 13", "32423")),
    ("Hohenzollernring 36, Minden", AddressQuery("Hohenzollernring 36")),
    ("Integrationsbüro, Lindenstraße 36, 32423 Minden", AddressQuery("Lindenstraße 36", "32423")),
    ("Am Exerzierplatz 7 (3. Etage), 32423 Minden", AddressQuery("Am Exerzierplatz 7", "32423")),
    ("Kaiserstraße, Minden (Hausnummer in der Quelle nicht angegeben)", AddressQuery("Kaiserstraße")),
    ("Obermarktstraße, auf Höhe Hausnummer 31, Minden", AddressQuery("Obermarktstraße")),
    ("an der Straße Sieben Bauern, Minden (keine Hausnummer)", AddressQuery("Sieben Bauern")),
    ("Kutenhauser Str. 79, Minden", AddressQuery("Kutenhauser Straße 79")),
    ("neben der Geschäftsstelle des Caritasverbandes (Königstraße 13), Minden", None),
    ("Bildungszentrum am Weingarten", None),
    ("", None),
])
def test_query_for_address(address, expected):
    assert query_for_address(address) == expected


def test_query_parameters_are_structured_and_limited_to_one_hit_in_germany():
    q = AddressQuery("Königstraße 13", "32423")
    assert q.params() == {"street": "Königstraße 13", "postalcode": "32423", "city": "Minden", "countrycodes": "de",
                          "format": "jsonv2", "addressdetails": "1", "limit": "1"}
    assert "postalcode" not in AddressQuery("Kaiserstraße").params()
    assert (q.key, q.house_number, AddressQuery("Sieben Bauern 20A").house_number) == (
        "Königstraße 13, 32423 Minden", "13", "20A")


def test_house_number_hit_is_adresse():
    hit = parse_response(answer("koenigstrasse_13"))
    assert (hit.precision, hit.lat, hit.lon, hit.osm_type, hit.osm_id, hit.road) == (
        "adresse", 52.2893, 8.9105, "way", "987654", "Königstraße")


def test_street_only_hit_is_strasse():
    hit = parse_response(answer("hohenzollernring"))
    assert (hit.precision, hit.road) == ("strasse", "Hohenzollernring")


def test_district_hit_is_too_coarse_and_empty_answer_is_no_result():
    assert parse_response(answer("bezirk_baerenkaempen")).precision is None
    assert parse_response(answer("empty")) is None


def test_error_object_is_an_invalid_answer_not_an_empty_one():
    with pytest.raises(ValueError, match="keine Trefferliste"):
        parse_response(answer("error"))
    with pytest.raises(ValueError, match="Koordinate"):
        parse_response([{"lat": "x", "lon": "8.9"}])


def test_porta_westfalica_is_outside_the_outline():
    # Hand check: the outline's southernmost vertex is at 52.2467 N (bounds of data/minden_gemeinde.geojson);
    # the hit at 52.245 N lies south of the whole city.
    assert read_outline(crs="EPSG:4326").bounds[1] == pytest.approx(52.2467)
    hermann = AddressQuery("Hermannstraße 21")
    porta = Answer(hermann.key, URL, "2026-11-24", parse_response(answer("porta_westfalica")))
    precision, kind, reason = usable(porta, hermann)
    assert (precision, kind) == (None, OUTSIDE)
    assert reason.startswith("Treffer (52.24500, 8.92000) liegt außerhalb Minden: 21, Hermannstraße, Porta Westfalica")


def test_usable_levels_and_rejections():
    koenig = AddressQuery("Königstraße 13", "32423")
    house = parse_response(answer("koenigstrasse_13"))
    assert usable(Answer(koenig.key, URL, "d", house), koenig)[:2] == ("adresse", "")
    # the same building answering a query without house number only says "on this street"
    assert usable(Answer("k", URL, "d", house), AddressQuery("Königstraße"))[:2] == ("strasse", "")
    # a hit on another street than the one asked for is not used
    assert usable(Answer("k", URL, "d", house), AddressQuery("Königswall 13"))[:2] == (None, OTHER_STREET)
    assert usable(Answer("k", URL, "d", house), AddressQuery("Koenigstrasse 13"))[:2] == ("adresse", "")
    coarse = parse_response(answer("bezirk_baerenkaempen"))
    assert usable(Answer("b", URL, "d", coarse), AddressQuery("Sieben Bauern 20A"))[:2] == (None, TOO_COARSE)
    assert usable(Answer("e", URL, "d", None), koenig)[:2] == (None, NO_RESULT)


def test_apply_never_downgrades_and_keeps_an_existing_adresse_location():
    street = Answer("Königstraße, Minden", URL, "2026-11-24", Hit(52.2851, 8.9087, "", "way", "1", "strasse"))
    house = Answer("Königstraße 13, Minden", URL, "2026-11-24", Hit(52.2893, 8.9105, "", "way", "2", "adresse"))
    at_address = {"lat": "52.287222", "lon": "8.918611", "lage_genauigkeit": "adresse", "quelle": "Q"}
    assert improved_fields(at_address, street, "strasse") is None
    assert improved_fields(at_address, house, "adresse") is None  # equal precision: the curated point stays
    assert improved_fields({**at_address, "lage_genauigkeit": "strasse"}, street, "strasse") is None
    change = improved_fields({**at_address, "lage_genauigkeit": "stadtteil"}, house, "adresse")
    assert change == {"lat": "52.289300", "lon": "8.910500", "lage_genauigkeit": "adresse", "quelle": (
        "Q; Koordinate: Nominatim/OpenStreetMap (ODbL), abgefragt am 2026-11-24: Königstraße 13, Minden "
        "(Treffer OSM way 2, Genauigkeit adresse, ersetzt Lage „stadtteil“, Abfrage https://nominatim.example/search)")}


def test_apply_keeps_other_records_byte_for_byte_and_guards_formulas():
    text = ('id;name;lat;lon;lage_genauigkeit;quelle\r\n'
            '"a";"Quoted, kept";52,1;8,9;stadtteil;"Q"\r\n'
            '\r\n'
            'b;"Zwei\r\nZeilen";;;unbekannt;Q\r\n'
            'c;=SUMME(1);;;unbekannt;Q\r\n'
            'd;Letzte;;;unbekannt;Q')
    out = apply_to_csv_text(text, {4: {"lat": "52.289300", "lon": "8.910500", "lage_genauigkeit": "adresse",
                                       "quelle": "Q; Koordinate"}})
    assert out == ('id;name;lat;lon;lage_genauigkeit;quelle\r\n'
                   '"a";"Quoted, kept";52,1;8,9;stadtteil;"Q"\r\n'
                   '\r\n'
                   'b;"Zwei\r\nZeilen";52.289300;8.910500;adresse;"Q; Koordinate"\r\n'
                   "c;'=SUMME(1);;;unbekannt;Q\r\n"
                   'd;Letzte;;;unbekannt;Q')
    assert apply_to_csv_text("id,lat,lon,lage_genauigkeit,quelle\n1,,,unbekannt,Q\n", {}) == (
        "id,lat,lon,lage_genauigkeit,quelle\n1,,,unbekannt,Q\n")


def test_recorded_url_has_no_credentials_or_keys():
    params = AddressQuery("Königstraße 13").params()
    url = public_url("https://user:secret@geo.example:8080/search?key=abc&email=me@example.org", params)
    assert url.startswith("https://geo.example:8080/search?street=K%C3%B6nigstra%C3%9Fe+13&city=Minden")
    assert "secret" not in url and "abc" not in url and "me%40example" not in url and "user" not in url


def test_fetch_nominatim_sends_user_agent_and_keeps_parameters_of_the_url(monkeypatch):
    seen = {}

    class Response:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def read(self):
            return b"[]"

    def urlopen(request, timeout):
        seen.update(url=request.full_url, agent=request.get_header("User-agent"))
        return Response()

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    assert fetch_nominatim("https://geo.example/search?email=ops@example.org", {"street": "Tonstraße 10"}) == []
    assert seen["url"] == "https://geo.example/search?email=ops@example.org&street=Tonstra%C3%9Fe+10"
    assert seen["agent"].startswith("Quartierskarte-Minden")


# --------------------------------------------------------------------------- the run

def test_run_uses_good_hits_rejects_others_and_applies_without_downgrading(tmp_path):
    server = FakeServer({"Königstraße 13": answer("koenigstrasse_13"), "Hohenzollernring 36": answer("hohenzollernring"),
                         "Hermannstraße 21": answer("porta_westfalica"), "Gibtsnichtweg 1": answer("empty"),
                         "Sieben Bauern 20A": answer("bezirk_baerenkaempen")})
    out = tmp_path / "neu.csv"
    report, sleeps = run(tmp_path, server, [
        offer("caritas", "Königstraße 13, 32423 Minden", "stadtteil", lat="52.291389", lon="8.913056"),
        offer("tafel", "Hohenzollernring 36, Minden"),
        offer("ewerk", "Hermannstraße 21, Minden"),
        offer("leer", "Gibtsnichtweg 1, Minden"),
        offer("bz", "Sieben Bauern 20A, Minden", "stadtteil", lat="52.304722", lon="8.888333"),
        offer("theater", "Tonhallenstraße 3, 32423 Minden", "adresse", lat="52.287222", lon="8.918611"),
        offer("formel", "=HYPERLINK(1) Wall 1, Minden", name="=HYPERLINK(\"http://x\")"),
        offer("villa", "Strothmann-Villa am Bildungszentrum"),
        offer("ohne", ""),
    ], apply_to=out)
    assert report.used == {"caritas": "adresse", "tafel": "strasse"}
    assert {i: k for i, (k, _) in report.rejected.items()} == {
        "ewerk": OUTSIDE, "leer": NO_RESULT, "bz": TOO_COARSE}
    assert report.not_asked == {"villa": "keine Straße in der Adresse erkannt",
                                "formel": "keine Straße in der Adresse erkannt"}  # a formula is no address
    assert [c["street"] for c in server.calls] == [
        "Königstraße 13", "Hohenzollernring 36", "Hermannstraße 21", "Gibtsnichtweg 1", "Sieben Bauern 20A"]
    assert sleeps == [1.0] * 4  # rate limit: one pause of 1 s between each two requests

    rows = {r["id"]: r for r in csv.DictReader(out.open(encoding="utf-8"))}
    assert (rows["caritas"]["lat"], rows["caritas"]["lon"], rows["caritas"]["lage_genauigkeit"]) == (
        "52.289300", "8.910500", "adresse")
    assert rows["caritas"]["quelle"].startswith(
        "Test; Koordinate: Nominatim/OpenStreetMap (ODbL), abgefragt am 2026-11-24: Königstraße 13, 32423 Minden (")
    assert rows["tafel"]["lage_genauigkeit"] == "strasse"
    assert (rows["theater"]["lat"], rows["theater"]["lage_genauigkeit"]) == ("52.287222", "adresse")
    assert (rows["bz"]["lat"], rows["bz"]["lage_genauigkeit"]) == ("52.304722", "stadtteil")
    assert (rows["ewerk"]["lat"], rows["ewerk"]["lage_genauigkeit"]) == ("", "unbekannt")
    # spreadsheet formula guard on output (the offers loader removes the ' again)
    assert rows["formel"]["adresse"] == "'=HYPERLINK(1) Wall 1, Minden"
    assert rows["formel"]["name"] == "'=HYPERLINK(\"http://x\")"
    loaded = parse_offers(out.read_bytes(), "neu.csv")
    assert loaded.errors == [] and len(loaded.offers) == 9
    assert loaded.offers.set_index("id").loc["formel", "adresse"] == "=HYPERLINK(1) Wall 1, Minden"

    cache = read_cache(tmp_path / "cache.csv")
    assert sorted(cache) == ["Gibtsnichtweg 1, Minden", "Hermannstraße 21, Minden", "Hohenzollernring 36, Minden",
                             "Königstraße 13, 32423 Minden", "Sieben Bauern 20A, Minden"]
    caritas = cache["Königstraße 13, 32423 Minden"]
    assert caritas.source == ("https://nominatim.example/search?street=K%C3%B6nigstra%C3%9Fe+13&city=Minden"
                              "&countrycodes=de&format=jsonv2&addressdetails=1&limit=1&postalcode=32423")
    assert (caritas.retrieved, caritas.hit.osm_id, caritas.hit.precision) == ("2026-11-24", "987654", "adresse")
    assert cache["Gibtsnichtweg 1, Minden"].hit is None and cache["Gibtsnichtweg 1, Minden"].retrieved == "2026-11-24"
    raw_cache = list(csv.DictReader((tmp_path / "cache.csv").open(encoding="utf-8")))
    assert {r["lizenz"] for r in raw_cache} == {"ODbL, © OpenStreetMap-Mitwirkende"}


def test_cached_queries_are_not_asked_twice(tmp_path):
    rows = [offer("a", "Königstraße 13, 32423 Minden"), offer("b", "Königstraße 13, 32423 Minden (Haus der Caritas)"),
            offer("c", "Gibtsnichtweg 1, Minden")]
    first = FakeServer({"Königstraße 13": answer("koenigstrasse_13"), "Gibtsnichtweg 1": answer("empty")})
    report, _ = run(tmp_path, first, rows)
    assert len(first.calls) == 2 and report.asked == ["a", "c"] and report.cached == ["b"]
    cache_bytes = (tmp_path / "cache.csv").read_bytes()

    again = FakeServer({})
    report2, sleeps = run(tmp_path, again)
    assert again.calls == [] and sleeps == [] and sorted(report2.cached) == ["a", "b", "c"]
    assert report2.used == {"a": "adresse", "b": "adresse"} and report2.rejected["c"][0] == NO_RESULT
    assert (tmp_path / "cache.csv").read_bytes() == cache_bytes  # nothing new: not rewritten


def test_street_offer_without_house_number_is_not_asked(tmp_path):
    server = FakeServer({})
    report, _ = run(tmp_path, server, [offer("ditib", "Kaiserstraße, Minden", "strasse", lat="52.289491", lon="8.922358")])
    assert server.calls == [] and report.asked == [] and report.used == {}


def test_limit_caps_new_requests_and_reports_the_rest(tmp_path):
    server = FakeServer({"Königstraße 13": answer("koenigstrasse_13")})
    report, _ = run(tmp_path, server, [offer("a", "Königstraße 13, Minden"), offer("b", "Tonstraße 10, Minden")], limit=1)
    assert len(server.calls) == 1 and report.not_asked == {"b": "nicht angefragt: --limit 1 erreicht"}


def test_repeated_failures_stop_asking_and_write_no_cache(tmp_path):
    down = HttpJsonError("Der Geocoding-Server x antwortete mit HTTP 503 (Server überlastet).", 503)
    server = FakeServer({f"Weg {i}": down for i in range(5)})
    report, sleeps = run(tmp_path, server, [offer(f"o{i}", f"Weg {i}, Minden") for i in range(5)])
    assert len(server.calls) == 3 and sleeps == [1.0, 1.0]
    assert report.stopped == "3 Fehler in Folge; keine weiteren Anfragen."
    assert [k for k, _ in report.rejected.values()] == [ERROR] * 3
    assert report.not_asked == {"o3": "nicht angefragt: Lauf abgebrochen", "o4": "nicht angefragt: Lauf abgebrochen"}
    assert not (tmp_path / "cache.csv").exists()


def test_429_stops_at_once_and_an_invalid_answer_is_not_cached(tmp_path):
    busy = HttpJsonError("Der Geocoding-Server x antwortete mit HTTP 429 (zu viele Anfragen).", 429)
    server = FakeServer({"Weg 1": answer("error"), "Weg 2": answer("koenigstrasse_13"), "Weg 3": busy, "Weg 4": None})
    rows = [offer(f"o{i}", f"Weg {i}, Minden") for i in range(1, 5)]
    report, _ = run(tmp_path, server, rows)
    assert [c["street"] for c in server.calls] == ["Weg 1", "Weg 2", "Weg 3"]
    assert report.rejected["o1"][0] == ERROR and "keine Trefferliste" in report.rejected["o1"][1]
    assert report.rejected["o2"][0] == OTHER_STREET  # the recorded Königstraße hit does not answer "Weg 2"
    assert report.stopped.startswith("Der Server meldet zu viele Anfragen (HTTP 429)")
    assert list(read_cache(tmp_path / "cache.csv")) == ["Weg 2, Minden"]  # the error answer is not cached


def test_cache_is_replaced_atomically_when_writing_fails(tmp_path, monkeypatch):
    server = FakeServer({"Königstraße 13": answer("koenigstrasse_13"), "Tonstraße 10": answer("empty")})
    run(tmp_path, server, [offer("a", "Königstraße 13, Minden")])
    before = (tmp_path / "cache.csv").read_bytes()

    def broken_writer(*args, **kwargs):
        raise OSError("Datenträger voll")

    monkeypatch.setattr(geo.exchange.geocode.csv, "writer", broken_writer)
    with pytest.raises(OSError):
        run(tmp_path, server, [offer("a", "Königstraße 13, Minden"), offer("b", "Tonstraße 10, Minden")])
    assert (tmp_path / "cache.csv").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["angebote.csv", "cache.csv"]  # no temporary file left


def test_semicolon_windows_1252_file_keeps_its_format(tmp_path):
    offers = tmp_path / "angebote.csv"
    offers.write_bytes("id;name;adresse;lat;lon;lage_genauigkeit;quelle\r\n"
                       "k;Caritas;Königstraße 13, Minden;;;unbekannt;Quelle\r\n"
                       "m;Müller;Tonstraße 10, Minden;52,29;8,91;adresse;Quelle\r\n".encode("cp1252"))
    out = tmp_path / "neu.csv"
    geocode_offers(offers, tmp_path / "cache.csv", URL, fetch=FakeServer({"Königstraße 13": answer("koenigstrasse_13")}),
                   sleep=lambda s: None, today=DAY, apply_to=out)
    lines = out.read_bytes().decode("cp1252").split("\r\n")
    assert lines[0] == "id;name;adresse;lat;lon;lage_genauigkeit;quelle"
    assert lines[1].startswith('k;Caritas;Königstraße 13, Minden;52.289300;8.910500;adresse;"Quelle; Koordinate: ')
    assert lines[2] == "m;Müller;Tonstraße 10, Minden;52,29;8,91;adresse;Quelle"


def test_broken_cache_row_names_file_and_row(tmp_path):
    cache = tmp_path / "cache.csv"
    cache.write_text(",".join(geo.exchange.geocode.CACHE_COLUMNS) + "\nWeg 1,abc,8.9,,,,,,,,\n", encoding="utf-8")
    with pytest.raises(geo.exchange.geocode.GeocodeError, match=r"cache.csv, Zeile 2: lat/lon"):
        read_cache(cache)


# --------------------------------------------------------------------------- command line

def test_command_without_url_asks_nothing_and_prints_the_hint(capsys, monkeypatch, tmp_path):
    monkeypatch.delenv("QK_GEOCODER_URL", raising=False)
    monkeypatch.setattr(geo.exchange.geocode, "fetch_nominatim", lambda *a, **k: pytest.fail("no request without a URL"))
    monkeypatch.setattr(urllib.request, "urlopen", lambda *a, **k: pytest.fail("no request without a URL"))
    assert main(["geocode", "--cache", str(tmp_path / "cache.csv")]) == 2
    err = capsys.readouterr().err
    assert "Geocodierung ist aus" in err and "QK_GEOCODER_URL" in err and "--url" in err
    assert not (tmp_path / "cache.csv").exists()


def test_command_with_url_prints_the_summary_with_offer_ids(capsys, monkeypatch, tmp_path):
    write_offers(tmp_path / "angebote.csv", [offer("caritas", "Königstraße 13, Minden"),
                                             offer("ewerk", "Hermannstraße 21, Minden")])
    server = FakeServer({"Königstraße 13": answer("koenigstrasse_13"), "Hermannstraße 21": answer("porta_westfalica")})
    monkeypatch.setattr(geo.exchange.geocode, "fetch_nominatim", server)
    monkeypatch.setattr(geo.exchange.geocode.time, "sleep", lambda s: None)
    monkeypatch.setenv("QK_GEOCODER_URL", URL)
    out = tmp_path / "neu.csv"
    code = main(["geocode", "--angebote", str(tmp_path / "angebote.csv"), "--cache", str(tmp_path / "cache.csv"),
                 "--apply", "-o", str(out)])
    text = capsys.readouterr().out
    assert code == 0 and len(server.calls) == 2 and out.exists()
    assert "angefragt 2, aus dem Cache 0, übernommen 1, nicht übernommen 1." in text
    assert "übernommen mit Hausnummer (adresse): caritas" in text
    assert "nicht übernommen – außerhalb Minden: 1\n    ewerk: Treffer (52.24500, 8.92000) liegt außerhalb Minden" in text


def test_command_refuses_to_overwrite_the_offers_file_and_reports_a_missing_file(capsys, tmp_path):
    offers = tmp_path / "angebote.csv"
    assert main(["geocode", "--url", URL, "--angebote", str(offers), "--apply", "-o", str(offers)]) == 2
    assert "Angebotsdatei selbst" in capsys.readouterr().err
    assert main(["geocode", "--url", URL, "--angebote", str(offers), "--cache", str(tmp_path / "c.csv")]) == 1
    assert "angebote.csv: Datei kann nicht gelesen werden" in capsys.readouterr().err


def test_apply_without_quelle_column_fails_before_any_request(tmp_path):
    offers = tmp_path / "angebote.csv"
    offers.write_text("id,adresse,lat,lon,lage_genauigkeit\na,\"Königstraße 13, Minden\",,,unbekannt\n", encoding="utf-8")
    server = FakeServer({})
    with pytest.raises(geo.exchange.geocode.GeocodeError, match="angebote.csv: Spalten fehlen: quelle"):
        geocode_offers(offers, tmp_path / "cache.csv", URL, fetch=server, sleep=lambda s: None, apply_to=tmp_path / "o.csv")
    assert server.calls == [] and not (tmp_path / "o.csv").exists()
