"""geo.data.attributes: target groups, cost, accessibility, opening hours and check age from free-text offer cells."""
import datetime as dt
from datetime import datetime
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from geo.data.attributes import (
    JA,
    NEIN,
    UNBEKANNT,
    ZIELGRUPPEN,
    is_accessible,
    is_free,
    months_since,
    offer_languages,
    open_state,
    open_states,
    split_list,
    target_groups,
)

BERLIN = ZoneInfo("Europe/Berlin")
HOURS = "Tu,Fr 09:00-12:00,12:30-14:30"  # the value in data/angebote.csv


# --- target groups -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("cell, keys", [
    # spellings as they occur in the zielgruppen column of data/angebote.csv
    ("Kinder;Familien", {"kinder", "familien"}),
    ("junge Erwachsene", {"jugendliche"}),
    ("Jugendliche;junge Erwachsene", {"jugendliche"}),
    ("Geflüchtete", {"neuzugewanderte"}),
    ("Geflüchtete;Familien", {"neuzugewanderte", "familien"}),
    ("Neuzugewanderte", {"neuzugewanderte"}),
    ("Erwachsene;Zugewanderte", {"neuzugewanderte"}),   # "Erwachsene" alone is not "junge Erwachsene"
    ("Eltern;Kinder", {"familien", "kinder"}),
    ("Kinder;Jugendliche;Neuzugewanderte", {"kinder", "jugendliche", "neuzugewanderte"}),
    ("Frauen", {"frauen"}),
    ("Frauen;Wohnungslose", {"frauen"}),
    ("Schüler*innen", {"kinder"}),
    ("Ältere Menschen;Nachbarschaft", {"senioren"}),
    ("Männer", set()),                                  # no vocabulary key (kept in the cell for display)
    ("Ehrenamtliche;Fachkräfte", set()),
    ("Wohnungslose", set()),
    # spellings people may type
    ("Alleinerziehende", {"familien"}),                 # NOT "alle": "alle" is matched as a whole item only
    ("alle", {"alle"}),
    ("Offen für alle", {"alle"}),
    ("Kinder ; alle Menschen", {"kinder", "alle"}),
    ("GEFLUECHTETE", {"neuzugewanderte"}),             # upper case, umlaut spelled out
    ("", set()),
    (None, set()),
    (" ; ; ", set()),
])
def test_target_groups(cell, keys):
    result = target_groups(cell)
    assert result == frozenset(keys)
    assert result <= set(ZIELGRUPPEN)


def test_every_target_group_of_the_shipped_data_is_known_or_deliberately_unmapped():
    from geo.config import DATA_DIR

    cells = pd.read_csv(DATA_DIR / "angebote.csv", dtype=str, keep_default_na=False)["zielgruppen"]
    without_key = {item for cell in cells for item in split_list(cell) if not target_groups(item)}
    # groups outside the vocabulary: shown in the card, not filterable
    assert without_key == {"Arbeitslose", "Ehrenamtliche", "Erwachsene", "Fachkräfte", "Langzeitarbeitslose", "Männer",
                           "Menschen mit wenig Geld", "Nachbarschaft", "Wohnungslose"}


def test_split_list_and_languages():
    assert split_list(" Arabisch ;Persisch;; ") == ["Arabisch", "Persisch"]
    assert offer_languages("Arabisch;Persisch;Dari") == ("Arabisch", "Persisch", "Dari")
    assert offer_languages("") == ()


# --- cost and accessibility --------------------------------------------------------------------------------------

@pytest.mark.parametrize("cell, state", [
    ("kostenlos", JA),
    ("Kostenlos (Spenden willkommen)", JA),
    ("kostenfrei", JA),
    ("gratis", JA),
    ("Eintritt frei", JA),
    ("0 Euro", JA),
    ("2 Euro je Erwachsenem, 1 Euro je Kind (laut Quelle)", NEIN),  # from data/angebote.csv
    ("30 Euro Teilnehmerbeitrag (2017)", NEIN),
    ("unbekannt", UNBEKANNT),
    ("Unbekannt", UNBEKANNT),
    ("", UNBEKANNT),
    (None, UNBEKANNT),  # an empty cell in a hand-built frame; once folded to "none" and read as "nein"
])
def test_is_free(cell, state):
    assert is_free(cell) == state


@pytest.mark.parametrize("cell, state", [
    ("ja", JA), ("Ja", JA), (" nein ", NEIN), ("unbekannt", UNBEKANNT), ("", UNBEKANNT), (None, UNBEKANNT),
    ("teilweise", UNBEKANNT),
])
def test_is_accessible(cell, state):
    assert is_accessible(cell) == state


# --- opening hours -----------------------------------------------------------------------------------------------

