"""The offers as Open Referral HSDS 3.0 ``service`` objects, for other directories and referral systems.

One offer becomes one service with everything nested in it (the Träger as
``organization``, the place as ``service_at_locations[].location``, schedules,
languages, costs, phone, and the project's own classifications as
``attributes``). Validated in the tests against ``service.json`` of the HSDS
3.0 compiled schemas.

What the export does and does not claim:

* **Ids** are UUIDs derived with :func:`uuid.uuid5` from :data:`HSDS_NAMESPACE`
  and the offer id (``"service:<id>"``, ``"location:<id>"`` …), so the same
  offers give the same ids in every export. A Träger's id comes from its name:
  offers with the same Träger text share one organization.
* **Places**: latitude/longitude only for offers with a place
  (``lage_genauigkeit`` not ``unbekannt``). HSDS has no field for the
  precision of a coordinate, so ``lage_genauigkeit`` is written out twice:
  in words in ``location.description`` (a district reference point is
  called a reference point, not an address) and as an attribute of the
  taxonomy :data:`TAXONOMY_ANGABEN`. An offer whose place is unknown gets no
  coordinate and no structured address; an address text it may still have
  (e.g. an old one) is quoted in the location description as unconfirmed.
* **Addresses** are split only where the text allows it: ``"<street>,
  [PLZ] Minden[ rest]"``. The postal code is taken from the text and never
  guessed (Minden has four); HSDS requires the key, so an unknown postal code
  is an empty string.
* **Status** (schema enum ``active``, ``inactive``, ``defunct``,
  ``temporarily closed``): see :data:`STATUS_MAP`. The original value is kept
  as an attribute and explained in ``alert``.
* **Schedules**: the ``oeffnungszeiten`` text (OpenStreetMap opening_hours)
  is always the schedule ``description``. Weekly RRULE fields (``freq``,
  ``byday``, ``opens_at``, ``closes_at``) are added only for the plain form
  ``Tu,Fr 09:00-12:00,12:30-14:30`` (weekdays and times, each day in one rule),
  and only if the opening_hours parser gives exactly the same open times for a
  reference week. Times are local (Europe/Berlin); no UTC offset is attached
  because it changes with daylight saving time.
* **Dates**: ``zuletzt_geprueft`` is ``assured_date`` only when it is a full
  ``YYYY-MM-DD`` date (HSDS dates have no "year only" form; nothing is padded).
  ``zuletzt_geprueft`` and ``stand_quelle`` are always kept as text attributes.
  ``last_modified`` and ``metadata`` (a change log: who changed which field
  from what to what) stay empty: the offer table records no changes.

Text is data: nothing is HTML-escaped and nothing is formula-neutralised.
"""
from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from urllib.parse import quote, urlsplit, urlunsplit

import opening_hours
import pandas as pd

from geo.config import HANDLUNGSFELD_BY_NAME, HANDLUNGSFELDER
from geo.data.attributes import JA, NEIN, TIMEZONE, ZIELGRUPPEN, cell_text, split_list, target_groups
from geo.data.districts import is_schematic
from geo.data.offers import UNDATED, data_age
from geo.exchange.geojson_export import offer_points
from geo.i18n import t
from geo.render.offer_view import STALE_AFTER_MONTHS
from geo.text import safe_http_url, search_key, tel_href

HSDS_NAMESPACE = uuid.UUID("3f0b8a52-5c1e-5d43-9d0e-6b1c2a7e4f19")
"""Fixed namespace of every uuid5 in the export. Never change it: the ids of all exported records depend on it."""

CITY = "Minden"
STATE_PROVINCE = "Nordrhein-Westfalen"
REGION = "Kreis Minden-Lübbecke"
COUNTRY = "DE"

TAXONOMY_HANDLUNGSFELDER = "Quartierskarte Minden – Handlungsfelder"
TAXONOMY_ZIELGRUPPEN = "Quartierskarte Minden – Zielgruppen"
TAXONOMY_ANGABEN = "Quartierskarte Minden – Weitere Angaben"
"""Key/value attributes for offer columns HSDS has no field for (term = column, ``value`` = the cell as written)."""

