"""geo.geocode offline: recorded Nominatim answers (jsonv2), a fake transport and a fake clock."""
import csv
import json
from datetime import date
from pathlib import Path

import pytest

from geo.__main__ import main
from geo.geocode import AddressQuery, geocode_offers, parse_response, query_for_address, read_cache
from geo.http import HttpJsonError

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "nominatim"
URL = "https://nominatim.example/search"
HEADER = ["id", "name", "handlungsfeld", "adresse", "stadtteil", "lat", "lon", "lage_genauigkeit", "quelle"]


def answer(name: str):
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


class FakeServer:
    """Answers by street; counts calls."""

    def __init__(self, by_street: dict[str, object]):
        self.by_street = by_street
        self.calls: list[dict] = []

    def __call__(self, url: str, params: dict) -> object:
        self.calls.append(params)
        value = self.by_street[params["street"]]
        if isinstance(value, Exception):
            raise value
        return value


def write_offers(path: Path, rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=HEADER, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: row.get(k, "") for k in HEADER})


def offer(id_: str, adresse: str, lage: str = "unbekannt", **extra) -> dict:
    return {"id": id_, "name": id_, "handlungsfeld": "Bildung", "adresse": adresse, "lage_genauigkeit": lage,
            "quelle": "Test", **extra}


@pytest.mark.parametrize("address, expected", [
    ("Königstraße 13, 32423 Minden", AddressQuery("Königstraße 13", "32423")),
    ("Hohenzollernring 36, Minden", AddressQuery("Hohenzollernring 36")),
    ("Integrationsbüro, Lindenstraße 36, 32423 Minden", AddressQuery("Lindenstraße 36", "32423")),
    ("Kaiserstraße, Minden (Hausnummer in der Quelle nicht angegeben)", AddressQuery("Kaiserstraße")),
    ("", None),
    ("Bildungszentrum am Weingarten", None),
])
def test_query_for_address(address, expected):
    assert query_for_address(address) == expected


def test_match_levels_from_recorded_answers():
    q = AddressQuery("Königstraße 13", "32423")
    house = parse_response(answer("koenigstrasse_13"), q, "u", "2026-11-24")
    assert (house.precision, house.lat, house.lon) == ("adresse", 52.2893, 8.9105)
    road = parse_response(answer("hohenzollernring"), AddressQuery("Hohenzollernring 36"), "u", "2026-11-24")
    assert road.precision == "strasse"
    assert parse_response(answer("empty"), q, "u", "2026-11-24") is None


def test_run_uses_good_hits_rejects_others_and_applies_without_downgrading(tmp_path):
    offers = tmp_path / "angebote.csv"
    write_offers(offers, [
        offer("caritas", "Königstraße 13, 32423 Minden", "stadtteil", lat="52.291389", lon="8.913056"),
        offer("tafel", "Hohenzollernring 36, Minden"),
        offer("ewerk", "Hermannstraße 21, Minden"),
        offer("leer", "Gibtsnichtweg 1, Minden"),
        offer("theater", "Tonhallenstraße 3, 32423 Minden", "adresse", lat="52.287222", lon="8.918611"),
        offer("formel", "=HYPERLINK(1) Wall 1, Minden"),
    ])
    server = FakeServer({"Königstraße 13": answer("koenigstrasse_13"), "Hohenzollernring 36": answer("hohenzollernring"),
                         "Hermannstraße 21": answer("porta_westfalica"), "Gibtsnichtweg 1": answer("empty"),
                         "=HYPERLINK Wall 1": answer("empty")})
    sleeps: list[float] = []
    out = tmp_path / "neu.csv"
    report = geocode_offers(offers, tmp_path / "cache.csv", URL, fetch=server, sleep=sleeps.append,
                            today=date(2026, 11, 24), apply_to=out)
    assert report.used == {"caritas": "adresse", "tafel": "strasse"}
    assert report.rejected == {"ewerk": "Treffer (52.24500, 8.92000) liegt außerhalb Minden", "leer": "kein Treffer",
                               "formel": "kein Treffer"}
    assert len(server.calls) == 5 and "theater" not in str(server.calls)  # already at an address: not asked
    assert sleeps == [1.0] * 4  # one request per second
    rows = {r["id"]: r for r in csv.DictReader(out.open(encoding="utf-8"))}
    assert (rows["caritas"]["lat"], rows["caritas"]["lon"], rows["caritas"]["lage_genauigkeit"]) == ("52.289300", "8.910500", "adresse")
    assert "Nominatim/OpenStreetMap (ODbL 1.0, © OpenStreetMap-Mitwirkende), abgefragt am 2026-11-24" in rows["caritas"]["quelle"]
    assert rows["tafel"]["lage_genauigkeit"] == "strasse"
    assert rows["theater"]["lat"] == "52.287222" and rows["ewerk"]["lage_genauigkeit"] == "unbekannt"
    assert rows["formel"]["adresse"] == "'=HYPERLINK(1) Wall 1, Minden"  # formula guard on output

    # second run: everything comes from the cache, nothing is asked
    again = FakeServer({})
    report2 = geocode_offers(offers, tmp_path / "cache.csv", URL, fetch=again, sleep=sleeps.append)
    assert again.calls == [] and sorted(report2.cached) == ["caritas", "ewerk", "formel", "leer", "tafel"]
    cache = read_cache(tmp_path / "cache.csv")
    assert cache["Königstraße 13, 32423, Minden"].source.startswith(URL + "?street=K%C3%B6nigstra%C3%9Fe+13")


def test_repeated_failures_stop_the_run_and_write_nothing(tmp_path):
    offers = tmp_path / "angebote.csv"
    write_offers(offers, [offer(f"o{i}", f"Weg {i}, Minden") for i in range(5)])
    down = HttpJsonError("Der Geocoding-Server x antwortete mit HTTP 503 (Server überlastet).", 503)
    server = FakeServer({f"Weg {i}": down for i in range(5)})
    report = geocode_offers(offers, tmp_path / "cache.csv", URL, fetch=server, sleep=lambda s: None)
    assert len(server.calls) == 3 and report.errors[-1] == "Abbruch nach 3 Fehlern in Folge."
    assert not (tmp_path / "cache.csv").exists()


def test_command_without_url_asks_nothing(capsys, monkeypatch):
    monkeypatch.delenv("QK_GEOCODER_URL", raising=False)
    import geo.geocode
    monkeypatch.setattr(geo.geocode, "fetch_nominatim", lambda *a, **k: pytest.fail("no request without a URL"))
    assert main(["geocode"]) == 2
    assert "Geocodierung ist aus" in capsys.readouterr().err
