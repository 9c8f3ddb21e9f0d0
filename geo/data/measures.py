"""The measures of the Integrationskonzept (``data/massnahmen.csv``) and the offers linked to them.

Read-only here: the status is edited by the editor workflow (a later issue). An
offer names the measures it serves in its optional ``massnahmen`` column
(``;``-separated ids); unknown ids are reported, not dropped silently.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from geo.config import DATA_DIR, HANDLUNGSFELDER
from geo.data.attributes import split_list
from geo.data.problems import DataFileError, Problem, read_text_table

MEASURES_PATH = DATA_DIR / "massnahmen.csv"
MEASURE_COLUMNS = ("id", "handlungsfeld", "bereich", "titel", "fristigkeit", "quelle", "status", "notes")
MEASURE_FIELDS = ("Querschnitt", *(hf.name for hf in HANDLUNGSFELDER))
"""Handlungsfelder of the measures: the four of the concept plus its cross-cutting tasks (Abschn. 6.1)."""
FRISTIGKEITEN = ("kurzfristig", "kurz- bis mittelfristig", "mittelfristig", "mittel- bis langfristig", "langfristig",
                 "unbekannt")
STATUS = ("offen", "begonnen", "umgesetzt", "verworfen")


def horizon_key(fristigkeit: str) -> str:
    """Catalogue key of a Fristigkeit: ``"mittel- bis langfristig"`` → ``"fristigkeit.mittel_bis_langfristig"``."""
    return "fristigkeit." + fristigkeit.replace("-", "").replace(" ", "_")


def read_measures(path: str | Path = MEASURES_PATH) -> pd.DataFrame:
    """The measures; raises :class:`DataFileError` naming file, line and problem for a broken row or header."""
    path = Path(path)
    frame = read_text_table(path, MEASURE_COLUMNS)
    for line, row in zip(range(2, len(frame) + 2), frame.itertuples(index=False)):
        for column, value, allowed in (("handlungsfeld", row.handlungsfeld, MEASURE_FIELDS),
                                       ("fristigkeit", row.fristigkeit, FRISTIGKEITEN), ("status", row.status, STATUS)):
            if value not in allowed:
                raise DataFileError(Problem(path.name, line, column, f"„{value}“ ist nicht erlaubt ({', '.join(allowed)})."))
        if not row.id.strip() or not row.titel.strip():
            raise DataFileError(Problem(path.name, line, "id", "id oder titel fehlt."))
    duplicated = frame["id"][frame["id"].duplicated()]
    if len(duplicated):
        raise DataFileError(Problem(path.name, None, "id", f"doppelte id {duplicated.iloc[0]}."))
    return frame


def filter_measures(measures: pd.DataFrame, fields: list[str] | None = None,
                    horizons: list[str] | None = None) -> pd.DataFrame:
    """Measures of the given Handlungsfelder and Fristigkeiten (``None`` or empty = all), in file order."""
    mask = pd.Series(True, index=measures.index)
    if fields:
        mask &= measures["handlungsfeld"].isin(fields)
    if horizons:
        mask &= measures["fristigkeit"].isin(horizons)
    return measures[mask]


def offers_by_measure(offers: pd.DataFrame, measure_ids: set[str]) -> tuple[dict[str, list[str]], list[Problem]]:
    """Measure id → ids of the offers that name it in ``massnahmen``; plus a notice per unknown measure id."""
    linked: dict[str, list[str]] = {}
    problems: list[Problem] = []
    if "massnahmen" not in offers:
        return linked, problems
    for offer_id, line, cell in zip(offers["id"], offers.get("zeile", [None] * len(offers)), offers["massnahmen"]):
        for measure in split_list(cell):
            if measure in measure_ids:
                linked.setdefault(measure, []).append(offer_id)
            else:
                problems.append(Problem("angebote.csv", int(line) if line is not None and line == line else None,
                                        "massnahmen", f"Angebot „{offer_id}“: Maßnahme „{measure}“ gibt es nicht.",
                                        "hinweis"))
    return linked, problems