STATUS_MAP = {"aktiv": "active", "unklar": "active", "umgezogen": "active", "beendet": "inactive"}
"""``status`` → HSDS ``status``.

* ``aktiv`` (a source from 2023 or later confirms it) → ``active``.
* ``unklar`` (no recent confirmation) → ``active``: HSDS has no "unknown", and
  nothing says the offer ended; ``alert`` says that it is not confirmed.
* ``umgezogen`` (moved; ``adresse`` is the newest one) → ``active``, with an alert.
* ``beendet`` (a source says it ended) → ``inactive``, not ``defunct``: in the
  data these are mostly seasonal or fixed-term offers (winter rooms, a winter
  shelter) that may come back; nothing says the service is gone for good.
"""
UNKNOWN_STATUS = "active"

LANGUAGE_CODES: dict[str, str] = {
    # ISO 639-1 where one exists, otherwise ISO 639-3 (HSDS: "The ISO 639-1 or ISO 639-3 code")
    "Deutsch": "de", "Englisch": "en", "Arabisch": "ar", "Persisch": "fa", "Farsi": "fa", "Dari": "prs",
    "Russisch": "ru", "Ukrainisch": "uk", "Türkisch": "tr", "Kurdisch": "ku", "Französisch": "fr",
    "Polnisch": "pl", "Rumänisch": "ro", "Bulgarisch": "bg", "Tigrinya": "ti", "Tigrinja": "ti",
    "Spanisch": "es", "Italienisch": "it", "Portugiesisch": "pt", "Albanisch": "sq", "Serbisch": "sr",
    "Kroatisch": "hr", "Bosnisch": "bs", "Griechisch": "el", "Paschtu": "ps", "Paschto": "ps", "Urdu": "ur",
    "Somali": "so", "Amharisch": "am", "Vietnamesisch": "vi", "Chinesisch": "zh", "Ungarisch": "hu",
    "Niederländisch": "nl", "Georgisch": "ka", "Armenisch": "hy", "Kurmandschi": "kmr", "Sorani": "ckb",
    "Deutsche Gebärdensprache": "gsg",
}
"""German language names as written in ``sprachen`` → code. Matched tolerantly (case, umlaut spelling)."""
_LANGUAGE_BY_KEY = {search_key(name): code for name, code in LANGUAGE_CODES.items()}

_ADDRESS = re.compile(r"^(?P<street>.+?),\s*(?:(?P<plz>\d{5})\s+)?Minden\b(?P<rest>.*)$", re.DOTALL)
_FULL_DATE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$")
_PHONE_SPLIT = re.compile(r"[;,(]| oder | / (?=\D)")

_ANGABEN_TERMS: dict[str, tuple[str, str]] = {
    # column → (term name, term description)
    "status": ("Status", "Status laut Quartierskarte: aktiv (eine Quelle ab 2023 bestätigt das Angebot), unklar "
                         "(keine neuere Bestätigung), umgezogen (eine Quelle nennt einen Umzug), beendet (eine Quelle "
                         "nennt ein Ende)."),
    "lage_genauigkeit": ("Lagegenauigkeit", "Wie genau der Ort bekannt ist: adresse (Koordinate an der Adresse), "
                                            "strasse (nur die Straße), stadtteil (nur der Stadtteil; Koordinate = "
                                            "Bezugspunkt des Stadtteils), unbekannt (kein Ort, keine Koordinate)."),
    "kategorie": ("Kategorie", "Art des Angebots (Freitext der Quartierskarte, z. B. Beratung, Begegnung)."),
    "zuletzt_geprueft": ("Zuletzt geprüft", "Wann die Angabe zuletzt geprüft wurde, wie erfasst (JJJJ, JJJJ-MM oder "
                                            "JJJJ-MM-TT)."),
    "stand_quelle": ("Stand laut Quelle", "Datum des Stands laut Quelle, wie erfasst (JJJJ, JJJJ-MM oder JJJJ-MM-TT)."),
    "quelle": ("Quelle", "Quellenangabe der Quartierskarte zu diesem Angebot."),
    "hinweis": ("Hinweis", "Hinweis der Quartierskarte zu diesem Angebot (z. B. Unsicherheiten der Quellen)."),
    "beschreibung_einfach": ("Beschreibung in Einfacher Sprache", "Beschreibung des Angebots in Einfacher Sprache."),
    "massnahmen": ("Maßnahmen des Integrationskonzepts", "Kennungen der Maßnahmen des Integrationskonzepts "
                                                         "(data/massnahmen.csv), auf die sich das Angebot bezieht; "
                                                         "durch Semikolon getrennt."),
    "barrierefrei": ("Barrierefrei", "Barrierefreiheit laut Quelle (ja/nein), für Angebote ohne Ort (sonst in "
                                     "location.accessibility)."),
}

