"""geo.render.offer_view for residents: distance text, walking assumption, the nearest-list entry and the card with a clock."""
from datetime import datetime

import pytest

from geo.render.offer_view import (
    STALE_AFTER_MONTHS,
    distance_text,
    nearest_item_html,
    offer_card_html,
    walking_assumption,
)

TUESDAY_10 = datetime(2026, 12, 1, 10, 0)     # 2026-12-01 is a Tuesday (naive = Europe/Berlin)
WEDNESDAY_10 = datetime(2026, 12, 2, 10, 0)
HOURS = "Tu,Fr 09:00-12:00,12:30-14:30"


# --- distance_text -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("metres, minutes, precision, text", [
    (347, 7, "adresse", "350 m Luftlinie · etwa 7 Min. zu Fuß"),                   # 347 → 350 (to 10 m)
    (347, 7, "strasse", "350 m Luftlinie · etwa 7 Min. zu Fuß"),
    (347, 7, "stadtteil", "ca. 350 m Luftlinie · etwa 7 Min. zu Fuß (nur Stadtteil bekannt)"),
    (1320, 23, "adresse", "1,3 km Luftlinie · etwa 23 Min. zu Fuß"),                # 1320 → 1300 → "1,3"
    (1320, 23, "stadtteil", "ca. 1,3 km Luftlinie · etwa 23 Min. zu Fuß (nur Stadtteil bekannt)"),
    (2480, 43, "adresse", "2,5 km Luftlinie · etwa 43 Min. zu Fuß"),                # 2480 → 2500
    (997, 18, "adresse", "1,0 km Luftlinie · etwa 18 Min. zu Fuß"),                 # 997 → 1000: shown as km
    (0, 0, "adresse", "0 m Luftlinie · etwa 0 Min. zu Fuß"),
])
def test_distance_text(metres, minutes, precision, text):
    assert distance_text(metres, minutes, precision) == text


def test_walking_assumption_names_the_constants_in_german_format():
    text = walking_assumption()
    assert "4,5 km/h" in text        # WALK_SPEED_KMH = 4.5 with a decimal comma
    assert "1,3" in text             # DETOUR_FACTOR = 1.3
    assert "4.5" not in text and "1.3" not in text


# --- nearest_item_html -------------------------------------------------------------------------------------------

def nearest_row(**changes):
    row = {"id": "x", "name": "Sprachcafé", "handlungsfeld": "Bildung", "stadtteil_name": "Innenstadt",
           "lage_genauigkeit": "adresse", "distanz_m": 347.0, "gehminuten": 7, "angabe_fehlt": ""}
    row.update(changes)
    return row


def test_nearest_item_html_content():
    html_text = nearest_item_html(nearest_row())
    assert "<strong>Sprachcafé</strong>" in html_text
    assert "Bildung · Innenstadt" in html_text
    assert "350 m Luftlinie · etwa 7 Min. zu Fuß" in html_text
    assert 'class="qk-naehe"' in html_text and "qk-naehe-gewaehlt" not in html_text
    assert "qk-naehe-unbekannt" not in html_text  # nothing unknown
    assert "qk-naehe-gewaehlt" in nearest_item_html(nearest_row(), selected=True)


def test_nearest_item_html_escapes_hostile_values():
    html_text = nearest_item_html(nearest_row(name="<img src=x onerror=alert(1)>",
                                              stadtteil_name='"><script>alert(2)</script>'))
    assert "<img" not in html_text and "<script" not in html_text
    assert "&lt;img src=x onerror=alert(1)&gt;" in html_text
    assert "&quot;&gt;&lt;script&gt;alert(2)&lt;/script&gt;" in html_text


def test_nearest_item_html_shows_the_unknown_marks():
    html_text = nearest_item_html(nearest_row(angabe_fehlt="zielgruppe;zeiten", lage_genauigkeit="stadtteil"))
    assert '<p class="qk-naehe-unbekannt">Zielgruppe unbekannt · Zeiten unbekannt</p>' in html_text
    assert "ca. 350 m Luftlinie" in html_text
    html_text = nearest_item_html(nearest_row(angabe_fehlt="sprache;kostenlos;barrierefrei"))
    assert "Sprachen unbekannt · Kosten unbekannt · Barrierefreiheit unbekannt" in html_text


