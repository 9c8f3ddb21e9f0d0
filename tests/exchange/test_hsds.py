"""geo.exchange.hsds: the offers as Open Referral HSDS 3.0 services, valid against the published schema.

The schemas live beside the checkout (``../shared/hsds/schema``, see its README) and are not copied
into the project; without them the schema tests are skipped with the reason printed.
"""
from __future__ import annotations

import json
import re
import uuid
from datetime import date, datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import loaded_offers, metric_point_as_latlon

from geo.config import HANDLUNGSFELDER, load_settings
from geo.data.offers import STATUS_WERTE
from geo.dataset import load_dataset
from geo.exchange.hsds import (
    HSDS_NAMESPACE,
    STATUS_MAP,
    TAXONOMY_ANGABEN,
    TAXONOMY_HANDLUNGSFELDER,
    TAXONOMY_ZIELGRUPPEN,
    hsds_json,
    hsds_status,
    language_code,
    offers_to_hsds,
    split_address,
    taxonomy_details,
    weekly_rules,
)

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_DIR = Path(__file__).resolve().parents[3] / "shared" / "hsds" / "schema"  # = ROOT.parent / "shared" / …
TODAY = date(2026, 12, 1)
LAT, LON = metric_point_as_latlon(491000, 5794500)  # Minden, near the centre
HOSTILE = "<img src=x onerror=alert(1)>"

_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


def _is_uri(value: object) -> bool:
    """Stand-in for the ``uri`` format (jsonschema checks it only with the optional rfc3987 package):
    ASCII, no spaces or quotes, a scheme, and for http(s) a host."""
    if not isinstance(value, str):
        return True
    if not value.isascii() or re.search(r"[\s\"<>\\^`{|}]", value):
        return False
    parts = urlsplit(value)
    if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*$", parts.scheme or ""):
        return False
    return bool(parts.hostname) if parts.scheme.lower() in ("http", "https") else True


def _is_date_time(value: object) -> bool:
    """Stand-in for ``date-time`` (jsonschema checks it only with the optional rfc3339-validator package)."""
    if not isinstance(value, str):
        return True
    if not _RFC3339.match(value):
        return False
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return False
    return True


@pytest.fixture(scope="module")
def schema() -> dict:
    path = SCHEMA_DIR / "service.json"
    if not path.is_file():
        reason = f"HSDS schema not found at {path} (expected ../shared/hsds/schema beside the checkout)"
        print(reason)
        pytest.skip(reason)
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def validator(schema):
    """Draft 2020-12 validator with format checks; built once per module (the schema is 2.3 MB)."""
    from jsonschema import Draft202012Validator, FormatChecker

    checker = FormatChecker()
    # jsonschema checks uri and date-time only when optional packages are installed; the stand-ins keep
    # those formats checked either way (the installed checkers win when present).
    if "uri" not in checker.checkers:
        checker.checks("uri")(_is_uri)
    if "date-time" not in checker.checkers:
        checker.checks("date-time")(_is_date_time)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=checker)


@pytest.fixture(scope="module")
def dataset():
    return load_dataset(load_settings({}))


@pytest.fixture(scope="module")
def shipped_services(dataset):
    return offers_to_hsds(dataset.offers, dataset.districts, today=TODAY)


def schema_errors(validator, services: list[dict]) -> list[str]:
    return [f"{service.get('name')!r} at {'/'.join(map(str, error.absolute_path)) or '(top)'}: {error.message}"
            for service in services for error in validator.iter_errors(service)]


def offers_frame(*rows: dict[str, str]):
    """Offers loaded from CSV rows (missing columns empty) through the real loader."""
    return loaded_offers(list(rows))


def offer(id_: str, **values: str) -> dict[str, str]:
    row = {"id": id_, "name": f"Angebot {id_}", "handlungsfeld": "Bildung", "lat": f"{LAT:.6f}", "lon": f"{LON:.6f}",
           "lage_genauigkeit": "adresse", "quelle": "Test", "zuletzt_geprueft": "2026-11"}
    row.update(values)
    if row["lage_genauigkeit"] == "unbekannt" and "lat" not in values:
        row["lat"] = row["lon"] = ""
    return row