_PRECISION_TEXT = {
    "adresse": "Lage: Adresse bekannt; die Koordinate liegt an der Adresse.",
    "strasse": "Ungefähre Lage: nur die Straße ist bekannt; die Koordinate liegt an der Straße, nicht an einem "
               "bestimmten Gebäude.",
    "stadtteil": "Ungefähre Lage: nur der Stadtteil{district} ist bekannt. Darum enthält dieser Export keine "
                 "Koordinate (in der Karte steht das Angebot am Bezugspunkt des Stadtteils).",
}
_ADDRESS_NOT_AT_POINT = "Die Adresse steht so in der Quelle."
_UNKNOWN_PLACE = ("Ort unbekannt: Die Quellen nennen weder einen Punkt noch einen Stadtteil; darum gibt es keine "
                  "Koordinate. Bitte beim Träger nachfragen.")
_SCHEMATIC_NOTE = " (Zuordnung über schematische Stadtteilgrenzen, keine amtlichen Grenzen)"
_LOCAL_TIME_NOTE = ("Zeiten in Ortszeit Minden (Europe/Berlin, MEZ/MESZ). Feiertage sind in den Öffnungszeiten "
                    "nicht gesondert geregelt.")


def hsds_id(kind: str, *parts: object) -> str:
    """The stable UUID (text) of one exported record: uuid5 of :data:`HSDS_NAMESPACE` and ``kind:part:part…``."""
    return str(uuid.uuid5(HSDS_NAMESPACE, ":".join([kind, *(str(p) for p in parts)])))


def language_code(name: str) -> str | None:
    """The ISO 639-1 (or 639-3) code for a German language name (``"Arabisch"`` → ``"ar"``); ``None`` if not known."""
    return _LANGUAGE_BY_KEY.get(search_key(name))


def hsds_status(status: str) -> str:
    """The HSDS status for an offer ``status`` (:data:`STATUS_MAP`; anything else → ``active``)."""
    return STATUS_MAP.get(status.strip().lower(), UNKNOWN_STATUS)


def offers_to_hsds(offers: pd.DataFrame, districts: pd.DataFrame | None = None,
                   today: date | datetime | None = None) -> list[dict]:
    """One HSDS 3.0 ``service`` object per offer, in the order of ``offers``.

    ``offers``: loaded offers (:mod:`geo.data.offers`), ideally with ``stadtteil_name``
    from the spatial join; with ``districts`` (the district polygons) offers
    without it are joined here, and a schematic district file is named in the
    location descriptions. ``today`` (default: now in Europe/Berlin) decides
    which offers get the "may be outdated" alert; it is the only input that is
    not part of the offers, so pass it for reproducible exports.
    """
    if today is None:
        today = datetime.now(TIMEZONE)
    offers = _prepared(offers, districts)
    schematic = districts is not None and "geometrie" in districts.columns and is_schematic(districts)
    points = offer_points(offers)
    return [_service(row, point, today, schematic) for row, point in zip(offers.to_dict("records"), points)]