def test_calendar_of_the_fixed_clocks():
    # the dates below were picked by weekday
    assert datetime(2026, 12, 1).strftime("%A") == "Tuesday"
    assert datetime(2026, 12, 2).strftime("%A") == "Wednesday"
    assert datetime(2026, 12, 4).strftime("%A") == "Friday"
    assert datetime(2026, 12, 25).strftime("%A") == "Friday"


@pytest.mark.parametrize("moment, state", [
    (datetime(2026, 12, 1, 10, 0), JA),     # Tuesday, inside 09:00-12:00
    (datetime(2026, 12, 1, 9, 0), JA),      # opening minute
    (datetime(2026, 12, 1, 12, 0), NEIN),   # closing minute: the range is half-open
    (datetime(2026, 12, 1, 12, 15), NEIN),  # lunch break 12:00-12:30
    (datetime(2026, 12, 1, 13, 0), JA),     # second range 12:30-14:30
    (datetime(2026, 12, 1, 8, 59), NEIN),
    (datetime(2026, 12, 2, 10, 0), NEIN),   # Wednesday: not a listed day
    (datetime(2026, 12, 4, 13, 0), JA),     # Friday, second range
    (datetime(2026, 12, 4, 15, 0), NEIN),   # Friday after 14:30
])
def test_open_state_with_fixed_berlin_clock(moment, state):
    assert open_state(HOURS, moment.replace(tzinfo=BERLIN)) == state
    assert open_state(HOURS, moment) == state  # naive = Europe/Berlin


UTC = ZoneInfo("UTC")


def test_naive_datetime_is_berlin_time_not_utc():
    # 08:30 naive = 08:30 Berlin → closed; 08:30 UTC = 09:30 Berlin (CET, UTC+1) → open
    assert open_state(HOURS, datetime(2026, 12, 1, 8, 30)) == NEIN
    assert open_state(HOURS, datetime(2026, 12, 1, 8, 30, tzinfo=UTC)) == JA
    # summer time: Tuesday 2026-07-07 07:30 UTC = 09:30 CEST (UTC+2) → open; 07:30 naive → closed
    assert open_state(HOURS, datetime(2026, 7, 7, 7, 30, tzinfo=UTC)) == JA
    assert open_state(HOURS, datetime(2026, 7, 7, 7, 30)) == NEIN
    # 11:15 UTC = 12:15 Berlin → closed (lunch break); 11:15 naive → open (09:00-12:00)
    assert open_state(HOURS, datetime(2026, 12, 1, 11, 15, tzinfo=UTC)) == NEIN
    assert open_state(HOURS, datetime(2026, 12, 1, 11, 15)) == JA


def test_any_aware_datetime_is_accepted():
    assert open_state(HOURS, datetime(2026, 12, 1, 8, 30, tzinfo=dt.UTC)) == JA  # 09:30 Berlin


def test_nationwide_public_holiday_is_closed():
    hours = "Mo-Fr 09:00-17:00; PH off"
    assert open_state(hours, datetime(2026, 12, 25, 10, 0)) == NEIN   # 1. Weihnachtstag, a Friday
    assert open_state(hours, datetime(2026, 12, 24, 10, 0)) == JA     # Heiligabend is a working day
    assert open_state(hours, datetime(2026, 12, 1, 10, 0)) == JA


@pytest.mark.parametrize("hours", ["Montags 9-12", "", None, "   ", "nach Vereinbarung"])
def test_unparsable_or_empty_hours_are_unknown(hours):
    assert open_state(hours, datetime(2026, 12, 1, 10, 0)) == UNBEKANNT


def test_open_states_on_a_series():
    hours = pd.Series([HOURS, "", None, "Montags 9-12", "Mo-Fr 09:00-17:00", HOURS], index=[10, 11, 12, 13, 14, 15])
    result = open_states(hours, datetime(2026, 12, 1, 12, 15))  # Tuesday lunch break
    assert list(result.index) == [10, 11, 12, 13, 14, 15]
    assert result.tolist() == [NEIN, UNBEKANNT, UNBEKANNT, UNBEKANNT, JA, NEIN]


# --- months since the last check ---------------------------------------------------------------------------------

@pytest.mark.parametrize("date_text, months", [
    ("2020", 72),          # a year alone counts from December 2020: (2026 − 2020) × 12 + (12 − 12) = 72
    ("2020-09", 75),       # 6 × 12 + (12 − 9) = 75
    ("2026-11", 1),
    ("2026-09-15", 3),     # the day is ignored
    ("2025-12", 12),       # exactly 12 months: not more than 12
    ("2025-11", 13),
    ("2026-12-01", 0),
    ("", None),
    (None, None),
    ("unbekannt", None),
    ("2020-xx", None),
])
def test_months_since(date_text, months):
    assert months_since(date_text, datetime(2026, 12, 1, 10, 0)) == months
