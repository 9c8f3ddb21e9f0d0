"""data/massnahmen.csv: the measures of the WS-phase list (seed 000) and of section 6 of the
Integrationskonzept (seed 001), checked against the seed texts (rules: data/SOURCES.md)."""
from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
CSV = ROOT / "data" / "massnahmen.csv"
SEEDS = ROOT.parent / "shared" / "seeds"
SEED_WS = "000_4656dc3f527d6fdd.txt"
SEED_IKON = "001_3e94ec073f9eb60b.txt"

COLUMNS = ["id", "handlungsfeld", "bereich", "titel", "fristigkeit", "quelle", "status", "notes", "gleiche_massnahme"]
HANDLUNGSFELDER = {"Zusammenleben und Teilhabe", "Bildung", "Arbeitsmarktintegration", "Wohnen", "Querschnitt"}
FRISTIGKEITEN = {"kurzfristig", "mittelfristig", "langfristig", "mittel- bis langfristig",
                 "kurz- bis mittelfristig", "unbekannt"}
# "## N." headings of seed 000 and subsections 6.N of seed 001 -> Handlungsfeld
WS_HEADINGS = {"1": "Querschnitt", "2": "Bildung", "3": "Wohnen", "4": "Zusammenleben und Teilhabe",
               "5": "Arbeitsmarktintegration"}
IKON_SUBSECTIONS = {"1": "Querschnitt", "2": "Zusammenleben und Teilhabe", "3": "Bildung",
                    "4": "Arbeitsmarktintegration", "5": "Wohnen"}


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return pd.read_csv(CSV, dtype=str, keep_default_na=False, encoding="utf-8")


def _seed(name: str) -> str:
    path = SEEDS / name
    if not path.is_file():
        reason = f"seed text {path} not found (expects ../shared/seeds beside the repository); seed checks skipped"
        print(reason)
        pytest.skip(reason)
    return path.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def ws_text() -> str:
    """Seed 000 with the Markdown escapes removed (``\\*`` -> ``*``)."""
    return _seed(SEED_WS).replace("\\*", "*")


@pytest.fixture(scope="module")
def ikon_section6() -> list[str]:
    """Lines of section 6 of seed 001: from the heading (not the table-of-contents line,
    which ends in a tab and the page number) up to the heading "7. Ausblick"."""
    lines = _seed(SEED_IKON).splitlines()
    start = lines.index("6. Zentrale Ergebnisse der beiden Workshopphasen")
    end = lines.index("7. Ausblick", start)
    return lines[start:end]


def ws_counts(text: str) -> Counter:
    """Measures in seed 000: lines "Maßnahme N: …", counted per Handlungsfeld of their "## N." heading."""
    counts: Counter = Counter()
    heading = None
    for line in text.splitlines():
        m = re.match(r"^## (\d)\. ", line)
        if m:
            heading = m.group(1)
        elif re.match(r"^Maßnahme \d+:", line):
            counts[WS_HEADINGS[heading]] += 1
    return counts


def ikon_counts(section: list[str]) -> Counter:
    """Measures in section 6 of seed 001: the table rows "Maßnahme N<TAB>…" (the prose that
    follows each table explains these measures and is not counted), per subsection 6.N."""
    counts: Counter = Counter()
    sub = None
    for line in section:
        m = re.match(r"^6\.(\d) ", line)
        if m:
            sub = m.group(1)
        elif re.match(r"^Maßnahme \d+\t", line):
            counts[sub] += 1
    return counts


def test_columns_exact(frame):
    assert list(frame.columns) == COLUMNS


def test_ids_unique_and_shaped(frame):
    assert frame["id"].is_unique
    assert frame["id"].str.fullmatch(r"ws1-[a-z]+(-[a-z]+)?-\d+|ikon-6\.[1-5]-\d+").all()