def hsds_json(offers: pd.DataFrame, districts: pd.DataFrame | None = None,
              today: date | datetime | None = None) -> bytes:
    """:func:`offers_to_hsds` as UTF-8 JSON (a list of services; no BOM, no HTML escaping)."""
    services = offers_to_hsds(offers, districts=districts, today=today)
    return json.dumps(services, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")


# --- preparation ---------------------------------------------------------------------------------------------------

def _prepared(offers: pd.DataFrame, districts: pd.DataFrame | None) -> pd.DataFrame:
    if (districts is not None and "stadtteil_name" not in offers.columns and hasattr(offers, "geometry")
            and len(offers)):
        from geo.analysis.join import assign_districts

        offers = assign_districts(offers, districts).offers
    return offers


def _get(row: Mapping[str, object], key: str) -> str:
    return cell_text(row.get(key)).strip()


# --- one service ---------------------------------------------------------------------------------------------------

def _service(row: Mapping[str, object], point: tuple[float, float] | None, today: date | datetime,
             schematic: bool) -> dict:
    offer_id = _get(row, "id")
    service_id = hsds_id("service", offer_id)
    status = _get(row, "status").lower()
    service: dict = {"id": service_id, "name": _get(row, "name"), "status": hsds_status(status)}

    if description := _get(row, "beschreibung"):
        service["description"] = description
    if url := _as_uri(safe_http_url(_get(row, "website"))):
        service["url"] = url
    if alert := _alert(row, status, today):
        service["alert"] = alert
    if groups := split_list(row.get("zielgruppen")):
        service["eligibility_description"] = "; ".join(groups)
    checked = _get(row, "zuletzt_geprueft")
    if _FULL_DATE.match(checked):
        service["assured_date"] = checked

    if traeger := " ".join(_get(row, "traeger").split()):
        organization = _organization(traeger)
        service["organization_id"] = organization["id"]
        service["organization"] = organization

    costs = _get(row, "kosten")
    if costs and search_key(costs) != "unbekannt":
        service["fees_description"] = costs
        if _is_plainly_free(costs):
            service["cost_options"] = [{"id": hsds_id("cost_option", offer_id), "service_id": service_id,
                                        "amount": 0, "currency": "EUR", "amount_description": costs}]

    if phone := _phone(_get(row, "telefon"), offer_id, service_id):
        service["phones"] = [phone]
    if schedules := _schedules(_get(row, "oeffnungszeiten"), offer_id, service_id):
        service["schedules"] = schedules
    if languages := _languages(row.get("sprachen"), offer_id, service_id):
        service["languages"] = languages
    if sal := _service_at_location(row, point, offer_id, service_id, schematic):
        service["service_at_locations"] = [sal]
    service["attributes"] = _service_attributes(row, offer_id, service_id, located=point is not None)
    return service


def _alert(row: Mapping[str, object], status: str, today: date | datetime) -> str:
    parts = []
    if status == "unklar" or status not in STATUS_MAP:
        parts.append("Ob es das Angebot noch gibt, ist nicht bestätigt (keine Quelle von 2023 oder später).")
    elif status in ("umgezogen", "beendet"):
        parts.append(t(f"status.{status}"))
    age = data_age(_get(row, "zuletzt_geprueft"), _get(row, "stand_quelle"), today)
    if age.outdated(STALE_AFTER_MONTHS):
        parts.append({"geprueft": t("detail.veraltet", datum=age.datum), "quelle": t("stand.alt", datum=age.datum),
                      UNDATED: t("stand.ohne_datum")}.get(age.basis, t("detail.nie_geprueft")))
    return " ".join(parts)


def _organization(name: str) -> dict:
    return {
        "id": hsds_id("organization", name),
        "name": name,
        "description": ("Träger von Angeboten in der Quartierskarte Minden. Name wie in den Quelldaten; eine "
                        "Beschreibung des Trägers ist dort nicht erfasst."),
    }


def _is_plainly_free(costs: str) -> bool:
    """Exactly "kostenlos" (or a synonym) and nothing more: "kostenlos für Mitglieder" is not plainly free."""
    return search_key(costs) in {search_key(s) for s in ("kostenlos", "kostenfrei", "gratis", "ohne Kosten")}


def _as_uri(url: str | None) -> str | None:
    """An http(s) URL as an ASCII URI (RFC 3987 §3.1: host IDNA-encoded, other non-ASCII percent-encoded)."""
    if url is None or url.isascii():
        return url
    try:
        parts = urlsplit(url)
        if parts.username or parts.password:
            return None  # credentials in a URL are not passed on
        host = parts.hostname.encode("idna").decode("ascii") if parts.hostname else ""
        netloc = host + (f":{parts.port}" if parts.port else "")
    except (UnicodeError, ValueError):
        return None
    keep = "/%:@!$&'()*+,;=-._~?#[]"
    return urlunsplit((parts.scheme, netloc, quote(parts.path, safe=keep), quote(parts.query, safe=keep),
                       quote(parts.fragment, safe=keep)))


def _phone(text: str, offer_id: str, service_id: str) -> dict | None:
    if not text:
        return None
    first = _PHONE_SPLIT.split(text)[0].strip() if tel_href(text) else text
    phone = {"id": hsds_id("phone", offer_id), "service_id": service_id, "number": first}
    if first != text:
        phone["description"] = text
    return phone


def _languages(value: object, offer_id: str, service_id: str) -> list[dict]:
    result, seen = [], set()
    for name in split_list(value):
        if search_key(name) in seen:
            continue
        seen.add(search_key(name))
        entry = {"id": hsds_id("language", offer_id, name), "service_id": service_id, "name": name}
        if code := language_code(name):
            entry["code"] = code
        result.append(entry)
    return result


# --- schedules -----------------------------------------------------------------------------------------------------

_DAYS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
_DAY_PART = r"(?:Mo|Tu|We|Th|Fr|Sa|Su)(?:-(?:Mo|Tu|We|Th|Fr|Sa|Su))?"
_TIME_PART = r"(?:[01]\d|2[0-3]):[0-5]\d-(?:[01]\d|2[0-3]):[0-5]\d"
_SIMPLE_RULE = re.compile(rf"^(?P<days>{_DAY_PART}(?:,{_DAY_PART})*) (?P<times>{_TIME_PART}(?:,{_TIME_PART})*)$")
_REFERENCE_MONDAY = datetime(2025, 1, 13)
"""A week without public holidays in Germany and without a daylight-saving change (13–19 January 2025)."""


def weekly_rules(hours: str) -> list[tuple[tuple[str, ...], str, str]] | None:
    """``[(days, opens, closes), …]`` for plain weekly opening hours, or ``None`` if they are not that plain.

    ``"Tu,Fr 09:00-12:00,12:30-14:30"`` → ``[(("Tu", "Fr"), "09:00", "12:00"), (("Tu", "Fr"), "12:30", "14:30")]``.
    Anything else (public holidays, months, weeks, "off", comments, times past midnight, a day in two
    rules) gives ``None``; so does a result that differs from the opening_hours parser's open times in a
    reference week.
    """
    text = " ".join(hours.split())
    if not text:
        return None
    rules: list[tuple[tuple[str, ...], str, str]] = []
    used: set[str] = set()
    for rule in (part.strip() for part in text.split(";")):
        match = _SIMPLE_RULE.match(rule)
        if not match:
            return None
        days = _expand_days(match["days"])
        if used & set(days) or len(set(days)) != len(days):
            return None
        used.update(days)
        spans = sorted(tuple(span.split("-")) for span in match["times"].split(","))
        for (opens, closes), following in zip(spans, [*spans[1:], None]):
            if closes <= opens or (following is not None and following[0] < closes):
                return None
            rules.append((days, opens, closes))
    return rules if _agrees_with_parser(text, rules) else None


def _expand_days(spec: str) -> tuple[str, ...]:
    days: list[str] = []
    for part in spec.split(","):
        first, _, last = part.partition("-")
        start = _DAYS.index(first)
        end = _DAYS.index(last) if last else start
        days.extend(_DAYS[(start + i) % 7] for i in range((end - start) % 7 + 1))
    return tuple(days)


def _agrees_with_parser(text: str, rules: list[tuple[tuple[str, ...], str, str]]) -> bool:
    try:
        parsed = opening_hours.OpeningHours(text)
        intervals = list(parsed.intervals(_REFERENCE_MONDAY, _REFERENCE_MONDAY + timedelta(days=7)))
    except Exception:  # the parser raises its own error types
        return False
    if any(state not in (opening_hours.State.OPEN, opening_hours.State.CLOSED) for _, _, state, _ in intervals):
        return False
    from_parser = sorted((start, end) for start, end, state, _ in intervals if state == opening_hours.State.OPEN)
    expected = []
    for days, opens, closes in rules:
        for day in days:
            base = _REFERENCE_MONDAY + timedelta(days=_DAYS.index(day))
            expected.append((_at(base, opens), _at(base, closes)))
    return from_parser == sorted(expected)


def _at(day: datetime, hhmm: str) -> datetime:
    hour, minute = (int(x) for x in hhmm.split(":"))
    return day.replace(hour=hour, minute=minute)


def _schedules(hours: str, offer_id: str, service_id: str) -> list[dict]:
    if not hours:
        return []
    rules = weekly_rules(hours)
    if rules is None:
        return [{"id": hsds_id("schedule", offer_id, 0), "service_id": service_id, "description": hours}]
    return [{"id": hsds_id("schedule", offer_id, n), "service_id": service_id, "description": hours,
             "freq": "WEEKLY", "interval": 1, "byday": ",".join(d.upper() for d in days),
             "opens_at": opens, "closes_at": closes, "notes": _LOCAL_TIME_NOTE}
            for n, (days, opens, closes) in enumerate(rules)]


# --- place ---------------------------------------------------------------------------------------------------------

def split_address(text: str) -> dict[str, str]:
    """``address_1``, ``address_2`` and ``postal_code`` from a free-text address; nothing guessed.

    ``"Am Exerzierplatz 7 (3. Etage), 32423 Minden"`` → ``address_1 "Am Exerzierplatz 7 (3. Etage)"``,
    ``postal_code "32423"``; ``"Wilmersdorfer Weg 5, Minden (Stadtteiltreff)"`` → ``address_2
    "(Stadtteiltreff)"`` and an empty postal code. Text without ``", Minden"`` is ``address_1`` as a whole.
    """
    match = _ADDRESS.match(text)
    if not match:
        return {"address_1": text, "postal_code": ""}
    parts = {"address_1": match["street"].strip(), "postal_code": match["plz"] or ""}
    if rest := match["rest"].strip().lstrip(",;–-").strip():
        parts["address_2"] = rest
    return parts


def _service_at_location(row: Mapping[str, object], point: tuple[float, float] | None, offer_id: str,
                         service_id: str, schematic: bool) -> dict | None:
    precision = _get(row, "lage_genauigkeit").lower() or "unbekannt"
    address = _get(row, "adresse")
    if point is None and not address:
        return None
    location_id = hsds_id("location", offer_id)
    location: dict = {"id": location_id, "location_type": "physical"}
    if point is None:
        quoted = f" Adressangabe in den Quelldaten, nicht als heutiger Ort geprüft: „{address}“."
        location["description"] = _UNKNOWN_PLACE + (quoted if address else "")
    else:
        location["description"] = _place_description(row, precision, bool(address), schematic)
        # HSDS has no precision field: a consumer would show a district's reference point as the offer's
        # exact place. Only address and street points are exported as coordinates.
        if precision in ("adresse", "strasse"):
            location["latitude"] = point[1]
            location["longitude"] = point[0]
        if address:
            location["addresses"] = [{"id": hsds_id("address", offer_id), "location_id": location_id,
                                      **split_address(address), "city": CITY, "region": REGION,
                                      "state_province": STATE_PROVINCE, "country": COUNTRY,
                                      "address_type": "physical"}]
        accessible = _get(row, "barrierefrei").lower()
        if accessible in (JA, NEIN):
            location["accessibility"] = [{
                "id": hsds_id("accessibility", offer_id), "location_id": location_id,
                "description": "barrierefrei (laut Quelle)" if accessible == JA else "nicht barrierefrei (laut Quelle)",
            }]
    location["attributes"] = [_attribute(TAXONOMY_ANGABEN, "lage_genauigkeit", location_id, "location",
                                         offer_id, value=precision)]
    return {"id": hsds_id("service_at_location", offer_id), "service_id": service_id,
            "location_id": location_id, "location": location}


def _place_description(row: Mapping[str, object], precision: str, has_address: bool, schematic: bool) -> str:
    if precision == "stadtteil":
        stated, joined = _get(row, "stadtteil"), _get(row, "stadtteil_name")
        name = stated or joined
        suffix = _SCHEMATIC_NOTE if (schematic and not stated and joined) else ""
        text = _PRECISION_TEXT["stadtteil"].format(district=f" {name}{suffix}" if name else "")
        return text + (" " + _ADDRESS_NOT_AT_POINT if has_address else "")
    text = _PRECISION_TEXT.get(precision, _PRECISION_TEXT["stadtteil"].format(district=""))
    district = _get(row, "stadtteil_name") or _get(row, "stadtteil")
    if district:
        text += f" Stadtteil: {district}" + (_SCHEMATIC_NOTE if schematic and _get(row, "stadtteil_name") else "") + "."
    return text


# --- attributes (taxonomy terms) -----------------------------------------------------------------------------------

def taxonomy_details() -> list[dict]:
    """The three taxonomies as HSDS ``taxonomy`` objects (``id``, ``name``, ``description``).

    Terms name their taxonomy by ``taxonomy`` (name) and ``taxonomy_id`` only; the nested
    ``taxonomy_detail`` is left out so that it is not repeated in every attribute of every service.
    """
    descriptions = {
        TAXONOMY_HANDLUNGSFELDER: "Die vier Handlungsfelder des Integrationskonzepts der Stadt Minden (2020), "
                                  "denen die Quartierskarte jedes Angebot zuordnet.",
        TAXONOMY_ZIELGRUPPEN: "Feste Zielgruppen der Quartierskarte Minden, aus dem Freitext der Zielgruppen "
                              "gelesen. Nicht genannte Gruppen heißen nicht, dass das Angebot ihnen verschlossen ist.",
        TAXONOMY_ANGABEN: "Angaben der Quartierskarte Minden, für die HSDS kein eigenes Feld hat; der Begriff "
                          "nennt die Spalte, value enthält den Wert wie erfasst.",
    }
    return [{"id": hsds_id("taxonomy", name), "name": name, "description": text} for name, text in descriptions.items()]


def _term(taxonomy: str, code: str) -> dict:
    if taxonomy == TAXONOMY_HANDLUNGSFELDER:
        hf = next(h for h in HANDLUNGSFELDER if h.key == code)
        name, description = hf.name, f"Handlungsfeld „{hf.name}“ des Integrationskonzepts der Stadt Minden."
    elif taxonomy == TAXONOMY_ZIELGRUPPEN:
        name = t(f"zielgruppe.{code}")
        description = f"Zielgruppe „{name}“ laut Angabe des Angebots."
    else:
        name, description = _ANGABEN_TERMS[code]
    return {"id": hsds_id("taxonomy_term", taxonomy, code), "code": code, "name": name,
            "description": description, "taxonomy": taxonomy, "taxonomy_id": hsds_id("taxonomy", taxonomy),
            "language": "de"}


def _attribute(taxonomy: str, code: str, link_id: str, link_entity: str, offer_id: str,
               value: str | None = None) -> dict:
    term = _term(taxonomy, code)
    attribute = {"id": hsds_id("attribute", link_entity, offer_id, taxonomy, code), "link_id": link_id,
                 "link_entity": link_entity, "taxonomy_term_id": term["id"], "taxonomy_term": term}
    if value is not None:
        attribute["value"] = value
    return attribute


def _service_attributes(row: Mapping[str, object], offer_id: str, service_id: str, located: bool) -> list[dict]:
    attributes = []
    hf = HANDLUNGSFELD_BY_NAME.get(_get(row, "handlungsfeld"))
    if hf is not None:
        attributes.append(_attribute(TAXONOMY_HANDLUNGSFELDER, hf.key, service_id, "service", offer_id))
    groups = target_groups(row.get("zielgruppen"))
    attributes.extend(_attribute(TAXONOMY_ZIELGRUPPEN, key, service_id, "service", offer_id)
                      for key in ZIELGRUPPEN if key in groups)
    status = _get(row, "status").lower()
    if status:
        attributes.append(_attribute(TAXONOMY_ANGABEN, "status", service_id, "service", offer_id, value=status))
    attributes.append(_attribute(TAXONOMY_ANGABEN, "lage_genauigkeit", service_id, "service", offer_id,
                                 value=_get(row, "lage_genauigkeit").lower() or "unbekannt"))
    columns: Iterable[str] = ("kategorie", "zuletzt_geprueft", "stand_quelle", "quelle", "hinweis",
                              "beschreibung_einfach", "massnahmen")
    for column in columns:
        if value := _get(row, column):
            attributes.append(_attribute(TAXONOMY_ANGABEN, column, service_id, "service", offer_id, value=value))
    accessible = _get(row, "barrierefrei").lower()
    if not located and accessible in (JA, NEIN):  # with a place it is location.accessibility
        attributes.append(_attribute(TAXONOMY_ANGABEN, "barrierefrei", service_id, "service", offer_id,
                                     value=accessible))
    return attributes