def test_nearest_item_html_in_another_language_marks_offer_text_german():
    html_text = nearest_item_html(nearest_row(), lang="en")
    assert '<span lang="de" dir="ltr">Sprachcafé</span>' in html_text
    assert "Education" in html_text


# --- offer_card_html with a clock --------------------------------------------------------------------------------

def card_offer(**changes):
    offer = {"name": "Sprachcafé", "handlungsfeld": "Bildung", "oeffnungszeiten": HOURS, "zuletzt_geprueft": "2026-11"}
    offer.update(changes)
    return offer


def test_card_open_now():
    html_text = offer_card_html(card_offer(), now=TUESDAY_10)
    assert "Jetzt geöffnet" in html_text
    assert f"Jetzt geöffnet ({HOURS})" in html_text  # the hours follow the state
    assert html_text.count("<dt>Öffnungszeiten</dt>") == 1  # the hours are not listed twice


def test_card_closed_now():
    html_text = offer_card_html(card_offer(), now=WEDNESDAY_10)
    assert "Jetzt geschlossen" in html_text and "Jetzt geöffnet" not in html_text


@pytest.mark.parametrize("hours", ["", "Montags 9-12"])
def test_card_hours_unknown(hours):
    html_text = offer_card_html(card_offer(oeffnungszeiten=hours), now=TUESDAY_10)
    assert "Zeiten unbekannt" in html_text
    assert "Jetzt geöffnet" not in html_text and "Jetzt geschlossen" not in html_text


def test_card_without_clock_has_no_open_state_and_no_age_hint():
    html_text = offer_card_html(card_offer(zuletzt_geprueft="2020"))
    assert "Jetzt" not in html_text and "Zeiten unbekannt" not in html_text
    assert "qk-veraltet" not in html_text


def test_card_outdated_hint():
    # "2020" counts from December 2020: 72 months before 2026-12-01 > 12
    html_text = offer_card_html(card_offer(zuletzt_geprueft="2020"), now=TUESDAY_10)
    assert 'class="qk-veraltet"' in html_text
    assert "Diese Angabe wurde zuletzt 2020 geprüft, vor mehr als 12 Monaten." in html_text
    assert "<dt>Zuletzt geprüft</dt><dd>2020</dd>" in html_text


@pytest.mark.parametrize("checked", ["2026-09", "2026-09-01", "2025-12"])
def test_card_recent_check_has_no_hint(checked):
    # 2026-09 → 3 months before 2026-12; 2025-12 → exactly 12 months (not more than STALE_AFTER_MONTHS)
    assert STALE_AFTER_MONTHS == 12
    html_text = offer_card_html(card_offer(zuletzt_geprueft=checked), now=TUESDAY_10)
    assert "qk-veraltet" not in html_text
    assert f"<dt>Zuletzt geprüft</dt><dd>{checked}</dd>" in html_text


def test_card_13_months_is_outdated():
    html_text = offer_card_html(card_offer(zuletzt_geprueft="2025-11"), now=TUESDAY_10)
    assert "Diese Angabe wurde zuletzt 2025-11 geprüft" in html_text


def test_card_without_check_date():
    html_text = offer_card_html(card_offer(zuletzt_geprueft=""), now=TUESDAY_10)
    assert "Kein Prüfdatum bekannt." in html_text
    assert "<dt>Zuletzt geprüft</dt><dd>keine Angabe</dd>" in html_text
    assert "Diese Angabe wurde zuletzt" not in html_text


def test_card_clock_text_escapes_the_hours():
    html_text = offer_card_html(card_offer(oeffnungszeiten="<b>Mo</b>"), now=TUESDAY_10)
    assert "<b>" not in html_text and "&lt;b&gt;Mo&lt;/b&gt;" in html_text
    assert "Zeiten unbekannt" in html_text