def test_vocabularies(frame):
    assert set(frame["handlungsfeld"]) <= HANDLUNGSFELDER
    assert set(frame["fristigkeit"]) <= FRISTIGKEITEN
    assert (frame["status"] == "offen").all()


def test_text_fields_filled_and_clean(frame):
    for col in ["titel", "bereich", "quelle"]:
        assert (frame[col].str.strip() != "").all(), col
    assert (frame["titel"] == frame["titel"].str.strip()).all()
    assert not frame["titel"].str.contains(r"\\", regex=True).any()  # Markdown escapes removed
    # the time horizon is in fristigkeit, not at the end of the title
    assert not frame["titel"].str.contains(r"\([^()]*fristig\)\.?$", regex=True).any()


def test_ikon_rows_have_no_time_horizon_and_cite_the_page(frame):
    ikon = frame[frame["id"].str.startswith("ikon-")]
    assert (ikon["fristigkeit"] == "unbekannt").all()
    assert ikon["quelle"].str.match(r"Integrationskonzept Minden 2020, Abschn\. 6\.[1-5] \(ab S\. \d+ ").all()


def test_cross_references_point_to_existing_rows(frame):
    ids = set(frame["id"])
    for note in frame["notes"]:
        for ref in re.findall(r"\((?:ws1|ikon)-[^,)]+", note):
            assert ref[1:] in ids, ref


def test_pair_column_is_the_notes_cross_reference(frame):
    """gleiche_massnahme is derived from the notes, not invented: a WS row names its concept row first
    ("Auch im Integrationskonzept … (ikon-…)"), a concept row its WS row ("Auch in der WS-Liste genannt (ws1-…")."""
    pair = dict(zip(frame["id"], frame["gleiche_massnahme"]))
    for measure, note in zip(frame["id"], frame["notes"]):
        wanted = "ikon-" if measure.startswith("ws1-") else "ws1-"
        refs = re.findall(rf"\(({wanted}[^,)]+)", note)
        assert pair[measure] == (refs[0] if refs else ""), measure
        if pair[measure]:
            assert pair[pair[measure]] == measure
    assert sum(1 for m, p in pair.items() if m.startswith("ws1-") and p) == 24
    assert sorted(m for m, p in pair.items() if not p) == ["ikon-6.3-4", "ikon-6.3-5", "ikon-6.5-1"]


def test_ws_rows_match_the_seed(frame, ws_text):
    ws = frame[frame["id"].str.startswith("ws1-")]
    expected = ws_counts(ws_text)
    assert len(ws) == sum(expected.values()) == 24
    assert Counter(ws["handlungsfeld"]) == expected
    for titel in ws["titel"]:
        assert titel in ws_text, titel


def test_ws_time_horizon_as_printed(frame, ws_text):
    printed = {}
    for line in ws_text.splitlines():
        m = re.match(r"^Maßnahme \d+: (.+)$", line)
        if m:
            f = re.search(r"\(([^()]*fristig)\)\.?\s*$", m.group(1))
            printed[m.group(1)] = f.group(1) if f else "unbekannt"
    ws = frame[frame["id"].str.startswith("ws1-")]
    for titel, frist in zip(ws["titel"], ws["fristigkeit"]):
        hits = [v for k, v in printed.items() if k.startswith(titel)]
        assert hits == [frist], titel


def test_ikon_rows_match_the_seed(frame, ikon_section6):
    ikon = frame[frame["id"].str.startswith("ikon-")]
    expected = ikon_counts(ikon_section6)
    assert len(ikon) == sum(expected.values()) == 27
    got = Counter(i.split("-")[1].split(".")[1] for i in ikon["id"])
    assert got == expected
    for rid, feld in zip(ikon["id"], ikon["handlungsfeld"]):
        assert feld == IKON_SUBSECTIONS[rid.split("-")[1].split(".")[1]], rid
    rows = {line.split("\t", 1)[1].strip() for line in ikon_section6 if re.match(r"^Maßnahme \d+\t", line)}
    assert set(ikon["titel"]) == rows