def walk(node, key: str):
    """Every value stored under ``key`` anywhere in a nested structure."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k == key:
                yield v
            yield from walk(v, key)
    elif isinstance(node, list):
        for item in node:
            yield from walk(item, key)


def terms(service: dict, taxonomy: str) -> dict[str, dict]:
    return {a["taxonomy_term"]["code"]: a for a in service["attributes"] if a["taxonomy_term"]["taxonomy"] == taxonomy}


@pytest.fixture(scope="module")
def sample():
    """Hand-made offers covering the mappings; by id."""
    frame = offers_frame(
        offer("voll", name=HOSTILE, traeger="Verein A e.V.", handlungsfeld="Bildung",
              zielgruppen="Kinder;Familien;Männer", sprachen="Deutsch;Arabisch;Dari;Persisch;Tigrinya;Klingonisch",
              kosten="kostenlos", website="javascript:alert(1)", telefon="0571 89155 (Stand 2016)",
              oeffnungszeiten="Tu,Fr 09:00-12:00,12:30-14:30", adresse="Am Exerzierplatz 7 (3. Etage), 32423 Minden",
              beschreibung='=HYPERLINK("http://evil","x") <b>fett</b>', status="aktiv", zuletzt_geprueft="2026-11-03",
              stand_quelle="2025", barrierefrei="ja"),
        offer("ohne-ort", traeger="Verein A e.V.", handlungsfeld="Wohnen", lage_genauigkeit="unbekannt",
              adresse="Hafenstraße 16 (Stand 2016)", kosten="unbekannt", status="beendet", zuletzt_geprueft="2020",
              barrierefrei="nein"),
        offer("bezugspunkt", handlungsfeld="Arbeitsmarktintegration", lage_genauigkeit="stadtteil",
              stadtteil="Innenstadt",
              adresse="Lindenstraße 36, Minden", kosten="2 Euro je Erwachsenem, 1 Euro je Kind",
              website="https://www.minden.de/integration", status="unklar", zuletzt_geprueft=""),
        offer("leer", traeger="", handlungsfeld="Zusammenleben und Teilhabe", lage_genauigkeit="unbekannt",
              status="umgezogen", oeffnungszeiten="Mo-Fr 09:00-12:00; PH off"),
    )
    services = offers_to_hsds(frame, today=TODAY)
    return frame, {row_id: s for row_id, s in zip(frame["id"], services)}


# --- the shipped data -----------------------------------------------------------------------------------------------

def test_every_shipped_offer_is_a_valid_hsds_service(validator, dataset, shipped_services):
    assert len(shipped_services) == len(dataset.offers) > 0
    errors = schema_errors(validator, shipped_services)
    assert not errors, "\n".join(errors[:20])


def test_shipped_export_as_json_is_valid_too(validator, dataset):
    services = json.loads(hsds_json(dataset.offers, dataset.districts, today=TODAY).decode("utf-8"))
    assert len(services) == len(dataset.offers)
    assert not schema_errors(validator, services)


def test_hand_made_services_are_valid(validator, sample):
    assert not schema_errors(validator, list(sample[1].values()))


def test_the_format_checks_are_active(validator):
    """A wrong uuid, URL and status are caught: the validator really checks formats and enums."""
    bad = {"id": "not-a-uuid", "name": "x", "status": "aktiv", "url": "javascript:alert(1) x",
           "last_modified": "2026-11"}
    messages = " ".join(e.message for e in validator.iter_errors(bad))
    assert "uuid" in messages and "uri" in messages and "date-time" in messages and "aktiv" in messages


def test_taxonomies_are_valid_taxonomy_objects(schema):
    from jsonschema import Draft202012Validator, FormatChecker

    detail_schema = (schema["properties"]["attributes"]["items"]["properties"]["taxonomy_term"]["properties"]
                     ["taxonomy_detail"])
    details = taxonomy_details()
    assert {d["name"] for d in details} == {TAXONOMY_HANDLUNGSFELDER, TAXONOMY_ZIELGRUPPEN, TAXONOMY_ANGABEN}
    for detail in details:
        assert not list(Draft202012Validator(detail_schema, format_checker=FormatChecker()).iter_errors(detail))


def test_one_id_means_one_record(shipped_services):
    """Service ids are unique; an id used twice (a shared Träger, a taxonomy term) always carries the same record."""
    assert len({s["id"] for s in shipped_services}) == len(shipped_services)
    seen: dict[str, str] = {}
    for record in (r for s in shipped_services for r in _records(s)):
        body = json.dumps(record, sort_keys=True, ensure_ascii=False)
        assert seen.setdefault(record["id"], body) == body, record["id"]


def _records(node):
    if isinstance(node, dict):
        if "id" in node:
            yield node
        for value in node.values():
            yield from _records(value)
    elif isinstance(node, list):
        for item in node:
            yield from _records(item)


def test_one_organization_per_traeger_name(dataset, shipped_services):
    names = {" ".join(str(t).split()) for t in dataset.offers["traeger"] if str(t).strip()}
    orgs = {s["organization"]["id"]: s["organization"]["name"] for s in shipped_services if "organization" in s}
    assert sorted(orgs.values()) == sorted(names)
    for service in shipped_services:
        if "organization" in service:
            assert service["organization_id"] == service["organization"]["id"]


def test_only_address_and_street_points_are_exported_as_coordinates(dataset, shipped_services):
    # a district reference point in HSDS would be shown as the exact place by consumers (no precision field)
    for (_, row), service in zip(dataset.offers.iterrows(), shipped_services):
        located = row["lage_genauigkeit"] in ("adresse", "strasse")
        latitudes = list(walk(service, "latitude"))
        assert bool(latitudes) == located, row["id"]
        if located:
            assert latitudes == [pytest.approx(row["lat"])]
            assert list(walk(service, "longitude")) == [pytest.approx(row["lon"])]
        elif row["lage_genauigkeit"] == "unbekannt":
            assert not list(walk(service, "addresses"))


def test_district_reference_points_are_called_so(dataset, shipped_services):
    for (_, row), service in zip(dataset.offers.iterrows(), shipped_services):
        if row["lage_genauigkeit"] != "stadtteil":
            continue
        location = service["service_at_locations"][0]["location"]
        assert "Bezugspunkt" in location["description"]
        assert "keine Koordinate" in location["description"] and "latitude" not in location
        assert terms(location, TAXONOMY_ANGABEN)["lage_genauigkeit"]["value"] == "stadtteil"


# --- mappings on hand-made offers -----------------------------------------------------------------------------------

def test_languages_get_iso_codes_and_unknown_names_keep_their_name(sample):
    languages = sample[1]["voll"]["languages"]
    assert [(lang["name"], lang.get("code")) for lang in languages] == [
        ("Deutsch", "de"), ("Arabisch", "ar"), ("Dari", "prs"), ("Persisch", "fa"), ("Tigrinya", "ti"),
        ("Klingonisch", None)]
    assert "code" not in languages[-1]


@pytest.mark.parametrize("name, code", [
    ("Deutsch", "de"), ("Englisch", "en"), ("Arabisch", "ar"), ("Persisch", "fa"), ("Farsi", "fa"), ("Dari", "prs"),
    ("Russisch", "ru"), ("Ukrainisch", "uk"), ("Türkisch", "tr"), ("Tuerkisch", "tr"), ("Kurdisch", "ku"),
    ("Französisch", "fr"), ("Polnisch", "pl"), ("Rumänisch", "ro"), ("Bulgarisch", "bg"), ("Tigrinya", "ti"),
    ("arabisch", "ar"), ("Klingonisch", None), ("", None),
])
def test_language_codes(name, code):
    assert language_code(name) == code


def test_free_cost_and_cost_text(sample):
    services = sample[1]
    free = services["voll"]
    assert free["fees_description"] == "kostenlos"
    assert free["cost_options"] == [{"id": free["cost_options"][0]["id"], "service_id": free["id"], "amount": 0,
                                     "currency": "EUR", "amount_description": "kostenlos"}]
    priced = services["bezugspunkt"]
    assert priced["fees_description"] == "2 Euro je Erwachsenem, 1 Euro je Kind"
    assert "cost_options" not in priced  # amounts are not parsed out of text
    assert "fees_description" not in services["ohne-ort"] and "cost_options" not in services["ohne-ort"]  # "unbekannt"
    assert "fees_description" not in services["leer"]  # empty


def test_handlungsfeld_and_zielgruppen_as_taxonomy_terms(sample):
    services = sample[1]
    field = terms(services["voll"], TAXONOMY_HANDLUNGSFELDER)
    assert list(field) == ["bildung"]
    assert field["bildung"]["taxonomy_term"]["name"] == "Bildung"
    assert field["bildung"]["link_id"] == services["voll"]["id"] and field["bildung"]["link_entity"] == "service"
    assert field["bildung"]["taxonomy_term_id"] == field["bildung"]["taxonomy_term"]["id"]
    assert list(terms(services["ohne-ort"], TAXONOMY_HANDLUNGSFELDER)) == ["wohnen"]
    assert list(terms(services["bezugspunkt"], TAXONOMY_HANDLUNGSFELDER)) == ["arbeit"]
    groups = terms(services["voll"], TAXONOMY_ZIELGRUPPEN)
    assert list(groups) == ["kinder", "familien"]  # "Männer" is not in the vocabulary …
    assert services["voll"]["eligibility_description"] == "Kinder; Familien; Männer"  # … but kept as text
    assert not terms(services["leer"], TAXONOMY_ZIELGRUPPEN)


def test_the_four_handlungsfelder_have_one_term_each(shipped_services):
    ids = {}
    for service in shipped_services:
        for code, attribute in terms(service, TAXONOMY_HANDLUNGSFELDER).items():
            ids.setdefault(code, set()).add(attribute["taxonomy_term"]["id"])
    assert set(ids) <= {hf.key for hf in HANDLUNGSFELDER}
    assert all(len(v) == 1 for v in ids.values())


def test_offer_without_place_has_no_coordinates_and_no_address(sample):
    service = sample[1]["ohne-ort"]
    assert not list(walk(service, "latitude")) and not list(walk(service, "longitude"))
    assert not list(walk(service, "addresses"))
    location = service["service_at_locations"][0]["location"]
    assert "Ort unbekannt" in location["description"] and "Hafenstraße 16 (Stand 2016)" in location["description"]
    assert terms(location, TAXONOMY_ANGABEN)["lage_genauigkeit"]["value"] == "unbekannt"
    assert terms(service, TAXONOMY_ANGABEN)["barrierefrei"]["value"] == "nein"  # no place: kept as an attribute
    assert "service_at_locations" not in sample[1]["leer"]  # neither place nor address: no location at all


def test_located_offer_has_coordinates_and_a_split_address(sample):
    location = sample[1]["voll"]["service_at_locations"][0]["location"]
    assert location["latitude"] == pytest.approx(LAT) and location["longitude"] == pytest.approx(LON)
    address = location["addresses"][0]
    assert (address["address_1"], address["postal_code"], address["city"], address["country"]) == (
        "Am Exerzierplatz 7 (3. Etage)", "32423", "Minden", "DE")
    assert location["accessibility"][0]["description"] == "barrierefrei (laut Quelle)"
    reference = sample[1]["bezugspunkt"]["service_at_locations"][0]["location"]
    assert "Bezugspunkt des Stadtteils" in reference["description"] and "Innenstadt" in reference["description"]
    assert reference["addresses"][0]["postal_code"] == ""  # not in the text: not guessed


@pytest.mark.parametrize("text, expected", [
    ("Am Exerzierplatz 7 (3. Etage), 32423 Minden",
     {"address_1": "Am Exerzierplatz 7 (3. Etage)", "postal_code": "32423"}),
    ("Wilmersdorfer Weg 5, Minden (Stadtteiltreff)",
     {"address_1": "Wilmersdorfer Weg 5", "postal_code": "", "address_2": "(Stadtteiltreff)"}),
    ("Integrationsbüro, Lindenstraße 36, 32423 Minden",
     {"address_1": "Integrationsbüro, Lindenstraße 36", "postal_code": "32423"}),
    ("Mindener Straße 3, Porta", {"address_1": "Mindener Straße 3, Porta", "postal_code": ""}),
    ("Strothmann-Villa (Hausnummer nicht genannt)",
     {"address_1": "Strothmann-Villa (Hausnummer nicht genannt)", "postal_code": ""}),
])
def test_split_address(text, expected):
    assert split_address(text) == expected


def test_javascript_website_is_dropped(sample):
    services = sample[1]
    assert "url" not in services["voll"]
    assert "javascript" not in json.dumps(services["voll"])
    assert services["bezugspunkt"]["url"] == "https://www.minden.de/integration"


def test_phone_keeps_the_number_and_the_note(sample):
    phone = sample[1]["voll"]["phones"][0]
    assert phone["number"] == "0571 89155" and phone["description"] == "0571 89155 (Stand 2016)"
    assert phone["service_id"] == sample[1]["voll"]["id"]


def test_ids_are_stable_uuid5(sample):
    frame, by_id = sample
    again = offers_to_hsds(frame, today=TODAY)
    assert again == list(by_id.values())
    reversed_order = offers_to_hsds(frame.iloc[::-1], today=TODAY)
    assert {s["id"] for s in reversed_order} == {s["id"] for s in again}
    service = by_id["voll"]
    assert service["id"] == str(uuid.uuid5(HSDS_NAMESPACE, "service:voll"))
    assert uuid.UUID(service["id"]).version == 5
    assert by_id["voll"]["organization"]["id"] == by_id["ohne-ort"]["organization"]["id"]  # same Träger
    assert "organization" not in by_id["leer"] and "organization_id" not in by_id["leer"]


def test_hostile_text_is_kept_verbatim_as_data(sample):
    service = sample[1]["voll"]
    assert service["name"] == HOSTILE
    assert service["description"] == '=HYPERLINK("http://evil","x") <b>fett</b>'
    raw = hsds_json(sample[0], today=TODAY)
    assert HOSTILE.encode("utf-8") in raw and b"&lt;" not in raw
    assert json.loads(raw.decode("utf-8"))[0]["name"] == HOSTILE


@pytest.mark.parametrize("status, expected", [("aktiv", "active"), ("unklar", "active"), ("umgezogen", "active"),
                                              ("beendet", "inactive"), ("irgendwas", "active")])
def test_status_mapping(status, expected):
    assert hsds_status(status) == expected


def test_status_mapping_covers_the_vocabulary_and_keeps_the_original(schema, sample):
    allowed = set(schema["properties"]["status"]["enum"])
    assert set(STATUS_MAP) == set(STATUS_WERTE) and set(STATUS_MAP.values()) <= allowed
    services = sample[1]
    assert services["ohne-ort"]["status"] == "inactive"
    assert terms(services["ohne-ort"], TAXONOMY_ANGABEN)["status"]["value"] == "beendet"
    assert "Beendet laut Quelle" in services["ohne-ort"]["alert"]
    assert "nicht bestätigt" in services["bezugspunkt"]["alert"]
    assert "Umgezogen" in services["leer"]["alert"]


def test_dates_only_where_the_schema_type_fits(sample):
    services = sample[1]
    assert services["voll"]["assured_date"] == "2026-11-03"
    assert "assured_date" not in services["ohne-ort"]  # "2020" is no date; not padded to 2020-01-01
    assert terms(services["ohne-ort"], TAXONOMY_ANGABEN)["zuletzt_geprueft"]["value"] == "2020"
    assert terms(services["voll"], TAXONOMY_ANGABEN)["stand_quelle"]["value"] == "2025"
    assert not list(walk(services, "last_modified")) and not list(walk(services, "metadata"))
    assert "veraltet" in services["ohne-ort"]["alert"] and "alert" not in services["voll"]
    assert "Kein Prüfdatum" in services["bezugspunkt"]["alert"]


def test_plain_weekly_hours_become_structured_schedules(sample):
    schedules = sample[1]["voll"]["schedules"]
    assert [(s["freq"], s["byday"], s["opens_at"], s["closes_at"]) for s in schedules] == [
        ("WEEKLY", "TU,FR", "09:00", "12:00"), ("WEEKLY", "TU,FR", "12:30", "14:30")]
    assert all(s["description"] == "Tu,Fr 09:00-12:00,12:30-14:30" for s in schedules)


def test_other_hours_are_kept_as_text_only(sample):
    schedules = sample[1]["leer"]["schedules"]
    assert len(schedules) == 1 and schedules[0]["description"] == "Mo-Fr 09:00-12:00; PH off"
    assert not {"freq", "byday", "opens_at", "closes_at"} & set(schedules[0])


@pytest.mark.parametrize("hours, expected", [
    ("Mo-Fr 09:00-12:00", [(("Mo", "Tu", "We", "Th", "Fr"), "09:00", "12:00")]),
    ("Sa-Mo 10:00-12:00", [(("Sa", "Su", "Mo"), "10:00", "12:00")]),
    ("Mo 08:00-10:00; We 14:00-16:00", [(("Mo",), "08:00", "10:00"), (("We",), "14:00", "16:00")]),
    ("Mo-Fr 09:00-12:00; PH off", None),      # holidays: no RRULE field for them
    ("Mo 09:00-12:00; Mo 14:00-16:00", None),  # the later rule replaces the earlier one in opening_hours
    ("Mo 22:00-02:00", None),                  # past midnight
    ("Mo 09:00-12:00,11:00-13:00", None),      # overlapping
    ("Jan-Mar Mo 09:00-12:00", None),
    ("nach Vereinbarung", None),
    ("24/7", None),
    ("", None),
])
def test_weekly_rules(hours, expected):
    assert weekly_rules(hours) == expected


@pytest.mark.parametrize("website, url", [
    ("https://www.minden.de/Eröffnung?q=ä", "https://www.minden.de/Er%C3%B6ffnung?q=%C3%A4"),
    ("https://bürgerhaus-minden.de/", "https://xn--brgerhaus-minden-jzb.de/"),
    ("www.minden.de", None),
    ('=HYPERLINK("http://evil","x")', None),
])
def test_website_becomes_an_ascii_uri_or_nothing(validator, website, url):
    (service,) = offers_to_hsds(offers_frame(offer("w", website=website)), today=TODAY)
    assert service.get("url") == url
    assert not schema_errors(validator, [service])
